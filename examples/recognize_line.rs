//! Recognise one line image with a model directory.
//!
//! ```text
//! cargo run --release --example recognize_line -- MODEL_DIR IMAGE [--beams N]
//! ```
//!
//! Prints the text, the confidence, the token ids and the time taken.

use std::process::ExitCode;

use hindi_ocr_core::image_input::{self, Limits};
use hindi_ocr_core::{Engine, EngineConfig, ModelSource, Params};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (model_dir, image_path) = match (args.first(), args.get(1)) {
        (Some(m), Some(i)) => (m.clone(), i.clone()),
        _ => {
            eprintln!("usage: recognize_line MODEL_DIR IMAGE [--beams N]");
            return ExitCode::from(2);
        }
    };
    let beams = match args.iter().position(|a| a == "--beams").map(|i| args.get(i + 1).map(|n| n.parse::<usize>())) {
        None => None,
        Some(Some(Ok(n))) => Some(n),
        _ => {
            eprintln!("--beams needs a positive number");
            return ExitCode::from(2);
        }
    };
    match run(&model_dir, &image_path, beams) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(model_dir: &str, image_path: &str, beams: Option<usize>) -> Result<(), hindi_ocr_core::Error> {
    let loaded = std::time::Instant::now();
    let engine = Engine::from_config(EngineConfig {
        model: ModelSource::Dir(model_dir.into()),
        params: Params { num_beams: beams, ..Params::default() },
        ..Default::default()
    })?;
    eprintln!("model loaded in {:.0} ms", loaded.elapsed().as_secs_f64() * 1000.0);
    let image = image_input::decode_file(image_path, &Limits::default())?;
    let line = engine.recognize_line(&image)?;
    println!("text:       {}", line.text);
    println!("confidence: {:.3}", line.confidence);
    println!("token ids:  {:?}", line.token_ids);
    println!("time:       {:.1} ms", line.processing_time_ms);
    Ok(())
}
