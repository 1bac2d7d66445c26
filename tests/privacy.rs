//! Privacy guarantees (issue 6), checked rather than promised:
//!
//! - no crate that does network I/O, TLS or telemetry is in the dependency tree of the library,
//!   the CLI or the wasm package (`cargo tree`, offline, every target platform);
//! - no source file of kindly opens a socket or starts another program, and the library itself
//!   prints nothing (no logs);
//! - error messages and notes about bad inputs name the file and the position, never the text;
//!   crisis words never reach any output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod checks;

use checks::cli::{self, run, stderr, stdout};
use checks::temp::TempDir;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Crates that talk to the network (HTTP, sockets, async network runtimes, DNS), do TLS, or
/// report telemetry. None may appear in any dependency tree of kindly.
const DENY: &[&str] = &[
    // HTTP clients and servers
    "reqwest",
    "hyper",
    "hyper-util",
    "h2",
    "h3",
    "quinn",
    "ureq",
    "curl",
    "curl-sys",
    "isahc",
    "surf",
    "attohttpc",
    "minreq",
    "tiny_http",
    "actix-web",
    "axum",
    "warp",
    "tonic",
    // sockets, async network I/O, DNS
    "mio",
    "socket2",
    "async-std",
    "async-net",
    "tungstenite",
    "tokio-tungstenite",
    "trust-dns-resolver",
    "hickory-resolver",
    "libp2p",
    "zmq",
    // TLS
    "openssl",
    "openssl-sys",
    "native-tls",
    "rustls",
    "rustls-webpki",
    "webpki-roots",
    "ring",
    // telemetry and crash reporting
    "sentry",
    "opentelemetry",
    "tracing-opentelemetry",
    "posthog-rs",
    "segment",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root())
        .stdin(Stdio::null())
        .env_remove("CARGO_TARGET_DIR");
    cmd
}

/// Package names in `cargo tree` for `args`, normal dependencies only, for every target.
fn tree(args: &[&str]) -> BTreeSet<String> {
    let out = cargo()
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "--target",
            "all",
        ])
        .args(["--prefix", "none", "--format", "{p}"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree {args:?} failed (if crates for other targets are missing, run \
         `cargo fetch --locked` once; scripts/test does):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn no_network_tls_or_telemetry_crate_in_any_dependency_tree() {
    let builds: [(&str, &[&str]); 5] = [
        ("library", &["-p", "kindly", "--no-default-features"]),
        (
            "library with Markdown",
            &[
                "-p",
                "kindly",
                "--no-default-features",
                "--features",
                "markdown",
            ],
        ),
        ("CLI (default features)", &["-p", "kindly"]),
        ("every feature", &["-p", "kindly", "--all-features"]),
        ("wasm package", &["-p", "kindly-wasm"]),
    ];
    for (what, args) in builds {
        let crates = tree(args);
        // Not vacuous: the tree was read.
        assert!(
            crates.contains("kindly")
                && crates.contains("regex-automata")
                && crates.contains("aho-corasick"),
            "{what}: {crates:?}"
        );
        let bad: Vec<&&str> = DENY.iter().filter(|d| crates.contains(**d)).collect();
        assert!(bad.is_empty(), "{what} depends on {bad:?}");
        // tokio is only acceptable without networking; today it is not used at all.
        assert!(!crates.contains("tokio"), "{what} depends on tokio");
    }
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_source_file_opens_a_socket_or_starts_a_program() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("wasm/src"), &mut files);
    assert!(files.len() > 20, "{files:?}");
    // `Connection::connect`/`listen` are lsp-server's TCP transport: `kindly lsp` speaks over
    // standard input and output only.
    let forbidden = [
        "std::net",
        "TcpStream",
        "TcpListener",
        "UdpSocket",
        "ToSocketAddrs",
        "UnixStream",
        "process::Command",
        "Connection::connect",
        "Connection::listen",
    ];
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for f in forbidden {
            assert!(!text.contains(f), "{} uses {f}", file.display());
        }
    }
}

