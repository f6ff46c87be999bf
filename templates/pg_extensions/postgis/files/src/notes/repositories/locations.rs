//! Note locations (PostGIS). `location` is a `geography(Point, 4326)` column
//! the entity does not map; these queries read and write it through SeaORM
//! expressions. Distances are metres on the spheroid.

use sea_orm::sea_query::{Expr, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use uuid::Uuid;

use super::super::Db;
use super::super::entity as notes;
use super::super::locations::{Location, NearQuery, NearbyNote};
use super::notes::to_domain;

const POINT: &str = "ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography";

#[tracing::instrument(name = "db.notes.set_location", skip(db), err)]
pub async fn set_for_user(
    db: &Db,
    user_id: Uuid,
    note_id: Uuid,
    location: Location,
) -> anyhow::Result<bool> {
    let sql = format!("UPDATE notes SET location = {POINT} WHERE id = $3 AND user_id = $4");
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [
                location.lon().into(),
                location.lat().into(),
                note_id.into(),
                user_id.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

#[derive(Debug, FromQueryResult)]
struct NearRow {
    #[sea_orm(nested)]
    note: notes::Model,
    distance_m: f64,
}

#[tracing::instrument(name = "db.notes.near", skip(db), err)]
pub async fn near_for_user(
    db: &Db,
    user_id: Uuid,
    query: &NearQuery,
) -> anyhow::Result<Vec<NearbyNote>> {
    let (lon, lat) = (query.at.lon(), query.at.lat());
    let rows = notes::Entity::find()
        .column_as(
            Expr::cust_with_values(format!("ST_Distance(location, {POINT})"), [lon, lat]),
            "distance_m",
        )
        .filter(notes::Column::UserId.eq(user_id))
        .filter(Expr::cust_with_values(
            format!("ST_DWithin(location, {POINT}, $3)"),
            [lon, lat, query.radius_m],
        ))
        .order_by(
            Expr::cust_with_values(format!("location <-> {POINT}"), [lon, lat]),
            Order::Asc,
        )
        .limit(query.limit)
        .into_model::<NearRow>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| NearbyNote {
            note: to_domain(r.note),
            distance_m: r.distance_m,
        })
        .collect())
}
