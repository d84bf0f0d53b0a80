//! Decoding image bytes (PNG, JPEG, TIFF, WebP, BMP) with limits checked before the pixels are decoded.
//!
//! [`decode`] guesses the format from the magic bytes, reads only the header to get the dimensions, rejects
//! anything over [`Limits`] (so a 100000x100000 PNG header fails at once, allocating nothing), and only then
//! decodes, with `image`'s own allocation limit set as a second guard. The EXIF orientation (phone photos are
//! stored sideways with a tag saying so) is applied, so the image is the one a viewer shows, and transparency
//! is flattened onto white ([`flatten_alpha`]).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};

use crate::{Error, Result};

/// Upper bounds on an input image. Checked before full decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum encoded size in bytes. Default 50 MiB.
    pub max_bytes: u64,
    /// Maximum width in pixels. Default 20 000.
    pub max_width: u32,
    /// Maximum height in pixels. Default 20 000.
    pub max_height: u32,
    /// Maximum width x height. Default 100 megapixels (e.g. an A4 page at 1200 dpi is ~140 MP, at 600 dpi ~35 MP).
    pub max_pixels: u64,
    /// Most pages a multi-page document (TIFF or PDF) may have; checked before any page is decoded. Default 500.
    pub max_pages: usize,
    /// Largest size one PDF stream (a page's content, a font, an embedded image's data) may inflate to, in
    /// bytes; an image may also inflate to the size its declared width, height and colours need. Checked by
    /// inflating each stream once, without keeping it, before any page is rendered. Default 64 MiB.
    pub max_stream_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 50 * 1024 * 1024,
            max_width: 20_000,
            max_height: 20_000,
            max_pixels: 100_000_000,
            max_pages: 500,
            max_stream_bytes: 64 << 20,
        }
    }
}

impl Limits {
    /// Check dimensions against the limits.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<()> {
        if width > self.max_width {
            return Err(Error::ImageTooLarge {
                what: "width",
                actual: width.into(),
                limit: self.max_width.into(),
            });
        }
        if height > self.max_height {
            return Err(Error::ImageTooLarge {
                what: "height",
                actual: height.into(),
                limit: self.max_height.into(),
            });
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(Error::ImageTooLarge {
                what: "pixels",
                actual: pixels,
                limit: self.max_pixels,
            });
        }
        if width == 0 || height == 0 {
            return Err(Error::ImageDecode(format!(
                "image has zero size ({width}x{height})"
            )));
        }
        Ok(())
    }
}

/// The formats [`decode`] accepts.
pub const SUPPORTED_FORMATS: [ImageFormat; 5] = [
    ImageFormat::Png,
    ImageFormat::Jpeg,
    ImageFormat::Tiff,
    ImageFormat::WebP,
    ImageFormat::Bmp,
];

/// Decode image bytes after checking them against `limits`.
///
/// Errors: [`Error::EmptyInput`] for no bytes, [`Error::ImageTooLarge`] for bytes or dimensions over the limits,
/// [`Error::UnsupportedFormat`] for anything but PNG/JPEG/TIFF/WebP/BMP, [`Error::ImageDecode`] for corrupt or
/// truncated data.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<DynamicImage> {
    if bytes.is_empty() {
        return Err(Error::EmptyInput);
    }
    let len = bytes.len() as u64;
    if len > limits.max_bytes {
        return Err(Error::ImageTooLarge {
            what: "bytes",
            actual: len,
            limit: limits.max_bytes,
        });
    }
    let format = image::guess_format(bytes).map_err(|_| Error::UnsupportedFormat(sniff(bytes)))?;
    if !SUPPORTED_FORMATS.contains(&format) {
        return Err(Error::UnsupportedFormat(Some(format!("{format:?}"))));
    }

    // Header only: dimensions without decoding pixels.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(map_err)?;
    limits.check_dimensions(width, height)?;
    // The JPEG decoder fills the rows of a file cut short with grey and reports nothing: refuse it instead
    // of reading part of a page as if it were the whole.
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(Error::ImageDecode(
            "the JPEG is truncated: its data ends before the end-of-image marker (the file was cut short)".into(),
        ));
    }

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut il = image::Limits::default();
    il.max_image_width = Some(limits.max_width);
    il.max_image_height = Some(limits.max_height);
    // Decoded size at up to 16 bytes per pixel (RGBA f32) plus slack for decoder buffers.
    il.max_alloc = Some(
        limits
            .max_pixels
            .saturating_mul(16)
            .saturating_add(64 << 20),
    );
    reader.limits(il);
    let mut decoder = reader.into_decoder().map_err(map_err)?;
    // A missing or unreadable orientation tag leaves the pixels as stored (as viewers do).
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(map_err)?;
    img.apply_orientation(orientation);
    Ok(flatten_alpha(img))
}

/// [`flatten_alpha`] for a borrowed image: a flattened copy when it has an alpha channel, else the image itself
/// (images from [`decode`] are opaque already; ones handed to the engine directly may not be).
pub fn opaque(img: &DynamicImage) -> std::borrow::Cow<'_, DynamicImage> {
    if img.color().has_alpha() {
        std::borrow::Cow::Owned(flatten_alpha(img.clone()))
    } else {
        std::borrow::Cow::Borrowed(img)
    }
}

