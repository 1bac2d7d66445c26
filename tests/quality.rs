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
                        let id = row["id"].as_str().unwrap_or("");
                        s.misses.push(format!("CRISIS MISSED [{id}]: {body}"));
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

/// Ids of dev crisis texts the rules are known to miss (first column of the TSV; `#` comments).
fn known_crisis_misses() -> std::collections::BTreeSet<String> {
    std::fs::read_to_string(path("corpora/dev/crisis_known_misses.tsv"))
        .expect("corpora/dev/crisis_known_misses.tsv")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .map(|id| id.trim().to_string())
        .collect()
}

/// The dev corpus files, in name order.
fn dev_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(path("corpora/dev"))
        .expect("corpora/dev exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
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
    let files = dev_files();
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
    // Texts that rules cannot read without world knowledge are listed, with the reason, in
    // corpora/dev/crisis_known_misses.tsv; any other miss fails, and so does a listed text that
    // is now caught (the list only shrinks).
    let known = known_crisis_misses();
    let missed_id = |m: &String| -> Option<String> {
        let rest = m.strip_prefix("CRISIS MISSED [")?;
        Some(rest[..rest.find(']')?].to_string())
    };
    let missed: Vec<&String> = s
        .misses
        .iter()
        .filter(|m| m.starts_with("CRISIS"))
        .collect();
    let unexpected: Vec<&&String> = missed
        .iter()
        .filter(|m| missed_id(m).is_none_or(|id| !known.contains(&id)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "crisis texts missed: {unexpected:#?}"
    );
    let missed_ids: std::collections::BTreeSet<String> =
        missed.iter().filter_map(|m| missed_id(m)).collect();
    let caught_now: Vec<&String> = known
        .iter()
        .filter(|id| !missed_ids.contains(*id))
        .collect();
    assert!(
        caught_now.is_empty(),
        "now caught, remove from corpora/dev/crisis_known_misses.tsv: {caught_now:?}"
    );
    assert!(fp_rate <= 0.035, "negatives flagged {fp_rate:.3}");
}

/// The words of the built-in pack's noun lexicons that are never adjectives ("muppet", not
/// "trash", which is both): a label that must come with its article in a reframe.
fn bare_nouns() -> std::collections::BTreeSet<String> {
    let pack: toml::Table = std::fs::read_to_string(path("rules/en/pack.toml"))
        .expect("rules/en/pack.toml")
        .parse()
        .expect("the pack is TOML");
    let lexicons = pack["lexicons"].as_table().expect("[lexicons]");
    let words = |part: &str| -> std::collections::BTreeSet<String> {
        lexicons
            .iter()
            .filter(|(name, _)| name.contains(part))
            .flat_map(|(_, list)| list.as_array().into_iter().flatten())
            .filter_map(|w| w.as_str())
            .filter(|w| !w.contains(' ') && !w.ends_with('*'))
            .map(str::to_lowercase)
            .collect()
    };
    let adjectives = words("adjective");
    words("noun").difference(&adjectives).cloned().collect()
}

/// Slots render into the shared reframes as readable English on every dev text: a noun label
/// keeps its article ("I'm a reject", not "I'm reject"), a mass noun takes none ("I'm trash"), and
/// a "not good enough" verdict never lands in a template written for a label.
#[test]
fn reframes_read_as_english_on_the_dev_corpus() {
    let engine = Engine::new().expect("built-in packs compile");
    let nouns = bare_nouns();
    assert!(
        nouns.contains("muppet") && !nouns.contains("trash"),
        "test setup"
    );
    // The word right after "I'm", "call themselves" or "call a friend".
    let label_words = |text: &str| -> Vec<String> {
        let mut out = Vec::new();
        for lead in ["I'm ", "call themselves ", "call a friend "] {
            for (i, _) in text.match_indices(lead) {
                let rest = &text[i + lead.len()..];
                let word: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                    .collect();
                out.push(word);
            }
        }
        out
    };
    let mut bad = Vec::new();
    let files = dev_files();
    for file in files {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let row: Value = serde_json::from_str(line).unwrap();
            let analysis = engine.analyze(row["text"].as_str().unwrap());
            for f in &analysis.findings {
                for text in f
                    .reframes
                    .iter()
                    .map(|r| r.text.as_str())
                    .chain([f.message.as_str()])
                {
                    let odd = text.contains("call themselves not ")
                        || text.contains(" a trash")
                        || text.contains(" a garbage")
                        || label_words(text).iter().any(|w| nouns.contains(w));
                    if odd {
                        bad.push(format!("{} on {:?}: {text}", f.rule, f.text));
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} odd reframes:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
