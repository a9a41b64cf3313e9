//! AES-GCM, AES-CBC, AES-CTR and AES-KW over the `aes` block cipher (CBC
//! and CTR with the standard's counter `length` are written here; GCM is the
//! `aes-gcm` crate, KW the `aes-kw` crate). subtle.js checked the key
//! length's algorithm, the IV and counter lengths and the tag length.

use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use aes::{Aes128, Aes192, Aes256};
use aes_gcm::AesGcm;
use aes_gcm::aead::consts::{U12, U16, U32};
use aes_gcm::aead::{AeadInOut, Nonce, Tag};
use rquickjs::{ArrayBuffer, Class, Ctx, TypedArray};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{Key, OPERATION, buffer, copy, fail, secret_of};

/// AES with a key of 16, 24 or 32 bytes.
enum Cipher {
    A128(Aes128),
    A192(Aes192),
    A256(Aes256),
}

impl Cipher {
    fn new(key: &[u8]) -> Option<Cipher> {
        Some(match key.len() {
            16 => Cipher::A128(Aes128::new_from_slice(key).ok()?),
            24 => Cipher::A192(Aes192::new_from_slice(key).ok()?),
            32 => Cipher::A256(Aes256::new_from_slice(key).ok()?),
            _ => return None,
        })
    }

    fn encrypt(&self, block: &mut [u8; 16]) {
        let block: &mut aes::Block = block.into();
        match self {
            Cipher::A128(c) => c.encrypt_block(block),
            Cipher::A192(c) => c.encrypt_block(block),
            Cipher::A256(c) => c.encrypt_block(block),
        }
    }

    fn decrypt(&self, block: &mut [u8; 16]) {
        let block: &mut aes::Block = block.into();
        match self {
            Cipher::A128(c) => c.decrypt_block(block),
            Cipher::A192(c) => c.decrypt_block(block),
            Cipher::A256(c) => c.decrypt_block(block),
        }
    }
}

fn cipher(ctx: &Ctx<'_>, key: &[u8]) -> rquickjs::Result<Cipher> {
    Cipher::new(key).ok_or_else(|| fail(ctx, OPERATION, "the AES key must be 128, 192 or 256 bits"))
}

/// AES-GCM: encrypts (ciphertext and tag) or decrypts, with a tag of
/// `tag_length` bytes (4, 8, 12 to 16) and an IV of 12, 16 or 32 bytes.
pub fn gcm<'js>(
    ctx: Ctx<'js>,
    encrypt: bool,
    key: Class<'js, Key>,
    iv: TypedArray<'js, u8>,
    aad: TypedArray<'js, u8>,
    tag_length: u32,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let (iv, aad, data) = (copy(&iv), copy(&aad), copy(&data));
    let key = key.borrow();
    let secret = secret_of(&ctx, &key.material)?;
    let tag_length = tag_length as usize;
    if !matches!(tag_length, 4 | 8 | 12..=16) {
        return Err(fail(&ctx, OPERATION, "AES-GCM: unsupported tag length"));
    }
    macro_rules! run {
        ($aes:ty) => {
            match iv.len() {
                12 => gcm_with::<AesGcm<$aes, U12>>(secret, &iv, &aad, &data, encrypt, tag_length),
                16 => gcm_with::<AesGcm<$aes, U16>>(secret, &iv, &aad, &data, encrypt, tag_length),
                32 => gcm_with::<AesGcm<$aes, U32>>(secret, &iv, &aad, &data, encrypt, tag_length),
                _ => Err("AES-GCM: isobox supports IVs of 96, 128 and 256 bits"),
            }
        };
    }
    let result = match secret.len() {
        16 => run!(Aes128),
        24 => run!(Aes192),
        32 => run!(Aes256),
        _ => Err("the AES key must be 128, 192 or 256 bits"),
    };
    match result {
        Ok(bytes) => buffer(&ctx, &bytes),
        Err(message) => Err(fail(&ctx, OPERATION, message)),
    }
}

fn gcm_with<G: KeyInit + AeadInOut<TagSize = U16>>(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    data: &[u8],
    encrypt: bool,
    tag_length: usize,
) -> Result<Zeroizing<Vec<u8>>, &'static str> {
    const FAILED: &str = "AES-GCM: the data is not authentic";
    let cipher = G::new_from_slice(key).map_err(|_| "AES-GCM: bad key")?;
    let nonce = Nonce::<G>::try_from(iv).map_err(|_| "AES-GCM: bad IV")?;
    if encrypt {
        let mut out = Zeroizing::new(data.to_vec());
        let tag = cipher
            .encrypt_inout_detached(&nonce, aad, out.as_mut_slice().into())
            .map_err(|_| "AES-GCM: the data is too long")?;
        out.extend_from_slice(&tag[..tag_length]);
        return Ok(out);
    }
    let Some(split) = data.len().checked_sub(tag_length) else {
        return Err("AES-GCM: the data is shorter than the tag");
    };
    let (ciphertext, tag) = data.split_at(split);
    let mut out = Zeroizing::new(ciphertext.to_vec());
    if tag_length == 16 {
        let tag = Tag::<G>::try_from(tag).map_err(|_| FAILED)?;
        cipher
            .decrypt_inout_detached(&nonce, aad, out.as_mut_slice().into(), &tag)
            .map_err(|_| FAILED)?;
        return Ok(out);
    }
    // A short tag: the keystream gives the candidate plaintext, encrypting
    // it again gives the full tag of the ciphertext, whose prefix must match.
    cipher
        .encrypt_inout_detached(&nonce, aad, out.as_mut_slice().into())
        .map_err(|_| FAILED)?;
    let mut again = Zeroizing::new(out.to_vec());
    let full = cipher
        .encrypt_inout_detached(&nonce, aad, again.as_mut_slice().into())
        .map_err(|_| FAILED)?;
    if bool::from(full[..tag_length].ct_eq(tag)) {
        Ok(out)
    } else {
        Err(FAILED)
    }
}

