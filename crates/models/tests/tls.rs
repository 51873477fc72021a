//! HTTPS endpoints: certificates are verified against the roots the process trusts (`SSL_CERT_FILE` here), and a
//! server with an untrusted certificate yields an error record. One test in its own binary, because the trusted
//! roots are read once per process.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use assay_core::{Pipeline, Registry, Sample};
use rcgen::{CertificateParams, CertifiedIssuer, KeyPair};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A one-route HTTPS server answering every request with a `/classify` reply, on its own thread.
fn serve_tls(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> SocketAddr {
    let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let body = json!({"data": [{"index": 0, "probs": [0.25, 0.75], "num_classes": 2}]}).to_string();
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(reply.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
    });
    addr
}

fn pipeline(url: &str) -> Pipeline {
    let text = format!(
        "name = \"t\"\n[[reward]]\nname = \"m\"\nkind = \"reward_model\"\nendpoint = \"{url}\"\nmodel = \"rm\"\n\
         api = \"classify\"\noutput_index = 1\nmax_retries = 0\n"
    );
    let mut registry = Registry::default();
    assay_models::register(&mut registry);
    Pipeline::from_toml(&text, Path::new("tls.toml"), &registry).unwrap()
}

#[test]
fn https_verifies_certificates_against_the_trusted_roots() {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let trusted = serve_tls(
        vec![leaf.der().clone(), ca.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    );
    let stranger_key = KeyPair::generate().unwrap();
    let stranger = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&stranger_key)
        .unwrap();
    let untrusted = serve_tls(
        vec![stranger.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(stranger_key.serialize_der())),
    );

    let mut roots = tempfile::NamedTempFile::new().unwrap();
    roots.write_all(ca.pem().as_bytes()).unwrap();
    // SAFETY: no other thread of this test binary reads the environment at this point (one test, servers idle).
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("SSL_CERT_FILE", roots.path())
    };

    let sample = [Sample::from_completion("fine").with_field("prompt", "q")];
    let ok = pipeline(&format!("https://localhost:{}", trusted.port())).score(&sample);
    assert_eq!(ok[0].reward, Some(0.75), "{ok:?}");

    let refused = pipeline(&format!("https://localhost:{}", untrusted.port())).score(&sample);
    assert_eq!(refused[0].reward, None, "{refused:?}");
    let error = refused[0].error.as_deref().unwrap_or_default().to_lowercase();
    assert!(error.contains("certificate"), "{error}");
}
