//! `/oauth/client-metadata.json`: Switchboard's Client ID Metadata Document, and
//! connecting through an authorization server that fetches it (npm `oidc-provider`
//! with its `clientIdMetadataDocument` feature and no dynamic registration) in
//! front of the PyPI `mcp` SDK's protected resource. The public URL is https: a
//! TLS front (`peers/tls_proxy.py`) stands where an install's reverse proxy would.

use std::path::Path;

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::peers::{PeerProcess, free_port};
use switchboard_testkit::{DbKind, TestApp};

use super::{on_both_backends, send};

fn tools_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("tools.json");
    let tools = json!([{"name": "echo", "description": "Use this to echo.", "inputSchema": {"type": "object"}}]);
    std::fs::write(&path, serde_json::to_vec(&tools).expect("json")).expect("write tools");
    path
}

/// An app whose public URL is `https://127.0.0.1:PORT`, the TLS front there.
async fn behind_tls(kind: DbKind, cert: &Path) -> (TestApp, PeerProcess, String) {
    let port = free_port();
    let public = format!("https://127.0.0.1:{port}");
    let app = TestApp::start_with(kind, |mut c| {
        c.public_url = public.clone();
        c.allowed_hosts.push(format!("127.0.0.1:{port}"));
        c
    })
    .await;
    let app_port = app.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("the app's port");
    let front = PeerProcess::tls_proxy(port, app_port, cert);
    (app, front, public)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_served_to_anyone_and_names_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = dir.path().join("front.pem");
    let (app, _front, public) = behind_tls(DbKind::Sqlite, &cert).await;
    // Through the public URL, as an authorization server fetches it: no sign-in.
    let trusted = reqwest::Certificate::from_pem(&std::fs::read(&cert).expect("cert")).expect("pem");
    let client = reqwest::Client::builder().add_root_certificate(trusted).build().expect("client");
    let answer = client.get(format!("{public}/oauth/client-metadata.json")).send().await.expect("fetch");
    assert_eq!(answer.status(), 200);
    assert!(answer.headers()["content-type"].to_str().expect("type").starts_with("application/json"));
    let document: Value = answer.json().await.expect("json");
    assert_eq!(document["client_id"], format!("{public}/oauth/client-metadata.json"), "{document}");
    assert_eq!(document["redirect_uris"], json!([format!("{public}/oauth/callback")]));
    assert_eq!(document["token_endpoint_auth_method"], "none");
    assert_eq!(document["grant_types"], json!(["authorization_code", "refresh_token"]));
    assert_eq!(document["response_types"], json!(["code"]));
    assert_eq!(document["client_name"], "Switchboard");
    assert!(document.get("client_secret").is_none());

    // An install on plain http serves one too (it names itself the same way),
    // but such a URL cannot be a client_id: it registers dynamically instead.
    let plain = TestApp::start(DbKind::Sqlite).await;
    let (status, document) = send(TestApp::client().get(plain.at("/oauth/client-metadata.json"))).await;
    assert_eq!(status, 200);
    assert_eq!(document["client_id"], plain.at("/oauth/client-metadata.json"));
    drop(app);
}

/// Sign in and consent at `oidc-provider`'s development pages, from its
/// authorization endpoint to the redirect back to Switchboard: that redirect.
pub(crate) async fn through_the_authorization_server(issuer: &str, authorize: &str, public: &str) -> String {
    let browser = TestApp::client();
    let mut next = browser.get(authorize).send().await.expect("authorize");
    for _ in 0..8 {
        let status = next.status();
        let location = next.headers().get("location").map(|l| l.to_str().expect("location").to_owned());
        let Some(location) = location else {
            panic!("the authorization server answered {status} without a redirect: {:?}", next.text().await);
        };
        if location.starts_with(public) {
            return location;
        }
        let url = if location.starts_with('/') { format!("{issuer}{location}") } else { location };
        next = if url.contains("/interaction/") {
            let page = browser.get(&url).send().await.expect("interaction").text().await.expect("page");
            let form: &[(&str, &str)] = if page.contains(r#"name="prompt" value="login""#) {
                &[("prompt", "login"), ("login", "alice")]
            } else {
                &[("prompt", "consent")]
            };
            browser.post(&url).form(form).send().await.expect("submit")
        } else {
            browser.get(&url).send().await.expect("follow")
        };
    }
    panic!("the authorization server never sent the browser back")
}

