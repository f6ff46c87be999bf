//! Sign-up, log-in, refresh rotation and log-out through the `auth.*` procedures.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{PASSWORD, assert_problem, spawn_app, spawn_app_with, unique_email};

#[tokio::test]
async fn sign_up_log_in_and_me() {
    let app = spawn_app().await;
    let email = unique_email();
    let user = app.sign_up_ok(&email, PASSWORD).await;
    assert_eq!(user["email"], email);
    let tokens = app.log_in_ok(&email, PASSWORD).await;
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.expires_in > 0);
    let me = app.caller(&tokens.access_token).await.expect("me");
    assert_eq!(me["id"], user["id"]);
}

#[tokio::test]
async fn duplicate_sign_up_is_a_conflict() {
    let app = spawn_app().await;
    let email = unique_email();
    app.sign_up_ok(&email, PASSWORD).await;
    let res = app
        .rpc(
            "auth.signUp",
            None,
            json!({ "email": email.to_uppercase(), "password": PASSWORD }),
        )
        .await;
    let body = assert_problem(res, StatusCode::CONFLICT).await;
    assert_eq!(body["code"], "CONFLICT");
}

#[tokio::test]
async fn bad_credentials_and_input_have_codes() {
    let app = spawn_app().await;
    let email = unique_email();
    app.sign_up_ok(&email, PASSWORD).await;
    let res = app
        .rpc(
            "auth.logIn",
            None,
            json!({ "email": email, "password": "not the password" }),
        )
        .await;
    let body = assert_problem(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(body["code"], "UNAUTHENTICATED");
    let res = app
        .rpc(
            "auth.signUp",
            None,
            json!({ "email": unique_email(), "password": "short" }),
        )
        .await;
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "password");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_login() {
    let app = spawn_app().await;
    let email = unique_email();
    app.sign_up_ok(&email, PASSWORD).await;
    let first = app.log_in_ok(&email, PASSWORD).await.refresh_token;

    let rotated: Value = app
        .rpc_ok("auth.refresh", None, json!({ "refreshToken": first }))
        .await;
    let second = rotated["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(first, second);

    // Presenting the rotated-out token again revokes the whole login.
    let res = app
        .rpc("auth.refresh", None, json!({ "refreshToken": first }))
        .await;
    let body = assert_problem(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(body["code"], "REFRESH_TOKEN_REUSED");
    let res = app
        .rpc("auth.refresh", None, json!({ "refreshToken": second }))
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn log_out_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let email = unique_email();
    app.sign_up_ok(&email, PASSWORD).await;
    let token = app.log_in_ok(&email, PASSWORD).await.refresh_token;
    let out: Value = app
        .rpc_ok("auth.logOut", None, json!({ "refreshToken": token }))
        .await;
    assert!(out.is_null());
    let res = app
        .rpc("auth.refresh", None, json!({ "refreshToken": token }))
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn auth_procedures_are_rate_limited() {
    let app = spawn_app_with(|c| {
        c.auth.rate_limit_period_ms = 60_000;
        c.auth.rate_limit_burst = 2;
    })
    .await;
    let credentials = json!({ "email": unique_email(), "password": "wrong password" });
    for _ in 0..2 {
        let res = app.rpc("auth.logIn", None, credentials.clone()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.rpc("auth.logIn", None, credentials).await;
    assert!(res.headers().contains_key("retry-after"));
    let body = assert_problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["code"], "RATE_LIMITED");
}
