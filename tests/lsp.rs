//! `kindly lsp` driven as an editor would: the real binary, spawned, spoken to over its
//! standard input and output with Content-Length framed JSON-RPC.
//!
//! Exact-value tests use a tiny pack written here (`--no-default-packs --pack pack.toml`), so
//! they do not move when the built-in rules are tuned; only a couple of robust built-in examples
//! ("I'm so lazy", "I want to die") are used with the built-in packs. Every read has a timeout,
//! so a server that hangs fails the test instead of stalling it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod checks;

use checks::temp::TempDir;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any one expected message may take (debug builds on a busy machine are slow).
const TIMEOUT: Duration = Duration::from_secs(30);

const PACK: &str = r#"[pack]
id = "lsp-test"
version = "0.1.0"
language = "en"
license = "CC0-1.0"
description = "A tiny pack for the language server tests."

[support]
default-locale = "en-US"

[support.locales."en-US"]
tier-a = "You don't have to hold this alone. Someone can listen right now."
tier-b = "That sounds heavy. Someone can listen any time."
someone-else = "That sounds worrying. These services help with that too."
resources = [
  { name = "Test Line", contact = "call 000-TEST", region = "US" },
  { name = "Emergency services", contact = "call 911", region = "US", emergency = true },
]
abuse = "That sounds hard, and it isn't your fault."
abuse-resources = [
  { name = "Safe Line", contact = "call 000-SAFE", region = "US" },
  { name = "Emergency services", contact = "call 911", region = "US", emergency = true },
]

[support.locales."en-GB"]
tier-a = "You don't have to hold this alone. Someone in the UK can listen right now."
tier-b = "That sounds heavy. Someone in the UK can listen any time."
someone-else = "That sounds worrying. These UK services help with that too."
resources = [{ name = "Test Line UK", contact = "call 116 123", region = "UK" }]

[[rule]]
id = "test.gremlin"
category = "labeling"
severity = "moderate"
triggers = ["grumpy gremlin"]
message = "“grumpy gremlin” is a harsh name to call yourself."
[[rule.reframe]]
text = "tired human"
rewrite = true
[[rule.reframe]]
text = "person having a hard day"
rewrite = true
[[rule.reframe]]
text = "Grumpy days happen to *everyone*."
[rule.examples]
flag = ["I'm a [grumpy gremlin] today.", "Honestly I am a [grumpy gremlin]."]
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
flag = ["I have a [goblin brain] today.", "Ugh, my [goblin brain] again."]
pass = ["The goblin has a brain.", "Goblins are fun."]

[[rule]]
id = "test.muddle"
category = "overgeneralization"
severity = "low"
triggers = ["muddlehead"]
message = "One muddle does not make a muddlehead."
[[rule.reframe]]
text = "Some things got muddled, and that's all."
[rule.examples]
flag = ["I am a [muddlehead].", "Today I was a [muddlehead]."]
pass = ["The cat is a muddlehead.", "Muddles happen."]

[[rule]]
id = "test.vanish"
category = "crisis"
severity = "crisis"
tier = "a"
triggers = ["vanish forever"]
message = "This sounds really heavy."
[rule.examples]
flag = ["I want to [vanish forever].", "Sometimes I could [vanish forever]."]
pass = ["Forever is a long time.", "I want to vanish for a weekend."]

[[rule]]
id = "test.bruise"
category = "crisis"
severity = "crisis"
tier = "abuse"
triggers = ["shoves me around"]
message = "That sounds hard."
[rule.examples]
flag = ["He [shoves me around].", "She [shoves me around] at home."]
pass = ["He shoves the boxes around.", "Around the house."]

[[rule]]
id = "test.fade"
category = "crisis"
severity = "crisis"
tier = "b"
triggers = ["fade away for good"]
message = "That sounds heavy."
[rule.examples]
flag = ["I could [fade away for good].", "Maybe I'll [fade away for good]."]
pass = ["The music will fade away.", "Good things fade."]
"#;

/// A second pack, added through the settings.
const EXTRA_PACK: &str = r#"[pack]
id = "lsp-extra"
version = "0.1.0"
language = "en"
license = "CC0-1.0"
description = "An extra pack."

[[rule]]
id = "extra.bramble"
category = "labeling"
severity = "moderate"
triggers = ["bramble head"]
message = "“bramble head” is a prickly name for yourself."
[[rule.reframe]]
text = "I'm a bit tangled today."
[rule.examples]
flag = ["I'm a [bramble head].", "Honestly I am a [bramble head]."]
pass = ["The hedge is a bramble head.", "Brambles grow."]
"#;

/// A pack with a mistake on line 11, column 12.
const BAD_PACK: &str = r#"[pack]
id = "bad"
version = "0.1.0"
language = "en"
license = "CC0-1.0"
description = "broken"

[[rule]]
id = "bad.oops"
severity = "moderate"
category = "labelling"
triggers = ["oops"]
message = "A gentle note."
"#;

const SUPPORT_A: &str = "You don't have to hold this alone. Someone can listen right now.\n\n\
                         - Test Line: call 000-TEST (US)\n- Emergency services: call 911 (US)";

// ---------------------------------------------------------------------------------------------
// A small LSP client
// ---------------------------------------------------------------------------------------------

/// A temporary workspace with the test pack in `pack.toml`.
fn workspace() -> TempDir {
    let dir = TempDir::new("lsp");
    dir.write("pack.toml", PACK);
    dir
}

/// A running `kindly lsp` and our side of the conversation.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages that arrived while we waited for another one.
    backlog: VecDeque<Value>,
    stderr: Arc<Mutex<Vec<u8>>>,
    next_id: i64,
}

