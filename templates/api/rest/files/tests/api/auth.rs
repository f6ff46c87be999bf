use reqwest::StatusCode;

use crate::support::{PASSWORD, Tokens, assert_problem, spawn_app, spawn_app_with, unique_email};

#[tokio::test]
async fn sign_up_log_in_and_me() {
    let app = spawn_app().await;
    let email = unique_email();
    let res = app.sign_up(&email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let user: serde_json::Value = res.json().await.unwrap();
    assert_eq!(user["email"], email);

    let tokens: Tokens = app.log_in(&email, PASSWORD).await.json().await.unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.expires_in > 0);

    let me: serde_json::Value = app
        .get_authed("/me", &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], user["id"]);
}

#[tokio::test]
async fn duplicate_sign_up_is_conflict() {
    let app = spawn_app().await;
    let email = unique_email();
    assert_eq!(
        app.sign_up(&email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    assert_problem(
        app.sign_up(&email.to_uppercase(), PASSWORD).await,
        StatusCode::CONFLICT,
    )
    .await;
}

#[tokio::test]
async fn wrong_password_is_401() {
    let app = spawn_app().await;
    let email = unique_email();
    app.sign_up(&email, PASSWORD).await;
    assert_problem(
        app.log_in(&email, "not the password").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_problem(
        app.log_in(&unique_email(), PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn validation_errors_are_problem_json() {
    let app = spawn_app().await;
    let body = assert_problem(
        app.sign_up("not-an-email", PASSWORD).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["type"], "urn:problem-type:validation-error");
    assert_eq!(body["errors"][0]["field"], "email");

    let body = assert_problem(
        app.sign_up(&unique_email(), "short").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "password");

    // Malformed JSON is a problem too.
    let res = app
        .client
        .post(app.url("/auth/signup"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn missing_or_bad_token_is_401() {
    let app = spawn_app().await;
    let res = app.get("/notes").await;
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
    assert_problem(
        app.get_authed("/notes", "not-a-jwt").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let res = app
        .client
        .get(app.url("/me"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let first = app.new_user().await;

    // Rotation: the new pair works, the new access token is valid.
    let res = app.refresh(&first.refresh_token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second: Tokens = res.json().await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        app.get_authed("/me", &second.access_token).await.status(),
        StatusCode::OK
    );

    // Reusing the rotated-out token is detected...
    let body = assert_problem(
        app.refresh(&first.refresh_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(body["type"], "urn:problem-type:refresh-token-reused");

    // ...and revokes the whole family, including the latest token.
    assert_problem(
        app.refresh(&second.refresh_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn other_sessions_survive_reuse_in_one_family() {
    let app = spawn_app().await;
    let email = unique_email();
    app.sign_up(&email, PASSWORD).await;
    let a: Tokens = app.log_in(&email, PASSWORD).await.json().await.unwrap();
    let b: Tokens = app.log_in(&email, PASSWORD).await.json().await.unwrap();
    app.refresh(&a.refresh_token).await;
    app.refresh(&a.refresh_token).await; // reuse: family A revoked
    assert_eq!(app.refresh(&b.refresh_token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn log_out_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let tokens = app.new_user().await;
    assert_eq!(
        app.log_out(&tokens.refresh_token).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.refresh(&tokens.refresh_token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Idempotent.
    assert_eq!(
        app.log_out(&tokens.refresh_token).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn garbage_refresh_token_is_401() {
    let app = spawn_app().await;
    assert_problem(app.refresh("nope").await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn auth_routes_are_rate_limited() {
    let app = spawn_app_with(|c| {
        c.auth.rate_limit_burst = 2;
        c.auth.rate_limit_period_ms = 60_000;
    })
    .await;
    let email = unique_email();
    for _ in 0..2 {
        app.log_in(&email, PASSWORD).await;
    }
    let res = app.log_in(&email, PASSWORD).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    // Other routes are not limited.
    assert_eq!(app.get("/health").await.status(), StatusCode::OK);
}
