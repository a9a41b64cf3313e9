//! WHATWG Streams (streams/*.js: ReadableStream, WritableStream,
//! TransformStream and the platform's transform streams), and the codecs
//! of CompressionStream and DecompressionStream: gzip, deflate (zlib) and
//! deflate-raw, incremental, through `flate2` on its pure-Rust backend.

use std::cell::RefCell;
use std::io::Write;

use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use flate2::{Compression, Crc, Decompress, FlushDecompress, Status};
use rquickjs::class::Trace;
use rquickjs::{Class, Ctx, Exception, Function, JsLifetime, Object, Persistent, TypedArray};

/// The prelude: one function, its parts in files of one concern each.
const PRELUDE: &str = concat!(
    include_str!("streams/base.js"),
    include_str!("streams/readable.js"),
    include_str!("streams/readable_ops.js"),
    include_str!("streams/writable.js"),
    include_str!("streams/transform.js"),
    include_str!("streams/platform.js"),
);

/// The most output one inflate call is given room for at a time.
const INFLATE_ROOM: usize = 64 * 1024;

thread_local! {
    /// What fetch.js builds bodies with (`fromBytes`, `fromPull`, `readAll`,
    /// `tee`, ...), as the prelude returned it.
    static HELPERS: RefCell<Option<Persistent<Object<'static>>>> = const { RefCell::new(None) };
}

/// Defines the stream classes. Runs at wizer time, after encoding.rs (the
/// text streams capture TextEncoder and TextDecoder) and abort.js (the
/// writable controller's signal).
pub fn install<'js>(ctx: &Ctx<'js>, idl: &Object<'js>) -> rquickjs::Result<()> {
    let installer: Function = crate::engine::eval_prelude(ctx, "isobox:streams", PRELUDE)?;
    let native = Object::new(ctx.clone())?;
    native.set("newCodec", Function::new(ctx.clone(), new_codec)?)?;
    native.set("codecWrite", Function::new(ctx.clone(), codec_write)?)?;
    native.set("codecFinish", Function::new(ctx.clone(), codec_finish)?)?;
    let helpers: Object = installer.call((idl.clone(), native))?;
    HELPERS.with(|slot| *slot.borrow_mut() = Some(Persistent::save(ctx, helpers)));
    Ok(())
}

/// The stream helpers for fetch.js; an exception if streams are not
/// installed yet.
pub fn helpers<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let saved = HELPERS.with(|slot| slot.borrow().clone());
    match saved {
        Some(helpers) => helpers.restore(ctx),
        None => Err(Exception::throw_internal(ctx, "the streams prelude is not installed")),
    }
}

/// One CompressionStream's or DecompressionStream's state.
#[derive(Trace, JsLifetime)]
#[rquickjs::class]
pub struct Codec {
    #[qjs(skip_trace)]
    state: CodecState,
}

enum CodecState {
    Gzip(GzEncoder<Vec<u8>>),
    Zlib(ZlibEncoder<Vec<u8>>),
    Raw(DeflateEncoder<Vec<u8>>),
    Inflate(Inflater),
    /// Finished, or failed: no more input is taken.
    Done,
}

/// The format of a compressed stream.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Gzip,
    Zlib,
    Raw,
}

/// Where a decompressor is in its stream.
enum Stage {
    /// Gathering the gzip header (its bytes so far).
    Header(Vec<u8>),
    /// Inflating the deflate data.
    Body,
    /// Gathering the gzip trailer (CRC-32 and size, 8 bytes).
    Trailer(Vec<u8>),
    /// The stream ended: any more input is an error.
    End,
}

struct Inflater {
    format: Format,
    inflate: Decompress,
    stage: Stage,
    /// The CRC-32 and length of the output, for the gzip trailer.
    crc: Crc,
}

fn format_of(name: &str) -> Option<Format> {
    match name {
        "gzip" => Some(Format::Gzip),
        "deflate" => Some(Format::Zlib),
        "deflate-raw" => Some(Format::Raw),
        _ => None,
    }
}

