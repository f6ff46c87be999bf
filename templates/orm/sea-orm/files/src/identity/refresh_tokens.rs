use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::Db;
use super::entities::refresh_tokens;

/// A stored refresh token (only its hash is kept).
#[derive(Debug, Clone)]
pub struct StoredRefreshToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn to_stored(m: refresh_tokens::Model) -> StoredRefreshToken {
    StoredRefreshToken {
        id: m.id,
        user_id: m.user_id,
        family_id: m.family_id,
        expires_at: m.expires_at.to_utc(),
        used_at: m.used_at.map(|t| t.to_utc()),
        revoked_at: m.revoked_at.map(|t| t.to_utc()),
    }
}

#[tracing::instrument(name = "db.refresh_tokens.insert", skip(db, token_hash), err)]
pub async fn insert(
    db: &Db,
    user_id: Uuid,
    family_id: Uuid,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    refresh_tokens::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        family_id: Set(family_id),
        token_hash: Set(token_hash.to_owned()),
        expires_at: Set(expires_at.into()),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(Utc::now().into()),
    }
    .insert(db)
    .await?;
    Ok(())
}

#[tracing::instrument(name = "db.refresh_tokens.find_by_hash", skip_all, err)]
pub async fn find_by_hash(db: &Db, token_hash: &str) -> anyhow::Result<Option<StoredRefreshToken>> {
    Ok(refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
        .map(to_stored))
}

/// Marks a token as used (rotated). Returns `false` if it was already used,
/// which makes concurrent rotations of the same token detectable.
#[tracing::instrument(name = "db.refresh_tokens.mark_used", skip(db), err)]
pub async fn mark_used(db: &Db, id: Uuid) -> anyhow::Result<bool> {
    let now: sea_orm::prelude::DateTimeWithTimeZone = Utc::now().into();
    let res = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Revokes every token of a family; returns how many were revoked.
#[tracing::instrument(name = "db.refresh_tokens.revoke_family", skip(db), err)]
pub async fn revoke_family(db: &Db, family_id: Uuid) -> anyhow::Result<u64> {
    let now: sea_orm::prelude::DateTimeWithTimeZone = Utc::now().into();
    let res = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(family_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
