//! The limits of a PDF's contents, checked before any page is rendered (decompression bombs).
//!
//! `hayro` decodes a stream whole, with no bound, when it needs it: a 1 MB PDF whose page draws a
//! FlateDecode image declared 32768x32768 (1 GiB decoded), or whose content stream inflates to 1 GiB of
//! spaces, would cost that much memory per request. So every stream of the file is checked first:
//!
//! - an image (an image XObject, a soft mask, an inline image in a content stream) must fit the image limits
//!   ([`Limits::check_dimensions`]) by its declared width and height, and by the size in its own header for
//!   JPEG 2000 and JBIG2 data and `/Columns` for CCITT data, whose decoders use those;
//! - the data of every stream, passed through its filters (Flate, LZW, RunLength, ASCIIHex, ASCII85) into a
//!   counter that keeps nothing, must not inflate past [`Limits::max_stream_bytes`], or for an image past
//!   the bytes its declared size needs, whichever is larger.
//!
//! Object streams and cross-reference streams are inflated by the parser while it opens the file, so they are
//! found in the raw bytes ([`check_raw`]) and counted before it does.

use std::borrow::Cow;
use std::io::Read;

use hayro::hayro_syntax::Pdf;
use hayro::hayro_syntax::content::TypedIter;
use hayro::hayro_syntax::content::ops::TypedInstruction;
use hayro::hayro_syntax::object::{Dict, Name, Object, Stream};
use hayro::hayro_syntax::reader::{Reader, ReaderExt};

use crate::image_input::Limits;
use crate::{Error, Result};

/// Check the object and cross-reference streams that the parser inflates while opening the file. They are
/// found by their `/Type` in the raw bytes, their dictionary read from their `N G obj` header, and their data
/// (`/Length` bytes after `stream`, or up to the next `endstream` when that is not a number) counted. Each
/// is read once, and at most [`MAX_OBJECT_STREAMS`] of them.
pub(super) fn check_raw(bytes: &[u8], limits: &Limits) -> Result<()> {
    // Where every `endstream` is, found once: looking for the next one from each stream would cost the rest
    // of the file each time.
    let ends = find_all(bytes, b"endstream");
    let mut seen = std::collections::HashSet::new();
    for tag in [&b"/ObjStm"[..], b"/XRef"] {
        let mut from = 0;
        while let Some(pos) = find(&bytes[from..], tag) {
            let at = from + pos;
            from = at + tag.len();
            // The dictionary starts after the nearest `obj` before the tag.
            let start = at.saturating_sub(64 << 10);
            let Some(obj) = rfind(&bytes[start..at], b"obj") else { continue };
            let header = start + obj + 3;
            if !seen.insert(header) {
                continue;
            }
            if seen.len() > MAX_OBJECT_STREAMS {
                return Err(Error::PdfTooLarge(format!("it has more than {MAX_OBJECT_STREAMS} object streams")));
            }
            let mut r = Reader::new_with(bytes, header);
            r.skip_white_spaces_and_comments();
            let Some(dict) = r.read_without_context::<Dict<'_>>() else { continue };
            let kind = dict.get::<Name<'_>>(b"Type");
            if !kind.as_deref().is_some_and(|k| k == b"ObjStm" || k == b"XRef") {
                continue;
            }
            r.skip_white_spaces_and_comments();
            if r.forward_tag(b"stream").is_none() {
                continue;
            }
            let mut data = r.offset();
            data += usize::from(bytes.get(data) == Some(&b'\r'));
            data += usize::from(bytes.get(data) == Some(&b'\n'));
            let next_end = || ends.get(ends.partition_point(|&e| e < data)).copied().unwrap_or(bytes.len());
            let end = match dict.get::<usize>(b"Length") {
                Some(n) if n <= bytes.len().saturating_sub(data) => data + n,
                _ => next_end(),
            };
            let mut filters = filters(&dict);
            if filters.is_empty() && (dict.contains_key(b"Filter") || dict.contains_key(b"F")) {
                // A filter this reading cannot see (an indirect one): count it as the usual one.
                filters.push((Filter::Flate, None));
            }
            let cap = limits.max_stream_bytes;
            if decode(Cow::Borrowed(&bytes[data..end.max(data)]), &filters, cap).is_none() {
                return Err(Error::PdfTooLarge(format!(
                    "an object stream inflates to more than {cap} bytes, the limit"
                )));
            }
        }
    }
    Ok(())
}