/// A compressor (`kind` "compress") or decompressor ("decompress") for
/// `format`.
fn new_codec<'js>(ctx: Ctx<'js>, kind: String, format: String) -> rquickjs::Result<Class<'js, Codec>> {
    let Some(format) = format_of(&format) else {
        return Err(Exception::throw_type(
            &ctx,
            &format!("\"{format}\" is not a supported format (use \"gzip\", \"deflate\" or \"deflate-raw\")"),
        ));
    };
    let level = Compression::default();
    let state = match (kind.as_str(), format) {
        ("compress", Format::Gzip) => CodecState::Gzip(GzEncoder::new(Vec::new(), level)),
        ("compress", Format::Zlib) => CodecState::Zlib(ZlibEncoder::new(Vec::new(), level)),
        ("compress", Format::Raw) => CodecState::Raw(DeflateEncoder::new(Vec::new(), level)),
        _ => CodecState::Inflate(Inflater {
            format,
            inflate: Decompress::new(format == Format::Zlib),
            stage: if format == Format::Gzip {
                Stage::Header(Vec::new())
            } else {
                Stage::Body
            },
            crc: Crc::new(),
        }),
    };
    Class::instance(ctx, Codec { state })
}

/// Feeds `bytes` to the codec; gives the output so far.
fn codec_write<'js>(
    ctx: Ctx<'js>,
    codec: Class<'js, Codec>,
    bytes: TypedArray<'js, u8>,
) -> rquickjs::Result<TypedArray<'js, u8>> {
    // SAFETY: the bytes are copied or consumed before any JS runs again, so
    // the buffer cannot be detached or resized while they are borrowed.
    let input: &[u8] = unsafe { bytes.as_slice() };
    let output = {
        let mut codec = codec.borrow_mut();
        let result = step(&mut codec.state, input, false);
        if result.is_err() {
            codec.state = CodecState::Done;
        }
        result
    };
    match output {
        Ok(output) => TypedArray::new(ctx, output),
        Err(message) => Err(Exception::throw_type(&ctx, &message)),
    }
}

/// Ends the codec's input; gives the rest of the output. A decompressor
/// whose stream did not end throws a TypeError.
fn codec_finish<'js>(ctx: Ctx<'js>, codec: Class<'js, Codec>) -> rquickjs::Result<TypedArray<'js, u8>> {
    let output = {
        let mut codec = codec.borrow_mut();
        let result = step(&mut codec.state, &[], true);
        codec.state = CodecState::Done;
        result
    };
    match output {
        Ok(output) => TypedArray::new(ctx, output),
        Err(message) => Err(Exception::throw_type(&ctx, &message)),
    }
}

/// Runs the codec over `input` (and, when `last`, to its end).
fn step(state: &mut CodecState, input: &[u8], last: bool) -> Result<Vec<u8>, String> {
    let failed = |error: std::io::Error| format!("CompressionStream: compressing failed: {error}");
    match state {
        CodecState::Gzip(encoder) => encode(encoder, input, last).map_err(failed),
        CodecState::Zlib(encoder) => encode(encoder, input, last).map_err(failed),
        CodecState::Raw(encoder) => encode(encoder, input, last).map_err(failed),
        CodecState::Inflate(inflater) => {
            let mut output = Vec::new();
            inflater.feed(input, &mut output)?;
            if last && !matches!(inflater.stage, Stage::End) {
                return Err("DecompressionStream: the compressed data is truncated (the stream did not end)".into());
            }
            Ok(output)
        }
        CodecState::Done => {
            if input.is_empty() && last {
                Ok(Vec::new())
            } else {
                Err("the compression stream has already ended".into())
            }
        }
    }
}

/// The encoders of flate2 write into a Vec; this takes what they wrote.
trait Encoder: Write {
    fn output(&mut self) -> &mut Vec<u8>;
    fn finish_stream(&mut self) -> std::io::Result<()>;
}