/// AES-CBC with PKCS#7 padding and a 16-byte IV.
pub fn cbc<'js>(
    ctx: Ctx<'js>,
    encrypt: bool,
    key: Class<'js, Key>,
    iv: TypedArray<'js, u8>,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let (iv, data) = (copy(&iv), copy(&data));
    let key = key.borrow();
    let cipher = cipher(&ctx, secret_of(&ctx, &key.material)?)?;
    let Ok(mut previous) = <[u8; 16]>::try_from(iv.as_slice()) else {
        return Err(fail(&ctx, OPERATION, "AES-CBC: the IV must be 16 bytes"));
    };
    let mut out = Zeroizing::new(Vec::with_capacity(data.len() + 16));
    if encrypt {
        let pad = 16 - data.len() % 16;
        let mut padded = Zeroizing::new(data);
        let padded_length = padded.len() + pad;
        padded.resize(padded_length, pad as u8);
        for chunk in padded.chunks_exact(16) {
            let mut block = [0; 16];
            for (b, (x, p)) in block.iter_mut().zip(chunk.iter().zip(previous)) {
                *b = x ^ p;
            }
            cipher.encrypt(&mut block);
            out.extend_from_slice(&block);
            previous = block;
        }
        return buffer(&ctx, &out);
    }
    if data.is_empty() || !data.len().is_multiple_of(16) {
        return Err(fail(
            &ctx,
            OPERATION,
            "AES-CBC: the data is not a whole number of blocks",
        ));
    }
    for chunk in data.chunks_exact(16) {
        let mut block = [0; 16];
        block.copy_from_slice(chunk);
        cipher.decrypt(&mut block);
        for (b, p) in block.iter_mut().zip(previous) {
            *b ^= p;
        }
        out.extend_from_slice(&block);
        previous.copy_from_slice(chunk);
    }
    let pad = out.last().copied().unwrap_or(0) as usize;
    let valid = (1..=16).contains(&pad) && out[out.len() - pad..].iter().all(|&b| b as usize == pad);
    if !valid {
        return Err(fail(&ctx, OPERATION, "AES-CBC: bad padding"));
    }
    let keep = out.len() - pad;
    out.truncate(keep);
    buffer(&ctx, &out)
}

/// AES-CTR: the rightmost `length` bits of the 16-byte `counter` count
/// blocks (wrapping within them); the same for both directions.
pub fn ctr<'js>(
    ctx: Ctx<'js>,
    key: Class<'js, Key>,
    counter: TypedArray<'js, u8>,
    length: u32,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let (counter, data) = (copy(&counter), copy(&data));
    let key = key.borrow();
    let cipher = cipher(&ctx, secret_of(&ctx, &key.material)?)?;
    let Ok(counter) = <[u8; 16]>::try_from(counter.as_slice()) else {
        return Err(fail(&ctx, OPERATION, "AES-CTR: the counter must be 16 bytes"));
    };
    if !(1..=128).contains(&length) {
        return Err(fail(&ctx, OPERATION, "AES-CTR: the length must be 1 to 128"));
    }
    let blocks = data.len().div_ceil(16) as u128;
    if length < 128 && blocks > 1u128 << length {
        return Err(fail(&ctx, OPERATION, "AES-CTR: the counter would wrap around"));
    }
    let mask = if length == 128 {
        u128::MAX
    } else {
        (1u128 << length) - 1
    };
    let start = u128::from_be_bytes(counter);
    let mut out = Zeroizing::new(data);
    for (index, chunk) in out.chunks_mut(16).enumerate() {
        let low = (start & mask).wrapping_add(index as u128) & mask;
        let mut block = ((start & !mask) | low).to_be_bytes();
        cipher.encrypt(&mut block);
        for (b, k) in chunk.iter_mut().zip(block) {
            *b ^= k;
        }
    }
    buffer(&ctx, &out)
}

/// AES-KW (RFC 3394): wraps or unwraps `data`, a multiple of 8 bytes.
pub fn kw<'js>(
    ctx: Ctx<'js>,
    wrap: bool,
    key: Class<'js, Key>,
    data: TypedArray<'js, u8>,
) -> rquickjs::Result<ArrayBuffer<'js>> {
    let data = copy(&data);
    let key = key.borrow();
    let secret = secret_of(&ctx, &key.material)?;
    if !data.len().is_multiple_of(8) || data.len() < if wrap { 16 } else { 24 } {
        return Err(fail(
            &ctx,
            OPERATION,
            "AES-KW: the data must be a multiple of 64 bits, at least 128",
        ));
    }
    let mut out = Zeroizing::new(vec![0; if wrap { data.len() + 8 } else { data.len() - 8 }]);
    macro_rules! run {
        ($kw:ty) => {{
            let kw = <$kw>::new_from_slice(secret).map_err(|_| fail(&ctx, OPERATION, "AES-KW: bad key"))?;
            if wrap {
                kw.wrap_key(&data, &mut out).map(|_| ())
            } else {
                kw.unwrap_key(&data, &mut out).map(|_| ())
            }
        }};
    }
    let result = match secret.len() {
        16 => run!(aes_kw::KwAes128),
        24 => run!(aes_kw::KwAes192),
        32 => run!(aes_kw::KwAes256),
        _ => return Err(fail(&ctx, OPERATION, "the AES key must be 128, 192 or 256 bits")),
    };
    match result {
        Ok(()) => buffer(&ctx, &out),
        Err(_) => Err(fail(&ctx, OPERATION, "AES-KW: the data is not authentic")),
    }
}