/// Most object and cross-reference streams a PDF may have: a file of 100 000 objects packs them into about
/// a thousand.
const MAX_OBJECT_STREAMS: usize = 4096;

/// Check every stream of an opened PDF: images by their declared size, all data by its inflated size, and
/// the inline images of content streams.
pub(super) fn check_objects(pdf: &Pdf, limits: &Limits) -> Result<()> {
    for obj in pdf.objects() {
        if let Object::Stream(stream) = obj {
            check_stream(&stream, limits)?;
        }
    }
    Ok(())
}

fn check_stream(stream: &Stream<'_>, limits: &Limits) -> Result<()> {
    let dict = stream.dict();
    let id = stream.obj_id().obj_number;
    if dict.get::<Name<'_>>(b"Subtype").as_deref() == Some(b"Image") {
        return check_data(stream, limits, &format!("the image in object {id}"), true);
    }
    check_data(stream, limits, &format!("the stream of object {id}"), false)?;
    // Decoded whole only when its filters are all general ones (within the limit now, so that is safe): an
    // image codec in a stream that is not an image makes no drawing instructions.
    let general = filters(dict).iter().all(|(f, _)| !f.is_image_codec() && *f != Filter::Unknown);
    if general && may_be_content(dict) {
        // Images drawn inline are read with the content.
        let Ok(data) = stream.decoded() else { return Ok(()) };
        let mut ops = TypedIter::new(&data);
        while let Some(op) = ops.next() {
            if let TypedInstruction::InlineImage(image) = op {
                check_data(image.0, limits, &format!("an inline image in object {id}"), true)?;
            }
        }
    }
    Ok(())
}

/// Whether a (non-image) stream may be drawing instructions: a page's contents, a form, a pattern or a
/// Type 3 glyph. Fonts, colour profiles, functions, metadata and the file's own structure are not.
fn may_be_content(dict: &Dict<'_>) -> bool {
    let not_content_types: [&[u8]; 6] = [b"XRef", b"ObjStm", b"Metadata", b"EmbeddedFile", b"CMap", b"XML"];
    if dict.get::<Name<'_>>(b"Type").is_some_and(|t| not_content_types.contains(&&*t)) {
        return false;
    }
    if dict.get::<Name<'_>>(b"Subtype").is_some_and(|s| &*s != b"Form") {
        return false;
    }
    let font_or_data_keys: [&[u8]; 6] = [b"Length1", b"Length2", b"Length3", b"N", b"FunctionType", b"ShadingType"];
    !font_or_data_keys.iter().any(|k| dict.contains_key(k))
}

