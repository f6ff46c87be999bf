//! Embeddings and similarity search (pgvector), through the REST API.
//! Needs a Postgres with pgvector (the compose file's and CI's image).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Note, TestApp, assert_problem, spawn_app};

const DIM: usize = 384;

/// A unit vector along `axis`, slightly tilted towards `tilt`.
fn direction(axis: usize, tilt: usize, amount: f32) -> Vec<f32> {
    let mut v = vec![0.0; DIM];
    v[axis] = 1.0;
    v[tilt] = amount;
    v
}

async fn embed(app: &TestApp, token: &str, note: &Note, embedding: &[f32]) -> StatusCode {
    app.client
        .put(format!("{}/notes/{}/embedding", app.address, note.id))
        .bearer_auth(token)
        .json(&json!({ "embedding": embedding }))
        .send()
        .await
        .unwrap()
        .status()
}

async fn similar(app: &TestApp, token: &str, embedding: &[f32]) -> reqwest::Response {
    app.client
        .post(format!("{}/notes/similar", app.address))
        .bearer_auth(token)
        .json(&json!({ "embedding": embedding, "limit": 2 }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_closest_notes_come_first_and_only_mine() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let other = app.new_user().await;
    let mut mine = Vec::new();
    for body in ["cats", "kittens", "taxes"] {
        mine.push(
            app.create_note(&me.access_token, body)
                .await
                .json::<Note>()
                .await
                .unwrap(),
        );
    }
    let theirs: Note = app
        .create_note(&other.access_token, "their cats")
        .await
        .json()
        .await
        .unwrap();
    for (note, v) in [
        (&mine[0], direction(0, 1, 0.0)),
        (&mine[1], direction(0, 1, 0.3)),
        (&mine[2], direction(2, 3, 0.0)),
    ] {
        assert_eq!(
            embed(&app, &me.access_token, note, &v).await,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(
        embed(&app, &other.access_token, &theirs, &direction(0, 1, 0.0)).await,
        StatusCode::NO_CONTENT
    );

    let res = similar(&app, &me.access_token, &direction(0, 1, 0.1)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let found: Vec<Value> = res.json().await.unwrap();
    let bodies: Vec<&str> = found
        .iter()
        .map(|f| f["note"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["cats", "kittens"]);
    assert!(found[0]["distance"].as_f64().unwrap() < found[1]["distance"].as_f64().unwrap());
}

#[tokio::test]
async fn embeddings_are_validated_and_private() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let other = app.new_user().await;
    let mine: Note = app
        .create_note(&me.access_token, "mine")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        embed(&app, &me.access_token, &mine, &[1.0, 2.0]).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        embed(&app, &other.access_token, &mine, &direction(0, 1, 0.0)).await,
        StatusCode::NOT_FOUND
    );
    let res = similar(&app, &me.access_token, &[0.0; DIM]).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
}
