//! The SQLite database's files on disk.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use switchboard_core::{Email, Role};
use switchboard_store::{ConnectOptions, MasterKey, NewUser, Store};

/// The file's permission bits, in octal as `ls` and `chmod` write them.
fn mode(path: &Path) -> String {
    let mode = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode();
    format!("{:o}", mode & 0o777)
}

async fn open_and_write(url: &str) -> Store {
    let store = Store::connect(url, MasterKey::generate(), ConnectOptions::default()).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
        .create_user(NewUser {
            email: Email::parse(&format!("{}@example.com", uuid::Uuid::new_v4().simple())).expect("email"),
            name: "Ada".into(),
            role: Role::Member,
            password_hash: None,
        })
        .await
        .expect("write a user");
    store
}

/// The database, its write-ahead log and its shared-memory file are readable and
/// writable by their owner only, in a directory anyone may read and under the
/// usual umask (022), where SQLite alone would create them 0644.
#[tokio::test]
async fn sqlite_files_are_readable_by_their_owner_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod 0755");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("switchboard.db").display());
    let store = open_and_write(&url).await;
    for name in ["switchboard.db", "switchboard.db-wal", "switchboard.db-shm"] {
        assert_eq!(mode(&dir.path().join(name)), "600", "{name} while the store is open");
    }
    store.close().await;

    // A database made readable by others before (an older version, a copy) is narrowed.
    let old = dir.path().join("old.db");
    std::fs::write(&old, b"").expect("create");
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).expect("chmod 0644");
    let store = open_and_write(&format!("sqlite://{}?mode=rwc", old.display())).await;
    for name in ["old.db", "old.db-wal", "old.db-shm"] {
        assert_eq!(mode(&dir.path().join(name)), "600", "{name}");
    }
    store.close().await;
}
