//! What a public GraphQL endpoint needs: depth and complexity limits, the body size
//! limit, introspection and GraphiQL only when configured, and a schema file that
//! matches the code.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{assert_problem, spawn_app, spawn_app_with};

/// A selection nested `depth` levels deep (`__type` → `ofType` → …).
fn nested(depth: usize) -> String {
    let mut query = String::from("name");
    for _ in 0..depth {
        query = ["ofType { ", &query, " }"].concat();
    }
    ["{ __type(name: \"Note\") { ", &query, " } }"].concat()
}

#[tokio::test]
async fn queries_nested_too_deep_are_refused() {
    let app = spawn_app_with(|c| c.api.max_depth = 5).await;
    let token = app.new_user().await.access_token;
    let shallow = app.graphql(Some(&token), &nested(2), json!({})).await;
    assert!(shallow.errors.is_empty(), "{:?}", shallow.errors);
    let deep = app.graphql(Some(&token), &nested(8), json!({})).await;
    assert!(deep.data.is_null());
    assert_eq!(deep.code(), "GRAPHQL_VALIDATION_FAILED");
    assert!(
        deep.errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nested too deep")),
        "{:?}",
        deep.errors
    );
}

#[tokio::test]
async fn queries_too_complex_are_refused() {
    let app = spawn_app_with(|c| c.api.max_complexity = 50).await;
    let token = app.new_user().await.access_token;
    let small = app
        .graphql(
            Some(&token),
            "{ notes(perPage: 5) { items { id body } } }",
            json!({}),
        )
        .await;
    assert!(small.errors.is_empty(), "{:?}", small.errors);
    // A page of 100 notes with five fields each costs well over 50.
    let big = app
        .graphql(
            Some(&token),
            "{ notes(perPage: 100) { items { id body wordCount processedAt createdAt } } }",
            json!({}),
        )
        .await;
    assert!(big.data.is_null());
    assert_eq!(big.code(), "GRAPHQL_VALIDATION_FAILED");
    assert!(
        big.errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("too complex")),
        "{:?}",
        big.errors
    );
}

#[tokio::test]
async fn an_oversized_query_is_413() {
    let app = spawn_app_with(|c| c.server.body_limit_bytes = 256).await;
    let padding = " ".repeat(1024);
    let res = app
        .graphql_response(None, &["{ __typename", &padding, "}"].concat(), json!({}))
        .await;
    assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn introspection_and_graphiql_follow_the_setting() {
    let app = spawn_app().await;
    let page = app.get("/graphql").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("graphiql"));
    let schema = app
        .graphql(None, "{ __schema { queryType { name } } }", json!({}))
        .await
        .ok("introspection");
    assert_eq!(schema["__schema"]["queryType"]["name"], "Query");

    let closed = spawn_app_with(|c| c.api.introspection = false).await;
    let refused = closed
        .graphql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(
        refused.data["__schema"].is_null(),
        "introspection must be off: {:?}",
        refused.data
    );
    assert_problem(closed.get("/graphql").await, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test]
async fn the_served_schema_is_the_checked_in_file() {
    let app = spawn_app().await;
    let sdl =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    let data = app
        .graphql(
            None,
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await
        .ok("introspection");
    let served: Vec<&str> = data["__schema"]["mutationType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    for name in &served {
        assert!(
            sdl.contains(&format!("\t{name}(")),
            "mutation {name} is served but not in schema.graphql"
        );
    }
    assert!(served.contains(&"createNote"));
}
