//! Notes with a location, and "near me" (PostGIS): distances in metres on the
//! globe, radius queries served by a GiST index.

use uuid::Uuid;

use super::Db;
use super::ValidationError;
use super::repositories;
use super::{Note, NotesError};

/// A point on the globe (WGS 84 degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    lat: f64,
    lon: f64,
}

impl Location {
    pub fn parse(lat: f64, lon: f64) -> Result<Self, ValidationError> {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(ValidationError::new("lat", "must be between -90 and 90"));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(ValidationError::new("lon", "must be between -180 and 180"));
        }
        Ok(Self { lat, lon })
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }
}

/// Notes within `radius_m` metres of a point, at most `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NearQuery {
    pub at: Location,
    pub radius_m: f64,
    pub limit: u64,
}

impl NearQuery {
    pub const MAX_RADIUS_M: f64 = 100_000.0;
    pub const DEFAULT_RADIUS_M: f64 = 1_000.0;
    pub const MAX_LIMIT: u64 = 50;
    pub const DEFAULT_LIMIT: u64 = 10;

    pub fn parse(
        at: Location,
        radius_m: Option<f64>,
        limit: Option<u64>,
    ) -> Result<Self, ValidationError> {
        let radius_m = radius_m.unwrap_or(Self::DEFAULT_RADIUS_M);
        if !(radius_m > 0.0 && radius_m <= Self::MAX_RADIUS_M) {
            return Err(ValidationError::new(
                "radius_m",
                format!("must be above 0 and at most {}", Self::MAX_RADIUS_M),
            ));
        }
        let limit = ValidationError::check_in_range(
            "limit",
            limit.unwrap_or(Self::DEFAULT_LIMIT),
            1..=Self::MAX_LIMIT,
        )?;
        Ok(Self {
            at,
            radius_m,
            limit,
        })
    }
}

/// A note found near a point, with its distance in metres.
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyNote {
    pub note: Note,
    pub distance_m: f64,
}

/// Places one of the user's notes at `location`.
#[tracing::instrument(skip(db))]
pub async fn set_location(
    db: &Db,
    user_id: Uuid,
    note_id: Uuid,
    location: Location,
) -> Result<(), NotesError> {
    if repositories::locations::set_for_user(db, user_id, note_id, location).await? {
        Ok(())
    } else {
        Err(NotesError::NotFound)
    }
}

/// The user's notes within the radius, nearest first.
#[tracing::instrument(skip(db))]
pub async fn near(db: &Db, user_id: Uuid, query: &NearQuery) -> anyhow::Result<Vec<NearbyNote>> {
    repositories::locations::near_for_user(db, user_id, query).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_and_radius_are_bounded() {
        assert!(Location::parse(48.85, 2.35).is_ok());
        assert_eq!(Location::parse(91.0, 0.0).unwrap_err().field, "lat");
        assert_eq!(Location::parse(0.0, -181.0).unwrap_err().field, "lon");
        let at = Location::parse(0.0, 0.0).unwrap();
        assert_eq!(NearQuery::parse(at, None, None).unwrap().radius_m, 1_000.0);
        assert_eq!(
            NearQuery::parse(at, Some(0.0), None).unwrap_err().field,
            "radius_m"
        );
        assert_eq!(
            NearQuery::parse(at, Some(f64::NAN), None)
                .unwrap_err()
                .field,
            "radius_m"
        );
        assert_eq!(
            NearQuery::parse(at, None, Some(0)).unwrap_err().field,
            "limit"
        );
    }
}
