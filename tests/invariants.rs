//! Invariants as property tests (issue 6), on text built from the fixtures' journal phrases
//! mixed with emoji and ZWJ sequences, combining marks, right-to-left words and bidi controls,
//! NUL bytes, CRLF and lone CR line endings and arbitrary characters:
//!
//! - every span lies inside the text on char boundaries, and bytes, chars, UTF-16 units and
//!   line:column agree (recomputed independently, `checks/mod.rs`), plain and Markdown;
//! - the output is identical across runs and across engine rebuilds;
//! - a paragraph's findings do not change when unrelated paragraphs are added before or after
//!   it (positions shift exactly by what was added), and analysing entries joined by blank
//!   lines equals analysing each alone, except for the two entry-wide steps, stated exactly in
//!   [`assert_parts_match_whole`]: tier A crisis language anywhere withholds every reframe, and
//!   a category found three or more times in the whole text is high severity;
//! - a `Document` equals whole-text analysis after any sequence of edits;
//! - `Engine::trace` gives the same analysis, and its `Finding` steps are exactly the findings.
//!
//! Case counts are kept small so the file runs in a few seconds in a debug build; raise
//! `PROPTEST_CASES` to search longer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod checks;

use checks::check_analysis;
use kindly::{Analysis, Category, CrisisTier, Document, DocumentKind, Engine, Outcome, Severity};
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

static ENGINE: LazyLock<Arc<Engine>> = LazyLock::new(|| Arc::new(Engine::new().unwrap()));

/// A second engine built separately, for "identical across rebuilds".
static REBUILT: LazyLock<Engine> = LazyLock::new(|| Engine::builder().build().unwrap());

/// The fixture texts, split into sentences-ish pieces without line breaks.
static PHRASES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for line in include_str!("fixtures/selftalk.jsonl").lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let text = v["text"].as_str().unwrap_or_default();
        for piece in text.split(['\n', '\r']) {
            if !piece.trim().is_empty() {
                out.push(piece.trim().to_string());
            }
        }
    }
    assert!(out.len() > 500);
    out
});

/// Pieces that are not journal phrases: the Unicode that trips position arithmetic.
const ODD: &[&str] = &[
    "😀",
    "👩\u{200D}👩\u{200D}👧",
    "❤\u{FE0F}",
    "🇺🇸",
    "e\u{301}",
    "lazy\u{301}",
    "Z\u{336}\u{336}\u{336}algo",
    "אני עייפה",
    "أنا متعب",
    "\u{202E}I'm so lazy\u{202C}",
    "\u{2067}idiot\u{2069}",
    "\0",
    "\t",
    "\u{FEFF}",
    "“I’m useless.”",
    "\"I'm a failure,\" she said.",
    "I'm not lazy.",
    "I want to die.",
    "Am I lazy?",
    "lol",
    "!!",
    "…",
    "*I'm so lazy*",
    "`code`",
    "é😀",
    "\u{1F3FB}",
    "日本語",
];

/// One piece of a line: a journal phrase, an odd piece, or arbitrary characters. Never holds a
/// line break and is never blank.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => select(PHRASES.clone()),
        2 => select(ODD).prop_map(str::to_string),
        1 => "[^\r\n]{1,12}".prop_filter("not blank", |s: &String| !s.trim().is_empty()),
    ]
}

/// One paragraph (journal entry): pieces joined by spaces or single line breaks of any kind,
/// so it never holds a blank line.
fn paragraph() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            piece(),
            select(&[" ", " ", " ", "\n", "\r\n", "\r", ""][..]),
        ),
        1..6,
    )
    .prop_map(|parts| {
        let mut s = String::new();
        for (i, (p, sep)) in parts.iter().enumerate() {
            if i > 0 {
                s.push_str(sep);
            }
            s.push_str(p);
        }
        s
    })
}