/// A stream's data: an image's declared size against the limits; what its data inflates to against the
/// stream limit (for an image, the larger of that and what its declared size needs); and the size an image
/// codec in its filters would decode to (JPEG 2000 and JBIG2 from the data's own header, CCITT from
/// `/Columns` and the height or `/Rows`; a JPEG is cut to the declared size by the decoder).
fn check_data(stream: &Stream<'_>, limits: &Limits, what: &str, image: bool) -> Result<()> {
    let dict = stream.dict();
    let dim = |long: &[u8], short: &[u8]| dict.get::<u32>(long).or_else(|| dict.get::<u32>(short)).unwrap_or(0);
    let (w, h) = (dim(b"Width", b"W"), dim(b"Height", b"H"));
    let mut cap = limits.max_stream_bytes;
    if image {
        check_size(limits, what, "is declared", w, h)?;
        cap = cap.max(image_bytes(dict, w, h).saturating_add(64 << 10));
    }
    let filters = filters(dict);
    let codec = filters.iter().find(|(f, _)| f.is_image_codec());
    if let Some((Filter::Ccitt, params)) = codec {
        // The CCITT decoder makes rows `/Columns` wide (1728 unless given), as many as the image is high
        // (`/Rows` for a stream that is not an image).
        let param = |key: &[u8]| params.as_ref().and_then(|p| p.get::<u32>(key));
        let (columns, rows) = (param(b"Columns").unwrap_or(1728), if h > 0 { h } else { param(b"Rows").unwrap_or(0) });
        check_size(limits, what, "holds CCITT data of", columns, rows)?;
    }
    let Some(data) = decode(stream.raw_data(), &filters, cap) else {
        let limit = if cap > limits.max_stream_bytes { ", the limit for its size" } else { ", the limit" };
        return Err(Error::PdfTooLarge(format!("{what} inflates to more than {cap} bytes{limit}")));
    };
    match codec.map(|(f, _)| *f) {
        Some(Filter::Jpx) => {
            if let Some((jw, jh)) = jpx_size(&data) {
                check_size(limits, what, "holds JPEG 2000 data of", jw, jh)?;
            }
        }
        Some(Filter::Jbig2) => {
            if let Some((jw, jh)) = jbig2_page_size(&data) {
                // A height of 0xffffffff means "striped, found while decoding": the declared one then.
                let jh = if jh == u32::MAX { h.max(1) } else { jh };
                check_size(limits, what, "holds JBIG2 data of", jw, jh)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_size(limits: &Limits, what: &str, verb: &str, w: u32, h: u32) -> Result<()> {
    match limits.check_dimensions(w, h) {
        Err(Error::ImageTooLarge { .. }) => Err(Error::PdfTooLarge(format!(
            "{what} {verb} {w}x{h} pixels, over the limits ({}x{}, {} pixels)",
            limits.max_width, limits.max_height, limits.max_pixels
        ))),
        // A zero size draws nothing (hayro skips such images); only the upper limits matter here.
        _ => Ok(()),
    }
}

/// The bytes an image's samples take after its filters (and before a PNG predictor, one byte a row).
fn image_bytes(dict: &Dict<'_>, w: u32, h: u32) -> u64 {
    let get_bool =
        |long: &[u8], short: &[u8]| dict.get::<bool>(long).or_else(|| dict.get::<bool>(short)).unwrap_or(false);
    let (components, bits) = if get_bool(b"ImageMask", b"IM") {
        (1, 1)
    } else {
        let bits = dict.get::<u8>(b"BitsPerComponent").or_else(|| dict.get::<u8>(b"BPC")).unwrap_or(8).clamp(1, 16);
        let space = dict.get::<Object<'_>>(b"ColorSpace").or_else(|| dict.get::<Object<'_>>(b"CS"));
        (space.map_or(4, components), u64::from(bits))
    };
    let row = (u64::from(w) * components * bits).div_ceil(8) + 1;
    row.saturating_mul(u64::from(h))
}

/// Colour components of a colour space (4, the most common maximum, when it cannot be told).
fn components(space: Object<'_>) -> u64 {
    let by_name = |n: &[u8]| match n {
        b"DeviceGray" | b"G" | b"CalGray" | b"Indexed" | b"I" | b"Separation" => 1,
        b"DeviceRGB" | b"RGB" | b"CalRGB" | b"Lab" => 3,
        _ => 4,
    };
    match space {
        Object::Name(n) => by_name(&n),
        Object::Array(a) => {
            let mut items = a.iter::<Object<'_>>();
            match items.next() {
                Some(Object::Name(n)) if &*n == b"ICCBased" => match items.next() {
                    Some(Object::Stream(s)) => u64::from(s.dict().get::<u8>(b"N").unwrap_or(4).clamp(1, 32)),
                    _ => 4,
                },
                Some(Object::Name(n)) if &*n == b"DeviceN" => match items.next() {
                    Some(Object::Array(names)) => (names.iter::<Object<'_>>().count() as u64).clamp(1, 32),
                    _ => 4,
                },
                Some(Object::Name(n)) => by_name(&n),
                _ => 4,
            }
        }
        _ => 4,
    }
}

/// The filters `hayro` applies (`/Filter`, or `/F` as inline images write it), each with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    Flate,
    Lzw,
    RunLength,
    AsciiHex,
    Ascii85,
    Crypt,
    // Image codecs: their output size comes from dimensions, which are checked instead.
    Dct,
    Jpx,
    Jbig2,
    Ccitt,
    Unknown,
}

impl Filter {
    /// Whether it decodes image data, sized by dimensions rather than by its input.
    fn is_image_codec(self) -> bool {
        matches!(self, Filter::Dct | Filter::Jpx | Filter::Jbig2 | Filter::Ccitt)
    }

    fn from_name(n: &[u8]) -> Filter {
        match n {
            b"FlateDecode" | b"Fl" => Filter::Flate,
            b"LZWDecode" | b"LZW" => Filter::Lzw,
            b"RunLengthDecode" | b"RL" => Filter::RunLength,
            b"ASCIIHexDecode" | b"AHx" => Filter::AsciiHex,
            b"ASCII85Decode" | b"A85" => Filter::Ascii85,
            b"Crypt" => Filter::Crypt,
            b"DCTDecode" | b"DCT" => Filter::Dct,
            b"JPXDecode" => Filter::Jpx,
            b"JBIG2Decode" => Filter::Jbig2,
            b"CCITTFaxDecode" | b"CCF" => Filter::Ccitt,
            _ => Filter::Unknown,
        }
    }
}

fn filters<'a>(dict: &Dict<'a>) -> Vec<(Filter, Option<Dict<'a>>)> {
    let names = |key: &[u8]| -> Option<Vec<Filter>> {
        match dict.get::<Object<'_>>(key)? {
            Object::Name(n) => Some(vec![Filter::from_name(&n)]),
            Object::Array(a) => Some(a.iter::<Name<'_>>().map(|n| Filter::from_name(&n)).collect()),
            _ => None,
        }
    };
    let Some(list) = names(b"F").or_else(|| names(b"Filter")) else {
        return Vec::new();
    };
    let params: Vec<Option<Dict<'a>>> =
        match dict.get::<Object<'a>>(b"DP").or_else(|| dict.get::<Object<'a>>(b"DecodeParms")) {
            Some(Object::Dict(d)) => vec![Some(d)],
            Some(Object::Array(a)) => a.iter::<Object<'a>>().map(Object::into_dict).collect(),
            _ => Vec::new(),
        };
    list.into_iter().enumerate().map(|(i, f)| (f, params.get(i).cloned().flatten())).collect()
}

/// A stream's (decrypted) data through its filters up to the first image codec: kept when a later filter
/// needs it, else only counted (an empty result). `None` when a step's output passes `cap` bytes.
fn decode(raw: Cow<'_, [u8]>, filters: &[(Filter, Option<Dict<'_>>)], cap: u64) -> Option<Vec<u8>> {
    let mut data = raw;
    for (i, (filter, params)) in filters.iter().enumerate() {
        let keep = i + 1 < filters.len();
        let mut sink = Sink { keep, out: Vec::new(), len: 0, cap };
        let done = match filter {
            Filter::Flate => inflate(&data, &mut sink),
            Filter::Lzw => {
                let early = params.as_ref().and_then(|p| p.get::<u8>(b"EarlyChange")).is_none_or(|e| e != 0);
                lzw(&data, early, &mut sink)
            }
            Filter::RunLength => run_length(&data, &mut sink),
            Filter::AsciiHex => ascii_hex(&data, &mut sink),
            Filter::Ascii85 => ascii85(&data, &mut sink),
            // Decrypted already by `raw_data`.
            Filter::Crypt => continue,
            Filter::Dct | Filter::Jpx | Filter::Jbig2 | Filter::Ccitt | Filter::Unknown => break,
        };
        done.ok()?;
        data = Cow::Owned(sink.out);
    }
    Some(data.into_owned())
}

