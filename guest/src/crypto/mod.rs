//! The primitives under crypto.subtle (subtle.js does the Web Crypto API's
//! argument checks, key objects and JWK; this module does the arithmetic).
//!
//! Key material lives in [`Key`], an opaque JS object that only subtle.js's
//! closure holds: no JS property reaches the bytes. Every function takes
//! already checked arguments and fails with an exception whose message starts
//! with the DOMException name subtle.js turns it into (`DataError: ...`).
//! Randomness comes from the host at run time ([`HostRng`]); nothing here runs
//! at wizer time except defining the functions.

mod aes;
mod ec;
mod hash;
mod kdf;
mod okp;
mod rsa;

use std::convert::Infallible;

use rquickjs::class::Trace;
use rquickjs::{Array, ArrayBuffer, Class, Ctx, Exception, Function, IntoJs, JsLifetime, Object, TypedArray, Value};
use zeroize::Zeroizing;

/// The key material of one CryptoKey.
pub enum Material {
    /// AES, HMAC, PBKDF2 and HKDF keys: the raw bytes.
    Secret(Zeroizing<Vec<u8>>),
    RsaPrivate(Box<::rsa::PrivateKey>),
    RsaPublic(Box<::rsa::PublicKey>),
    Ec(ec::EcKey),
    Okp(okp::OkpKey),
}

/// A CryptoKey's material as a JS object with nothing on it.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "KeyMaterial")]
pub struct Key {
    #[qjs(skip_trace)]
    pub material: Material,
}

/// The host's CSPRNG (`wasi:random/random`), read at the time of the call.
pub struct HostRng;

impl rand_core::TryRng for HostRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        fill_random(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for HostRng {}

/// Fills `dst` from the host's CSPRNG.
pub fn fill_random(dst: &mut [u8]) {
    let mut filled = 0;
    while filled < dst.len() {
        let random = wasip2::random::random::get_random_bytes((dst.len() - filled) as u64);
        // The interface promises the length asked for. A host that breaks
        // that promise ends the run: key material must never be predictable.
        assert!(!random.is_empty(), "wasi:random returned no bytes");
        let take = random.len().min(dst.len() - filled);
        dst[filled..filled + take].copy_from_slice(&random[..take]);
        filled += take;
    }
}

/// The DOMException names the functions fail with.
pub const DATA: &str = "DataError";
pub const OPERATION: &str = "OperationError";
pub const NOT_SUPPORTED: &str = "NotSupportedError";

/// An exception that subtle.js turns into a DOMException named `name`.
pub fn fail(ctx: &Ctx<'_>, name: &str, message: &str) -> rquickjs::Error {
    Exception::throw_message(ctx, &format!("{name}: {message}"))
}

/// A copy of the bytes of a Uint8Array (empty if its buffer is detached).
pub fn copy(bytes: &TypedArray<'_, u8>) -> Vec<u8> {
    // SAFETY: the bytes are copied before any JS runs again, so the buffer
    // cannot be detached or resized while they are borrowed.
    unsafe { bytes.as_bytes() }.map(<[u8]>::to_vec).unwrap_or_default()
}

/// Bytes as a fresh ArrayBuffer.
pub fn buffer<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<ArrayBuffer<'js>> {
    ArrayBuffer::new_copy(ctx.clone(), bytes)
}

/// A new key object.
pub fn key<'js>(ctx: &Ctx<'js>, material: Material) -> rquickjs::Result<Class<'js, Key>> {
    Class::instance(ctx.clone(), Key { material })
}

/// `[privateKey, publicKey]`, what generateKey's natives give a pair as.
pub fn key_pair<'js>(ctx: &Ctx<'js>, private: Material, public: Material) -> rquickjs::Result<Array<'js>> {
    let private = key(ctx, private)?.into_js(ctx)?;
    let public = key(ctx, public)?.into_js(ctx)?;
    list(ctx, vec![private, public])
}

/// A JS array of the values.
pub fn list<'js>(ctx: &Ctx<'js>, values: Vec<Value<'js>>) -> rquickjs::Result<Array<'js>> {
    let array = Array::new(ctx.clone())?;
    for (index, value) in values.into_iter().enumerate() {
        array.set(index, value)?;
    }
    Ok(array)
}

/// Optional bytes as an ArrayBuffer or undefined.
pub fn maybe<'js>(ctx: &Ctx<'js>, bytes: Option<&[u8]>) -> rquickjs::Result<Value<'js>> {
    match bytes {
        Some(bytes) => buffer(ctx, bytes)?.into_js(ctx),
        None => Ok(Value::new_undefined(ctx.clone())),
    }
}

