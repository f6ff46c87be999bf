//! Notes with a location and "near me" (PostGIS), through the REST API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Note, TestApp, assert_problem, spawn_app};

const PARIS: (f64, f64) = (48.8566, 2.3522);

async fn place(app: &TestApp, token: &str, note: &Note, (lat, lon): (f64, f64)) -> StatusCode {
    app.client
        .put(format!("{}/notes/{}/location", app.address, note.id))
        .bearer_auth(token)
        .json(&json!({"lat": lat, "lon": lon}))
        .send()
        .await
        .unwrap()
        .status()
}

async fn note(app: &TestApp, token: &str, body: &str) -> Note {
    app.create_note(token, body).await.json().await.unwrap()
}

fn near(lat: f64, lon: f64, radius_m: u32) -> String {
    format!("/notes/near?lat={lat}&lon={lon}&radius_m={radius_m}")
}

#[tokio::test]
async fn notes_near_a_point_come_nearest_first_with_their_distance() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let other = app.new_user().await;
    let louvre = note(&app, &me.access_token, "Louvre").await;
    let versailles = note(&app, &me.access_token, "Versailles").await;
    let london = note(&app, &me.access_token, "London").await;
    let _nowhere = note(&app, &me.access_token, "no location").await;
    let theirs = note(&app, &other.access_token, "their Paris note").await;
    for (n, at) in [
        (&louvre, (48.8606, 2.3376)),
        (&versailles, (48.8049, 2.1204)),
        (&london, (51.5074, -0.1278)),
    ] {
        assert_eq!(
            place(&app, &me.access_token, n, at).await,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(
        place(&app, &other.access_token, &theirs, PARIS).await,
        StatusCode::NO_CONTENT
    );

    let res = app
        .get_authed(&near(PARIS.0, PARIS.1, 5_000), &me.access_token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let found: Vec<Value> = res.json().await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["note"]["body"], "Louvre");
    let distance = found[0]["distance_m"].as_f64().unwrap();
    assert!((1_000.0..1_500.0).contains(&distance), "{distance}");

    let found: Vec<Value> = app
        .get_authed(&near(PARIS.0, PARIS.1, 30_000), &me.access_token)
        .await
        .json()
        .await
        .unwrap();
    let bodies: Vec<&str> = found
        .iter()
        .map(|f| f["note"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Louvre", "Versailles"]);
}

#[tokio::test]
async fn locations_are_validated_and_private() {
    let app = spawn_app().await;
    let me = app.new_user().await;
    let other = app.new_user().await;
    let mine = note(&app, &me.access_token, "mine").await;

    let res = app
        .client
        .put(format!("{}/notes/{}/location", app.address, mine.id))
        .bearer_auth(&me.access_token)
        .json(&json!({"lat": 123.0, "lon": 0.0}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        place(&app, &other.access_token, &mine, PARIS).await,
        StatusCode::NOT_FOUND
    );
    let res = app
        .get_authed(&near(PARIS.0, PARIS.1, 500_000), &me.access_token)
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app.get(&near(PARIS.0, PARIS.1, 1_000)).await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
}
