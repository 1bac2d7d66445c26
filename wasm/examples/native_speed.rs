//! Native timings for the same texts the wasm benchmarks use, so their figures can be compared
//! one to one. Used by `scripts/bench-wasm`; prints one JSON object.
//!
//! ```sh
//! cargo run --release -p kindly-wasm --example native_speed -- PROSE ENTRY LONG
//! ```

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use kindly::{Document, DocumentKind, Engine};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Median time of `f`, run until about `budget` has passed (at least 5 runs).
fn median(budget: Duration, mut f: impl FnMut()) -> Duration {
    f();
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < budget && times.len() < 100_000) {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let read = |i: usize| {
        let path = args.get(i).expect("usage: native_speed PROSE ENTRY LONG");
        std::fs::read_to_string(path).expect("read a benchmark text")
    };
    let (prose, entry, long) = (read(1), read(2), read(3));
    let engine = Arc::new(Engine::new().expect("built-in packs"));
    let budget = Duration::from_millis(1500);

    let prose_t = median(budget, || {
        std::hint::black_box(engine.analyze(&prose));
    });
    let entry_t = median(budget, || {
        std::hint::black_box(engine.analyze(&entry));
    });
    // A keystroke in the long entry: insert a letter at the start of its middle paragraph, then
    // delete it again (two updates per round).
    let mut doc = Document::new(Arc::clone(&engine), DocumentKind::PlainText);
    doc.set_text(&long);
    let at = middle_paragraph(&long);
    let key_t = median(budget, || {
        doc.apply_edit(at, at, "x").expect("in range");
        doc.apply_edit(at, at + 1, "").expect("in range");
    }) / 2;
    let long_t = median(budget, || {
        std::hint::black_box(engine.analyze(&long));
    });

    println!(
        "{{\"prose_bytes\":{},\"prose_ms\":{:.4},\"prose_mb_s\":{:.2},\"entry_bytes\":{},\"entry_ms\":{:.4},\"long_bytes\":{},\"keystroke_ms\":{:.4},\"long_whole_ms\":{:.4}}}",
        prose.len(),
        ms(prose_t),
        prose.len() as f64 / 1e6 / prose_t.as_secs_f64(),
        entry.len(),
        ms(entry_t),
        long.len(),
        ms(key_t),
        ms(long_t),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The byte offset where the paragraph holding the middle of `text` starts (the browser
/// benchmark edits the same place).
fn middle_paragraph(text: &str) -> usize {
    let mut mid = text.len() / 2;
    while !text.is_char_boundary(mid) {
        mid -= 1;
    }
    text[..mid].rfind("\n\n").map_or(0, |i| i + 2)
}
