//! What a service's worker does with events: `identity` relays its outbox to the
//! broker; `notes` handles the events it subscribes to (`UserSignedUp`: a welcome
//! note for the new user).

use std::future::Future;

use futures::FutureExt;

use super::Events;
use crate::db::Db;
use crate::jobs::Jobs;

/// Runs this service's event work until `shutdown` completes.
pub async fn run(
    events: Events,
    db: Db,
    jobs: Jobs,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let shutdown = shutdown.shared();
    #[cfg(feature = "identity")]
    let relayed = super::outbox::relay(
        events.clone(),
        db.clone(),
        events.poll_interval(),
        shutdown.clone(),
    );
    #[cfg(not(feature = "identity"))]
    let relayed = async { anyhow::Ok(()) };
    #[cfg(feature = "notes")]
    let subscribed = events.subscribe("notes", |event| welcome(&db, &jobs, event), shutdown);
    #[cfg(not(feature = "notes"))]
    let subscribed = async {
        let _ = (&events, &jobs);
        shutdown.await;
        anyhow::Ok(())
    };
    let (relayed, subscribed) = tokio::join!(relayed, subscribed);
    relayed.and(subscribed)
}

/// The first note of every user: proof that `identity`'s event reached `notes`.
#[cfg(feature = "notes")]
#[tracing::instrument(skip_all, fields(event_id = %event.event_id, user_id = %event.user_id))]
pub async fn welcome(db: &Db, jobs: &Jobs, event: contracts::UserSignedUp) -> anyhow::Result<()> {
    use contracts::Event;

    if super::handled::seen(db, event.event_id).await? {
        tracing::debug!("event already handled");
        return Ok(());
    }
    let greeting = match &event.email {
        Some(email) => format!("Welcome, {email}! Your notes live here."),
        None => "Welcome! Your notes live here.".to_owned(),
    };
    let body = crate::notes::NoteBody::parse(&greeting)?;
    crate::notes::create(db, jobs, event.user_id, body).await?;
    super::handled::record(db, event.event_id, contracts::UserSignedUp::NAME).await
}
