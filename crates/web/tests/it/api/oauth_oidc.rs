//! Connecting people to an MCP server whose tokens come from an independent
//! authorization server: npm `oidc-provider` (`peers/oidc_provider.mjs`: its own
//! sign-in and consent pages, short-lived access tokens, refresh tokens rotated on
//! every use and reuse detection) in front of a PyPI `mcp` resource server that
//! introspects every token (`peers/resource_server.py`). The flow is followed over
//! real sockets without a browser: an HTTP client signs in and consents on the
//! authorization server's pages. Refreshes are counted where they happen, at the
//! authorization server's token endpoint.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_core::credentials::random_token;
use switchboard_store::OAuthGrant;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::connectors::{developer, post};
use super::oauth::{callback, echo, tools_file};
use super::{assert_problem, on_both_backends, send};

/// oidc-provider and the resource server that trusts it.
struct Oidc {
    authorization_server: Option<PeerProcess>,
    issuer: String,
    resource: PeerProcess,
    secret: String,
    _dir: tempfile::TempDir,
}

impl Oidc {
    fn start(flags: &[&str]) -> Oidc {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = random_token(24).expose().to_owned();
        let authorization_server = PeerProcess::oidc_provider(&secret, flags);
        let resource = PeerProcess::introspecting_resource(&tools_file(dir.path()), &authorization_server.url, &secret);
        let issuer = authorization_server.url.clone();
        Oidc { authorization_server: Some(authorization_server), issuer, resource, secret, _dir: dir }
    }

    fn issuer(&self) -> &str {
        &self.issuer
    }

    async fn stats(&self) -> Value {
        let url = format!("{}/test/stats", self.issuer());
        reqwest::get(url).await.expect("stats").json().await.expect("stats json")
    }

    /// Refresh requests that reached the token endpoint, whatever they were answered.
    async fn refreshes(&self) -> u64 {
        self.stats().await["token_requests"]["refresh_token"].as_u64().unwrap_or(0)
    }

    async fn endpoint(&self, name: &str) -> String {
        let url = format!("{}/.well-known/openid-configuration", self.issuer());
        let metadata: Value = reqwest::get(url).await.expect("discovery").json().await.expect("json");
        metadata[name].as_str().expect("endpoint").to_owned()
    }

    /// Introspection (RFC 7662) as the resource server: whether the server still honours `token`.
    async fn active(&self, token: &str) -> bool {
        let answer: Value = reqwest::Client::new()
            .post(self.endpoint("introspection_endpoint").await)
            .basic_auth("switchboard-test-resource", Some(&self.secret))
            .form(&[("token", token)])
            .send()
            .await
            .expect("introspection")
            .json()
            .await
            .expect("introspection json");
        answer["active"].as_bool().expect("active")
    }
}

/// What happens on the authorization server's pages.
#[derive(Clone, Copy, PartialEq)]
enum Decision {
    Approve,
    Deny,
}

/// The value of the first `name="…"` attribute after `after` in `page`.
fn attribute<'a>(page: &'a str, after: &str, name: &str) -> &'a str {
    let from = page.find(after).unwrap_or_else(|| panic!("{after:?} in {page}"));
    let rest = &page[from..];
    let start = rest.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
    &rest[start..start + rest[start..].find('"').expect("closing quote")]
}

/// Follow the flow as a browser would, without one: start (302 to oidc-provider),
/// its sign-in page as `login` (when `at_as` has no session there yet), its consent
/// page (approved or cancelled), and back: the callback URL. `at_as` keeps the
/// person's cookies at the authorization server.
async fn authorize(app: &TestApp, who: &Signed, id: &str, at_as: &reqwest::Client, login: &str, d: Decision) -> String {
    let start = who.client.get(app.at(&format!("/api/v1/connectors/{id}/oauth/start"))).send().await.expect("start");
    assert_eq!(start.status(), 302, "{:?}", start.text().await);
    let mut next = start.headers()["location"].to_str().expect("location").to_owned();
    assert_eq!(next.contains("offline_access"), next.contains("prompt=consent"), "consent with offline_access: {next}");
    let origin = url::Url::parse(&next).expect("authorization URL");
    let absolute = |location: &str| origin.join(location).expect("a location").to_string();
    for _ in 0..12 {
        if next.starts_with(&app.at("/oauth/callback?")) {
            return next;
        }
        let answer = at_as.get(&next).send().await.expect("authorization server");
        if answer.status().is_redirection() {
            next = absolute(answer.headers()["location"].to_str().expect("location"));
            continue;
        }
        assert_eq!(answer.status(), 200, "{next}");
        let page = answer.text().await.expect("page");
        let action = attribute(&page, "<form", "action").to_owned();
        if d == Decision::Deny {
            next = format!("{action}/abort");
            continue;
        }
        let prompt = attribute(&page, "name=\"prompt\"", "value").to_owned();
        let mut form = vec![("prompt", prompt.as_str())];
        if prompt == "login" {
            form.extend([("login", login), ("password", "any")]);
        }
        let posted = at_as.post(&action).form(&form).send().await.expect("submit");
        assert!(posted.status().is_redirection(), "{prompt}: {}", posted.status());
        next = absolute(posted.headers()["location"].to_str().expect("location"));
    }
    panic!("the authorization server never sent the browser back: {next}")
}

