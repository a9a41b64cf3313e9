//! Ed25519 (`ed25519-dalek`) and X25519 (`x25519-dalek`) keys. An algorithm
//! is named by its index: 0 Ed25519, 1 X25519. Their SPKI and PKCS#8 forms
//! are fixed (RFC 8410): a prefix naming the algorithm and the 32 bytes.

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use rquickjs::{Array, ArrayBuffer, Class, Ctx, TypedArray};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{DATA, Key, Material, NOT_SUPPORTED, OPERATION, buffer, copy, fail, key, key_pair, list, maybe};

/// An OKP key.
pub enum OkpKey {
    Ed25519Private(Box<SigningKey>),
    Ed25519Public(VerifyingKey),
    X25519Private(Zeroizing<[u8; 32]>),
    X25519Public([u8; 32]),
}

/// The SubjectPublicKeyInfo before the key, per algorithm.
const SPKI: [[u8; 12]; 2] = [
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00],
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00],
];
/// The PrivateKeyInfo before the key, per algorithm.
const PKCS8: [[u8; 16]; 2] = [
    [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ],
    [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
    ],
];

fn okp(material: &Material) -> Option<&OkpKey> {
    match material {
        Material::Okp(key) => Some(key),
        _ => None,
    }
}

fn public_of(private: &[u8; 32]) -> [u8; 32] {
    x25519_dalek::x25519(*private, x25519_dalek::X25519_BASEPOINT_BYTES)
}

/// The key from its 32 bytes: private or public.
fn from_bytes(alg: u32, private: bool, bytes: &[u8]) -> Option<OkpKey> {
    let bytes: [u8; 32] = bytes.try_into().ok()?;
    Some(match (alg, private) {
        (0, true) => OkpKey::Ed25519Private(Box::new(SigningKey::from_bytes(&bytes))),
        (0, false) => OkpKey::Ed25519Public(VerifyingKey::from_bytes(&bytes).ok()?),
        (1, true) => OkpKey::X25519Private(Zeroizing::new(bytes)),
        (1, false) => OkpKey::X25519Public(bytes),
        _ => return None,
    })
}

/// A new key pair: [private, public].
pub fn generate<'js>(ctx: Ctx<'js>, alg: u32) -> rquickjs::Result<Array<'js>> {
    let (private, public) = match alg {
        0 => {
            let mut seed = Zeroizing::new([0; 32]);
            super::fill_random(seed.as_mut());
            let secret = SigningKey::from_bytes(&seed);
            let public = secret.verifying_key();
            (OkpKey::Ed25519Private(Box::new(secret)), OkpKey::Ed25519Public(public))
        }
        1 => {
            let mut secret = Zeroizing::new([0; 32]);
            super::fill_random(secret.as_mut());
            let public = public_of(&secret);
            (OkpKey::X25519Private(secret), OkpKey::X25519Public(public))
        }
        _ => return Err(fail(&ctx, NOT_SUPPORTED, "unsupported algorithm")),
    };
    key_pair(&ctx, Material::Okp(private), Material::Okp(public))
}

/// A key from `format` ("raw", "spki": public; "pkcs8": private).
pub fn import<'js>(
    ctx: Ctx<'js>,
    alg: u32,
    format: String,
    bytes: TypedArray<'js, u8>,
) -> rquickjs::Result<Class<'js, Key>> {
    let bytes = Zeroizing::new(copy(&bytes));
    let index = (alg as usize).min(1);
    let imported = match format.as_str() {
        "raw" => from_bytes(alg, false, &bytes),
        "spki" => bytes
            .strip_prefix(&SPKI[index])
            .and_then(|rest| from_bytes(alg, false, rest)),
        "pkcs8" => bytes
            .strip_prefix(&PKCS8[index])
            .and_then(|rest| from_bytes(alg, true, rest)),
        _ => return Err(fail(&ctx, NOT_SUPPORTED, "unsupported format")),
    };
    match imported {
        Some(imported) => key(&ctx, Material::Okp(imported)),
        None => Err(fail(
            &ctx,
            DATA,
            &format!("the {format} data is not a key of this algorithm"),
        )),
    }
}

/// A key from a JWK's x and (private) d, already decoded.
pub fn import_jwk<'js>(
    ctx: Ctx<'js>,
    alg: u32,
    x: TypedArray<'js, u8>,
    d: Option<TypedArray<'js, u8>>,
) -> rquickjs::Result<Class<'js, Key>> {
    let x = copy(&x);
    let bad = || fail(&ctx, DATA, "the JWK is not a key of this algorithm");
    let imported = match d {
        None => from_bytes(alg, false, &x).ok_or_else(bad)?,
        Some(d) => {
            let d = Zeroizing::new(copy(&d));
            let private = from_bytes(alg, true, &d).ok_or_else(bad)?;
            if !bool::from(public_bytes(&private).ct_eq(&x)) {
                return Err(bad());
            }
            private
        }
    };
    key(&ctx, Material::Okp(imported))
}

