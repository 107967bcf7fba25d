//! Which process runs a turn or a call: each records its instance, so that the
//! recovery at a start touches only the work of the process that stopped, and
//! several processes can share one database.

use std::path::Path;

use crate::error::{Result, StoreError};

/// The name of one Switchboard process (or of its successive runs, when it keeps
/// the name across restarts): 1 to 64 letters, digits, `.`, `_` or `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InstanceId(String);

impl InstanceId {
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let valid = (1..=64).contains(&text.len())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid {
            return Err(StoreError::Instance(format!("{text:?} must be 1 to 64 letters, digits, '.', '_' or '-'")));
        }
        Ok(Self(text.to_owned()))
    }

    /// A new random one (a UUID).
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The one kept in the file at `path`, made and written there the first time,
    /// so that a restart of the same instance recovers its own work.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|e| StoreError::Instance(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let id = Self::random();
                std::fs::write(path, format!("{}\n", id.0))
                    .map_err(|e| StoreError::Instance(format!("cannot create {}: {e}", path.display())))?;
                tracing::info!(path = %path.display(), instance = %id.0, "generated this instance's id");
                Ok(id)
            }
            Err(e) => Err(StoreError::Instance(format!("cannot read {}: {e}", path.display()))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for InstanceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_plain_names() {
        assert_eq!(InstanceId::parse(" replica-a.1_x\n").map(|i| i.0).ok(), Some("replica-a.1_x".into()));
        for bad in ["", "a b", "é", "../x", &"x".repeat(65)] {
            assert!(matches!(InstanceId::parse(bad), Err(StoreError::Instance(_))), "{bad:?}");
        }
        assert_eq!(InstanceId::random().as_str().len(), 36);
    }

    #[test]
    fn the_file_keeps_the_id_across_restarts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("instance-id");
        let first = InstanceId::load_or_create(&path).expect("made");
        assert_eq!(InstanceId::load_or_create(&path).expect("read"), first);
        std::fs::write(&path, "not valid!").expect("written");
        assert!(matches!(InstanceId::load_or_create(&path), Err(StoreError::Instance(_))));
    }
}
