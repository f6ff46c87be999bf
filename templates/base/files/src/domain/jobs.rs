//! The background-job contract the contexts share: what a job is ([`Job`]) and
//! the port a context queues it through ([`Enqueue`]).
//!
//! Contexts queue work through [`Enqueue`], never through a queue backend: the
//! backend in `crate::jobs` implements it, and tests can pass a stand-in. How a
//! queued job is run (spans, metrics, the failed-jobs table) is the platform's
//! business: `crate::jobs::execution`.

use std::future::Future;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A unit of background work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Job {
    /// Compute derived data (word count) for a freshly created note.
    ProcessNote { note_id: Uuid },
}

impl Job {
    /// Stable name used in metrics, logs and the failed-jobs table.
    pub fn name(&self) -> &'static str {
        match self {
            Job::ProcessNote { .. } => "process_note",
        }
    }
}

/// Where a context hands over a job it wants done later.
pub trait Enqueue {
    /// Queues `job`; returns once the queue has accepted it.
    fn enqueue(&self, job: Job) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_serialises_with_a_type_tag() {
        let id = Uuid::nil();
        let v = serde_json::to_value(Job::ProcessNote { note_id: id }).unwrap();
        assert_eq!(v["type"], "process_note");
        assert_eq!(Job::ProcessNote { note_id: id }.name(), "process_note");
    }
}
