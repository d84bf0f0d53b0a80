//! Draw what page analysis finds (lines blue, words red, segments green) for checking it by eye:
//! `cargo run -p hindi-ocr-core --example draw_layout -- page.png out.png`
use hindi_ocr_core::layout::{AnalysisOptions, analyze_page, draw_layout};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(input), Some(output)) = (args.get(1), args.get(2)) else {
        return Err("usage: draw_layout PAGE_IMAGE OUT_PNG".into());
    };
    let gray = image::open(input)?.to_luma8();
    let layout = analyze_page(&gray, &AnalysisOptions::default());
    println!("skew {:.2} deg, text height {:.1} px, {} lines", layout.skew, layout.text_height, layout.lines.len());
    for (i, line) in layout.lines.iter().enumerate() {
        let b = line.bbox;
        println!("line {i}: x {} y {} w {} h {}, {} words, {} segments", b.x, b.y, b.width, b.height, line.words.len(), line.segments.len());
    }
    draw_layout(&gray, &layout).save(output)?;
    Ok(())
}