mod connects_with_the_metadata_document_as_client {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let dir = tempfile::tempdir().expect("tempdir");
        let cert = dir.path().join("front.pem");
        let (app, _front, public) = behind_tls(kind, &cert).await;
        let mcp_port = free_port();
        let resource = format!("http://127.0.0.1:{mcp_port}/mcp");
        let authorization_server = PeerProcess::cimd_authorization_server(&resource, Some(&cert), &[]);
        let issuer = authorization_server.url.clone();
        let port = mcp_port.to_string();
        let mcp = PeerProcess::python_auth(&tools_file(dir.path()), &["--port", &port, "--as-issuer", &issuer]);
        assert_eq!(mcp.url, resource);

        let admin = app.user("admin@example.com", Role::Admin).await;
        let token = app.token_for(&admin).await;
        let bearer = |r: reqwest::RequestBuilder| r.bearer_auth(&token);
        let client = TestApp::client();
        let body = json!({"name": "Protected", "url": resource, "auth": {"mode": "oauth"}});
        let (status, created) = send(bearer(client.post(app.at("/api/v1/connectors"))).json(&body)).await;
        assert_eq!(status, 201, "{created}");
        let id = created["connector"]["id"].as_str().expect("id").to_owned();

        let start = bearer(client.get(app.at(&format!("/api/v1/connectors/{id}/oauth/start")))).send().await;
        let start = start.expect("start");
        assert_eq!(start.status(), 302, "{:?}", start.text().await);
        let authorize = start.headers()["location"].to_str().expect("location").to_owned();
        let document_url = format!("{public}/oauth/client-metadata.json");
        let query: Vec<(String, String)> =
            url::Url::parse(&authorize).expect("url").query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
        let client_id = query.iter().find(|(k, _)| k == "client_id").map(|(_, v)| v.as_str());
        assert_eq!(client_id, Some(document_url.as_str()), "the document's URL is the client_id: {authorize}");
        assert!(authorize.starts_with(&issuer), "{authorize}");

        let back = through_the_authorization_server(&issuer, &authorize, &public).await;
        assert!(back.starts_with(&format!("{public}/oauth/callback?")), "{back}");
        assert!(!back.contains("error="), "{back}");
        // The browser comes back through the public URL; here, straight to the app.
        let callback = back.replacen(&public, &app.url, 1);
        let done = bearer(client.get(&callback)).send().await.expect("callback");
        let location = done.headers().get("location").map(|l| l.to_str().expect("location").to_owned());
        assert_eq!(location, Some(format!("/settings/apps/{id}?oauth=connected")), "{:?}", done.text().await);

        let (status, connection) = send(bearer(client.get(app.at(&format!("/api/v1/connectors/{id}/oauth"))))).await;
        assert_eq!(status, 200, "{connection}");
        assert_eq!(connection["state"], "connected", "{connection}");
        assert_eq!(connection["issuer"], issuer.as_str());
        assert!(connection["scopes"].as_array().expect("scopes").contains(&json!("mcp:tools")), "{connection}");

        // The authorization server fetched the document, and nothing was registered.
        let stats: Value =
            reqwest::get(format!("{issuer}/test/stats")).await.expect("stats").json().await.expect("json");
        assert_eq!(stats["fetched"], json!([document_url]), "{stats}");
        let redirect_uri = format!("{public}/oauth/callback");
        assert!(app.store.oauth_client(&issuer, &redirect_uri).await.expect("read").is_none());
    }
}

on_both_backends!(connects_with_the_metadata_document_as_client);
