//! End-to-end tests of the `kindly` binary.
//!
//! Exact-output tests use a tiny pack written here (`--no-default-packs --pack FILE`), so they
//! do not move when the built-in rules are tuned. Only a few robust built-in examples are used:
//! "I'm so lazy." (labeling) and "I want to die." (crisis).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod checks;

use checks::cli::{code, json, jsonl, kindly, run, run_with_stdin, stderr, stdout};
use checks::temp::TempDir;
use std::path::{Path, PathBuf};
use std::process::Command;

const PACK: &str = r#"[pack]
id = "test-pack"
version = "0.1.0"
language = "en"
license = "CC0-1.0"
description = "A tiny pack for the CLI tests."

[[rule]]
id = "test.gremlin"
category = "labeling"
severity = "moderate"
triggers = ["grumpy gremlin"]
message = "“grumpy gremlin” is a harsh name to call yourself."
why = "Only for tests."
[[rule.reframe]]
text = "I'm having a grumpy moment, and that's allowed."
[[rule.reframe]]
text = "Grumpy days happen to everyone."
[rule.examples]
flag = ["I'm a [grumpy gremlin] today.", "Honestly I am such a [grumpy gremlin]."]
pass = ["The cat is a grumpy gremlin.", "Gremlins are grumpy."]

[[rule]]
id = "test.goblin"
category = "self_attack"
severity = "high"
triggers = ["goblin brain"]
message = "That's a harsh thing to say to yourself."
[[rule.reframe]]
text = "My brain is doing its best today."
[rule.examples]
flag = ["I have such a [goblin brain] today.", "Ugh, my [goblin brain] again."]
pass = ["The goblin has a brain.", "Goblins are fun."]
"#;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The paths of the findings of a `--format jsonl` run, in output order, with `/` separators.
fn checked_paths(o: &std::process::Output) -> Vec<String> {
    jsonl(o)
        .iter()
        .map(|v| v["path"].as_str().unwrap().replace('\\', "/"))
        .collect()
}

/// The test pack, written to `pack.toml` in `dir`.
fn write_pack(dir: &TempDir) -> PathBuf {
    dir.write("pack.toml", PACK)
}

/// How many crisis rules the built-in pack has: an engine keeps them on when none of its packs
/// has crisis rules of its own, as with the test pack alone (README, Safety).
fn crisis_rule_count() -> usize {
    kindly::Engine::new()
        .unwrap()
        .rules()
        .filter(|r| r.category() == kindly::Category::Crisis)
        .count()
}

/// `kindly --no-default-packs --pack pack.toml ARGS...` in `dir`.
fn with_pack(dir: &TempDir, args: &[&str]) -> Command {
    let pack = write_pack(dir);
    let mut cmd = kindly(dir.path());
    cmd.arg("--no-default-packs")
        .arg("--pack")
        .arg(pack)
        .args(args);
    cmd
}

// ---------------------------------------------------------------------------------------------
// check: exit codes, human output
// ---------------------------------------------------------------------------------------------

#[test]
fn exit_0_when_nothing_is_found() {
    let dir = TempDir::new("cli");
    let o = run_with_stdin(
        kindly(dir.path()).arg("check"),
        "Made pancakes and called Mum.\n",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "", "a clean run prints nothing");
}

#[test]
fn exit_1_for_a_builtin_label() {
    let dir = TempDir::new("cli");
    let o = run_with_stdin(kindly(dir.path()).arg("check"), "I'm so lazy.\n");
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.starts_with("<stdin>:1:1  labeling  \"I'm so lazy\""),
        "{out}"
    );
    assert!(out.contains("kinder ways to say it:"), "{out}");
    assert_eq!(stderr(&o), "1 note in 1 file\n");
}

#[test]
fn human_output_is_exact() {
    let dir = TempDir::new("cli");
    dir.write(
        "today.txt",
        "Slept badly.\nWell, I am a grumpy gremlin today.\n",
    );
    let o = run(with_pack(&dir, &["check", "today.txt"]));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "\
today.txt:2:14  labeling  \"grumpy gremlin\"  (harsh label)  test.gremlin
  |
2 | Well, I am a grumpy gremlin today.
  |              ^^^^^^^^^^^^^^ “grumpy gremlin” is a harsh name to call yourself.
  |
  kinder ways to say it:
  - I'm having a grumpy moment, and that's allowed.
  - Grumpy days happen to everyone.

"
    );
    assert_eq!(stderr(&o), "1 note in 1 file\n");
}

#[test]
fn human_output_aligns_tabs_emoji_and_cjk() {
    let dir = TempDir::new("cli");
    dir.write("w.txt", "Hello.\n\t😀 日本 I am a grumpy gremlin.\n");
    let o = run(with_pack(&dir, &["check", "--max-reframes", "0", "w.txt"]));
    assert_eq!(code(&o), 1);
    // Columns count characters; the underline accounts for display width (tab = 4,
    // emoji and CJK = 2 each).
    assert_eq!(
        stdout(&o),
        "\
w.txt:2:14  labeling  \"grumpy gremlin\"  (harsh label)  test.gremlin
  |
2 |     😀 日本 I am a grumpy gremlin.
  |                    ^^^^^^^^^^^^^^ “grumpy gremlin” is a harsh name to call yourself.

"
    );
}

#[test]
fn several_notes_and_the_summary() {
    let dir = TempDir::new("cli");
    dir.write(
        "a.txt",
        "I am a grumpy gremlin. Ugh, my goblin brain again.\n",
    );
    dir.write("b.txt", "A calm day.\n");
    let o = run(with_pack(&dir, &["check", "a.txt", "b.txt"]));
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let headers: Vec<&str> = out.lines().filter(|l| l.starts_with("a.txt:")).collect();
    assert_eq!(
        headers,
        [
            "a.txt:1:8  labeling  \"grumpy gremlin\"  (harsh label)  test.gremlin",
            "a.txt:1:32  self_attack  \"goblin brain\"  (harsh self-talk)  test.goblin",
        ]
    );
    assert_eq!(stderr(&o), "2 notes in 1 of 2 files\n");
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let dir = TempDir::new("cli");
    dir.write("esc.txt", "\x1b[31mred\x1b[0m I am a grumpy gremlin.\n");
    let o = run(with_pack(&dir, &["check", "esc.txt"]));
    assert_eq!(code(&o), 1);
    assert!(!o.stdout.contains(&0x1b), "{:?}", stdout(&o));
}

#[test]
fn color_can_be_forced() {
    let dir = TempDir::new("cli");
    let o = run_with_stdin(
        with_pack(&dir, &["check", "--color", "always"]),
        "I am a grumpy gremlin.",
    );
    assert_eq!(code(&o), 1);
    assert!(
        o.stdout.contains(&0x1b),
        "--color always overrides NO_COLOR"
    );
    let o = run_with_stdin(
        with_pack(&dir, &["check", "--color", "never"]).env("CLICOLOR_FORCE", "1"),
        "I am a grumpy gremlin.",
    );
    assert!(!o.stdout.contains(&0x1b));
}

#[test]
fn max_reframes_limits_and_zero_hides() {
    let dir = TempDir::new("cli");
    let o = run_with_stdin(
        with_pack(&dir, &["check", "--max-reframes", "1"]),
        "I am a grumpy gremlin.",
    );
    let out = stdout(&o);
    assert!(out.contains("- I'm having a grumpy moment"), "{out}");
    assert!(!out.contains("- Grumpy days"), "{out}");
    let o = run_with_stdin(
        with_pack(&dir, &["check", "--max-reframes", "0", "--format", "json"]),
        "I am a grumpy gremlin.",
    );
    assert_eq!(
        json(&o)["files"][0]["findings"][0]["reframes"],
        serde_json::json!([])
    );
    let o = run_with_stdin(with_pack(&dir, &["check", "--max-reframes", "4"]), "x");
    assert_eq!(code(&o), 2);
}

// ---------------------------------------------------------------------------------------------
// check: JSON and JSON Lines
// ---------------------------------------------------------------------------------------------

#[test]
fn json_document_shape_and_positions() {
    let dir = TempDir::new("cli");
    // An emoji (4 bytes, 2 UTF-16 units) and é (2 bytes) before the match.
    dir.write("u.txt", "Fine.\n😀 é I am a grumpy gremlin.\n");
    let o = run(with_pack(&dir, &["check", "--format", "json", "u.txt"]));
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(v["version"], 1);
    assert_eq!(
        v["summary"],
        serde_json::json!({"files": 1, "findings": 1, "errors": 0})
    );
    let file = &v["files"][0];
    assert_eq!(file["path"], "u.txt");
    assert!(file["support"].is_null());
    assert!(file["error"].is_null());
    let f = &file["findings"][0];
    assert_eq!(f["rule"], "test.gremlin");
    assert_eq!(f["category"], "labeling");
    assert_eq!(f["severity"], "moderate");
    assert_eq!(f["text"], "grumpy gremlin");
    // "Fine.\n" is 6 bytes; then 😀(4) + ' ' + é(2) + ' ' + "I am a " = 15 bytes.
    assert_eq!(f["bytes"], serde_json::json!({"start": 21, "end": 35}));
    assert_eq!(f["chars"], serde_json::json!({"start": 17, "end": 31}));
    assert_eq!(f["utf16"], serde_json::json!({"start": 18, "end": 32}));
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(12))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(2), Some(26))
    );
    assert_eq!(f["reframes"].as_array().map(Vec::len), Some(2));
    assert_eq!(f["reframes_withheld"], false);
}

#[test]
fn json_reports_errors_in_place() {
    let dir = TempDir::new("cli");
    dir.write("a.txt", "I am a grumpy gremlin.");
    let o = run(with_pack(
        &dir,
        &["check", "--format", "json", "a.txt", "nope.md"],
    ));
    assert_eq!(code(&o), 2, "an input error wins over findings");
    let v = json(&o);
    assert_eq!(
        v["summary"],
        serde_json::json!({"files": 2, "findings": 1, "errors": 1})
    );
    assert_eq!(v["files"][1]["path"], "nope.md");
    assert_eq!(
        v["files"][1]["error"],
        "cannot read: no such file or directory"
    );
    assert_eq!(v["files"][1]["findings"], serde_json::json!([]));
    assert!(stderr(&o).contains("kindly: nope.md: cannot read: no such file or directory"));
}

#[test]
fn jsonl_has_one_line_per_finding_and_error() {
    let dir = TempDir::new("cli");
    dir.write(
        "a.txt",
        "I am a grumpy gremlin. Ugh, my goblin brain again.\n",
    );
    dir.write("b.txt", "I am a grumpy gremlin.\n");
    let o = run(with_pack(
        &dir,
        &[
            "check",
            "--format",
            "jsonl",
            "a.txt",
            "missing.txt",
            "b.txt",
        ],
    ));
    assert_eq!(code(&o), 2);
    let lines = jsonl(&o);
    assert_eq!(lines.len(), 4, "{}", stdout(&o));
    let kinds: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["type"].as_str().unwrap(), l["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("finding", "a.txt"),
            ("finding", "a.txt"),
            ("error", "missing.txt"),
            ("finding", "b.txt"),
        ]
    );
    assert_eq!(lines[1]["category"], "self_attack");
    assert_eq!(lines[0]["bytes"]["start"], 7);
    assert_eq!(
        lines[2]["message"],
        "cannot read: no such file or directory"
    );
}

