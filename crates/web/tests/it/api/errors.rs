//! Bad input gets a clear problem+json answer and changes nothing.

use serde_json::json;
use switchboard_core::Role;
use switchboard_testkit::{DbKind, TestApp};

use super::{assert_problem, send};

#[tokio::test]
async fn malformed_unknown_and_oversized_requests() {
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.max_body_bytes = 64 * 1024;
        c
    })
    .await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let groups = || admin.client.post(app.at("/api/v1/groups")).headers(admin.csrf_headers());

    let malformed = send(groups().header("content-type", "application/json").body("{\"name\": ")).await;
    assert_problem(&malformed, 400, "invalid_json");
    let response = groups().header("content-type", "application/json").body("{").send().await.expect("sent");
    assert_eq!(response.headers()["content-type"], "application/problem+json");

    assert_problem(&send(groups().body("name=x")).await, 415, "unsupported_media_type");
    assert_problem(&send(groups().json(&json!({"name": "x", "colour": "red"}))).await, 422, "invalid_input");
    assert_problem(&send(groups().json(&json!({"name": 7}))).await, 422, "invalid_input");
    let huge = json!({"name": "x".repeat(100 * 1024)});
    assert_problem(&send(groups().json(&huge)).await, 413, "payload_too_large");
    assert!(app.store.list_groups().await.expect("listed").is_empty(), "nothing was created");

    assert_problem(&send(admin.client.get(app.at("/api/v1/nothing-here"))).await, 404, "not_found");
    assert_problem(&send(admin.client.get(app.at("/no/such/page"))).await, 404, "not_found");
    assert_problem(
        &send(admin.client.patch(app.at("/api/v1/groups")).headers(admin.csrf_headers())).await,
        405,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn cross_site_requests_cannot_change_state() {
    let app = TestApp::start(DbKind::Sqlite).await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let body = json!({"name": "from elsewhere"});

    let no_csrf = admin.client.post(app.at("/api/v1/groups")).json(&body);
    assert_problem(&send(no_csrf).await, 403, "csrf_token_invalid");
    let wrong_csrf = admin.client.post(app.at("/api/v1/groups")).header("x-csrf-token", "guess").json(&body);
    assert_problem(&send(wrong_csrf).await, 403, "csrf_token_invalid");
    let other_origin = admin
        .client
        .post(app.at("/api/v1/groups"))
        .headers(admin.csrf_headers())
        .header("origin", "http://evil.example")
        .json(&body);
    assert_problem(&send(other_origin).await, 403, "cross_origin");
    let cross_site = admin
        .client
        .post(app.at("/api/v1/groups"))
        .headers(admin.csrf_headers())
        .header("sec-fetch-site", "cross-site")
        .json(&body);
    assert_problem(&send(cross_site).await, 403, "cross_origin");
    // DNS rebinding: a page on another name resolving to us is refused outright.
    let rebound = admin.client.get(app.at("/api/v1/me")).header("host", "evil.example:80");
    assert_problem(&send(rebound).await, 421, "host_not_allowed");
    assert!(app.store.list_groups().await.expect("listed").is_empty());

    // The same request from our own origin goes through.
    let ours = admin
        .client
        .post(app.at("/api/v1/groups"))
        .headers(admin.csrf_headers())
        .header("origin", &app.url)
        .json(&body);
    assert_eq!(send(ours).await.0, 201);
    // Reads need no CSRF token.
    assert_eq!(send(admin.client.get(app.at("/api/v1/groups"))).await.0, 200);
}

#[tokio::test]
async fn pages_carry_strict_security_headers() {
    let app = TestApp::start(DbKind::Sqlite).await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    for path in [
        "/chat",
        "/settings/apps",
        "/settings/account",
        "/settings/tokens",
        "/workspace/members",
        "/workspace/groups",
        "/workspace/permissions",
    ] {
        let response = admin.client.get(app.at(path)).send().await.expect("page");
        assert_eq!(response.status(), 200, "{path}");
        let csp = response.headers()["content-security-policy"].to_str().expect("ascii").to_owned();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let html = response.text().await.expect("html");
        assert!(
            !html.contains("<script>") && !html.contains(" style=\"") && !html.contains("onclick"),
            "{path} has inline script or style"
        );
        assert!(html.contains(&admin.csrf), "{path} carries the CSRF token for its scripts");
    }
    let member = app.signed_in("member@example.com", Role::Member).await;
    let response = member.client.get(app.at("/workspace/members")).send().await.expect("page");
    assert_eq!(response.status(), 403, "members do not see workspace settings");
    assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/html"), "a page, not JSON");
    assert!(response.text().await.expect("html").contains("Not for your role"));
    let response = member.client.get(app.at("/settings/nonsense")).send().await.expect("page");
    assert_eq!(response.status(), 404);
    assert!(response.text().await.expect("html").contains("Page not found"));
    let html = member.client.get(app.at("/chat")).send().await.expect("page").text().await.expect("html");
    assert!(!html.contains("/workspace/members"), "no Workspace link for members");
}

#[tokio::test]
async fn names_are_rendered_as_text() {
    let app = TestApp::start(DbKind::Sqlite).await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let hostile = "<img src=x onerror=alert(1)>";
    app.store.create_group(hostile).await.expect("group");
    let html = admin.client.get(app.at("/workspace/groups")).send().await.expect("page").text().await.expect("html");
    assert!(!html.contains(hostile), "the group name is escaped");
    assert!(
        html.contains("&#60;img src=x onerror=alert(1)&#62;") || html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "escaped name present"
    );
}
