//! `POST/DELETE /api/v1/session`: sign-in and sign-out.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_core::Role;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::{DbKind, TestApp};

use super::{assert_problem, on_both_backends, send};

mod sign_in_and_out {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        app.user("ada@example.com", Role::Member).await;
        let client = TestApp::client();
        let response = client
            .post(app.at("/api/v1/session"))
            .json(&json!({"email": "ADA@example.com", "password": PASSWORD}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), 200);
        let cookie = response.headers()["set-cookie"].to_str().expect("ascii").to_owned();
        assert!(cookie.starts_with("switchboard_session="), "{cookie}");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "cookie has {attribute}: {cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain http: no Secure attribute");
        let body: serde_json::Value = response.json().await.expect("json");
        let csrf = body["csrf_token"].as_str().expect("csrf").to_owned();

        assert_eq!(send(client.get(app.at("/api/v1/me"))).await.0, 200);
        // Signing out is a state change: it needs the CSRF token.
        assert_problem(&send(client.delete(app.at("/api/v1/session"))).await, 403, "csrf_token_invalid");
        let (status, _) = send(client.delete(app.at("/api/v1/session")).header("x-csrf-token", &csrf)).await;
        assert_eq!(status, 204);
        assert_problem(&send(client.get(app.at("/api/v1/me"))).await, 401, "not_signed_in");
        // The old cookie, replayed after sign-out, names no session.
        let session_cookie = cookie.split(';').next().expect("name=value").to_owned();
        let replayed = reqwest::Client::new().get(app.at("/api/v1/me")).header("cookie", &session_cookie);
        assert_problem(&send(replayed).await, 401, "session_expired");
    }
}

mod wrong_password_and_unknown_user_look_alike {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        app.user("ada@example.com", Role::Member).await;
        let client = TestApp::client();
        let attempt = |email: &'static str| {
            let request =
                client.post(app.at("/api/v1/session")).json(&json!({"email": email, "password": "not the password"}));
            async move {
                let started = Instant::now();
                let got = send(request).await;
                (got, started.elapsed())
            }
        };
        let mut known = vec![];
        let mut unknown = vec![];
        let mut bodies = vec![];
        for _ in 0..5 {
            let (got, t) = attempt("ada@example.com").await;
            known.push(t);
            bodies.push(got);
            let (got, t) = attempt("nobody@example.com").await;
            unknown.push(t);
            bodies.push(got);
        }
        for got in &bodies {
            assert_problem(got, 401, "invalid_credentials");
            assert_eq!(got.1, bodies[0].1, "the same answer whether or not the user exists");
        }
        // Both paths do the password-hash work: an unknown user is not answered
        // markedly faster (a lookup alone would be ~100x faster than Argon2).
        let median = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        };
        let (known, unknown) = (median(&mut known), median(&mut unknown));
        assert!(unknown * 3 > known, "unknown user answered in {unknown:?}, known user in {known:?}");
        assert!(known * 3 > unknown, "unknown user answered in {unknown:?}, known user in {known:?}");
    }
}

mod missing_and_revoked_credentials {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let client = TestApp::client();
        assert_problem(&send(client.get(app.at("/api/v1/me"))).await, 401, "not_signed_in");
        let forged = client.get(app.at("/api/v1/me")).header("cookie", "switchboard_session=forged");
        assert_problem(&send(forged).await, 401, "session_expired");
        let bad_token = client.get(app.at("/api/v1/me")).bearer_auth("sb_not-a-real-token");
        assert_problem(&send(bad_token).await, 401, "invalid_token");
        let basic = client.get(app.at("/api/v1/me")).basic_auth("ada", Some("pw"));
        assert_problem(&send(basic).await, 401, "invalid_authorization");

        // An expired session is refused even though its cookie is intact.
        let signed = app.signed_in("ada@example.com", Role::Member).await;
        let ttl_zero = TestApp::start_with(kind, |mut c| {
            c.session_ttl = Duration::from_secs(0);
            c
        })
        .await;
        ttl_zero.user("bob@example.com", Role::Member).await;
        let client = reqwest::Client::new();
        let response = client
            .post(ttl_zero.at("/api/v1/session"))
            .json(&json!({"email": "bob@example.com", "password": PASSWORD}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), 200);
        let set_cookie = response.headers()["set-cookie"].to_str().expect("ascii");
        let session_cookie = set_cookie.split(';').next().expect("name=value").to_owned();
        let late = client.get(ttl_zero.at("/api/v1/me")).header("cookie", &session_cookie);
        assert_problem(&send(late).await, 401, "session_expired");
        // The other app's session is unaffected.
        assert_eq!(send(signed.client.get(app.at("/api/v1/me"))).await.0, 200);
    }
}

