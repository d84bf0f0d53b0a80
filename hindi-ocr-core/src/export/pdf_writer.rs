//! A minimal PDF 1.7 writer: numbered objects, streams (optionally Flate-compressed), a classic
//! cross-reference table. Enough for page images with a text layer; nothing more.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;

/// Writes objects in any order; [`PdfWriter::finish`] adds the xref table and trailer.
pub struct PdfWriter {
    buf: Vec<u8>,
    offsets: Vec<Option<usize>>,
}

impl PdfWriter {
    /// Start a file (header with a binary comment so tools treat it as binary).
    pub fn new() -> Self {
        let mut buf = Vec::new();
        buf.extend_from_slice(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        Self { buf, offsets: Vec::new() }
    }

    /// Reserve an object number.
    pub fn alloc(&mut self) -> u32 {
        self.offsets.push(None);
        self.offsets.len() as u32
    }

    /// Write object `id` with a dictionary or other body.
    pub fn object(&mut self, id: u32, body: &str) {
        self.offsets[id as usize - 1] = Some(self.buf.len());
        self.buf.extend_from_slice(format!("{id} 0 obj\n{body}\nendobj\n").as_bytes());
    }

    /// Write stream object `id`; `dict` holds the entries besides `/Length` (and `/Filter` when compressed).
    pub fn stream(&mut self, id: u32, dict: &str, data: &[u8], compress: bool) {
        let compressed;
        let (data, filter) = if compress {
            let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
            // Writing into a Vec cannot fail.
            let _ = z.write_all(data);
            compressed = z.finish().unwrap_or_default();
            (&compressed[..], " /Filter /FlateDecode")
        } else {
            (data, "")
        };
        self.offsets[id as usize - 1] = Some(self.buf.len());
        self.buf.extend_from_slice(format!("{id} 0 obj\n<< {dict}{filter} /Length {} >>\nstream\n", data.len()).as_bytes());
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\nendstream\nendobj\n");
    }

    /// Finish with the catalog `root` (and optional info dictionary).
    pub fn finish(mut self, root: u32, info: Option<u32>) -> Vec<u8> {
        let xref = self.buf.len();
        let n = self.offsets.len() + 1;
        self.buf.extend_from_slice(format!("xref\n0 {n}\n0000000000 65535 f \n").as_bytes());
        for off in &self.offsets {
            match off {
                Some(o) => self.buf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes()),
                None => self.buf.extend_from_slice(b"0000000000 65535 f \n"),
            }
        }
        let info = info.map(|i| format!(" /Info {i} 0 R")).unwrap_or_default();
        self.buf.extend_from_slice(format!("trailer\n<< /Size {n} /Root {root} 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
        self.buf
    }
}

/// A PDF literal string with `(`, `)` and `\` escaped (ASCII text only is passed here).
pub fn literal(s: &str) -> String {
    let mut out = String::from("(");
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}
