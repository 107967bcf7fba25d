use switchboard_core::{DeveloperModePolicy, GroupId};
use switchboard_store::StoreError;

use super::*;

mod developer_mode_policy {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let fresh = store.workspace_settings().await.expect("read");
        assert_eq!(fresh.developer_mode_policy, DeveloperModePolicy::Admins);
        assert!(fresh.developer_mode_groups.is_empty());

        let devs = store.create_group("developers").await.expect("created");
        let set = store.set_developer_mode_policy(DeveloperModePolicy::Rbac, &[devs.id, devs.id]).await.expect("set");
        assert_eq!(set.developer_mode_policy, DeveloperModePolicy::Rbac);
        assert_eq!(set.developer_mode_groups.iter().map(|g| g.id).collect::<Vec<_>>(), [devs.id]);

        // An unknown group refuses the whole change.
        let bad = store.set_developer_mode_policy(DeveloperModePolicy::Off, &[GroupId::new()]).await;
        assert!(matches!(bad, Err(StoreError::NotFound("group"))), "{bad:?}");
        assert_eq!(store.workspace_settings().await.expect("read"), set);

        store.delete_group(devs.id).await.expect("deleted");
        assert!(store.workspace_settings().await.expect("read").developer_mode_groups.is_empty());

        // Migrating again is harmless and keeps the settings.
        store.migrate().await.expect("migrated again");
        assert_eq!(store.workspace_settings().await.expect("read").developer_mode_policy, DeveloperModePolicy::Rbac);
    }
}

on_both_backends!(developer_mode_policy);
