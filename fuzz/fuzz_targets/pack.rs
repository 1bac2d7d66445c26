//! Loading arbitrary pack TOML: either a located error or an engine; never a panic, a hang or
//! an unbounded allocation. A pack that loads must analyse text and run its own examples
//! without panicking.
#![no_main]

use kindly::EngineBuilder;
use kindly_fuzz::check_analysis;
use libfuzzer_sys::fuzz_target;

const PROBES: [&str; 3] = [
    "I'm so lazy. Everyone else is better than me.",
    "\"I'm a blob,\" she said. I’m such a goo!!! I want to die.",
    "é😀\r\nim a blob\rI am not a goo\n\nI always ruin everything",
];

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let result = EngineBuilder::new()
        .builtin_packs(false)
        .add_pack_source("fuzz.toml", source)
        .build();
    match result {
        Err(err) => {
            // Errors are located inside the file and render without panicking.
            let shown = err.to_string();
            assert!(!shown.is_empty());
            if let Some(loc) = err.location() {
                assert_eq!(loc.file, "fuzz.toml");
                assert!(loc.line >= 1 && loc.column >= 1);
                let lines = source.split('\n').count();
                assert!(loc.line <= lines, "error line {} past the end ({lines})", loc.line);
            }
        }
        Ok(engine) => {
            for probe in PROBES {
                check_analysis(probe, &engine.analyze(probe));
            }
            let _ = engine.test_examples(&[]);
        }
    }
});
