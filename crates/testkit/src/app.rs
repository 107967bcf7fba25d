//! The whole application on a real loopback socket, over a fresh database.

use std::net::SocketAddr;

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use switchboard_core::credentials::{hash_password, new_api_token, random_token, token_digest};
use switchboard_core::{Email, Role, SecretString};
use switchboard_store::{MasterKey, NewApiToken, NewUser, Store, User};
use switchboard_web::{AppState, SetupToken, WebConfig, app};

use crate::db::{DbKind, TestDb};

/// The password every user made by [`TestApp::user`] has.
pub const PASSWORD: &str = "correct horse battery";

/// A running Switchboard. Dropping it stops the server and removes the database.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    pub store: Store,
    /// The one-time setup token (valid until the first owner exists).
    pub setup_token: String,
    pub db: TestDb,
    /// The server's state, for looking inside (its kept upstream sessions, say).
    pub state: AppState,
    /// The master key, which every replica shares (as servers sharing a database must).
    key: MasterKey,
    server: tokio::task::JoinHandle<()>,
}

/// Another server on a [`TestApp`]'s database. Dropping it stops it.
#[derive(Debug)]
pub struct Replica {
    pub url: String,
    pub store: Store,
    pub state: AppState,
    server: tokio::task::JoinHandle<()>,
}

impl Replica {
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A user signed in through the API: a cookie-carrying client and the CSRF token.
#[derive(Debug, Clone)]
pub struct Signed {
    pub user: User,
    pub client: reqwest::Client,
    pub csrf: String,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    pub async fn start(kind: DbKind) -> TestApp {
        Self::start_with(kind, |c| c).await
    }

    /// Start with a config adjusted by `configure` (body limits, say).
    pub async fn start_with(kind: DbKind, configure: impl FnOnce(WebConfig) -> WebConfig) -> TestApp {
        crate::install_tls();
        let db = TestDb::new(kind).await;
        let key = MasterKey::generate();
        let store = db.store_with_key(key.clone()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let url = format!("http://127.0.0.1:{port}");
        let config = configure(WebConfig::for_public_url(&url).allow_loopback(port));
        let setup_token = random_token(24);
        let state = AppState::new(store.clone(), config, SetupToken::new(Some(setup_token.clone())));
        let router = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        TestApp { url, store, setup_token: setup_token.expose().to_owned(), db, state, key, server }
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// A second server on the same database, as another process would be: its
    /// own store (connection pool, change counter) and its own caches, the same
    /// master key (so it opens what this one sealed: OAuth tokens, client secrets).
    pub async fn replica(&self) -> Replica {
        let store = self.db.store_with_key(self.key.clone()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let url = format!("http://127.0.0.1:{port}");
        let config = WebConfig { public_url: url.clone(), ..self.state.config.clone() }.allow_loopback(port);
        let state = AppState::new(store.clone(), config, SetupToken::default());
        let router = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Replica { url, store, state, server }
    }

    /// A client with a cookie jar and no credentials.
    pub fn client() -> reqwest::Client {
        crate::install_tls();
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("build http client")
    }

    /// Create a user straight in the store, with [`PASSWORD`].
    pub async fn user(&self, email: &str, role: Role) -> User {
        let hash = hash_password(&SecretString::new(PASSWORD)).expect("hash");
        self.store
            .create_user(NewUser {
                email: Email::parse(email).expect("valid email"),
                name: email.split('@').next().unwrap_or("user").to_owned(),
                role,
                password_hash: Some(hash),
            })
            .await
            .expect("create user")
    }

    /// Create a user and sign them in through `POST /api/v1/session`.
    pub async fn signed_in(&self, email: &str, role: Role) -> Signed {
        let user = self.user(email, role).await;
        self.sign_in(user).await
    }

    pub async fn sign_in(&self, user: User) -> Signed {
        let client = Self::client();
        let response = client
            .post(self.at("/api/v1/session"))
            .json(&json!({"email": user.email.as_str(), "password": PASSWORD}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), 200, "sign in as {}", user.email);
        let body: Value = response.json().await.expect("session json");
        let csrf = body["csrf_token"].as_str().expect("csrf token").to_owned();
        Signed { user, client, csrf }
    }

    /// A personal API token for `user`, made straight in the store.
    pub async fn token_for(&self, user: &User) -> String {
        let secret = new_api_token();
        self.store
            .create_api_token(NewApiToken {
                user_id: user.id,
                name: "test".into(),
                digest: token_digest(&secret),
                hint: "test".into(),
                expires_at: None,
            })
            .await
            .expect("create token");
        secret.expose().to_owned()
    }
}

impl Signed {
    /// Headers for a state-changing request with this session.
    pub fn csrf_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-csrf-token", HeaderValue::from_str(&self.csrf).expect("csrf header"));
        headers
    }
}
