//! Sign-up, log-in, refresh rotation and log-out through GraphQL mutations.

use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, spawn_app, spawn_app_with, unique_email};

const SIGN_UP: &str = "mutation($email: String!, $password: String!) { \
                       signUp(email: $email, password: $password) { id email } }";
const LOG_IN: &str = "mutation($email: String!, $password: String!) { \
                      logIn(email: $email, password: $password) { accessToken refreshToken } }";
const REFRESH: &str =
    "mutation($token: String!) { refresh(refreshToken: $token) { accessToken refreshToken } }";
const LOG_OUT: &str = "mutation($token: String!) { logOut(refreshToken: $token) }";

async fn refresh(app: &TestApp, token: &str) -> crate::support::client::Reply {
    app.graphql(None, REFRESH, json!({ "token": token })).await
}

fn refresh_token(data: &Value, field: &str) -> String {
    data[field]["refreshToken"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

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
    let reply = app
        .graphql(
            None,
            SIGN_UP,
            json!({ "email": email.to_uppercase(), "password": PASSWORD }),
        )
        .await;
    assert_eq!(reply.code(), "CONFLICT");
}

#[tokio::test]
async fn bad_credentials_and_input_have_codes() {
    let app = spawn_app().await;
    let email = unique_email();
    app.sign_up_ok(&email, PASSWORD).await;
    let wrong = app
        .graphql(
            None,
            LOG_IN,
            json!({ "email": email, "password": "not the password" }),
        )
        .await;
    assert_eq!(wrong.code(), "UNAUTHENTICATED");
    let short = app
        .graphql(
            None,
            SIGN_UP,
            json!({ "email": unique_email(), "password": "short" }),
        )
        .await;
    assert_eq!(short.code(), "BAD_USER_INPUT");
    assert_eq!(short.errors[0]["extensions"]["field"], "password");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_login() {
    let app = spawn_app().await;
    let email = unique_email();
    app.sign_up_ok(&email, PASSWORD).await;
    let first = app.log_in_ok(&email, PASSWORD).await.refresh_token;

    let data = refresh(&app, &first).await.ok("refresh");
    let second = refresh_token(&data, "refresh");
    assert_ne!(first, second);

    // Presenting the rotated-out token again revokes the whole login.
    assert_eq!(refresh(&app, &first).await.code(), "REFRESH_TOKEN_REUSED");
    assert_eq!(refresh(&app, &second).await.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn log_out_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let email = unique_email();
    app.sign_up_ok(&email, PASSWORD).await;
    let token = app.log_in_ok(&email, PASSWORD).await.refresh_token;
    let data = app
        .graphql(None, LOG_OUT, json!({ "token": token }))
        .await
        .ok("logOut");
    assert_eq!(data["logOut"], true);
    assert_eq!(refresh(&app, &token).await.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn auth_mutations_are_rate_limited_per_client() {
    let app = spawn_app_with(|c| {
        c.auth.rate_limit_period_ms = 60_000;
        c.auth.rate_limit_burst = 2;
    })
    .await;
    let credentials = json!({ "email": unique_email(), "password": "wrong password" });
    for _ in 0..2 {
        let reply = app.graphql(None, LOG_IN, credentials.clone()).await;
        assert_eq!(reply.code(), "UNAUTHENTICATED");
    }
    let limited = app.graphql(None, LOG_IN, credentials).await;
    assert_eq!(limited.code(), "RATE_LIMITED");
    assert!(limited.errors[0]["extensions"]["retryAfterSecs"].as_u64() > Some(0));
    // Queries are not rate-limited.
    let tokens_free = app.graphql(None, "{ __typename }", json!({})).await;
    assert!(tokens_free.errors.is_empty());
}
