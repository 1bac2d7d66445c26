//! Learned classifiers (`[classifiers.NAME]`, rules with `classifier = "NAME"`): how a sentence
//! is scored, where the finding goes, and how a bad table is reported.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kindly::{Category, EngineBuilder, ErrorKind};

// Scores with this table (window 1, bias -1, threshold 0.5; every idf is 2):
// "gone" alone: -1 + 3 = 2. "gone" + "for good": -1 + 12 / (2 * sqrt 2) = 3.24.
// "gone" + "for good" + "see you": -1 + 0 = -1.
const PACK: &str = "[pack]
id = \"mine\"
version = \"0.1.0\"
language = \"en\"
license = \"CC0-1.0\"
description = \"test pack\"

[classifiers.gone_words]
window = 1
bias = -1.0
threshold = 0.5
features = '''
gone\t2\t3
for good\t2\t3
see you\t2\t-6
'''

[[rule]]
id = \"mine.gone-forever\"
category = \"crisis\"
severity = \"crisis\"
tier = \"a\"
triggers = [\"forever\"]
pattern = '''\\bgone\\s+forever\\b'''
message = \"A rule.\"
[rule.examples]
flag = [\"I'm [gone forever].\", \"[gone forever] now\"]
pass = [\"Gone for now.\", \"forever young\"]

[[rule]]
id = \"mine.gone-model\"
category = \"crisis\"
severity = \"crisis\"
tier = \"b\"
classifier = \"gone_words\"
triggers = [\"gone\", \"good\"]
message = \"A model.\"
[rule.examples]
flag = [\"[I want to be gone for good.]\", \"It's gone. [It's gone for good.]\"]
pass = [\"Gone for good, see you Monday!\", \"I feel gone. See you soon.\"]
";

fn engine(pack: &str) -> kindly::Engine {
    EngineBuilder::new()
        .builtin_packs(false)
        .add_pack_source("mine.toml", pack)
        .build()
        .unwrap()
}

/// (rule, flagged text) of every finding.
fn found(text: &str) -> Vec<(String, String)> {
    engine(PACK)
        .analyze(text)
        .findings
        .iter()
        .map(|f| (f.rule.to_string(), text[f.bytes.range()].to_string()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(r, t)| (r.to_string(), t.to_string()))
        .collect()
}

#[test]
fn the_examples_pass_and_the_finding_is_the_whole_sentence() {
    let report = engine(PACK).test_examples(&[]);
    assert!(report.passed(), "{:?}", report.failures);
    assert_eq!((report.rules, report.examples), (2, 8));
    let analysis = engine(PACK).analyze("Some days.  I want to be gone for good.  ");
    let f = &analysis.findings[0];
    assert_eq!(analysis.findings.len(), 1);
    assert_eq!(f.category, Category::Crisis);
    assert_eq!((f.bytes.start, f.bytes.end), (12, 39));
    assert_eq!(f.message, "A model.");
    assert!(f.reframes.is_empty());
}

#[test]
fn the_neighbours_count_but_never_across_a_blank_line() {
    assert_eq!(found("I feel gone. See you soon."), []);
    assert_eq!(
        found("I feel gone.\n\nSee you soon."),
        pairs(&[("mine.gone-model", "I feel gone.")])
    );
}

#[test]
fn one_finding_per_paragraph_on_the_sentence_that_scores_highest_alone() {
    assert_eq!(
        found("It's gone. It's gone for good.\n\nStill gone."),
        pairs(&[
            ("mine.gone-model", "It's gone for good."),
            ("mine.gone-model", "Still gone.")
        ])
    );
}

#[test]
fn trace_says_why_a_sentence_was_kept_or_set_aside() {
    let text = "It's gone. It's gone for good.\n\nGone for good, see you!";
    let trace = engine(PACK).trace(text, false);
    let steps: Vec<(String, String)> = trace
        .steps
        .iter()
        .filter(|s| &*s.rule == "mine.gone-model")
        .map(|s| {
            let m = s.matched.unwrap();
            (text[m.start..m.end].to_string(), s.outcome.describe())
        })
        .collect();
    let set_aside = "dropped by the “one per paragraph” filter: a classifier speaks once per \
                     paragraph, on its best sentence, and not where a rule of its category \
                     already did";
    assert_eq!(
        steps,
        [
            ("It's gone.".to_string(), set_aside.to_string()),
            ("It's gone for good.".to_string(), "a finding".to_string()),
            (
                "Gone for good, see you!".to_string(),
                "dropped by the “classifier” filter: the rule's classifier scored the sentence \
                 and its neighbours below its threshold"
                    .to_string()
            ),
        ]
    );
}

#[test]
fn a_rule_of_the_same_category_in_the_paragraph_silences_the_classifier() {
    assert_eq!(
        found("I'm gone forever. It's gone for good.\n\nIt's gone for good."),
        pairs(&[
            ("mine.gone-forever", "gone forever"),
            ("mine.gone-model", "It's gone for good.")
        ])
    );
}

#[test]
fn explain_shows_the_classifier() {
    let e = engine(PACK);
    let rule = e.rules().find(|r| r.id() == "mine.gone-model").unwrap();
    assert_eq!(rule.pattern(), None);
    assert_eq!(
        rule.classifier().as_deref(),
        Some("gone_words (3 features, 1 sentence(s) on each side, threshold 0.5)")
    );
}

#[track_caller]
fn error_for(from: &str, to: &str) -> (ErrorKind, String) {
    assert!(PACK.contains(from), "test setup: {from:?} not in the pack");
    let err = EngineBuilder::new()
        .builtin_packs(false)
        .add_pack_source("mine.toml", PACK.replacen(from, to, 1))
        .build()
        .expect_err("the pack must be rejected");
    (err.kind(), err.to_string())
}

#[test]
fn a_bad_feature_line_is_reported_where_it_is() {
    assert_eq!(
        error_for("for good\t2\t3", "for good\t2"),
        (
            ErrorKind::Invalid,
            "mine.toml:14:1: pack 'mine': classifier 'gone_words' features: expected 3 tab-separated columns (feature, idf, weight), found 2".to_string()
        )
    );
    assert_eq!(
        error_for("see you\t2\t-6", "See you\t2\t-6").1,
        "mine.toml:15:1: pack 'mine': classifier 'gone_words' features: feature 'See you' must be lowercase"
    );
    assert_eq!(
        error_for("gone\t2\t3", "gone\t-2\t3").1,
        "mine.toml:13:1: pack 'mine': classifier 'gone_words' features: idf '-2' must be positive"
    );
    assert_eq!(
        error_for("see you\t2\t-6", "gone\t2\t-6").1,
        "mine.toml:15:1: pack 'mine': classifier 'gone_words' features: feature 'gone' is listed twice"
    );
}

#[test]
fn rules_must_name_a_classifier_the_pack_has_and_use_it_alone() {
    assert_eq!(
        error_for("classifier = \"gone_words\"", "classifier = \"gone\""),
        (
            ErrorKind::UnknownValue,
            "mine.toml:35:14: rule 'mine.gone-model': unknown classifier 'gone' (the pack has: gone_words)".to_string()
        )
    );
    assert_eq!(
        error_for(
            "classifier = \"gone_words\"",
            "classifier = \"gone_words\"\npattern = 'gone'"
        )
        .1,
        "mine.toml:36:11: rule 'mine.gone-model': a rule has a pattern or a classifier, not both"
    );
    assert_eq!(
        error_for("message = \"A model.\"", "message = \"A model.\"\n[rule.context]\nlook-back = 1").1,
        "mine.toml:38:1: rule 'mine.gone-model': a classifier rule takes no [rule.context]: the classifier weighs the words around the sentence itself"
    );
    assert_eq!(
        error_for("window = 1", "window = 11").1,
        "mine.toml:9:10: pack 'mine': a classifier's window must be between 0 and 10 sentences"
    );
    assert_eq!(
        error_for("window = 1\n", "").1,
        "mine.toml:8:1: missing field `window`"
    );
}
