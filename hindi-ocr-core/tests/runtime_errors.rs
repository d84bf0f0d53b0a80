//! ONNX Runtime discovery failures. Its own test binary (one test): a process loads ONNX Runtime at most once,
//! so these run before anything has loaded it.

use std::path::PathBuf;

use hindi_ocr_core::{Engine, EngineConfig, Error, ModelSource, RuntimeConfig};

fn model() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parity/small")
}

fn load(runtime: RuntimeConfig) -> Result<Engine, Error> {
    Engine::from_config(EngineConfig { model: ModelSource::Dir(model()), runtime, ..Default::default() })
}

#[test]
fn missing_and_wrong_runtime_libraries_are_typed_errors_then_discovery_works() {
    // 1. Not found: the error names the place tried.
    let missing = PathBuf::from("/nonexistent/libonnxruntime.so.1.31.1");
    match load(RuntimeConfig { dylib_path: Some(missing.clone()), explicit_only: true, ..Default::default() }) {
        Err(Error::RuntimeNotFound { tried }) => {
            assert_eq!(tried.len(), 1, "{tried:?}");
            assert!(tried[0].contains("/nonexistent/libonnxruntime.so.1.31.1"), "{tried:?}");
        }
        other => panic!("expected RuntimeNotFound, got {other:?}"),
    }

    // 2. A shared library that is not ONNX Runtime (no OrtGetApiBase): a version/API error naming the file.
    let lib = [
        "/lib/x86_64-linux-gnu/libz.so.1",
        "/usr/lib/x86_64-linux-gnu/libz.so.1",
        "/lib/aarch64-linux-gnu/libz.so.1",
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib64/libz.so.1",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("some system shared library to stand in for a wrong ONNX Runtime");
    match load(RuntimeConfig { dylib_path: Some(lib.clone()), explicit_only: true, ..Default::default() }) {
        Err(Error::RuntimeVersion { path, reason }) => {
            assert_eq!(path, lib);
            assert!(reason.contains("OrtGetApiBase"), "{reason}");
        }
        other => panic!("expected RuntimeVersion, got {other:?}"),
    }

    // 3. A failed attempt does not poison the process: default discovery (the project's .venv) then works.
    load(RuntimeConfig::default()).expect("ONNX Runtime found by default discovery");
    let loaded = hindi_ocr_core::runtime::loaded_library().expect("a library is loaded");

    // 4. Once loaded, naming that same library again is fine; naming another is an error, not ignored.
    load(RuntimeConfig { dylib_path: Some(loaded.clone()), explicit_only: true, ..Default::default() }).expect("same library");
    match load(RuntimeConfig { dylib_path: Some(missing), explicit_only: true, ..Default::default() }) {
        Err(Error::RuntimeInit(m)) => assert!(m.contains("already loaded") && m.contains(&loaded.display().to_string()), "{m}"),
        other => panic!("expected RuntimeInit, got {other:?}"),
    }
}
