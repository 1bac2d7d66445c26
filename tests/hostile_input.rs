//! Hostile input (issue 6): empty text, NUL bytes, invalid UTF-8, CRLF and lone CR, right-to-left
//! text, combining marks, ZWJ emoji and variation selectors, very long lines and a trigger
//! repeated many times. Nothing panics, positions stay right, and the CLI loses nothing: a bad
//! input in a batch is reported by name while every other input is still checked.
//!
//! The full-size cases (a 100 MB single line, a million repetitions of a trigger) are
//! `#[ignore]`d here because a debug build on a shared CI machine is too slow for them; run
//! them with `cargo test --release --test hostile_input -- --ignored --nocapture`.
//! `benches/hostile.rs` shows that time grows linearly with size.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod checks;

use checks::check_analysis;
use checks::cli::{self, run, stderr, stdout};
use checks::temp::TempDir;
use kindly::{Category, Document, DocumentKind, Engine};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

static ENGINE: LazyLock<Arc<Engine>> = LazyLock::new(|| Arc::new(Engine::new().unwrap()));

/// Analyses `text` as plain text, as Markdown and through a `Document`, checks every invariant
/// and returns the plain analysis's `(line, column, text)` per finding.
#[track_caller]
fn analyse(text: &str) -> Vec<(usize, usize, Option<String>)> {
    let plain = ENGINE.analyze(text);
    check_analysis(text, &plain);
    check_analysis(text, &ENGINE.analyze_markdown(text));
    let mut doc = Document::new(Arc::clone(&ENGINE), DocumentKind::PlainText);
    doc.set_text(text);
    assert_eq!(doc.analysis(), &plain);
    plain
        .findings
        .iter()
        .map(|f| (f.line, f.column, f.text.clone()))
        .collect()
}

fn found(line: usize, column: usize, text: &str) -> (usize, usize, Option<String>) {
    (line, column, Some(text.to_string()))
}

#[test]
fn empty_and_blank_input() {
    for text in [
        "",
        " ",
        "\n",
        "\r",
        "\r\n\r\n",
        "\n\n\n",
        "\t \u{FEFF}",
        "\u{FEFF}",
    ] {
        assert_eq!(analyse(text), [], "{text:?}");
    }
    let mut doc = Document::new(Arc::clone(&ENGINE), DocumentKind::PlainText);
    doc.set_text("I'm so lazy.");
    doc.apply_edit(0, 12, "").unwrap();
    assert_eq!(doc.text(), "");
    assert!(doc.analysis().findings.is_empty() && doc.ids().is_empty());
}

#[test]
fn nul_bytes_are_ordinary_characters() {
    assert_eq!(
        analyse("\0\0I'm so lazy\0. I'm such an idiot\0"),
        [
            found(1, 3, "I'm so lazy"),
            found(1, 17, "I'm such an idiot")
        ]
    );
    // A NUL inside the phrase breaks it, like any other non-space character.
    assert_eq!(analyse("I'm so\0lazy"), []);
    assert_eq!(analyse(&"\0".repeat(100_000)), []);
}

#[test]
fn crlf_and_lone_cr_line_endings_give_the_right_line_and_column() {
    let text = "one\r\ntwo I'm so lazy\rthree\r\n\r\nI'm such an idiot\rI always mess up\n";
    assert_eq!(
        analyse(text),
        [
            found(2, 5, "I'm so lazy"),
            found(5, 1, "I'm such an idiot"),
            found(6, 1, "I always mess up"),
        ]
    );
    let a = ENGINE.analyze(text);
    assert_eq!((a.findings[0].end_line, a.findings[0].end_column), (2, 16));
    // Old Mac files: only CR.
    assert_eq!(
        analyse("Monday\rI'm so lazy\r\rI'm such an idiot"),
        [found(2, 1, "I'm so lazy"), found(4, 1, "I'm such an idiot")]
    );
}

#[test]
fn right_to_left_text_and_bidi_controls() {
    // Hebrew and Arabic around English, and the bidi controls of "Trojan Source" tricks.
    let text = "אני עייף. I'm so lazy. أنا متعب \u{202E}I'm such an idiot\u{202C} \u{2067}I always mess up\u{2069}";
    assert_eq!(
        analyse(text),
        [
            found(1, 11, "I'm so lazy"),
            found(1, 34, "I'm such an idiot"),
            found(1, 54, "I always mess up"),
        ]
    );
}

