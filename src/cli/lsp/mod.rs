//! `kindly lsp`: a language server over standard input and output, so that any editor with an
//! LSP client checks journals as they are written.
//!
//! Synchronous and single-threaded (a thread reading the input aside): analysing a changed
//! paragraph takes far less time than a keystroke, so there is nothing to gain from an async
//! runtime. The flow follows the modules:
//!
//! - `transport`: Content-Length framed JSON-RPC, read leniently (a malformed message is
//!   answered with an error, and the server reads on);
//! - `position`: LSP line/character positions (UTF-16 by default, UTF-8 when the client offers
//!   it) to byte offsets and back;
//! - `config`: settings from the command line, `initializationOptions` and
//!   `workspace/didChangeConfiguration`, checked strictly and turned into an engine;
//! - `present`: findings as diagnostics, hovers and code actions, with the safety rules of the
//!   human output;
//! - this file: the protocol loop, open documents (each a [`kindly::Document`] that re-analyses
//!   only the paragraphs an edit touched) and session state.
//!
//! Privacy: nothing the user wrote is ever logged. Standard error gets the server's own
//! messages, naming documents by URI and never quoting their text or the client's messages.

mod config;
mod position;
mod present;
mod protocol;
mod quiet;
mod transport;

use super::args::{GlobalArgs, LspArgs};
use super::config::Settings as SettingsFile;
use super::Status;
use anyhow::Result;
use config::{Base, EngineKey, SessionOff, Settings};
use kindly::{Category, Document, DocumentKind, Engine, Severity};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    ConfigurationItem, ConfigurationParams, ExecuteCommandOptions, ExecuteCommandParams, Hover,
    HoverContents, HoverProviderCapability, MarkupContent, MarkupKind, MessageType,
    ServerCapabilities, ShowMessageParams, TextDocumentContentChangeEvent,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
};
use position::{Encoding, LineIndex, Lines};
use present::{Filter, Target};
use protocol::{CodeActionParams, DidChange, DidClose, DidOpen, HoverParams};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use transport::{Connection, Incoming};

/// How many queued messages are handled before diagnostics are published: typing fast sends a
/// burst of changes, and only the last state is worth publishing, but a flood must not starve
/// the editor of diagnostics either.
const MAX_BATCH: usize = 64;

/// Runs the server until the client sends `exit`. Exit status 0 after `shutdown` + `exit`, 1
/// when the client exits or goes away without `shutdown` (the protocol asks for 1 on an `exit`
/// without `shutdown`, and an input that just ends is the same broken-off session), 2 when
/// reading the input fails. A malformed message does not end the session: it is answered with
/// an error and the server keeps serving (see `transport`).
///
/// `settings` is the settings file read (its values are in `global` already), and
/// `settings_error` why the one found could not be read: the server starts anyway, without
/// it, and says so in the editor.
pub(crate) fn run(
    global: &GlobalArgs,
    settings: Option<&SettingsFile>,
    settings_error: Option<String>,
    _args: &LspArgs,
) -> Result<Status> {
    let connection = Connection::stdio();
    let ending = serve(&connection, global, settings, settings_error)?;
    // The reader thread has stopped at `exit`, at the end of the input, or at a read error.
    if let Err(e) = connection.join() {
        eprintln!("kindly lsp: the connection failed: {}", e.kind());
        return Ok(Status::Trouble);
    }
    match ending {
        Ending::Served(status) => Ok(status),
        Ending::ClosedWithoutShutdown => {
            // An editor that crashed or was killed: its log is where this line ends up.
            eprintln!(
                "kindly lsp: the client closed the connection without asking the server to shut down"
            );
            Ok(Status::Found)
        }
        Ending::ClosedBeforeInitialize => {
            // Most often someone ran `kindly lsp` by hand with nothing to read (`< /dev/null`,
            // a script, a misconfigured editor): without a word, exit 1 looks like a crash.
            eprintln!(
                "kindly lsp: the client closed the connection before initializing the server; \
                 `kindly lsp` is a language server, to be started by an editor (README, \"kindly lsp\")"
            );
            Ok(Status::Found)
        }
    }
}

/// How a session ended, as far as the protocol goes.
enum Ending {
    /// After `initialize`, or on an `exit` before it: the status the protocol asks for.
    Served(Status),
    /// The input ended before `initialize`. Said only once the reader thread has been joined:
    /// a read error also ends the input, and has its own message.
    ClosedBeforeInitialize,
    /// The input ended after `initialize`, with neither `shutdown` nor `exit`: said the same way.
    ClosedWithoutShutdown,
}

fn serve(
    conn: &Connection,
    global: &GlobalArgs,
    settings: Option<&SettingsFile>,
    settings_error: Option<String>,
) -> Result<Ending> {
    // The command line's engine is built, and its patterns compiled, while the editor is
    // still starting up.
    let mut start = Start::new(global, settings)?;
    if let Some(e) = settings_error {
        eprintln!("kindly lsp: {e}");
        let message = format!(
            "kindly could not read its settings file: {} The file is left out (the server reads \
             it again when it starts); checking with the command line's options and the \
             built-in defaults.",
            full_stop(&e)
        );
        start.error = Some(match start.error.take() {
            Some(other) => format!("{message} {other}"),
            None => message,
        });
    }
    warm_up(&start.engine);
    let (id, params) = match wait_for_initialize(conn) {
        Handshake::Initialize(id, params) => (id, params),
        // `exit` without `shutdown`: 1, as the protocol asks.
        Handshake::Exit => return Ok(Ending::Served(Status::Found)),
        Handshake::Closed => return Ok(Ending::ClosedBeforeInitialize),
    };
    let client = ClientInfo::from_params(&params);
    let mut server = Server::new(conn, start, &client);
    let result = json!({
        "capabilities": server.capabilities(),
        "serverInfo": { "name": "kindly", "version": env!("CARGO_PKG_VERSION") },
    });
    server.send(Response::new_ok(id, result));
    eprintln!(
        "kindly lsp {}: ready, positions in {}",
        env!("CARGO_PKG_VERSION"),
        server.encoding.kind().as_str()
    );
    server.start(params.get("initializationOptions").unwrap_or(&Value::Null));
    Ok(server.main_loop())
}

