//! crypto.subtle (the W3C Web Cryptography API): SubtleCrypto and CryptoKey
//! in subtle.js, the per-algorithm operations in crypto/algorithms.js, and
//! the cryptography in Rust (crypto/, RustCrypto crates).

use rquickjs::{Ctx, Function, Object};

const PRELUDE: &str = include_str!("subtle.js");
const ALGORITHMS: &str = include_str!("crypto/algorithms.js");

/// Defines crypto.subtle and CryptoKey. Runs at wizer time, after web.rs
/// made `crypto`: it only defines functions (no randomness is drawn).
pub fn install<'js>(ctx: &Ctx<'js>, idl: &Object<'js>) -> rquickjs::Result<()> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:subtle", PRELUDE)?;
    let algorithms: Function = crate::engine::eval_prelude(ctx, "isobox:subtle-algorithms", ALGORITHMS)?;
    let natives = crate::crypto::natives(ctx)?;
    installer.call::<_, ()>((idl.clone(), natives, algorithms))
}
