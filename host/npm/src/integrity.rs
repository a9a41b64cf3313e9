//! Subresource-integrity strings as npm records them (`sha512-BASE64`), and
//! the check every tarball passes before anything reads it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// One hash of a tarball, the strongest a registry gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Integrity {
    algorithm: Algorithm,
    digest: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Algorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Integrity {
    /// The strongest entry of an SRI string (`sha512-... sha1-...`); None
    /// when it has no entry in a known algorithm.
    pub fn parse(sri: &str) -> Option<Integrity> {
        sri.split_whitespace()
            .filter_map(|entry| {
                let (name, rest) = entry.split_once('-')?;
                let algorithm = match name {
                    "sha1" => Algorithm::Sha1,
                    "sha256" => Algorithm::Sha256,
                    "sha384" => Algorithm::Sha384,
                    "sha512" => Algorithm::Sha512,
                    _ => return None,
                };
                // Options after `?` (SRI) are ignored.
                let encoded = rest.split('?').next().unwrap_or(rest);
                let digest = STANDARD.decode(encoded).ok()?;
                Some(Integrity { algorithm, digest })
            })
            .max_by_key(|integrity| integrity.algorithm)
    }

    /// From the hex sha1 `shasum` old packages carry instead.
    pub fn from_shasum(hex: &str) -> Option<Integrity> {
        if hex.len() != 40 {
            return None;
        }
        let digest = (0..20)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Some(Integrity {
            algorithm: Algorithm::Sha1,
            digest,
        })
    }

    /// The sha512 integrity of `bytes`.
    #[cfg(test)]
    pub fn sha512_of(bytes: &[u8]) -> Integrity {
        Integrity {
            algorithm: Algorithm::Sha512,
            digest: Sha512::digest(bytes).to_vec(),
        }
    }

    /// `Ok` when `bytes` hash to this digest; else the integrity they have.
    pub fn check(&self, bytes: &[u8]) -> Result<(), Integrity> {
        let actual = match self.algorithm {
            // Only for old packages that carry nothing better.
            Algorithm::Sha1 => sha1::Sha1::digest(bytes).to_vec(),
            Algorithm::Sha256 => Sha256::digest(bytes).to_vec(),
            Algorithm::Sha384 => Sha384::digest(bytes).to_vec(),
            Algorithm::Sha512 => Sha512::digest(bytes).to_vec(),
        };
        if actual == self.digest {
            Ok(())
        } else {
            Err(Integrity {
                algorithm: self.algorithm,
                digest: actual,
            })
        }
    }

    /// A file name for the digest: the algorithm and the hex of the digest.
    pub fn file_name(&self) -> String {
        let hex: String = self.digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}-{hex}", self.name())
    }

    fn name(&self) -> &'static str {
        match self.algorithm {
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }
}

impl std::fmt::Display for Integrity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.name(), STANDARD.encode(&self.digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strongest_entry_is_checked() {
        let bytes = b"hello";
        let good = Integrity::sha512_of(bytes).to_string();
        assert!(good.starts_with("sha512-"));
        let sri = format!("sha1-AAAA {good}");
        let parsed = Integrity::parse(&sri).unwrap();
        assert_eq!(parsed.algorithm, Algorithm::Sha512);
        assert!(parsed.check(bytes).is_ok());
        let actual = parsed.check(b"hellO").unwrap_err();
        assert_ne!(actual, parsed);
        assert!(Integrity::parse("md5-xyz").is_none());
    }

    #[test]
    fn a_shasum_checks_old_packages() {
        // sha1("hello")
        let shasum = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d";
        let integrity = Integrity::from_shasum(shasum).unwrap();
        assert!(integrity.check(b"hello").is_ok());
        assert!(integrity.check(b"hullo").is_err());
        assert_eq!(integrity.algorithm, Algorithm::Sha1);
        assert!(Integrity::from_shasum("xyz").is_none());
    }
}
