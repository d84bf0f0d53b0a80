//! Finding and loading ONNX Runtime's shared library (`ort` with `load-dynamic`).
//!
//! Native code is loaded only from places someone chose, never from a search up through directories (a
//! library planted in a parent of the working directory would otherwise run inside the server). Search
//! order (the first library that loads wins, once per process):
//! 1. [`RuntimeConfig::dylib_path`](crate::RuntimeConfig::dylib_path);
//! 2. the `ORT_DYLIB_PATH` environment variable;
//! 3. the Python environment named by `$VIRTUAL_ENV` (an activated environment), at
//!    `lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*`;
//! 4. beside the executable: its own directory, then `../lib` (an install prefix: `PREFIX/bin/hindi-ocr`
//!    with `PREFIX/lib/libonnxruntime.so*`);
//! 5. the project's own Python environment: `.venv/` of the source tree this crate was compiled from (where
//!    `make setup` installs the `onnxruntime` wheel; a fixed path set at build time, not searched for);
//! 6. system paths: the dynamic loader's own search (`libonnxruntime.so`, `libonnxruntime.so.1`), then
//!    `/usr/local/lib`, `/usr/lib`, `/usr/lib/x86_64-linux-gnu`, `/usr/lib/aarch64-linux-gnu`.
//!
//! Nothing here panics: `ort::init_from` reports load and version failures as errors, which become
//! [`Error::RuntimeNotFound`] (naming every place looked at, with why each was passed over) or
//! [`Error::RuntimeVersion`].

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
    /// File path, a bare library name resolved by the dynamic loader, or (for a place that held no
    /// library) the pattern looked for there, so that the error names it.
    pub path: PathBuf,
    /// Which rule produced it ("config", "ORT_DYLIB_PATH", "VIRTUAL_ENV", "executable", "project .venv",
    /// "system").
    pub source: &'static str,
}

/// The places the search looks: taken from the process by [`candidates`], given by tests.
#[derive(Debug, Clone, Default)]
pub struct SearchPlaces {
    /// `ORT_DYLIB_PATH`.
    pub ort_dylib_env: Option<PathBuf>,
    /// `VIRTUAL_ENV`.
    pub virtual_env: Option<PathBuf>,
    /// The directory of the running executable.
    pub exe_dir: Option<PathBuf>,
    /// The source tree this crate was compiled from (its workspace root).
    pub source_tree: Option<PathBuf>,
}

impl SearchPlaces {
    /// The places of this process.
    pub fn of_process() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        SearchPlaces {
            ort_dylib_env: var(ORT_DYLIB_ENV),
            virtual_env: var("VIRTUAL_ENV"),
            exe_dir: std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)),
            source_tree: Some(source_tree()),
        }
    }
}

