//! OAuth for connectors: settings sealed, flows taken once by the person who
//! started them, tokens sealed, and the compare-and-set that lets one refresh run.

use serde_json::json;
use switchboard_core::oauth::Registration;
use switchboard_core::{Role, SecretString};
use switchboard_store::{
    ConnectorOAuth, GrantClient, GrantState, IssuedTokens, MasterKey, NewConnector, NewGrant, NewOAuthFlow,
    OAuthClient, Store,
};
use time::{Duration, OffsetDateTime};

use super::users::new_user;
use super::*;

async fn oauth_connector(store: &Store) -> (switchboard_core::UserId, switchboard_core::ConnectorId) {
    let owner = store.create_user(new_user("dev@example.com", Role::Member)).await.expect("user");
    let new = NewConnector {
        owner_id: owner.id,
        name: "Protected".into(),
        description: String::new(),
        url: Some("http://127.0.0.1:3333/mcp".into()),
        command: None,
        transport: "auto".into(),
        auth_mode: "oauth".into(),
        protocol_version: String::new(),
        used_transport: String::new(),
        server_info: json!({}),
    };
    let settings = ConnectorOAuth {
        client_id: Some("static-client".into()),
        client_secret: Some(SecretString::new("static-secret-value")),
        scopes: "read write".into(),
        // Read back as written: an app that allows the 2025-03-26 default endpoints.
        legacy_endpoints: switchboard_core::oauth::LegacyEndpoints::Allowed,
    };
    let owner_id = owner.id;
    let created = |id| {
        switchboard_store::AuditEvent::admin_change(
            owner_id,
            switchboard_core::AuditKind::ConnectorCreated,
            Some(id),
            json!({"auth": "oauth"}),
        )
    };
    let c = store.create_oauth_connector(new, &settings, created).await.expect("created");
    assert_eq!(store.connector_oauth(c.id).await.expect("read"), Some(settings));
    (owner.id, c.id)
}

fn tokens(access: &str, refresh: Option<&str>) -> IssuedTokens {
    IssuedTokens {
        access_token: SecretString::new(access),
        refresh_token: refresh.map(SecretString::new),
        expires_at: Some(OffsetDateTime::now_utc() + Duration::hours(1)),
        scopes: "read".into(),
    }
}

fn dynamic_client(id: &str) -> GrantClient {
    GrantClient {
        client_id: id.into(),
        registration: Registration::Dynamic,
        client_secret: Some(SecretString::new(format!("{id}-secret"))),
    }
}

/// A grant from `http://as` for the connector's resource, obtained by `client`.
fn grant<'a>(client: &'a GrantClient, tokens: &'a IssuedTokens) -> NewGrant<'a> {
    NewGrant { issuer: "http://as", resource: "http://127.0.0.1:3333/mcp", client, tokens }
}

mod flows_are_taken_once_by_their_owner {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let (owner, connector) = oauth_connector(&store).await;
        let other = store.create_user(new_user("other@example.com", Role::Member)).await.expect("user").id;
        let flow = NewOAuthFlow {
            state_digest: "digest-1".into(),
            user_id: owner,
            session_digest: Some("session".into()),
            connector_id: connector,
            payload: SecretString::new("{\"verifier\":\"v\"}"),
            expires_at: OffsetDateTime::now_utc() + Duration::minutes(10),
        };
        store.put_oauth_flow(&flow).await.expect("stored");
        assert!(store.take_oauth_flow("digest-1", other).await.expect("take").is_none(), "not someone else's");
        let taken = store.take_oauth_flow("digest-1", owner).await.expect("take").expect("the owner's");
        assert_eq!(taken.payload.expose(), "{\"verifier\":\"v\"}");
        assert_eq!(taken.session_digest.as_deref(), Some("session"));
        assert!(store.take_oauth_flow("digest-1", owner).await.expect("take").is_none(), "only once");

