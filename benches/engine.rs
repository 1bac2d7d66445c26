//! Criterion benchmarks of the kindly engine: building, throughput on prose / journal text /
//! text without triggers, and the latency of one journal entry.
//!
//! Run with `cargo bench --bench engine` or `scripts/bench` (which also prints a table).
//!
//! Inputs:
//! - prose: `../shared/corpora/plain-english/*.txt` (relative to `CARGO_MANIFEST_DIR`, licence
//!   files skipped), or a deterministic generated stand-in when that folder is missing or when
//!   `KINDLY_BENCH_PROSE=generated` is set;
//! - journal: the `text` field of every line of `corpora/dev/*.jsonl`, taken round-robin across
//!   the files (sorted by name) so that every prefix mixes all of them, joined with "\n\n";
//! - no triggers: one neutral sentence repeated.
//!
//! Every benchmark computes its finding count once before measuring, checks it (> 0 for prose and
//! journal text, == 0 for text without triggers and for the generated prose stand-in) and prints
//! it to stderr as `kindly-bench: findings <id> = <n>`, which `scripts/bench` picks up.

#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kindly::Engine;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const KB: usize = 1024;
const MB: usize = 1024 * 1024;

/// The largest prefix of `text` that is at most `n` bytes and ends on a char boundary.
fn prefix(text: &str, n: usize) -> &str {
    let mut end = n.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Sorted `*.{ext}` files of a folder (empty if the folder is missing).
fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// Dense journal text: the `text` field of every JSONL line of `corpora/dev`, round-robin over
/// the files so that short prefixes still mix all of them.
fn journal_text() -> String {
    let dir = manifest_dir().join("corpora/dev");
    let files = files_with_ext(&dir, "jsonl");
    assert!(
        !files.is_empty(),
        "no corpora/dev/*.jsonl in {}",
        dir.display()
    );
    let per_file: Vec<Vec<String>> = files
        .iter()
        .map(|f| {
            let body = std::fs::read_to_string(f).expect("read corpora/dev jsonl");
            body.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let v: serde_json::Value =
                        serde_json::from_str(l).expect("corpora/dev: valid JSON line");
                    v["text"]
                        .as_str()
                        .expect("corpora/dev: every line has a string `text`")
                        .to_string()
                })
                .collect()
        })
        .collect();
    let longest = per_file.iter().map(Vec::len).max().unwrap_or(0);
    let mut texts: Vec<&str> = Vec::new();
    for i in 0..longest {
        for f in &per_file {
            if let Some(t) = f.get(i) {
                texts.push(t);
            }
        }
    }
    texts.join("\n\n")
}

/// Ordinary English prose and whether it is the Gutenberg corpus (`true`) or the stand-in.
fn prose_text() -> (String, bool) {
    let forced = std::env::var("KINDLY_BENCH_PROSE").is_ok_and(|v| v == "generated");
    if !forced {
        let dir = manifest_dir().join("../shared/corpora/plain-english");
        let files: Vec<PathBuf> = files_with_ext(&dir, "txt")
            .into_iter()
            .filter(|p| {
                !p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.to_ascii_uppercase().starts_with("LICENSE"))
            })
            .collect();
        let texts: Vec<String> = files
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .map(|t| t.trim_start_matches('\u{feff}').to_string())
            .collect();
        let joined = texts.join("\n\n");
        if joined.len() >= MB {
            return (joined, true);
        }
    }
    (generated_prose(MB + 4 * KB), false)
}