#[test]
fn the_library_prints_nothing() {
    // Output is the CLI's job (src/cli, src/main.rs); the library never logs.
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    for file in files {
        let rel = file
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .to_string();
        if rel.starts_with("src/cli") || rel == "src/main.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Only the code before the unit tests counts.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for f in [
            "println!",
            "eprintln!",
            "print!(",
            "eprint!(",
            "dbg!(",
            "std::io::stdout",
            "std::io::stderr",
        ] {
            assert!(!code.contains(f), "{rel} uses {f}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Messages never carry the writer's words
// ---------------------------------------------------------------------------------------------

/// Words that stand for the private text of a journal.
const SECRET: &str = "Marguerite kissed the lighthouse keeper";

/// `kindly ARGS` in `dir`: exit code, standard output, standard error.
fn kindly(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = run(cli::kindly(dir).args(args));
    (out.status.code(), stdout(&out), stderr(&out))
}

#[test]
fn errors_about_bad_inputs_name_the_place_never_the_text() {
    let dir = TempDir::new("privacy-errors");
    let mut bad = format!("{SECRET}. I'm so lazy. ").into_bytes();
    bad.push(0xFF);
    bad.extend_from_slice(format!(" {SECRET} again.").as_bytes());
    dir.write("diary.txt", &bad);
    dir.write("utf16.txt", b"\xff\xfeM\x00a\x00r\x00");
    for format in ["human", "json", "jsonl"] {
        let (code, out, err) = kindly(
            dir.path(),
            &[
                "check",
                "--format",
                format,
                "diary.txt",
                "utf16.txt",
                "gone.txt",
            ],
        );
        assert_eq!(code, Some(2));
        for word in SECRET.split(' ') {
            assert!(
                !out.contains(word) && !err.contains(word),
                "{format}: {word}\n{out}\n{err}"
            );
        }
        assert!(
            err.contains("diary.txt:1:55: not valid UTF-8 (first bad byte at offset 54)"),
            "{err}"
        );
        assert!(
            err.contains("gone.txt: cannot read: no such file or directory"),
            "{err}"
        );
    }
    // With --lossy the text is checked, and the note about the bad byte still names only the
    // place; the only words shown are the finding's own.
    let (code, out, err) = kindly(
        dir.path(),
        &["check", "--lossy", "--format", "jsonl", "diary.txt"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        err,
        "kindly: diary.txt:1:55: not valid UTF-8 (first bad byte at offset 54); checked with U+FFFD in place of the bad bytes (--lossy)\n"
    );
    assert!(!out.contains("Marguerite"), "{out}");
}

#[test]
fn crisis_words_never_reach_any_output() {
    let dir = TempDir::new("privacy-crisis");
    dir.write(
        "entry.txt",
        "I'm so lazy. I want to die tonight, I have the pills ready.\n",
    );
    for format in ["human", "json", "jsonl"] {
        let (code, out, _) = kindly(dir.path(), &["check", "--format", format, "entry.txt"]);
        assert_eq!(code, Some(1), "{format}");
        for words in ["want to die", "pills", "tonight"] {
            assert!(!out.contains(words), "{format} shows {words:?}:\n{out}");
        }
    }
    // `kindly trace`, for rule authors, says where crisis rules matched but not the words, and
    // does not quote the sentence that holds them; the rest of the text is traced as usual.
    for format in ["human", "json"] {
        let (code, out, _) = kindly(
            dir.path(),
            &["trace", "--all", "--format", format, "--file", "entry.txt"],
        );
        assert_eq!(code, Some(1), "{format}");
        for words in ["want to die", "pills", "tonight"] {
            assert!(
                !out.contains(words),
                "trace {format} shows {words:?}:\n{out}"
            );
        }
        assert!(out.contains("so lazy"), "trace {format}:\n{out}");
    }
    let (_, out, _) = kindly(dir.path(), &["trace", "--file", "entry.txt"]);
    assert!(
        out.contains(
            "line 1: (sentence withheld: it holds crisis language)\n  crisis.want-to-die  matched "
        ),
        "{out}"
    );
    assert!(out.contains(" at 1:16 (crisis words withheld)\n"), "{out}");
}

#[test]
fn library_debug_output_and_edit_errors_never_carry_the_text() {
    use kindly::{Document, DocumentKind, Engine};
    use std::sync::Arc;
    let engine = Arc::new(Engine::new().unwrap());
    let mut doc = Document::new(Arc::clone(&engine), DocumentKind::PlainText);
    doc.set_text(&format!("{SECRET}. I'm so lazy."));
    let debug = format!("{doc:?} {engine:?}");
    assert!(
        !debug.contains("Marguerite") && !debug.contains("lazy"),
        "{debug}"
    );
    let err = doc.apply_edit(5, 1_000, SECRET).unwrap_err().to_string();
    assert_eq!(err, "edit range 5..1000 does not fit a text of 53 bytes");
}

#[test]
fn only_the_report_named_with_eval_html_is_ever_written() {
    // Every call that can create, change or remove a file, in all of kindly's sources.
    let writes = [
        "fs::write",
        "File::create",
        "OpenOptions",
        "fs::rename",
        "fs::remove",
        "fs::copy",
        "set_permissions",
        "create_dir",
    ];
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("wasm/src"), &mut files);
    let mut found = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for w in writes {
            if code.contains(w) {
                let rel = file
                    .strip_prefix(root())
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                found.insert(format!("{rel}: {w}"));
            }
        }
    }
    let expected: BTreeSet<String> = [
        "src/cli/eval/mod.rs: fs::remove",
        "src/cli/eval/mod.rs: fs::rename",
        "src/cli/eval/mod.rs: fs::write",
        "src/cli/eval/mod.rs: set_permissions",
        // `kindly check` on a file of 16 MiB or more keeps its findings in a scratch file:
        // created new (never an existing path), readable by the user alone, and removed as
        // soon as it is open (README, "Safety, privacy and what kindly is not").
        "src/cli/large.rs: OpenOptions",
        "src/cli/large.rs: fs::remove",
        // The `Stream::spill_to` doc example, which makes such a file itself.
        "src/stream.rs: OpenOptions",
        "src/stream.rs: fs::remove",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(
        found, expected,
        "a new place writes files: make it explicit and atomic"
    );
}