/// The functions subtle.js calls, as one object.
pub fn natives<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let natives = Object::new(ctx.clone())?;
    let set = |name: &str, function: Function<'js>| natives.set(name, function);
    set("digest", Function::new(ctx.clone(), hash::digest)?)?;
    set("secret", Function::new(ctx.clone(), secret)?)?;
    set("generateSecret", Function::new(ctx.clone(), generate_secret)?)?;
    set("secretBytes", Function::new(ctx.clone(), secret_bytes)?)?;
    set("hmacSign", Function::new(ctx.clone(), hash::hmac_sign)?)?;
    set("hmacVerify", Function::new(ctx.clone(), hash::hmac_verify)?)?;
    set("aesGcm", Function::new(ctx.clone(), aes::gcm)?)?;
    set("aesCbc", Function::new(ctx.clone(), aes::cbc)?)?;
    set("aesCtr", Function::new(ctx.clone(), aes::ctr)?)?;
    set("aesKw", Function::new(ctx.clone(), aes::kw)?)?;
    set("pbkdf2", Function::new(ctx.clone(), kdf::pbkdf2)?)?;
    set("hkdf", Function::new(ctx.clone(), kdf::hkdf)?)?;
    set("rsaGenerate", Function::new(ctx.clone(), rsa::generate)?)?;
    set("rsaImport", Function::new(ctx.clone(), rsa::import)?)?;
    set("rsaImportJwk", Function::new(ctx.clone(), rsa::import_jwk)?)?;
    set("rsaInfo", Function::new(ctx.clone(), rsa::info)?)?;
    set("rsaExport", Function::new(ctx.clone(), rsa::export)?)?;
    set("rsaJwk", Function::new(ctx.clone(), rsa::jwk)?)?;
    set("rsaSign", Function::new(ctx.clone(), rsa::sign)?)?;
    set("rsaVerify", Function::new(ctx.clone(), rsa::verify)?)?;
    set("rsaOaep", Function::new(ctx.clone(), rsa::oaep)?)?;
    set("ecGenerate", Function::new(ctx.clone(), ec::generate)?)?;
    set("ecImport", Function::new(ctx.clone(), ec::import)?)?;
    set("ecImportJwk", Function::new(ctx.clone(), ec::import_jwk)?)?;
    set("ecExport", Function::new(ctx.clone(), ec::export)?)?;
    set("ecJwk", Function::new(ctx.clone(), ec::jwk)?)?;
    set("ecSign", Function::new(ctx.clone(), ec::sign)?)?;
    set("ecVerify", Function::new(ctx.clone(), ec::verify)?)?;
    set("ecdh", Function::new(ctx.clone(), ec::ecdh)?)?;
    set("okpGenerate", Function::new(ctx.clone(), okp::generate)?)?;
    set("okpImport", Function::new(ctx.clone(), okp::import)?)?;
    set("okpImportJwk", Function::new(ctx.clone(), okp::import_jwk)?)?;
    set("okpExport", Function::new(ctx.clone(), okp::export)?)?;
    set("okpJwk", Function::new(ctx.clone(), okp::jwk)?)?;
    set("edSign", Function::new(ctx.clone(), okp::sign)?)?;
    set("edVerify", Function::new(ctx.clone(), okp::verify)?)?;
    set("x25519", Function::new(ctx.clone(), okp::x25519)?)?;
    Ok(natives)
}

/// An imported secret key (AES, HMAC, PBKDF2, HKDF).
fn secret<'js>(ctx: Ctx<'js>, bytes: TypedArray<'js, u8>) -> rquickjs::Result<Class<'js, Key>> {
    key(&ctx, Material::Secret(Zeroizing::new(copy(&bytes))))
}

/// A new random secret key of `length` bytes.
fn generate_secret<'js>(ctx: Ctx<'js>, length: u32) -> rquickjs::Result<Class<'js, Key>> {
    let mut bytes = Zeroizing::new(vec![0; length as usize]);
    fill_random(&mut bytes);
    key(&ctx, Material::Secret(bytes))
}

/// The bytes of a secret key.
fn secret_bytes<'js>(ctx: Ctx<'js>, key: Class<'js, Key>) -> rquickjs::Result<ArrayBuffer<'js>> {
    match &key.borrow().material {
        Material::Secret(bytes) => buffer(&ctx, bytes),
        _ => Err(fail(&ctx, OPERATION, "not a secret key")),
    }
}

/// The secret bytes of `key`, or an error.
pub fn secret_of<'a>(ctx: &Ctx<'_>, material: &'a Material) -> rquickjs::Result<&'a [u8]> {
    match material {
        Material::Secret(bytes) => Ok(bytes),
        _ => Err(fail(ctx, OPERATION, "not a secret key")),
    }
}
