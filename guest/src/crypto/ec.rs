//! ECDSA and ECDH keys on P-256, P-384 and P-521 (the `p256`, `p384` and
//! `p521` crates). A curve is named by its index in algorithms.js's
//! `curves`: 0 P-256, 1 P-384, 2 P-521.
//! Signatures are IEEE P1363 (r || s), as Web Crypto uses.

use rquickjs::{Array, ArrayBuffer, Class, Ctx, TypedArray};
use zeroize::Zeroizing;

use super::{DATA, Key, Material, NOT_SUPPORTED, OPERATION, buffer, copy, fail, key, key_pair, list, maybe};

/// An EC key of one curve.
pub enum EcKey {
    P256Private(p256::SecretKey),
    P256Public(p256::PublicKey),
    P384Private(p384::SecretKey),
    P384Public(p384::PublicKey),
    P521Private(p521::SecretKey),
    P521Public(p521::PublicKey),
}

/// The same operations for each curve's crate.
macro_rules! curve {
    ($module:ident, $krate:ident) => {
        mod $module {
            use super::super::HostRng;
            use zeroize::Zeroizing;
            use $krate::ecdsa::signature::hazmat::{PrehashVerifier, RandomizedPrehashSigner};
            use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};
            use $krate::elliptic_curve::Generate;
            use $krate::elliptic_curve::sec1::ToSec1Point;
            use $krate::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
            use $krate::{PublicKey, SecretKey};

            pub fn generate() -> SecretKey {
                SecretKey::generate_from_rng(&mut HostRng)
            }
            pub fn raw(bytes: &[u8]) -> Option<PublicKey> {
                PublicKey::from_sec1_bytes(bytes).ok()
            }
            pub fn spki(bytes: &[u8]) -> Option<PublicKey> {
                PublicKey::from_public_key_der(bytes).ok()
            }
            pub fn pkcs8(bytes: &[u8]) -> Option<SecretKey> {
                SecretKey::from_pkcs8_der(bytes).ok()
            }
            pub fn scalar(bytes: &[u8]) -> Option<SecretKey> {
                SecretKey::from_slice(bytes).ok()
            }
            /// The uncompressed point: 0x04 || x || y.
            pub fn point(key: &PublicKey) -> Vec<u8> {
                key.to_sec1_point(false).as_bytes().to_vec()
            }
            pub fn to_spki(key: &PublicKey) -> Option<Vec<u8>> {
                key.to_public_key_der().ok().map(|der| der.as_bytes().to_vec())
            }
            pub fn to_pkcs8(key: &SecretKey) -> Option<Zeroizing<Vec<u8>>> {
                key.to_pkcs8_der()
                    .ok()
                    .map(|der| Zeroizing::new(der.as_bytes().to_vec()))
            }
            pub fn d(key: &SecretKey) -> Zeroizing<Vec<u8>> {
                Zeroizing::new(key.to_bytes().to_vec())
            }
            pub fn sign(key: &SecretKey, prehash: &[u8]) -> Option<Vec<u8>> {
                let signer = SigningKey::from(key);
                let signature: Signature = signer.sign_prehash_with_rng(&mut HostRng, prehash).ok()?;
                Some(signature.to_bytes().to_vec())
            }
            pub fn verify(key: &PublicKey, prehash: &[u8], signature: &[u8]) -> bool {
                let Ok(signature) = Signature::from_slice(signature) else {
                    return false;
                };
                VerifyingKey::from(key)
                    .verify_prehash(prehash, &signature)
                    .is_ok()
            }
            pub fn ecdh(secret: &SecretKey, public: &PublicKey) -> Zeroizing<Vec<u8>> {
                Zeroizing::new(secret.diffie_hellman(public).raw_secret_bytes().to_vec())
            }
        }
    };
}

curve!(c256, p256);
curve!(c384, p384);
curve!(c521, p521);

fn ec(material: &Material) -> Option<&EcKey> {
    match material {
        Material::Ec(key) => Some(key),
        _ => None,
    }
}

fn not_ec(ctx: &Ctx<'_>) -> rquickjs::Error {
    fail(ctx, OPERATION, "not an EC key")
}

/// A new key pair on curve `curve`: [private, public].
pub fn generate<'js>(ctx: Ctx<'js>, curve: u32) -> rquickjs::Result<Array<'js>> {
    let (private, public) = match curve {
        0 => {
            let secret = c256::generate();
            let public = secret.public_key();
            (EcKey::P256Private(secret), EcKey::P256Public(public))
        }
        1 => {
            let secret = c384::generate();
            let public = secret.public_key();
            (EcKey::P384Private(secret), EcKey::P384Public(public))
        }
        2 => {
            let secret = c521::generate();
            let public = secret.public_key();
            (EcKey::P521Private(secret), EcKey::P521Public(public))
        }
        _ => return Err(fail(&ctx, NOT_SUPPORTED, "unsupported curve")),
    };
    key_pair(&ctx, Material::Ec(private), Material::Ec(public))
}

