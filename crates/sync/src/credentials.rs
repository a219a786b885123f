//! The device's sign-in, kept beside its store in `credentials.json`, readable by its owner
//! only (mode 0600 on Unix): the server's address, the device token, who signed in.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub server: String,
    pub token: String,
    pub device_id: Uuid,
    pub user: String,
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("credentials.json")
}

/// Writes atomically (a file beside it renamed over the old one), owner-only.
pub fn save(data_dir: &Path, c: &Credentials) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(c).expect("serialisable");
    desk_store::write_private(&path(data_dir), json.as_bytes())
}

/// The sign-in, if this device has one.
pub fn load(data_dir: &Path) -> Result<Option<Credentials>, String> {
    let p = path(data_dir);
    match std::fs::read_to_string(&p) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{} 已损坏 (damaged): {e}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", p.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_for_the_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_none());
        let c = Credentials {
            server: "http://127.0.0.1:8700".into(),
            token: "desk_x".into(),
            device_id: Uuid::now_v7(),
            user: "zhang".into(),
        };
        save(dir.path(), &c).unwrap();
        assert_eq!(load(dir.path()).unwrap().unwrap().token, "desk_x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(path(dir.path()), "{").unwrap();
        assert!(load(dir.path()).unwrap_err().contains("damaged"));
    }
}
