//! Webhooks over https end to end: a test CA and a server certificate made in the test, a TLS
//! receiver inside the test, and `serve --webhook-root-ca` trusting the CA.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode as Status;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;
use voltgate_store::Engine;

use crate::api::get;
use crate::helpers::{spawn_app_with, TestApp};
use crate::webhooks::{add_webhook, fast, grant, partner, signed_with};

crate::on_both_engines!(https_endpoints_are_called_when_their_root_is_trusted);

/// A CA made for the test, and a certificate it signed for 127.0.0.1.
struct TestPki {
    ca_pem: String,
    server: rustls::ServerConfig,
}

impl TestPki {
    fn new() -> Self {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "voltgate test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        Self {
            ca_pem: ca.pem(),
            server,
        }
    }
}

/// An https receiver on 127.0.0.1 with the test certificate: keeps each request's signature header
/// and body, answers 200.
async fn https_receiver(pki: &TestPki) -> (Arc<Mutex<Vec<(String, String)>>>, String) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/hooks",
        listener.local_addr().unwrap().port()
    );
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(pki.server.clone()));
    let kept = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, kept) = (acceptor.clone(), kept.clone());
            tokio::spawn(async move {
                // A handshake the client breaks off (an untrusted certificate) ends here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                let (head, body_start) = loop {
                    let Ok(read) = tls.read(&mut buffer).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    request.extend_from_slice(&buffer[..read]);
                    if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break (
                            String::from_utf8_lossy(&request[..end]).to_string(),
                            end + 4,
                        );
                    }
                };
                let header = |name: &str| {
                    head.lines()
                        .filter_map(|line| line.split_once(':'))
                        .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
                        .map(|(_, value)| value.trim().to_owned())
                        .unwrap_or_default()
                };
                let length: usize = header("content-length").parse().unwrap_or(0);
                while request.len() < body_start + length {
                    let Ok(read) = tls.read(&mut buffer).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    request.extend_from_slice(&buffer[..read]);
                }
                let body = String::from_utf8_lossy(&request[body_start..body_start + length]);
                kept.lock()
                    .unwrap()
                    .push((header("voltgate-signature"), body.to_string()));
                let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                let _ = tls.write_all(answer).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (got, url)
}

/// The partner's webhook attempts, once there is one (at most 10 s).
async fn first_attempt(app: &TestApp, token: &str, group: voltgate_domain::GroupId) -> Value {
    let path = format!("/api/userGroups/{group}/webhooks");
    for _ in 0..100 {
        let (status, list) = get(app, token, &path).await;
        assert_eq!(status, Status::OK, "{list}");
        if let Some(attempt) = list[0]["RecentAttempts"].get(0) {
            return attempt.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no attempt was made");
}

async fn https_endpoints_are_called_when_their_root_is_trusted(engine: Engine) {
    let pki = TestPki::new();
    let (got, url) = https_receiver(&pki).await;
    let root = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(root.path(), &pki.ca_pem).unwrap();

    // Trusted: the delivery arrives over TLS, signed.
    let path = root.path().to_owned();
    let app = spawn_app_with(engine, |s| {
        fast(s);
        s.webhook_root_ca = Some(path);
    })
    .await;
    let (installation, _password, group, token) = partner(&app).await;
    let created = add_webhook(&app, &token, group, &url, &["access.granted"]).await;
    let secret = created["Secret"].as_str().unwrap().to_owned();
    grant(&app, installation, group).await;
    let attempt = first_attempt(&app, &token, group).await;
    assert_eq!(attempt["StatusCode"], json!(200), "{attempt}");
    let received = got.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let (signature, body) = &received[0];
    assert!(signed_with(signature, body, &secret), "{received:?}");
    assert!(body.contains("access.granted"));

    // Without the root, the same receiver's certificate is not trusted: nothing arrives, and the
    // attempt says the request failed.
    let untrusting = spawn_app_with(engine, fast).await;
    let (installation, _password, group, token) = partner(&untrusting).await;
    add_webhook(&untrusting, &token, group, &url, &["access.granted"]).await;
    grant(&untrusting, installation, group).await;
    let attempt = first_attempt(&untrusting, &token, group).await;
    assert!(attempt["StatusCode"].is_null(), "{attempt}");
    assert!(attempt["Error"].is_string(), "{attempt}");
    assert_eq!(got.lock().unwrap().len(), 1);
}