/// A key from `format` ("raw", "spki": public; "pkcs8": private).
pub fn import<'js>(
    ctx: Ctx<'js>,
    curve: u32,
    format: String,
    bytes: TypedArray<'js, u8>,
) -> rquickjs::Result<Class<'js, Key>> {
    let bytes = Zeroizing::new(copy(&bytes));
    let imported = match (curve, format.as_str()) {
        (0, "raw") => c256::raw(&bytes).map(EcKey::P256Public),
        (0, "spki") => c256::spki(&bytes).map(EcKey::P256Public),
        (0, "pkcs8") => c256::pkcs8(&bytes).map(EcKey::P256Private),
        (1, "raw") => c384::raw(&bytes).map(EcKey::P384Public),
        (1, "spki") => c384::spki(&bytes).map(EcKey::P384Public),
        (1, "pkcs8") => c384::pkcs8(&bytes).map(EcKey::P384Private),
        (2, "raw") => c521::raw(&bytes).map(EcKey::P521Public),
        (2, "spki") => c521::spki(&bytes).map(EcKey::P521Public),
        (2, "pkcs8") => c521::pkcs8(&bytes).map(EcKey::P521Private),
        _ => return Err(fail(&ctx, NOT_SUPPORTED, "unsupported curve or format")),
    };
    match imported {
        Some(imported) => key(&ctx, Material::Ec(imported)),
        None => Err(fail(
            &ctx,
            DATA,
            &format!("the {format} data is not a key on this curve"),
        )),
    }
}

/// A key from a JWK's x, y and (private) d, already decoded.
pub fn import_jwk<'js>(
    ctx: Ctx<'js>,
    curve: u32,
    x: TypedArray<'js, u8>,
    y: TypedArray<'js, u8>,
    d: Option<TypedArray<'js, u8>>,
) -> rquickjs::Result<Class<'js, Key>> {
    let size = match curve {
        0 => 32,
        1 => 48,
        2 => 66,
        _ => return Err(fail(&ctx, NOT_SUPPORTED, "unsupported curve")),
    };
    let (x, y) = (copy(&x), copy(&y));
    let d = d.map(|d| Zeroizing::new(copy(&d)));
    let bad = || fail(&ctx, DATA, "the JWK is not a key on its curve");
    if x.len() != size || y.len() != size || d.as_ref().is_some_and(|d| d.len() != size) {
        return Err(bad());
    }
    let mut point = vec![4];
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let imported = match (curve, d) {
        (0, None) => c256::raw(&point).map(EcKey::P256Public),
        (1, None) => c384::raw(&point).map(EcKey::P384Public),
        (2, None) => c521::raw(&point).map(EcKey::P521Public),
        (0, Some(d)) => c256::scalar(&d)
            .filter(|s| c256::point(&s.public_key()) == point)
            .map(EcKey::P256Private),
        (1, Some(d)) => c384::scalar(&d)
            .filter(|s| c384::point(&s.public_key()) == point)
            .map(EcKey::P384Private),
        (2, Some(d)) => c521::scalar(&d)
            .filter(|s| c521::point(&s.public_key()) == point)
            .map(EcKey::P521Private),
        _ => None,
    };
    key(&ctx, Material::Ec(imported.ok_or_else(bad)?))
}

/// The key in `format`: "raw" (uncompressed point), "spki" or "pkcs8".
pub fn export<'js>(ctx: Ctx<'js>, key: Class<'js, Key>, format: String) -> rquickjs::Result<ArrayBuffer<'js>> {
    let key = key.borrow();
    let ec = ec(&key.material).ok_or_else(|| not_ec(&ctx))?;
    let bytes: Option<Zeroizing<Vec<u8>>> = match (ec, format.as_str()) {
        (EcKey::P256Public(k), "raw") => Some(Zeroizing::new(c256::point(k))),
        (EcKey::P384Public(k), "raw") => Some(Zeroizing::new(c384::point(k))),
        (EcKey::P521Public(k), "raw") => Some(Zeroizing::new(c521::point(k))),
        (EcKey::P521Public(k), "spki") => c521::to_spki(k).map(Zeroizing::new),
        (EcKey::P521Private(k), "pkcs8") => c521::to_pkcs8(k),
        (EcKey::P256Public(k), "spki") => c256::to_spki(k).map(Zeroizing::new),
        (EcKey::P384Public(k), "spki") => c384::to_spki(k).map(Zeroizing::new),
        (EcKey::P256Private(k), "pkcs8") => c256::to_pkcs8(k),
        (EcKey::P384Private(k), "pkcs8") => c384::to_pkcs8(k),
        _ => {
            return Err(fail(
                &ctx,
                "InvalidAccessError",
                "the key cannot be exported in this format",
            ));
        }
    };
    let bytes = bytes.ok_or_else(|| fail(&ctx, OPERATION, "the key could not be encoded"))?;
    buffer(&ctx, &bytes)
}

