//! Note activity per time bucket (TimescaleDB), through the REST API.
//! Needs a Postgres with TimescaleDB (the compose file's and CI's image).

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn new_notes_are_counted_per_bucket_and_only_mine() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let other = app.new_user().await;
    for body in ["one", "two", "three"] {
        let res = app.create_note(&me.access_token, body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let res = app.create_note(&other.access_token, "theirs").await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let res = app
        .get_authed("/notes/activity?bucket=hour&days=1", &me.access_token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let points: Vec<Value> = res.json().await.unwrap();
    let total: i64 = points.iter().map(|p| p["notes"].as_i64().unwrap()).sum();
    assert_eq!(total, 3, "{points:?}");
    assert!(points.iter().all(|p| p["bucket"].is_string()));
}

#[tokio::test]
async fn activity_parameters_are_validated() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let res = app
        .get_authed("/notes/activity?bucket=week", &me.access_token)
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app.get("/notes/activity").await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
}
