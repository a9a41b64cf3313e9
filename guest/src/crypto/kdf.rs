//! PBKDF2 and HKDF (deriveBits; subtle.js checked the lengths).

use hkdf::Hkdf;
use rquickjs::{ArrayBuffer, Class, Ctx, TypedArray};
use zeroize::Zeroizing;

use super::hash::with_hash;
use super::{Key, OPERATION, buffer, copy, fail, secret_of};

/// The most bytes one derivation makes.
const MAX_BYTES: u32 = 1 << 20;

/// PBKDF2-HMAC with hash `index`: `length` bytes.
pub fn pbkdf2<'js>(
    ctx: Ctx<'js>,
    key: Class<'js, Key>,
    index: u32,
    salt: TypedArray<'js, u8>,
    iterations: u32,
    length: u32,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    if length > MAX_BYTES || iterations == 0 {
        return Err(fail(
            &ctx,
            OPERATION,
            "PBKDF2: the length or the iterations are out of range",
        ));
    }
    let salt = copy(&salt);
    let key = key.borrow();
    let password = secret_of(&ctx, &key.material)?;
    let mut out = Zeroizing::new(vec![0; length as usize]);
    with_hash!(index, H => pbkdf2::pbkdf2_hmac::<H>(password, &salt, iterations, &mut out),
        return Err(fail(&ctx, OPERATION, "unknown hash")));
    buffer(&ctx, &out)
}

/// HKDF with hash `index`: `length` bytes.
pub fn hkdf<'js>(
    ctx: Ctx<'js>,
    key: Class<'js, Key>,
    index: u32,
    salt: TypedArray<'js, u8>,
    info: TypedArray<'js, u8>,
    length: u32,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    if length > MAX_BYTES {
        return Err(fail(&ctx, OPERATION, "HKDF: the length is out of range"));
    }
    let salt = copy(&salt);
    let info = copy(&info);
    let key = key.borrow();
    let ikm = secret_of(&ctx, &key.material)?;
    let mut out = Zeroizing::new(vec![0; length as usize]);
    let expanded = with_hash!(index, H => Hkdf::<H>::new(Some(&salt), ikm).expand(&info, &mut out).is_ok(),
        return Err(fail(&ctx, OPERATION, "unknown hash")));
    if !expanded {
        return Err(fail(
            &ctx,
            OPERATION,
            "HKDF: the length is more than 255 times the hash's",
        ));
    }
    buffer(&ctx, &out)
}