macro_rules! encoder {
    ($type:ty) => {
        impl Encoder for $type {
            fn output(&mut self) -> &mut Vec<u8> {
                self.get_mut()
            }
            fn finish_stream(&mut self) -> std::io::Result<()> {
                self.try_finish()
            }
        }
    };
}
encoder!(GzEncoder<Vec<u8>>);
encoder!(ZlibEncoder<Vec<u8>>);
encoder!(DeflateEncoder<Vec<u8>>);

fn encode(encoder: &mut impl Encoder, input: &[u8], last: bool) -> std::io::Result<Vec<u8>> {
    encoder.write_all(input)?;
    if last {
        encoder.finish_stream()?;
    }
    Ok(std::mem::take(encoder.output()))
}

/// The length of a complete gzip header at the start of `bytes`; None while
/// more bytes are needed.
fn gzip_header_length(bytes: &[u8]) -> Result<Option<usize>, String> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    if bytes.len() < 10 {
        if bytes.iter().zip([0x1f, 0x8b, 8]).any(|(a, b)| *a != b) {
            return Err("DecompressionStream: the data is not gzip (bad header)".into());
        }
        return Ok(None);
    }
    if bytes[0] != 0x1f || bytes[1] != 0x8b || bytes[2] != 8 {
        return Err("DecompressionStream: the data is not gzip (bad header)".into());
    }
    let flags = bytes[3];
    if flags & 0xe0 != 0 {
        return Err("DecompressionStream: the gzip header has reserved flags set".into());
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(length) = bytes.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([length[0], length[1]]));
        if bytes.len() < at {
            return Ok(None);
        }
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            match bytes.get(at..).and_then(|rest| rest.iter().position(|b| *b == 0)) {
                Some(end) => at += end + 1,
                None => return Ok(None),
            }
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
        if bytes.len() < at {
            return Ok(None);
        }
    }
    Ok(Some(at))
}

impl Inflater {
    /// Takes `input`, writing what it decompresses to `output`.
    fn feed(&mut self, mut input: &[u8], output: &mut Vec<u8>) -> Result<(), String> {
        loop {
            match &mut self.stage {
                Stage::Header(header) => {
                    if input.is_empty() {
                        return Ok(());
                    }
                    let before = header.len();
                    header.extend_from_slice(input);
                    match gzip_header_length(header)? {
                        None => return Ok(()),
                        Some(length) => {
                            // The header ends inside this input (it was
                            // incomplete in the `before` bytes already held).
                            input = input.get(length.saturating_sub(before)..).unwrap_or(&[]);
                            self.stage = Stage::Body;
                        }
                    }
                }
                Stage::Body => {
                    let start = output.len();
                    let (consumed, ended) = self.inflate_some(input, output)?;
                    self.crc.update(&output[start..]);
                    input = &input[consumed..];
                    if !ended {
                        return Ok(());
                    }
                    self.stage = if self.format == Format::Gzip {
                        Stage::Trailer(Vec::new())
                    } else {
                        Stage::End
                    };
                }
                Stage::Trailer(trailer) => {
                    let take = input.len().min(8 - trailer.len());
                    trailer.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if trailer.len() < 8 {
                        return Ok(());
                    }
                    let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
                    let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
                    if crc != self.crc.sum() || size != self.crc.amount() {
                        return Err("DecompressionStream: the gzip data is corrupt (checksum mismatch)".into());
                    }
                    self.stage = Stage::End;
                }
                Stage::End => {
                    if input.is_empty() {
                        return Ok(());
                    }
                    return Err("DecompressionStream: there is data after the end of the compressed stream".into());
                }
            }
        }
    }