/// Blank lines of the kinds files have.
fn paragraph_break() -> impl Strategy<Value = &'static str> {
    select(
        &[
            "\n\n",
            "\r\n\r\n",
            "\n  \n",
            "\r\r",
            "\n\n\n",
            "\r\n \t\r\n",
        ][..],
    )
}

/// Any text: paragraphs with any separators, including runs of line breaks.
fn any_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            paragraph(),
            select(&["\n\n", "\n", "\r\n", "\r", " ", "\r\n\r\n", ""][..]),
        ),
        0..5,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .map(|(p, sep)| format!("{p}{sep}"))
            .collect()
    })
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(cases),
        ..ProptestConfig::default()
    }
}

/// How many findings of each primary category an analysis has.
fn per_category(a: &Analysis) -> BTreeMap<Category, usize> {
    let mut m = BTreeMap::new();
    for f in &a.findings {
        *m.entry(f.category).or_insert(0) += 1;
    }
    m
}

/// Line breaks in `s` as the engine counts them (`\r\n` once, lone `\r` and `\n` once each).
fn line_breaks(s: &str) -> usize {
    checks::line_column(s, s.len()).0 - 1
}

/// Checks that analysing `parts` joined by `seps` (one separator between each two parts, each
/// holding a blank line) gives, inside each part, exactly what analysing that part alone gives,
/// shifted by what precedes it. The only differences allowed are the entry-wide steps:
/// - when the whole text has tier A crisis language, every non-crisis finding's reframes are
///   withheld (empty, `reframes_withheld`), whatever the part alone had;
/// - a non-crisis finding whose category occurs three or more times in the whole text is high
///   severity; otherwise its severity is the one it has alone.
///
/// Crisis support (`Analysis::support`) is one per text: the most urgent tier of any part.
#[track_caller]
fn assert_parts_match_whole(parts: &[String], seps: &[&str]) {
    let mut whole = String::new();
    let mut starts = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            whole.push_str(seps[(i - 1) % seps.len()]);
        }
        starts.push(whole.len());
        whole.push_str(p);
    }
    let all = ENGINE.analyze(&whole);
    check_analysis(&whole, &all);
    let counts = per_category(&all);
    let tier_a = all.support.as_ref().is_some_and(|s| s.tier.whole_entry());
    let mut matched = 0;
    let mut most_urgent: Option<CrisisTier> = None;
    for (p, &start) in parts.iter().zip(&starts) {
        let alone = ENGINE.analyze(p);
        if let Some(s) = &alone.support {
            // Tiers order by urgency, A first.
            if most_urgent.is_none_or(|t| s.tier < t) {
                most_urgent = Some(s.tier);
            }
        }
        let before = &whole[..start];
        let (chars, units, lines) = (
            before.chars().count(),
            before.encode_utf16().count(),
            line_breaks(before),
        );
        let inside: Vec<_> = all
            .findings
            .iter()
            .filter(|f| f.bytes.start >= start && f.bytes.end <= start + p.len())
            .collect();
        assert_eq!(
            inside.len(),
            alone.findings.len(),
            "part {p:?} in {whole:?}"
        );
        for (w, a) in inside.iter().zip(&alone.findings) {
            let ctx = || format!("{:?} in part {p:?} of {whole:?}", a.text);
            assert_eq!(
                (w.bytes.start - start, w.bytes.end - start),
                (a.bytes.start, a.bytes.end),
                "{}",
                ctx()
            );
            assert_eq!(
                (w.chars.start - chars, w.chars.end - chars),
                (a.chars.start, a.chars.end)
            );
            assert_eq!(
                (w.utf16.start - units, w.utf16.end - units),
                (a.utf16.start, a.utf16.end)
            );
            assert_eq!(
                (w.line - lines, w.end_line - lines),
                (a.line, a.end_line),
                "{}",
                ctx()
            );
            assert_eq!(
                (w.column, w.end_column),
                (a.column, a.end_column),
                "{}",
                ctx()
            );
            assert_eq!(
                (
                    &w.rule,
                    w.category,
                    &w.tags,
                    w.confidence,
                    w.tier,
                    &w.text,
                    &w.message
                ),
                (
                    &a.rule,
                    a.category,
                    &a.tags,
                    a.confidence,
                    a.tier,
                    &a.text,
                    &a.message
                ),
                "{}",
                ctx()
            );
            if w.category == Category::Crisis {
                assert_eq!(w.severity, Severity::Crisis);
            } else if counts[&w.category] >= 3 {
                assert_eq!(w.severity, Severity::High, "{}", ctx());
            } else {
                assert_eq!(w.severity, a.severity, "{}", ctx());
            }
            if tier_a && w.category != Category::Crisis {
                assert!(w.reframes.is_empty() && w.reframes_withheld, "{}", ctx());
            } else {
                assert_eq!(
                    (&w.reframes, w.reframes_withheld),
                    (&a.reframes, a.reframes_withheld),
                    "{}",
                    ctx()
                );
            }
        }
        matched += inside.len();
    }
    // Nothing is found across a boundary, nothing is lost.
    assert_eq!(matched, all.findings.len(), "{whole:?}");
    assert_eq!(all.support.as_ref().map(|s| s.tier), most_urgent);
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn spans_lie_on_char_boundaries_and_all_positions_agree(text in any_text()) {
        check_analysis(&text, &ENGINE.analyze(&text));
        check_analysis(&text, &ENGINE.analyze_markdown(&text));
    }

    #[test]
    fn arbitrary_strings_never_break_the_invariants(text in "\\PC{0,80}|[\\x00-\\x7f]{0,80}") {
        check_analysis(&text, &ENGINE.analyze(&text));
        check_analysis(&text, &ENGINE.analyze_markdown(&text));
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn output_is_identical_across_runs_and_engine_rebuilds(text in any_text()) {
        let first = ENGINE.analyze(&text);
        prop_assert_eq!(&first, &ENGINE.analyze(&text));
        prop_assert_eq!(&first, &REBUILT.analyze(&text));
        prop_assert_eq!(ENGINE.analyze_markdown(&text), REBUILT.analyze_markdown(&text));
    }

    #[test]
    fn a_paragraph_is_unchanged_by_paragraphs_added_before_and_after(
        target in paragraph(),
        before in prop::collection::vec(paragraph(), 0..3),
        after in prop::collection::vec(paragraph(), 0..3),
        seps in prop::collection::vec(paragraph_break(), 1..4),
    ) {
        let mut parts = before;
        parts.push(target);
        parts.extend(after);
        assert_parts_match_whole(&parts, &seps);
    }

    #[test]
    fn entries_joined_by_blank_lines_analyse_as_each_alone(
        entries in prop::collection::vec(paragraph(), 1..6),
        seps in prop::collection::vec(paragraph_break(), 1..4),
    ) {
        assert_parts_match_whole(&entries, &seps);
    }
}

