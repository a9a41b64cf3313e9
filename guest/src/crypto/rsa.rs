//! RSASSA-PKCS1-v1_5, RSA-PSS and RSA-OAEP keys (the `rsa` crate, whose
//! private operations are constant-time and blinded with [`HostRng`]).

use rquickjs::{Array, ArrayBuffer, Class, Ctx, IntoJs, TypedArray};
use rsa::pkcs1::der::Decode;
use rsa::pkcs1::{EncodeRsaPrivateKey, RsaPrivateKey, RsaPrivateKeyRef, RsaPublicKey, UintRef};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::pss::Pss;
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, PrivateKey, PublicKey};
use zeroize::Zeroizing;

use super::hash::with_hash;
use super::{DATA, HostRng, Key, Material, OPERATION, buffer, copy, fail, key, list, maybe};

const INVALID_ACCESS: &str = "InvalidAccessError";

fn private(material: &Material) -> Option<&PrivateKey> {
    match material {
        Material::RsaPrivate(key) => Some(key),
        _ => None,
    }
}

fn public(material: &Material) -> Option<&PublicKey> {
    match material {
        Material::RsaPublic(key) => Some(key),
        Material::RsaPrivate(key) => Some(key.as_public_key()),
        _ => None,
    }
}

/// A new key pair of `bits` with the big-endian public exponent:
/// [private, public].
pub fn generate<'js>(ctx: Ctx<'js>, bits: u32, exponent: TypedArray<'js, u8>) -> rquickjs::Result<Array<'js>> {
    let exponent = copy(&exponent);
    let digits = exponent.iter().skip_while(|&&b| b == 0).count();
    if digits > 8 {
        return Err(fail(&ctx, OPERATION, "RSA: the public exponent is too large"));
    }
    let e = exponent.iter().fold(0u64, |e, &b| (e << 8) | u64::from(b));
    if e < 3 || e % 2 == 0 || !(1024..=8192).contains(&bits) {
        return Err(fail(
            &ctx,
            OPERATION,
            "RSA: isobox generates keys of 1024 to 8192 bits with an odd exponent",
        ));
    }
    let key_pair = PrivateKey::new_with_exp(&mut HostRng, bits as usize, BoxedUint::from(e))
        .map_err(|error| fail(&ctx, OPERATION, &format!("RSA key generation failed: {error}")))?;
    let public_key = key_pair.to_public_key();
    super::key_pair(
        &ctx,
        Material::RsaPrivate(Box::new(key_pair)),
        Material::RsaPublic(Box::new(public_key)),
    )
}

/// A key from "spki" (public) or "pkcs8" (private).
pub fn import<'js>(ctx: Ctx<'js>, format: String, bytes: TypedArray<'js, u8>) -> rquickjs::Result<Class<'js, Key>> {
    let bytes = Zeroizing::new(copy(&bytes));
    let material = match format.as_str() {
        "spki" => PublicKey::from_public_key_der(&bytes)
            .ok()
            .map(|k| Material::RsaPublic(Box::new(k))),
        "pkcs8" => PrivateKey::from_pkcs8_der(&bytes)
            .ok()
            .map(|k| Material::RsaPrivate(Box::new(k))),
        _ => return Err(fail(&ctx, "NotSupportedError", "unsupported format")),
    };
    let material = material.ok_or_else(|| fail(&ctx, DATA, &format!("the {format} data is not an RSA key")))?;
    key(&ctx, material)
}

