//! Workspace root package: it owns `examples/`, `benches/` and `tests/`; the code lives in the member crates.
