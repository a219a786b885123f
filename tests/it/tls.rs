//! HTTPS served by `desk-server` itself, with a certificate from a CA made here (as a zone runs
//! its own): a device that trusts the CA signs in and syncs, one that does not is told why, the
//! portal opens on a phone in a secure context, and a renewed certificate is taken on SIGHUP.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

use crate::harness::{binary, server_admin_ok, Device};
use crate::portal::{enterprise_code, letter_line, on_phone_with};
use crate::server_harness::{seed, start_server_with, Backend, ServerProcess, TestDb};

/// The zone's certificate authority.
fn zone_ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "某开发区 信息中心 根证书");
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A server certificate for loopback, signed by `ca`: (certificate PEM, key PEM, its DER).
fn server_cert(ca: &CertifiedIssuer<'static, KeyPair>, name: &str) -> (String, String, Vec<u8>) {
    let mut params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    (cert.pem(), key.serialize_pem(), cert.der().to_vec())
}

/// The certificate a fresh connection to `url` is shown, trusting `ca`.
async fn presented(url: &str, ca: &str) -> Vec<u8> {
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let resp = client.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("a TLS connection")
        .to_vec()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn devices_and_the_portal_work_over_https_with_the_zones_own_certificate() {
    let db = TestDb::new(&Backend::Sqlite);
    seed(&db.url);
    server_admin_ok(&db.url, &["demo"]);
    let dir = tempfile::tempdir().unwrap();
    let (ca_file, cert_file, key_file) = (
        dir.path().join("zone-ca.pem"),
        dir.path().join("desk.pem"),
        dir.path().join("desk.key"),
    );
    let ca = zone_ca();
    write(&ca_file, &ca.pem());
    let (cert, key, first) = server_cert(&ca, "desk.example.gov.cn");
    write(&cert_file, &cert);
    write(&key_file, &key);
    let server = start_server_with(
        &db.url,
        &[
            "--tls-cert",
            &cert_file.display().to_string(),
            "--tls-key",
            &key_file.display().to_string(),
        ],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);

    // A machine without the zone's CA is refused, and told why.
    let stranger = Device::new();
    let out = stranger.try_sign_in(&server.url, "officer1");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("证书不受信任"), "{err}");
    assert!(err.contains("UnknownIssuer"), "{err}");

    // One with it signs in and syncs.
    let tablet = Device::trusting(&ca_file);
    tablet.sign_in(&server.url, "officer1");
    tablet.run(&["sync"]).ok();
    tablet
        .run(&["site", "add", "--name", "加密通道企业", "--park", "一园"])
        .ok();
    tablet.run(&["sync"]).ok();
    let desk = Device::trusting(&ca_file);
    desk.sign_in(&server.url, "leader");
    desk.run(&["sync"]).ok();
    assert!(desk.export().contains("加密通道企业"));

    // An enterprise's phone opens the portal over HTTPS and signs in.
    let (ok, letter) = enterprise_code(&db.url, &["--site", "湖北斯诺新材料有限公司"]);
    assert!(ok, "{letter}");
    let (credit, code) = (
        letter_line(&letter, "统一社会信用代码 (credit code)"),
        letter_line(&letter, "访问码 (access code)"),
    );
    let cert_path = cert_file.display().to_string();
    on_phone_with(
        "https.mjs",
        &[&server.url, &credit, &code],
        &[],
        &[("PORTAL_TRUST_CERT", &cert_path)],
    )
    .await;

    // The certificate is renewed: SIGHUP, and new connections are shown the new one.
    let ca_pem = ca.pem();
    assert_eq!(presented(&server.url, &ca_pem).await, first);
    let (cert, key, renewed) = server_cert(&ca, "desk.example.gov.cn (renewed)");
    write(&cert_file, &cert);
    write(&key_file, &key);
    hang_up(&server);
    let deadline = Instant::now() + Duration::from_secs(10);
    while presented(&server.url, &ca_pem).await != renewed {
        assert!(
            Instant::now() < deadline,
            "the renewed certificate was not taken"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A broken renewal is refused and the server keeps serving the certificate it has.
    write(
        &cert_file,
        "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n",
    );
    hang_up(&server);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(presented(&server.url, &ca_pem).await, renewed);
    tablet.run(&["sync"]).ok();

    // SIGTERM, as systemd stops it: requests in flight finish, and it exits cleanly.
    let status = server.terminate();
    assert!(status.success(), "{status}");
}

fn hang_up(server: &ServerProcess) {
    let status = Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_server_with_unusable_certificate_files_says_which_and_does_not_start() {
    let db = TestDb::new(&Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let ca = zone_ca();
    let (cert, _, _) = server_cert(&ca, "desk");
    let (_, other_key, _) = server_cert(&ca, "another");
    let (cert_file, key_file) = (dir.path().join("desk.pem"), dir.path().join("desk.key"));
    write(&cert_file, &cert);
    write(&key_file, &other_key);
    let serve = |cert: &Path, key: &Path| {
        Command::new(binary("desk-server"))
            .args(["--db", &db.url, "serve", "--listen", "127.0.0.1:0"])
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .output()
            .unwrap()
    };
    let missing = dir.path().join("missing.key");
    for (cert, key, says) in [
        (&cert_file, &missing, "tls_key_file"),
        (&key_file, &key_file, "tls_cert_file"),
        (&cert_file, &key_file, "tls_key_file"),
    ] {
        let out = serve(cert, key);
        assert!(!out.status.success(), "{says}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{says}: {err}");
    }
}
