//! Hostile input grows linearly (issue 6): the same engine on inputs that have tripped
//! quadratic paths before (one long line, a trigger repeated on one line, no sentence
//! punctuation, lone CRs, NUL bytes with combining marks and emoji, Markdown-looking noise), at
//! sizes 64 KB to 4 MB. Flat MB/s across sizes is linear time.
//!
//! `cargo bench --bench hostile` first prints a quick table (`kindly-bench: linear ...`, best of
//! three runs per size, and the slowdown from the smallest to the largest size per byte), then
//! runs criterion on every input and size. The full-size cases (a 100 MB line, a million
//! repetitions) are ignored tests in `tests/hostile_input.rs`, run in release.

#![allow(
    missing_docs,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stderr
)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kindly::{Analysis, Engine};
use std::hint::black_box;
use std::time::{Duration, Instant};

const KB: usize = 1024;
const SIZES: [usize; 4] = [64 * KB, 256 * KB, 1024 * KB, 4096 * KB];

/// `unit` repeated to at least `size` bytes, cut at a char boundary at `size`.
fn fill(unit: &str, size: usize) -> String {
    let mut s = unit.repeat(size / unit.len() + 1);
    let mut end = size.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

/// The hostile inputs: (name, repeated unit, analysed as Markdown).
const INPUTS: [(&str, &str, bool); 7] = [
    // One line of ordinary prose with a finding now and then (the "100 MB single line").
    (
        "one-line-prose",
        "Walked the dog and made some tea, then read for a while by the window. Later I cooked, \
         called my sister and watched the rain for an hour. Honestly I'm such an idiot sometimes. ",
        false,
    ),
    // A finding every 13 bytes on one line ("1 million repetitions of a trigger").
    ("repeated-trigger", "I'm so lazy. ", false),
    // The same without sentence punctuation: every sentence runs to the 600-byte window.
    ("trigger-no-punctuation", "I'm so lazy ", false),
    // Old Mac line endings.
    ("lone-cr", "Monday\rI always mess everything up\rthen tea\r", false),
    // NUL bytes, combining marks, ZWJ emoji, variation selectors, RTL and bidi controls.
    (
        "nul-marks-emoji-rtl",
        "\0e\u{301}\u{336}\u{336} 👩\u{200D}👩\u{200D}👧 ❤\u{FE0F} אני \u{202E}I'm so lazy\u{202C}\0 ",
        false,
    ),
    // Markdown noise: unclosed brackets, backticks, HTML and emphasis around findings.
    ("markdown-noise", "[[`<a *I'm so lazy* _ ``x", true),
    // Deep Markdown nesting: block quotes and list markers.
    ("markdown-nesting", "> - > * > 1. I'm such an idiot\n", true),
];

fn analyze(engine: &Engine, text: &str, markdown: bool) -> Analysis {
    if markdown {
        engine.analyze_markdown(text)
    } else {
        engine.analyze(text)
    }
}

/// Best of three wall-clock runs.
fn best_of_three(engine: &Engine, text: &str, markdown: bool) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            black_box(analyze(engine, black_box(text), markdown));
            start.elapsed()
        })
        .min()
        .unwrap()
}

fn hostile(c: &mut Criterion) {
    let engine = Engine::new().expect("built-in packs");
    // Compile the built-in patterns up front so the first size is not charged for them.
    engine.compile_all_patterns().expect("patterns compile");

    for (name, unit, markdown) in INPUTS {
        let mut line = format!("kindly-bench: linear {name}:");
        let mut per_byte = Vec::new();
        for size in SIZES {
            let text = fill(unit, size);
            let took = best_of_three(&engine, &text, markdown);
            let mbs = text.len() as f64 / took.as_secs_f64() / 1e6;
            per_byte.push(took.as_secs_f64() / text.len() as f64);
            line.push_str(&format!("  {}KB {mbs:.1} MB/s", size / KB));
        }
        let slowdown = per_byte[per_byte.len() - 1] / per_byte[0];
        line.push_str(&format!(
            "  (time per byte at 4 MB / at 64 KB: {slowdown:.2})"
        ));
        eprintln!("{line}");
    }

    let mut group = c.benchmark_group("hostile");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    for (name, unit, markdown) in INPUTS {
        for size in SIZES {
            let text = fill(unit, size);
            let findings = analyze(&engine, &text, markdown).findings.len();
            eprintln!(
                "kindly-bench: findings hostile/{name}/{}KB = {findings}",
                size / KB
            );
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_with_input(
                BenchmarkId::new(name, format!("{}KB", size / KB)),
                &text,
                |b, text| b.iter(|| analyze(&engine, black_box(text), markdown)),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, hostile);
criterion_main!(benches);