/// The public key's 32 bytes.
fn public_bytes(key: &OkpKey) -> [u8; 32] {
    match key {
        OkpKey::Ed25519Private(k) => k.verifying_key().to_bytes(),
        OkpKey::Ed25519Public(k) => k.to_bytes(),
        OkpKey::X25519Private(k) => public_of(k),
        OkpKey::X25519Public(k) => *k,
    }
}

/// The private key's 32 bytes, if it is one.
fn private_bytes(key: &OkpKey) -> Option<Zeroizing<[u8; 32]>> {
    match key {
        OkpKey::Ed25519Private(k) => Some(Zeroizing::new(k.to_bytes())),
        OkpKey::X25519Private(k) => Some(k.clone()),
        _ => None,
    }
}

fn alg_index(key: &OkpKey) -> usize {
    match key {
        OkpKey::Ed25519Private(_) | OkpKey::Ed25519Public(_) => 0,
        OkpKey::X25519Private(_) | OkpKey::X25519Public(_) => 1,
    }
}

/// The key in `format`: "raw" and "spki" (public), "pkcs8" (private).
pub fn export<'js>(ctx: Ctx<'js>, key: Class<'js, Key>, format: String) -> rquickjs::Result<ArrayBuffer<'js>> {
    let key = key.borrow();
    let okp = okp(&key.material).ok_or_else(|| fail(&ctx, OPERATION, "not an OKP key"))?;
    let private = private_bytes(okp);
    let mut out = Zeroizing::new(Vec::new());
    match (format.as_str(), private) {
        ("raw", None) => out.extend_from_slice(&public_bytes(okp)),
        ("spki", None) => {
            out.extend_from_slice(&SPKI[alg_index(okp)]);
            out.extend_from_slice(&public_bytes(okp));
        }
        ("pkcs8", Some(private)) => {
            out.extend_from_slice(&PKCS8[alg_index(okp)]);
            out.extend_from_slice(private.as_ref());
        }
        _ => {
            return Err(fail(
                &ctx,
                "InvalidAccessError",
                "the key cannot be exported in this format",
            ));
        }
    }
    buffer(&ctx, &out)
}

/// A JWK's members: [x, d (private keys only)].
pub fn jwk<'js>(ctx: Ctx<'js>, key: Class<'js, Key>) -> rquickjs::Result<Array<'js>> {
    let key = key.borrow();
    let okp = okp(&key.material).ok_or_else(|| fail(&ctx, OPERATION, "not an OKP key"))?;
    let private = private_bytes(okp);
    list(
        &ctx,
        vec![
            maybe(&ctx, Some(&public_bytes(okp)))?,
            maybe(&ctx, private.as_ref().map(|p| p.as_slice()))?,
        ],
    )
}

/// An Ed25519 signature of `data`.
pub fn sign<'js>(ctx: Ctx<'js>, key: Class<'js, Key>, data: TypedArray<'js, u8>) -> rquickjs::Result<ArrayBuffer<'js>> {
    use ed25519_dalek::Signer;
    let data = copy(&data);
    let key = key.borrow();
    match okp(&key.material) {
        Some(OkpKey::Ed25519Private(k)) => buffer(&ctx, &k.sign(&data).to_bytes()),
        _ => Err(fail(&ctx, "InvalidAccessError", "not an Ed25519 private key")),
    }
}

/// Whether `signature` is an Ed25519 signature of `data` (RFC 8032, with
/// small-order and non-canonical encodings refused).
pub fn verify<'js>(
    ctx: Ctx<'js>,
    key: Class<'js, Key>,
    data: TypedArray<'js, u8>,
    signature: TypedArray<'js, u8>,
) -> rquickjs::Result<bool> {
    let (data, signature) = (copy(&data), copy(&signature));
    let key = key.borrow();
    let Some(OkpKey::Ed25519Public(k)) = okp(&key.material) else {
        return Err(fail(&ctx, "InvalidAccessError", "not an Ed25519 public key"));
    };
    let Ok(signature) = <[u8; 64]>::try_from(signature.as_slice()) else {
        return Ok(false);
    };
    Ok(k.verify_strict(&data, &Signature::from_bytes(&signature)).is_ok())
}

/// The X25519 shared secret of a private and a public key.
pub fn x25519<'js>(
    ctx: Ctx<'js>,
    private: Class<'js, Key>,
    public: Class<'js, Key>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let private = private.borrow();
    let public = public.borrow();
    let (Some(OkpKey::X25519Private(s)), Some(OkpKey::X25519Public(p))) =
        (okp(&private.material), okp(&public.material))
    else {
        return Err(fail(
            &ctx,
            "InvalidAccessError",
            "the keys are not an X25519 private and public key",
        ));
    };
    let shared = Zeroizing::new(x25519_dalek::x25519(**s, *p));
    if bool::from(shared.ct_eq(&[0; 32])) {
        return Err(fail(&ctx, OPERATION, "X25519: the public key is of small order"));
    }
    buffer(&ctx, shared.as_ref())
}