/// A JWK's members: [x, y, d (private keys only)].
pub fn jwk<'js>(ctx: Ctx<'js>, key: Class<'js, Key>) -> rquickjs::Result<Array<'js>> {
    let key = key.borrow();
    let ec = ec(&key.material).ok_or_else(|| not_ec(&ctx))?;
    let (point, d) = match ec {
        EcKey::P256Public(k) => (c256::point(k), None),
        EcKey::P384Public(k) => (c384::point(k), None),
        EcKey::P256Private(k) => (c256::point(&k.public_key()), Some(c256::d(k))),
        EcKey::P384Private(k) => (c384::point(&k.public_key()), Some(c384::d(k))),
        EcKey::P521Public(k) => (c521::point(k), None),
        EcKey::P521Private(k) => (c521::point(&k.public_key()), Some(c521::d(k))),
    };
    let size = (point.len() - 1) / 2;
    list(
        &ctx,
        vec![
            maybe(&ctx, Some(&point[1..1 + size]))?,
            maybe(&ctx, Some(&point[1 + size..]))?,
            maybe(&ctx, d.as_deref().map(Vec::as_slice))?,
        ],
    )
}

/// An ECDSA signature (r || s) of `data` hashed with hash `index`.
pub fn sign<'js>(
    ctx: Ctx<'js>,
    key: Class<'js, Key>,
    index: u32,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let prehash = super::hash::hash(index, &copy(&data)).ok_or_else(|| fail(&ctx, OPERATION, "unknown hash"))?;
    let key = key.borrow();
    let signature = match ec(&key.material) {
        Some(EcKey::P256Private(k)) => c256::sign(k, &prehash),
        Some(EcKey::P384Private(k)) => c384::sign(k, &prehash),
        Some(EcKey::P521Private(k)) => c521::sign(k, &prehash),
        _ => return Err(fail(&ctx, "InvalidAccessError", "not an EC private key")),
    };
    buffer(
        &ctx,
        &signature.ok_or_else(|| fail(&ctx, OPERATION, "ECDSA signing failed"))?,
    )
}

/// Whether `signature` (r || s) is an ECDSA signature of `data`.
pub fn verify<'js>(
    ctx: Ctx<'js>,
    key: Class<'js, Key>,
    index: u32,
    data: TypedArray<'js, u8>,
    signature: TypedArray<'js, u8>,
) -> rquickjs::Result<bool> {
    let prehash = super::hash::hash(index, &copy(&data)).ok_or_else(|| fail(&ctx, OPERATION, "unknown hash"))?;
    let signature = copy(&signature);
    let key = key.borrow();
    Ok(match ec(&key.material) {
        Some(EcKey::P256Public(k)) => c256::verify(k, &prehash, &signature),
        Some(EcKey::P384Public(k)) => c384::verify(k, &prehash, &signature),
        Some(EcKey::P521Public(k)) => c521::verify(k, &prehash, &signature),
        _ => return Err(fail(&ctx, "InvalidAccessError", "not an EC public key")),
    })
}

/// The ECDH shared secret (the x coordinate) of a private and a public key
/// on the same curve.
pub fn ecdh<'js>(
    ctx: Ctx<'js>,
    private: Class<'js, Key>,
    public: Class<'js, Key>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let private = private.borrow();
    let public = public.borrow();
    let secret = match (ec(&private.material), ec(&public.material)) {
        (Some(EcKey::P256Private(s)), Some(EcKey::P256Public(p))) => c256::ecdh(s, p),
        (Some(EcKey::P384Private(s)), Some(EcKey::P384Public(p))) => c384::ecdh(s, p),
        (Some(EcKey::P521Private(s)), Some(EcKey::P521Public(p))) => c521::ecdh(s, p),
        _ => {
            return Err(fail(
                &ctx,
                "InvalidAccessError",
                "the keys are not a private and a public key on one curve",
            ));
        }
    };
    buffer(&ctx, &secret)
}
