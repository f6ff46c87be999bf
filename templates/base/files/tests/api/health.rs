use reqwest::StatusCode;

use crate::support::spawn_app;

#[tokio::test]
async fn health_is_always_ok() {
    let app = spawn_app().await;
    let res = app.get("/health").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn ready_when_dependencies_answer() {
    let app = spawn_app().await;
    let res = app.get("/ready").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["queue"], "ok");
}

#[tokio::test]
async fn request_id_is_propagated() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "my-id-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "my-id-123");
}

#[tokio::test]
async fn unknown_route_is_problem_json_404() {
    let app = spawn_app().await;
    crate::support::assert_problem(app.get("/nope").await, StatusCode::NOT_FOUND).await;
}

/// The limit applies before routing, to every route of every API style.
#[tokio::test]
async fn an_oversized_body_is_problem_json_413() {
    let app = crate::support::spawn_app_with(|config| config.server.body_limit_bytes = 64).await;
    let res = app
        .client
        .post(app.url("/health"))
        .header("content-type", "application/json")
        .body(vec![b' '; 1024])
        .send()
        .await
        .unwrap();
    crate::support::assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn a_wrong_method_is_problem_json_405() {
    let app = spawn_app().await;
    let res = app.client.delete(app.url("/health")).send().await.unwrap();
    crate::support::assert_problem(res, StatusCode::METHOD_NOT_ALLOWED).await;
}