/// Where a filter writes: counts every byte, keeps them only when asked, refuses past `cap`.
struct Sink {
    keep: bool,
    out: Vec<u8>,
    len: u64,
    cap: u64,
}

/// A filter's output passed the cap.
struct Over;

impl Sink {
    fn push(&mut self, bytes: &[u8]) -> Result<(), Over> {
        self.len += bytes.len() as u64;
        if self.len > self.cap {
            return Err(Over);
        }
        if self.keep {
            self.out.extend_from_slice(bytes);
        }
        Ok(())
    }
}

/// Inflate as `hayro` does: a zlib stream, else raw deflate. Corrupt data ends the output where it breaks.
fn inflate(data: &[u8], sink: &mut Sink) -> Result<(), Over> {
    pump(flate2::read::ZlibDecoder::new(data), sink)?;
    if sink.len == 0 {
        pump(flate2::read::DeflateDecoder::new(data), sink)?;
    }
    Ok(())
}

fn pump(mut reader: impl Read, sink: &mut Sink) -> Result<(), Over> {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => return Ok(()),
            Ok(n) => sink.push(&buf[..n])?,
        }
    }
}

/// PDF's LZW (MSB-first codes of 9 to 12 bits, 256 clear, 257 end), with `hayro`'s code-width rule.
fn lzw(data: &[u8], early_change: bool, sink: &mut Sink) -> Result<(), Over> {
    const CLEAR: usize = 256;
    const EOD: usize = 257;
    let mut table = LzwTable::new();
    let width = |size: usize| match size + usize::from(early_change) {
        s if s >= 2048 => 12,
        s if s >= 1024 => 11,
        s if s >= 512 => 10,
        _ => 9,
    };
    let (mut size, mut prev): (usize, Option<usize>) = (258, None);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &byte in data {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        loop {
            let w = width(size);
            if bits < w {
                break;
            }
            let code = ((acc >> (bits - w)) & ((1 << w) - 1)) as usize;
            bits -= w;
            acc &= (1 << bits) - 1;
            match (code, prev) {
                (CLEAR, _) => (size, prev) = (258, None),
                (EOD, _) => return Ok(()),
                (c, None) if c < 256 => {
                    sink.push(&[c as u8])?;
                    prev = Some(c);
                }
                (c, Some(p)) if c < size => {
                    table.emit(c, None, sink)?;
                    if size < 4096 {
                        table.set(size, p, table.first[c]);
                        size += 1;
                    }
                    prev = Some(c);
                }
                (c, Some(p)) if c == size && size < 4096 => {
                    table.emit(p, Some(table.first[p]), sink)?;
                    table.set(size, p, table.first[p]);
                    size += 1;
                    prev = Some(c);
                }
                _ => return Ok(()), // corrupt: the decoder stops here too
            }
        }
    }
    Ok(())
}

