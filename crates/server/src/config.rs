//! Settings, from (lowest to highest) defaults, a TOML file, the environment and flags.

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite:///path/desk.db` (the default, embedded) or `postgres://user@host/db`.
    pub db: String,
    /// Address to listen on.
    pub listen: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Most operations in one push.
    pub max_batch_ops: usize,
    /// How far ahead of the server's clock an operation's stamp may be, in seconds.
    pub max_clock_ahead_secs: i64,
    /// Database transactions running at once (PostgreSQL connections in the pool).
    pub db_concurrency: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: "sqlite://desk-server.db".into(),
            listen: "127.0.0.1:8700".into(),
            max_body_bytes: 16 * 1024 * 1024,
            max_batch_ops: 5_000,
            max_clock_ahead_secs: 600,
            db_concurrency: 16,
        }
    }
}

impl Config {
    pub fn from_file(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))
    }
}
