//! Note locations and "near me" (PostGIS): `setNoteLocation`, `notesNear`.

use async_graphql::{Context, Object, SimpleObject};
use uuid::Uuid;

use super::notes::NoteObject;
use super::{ApiError, current_user, state};
use crate::notes::locations::{self as note_locations, Location, NearQuery};

/// A note and how far it is from the centre of the search.
#[derive(Debug, SimpleObject)]
pub struct NearbyNote {
    pub note: NoteObject,
    /// Distance from the centre, in metres.
    pub distance_m: f64,
}

#[derive(Default)]
pub struct LocationsQuery;

#[Object]
impl LocationsQuery {
    /// My notes within `radiusM` metres (up to 100 km, default 1 km) of a point,
    /// nearest first; at most `limit` (1-50, default 10).
    #[graphql(
        complexity = "limit.unwrap_or(NearQuery::DEFAULT_LIMIT).min(NearQuery::MAX_LIMIT) as usize * child_complexity"
    )]
    async fn notes_near(
        &self,
        ctx: &Context<'_>,
        lat: f64,
        lon: f64,
        radius_m: Option<f64>,
        limit: Option<u64>,
    ) -> Result<Vec<NearbyNote>, ApiError> {
        let user = current_user(ctx)?;
        let query = NearQuery::parse(Location::parse(lat, lon)?, radius_m, limit)?;
        let found = note_locations::near(&state(ctx).db, user.id, &query).await?;
        Ok(found
            .into_iter()
            .map(|n| NearbyNote {
                note: n.note.into(),
                distance_m: n.distance_m,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct LocationsMutation;

#[Object]
impl LocationsMutation {
    /// Place one of my notes on the map; `true` once stored.
    async fn set_note_location(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        lat: f64,
        lon: f64,
    ) -> Result<bool, ApiError> {
        let user = current_user(ctx)?;
        let location = Location::parse(lat, lon)?;
        note_locations::set_location(&state(ctx).db, user.id, id, location).await?;
        Ok(true)
    }
}