/// How the handshake went.
enum Handshake {
    /// `initialize`: its id and params.
    Initialize(RequestId, Value),
    /// The client sent `exit` first.
    Exit,
    /// The input ended first (or could not be read).
    Closed,
}

/// The handshake: everything before `initialize` is refused (requests) or ignored
/// (notifications).
fn wait_for_initialize(conn: &Connection) -> Handshake {
    loop {
        let Ok(incoming) = conn.receiver.recv() else {
            return Handshake::Closed;
        };
        let msg = match incoming {
            Incoming::Message(msg) => msg,
            other => {
                answer_malformed(conn, other);
                continue;
            }
        };
        match msg {
            Message::Request(req) if req.method == "initialize" => {
                return Handshake::Initialize(req.id, req.params)
            }
            Message::Request(req) => {
                conn.send(
                    Response::new_err(
                        req.id,
                        ErrorCode::ServerNotInitialized as i32,
                        "the server is not initialized yet".to_string(),
                    )
                    .into(),
                );
            }
            Message::Notification(n) if n.method == "exit" => return Handshake::Exit,
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

/// Answers a message that is not one (with an error, id `null`) and logs the kind of problem,
/// never the message. A note is only logged.
fn answer_malformed(conn: &Connection, incoming: Incoming) {
    match incoming {
        Incoming::Malformed { code, what } => {
            let name = match code {
                ErrorCode::ParseError => "Parse error",
                _ => "Invalid Request",
            };
            eprintln!("kindly lsp: answered {what} with {} {name}", code as i32);
            conn.send_error_without_id(code, &format!("{name}: {what}"));
        }
        Incoming::Note(what) => eprintln!("kindly lsp: {what}"),
        Incoming::Message(_) => {}
    }
}

/// What the server needs from `InitializeParams`, read leniently: a client that sends an odd
/// capability elsewhere must not be refused.
#[derive(Debug)]
struct ClientInfo {
    encoding: Encoding,
    /// The client answers `workspace/configuration`.
    config_pull: bool,
    /// The client takes versioned `documentChanges` in workspace edits.
    document_changes: bool,
    /// The client takes `CodeAction` literals (`codeActionLiteralSupport`); without it only
    /// `Command`s.
    code_action_literals: bool,
    /// The client applies edits the server sends with `workspace/applyEdit`.
    apply_edit: bool,
    /// The client renders Markdown hovers.
    hover_markdown: bool,
    /// The first workspace folder, for relative pack paths.
    root: Option<PathBuf>,
}

impl ClientInfo {
    fn from_params(params: &Value) -> ClientInfo {
        let caps = params.get("capabilities").unwrap_or(&Value::Null);
        let offered: Vec<&str> = caps
            .pointer("/general/positionEncodings")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let hover_markdown = caps
            .pointer("/textDocument/hover/contentFormat")
            .and_then(Value::as_array)
            .is_none_or(|formats| formats.iter().any(|f| f == "markdown"));
        let root = params
            .pointer("/workspaceFolders/0/uri")
            .or_else(|| params.get("rootUri"))
            .and_then(Value::as_str)
            .and_then(file_uri_to_path)
            .or_else(|| {
                params
                    .get("rootPath")
                    .and_then(Value::as_str)
                    .map(PathBuf::from)
            });
        ClientInfo {
            encoding: Encoding::negotiate(offered),
            config_pull: caps.pointer("/workspace/configuration") == Some(&Value::Bool(true)),
            document_changes: caps.pointer("/workspace/workspaceEdit/documentChanges")
                == Some(&Value::Bool(true)),
            code_action_literals: caps
                .pointer("/textDocument/codeAction/codeActionLiteralSupport")
                .is_some_and(Value::is_object),
            apply_edit: caps.pointer("/workspace/applyEdit") == Some(&Value::Bool(true)),
            hover_markdown,
            root,
        }
    }
}

/// The engine the command line asks for, built before the handshake.
struct Start {
    base: Base,
    key: EngineKey,
    engine: Arc<Engine>,
    /// Why the command line's packs could not be used, to show once the client listens.
    error: Option<String>,
}

impl Start {
    /// # Errors
    /// Only when even the built-in packs fail to build, which the test suite rules out.
    fn new(global: &GlobalArgs, settings: Option<&SettingsFile>) -> Result<Start, kindly::Error> {
        let mut base = Base {
            packs: global.packs.clone(),
            builtin_packs: !global.no_default_packs,
            disabled: global.disabled.iter().copied().collect(),
            disabled_rules: global
                .disabled_rules
                .iter()
                .map(|id| id.trim().to_string())
                .collect(),
            locale: global.locale.clone(),
        };
        // A value the engine refuses (a rule id to turn off that no pack has, a crisis rule, a
        // locale no pack has) is left out, and the rest kept: one typo in the settings file
        // must not drop its other settings. Each is said in the editor where it stands.
        let mut left_out = Vec::new();
        loop {
            let key = EngineKey::new(&base, &Settings::default(), &SessionOff::default(), None);
            let e =
                match key.build() {
                    Ok(engine) => {
                        let error =
                            (!left_out.is_empty()).then(|| {
                                format!(
                            "kindly could not use {}: {} {} left out; the other settings are \
                             in use.",
                            if left_out.len() == 1 {
                                "a setting"
                            } else {
                                "some settings"
                            },
                            left_out.join(" "),
                            if left_out.len() == 1 { "It is" } else { "They are" }
                        )
                            });
                        return Ok(Start {
                            base,
                            key,
                            engine: Arc::new(engine),
                            error,
                        });
                    }
                    Err(e) => e,
                };
            let message = e.to_string();
            let dropped = match e.value() {
                Some(v) if base.disabled_rules.remove(v) => true,
                Some(v) if base.locale.as_deref() == Some(v) => {
                    base.locale = None;
                    true
                }
                _ => false,
            };
            if dropped && left_out.len() < 16 {
                let located = settings
                    .zip(e.value())
                    .and_then(|(s, v)| s.locate_error(v, &message))
                    .unwrap_or_else(|| format!("on its command line: {message}"));
                left_out.push(full_stop(&located));
                continue;
            }
            // The editor started us with options that do not work: say so in the editor,
            // and keep checking with the built-in packs rather than refusing to start.
            let whence = match settings {
                Some(s) => format!(
                    "on its command line and in its settings file {}",
                    s.path.display()
                ),
                None => "on its command line".to_string(),
            };
            let base = Base {
                builtin_packs: true,
                ..Base::default()
            };
            let key = EngineKey::new(&base, &Settings::default(), &SessionOff::default(), None);
            let mut error = format!(
                "kindly could not use the packs and options {whence}: {} Checking with the \
                 built-in packs instead.",
                full_stop(&message)
            );
            if !left_out.is_empty() {
                error = format!("{} {error}", left_out.join(" "));
            }
            return Ok(Start {
                engine: Arc::new(key.build()?),
                base,
                key,
                error: Some(error),
            });
        }
    }
}

/// An error message as a sentence: a full stop unless it already ends with one ("did you
/// mean 'x'?").
fn full_stop(message: &str) -> String {
    if message.ends_with(['.', '?', '!']) {
        message.to_string()
    } else {
        format!("{message}.")
    }
}

/// An open document.
struct Doc {
    /// As the client sent it: an opaque key, never parsed (see `protocol`).
    uri: String,
    version: i32,
    doc: Document,
    kind: DocumentKind,
    /// The line index of the current text, built on first use and dropped when the text
    /// changes: publishing, hovers and code actions on one version share it.
    lines: OnceCell<Lines>,
    /// The Markdown structure of the current text, for "Quiet this paragraph"; built and
    /// dropped the same way.
    markdown: OnceCell<quiet::Markdown>,
}

impl Doc {
    fn new(uri: String, version: i32, doc: Document, kind: DocumentKind) -> Doc {
        Doc {
            uri,
            version,
            doc,
            kind,
            lines: OnceCell::new(),
            markdown: OnceCell::new(),
        }
    }

    /// Positions in the current text.
    fn index(&self, encoding: Encoding) -> LineIndex<'_> {
        let text = self.doc.text();
        self.lines
            .get_or_init(|| Lines::new(text, encoding))
            .view(text)
    }

    /// The Markdown structure of the current text, or `None` for plain text.
    fn markdown(&self) -> Option<&quiet::Markdown> {
        (self.kind == DocumentKind::Markdown).then(|| {
            self.markdown
                .get_or_init(|| quiet::structure(self.doc.text()))
        })
    }
}

/// Where a settings layer came from, for messages.
#[derive(Clone, Copy, Debug)]
enum Source {
    InitializationOptions,
    DidChangeConfiguration,
    Configuration,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::InitializationOptions => "initializationOptions",
            Source::DidChangeConfiguration => "workspace/didChangeConfiguration",
            Source::Configuration => "workspace/configuration",
        }
    }
}