/// Deterministic pseudo-prose from a fixed list of neutral words (no pronouns, no absolutes, no
/// judgments), with commas and full stops.
fn generated_prose(len: usize) -> String {
    const WORDS: &[&str] = &[
        "the",
        "river",
        "valley",
        "morning",
        "light",
        "across",
        "stone",
        "bridge",
        "garden",
        "walked",
        "slowly",
        "toward",
        "village",
        "market",
        "bread",
        "apples",
        "quiet",
        "road",
        "under",
        "old",
        "trees",
        "wind",
        "carried",
        "sound",
        "bells",
        "from",
        "church",
        "tower",
        "children",
        "played",
        "near",
        "water",
        "boats",
        "drifted",
        "past",
        "green",
        "hills",
        "clouds",
        "gathered",
        "over",
        "distant",
        "mountains",
        "farmer",
        "sold",
        "cheese",
        "and",
        "honey",
        "travellers",
        "rested",
        "beside",
        "fountain",
        "square",
        "evening",
        "lamps",
        "glowed",
        "windows",
        "shutters",
        "painted",
        "blue",
        "with",
        "a",
        "of",
        "in",
        "along",
    ];
    // A fixed linear congruential generator: the same text on every run and platform.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |m: usize| -> usize {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % m as u64) as usize
    };
    let mut out = String::with_capacity(len + 64);
    while out.len() < len {
        let words = 6 + next(14);
        for w in 0..words {
            let word = WORDS[next(WORDS.len())];
            if w == 0 {
                let mut c = word.chars();
                if let Some(f) = c.next() {
                    out.extend(f.to_uppercase());
                    out.push_str(c.as_str());
                }
            } else {
                out.push_str(word);
            }
            if w + 1 < words {
                out.push_str(if next(9) == 0 { ", " } else { " " });
            }
        }
        out.push_str(if next(7) == 0 { ".\n\n" } else { ". " });
    }
    out
}

/// Text in which no rule's trigger occurs, so analysing it is the multi-pattern pass and the
/// paragraph walk alone. The packs grow, and a trigger may one day appear in these sentences
/// ("over" and "quick" came to be triggers in the earlier "quick brown fox"), so the bench
/// checks it with [`Engine::trace`] before timing.
fn no_trigger_text(engine: &Engine, len: usize) -> String {
    const SENTENCES: &str = "Seven herons waded in shallow water while a red barge passed. \
                             Ants carried crumbs across warm tiles.\n\n";
    let steps = engine.trace(SENTENCES, false).steps;
    assert!(
        steps.is_empty(),
        "the no-trigger text meets a trigger now: {:?}; pick other words",
        steps.iter().map(|s| s.rule.to_string()).collect::<Vec<_>>()
    );
    let mut s = SENTENCES.repeat(len / SENTENCES.len() + 1);
    s.truncate(len); // ASCII: any cut is a char boundary
    s
}

fn label(n: usize) -> String {
    if n >= MB && n % MB == 0 {
        format!("{}MB", n / MB)
    } else {
        format!("{}KB", n / KB)
    }
}

enum Expect {
    /// At least one finding.
    Some,
    /// No finding at all.
    None,
    /// Any count (small prose prefixes may legitimately have none); printed only.
    Any,
}

/// Analyses once (which also compiles the lazily built rule regexes this text needs), checks and
/// prints the finding count.
fn check(engine: &Engine, id: &str, text: &str, expect: Expect) -> usize {
    let analysis = engine.analyze(text);
    let n = analysis.findings.len();
    let rule = match expect {
        Expect::Some => "> 0",
        Expect::None => "== 0",
        Expect::Any => "any",
    };
    eprintln!(
        "kindly-bench: findings {id} = {n} (bytes {}, support {}, required {rule})",
        text.len(),
        if analysis.support.is_some() {
            "yes"
        } else {
            "no"
        }
    );
    match expect {
        Expect::Some => assert!(n > 0, "{id}: expected findings, got none"),
        Expect::None => assert_eq!(n, 0, "{id}: expected no findings"),
        Expect::Any => {}
    }
    n
}

/// Short measurements so that the whole suite runs in a few minutes on two cores.
fn short(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20);
}

fn bench_build(c: &mut Criterion) {
    let journal = journal_text();
    let entry = prefix(&journal, 10 * KB).to_string();

    // One-shot cold figures, taken before anything else in this process has built an engine:
    // the first build also parses the embedded TOML packs and compiles the shared context cues
    // (both cached process-wide); the first analysis on a fresh engine compiles the rule regexes
    // that the text needs (cached per engine).
    let t = Instant::now();
    let cold = Engine::new().expect("built-in packs build");
    let first_build = t.elapsed();
    let t = Instant::now();
    let n_cold = cold.analyze(&entry).findings.len();
    let first_analyze = t.elapsed();
    let t = Instant::now();
    let n_warm = cold.analyze(&entry).findings.len();
    let second_analyze = t.elapsed();
    assert_eq!(n_cold, n_warm, "same text, same engine, same findings");
    eprintln!(
        "kindly-bench: cold first Engine::new = {:.3} ms; first analyze(entry 10KB) = {:.3} ms; \
         second analyze = {:.3} ms; findings = {n_warm}",
        first_build.as_secs_f64() * 1e3,
        first_analyze.as_secs_f64() * 1e3,
        second_analyze.as_secs_f64() * 1e3,
    );
    drop(cold);

    let mut g = c.benchmark_group("build");
    short(&mut g);
    g.bench_function("engine_new", |b| {
        b.iter(|| Engine::new().expect("built-in packs build"))
    });
    let probe = Engine::new().expect("built-in packs build");
    check(&probe, "build/engine_new_and_warm", &entry, Expect::Some);
    drop(probe);
    g.bench_function("engine_new_and_warm", |b| {
        b.iter(|| {
            let engine = Engine::new().expect("built-in packs build");
            let analysis = engine.analyze(black_box(&entry));
            (engine, analysis)
        })
    });
    g.finish();
}

