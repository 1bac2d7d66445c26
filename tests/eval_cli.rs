//! End-to-end tests of `kindly eval` on the fixtures in `tests/eval_fixtures/`.
//!
//! Exact figures use the tiny pack there (`--no-default-packs --pack pack.toml`), so they do
//! not move when the built-in rules are tuned. The 7-row `small.jsonl`, by hand:
//!
//! | row | gold        | predicted (rules)                     |
//! |-----|-------------|---------------------------------------|
//! | r1  | labeling    | labeling (gremlin)                    |
//! | r2  | labeling    | labeling (gremlin), self_attack (goblin) |
//! | r3  | labeling    | none                                  |
//! | r4  | none        | none                                  |
//! | r5  | none        | self_attack (goblin)                  |
//! | r6  | crisis      | crisis (storm, support mode)          |
//! | r7  | crisis      | none                                  |
//!
//! labeling: TP 2, FP 0, FN 1 -> P 1, R 2/3, F1 0.8. self_attack: FP 2 -> P 0, F1 0.
//! crisis: TP 1, FN 1 -> P 1, R 0.5, F1 2/3. Micro: TP 3, FP 2, FN 2 -> 0.6 / 0.6 / 0.6.
//! Macro (labeling and crisis have support): P 1, R 0.5833, F1 0.7333.
//! Any self-talk: TP 3 (r1 r2 r6), FP 1 (r5), FN 2 (r3 r7), TN 1 (r4).
//!
//! The last test is the CI guard of the held-out split: the built-in pack must stay above the
//! floors in `corpora/test/thresholds.toml`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod checks;

use checks::cli::{run_with_stdin, stderr, stdout};
use checks::temp::TempDir;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> String {
    format!("tests/eval_fixtures/{name}")
}

/// `kindly` run from the crate root with colour off and no progress bar.
fn kindly() -> Command {
    let mut cmd = checks::cli::kindly(&root());
    cmd.stdin(Stdio::null());
    cmd
}

/// `kindly --no-default-packs --pack pack.toml eval ARGS`.
fn eval(args: &[&str]) -> Output {
    let pack = fixture("pack.toml");
    let mut cmd = kindly();
    cmd.args(["--no-default-packs", "--pack", &pack, "eval"])
        .args(args);
    cmd.output().unwrap()
}

fn json(o: &Output) -> Value {
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "exit {:?}, stderr:\n{}",
        o.status.code(),
        stderr(o)
    );
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}:\n{}", stdout(o)))
}

fn category<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["scores"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == id)
        .unwrap()
}

#[track_caller]
fn close(v: &Value, want: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
}