/// An error to answer a request with.
struct Failure {
    code: ErrorCode,
    message: String,
}

impl Failure {
    fn invalid(message: impl Into<String>) -> Failure {
        Failure {
            code: ErrorCode::InvalidParams,
            message: message.into(),
        }
    }
}

struct Server<'c> {
    conn: &'c Connection,
    encoding: Encoding,
    config_pull: bool,
    document_changes: bool,
    code_action_literals: bool,
    apply_edit: bool,
    hover_markdown: bool,
    root: Option<PathBuf>,

    /// The command line's settings.
    base: Base,
    /// `initializationOptions`.
    init: Settings,
    /// The latest `didChangeConfiguration` or `workspace/configuration` answer.
    change: Settings,
    /// Categories turned off with the "Turn off" code action.
    session_off: SessionOff,
    engine: Arc<Engine>,
    engine_key: EngineKey,
    minimum: Severity,

    /// Open documents by URI.
    docs: BTreeMap<String, Doc>,
    /// Phrases not to flag, by document URI (kept when the document closes, for the session).
    ignored: BTreeMap<String, BTreeSet<String>>,
    /// Documents whose diagnostics must be published.
    dirty: BTreeSet<String>,
    /// Our `workspace/configuration` requests still unanswered.
    pending_config: HashSet<RequestId>,
    next_request: u64,
    shutdown: bool,
    /// A problem with the command line's packs, shown once the client is listening.
    startup_error: Option<String>,
}

