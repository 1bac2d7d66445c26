//! Checks shared by the fuzz targets: what must hold for every analysis of every text. They
//! are the integration tests' own checks (`tests/checks/analysis.rs`, included alone: the rest
//! of `tests/checks/` needs the CLI's crates), so a fuzz crash and a failing test speak the
//! same language. A fuzz target panics (and libFuzzer saves the input) when any of them fails.

use kindly::Engine;
use std::sync::LazyLock;

#[path = "../../tests/checks/analysis.rs"]
mod checks;

pub use checks::{check_analysis, line_column};

/// The engine with the built-in packs, built once per process (building per input would make
/// the fuzzer crawl).
pub static ENGINE: LazyLock<Engine> =
    LazyLock::new(|| Engine::new().expect("the built-in packs compile"));