#[test]
fn exact_figures_on_the_small_corpus() {
    let doc = json(&eval(&["--format", "json", &fixture("small.jsonl")]));
    assert_eq!(doc["version"], 1);
    let rows = &doc["scores"]["rows"];
    assert_eq!(
        (&rows["scored"], &rows["positives"], &rows["negatives"]),
        (&Value::from(7), &Value::from(5), &Value::from(2))
    );

    let lab = category(&doc, "labeling");
    assert_eq!(
        [
            &lab["support"],
            &lab["predicted"],
            &lab["tp"],
            &lab["fp"],
            &lab["fn"]
        ],
        [2 + 1, 2, 2, 0, 1].map(Value::from).each_ref()
    );
    close(&lab["precision"], 1.0);
    close(&lab["recall"], 2.0 / 3.0);
    close(&lab["f1"], 0.8);

    let att = category(&doc, "self_attack");
    assert_eq!(
        (&att["support"], &att["fp"]),
        (&Value::from(0), &Value::from(2))
    );
    close(&att["precision"], 0.0);
    assert!(att["recall"].is_null(), "no support: recall is undefined");
    close(&att["f1"], 0.0);

    let cri = category(&doc, "crisis");
    close(&cri["precision"], 1.0);
    close(&cri["recall"], 0.5);
    close(&cri["f1"], 2.0 / 3.0);

    let comparison = category(&doc, "comparison");
    assert!(comparison["precision"].is_null() && comparison["f1"].is_null());

    let s = &doc["scores"];
    assert_eq!(
        (&s["micro"]["tp"], &s["micro"]["fp"], &s["micro"]["fn"]),
        (&Value::from(3), &Value::from(2), &Value::from(2))
    );
    close(&s["micro"]["precision"], 0.6);
    close(&s["micro"]["recall"], 0.6);
    close(&s["micro"]["f1"], 0.6);
    assert_eq!(s["macro"]["categories"], 2);
    close(&s["macro"]["precision"], 1.0);
    close(&s["macro"]["recall"], (2.0 / 3.0 + 0.5) / 2.0);
    close(&s["macro"]["f1"], (0.8 + 2.0 / 3.0) / 2.0);

    let any = &s["any"];
    assert_eq!(
        [&any["tp"], &any["fp"], &any["fn"], &any["tn"]],
        [3, 1, 2, 1].map(Value::from).each_ref()
    );
    close(&any["precision"], 0.75);
    close(&any["recall"], 0.6);
    assert_eq!(any["negatives_flagged"], 1);
    close(&any["negatives_flagged_rate"], 0.5);
    assert_eq!(any["positives_with_right_category"], 3);

    let crisis = &s["crisis"];
    assert_eq!(
        (&crisis["gold"], &crisis["caught"]),
        (&Value::from(2), &Value::from(1))
    );
    close(&crisis["recall"], 0.5);
    assert_eq!(crisis["false_alarms"], 0);

    // Per rule: texts, findings, and the share labelled with the rule's category.
    let rules = s["rules"].as_array().unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["rule"] == id).unwrap();
    assert_eq!(
        (
            &rule("test.gremlin")["texts"],
            &rule("test.gremlin")["correct"]
        ),
        (&Value::from(2), &Value::from(2))
    );
    close(&rule("test.goblin")["precision"], 0.0);
    close(&rule("test.storm")["precision"], 1.0);

    // Confusion: gold rows, predicted columns, "none" last.
    let labels: Vec<&str> = s["confusion"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let at = |g: &str, p: &str| {
        let gi = labels.iter().position(|l| *l == g).unwrap();
        let pi = labels.iter().position(|l| *l == p).unwrap();
        s["confusion"]["matrix"][gi][pi].as_u64().unwrap()
    };
    assert_eq!(labels.len(), 14);
    assert_eq!(at("labeling", "labeling"), 2);
    assert_eq!(at("labeling", "self_attack"), 1);
    assert_eq!(at("labeling", "none"), 1);
    assert_eq!(at("none", "self_attack"), 1);
    assert_eq!(at("none", "none"), 1);
    assert_eq!(at("crisis", "crisis"), 1);
    assert_eq!(at("crisis", "none"), 1);

    // Every figure is in the document.
    for key in [
        "corpus",
        "packs",
        "scores",
        "baseline",
        "fail_under",
        "timing",
    ] {
        assert!(doc.get(key).is_some(), "missing {key}");
    }
    for key in ["micro_with_tags", "rules_never_fired", "errors"] {
        assert!(s.get(key).is_some(), "missing scores.{key}");
    }
    assert!(doc["timing"]["rows_per_second"].is_number());
}

