//! `/api/v1/doctor`: readiness reports for real servers, in the exact JSON shape the
//! UI reads, under the workspace's network policy.

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::connectors::{developer, post};
use super::{assert_problem, on_both_backends, send};

async fn doctor(app: &TestApp, who: &Signed, url: &str) -> (reqwest::StatusCode, Value) {
    send(post(app, who, "/api/v1/doctor", json!({"url": url}))).await
}

fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v.as_object().expect("an object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// Exactly `{url, ok, transport, protocol_version, server, checks: [{id, title, status, detail, hint}]}`.
#[track_caller]
fn assert_report_shape(report: &Value) {
    assert_eq!(keys(report), ["checks", "ok", "protocol_version", "server", "transport", "url"], "{report}");
    assert!(report["url"].is_string() && report["ok"].is_boolean(), "{report}");
    for nullable in ["transport", "protocol_version"] {
        assert!(report[nullable].is_string() || report[nullable].is_null(), "{nullable} in {report}");
    }
    if !report["server"].is_null() {
        assert_eq!(keys(&report["server"]), ["name", "version"]);
        assert!(report["server"]["name"].is_string() && report["server"]["version"].is_string());
    }
    let checks = report["checks"].as_array().expect("checks");
    assert!(!checks.is_empty());
    for c in checks {
        assert_eq!(keys(c), ["detail", "hint", "id", "status", "title"], "{c}");
        assert!(["pass", "warn", "fail"].contains(&c["status"].as_str().expect("status")), "{c}");
        assert!(c["hint"].is_string() || c["hint"].is_null(), "{c}");
        assert!(c["id"].is_string() && c["title"].is_string() && c["detail"].is_string(), "{c}");
    }
    let failed = checks.iter().any(|c| c["status"] == "fail");
    assert_eq!(report["ok"], !failed, "ok is true exactly when no check failed: {report}");
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("{id} in {report}"))
}

mod reports_under_the_workspace_policy {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let kanban = PeerProcess::kanban();
        let app = TestApp::start(kind).await;
        let dev = developer(&app, "dev@example.com").await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;

        let (status, report) = doctor(&app, &dev, &kanban.url).await;
        assert_eq!(status, 200, "{report}");
        assert_report_shape(&report);
        assert_eq!(report["url"], kanban.url);
        assert_eq!(report["ok"], true);
        assert_eq!(report["transport"], "streamable_http");
        assert_eq!(report["protocol_version"], "2026-07-28");
        assert_eq!(report["server"]["name"], "kanban");
        let ids: Vec<&str> =
            report["checks"].as_array().expect("checks").iter().filter_map(|c| c["id"].as_str()).collect();
        assert_eq!(
            ids,
            [
                "reachability",
                "transport",
                "protocol_versions",
                "auth",
                "tool_count",
                "names",
                "schema",
                "annotations",
                "descriptions",
                "parameters",
                "tasks"
            ]
        );
        for c in report["checks"].as_array().expect("checks") {
            assert_eq!((&c["status"], &c["hint"]), (&json!("pass"), &Value::Null), "{c}");
        }
        assert_eq!(check(&report, "tool_count")["detail"], "7 tools (4 read, 3 write)");

        // Who may run it: whoever may create a connector.
        assert_problem(&doctor(&app, &auditor, &kanban.url).await, 403, "developer_mode_required");
        let (status, refused) = doctor(&app, &admin, "http://169.254.169.254/mcp").await;
        assert_eq!(status, 200, "an admin needs no developer mode: {refused}");
        assert_report_shape(&refused);
        assert_eq!(refused["ok"], false);
        assert_eq!(
            (&refused["transport"], &refused["protocol_version"], &refused["server"]),
            (&Value::Null, &Value::Null, &Value::Null)
        );
        let reach = check(&refused, "reachability");
        assert_eq!(reach["status"], "fail");
        assert_eq!(
            reach["detail"],
            "169.254.169.254 is a cloud metadata address, which this workspace does not allow connecting to"
        );
        assert!(reach["hint"].as_str().is_some_and(|h| h.contains("metadata addresses stay refused")), "{reach}");

        // The workspace's policy applies: refuse private addresses, and the local server is refused.
        let strict =
            json!({"network": {"allow_private": false, "allow_link_local": false, "allow_cloud_metadata": false}});
        let put = admin.client.put(app.at("/api/v1/workspace/settings")).headers(admin.csrf_headers()).json(&strict);
        assert_eq!(send(put).await.0, 200);
        let (status, report) = doctor(&app, &dev, &kanban.url).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["ok"], false);
        let reach = check(&report, "reachability");
        assert_eq!(reach["status"], "fail");
        assert!(reach["detail"].as_str().is_some_and(|d| d.starts_with("127.0.0.1 is a loopback address")), "{reach}");
    }
}

mod bad_requests {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let dev = developer(&app, "dev@example.com").await;
        let raw = |body: &str| {
            dev.client
                .post(app.at("/api/v1/doctor"))
                .headers(dev.csrf_headers())
                .header("content-type", "application/json")
                .body(body.to_owned())
        };
        assert_problem(&send(raw("{")).await, 400, "invalid_json");
        assert_problem(&send(raw("{}")).await, 422, "invalid_input");
        assert_problem(&send(raw(r#"{"url": "http://x/mcp", "extra": 1}"#)).await, 422, "invalid_input");
        for url in ["ftp://127.0.0.1/mcp", "not a url", "file:///etc/passwd", "javascript:alert(1)"] {
            let got = doctor(&app, &dev, url).await;
            assert_problem(&got, 422, "invalid_input");
        }
        // Without the CSRF header a cookie-authenticated POST is refused before anything runs.
        let no_csrf = dev.client.post(app.at("/api/v1/doctor")).json(&json!({"url": "http://127.0.0.1:1/mcp"}));
        assert_problem(&send(no_csrf).await, 403, "csrf_token_invalid");
        // Signed out: 401.
        let anonymous =
            TestApp::client().post(app.at("/api/v1/doctor")).json(&json!({"url": "http://127.0.0.1:1/mcp"}));
        assert_problem(&send(anonymous).await, 401, "not_signed_in");
    }
}

on_both_backends!(reports_under_the_workspace_policy, bad_requests);
