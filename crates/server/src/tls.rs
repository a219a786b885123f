//! HTTPS of its own: `tls_cert_file` and `tls_key_file` in the config (PEM: the certificate
//! chain, leaf first, and its private key). SIGHUP reads them again, so a renewed certificate
//! takes effect without a restart; files that do not make a valid pair are refused with a log
//! line, and the server keeps the certificate it has.

use std::path::Path;
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The certificate and key files, read and checked as a pair.
pub fn load(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            format!(
                "tls_cert_file：无法读取证书 {} (cannot read the certificate): {e}",
                cert.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "tls_cert_file：{} 中没有证书 (no certificate in the file)",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        format!(
            "tls_key_file：无法读取私钥 {} (cannot read the private key): {e}",
            key.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            format!("tls_key_file：私钥与证书不匹配或无法使用 (the key does not fit the certificate): {e}")
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Reads the files again into the running server's configuration; on failure the server keeps
/// the certificate it has.
pub fn reload(tls: &RustlsConfig, cert: &Path, key: &Path) -> Result<(), String> {
    tls.reload_from_config(load(cert, key)?);
    Ok(())
}