/// A key from a JWK's members, already decoded: [n, e] for a public key,
/// [n, e, d, p, q, dp, dq, qi] for a private key.
pub fn import_jwk<'js>(ctx: Ctx<'js>, parts: Vec<TypedArray<'js, u8>>) -> rquickjs::Result<Class<'js, Key>> {
    let bad = || fail(&ctx, DATA, "the JWK is not a valid RSA key");
    let parts: Vec<Zeroizing<Vec<u8>>> = parts.iter().map(|part| Zeroizing::new(copy(part))).collect();
    fn uint(bytes: &[u8]) -> Option<UintRef<'_>> {
        UintRef::new(bytes).ok()
    }
    match parts.as_slice() {
        [n, e] => {
            let public = RsaPublicKey {
                modulus: uint(n).ok_or_else(bad)?,
                public_exponent: uint(e).ok_or_else(bad)?,
            };
            let public = PublicKey::try_from(public).map_err(|_| bad())?;
            key(&ctx, Material::RsaPublic(Box::new(public)))
        }
        [n, e, d, p, q, dp, dq, qi] => {
            let encoded = RsaPrivateKey {
                modulus: uint(n).ok_or_else(bad)?,
                public_exponent: uint(e).ok_or_else(bad)?,
                private_exponent: uint(d).ok_or_else(bad)?,
                prime1: uint(p).ok_or_else(bad)?,
                prime2: uint(q).ok_or_else(bad)?,
                exponent1: uint(dp).ok_or_else(bad)?,
                exponent2: uint(dq).ok_or_else(bad)?,
                coefficient: uint(qi).ok_or_else(bad)?,
                other_prime_infos: None,
            };
            let private = PrivateKey::try_from(encoded).map_err(|_| bad())?;
            // The crate recomputes dp, dq and qi from p and q: the JWK's must agree.
            let again = private.to_pkcs1_der().map_err(|_| bad())?;
            let again = RsaPrivateKeyRef::from_der(again.as_bytes()).map_err(|_| bad())?;
            let same = |a: UintRef<'_>, b: &[u8]| uint(b).is_some_and(|b| a.as_bytes() == b.as_bytes());
            if !(same(again.exponent1, dp) && same(again.exponent2, dq) && same(again.coefficient, qi)) {
                return Err(bad());
            }
            key(&ctx, Material::RsaPrivate(Box::new(private)))
        }
        _ => Err(fail(
            &ctx,
            DATA,
            "the JWK must have n and e, and for a private key d, p, q, dp, dq and qi",
        )),
    }
}

/// The modulus length in bits and the public exponent (big-endian).
pub fn info<'js>(ctx: Ctx<'js>, key: Class<'js, Key>) -> rquickjs::Result<Array<'js>> {
    let key = key.borrow();
    let public = public(&key.material).ok_or_else(|| fail(&ctx, OPERATION, "not an RSA key"))?;
    let n = public.n_bytes();
    let first = n.iter().position(|&b| b != 0).unwrap_or(n.len());
    let bits = match n.get(first) {
        Some(top) => (n.len() - first - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    };
    list(
        &ctx,
        vec![(bits as u32).into_js(&ctx)?, maybe(&ctx, Some(&public.e_bytes()))?],
    )
}

/// The key in "spki" (public) or "pkcs8" (private).
pub fn export<'js>(ctx: Ctx<'js>, key: Class<'js, Key>, format: String) -> rquickjs::Result<ArrayBuffer<'js>> {
    let key = key.borrow();
    let bytes = match (&key.material, format.as_str()) {
        (Material::RsaPublic(k), "spki") => k
            .to_public_key_der()
            .ok()
            .map(|d| Zeroizing::new(d.as_bytes().to_vec())),
        (Material::RsaPrivate(k), "pkcs8") => k.to_pkcs8_der().ok().map(|d| Zeroizing::new(d.as_bytes().to_vec())),
        _ => return Err(fail(&ctx, INVALID_ACCESS, "the key cannot be exported in this format")),
    };
    buffer(
        &ctx,
        &bytes.ok_or_else(|| fail(&ctx, OPERATION, "the key could not be encoded"))?,
    )
}

/// A JWK's members: [n, e, d, p, q, dp, dq, qi] (the last six for private
/// keys only).
pub fn jwk<'js>(ctx: Ctx<'js>, key: Class<'js, Key>) -> rquickjs::Result<Array<'js>> {
    let key = key.borrow();
    match &key.material {
        Material::RsaPublic(k) => list(
            &ctx,
            vec![maybe(&ctx, Some(&k.n_bytes()))?, maybe(&ctx, Some(&k.e_bytes()))?],
        ),
        Material::RsaPrivate(k) => {
            let der = k
                .to_pkcs1_der()
                .map_err(|_| fail(&ctx, OPERATION, "the key could not be encoded"))?;
            let parts = RsaPrivateKeyRef::from_der(der.as_bytes())
                .map_err(|_| fail(&ctx, OPERATION, "the key could not be encoded"))?;
            let mut values = Vec::new();
            for part in [
                parts.modulus,
                parts.public_exponent,
                parts.private_exponent,
                parts.prime1,
                parts.prime2,
                parts.exponent1,
                parts.exponent2,
                parts.coefficient,
            ] {
                values.push(maybe(&ctx, Some(part.as_bytes()))?);
            }
            list(&ctx, values)
        }
        _ => Err(fail(&ctx, OPERATION, "not an RSA key")),
    }
}

/// A signature of `data` hashed with hash `index`: PKCS#1 v1.5 (`pss`
/// false) or PSS with `salt_length` bytes of salt.
pub fn sign<'js>(
    ctx: Ctx<'js>,
    pss: bool,
    key: Class<'js, Key>,
    index: u32,
    salt_length: u32,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let hashed = super::hash::hash(index, &copy(&data)).ok_or_else(|| fail(&ctx, OPERATION, "unknown hash"))?;
    let key = key.borrow();
    let private = private(&key.material).ok_or_else(|| fail(&ctx, INVALID_ACCESS, "not an RSA private key"))?;
    let signature = with_hash!(index, H => if pss {
        private.sign_with_rng(&mut HostRng, Pss::<H>::new_with_salt(salt_length as usize), &hashed)
    } else {
        private.sign_with_rng(&mut HostRng, Pkcs1v15Sign::new::<H>(), &hashed)
    }, return Err(fail(&ctx, OPERATION, "unknown hash")));
    let signature = signature.map_err(|error| fail(&ctx, OPERATION, &format!("RSA signing failed: {error}")))?;
    buffer(&ctx, &signature)
}