/// The workspace root this crate was compiled in (fixed at build time).
pub(crate) fn source_tree() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every candidate for the runtime library in this process, in search order (only the explicit path when
/// [`RuntimeConfig::explicit_only`] is set). See [`candidates_in`].
pub fn candidates(config: &RuntimeConfig) -> Vec<Candidate> {
    candidates_in(config, &SearchPlaces::of_process())
}

/// Every candidate for the runtime library, in search order, without duplicates. Explicit paths are always
/// listed, so that a wrong one shows up in the error; a directory searched lists the libraries in it, or
/// the pattern it was searched for when it holds none.
pub fn candidates_in(config: &RuntimeConfig, places: &SearchPlaces) -> Vec<Candidate> {
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
    if let Some(p) = &places.ort_dylib_env {
        push(p.clone(), ORT_DYLIB_ENV);
    }
    if let Some(venv) = &places.virtual_env {
        for lib in venv_libraries(venv) {
            push(lib, "VIRTUAL_ENV");
        }
    }
    if let Some(exe_dir) = &places.exe_dir {
        for dir in [exe_dir.clone(), exe_dir.join("../lib")] {
            for lib in libraries_in(&dir) {
                push(lib, "executable");
            }
        }
    }
    if let Some(tree) = &places.source_tree {
        for lib in venv_libraries(&tree.join(".venv")) {
            push(lib, "project .venv");
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

/// `libonnxruntime.so*` in one directory, versioned names first; the pattern itself when there is none.
fn libraries_in(dir: &Path) -> Vec<PathBuf> {
    let mut libs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with("libonnxruntime.so"))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    if libs.is_empty() {
        return vec![dir.join("libonnxruntime.so*")];
    }
    // `libonnxruntime.so.1.31.1` before `libonnxruntime.so`: the versioned file is the real one.
    libs.sort_by(|a, b| b.as_os_str().len().cmp(&a.as_os_str().len()).then(a.cmp(b)));
    libs
}

/// `lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*` under one venv, versioned names first;
/// the pattern itself when there is none.
fn venv_libraries(venv: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pythons: Vec<PathBuf> = std::fs::read_dir(venv.join("lib"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    pythons.sort();
    for py in pythons {
        let capi = py.join("site-packages/onnxruntime/capi");
        found.extend(libraries_in(&capi).into_iter().filter(|p| p.exists()));
    }
    if found.is_empty() {
        found.push(venv.join("lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*"));
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

    /// A wheel's layout under `venv`, with `names` in its `capi` directory.
    fn wheel(venv: &Path, names: &[&str]) -> PathBuf {
        let capi = venv.join("lib/python3.11/site-packages/onnxruntime/capi");
        std::fs::create_dir_all(&capi).unwrap();
        for n in names {
            std::fs::write(capi.join(n), b"").unwrap();
        }
        capi
    }

    #[test]
    fn venv_libraries_prefers_versioned_file() {
        let dir = tempfile::tempdir().unwrap();
        let capi =
            wheel(dir.path(), &["libonnxruntime.so", "libonnxruntime.so.1.31.1", "libonnxruntime_providers_shared.so"]);
        let libs = venv_libraries(dir.path());
        assert_eq!(libs, vec![capi.join("libonnxruntime.so.1.31.1"), capi.join("libonnxruntime.so")]);
    }

    #[test]
    fn nothing_is_loaded_from_a_parent_of_the_working_directory_or_the_executable() {
        // A server runs in /srv/app/run from /srv/app/bin; someone plants .venv (and a bare library) in
        // /srv and /srv/app. None of them is a candidate.
        let root = tempfile::tempdir().unwrap();
        let app = root.path().join("app");
        let (run, bin) = (app.join("run"), app.join("bin"));
        for d in [&run, &bin] {
            std::fs::create_dir_all(d).unwrap();
        }
        wheel(&root.path().join(".venv"), &["libonnxruntime.so.1.31.1"]);
        wheel(&app.join(".venv"), &["libonnxruntime.so.1.31.1"]);
        std::fs::write(app.join("libonnxruntime.so"), b"").unwrap();
        let places = SearchPlaces { exe_dir: Some(bin.clone()), ..SearchPlaces::default() };
        let found = candidates_in(&RuntimeConfig::default(), &places);
        let planted: Vec<&Candidate> =
            found.iter().filter(|c| c.path.starts_with(root.path()) && c.path.exists()).collect();
        assert!(planted.is_empty(), "{planted:?}");
        // The places it did look are named (for the error): beside the executable and the install prefix.
        assert!(found.iter().any(|c| c.path == bin.join("libonnxruntime.so*") && c.source == "executable"));
        assert!(found.iter().any(|c| c.path == bin.join("../lib/libonnxruntime.so*")));
        // The process itself does not look there either, wherever it runs.
        assert!(candidates(&RuntimeConfig::default()).iter().all(|c| !c.path.starts_with(root.path())));
    }

    #[test]
    fn the_places_chosen_are_searched_in_order() {
        let root = tempfile::tempdir().unwrap();
        let active = wheel(&root.path().join("active"), &["libonnxruntime.so.1.31.1"]);
        let project = wheel(&root.path().join("tree/.venv"), &["libonnxruntime.so.1.31.1"]);
        let prefix = root.path().join("prefix");
        std::fs::create_dir_all(prefix.join("bin")).unwrap();
        std::fs::create_dir_all(prefix.join("lib")).unwrap();
        std::fs::write(prefix.join("lib/libonnxruntime.so.1.31.1"), b"").unwrap();
        let places = SearchPlaces {
            ort_dylib_env: Some("/opt/ort/libonnxruntime.so".into()),
            virtual_env: Some(root.path().join("active")),
            exe_dir: Some(prefix.join("bin")),
            source_tree: Some(root.path().join("tree")),
        };
        let cfg = RuntimeConfig { dylib_path: Some("/etc/ort.so".into()), ..Default::default() };
        let found = candidates_in(&cfg, &places);
        let sources: Vec<&str> = found.iter().map(|c| c.source).take(6).collect();
        assert_eq!(sources, ["config", ORT_DYLIB_ENV, "VIRTUAL_ENV", "executable", "executable", "project .venv"]);
        assert_eq!(found[2].path, active.join("libonnxruntime.so.1.31.1"));
        assert_eq!(found[4].path, prefix.join("bin/../lib/libonnxruntime.so.1.31.1"));
        assert_eq!(found[5].path, project.join("libonnxruntime.so.1.31.1"));
        // explicit_only: the configured path alone.
        let only = RuntimeConfig { explicit_only: true, ..cfg };
        assert_eq!(candidates_in(&only, &places).len(), 1);
    }
}
