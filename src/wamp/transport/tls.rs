//! TLS for `wss://` and RawSocket-over-TLS, with rustls (ring). Server certificates are
//! verified against the system roots, or against the given CA certificates only (as Node's
//! `tls.connect({ca})` does). Client certificates are optional. Verification can be turned off
//! only with an explicit option (`tls_insecure_skip_verify`).

use std::sync::{Arc, OnceLock};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::{
    self, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_rustls::TlsConnector;

use crate::wamp::error::TransportError;
use crate::wamp::transport::config::TlsOptions;

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(crypto::ring::default_provider()))
        .clone()
}

/// The system's trusted roots, loaded once per process.
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut store = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            let _ = store.add_parsable_certificates(found.certs);
            Arc::new(store)
        })
        .clone()
}

/// Parses all certificates of a PEM text; an empty result is an error.
pub fn parse_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("invalid PEM certificate: {e}"))?;
    if certs.is_empty() {
        return Err("no PEM certificate (-----BEGIN CERTIFICATE-----) found".into());
    }
    Ok(certs)
}

pub fn parse_key(pem: &str) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => {
            "no PEM private key (PKCS#8, PKCS#1 or SEC1) found".to_string()
        }
        e => format!("invalid PEM private key: {e}"),
    })
}

/// The rustls client settings for one transport entry.
pub fn client_config(url: &str, opts: &TlsOptions) -> Result<Arc<ClientConfig>, TransportError> {
    let invalid = |reason: String| TransportError::InvalidConfig {
        url: url.to_string(),
        reason,
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?;
    let builder = if opts.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider())))
    } else if let Some(ca) = &opts.ca {
        let mut store = RootCertStore::empty();
        for cert in parse_certs(ca).map_err(|e| invalid(format!("tlsConfiguration.ca: {e}")))? {
            store
                .add(cert)
                .map_err(|e| invalid(format!("tlsConfiguration.ca: {e}")))?;
        }
        builder.with_root_certificates(store)
    } else {
        builder.with_root_certificates(system_roots())
    };
    let config = match (&opts.cert, &opts.key) {
        (Some(cert), Some(key)) => {
            let chain =
                parse_certs(cert).map_err(|e| invalid(format!("tlsConfiguration.cert: {e}")))?;
            let key = parse_key(key).map_err(|e| invalid(format!("tlsConfiguration.key: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| invalid(format!("client certificate: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(invalid(
                "tlsConfiguration.cert and tlsConfiguration.key must be given together".into(),
            ))
        }
    };
    Ok(Arc::new(config))
}

/// The TLS client handshake; `host` is checked against the server certificate (a DNS name
/// or an IP address).
pub async fn handshake(
    url: &str,
    host: &str,
    config: Arc<ClientConfig>,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, TransportError> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(host.to_string()).map_err(|e| TransportError::InvalidUrl {
        url: url.to_string(),
        reason: format!("{host:?} is not a valid TLS server name: {e}"),
    })?;
    TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| TransportError::Connect {
            url: url.to_string(),
            reason: format!("TLS handshake failed: {e}"),
        })
}

/// `tls_insecure_skip_verify`: accepts any certificate, but still checks the handshake
/// signatures (so the peer holds the key of the certificate it showed).
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pem_is_a_clear_config_error() {
        let opts = TlsOptions {
            ca: Some("not a certificate".into()),
            ..Default::default()
        };
        let err = client_config("wss://x", &opts).unwrap_err();
        assert!(err.is_fatal());
        assert!(err.to_string().contains("tlsConfiguration.ca"), "{err}");
        let opts = TlsOptions {
            cert: Some("x".into()),
            ..Default::default()
        };
        let err = client_config("wss://x", &opts).unwrap_err();
        assert!(err.to_string().contains("together"), "{err}");
    }

    #[test]
    fn insecure_and_default_configs_build() {
        let opts = TlsOptions {
            insecure_skip_verify: true,
            ..Default::default()
        };
        assert!(client_config("wss://x", &opts).is_ok());
        assert!(client_config("wss://x", &TlsOptions::default()).is_ok());
    }
}
