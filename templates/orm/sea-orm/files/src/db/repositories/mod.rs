//! Queries on the platform's own tables. Each function is instrumented so
//! database calls appear as spans in traces.

pub mod failed_jobs;
