//! PDF decompression bombs, written byte by byte: small files whose streams inflate to a gigabyte. Shared by
//! the core, CLI and service tests (`#[path]`-included; needs `flate2`).
#![allow(dead_code)]

use flate2::{Compress, Compression, FlushCompress};

/// One GiB.
pub const GIB: u64 = 1 << 30;

/// zlib data that inflates to `n` bytes of `byte` (`n` a whole number of MiB), at about 1000:1. One
/// compressed MiB is repeated: after a sync flush each block refers only to the 32 KiB before it, which is
/// `byte` every time, so a gigabyte takes milliseconds to make.
pub fn zlib_of(byte: u8, n: u64) -> Vec<u8> {
    const MIB: u64 = 1 << 20;
    assert!(n >= 2 * MIB && n.is_multiple_of(MIB), "whole MiB, at least 2");
    let chunk = vec![byte; MIB as usize];
    let mut c = Compress::new(Compression::best(), false);
    let block = |c: &mut Compress, input: &[u8], flush| {
        let mut out = Vec::with_capacity(MIB as usize);
        let before = c.total_in();
        c.compress_vec(input, &mut out, flush).expect("deflate");
        assert_eq!(c.total_in() - before, input.len() as u64, "the whole chunk in one call");
        out
    };
    let first = block(&mut c, &chunk, FlushCompress::Sync);
    let middle = block(&mut c, &chunk, FlushCompress::Sync);
    let last = block(&mut c, &[], FlushCompress::Finish);
    let mut z = vec![0x78, 0xDA];
    z.extend_from_slice(&first);
    for _ in 1..n / MIB {
        z.extend_from_slice(&middle);
    }
    z.extend_from_slice(&last);
    // Adler-32 of n equal bytes: A = 1 + n*b, B = sum of A after each byte = n + b*n(n+1)/2 (mod 65521).
    let (m, n, b) = (65521u128, u128::from(n), u128::from(byte));
    let a = (1 + n * b) % m;
    let bb = (n + b * (n * (n + 1) / 2)) % m;
    z.extend_from_slice(&((bb << 16 | a) as u32).to_be_bytes());
    z
}

/// A PDF of numbered objects (1: catalog, 2: page tree, 3: the page, then `rest` from 4 on) with a correct
/// cross-reference table. The page is US Letter, its content `4 0 R`; with `image`, object 5 is its `/Im0`.
pub fn pdf(rest: &[Vec<u8>], image: bool) -> Vec<u8> {
    let image = if image { "/Resources << /XObject << /Im0 5 0 R >> >> " } else { "" };
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {image}/Contents 4 0 R >>").into_bytes(),
    ];
    objects.extend(rest.iter().cloned());
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

/// A stream object: `dict` entries (without `/Length`) and the data.
pub fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

/// The page draws a FlateDecode greyscale image declared `w`x`h` whose data inflates to `bytes` zeros.
pub fn image_bomb(w: u32, h: u32, bytes: u64) -> Vec<u8> {
    let content = stream("", b"q 612 0 0 792 0 0 cm /Im0 Do Q");
    let image = stream(
        &format!(
            "/Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode"
        ),
        &zlib_of(0, bytes),
    );
    pdf(&[content, image], true)
}

/// The first bomb: an image declared 32768x32768, 1 GiB decoded.
pub fn declared_image_bomb() -> Vec<u8> {
    image_bomb(32768, 32768, GIB)
}

/// The second bomb: the page's content stream inflates to 1 GiB of spaces.
pub fn content_bomb() -> Vec<u8> {
    pdf(&[stream("/Filter /FlateDecode", &zlib_of(b' ', GIB))], false)
}

/// An image drawn inline in the content stream, declared 32768x32768, its data 1 GiB of zeros.
pub fn inline_image_bomb() -> Vec<u8> {
    let mut content = b"q 612 0 0 792 0 0 cm BI /W 32768 /H 32768 /CS /G /BPC 8 /F /Fl ID ".to_vec();
    content.extend_from_slice(&zlib_of(0, GIB));
    content.extend_from_slice(b"\nEI Q");
    pdf(&[stream("", &content)], false)
}

/// An object stream (which the parser inflates while opening the file) of 1 GiB of spaces.
pub fn object_stream_bomb() -> Vec<u8> {
    let content = stream("", b"");
    let objstm = stream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", &zlib_of(b' ', GIB));
    pdf(&[content, objstm], false)
}
