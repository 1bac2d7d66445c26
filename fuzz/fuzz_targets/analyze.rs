//! Plain-text analysis with the built-in packs on arbitrary input: never panics, and every
//! finding's positions are right (see `kindly_fuzz::check_analysis`). Bytes that are not UTF-8
//! are replaced, as `kindly check --lossy` does, so every input exercises the engine.
#![no_main]

use kindly_fuzz::{check_analysis, ENGINE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let analysis = ENGINE.analyze(&text);
    check_analysis(&text, &analysis);
    // Deterministic: the same text gives the same analysis.
    assert_eq!(analysis, ENGINE.analyze(&text), "analysis is not deterministic");
});
