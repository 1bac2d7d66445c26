//! Running the `kindly` binary and reading what it printed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::BorrowMut;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The `kindly` binary built for these tests, nothing set.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kindly"))
}

/// `kindly` with colour off (as when piped), run in `dir`.
pub fn kindly(dir: &Path) -> Command {
    let mut cmd = bin();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    cmd
}

/// Runs with `stdin` as standard input.
pub fn run_with_stdin(mut cmd: impl BorrowMut<Command>, stdin: &str) -> Output {
    let mut child = cmd
        .borrow_mut()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A usage error can end the process before it reads its input; a broken pipe then is
    // expected, not a test failure.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "writing stdin: {e}"
        );
    }
    child.wait_with_output().unwrap()
}

/// Runs with nothing on standard input.
pub fn run(mut cmd: impl BorrowMut<Command>) -> Output {
    cmd.borrow_mut().stdin(Stdio::null()).output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

/// Standard output as one JSON document.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(o)))
}

/// Standard output as JSON lines.
pub fn jsonl(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line ({e}): {l}")))
        .collect()
}