fn bench_analyze(c: &mut Criterion) {
    let engine = Engine::new().expect("built-in packs build");
    let (prose, gutenberg) = prose_text();
    let journal = journal_text();

    let mut g = c.benchmark_group("analyze");
    short(&mut g);

    // 10 MB: the prose repeated (the Gutenberg texts are about 1.7 MB together).
    let big_prose = prose.repeat((10 * MB).div_ceil(prose.len().max(1)));
    for &size in &[KB, 64 * KB, MB, 10 * MB] {
        let text = prefix(&big_prose, size);
        let id = BenchmarkId::new("prose", label(size));
        let full = format!("analyze/prose/{}", label(size));
        // Gutenberg prose has a few genuine hits ("I am a wretch"); a 1 KB prefix may hold none,
        // so only the larger sizes must be non-empty. The stand-in must always be empty.
        let expect = if !gutenberg {
            Expect::None
        } else if size >= 64 * KB {
            Expect::Some
        } else {
            Expect::Any
        };
        check(&engine, &full, text, expect);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(id, text, |b, t| b.iter(|| engine.analyze(black_box(t))));
    }

    let sizes: [(String, &str); 3] = [
        (label(KB), prefix(&journal, KB)),
        (label(64 * KB), prefix(&journal, 64 * KB)),
        ("all".to_string(), journal.as_str()),
    ];
    for (name, text) in sizes {
        check(
            &engine,
            &format!("analyze/journal/{name}"),
            text,
            Expect::Some,
        );
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::new("journal", &name), text, |b, t| {
            b.iter(|| engine.analyze(black_box(t)))
        });
    }

    for &size in &[64 * KB, MB] {
        let text = no_trigger_text(&engine, size);
        check(
            &engine,
            &format!("analyze/no_triggers/{}", label(size)),
            &text,
            Expect::None,
        );
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(
            BenchmarkId::new("no_triggers", label(size)),
            text.as_str(),
            |b, t| b.iter(|| engine.analyze(black_box(t))),
        );
    }
    g.finish();
}

fn bench_latency(c: &mut Criterion) {
    let engine = Engine::new().expect("built-in packs build");
    let journal = journal_text();
    let entry = prefix(&journal, 10 * KB);
    check(&engine, "latency/entry_10kb", entry, Expect::Some);

    let mut g = c.benchmark_group("latency");
    short(&mut g);
    g.throughput(Throughput::Bytes(entry.len() as u64));
    g.bench_function("entry_10kb", |b| {
        b.iter(|| engine.analyze(black_box(entry)))
    });

    // As you type: one character typed and deleted again in the middle of a document, which
    // re-analyses one paragraph (kindly::Document). About 5,000 words and about 50 words.
    let engine = std::sync::Arc::new(engine);
    for (name, words) in [("keystroke_5000_words", 5000), ("keystroke_50_words", 50)] {
        let text: String = journal.split(' ').take(words).collect::<Vec<_>>().join(" ");
        let mut doc = kindly::Document::new(engine.clone(), kindly::DocumentKind::PlainText);
        doc.set_text(&text);
        let mut at = text.len() / 2;
        while !text.is_char_boundary(at) {
            at += 1;
        }
        eprintln!(
            "kindly-bench: findings latency/{name} = {} ({} bytes)",
            doc.analysis().findings.len(),
            text.len()
        );
        g.throughput(Throughput::Elements(2)); // two edits (keystrokes) per iteration
        g.bench_function(name, |b| {
            b.iter(|| {
                doc.apply_edit(at, at, "x").expect("inside the text");
                doc.apply_edit(at, at + 1, "").expect("inside the text");
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_build, bench_analyze, bench_latency);
criterion_main!(benches);
