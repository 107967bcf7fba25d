use switchboard_core::{GroupId, Role, UserId};
use switchboard_store::StoreError;

use super::users::new_user;
use super::*;

mod membership {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let eng = store.create_group("engineering").await.expect("created");
        assert_eq!(eng.member_count, 0);
        assert!(matches!(store.create_group("engineering").await, Err(StoreError::Conflict(_))));
        let ops = store.create_group("ops").await.expect("created");

        let ada = store.create_user(new_user("ada@example.com", Role::Member)).await.expect("created");
        let bob = store.create_user(new_user("bob@example.com", Role::Member)).await.expect("created");
        store.add_group_member(eng.id, ada.id).await.expect("added");
        store.add_group_member(eng.id, bob.id).await.expect("added");
        store.add_group_member(ops.id, ada.id).await.expect("added");
        assert!(matches!(store.add_group_member(eng.id, ada.id).await, Err(StoreError::Conflict(_))));
        assert!(matches!(store.add_group_member(GroupId::new(), ada.id).await, Err(StoreError::NotFound("group"))));
        assert!(matches!(store.add_group_member(eng.id, UserId::new()).await, Err(StoreError::NotFound("user"))));

        let group = store.group(eng.id).await.expect("found");
        assert_eq!(
            group.members.iter().map(|m| m.email.as_str()).collect::<Vec<_>>(),
            ["ada@example.com", "bob@example.com"]
        );
        let listed = store.list_groups().await.expect("listed");
        assert_eq!(
            listed.iter().map(|g| (g.name.as_str(), g.member_count)).collect::<Vec<_>>(),
            [("engineering", 2), ("ops", 1)]
        );
        let of_ada = store.groups_of_user(ada.id).await.expect("listed");
        assert_eq!(of_ada.iter().map(|g| g.id).collect::<Vec<_>>(), [eng.id, ops.id]);

        store.remove_group_member(eng.id, bob.id).await.expect("removed");
        assert!(matches!(store.remove_group_member(eng.id, bob.id).await, Err(StoreError::NotFound(_))));

        // Deleting a user or a group removes the memberships with it.
        store.delete_user(ada.id).await.expect("deleted");
        assert_eq!(store.group(eng.id).await.expect("found").members.len(), 0);
        store.delete_group(ops.id).await.expect("deleted");
        assert!(matches!(store.group(ops.id).await, Err(StoreError::NotFound("group"))));
        assert!(matches!(store.delete_group(ops.id).await, Err(StoreError::NotFound("group"))));
    }
}

on_both_backends!(membership);