mod csrf_tokens_are_derived_not_stored {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let ada = app.signed_in("ada@example.com", Role::Member).await;
        let bob = app.signed_in("bob@example.com", Role::Member).await;
        for signed in [&ada, &bob] {
            assert!(!app.db.holds_text(&signed.csrf).await, "a CSRF token is stored in plaintext");
        }
        // The pages carry the same token the sign-in answered with.
        let page = ada.client.get(app.at("/chat")).send().await.expect("page").text().await.expect("html");
        assert!(page.contains(&format!("<meta name=\"csrf-token\" content=\"{}\">", ada.csrf)), "{page}");

        // A change without the token, with a forged one, or with another session's is refused.
        let sign_out = || ada.client.delete(app.at("/api/v1/session"));
        assert_problem(&send(sign_out()).await, 403, "csrf_token_invalid");
        assert_problem(&send(sign_out().header("x-csrf-token", "forged")).await, 403, "csrf_token_invalid");
        assert_problem(&send(sign_out().header("x-csrf-token", &bob.csrf)).await, 403, "csrf_token_invalid");
        assert_problem(&send(sign_out().header("x-csrf-token", "")).await, 403, "csrf_token_invalid");
        assert_eq!(send(sign_out().header("x-csrf-token", &ada.csrf)).await.0, 204);
    }
}

/// One sign-in attempt: status, `Retry-After`, content type and body.
async fn attempt(url: &str, email: &str, password: &str) -> (u16, Option<u64>, String, serde_json::Value) {
    let response = TestApp::client()
        .post(format!("{url}/api/v1/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("sign in");
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let retry_after = header("retry-after").map(|v| v.parse().expect("Retry-After in seconds"));
    let content_type = header("content-type").unwrap_or_default();
    (response.status().as_u16(), retry_after, content_type, response.json().await.expect("json"))
}

mod the_eleventh_sign_in_of_an_account_waits {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        app.user("ada@example.com", Role::Member).await;
        app.user("bob@example.com", Role::Member).await;

        // Ten wrong passwords are answered as such; the eleventh attempt waits, even
        // with the right password, and says for how long.
        for _ in 0..10 {
            let (status, _, _, body) = attempt(&app.url, "ada@example.com", "not the password").await;
            assert_eq!((status, body["code"].as_str()), (401, Some("invalid_credentials")), "{body}");
        }
        let (status, retry_after, content_type, limited) = attempt(&app.url, "ada@example.com", PASSWORD).await;
        assert_eq!(status, 429, "{limited}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(limited["code"], "too_many_sign_ins");
        assert!(retry_after.is_some_and(|s| (800..=900).contains(&s)), "{retry_after:?}");

        // An account that does not exist gets the same answers.
        for _ in 0..10 {
            let (status, _, _, body) = attempt(&app.url, "nobody@example.com", "not the password").await;
            assert_eq!((status, body["code"].as_str()), (401, Some("invalid_credentials")), "{body}");
        }
        let (status, retry_after, _, body) = attempt(&app.url, "nobody@example.com", PASSWORD).await;
        assert_eq!((status, &body), (429, &limited), "the same answer whether or not the account exists");
        assert!(retry_after.is_some());

        // Another server on the same database counts the same failures.
        let replica = app.replica().await;
        let (status, _, _, body) = attempt(&replica.url, "ADA@example.com ", PASSWORD).await;
        assert_eq!((status, &body), (429, &limited));
        // Other accounts from the same address still sign in (20 failures of 50).
        assert_eq!(attempt(&replica.url, "bob@example.com", PASSWORD).await.0, 200);
    }
}

mod failures_from_an_address_outlast_a_successful_sign_in {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start_with(kind, |mut c| {
            c.sign_in.per_account = 3;
            c.sign_in.per_address = 5;
            c
        })
        .await;
        app.user("ada@example.com", Role::Member).await;
        app.user("bob@example.com", Role::Member).await;
        let wrong = async |email: &str| attempt(&app.url, email, "not the password").await.0;

        assert_eq!([wrong("ada@example.com").await, wrong("ada@example.com").await], [401, 401]);
        assert_eq!(attempt(&app.url, "ada@example.com", PASSWORD).await.0, 200);
        // Signing in cleared the account's failures: two more are answered...
        assert_eq!([wrong("ada@example.com").await, wrong("ada@example.com").await], [401, 401]);
        // ...but not the address's: its fifth failure is the last one it gets.
        assert_eq!(wrong("bob@example.com").await, 401);
        let (status, retry_after, _, body) = attempt(&app.url, "bob@example.com", PASSWORD).await;
        assert_eq!((status, body["code"].as_str()), (429, Some("too_many_sign_ins")), "{body}");
        assert!(retry_after.is_some());
    }
}

on_both_backends!(
    the_eleventh_sign_in_of_an_account_waits,
    failures_from_an_address_outlast_a_successful_sign_in,
    sign_in_and_out,
    wrong_password_and_unknown_user_look_alike,
    missing_and_revoked_credentials,
    csrf_tokens_are_derived_not_stored
);
