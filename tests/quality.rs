//! Quality gates on labelled text written for this project (tests/fixtures, corpora/dev):
//! positives flagged with the right category, negatives left alone, and every crisis text caught.
//! The held-out split (corpora/test) is measured by `kindly eval` (issue 3), not tuned here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kindly::Engine;
use serde_json::Value;
use std::path::Path;

struct Score {
    positives: usize,
    right: usize,
    negatives: usize,
    flagged_negatives: usize,
    crisis: usize,
    crisis_caught: usize,
    misses: Vec<String>,
}

fn score(files: &[&Path]) -> Score {
    let engine = Engine::new().expect("built-in packs compile");
    let mut s = Score {
        positives: 0,
        right: 0,
        negatives: 0,
        flagged_negatives: 0,
        crisis: 0,
        crisis_caught: 0,
        misses: Vec::new(),
    };
    for file in files {
        let text =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (n, line) in text.lines().enumerate() {
            let row: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), n + 1));
            let body = row["text"].as_str().expect("text");
            let labels: Vec<&str> = row["labels"]
                .as_array()
                .expect("labels")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let found = engine.analyze(body);
            let cats: Vec<&str> = found.findings.iter().map(|f| f.category.id()).collect();
            if labels.is_empty() {
                s.negatives += 1;
                if !cats.is_empty() {
                    s.flagged_negatives += 1;
                    s.misses.push(format!("negative flagged {cats:?}: {body}"));
                }
            } else {
                s.positives += 1;
                if cats.iter().any(|c| labels.contains(c)) {
                    s.right += 1;
                } else {
                    s.misses.push(format!("{labels:?} got {cats:?}: {body}"));
                }
                if labels.contains(&"crisis") {
                    s.crisis += 1;
                    if found.support.is_some() {
                        s.crisis_caught += 1;
                    } else {
                        s.misses.push(format!("CRISIS MISSED: {body}"));
                    }
                }
            }
        }
    }
    s
}

fn path(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn fixtures_meet_the_quality_targets() {
    let file = path("tests/fixtures/selftalk.jsonl");
    let s = score(&[&file]);
    assert!(
        s.positives + s.negatives >= 400,
        "the fixture set needs at least 400 texts"
    );
    assert!(
        s.negatives * 100 >= 40 * (s.positives + s.negatives),
        "at least 40% hard negatives"
    );
    let recall = s.right as f64 / s.positives as f64;
    let fp_rate = s.flagged_negatives as f64 / s.negatives as f64;
    eprintln!(
        "fixtures: {}/{} positives right ({:.1}%), {}/{} negatives flagged ({:.1}%), crisis {}/{}",
        s.right,
        s.positives,
        100.0 * recall,
        s.flagged_negatives,
        s.negatives,
        100.0 * fp_rate,
        s.crisis_caught,
        s.crisis
    );
    assert!(
        recall >= 0.95,
        "positives right {:.3} < 0.95; misses:\n{}",
        recall,
        s.misses.join("\n")
    );
    assert!(
        fp_rate <= 0.03,
        "negatives flagged {:.3} > 0.03:\n{}",
        fp_rate,
        s.misses.join("\n")
    );
    assert_eq!(
        s.crisis_caught,
        s.crisis,
        "every crisis positive must be caught:\n{}",
        s.misses.join("\n")
    );
}

#[test]
fn dev_corpus_catches_every_crisis_text_and_rarely_flags_negatives() {
    let dir = path("corpora/dev");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpora/dev exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let s = score(&refs);
    let fp_rate = s.flagged_negatives as f64 / s.negatives as f64;
    eprintln!(
        "dev: {}/{} positives right ({:.1}%), {}/{} negatives flagged ({:.1}%), crisis {}/{}",
        s.right,
        s.positives,
        100.0 * s.right as f64 / s.positives as f64,
        s.flagged_negatives,
        s.negatives,
        100.0 * fp_rate,
        s.crisis_caught,
        s.crisis
    );
    let crisis_misses: Vec<&String> = s
        .misses
        .iter()
        .filter(|m| m.starts_with("CRISIS"))
        .collect();
    assert!(
        crisis_misses.is_empty(),
        "crisis texts missed: {crisis_misses:#?}"
    );
    assert!(fp_rate <= 0.035, "negatives flagged {fp_rate:.3}");
}