// ---------------------------------------------------------------------------------------------
// check: inputs
// ---------------------------------------------------------------------------------------------

#[test]
fn stdin_dash_and_no_path() {
    let dir = TempDir::new("cli");
    let o = run_with_stdin(
        with_pack(&dir, &["check", "-", "--format", "jsonl"]),
        "I am a grumpy gremlin.",
    );
    assert_eq!(code(&o), 1);
    let lines = jsonl(&o);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["path"], "<stdin>");
    // No PATH and a stdin that is not a terminal: stdin is read.
    let o = run(with_pack(&dir, &["check"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn stdin_is_plain_unless_markdown_is_asked() {
    let dir = TempDir::new("cli");
    let text = "`I am a grumpy gremlin`\n";
    let o = run_with_stdin(with_pack(&dir, &["check", "--format", "jsonl"]), text);
    assert_eq!(jsonl(&o).len(), 1);
    let o = run_with_stdin(
        with_pack(&dir, &["check", "--markdown", "--format", "jsonl"]),
        text,
    );
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), "");
}

#[test]
fn folders_recurse_in_sorted_order() {
    let dir = TempDir::new("cli");
    let line = "I am a grumpy gremlin.\n";
    dir.write("notes/b.md", line);
    dir.write("notes/a.txt", line);
    dir.write("notes/sub/c.markdown", line);
    dir.write("notes/sub/a.md", line);
    dir.write("notes/zz.txt", line);
    dir.write("notes/skip.rs", line);
    dir.write("notes/.hidden/x.md", line);
    dir.write("notes/.secret.md", line);
    dir.write("notes/target/x.md", line);
    dir.write("notes/node_modules/x.md", line);
    let o = run(with_pack(&dir, &["check", "--format", "jsonl", "notes"]));
    assert_eq!(code(&o), 1);
    let paths = checked_paths(&o);
    assert_eq!(
        paths,
        [
            "notes/a.txt",
            "notes/b.md",
            "notes/sub/a.md",
            "notes/sub/c.markdown",
            "notes/zz.txt"
        ]
    );
    // A file named explicitly is checked whatever its extension.
    let o = run(with_pack(&dir, &["check", "notes/skip.rs"]));
    assert_eq!(code(&o), 1);
}

#[test]
fn folders_honour_ignore_files_unless_told_not_to() {
    let dir = TempDir::new("cli");
    let line = "I am a grumpy gremlin.\n";
    // .gitignore counts inside a git repository (as for git and ripgrep), .ignore anywhere.
    std::fs::create_dir_all(dir.path().join("notes/.git")).unwrap();
    dir.write("notes/.gitignore", "secret.md\n");
    dir.write("notes/.ignore", "drafts/\n");
    dir.write("notes/a.md", line);
    dir.write("notes/secret.md", line);
    dir.write("notes/drafts/b.md", line);
    let paths = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["check", "--format", "jsonl"];
        args.extend_from_slice(extra);
        args.push("notes");
        let o = run(with_pack(&dir, &args));
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        jsonl(&o)
            .iter()
            .map(|l| l["path"].as_str().unwrap().replace('\\', "/"))
            .collect()
    };
    assert_eq!(paths(&[]), ["notes/a.md"]);
    assert_eq!(
        paths(&["--no-ignore"]),
        ["notes/a.md", "notes/drafts/b.md", "notes/secret.md"]
    );
    // What the user names is checked, ignored or not.
    let o = run(with_pack(
        &dir,
        &["check", "notes/secret.md", "notes/drafts"],
    ));
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).starts_with("notes/secret.md:1:8  "),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("\nnotes/drafts/b.md:1:8  "),
        "{}",
        stdout(&o)
    );
    // A folder whose files are all ignored says so, and how to check them anyway.
    dir.write("quiet/.ignore", "*.md\n");
    dir.write("quiet/x.md", line);
    let o = run(with_pack(&dir, &["check", "quiet"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: quiet: no text or Markdown files in this folder (.txt, .md, .markdown, .mdx, \
         .qmd, .rmd) (or all of them are ignored by .gitignore or .ignore; --no-ignore checks \
         them)\nkindly: no file was checked\n"
    );
}

#[test]
fn a_folder_with_nothing_to_check_is_an_error_unless_something_else_was_checked() {
    let dir = TempDir::new("cli");
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    let o = run(with_pack(&dir, &["check", "empty"]));
    assert_eq!(
        code(&o),
        2,
        "a CI job pointed at the wrong folder must not pass"
    );
    assert_eq!(
        stderr(&o),
        "kindly: empty: no text or Markdown files in this folder (.txt, .md, .markdown, .mdx, \
         .qmd, .rmd)\nkindly: no file was checked\n"
    );
    let o = run(with_pack(&dir, &["check", "--format", "json", "empty"]));
    assert_eq!(code(&o), 2);
    assert_eq!(json(&o)["summary"]["files"], 0);
    // With another input that was checked, the empty folder is only a note.
    dir.write("day.txt", "Pancakes.\n");
    let o = run(with_pack(&dir, &["check", "empty", "day.txt"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).starts_with("kindly: empty: no text or Markdown files"));
    // Every Markdown dialect kindly reads is found in folders, not only .md.
    dir.write("dialects/a.mdx", "I'm a grumpy gremlin.\n");
    dir.write("dialects/b.qmd", "I'm a grumpy gremlin.\n");
    dir.write("dialects/c.rmd", "I'm a grumpy gremlin.\n");
    dir.write("dialects/d.html", "I'm a grumpy gremlin.\n");
    let o = run(with_pack(&dir, &["check", "--format", "jsonl", "dialects"]));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let paths = checked_paths(&o);
    assert_eq!(
        paths,
        ["dialects/a.mdx", "dialects/b.qmd", "dialects/c.rmd"]
    );
    // A file reached twice is checked once, where it first comes.
    let o = run(with_pack(
        &dir,
        &[
            "check",
            "--format",
            "jsonl",
            "dialects/b.qmd",
            "dialects",
            "./dialects/b.qmd",
        ],
    ));
    let paths = checked_paths(&o);
    assert_eq!(
        paths,
        ["dialects/b.qmd", "dialects/a.mdx", "dialects/c.rmd"]
    );
}

/// Nothing in a folder is left out in silence: files of other types are counted (naming them
/// checks them), a link that leads nowhere is an error like a missing file named outright, and
/// a pattern the shell did not expand says so.
#[test]
fn folder_walks_say_what_they_leave_out() {
    let dir = TempDir::new("cli");
    dir.write("notes/a.md", "Pancakes.\n");
    dir.write("notes/b.rst", "I am a grumpy gremlin.\n");
    dir.write("notes/sub/c.org", "I am a grumpy gremlin.\n");
    dir.write("notes/sub/d.org", "I am a grumpy gremlin.\n");
    dir.write("notes/README", "I am a grumpy gremlin.\n");
    let o = run(with_pack(&dir, &["check", "notes"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "kindly: notes: 4 files of other types not checked (.org, .rst and 1 without an \
         extension); name them to check them as plain text\n"
    );
    let o = run(with_pack(&dir, &["check", "notes/b.rst"]));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // A folder of text files only has nothing to say.
    dir.write("plain/a.txt", "Pancakes.\n");
    let o = run(with_pack(&dir, &["check", "plain"]));
    assert_eq!((code(&o), stderr(&o).as_str()), (0, ""));

    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/nonexistent/x.md", dir.path().join("plain/broken.md"))
            .unwrap();
        std::os::unix::fs::symlink("../notes", dir.path().join("plain/elsewhere")).unwrap();
        let o = run(with_pack(&dir, &["check", "plain"]));
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        assert_eq!(
            stderr(&o),
            "kindly: plain: 1 link to a folder not followed\n\
             kindly: plain/broken.md: cannot read: no such file or directory (a link to \
             '/nonexistent/x.md')\n\
             1 file could not be checked\n"
        );
    }

    let o = run(with_pack(&dir, &["check", "notes/*.txt"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: notes/*.txt: cannot read: no such file or directory; it looks like a pattern \
         the shell did not expand (it matched no file, or it was quoted): name the files, or a \
         folder to check every text and Markdown file in it\n\
         1 file could not be checked\n"
    );
}

#[test]
fn markdown_code_spans_are_skipped() {
    let dir = TempDir::new("cli");
    dir.write(
        "day.md",
        "Code: `I am a grumpy gremlin` here.\n\n```\nI am a grumpy gremlin\n```\n\nI am a grumpy gremlin today.\n",
    );
    let o = run(with_pack(&dir, &["check", "--format", "jsonl", "day.md"]));
    let lines = jsonl(&o);
    assert_eq!(lines.len(), 1, "{}", stdout(&o));
    assert_eq!(lines[0]["line"], 7);
    // --plain reads the same file as plain text.
    let o = run(with_pack(
        &dir,
        &["check", "--plain", "--format", "jsonl", "day.md"],
    ));
    assert!(jsonl(&o).len() > 1, "{}", stdout(&o));
    // The Markdown dialects the LSP server reads as Markdown are Markdown here too.
    for name in ["day.mdx", "day.QMD", "day.rmd"] {
        dir.write(
            name,
            "Code: `I am a grumpy gremlin` here.\n\n    I am a grumpy gremlin\n\nI am a grumpy gremlin today.\n",
        );
        let o = run(with_pack(&dir, &["check", "--format", "jsonl", name]));
        let lines = jsonl(&o);
        assert_eq!(lines.len(), 1, "{name}: {}", stdout(&o));
        assert_eq!(lines[0]["line"], 5, "{name}");
    }
}

#[test]
fn non_utf8_file_is_reported_and_others_still_checked() {
    let dir = TempDir::new("cli");
    dir.write("a.txt", "I am a grumpy gremlin.\n");
    dir.write("bad.txt", b"ok \xff\xfe then\n");
    dir.write("c.txt", "I am a grumpy gremlin.\n");
    let o = run(with_pack(&dir, &["check", "a.txt", "bad.txt", "c.txt"]));
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("kindly: bad.txt:1:4: not valid UTF-8 (first bad byte at offset 3); "),
        "{err}"
    );
    assert!(!err.contains("then"), "error messages never echo the text");
    let out = stdout(&o);
    assert!(out.contains("a.txt:1:8"), "{out}");
    assert!(out.contains("c.txt:1:8"), "{out}");
    assert!(
        err.ends_with("2 notes in 2 of 3 files; 1 file could not be checked\n"),
        "{err}"
    );
    // The line and column count characters, as an editor shows them.
    dir.write("later.txt", b"Line one.\nCaf\xc3\xa9 \xe9t\xe9.\n");
    let o = run(with_pack(&dir, &["check", "later.txt"]));
    assert_eq!(
        stderr(&o),
        "kindly: later.txt:2:6: not valid UTF-8 (first bad byte at offset 16); it may be Latin-1 \
         or Windows-1252: save it as UTF-8 (an editor's encoding setting) and try again, or use \
         --lossy\n\
         1 file could not be checked\n"
    );
    // Standard input is not a file to save from an editor.
    let mut cmd = with_pack(&dir, &["check"]);
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"Caf\xe9\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: <stdin>:1:4: not valid UTF-8 (first bad byte at offset 3); it may be Latin-1 or \
         Windows-1252: convert it to UTF-8 before piping it in (for example with iconv -f \
         WINDOWS-1252 -t UTF-8), or use --lossy\n\
         1 file could not be checked\n"
    );
    // A program or an image is not a badly saved text: no encoding advice for it.
    dir.write(
        "tool.txt",
        b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe\x00\x00",
    );
    let o = run(with_pack(&dir, &["check", "tool.txt"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: tool.txt:1:11: not valid UTF-8 (first bad byte at offset 10); it looks like a \
         binary file, not text (kindly checks text and Markdown files)\n\
         1 file could not be checked\n"
    );
}

/// A UTF-8 byte-order mark (Notepad writes one) is taken off before the text is analysed:
/// line:column are what an editor shows, which does not count it, while the JSON offsets still
/// index the file as a UTF-8 decoder reads it, mark included (3 bytes, 1 char, 1 UTF-16 unit),
/// so `file[bytes]` is the match. Read whole, streamed or from standard input, the same.
#[test]
fn a_byte_order_mark_is_not_a_column_but_json_offsets_index_the_file() {
    let dir = TempDir::new("cli");
    let text = "\u{FEFF}I am a grumpy gremlin.\nUgh, my goblin brain again.\n";
    let bom = dir.write("bom.txt", text);
    dir.write("bom.md", text);
    let o = run(with_pack(
        &dir,
        &["check", "--max-reframes", "0", "bom.txt", "bom.md"],
    ));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let notes = "\
bom.txt:1:8  labeling  \"grumpy gremlin\"  (harsh label)  test.gremlin
  |
1 | I am a grumpy gremlin.
  |        ^^^^^^^^^^^^^^ “grumpy gremlin” is a harsh name to call yourself.

bom.txt:2:9  self_attack  \"goblin brain\"  (harsh self-talk)  test.goblin
  |
2 | Ugh, my goblin brain again.
  |         ^^^^^^^^^^^^ That's a harsh thing to say to yourself.

";
    assert_eq!(
        stdout(&o),
        format!("{notes}{}", notes.replace("bom.txt", "bom.md"))
    );

    // "\u{FEFF}I am a " is 10 bytes, 8 chars and 8 UTF-16 units; line 2 starts at byte 26.
    let expected = [
        ((10, 24), (8, 22), (1, 8, 1, 22)),
        ((34, 46), (32, 44), (2, 9, 2, 21)),
    ];
    let check = |findings: &[serde_json::Value], what: &str| {
        assert_eq!(findings.len(), 2, "{what}");
        let file = std::fs::read(&bom).unwrap();
        for (f, ((b0, b1), (c0, c1), (l0, col0, l1, col1))) in findings.iter().zip(expected) {
            assert_eq!(
                f["bytes"],
                serde_json::json!({"start": b0, "end": b1}),
                "{what}"
            );
            assert_eq!(
                f["chars"],
                serde_json::json!({"start": c0, "end": c1}),
                "{what}"
            );
            assert_eq!(
                f["utf16"],
                serde_json::json!({"start": c0, "end": c1}),
                "{what}"
            );
            let at = [&f["line"], &f["column"], &f["end_line"], &f["end_column"]];
            assert_eq!(at, [l0, col0, l1, col1], "{what}");
            assert_eq!(
                f["text"].as_str().unwrap().as_bytes(),
                &file[b0..b1],
                "{what}: the bytes index the file"
            );
        }
    };
    let o = run(with_pack(&dir, &["check", "--format", "json", "bom.txt"]));
    check(json(&o)["files"][0]["findings"].as_array().unwrap(), "json");
    let o = run(with_pack(&dir, &["check", "--format", "jsonl", "bom.md"]));
    check(&jsonl(&o), "jsonl");
    let o = run_with_stdin(with_pack(&dir, &["check", "--format", "jsonl"]), text);
    check(&jsonl(&o), "stdin");
    // `kindly trace` counts the same way.
    let o = run(with_pack(
        &dir,
        &[
            "trace", "--rule", "test.", "--format", "json", "--file", "bom.txt",
        ],
    ));
    let first = &json(&o)["steps"][0];
    assert_eq!(
        serde_json::json!([first["line"], first["column"], first["matched"]]),
        serde_json::json!([1, 8, [10, 24]])
    );

    // Streamed, a large file gives the same, its lines read back from after the mark.
    let pack = write_pack(&dir);
    let pack = pack.to_str().unwrap();
    for format in ["human", "json", "jsonl"] {
        assert_streamed_equals_whole(
            dir.path(),
            &[
                "--no-default-packs",
                "--pack",
                pack,
                "check",
                "--format",
                format,
                "bom.txt",
            ],
            1,
        );
    }
    // kindly never writes to the files it checks: the mark is still there.
    assert_eq!(std::fs::read(&bom).unwrap(), text.as_bytes());
}

#[test]
fn missing_file_is_an_input_error() {
    let dir = TempDir::new("cli");
    let o = run(kindly(dir.path()).args(["check", "nope.md"]));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).starts_with("kindly: nope.md: cannot read: no such file or directory\n"));
    assert_eq!(stdout(&o), "");
}

// ---------------------------------------------------------------------------------------------
// Global options
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_pack_error_is_located() {
    let dir = TempDir::new("cli");
    let bad = PACK.replacen("category = \"labeling\"", "category = \"labelling\"", 1);
    let line = bad.lines().position(|l| l.contains("labelling")).unwrap() + 1;
    dir.write("bad.toml", &bad);
    let o = run_with_stdin(
        kindly(dir.path()).args(["--no-default-packs", "--pack", "bad.toml", "check"]),
        "x",
    );
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "kindly: bad.toml:{line}:12: rule 'test.gremlin': unknown category 'labelling'"
        )),
        "{err}"
    );
}

#[test]
fn disable_category() {
    let dir = TempDir::new("cli");
    let text = "I am a grumpy gremlin. Ugh, my goblin brain again.";
    // After the subcommand, comma-separated.
    let o = run_with_stdin(
        with_pack(
            &dir,
            &[
                "check",
                "--format",
                "jsonl",
                "--disable-category",
                "labeling,self_attack",
            ],
        ),
        text,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Before the subcommand.
    let o = run_with_stdin(
        with_pack(
            &dir,
            &[
                "--disable-category",
                "self_attack",
                "check",
                "--format",
                "jsonl",
            ],
        ),
        text,
    );
    let lines = jsonl(&o);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["category"], "labeling");
    // Built-in example.
    let o = run_with_stdin(
        kindly(dir.path()).args(["check", "--disable-category", "labeling"]),
        "I'm so lazy.",
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn disable_category_rejects_unknown_ids_and_crisis() {
    let dir = TempDir::new("cli");
    let o = run_with_stdin(
        kindly(dir.path()).args(["check", "--disable-category", "labelling"]),
        "x",
    );
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("unknown category"), "{err}");
    assert!(
        err.contains("labeling, comparison, overgeneralization"),
        "{err}"
    );
    let o = run_with_stdin(
        kindly(dir.path()).args(["check", "--disable-category", "crisis"]),
        "x",
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("crisis category cannot be turned off"));
}

#[test]
fn disable_rule() {
    let dir = TempDir::new("cli");
    let text = "I am a grumpy gremlin. Ugh, my goblin brain again.";
    let o = run_with_stdin(
        with_pack(
            &dir,
            &[
                "check",
                "--format",
                "jsonl",
                "--disable-rule",
                "test.gremlin",
            ],
        ),
        text,
    );
    let lines = jsonl(&o);
    assert_eq!(lines.len(), 1, "{}", stdout(&o));
    assert_eq!(lines[0]["rule"], "test.goblin");
    // Comma-separated, before the subcommand: nothing is left.
    let o = run_with_stdin(
        with_pack(
            &dir,
            &[
                "--disable-rule",
                "test.gremlin, test.goblin",
                "check",
                "--format",
                "jsonl",
            ],
        ),
        text,
    );
    assert_eq!(code(&o), 0);
    // `kindly rules` still lists it, marked.
    let o = kindly(dir.path())
        .args(["--disable-rule", "labeling.fragment", "rules"])
        .output()
        .unwrap();
    let row = stdout(&o)
        .lines()
        .find(|l| l.starts_with("labeling.fragment "))
        .unwrap_or("")
        .to_string();
    assert!(row.ends_with("en-core  (turned off)"), "{row}");
    let o = kindly(dir.path())
        .args([
            "--disable-rule",
            "labeling.fragment",
            "rules",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let off: Vec<&str> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["off"] == true)
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(off, ["labeling.fragment"]);
    let o = kindly(dir.path())
        .args([
            "--disable-rule",
            "labeling.fragment",
            "explain",
            "labeling.fragment",
        ])
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("\n  status:   turned off (by --disable-rule)\n"),
        "{}",
        stdout(&o)
    );
    // A rule that is off is not tested either, and the summary says so.
    let o = kindly(dir.path())
        .args(["--disable-category", "labeling", "test-rules"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let labeling = kindly::Engine::new()
        .unwrap()
        .rules()
        .filter(|r| r.category() == kindly::Category::Labeling)
        .count();
    let last = stdout(&o).lines().last().unwrap_or("").to_string();
    assert!(
        last.ends_with(&format!(
            " 0 failed ({labeling} rules turned off, not tested)"
        )),
        "{last}"
    );
}

#[test]
fn disable_rule_names_the_closest_ids_and_refuses_crisis() {
    let dir = TempDir::new("cli");
    let run = |id: &str| {
        let o = run_with_stdin(
            kindly(dir.path()).args(["check", "--disable-rule", id]),
            "x",
        );
        (code(&o), stderr(&o))
    };
    assert_eq!(
        run("labelling.self-adjective"),
        (
            2,
            "kindly: no loaded rule 'labelling.self-adjective' to turn off; did you mean \
             'labeling.self-adjective'?\n"
                .to_string()
        )
    );
    assert_eq!(
        run("zzz"),
        (
            2,
            "kindly: no loaded rule 'zzz' to turn off (`kindly rules` lists every rule)\n"
                .to_string()
        )
    );
    // Crisis rules are never offered: following the hint would only be refused again.
    assert_eq!(
        run("foo"),
        (
            2,
            "kindly: no loaded rule 'foo' to turn off (`kindly rules` lists every rule)\n"
                .to_string()
        )
    );
    assert_eq!(
        run("crisis.my-deth"),
        (
            2,
            "kindly: no loaded rule 'crisis.my-deth', and crisis rules cannot be turned off \
             anyway: crisis language is always caught (see README, Safety)\n"
                .to_string()
        )
    );
    assert_eq!(
        run("labeling"),
        (
            2,
            "kindly: 'labeling' is a category, not a rule: turn it off as a category instead\n"
                .to_string()
        )
    );
    assert_eq!(
        run("crisis.want-to-die"),
        (
            2,
            "kindly: rule 'crisis.want-to-die' cannot be turned off: crisis language is always \
             caught (see README, Safety)\n"
                .to_string()
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Crisis
// ---------------------------------------------------------------------------------------------

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn crisis_shows_support_and_never_the_words() {
    let dir = TempDir::new("cli");
    let text = "I'm so lazy. I want to die.\n";
    let support = kindly::Engine::new()
        .unwrap()
        .analyze(text)
        .support
        .expect("crisis language is always caught");
    let o = run_with_stdin(kindly(dir.path()).arg("check"), text);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.starts_with("<stdin>:1:14  support\n"), "{out}");
    assert!(
        collapse(&out).contains(&collapse(&support.message)),
        "{out}"
    );
    for r in &support.resources {
        assert!(out.contains(&r.contact), "{out}");
    }
    assert!(!out.to_lowercase().contains("want to die"), "{out}");
    assert!(
        !out.contains("lazy"),
        "tier A: the thinking trap is set aside: {out}"
    );
    assert!(!out.contains("kinder ways"), "{out}");
    assert!(!out.contains(" | "), "no snippet of the line: {out}");
    assert!(
        out.contains("1 other note in this file is set aside for now."),
        "{out}"
    );
    assert!(!stderr(&o).contains("die"));
}

/// The test pack plus a tier-B crisis rule and support text of its own.
fn crisis_pack(tier: &str) -> String {
    format!(
        r#"{PACK}
[[rule]]
id = "test.storm"
category = "crisis"
severity = "crisis"
tier = "{tier}"
triggers = ["storm cloud"]
message = "This sounds heavy."
[rule.examples]
flag = ["The [storm cloud] is back.", "I feel the [storm cloud] again."]
pass = ["A storm is coming.", "Clouds today."]

[support]
default-locale = "en-US"

[support.locales."en-US"]
tier-a = "Test tier A message."
tier-b = "Test tier B message: someone is there for you."
someone-else = "Test someone-else message."
resources = [
  {{ name = "Test Line", contact = "call 000-TEST", region = "Testland" }},
  {{ name = "Test Emergency", contact = "call 999-TEST", emergency = true }},
]
"#
    )
}

const STORMY: &str = "Calm start.\nI am a grumpy gremlin and the storm cloud is back. \
                      I am a grumpy gremlin again.\nLater I am a grumpy gremlin.\n";

#[test]
fn crisis_tier_b_leads_and_hides_its_line() {
    let dir = TempDir::new("cli");
    dir.write("crisis.toml", crisis_pack("b"));
    dir.write("t.txt", STORMY);
    let o = run(kindly(dir.path()).args([
        "--no-default-packs",
        "--pack",
        "crisis.toml",
        "check",
        "t.txt",
    ]));
    assert_eq!(code(&o), 1);
    // The support panel first; the note in the crisis sentence is set aside; the note in
    // another sentence of the same line is shown without the line; later lines as usual.
    assert_eq!(
        stdout(&o),
        "\
t.txt:2:31  support
  Test tier B message: someone is there for you.

  - Test Line: call 000-TEST (Testland)
  - Test Emergency: call 999-TEST

  1 other note near it is set aside for now.

t.txt:2:59  labeling  \"grumpy gremlin\"  (harsh label)  test.gremlin
  “grumpy gremlin” is a harsh name to call yourself.
  kinder ways to say it:
  - I'm having a grumpy moment, and that's allowed.
  - Grumpy days happen to everyone.

t.txt:3:14  labeling  \"grumpy gremlin\"  (harsh label)  test.gremlin
  |
3 | Later I am a grumpy gremlin.
  |              ^^^^^^^^^^^^^^ “grumpy gremlin” is a harsh name to call yourself.
  |
  kinder ways to say it:
  - I'm having a grumpy moment, and that's allowed.
  - Grumpy days happen to everyone.

"
    );
    assert!(!stdout(&o).contains("storm"));
    assert_eq!(
        stderr(&o),
        "2 notes in 1 file; a support message for 1 file\n"
    );
}

#[test]
fn crisis_tier_a_takes_over_the_file() {
    let dir = TempDir::new("cli");
    dir.write("crisis.toml", crisis_pack("a"));
    dir.write("t.txt", STORMY);
    let o = run(kindly(dir.path()).args([
        "--no-default-packs",
        "--pack",
        "crisis.toml",
        "check",
        "t.txt",
    ]));
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "\
t.txt:2:31  support
  Test tier A message.

  - Test Line: call 000-TEST (Testland)
  - Test Emergency: call 999-TEST

  3 other notes in this file are set aside for now.

"
    );
}

#[test]
fn crisis_in_json_has_offsets_only() {
    let dir = TempDir::new("cli");
    let o = run_with_stdin(
        kindly(dir.path()).args(["check", "--format", "json"]),
        "I'm so lazy. I want to die.\n",
    );
    assert_eq!(code(&o), 1);
    let v = json(&o);
    let file = &v["files"][0];
    assert_eq!(file["support"]["tier"], "a");
    let findings = file["findings"].as_array().unwrap();
    let crisis: Vec<_> = findings
        .iter()
        .filter(|f| f["category"] == "crisis")
        .collect();
    assert_eq!(crisis.len(), 1);
    assert!(crisis[0]["text"].is_null());
    assert_eq!(crisis[0]["line"], 1);
    for f in findings {
        assert_eq!(f["reframes"], serde_json::json!([]));
    }
    assert!(!stdout(&o).to_lowercase().contains("want to die"));
    // jsonl: the support line comes first.
    let o = run_with_stdin(
        kindly(dir.path()).args(["check", "--format", "jsonl"]),
        "I want to die.\n",
    );
    let lines = jsonl(&o);
    assert_eq!(lines[0]["type"], "support");
    assert!(lines[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(!stdout(&o).to_lowercase().contains("want to die"));
}

/// DOMAIN.md §2.5: "if I were better he wouldn't beat me" is an abuse disclosure, not
/// personalization. The file shows only the abuse support panel, in text and in JSON.
#[test]
fn abuse_disclosure_shows_the_abuse_support_panel_only() {
    let dir = TempDir::new("cli");
    let text = "he hits me when I'm late. If I were better he wouldn't beat me.\n";
    let support = kindly::Engine::new()
        .unwrap()
        .analyze(text)
        .support
        .expect("abuse is caught");
    let o = run_with_stdin(kindly(dir.path()).arg("check"), text);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.starts_with("<stdin>:1:1  support  (also 1:27)\n"),
        "{out}"
    );
    assert!(
        collapse(&out).contains(&collapse(&support.message)),
        "{out}"
    );
    assert!(
        out.contains("- National Domestic Violence Hotline: call 1-800-799-7233"),
        "{out}"
    );
    for absent in [
        "personalization",
        "carrying all the blame",
        "kinder ways",
        "988",
        "beat",
        "hits me",
    ] {
        assert!(!out.contains(absent), "{absent:?} in {out}");
    }

    let o = run_with_stdin(kindly(dir.path()).args(["check", "--format", "json"]), text);
    let v = json(&o);
    let file = &v["files"][0];
    assert_eq!(file["support"]["tier"], "abuse");
    for f in file["findings"].as_array().unwrap() {
        assert_eq!(f["category"], "crisis");
        assert_eq!(f["tier"], "abuse");
        assert_eq!(f["tags"], serde_json::json!([]));
        assert_eq!(f["reframes"], serde_json::json!([]));
        assert!(f["text"].is_null());
    }
    let o = run_with_stdin(
        kindly(dir.path()).args(["--locale", "en-GB", "check", "--format", "jsonl"]),
        text,
    );
    let lines = jsonl(&o);
    assert_eq!(lines[0]["type"], "support");
    assert_eq!(lines[0]["tier"], "abuse");
    assert!(
        lines[0]["message"]
            .as_str()
            .unwrap()
            .contains("0808 2000 247"),
        "{}",
        lines[0]
    );
}

#[test]
fn locale_picks_the_resources() {
    let dir = TempDir::new("cli");
    let text = "I want to die.\n";
    let mut builder = kindly::EngineBuilder::new();
    builder.locale("en-GB");
    let support = builder.build().unwrap().analyze(text).support.unwrap();
    let o = run_with_stdin(
        kindly(dir.path()).args(["--locale", "en-GB", "check"]),
        text,
    );
    assert!(collapse(&stdout(&o)).contains(&collapse(&support.message)));
}

#[test]
fn an_unknown_locale_is_refused_and_a_loose_spelling_is_not() {
    // A mistyped locale used to fall back to US helplines without a word.
    let dir = TempDir::new("cli");
    let text = "I want to die.\n";
    let o = run_with_stdin(
        kindly(dir.path()).args(["--locale", "fr-FR", "check"]),
        text,
    );
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o).trim_end(),
        "kindly: unknown locale 'fr-FR' for support messages and helplines: the packs have \
         support text for en-AU, en-CA, en-GB, en-IE, en-US"
    );
    let loose = run_with_stdin(
        kindly(dir.path()).args(["--locale", "en_gb", "check"]),
        text,
    );
    let exact = run_with_stdin(
        kindly(dir.path()).args(["--locale", "en-GB", "check"]),
        text,
    );
    assert_eq!(code(&loose), 1);
    assert_eq!(stdout(&loose), stdout(&exact));
    assert!(stdout(&loose).contains("116 123"), "{}", stdout(&loose));
}

// ---------------------------------------------------------------------------------------------
// rules, explain, test-rules, help
// ---------------------------------------------------------------------------------------------

#[test]
fn rules_table_and_json() {
    let dir = TempDir::new("cli");
    let o = run(with_pack(&dir, &["rules"]));
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[..3],
        [
            vec!["ID", "CATEGORY", "SEVERITY", "PACK"],
            vec!["test.gremlin", "labeling", "moderate", "test-pack"],
            vec!["test.goblin", "self_attack", "high", "test-pack"],
        ]
    );
    // Then the built-in crisis rules, kept on because the test pack has none (README, Safety),
    // and a line that says so.
    let kept = &rows[3..rows.len() - 1];
    assert_eq!(kept.len(), crisis_rule_count(), "{out}");
    assert!(
        kept.iter()
            .all(|r| r[1..] == ["crisis", "crisis", "en-core"]),
        "{out}"
    );
    assert!(rows[rows.len() - 1].starts_with(&["The"]), "{out}");
    let o = run(with_pack(&dir, &["rules", "--format", "json"]));
    let v = json(&o);
    assert_eq!(v["rules"][0]["id"], "test.gremlin");
    assert_eq!(v["rules"][0]["category"], "labeling");
    assert_eq!(v["rules"][1]["pack"], "test-pack");
    // Built-ins: there are rules, and every one has a pack.
    let o = run(kindly(dir.path()).args(["rules", "--format", "json"]));
    let v = json(&o);
    assert!(v["rules"].as_array().is_some_and(|r| r.len() > 10));
}

#[test]
fn rules_triggers() {
    let dir = TempDir::new("cli");
    let o = run(with_pack(&dir, &["rules", "--triggers"]));
    assert_eq!(code(&o), 0);
    // The test pack's triggers, and the kept built-in crisis rules' (README, Safety).
    let mut engine = kindly::EngineBuilder::new();
    let engine = engine
        .builtin_packs(false)
        .add_pack_path(write_pack(&dir))
        .build()
        .unwrap();
    let mut expected: Vec<&str> = engine.trigger_literals().collect();
    expected.sort_unstable();
    expected.dedup();
    assert!(expected.contains(&"goblin brain") && expected.contains(&"grumpy gremlin"));
    assert!(expected.len() > 100);
    assert_eq!(stdout(&o).lines().collect::<Vec<_>>(), expected);
    let o = run(kindly(dir.path()).args(["rules", "--triggers"]));
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.lines().count() > 10);
    assert!(out.lines().all(|l| !l.trim().is_empty()));
}

#[test]
fn explain_a_rule() {
    let dir = TempDir::new("cli");
    let o = run(with_pack(&dir, &["explain", "test.gremlin"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    for expected in [
        "test.gremlin\n",
        "  category: labeling (harsh label)\n",
        "  severity: moderate (high when intensified, as in “so …”, low when hedged, as in “a bit …”; rules/README.md §7.3)\n",
        "  pack:     test-pack\n",
        "  message:  “grumpy gremlin” is a harsh name to call yourself.\n",
        "why\n  Only for tests.\n",
        "triggers\n  grumpy gremlin\n",
        "  I'm a [grumpy gremlin] today.\n",
        "does not flag\n  The cat is a grumpy gremlin.\n",
        "  Grumpy days happen to everyone.\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    // A built-in rule, whichever comes first.
    let rules = json(&run(kindly(dir.path()).args(["rules", "--format", "json"])));
    let id = rules["rules"][0]["id"].as_str().unwrap().to_string();
    let o = run(kindly(dir.path()).args(["explain", &id]));
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).starts_with(&format!("{id}\n")));
    // A built-in `why` cites DOMAIN.md by section; a line says where the file is. The test
    // pack's `why` cites nothing, and gets no such line.
    let o = run(kindly(dir.path()).args(["explain", "labeling.self-adjective"]));
    assert!(
        stdout(&o).contains(
            ".\n  (DOMAIN.md sections: see docs/DOMAIN.md in kindly's source)\n\ntriggers\n"
        ),
        "{}",
        stdout(&o)
    );
    assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/DOMAIN.md")
        .is_file());
    assert!(!out.contains("DOMAIN.md"), "{out}");
    // A shared reframe with `when` says when it is offered.
    let o = run(kindly(dir.path()).args(["explain", "discounting.explained-away-backoff"]));
    let expected = "  Luck may have helped, and so did my effort. Both can be true.\n    (only when the flagged words hold: luck*, fluke*, chance, fortunate)\n";
    assert!(stdout(&o).contains(expected), "{}", stdout(&o));
}

#[test]
fn explain_unknown_rule_suggests() {
    let dir = TempDir::new("cli");
    let o = run(with_pack(&dir, &["explain", "test.gremlim"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: no rule 'test.gremlim'; did you mean 'test.gremlin'?\n"
    );
    let o = run(with_pack(&dir, &["explain", "zzzzzz"]));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no rule 'zzzzzz'"));
}

#[test]
fn test_rules_passes_on_builtins() {
    let dir = TempDir::new("cli");
    let o = run(kindly(dir.path()).arg("test-rules"));
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).trim_end().ends_with(", 0 failed"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn crisis_rules_stay_on_without_the_built_in_packs() {
    // `--no-default-packs` with a pack that has no crisis rules used to check no crisis language
    // at all, without a word. The built-in crisis rules now come along on their own.
    let dir = TempDir::new("cli");
    let crisis_rules = crisis_rule_count();
    assert!(crisis_rules > 100);
    let o = run_with_stdin(
        with_pack(&dir, &["check", "--format", "jsonl", "-"]),
        "I am a grumpy gremlin. I want to die.\n",
    );
    assert_eq!(code(&o), 1);
    let lines = jsonl(&o);
    assert_eq!(lines[0]["type"], "support");
    assert_eq!(lines[0]["tier"], "a");
    let rules: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["test.gremlin", "crisis.want-to-die"]);
    // Only the packs the user gave are tested; the kept crisis rules are counted.
    let o = run(with_pack(&dir, &["test-rules"]));
    assert_eq!(
        stdout(&o),
        format!(
            "2 rules, 8 examples, 0 failed (and {crisis_rules} built-in crisis rules kept on for \
             safety, not tested here)\n"
        )
    );
    // `rules` lists them after the user's, and says why.
    let o = run(with_pack(&dir, &["rules"]));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + 2 + crisis_rules + 1, "{out}");
    assert!(lines[1].starts_with("test.gremlin "), "{out}");
    assert!(lines[3].starts_with("crisis."), "{out}");
    assert_eq!(
        lines[lines.len() - 1],
        format!(
            "The {crisis_rules} crisis rules of the built-in pack en-core stay on: no loaded \
             pack has crisis rules of its own, and crisis language is always caught (README, \
             Safety)."
        )
    );
    // A pack with crisis rules of its own is trusted with them: nothing is added.
    let own = PACK
        .replace(
            "category = \"self_attack\"\nseverity = \"high\"",
            "category = \"crisis\"\nseverity = \"crisis\"\ntier = \"a\"",
        )
        .replace(
            "[[rule.reframe]]\ntext = \"My brain is doing its best today.\"\n",
            "",
        );
    assert_ne!(own, PACK);
    let path = dir.write("own.toml", &own);
    let o = run(kindly(dir.path())
        .arg("--no-default-packs")
        .arg("--pack")
        .arg(&path)
        .args(["rules", "--format", "json"]));
    assert_eq!(json(&o)["rules"].as_array().map(Vec::len), Some(2));
}

/// `--no-default-packs` and no pack: crisis rules alone may be meant, so not an error, but
/// a warning says that nothing else is checked (a CI job must not pass on it unawares).
#[test]
fn no_default_packs_without_a_pack_warns() {
    let dir = TempDir::new("cli");
    let o = run_with_stdin(
        kindly(dir.path()).args(["check", "--no-default-packs"]),
        "I'm so lazy.\n",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "kindly: --no-default-packs with no --pack: only the built-in crisis rules are checked\n"
    );
    // The same from a settings file, named as such.
    let settings = dir.write("kindly.toml", "default-packs = false\n");
    let o = run_with_stdin(kindly(dir.path()).arg("check"), "I'm so lazy.\n");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "kindly: default-packs = false in {} and no packs: only the built-in crisis rules \
             are checked\n",
            settings.display()
        )
    );
    // With a pack, nothing to warn about.
    let o = run_with_stdin(with_pack(&dir, &["check"]), "I'm so lazy.\n");
    assert_eq!((code(&o), stderr(&o).as_str()), (0, ""));
}

#[test]
fn test_rules_on_a_named_pack() {
    let dir = TempDir::new("cli");
    let pack = write_pack(&dir);
    let o = run(kindly(dir.path()).arg("test-rules").arg(&pack));
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o), "2 rules, 8 examples, 0 failed\n");
}

#[test]
fn test_rules_reports_a_wrong_example() {
    let dir = TempDir::new("cli");
    let wrong = PACK.replace(
        "I'm a [grumpy gremlin] today.",
        "I'm a [grumpy] gremlin today.",
    );
    let line = wrong
        .lines()
        .position(|l| l.contains("[grumpy] gremlin"))
        .unwrap()
        + 1;
    dir.write("wrong.toml", &wrong);
    let o = run(kindly(dir.path()).args(["test-rules", "--no-default-packs", "wrong.toml"]));
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        format!(
            "wrong.toml:{line}:9: rule 'test.gremlin': flag example failed\n  \
             expected: I'm a [grumpy] gremlin today.\n  \
             found:    I'm a [grumpy gremlin] today.\n\n\
             2 rules, 8 examples, 1 failed (and {} built-in crisis rules kept on for safety, not \
             tested here)\n",
            crisis_rule_count()
        )
    );
}

#[test]
fn test_rules_with_a_broken_pack_exits_2() {
    let dir = TempDir::new("cli");
    dir.write(
        "broken.toml",
        PACK.replace("severity = \"high\"", "severity = \"harsh\""),
    );
    let o = run(kindly(dir.path()).args(["test-rules", "broken.toml"]));
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.starts_with("kindly: broken.toml:"), "{err}");
    assert!(
        err.contains("rule 'test.goblin': unknown severity 'harsh'"),
        "{err}"
    );
}

/// What is plainly not a pack gets a message saying so, not the TOML reader's error about its
/// third line: a journal given to --pack, a folder without pack.toml.
#[test]
fn a_journal_or_a_folder_without_pack_toml_is_not_a_pack() {
    let dir = TempDir::new("cli");
    dir.write("journal.md", "# Monday\n\nOverslept. I'm so lazy.\n");
    let o = run(kindly(dir.path()).args(["check", "--pack", "journal.md", "journal.md"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: journal.md is not a TOML rule pack (a rule pack is a .toml file, or a folder \
         holding pack.toml); to check it for harsh self-talk: kindly check journal.md\n"
    );
    dir.write("packs/a.toml", PACK);
    dir.write("packs/b.toml", PACK);
    let o = run(kindly(dir.path()).args(["test-rules", "packs"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: packs is a folder without pack.toml: a rule pack is a .toml file, or a folder \
         holding pack.toml; to use one of the 2 .toml files in it, name the file\n"
    );
    std::fs::create_dir_all(dir.path().join("nothing")).unwrap();
    let o = run(kindly(dir.path()).args(["--pack", "nothing", "rules"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: nothing is a folder without pack.toml: a rule pack is a .toml file, or a \
         folder holding pack.toml\n"
    );
}

/// A pack with no rules passes `test-rules` with nothing tested; a warning says so.
#[test]
fn test_rules_warns_when_a_pack_has_no_rules() {
    let dir = TempDir::new("cli");
    let header = &PACK[..PACK.find("[[rule]]").unwrap()];
    dir.write("empty.toml", header);
    let o = run(kindly(dir.path()).args(["test-rules", "empty.toml"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "0 rules, 0 examples, 0 failed\n");
    assert_eq!(
        stderr(&o),
        "kindly: pack 'test-pack' (empty.toml) has no rules: nothing in it was tested\n"
    );
}

#[test]
fn version_and_help() {
    let dir = TempDir::new("cli");
    let o = run(kindly(dir.path()).arg("--version"));
    assert_eq!(code(&o), 0);
    assert_eq!(
        stdout(&o),
        format!("kindly {}\n", env!("CARGO_PKG_VERSION"))
    );
    let o = run(kindly(dir.path()).arg("--help"));
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.contains("Examples:"));
    assert!(out.contains("kindly check"));
    let o = run(kindly(dir.path()));
    assert_eq!(code(&o), 2, "no subcommand is a usage error");
    let o = run(kindly(dir.path()).args(["check", "--markdown", "--plain"]));
    assert_eq!(code(&o), 2);
}

#[test]
fn example_journal_starts_with_the_readme_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = run(kindly(root).args(["check", "examples/journal.md"]));
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).starts_with("examples/journal.md:3:12  labeling  \"I'm so lazy\""),
        "{}",
        stdout(&o)
    );
}

/// A long journal file with findings spread through it, crisis-free, with emoji and CRLF.
fn long_journal() -> String {
    let mut t = String::new();
    for i in 0..400 {
        t.push_str(&format!("Day {i}. Walked the dog 🐕 and made soup.\r\n"));
        if i % 7 == 0 {
            t.push_str("Honestly I'm so lazy, I skipped the gym again.\r\n");
        }
        if i % 11 == 0 {
            t.push_str("Everyone else is better than me at this.\n");
        }
        t.push_str(if i % 2 == 0 { "\n" } else { "\r\n" });
    }
    t
}

#[test]
fn streamed_large_files_give_the_same_output_as_files_read_whole() {
    let dir = TempDir::new("cli");
    dir.write("long.txt", long_journal());
    dir.write(
        "long.md",
        format!(
            "# Journal\n\n```\nI'm so lazy\n\nI'm so lazy\n```\n\n{}",
            long_journal()
        ),
    );
    for name in ["long.txt", "long.md"] {
        for format in ["human", "jsonl", "json"] {
            let whole = run(kindly(dir.path()).args(["check", "--format", format, name]));
            let streamed = run(kindly(dir.path())
                .env("KINDLY_STREAM_FROM_BYTES", "1")
                .args(["check", "--format", format, name]));
            assert_eq!(code(&whole), 1, "{name} {format}: {}", stderr(&whole));
            assert_eq!(stdout(&streamed), stdout(&whole), "{name} {format}");
            assert_eq!(stderr(&streamed), stderr(&whole), "{name} {format}");
        }
    }
    let lines = jsonl(&run(
        kindly(dir.path()).args(["check", "--format", "jsonl", "long.txt"])
    ));
    assert_eq!(lines.len(), 58 + 37, "one line per finding");
}

#[test]
fn streamed_files_report_bad_utf8_with_its_offset() {
    let dir = TempDir::new("cli");
    let mut bytes = long_journal().into_bytes();
    let at = bytes.len() - 10;
    bytes[at] = 0xFF;
    dir.write("bad.txt", &bytes);
    // Where an editor shows the bad byte: lines, and characters on its line.
    let before = std::str::from_utf8(&bytes[..at]).unwrap();
    let position = format!(
        "{}:{}",
        before.matches('\n').count() + 1,
        before.rsplit('\n').next().unwrap().chars().count() + 1
    );
    let o = run(kindly(dir.path())
        .env("KINDLY_STREAM_FROM_BYTES", "1")
        .args(["check", "bad.txt"]));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains(&format!(
            "bad.txt:{position}: not valid UTF-8 (first bad byte at offset {at})"
        )),
        "{}",
        stderr(&o)
    );
    let lossy = run(kindly(dir.path())
        .env("KINDLY_STREAM_FROM_BYTES", "1")
        .args(["check", "--lossy", "--format", "jsonl", "bad.txt"]));
    assert_eq!(code(&lossy), 1, "{}", stderr(&lossy));
    assert!(stderr(&lossy).contains(&format!("first bad byte at offset {at}")));
    // Machine output says so too, before the file's findings (and with the same words read
    // whole as streamed).
    let note = format!(
        "{position}: not valid UTF-8 (first bad byte at offset {at}); checked with U+FFFD in place of the bad bytes (--lossy)"
    );
    for stream_from in ["1", "1000000000"] {
        let lines = jsonl(&run(kindly(dir.path())
            .env("KINDLY_STREAM_FROM_BYTES", stream_from)
            .args(["check", "--lossy", "--format", "jsonl", "bad.txt"])));
        assert_eq!(
            lines[0],
            serde_json::json!({"type": "note", "path": "bad.txt", "message": note}),
            "streamed from {stream_from} bytes"
        );
        assert!(lines[1..]
            .iter()
            .all(|l| l["type"] == "finding" || l["type"] == "support"));
        let doc: serde_json::Value = serde_json::from_slice(
            &run(kindly(dir.path())
                .env("KINDLY_STREAM_FROM_BYTES", stream_from)
                .args(["check", "--lossy", "--format", "json", "bad.txt"]))
            .stdout,
        )
        .unwrap();
        assert_eq!(
            doc["files"][0]["note"],
            note.as_str(),
            "streamed from {stream_from} bytes"
        );
    }
    // A file read without trouble has no note.
    let doc: serde_json::Value = serde_json::from_slice(
        &run(with_pack(&dir, &["check", "--format", "json", "pack.toml"])).stdout,
    )
    .unwrap();
    assert_eq!(doc["files"][0]["note"], serde_json::Value::Null);
    // A streamed program or image gets the same advice as one read whole: none about encodings.
    let mut binary = b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec();
    binary.extend_from_slice(long_journal().as_bytes());
    binary.extend_from_slice(b"\xff\xfe\x00\x00");
    dir.write("tool.bin.txt", &binary);
    let o = run(kindly(dir.path())
        .env("KINDLY_STREAM_FROM_BYTES", "1")
        .args(["check", "tool.bin.txt"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        format!(
            "kindly: tool.bin.txt:{}: not valid UTF-8 (first bad byte at offset {}); it looks like \
             a binary file, not text (kindly checks text and Markdown files)\n\
             1 file could not be checked\n",
            {
                let text = std::str::from_utf8(&binary[..binary.len() - 4]).unwrap();
                format!(
                    "{}:{}",
                    text.matches('\n').count() + 1,
                    text.rsplit('\n').next().unwrap().chars().count() + 1
                )
            },
            binary.len() - 4
        )
    );
}

/// Twenty-nine dated paragraphs, each a window or more at the chunk sizes below: findings
/// early and late, a category found once early and twice near the end (its first finding is
/// high severity only because of the later ones), one found twice (never raised), tier B
/// crisis language in paragraph 20 sharing its line with two findings, and with `tier_a`
/// tier A crisis language in paragraph 27 (the whole file then shows only the support panel).
fn journal_with_crisis(tier_a: bool) -> String {
    let mut t = String::from("Day 1. Everyone else is better than me at this.\n");
    for i in 2..30 {
        t.push('\n');
        t.push_str(&format!("Day {i}. Walked the dog 🐕 and made soup.\r\n"));
        if i % 9 == 0 {
            t.push_str("Honestly I'm so lazy, I skipped the gym again.\n");
        }
        if i == 3 || i == 22 || i == 26 {
            t.push_str("I always mess things up when it matters.\n");
        }
        if i == 20 {
            t.push_str("I wish I could sleep and not wake up, I'm such an idiot. I'm so lazy.\n");
        }
        if i == 24 {
            t.push_str("Everyone else is better than me at this.\n");
        }
        if i == 27 && tier_a {
            t.push_str("Some nights I want to die.\n");
        }
    }
    t
}

/// Runs `args` on the files read whole, then streamed with several window sizes, and asserts
/// the same standard output, standard error and exit code.
fn assert_streamed_equals_whole(dir: &Path, args: &[&str], expect_code: i32) {
    let whole = run(kindly(dir).args(args));
    assert_eq!(code(&whole), expect_code, "{args:?}: {}", stderr(&whole));
    // The last run has no scratch file (as with a full temporary folder): its findings are
    // kept in memory instead.
    for (chunk, scratch) in [("1", true), ("700", true), ("700", false)] {
        let mut cmd = kindly(dir);
        cmd.env("KINDLY_STREAM_FROM_BYTES", "1")
            .env("KINDLY_STREAM_CHUNK_BYTES", chunk)
            .args(args);
        if !scratch {
            cmd.env("KINDLY_NO_SCRATCH", "1");
        }
        let streamed = run(cmd);
        let what = format!("{args:?}, chunk {chunk}, scratch file {scratch}");
        assert_eq!(stdout(&streamed), stdout(&whole), "{what}");
        assert_eq!(stderr(&streamed), stderr(&whole), "{what}");
        assert_eq!(code(&streamed), code(&whole), "{what}");
    }
}

/// Large files are analysed a window of paragraphs at a time and their findings wait in a
/// scratch file (src/cli/large.rs), yet the output must be byte for byte what the same file
/// gives when read whole, in every format, whatever later windows hold: crisis language near
/// the end still puts the support message first and withholds the reframes of findings many
/// windows earlier, and a category repeated later still raises the severity of its first
/// finding. `KINDLY_STREAM_CHUNK_BYTES` makes the windows small.
#[test]
fn streamed_output_equals_whole_file_output_in_every_format() {
    let dir = TempDir::new("cli");
    dir.write("tier_b.txt", journal_with_crisis(false));
    dir.write("tier_a.txt", journal_with_crisis(true));
    dir.write(
        "tier_b.md",
        format!("# Journal\n\n{}", journal_with_crisis(false)),
    );
    for name in ["tier_b.txt", "tier_a.txt", "tier_b.md"] {
        for format in ["human", "json", "jsonl"] {
            for reframes in ["3", "0"] {
                assert_streamed_equals_whole(
                    dir.path(),
                    &[
                        "check",
                        "--format",
                        format,
                        "--max-reframes",
                        reframes,
                        name,
                    ],
                    1,
                );
            }
        }
    }
}

#[test]
fn several_files_with_errors_stream_in_order() {
    let dir = TempDir::new("cli");
    dir.write("a.txt", journal_with_crisis(false));
    dir.write("b.txt", journal_with_crisis(true));
    dir.write("clean.txt", "Walked the dog and made soup.\n");
    for format in ["human", "json", "jsonl"] {
        assert_streamed_equals_whole(
            dir.path(),
            &[
                "check",
                "--format",
                format,
                "a.txt",
                "missing.txt",
                "clean.txt",
                "b.txt",
            ],
            2,
        );
    }
    for format in ["human", "json", "jsonl"] {
        assert_streamed_equals_whole(dir.path(), &["check", "--format", format, "clean.txt"], 0);
    }
}

/// The texts really test what they claim: findings in many windows, crisis language late,
/// an early finding raised by later ones and tier B withholding a finding on its line.
#[test]
fn the_journal_has_what_the_equality_tests_rely_on() {
    let dir = TempDir::new("cli");
    let t = journal_with_crisis(false);
    dir.write("tier_b.txt", &t);
    let doc = json(&run(kindly(dir.path()).args([
        "check",
        "--format",
        "json",
        "tier_b.txt",
    ])));
    let findings = doc["files"][0]["findings"].as_array().unwrap();
    let start = |f: &serde_json::Value| f["bytes"]["start"].as_u64().unwrap() as usize;
    let crisis: Vec<_> = findings
        .iter()
        .filter(|f| f["category"] == "crisis")
        .collect();
    assert_eq!(crisis.len(), 1);
    assert_eq!(doc["files"][0]["support"]["tier"], "b");
    assert!(start(crisis[0]) > t.len() / 2, "crisis language comes late");
    assert!(
        findings.iter().any(|f| start(f) < 100),
        "a finding early on"
    );
    assert!(findings
        .iter()
        .any(|f| f["reframes_withheld"] == true && f["category"] != "crisis"));
    let over: Vec<_> = findings
        .iter()
        .filter(|f| f["category"] == "overgeneralization")
        .collect();
    assert_eq!(over.len(), 3, "{over:?}");
    assert!(start(over[0]) < 400 && start(over[1]) > t.len() / 2);
    assert_eq!(over[0]["severity"], "high", "raised by the later two");
    let comparison: Vec<_> = findings
        .iter()
        .filter(|f| f["category"] == "comparison")
        .collect();
    assert_eq!(comparison.len(), 2);
    assert_ne!(comparison[0]["severity"], "high");
    let a = journal_with_crisis(true);
    dir.write("tier_a.txt", &a);
    let lines = jsonl(&run(kindly(dir.path()).args([
        "check",
        "--format",
        "jsonl",
        "tier_a.txt",
    ])));
    let first = &lines[0];
    assert_eq!(first["type"], "support");
    assert_eq!(first["tier"], "a");
}

// ---------------------------------------------------------------------------------------------
// trace
// ---------------------------------------------------------------------------------------------

#[test]
fn trace_shows_what_each_rule_did_sentence_by_sentence() {
    let dir = TempDir::new("cli");
    // `--rule test.`: the test pack's rules, not the built-in crisis rules kept on beside it.
    let o = run(with_pack(
        &dir,
        &[
            "trace",
            "--rule",
            "test.",
            "The cat is a grumpy gremlin. I'm a grumpy gremlin today.\n\
             She said I'm a grumpy gremlin, and my goblin brain agrees.",
        ],
    ));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "line 1: The cat is a grumpy gremlin.\n\
         \x20 test.gremlin  matched “grumpy gremlin” at 1:14\n\
         \x20     dropped by the “no first person” filter: the sentence is not about the writer (no I, me or my nearby)\n\
         line 1: I'm a grumpy gremlin today.\n\
         \x20 test.gremlin  matched “grumpy gremlin” at 1:36\n\
         \x20     a finding\n\
         line 2: She said I'm a grumpy gremlin, and my goblin brain agrees.\n\
         \x20 test.gremlin  matched “grumpy gremlin” at 2:16\n\
         \x20     dropped by the “reported speech” filter: someone else said or thought it (\"she said I'm lazy\")\n\
         \x20 test.goblin  matched “goblin brain” at 2:39\n\
         \x20     a finding\n\
         \n\
         4 candidates (dropped 2, finding 2)\n"
    );
    assert_eq!(stderr(&o), "");
}

#[test]
fn trace_as_json_from_a_file_and_its_errors() {
    let dir = TempDir::new("cli");
    let file = dir.write(
        "day.md",
        "Ugh, my `goblin brain` code.\n\nUgh, my goblin brain.\n",
    );
    let o = run(with_pack(
        &dir,
        &["trace", "--rule", "test.", "--format", "json", "--file"],
    )
    .arg(&file));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // Markdown by its extension: the code span is skipped, as `kindly check` skips it.
    let v = json(&o);
    assert_eq!(v["findings"], 1);
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{v}");
    let s = &steps[0];
    assert_eq!(s["rule"], "test.goblin");
    assert_eq!(s["outcome"], "finding");
    assert_eq!(
        (s["line"].as_u64(), s["column"].as_u64()),
        (Some(3), Some(9))
    );
    assert_eq!(s["matched"], serde_json::json!([38, 50]));
    assert_eq!(s["matched_text"], "goblin brain");

    let o = run(with_pack(&dir, &["trace", "--rule", "mine.", "x"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: no loaded rule id starts with 'mine.' and it is not a category id; \
         `kindly rules` lists them\n"
    );
    let o = run(with_pack(&dir, &["trace", "--file", "missing.txt"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: missing.txt: cannot read: no such file or directory\n"
    );
    let o = run_with_stdin(with_pack(&dir, &["trace"]), "Pancakes.\n");
    assert_eq!(code(&o), 0);
    assert_eq!(
        stdout(&o),
        "no candidates: none of any rule's triggers is in the text\n"
    );
    // A lone `-` is standard input, as for `kindly check`, not the text "-".
    let o = run_with_stdin(
        with_pack(&dir, &["trace", "--rule", "test.", "-"]),
        "I'm a grumpy gremlin.\n",
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("a finding"), "{}", stdout(&o));
}

#[test]
fn trace_names_the_exception_that_dropped_a_match() {
    let dir = TempDir::new("cli");
    // The gremlin rule with two exceptions; the second one overlaps the match.
    let pack = PACK.replacen(
        "why = \"Only for tests.\"\n",
        "why = \"Only for tests.\"\n[rule.context]\n\
         exceptions = ['''gremlin\\s+costume''', '''grumpy\\s+gremlin\\s+(?:mug|toy)''']\n",
        1,
    );
    assert_ne!(pack, PACK, "test setup");
    let file = dir.write("exceptions.toml", &pack);
    let text = "I bought a grumpy gremlin mug.";
    let trace = |format: &str| {
        let mut cmd = kindly(dir.path());
        cmd.args(["--no-default-packs", "--pack"]).arg(&file);
        run(cmd.args(["trace", "--format", format, "--rule", "test.gremlin", text]))
    };
    let o = trace("human");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "line 1: I bought a grumpy gremlin mug.\n\
         \x20 test.gremlin  matched “grumpy gremlin” at 1:12\n\
         \x20     dropped by the “exception” filter: one of the rule's exception patterns overlaps the match\n\
         \x20     (exception 2 of 2 matched “grumpy gremlin mug”)\n\
         \n\
         1 candidate (dropped 1)\n"
    );
    assert_eq!(
        json(&trace("json"))["steps"][0]["exception"],
        serde_json::json!({"number": 2, "of": 2, "matched": [11, 29], "matched_text": "grumpy gremlin mug"})
    );
}

/// A learned classifier's score and threshold are in the trace, in words and in JSON (the
/// score depends on the shipped model, so only its sign is pinned here).
#[test]
fn trace_shows_a_classifier_score_against_its_threshold() {
    let dir = TempDir::new("cli");
    let text = "CHISWICK PRESS:--CHARLES WHITTINGHAM AND CO.";
    let trace = |format: &str| {
        run(kindly(dir.path()).args([
            "trace",
            "--format",
            format,
            "--rule",
            "crisis.model-check-in",
            text,
        ]))
    };
    let o = trace("human");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with("      (classifier score "))
        .unwrap_or_else(|| panic!("no classifier line: {out}"));
    assert!(line.starts_with("      (classifier score -"), "{line}");
    assert!(line.ends_with(", threshold 2.50)"), "{line}");
    let step = &json(&trace("json"))["steps"][0];
    assert_eq!(step["detail"], "classifier");
    assert_eq!(step["classifier"]["threshold"], 2.5);
    assert!(
        step["classifier"]["score"].as_f64().unwrap() < 0.0,
        "{step}"
    );
    assert!(step.get("exception").is_none());
}

#[test]
fn trace_lists_patterns_that_did_not_match_for_one_rule() {
    // A built-in rule: "I'm not lazy" never matches the label pattern, which only --rule or
    // --all shows.
    let dir = TempDir::new("cli");
    let text = "I'm not lazy. I'm so lazy.";
    let o = run(kindly(dir.path()).args(["trace", text]));
    assert!(!stdout(&o).contains("I'm not lazy"), "{}", stdout(&o));
    assert!(stdout(&o).contains("not shown (--all or --rule shows them)"));
    let o = run(kindly(dir.path()).args(["trace", "--rule", "labeling.self-adjective", text]));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "line 1: I'm not lazy.\n\
         \x20 labeling.self-adjective  trigger “lazy” at 1:9\n\
         \x20     the rule's pattern did not match this sentence\n\
         line 1: I'm so lazy.\n\
         \x20 labeling.self-adjective  matched “I'm so lazy” at 1:15\n\
         \x20     a finding\n\
         \n\
         2 candidates (finding 1, no-match 1)\n"
    );
}

/// With no text and standard input a terminal, `trace` explains itself and exits 2 as `check`
/// does, instead of waiting in silence. A terminal needs `script` (util-linux); without it only
/// the help is checked.
#[test]
fn trace_without_text_at_a_terminal_explains_itself() {
    let dir = TempDir::new("cli");
    let o = run(kindly(dir.path()).args(["trace", "--help"]));
    assert!(
        stdout(&o).contains("Exit status: 0 when the text has no finding, 1 when it has one"),
        "{}",
        stdout(&o)
    );
    let bin = env!("CARGO_BIN_EXE_kindly");
    let Ok(o) = Command::new("script")
        .args(["-qec", &format!("'{bin}' trace"), "/dev/null"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
    else {
        return;
    };
    if !cfg!(target_os = "linux") {
        return;
    }
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with(
            "kindly: nothing to trace: give the text as an argument, name a file with --file, \
             or pipe text in"
        ),
        "{}",
        stdout(&o)
    );
}

/// A rule turned off is not "not in the text": the trace shows what it would have done and
/// what turned it off (a flag, or the settings file's line), and `explain` says the same.
#[test]
fn trace_and_explain_say_what_turned_a_rule_off() {
    let dir = TempDir::new("cli");
    let text = "I'm a grumpy gremlin today. Ugh, my goblin brain.";
    let o = run(with_pack(
        &dir,
        &[
            "--disable-rule",
            "test.gremlin",
            "trace",
            "--rule",
            "test.",
            text,
        ],
    ));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "line 1: I'm a grumpy gremlin today.\n\
         \x20 test.gremlin  matched “grumpy gremlin” at 1:7\n\
         \x20     turned off (by --disable-rule); with it on: a finding\n\
         line 1: Ugh, my goblin brain.\n\
         \x20 test.goblin  matched “goblin brain” at 1:37\n\
         \x20     a finding\n\
         \n\
         2 candidates (finding 1, turned-off 1)\n"
    );
    // Nothing left on: the exit status is the run's own (no finding), and a rule of --rule
    // whose triggers are not in the text is still said to be off.
    let o = run(with_pack(
        &dir,
        &[
            "--disable-category",
            "labeling",
            "trace",
            "--rule",
            "test.",
            "Pancakes.",
        ],
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "no candidates: none of these rules' triggers is in the text\n\
         test.gremlin: turned off (by --disable-category labeling)\n"
    );
    let o = run(with_pack(
        &dir,
        &[
            "--disable-rule",
            "test.gremlin",
            "trace",
            "--format",
            "json",
            text,
        ],
    ));
    let v = json(&o);
    let step = &v["steps"][0];
    assert_eq!(step["rule"], "test.gremlin");
    assert_eq!(step["outcome"], "turned-off");
    assert_eq!(step["detail"], "--disable-rule");
    assert_eq!(step["with_it_on"], "finding");
    assert_eq!(v["findings"], 1);

    // Turned off by a settings file: its line and column.
    write_pack(&dir);
    let settings = dir.write(
        "kindly.toml",
        "default-packs = false\npacks = [\"pack.toml\"]\ndisable-categories = [\"labeling\"]\n",
    );
    // (The goblin rule, on, still makes a finding: exit 1.)
    let o = run(kindly(dir.path()).args(["trace", "--rule", "test.gremlin", text]));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "line 1: I'm a grumpy gremlin today.\n\
             \x20 test.gremlin  matched “grumpy gremlin” at 1:7\n\
             \x20     turned off (by {0}:3:23); with it on: a finding\n\
             \n\
             1 candidate (turned-off 1)\n\
             Settings from {0} (--no-config leaves them out).\n",
            settings.display()
        )
    );
    let o = run(kindly(dir.path()).args(["explain", "test.gremlin"]));
    assert!(
        stdout(&o).contains(&format!(
            "\n  status:   turned off (by {}:3:23)\n",
            settings.display()
        )),
        "{}",
        stdout(&o)
    );
    let o =
        run(kindly(dir.path()).args(["--disable-rule", "test.goblin", "explain", "self_attack"]));
    assert!(
        stdout(&o).contains("pack.toml:24:6  turned off (by --disable-rule)\n"),
        "{}",
        stdout(&o)
    );
}

/// `--rule` takes a category id too, though rule ids have their own prefixes (`should.` for
/// should_statement, `mind-reading.` for mind_reading).
#[test]
fn trace_rule_takes_a_category_id() {
    let dir = TempDir::new("cli");
    let o = run(with_pack(
        &dir,
        &[
            "trace",
            "--rule",
            "self_attack",
            "I'm a grumpy gremlin. Ugh, my goblin brain.",
        ],
    ));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "line 1: Ugh, my goblin brain.\n\
         \x20 test.goblin  matched “goblin brain” at 1:31\n\
         \x20     a finding\n\
         \n\
         1 candidate (finding 1)\n"
    );
    for (category, prefix, text) in [
        ("should_statement", "should.", "I should be over it by now."),
        (
            "mind_reading",
            "mind-reading.",
            "Everyone thinks I'm weird.",
        ),
    ] {
        let o = run(kindly(dir.path()).args(["trace", "--rule", category, text]));
        assert_eq!(code(&o), 1, "{category}: {}", stderr(&o));
        assert!(
            stdout(&o).contains(&format!("  {prefix}")),
            "{category}: {}",
            stdout(&o)
        );
    }
    let o = run(with_pack(&dir, &["trace", "--rule", "mind_readin", "x"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: no loaded rule id starts with 'mind_readin' and it is not a category id; \
         `kindly rules` lists them\n"
    );
}

// ---------------------------------------------------------------------------------------------
// The settings file (.kindly.toml / kindly.toml)
// ---------------------------------------------------------------------------------------------

/// The rule ids of the findings `kindly check --format jsonl` prints for `text`, run in `cwd`.
fn rules_found(cwd: &Path, extra: &[&str], text: &str) -> Vec<String> {
    let o = run_with_stdin(
        kindly(cwd).args(extra).args(["check", "--format", "jsonl"]),
        text,
    );
    assert!(code(&o) < 2, "{}", stderr(&o));
    jsonl(&o)
        .iter()
        .filter(|v| v["type"] == "finding")
        .map(|v| v["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn settings_file_is_found_upward_and_flags_come_on_top() {
    let dir = TempDir::new("settings");
    write_pack(&dir);
    // The pack path is taken from the settings file's folder, not from where kindly runs.
    dir.write(
        "kindly.toml",
        "default-packs = false\npacks = [\"pack.toml\"]\ndisable-rules = [\"test.goblin\"]\n",
    );
    let deep = dir.path().join("notes").join("2026");
    std::fs::create_dir_all(&deep).unwrap();
    let text = "I'm a grumpy gremlin. I have such a goblin brain today.";
    assert_eq!(rules_found(&deep, &[], text), ["test.gremlin"]);
    // Flags add to the file's lists.
    assert!(rules_found(&deep, &["--disable-rule", "test.gremlin"], text).is_empty());
    // --no-config: the built-in packs, no test pack. (The built-in labeling model may read
    // "such a goblin brain" as a self-label; what matters here is which pack is loaded.)
    let builtin = rules_found(&deep, &["--no-config"], text);
    assert!(
        builtin.iter().all(|rule| !rule.starts_with("test.")),
        "{builtin:?}"
    );
    // The nearer file wins, and `kindly rules` names it.
    dir.write(
        "notes/.kindly.toml",
        format!(
            "default-packs = false\npacks = [\"{}\"]\n",
            dir.path().join("pack.toml").display()
        ),
    );
    assert_eq!(
        rules_found(&deep, &[], text),
        ["test.gremlin", "test.goblin"]
    );
    let o = run(kindly(&deep).arg("rules"));
    assert!(
        stdout(&o).ends_with(&format!(
            "Settings from {} (--no-config leaves them out).\n",
            dir.path().join("notes/.kindly.toml").display()
        )),
        "{}",
        stdout(&o)
    );
    // --config names one outright.
    let other = dir.write(
        "elsewhere/mine.toml",
        "disable-categories = [\"labeling\"]\n",
    );
    let o = run_with_stdin(
        kindly(&deep).args(["--config", other.to_str().unwrap(), "check"]),
        "I'm so lazy.",
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn settings_file_errors_name_the_file_line_and_column() {
    let dir = TempDir::new("settings");
    let file = dir.write(
        "kindly.toml",
        "locale = \"en-GB\"\ndisable-rules = [\"labeling.self-adjectiv\"]\n",
    );
    let o = run_with_stdin(kindly(dir.path()).arg("check"), "I'm so lazy.");
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        format!(
            "kindly: {}:2:18: disable-rules: no loaded rule 'labeling.self-adjectiv' to turn \
             off; did you mean 'labeling.self-adjective'?\n",
            file.display()
        )
    );
    // Crisis rules cannot be turned off, and a category is not a rule: located the same way.
    dir.write(
        "kindly.toml",
        "disable-rules = [\"labeling.fragment\", \"crisis.want-to-die\"]\n",
    );
    let o = run_with_stdin(kindly(dir.path()).arg("check"), "I'm so lazy.");
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        format!(
            "kindly: {}:1:39: disable-rules: rule 'crisis.want-to-die' cannot be turned off: \
             crisis language is always caught (see README, Safety)\n",
            file.display()
        )
    );
    dir.write("kindly.toml", "\ndisable-rules = [\"labeling\"]\n");
    let o = run_with_stdin(kindly(dir.path()).arg("check"), "I'm so lazy.");
    assert_eq!(
        stderr(&o),
        format!(
            "kindly: {}:2:18: disable-rules: 'labeling' is a category, not a rule: turn it off \
             as a category instead\n",
            file.display()
        )
    );
    dir.write("kindly.toml", "disable-category = [\"labeling\"]\n");
    let o = run_with_stdin(kindly(dir.path()).arg("check"), "I'm so lazy.");
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        format!(
            "kindly: {}:1:1: unknown field `disable-category`, expected one of `packs`, \
             `default-packs`, `disable-categories`, `disable-rules`, `locale`, \
             `max-reframes`; did you mean `disable-categories`?\n",
            file.display()
        )
    );
    let o = run(kindly(dir.path()).args(["--config", "missing.toml", "rules"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: missing.toml: cannot read the settings file: no such file or directory\n"
    );
    let o = run(kindly(dir.path()).args(["--config", "a.toml", "--no-config", "rules"]));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("'--config <FILE>' cannot be used with '--no-config'"));
}

/// The same pack named twice (as its file and as its folder, or in the settings file and on
/// the command line) is loaded once; a pack with a built-in pack's id says how to use it
/// instead of the built-in one.
#[test]
fn a_pack_named_twice_is_loaded_once_and_a_built_in_id_says_what_to_do() {
    let dir = TempDir::new("cli");
    dir.write("a.txt", "I am a grumpy gremlin.\n");
    let o = run(with_pack(
        &dir,
        &["--pack", ".", "--pack", "./pack.toml", "check", "a.txt"],
    ));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stdout(&o).matches("a.txt:1:8").count(), 1, "{}", stdout(&o));
    // A copy of a built-in pack, loaded next to the built-in packs.
    dir.write(
        "copy/pack.toml",
        PACK.replace("id = \"test-pack\"", "id = \"en-core\""),
    );
    let o = run(kindly(dir.path()).args(["--pack", "copy", "check", "a.txt"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: copy/pack.toml:2:6: pack 'en-core': pack id 'en-core' is loaded twice: a \
         built-in pack has the same id (load this copy without the built-in packs to use it \
         instead); on the command line: --no-default-packs (in the settings file: default-packs \
         = false)\n"
    );
    // Without the built-in packs, the built-in crisis rules still come along (the copy has
    // none), under the built-in pack's id: the copy needs an id of its own.
    let o =
        run(kindly(dir.path()).args(["--no-default-packs", "--pack", "copy", "check", "a.txt"]));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "kindly: copy/pack.toml:2:6: pack 'en-core': pack id 'en-core' is a built-in pack's id, \
         and the built-in crisis rules are loaded under it next to packs without crisis rules; \
         give this pack an id of its own\n"
    );
}
