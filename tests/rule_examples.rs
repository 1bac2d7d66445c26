//! Every built-in rule tests itself: its `flag` examples must give exactly the marked spans and
//! its `pass` look-alikes nothing (LanguageTool-style). This is the test behind
//! `kindly test-rules` for the packs embedded in the binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kindly::{Category, Engine};

#[test]
fn every_builtin_rule_passes_its_own_examples() {
    let engine = Engine::new().expect("built-in packs compile");
    let report = engine.test_examples(&[]);
    let failures: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
    assert!(
        failures.is_empty(),
        "{} of {} examples failed:\n{}",
        failures.len(),
        report.examples,
        failures.join("\n")
    );
    assert!(report.rules >= 13, "only {} rules", report.rules);
    assert!(
        report.examples >= 4 * report.rules,
        "every rule needs at least 2 flag and 2 pass examples"
    );
}

#[test]
fn every_builtin_pattern_compiles() {
    // Built-in patterns compile lazily at first use; make sure none can fail later.
    let engine = Engine::new().expect("built-in packs compile");
    engine
        .compile_all_patterns()
        .expect("every pattern compiles");
}

#[test]
fn builtin_pack_covers_all_thirteen_categories() {
    let engine = Engine::new().expect("built-in packs compile");
    for category in Category::ALL {
        assert!(
            engine.rules().any(|r| r.category() == category),
            "no built-in rule for {category}"
        );
    }
}

#[test]
fn every_file_in_rules_en_is_embedded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/en");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("rules/en exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| format!("rules/en/{n}"))
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = kindly::builtin_pack_files()
        .map(|(n, _)| n.to_string())
        .collect();
    embedded.sort();
    assert_eq!(
        on_disk, embedded,
        "add new pack files to src/pack/builtin.rs"
    );
    for (name, text) in kindly::builtin_pack_files() {
        let on_disk =
            std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name))
                .unwrap();
        assert_eq!(on_disk, text, "{name} is stale in the binary");
    }
}

#[test]
fn every_rule_has_a_message_and_an_explanation() {
    let engine = Engine::new().expect("built-in packs compile");
    for rule in engine.rules() {
        assert!(
            !rule.message().trim().is_empty(),
            "{} has no message",
            rule.id()
        );
        assert!(
            rule.why().is_some_and(|w| w.len() > 20),
            "{} has no 'why' for `kindly explain`",
            rule.id()
        );
    }
}
