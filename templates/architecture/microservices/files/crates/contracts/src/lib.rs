//! The events the services publish, as they travel on the wire (JSON).
//!
//! Every event carries its own `event_id`: delivery is at least once, so a
//! subscriber skips an id it has already handled.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An event one service publishes and others may subscribe to.
pub trait Event: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Stable name: the topic the event travels on (`user_signed_up`).
    const NAME: &'static str;

    /// Unique per event, the same on every redelivery.
    fn event_id(&self) -> Uuid;
}

/// `identity` published it: a user has signed up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSignedUp {
    pub event_id: Uuid,
    pub user_id: Uuid,
    /// The user's e-mail address, when they gave one (a provider may not share it).
    pub email: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

impl UserSignedUp {
    pub fn new(user_id: Uuid, email: Option<String>) -> Self {
        Self {
            event_id: Uuid::new_v4(),
            user_id,
            email,
            occurred_at: Utc::now(),
        }
    }
}

impl Event for UserSignedUp {
    const NAME: &'static str = "user_signed_up";

    fn event_id(&self) -> Uuid {
        self.event_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_signed_up_round_trips_as_json() {
        let event = UserSignedUp::new(Uuid::new_v4(), Some("ada@example.com".to_owned()));
        let json = serde_json::to_string(&event).unwrap();
        assert!(json.contains("\"email\":\"ada@example.com\""));
        assert_eq!(serde_json::from_str::<UserSignedUp>(&json).unwrap(), event);
        assert_ne!(
            UserSignedUp::new(event.user_id, event.email.clone()).event_id(),
            event.event_id()
        );
    }
}