/// LZW strings as links: entry k is the string of `prefix[k]` followed by `last[k]`; `first[k]` its first byte.
struct LzwTable {
    prefix: Vec<u16>,
    last: Vec<u8>,
    first: Vec<u8>,
    string: Vec<u8>,
}

impl LzwTable {
    fn new() -> Self {
        let bytes: Vec<u8> = (0..4096).map(|b| b as u8).collect();
        LzwTable { prefix: vec![0; 4096], last: bytes.clone(), first: bytes, string: Vec::with_capacity(4096) }
    }

    fn set(&mut self, k: usize, prefix: usize, last: u8) {
        (self.prefix[k], self.last[k], self.first[k]) = (prefix as u16, last, self.first[prefix]);
    }

    fn emit(&mut self, code: usize, extra: Option<u8>, sink: &mut Sink) -> Result<(), Over> {
        self.string.clear();
        let mut c = code;
        loop {
            self.string.push(self.last[c]);
            if c < 256 {
                break;
            }
            c = usize::from(self.prefix[c]);
        }
        self.string.reverse();
        self.string.extend(extra);
        sink.push(&self.string)
    }
}

fn run_length(data: &[u8], sink: &mut Sink) -> Result<(), Over> {
    let mut i = 0;
    while let Some(&n) = data.get(i) {
        match n {
            128 => break,
            0..=127 => {
                let end = (i + 2 + usize::from(n)).min(data.len());
                sink.push(&data[i + 1..end])?;
                i = end;
            }
            _ => {
                let Some(&b) = data.get(i + 1) else { break };
                sink.push(&[b; 128][..257 - usize::from(n)])?;
                i += 2;
            }
        }
    }
    Ok(())
}

fn ascii_hex(data: &[u8], sink: &mut Sink) -> Result<(), Over> {
    let mut high: Option<u8> = None;
    for &c in data {
        let v = match c {
            b'>' => break,
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => continue,
        };
        match high.take() {
            Some(h) => sink.push(&[h << 4 | v])?,
            None => high = Some(v),
        }
    }
    if let Some(h) = high {
        sink.push(&[h << 4])?;
    }
    Ok(())
}

