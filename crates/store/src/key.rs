//! Encryption at rest: a tablet left in a taxi must not hand over every enterprise's appeals.
//!
//! A device's store is an SQLCipher database (every page AES-256 encrypted and authenticated)
//! under a random 256-bit key made on the device. The key is kept in a key file beside the
//! store, readable by its user alone ([`KeyPlace`] says where, for the sync panel and `desk
//! status` to show). A store written before encryption is encrypted in place when it is first
//! opened: copied whole into an encrypted file (`sqlcipher_export`), which then replaces it, so
//! a crash at any point leaves either the plain store or the encrypted one, never half of each.
//!
//! A wrong or missing key is found before anything is written, and said plainly.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rand::RngCore;
use rusqlite::{Connection, ErrorCode};

use crate::{Result, Store, StoreError};

/// The store's file in a data directory.
pub const STORE_FILE: &str = "desk.db";
/// Its key's file, beside it.
pub const KEY_FILE: &str = "desk.key";

/// What every SQLite file that is not encrypted begins with.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A store's key: 32 random bytes, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey([u8; 32]);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

impl StoreKey {
    pub fn random() -> StoreKey {
        let mut key = [0; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        StoreKey(key)
    }

    /// SQLCipher's form of a raw key (no passphrase derivation: the key is random already).
    fn sql(&self) -> String {
        format!("x'{}'", hex::encode(self.0))
    }

    /// Keys a connection just opened, and checks the key opens it: a wrong key is refused here,
    /// before anything reads or writes the file.
    pub(crate) fn unlock(&self, conn: &Connection, path: &Path) -> Result<()> {
        conn.pragma_update(None, "key", self.sql())?;
        match conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(())) {
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) => {
                Err(StoreError::WrongKey {
                    path: path.display().to_string(),
                })
            }
            other => Ok(other?),
        }
    }
}

/// Where a store's key is kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(tag = "kind", content = "path", rename_all = "snake_case")]
pub enum KeyPlace {
    /// A file readable by its user alone (mode 0600), beside the store.
    File(PathBuf),
}

impl std::fmt::Display for KeyPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyPlace::File(path) => write!(
                f,
                "本机数据已加密，密钥保存在仅本用户可读的文件 {} (the store is encrypted; its key is in {}, readable by this user only)",
                path.display(),
                path.display()
            ),
        }
    }
}

/// Whether the file at `path` is an SQLite database that is not encrypted.
fn is_plain(path: &Path) -> Result<bool> {
    let mut header = [0; 16];
    let mut file = std::fs::File::open(path).map_err(|source| file_error(path, source))?;
    Ok(file.read_exact(&mut header).is_ok() && &header == PLAIN_HEADER)
}

fn file_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.display().to_string(),
        source,
    }
}

/// Reads the key file, if there is one.
fn read_key(path: &Path) -> Result<Option<StoreKey>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(file_error(path, source)),
    };
    let bytes = hex::decode(text.trim()).ok();
    match bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
        Some(key) => Ok(Some(StoreKey(key))),
        None => Err(StoreError::KeyUnreadable {
            path: path.display().to_string(),
        }),
    }
}

/// Writes a new key file, readable by its user alone, synced before the store depends on it.
fn write_key(path: &Path, key: &StoreKey) -> Result<()> {
    write_private(path, hex::encode(key.0).as_bytes()).map_err(|source| file_error(path, source))
}

/// Writes `bytes` to `path` readable by its owner alone (mode 0600 on Unix), whole or not at
/// all: a file beside it, synced, then renamed over it. For secrets kept in the data directory
/// (the store's key, the device's sign-in).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".new");
    let partial = PathBuf::from(partial);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&partial, path)
}

/// Encrypts the plain store at `path` under `key`, in place.
fn encrypt_in_place(path: &Path, key: &StoreKey) -> Result<()> {
    let encrypting = path.with_extension("db.encrypting");
    let _ = std::fs::remove_file(&encrypting); // what a crash left of an earlier attempt
    {
        let plain = Connection::open(path)?;
        // The full-text index's tokenizer, for its tables to be copied.
        crate::query::register_functions(&plain)?;
        let version: i64 = plain.pragma_query_value(None, "user_version", |r| r.get(0))?;
        plain.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            (encrypting.to_string_lossy(), key.sql()),
        )?;
        plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        plain.pragma_update(
            Some(rusqlite::DatabaseName::Attached("encrypted")),
            "user_version",
            version,
        )?;
        plain.execute("DETACH DATABASE encrypted", [])?;
        plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    std::fs::File::open(&encrypting)
        .and_then(|f| f.sync_all())
        .map_err(|source| file_error(&encrypting, source))?;
    // The plain store's journal must not be taken for the encrypted one's.
    for suffix in ["-wal", "-shm"] {
        let mut journal = path.as_os_str().to_owned();
        journal.push(suffix);
        match std::fs::remove_file(PathBuf::from(journal)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(file_error(path, e));
            }
            _ => {}
        }
    }
    std::fs::rename(&encrypting, path).map_err(|source| file_error(path, source))
}

