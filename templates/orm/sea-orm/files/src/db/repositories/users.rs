use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, SqlErr};
use uuid::Uuid;

use crate::db::Db;
use crate::db::entities::users;
use crate::domain::users::User;

fn to_domain(m: users::Model) -> User {
    User {
        id: m.id,
        email: m.email,
        created_at: m.created_at.to_utc(),
    }
}

/// Inserts a user; `Ok(None)` if the e-mail is already registered.
#[tracing::instrument(name = "db.users.insert", skip_all, err)]
pub async fn insert(db: &Db, email: &str, password_hash: &str) -> anyhow::Result<Option<User>> {
    let model = users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.to_owned()),
        password_hash: Set(password_hash.to_owned()),
        created_at: Set(Utc::now().into()),
    };
    match model.insert(db).await {
        Ok(m) => Ok(Some(to_domain(m))),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Finds a user and their password hash by (normalised) e-mail.
#[tracing::instrument(name = "db.users.find_by_email", skip_all, err)]
pub async fn find_by_email(db: &Db, email: &str) -> anyhow::Result<Option<(User, String)>> {
    let found = users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await?;
    Ok(found.map(|m| {
        let hash = m.password_hash.clone();
        (to_domain(m), hash)
    }))
}

#[tracing::instrument(name = "db.users.find_by_id", skip(db), err)]
pub async fn find_by_id(db: &Db, id: Uuid) -> anyhow::Result<Option<User>> {
    Ok(users::Entity::find_by_id(id).one(db).await?.map(to_domain))
}