impl Client {
    /// Starts `kindly ARGS lsp` in `dir`.
    fn spawn(dir: &Path, args: &[&str]) -> Client {
        let mut child = checks::cli::bin()
            .args(args)
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, incoming) = mpsc::channel();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            while let Some(msg) = read_message(&mut stdout) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        let mut pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Client {
            stdin: child.stdin.take(),
            child,
            incoming,
            backlog: VecDeque::new(),
            stderr,
            next_id: 0,
        }
    }

    /// `kindly --no-default-packs --pack pack.toml lsp`, initialized with `params` merged into
    /// a minimal `InitializeParams`. Returns the client and the `InitializeResult`.
    fn start(dir: &TempDir, params: Value) -> (Client, Value) {
        Client::start_with(dir, &["--no-default-packs", "--pack", "pack.toml"], params)
    }

    /// As [`Client::start`], with the capabilities in `params` merged into those of a modern
    /// client (CodeAction literals), `null` taking one out.
    fn start_with(dir: &TempDir, args: &[&str], params: Value) -> (Client, Value) {
        let mut client = Client::spawn(dir.path(), args);
        let mut init = json!({
            "processId": null,
            "rootUri": dir.uri(),
            "capabilities": {"textDocument": {"codeAction": {"codeActionLiteralSupport":
                {"codeActionKind": {"valueSet": ["quickfix"]}}}}},
        });
        merge(&mut init, params);
        let response = client.request("initialize", init);
        let result = response["result"].clone();
        assert!(result.is_object(), "initialize failed: {response}");
        client.notify("initialized", json!({}));
        (client, result)
    }

    fn send(&mut self, msg: &Value) {
        let body = serde_json::to_vec(msg).unwrap();
        let stdin = self.stdin.as_mut().unwrap();
        write!(stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        stdin.write_all(&body).unwrap();
        stdin.flush().unwrap();
    }

    /// Writes `bytes` as they are.
    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Sends `body` (any bytes) with a correct Content-Length header.
    fn send_framed(&mut self, body: &[u8]) {
        let mut raw = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        raw.extend_from_slice(body);
        self.send_raw(&raw);
    }

    /// The `error` of the next response with id `null` (the answer to a malformed message).
    fn error_without_id(&mut self) -> Value {
        let msg = self.wait("an error response with id null", |m| {
            m.get("id") == Some(&Value::Null) && m.get("method").is_none()
        });
        assert_eq!(msg["jsonrpc"], "2.0", "{msg}");
        msg["error"].clone()
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (the whole message: `result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(&format!("the response to {method}"), |m| {
            m["id"] == id && m.get("method").is_none()
        })
    }

    /// The `result` of a request that must succeed.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// The next message matching `pred`; others are kept for later waits.
    fn wait(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i).unwrap();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(msg) if pred(&msg) => return msg,
                Ok(msg) => self.backlog.push_back(msg),
                Err(_) => panic!(
                    "no {what} within {TIMEOUT:?}; received meanwhile: {:?}",
                    self.backlog
                        .iter()
                        .map(|m| m.get("method").unwrap_or(&m["id"]).to_string())
                        .collect::<Vec<_>>()
                ),
            }
        }
    }

    /// The diagnostics published for `uri` at `version`, with each `data.finding` checked to
    /// be an identity string and then removed (identities are compared separately).
    fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let msg = self.wait(&format!("diagnostics for {uri} v{version}"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        let mut diags = msg["params"]["diagnostics"].as_array().unwrap().clone();
        for d in &mut diags {
            let id = d["data"]["finding"].as_str().unwrap();
            assert!(id.parse::<u64>().is_ok(), "finding id {id:?}");
        }
        diags
    }

    fn finding_ids(diags: &[Value]) -> Vec<String> {
        diags
            .iter()
            .map(|d| d["data"]["finding"].as_str().unwrap().to_string())
            .collect()
    }

    /// The next `window/showMessage`: (type, message).
    fn shown_message(&mut self) -> (i64, String) {
        let msg = self.wait("window/showMessage", |m| {
            m["method"] == "window/showMessage"
        });
        (
            msg["params"]["type"].as_i64().unwrap(),
            msg["params"]["message"].as_str().unwrap().to_string(),
        )
    }

    fn open(&mut self, uri: &str, language: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, uri: &str, version: i64, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    fn hover(&mut self, uri: &str, line: u32, character: u32) -> Value {
        self.call(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        )
    }

    fn code_actions(&mut self, uri: &str, range: Value) -> Vec<Value> {
        let result = self.call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}}),
        );
        result.as_array().unwrap().clone()
    }

    /// Runs a code action's command as an editor does.
    fn run_command(&mut self, action: &Value) -> Value {
        let command = &action["command"];
        self.call(
            "workspace/executeCommand",
            json!({"command": command["command"], "arguments": command["arguments"]}),
        )
    }

    /// `shutdown`, `exit`, and the exit status.
    fn shutdown(mut self) -> (ExitStatus, String) {
        assert_eq!(self.call("shutdown", Value::Null), Value::Null);
        self.exit()
    }

    /// `exit` (without `shutdown` unless it was sent) and the exit status and standard error.
    fn exit(mut self) -> (ExitStatus, String) {
        self.notify("exit", Value::Null);
        self.close()
    }

    /// Closes the server's input and waits for it to end: the exit status and standard error.
    fn close(mut self) -> (ExitStatus, String) {
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        };
        // Give the stderr thread a moment to read what is left in the pipe.
        std::thread::sleep(Duration::from_millis(50));
        let stderr = String::from_utf8(self.stderr.lock().unwrap().clone()).unwrap();
        (status, stderr)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Merges `extra` into `base`, objects key by key; `null` removes a key.
fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(base), Value::Object(extra)) => {
            for (key, value) in extra {
                if value.is_null() {
                    base.remove(&key);
                } else {
                    merge(base.entry(key).or_insert(Value::Null), value);
                }
            }
        }
        (base, extra) => *base = extra,
    }
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().ok();
        }
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn range(l0: u32, c0: u32, l1: u32, c1: u32) -> Value {
    json!({"start": {"line": l0, "character": c0}, "end": {"line": l1, "character": c1}})
}

/// A diagnostic as kindly publishes it, without `data.finding`.
fn diag(range: Value, severity: u8, code: &str, rule: &str, message: &str) -> Value {
    json!({
        "range": range,
        "severity": severity,
        "code": code,
        "source": "kindly",
        "message": message,
        "data": {"rule": rule},
    })
}

/// `diags` without their `data.finding`, to compare with [`diag`] values.
fn without_ids(diags: &[Value]) -> Vec<Value> {
    diags
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d["data"].as_object_mut().unwrap().remove("finding");
            d
        })
        .collect()
}

const GREMLIN: &str = "“grumpy gremlin” is a harsh name to call yourself.";
const GOBLIN: &str = "That's a harsh thing to say to yourself.";
const MUDDLE: &str = "One muddle does not make a muddlehead.";

/// The byte offset of an LSP position (the client side of the conversion, written
/// independently of the server's).
fn byte_offset(text: &str, line: u64, character: u64, utf8: bool) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 == line {
            let mut units = 0;
            for (b, c) in l.char_indices() {
                if units >= character {
                    return offset + b;
                }
                units += if utf8 { c.len_utf8() } else { c.len_utf16() } as u64;
            }
            return offset + l.trim_end_matches('\n').len();
        }
        offset += l.len();
    }
    text.len()
}

/// Applies one LSP `TextEdit` to `text`, as an editor would.
fn apply_text_edit(text: &str, edit: &Value, utf8: bool) -> String {
    let pos = |p: &Value| {
        byte_offset(
            text,
            p["line"].as_u64().unwrap(),
            p["character"].as_u64().unwrap(),
            utf8,
        )
    };
    let (a, b) = (pos(&edit["range"]["start"]), pos(&edit["range"]["end"]));
    format!(
        "{}{}{}",
        &text[..a],
        edit["newText"].as_str().unwrap(),
        &text[b..]
    )
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn a_whole_session_open_change_hover_act_and_shut_down() {
    let dir = workspace();
    let (mut lsp, init) = Client::start(&dir, json!({}));
    assert_eq!(
        init,
        json!({
            "capabilities": {
                "positionEncoding": "utf-16",
                "textDocumentSync": {"openClose": true, "change": 2},
                "hoverProvider": true,
                "codeActionProvider": {"codeActionKinds": ["quickfix"]},
                "executeCommandProvider": {"commands": [
                    "kindly.ignorePhrase", "kindly.disableRule", "kindly.disableCategory",
                    "kindly.showSupport", "kindly.resetSession", "kindly.applyEdit"
                ]},
            },
            "serverInfo": {"name": "kindly", "version": env!("CARGO_PKG_VERSION")},
        })
    );

    // Open: every finding, with category codes and the documented severities.
    let uri = "file:///journal/today.txt";
    let mut text =
        "Overslept. I'm a grumpy gremlin today.\n\nI was a muddlehead at work.\n".to_string();
    lsp.open(uri, "plaintext", &text);
    let v1 = lsp.diagnostics(uri, 1);
    assert_eq!(
        without_ids(&v1),
        [
            diag(range(0, 17, 0, 31), 3, "labeling", "test.gremlin", GREMLIN),
            diag(
                range(2, 8, 2, 18),
                4,
                "overgeneralization",
                "test.muddle",
                MUDDLE
            ),
        ]
    );

    // An incremental change: a new paragraph at the end. The untouched paragraphs keep their
    // findings' identities.
    let addition = "\nUgh, I have a goblin brain.\n";
    lsp.change(
        uri,
        2,
        json!([{"range": range(3, 0, 3, 0), "text": addition}]),
    );
    text.push_str(addition);
    let v2 = lsp.diagnostics(uri, 2);
    assert_eq!(
        without_ids(&v2),
        [
            diag(range(0, 17, 0, 31), 3, "labeling", "test.gremlin", GREMLIN),
            diag(
                range(2, 8, 2, 18),
                4,
                "overgeneralization",
                "test.muddle",
                MUDDLE
            ),
            diag(range(4, 14, 4, 26), 2, "self_attack", "test.goblin", GOBLIN),
        ]
    );
    assert_eq!(Client::finding_ids(&v2)[..2], Client::finding_ids(&v1)[..]);

    // Hover: the message and every kinder wording, Markdown-escaped.
    assert_eq!(
        lsp.hover(uri, 0, 20),
        json!({
            "contents": {"kind": "markdown", "value":
                "**harsh label** · `labeling`\n\n“grumpy gremlin” is a harsh name to call \
                 yourself.\n\n**Kinder ways to say it:**\n- tired human\n- person having a hard \
                 day\n- Grumpy days happen to \\*everyone\\*."},
            "range": range(0, 17, 0, 31),
        })
    );
    assert_eq!(lsp.hover(uri, 1, 0), Value::Null);

    // Code actions: a rewrite per direct rewording, then "Don't flag" and "Turn off".
    let actions = lsp.code_actions(uri, range(0, 20, 0, 20));
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Rewrite as: “tired human”",
            "Rewrite as: “person having a hard day”",
            "Don't flag “grumpy gremlin” in this file",
            "Turn off rule test.gremlin for this session",
            "Turn off labeling (harsh label) for this session",
            "Quiet this paragraph (adds <!-- kindly-ignore -->)",
        ]
    );
    assert!(actions.iter().all(|a| a["kind"] == "quickfix"));
    assert_eq!(
        without_ids(actions[0]["diagnostics"].as_array().unwrap()),
        [diag(
            range(0, 17, 0, 31),
            3,
            "labeling",
            "test.gremlin",
            GREMLIN
        )]
    );
    let edit = &actions[0]["edit"]["changes"][uri];
    assert_eq!(
        edit,
        &json!([{"range": range(0, 17, 0, 31), "newText": "tired human"}])
    );
    assert_eq!(
        actions[2]["command"],
        json!({
            "title": "Don't flag “grumpy gremlin” in this file",
            "command": "kindly.ignorePhrase",
            "arguments": [uri, "grumpy gremlin"],
        })
    );

    // Apply the rewrite as the editor would: it sends the edit back as a change.
    text = apply_text_edit(&text, &edit[0], false);
    assert_eq!(
        text,
        "Overslept. I'm a tired human today.\n\nI was a muddlehead at work.\n\nUgh, I have a \
         goblin brain.\n"
    );
    lsp.change(
        uri,
        3,
        json!([{"range": edit[0]["range"], "text": edit[0]["newText"]}]),
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 3)),
        [
            diag(
                range(2, 8, 2, 18),
                4,
                "overgeneralization",
                "test.muddle",
                MUDDLE
            ),
            diag(range(4, 14, 4, 26), 2, "self_attack", "test.goblin", GOBLIN),
        ]
    );

    // "Don't flag" (case and line breaks do not matter), then "Turn off", then undo both.
    let ignore = lsp.code_actions(uri, range(4, 15, 4, 15));
    assert_eq!(
        ignore[0]["command"]["arguments"],
        json!([uri, "goblin brain"])
    );
    assert_eq!(
        lsp.call(
            "workspace/executeCommand",
            json!({"command": "kindly.ignorePhrase", "arguments": [uri, "Goblin\n BRAIN"]}),
        ),
        Value::Null
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 3)),
        [diag(
            range(2, 8, 2, 18),
            4,
            "overgeneralization",
            "test.muddle",
            MUDDLE
        )]
    );
    let off = lsp.code_actions(uri, range(2, 0, 2, 27));
    assert_eq!(
        off[1]["command"],
        json!({
            "title": "Turn off rule test.muddle for this session",
            "command": "kindly.disableRule",
            "arguments": ["test.muddle"],
        })
    );
    lsp.run_command(&off[1]);
    assert_eq!(lsp.diagnostics(uri, 3), Vec::<Value>::new());
    lsp.call(
        "workspace/executeCommand",
        json!({"command": "kindly.resetSession", "arguments": []}),
    );
    assert_eq!(lsp.diagnostics(uri, 3).len(), 2);
    // A rule that does not exist (or a crisis rule) is refused with the engine's words, as
    // the answer to the command (as for the crisis category), and nothing changes.
    for (id, why) in [
        (
            "test.mudle",
            "no loaded rule 'test.mudle' to turn off; did you mean 'test.muddle'?",
        ),
        (
            "test.vanish",
            "rule 'test.vanish' cannot be turned off: crisis language is always caught (see \
             README, Safety)",
        ),
    ] {
        let refused = lsp.request(
            "workspace/executeCommand",
            json!({"command": "kindly.disableRule", "arguments": [id]}),
        );
        assert_eq!(
            refused["error"],
            json!({"code": -32602, "message": format!(
                "kindly could not turn off rule '{id}': could not build the checker: {why}")}),
        );
    }
    let refused = lsp.request(
        "workspace/executeCommand",
        json!({"command": "kindly.disableCategory", "arguments": ["crisis"]}),
    );
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    lsp.call(
        "workspace/executeCommand",
        json!({"command": "kindly.ignorePhrase", "arguments": [uri, "goblin brain"]}),
    );
    assert_eq!(lsp.diagnostics(uri, 3).len(), 1);
    let off = lsp.code_actions(uri, range(2, 0, 2, 27));
    assert_eq!(
        off[2]["title"],
        "Turn off overgeneralization (always-or-never thinking) for this session"
    );
    lsp.run_command(&off[2]);
    assert_eq!(lsp.diagnostics(uri, 3), Vec::<Value>::new());
    lsp.call(
        "workspace/executeCommand",
        json!({"command": "kindly.resetSession", "arguments": []}),
    );
    assert_eq!(lsp.diagnostics(uri, 3).len(), 2);

    // "Quiet this paragraph" puts the ignore comment on a line of its own above the paragraph;
    // the engine then leaves that paragraph's notes out.
    let quiet = lsp.code_actions(uri, range(2, 0, 2, 27));
    let quiet = quiet.last().unwrap();
    assert_eq!(
        quiet["title"],
        "Quiet this paragraph (adds <!-- kindly-ignore -->)"
    );
    let edit = &quiet["edit"]["changes"][uri];
    assert_eq!(
        edit,
        &json!([{"range": range(2, 0, 2, 0), "newText": "<!-- kindly-ignore -->\n"}])
    );
    lsp.change(
        uri,
        4,
        json!([{"range": edit[0]["range"], "text": edit[0]["newText"]}]),
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 4)),
        [diag(
            range(5, 14, 5, 26),
            2,
            "self_attack",
            "test.goblin",
            GOBLIN
        )]
    );

    // Closing clears the document's diagnostics.
    lsp.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    let cleared = lsp.wait("cleared diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
    });
    assert_eq!(cleared["params"], json!({"uri": uri, "diagnostics": []}));

    let (status, stderr) = lsp.shutdown();
    assert_eq!(status.code(), Some(0));
    // The only log line; nothing the user wrote.
    assert_eq!(
        stderr,
        format!(
            "kindly lsp {}: ready, positions in utf-16\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn positions_are_utf16_by_default_and_utf8_when_offered() {
    let text = "😀 Ünï: I'm a grumpy gremlin.\n\né I have a goblin brain.\n";
    let uri = "file:///journal/emoji.md";
    let dir = workspace();
    for utf8 in [false, true] {
        let encodings = if utf8 {
            json!(["utf-8", "utf-16"])
        } else {
            json!(["utf-16"])
        };
        let (mut lsp, init) = Client::start(
            &dir,
            json!({"capabilities": {
                "general": {"positionEncodings": encodings},
                "workspace": {"workspaceEdit": {"documentChanges": true}},
            }}),
        );
        let expected_encoding = if utf8 { "utf-8" } else { "utf-16" };
        assert_eq!(init["capabilities"]["positionEncoding"], expected_encoding);
        lsp.open(uri, "markdown", text);
        // 😀 is 4 bytes and 2 UTF-16 units; Ü, ï and é are 2 bytes and 1 unit each.
        let (gremlin, goblin) = if utf8 {
            (range(0, 18, 0, 32), range(2, 12, 2, 24))
        } else {
            (range(0, 14, 0, 28), range(2, 11, 2, 23))
        };
        assert_eq!(
            without_ids(&lsp.diagnostics(uri, 1)),
            [
                diag(gremlin.clone(), 3, "labeling", "test.gremlin", GREMLIN),
                diag(goblin.clone(), 2, "self_attack", "test.goblin", GOBLIN),
            ]
        );
        // Hover positions are in the same units: the first unit of "grumpy".
        let start = gremlin["start"]["character"].as_u64().unwrap() as u32;
        assert_eq!(lsp.hover(uri, 0, start)["range"], gremlin);
        assert_eq!(lsp.hover(uri, 0, start - 1), Value::Null);

        // An edit right after the emoji, in the negotiated units: another emoji.
        let after_emoji = if utf8 { 4 } else { 2 };
        lsp.change(
            uri,
            2,
            json!([{"range": range(0, after_emoji, 0, after_emoji), "text": "🙂"}]),
        );
        let shifted = if utf8 {
            range(0, 22, 0, 36)
        } else {
            range(0, 16, 0, 30)
        };
        assert_eq!(
            without_ids(&lsp.diagnostics(uri, 2)),
            [
                diag(shifted.clone(), 3, "labeling", "test.gremlin", GREMLIN),
                diag(goblin, 2, "self_attack", "test.goblin", GOBLIN),
            ]
        );
        // The rewrite is a versioned edit (the client takes documentChanges), in the same
        // units, and applying it gives the right text.
        let actions = lsp.code_actions(uri, shifted.clone());
        let change = &actions[0]["edit"]["documentChanges"][0];
        assert_eq!(change["textDocument"], json!({"uri": uri, "version": 2}));
        assert_eq!(
            change["edits"],
            json!([{"range": shifted, "newText": "tired human"}])
        );
        let edited = apply_text_edit(&text.replacen("😀", "😀🙂", 1), &change["edits"][0], utf8);
        assert_eq!(
            edited,
            "😀🙂 Ünï: I'm a tired human.\n\né I have a goblin brain.\n"
        );
        let (status, stderr) = lsp.shutdown();
        assert_eq!(status.code(), Some(0));
        assert!(stderr.ends_with(&format!("positions in {expected_encoding}\n")));
    }
}

/// Unlike `kindly check`, which takes a file's byte-order mark off (editors do not count it),
/// the server keeps a U+FEFF the client sends: it is in the client's buffer, so the client's
/// positions count it, in UTF-16 units (1) or UTF-8 bytes (3).
#[test]
fn a_leading_feff_counts_in_positions() {
    let dir = workspace();
    for (encodings, start) in [(json!(["utf-16"]), 7), (json!(["utf-8"]), 9)] {
        let (mut lsp, _) = Client::start(
            &dir,
            json!({"capabilities": {"general": {"positionEncodings": encodings}}}),
        );
        let uri = "file:///j/bom.txt";
        lsp.open(uri, "plaintext", "\u{FEFF}I'm a grumpy gremlin.\n");
        assert_eq!(
            without_ids(&lsp.diagnostics(uri, 1)),
            [diag(
                range(0, start, 0, start + 14),
                3,
                "labeling",
                "test.gremlin",
                GREMLIN
            )]
        );
        assert_eq!(lsp.shutdown().0.code(), Some(0));
    }
}

#[test]
fn markdown_skips_code_and_other_languages_follow_the_file_name() {
    let dir = workspace();
    let (mut lsp, _) = Client::start(&dir, json!({}));
    let text = "`I'm a grumpy gremlin`\n\nI'm a grumpy gremlin.\n";
    let only_prose = [diag(
        range(2, 6, 2, 20),
        3,
        "labeling",
        "test.gremlin",
        GREMLIN,
    )];
    for (uri, language, expected) in [
        ("file:///j/a.md", "markdown", &only_prose[..]),
        ("file:///j/b.md", "org", &only_prose[..]),
        ("file:///j/c.txt", "org", &[][..]),
        ("file:///j/d.md", "plaintext", &[][..]),
    ] {
        lsp.open(uri, language, text);
        let diags = without_ids(&lsp.diagnostics(uri, 1));
        if expected.is_empty() {
            // Plain text: the code span is prose too.
            assert_eq!(diags.len(), 2, "{uri}");
            assert_eq!(diags[0]["range"], range(0, 7, 0, 21), "{uri}");
        } else {
            assert_eq!(diags, expected, "{uri}");
        }
    }
    assert_eq!(lsp.shutdown().0.code(), Some(0));
}

#[test]
fn crisis_language_gets_the_support_message_and_no_rewrites() {
    let dir = workspace();
    let (mut lsp, _) = Client::start(&dir, json!({}));

    // Tier A: the whole document shows only the support message.
    let uri = "file:///j/hard.md";
    lsp.open(
        uri,
        "markdown",
        "I'm a grumpy gremlin.\n\nI want to vanish forever.\n",
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        [diag(
            range(2, 10, 2, 24),
            1,
            "crisis",
            "test.vanish",
            SUPPORT_A
        )]
    );
    assert_eq!(
        lsp.hover(uri, 2, 12),
        json!({
            "contents": {"kind": "markdown", "value":
                "You don't have to hold this alone. Someone can listen right now.\n\n\
                 - Test Line: **call 000-TEST** (US)\n- Emergency services: **call 911** (US)"},
            "range": range(2, 10, 2, 24),
        })
    );
    assert_eq!(
        lsp.hover(uri, 0, 8),
        Value::Null,
        "the set-aside note has no hover"
    );
    let actions = lsp.code_actions(uri, range(0, 0, 3, 0));
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["title"], "Show support resources");
    assert!(actions[0].get("edit").is_none());
    assert_eq!(
        actions[0]["command"],
        json!({"title": "Show support resources", "command": "kindly.showSupport", "arguments": [uri]})
    );
    lsp.run_command(&actions[0]);
    assert_eq!(lsp.shown_message(), (3, SUPPORT_A.to_string()));

    // Tier B: the note in the same sentence is set aside; the next paragraph's note stays.
    let uri = "file:///j/heavy.md";
    lsp.open(
        uri,
        "markdown",
        "I'm a grumpy gremlin and I could fade away for good.\n\nI have a goblin brain.\n",
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        [
            diag(
                range(0, 33, 0, 51),
                1,
                "crisis",
                "test.fade",
                "That sounds heavy. Someone can listen any time.\n\n- Test Line: call 000-TEST \
                 (US)\n- Emergency services: call 911 (US)"
            ),
            diag(range(2, 9, 2, 21), 2, "self_attack", "test.goblin", GOBLIN),
        ]
    );
    // Abuse (DOMAIN.md §2.5): like tier A, only the support diagnostic, with the abuse text
    // and lines, no rewrite, and the other note in the document set aside.
    let uri = "file:///j/home.md";
    lsp.open(
        uri,
        "markdown",
        "I'm a grumpy gremlin.\n\nHe shoves me around.\n",
    );
    let support_abuse = "That sounds hard, and it isn't your fault.\n\n- Safe Line: call 000-SAFE \
                         (US)\n- Emergency services: call 911 (US)";
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        [diag(
            range(2, 3, 2, 19),
            1,
            "crisis",
            "test.bruise",
            support_abuse
        )]
    );
    let titles: Vec<Value> = lsp
        .code_actions(uri, range(0, 0, 3, 0))
        .iter()
        .map(|a| a["title"].clone())
        .collect();
    assert_eq!(titles, [json!("Show support resources")]);

    // Crisis cannot be turned off, by command or by settings.
    let refused = lsp.request(
        "workspace/executeCommand",
        json!({"command": "kindly.disableCategory", "arguments": ["crisis"]}),
    );
    assert_eq!(
        refused["error"],
        json!({"code": -32602, "message": "the crisis category cannot be turned off: crisis \
               language is always caught, so a support message can be shown"})
    );
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"kindly": {"enabledCategories": ["labeling"]}}}),
    );
    let only_labeling = lsp.diagnostics(uri, 1);
    assert_eq!(only_labeling.len(), 1);
    assert_eq!(only_labeling[0]["code"], "crisis");
    assert_eq!(lsp.shutdown().0.code(), Some(0));
}