    /// Inflates from `input` until it is used up or the stream ends; gives
    /// the bytes consumed and whether the stream ended.
    fn inflate_some(&mut self, input: &[u8], output: &mut Vec<u8>) -> Result<(usize, bool), String> {
        let mut consumed = 0;
        loop {
            output.reserve(INFLATE_ROOM);
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress_vec(&input[consumed..], output, FlushDecompress::None)
                .map_err(|error| format!("DecompressionStream: the compressed data is corrupt: {error}"))?;
            let read = usize::try_from(self.inflate.total_in() - in_before).unwrap_or(usize::MAX);
            let wrote = self.inflate.total_out() - out_before;
            consumed = consumed.saturating_add(read).min(input.len());
            if status == Status::StreamEnd {
                return Ok((consumed, true));
            }
            if read == 0 && wrote == 0 {
                return Ok((consumed, false));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compressor(format: Format) -> CodecState {
        let level = Compression::default();
        match format {
            Format::Gzip => CodecState::Gzip(GzEncoder::new(Vec::new(), level)),
            Format::Zlib => CodecState::Zlib(ZlibEncoder::new(Vec::new(), level)),
            Format::Raw => CodecState::Raw(DeflateEncoder::new(Vec::new(), level)),
        }
    }

    fn decompressor(format: Format) -> CodecState {
        CodecState::Inflate(Inflater {
            format,
            inflate: Decompress::new(format == Format::Zlib),
            stage: if format == Format::Gzip {
                Stage::Header(Vec::new())
            } else {
                Stage::Body
            },
            crc: Crc::new(),
        })
    }

    fn compress(format: Format, data: &[u8]) -> Vec<u8> {
        let mut state = compressor(format);
        let mut out = step(&mut state, data, false).unwrap();
        out.extend(step(&mut state, &[], true).unwrap());
        out
    }

    /// Decompresses `data` fed in pieces of `piece` bytes.
    fn decompress(format: Format, data: &[u8], piece: usize) -> Result<Vec<u8>, String> {
        let mut state = decompressor(format);
        let mut out = Vec::new();
        for chunk in data.chunks(piece.max(1)) {
            out.extend(step(&mut state, chunk, false)?);
        }
        out.extend(step(&mut state, &[], true)?);
        Ok(out)
    }

    #[test]
    fn every_format_round_trips_whatever_the_chunking() {
        let text: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for format in [Format::Gzip, Format::Zlib, Format::Raw] {
            let compressed = compress(format, &text);
            for piece in [1, 7, 4096, compressed.len()] {
                assert_eq!(decompress(format, &compressed, piece).unwrap(), text);
            }
        }
    }

    #[test]
    fn trailing_data_truncation_and_corruption_are_errors() {
        for format in [Format::Gzip, Format::Zlib, Format::Raw] {
            let compressed = compress(format, b"hello hello hello");
            let mut junk = compressed.clone();
            junk.push(0);
            assert!(decompress(format, &junk, 3).unwrap_err().contains("after the end"));
            let truncated = &compressed[..compressed.len() - 2];
            assert!(decompress(format, truncated, 3).unwrap_err().contains("truncated"));
        }
        let mut bad_crc = compress(Format::Gzip, b"hello");
        let at = bad_crc.len() - 8;
        bad_crc[at] ^= 1;
        assert!(decompress(Format::Gzip, &bad_crc, 5).unwrap_err().contains("checksum"));
        assert!(
            decompress(Format::Gzip, b"not gzip at all", 4)
                .unwrap_err()
                .contains("not gzip")
        );
        assert!(decompress(Format::Zlib, b"\x00\x01\x02", 4).is_err());
    }

    #[test]
    fn a_gzip_header_with_every_optional_field_is_skipped() {
        let body = compress(Format::Raw, b"named");
        let mut data = vec![0x1f, 0x8b, 8, 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, 255];
        data.extend([3, 0, b'x', b'y', b'z']);
        data.extend(b"name.txt\0a comment\0");
        data.extend([0xaa, 0xbb]);
        data.extend(&body);
        let mut crc = Crc::new();
        crc.update(b"named");
        data.extend(crc.sum().to_le_bytes());
        data.extend(crc.amount().to_le_bytes());
        for piece in [1, 2, 5, data.len()] {
            assert_eq!(decompress(Format::Gzip, &data, piece).unwrap(), b"named");
        }
    }

    #[test]
    fn a_finished_codec_takes_no_more_input() {
        let mut state = compressor(Format::Gzip);
        step(&mut state, b"x", true).unwrap();
        state = CodecState::Done;
        assert!(step(&mut state, b"more", false).is_err());
        assert!(step(&mut state, &[], true).unwrap().is_empty());
    }
}
