//! Repositories: the only place that builds queries. Each function is
//! instrumented so DB calls appear as spans in traces.

pub mod failed_jobs;
pub mod notes;
pub mod refresh_tokens;
pub mod users;
