//! Helpers shared by the integration tests, each of which includes this folder with
//! `mod checks;`: what must hold for every analysis of every text, with positions recomputed
//! independently of the engine (`analysis`, which the fuzz targets include on their own);
//! running the binary and reading its output (`cli`); temporary folders (`temp`).

#![allow(dead_code, unused_imports)]

pub mod analysis;
pub mod cli;
pub mod temp;

pub use analysis::{check_analysis, line_column};
