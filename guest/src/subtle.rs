//! crypto.subtle.digest: SHA-1 and the SHA-2 family, computed in the guest
//! (sha1 and sha2 crates) under the SubtleCrypto class of subtle.js.

use rquickjs::{ArrayBuffer, Ctx, Exception, Function, Object, TypedArray};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

const PRELUDE: &str = include_str!("subtle.js");

/// Defines crypto.subtle. Runs at wizer time, after web.rs made `crypto`.
pub fn install<'js>(ctx: &Ctx<'js>, idl: &Object<'js>) -> rquickjs::Result<()> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:subtle", PRELUDE)?;
    let digest = Function::new(ctx.clone(), digest)?;
    installer.call::<_, ()>((idl.clone(), digest))
}

/// The digest of `bytes` by the algorithm at `index` of subtle.js's `names`
/// (SHA-1, SHA-256, SHA-384, SHA-512).
fn digest<'js>(ctx: Ctx<'js>, index: u32, bytes: TypedArray<'js, u8>) -> rquickjs::Result<ArrayBuffer<'js>> {
    // SAFETY: the bytes are hashed before any JS runs again, so the buffer
    // cannot be detached or resized while they are borrowed.
    let data: &[u8] = unsafe { bytes.as_slice() };
    let hash = match index {
        0 => Sha1::digest(data).to_vec(),
        1 => Sha256::digest(data).to_vec(),
        2 => Sha384::digest(data).to_vec(),
        3 => Sha512::digest(data).to_vec(),
        _ => return Err(Exception::throw_range(&ctx, "digest: unknown algorithm index")),
    };
    ArrayBuffer::new(ctx, hash)
}
