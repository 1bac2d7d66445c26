//! Packs validate strictly: every problem is an error naming the file, line, column and rule.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod checks;

use checks::temp::TempDir;
use kindly::{EngineBuilder, ErrorKind};

const GOOD: &str = r#"[pack]
id = "mine"
version = "0.1.0"
language = "en"
license = "CC0-1.0"
description = "test pack"

[lexicons]
blobs = ["blob", "goo"]

[[rule]]
id = "mine.blob"
category = "labeling"
severity = "moderate"
triggers = ["@blobs"]
pattern = '''\bi'm\s+(?:a\s+|such\s+a\s+)?(?P<word>{blobs})\b'''
message = "“{word}” is unkind."
[[rule.reframe]]
text = "I'm having a squishy day."
[rule.examples]
flag = ["[I'm a blob] today.", "Honestly [im such a goo]."]
pass = ["The blob ate the town.", "I'm not a blob."]
"#;

/// Builds an engine from `GOOD` with one substitution and returns the error text.
#[track_caller]
fn error_for(from: &str, to: &str) -> (ErrorKind, String, Option<String>) {
    assert!(GOOD.contains(from), "test setup: {from:?} not in the pack");
    let pack = GOOD.replacen(from, to, 1);
    let err = EngineBuilder::new()
        .builtin_packs(false)
        .add_pack_source("mine.toml", pack)
        .build()
        .expect_err("the pack must be rejected");
    (err.kind(), err.to_string(), err.rule().map(str::to_string))
}

/// An engine with `pack` alone, which must load.
#[track_caller]
fn engine_from(pack: String) -> kindly::Engine {
    EngineBuilder::new()
        .builtin_packs(false)
        .add_pack_source("mine.toml", pack)
        .build()
        .unwrap()
}

#[test]
fn the_good_pack_loads_and_its_examples_pass() {
    let engine = EngineBuilder::new()
        .builtin_packs(false)
        .add_pack_source("mine.toml", GOOD)
        .build()
        .unwrap();
    let report = engine.test_examples(&[]);
    assert!(report.passed(), "{:?}", report.failures);
    assert_eq!((report.rules, report.examples), (1, 4));
    let found = engine.analyze("ugh I’m such a goo");
    assert_eq!(found.findings.len(), 1);
    assert_eq!(found.findings[0].text.as_deref(), Some("I’m such a goo"));
    assert_eq!(found.findings[0].message, "“goo” is unkind.");
    assert_eq!(
        found.findings[0].reframes[0].text,
        "I'm having a squishy day."
    );
}

#[test]
fn unknown_category_names_the_line_the_rule_and_the_valid_ids() {
    let (kind, msg, rule) = error_for(r#"category = "labeling""#, r#"category = "labelling""#);
    assert_eq!(kind, ErrorKind::UnknownValue);
    assert_eq!(rule.as_deref(), Some("mine.blob"));
    assert_eq!(
        msg,
        "mine.toml:13:12: rule 'mine.blob': unknown category 'labelling'; did you mean 'labeling'? \
         (expected one of: labeling, comparison, \
         overgeneralization, all_or_nothing, should_statement, catastrophizing, mind_reading, fortune_telling, \
         personalization, discounting_positive, emotional_reasoning, self_attack, crisis)"
    );
}

#[test]
fn unknown_keys_are_rejected_with_the_rule_id() {
    let (kind, msg, _) = error_for("[[rule.reframe]]\n", "[[rule.reframe]]\nbogus = 1\n");
    assert_eq!(kind, ErrorKind::Syntax);
    assert_eq!(msg, "mine.toml:19:1: rule 'mine.blob': unknown field `bogus`, expected one of `text`, `rewrite`, `poles`, `when`");
    let (_, msg, _) = error_for("[pack]\n", "[pack]\nversoin = \"1\"\n");
    assert!(
        msg.starts_with("mine.toml:2:1: unknown field `versoin`, expected one of"),
        "{msg}"
    );
}

#[test]
fn duplicate_rule_ids_point_at_both_definitions() {
    let second = GOOD[GOOD.find("[[rule]]").unwrap()..].to_string();
    let pack = format!("{GOOD}\n{second}");
    let err = EngineBuilder::new()
        .builtin_packs(false)
        .add_pack_source("mine.toml", pack)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateId);
    assert_eq!(
        err.to_string(),
        "mine.toml:25:6: rule 'mine.blob': duplicate rule id (first defined at mine.toml:12:6)"
    );
}