        // Registered clients: the first one stored for an issuer and redirect URI wins.
        let first = OAuthClient {
            issuer: "http://as".into(),
            redirect_uri: "http://sb/oauth/callback".into(),
            client_id: "one".into(),
            client_secret: Some(SecretString::new("s1")),
        };
        let kept = store.save_oauth_client(&first).await.expect("saved");
        let second = OAuthClient { client_id: "two".into(), ..first.clone() };
        assert_eq!(store.save_oauth_client(&second).await.expect("saved"), kept);
        assert_eq!(kept.client_secret.as_ref().map(|s| s.expose()), Some("s1"));

        // Forgotten only under its own id: a client registered meanwhile (by another replica) stays.
        assert!(!store.forget_oauth_client("http://as", "http://sb/oauth/callback", "two").await.expect("forget"));
        assert_eq!(store.oauth_client("http://as", "http://sb/oauth/callback").await.expect("read"), Some(kept));
        assert!(store.forget_oauth_client("http://as", "http://sb/oauth/callback", "one").await.expect("forget"));
        assert_eq!(store.oauth_client("http://as", "http://sb/oauth/callback").await.expect("read"), None);
        let anew = OAuthClient { client_id: "three".into(), ..first };
        assert_eq!(store.save_oauth_client(&anew).await.expect("saved"), anew, "the next connection registers anew");
    }
}

mod each_grant_keeps_the_client_that_obtained_it {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let (user, connector) = oauth_connector(&store).await;
        let first = dynamic_client("dcr-1");
        let saved =
            store.save_oauth_grant(user, connector, &grant(&first, &tokens("a1", Some("r1")))).await.expect("saved");
        assert_eq!(saved.client.as_ref(), Some(&first));

        // A refresh changes the tokens, not the client they are bound to.
        assert!(
            store
                .finish_oauth_refresh(user, connector, saved.version, &tokens("a2", Some("r2")))
                .await
                .expect("finish")
        );
        let refreshed = store.oauth_grant(user, connector).await.expect("read").expect("grant");
        assert_eq!(refreshed.client.as_ref(), Some(&first));

        // Connecting again through another client (the app's static one now) records that one, secretless or not.
        let static_client =
            GrantClient { client_id: "static-client".into(), registration: Registration::Static, client_secret: None };
        let step_up = store.save_oauth_step_up(user, connector, &grant(&static_client, &tokens("b", None))).await;
        assert_eq!(step_up.expect("saved").client, Some(static_client));
        let document = GrantClient {
            client_id: "https://sb.example/oauth/client-metadata.json".into(),
            registration: Registration::MetadataDocument,
            client_secret: None,
        };
        let again =
            store.save_oauth_grant(user, connector, &grant(&document, &tokens("c", None))).await.expect("saved");
        assert_eq!(again.client, Some(document));

        // A registered client's secret is kept with the grant (sealed like its tokens) and read back whole.
        let second = dynamic_client("dcr-2");
        store.save_oauth_grant(user, connector, &grant(&second, &tokens("d", None))).await.expect("saved");
        let read = store.oauth_grant(user, connector).await.expect("read").expect("grant");
        let secret = read.client.as_ref().and_then(|c| c.client_secret.as_ref()).map(|s| s.expose().to_owned());
        assert_eq!(secret.as_deref(), Some("dcr-2-secret"));
    }
}

mod one_refresh_claims_each_version {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        // Two replicas: two pools on one database, under one master key.
        let key = MasterKey::generate();
        let other = db.store_with_key(MasterKey::from_base64(&key.to_base64()).expect("key")).await;
        let store = db.store_with_key(key).await;
        let (user, connector) = oauth_connector(&store).await;
        let client = dynamic_client("dcr");
        let grant =
            store.save_oauth_grant(user, connector, &grant(&client, &tokens("a1", Some("r1")))).await.expect("saved");
        assert_eq!((grant.state, grant.access_token.expose()), (GrantState::Connected, "a1"));
        let until = OffsetDateTime::now_utc() + Duration::seconds(30);

