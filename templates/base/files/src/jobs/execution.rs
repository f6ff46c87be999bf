//! How every queue backend runs a job, whatever the backend.
//!
//! Queues carry an [`Envelope`]: the job and the trace of the request that
//! queued it. Every queue implementation calls [`execute`] for each attempt, so
//! job spans (linked to that request's trace) and the `jobs_total` /
//! `job_duration_seconds` metrics are the same whatever the backend;
//! [`record_failure`] stores jobs that ran out of retries in the `failed_jobs`
//! table, where operators can query them.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::db::{Db, repositories};
use crate::domain::jobs::{Enqueue, Job};
use crate::{notes, telemetry};

/// The contexts see the queue backend only as their [`Enqueue`] port.
impl Enqueue for super::Jobs {
    async fn enqueue(&self, job: Job) -> anyhow::Result<()> {
        super::Jobs::enqueue(self, job).await
    }
}

/// A job as a queue stores it: the job and the W3C `traceparent` of the span
/// that queued it, so the job's span links back to the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(flatten)]
    pub job: Job,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_parent: Option<String>,
}

impl Envelope {
    /// Wraps `job` with the current span's trace context.
    pub fn new(job: Job) -> Self {
        Self {
            job,
            trace_parent: telemetry::trace_parent(),
        }
    }
}

/// Runs one attempt of a queued job inside a span (linked to the trace that
/// queued it) and records metrics.
pub async fn execute(db: &Db, envelope: &Envelope, attempt: usize) -> anyhow::Result<()> {
    let job = &envelope.job;
    let name = job.name();
    let span = tracing::info_span!(
        "job",
        job = name,
        attempt,
        otel.name = name,
        otel.kind = "consumer"
    );
    if let Some(trace_parent) = &envelope.trace_parent {
        telemetry::link(&span, trace_parent);
    }
    let started = Instant::now();
    let result = async {
        let result = handle(db, job).await;
        match &result {
            Ok(()) => tracing::info!("job succeeded"),
            Err(e) => tracing::warn!(error = %e, "job attempt failed"),
        }
        result
    }
    .instrument(span)
    .await;
    let outcome = if result.is_ok() {
        "succeeded"
    } else {
        "failed"
    };
    metrics::counter!("jobs_total", "job" => name, "outcome" => outcome).increment(1);
    metrics::histogram!("job_duration_seconds", "job" => name)
        .record(started.elapsed().as_secs_f64());
    result
}

/// Dispatches a job to its handler.
pub async fn handle(db: &Db, job: &Job) -> anyhow::Result<()> {
    match job {
        Job::ProcessNote { note_id } => notes::process(db, *note_id).await,
    }
}

/// Records a job that exhausted its retries.
pub async fn record_failure(db: &Db, job: &Job, error: &anyhow::Error, attempts: usize) {
    tracing::error!(job = job.name(), attempts, error = %error, "job failed permanently");
    let payload = serde_json::to_value(job).unwrap_or(serde_json::Value::Null);
    let attempts = i32::try_from(attempts).unwrap_or(i32::MAX);
    if let Err(e) =
        repositories::failed_jobs::insert(db, job.name(), payload, &format!("{error:#}"), attempts)
            .await
    {
        tracing::error!(error = %e, "could not record failed job");
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn an_envelope_carries_the_job_and_its_trace_flat() {
        let id = Uuid::nil();
        let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let envelope = Envelope {
            job: Job::ProcessNote { note_id: id },
            trace_parent: Some(parent.to_owned()),
        };
        let v = serde_json::to_value(&envelope).unwrap();
        assert_eq!(v["type"], "process_note");
        assert_eq!(v["trace_parent"], parent);
        assert_eq!(serde_json::from_value::<Envelope>(v).unwrap(), envelope);

        let untraced: Envelope =
            serde_json::from_value(serde_json::json!({"type": "process_note", "note_id": id}))
                .unwrap();
        assert_eq!(untraced.trace_parent, None);
    }
}