#[test]
fn combining_marks_zwj_emoji_and_variation_selectors() {
    // Emoji sequences right after a span stay outside it; characters before shift columns by
    // one per char (a ZWJ family is 5 chars, 8 UTF-16 units).
    let family = "👩\u{200D}👩\u{200D}👧";
    let text = format!("{family} I'm so lazy{family} ❤\u{FE0F} I'm such an idiot\u{FE0F}.");
    let a = ENGINE.analyze(&text);
    check_analysis(&text, &a);
    let spans: Vec<(&str, usize, usize)> = a
        .findings
        .iter()
        .map(|f| (&text[f.bytes.range()], f.column, f.utf16.start))
        .collect();
    assert_eq!(
        spans,
        [("I'm so lazy", 7, 9), ("I'm such an idiot", 27, 32)]
    );
    // Decomposed accents before a span: "é" as e + U+0301 is two chars.
    assert_eq!(
        analyse("Cafe\u{301} day. I'm so lazy"),
        [found(1, 12, "I'm so lazy")]
    );
    // A combining mark on the last letter makes it another word, which is left alone; one on
    // the first letter of the phrase likewise.
    assert_eq!(analyse("I'm so lazy\u{301}."), []);
    assert_eq!(analyse("I\u{308}'m so lazy."), []);
    // Zalgo text: hundreds of marks on every letter never panic.
    let zalgo: String = "I'm so lazy. "
        .chars()
        .flat_map(|c| std::iter::once(c).chain(std::iter::repeat_n('\u{336}', 50)))
        .collect();
    analyse(&zalgo);
}

/// `line` repeated until the text is at least `bytes` long, on one line.
fn repeat_to(line: &str, bytes: usize) -> String {
    line.repeat(bytes.div_ceil(line.len()))
}

#[test]
fn a_long_single_line_and_many_repetitions_stay_exact() {
    // Small enough for a debug build; the full sizes are in the ignored tests below.
    let reps = 2_000;
    let text = "I'm so lazy. ".repeat(reps);
    let a = ENGINE.analyze(&text);
    check_analysis(&text, &a);
    assert_eq!(a.findings.len(), reps);
    let last = a.findings.last().unwrap();
    assert_eq!((last.line, last.column), (1, 13 * (reps - 1) + 1));
    // Without sentence punctuation, every repetition is still its own finding.
    let text = "I'm so lazy ".repeat(reps);
    let a = ENGINE.analyze(&text);
    check_analysis(&text, &a);
    assert_eq!(a.findings.len(), reps);
    // A 2 MB line of ordinary prose with a few findings.
    let mut text = repeat_to(
        "Walked the dog and made some tea, then read for a while ",
        2 << 20,
    );
    text.push_str("and honestly I'm such an idiot.");
    let a = ENGINE.analyze(&text);
    check_analysis(&text, &a);
    assert_eq!(a.findings.len(), 1);
}

#[test]
#[ignore = "full size; run in release: cargo test --release --test hostile_input -- --ignored"]
fn a_million_repetitions_of_a_trigger() {
    let reps = 1_000_000;
    let text = "I'm so lazy. ".repeat(reps);
    let start = Instant::now();
    let a = ENGINE.analyze(&text);
    let took = start.elapsed();
    println!("{reps} repetitions ({} MB): {took:?}", text.len() >> 20);
    assert_eq!(a.findings.len(), reps);
    assert!(a.findings.iter().all(|f| f.category == Category::Labeling));
    assert!(took < Duration::from_secs(120), "{took:?}");
}

#[test]
#[ignore = "full size; run in release: cargo test --release --test hostile_input -- --ignored"]
fn a_100_mb_single_line() {
    let mut text = repeat_to(
        "Walked the dog and made some tea, then read for a while ",
        100 << 20,
    );
    // One finding every ~100 KB.
    let mut at = 0;
    let mut expected = 0;
    while at + 100_000 < text.len() {
        at += 100_000;
        while !text.is_char_boundary(at) || !text[..at].ends_with(' ') {
            at += 1;
        }
        text.insert_str(at, "I'm so lazy. ");
        expected += 1;
    }
    let start = Instant::now();
    let a = ENGINE.analyze(&text);
    let took = start.elapsed();
    println!("{} MB single line: {took:?}", text.len() >> 20);
    assert_eq!(a.findings.len(), expected);
    assert!(took < Duration::from_secs(60), "{took:?}");
    let start = Instant::now();
    let a = ENGINE.analyze_markdown(&text);
    println!("  as Markdown: {:?}", start.elapsed());
    assert_eq!(a.findings.len(), expected);
}

