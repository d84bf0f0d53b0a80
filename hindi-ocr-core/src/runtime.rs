//! Finding and loading ONNX Runtime's shared library (`ort` with `load-dynamic`).
//!
//! Search order (the first library that loads wins, once per process):
//! 1. [`RuntimeConfig::dylib_path`](crate::RuntimeConfig::dylib_path);
//! 2. the `ORT_DYLIB_PATH` environment variable;
//! 3. the project's Python environment: `$VIRTUAL_ENV`, then `.venv/` in the current directory and its parents,
//!    the executable's directory and its parents, and the source tree this crate was built from, each at
//!    `lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*`;
//! 4. system paths: the dynamic loader's own search (`libonnxruntime.so`, `libonnxruntime.so.1`), then
//!    `/usr/local/lib`, `/usr/lib`, `/usr/lib/x86_64-linux-gnu`, `/usr/lib/aarch64-linux-gnu`.
//!
//! Nothing here panics: `ort::init_from` reports load and version failures as errors, which become
//! [`Error::RuntimeNotFound`] (naming every place tried) or [`Error::RuntimeVersion`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::environment::Environment;

use crate::engine::RuntimeConfig;
use crate::{Error, Result};

/// The process-wide ONNX Runtime environment, created by the first successful [`environment`] call.
/// A `Mutex<Option<..>>` rather than a `OnceLock` so that a failed attempt (library missing) can be retried
/// later with another configuration.
static ENVIRONMENT: Mutex<Option<(Environment, PathBuf)>> = Mutex::new(None);

/// Name of the environment variable naming the library explicitly.
pub const ORT_DYLIB_ENV: &str = "ORT_DYLIB_PATH";

/// A place where the library may be, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// File path, or a bare library name resolved by the dynamic loader.
    pub path: PathBuf,
    /// Which rule produced it ("config", "ORT_DYLIB_PATH", "venv", "system").
    pub source: &'static str,
}

/// Every candidate for the runtime library, in search order, without duplicates (only the explicit path when
/// [`RuntimeConfig::explicit_only`] is set). Candidates from the
/// venv and system directories are only listed when the file exists; explicit ones are always listed so that
/// a wrong explicit path shows up in the error.
pub fn candidates(config: &RuntimeConfig) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut push = |path: PathBuf, source: &'static str| {
        if !out.iter().any(|c| c.path == path) {
            out.push(Candidate { path, source });
        }
    };
    if let Some(p) = &config.dylib_path {
        push(p.clone(), "config");
    }
    if config.explicit_only {
        return out;
    }
    if let Some(p) = std::env::var_os(ORT_DYLIB_ENV).filter(|v| !v.is_empty()) {
        push(PathBuf::from(p), ORT_DYLIB_ENV);
    }
    for venv in venv_roots() {
        for lib in venv_libraries(&venv) {
            push(lib, "venv");
        }
    }
    for name in ["libonnxruntime.so", "libonnxruntime.so.1"] {
        push(PathBuf::from(name), "system");
    }
    for dir in ["/usr/local/lib", "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"] {
        let p = Path::new(dir).join("libonnxruntime.so");
        if p.exists() {
            push(p, "system");
        }
    }
    out
}

/// Python environments that may hold the `onnxruntime` wheel, in search order.
fn venv_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(v) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        roots.push(PathBuf::from(v));
    }
    let mut bases: Vec<PathBuf> = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        bases.extend(cwd.ancestors().map(Path::to_path_buf));
    }
    if let Some(exe_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        bases.extend(exe_dir.ancestors().map(Path::to_path_buf));
    }
    // The workspace this crate was compiled in (useful for tests, examples and benches).
    bases.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    for b in bases {
        let v = b.join(".venv");
        if v.is_dir() && !roots.contains(&v) {
            roots.push(v);
        }
    }
    roots
}

