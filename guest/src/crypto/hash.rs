//! Digests and HMAC. A hash is named by its index in subtle.js's `hashes`:
//! 0 SHA-1, 1 SHA-256, 2 SHA-384, 3 SHA-512.

use hmac::{Hmac, KeyInit, Mac};
use rquickjs::{ArrayBuffer, Class, Ctx, TypedArray};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{Key, OPERATION, buffer, copy, fail, secret_of};

/// Runs `$body` with `$h` the hash type named by `$index` (a u32), or
/// evaluates `$otherwise` for an index out of range.
macro_rules! with_hash {
    ($index:expr, $h:ident => $body:expr, $otherwise:expr) => {
        match $index {
            0 => {
                type $h = ::sha1::Sha1;
                $body
            }
            1 => {
                type $h = ::sha2::Sha256;
                $body
            }
            2 => {
                type $h = ::sha2::Sha384;
                $body
            }
            3 => {
                type $h = ::sha2::Sha512;
                $body
            }
            _ => $otherwise,
        }
    };
}
pub(crate) use with_hash;

/// The digest of `data` by hash `index`, or None for an unknown index.
pub fn hash(index: u32, data: &[u8]) -> Option<Vec<u8>> {
    Some(match index {
        0 => Sha1::digest(data).to_vec(),
        1 => Sha256::digest(data).to_vec(),
        2 => Sha384::digest(data).to_vec(),
        3 => Sha512::digest(data).to_vec(),
        _ => return None,
    })
}

/// crypto.subtle.digest's work: the digest of `bytes` (already a copy).
pub fn digest<'js>(ctx: Ctx<'js>, index: u32, bytes: TypedArray<'js, u8>) -> rquickjs::Result<ArrayBuffer<'js>> {
    let data = copy(&bytes);
    let hash = hash(index, &data).ok_or_else(|| fail(&ctx, OPERATION, "unknown hash"))?;
    buffer(&ctx, &hash)
}

/// The HMAC of `data` under `key` with hash `index`.
pub fn hmac_sign<'js>(
    ctx: Ctx<'js>,
    key: Class<'js, Key>,
    index: u32,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let data = copy(&data);
    let key = key.borrow();
    let secret = secret_of(&ctx, &key.material)?;
    let tag = with_hash!(index, H => {
        let mut mac = <Hmac<H> as KeyInit>::new_from_slice(secret).map_err(|_| fail(&ctx, OPERATION, "bad HMAC key"))?;
        mac.update(&data);
        mac.finalize().into_bytes().to_vec()
    }, return Err(fail(&ctx, OPERATION, "unknown hash")));
    buffer(&ctx, &tag)
}

/// Whether `signature` is the HMAC of `data` (compared in constant time).
pub fn hmac_verify<'js>(
    ctx: Ctx<'js>,
    key: Class<'js, Key>,
    index: u32,
    data: TypedArray<'js, u8>,
    signature: TypedArray<'js, u8>,
) -> rquickjs::Result<bool> {
    let data = copy(&data);
    let signature = copy(&signature);
    let key = key.borrow();
    let secret = secret_of(&ctx, &key.material)?;
    Ok(with_hash!(index, H => {
        let mut mac = <Hmac<H> as KeyInit>::new_from_slice(secret).map_err(|_| fail(&ctx, OPERATION, "bad HMAC key"))?;
        mac.update(&data);
        mac.verify_slice(&signature).is_ok()
    }, return Err(fail(&ctx, OPERATION, "unknown hash"))))
}