// ---------------------------------------------------------------------------------------------
// The CLI: bad bytes, and a batch with failures loses nothing
// ---------------------------------------------------------------------------------------------

/// `kindly ARGS` in `dir`, with nothing on standard input.
fn kindly(dir: &Path, args: &[&str]) -> Output {
    run(cli::kindly(dir).args(args))
}

#[test]
fn invalid_utf8_names_the_file_and_offset_and_lossy_checks_it_anyway() {
    let dir = TempDir::new("hostile-utf8");
    dir.write("latin1.txt", b"Caf\xe9 again. I'm so lazy.\n");
    dir.write("utf16.txt", b"\xff\xfeI\x00'\x00m\x00");
    let o = kindly(dir.path(), &["check", "latin1.txt", "utf16.txt"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "kindly: latin1.txt:1:4: not valid UTF-8 (first bad byte at offset 3); it may be Latin-1 or Windows-1252: save it as UTF-8 (an editor's encoding setting) and try again, or use --lossy\n\
         kindly: utf16.txt:1:1: not valid UTF-8 (first bad byte at offset 0); it looks like UTF-16; save it as UTF-8 and try again\n\
         2 files could not be checked\n"
    );

    let o = kindly(
        dir.path(),
        &["check", "--lossy", "--format", "jsonl", "latin1.txt"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "kindly: latin1.txt:1:4: not valid UTF-8 (first bad byte at offset 3); checked with U+FFFD in place of the bad bytes (--lossy)\n"
    );
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Machine output says that bytes were replaced, before the file's findings.
    assert_eq!(
        lines[0],
        serde_json::json!({"type": "note", "path": "latin1.txt", "message": "1:4: not valid UTF-8 (first bad byte at offset 3); checked with U+FFFD in place of the bad bytes (--lossy)"})
    );
    let line = &lines[1];
    assert_eq!(line["text"], "I'm so lazy");
    // Positions count the replacement character (3 bytes in UTF-8) in place of the bad byte.
    assert_eq!(line["bytes"]["start"], 14);
    assert_eq!(line["column"], 13);
}

#[test]
fn a_batch_with_failures_checks_everything_else_and_says_which_failed() {
    let dir = TempDir::new("hostile-batch");
    dir.write("1-good.txt", "I'm so lazy.\n");
    dir.write("2-bad.txt", b"\xc3\x28 I'm so lazy\n");
    dir.write("3-empty.txt", "");
    dir.write("4-nul.txt", "\0\0 I'm such an idiot \0\n");
    dir.write("5-crisis.txt", "I want to die.\n");
    let args = [
        "1-good.txt",
        "2-bad.txt",
        "missing.txt",
        "3-empty.txt",
        "4-nul.txt",
        "5-crisis.txt",
    ];

    let o = kindly(dir.path(), &[&["check"][..], &args].concat());
    assert_eq!(
        o.status.code(),
        Some(2),
        "an input error wins the exit code"
    );
    let out = stdout(&o);
    let headers: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(".txt:") && !l.starts_with(' '))
        .collect();
    assert_eq!(
        headers,
        [
            "1-good.txt:1:1  labeling  \"I'm so lazy\"  (harsh label)  labeling.self-adjective",
            "4-nul.txt:1:4  labeling  \"I'm such an idiot\"  (harsh label)  labeling.self-noun",
            "5-crisis.txt:1:1  support",
        ]
    );
    assert!(!out.contains('\0'), "NUL bytes never reach the terminal");
    let err = stderr(&o);
    assert_eq!(
        err,
        "kindly: 2-bad.txt:1:1: not valid UTF-8 (first bad byte at offset 0); it may be Latin-1 or Windows-1252: save it as UTF-8 (an editor's encoding setting) and try again, or use --lossy\n\
         kindly: missing.txt: cannot read: no such file or directory\n\
         2 notes in 2 of 6 files; a support message for 1 file; 2 files could not be checked\n"
    );

    // JSON: one entry per input, in order, the failures with their error and no findings.
    let o = kindly(
        dir.path(),
        &[&["check", "--format", "json"][..], &args].concat(),
    );
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files = doc["files"].as_array().unwrap();
    let summary: Vec<(String, usize, bool)> = files
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["findings"].as_array().unwrap().len(),
                f["error"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("1-good.txt".to_string(), 1, false),
            ("2-bad.txt".to_string(), 0, true),
            ("missing.txt".to_string(), 0, true),
            ("3-empty.txt".to_string(), 0, false),
            ("4-nul.txt".to_string(), 1, false),
            ("5-crisis.txt".to_string(), 1, false),
        ]
    );
    assert_eq!(doc["summary"]["files"], 6);
    assert_eq!(doc["summary"]["errors"], 2);
    assert_eq!(doc["summary"]["findings"], 3);
}