#[test]
fn settings_layer_and_bad_settings_are_shown_and_ignored() {
    let dir = workspace();
    dir.write("extra.toml", EXTRA_PACK);
    dir.write("bad.toml", BAD_PACK);
    let (mut lsp, _) = Client::start(
        &dir,
        json!({"initializationOptions": {"minimumSeverity": "high"}}),
    );
    let uri = "file:///j/settings.txt";
    let text = "I am a muddlehead and I have a goblin brain. I'm a grumpy gremlin. I'm a bramble \
                head.\n";
    lsp.open(uri, "plaintext", text);
    let goblin = diag(range(0, 31, 0, 43), 2, "self_attack", "test.goblin", GOBLIN);
    let muddle = diag(
        range(0, 7, 0, 17),
        4,
        "overgeneralization",
        "test.muddle",
        MUDDLE,
    );
    let gremlin = diag(range(0, 51, 0, 65), 3, "labeling", "test.gremlin", GREMLIN);
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        std::slice::from_ref(&goblin)
    );

    // didChangeConfiguration goes on top of initializationOptions.
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"kindly": {"disabledCategories": ["self_attack"], "minimumSeverity": "low"}}}),
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        [muddle.clone(), gremlin.clone()]
    );

    // A typo: a visible error, and the previous settings stay.
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"kindly": {"disabledCategories": ["labelling"]}}}),
    );
    assert_eq!(
        lsp.shown_message(),
        (
            1,
            "kindly could not apply the settings from workspace/didChangeConfiguration: \
             disabledCategories: unknown category 'labelling'; did you mean 'labeling'? (valid \
             ids: labeling, comparison, overgeneralization, all_or_nothing, should_statement, \
             catastrophizing, mind_reading, fortune_telling, personalization, \
             discounting_positive, emotional_reasoning, self_attack). The previous settings are \
             still in use."
                .to_string()
        )
    );
    lsp.change(uri, 2, json!([{"range": range(1, 0, 1, 0), "text": "\n"}]));
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 2)),
        [muddle.clone(), gremlin.clone()]
    );

    // One rule off by id; a mistyped id names the closest, and the previous settings stay.
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"kindly": {"disabledCategories": ["self_attack"], "minimumSeverity": "low", "disabledRules": ["test.gremlin"]}}}),
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 2)),
        std::slice::from_ref(&muddle)
    );
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"kindly": {"disabledRules": ["test.gremlim"]}}}),
    );
    assert_eq!(
        lsp.shown_message(),
        (
            1,
            "kindly could not apply the settings from workspace/didChangeConfiguration: could \
             not build the checker: no loaded rule 'test.gremlim' to turn off; did you mean \
             'test.gremlin'? The previous settings are still in use."
                .to_string()
        )
    );
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"kindly": {"disabledCategories": ["self_attack"], "minimumSeverity": "low"}}}),
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 2)),
        [muddle.clone(), gremlin.clone()]
    );

    // A pack with a mistake: its located message, and the previous settings stay.
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"kindly": {"packs": ["bad.toml"]}}}),
    );
    let pack_error = kindly::EngineBuilder::new()
        .builtin_packs(false)
        .add_pack_path(dir.path().join("bad.toml"))
        .build()
        .unwrap_err()
        .to_string();
    let (kind, message) = lsp.shown_message();
    assert_eq!(kind, 1);
    assert_eq!(
        message,
        format!(
            "kindly could not apply the settings from workspace/didChangeConfiguration: could \
             not build the checker: {pack_error}. The previous settings are still in use."
        )
    );
    assert!(
        message.contains(&format!(
            "{}:11:12: rule 'bad.oops': unknown category 'labelling'",
            dir.path().join("bad.toml").display()
        )),
        "{message}"
    );

    // An extra pack, relative to the workspace folder. This layer replaces the previous
    // didChangeConfiguration layer, so self_attack is back and the minimum is "high" again
    // (from initializationOptions) until lowered.
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"kindly": {"packs": ["extra.toml"], "minimumSeverity": "moderate"}}}),
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 2)),
        [
            goblin,
            gremlin,
            diag(
                range(0, 73, 0, 85),
                3,
                "labeling",
                "extra.bramble",
                "“bramble head” is a prickly name for yourself."
            ),
        ]
    );

    // An edited pack is read again by kindly.resetSession (settings that did not change do
    // not reload packs).
    std::fs::write(
        dir.path().join("extra.toml"),
        EXTRA_PACK.replace("is a prickly name for yourself", "sounds prickly"),
    )
    .unwrap();
    lsp.call(
        "workspace/executeCommand",
        json!({"command": "kindly.resetSession", "arguments": []}),
    );
    assert_eq!(
        lsp.diagnostics(uri, 2)[2]["message"],
        "“bramble head” sounds prickly."
    );

    // The locale of the support message.
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"locale": "en-GB"}}),
    );
    let crisis = "file:///j/uk.txt";
    lsp.open(crisis, "plaintext", "I want to vanish forever.");
    assert_eq!(
        lsp.diagnostics(crisis, 1)[0]["message"],
        "You don't have to hold this alone. Someone in the UK can listen right now.\n\n\
         - Test Line UK: call 116 123 (UK)"
    );

    // Other shapes of bad settings.
    for (settings, error) in [
        (json!({"minimumSeverity": "loud"}), "minimumSeverity: unknown severity 'loud' (expected low, moderate or high)"),
        (json!({"kindly": {"packs": "extra.toml"}}), "packs must be a list of paths, not a string"),
        (json!({"kindly": {"colour": true}}), "unknown setting 'colour' (known settings: enabledCategories, disabledCategories, disabledRules, minimumSeverity, packs, builtinPacks, locale, maxReframes)"),
        (json!(42), "the settings must be an object, not a number"),
    ] {
        lsp.notify("workspace/didChangeConfiguration", json!({"settings": settings}));
        assert_eq!(
            lsp.shown_message().1,
            format!(
                "kindly could not apply the settings from workspace/didChangeConfiguration: \
                 {error}. The previous settings are still in use."
            )
        );
    }
    assert_eq!(lsp.shutdown().0.code(), Some(0));
}