/// An image with an alpha channel composited onto white, as any viewer shows it; others unchanged. (Dropping
/// the alpha instead, as a plain RGB conversion does, turns a transparent background black: text drawn on a
/// transparent PNG became black on black.) Greyscale stays greyscale, 16-bit goes to 8-bit.
pub fn flatten_alpha(img: DynamicImage) -> DynamicImage {
    use image::{GrayImage, Luma, Rgb, RgbImage};
    if !img.color().has_alpha() {
        return img;
    }
    // Over white: c * a + 255 * (1 - a), rounded.
    let over = |c: u8, a: u8| {
        ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a)) + 127) / 255) as u8
    };
    if img.color().has_color() {
        let rgba = img.to_rgba8();
        DynamicImage::ImageRgb8(RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
            let p = rgba.get_pixel(x, y).0;
            Rgb([over(p[0], p[3]), over(p[1], p[3]), over(p[2], p[3])])
        }))
    } else {
        let la = img.to_luma_alpha8();
        DynamicImage::ImageLuma8(GrayImage::from_fn(la.width(), la.height(), |x, y| {
            let p = la.get_pixel(x, y).0;
            Luma([over(p[0], p[1])])
        }))
    }
}

/// Read a file and [`decode`] it; the file size is checked before reading.
pub fn decode_file(path: impl AsRef<std::path::Path>, limits: &Limits) -> Result<DynamicImage> {
    let path = path.as_ref();
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > limits.max_bytes {
        return Err(Error::ImageTooLarge {
            what: "bytes",
            actual: size,
            limit: limits.max_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    decode(&bytes, limits)
}

/// Whether a JPEG's data reaches its end-of-image marker (`FF D9`) after the first scan. Markers are skipped
/// by their lengths up to the first start-of-scan (so an EXIF thumbnail's own end marker does not count);
/// inside scan data a `FF` byte is always followed by `00` or a restart/other marker, so `FF D9` there is the
/// real end. Bytes after the marker (some cameras append data) are allowed.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut i = 2; // past SOI
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        match marker {
            0xFF => i += 1, // fill byte
            0xD0..=0xD7 | 0x01 => i += 2,
            0xD9 => return false, // end of image before any scan
            0xDA => return bytes[i + 2..].windows(2).any(|w| w == [0xFF, 0xD9]),
            _ => i += 2 + usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]])),
        }
    }
    false
}

fn map_err(e: ImageError) -> Error {
    match e {
        ImageError::Unsupported(u) => Error::UnsupportedFormat(Some(u.to_string())),
        // `image` reports its allocation limit without numbers; the header checks above catch the usual cases.
        ImageError::Limits(l) => {
            Error::ImageDecode(format!("image exceeds the decoder's memory limit: {l}"))
        }
        other => Error::ImageDecode(other.to_string()),
    }
}