async fn connect(app: &TestApp, who: &Signed, id: &str, login: &str) -> reqwest::Client {
    let at_as = TestApp::client();
    let url = authorize(app, who, id, &at_as, login, Decision::Approve).await;
    let (status, location, body) = callback(who, &url).await;
    assert_eq!((status, location.as_str()), (302, format!("/settings/apps/{id}?oauth=connected").as_str()), "{body}");
    at_as
}

async fn create(app: &TestApp, who: &Signed, oidc: &Oidc) -> Value {
    let body = json!({"name": "Tracker", "url": oidc.resource.url, "auth": {"mode": "oauth"}});
    let (status, created) = send(post(app, who, "/api/v1/connectors", body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn connection(app: &TestApp, who: &Signed, id: &str) -> Value {
    let (status, now) = send(who.client.get(app.at(&format!("/api/v1/connectors/{id}/oauth")))).await;
    assert_eq!(status, 200, "{now}");
    now
}

/// What Switchboard keeps for `who` (read from the store, for the test to use at the server).
async fn grant(app: &TestApp, who: &Signed, id: &str) -> OAuthGrant {
    app.store.oauth_grant(who.user.id, id.parse().expect("id")).await.expect("read").expect("grant")
}

/// The access and refresh tokens Switchboard keeps for `who`.
async fn kept(app: &TestApp, who: &Signed, id: &str) -> (String, String) {
    let grant = grant(app, who, id).await;
    let refresh = grant.refresh_token.as_ref().map(|r| r.expose().to_owned()).expect("a refresh token");
    (grant.access_token.expose().to_owned(), refresh)
}

/// The client Switchboard registered with the authorization server.
async fn registered(app: &TestApp, oidc: &Oidc) -> (String, String) {
    let redirect = app.at("/oauth/callback");
    let client = app.store.oauth_client(oidc.issuer(), &redirect).await.expect("read").expect("registered client");
    let secret = client.client_secret.as_ref().map(|s| s.expose().to_owned()).expect("a confidential client");
    (client.client_id, secret)
}

/// Where a refused callback sends the browser: the app's page, the error's code and message.
fn refusal(location: &str) -> (String, String, String) {
    let (path, query) = location.split_once('?').expect("a query");
    let query: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let get = |k: &str| query.get(k).cloned().unwrap_or_default();
    (path.to_owned(), get("oauth_error"), get("oauth_message"))
}

fn of(answer: &Value) -> &Value {
    &answer["result"]["structuredContent"]
}

/// Five calls at once, as `who`, some through `other` (another server on the same
/// database) when given: every answer.
async fn five_at_once(app: &TestApp, other: Option<&str>, who: &Signed, id: &str) -> Vec<Value> {
    let calls = (0..5).map(|i| {
        let base = match other {
            Some(url) if i % 2 == 1 => url.to_owned(),
            _ => app.url.clone(),
        };
        let request = who
            .client
            .post(format!("{base}/api/v1/connectors/{id}/tools/echo/call"))
            .headers(who.csrf_headers())
            .json(&json!({"arguments": {"text": format!("parallel {i}")}}));
        send(request)
    });
    let answers = futures::future::join_all(calls).await;
    answers
        .into_iter()
        .map(|(status, body)| {
            assert_eq!(status, 200, "{body}");
            body
        })
        .collect()
}

mod refreshes_once_rotates_and_keeps_people_apart {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let oidc = Oidc::start(&["--access-ttl", "6"]);
        let app = TestApp::start(kind).await;
        let replica = app.replica().await;
        let dev = developer(&app, "dev@example.com").await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;

        let created = create(&app, &dev, &oidc).await;
        assert!(!created["warnings"].to_string().contains("offline_access"), "listed: {created}");
        let id = created["connector"]["id"].as_str().expect("id").to_owned();
        connect(&app, &dev, &id, "alice").await;
        let now = connection(&app, &dev, &id).await;
        assert_eq!((now["state"].as_str(), now["issuer"].as_str()), (Some("connected"), Some(oidc.issuer())));
        assert_eq!(now["refreshable"], true, "offline_access with consent brings a refresh token: {now}");
        let (status, got) = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}")))).await;
        assert_eq!((status.as_u16(), got["tool_count"].as_u64()), (200, Some(1)), "listed with the token: {got}");

        // Ahead of expiry (in the last quarter of a 6-second token, while the server
        // still honours it): one refresh, rotated.
        let (first_access, first_refresh) = kept(&app, &dev, &id).await;
        let expires_at = grant(&app, &dev, &id).await.expires_at.expect("an expiry");
        let due = expires_at - Duration::from_millis(1200) - time::OffsetDateTime::now_utc();
        tokio::time::sleep(due.try_into().unwrap_or_default()).await;
        assert!(oidc.active(&first_access).await, "not expired yet");
        assert_eq!(oidc.refreshes().await, 0);
        let (status, body) = echo(&app, &dev, &id, "ahead").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(oidc.refreshes().await, 1);
        let (_, second_refresh) = kept(&app, &dev, &id).await;
        assert_ne!(first_refresh, second_refresh, "the server rotated the refresh token and the new one is kept");
        assert!(!oidc.active(&first_refresh).await, "the authorization server no longer honours the old one");
        assert!(oidc.active(&second_refresh).await);
        let (status, body) = echo(&app, &dev, &id, "still").await;
        assert_eq!((status.as_u16(), of(&body)["subject"].as_str()), (200, Some("alice")), "{body}");

        // Two people, each with their own token: the server sees two subjects.
        let (status, mine) = echo(&app, &dev, &id, "mine").await;
        assert_eq!(status, 200, "{mine}");
        connect(&app, &admin, &id, "bob").await;
        let (status, theirs) = echo(&app, &admin, &id, "theirs").await;
        assert_eq!(status, 200, "{theirs}");
        assert_eq!((of(&mine)["subject"].as_str(), of(&theirs)["subject"].as_str()), (Some("alice"), Some("bob")));
        assert_ne!(of(&mine)["token"], of(&theirs)["token"]);
        assert_eq!(oidc.refreshes().await, 1, "the ahead refresh only");

        // An access token the authorization server no longer honours (before the expiry it
        // announced): the resource server answers 401, one refresh, the call is sent again.
        let (access, _) = kept(&app, &dev, &id).await;
        let dropped = reqwest::Client::new()
            .post(format!("{}/test/drop-access-token", oidc.issuer()))
            .body(access.clone())
            .send()
            .await
            .expect("drop");
        assert_eq!(dropped.status(), 200);
        assert!(!oidc.active(&access).await);
        let (status, body) = echo(&app, &dev, &id, "after 401").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(oidc.refreshes().await, 2);

        // Expired: five calls at once, one refresh, one token for all five.
        tokio::time::sleep(Duration::from_millis(6200)).await;
        let answers = five_at_once(&app, None, &dev, &id).await;
        assert_eq!(oidc.refreshes().await, 3, "exactly one refresh for five calls: {}", oidc.stats().await);
        let tokens: std::collections::BTreeSet<String> = answers.iter().map(|b| of(b)["token"].to_string()).collect();
        assert_eq!(tokens.len(), 1, "{tokens:?}");

        // The same through two servers sharing the database.
        tokio::time::sleep(Duration::from_millis(6200)).await;
        let answers = five_at_once(&app, Some(replica.url.as_str()), &dev, &id).await;
        assert_eq!(oidc.refreshes().await, 4, "one refresh across two servers: {}", oidc.stats().await);
        let tokens: std::collections::BTreeSet<String> = answers.iter().map(|b| of(b)["token"].to_string()).collect();
        assert_eq!(tokens.len(), 1, "{tokens:?}");
        let refused: Vec<_> = oidc.stats().await["token_statuses"]
            .as_array()
            .expect("statuses")
            .iter()
            .filter(|s| s["status"] != 200)
            .cloned()
            .collect();
        assert!(refused.is_empty(), "no token request was refused (no rotated token replayed): {refused:?}");

        // The other person was never touched.
        let (status, body) = echo(&app, &admin, &id, "bob again").await;
        assert_eq!((status.as_u16(), of(&body)["subject"].as_str()), (200, Some("bob")), "{body}");
    }
}

mod a_replayed_refresh_token_ends_the_grant_and_the_person_reconnects {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let oidc = Oidc::start(&["--access-ttl", "4"]);
        let app = TestApp::start(kind).await;
        let dev = developer(&app, "dev@example.com").await;
        let id = create(&app, &dev, &oidc).await["connector"]["id"].as_str().expect("id").to_owned();
        let at_as = connect(&app, &dev, &id, "alice").await;
        let (_, first_refresh) = kept(&app, &dev, &id).await;
        tokio::time::sleep(Duration::from_millis(3300)).await;
        assert_eq!(echo(&app, &dev, &id, "rotates").await.0, 200);
        assert_eq!(oidc.refreshes().await, 1);

        // Someone replays the rotated refresh token: the authorization server refuses it
        // and revokes the whole grant (its reuse detection).
        let (client_id, client_secret) = registered(&app, &oidc).await;
        let replay = reqwest::Client::new()
            .post(oidc.endpoint("token_endpoint").await)
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", first_refresh.as_str()),
                ("client_id", client_id.as_str()),
                ("client_secret", client_secret.as_str()),
            ])
            .send()
            .await
            .expect("replay");
        assert_eq!(replay.status(), 400);
        assert_eq!(replay.json::<Value>().await.expect("json")["error"], "invalid_grant");

        // Switchboard's tokens died with the grant: reconnect, said plainly, and no more
        // refresh attempts until then.
        let refused = echo(&app, &dev, &id, "revoked").await;
        assert_problem(&refused, 409, "auth_required");
        assert_eq!(refused.1["details"]["state"], "needs_reconnect", "{}", refused.1);
        assert_eq!(refused.1["details"]["connect_url"], format!("/api/v1/connectors/{id}/oauth/start"));
        assert!(refused.1["detail"].as_str().is_some_and(|d| d.contains("reconnect")), "{}", refused.1);
        assert_eq!(connection(&app, &dev, &id).await["state"], "needs_reconnect");
        let attempts = oidc.refreshes().await;
        assert_problem(&echo(&app, &dev, &id, "again").await, 409, "auth_required");
        assert_eq!(oidc.refreshes().await, attempts, "a dead grant is not refreshed again");

        // Reconnecting (the authorization server remembers the person: consent only) works.
        let url = authorize(&app, &dev, &id, &at_as, "alice", Decision::Approve).await;
        let (status, location, _) = callback(&dev, &url).await;
        assert_eq!((status, location), (302, format!("/settings/apps/{id}?oauth=connected")));
        let (status, body) = echo(&app, &dev, &id, "reconnected").await;
        assert_eq!((status.as_u16(), of(&body)["subject"].as_str()), (200, Some("alice")), "{body}");
    }
}