        // Two replicas claim the same version: one wins.
        let (a, b) = tokio::join!(
            store.claim_oauth_refresh(user, connector, grant.version, until),
            other.claim_oauth_refresh(user, connector, grant.version, until),
        );
        assert!(a.expect("claim") ^ b.expect("claim"), "exactly one claim wins");
        assert!(
            store
                .finish_oauth_refresh(user, connector, grant.version, &tokens("a2", Some("r2")))
                .await
                .expect("finish")
        );
        assert!(
            !other.finish_oauth_refresh(user, connector, grant.version, &tokens("a3", None)).await.expect("finish"),
            "a stale version writes nothing"
        );
        let now = other.oauth_grant(user, connector).await.expect("read").expect("grant");
        assert_eq!((now.access_token.expose(), now.refresh_token.as_ref().map(|r| r.expose())), ("a2", Some("r2")));
        assert_eq!(now.version, grant.version + 1);
        assert!(now.refreshing_until.is_none());

        // No new refresh token keeps the old one; a lapsed claim can be taken again.
        let past = OffsetDateTime::now_utc() - Duration::seconds(1);
        assert!(store.claim_oauth_refresh(user, connector, now.version, past).await.expect("claim"));
        assert!(other.claim_oauth_refresh(user, connector, now.version, until).await.expect("claim"), "lapsed");
        assert!(other.finish_oauth_refresh(user, connector, now.version, &tokens("a4", None)).await.expect("finish"));
        let kept = store.oauth_grant(user, connector).await.expect("read").expect("grant");
        assert_eq!(kept.refresh_token.as_ref().map(|r| r.expose()), Some("r2"));

        // A refused refresh: reconnect needed, and nothing more to claim.
        let reason = "the authorization server refused the refresh";
        assert!(store.mark_oauth_needs_reconnect(user, connector, kept.version, reason).await.expect("marked"));
        let marked = store.oauth_grant(user, connector).await.expect("read").expect("grant");
        assert_eq!(marked.state, GrantState::NeedsReconnect);
        assert_eq!(marked.reconnect_reason.as_deref(), Some(reason));
        assert!(!store.claim_oauth_refresh(user, connector, marked.version, until).await.expect("claim"));
        store.delete_oauth_grant(user, connector).await.expect("deleted");
        assert!(store.oauth_grant(user, connector).await.expect("read").is_none());
    }
}

mod step_ups_count_in_a_row_and_start_again {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let (user, connector) = oauth_connector(&store).await;
        let client = dynamic_client("dcr");
        let first = store.save_oauth_grant(user, connector, &grant(&client, &tokens("a1", None))).await.expect("saved");
        assert_eq!((first.step_ups, first.reconnect_reason.as_deref()), (0, None));
        // Each authorization made for more scopes counts one more.
        for expect in 1..=3 {
            let g = store.save_oauth_step_up(user, connector, &grant(&client, &tokens("a", None))).await.expect("up");
            assert_eq!(g.step_ups, expect);
        }
        // A call that went through starts the count again.
        store.reset_oauth_step_ups(user, connector).await.expect("reset");
        let reset = store.oauth_grant(user, connector).await.expect("read").expect("grant");
        assert_eq!(reset.step_ups, 0);
        assert_eq!(reset.version, first.version + 3, "resetting is no change a refresh must notice");
        let up = store.save_oauth_step_up(user, connector, &grant(&client, &tokens("b", None))).await.expect("up");
        assert_eq!(up.step_ups, 1);
        // A plain connection does too, and clears why a reconnect was needed.
        let why = "the server moved to another authorization server";
        assert!(store.mark_oauth_needs_reconnect(user, connector, up.version, why).await.expect("marked"));
        let plain = store.save_oauth_grant(user, connector, &grant(&client, &tokens("c", None))).await.expect("saved");
        assert_eq!((plain.step_ups, plain.reconnect_reason.as_deref(), plain.state), (0, None, GrantState::Connected));
    }
}

on_both_backends!(
    flows_are_taken_once_by_their_owner,
    one_refresh_claims_each_version,
    step_ups_count_in_a_row_and_start_again,
    each_grant_keeps_the_client_that_obtained_it
);