#[test]
fn bad_initialization_options_are_shown_and_the_defaults_stay() {
    let dir = workspace();
    let (mut lsp, _) = Client::start(&dir, json!({"initializationOptions": {"maxReframes": 9}}));
    assert_eq!(
        lsp.shown_message(),
        (
            1,
            "kindly could not apply the settings from initializationOptions: maxReframes must \
             be 1, 2 or 3. The previous settings are still in use."
                .to_string()
        )
    );
    let uri = "file:///j/x.txt";
    lsp.open(uri, "plaintext", "I was a muddlehead.");
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        [diag(
            range(0, 8, 0, 18),
            4,
            "overgeneralization",
            "test.muddle",
            MUDDLE
        )]
    );
    assert_eq!(lsp.shutdown().0.code(), Some(0));
}

/// A settings file (kindly.toml) with a mistake does not stop the server before the handshake,
/// which an editor can only show as a crash: the mistake is shown in the editor with the file,
/// line and column, as for bad initializationOptions, and the server keeps checking.
#[test]
fn a_bad_settings_file_is_shown_in_the_editor_and_the_server_keeps_running() {
    let dir = workspace();
    let file = dir.write("kindly.toml", "packs = [\n");
    let (mut lsp, _) = Client::start(&dir, json!({}));
    let (kind, message) = lsp.shown_message();
    assert_eq!(kind, 1);
    assert_eq!(
        message,
        format!(
            "kindly could not read its settings file: {}:1:10: unclosed array, expected `]`. The \
             file is left out (the server reads it again when it starts); checking with the \
             command line's options and the built-in defaults.",
            file.display()
        )
    );
    // The command line's pack is in use.
    let uri = "file:///j/a.txt";
    lsp.open(uri, "plaintext", "I was a muddlehead.");
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        [diag(
            range(0, 8, 0, 18),
            4,
            "overgeneralization",
            "test.muddle",
            MUDDLE
        )]
    );
    let (status, stderr) = lsp.shutdown();
    assert_eq!(status.code(), Some(0));
    assert!(
        stderr.starts_with(&format!(
            "kindly lsp: {}:1:10: unclosed array",
            file.display()
        )),
        "{stderr}"
    );

    // A mistake in what the file means is located in the file, not blamed on the command
    // line, and only that value is left out: labeling stays off as the file says.
    let file = dir.write(
        "kindly.toml",
        "disable-categories = [\"labeling\"]\ndisable-rules = [\"nope.rule\"]\n",
    );
    let (mut lsp, _) = Client::start(&dir, json!({}));
    let (kind, message) = lsp.shown_message();
    assert_eq!(kind, 1);
    assert_eq!(
        message,
        format!(
            "kindly could not use a setting: {}:2:18: disable-rules: no loaded rule \
             'nope.rule' to turn off (`kindly rules` lists every rule). It is left out; the \
             other settings are in use.",
            file.display()
        )
    );
    lsp.open(
        uri,
        "plaintext",
        "I'm a grumpy gremlin. Ugh, my goblin brain.",
    );
    let diags = lsp.diagnostics(uri, 1);
    let rules: Vec<&str> = diags
        .iter()
        .map(|d| d["data"]["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["test.goblin"]);
    assert_eq!(lsp.shutdown().0.code(), Some(0));
}

#[test]
fn settings_are_pulled_from_clients_that_keep_them() {
    let dir = workspace();
    let (mut lsp, _) = Client::start(
        &dir,
        json!({"capabilities": {"workspace": {"configuration": true}}}),
    );
    let answer = |lsp: &mut Client, settings: Value| {
        let request = lsp.wait("workspace/configuration", |m| {
            m["method"] == "workspace/configuration"
        });
        assert_eq!(request["params"], json!({"items": [{"section": "kindly"}]}));
        lsp.send(&json!({"jsonrpc": "2.0", "id": request["id"], "result": [settings]}));
    };
    // Asked right after `initialized`.
    answer(&mut lsp, json!({"minimumSeverity": "high"}));
    let uri = "file:///j/pull.txt";
    lsp.open(
        uri,
        "plaintext",
        "I am a muddlehead and I have a goblin brain. I'm a grumpy gremlin.",
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        [diag(
            range(0, 31, 0, 43),
            2,
            "self_attack",
            "test.goblin",
            GOBLIN
        )]
    );
    // A change notification without settings: asked again.
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    answer(&mut lsp, json!({"disabledCategories": ["self_attack"]}));
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        [
            diag(
                range(0, 7, 0, 17),
                4,
                "overgeneralization",
                "test.muddle",
                MUDDLE
            ),
            diag(range(0, 51, 0, 65), 3, "labeling", "test.gremlin", GREMLIN),
        ]
    );
    assert_eq!(lsp.shutdown().0.code(), Some(0));
}