impl<'c> Server<'c> {
    fn new(conn: &'c Connection, start: Start, client: &ClientInfo) -> Server<'c> {
        Server {
            conn,
            encoding: client.encoding,
            config_pull: client.config_pull,
            document_changes: client.document_changes,
            code_action_literals: client.code_action_literals,
            apply_edit: client.apply_edit,
            hover_markdown: client.hover_markdown,
            root: client.root.clone(),
            base: start.base,
            init: Settings::default(),
            change: Settings::default(),
            session_off: SessionOff::default(),
            engine: start.engine,
            engine_key: start.key,
            minimum: Severity::Low,
            docs: BTreeMap::new(),
            ignored: BTreeMap::new(),
            dirty: BTreeSet::new(),
            pending_config: HashSet::new(),
            next_request: 0,
            shutdown: false,
            startup_error: start.error,
        }
    }

    fn capabilities(&self) -> ServerCapabilities {
        ServerCapabilities {
            position_encoding: Some(self.encoding.kind()),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    ..TextDocumentSyncOptions::default()
                },
            )),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            code_action_provider: Some(lsp_types::CodeActionProviderCapability::Options(
                lsp_types::CodeActionOptions {
                    code_action_kinds: Some(vec![lsp_types::CodeActionKind::QUICKFIX]),
                    ..lsp_types::CodeActionOptions::default()
                },
            )),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: present::COMMANDS.iter().map(|c| c.to_string()).collect(),
                ..ExecuteCommandOptions::default()
            }),
            ..ServerCapabilities::default()
        }
    }

    /// After the `initialize` response: say what went wrong with the command line, if
    /// anything, and apply `initializationOptions`.
    fn start(&mut self, options: &Value) {
        if let Some(message) = self.startup_error.take() {
            self.show(MessageType::ERROR, message);
        }
        self.apply_value(options, Source::InitializationOptions);
    }

    fn main_loop(&mut self) -> Ending {
        loop {
            let Ok(msg) = self.conn.receiver.recv() else {
                // The client closed our input without `exit`: a clean end only after
                // `shutdown`.
                return if self.shutdown {
                    Ending::Served(Status::Clean)
                } else {
                    Ending::ClosedWithoutShutdown
                };
            };
            if self.handle(msg) {
                return Ending::Served(self.exit_status());
            }
            for _ in 0..MAX_BATCH {
                let Ok(msg) = self.conn.receiver.try_recv() else {
                    break;
                };
                if self.handle(msg) {
                    return Ending::Served(self.exit_status());
                }
            }
            self.publish_dirty();
        }
    }

    fn exit_status(&self) -> Status {
        if self.shutdown {
            Status::Clean
        } else {
            Status::Found
        }
    }

    /// Handles one message; `true` on `exit`.
    fn handle(&mut self, incoming: Incoming) -> bool {
        let msg = match incoming {
            Incoming::Message(msg) => msg,
            other => {
                answer_malformed(self.conn, other);
                return false;
            }
        };
        match msg {
            Message::Request(req) => self.on_request(req),
            Message::Notification(n) if n.method == "exit" => return true,
            Message::Notification(n) => self.on_notification(n),
            Message::Response(r) => self.on_response(r),
        }
        false
    }

    fn send(&self, msg: impl Into<Message>) {
        self.conn.send(msg.into());
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        self.send(Notification::new(method.to_string(), params));
    }

    fn show(&self, typ: MessageType, message: String) {
        self.notify("window/showMessage", ShowMessageParams { typ, message });
    }

    // ---- requests ----

    fn on_request(&mut self, req: Request) {
        if self.shutdown {
            self.send(Response::new_err(
                req.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".to_string(),
            ));
            return;
        }
        let method = req.method.as_str();
        let result: Result<Value, Failure> = match method {
            "shutdown" => {
                // Diagnostics for edits that came in the same batch go out before the reply:
                // nothing may follow the `shutdown` response but the end of the session.
                self.publish_dirty();
                self.shutdown = true;
                Ok(Value::Null)
            }
            // A client that sends `initialize` twice gets told so, not "method not found".
            "initialize" => Err(Failure {
                code: ErrorCode::InvalidRequest,
                message: "the server is already initialized".to_string(),
            }),
            "textDocument/hover" => parse(method, req.params).map(|p| self.hover(p)),
            "textDocument/codeAction" => {
                parse(method, req.params).and_then(|p| self.code_action(p))
            }
            "workspace/executeCommand" => {
                parse(method, req.params).and_then(|p| self.execute_command(p))
            }
            _ => Err(Failure {
                code: ErrorCode::MethodNotFound,
                message: format!("kindly does not handle {method}"),
            }),
        };
        self.send(match result {
            Ok(value) => Response::new_ok(req.id, value),
            Err(f) => Response::new_err(req.id, f.code as i32, f.message),
        });
    }

    fn hover(&self, p: HoverParams) -> Value {
        let Some(doc) = self.docs.get(&p.text_document.uri) else {
            return Value::Null;
        };
        let index = doc.index(self.encoding);
        // A line past the last is no place in the text: nothing to say (a character past the
        // end of a line is the line's end, as the protocol says).
        if !index.has_line(p.position.line) {
            return Value::Null;
        }
        let byte = index.offset(p.position);
        let shown = self.visible(doc);
        let hit = shown
            .iter()
            .find(|(_, f)| f.bytes.start <= byte && byte < f.bytes.end)
            .or_else(|| shown.iter().find(|(_, f)| f.bytes.end == byte));
        let Some((_, f)) = hit else {
            return Value::Null;
        };
        let support = doc.doc.analysis().support.as_ref();
        let hover = Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: if self.hover_markdown {
                    MarkupKind::Markdown
                } else {
                    MarkupKind::PlainText
                },
                value: present::hover_text(f, support, self.hover_markdown),
            }),
            range: Some(index.range(f.bytes.start, f.bytes.end)),
        };
        serde_json::to_value(hover).unwrap_or(Value::Null)
    }

    fn code_action(&self, p: CodeActionParams) -> Result<Value, Failure> {
        let (start, end) = (p.range.start, p.range.end);
        if (end.line, end.character) < (start.line, start.character) {
            return Err(Failure::invalid(
                "invalid params for textDocument/codeAction: the range ends before it starts",
            ));
        }
        // Kinds are a dot-separated hierarchy: "quickfix" asks for "quickfix" and
        // "quickfix.anything", never for "q"; the empty kind is the root of every kind.
        let wants_quickfix = p.context.only.as_ref().is_none_or(|only| {
            only.iter().any(|k| {
                k.is_empty()
                    || present::QUICKFIX
                        .strip_prefix(k.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            })
        });
        let Some(doc) = self.docs.get(&p.text_document.uri) else {
            return Ok(json!([]));
        };
        if !wants_quickfix {
            return Ok(json!([]));
        }
        let index = doc.index(self.encoding);
        let (a, b) = index.offsets(p.range);
        let support = doc.doc.analysis().support.as_ref();
        let target = Target {
            uri: &doc.uri,
            version: doc.version,
            document_changes: self.document_changes,
        };
        let mut actions = Vec::new();
        let mut commands_seen = BTreeSet::new();
        // The paragraphs (as written) of the shown notes, in text order, each with its notes,
        // for one "Quiet this paragraph" each. Found once per paragraph, not per note.
        let mut paragraphs: Vec<(std::ops::Range<usize>, Vec<lsp_types::Diagnostic>)> = Vec::new();
        let text = doc.doc.text();
        for (id, f) in self.visible(doc) {
            if f.bytes.start > b || f.bytes.end < a {
                continue;
            }
            let diagnostic = present::diagnostic(id, f, support, &index);
            if f.category != Category::Crisis {
                match paragraphs.last_mut() {
                    Some((range, notes)) if range.contains(&f.bytes.start) => {
                        notes.push(diagnostic.clone());
                    }
                    _ => paragraphs.push((
                        quiet::paragraph_at(text, f.bytes.start),
                        vec![diagnostic.clone()],
                    )),
                }
            }
            for action in present::actions(f, &diagnostic, target) {
                // One "Turn off labeling" even when the range covers several labels; every
                // rewrite is kept (each edits its own span).
                if action.edit.is_none() && !commands_seen.insert(action.title.clone()) {
                    continue;
                }
                actions.push(action);
            }
        }
        for (range, diagnostics) in paragraphs {
            // Not offered where the comment cannot go without changing the Markdown.
            if let Some((at, insert)) = quiet::insertion(text, doc.markdown(), range) {
                actions.push(present::quiet_paragraph(
                    index.position(at),
                    insert,
                    diagnostics,
                    target,
                ));
            }
        }
        Ok(if self.code_action_literals {
            present::into_response(actions)
        } else {
            // A client that predates CodeAction literals (LSP 3.8) takes commands only: an
            // edit is carried by kindly.applyEdit, which sends it back with
            // workspace/applyEdit, and left out if the client cannot apply edits that way.
            present::into_commands(actions, self.apply_edit)
        })
    }

    fn execute_command(&mut self, p: ExecuteCommandParams) -> Result<Value, Failure> {
        let arg = |i: usize| p.arguments.get(i).and_then(Value::as_str);
        match p.command.as_str() {
            present::CMD_IGNORE => {
                let (Some(uri), Some(phrase)) = (arg(0), arg(1)) else {
                    return Err(Failure::invalid(format!(
                        "{} takes a document URI and a phrase",
                        present::CMD_IGNORE
                    )));
                };
                self.ignored
                    .entry(uri.to_string())
                    .or_default()
                    .insert(present::phrase_key(phrase));
                if self.docs.contains_key(uri) {
                    self.dirty.insert(uri.to_string());
                }
            }
            present::CMD_DISABLE => {
                let category = arg(0).and_then(Category::from_id);
                let category =
                    match category {
                        Some(Category::Crisis) => return Err(Failure::invalid(
                            "the crisis category cannot be turned off: crisis language is always \
                             caught, so a support message can be shown",
                        )),
                        Some(c) => c,
                        None => {
                            return Err(Failure::invalid(format!(
                                "{} takes a category id",
                                present::CMD_DISABLE
                            )))
                        }
                    };
                let mut off = self.session_off.clone();
                off.categories.insert(category);
                self.reconfigure(self.init.clone(), self.change.clone(), off, false)
                    .map_err(|e| Failure {
                        code: ErrorCode::RequestFailed,
                        message: format!("kindly could not turn off {}: {e}", category.id()),
                    })?;
            }
            present::CMD_DISABLE_RULE => {
                let Some(id) = arg(0).map(str::trim).filter(|id| !id.is_empty()) else {
                    return Err(Failure::invalid(format!(
                        "{} takes a rule id",
                        present::CMD_DISABLE_RULE
                    )));
                };
                // The engine says whether the rule exists and may be turned off (crisis rules
                // may not); a refusal is the answer, as for a crisis category, and nothing
                // changes.
                let mut off = self.session_off.clone();
                off.rules.insert(id.to_string());
                self.reconfigure(self.init.clone(), self.change.clone(), off, false)
                    .map_err(|e| {
                        Failure::invalid(format!(
                            "kindly could not turn off rule '{}': {e}",
                            config::printable(id)
                        ))
                    })?;
            }
            present::CMD_SUPPORT => {
                let Some(uri) = arg(0) else {
                    return Err(Failure::invalid(format!(
                        "{} takes a document URI",
                        present::CMD_SUPPORT
                    )));
                };
                let support = self
                    .docs
                    .get(uri)
                    .and_then(|d| d.doc.analysis().support.as_ref());
                if let Some(support) = support {
                    self.show(MessageType::INFO, present::support_text(support, false));
                }
            }
            present::CMD_APPLY_EDIT => {
                let edit = p.arguments.first().filter(|e| {
                    e.get("changes").is_some_and(Value::is_object)
                        || e.get("documentChanges").is_some_and(Value::is_array)
                });
                let Some(edit) = edit else {
                    return Err(Failure::invalid(format!(
                        "{} takes a workspace edit",
                        present::CMD_APPLY_EDIT
                    )));
                };
                if !self.apply_edit {
                    return Err(Failure {
                        code: ErrorCode::RequestFailed,
                        message: "the editor does not take edits from the server \
                                  (workspace/applyEdit)"
                            .to_string(),
                    });
                }
                let mut params = json!({ "edit": edit });
                if let Some(label) = arg(1) {
                    params["label"] = json!(label);
                }
                self.next_request += 1;
                let id = RequestId::from(format!("kindly/applyEdit/{}", self.next_request));
                self.send(Request::new(id, "workspace/applyEdit".to_string(), params));
            }
            present::CMD_RESET => {
                // Forget the session's choices and read the packs again (so an edited pack
                // takes effect without restarting the editor).
                self.ignored.clear();
                self.dirty.extend(self.docs.keys().cloned());
                let (init, change) = (self.init.clone(), self.change.clone());
                self.reconfigure(init, change, SessionOff::default(), true)
                    .map_err(|e| Failure {
                        code: ErrorCode::RequestFailed,
                        message: format!("kindly could not reset the session: {e}"),
                    })?;
            }
            other => {
                return Err(Failure::invalid(format!(
                    "unknown command '{other}' (kindly's commands: {})",
                    present::COMMANDS.join(", ")
                )))
            }
        }
        Ok(Value::Null)
    }

    // ---- notifications ----

    fn on_notification(&mut self, n: Notification) {
        // After `shutdown` only `exit` counts (handled before this); edits that arrive late
        // are dropped rather than answered with diagnostics nobody should be sent.
        if self.shutdown {
            return;
        }
        let method = n.method.clone();
        match method.as_str() {
            "initialized" => self.pull_configuration(),
            "textDocument/didOpen" => {
                if let Some(p) = self.notification_params::<DidOpen>(&method, n) {
                    self.did_open(p);
                } else {
                    // Without a URI and a text there is nothing to check, and nowhere to
                    // publish: the user would see no notes and never know why.
                    self.show(
                        MessageType::WARNING,
                        "kindly could not check a document: the editor's \
                         textDocument/didOpen notification had no document URI or text."
                            .to_string(),
                    );
                }
            }
            "textDocument/didChange" => {
                if let Some(p) = self.notification_params::<DidChange>(&method, n) {
                    self.did_change(p);
                }
            }
            "textDocument/didClose" => {
                if let Some(p) = self.notification_params::<DidClose>(&method, n) {
                    let uri = p.text_document.uri;
                    self.docs.remove(&uri);
                    self.dirty.remove(&uri);
                    self.notify(
                        "textDocument/publishDiagnostics",
                        json!({ "uri": uri, "diagnostics": [] }),
                    );
                }
            }
            "workspace/didChangeConfiguration" => {
                let settings = n.params.get("settings").cloned().unwrap_or(Value::Null);
                // Other servers' sections only (Eglot sends them all): no kindly settings.
                let settings = if config::only_other_sections(&settings) {
                    Value::Null
                } else {
                    settings
                };
                let empty = match &settings {
                    Value::Null => true,
                    Value::Object(map) => map.is_empty(),
                    _ => false,
                };
                if empty && self.config_pull {
                    // The client keeps settings for us to ask for (the pull model).
                    self.pull_configuration();
                } else {
                    self.apply_value(&settings, Source::DidChangeConfiguration);
                }
            }
            // `$/cancelRequest`, `textDocument/didSave`, `$/setTrace`, ...: nothing to do
            // (every request is answered at once, and saving changes nothing we check).
            _ => {}
        }
    }

    /// Notification params, or `None` after a log line naming the method only (the params hold
    /// the user's text, which is never logged).
    fn notification_params<P: DeserializeOwned>(&self, method: &str, n: Notification) -> Option<P> {
        match serde_json::from_value(n.params) {
            Ok(p) => Some(p),
            Err(_) => {
                eprintln!("kindly lsp: ignored a {method} notification with malformed params");
                None
            }
        }
    }

    fn did_open(&mut self, p: DidOpen) {
        let item = p.text_document;
        let kind = document_kind(&item.language_id, &item.uri);
        let mut doc = Document::new(Arc::clone(&self.engine), kind);
        // The text is analysed as the client sent it. A leading U+FEFF stays, unlike in
        // `kindly check` (src/cli/inputs.rs): editors take a file's byte-order mark off when
        // they read it, so a U+FEFF the client sends is a character of its buffer, and the
        // positions it sends and expects count it (`a_leading_feff_counts_in_positions` in
        // tests/lsp.rs). Nothing here reads files from disk.
        doc.set_text(&item.text);
        let key = item.uri.clone();
        self.docs
            .insert(key.clone(), Doc::new(item.uri, item.version, doc, kind));
        self.dirty.insert(key);
    }

    fn did_change(&mut self, p: DidChange) {
        let key = p.text_document.uri.as_str();
        let Some(doc) = self.docs.get_mut(key) else {
            eprintln!(
                "kindly lsp: a change to {}, which is not open, was ignored",
                loggable(key)
            );
            return;
        };
        doc.version = p.text_document.version;
        let lines = doc.lines.take();
        doc.markdown.take();
        apply_changes(&mut doc.doc, lines, p.content_changes, self.encoding);
        self.dirty.insert(key.to_string());
    }

    // ---- configuration ----

    fn pull_configuration(&mut self) {
        if !self.config_pull {
            return;
        }
        self.next_request += 1;
        let id = RequestId::from(format!("kindly/configuration/{}", self.next_request));
        let params = ConfigurationParams {
            items: vec![ConfigurationItem {
                scope_uri: None,
                section: Some("kindly".to_string()),
            }],
        };
        self.pending_config.insert(id.clone());
        self.send(Request::new(
            id,
            "workspace/configuration".to_string(),
            params,
        ));
    }

    fn on_response(&mut self, r: Response) {
        if !self.pending_config.remove(&r.id) {
            return;
        }
        // One item asked, one answer. `null` means the client has no settings for us (Neovim
        // answers it for a section that is gone): that layer is cleared, as `{}` clears it.
        // An error, or a result that is not a list, leaves the settings as they are.
        if let Ok(Value::Array(items)) = r.response_result {
            if let Some(value) = items.into_iter().next() {
                self.apply_value(&value, Source::Configuration);
            }
        }
    }

    /// Parses and applies a settings layer, or says in the editor why it was not applied.
    fn apply_value(&mut self, value: &Value, source: Source) {
        let result = Settings::parse(value).and_then(|s| match source {
            Source::InitializationOptions => {
                self.reconfigure(s, self.change.clone(), self.session_off.clone(), false)
            }
            Source::DidChangeConfiguration | Source::Configuration => {
                self.reconfigure(self.init.clone(), s, self.session_off.clone(), false)
            }
        });
        if let Err(e) = result {
            self.show(
                MessageType::ERROR,
                format!(
                    "kindly could not apply the settings from {}: {} The previous settings \
                     are still in use.",
                    source.name(),
                    full_stop(&e.to_string())
                ),
            );
        }
    }

    /// Switches to new settings, rebuilding the engine when it changes (or always, with
    /// `reload`). On error nothing changes.
    fn reconfigure(
        &mut self,
        init: Settings,
        change: Settings,
        session_off: SessionOff,
        reload: bool,
    ) -> Result<(), String> {
        let mut merged = init.clone();
        merged.update(&change);
        let key = EngineKey::new(&self.base, &merged, &session_off, self.root.as_deref());
        if reload || key != self.engine_key {
            let engine = key
                .build()
                .map_err(|e| format!("could not build the checker: {e}"))?;
            self.engine = Arc::new(engine);
            warm_up(&self.engine);
            self.engine_key = key;
            for (uri, doc) in &mut self.docs {
                let text = doc.doc.text().to_string();
                doc.doc = Document::new(Arc::clone(&self.engine), doc.kind);
                doc.doc.set_text(&text);
                self.dirty.insert(uri.clone());
            }
        }
        let minimum = merged.minimum_severity.unwrap_or(Severity::Low);
        if minimum != self.minimum {
            self.minimum = minimum;
            self.dirty.extend(self.docs.keys().cloned());
        }
        self.init = init;
        self.change = change;
        self.session_off = session_off;
        Ok(())
    }

    // ---- diagnostics ----

    fn visible<'d>(&self, doc: &'d Doc) -> Vec<(kindly::FindingId, &'d kindly::Finding)> {
        present::visible(
            doc.doc.findings(),
            doc.doc.analysis().support.as_ref(),
            Filter {
                minimum: self.minimum,
                ignored: self.ignored.get(&doc.uri),
            },
        )
    }

    fn publish_dirty(&mut self) {
        for key in std::mem::take(&mut self.dirty) {
            let Some(doc) = self.docs.get(&key) else {
                continue;
            };
            let index = doc.index(self.encoding);
            let support = doc.doc.analysis().support.as_ref();
            let diagnostics: Vec<_> = self
                .visible(doc)
                .into_iter()
                .map(|(id, f)| present::diagnostic(id, f, support, &index))
                .collect();
            self.notify(
                "textDocument/publishDiagnostics",
                json!({ "uri": &doc.uri, "diagnostics": diagnostics, "version": doc.version }),
            );
        }
    }
}