/// Whether `signature` is a signature of `data` (as for [`sign`]).
pub fn verify<'js>(
    ctx: Ctx<'js>,
    pss: bool,
    key: Class<'js, Key>,
    index: u32,
    salt_length: u32,
    data: TypedArray<'js, u8>,
    signature: TypedArray<'js, u8>,
) -> rquickjs::Result<bool> {
    let hashed = super::hash::hash(index, &copy(&data)).ok_or_else(|| fail(&ctx, OPERATION, "unknown hash"))?;
    let signature = copy(&signature);
    let key = key.borrow();
    let Material::RsaPublic(public) = &key.material else {
        return Err(fail(&ctx, INVALID_ACCESS, "not an RSA public key"));
    };
    let verified = with_hash!(index, H => if pss {
        public.verify(Pss::<H>::new_with_salt(salt_length as usize), &hashed, &signature)
    } else {
        public.verify(Pkcs1v15Sign::new::<H>(), &hashed, &signature)
    }, return Err(fail(&ctx, OPERATION, "unknown hash")));
    Ok(verified.is_ok())
}

/// RSA-OAEP with hash `index` (also for MGF1) and `label`.
pub fn oaep<'js>(
    ctx: Ctx<'js>,
    encrypt: bool,
    key: Class<'js, Key>,
    index: u32,
    label: TypedArray<'js, u8>,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let (label, data) = (copy(&label), Zeroizing::new(copy(&data)));
    let key = key.borrow();
    let result = with_hash!(index, H => {
        let padding = rsa::oaep::Oaep::<H>::new_with_label(label);
        match (&key.material, encrypt) {
            (Material::RsaPublic(k), true) => k.encrypt(&mut HostRng, padding, &data),
            (Material::RsaPrivate(k), false) => k.decrypt_blinded(&mut HostRng, padding, &data),
            _ => return Err(fail(&ctx, INVALID_ACCESS, "the key is not of the right type")),
        }
    }, return Err(fail(&ctx, OPERATION, "unknown hash")));
    let out = Zeroizing::new(result.map_err(|_| fail(&ctx, OPERATION, "RSA-OAEP failed"))?);
    buffer(&ctx, &out)
}