/// Emacs's Eglot sends every server all the sections of its workspace configuration: with no
/// `kindly` section (and nothing like a kindly setting) that is no kindly settings, not an
/// error. A `workspace/configuration` answer of `null` clears that layer, as `{}` does.
#[test]
fn other_servers_settings_and_null_answers_clear_the_layer() {
    let dir = workspace();
    let text = "I am a muddlehead and I have a goblin brain. I'm a grumpy gremlin.";
    let goblin = diag(range(0, 31, 0, 43), 2, "self_attack", "test.goblin", GOBLIN);
    let all = [
        diag(
            range(0, 7, 0, 17),
            4,
            "overgeneralization",
            "test.muddle",
            MUDDLE,
        ),
        goblin.clone(),
        diag(range(0, 51, 0, 65), 3, "labeling", "test.gremlin", GREMLIN),
    ];
    let uri = "file:///j/eglot.txt";

    // Pushed settings (no workspace/configuration).
    let (mut lsp, _) = Client::start(
        &dir,
        json!({"initializationOptions": {"minimumSeverity": "high"}}),
    );
    lsp.open(uri, "plaintext", text);
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        std::slice::from_ref(&goblin)
    );
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"pylsp": {"plugins": {}}, "kindly": {"minimumSeverity": "low"}}}),
    );
    assert_eq!(without_ids(&lsp.diagnostics(uri, 1)), all);
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"pylsp": {"plugins": {}}, "rust-analyzer": {"check": {}}}}),
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        std::slice::from_ref(&goblin)
    );
    let shown = |lsp: &Client| {
        lsp.backlog
            .iter()
            .filter(|m| m["method"] == "window/showMessage")
            .count()
    };
    assert_eq!(shown(&lsp), 0);
    // A mistyped kindly setting is still an error (the first message shown in the session).
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"minimumSeverty": "low"}}),
    );
    assert_eq!(
        lsp.shown_message().1,
        "kindly could not apply the settings from workspace/didChangeConfiguration: unknown \
         setting 'minimumSeverty' (known settings: enabledCategories, disabledCategories, \
         disabledRules, minimumSeverity, packs, builtinPacks, locale, maxReframes). The previous \
         settings are still in use."
    );
    assert_eq!(lsp.shutdown().0.code(), Some(0));

    // Pulled settings: other servers' sections ask for ours, and `null` clears the layer.
    let (mut lsp, _) = Client::start(
        &dir,
        json!({"capabilities": {"workspace": {"configuration": true}}}),
    );
    let answer = |lsp: &mut Client, settings: Value| {
        let request = lsp.wait("workspace/configuration", |m| {
            m["method"] == "workspace/configuration"
        });
        lsp.send(&json!({"jsonrpc": "2.0", "id": request["id"], "result": [settings]}));
    };
    answer(&mut lsp, json!({"minimumSeverity": "high"}));
    lsp.open(uri, "plaintext", text);
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        std::slice::from_ref(&goblin)
    );
    lsp.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"pylsp": {"plugins": {}}}}),
    );
    answer(&mut lsp, Value::Null);
    assert_eq!(without_ids(&lsp.diagnostics(uri, 1)), all);
    assert_eq!(shown(&lsp), 0);
    let (status, stderr) = lsp.shutdown();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        stderr,
        format!(
            "kindly lsp {}: ready, positions in utf-16\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

/// Diagnostics for an edit sent in the same write as `shutdown` go out before the `shutdown`
/// response, and an edit after `shutdown` gets none: nothing but the end of the session may
/// follow that response.
#[test]
fn nothing_is_published_after_the_shutdown_reply() {
    let dir = workspace();
    let (mut lsp, _) = Client::start(&dir, json!({}));
    let uri = "file:///j/late.txt";
    lsp.open(uri, "plaintext", "Hello.");
    assert_eq!(lsp.diagnostics(uri, 1), Vec::<Value>::new());
    // One write holding both messages, so the server reads them as one batch.
    let change = json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"text": "Hello. I'm a grumpy gremlin."}]}});
    let shutdown = json!({"jsonrpc": "2.0", "id": 900, "method": "shutdown", "params": null});
    let mut both = Vec::new();
    for msg in [&change, &shutdown] {
        let body = serde_json::to_vec(msg).unwrap();
        write!(both, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        both.extend_from_slice(&body);
    }
    let stdin = lsp.stdin.as_mut().unwrap();
    stdin.write_all(&both).unwrap();
    stdin.flush().unwrap();
    let reply = lsp.wait("the response to shutdown", |m| m["id"] == 900);
    assert_eq!(reply["result"], Value::Null, "{reply}");
    // The diagnostics for version 2 came first, so they are already waiting in the backlog.
    let published: Vec<i64> = lsp
        .backlog
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .map(|m| m["params"]["version"].as_i64().unwrap())
        .collect();
    assert_eq!(published, [2]);
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 2)),
        [diag(
            range(0, 13, 0, 27),
            3,
            "labeling",
            "test.gremlin",
            GREMLIN
        )]
    );
    // An edit after shutdown is dropped: the refusal of the next request is all that comes.
    lsp.change(uri, 3, json!([{"text": "I'm a grumpy gremlin again."}]));
    let refused = lsp.request("textDocument/hover", json!({}));
    assert_eq!(refused["error"]["code"], -32600, "{refused}");
    assert!(
        lsp.backlog.is_empty(),
        "sent after the shutdown reply: {:?}",
        lsp.backlog
    );
    assert_eq!(lsp.exit().0.code(), Some(0));
}