/// Compiles the engine's patterns on a background thread. Built-in patterns are otherwise
/// compiled on first use, which would add that pause (about 0.1 s) to the first diagnostics;
/// started at initialization, it mostly happens while the editor is still opening files. A
/// document analysed meanwhile waits for the pattern it needs, never compiles it twice.
fn warm_up(engine: &Arc<Engine>) {
    let engine = Arc::clone(engine);
    let spawned = std::thread::Builder::new()
        .name("kindly-warm-up".to_string())
        .spawn(move || {
            // A pattern that fails here fails the same way when used; nothing to report twice.
            let _ = engine.compile_all_patterns();
        });
    // Without the thread the patterns simply compile on first use.
    drop(spawned);
}

/// Request params, or an `InvalidParams` failure.
fn parse<P: DeserializeOwned>(method: &str, params: Value) -> Result<P, Failure> {
    serde_json::from_value(params)
        .map_err(|e| Failure::invalid(format!("invalid params for {method}: {e}")))
}

/// Applies a `didChange`'s edits in order. A single ranged edit (the usual keystroke) goes
/// through [`Document::apply_edit`]; several are applied to a copy and analysed once. `lines`
/// is the index of the text before the change, if one was built.
fn apply_changes(
    doc: &mut Document,
    lines: Option<Lines>,
    changes: Vec<TextDocumentContentChangeEvent>,
    enc: Encoding,
) {
    if let [single] = changes.as_slice() {
        match single.range {
            Some(range) => {
                let (from, to) = match &lines {
                    Some(lines) => lines.view(doc.text()).offsets(range),
                    None => LineIndex::new(doc.text(), enc).offsets(range),
                };
                if doc.apply_edit(from, to, &single.text).is_err() {
                    // Unreachable: LineIndex only returns character boundaries inside the text.
                    eprintln!("kindly lsp: an edit did not fit the document and was ignored");
                }
            }
            None => {
                doc.set_text(&single.text);
            }
        }
        return;
    }
    let mut text = doc.text().to_string();
    for change in changes {
        match change.range {
            Some(range) => {
                let (from, to) = LineIndex::new(&text, enc).offsets(range);
                text.replace_range(from..to, &change.text);
            }
            None => text = change.text,
        }
    }
    doc.set_text(&text);
}

