use switchboard_core::{Email, Role, UserId};
use switchboard_store::{NewUser, StoreError};

use super::*;

pub(crate) fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).expect("valid email"),
        name: email.split('@').next().unwrap_or("x").to_owned(),
        role,
        password_hash: Some("$argon2id$fake".into()),
    }
}

mod create_and_read {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let ada = store.create_user(new_user("ada@example.com", Role::Admin)).await.expect("created");
        assert_eq!(ada.role, Role::Admin);
        assert!(ada.has_password);
        assert!(!ada.developer_mode);
        assert_eq!(store.user(ada.id).await.expect("found"), ada);
        let by_email = store.user_by_email(&Email::parse("ADA@example.com").expect("valid")).await.expect("query");
        assert_eq!(by_email, Some(ada.clone()));

        let dup = store.create_user(new_user("ada@example.com", Role::Member)).await;
        assert!(matches!(dup, Err(StoreError::Conflict(ref m)) if m.contains("already exists")), "{dup:?}");

        let bob = store.create_user(new_user("bob@example.com", Role::Member)).await.expect("created");
        let all = store.list_users().await.expect("listed");
        assert_eq!(all.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), ["ada@example.com", "bob@example.com"]);

        let bob = store.set_user_role(bob.id, Role::Auditor).await.expect("role changed");
        assert_eq!(bob.role, Role::Auditor);
        let bob = store.set_developer_mode(bob.id, true).await.expect("toggled");
        assert!(bob.developer_mode);
        let (found, hash) = store.credentials_by_email(&bob.email).await.expect("query").expect("exists");
        assert_eq!(found.id, bob.id);
        assert_eq!(hash.as_deref(), Some("$argon2id$fake"));

        store.delete_user(bob.id).await.expect("deleted");
        assert!(matches!(store.user(bob.id).await, Err(StoreError::NotFound("user"))));
        assert!(matches!(store.delete_user(bob.id).await, Err(StoreError::NotFound("user"))));
        assert!(matches!(store.set_user_role(UserId::new(), Role::Owner).await, Err(StoreError::NotFound("user"))));
    }
}

mod setup_happens_once {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        assert!(!store.is_set_up().await.expect("query"));
        // Two racing setups: exactly one wins, and the other is told why.
        let (a, b) = tokio::join!(
            store.complete_setup(new_user("one@example.com", Role::Member)),
            store.complete_setup(new_user("two@example.com", Role::Member)),
        );
        let wins = [&a, &b].iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "{a:?} {b:?}");
        let loser = if a.is_ok() { b } else { a };
        assert!(matches!(loser, Err(StoreError::AlreadySetUp)), "{loser:?}");
        assert!(store.is_set_up().await.expect("query"));
        let owners: Vec<_> =
            store.list_users().await.expect("listed").into_iter().filter(|u| u.role == Role::Owner).collect();
        assert_eq!(owners.len(), 1, "setup always makes an owner, whatever role was asked");
    }
}

mod creating_an_owner_completes_setup {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        store.create_user(new_user("m@example.com", Role::Member)).await.expect("created");
        assert!(!store.is_set_up().await.expect("query"), "a member does not complete setup");
        store.create_user(new_user("o@example.com", Role::Owner)).await.expect("created");
        assert!(store.is_set_up().await.expect("query"));
        assert!(matches!(
            store.complete_setup(new_user("x@example.com", Role::Owner)).await,
            Err(StoreError::AlreadySetUp)
        ));
    }
}

on_both_backends!(create_and_read, setup_happens_once, creating_an_owner_completes_setup);