/// A name for well-known non-image formats, for the error message.
fn sniff(bytes: &[u8]) -> Option<String> {
    let name = if bytes.starts_with(b"%PDF") {
        "PDF (rasterise pages first)"
    } else if bytes.starts_with(b"GIF8") {
        "GIF"
    } else if bytes.starts_with(b"PK\x03\x04") {
        "ZIP"
    } else if bytes
        .iter()
        .take(512)
        .all(|b| b.is_ascii() && (*b >= 0x20 || b.is_ascii_whitespace()))
    {
        "text"
    } else {
        return None;
    };
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::GrayImage::from_pixel(w, h, image::Luma([200]));
        let mut out = Vec::new();
        DynamicImage::ImageLuma8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn decodes_a_small_png() {
        let img = decode(&png(30, 10), &Limits::default()).unwrap();
        assert_eq!((img.width(), img.height()), (30, 10));
    }

    #[test]
    fn pixel_limit_is_checked() {
        let limits = Limits {
            max_pixels: 299,
            ..Limits::default()
        };
        match decode(&png(30, 10), &limits) {
            Err(Error::ImageTooLarge {
                what: "pixels",
                actual: 300,
                limit: 299,
            }) => {}
            other => panic!("expected pixel limit error, got {other:?}"),
        }
    }

    /// An EXIF block (TIFF structure, little endian) holding only an Orientation tag.
    fn exif_orientation(value: u16) -> Vec<u8> {
        let mut e = b"II*\0".to_vec();
        e.extend(8u32.to_le_bytes()); // first IFD right after the header
        e.extend(1u16.to_le_bytes()); // one entry
        e.extend(0x0112u16.to_le_bytes()); // Orientation
        e.extend(3u16.to_le_bytes()); // SHORT
        e.extend(1u32.to_le_bytes());
        e.extend(value.to_le_bytes());
        e.extend([0, 0]);
        e.extend(0u32.to_le_bytes()); // no next IFD
        e
    }

    /// A 40x20 image, left half black, right half white, encoded with `exif`.
    fn half_black(format: ImageFormat, exif: Vec<u8>) -> Vec<u8> {
        use image::ImageEncoder;
        let img =
            image::GrayImage::from_fn(40, 20, |x, _| image::Luma([if x < 20 { 0 } else { 255 }]));
        let mut out = Vec::new();
        match format {
            ImageFormat::Png => {
                let mut enc = image::codecs::png::PngEncoder::new(&mut out);
                enc.set_exif_metadata(exif).unwrap();
                enc.write_image(img.as_raw(), 40, 20, image::ExtendedColorType::L8)
                    .unwrap();
            }
            _ => {
                let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95);
                enc.set_exif_metadata(exif).unwrap();
                enc.write_image(img.as_raw(), 40, 20, image::ExtendedColorType::L8)
                    .unwrap();
            }
        }
        out
    }

    #[test]
    fn exif_orientation_is_applied() {
        // Orientation 6: stored turned, shown turned 90 degrees clockwise: the black left half ends on top.
        for format in [ImageFormat::Png, ImageFormat::Jpeg] {
            let img = decode(&half_black(format, exif_orientation(6)), &Limits::default())
                .unwrap()
                .to_luma8();
            assert_eq!(img.dimensions(), (20, 40), "{format:?}");
            assert!(
                img.get_pixel(10, 5)[0] < 60 && img.get_pixel(10, 35)[0] > 200,
                "{format:?}"
            );
            // Orientation 3: upside down, the black half on the right.
            let img = decode(&half_black(format, exif_orientation(3)), &Limits::default())
                .unwrap()
                .to_luma8();
            assert_eq!(img.dimensions(), (40, 20), "{format:?}");
            assert!(
                img.get_pixel(35, 10)[0] < 60 && img.get_pixel(5, 10)[0] > 200,
                "{format:?}"
            );
        }
        // No tag, or a tag that does not parse: the pixels as stored.
        for exif in [Vec::new(), b"II*\0garbage".to_vec()] {
            let img = decode(&half_black(ImageFormat::Png, exif), &Limits::default())
                .unwrap()
                .to_luma8();
            assert_eq!(img.dimensions(), (40, 20));
            assert!(img.get_pixel(5, 10)[0] < 60);
        }
    }

    #[test]
    fn transparency_is_flattened_onto_white() {
        // Black text drawn only through the alpha channel (RGB black everywhere): a viewer shows black on white.
        let rgba = image::RgbaImage::from_fn(20, 10, |x, _| {
            image::Rgba([0, 0, 0, if x < 10 { 255 } else { 0 }])
        });
        let mut png = Vec::new();
        DynamicImage::ImageRgba8(rgba)
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let img = decode(&png, &Limits::default()).unwrap();
        assert!(!img.color().has_alpha());
        let gray = img.to_luma8();
        assert_eq!(
            (gray.get_pixel(2, 5)[0], gray.get_pixel(15, 5)[0]),
            (0, 255)
        );
        // Half transparent grey-alpha: halfway to white.
        let la = image::GrayAlphaImage::from_pixel(2, 2, image::LumaA([0, 128]));
        assert_eq!(
            flatten_alpha(DynamicImage::ImageLumaA8(la))
                .to_luma8()
                .get_pixel(0, 0)[0],
            127
        );
        // Opaque images pass through untouched.
        let rgb = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(2, 2, image::Rgb([1, 2, 3])));
        assert_eq!(flatten_alpha(rgb.clone()), rgb);
    }

    #[test]
    fn truncated_jpeg_is_refused() {
        // Busy enough that the scan data, not the tables, is most of the file.
        let busy = image::GrayImage::from_fn(400, 300, |x, y| {
            image::Luma([((x * 7 + y * 13) % 256) as u8])
        });
        let mut jpeg = Vec::new();
        DynamicImage::ImageLuma8(busy)
            .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        assert!(decode(&jpeg, &Limits::default()).is_ok());
        // Data appended after the end marker (as some cameras do) is no reason to refuse the picture.
        let mut appended = jpeg.clone();
        appended.extend_from_slice(b"trailing data");
        assert!(decode(&appended, &Limits::default()).is_ok());
        for cut in [jpeg.len() - 2, jpeg.len() * 3 / 4, jpeg.len() / 2] {
            match decode(&jpeg[..cut], &Limits::default()) {
                Err(Error::ImageDecode(m)) => assert!(m.contains("truncated"), "{m}"),
                other => panic!(
                    "cut at {cut} of {}: expected a truncation error, got {other:?}",
                    jpeg.len()
                ),
            }
        }
        // An EXIF thumbnail's own end marker (inside APP1, before the scan) does not make a cut file whole.
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xD9]);
        let with_thumb = half_black(ImageFormat::Jpeg, exif);
        assert!(jpeg_is_complete(&with_thumb));
        assert!(!jpeg_is_complete(&with_thumb[..with_thumb.len() - 2]));
    }

    #[test]
    fn byte_limit_is_checked() {
        let limits = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            decode(&png(30, 10), &limits),
            Err(Error::ImageTooLarge { what: "bytes", .. })
        ));
    }
}