#[test]
fn table_shows_the_figures() {
    let o = eval(&[&fixture("small.jsonl")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    let has = |words: &[&str]| {
        t.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == words)
    };
    assert!(
        has(&["labeling", "3", "2", "2", "0", "1", "1.000", "0.667", "0.800"]),
        "{t}"
    );
    assert!(
        has(&[
            "self_attack",
            "0",
            "2",
            "0",
            "2",
            "0",
            "0.000",
            "-",
            "0.000"
        ]),
        "{t}"
    );
    assert!(
        has(&["crisis", "2", "1", "1", "0", "1", "1.000", "0.500", "0.667"]),
        "{t}"
    );
    assert!(
        has(&["micro", "3", "2", "2", "0.600", "0.600", "0.600"]),
        "{t}"
    );
    assert!(
        has(&["macro", "(2", "categories)", "1.000", "0.583", "0.733"]),
        "{t}"
    );
    assert!(
        t.contains("rows: 7 scored (5 with self-talk, 2 without); 0 bad rows"),
        "{t}"
    );
    assert!(t.contains("negatives flagged: 1 of 2 (50.0%)"), "{t}");
    assert!(t.contains("crisis recall: 1 of 2 (0.500)"), "{t}");
    assert!(
        has(&["test.goblin", "self_attack", "2", "2", "0", "0.000"]),
        "{t}"
    );
    // The confusion row of labeling: 2 right, 1 called self_attack, 1 missed.
    assert!(
        has(&["lab", "2", ".", ".", ".", ".", ".", ".", ".", ".", ".", ".", "1", ".", "1"]),
        "{t}"
    );
    assert!(!t.contains("errors"), "no error lists without --errors");
    assert!(
        stderr(&o).contains("kindly eval: 7 rows in"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn errors_list_false_positives_and_negatives_with_the_rule() {
    let o = eval(&["--errors", "1", &fixture("small.jsonl")]);
    let t = stdout(&o);
    assert!(
        t.contains("self_attack: false positives (1 of 2 shown)"),
        "{t}"
    );
    assert!(t.contains("tests/eval_fixtures/small.jsonl:2 [r2]"), "{t}");
    assert!(t.contains("rules: test.goblin \"goblin brain\""), "{t}");
    assert!(
        t.contains("labeling: false negatives (1 of 1 shown)"),
        "{t}"
    );
    assert!(
        t.contains("small.jsonl:3 [r3]  \"I feel like a failure & a <mess>.\""),
        "{t}"
    );
    assert!(t.contains("crisis: false negatives (1 of 1 shown)"), "{t}");

    let doc = json(&eval(&[
        "--errors",
        "5",
        "--format",
        "json",
        &fixture("small.jsonl"),
    ]));
    let errors = doc["scores"]["errors"].as_array().unwrap();
    let att = errors
        .iter()
        .find(|e| e["category"] == "self_attack")
        .unwrap();
    let fps = att["false_positives"].as_array().unwrap();
    assert_eq!(fps.len(), 2);
    assert_eq!(fps[1]["id"], "r5");
    assert_eq!(fps[1]["line"], 5);
    assert_eq!(fps[1]["gold"], serde_json::json!([]));
    assert_eq!(fps[1]["rules"][0]["rule"], "test.goblin");
    assert_eq!(fps[1]["rules"][0]["matched"], "goblin brain");
}

#[test]
fn bad_rows_are_listed_with_file_and_line_and_counted() {
    let o = eval(&["--format", "json", &fixture("bad.jsonl")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("tests/eval_fixtures/bad.jsonl:2: invalid JSON"),
        "{e}"
    );
    assert!(
        e.contains("bad.jsonl:3: missing text (no field 'text')"),
        "{e}"
    );
    assert!(e.contains("bad.jsonl:4: unknown label 'labelling'"), "{e}");
    assert!(e.contains("--map"), "the hint names --map: {e}");
    assert!(
        e.contains("bad.jsonl:7: missing labels (no field 'labels')"),
        "{e}"
    );
    assert!(e.contains("4 bad rows skipped"), "{e}");
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["corpus"]["bad_rows"], 4);
    assert_eq!(doc["corpus"]["blank_lines"], 1);
    assert_eq!(doc["corpus"]["rows"], 6);
    assert_eq!(doc["scores"]["rows"]["scored"], 2);
    let lines: Vec<u64> = doc["corpus"]["bad_rows_listed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4, 7]);

    // The table says so too.
    let t = stdout(&eval(&[&fixture("bad.jsonl")]));
    assert!(t.contains("4 bad rows; 1 blank line skipped"), "{t}");
}

#[test]
fn strict_makes_the_first_bad_row_fatal() {
    let o = eval(&["--strict", &fixture("bad.jsonl")]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("bad.jsonl:2: invalid JSON"), "{e}");
    assert!(e.contains("--strict"), "{e}");
    assert!(!e.contains("bad.jsonl:3"), "stops at the first: {e}");
    assert!(stdout(&o).is_empty());
    // A clean corpus is fine with --strict.
    assert_eq!(
        eval(&["--strict", &fixture("small.jsonl")]).status.code(),
        Some(0)
    );
}

#[test]
fn csv_with_field_options_and_a_label_map() {
    let o = eval(&[
        "--format",
        "json",
        "--text-field",
        "sentence",
        "--label-field",
        "traps",
        "--map",
        &fixture("map.tsv"),
        &fixture("small.csv"),
    ]);
    let doc = json(&o);
    // c6 has an unknown label: a bad row on line 7 (the header is line 1).
    assert!(
        stderr(&o).contains("small.csv:7: unknown label 'Sarcasm' (not in the --map file"),
        "{}",
        stderr(&o)
    );
    let rows = &doc["scores"]["rows"];
    assert_eq!(rows["scored"], 4, "c1 c2 c4 c5");
    assert_eq!(rows["positives"], 3);
    assert_eq!(rows["negatives"], 1, "Not distorted -> none");
    assert_eq!(rows["ignored"], 1, "Blaming alone -> ignored");
    assert_eq!(rows["ignored_flagged"], 1);
    let lab = category(&doc, "labeling");
    assert_eq!(
        (&lab["tp"], &lab["fn"]),
        (&Value::from(1), &Value::from(1)),
        "Labeling;Blaming keeps Labeling"
    );
    close(&category(&doc, "crisis")["recall"], 1.0);
    close(&doc["scores"]["micro"]["f1"], 0.8);
    assert_eq!(category(&doc, "self_attack")["predicted_on_ignored"], 1);
    assert_eq!(doc["corpus"]["bad_rows"], 1);
}

#[test]
fn jsonl_with_dotted_fields_and_a_label_map() {
    let args = [
        "--text-field",
        "meta.body",
        "--label-field",
        "traps",
        "--map",
        &fixture("map.tsv"),
        &fixture("external.jsonl"),
    ];
    let o = eval(&[&["--format", "json"][..], &args[..]].concat());
    let doc = json(&o);
    assert_eq!(doc["scores"]["rows"]["scored"], 4);
    assert_eq!(doc["scores"]["rows"]["ignored"], 1);
    close(&doc["scores"]["micro"]["f1"], 0.8);
    assert!(
        stderr(&o).contains("external.jsonl:6: unknown label 'Sarcasm'"),
        "{}",
        stderr(&o)
    );
    let t = stdout(&eval(&args));
    assert!(
        t.contains("1 not scored (labels all mapped to ignore), 1 of them flagged"),
        "{t}"
    );
    // Without the map, the corpus's labels are unknown: every row is bad, none is dropped
    // silently, and with no row scored the run is an error.
    let o = eval(&[
        "--format",
        "json",
        "--text-field",
        "meta.body",
        "--label-field",
        "traps",
        &fixture("external.jsonl"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).matches("unknown label").count(), 6);
    assert!(
        stderr(&o).ends_with(
            "kindly: no row was scored: of 6 rows read, 6 bad rows (listed above); nothing to \
             report\n"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_inputs_are_usage_errors() {
    // A CSV without the text column names the column and the columns it has.
    let o = eval(&[&fixture("small.csv")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no column 'text' for the text (columns: id, sentence, traps)"),
        "{}",
        stderr(&o)
    );
    // A bad map names its line.
    let dir = TempDir::new("eval-map");
    let map = dir.path().join("m.tsv");
    std::fs::write(&map, "Labeling\tlabeling\nOops\tlabelling\n").unwrap();
    let o = eval(&["--map", map.to_str().unwrap(), &fixture("small.jsonl")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("m.tsv:2: 'labelling' is not a category id"),
        "{}",
        stderr(&o)
    );
    // A missing corpus.
    let o = eval(&["nope.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("nope.jsonl: cannot read: no such file or directory"),
        "{}",
        stderr(&o)
    );
    // A bad --fail-under spec is refused by the argument parser, and so is a bound no share
    // can reach.
    let o = eval(&["--fail-under", "f2=0.9", &fixture("small.jsonl")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown metric 'f2'"), "{}", stderr(&o));
    let o = eval(&["--fail-under", "f1=90", &fixture("small.jsonl")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "invalid value 'f1=90' for '--fail-under <SPEC>': micro_f1 is a share from 0 to 1, \
             so 90 is out of range (micro_f1=0.9 for 90%?)"
        ),
        "{}",
        stderr(&o)
    );
    // An HTML report that cannot be written is refused before any row is scored.
    let dir = TempDir::new("eval-html-nowhere");
    let page = dir.path().join("missing").join("r.html");
    let o = eval(&["--html", page.to_str().unwrap(), &fixture("small.jsonl")]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "", "nothing was scored");
    assert_eq!(
        stderr(&o),
        format!(
            "kindly: {}: cannot write the HTML report: no such file or directory\n",
            page.display()
        )
    );
    let o = eval(&[
        "--html",
        dir.path().to_str().unwrap(),
        &fixture("small.jsonl"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot write the HTML report: it is a folder (name the file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file left behind"
    );
}

/// A corpus with no row to score (empty, or every row bad) is an error, as `kindly check` with
/// no file checked is: tables of "-" and exit 0 would let a CI job pass on nothing.
#[test]
fn nothing_scored_is_an_error() {
    let dir = TempDir::new("eval-nothing");
    let empty = dir.write("empty.jsonl", "");
    let o = eval(&[empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "kindly: no row was scored: the corpus has no rows; nothing to report\n"
    );
    let bad = dir.write("bad.jsonl", "not json\n{\"text\": \"x\"}\n");
    let o = eval(&["--format", "json", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).ends_with(
            "kindly: no row was scored: of 2 rows read, 2 bad rows (listed above); nothing to \
             report\n"
        ),
        "{}",
        stderr(&o)
    );
}

/// eval reads the settings file as every command does (README, "Settings file"), and says
/// so: the file, and each rule it turned off, in the table and in the JSON.
#[test]
fn the_settings_file_is_named_with_the_rules_it_turned_off() {
    let dir = TempDir::new("eval-settings");
    let settings = dir.write("kindly.toml", "disable-rules = [\"test.gremlin\"]\n");
    let pack = root().join(fixture("pack.toml"));
    let small = root().join(fixture("small.jsonl"));
    let run = |extra: &[&str]| {
        let mut cmd = checks::cli::kindly(dir.path());
        cmd.stdin(Stdio::null())
            .arg("--no-default-packs")
            .arg("--pack")
            .arg(&pack)
            .args(extra)
            .arg("eval");
        cmd
    };
    let o = run(&[]).arg(&small).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!(
            "\nSettings from {0} (--no-config leaves them out).\n\
             turned off, not scored: test.gremlin (by {0}:1:18)\n",
            settings.display()
        )),
        "{}",
        stdout(&o)
    );
    let doc = json(
        &run(&[])
            .args(["--format", "json"])
            .arg(&small)
            .output()
            .unwrap(),
    );
    assert_eq!(doc["settings"], settings.display().to_string());
    assert_eq!(
        doc["turned_off"],
        serde_json::json!([{"rule": "test.gremlin", "by": format!("{}:1:18", settings.display())}])
    );
    // The labeling row the gremlin rule found is missed now.
    assert_eq!(category(&doc, "labeling")["tp"], 0);
    let doc = json(
        &run(&["--no-config"])
            .args(["--format", "json"])
            .arg(&small)
            .output()
            .unwrap(),
    );
    assert_eq!(doc["settings"], Value::Null);
    assert_eq!(doc["turned_off"], serde_json::json!([]));
    assert_eq!(category(&doc, "labeling")["tp"], 2);
}

/// The rules that never fired are listed in full in JSON; the table names 20 and counts the
/// rest, rather than printing one line of hundreds of ids.
#[test]
fn the_table_shortens_the_rules_that_never_fired() {
    let o = kindly()
        .args(["eval", &fixture("small.jsonl")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    let line = t
        .lines()
        .find(|l| l.contains(" never fired: "))
        .unwrap_or_else(|| panic!("{t}"));
    let (head, rest) = line.split_once(" never fired: ").unwrap();
    let total: usize = head.trim_end_matches(" rules").parse().unwrap();
    let (named, more) = rest.split_once(" and ").unwrap();
    assert_eq!(named.split(", ").count(), 20, "{line}");
    assert_eq!(
        more,
        format!("{} more; --format json lists them all", total - 20)
    );
    assert!(
        stderr(&o).contains("kindly eval: 7 rows in"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn folders_and_standard_input() {
    let dir = TempDir::new("eval-folder");
    let text = std::fs::read_to_string(root().join(fixture("small.jsonl"))).unwrap();
    let (a, b) = text.split_at(text.find("{\"id\": \"r4\"").unwrap());
    dir.write("a.jsonl", a);
    dir.write("b.jsonl", b);
    dir.write("README.md", "not a corpus");
    let doc = json(&eval(&["--format", "json", dir.path().to_str().unwrap()]));
    assert_eq!(doc["corpus"]["files"].as_array().unwrap().len(), 2);
    close(&doc["scores"]["micro"]["f1"], 0.6);

    let pack = fixture("pack.toml");
    let o = run_with_stdin(
        kindly().args([
            "--no-default-packs",
            "--pack",
            &pack,
            "eval",
            "--format",
            "json",
            "-",
        ]),
        &text,
    );
    let doc = json(&o);
    assert_eq!(doc["corpus"]["files"][0], "<stdin>");
    close(&doc["scores"]["micro"]["f1"], 0.6);
}

#[test]
fn html_report_is_self_contained() {
    let dir = TempDir::new("eval-html");
    let page = dir.path().join("report.html");
    let o = eval(&[
        "--errors",
        "3",
        "--html",
        page.to_str().unwrap(),
        "--baseline-pack",
        &fixture("pack-old.toml"),
        &fixture("small.jsonl"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"), "a bar chart");
    assert!(html.contains("Content-Security-Policy"));
    for external in [
        "http:", "https:", "//", "<script", "<link", "<img", "src=", "href=", "@import", "url(",
    ] {
        assert!(
            !html.contains(external),
            "the page must not load anything: found {external}"
        );
    }
    // Corpus text is escaped, and the error lists and the comparison are there.
    assert!(html.contains("I feel like a failure &amp; a &lt;mess&gt;."));
    assert!(!html.contains("<mess>"));
    assert!(html.contains("test.goblin"));
    assert!(html.contains("Change from the baseline"));
    assert!(html.contains("1 texts got better, 2 got worse"));
}

#[test]
fn baseline_pack_prints_the_change_per_category() {
    let o = eval(&[
        "--errors",
        "2",
        "--baseline-pack",
        &fixture("pack-old.toml"),
        &fixture("small.jsonl"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    let has = |words: &[&str]| {
        t.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == words)
    };
    assert!(
        t.contains("change from the baseline (eval-test 0.1.0)"),
        "{t}"
    );
    assert!(
        has(&["labeling", "0.800", "0.800", "+0.000", "+0.000", "+0.000"]),
        "{t}"
    );
    assert!(
        has(&["crisis", "0.000", "0.667", "+0.667", "-", "+0.500"]),
        "{t}"
    );
    assert!(has(&["self_attack", "-", "0.000", "-", "-", "-"]), "{t}");
    assert!(has(&["micro", "F1", "0.571", "0.600", "+0.029"]), "{t}");
    assert!(
        has(&["crisis", "recall", "0.000", "0.500", "+0.500"]),
        "{t}"
    );
    assert!(
        t.contains("texts: 1 better, 2 worse, 0 changed with as many errors, 4 unchanged"),
        "{t}"
    );
    assert!(
        t.contains("small.jsonl:6 [r6]"),
        "the improved text is listed: {t}"
    );
    assert!(t.contains("(baseline: none)"), "{t}");

    let doc = json(&eval(&[
        "--format",
        "json",
        "--baseline-pack",
        &fixture("pack-old.toml"),
        &fixture("small.jsonl"),
    ]));
    let b = &doc["baseline"];
    assert_eq!(b["packs"][0]["version"], "0.1.0");
    assert_eq!(b["changes"]["improved"], 1);
    assert_eq!(b["changes"]["worsened"], 2);
    close(&b["scores"]["micro"]["f1"], 4.0 / 7.0);
}

#[test]
fn fail_under_sets_the_exit_status() {
    let small = fixture("small.jsonl");
    // Micro F1 is exactly 0.6, negatives flagged exactly 0.5, crisis recall 0.5.
    let ok = eval(&[
        "--fail-under",
        "f1=0.6,negatives_flagged=0.5,recall.crisis=0.5",
        &small,
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("ok"));

    let o = eval(&["--fail-under", "f1=0.61", &small]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("--fail-under: micro_f1 is 0.6000, below 0.61"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("FAILED"));

    let o = eval(&["--fail-under", "negatives_flagged=0.4", &small]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "negatives flagged is an upper bound"
    );
    let o = eval(&["--fail-under", "crisis_recall=1.0", &small]);
    assert_eq!(o.status.code(), Some(1));
    let o = eval(&[
        "--fail-under",
        "macro_f1>=0.7",
        "--fail-under",
        "any_recall<=0.6",
        &small,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // An undefined metric fails its gate: recall of a category nobody labelled.
    let o = eval(&["--fail-under", "recall.self_attack=0", &small]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("recall.self_attack is undefined"),
        "{}",
        stderr(&o)
    );

    let doc = json(&eval(&[
        "--format",
        "json",
        "--fail-under",
        "f1=0.61",
        &small,
    ]));
    assert_eq!(doc["fail_under"][0]["metric"], "micro_f1");
    assert_eq!(doc["fail_under"][0]["ok"], false);
}

/// The CI guard (issue acceptance 7): the built-in pack on the held-out split must stay at or
/// above the floors in `corpora/test/thresholds.toml`, so a rule change that lowers quality
/// fails CI. The floors are a ratchet below the issue's targets, which are not met yet.
#[test]
fn held_out_split_stays_above_the_ratchet() {
    let path = root().join("corpora/test/thresholds.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let floors = doc["fail-under"].as_table().expect("[fail-under]");
    for metric in ["micro_f1", "negatives_flagged", "crisis_recall"] {
        assert!(
            floors.contains_key(metric),
            "thresholds.toml must keep a bound on {metric}"
        );
    }
    let spec: Vec<String> = floors
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.as_float()
                    .or_else(|| v.as_integer().map(|i| i as f64))
                    .unwrap()
            )
        })
        .collect();
    let o = kindly()
        .args([
            "eval",
            "--no-progress",
            "--fail-under",
            &spec.join(","),
            "corpora/test/test.jsonl",
        ])
        .output()
        .unwrap();
    let table = stdout(&o);
    let summary: Vec<&str> = table
        .lines()
        .filter(|l| {
            l.starts_with("micro ")
                || l.contains("negatives flagged")
                || l.starts_with("crisis recall")
                || l.contains("FAILED")
                || l.contains(" ok")
        })
        .collect();
    assert_eq!(
        o.status.code(),
        Some(0),
        "quality on corpora/test fell below corpora/test/thresholds.toml:\n{}\n{}",
        summary.join("\n"),
        stderr(&o)
    );
}

#[test]
fn why_missed_says_how_far_the_rules_got() {
    // Gold labels chosen so that each missed label stops at a different step of the pipeline.
    let dir = TempDir::new("why-missed");
    let corpus = dir.write(
        "misses.jsonl",
        concat!(
            r#"{"id": "m1", "text": "I feel like a failure.", "labels": ["labeling"]}"#,
            "\n",
            r#"{"id": "m2", "text": "I'm not a grumpy gremlin.", "labels": ["labeling"]}"#,
            "\n",
            r#"{"id": "m3", "text": "The cat is a grumpy gremlin.", "labels": ["labeling"]}"#,
            "\n",
            r#"{"id": "m4", "text": "Honestly I'm not a grumpy gremlin.", "labels": ["labeling"]}"#,
            "\n",
            r#"{"id": "m5", "text": "I am such a grumpy gremlin.", "labels": ["labeling"]}"#,
            "\n",
        ),
    );
    let corpus = corpus.to_str().unwrap();
    let o = eval(&["--why-missed", "--errors", "1", corpus]);
    let table = stdout(&o);
    let section = &table[table.find("why labels were missed").unwrap()..];
    assert_eq!(
        section,
        "why labels were missed (4 labels)\n\
         \x20 dropped by the “negation” filter                        2\n\
         \x20   test.gremlin 2\n\
         \x20 no rule of the category had a trigger in the text       1\n\
         \x20 dropped by the “no first person” filter                 1\n\
         \x20   test.gremlin 1\n"
    );
    assert!(
        table.contains("      why missed: no rule of the category had a trigger in the text\n"),
        "{table}"
    );
    let doc = json(&eval(&["--why-missed", "--format", "json", corpus]));
    assert_eq!(doc["scores"]["misses"]["labels"], 4);
    assert_eq!(
        doc["scores"]["misses"]["reasons"][0],
        serde_json::json!({
            "reason": "dropped by the “negation” filter",
            "labels": 2,
            "rules": [{"rule": "test.gremlin", "labels": 2}]
        })
    );
    let html = dir.path().join("report.html");
    eval(&["--why-missed", "--html", html.to_str().unwrap(), corpus]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains(
            "<tr><td class=\"l\">dropped by the “negation” filter</td><td>2</td><td class=\"l\"><code>test.gremlin</code> 2</td></tr>"
        ),
        "{page}"
    );
    // Without the option nothing is traced and the JSON has no `misses`.
    let doc = json(&eval(&["--format", "json", corpus]));
    assert!(doc["scores"].get("misses").is_none());
}