/// Erases the store in `dir` (closed): its key first, overwritten, so that whatever of the
/// store a flash disk keeps is noise; then the store and its journal.
pub fn erase_dir(dir: &Path) -> std::io::Result<()> {
    let key = dir.join(KEY_FILE);
    if key.exists() {
        std::fs::write(&key, [0u8; 64])?;
        std::fs::remove_file(&key)?;
    }
    for name in [
        STORE_FILE,
        "desk.db-wal",
        "desk.db-shm",
        "desk.db.encrypting",
    ] {
        match std::fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the encrypted store in the data directory `dir`, with its
    /// key: made for a new store, and for a plain one, which is encrypted in place first.
    pub fn open_dir(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|source| file_error(dir, source))?;
        let path = dir.join(STORE_FILE);
        let key_path = dir.join(KEY_FILE);
        let exists = path.exists();
        let plain = exists && is_plain(&path)?;
        let key = match read_key(&key_path)? {
            Some(key) => key,
            None if exists && !plain => {
                return Err(StoreError::KeyMissing {
                    path: key_path.display().to_string(),
                })
            }
            None => {
                let key = StoreKey::random();
                write_key(&key_path, &key)?;
                key
            }
        };
        if plain {
            encrypt_in_place(&path, &key)?;
        }
        let mut store = Store::open_encrypted(&path, &key)?;
        store.key_place = Some(KeyPlace::File(key_path));
        Ok(store)
    }

    /// A read-only connection to the encrypted store in `dir`, beside whatever has it open (an
    /// end-to-end test looking at a running app's drafts): the key applied, nothing migrated.
    pub fn peek(dir: &Path) -> Result<Connection> {
        let path = dir.join(STORE_FILE);
        let key_path = dir.join(KEY_FILE);
        let key = read_key(&key_path)?.ok_or_else(|| StoreError::KeyMissing {
            path: key_path.display().to_string(),
        })?;
        let conn = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        key.unlock(&conn, &path)?;
        Ok(conn)
    }

    /// Where this store's key is kept; none for a store that is not encrypted.
    pub fn key_place(&self) -> Option<&KeyPlace> {
        self.key_place.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::site;

    fn bytes(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap()
    }

    #[test]
    fn a_new_store_is_encrypted_and_its_key_readable_by_its_user_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_dir(dir.path()).unwrap();
        store
            .write(|w| w.create(site("汉阳钢铁厂")).map(drop))
            .unwrap();
        let place = KeyPlace::File(dir.path().join(KEY_FILE));
        assert_eq!(store.key_place(), Some(&place));
        assert_eq!(store.status().unwrap().key_place, Some(place));
        drop(store);
        assert!(!is_plain(&dir.path().join(STORE_FILE)).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Without the key, SQLite sees no database.
        let bare = Connection::open(dir.path().join(STORE_FILE)).unwrap();
        let err = bare
            .query_row("SELECT count(*) FROM sites", [], |r| r.get::<_, i64>(0))
            .unwrap_err();
        assert_eq!(err.sqlite_error_code(), Some(ErrorCode::NotADatabase));
        // With it, everything is there.
        let store = Store::open_dir(dir.path()).unwrap();
        assert_eq!(store.search("钢铁", 10).unwrap().sites.len(), 1);
    }

    #[test]
    fn a_plain_store_is_encrypted_in_place_losing_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STORE_FILE);
        let before = {
            let mut store = Store::open(&path).unwrap();
            for name in ["汉阳钢铁厂", "光谷生物城", "青山热电"] {
                store.write(|w| w.create(site(name)).map(drop)).unwrap();
            }
            store.export().unwrap()
        };
        assert!(is_plain(&path).unwrap());
        let store = Store::open_dir(dir.path()).unwrap();
        assert!(!is_plain(&path).unwrap());
        assert!(!dir.path().join("desk.db.encrypting").exists());
        assert_eq!(store.export().unwrap(), before);
        assert_eq!(store.search("光谷", 10).unwrap().sites.len(), 1);
        assert_eq!(store.outbox().unwrap().len(), 3, "the outbox came along");
    }

    #[test]
    fn a_wrong_or_missing_key_is_refused_and_the_store_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STORE_FILE);
        let key_path = dir.path().join(KEY_FILE);
        {
            let mut store = Store::open_dir(dir.path()).unwrap();
            store
                .write(|w| w.create(site("汉阳钢铁厂")).map(drop))
                .unwrap();
        }
        let stored = bytes(&path);

        write_key(&key_path, &StoreKey::random()).unwrap();
        let err = Store::open_dir(dir.path())
            .err()
            .expect("a wrong key is refused");
        assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
        assert!(err.to_string().contains("密钥"), "{err}");

        std::fs::remove_file(&key_path).unwrap();
        let err = Store::open_dir(dir.path())
            .err()
            .expect("no key is refused");
        assert!(matches!(err, StoreError::KeyMissing { .. }), "{err}");
        assert!(err.to_string().contains(KEY_FILE), "{err}");
        assert!(
            !key_path.exists(),
            "no new key is made for an encrypted store"
        );

        std::fs::write(&key_path, "not a key").unwrap();
        let err = Store::open_dir(dir.path())
            .err()
            .expect("a damaged key is refused");
        assert!(matches!(err, StoreError::KeyUnreadable { .. }), "{err}");

        assert!(bytes(&path) == stored, "the store was not touched");
    }
}