fn ascii85(data: &[u8], sink: &mut Sink) -> Result<(), Over> {
    let (mut group, mut n) = (0u64, 0usize);
    for &c in data {
        match c {
            b'~' => break,
            b'z' if n == 0 => sink.push(&[0; 4])?,
            b'!'..=b'u' => {
                group = group * 85 + u64::from(c - b'!');
                n += 1;
                if n == 5 {
                    sink.push(&(group as u32).to_be_bytes())?;
                    (group, n) = (0, 0);
                }
            }
            _ => {}
        }
    }
    if n > 1 {
        for _ in n..5 {
            group = group * 85 + 84;
        }
        sink.push(&(group as u32).to_be_bytes()[..n - 1])?;
    }
    Ok(())
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// The size a JPEG 2000 stream declares: its codestream's SIZ marker (or the JP2 image header box).
fn jpx_size(data: &[u8]) -> Option<(u32, u32)> {
    if let Some(at) = find(data, &[0xFF, 0x4F, 0xFF, 0x51]) {
        // SIZ: marker, Lsiz, Rsiz, then Xsiz, Ysiz, XOsiz, YOsiz.
        let s = at + 2;
        let (x, y, xo, yo) = (be32(data, s + 6)?, be32(data, s + 10)?, be32(data, s + 14)?, be32(data, s + 18)?);
        return Some((x.saturating_sub(xo), y.saturating_sub(yo)));
    }
    let at = find(data, b"ihdr")?;
    Some((be32(data, at + 8)?, be32(data, at + 4)?))
}

/// The page size in an embedded JBIG2 stream: its page information segment (type 48), read through the
/// segment headers before it.
fn jbig2_page_size(data: &[u8]) -> Option<(u32, u32)> {
    let mut r = 0usize;
    for _ in 0..64 {
        let number = be32(data, r)?;
        let flags = *data.get(r + 4)?;
        r += 5;
        let referred = *data.get(r)?;
        let count = if referred >> 5 == 7 {
            let count = be32(data, r)? & 0x1fff_ffff;
            r += 4 + (count as usize + 1).div_ceil(8);
            count as usize
        } else {
            r += 1;
            usize::from(referred >> 5)
        };
        r += count.checked_mul(match number {
            0..=256 => 1,
            257..=65536 => 2,
            _ => 4,
        })?;
        r += if flags & 0x40 != 0 { 4 } else { 1 };
        let length = be32(data, r)?;
        r += 4;
        if flags & 0x3f == 48 {
            return Some((be32(data, r)?, be32(data, r + 4)?));
        }
        if length == u32::MAX {
            return None; // a region of unknown length: the page information comes first in practice
        }
        r = r.checked_add(length as usize)?;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every position of `needle` in `hay`, in order.
fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = find(&hay[from..], needle) {
        out.push(from + pos);
        from += pos + needle.len();
    }
    out
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sink(cap: u64) -> Sink {
        Sink { keep: true, out: Vec::new(), len: 0, cap }
    }

    #[test]
    fn filters_decode_as_the_spec_says() {
        let mut s = sink(100);
        ascii_hex(b"48 65 6c6C6f7>", &mut s).ok().unwrap();
        assert_eq!(s.out, b"Hellop");
        let mut s = sink(100);
        ascii85(b"87cURD]j7BEbo80~>", &mut s).ok().unwrap();
        assert_eq!(s.out, b"Hello world!");
        let mut s = sink(100);
        run_length(&[2, b'a', b'b', b'c', 254, b'x', 128, 9], &mut s).ok().unwrap();
        assert_eq!(s.out, b"abcxxx");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&[b' '; 5000]).unwrap();
        let z = z.finish().unwrap();
        let mut s = sink(5000);
        assert!(inflate(&z, &mut s).is_ok() && s.out.len() == 5000);
        assert!(inflate(&z, &mut sink(4999)).is_err(), "one byte over the cap");
    }

    /// PDF 32000 7.4.4.2's example: "-----A---B" with EarlyChange 1.
    #[test]
    fn lzw_decodes_the_spec_example() {
        let codes: [u16; 8] = [256, 45, 258, 258, 65, 259, 66, 257];
        let (mut acc, mut bits, mut data) = (0u64, 0u32, Vec::new());
        for c in codes {
            acc = (acc << 9) | u64::from(c);
            bits += 9;
            while bits >= 8 {
                data.push((acc >> (bits - 8)) as u8);
                bits -= 8;
            }
        }
        data.push((acc << (8 - bits)) as u8);
        let mut s = sink(100);
        lzw(&data, true, &mut s).ok().unwrap();
        assert_eq!(s.out, b"-----A---B");
    }

    #[test]
    fn embedded_image_headers_give_their_size() {
        let mut siz = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 41, 0, 0];
        for v in [30_000u32, 40_000, 0, 0] {
            siz.extend(v.to_be_bytes());
        }
        assert_eq!(jpx_size(&siz), Some((30_000, 40_000)));
        // A page information segment: number 0, type 48, no referred segments, page 1, 19 bytes of data.
        let mut seg = vec![0, 0, 0, 0, 48, 0, 1, 0, 0, 0, 19];
        seg.extend(50_000u32.to_be_bytes());
        seg.extend(60_000u32.to_be_bytes());
        assert_eq!(jbig2_page_size(&seg), Some((50_000, 60_000)));
    }
}
