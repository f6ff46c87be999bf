//! Note locations and "near me" (PostGIS): `notes.setLocation`, `notes.near`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::error::RpcError;
use super::notes::Note;
use super::procedures::Registry;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::notes::locations::{self as note_locations, Location, NearQuery};

/// Where one of my notes is.
#[derive(Debug, Deserialize, TS)]
pub struct SetNoteLocation {
    pub id: Uuid,
    pub lat: f64,
    pub lon: f64,
}

/// A point, a radius in metres (up to 100 km, default 1 km) and at most how many notes
/// (1-50, default 10).
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields)]
pub struct NotesNear {
    #[ts(optional = false)]
    pub lat: f64,
    #[ts(optional = false)]
    pub lon: f64,
    pub radius_m: Option<f64>,
    pub limit: Option<u64>,
}

/// A note and how far it is from the centre of the search.
#[derive(Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NearbyNote {
    pub note: Note,
    /// Distance from the centre, in metres.
    pub distance_m: f64,
}

pub fn procedures() -> Registry {
    Registry::default()
        .authenticated(
            "notes.setLocation",
            "Place one of my notes on the map.",
            set_location,
        )
        .authenticated(
            "notes.near",
            "My notes within a radius of a point, nearest first.",
            near,
        )
}

#[tracing::instrument(skip_all, fields(user_id = %user.id, note_id = %input.id))]
async fn set_location(
    state: AppState,
    user: CurrentUser,
    input: SetNoteLocation,
) -> Result<(), RpcError> {
    let location = Location::parse(input.lat, input.lon)?;
    note_locations::set_location(&state.db, user.id, input.id, location).await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn near(
    state: AppState,
    user: CurrentUser,
    input: NotesNear,
) -> Result<Vec<NearbyNote>, RpcError> {
    let query = NearQuery::parse(
        Location::parse(input.lat, input.lon)?,
        input.radius_m,
        input.limit,
    )?;
    let found = note_locations::near(&state.db, user.id, &query).await?;
    Ok(found
        .into_iter()
        .map(|n| NearbyNote {
            note: n.note.into(),
            distance_m: n.distance_m,
        })
        .collect())
}
