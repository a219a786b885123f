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
    /// PostgreSQL: how long a request waits for a pooled connection, in seconds, and a CA
    /// certificate (PEM) to verify the database's TLS certificate against (TLS itself follows
    /// the URL's `sslmode`: `require`, `prefer` (the default), `disable`).
    pub db_checkout_timeout_secs: u64,
    pub db_ca_file: Option<String>,
    /// Failed sign-ins allowed per account, and per client address, within the window.
    pub login_attempts_per_account: usize,
    pub login_attempts_per_address: usize,
    pub login_window_secs: u64,
    /// Take the client's address from `X-Forwarded-For` (behind a proxy such as nginx that
    /// sets it); otherwise from the connection.
    pub trust_forwarded_for: bool,
    /// The address enterprises reach this server at, e.g. `https://desk.example.gov.cn`, for
    /// the portal's links in the letters `admin enterprise-code` prints; by default the
    /// listening address.
    pub public_url: Option<String>,
    /// Serve HTTPS with this certificate chain and private key (PEM files), read again on
    /// SIGHUP. Without them the server speaks plain HTTP, for a proxy in front that terminates
    /// TLS (nginx).
    pub tls_cert_file: Option<String>,
    pub tls_key_file: Option<String>,
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
            db_checkout_timeout_secs: 10,
            db_ca_file: None,
            login_attempts_per_account: 5,
            login_attempts_per_address: 20,
            login_window_secs: 300,
            trust_forwarded_for: false,
            public_url: None,
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

impl Config {
    /// What the database layer needs of these settings.
    pub fn db_options(&self) -> crate::db::DbOptions {
        crate::db::DbOptions {
            pool_size: self.db_concurrency.max(1) as u32,
            checkout_timeout: std::time::Duration::from_secs(self.db_checkout_timeout_secs.max(1)),
            ca_file: self.db_ca_file.clone(),
        }
    }

    /// The certificate and key to serve HTTPS with: both, or neither.
    pub fn tls_files(&self) -> Result<Option<(&Path, &Path)>, String> {
        match (&self.tls_cert_file, &self.tls_key_file) {
            (Some(cert), Some(key)) => Ok(Some((Path::new(cert), Path::new(key)))),
            (None, None) => Ok(None),
            (None, Some(_)) => {
                Err("tls_cert_file：有私钥而没有证书 (a key is set without its certificate)".into())
            }
            (Some(_), None) => {
                Err("tls_key_file：有证书而没有私钥 (a certificate is set without its key)".into())
            }
        }
    }

    /// The portal's address, as enterprises open it.
    pub fn portal_url(&self) -> String {
        let base = self.public_url.clone().unwrap_or_else(|| {
            let scheme = if self.tls_cert_file.is_some() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{}", self.listen)
        });
        format!("{}/portal/", base.trim_end_matches('/'))
    }

    pub fn from_file(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))
    }
}
