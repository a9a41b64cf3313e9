//! Extra TLS root certificates.

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The certificates of a PEM bundle, each checked to be usable as a trust
/// anchor. Sections other than certificates (keys, CRLs) are skipped.
///
/// # Errors
/// A message if the PEM is malformed, holds no certificate, or holds a
/// certificate rustls cannot use as a root.
pub(crate) fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut certificates = Vec::new();
    for (index, item) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let certificate = item.map_err(|error| format!("certificate #{} is malformed PEM: {error}", index + 1))?;
        rustls::RootCertStore::empty()
            .add(certificate.clone())
            .map_err(|error| format!("certificate #{} cannot be a root: {error}", index + 1))?;
        certificates.push(certificate);
    }
    if certificates.is_empty() {
        return Err("no PEM certificate (`-----BEGIN CERTIFICATE-----`) found".into());
    }
    Ok(certificates)
}

#[cfg(test)]
pub(crate) const TEST_CA: &str = include_str!("testdata/test-ca.pem");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_yields_each_certificate() {
        let bundle = format!("# comment\n{TEST_CA}\n{TEST_CA}");
        assert_eq!(parse_pem_certificates(bundle.as_bytes()).unwrap().len(), 2);
    }

    #[test]
    fn empty_or_broken_pem_is_refused() {
        assert!(parse_pem_certificates(b"").unwrap_err().contains("no PEM certificate"));
        assert!(
            parse_pem_certificates(b"hello")
                .unwrap_err()
                .contains("no PEM certificate")
        );
        let truncated = &TEST_CA[..TEST_CA.len() - 30];
        assert!(
            parse_pem_certificates(truncated.as_bytes())
                .unwrap_err()
                .contains("malformed PEM")
        );
        let not_a_certificate = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(
            parse_pem_certificates(not_a_certificate.as_bytes())
                .unwrap_err()
                .contains("certificate #1 cannot be a root")
        );
    }
}
