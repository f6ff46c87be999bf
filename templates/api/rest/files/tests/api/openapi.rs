use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn openapi_document_lists_the_routes() {
    let app = spawn_app().await;
    let res = app.get("/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/auth/signup",
        "/auth/login",
        "/auth/refresh",
        "/auth/logout",
        "/notes",
        "/notes/{id}",
        "/me",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn docs_page_is_served() {
    let app = spawn_app().await;
    let res = app.get("/docs").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().to_lowercase().contains("<html"));
}