/// How a document is read, from its language id: Markdown for `markdown` (and the Markdown
/// dialects `mdx`, `quarto`, `rmd`), plain text for `plaintext`/`text`; any other language id
/// (the user attached kindly to it on purpose) by the file name: `.md`, `.markdown`, `.mdx`,
/// `.qmd` and `.rmd` are Markdown, everything else plain text.
fn document_kind(language_id: &str, uri: &str) -> DocumentKind {
    match language_id.to_ascii_lowercase().as_str() {
        "markdown" | "mdx" | "quarto" | "rmd" | "rmarkdown" => DocumentKind::Markdown,
        "plaintext" | "text" | "txt" => DocumentKind::PlainText,
        _ => {
            let path = uri.split(['?', '#']).next().unwrap_or_default();
            if crate::cli::inputs::is_markdown(std::path::Path::new(path)) {
                DocumentKind::Markdown
            } else {
                DocumentKind::PlainText
            }
        }
    }
}

/// A document URI for a log line: as the client sent it, with control characters escaped so
/// that one line stays one line.
fn loggable(uri: &str) -> String {
    uri.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_unicode().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// The path of a `file:` URI (percent-decoded; `file:///C:/x` is `C:/x`).
fn file_uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let mut bytes = Vec::with_capacity(rest.len());
    let mut iter = rest.bytes();
    while let Some(b) = iter.next() {
        if b == b'%' {
            let hex: Vec<u8> = iter.by_ref().take(2).collect();
            let value = std::str::from_utf8(&hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())?;
            bytes.push(value);
        } else {
            bytes.push(b);
        }
    }
    let path = String::from_utf8(bytes).ok()?;
    let windows_drive = path.len() >= 3
        && path.as_bytes()[0] == b'/'
        && path.as_bytes()[1].is_ascii_alphabetic()
        && path.as_bytes()[2] == b':';
    Some(PathBuf::from(if windows_drive {
        &path[1..]
    } else {
        &path[..]
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_become_paths() {
        assert_eq!(
            file_uri_to_path("file:///home/a/My%20Notes"),
            Some(PathBuf::from("/home/a/My Notes"))
        );
        assert_eq!(
            file_uri_to_path("file:///c%3A/notes"),
            Some(PathBuf::from("c:/notes"))
        );
        assert_eq!(file_uri_to_path("untitled:Untitled-1"), None);
        assert_eq!(file_uri_to_path("file:///bad%zz"), None);
    }

    #[test]
    fn language_ids_and_file_names_choose_the_kind() {
        let md = "file:///j/today.md";
        let txt = "file:///j/today.txt";
        assert_eq!(document_kind("markdown", txt), DocumentKind::Markdown);
        assert_eq!(document_kind("plaintext", md), DocumentKind::PlainText);
        assert_eq!(document_kind("text", md), DocumentKind::PlainText);
        assert_eq!(document_kind("org", md), DocumentKind::Markdown);
        assert_eq!(document_kind("org", txt), DocumentKind::PlainText);
        assert_eq!(
            document_kind("git-commit", "file:///r/.git/COMMIT_EDITMSG"),
            DocumentKind::PlainText
        );
        // Any URI string, parsed or not.
        assert_eq!(
            document_kind("org", "file:///home/me/journal/2024-05-01 [draft]|^.md"),
            DocumentKind::Markdown
        );
    }

    #[test]
    fn several_changes_apply_in_order() {
        let mut doc = Document::new(Arc::new(Engine::new().unwrap()), DocumentKind::PlainText);
        doc.set_text("I'm so lazy.");
        let change = |l0, c0, l1, c1, text: &str| TextDocumentContentChangeEvent {
            range: Some(lsp_types::Range::new(
                lsp_types::Position::new(l0, c0),
                lsp_types::Position::new(l1, c1),
            )),
            range_length: None,
            text: text.to_string(),
        };
        apply_changes(
            &mut doc,
            None,
            vec![change(0, 0, 0, 0, "😀\n"), change(1, 4, 1, 6, "not")],
            Encoding::Utf16,
        );
        assert_eq!(doc.text(), "😀\nI'm not lazy.");
        assert!(doc.analysis().findings.is_empty());
    }
}
