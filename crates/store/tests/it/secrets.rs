use sqlx::{Connection as _, Row as _};
use switchboard_core::SecretString;
use switchboard_store::{MasterKey, StoreError};

use super::*;

const PLAINTEXT: &str = "sk-live-plaintext-that-must-never-be-stored-0123456789";

mod encrypted_at_rest {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let key = MasterKey::generate();
        let store = db.store_with_key(key.clone()).await;
        store.put_secret("provider/openai", &SecretString::new(PLAINTEXT)).await.expect("stored");
        store.put_secret("provider/openai", &SecretString::new(PLAINTEXT)).await.expect("replaced");
        let back = store.secret("provider/openai").await.expect("read").expect("exists");
        assert_eq!(back.expose(), PLAINTEXT);
        assert!(store.secret("missing").await.expect("read").is_none());

        // What the database holds is not the plaintext.
        let raw = raw_sealed(&db).await;
        assert!(!contains(&raw, PLAINTEXT.as_bytes()), "sealed value holds the plaintext");
        assert!(raw.len() >= PLAINTEXT.len() + 1 + 12 + 16);
        if db.kind == DbKind::Sqlite {
            store.close().await;
            let mut bytes = std::fs::read(db.sqlite_file()).expect("read db file");
            for suffix in ["-wal", "-shm"] {
                let extra = db.sqlite_file().with_file_name(format!("switchboard.db{suffix}"));
                if let Ok(more) = std::fs::read(extra) {
                    bytes.extend(more);
                }
            }
            assert!(contains(&bytes, b"provider/openai"), "the test reads the right file");
            assert!(!contains(&bytes, PLAINTEXT.as_bytes()), "the database file holds a plaintext secret");
        }

        // Another key cannot open it, and says so.
        let other = db.store_with_key(MasterKey::generate()).await;
        assert!(matches!(other.secret("provider/openai").await, Err(StoreError::Decrypt)));
        let same = db.store_with_key(key).await;
        same.delete_secret("provider/openai").await.expect("deleted");
        assert!(same.secret("provider/openai").await.expect("read").is_none());
    }

    async fn raw_sealed(db: &TestDb) -> Vec<u8> {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&db.url).await.expect("connect");
        let row = sqlx::query("SELECT sealed FROM secrets WHERE name = 'provider/openai'")
            .fetch_one(&mut conn)
            .await
            .expect("row");
        row.try_get::<Vec<u8>, _>("sealed").expect("bytes")
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }
}

on_both_backends!(encrypted_at_rest);
