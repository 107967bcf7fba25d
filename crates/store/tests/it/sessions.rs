use std::time::Duration;

use switchboard_core::Role;
use switchboard_core::credentials::{random_token, token_digest};
use time::OffsetDateTime;

use super::users::new_user;
use super::*;

mod live_expired_and_deleted {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let ada = store.create_user(new_user("ada@example.com", Role::Member)).await.expect("created");
        let cookie = random_token(32);
        let digest = token_digest(&cookie);
        store
            .create_session(&digest, ada.id, OffsetDateTime::now_utc() + Duration::from_secs(3600))
            .await
            .expect("created");
        let session = store.session(&digest).await.expect("query").expect("live");
        assert_eq!(session.user.id, ada.id);
        assert!(store.session("unknown").await.expect("query").is_none());

        let old = token_digest(&random_token(32));
        store.create_session(&old, ada.id, OffsetDateTime::now_utc() - Duration::from_secs(1)).await.expect("created");
        assert!(store.session(&old).await.expect("query").is_none(), "expired sessions are not found");
        assert_eq!(store.purge_expired_sessions().await.expect("purged"), 1);

        store.delete_session(&digest).await.expect("deleted");
        assert!(store.session(&digest).await.expect("query").is_none());

        store
            .create_session(&digest, ada.id, OffsetDateTime::now_utc() + Duration::from_secs(60))
            .await
            .expect("created");
        store.delete_sessions_of(ada.id).await.expect("deleted");
        assert!(store.session(&digest).await.expect("query").is_none());
    }
}

on_both_backends!(live_expired_and_deleted);