/// `lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*` under one venv, versioned names first.
fn venv_libraries(venv: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(pythons) = std::fs::read_dir(venv.join("lib")) else { return found };
    let mut pythons: Vec<PathBuf> = pythons
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .map(|e| e.path())
        .collect();
    pythons.sort();
    for py in pythons {
        let capi = py.join("site-packages/onnxruntime/capi");
        let Ok(entries) = std::fs::read_dir(&capi) else { continue };
        let mut libs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("libonnxruntime.so"))
            .map(|e| e.path())
            .collect();
        // `libonnxruntime.so.1.31.1` before `libonnxruntime.so`: the versioned file is the real one.
        libs.sort_by(|a, b| b.as_os_str().len().cmp(&a.as_os_str().len()).then(a.cmp(b)));
        found.extend(libs);
    }
    found
}

/// The shared ONNX Runtime environment, loading the library on first use. Later calls return the same
/// environment (a process can hold only one ONNX Runtime), except that a later call naming another library
/// explicitly is an error rather than silently served by the first.
pub(crate) fn environment(config: &RuntimeConfig) -> Result<Environment> {
    let mut guard = ENVIRONMENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((env, loaded)) = guard.as_ref() {
        if let Some(wanted) = config.dylib_path.as_ref().filter(|_| config.explicit_only) {
            let canonical = |p: &Path| std::fs::canonicalize(p).ok();
            let same = wanted == loaded || canonical(wanted).is_some_and(|w| Some(w) == canonical(loaded));
            if !same {
                return Err(Error::RuntimeInit(format!(
                    "this process has already loaded ONNX Runtime from {}; it cannot also load {}",
                    loaded.display(),
                    wanted.display()
                )));
            }
        }
        return Ok(env.clone());
    }
    let mut tried: Vec<String> = Vec::new();
    let mut version_error: Option<(PathBuf, String)> = None;
    for cand in candidates(config) {
        let is_name = cand.path.components().count() == 1 && cand.source == "system";
        if !is_name && !cand.path.exists() {
            tried.push(format!("  {} ({}): no such file", cand.path.display(), cand.source));
            continue;
        }
        match ort::init_from(&cand.path) {
            Ok(builder) => {
                let env = builder
                    .with_name("hindi-ocr")
                    .build()
                    .map_err(|e| Error::RuntimeInit(e.to_string()))?;
                tracing::debug!(path = %cand.path.display(), source = cand.source, "loaded ONNX Runtime");
                *guard = Some((env.clone(), cand.path.clone()));
                return Ok(env);
            }
            Err(e) => {
                let msg = e.to_string();
                if matches!(e, ort::LoadDynamicError::BadVersion { .. } | ort::LoadDynamicError::MissingApi { .. }) {
                    version_error.get_or_insert((cand.path.clone(), msg.clone()));
                }
                tried.push(format!("  {} ({}): {msg}", cand.path.display(), cand.source));
            }
        }
    }
    match version_error {
        Some((path, reason)) => Err(Error::RuntimeVersion {
            path,
            reason: format!("{reason}; all candidates tried:\n{}", tried.join("\n")),
        }),
        None => Err(Error::RuntimeNotFound { tried }),
    }
}

/// The library file the process loaded, if it has loaded one.
pub fn loaded_library() -> Option<PathBuf> {
    let guard = ENVIRONMENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    guard.as_ref().map(|(_, p)| p.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_comes_first_and_is_listed_even_if_missing() {
        let cfg = RuntimeConfig { dylib_path: Some("/nonexistent/libonnxruntime.so".into()), ..Default::default() };
        let c = candidates(&cfg);
        assert_eq!(c[0].path, PathBuf::from("/nonexistent/libonnxruntime.so"));
        assert_eq!(c[0].source, "config");
        assert!(c.iter().any(|c| c.source == "system"));
    }

    #[test]
    fn venv_libraries_prefers_versioned_file() {
        let dir = tempfile::tempdir().unwrap();
        let capi = dir.path().join("lib/python3.11/site-packages/onnxruntime/capi");
        std::fs::create_dir_all(&capi).unwrap();
        for n in ["libonnxruntime.so", "libonnxruntime.so.1.31.1", "libonnxruntime_providers_shared.so"] {
            std::fs::write(capi.join(n), b"").unwrap();
        }
        let libs = venv_libraries(dir.path());
        assert_eq!(libs, vec![capi.join("libonnxruntime.so.1.31.1"), capi.join("libonnxruntime.so")]);
    }
}