#[test]
fn a_bad_regex_is_reported_at_the_pattern() {
    let (kind, msg, rule) = error_for(r"(?:a\s+|such", r"((?:a\s+|such");
    assert_eq!(kind, ErrorKind::BadRegex);
    assert_eq!(rule.as_deref(), Some("mine.blob"));
    // Located at the group left open, and shown in the author's own words: `{blobs}`, not the
    // lexicon written out, and `\b`, not the `(?-u:\b)` the engine runs.
    assert_eq!(
        msg,
        "mine.toml:16:22: rule 'mine.blob': pattern: invalid regular expression: unclosed group\n    \\bi'm\\s+((?:a\\s+|such\\s+a\\s+)?(?P<word>{blobs})\\b\n            ^"
    );
}

#[test]
fn a_bad_regex_on_a_long_line_is_shown_around_the_fault() {
    // A pattern as long as the built-in ones: the message shows 40 characters either side of
    // the fault, not the whole line, and the column still points at it.
    let long = format!("(?:{})", vec!["alpha\\s+beta"; 20].join("|"));
    let (kind, msg, _) = error_for(r"(?:a\s+|such", &format!("{long}(?=x)(?:a\\s+|such"));
    assert_eq!(kind, ErrorKind::BadRegex);
    let first = msg.lines().next().unwrap();
    assert!(
        first.ends_with("pattern: invalid regular expression: look-around, including look-ahead and look-behind, is not supported"),
        "{msg}"
    );
    let column = 14 + long.len() + r"\bi'm\s+".len();
    assert!(
        first.starts_with(&format!("mine.toml:16:{column}: ")),
        "{msg}"
    );
    assert_eq!(
        msg.lines().nth(1).unwrap().chars().count(),
        4 + 1 + 40 + 3 + 40 + 1,
        "{msg}"
    );
    assert!(msg.len() < 400, "{msg}");
}

