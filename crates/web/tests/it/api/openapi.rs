//! `/api/openapi.json`, snapshot-tested so every API change is a reviewed diff.

use switchboard_testkit::{DbKind, TestApp};

#[tokio::test]
async fn openapi_document_is_served_and_stable() {
    let app = TestApp::start(DbKind::Sqlite).await;
    let response = reqwest::get(app.at("/api/openapi.json")).await.expect("openapi");
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/groups/{id}/members",
        "/api/v1/workspace/settings",
        "/api/v1/me/developer-mode",
    ] {
        assert!(doc["paths"].get(path).is_some(), "documents {path}");
    }
    insta::assert_json_snapshot!("openapi", doc);
}
