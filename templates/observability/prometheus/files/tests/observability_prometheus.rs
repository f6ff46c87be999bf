//! Prometheus-specific: `/metrics` exposes the documented metric names.
//! Owned by observability/prometheus; drop it with that module.

#[path = "api/helpers.rs"]
mod helpers;

use reqwest::StatusCode;

use helpers::{Note, spawn_app};

#[tokio::test]
async fn metrics_expose_http_and_job_series() {
    let app = spawn_app().await;
    let tokens = app.new_user().await;
    let note: Note = app
        .create_note(&tokens.access_token, "count these words")
        .await
        .json()
        .await
        .unwrap();
    app.wait_until_processed(&tokens.access_token, note.id)
        .await;

    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    for name in [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "jobs_total",
        "job_duration_seconds_bucket",
    ] {
        assert!(text.contains(name), "missing {name} in:\n{text}");
    }
    assert!(
        text.contains(r#"path="/notes/{id}""#),
        "route template label missing:\n{text}"
    );
    assert!(text.contains(r#"outcome="succeeded""#));
}