on_both_backends!(
    refreshes_once_rotates_and_keeps_people_apart,
    a_replayed_refresh_token_ends_the_grant_and_the_person_reconnects
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_refresh_token_asks_the_person_to_reconnect() {
    let oidc = Oidc::start(&["--access-ttl", "2", "--refresh-ttl", "3"]);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let id = create(&app, &dev, &oidc).await["connector"]["id"].as_str().expect("id").to_owned();
    connect(&app, &dev, &id, "alice").await;
    assert_eq!(echo(&app, &dev, &id, "fresh").await.0, 200);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let refused = echo(&app, &dev, &id, "expired").await;
    assert_problem(&refused, 409, "auth_required");
    assert_eq!(refused.1["details"]["state"], "needs_reconnect", "{}", refused.1);
    assert_eq!(connection(&app, &dev, &id).await["state"], "needs_reconnect");
    let statuses = oidc.stats().await["token_statuses"].clone();
    assert!(statuses.to_string().contains("invalid_grant"), "the server refused the refresh: {statuses}");
    connect(&app, &dev, &id, "alice").await;
    assert_eq!(echo(&app, &dev, &id, "reconnected").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_offline_access_there_is_a_warning_and_no_refresh() {
    let oidc = Oidc::start(&["--access-ttl", "2", "--no-offline-access"]);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let created = create(&app, &dev, &oidc).await;
    let warnings: Vec<&str> =
        created["warnings"].as_array().expect("warnings").iter().filter_map(Value::as_str).collect();
    assert!(warnings.iter().any(|w| w.contains("offline_access") && w.contains("sign in again")), "{created}");
    let id = created["connector"]["id"].as_str().expect("id").to_owned();

    // The server registers no client for refresh tokens: Switchboard asks for none.
    connect(&app, &dev, &id, "alice").await;
    let now = connection(&app, &dev, &id).await;
    assert_eq!((now["state"].as_str(), now["refreshable"].as_bool()), (Some("connected"), Some(false)), "{now}");
    assert_eq!(echo(&app, &dev, &id, "works").await.0, 200);

    tokio::time::sleep(Duration::from_millis(2300)).await;
    let refused = echo(&app, &dev, &id, "expired").await;
    assert_problem(&refused, 409, "auth_required");
    assert_eq!(refused.1["details"]["state"], "needs_reconnect", "{}", refused.1);
    assert!(refused.1["detail"].as_str().is_some_and(|d| d.contains("no refresh token")), "{}", refused.1);
    assert_eq!(oidc.refreshes().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_who_denies_consent_is_told_and_can_connect_later() {
    let oidc = Oidc::start(&[]);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let id = create(&app, &dev, &oidc).await["connector"]["id"].as_str().expect("id").to_owned();
    let at_as = TestApp::client();
    let url = authorize(&app, &dev, &id, &at_as, "alice", Decision::Deny).await;
    assert!(url.contains("error=access_denied"), "{url}");
    let (status, location, _) = callback(&dev, &url).await;
    assert_eq!(status, 302);
    let (path, code, message) = refusal(&location);
    assert_eq!((path, code.as_str()), (format!("/settings/apps/{id}"), "oauth_denied"), "{message}");
    assert!(message.contains("access_denied") && message.contains("nothing was connected"), "{message}");
    assert_eq!(connection(&app, &dev, &id).await["state"], "needs_connect");
    assert_eq!(oidc.stats().await["token_requests"], json!({}), "no code was exchanged");

    // The same person can still connect, in the same browser.
    let url = authorize(&app, &dev, &id, &at_as, "alice", Decision::Approve).await;
    let (status, location, _) = callback(&dev, &url).await;
    assert_eq!((status, location), (302, format!("/settings/apps/{id}?oauth=connected")));
    assert_eq!(echo(&app, &dev, &id, "works").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_from_another_browser_session_is_refused() {
    let oidc = Oidc::start(&[]);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let id = create(&app, &dev, &oidc).await["connector"]["id"].as_str().expect("id").to_owned();
    // The same person, signed in a second time (another browser).
    let elsewhere = app.sign_in(dev.user.clone()).await;
    let url = authorize(&app, &dev, &id, &TestApp::client(), "alice", Decision::Approve).await;
    let (status, location, _) = callback(&elsewhere, &url).await;
    assert_eq!(status, 302);
    let (path, code, message) = refusal(&location);
    assert_eq!((path, code.as_str()), (format!("/settings/apps/{id}"), "oauth_state_invalid"), "{message}");
    assert!(message.contains("another browser session") && message.contains("start connecting again"), "{message}");
    // Spent: the session that started it cannot use it either.
    let (status, _, body) = callback(&dev, &url).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("oauth_state_invalid")), "{body}");
    assert_eq!(connection(&app, &dev, &id).await["state"], "needs_connect");
    assert_eq!(oidc.stats().await["token_requests"], json!({}), "the code was never exchanged");
    connect(&app, &dev, &id, "alice").await;
    assert_eq!(echo(&app, &dev, &id, "works").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_server_that_is_down_leaves_the_connection_as_it_was() {
    let mut oidc = Oidc::start(&["--access-ttl", "2"]);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let id = create(&app, &dev, &oidc).await["connector"]["id"].as_str().expect("id").to_owned();
    connect(&app, &dev, &id, "alice").await;
    assert_eq!(echo(&app, &dev, &id, "works").await.0, 200);

    // The authorization server goes away; the access token expires.
    drop(oidc.authorization_server.take());
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let failed = echo(&app, &dev, &id, "down").await;
    assert_problem(&failed, 422, "oauth_failed");
    assert!(
        failed.1["detail"].as_str().is_some_and(|d| d.contains("cannot reach the authorization server")),
        "{}",
        failed.1
    );
    let now = connection(&app, &dev, &id).await;
    assert_eq!(now["state"], "connected", "an outage is not a reason to sign in again: {now}");
    assert_eq!(now["refreshable"], true);
    // Nothing is left claimed: the next call tries again (and fails the same way).
    let again = echo(&app, &dev, &id, "still down").await;
    assert_problem(&again, 422, "oauth_failed");
}