#[test]
fn malformed_input_gets_errors_not_crashes() {
    let dir = workspace();
    let (mut lsp, _) = Client::start(&dir, json!({}));
    let error = |lsp: &mut Client, method: &str, params: Value| {
        lsp.request(method, params)["error"].clone()
    };
    assert_eq!(
        error(&mut lsp, "textDocument/hover", json!({})),
        json!({"code": -32602, "message": "invalid params for textDocument/hover: missing field `textDocument`"})
    );
    assert_eq!(
        error(&mut lsp, "textDocument/formatting", json!({})),
        json!({"code": -32601, "message": "kindly does not handle textDocument/formatting"})
    );
    assert_eq!(
        error(
            &mut lsp,
            "workspace/executeCommand",
            json!({"command": "kindly.nope"})
        ),
        json!({"code": -32602, "message": "unknown command 'kindly.nope' (kindly's commands: \
               kindly.ignorePhrase, kindly.disableRule, kindly.disableCategory, \
               kindly.showSupport, kindly.resetSession, kindly.applyEdit)"})
    );
    assert_eq!(
        error(
            &mut lsp,
            "workspace/executeCommand",
            json!({"command": "kindly.ignorePhrase", "arguments": [1]})
        ),
        json!({"code": -32602, "message": "kindly.ignorePhrase takes a document URI and a phrase"})
    );
    // A malformed notification is logged by method name and skipped; a didOpen that cannot be
    // read is also said in the editor, since its document gets no notes.
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"text": "I'm a grumpy gremlin."}}),
    );
    assert_eq!(
        lsp.shown_message(),
        (
            2,
            "kindly could not check a document: the editor's textDocument/didOpen notification \
             had no document URI or text."
                .to_string()
        )
    );
    // A second `initialize` is an invalid request.
    assert_eq!(
        error(&mut lsp, "initialize", json!({"capabilities": {}})),
        json!({"code": -32600, "message": "the server is already initialized"})
    );
    // Requests about documents that are not open get empty answers.
    assert_eq!(lsp.hover("file:///nowhere.txt", 0, 0), Value::Null);
    assert_eq!(
        lsp.code_actions("file:///nowhere.txt", range(0, 0, 0, 0)),
        Vec::<Value>::new()
    );
    // Positions past the end are clamped as the protocol says (here: appended).
    let uri = "file:///j/clamp.txt";
    lsp.open(uri, "plaintext", "Hello.");
    assert_eq!(lsp.diagnostics(uri, 1), Vec::<Value>::new());
    lsp.change(
        uri,
        2,
        json!([{"range": range(9, 0, 9, 0), "text": " I'm a grumpy gremlin."}]),
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 2)),
        [diag(
            range(0, 13, 0, 27),
            3,
            "labeling",
            "test.gremlin",
            GREMLIN
        )]
    );
    // A hover on a line past the last has nothing to show (it used to be clamped to the end
    // of the text, which showed the last note).
    assert_eq!(lsp.hover(uri, 0, 20)["range"], range(0, 13, 0, 27));
    lsp.change(
        uri,
        3,
        json!([{"range": range(0, 28, 0, 28), "text": "\nAnd I'm a grumpy gremlin"}]),
    );
    assert_eq!(lsp.diagnostics(uri, 3).len(), 2);
    assert_eq!(lsp.hover(uri, 1, 24)["range"], range(1, 10, 1, 24));
    assert_eq!(lsp.hover(uri, 2, 0), Value::Null);
    assert_eq!(lsp.hover(uri, 99, 0), Value::Null);
    // A code action range that ends before it starts is invalid.
    assert_eq!(
        error(
            &mut lsp,
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range(0, 20, 0, 14),
                   "context": {"diagnostics": []}})
        ),
        json!({"code": -32602, "message": "invalid params for textDocument/codeAction: the range \
               ends before it starts"})
    );
    // After shutdown, requests are refused.
    assert_eq!(lsp.call("shutdown", Value::Null), Value::Null);
    assert_eq!(
        error(&mut lsp, "textDocument/hover", json!({})),
        json!({"code": -32600, "message": "the server is shutting down"})
    );
    let (status, stderr) = lsp.exit();
    assert_eq!(status.code(), Some(0));
    assert!(
        stderr.contains(
            "kindly lsp: ignored a textDocument/didOpen notification with malformed params\n"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("gremlin"), "{stderr}");

    // `exit` without `shutdown` is exit status 1, as the protocol asks, quietly; so is an
    // editor that goes away without either, with a line for its log. After `shutdown`, going
    // away is a clean end.
    let ready = concat!(
        "kindly lsp ",
        env!("CARGO_PKG_VERSION"),
        ": ready, positions in utf-16\n"
    );
    let (lsp, _) = Client::start(&dir, json!({}));
    let (status, stderr) = lsp.exit();
    assert_eq!((status.code(), stderr.as_str()), (Some(1), ready));
    let (lsp, _) = Client::start(&dir, json!({}));
    let (status, stderr) = lsp.close();
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        stderr,
        format!(
            "{ready}kindly lsp: the client closed the connection without asking the server to shut down\n"
        )
    );
    let (mut lsp, _) = Client::start(&dir, json!({}));
    assert_eq!(lsp.call("shutdown", Value::Null), Value::Null);
    let (status, stderr) = lsp.close();
    assert_eq!((status.code(), stderr.as_str()), (Some(0), ready));

    // A message cut short is answered with a parse error, and the log names the problem
    // without quoting the message; the session goes on.
    let (mut lsp, _) = Client::start(&dir, json!({}));
    let broken = br#"{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"text": "I'm a grumpy gremlin"#;
    lsp.send_framed(broken);
    assert_eq!(
        lsp.error_without_id(),
        json!({"code": -32700, "message": "Parse error: a message that is not valid JSON"})
    );
    let (status, stderr) = lsp.shutdown();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        stderr,
        format!("{ready}kindly lsp: answered a message that is not valid JSON with -32700 Parse error\n")
    );
}

/// Positions far along a long line with multibyte text are exact (they are converted from
/// checkpoints, not counted from the line's start), in both encodings, for diagnostics,
/// hovers, code actions and incoming edits.
#[test]
fn positions_on_a_long_line_with_multibyte_text() {
    let filler = "Ünï 😀 went to the café, 日本語 too. ".repeat(300);
    let text = format!("{filler}I'm a grumpy gremlin. {filler}I have a goblin brain.");
    assert!(!text.contains('\n') && text.len() > 20_000);
    let dir = workspace();
    for utf8 in [false, true] {
        let units = |byte: usize| -> u32 {
            let before = &text[..byte];
            u32::try_from(if utf8 {
                before.len()
            } else {
                before.encode_utf16().count()
            })
            .unwrap()
        };
        let encodings = if utf8 {
            json!(["utf-8"])
        } else {
            json!(["utf-16"])
        };
        let (mut lsp, _) = Client::start(
            &dir,
            json!({"capabilities": {"general": {"positionEncodings": encodings}}}),
        );
        let uri = "file:///j/one-line.txt";
        lsp.open(uri, "plaintext", &text);
        let gremlin = text.find("grumpy gremlin").unwrap();
        let goblin = text.find("goblin brain").unwrap();
        let g = (units(gremlin), units(gremlin + "grumpy gremlin".len()));
        let b = (units(goblin), units(goblin + "goblin brain".len()));
        assert_eq!(
            without_ids(&lsp.diagnostics(uri, 1)),
            [
                diag(
                    range(0, g.0, 0, g.1),
                    3,
                    "labeling",
                    "test.gremlin",
                    GREMLIN
                ),
                diag(
                    range(0, b.0, 0, b.1),
                    2,
                    "self_attack",
                    "test.goblin",
                    GOBLIN
                ),
            ],
            "utf8: {utf8}"
        );
        assert_eq!(lsp.hover(uri, 0, b.0 + 3)["range"], range(0, b.0, 0, b.1));
        let actions = lsp.code_actions(uri, range(0, g.0 + 1, 0, g.0 + 1));
        assert_eq!(
            actions[0]["edit"]["changes"][uri][0]["range"],
            range(0, g.0, 0, g.1)
        );
        // An edit far along the line lands where the client meant it.
        lsp.change(
            uri,
            2,
            json!([{"range": range(0, b.0, 0, b.0), "text": "big "}]),
        );
        let d = lsp.diagnostics(uri, 2);
        assert_eq!(d[1]["range"], range(0, b.0 + 4, 0, b.1 + 4), "utf8: {utf8}");
        assert_eq!(lsp.shutdown().0.code(), Some(0));
    }
}

/// A client without `codeActionLiteralSupport` (LSP before 3.8) takes only `Command`s: the
/// commands as they are, and each edit as `kindly.applyEdit`, which sends it back with
/// `workspace/applyEdit`; without `workspace.applyEdit` the edits are left out. `context.only`
/// follows the dot-separated kind hierarchy.
#[test]
fn code_actions_follow_the_clients_capabilities_and_kinds() {
    let dir = workspace();
    let uri = "file:///j/old-client.txt";
    let text = "I'm a grumpy gremlin.\n";
    let (mut lsp, _) = Client::start(
        &dir,
        json!({"capabilities": {"textDocument": {"codeAction": null},
                                "workspace": {"applyEdit": true}}}),
    );
    lsp.open(uri, "plaintext", text);
    lsp.diagnostics(uri, 1);
    let commands = lsp.code_actions(uri, range(0, 8, 0, 8));
    let rewrite = |title: &str, new: &str| {
        json!({"title": title, "command": "kindly.applyEdit", "arguments": [
            {"changes": {uri: [{"range": range(0, 6, 0, 20), "newText": new}]}}, title]})
    };
    let quiet = "Quiet this paragraph (adds <!-- kindly-ignore -->)";
    assert_eq!(
        commands,
        [
            rewrite("Rewrite as: “tired human”", "tired human"),
            rewrite(
                "Rewrite as: “person having a hard day”",
                "person having a hard day"
            ),
            json!({"title": "Don't flag “grumpy gremlin” in this file",
                   "command": "kindly.ignorePhrase", "arguments": [uri, "grumpy gremlin"]}),
            json!({"title": "Turn off rule test.gremlin for this session",
                   "command": "kindly.disableRule", "arguments": ["test.gremlin"]}),
            json!({"title": "Turn off labeling (harsh label) for this session",
                   "command": "kindly.disableCategory", "arguments": ["labeling"]}),
            json!({"title": quiet, "command": "kindly.applyEdit", "arguments": [
                {"changes": {uri: [{"range": range(0, 0, 0, 0),
                                    "newText": "<!-- kindly-ignore -->\n"}]}}, quiet]}),
        ]
    );
    // Running the rewrite sends its edit to the client to apply.
    assert_eq!(
        lsp.run_command(&json!({"command": commands[0]})),
        Value::Null
    );
    let apply = lsp.wait("workspace/applyEdit", |m| {
        m["method"] == "workspace/applyEdit"
    });
    assert_eq!(
        apply["params"],
        json!({"label": "Rewrite as: “tired human”", "edit": commands[0]["arguments"][0]})
    );
    lsp.send(&json!({"jsonrpc": "2.0", "id": apply["id"], "result": {"applied": true}}));
    let refused = lsp.request(
        "workspace/executeCommand",
        json!({"command": "kindly.applyEdit", "arguments": [{"edit": 1}]}),
    );
    assert_eq!(
        refused["error"],
        json!({"code": -32602, "message": "kindly.applyEdit takes a workspace edit"})
    );
    assert_eq!(lsp.shutdown().0.code(), Some(0));

    // Without workspace/applyEdit, only the commands.
    let (mut lsp, _) = Client::start(
        &dir,
        json!({"capabilities": {"textDocument": {"codeAction": null}}}),
    );
    lsp.open(uri, "plaintext", text);
    lsp.diagnostics(uri, 1);
    let commands = lsp.code_actions(uri, range(0, 8, 0, 8));
    let names: Vec<&str> = commands
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "kindly.ignorePhrase",
            "kindly.disableRule",
            "kindly.disableCategory"
        ]
    );
    let refused = lsp.request(
        "workspace/executeCommand",
        json!({"command": "kindly.applyEdit", "arguments": [{"changes": {}}]}),
    );
    assert_eq!(
        refused["error"],
        json!({"code": -32803, "message": "the editor does not take edits from the server \
                                           (workspace/applyEdit)"})
    );
    assert_eq!(lsp.shutdown().0.code(), Some(0));

    // `only`: the kind and its sub-kinds, never a prefix of a name.
    let (mut lsp, _) = Client::start(&dir, json!({}));
    lsp.open(uri, "plaintext", text);
    lsp.diagnostics(uri, 1);
    for (only, count) in [
        (json!(["quickfix"]), 6),
        (json!([""]), 6),
        (json!(["refactor", "quickfix"]), 6),
        (json!(["q"]), 0),
        (json!(["quick"]), 0),
        (json!(["quickfix.kindly"]), 0),
        (json!(["refactor"]), 0),
        (json!(["source.organizeImports"]), 0),
        (json!([]), 0),
    ] {
        let actions = lsp.call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range(0, 8, 0, 8),
                   "context": {"diagnostics": [], "only": only}}),
        );
        assert_eq!(actions.as_array().unwrap().len(), count, "{only}");
    }
    assert_eq!(lsp.shutdown().0.code(), Some(0));
}

