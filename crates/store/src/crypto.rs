//! The master key and authenticated encryption of secret columns (AES-256-GCM).
//!
//! Sealed format: `[version = 1][12-byte random nonce][ciphertext + 16-byte tag]`,
//! with the row's identity as associated data.

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use rand::rngs::OsRng;

use crate::error::{Result, StoreError};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// The 256-bit key that seals every secret column. `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey(Box<[u8; 32]>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self(Box::new(key))
    }

    /// A key given as base64 of exactly 32 bytes (`SWITCHBOARD_SECRET_KEY`).
    pub fn from_base64(text: &str) -> Result<Self> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| {
            StoreError::Key("the key is not base64; generate one with `openssl rand -base64 32`".into())
        })?;
        let key: [u8; 32] =
            bytes.try_into().map_err(|_| StoreError::Key("the key must be 32 bytes (44 base64 characters)".into()))?;
        Ok(Self(Box::new(key)))
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.as_slice())
    }

    /// Read the key file, or create it (mode 0600) with a new key when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text).map_err(|e| StoreError::Key(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                write_private(path, key.to_base64().as_bytes())
                    .map_err(|e| StoreError::Key(format!("cannot create {}: {e}", path.display())))?;
                tracing::info!(path = %path.display(), "generated a new secret key file");
                Ok(key)
            }
            Err(e) => Err(StoreError::Key(format!("cannot read {}: {e}", path.display()))),
        }
    }

    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let cipher =
            Aes256Gcm::new_from_slice(self.0.as_slice()).map_err(|_| StoreError::Key("bad key length".into()))?;
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            .map_err(|_| StoreError::Key("encryption failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != VERSION {
            return Err(StoreError::Corrupt("sealed value has an unknown format".into()));
        }
        let cipher =
            Aes256Gcm::new_from_slice(self.0.as_slice()).map_err(|_| StoreError::Key("bad key length".into()))?;
        let (nonce, ciphertext) = sealed[1..].split_at(NONCE_LEN);
        cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad }).map_err(|_| StoreError::Decrypt)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"row-1", b"top secret").expect("seals");
        assert!(!sealed.windows(10).any(|w| w == b"top secret"));
        assert_eq!(key.open(b"row-1", &sealed).expect("opens"), b"top secret");
    }

    #[test]
    fn wrong_key_or_row_does_not_open() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"row-1", b"top secret").expect("seals");
        assert!(matches!(MasterKey::generate().open(b"row-1", &sealed), Err(StoreError::Decrypt)));
        assert!(matches!(key.open(b"row-2", &sealed), Err(StoreError::Decrypt)));
        let mut tampered = sealed.clone();
        *tampered.last_mut().expect("not empty") ^= 1;
        assert!(matches!(key.open(b"row-1", &tampered), Err(StoreError::Decrypt)));
    }

    #[test]
    fn keys_parse_from_base64_of_32_bytes() {
        let key = MasterKey::generate();
        assert!(MasterKey::from_base64(&key.to_base64()).is_ok());
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey([redacted])");
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secret.key");
        let a = MasterKey::load_or_create(&path).expect("created");
        let b = MasterKey::load_or_create(&path).expect("read back");
        assert_eq!(a.to_base64(), b.to_base64());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("exists").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
