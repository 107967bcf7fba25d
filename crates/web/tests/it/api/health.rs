//! `/healthz`, `/readyz`, `/metrics`.

use switchboard_testkit::{DbKind, TestApp};

use super::{assert_problem, send};

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::start(DbKind::Sqlite).await;
    let client = reqwest::Client::new();
    let (status, body) = send(client.get(app.at("/healthz"))).await;
    assert_eq!((status.as_u16(), body["status"].as_str()), (200, Some("ok")));
    let (status, body) = send(client.get(app.at("/readyz"))).await;
    assert_eq!((status.as_u16(), body["status"].as_str()), (200, Some("ready")));
    send(client.get(app.at("/api/v1/me"))).await;

    let response = client.get(app.at("/metrics")).send().await.expect("metrics");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.expect("text");
    assert!(
        text.contains("switchboard_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("switchboard_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"401\"} 1"),
        "{text}"
    );
    assert!(text.contains("# TYPE switchboard_http_request_duration_seconds histogram"));

    // Probes answer whatever Host a load balancer uses.
    let by_ip = client.get(app.at("/healthz")).header("host", "10.1.2.3:8080");
    assert_eq!(send(by_ip).await.0, 200);

    // With the database gone, readiness says so and liveness does not.
    app.store.close().await;
    assert_problem(&send(client.get(app.at("/readyz"))).await, 503, "unavailable");
    assert_eq!(send(client.get(app.at("/healthz"))).await.0, 200);
}

/// Every page, chat included, has the one strict policy (no remote image), and the
/// stylesheet's braces balance (one stray `}` silently drops every rule after it).
#[tokio::test]
async fn every_page_has_the_strict_csp_and_the_stylesheet_is_well_formed() {
    let app = TestApp::start(DbKind::Sqlite).await;
    let me = app.signed_in("owner@example.com", switchboard_core::Role::Owner).await;
    let anonymous = TestApp::client();
    for (client, path) in [
        (&anonymous, "/login"),
        (&me.client, "/chat"),
        (&me.client, "/settings/account"),
        (&me.client, "/workspace/members"),
        (&me.client, "/workspace/audit"),
    ] {
        let response = client.get(app.at(path)).send().await.expect("page");
        assert_eq!(response.status(), 200, "{path}");
        let csp = response.headers()["content-security-policy"].to_str().expect("ascii").to_owned();
        assert!(csp.contains("img-src 'self' data:;"), "{path}: {csp}");
        assert!(!csp.contains("http"), "{path}: no remote origin is allowed: {csp}");
    }
    let css = reqwest::get(app.at("/static/app.css")).await.expect("css").text().await.expect("text");
    // Comments out, then every `}` must close an open `{`, and all must be closed.
    let mut code = String::new();
    let mut rest = css.as_str();
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        rest = rest[start..].split_once("*/").map_or("", |(_, after)| after);
    }
    code.push_str(rest);
    let mut depth = 0i32;
    for (line, text) in code.lines().enumerate() {
        for c in text.chars() {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            assert!(depth >= 0, "an unmatched `}}` in app.css near: {text} (line {} without comments)", line + 1);
        }
    }
    assert_eq!(depth, 0, "every `{{` in app.css is closed");
}