/// "Quiet this paragraph" puts the comment where it quiets the note and the Markdown stays as
/// it was: after front matter, inside a list item at its content's indentation, above a table;
/// with the document's own line ending.
#[test]
fn quieting_a_paragraph_keeps_the_markdown_as_it_was() {
    let dir = workspace();
    let (mut lsp, _) = Client::start(&dir, json!({}));
    let quiet = "Quiet this paragraph (adds <!-- kindly-ignore -->)";
    for (i, (text, note, quieted)) in [
        (
            "---\ntitle: Monday\n---\nI'm a grumpy gremlin.\n",
            "gremlin",
            "---\ntitle: Monday\n---\n<!-- kindly-ignore -->\nI'm a grumpy gremlin.\n",
        ),
        (
            "* Fine.\n\n  I'm a grumpy gremlin.\n",
            "gremlin",
            "* Fine.\n\n  <!-- kindly-ignore -->\n  I'm a grumpy gremlin.\n",
        ),
        (
            "- Fine.\n\n- I'm a grumpy gremlin.\n\n- Fine.\n",
            "gremlin",
            "- Fine.\n\n- I'm a grumpy gremlin.\n  <!-- kindly-ignore -->\n\n- Fine.\n",
        ),
        (
            "| day | note |\n|---|---|\n| Mon | I'm a grumpy gremlin |\n",
            "gremlin",
            "<!-- kindly-ignore -->\n| day | note |\n|---|---|\n| Mon | I'm a grumpy gremlin |\n",
        ),
        (
            "Monday.\r\n\r\nI'm a grumpy gremlin.\r\n",
            "gremlin",
            "Monday.\r\n\r\n<!-- kindly-ignore -->\r\nI'm a grumpy gremlin.\r\n",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let uri = format!("file:///j/quiet{i}.md");
        lsp.open(&uri, "markdown", text);
        let diags = lsp.diagnostics(&uri, 1);
        assert_eq!(diags.len(), 1, "{text:?}");
        let at = text[..text.find(note).unwrap()].encode_utf16().count();
        let line = text[..text.find(note).unwrap()]
            .split_inclusive('\n')
            .count()
            .saturating_sub(1);
        let line_start = text[..text.find(note).unwrap()]
            .rfind('\n')
            .map_or(0, |i| text[..=i].encode_utf16().count());
        let (line, character) = (
            u32::try_from(line).unwrap(),
            u32::try_from(at - line_start).unwrap(),
        );
        let actions = lsp.code_actions(&uri, range(line, character, line, character));
        let action = actions.last().unwrap();
        assert_eq!(action["title"], quiet, "{text:?}");
        let edit = &action["edit"]["changes"][&uri][0];
        assert_eq!(apply_text_edit(text, edit, false), quieted, "{text:?}");
        // Applied, it quiets the note.
        lsp.change(
            &uri,
            2,
            json!([{"range": edit["range"], "text": edit["newText"]}]),
        );
        assert_eq!(lsp.diagnostics(&uri, 2), Vec::<Value>::new(), "{quieted:?}");
    }
    assert_eq!(lsp.shutdown().0.code(), Some(0));
}

/// A document URI is an opaque key: whatever the client sends (brackets, pipes, spaces,
/// non-ASCII, percent-escaped or not) is used as it came, in diagnostics, hovers and edits.
#[test]
fn any_uri_string_names_a_document() {
    let dir = workspace();
    let (mut lsp, _) = Client::start(
        &dir,
        json!({"capabilities": {"workspace": {"workspaceEdit": {"documentChanges": true}}}}),
    );
    let uris = [
        "file:///home/me/journal/2024-05-01%20[draft].md",
        "file:///home/me/journal/2024-05-01 [draft].md",
        "file:///home/me/journal/2024-05-01%20%5Bdraft%5D.md",
        "file:///home/me/日記/a|b^c`d{e}\"f.md",
        "untitled:Untitled-1",
        "not a uri at all",
    ];
    for (i, uri) in uris.iter().enumerate() {
        // Each is its own document: the same text with a note at a different place.
        let text = format!("{}I'm a grumpy gremlin.", "x ".repeat(i));
        lsp.open(uri, "markdown", &text);
        let c = 2 * u32::try_from(i).unwrap();
        assert_eq!(
            without_ids(&lsp.diagnostics(uri, 1)),
            [diag(
                range(0, 6 + c, 0, 20 + c),
                3,
                "labeling",
                "test.gremlin",
                GREMLIN
            )],
            "{uri}"
        );
        assert_eq!(
            lsp.hover(uri, 0, 8 + c)["range"],
            range(0, 6 + c, 0, 20 + c),
            "{uri}"
        );
        let actions = lsp.code_actions(uri, range(0, 8 + c, 0, 8 + c));
        assert_eq!(
            actions[0]["edit"]["documentChanges"][0]["textDocument"],
            json!({"uri": uri, "version": 1})
        );
        assert_eq!(
            actions[2]["command"]["arguments"],
            json!([uri, "grumpy gremlin"])
        );
    }
    lsp.change(
        uris[0],
        2,
        json!([{"range": range(0, 0, 0, 0), "text": "Oh. "}]),
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uris[0], 2)),
        [diag(
            range(0, 10, 0, 24),
            3,
            "labeling",
            "test.gremlin",
            GREMLIN
        )]
    );
    lsp.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uris[3]}}),
    );
    let cleared = lsp.wait("cleared diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uris[3]
    });
    assert_eq!(cleared["params"]["diagnostics"], json!([]));
    let (status, stderr) = lsp.shutdown();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        stderr,
        format!(
            "kindly lsp {}: ready, positions in utf-16\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

/// One malformed message must not end the session: each is answered as JSON-RPC 2.0 says
/// (`-32700` for what is not JSON, `-32600` for JSON that is not a message, id `null`), logged
/// without its text, and the server keeps serving. A bad header block is skipped up to the next
/// `Content-Length`.
#[test]
fn malformed_messages_are_answered_and_the_server_keeps_serving() {
    let dir = workspace();
    let (mut lsp, _) = Client::start(&dir, json!({}));
    let parse = |what: &str| json!({"code": -32700, "message": format!("Parse error: {what}")});
    let invalid =
        |what: &str| json!({"code": -32600, "message": format!("Invalid Request: {what}")});
    let cases: [(&[u8], Value); 10] = [
        (
            b"{not json grumpy gremlin",
            parse("a message that is not valid JSON"),
        ),
        (
            b"{}",
            invalid("a JSON object that is not a request, a notification or a response"),
        ),
        (
            b"[]",
            invalid("a batch (JSON-RPC batches are not part of the protocol)"),
        ),
        (
            br#"[{"jsonrpc":"2.0","id":1,"method":"shutdown"}]"#,
            invalid("a batch (JSON-RPC batches are not part of the protocol)"),
        ),
        (
            b"42",
            invalid("a JSON value that is not a JSON-RPC message"),
        ),
        (
            br#"{"jsonrpc":"2.0","id":1.5,"method":"textDocument/hover"}"#,
            invalid("a request whose id is neither an integer nor a string"),
        ),
        (
            br#"{"jsonrpc":"2.0","id":null,"method":"textDocument/hover"}"#,
            invalid("a request whose id is neither an integer nor a string"),
        ),
        (
            br#"{"jsonrpc":"2.0","id":{},"method":"textDocument/hover"}"#,
            invalid("a request whose id is neither an integer nor a string"),
        ),
        (
            br#"{"jsonrpc":"2.0","id":true,"method":"textDocument/hover"}"#,
            invalid("a request whose id is neither an integer nor a string"),
        ),
        (
            br#"{"jsonrpc":"2.0","id":[1],"method":"textDocument/hover"}"#,
            invalid("a request whose id is neither an integer nor a string"),
        ),
    ];
    for (body, error) in &cases {
        lsp.send_framed(body);
        assert_eq!(
            lsp.error_without_id(),
            *error,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    // A header block without a usable Content-Length: answered, then skipped up to the next
    // message, which is served.
    let uri = "file:///j/after.txt";
    let open = serde_json::to_vec(&json!({"jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
                   "text": "I'm a grumpy gremlin."}}}))
    .unwrap();
    let mut raw = b"Content-Length: abc\r\n\r\n{\"grumpy\": \"gremlin\"}".to_vec();
    write!(raw, "Content-Length: {}\r\n\r\n", open.len()).unwrap();
    raw.extend_from_slice(&open);
    lsp.send_raw(&raw);
    assert_eq!(
        lsp.error_without_id(),
        parse("a Content-Length that is not a number")
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        [diag(
            range(0, 6, 0, 20),
            3,
            "labeling",
            "test.gremlin",
            GREMLIN
        )]
    );
    // The server still answers requests.
    assert_eq!(lsp.hover(uri, 0, 8)["range"], range(0, 6, 0, 20));
    let (status, stderr) = lsp.shutdown();
    assert_eq!(status.code(), Some(0));
    assert!(!stderr.contains("gremlin"), "{stderr}");
    assert!(
        stderr.contains(
            "kindly lsp: answered a Content-Length that is not a number with -32700 Parse error\n"
        ),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("kindly lsp: answered ").count(),
        cases.len() + 1,
        "{stderr}"
    );

    // A response to the server's own request without `result` (JSON-RPC asks for one) is
    // taken as `result: null`: the settings stay as they were.
    let (mut lsp, _) = Client::start(
        &dir,
        json!({"capabilities": {"workspace": {"configuration": true}},
               "initializationOptions": {"minimumSeverity": "moderate"}}),
    );
    let asked = lsp.wait("workspace/configuration", |m| {
        m["method"] == "workspace/configuration"
    });
    lsp.send(&json!({"jsonrpc": "2.0", "id": asked["id"]}));
    let uri = "file:///j/settings.txt";
    lsp.open(
        uri,
        "plaintext",
        "I was a muddlehead. I'm a grumpy gremlin.",
    );
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        [diag(
            range(0, 26, 0, 40),
            3,
            "labeling",
            "test.gremlin",
            GREMLIN
        )]
    );
    let (status, stderr) = lsp.shutdown();
    assert_eq!(
        (status.code(), stderr.contains("answered")),
        (Some(0), false),
        "{stderr}"
    );
}

