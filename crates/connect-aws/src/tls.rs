//! Whom TLS trusts: Mozilla's root certificates compiled into the binary (`webpki-root-certs`,
//! kept by the rustls project), for the SDK clients and the calendar downloads alike.
//!
//! The SDK's default client reads the platform's roots at every cold start (the bundle file, then
//! each file of the certificate directory, all parsed); compiled-in roots cost no file I/O, and
//! the same rustls with aws-lc serves both, so there is no second TLS stack.

use std::sync::Arc;

use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use webpki_root_certs::TLS_SERVER_ROOT_CERTS;

/// rustls with aws-lc (the SDK's own provider) trusting the compiled-in roots.
pub fn client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(TLS_SERVER_ROOT_CERTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The SDK's HTTPS client (hyper, rustls with aws-lc) with the compiled-in roots instead of the
/// platform's. Its trust store takes PEM only, so the roots are written out as PEM once.
pub fn sdk_http_client() -> SharedHttpClient {
    let mut trust = TrustStore::empty().with_native_roots(false);
    trust.add_pem_certificate(roots_pem());
    let builder = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
    match TlsContext::builder().with_trust_store(trust).build() {
        Ok(context) => builder.tls_context(context).build_https(),
        Err(_) => builder.build_https(),
    }
}

/// Every compiled-in root as one PEM bundle.
fn roots_pem() -> Vec<u8> {
    use base64::Engine as _;
    let mut pem = Vec::with_capacity(TLS_SERVER_ROOT_CERTS.len() * 2_048);
    for cert in TLS_SERVER_ROOT_CERTS {
        pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        let encoded = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
        for line in encoded.as_bytes().chunks(64) {
            pem.extend_from_slice(line);
            pem.push(b'\n');
        }
        pem.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    pem
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    #[test]
    fn the_pem_bundle_holds_every_compiled_in_root_and_rustls_takes_them_all() {
        let pem = roots_pem();
        let parsed: Vec<CertificateDer> = CertificateDer::pem_slice_iter(&pem).collect::<Result<_, _>>().unwrap();
        assert!(parsed.len() > 100, "{}", parsed.len());
        assert_eq!(parsed.as_slice(), TLS_SERVER_ROOT_CERTS);
        let mut roots = rustls::RootCertStore::empty();
        let (added, refused) = roots.add_parsable_certificates(parsed);
        assert_eq!((added, refused), (TLS_SERVER_ROOT_CERTS.len(), 0));
        assert!(client_config().is_ok());
    }
}