/// One edit: where (a fraction of the text, so it lands inside), how much to delete, what to
/// insert, and whether the offsets are UTF-16 (as an editor in JavaScript sends them).
fn edit() -> impl Strategy<Value = (f64, usize, String, bool)> {
    (
        0.0..=1.0f64,
        0usize..12,
        prop_oneof![
            3 => piece(),
            2 => paragraph_break().prop_map(str::to_string),
            1 => select(&["\n", "\r", "\r\n", " ", ""][..]).prop_map(str::to_string),
        ],
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn a_document_equals_whole_text_analysis_after_every_edit(
        start in any_text(),
        edits in prop::collection::vec(edit(), 1..10),
        markdown in any::<bool>(),
    ) {
        let kind = if markdown { DocumentKind::Markdown } else { DocumentKind::PlainText };
        let whole = |t: &str| if markdown { ENGINE.analyze_markdown(t) } else { ENGINE.analyze(t) };
        let mut doc = Document::new(Arc::clone(&ENGINE), kind);
        doc.set_text(&start);
        prop_assert_eq!(doc.analysis(), &whole(&start));
        for (at, delete, insert, utf16) in edits {
            let text = doc.text().to_string();
            let result = if utf16 {
                let units = text.encode_utf16().count();
                let from = (at * units as f64) as usize;
                doc.apply_edit_utf16(from, (from + delete).min(units), &insert).map(|_| ())
            } else {
                let mut from = (at * text.len() as f64) as usize;
                while !text.is_char_boundary(from) {
                    from -= 1;
                }
                let mut to = (from + delete).min(text.len());
                while !text.is_char_boundary(to) {
                    to += 1;
                }
                doc.apply_edit(from, to, &insert).map(|_| ())
            };
            if result.is_err() {
                // Only a UTF-16 offset inside a surrogate pair is refused; the text is kept.
                prop_assert!(utf16);
                prop_assert_eq!(doc.text(), text.as_str());
            }
            prop_assert_eq!(doc.analysis(), &whole(doc.text()), "after {:?}", doc.text());
            prop_assert_eq!(doc.ids().len(), doc.analysis().findings.len());
        }
    }
}

/// `kindly trace` must never disagree with `kindly check`: the same analysis, one `Finding`
/// step per finding (the same rule and span), and every kept step that is not the finding
/// overlapping one that is.
fn assert_trace_agrees(text: &str, markdown: bool) {
    let trace = ENGINE.trace(text, markdown);
    let whole = if markdown {
        ENGINE.analyze_markdown(text)
    } else {
        ENGINE.analyze(text)
    };
    assert_eq!(trace.analysis, whole, "{text:?}");
    let mut found: Vec<(String, usize, usize)> = trace
        .steps
        .iter()
        .filter(|s| s.outcome == Outcome::Finding)
        .map(|s| {
            let m = s.matched.expect("a finding step has a match");
            (s.rule.to_string(), m.start, m.end)
        })
        .collect();
    found.sort();
    found.dedup();
    let mut expected: Vec<(String, usize, usize)> = whole
        .findings
        .iter()
        .map(|f| (f.rule.to_string(), f.bytes.start, f.bytes.end))
        .collect();
    expected.sort();
    assert_eq!(found, expected, "{text:?}");
    for s in &trace.steps {
        if let Outcome::Merged(into) = &s.outcome {
            assert!(whole.findings.iter().any(|f| &f.rule == into), "{text:?}");
        }
        assert!(
            !matches!(s.outcome, Outcome::Dropped("overlap")),
            "{text:?}"
        );
    }
}

#[test]
fn trace_agrees_with_analysis_on_every_fixture() {
    let texts: Vec<String> = include_str!("fixtures/selftalk.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    assert!(texts.len() > 500, "{}", texts.len());
    for t in &texts {
        assert_trace_agrees(t, false);
    }
    // And as one long entry, where entry-wide steps and overlaps across sentences play a part.
    assert_trace_agrees(&texts.join("\n\n"), true);
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn trace_agrees_with_analysis(text in any_text(), markdown in any::<bool>()) {
        assert_trace_agrees(&text, markdown);
    }
}

/// The generators must produce text the engine has something to say about, or the properties
/// above would hold vacuously.
#[test]
fn the_generated_text_is_full_of_findings() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = any_text();
    let (mut with_findings, mut with_support, mut total, mut multi_line) = (0, 0, 0, 0);
    for _ in 0..200 {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        let a = ENGINE.analyze(&text);
        total += 1;
        with_findings += usize::from(!a.findings.is_empty());
        with_support += usize::from(a.support.is_some());
        multi_line += usize::from(a.findings.iter().any(|f| f.line > 1));
    }
    assert!(
        with_findings * 2 > total,
        "{with_findings}/{total} with findings"
    );
    assert!(
        with_support * 20 > total,
        "{with_support}/{total} with crisis support"
    );
    assert!(
        multi_line * 4 > total,
        "{multi_line}/{total} with findings past line 1"
    );
}
