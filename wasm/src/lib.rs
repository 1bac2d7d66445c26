//! Placeholder for the WebAssembly wrapper of the kindly engine (see issue 4).
//!
//! It depends on the core library without the `cli` feature, which keeps CLI crates out of
//! the wasm build from day one.

pub use kindly::{Engine, EngineBuilder};