#[test]
fn unknown_lexicons_are_rejected_in_triggers_and_patterns() {
    let (kind, msg, _) = error_for(r#""@blobs""#, r#""@blobz""#);
    assert_eq!(kind, ErrorKind::UnknownLexicon);
    assert_eq!(
        msg,
        "mine.toml:15:13: rule 'mine.blob': unknown lexicon 'blobz' (known: blobs)"
    );
    let (kind, msg, _) = error_for("(?P<word>{blobs})", "(?P<word>{blobz})");
    assert_eq!(kind, ErrorKind::UnknownLexicon);
    assert_eq!(
        msg,
        "mine.toml:16:52: rule 'mine.blob': pattern: unknown lexicon 'blobz' (known: blobs)"
    );
}

#[test]
fn rules_need_both_kinds_of_examples() {
    let (kind, msg, _) = error_for(
        r#"pass = ["The blob ate the town.", "I'm not a blob."]"#,
        r#"pass = ["The blob ate the town."]"#,
    );
    assert_eq!(kind, ErrorKind::Examples);
    assert_eq!(msg, "mine.toml:20:1: rule 'mine.blob': needs at least 2 'flag' and 2 'pass' examples (has 2 flag, 1 pass)");
    let (_, msg, _) = error_for("[rule.examples]\nflag", "[rule.examplez]\nflag");
    assert!(
        msg.contains("unknown field `examplez`") || msg.contains("missing [rule.examples]"),
        "{msg}"
    );
    let (_, msg, _) = error_for(r#""[I'm a blob] today.""#, r#""I'm a blob today.""#);
    assert_eq!(msg, "mine.toml:21:9: rule 'mine.blob': a 'flag' example must mark the expected span with [brackets]");
}

#[test]
fn failing_examples_are_reported_expected_versus_found() {
    let pack = GOOD.replacen(r#""[I'm a blob] today.""#, r#""I'm [a blob] today.""#, 1);
    let engine = engine_from(pack);
    let report = engine.test_examples(&[]);
    assert_eq!(report.failures.len(), 1);
    assert_eq!(
        report.failures[0].to_string(),
        "mine.toml:21:9: rule 'mine.blob': flag example failed\n  expected: I'm [a blob] today.\n  found:    [I'm a blob] today."
    );
}

#[test]
fn other_schema_rules() {
    let (_, msg, _) = error_for(r#"severity = "moderate""#, r#"severity = "huge""#);
    assert_eq!(msg, "mine.toml:14:12: rule 'mine.blob': unknown severity 'huge' (expected low, moderate, high or crisis)");
    let (_, msg, _) = error_for(
        r#"text = "I'm having a squishy day.""#,
        r#"text = "I'm {wrod}.""#,
    );
    assert!(
        msg.starts_with("mine.toml:19:9: rule 'mine.blob': reframe uses slot '{wrod}'"),
        "{msg}"
    );
    let (_, msg, _) = error_for(
        r#"text = "I'm having a squishy day.""#,
        r#"text = "I'm feeling {word}.""#,
    );
    assert!(msg.contains("no slot-free fallback reframe"), "{msg}");
    let (_, msg, _) = error_for(r#"triggers = ["@blobs"]"#, r#"triggers = ["  "]"#);
    assert_eq!(msg, "mine.toml:15:13: rule 'mine.blob': empty trigger");
    let (_, msg, _) = error_for(r#"category = "labeling""#, r#"category = "crisis""#);
    assert!(
        msg.contains("severity 'crisis' goes with category 'crisis'"),
        "{msg}"
    );
    let (_, msg, _) = error_for("[pack]\nid = \"mine\"", "[pack]\nid = \"Mine Pack\"");
    assert!(
        msg.contains("pack id 'Mine Pack' must be lowercase"),
        "{msg}"
    );
}

#[test]
fn crisis_cannot_be_turned_off() {
    let err = EngineBuilder::new()
        .disable_category(kindly::Category::Crisis)
        .build()
        .unwrap_err();
    assert!(err
        .to_string()
        .contains("crisis category cannot be turned off"));
}

#[test]
fn toml_syntax_errors_are_located() {
    let (kind, msg, _) = error_for("severity = \"moderate\"", "severity = \"moderate");
    assert_eq!(kind, ErrorKind::Syntax);
    assert!(msg.starts_with("mine.toml:14:"), "{msg}");
}

#[test]
fn pack_files_on_disk_name_the_path_and_reject_bad_utf8() {
    let dir = TempDir::new("packs");
    let bad = dir.write("bad.toml", b"[pack]\nid = \"x\xff\"\n");
    let err = EngineBuilder::new()
        .builtin_packs(false)
        .add_pack_path(&bad)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:8: pack is not valid UTF-8 (first bad byte at offset 14)",
            bad.display()
        )
    );
    let missing = dir.path().join("missing.toml");
    let err = EngineBuilder::new()
        .add_pack_path(&missing)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: cannot read pack: no such file or directory",
            missing.display()
        )
    );
}

/// A crisis pack written before the `abuse` tier existed (no `abuse` support text) plus one
/// abuse rule of its own.
const OLD_SUPPORT: &str = r#"[pack]
id = "mine"
version = "0.1.0"
language = "en"
license = "CC0-1.0"
description = "test pack"

[[rule]]
id = "mine.bruise"
category = "crisis"
severity = "crisis"
tier = "abuse"
triggers = ["shoves me around"]
message = "That sounds hard."
[rule.examples]
flag = ["He [shoves me around].", "She [shoves me around] at home."]
pass = ["He shoves the boxes around.", "Around the house."]

[support]
default-locale = "en-US"

[support.locales."en-US"]
tier-a = "Tier A text."
tier-b = "Tier B text."
someone-else = "Someone-else text."
resources = [
  { name = "Test Line", contact = "call 000-TEST" },
  { name = "Test Emergency", contact = "call 999-TEST", emergency = true },
]
"#;

#[test]
fn a_pack_without_abuse_support_text_loads_and_falls_back() {
    let build = |toml: String| {
        EngineBuilder::new()
            .builtin_packs(false)
            .add_pack_source("mine.toml", toml)
            .build()
    };
    let engine = build(OLD_SUPPORT.to_string()).unwrap();
    assert!(engine.test_examples(&[]).passed());
    let a = engine.analyze("He shoves me around.");
    let s = a.support.expect("support");
    assert_eq!(s.tier, kindly::CrisisTier::Abuse);
    // A neutral acknowledgement, never the suicide text, and only the emergency line.
    assert!(s.message.contains("not your fault"), "{}", s.message);
    assert!(!s.message.contains("Tier"), "{}", s.message);
    let contacts: Vec<&str> = s.resources.iter().map(|r| r.contact.as_str()).collect();
    assert_eq!(contacts, ["call 999-TEST"]);

    // With its own abuse text and resources, the pack's words are used.
    let with_text = OLD_SUPPORT.replace(
        "resources = [\n  { name = \"Test Line\"",
        "abuse = \"Abuse text.\"\nabuse-resources = [{ name = \"Abuse Line\", contact = \"call 111-TEST\" }]\nresources = [\n  { name = \"Test Line\"",
    );
    let s = build(with_text)
        .unwrap()
        .analyze("He shoves me around.")
        .support
        .unwrap();
    assert_eq!(s.message, "Abuse text.");
    assert_eq!(s.resources.len(), 1);
    assert_eq!(s.resources[0].name, "Abuse Line");

    // Support keys and tiers are still checked strictly.
    for (from, to, error) in [
        (
            "tier-b = ",
            "abuse-resorces = []\ntier-b = ",
            "unknown field `abuse-resorces`",
        ),
        (
            "tier = \"abuse\"",
            "tier = \"abused\"",
            "unknown tier 'abused' (expected a, b, someone-else or abuse)",
        ),
    ] {
        let err = build(OLD_SUPPORT.replace(from, to)).unwrap_err();
        assert!(err.to_string().contains(error), "{err}");
    }
}

#[test]
fn reframes_with_when_fit_only_the_findings_that_hold_their_words() {
    let pack = GOOD.replacen(
        "[[rule.reframe]]\ntext = \"I'm having a squishy day.\"\n",
        "[[rule.reframe]]\ntext = \"I'm having a squishy day.\"\n\
         [[rule.reframe]]\ntext = \"Goo is allowed to be goo.\"\nwhen = [\"goo\"]\n\
         [[rule.reframe]]\ntext = \"Even the best blobs wobble.\"\nwhen = [\"wobbl*\", \"such a blob\"]\n",
        1,
    );
    assert_ne!(pack, GOOD, "test setup");
    let engine = engine_from(pack);
    let reframes = |text: &str| -> Vec<String> {
        let a = engine.analyze(text);
        assert_eq!(a.findings.len(), 1, "{text}");
        a.findings[0]
            .reframes
            .iter()
            .map(|r| r.text.clone())
            .collect()
    };
    assert_eq!(
        reframes("Honestly I'm such a GOO."),
        ["I'm having a squishy day.", "Goo is allowed to be goo."]
    );
    assert_eq!(
        reframes("I’m such a blob."),
        ["I'm having a squishy day.", "Even the best blobs wobble."]
    );
    assert_eq!(reframes("I'm a blob."), ["I'm having a squishy day."]);
}

#[test]
fn an_empty_when_is_rejected_where_it_stands() {
    let (kind, msg, rule) = error_for(
        "text = \"I'm having a squishy day.\"\n",
        "text = \"I'm having a squishy day.\"\nwhen = []\n",
    );
    assert_eq!(kind, ErrorKind::Invalid);
    assert_eq!(rule.as_deref(), Some("mine.blob"));
    assert!(
        msg.starts_with("mine.toml:20:8: ")
            && msg.contains("a reframe's `when` must list at least one word or phrase"),
        "{msg}"
    );
    let (_, msg, _) = error_for(
        "text = \"I'm having a squishy day.\"\n",
        "text = \"I'm having a squishy day.\"\nwhen = [\" * \"]\n",
    );
    assert!(
        msg.starts_with("mine.toml:20:9: ") && msg.contains("must hold at least one word"),
        "{msg}"
    );
}

#[test]
fn every_exception_is_heard_even_where_an_earlier_one_matches_first() {
    // The first exception matches "if" at the same place as the second, longer one, and ends
    // before the match: in one alternation it would hide the second. A third exception's
    // match that ends before the finding must not hide its own later, overlapping match.
    let pack = GOOD.replacen(
        "[[rule.reframe]]",
        "[rule.context]\nhypothetical = \"ignore\"\nexceptions = ['''\\bif\\b''', '''\\bif\\s+i\\s+eat\\s+more\\s+cake\\s+i'm\\s+a\\s+blob\\b''', '''\\b(?:i|wow)\\s+(?:wow|i'm\\s+a)\\b''']\n\
         [[rule.reframe]]",
        1,
    );
    assert_ne!(pack, GOOD, "test setup");
    let engine = engine_from(pack);
    let flagged = |text: &str| !engine.analyze(text).findings.is_empty();
    assert!(!flagged("If I eat more cake I'm a blob."));
    // `kindly trace` names the one that did it: the first in the pack's order that overlaps.
    let text = "If I eat more cake I'm a blob.";
    let trace = engine.trace(text, false);
    let dropped: Vec<_> = trace.steps.iter().filter_map(|s| s.exception).collect();
    assert_eq!(dropped.len(), 1, "{:?}", trace.steps);
    assert_eq!((dropped[0].number, dropped[0].of), (2, 3));
    assert_eq!(
        &text[dropped[0].matched.range()],
        "If I eat more cake I'm a blob"
    );
    assert!(flagged("If only. I'm such a goo."));
    assert!(flagged("I'm such a goo, if you ask me."));
    // The third exception matches "I wow", which ends before the finding, and again at
    // "wow I'm a", which starts inside that match and overlaps it.
    assert!(!flagged("I wow I'm a blob."));
    assert!(flagged("I wow. I'm a blob."));
}
