//! Fuzzy search over notes (pg_trgm), through `GET /notes/search`.

use reqwest::StatusCode;

use crate::helpers::{Note, assert_problem, spawn_app};

#[tokio::test]
async fn search_tolerates_typos_ranks_and_stays_within_my_notes() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let other = app.new_user().await;
    for body in [
        "Buy milk and eggs",
        "Call the plumber about the kitchen leak",
    ] {
        let res = app.create_note(&me.access_token, body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let res = app
        .create_note(&other.access_token, "Plumber invoice for the other user")
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let res = app
        .get_authed("/notes/search?q=plumbr", &me.access_token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let found: Vec<Note> = res.json().await.unwrap();
    let bodies: Vec<&str> = found.iter().map(|n| n.body.as_str()).collect();
    assert_eq!(bodies, ["Call the plumber about the kitchen leak"]);

    let res = app
        .get_authed(
            "/notes/search?q=eggs%20and%20milk&limit=5",
            &me.access_token,
        )
        .await;
    let found: Vec<Note> = res.json().await.unwrap();
    assert_eq!(
        found.first().map(|n| n.body.as_str()),
        Some("Buy milk and eggs")
    );

    let res = app
        .get_authed("/notes/search?q=zebra%20crossing", &me.access_token)
        .await;
    let found: Vec<Note> = res.json().await.unwrap();
    assert!(found.is_empty(), "nothing like it: {found:?}");
}

#[tokio::test]
async fn search_needs_a_token_and_a_sensible_query() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let res = app.get("/notes/search?q=milk").await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
    let res = app.get_authed("/notes/search?q=m", &me.access_token).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .get_authed("/notes/search?q=milk&limit=500", &me.access_token)
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
}