/// JavaScript clients write half an emoji as a lone surrogate escape (`"\ud83d"`), which is
/// not valid Unicode: it is read as U+FFFD, one UTF-16 code unit as the surrogate was, so the
/// positions that follow stay right.
#[test]
fn a_lone_surrogate_in_the_text_is_read_as_a_replacement_character() {
    let dir = workspace();
    let (mut lsp, _) = Client::start(&dir, json!({}));
    let uri = "file:///j/half-emoji.md";
    let open = format!(
        r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"textDocument":{{"uri":"{uri}","languageId":"markdown","version":1,"text":"\ud83d I'm a grumpy gremlin.\n\ude00"}}}}}}"#
    );
    lsp.send_framed(open.as_bytes());
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 1)),
        [diag(
            range(0, 8, 0, 22),
            3,
            "labeling",
            "test.gremlin",
            GREMLIN
        )]
    );
    // The replacement character is one unit: deleting it moves the note back by one.
    lsp.change(uri, 2, json!([{"range": range(0, 0, 0, 1), "text": ""}]));
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 2)),
        [diag(
            range(0, 7, 0, 21),
            3,
            "labeling",
            "test.gremlin",
            GREMLIN
        )]
    );
    // A change holding one is taken the same way.
    let change = format!(
        r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"textDocument":{{"uri":"{uri}","version":3}},"contentChanges":[{{"range":{{"start":{{"line":0,"character":0}},"end":{{"line":0,"character":0}}}},"text":"\udbff\udbff"}}]}}}}"#
    );
    lsp.send_framed(change.as_bytes());
    assert_eq!(
        without_ids(&lsp.diagnostics(uri, 3)),
        [diag(
            range(0, 9, 0, 23),
            3,
            "labeling",
            "test.gremlin",
            GREMLIN
        )]
    );
    let (status, stderr) = lsp.shutdown();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        stderr,
        format!(
            "kindly lsp {}: ready, positions in utf-16\nkindly lsp: a message held a lone UTF-16 \
             surrogate or bytes that are not UTF-8; they were read as U+FFFD (said once)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

/// `kindly lsp < /dev/null` (someone trying it by hand, a script, an editor set up wrong): the
/// input ends before `initialize`. Exit status 1, as for any session broken off without
/// `shutdown`, and one line saying what happened instead of silence.
#[test]
fn an_input_that_ends_before_initialize_is_explained() {
    let dir = workspace();
    let args = ["--no-default-packs", "--pack", "pack.toml", "lsp"];
    let o = checks::cli::run(checks::cli::bin().args(args).current_dir(dir.path()));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(checks::cli::stdout(&o), "");
    assert_eq!(
        checks::cli::stderr(&o),
        "kindly lsp: the client closed the connection before initializing the server; \
         `kindly lsp` is a language server, to be started by an editor (README, \"kindly lsp\")\n"
    );

    // `exit` before `initialize` is the client's own choice: 1, as the protocol asks, quietly.
    let mut lsp = Client::spawn(dir.path(), &args[..3]);
    lsp.notify("exit", Value::Null);
    let (status, stderr) = lsp.close();
    assert_eq!((status.code(), stderr.as_str()), (Some(1), ""));

    // A message that is not JSON before `initialize` is answered too, and the handshake
    // goes on.
    let mut lsp = Client::spawn(dir.path(), &args[..3]);
    lsp.send_framed(b"abc");
    assert_eq!(
        lsp.error_without_id(),
        json!({"code": -32700, "message": "Parse error: a message that is not valid JSON"})
    );
    lsp.call(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    let (status, stderr) = lsp.shutdown();
    assert_eq!(status.code(), Some(0));
    assert!(
        stderr.starts_with(
            "kindly lsp: answered a message that is not valid JSON with -32700 Parse error\n"
        ),
        "{stderr}"
    );
}

#[test]
fn builtin_packs_and_a_bad_command_line_pack() {
    let dir = workspace();
    dir.write("bad.toml", BAD_PACK);
    let (mut lsp, _) = Client::start_with(&dir, &["--pack", "bad.toml"], json!({}));
    let (kind, message) = lsp.shown_message();
    assert_eq!(kind, 1);
    assert!(
        message.starts_with(
            "kindly could not use the packs and options on its command line: bad.toml:11:12: \
             rule 'bad.oops': unknown category 'labelling'"
        ),
        "{message}"
    );
    assert!(message.ends_with(". Checking with the built-in packs instead."));
    let uri = "file:///j/builtin.md";
    lsp.open(
        uri,
        "markdown",
        "Overslept. I'm so lazy, I missed the bus again.\n\nI want to die.\n",
    );
    let diags = lsp.diagnostics(uri, 1);
    let crisis = diags.iter().find(|d| d["code"] == "crisis").unwrap();
    assert_eq!(crisis["range"], range(2, 0, 2, 13));
    assert_eq!(crisis["severity"], 1);
    assert!(crisis["message"].as_str().unwrap().contains("988"));
    // Tier A: the note on line 0 is set aside.
    assert_eq!(diags.len(), 1, "{diags:?}");
    lsp.change(uri, 2, json!([{"range": range(2, 0, 3, 0), "text": ""}]));
    let diags = lsp.diagnostics(uri, 2);
    assert_eq!(diags[0]["code"], "labeling");
    assert_eq!(diags[0]["range"], range(0, 11, 0, 22));
    assert_eq!(lsp.shutdown().0.code(), Some(0));
}

#[test]
fn latency_of_a_one_character_change_in_a_5000_word_document() {
    // 100 paragraphs of 50 words; every fifth holds a harsh phrase.
    let neutral = "Today I walked to the market and bought bread, apples and a small pot of \
                   honey. The sky was grey but the air felt soft, and I stopped to talk with \
                   a neighbour about her garden, her two cats and the long cold rain that is \
                   coming on this week";
    let harsh = "Today I walked to the market and bought bread, apples and a small pot of \
                 honey. I'm so lazy, I forgot the milk again and I always mess things up when \
                 it matters, and the sky was so grey and the long cold rain is coming on later \
                 this week";
    assert_eq!(neutral.split_whitespace().count(), 50);
    assert_eq!(harsh.split_whitespace().count(), 50);
    let paragraphs: Vec<&str> = (0..100)
        .map(|i| if i % 5 == 0 { harsh } else { neutral })
        .collect();
    let text = paragraphs.join(".\n\n") + ".\n";
    assert_eq!(text.split_whitespace().count(), 5000);

    let dir = workspace();
    let (mut lsp, _) = Client::start_with(&dir, &[], json!({}));
    let uri = "file:///j/long.md";
    let opened = Instant::now();
    lsp.open(uri, "markdown", &text);
    let first = lsp.diagnostics(uri, 1);
    let open_ms = opened.elapsed().as_secs_f64() * 1e3;
    assert!(first.len() >= 20, "{}", first.len());

    // One character typed into the middle paragraph, 21 times (the first is reported on its
    // own, then the median of the next 20).
    let mut times = Vec::new();
    for version in 2..=22 {
        let line = 102; // paragraph 51, a neutral one, so no range moves
        let started = Instant::now();
        lsp.change(
            uri,
            version,
            json!([{"range": range(line, 6, line, 6), "text": "x"}]),
        );
        let diags = lsp.diagnostics(uri, version);
        times.push(started.elapsed().as_secs_f64() * 1e3);
        assert_eq!(without_ids(&diags), without_ids(&first));
    }
    let first_change = times[0];
    let mut rest = times[1..].to_vec();
    rest.sort_by(f64::total_cmp);
    let median = rest[rest.len() / 2];
    eprintln!(
        "kindly lsp latency ({} build): 5,000-word Markdown document, {} diagnostics; open to \
         diagnostics {open_ms:.1} ms; one-character change to diagnostics {first_change:.1} ms \
         (median of the next 20: {median:.1} ms)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        first.len()
    );
    assert_eq!(lsp.shutdown().0.code(), Some(0));
}
