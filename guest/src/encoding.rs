//! TextEncoder and TextDecoder (WHATWG Encoding standard): every encoding
//! the standard names, decoded by the `encoding_rs` crate, with streaming,
//! `fatal` and `ignoreBOM`, under the JS classes of encoding.js.

use encoding_rs::{CoderResult, DecoderResult, Encoding};
use rquickjs::class::Trace;
use rquickjs::{Class, Ctx, Exception, Function, JsLifetime, Object, TypedArray};

const PRELUDE: &str = include_str!("encoding.js");

/// One TextDecoder's decoder: its state carries a partial sequence from one
/// streaming `decode` call to the next.
#[derive(Trace, JsLifetime)]
#[rquickjs::class]
pub struct NativeDecoder {
    #[qjs(skip_trace)]
    decoder: encoding_rs::Decoder,
}

/// Defines TextEncoder and TextDecoder. Runs at wizer time.
pub fn install<'js>(ctx: &Ctx<'js>, idl: &Object<'js>) -> rquickjs::Result<()> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:encoding", PRELUDE)?;
    let lookup = Function::new(ctx.clone(), |label: String| {
        Encoding::for_label(label.as_bytes()).map(|encoding| encoding.name().to_ascii_lowercase())
    })?;
    let new_decoder = Function::new(ctx.clone(), new_decoder)?;
    let decode = Function::new(ctx.clone(), decode)?;
    let encode = Function::new(ctx.clone(), |ctx: Ctx<'js>, text: String| {
        TypedArray::new(ctx, text.into_bytes())
    })?;
    installer.call::<_, ()>((idl.clone(), lookup, new_decoder, decode, encode))
}

/// A fresh decoder for the encoding `name` (a name `lookup` returned): it
/// removes a byte order mark of its own encoding unless `ignore_bom`.
fn new_decoder<'js>(ctx: Ctx<'js>, name: String, ignore_bom: bool) -> rquickjs::Result<Class<'js, NativeDecoder>> {
    let encoding = Encoding::for_label(name.as_bytes())
        .ok_or_else(|| Exception::throw_range(&ctx, &format!("TextDecoder: unknown encoding {name}")))?;
    let decoder = if ignore_bom {
        encoding.new_decoder_without_bom_handling()
    } else {
        encoding.new_decoder_with_bom_removal()
    };
    Class::instance(ctx, NativeDecoder { decoder })
}

/// Decodes `bytes`; `last` flushes a partial sequence at the end (as an
/// error). Errors become U+FFFD, or with `fatal` a TypeError.
fn decode<'js>(
    ctx: Ctx<'js>,
    decoder: Class<'js, NativeDecoder>,
    bytes: TypedArray<'js, u8>,
    last: bool,
    fatal: bool,
) -> rquickjs::Result<String> {
    // SAFETY: the bytes are decoded before any JS runs again, so the buffer
    // cannot be detached or resized while they are borrowed.
    let input: &[u8] = unsafe { bytes.as_slice() };
    let mut native = decoder.borrow_mut();
    let decoder = &mut native.decoder;
    let mut output = String::new();
    let mut read = 0;
    loop {
        let rest = &input[read..];
        let room = if fatal {
            decoder.max_utf8_buffer_length_without_replacement(rest.len())
        } else {
            decoder.max_utf8_buffer_length(rest.len())
        }
        .unwrap_or(rest.len().saturating_mul(3).saturating_add(16));
        output.reserve(room);
        if fatal {
            let (result, consumed) = decoder.decode_to_string_without_replacement(rest, &mut output, last);
            read += consumed;
            match result {
                DecoderResult::InputEmpty => return Ok(output),
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(_, _) => {
                    return Err(Exception::throw_type(
                        &ctx,
                        &format!("TextDecoder: the data is not valid {}", decoder.encoding().name()),
                    ));
                }
            }
        } else {
            let (result, consumed, _) = decoder.decode_to_string(rest, &mut output, last);
            read += consumed;
            if result == CoderResult::InputEmpty {
                return Ok(output);
            }
        }
    }
}
