use std::time::Duration;

use switchboard_core::credentials::{new_api_token, token_digest};
use switchboard_core::{Role, TokenId};
use switchboard_store::{NewApiToken, StoreError};
use time::OffsetDateTime;

use super::users::new_user;
use super::*;

mod issue_use_and_revoke {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let ada = store.create_user(new_user("ada@example.com", Role::Member)).await.expect("created");
        let bob = store.create_user(new_user("bob@example.com", Role::Member)).await.expect("created");
        let secret = new_api_token();
        let token = store
            .create_api_token(NewApiToken {
                user_id: ada.id,
                name: "ci".into(),
                digest: token_digest(&secret),
                hint: "abcd".into(),
                expires_at: None,
            })
            .await
            .expect("created");
        let user = store.user_by_token_digest(&token_digest(&secret)).await.expect("query").expect("live");
        assert_eq!(user.id, ada.id);
        let listed = store.list_api_tokens(ada.id).await.expect("listed");
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some(), "use is recorded");
        assert_eq!(store.list_api_tokens(bob.id).await.expect("listed").len(), 0);

        let expired = new_api_token();
        store
            .create_api_token(NewApiToken {
                user_id: ada.id,
                name: "old".into(),
                digest: token_digest(&expired),
                hint: "wxyz".into(),
                expires_at: Some(OffsetDateTime::now_utc() - Duration::from_secs(1)),
            })
            .await
            .expect("created");
        assert!(store.user_by_token_digest(&token_digest(&expired)).await.expect("query").is_none());

        // Another user's token is "not found", so ids cannot be probed.
        assert!(matches!(store.delete_api_token(bob.id, token.id).await, Err(StoreError::NotFound("token"))));
        assert!(matches!(store.delete_api_token(ada.id, TokenId::new()).await, Err(StoreError::NotFound("token"))));
        store.delete_api_token(ada.id, token.id).await.expect("revoked");
        assert!(store.user_by_token_digest(&token_digest(&secret)).await.expect("query").is_none());
    }
}

on_both_backends!(issue_use_and_revoke);