#[test]
fn a_long_single_line_file_prints_a_bounded_snippet_per_note() {
    // Each note shows the part of the line around its span, not the whole line, so output and
    // time stay linear in the file size.
    let dir = TempDir::new("hostile-longline");
    let mut line = "Walked the dog and made some tea, then read for a while. ".repeat(2_000);
    line.push_str("I'm so lazy. ");
    line.push_str(&"Then dinner and a film, which was fine really. ".repeat(2_000));
    dir.write("long.txt", &line);
    let o = kindly(dir.path(), &["check", "long.txt"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.len() < 2_000, "{} bytes of output", out.len());
    let source = out.lines().nth(2).unwrap();
    // Cut at both ends (by kindly's window, then the renderer's own width limit).
    assert!(
        source.starts_with("1 | ...") && source.ends_with("..."),
        "{source}"
    );
    assert!(
        source.contains("for a while. I'm so lazy. Then dinner"),
        "{source}"
    );
    let caret = out.lines().nth(3).unwrap();
    let col = |l: &str, pat: &str| l.chars().take(l.find(pat).unwrap()).count();
    assert_eq!(col(caret, "^"), col(source, "I'm so lazy"), "{caret}");
}

// ---------------------------------------------------------------------------------------------
// Nothing is ever written to the writer's files
// ---------------------------------------------------------------------------------------------

/// Every file under `dir` with its bytes, permissions and modification time.
fn snapshot(
    dir: &Path,
) -> Vec<(
    PathBuf,
    Vec<u8>,
    std::fs::Permissions,
    std::time::SystemTime,
)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path, bytes, meta.permissions(), meta.modified().unwrap()));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn no_command_changes_any_file_it_reads() {
    let dir = TempDir::new("hostile-readonly");
    dir.write("journal.md", "# Monday\n\nI'm so lazy.\n\nI want to die.\n");
    dir.write("notes.txt", "I always mess up.\r\n");
    dir.write("bad.txt", b"\xff\xfe");
    dir.write(
        "corpus.jsonl",
        "{\"text\": \"I'm so lazy.\", \"labels\": [\"labeling\"]}\n{\"text\": \"A calm day.\", \"labels\": []}\n",
    );
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    dir.write("sub/more.md", "Everyone else is better than me.\n");
    let before = snapshot(dir.path());
    let runs: [&[&str]; 8] = [
        &["check", "."],
        &["check", "--lossy", "--format", "json", "."],
        &[
            "check",
            "--format",
            "jsonl",
            "--markdown",
            "journal.md",
            "bad.txt",
        ],
        &["rules"],
        &["explain", "labeling"],
        &["test-rules"],
        &["eval", "corpus.jsonl"],
        &["eval", "--format", "json", "--errors", "3", "corpus.jsonl"],
    ];
    for args in runs {
        let o = kindly(dir.path(), args);
        assert!(o.status.code().is_some_and(|c| c <= 2), "{args:?}");
        assert_eq!(snapshot(dir.path()), before, "{args:?} changed a file");
    }
}

#[cfg(unix)]
#[test]
fn the_eval_report_is_written_atomically_and_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("hostile-report");
    dir.write(
        "corpus.jsonl",
        "{\"text\": \"I'm so lazy.\", \"labels\": [\"labeling\"]}\n",
    );
    let report = dir.write("report.html", "old report");
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = kindly(
        dir.path(),
        &["eval", "--html", "report.html", "corpus.jsonl"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"),
        "{html:.60}"
    );
    let mode = std::fs::metadata(&report).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}
