//! The connection: Content-Length framed JSON-RPC over standard input and output.
//!
//! lsp-server's own reader stops for good at the first message it cannot read, which leaves an
//! editor without diagnostics until it restarts the server. This reader is lenient instead:
//!
//! - a body that is not JSON is answered with `-32700 Parse error`, and JSON that is not a
//!   JSON-RPC message (`{}`, `42`, a batch array, a request whose id is neither an integer nor
//!   a string) with `-32600 Invalid Request`, both with id `null` (JSON-RPC 2.0 §5), and the
//!   server keeps serving;
//! - a header block it cannot use (no `Content-Length`, or one that is not a number) is answered
//!   the same way, and reading picks up again at the next `Content-Length` header;
//! - a response to one of the server's own requests without `result` counts as `result: null`;
//! - a lone UTF-16 surrogate, which JavaScript clients write as `\ud83d` for half an emoji and
//!   serde_json refuses, is read as U+FFFD (one UTF-16 code unit, as the surrogate was, so
//!   positions stay right), and so are bytes that are not UTF-8.
//!
//! Nothing from a message is ever logged: [`Incoming::Malformed`] says what kind of problem it
//! was, in the server's own words.

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response, ResponseError};
use serde_json::{json, Map, Value};
use std::io::{self, Read, Write};
use std::sync::mpsc;
use std::thread::JoinHandle;

/// A header line longer than this is not a header: the reader looks for the next message.
const MAX_HEADER_LINE: usize = 8 * 1024;

/// A declared body longer than this is refused rather than waited for (no editor sends a 1 GiB
/// document; a bad length must not swallow every later message).
const MAX_BODY: usize = 1 << 30;

/// How many messages the reader may read ahead of the server.
const READ_AHEAD: usize = 16;

/// What the reader hands to the server.
#[derive(Debug)]
pub(crate) enum Incoming {
    Message(Message),
    /// A message that is not one: the server answers it with an error, id `null`, and logs
    /// `what`.
    Malformed {
        code: ErrorCode,
        what: &'static str,
    },
    /// Something to log and otherwise ignore (a response the server cannot match to a
    /// request, say).
    Note(&'static str),
}

/// The server's side of the connection.
pub(crate) struct Connection {
    pub(crate) receiver: mpsc::Receiver<Incoming>,
    /// The reader thread, or why it could not be started.
    reader: io::Result<JoinHandle<io::Result<()>>>,
}

impl Connection {
    /// Reads standard input on a thread of its own; the server writes standard output itself.
    pub(crate) fn stdio() -> Connection {
        let (receiver, reader) = spawn_reader(io::stdin());
        Connection { receiver, reader }
    }

    /// Sends a message to the client. A write fails only when the client closed our output;
    /// the reader then sees the end of the input and the server stops.
    pub(crate) fn send(&self, msg: Message) {
        let mut out = io::stdout().lock();
        let _ = msg.write(&mut out);
    }

    /// Answers a message that is not one: an error response with id `null`.
    pub(crate) fn send_error_without_id(&self, code: ErrorCode, message: &str) {
        let body = json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": { "code": code as i32, "message": message },
        })
        .to_string();
        let mut out = io::stdout().lock();
        let _ = write!(out, "Content-Length: {}\r\n\r\n{body}", body.len());
        let _ = out.flush();
    }

    /// Waits for the reader thread, which stops at `exit`, at the end of the input or when
    /// reading fails.
    ///
    /// # Errors
    /// The error that stopped reading (never a malformed message: those are answered).
    pub(crate) fn join(self) -> io::Result<()> {
        drop(self.receiver);
        self.reader?
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reader thread panicked")))
    }
}

/// Starts the reader thread over `input`. If no thread can be started, the channel is closed at
/// once (the server sees the end of its input) and the error is what [`Connection::join`]
/// returns.
fn spawn_reader<R: Read + Send + 'static>(
    input: R,
) -> (
    mpsc::Receiver<Incoming>,
    io::Result<JoinHandle<io::Result<()>>>,
) {
    let (tx, rx) = mpsc::sync_channel(READ_AHEAD);
    let handle = std::thread::Builder::new()
        .name("kindly-lsp-reader".to_string())
        .spawn(move || read_all(input, &tx));
    (rx, handle)
}

/// Reads messages until `exit`, the end of the input or a read error.
fn read_all<R: Read>(input: R, tx: &mpsc::SyncSender<Incoming>) -> io::Result<()> {
    let mut framer = Framer::new(input);
    let mut noted_lossy = false;
    loop {
        let incoming = match framer.next()? {
            Frame::End => return Ok(()),
            Frame::Bad(what) => Incoming::Malformed {
                code: ErrorCode::ParseError,
                what,
            },
            Frame::Body(body) => {
                let (incoming, lossy) = decode(body);
                if lossy && !noted_lossy {
                    noted_lossy = true;
                    let note = Incoming::Note(
                        "a message held a lone UTF-16 surrogate or bytes that are not UTF-8; \
                         they were read as U+FFFD (said once)",
                    );
                    if tx.send(note).is_err() {
                        return Ok(());
                    }
                }
                incoming
            }
        };
        let exit =
            matches!(&incoming, Incoming::Message(Message::Notification(n)) if n.method == "exit");
        if tx.send(incoming).is_err() || exit {
            // The server stopped listening, or the session is over: nothing more to read
            // (reading on would wait for a client that may keep our input open).
            return Ok(());
        }
    }
}

/// One framed message, or why there is none.
#[derive(Debug, PartialEq, Eq)]
enum Frame {
    Body(Vec<u8>),
    /// A header block that cannot be used; the next read looks for the next message.
    Bad(&'static str),
    End,
}

/// Splits the input into message bodies by their headers.
struct Framer<R> {
    input: R,
    buf: Vec<u8>,
    /// Where unread bytes start in `buf`.
    pos: usize,
    /// The last header block was bad: skip to the next `Content-Length` first.
    resync: bool,
}

impl<R: Read> Framer<R> {
    fn new(input: R) -> Framer<R> {
        Framer {
            input,
            buf: Vec::new(),
            pos: 0,
            resync: false,
        }
    }

    fn next(&mut self) -> io::Result<Frame> {
        if std::mem::take(&mut self.resync) && !self.skip_to_header()? {
            return Ok(Frame::End);
        }
        let mut length: Option<usize> = None;
        let mut headers = 0usize;
        loop {
            let Some(end) = self.line_end()? else {
                if self.buf.len() - self.pos > MAX_HEADER_LINE {
                    // No line break in sight: not a header (a body sent without one, say).
                    return Ok(self.bad(self.pos + 1, "a header line that does not end"));
                }
                return Ok(Frame::End);
            };
            let start = self.pos;
            let mut line = &self.buf[start..end];
            if let Some(l) = line.strip_suffix(b"\r") {
                line = l;
            }
            if line.is_empty() {
                self.pos = end + 1;
                if headers == 0 {
                    // Stray line breaks between messages.
                    continue;
                }
                let Some(length) = length else {
                    return Ok(self.bad(self.pos, "a message without a Content-Length header"));
                };
                return self.body(length);
            }
            headers += 1;
            match header(line) {
                Header::Length(n) if n <= MAX_BODY => length = Some(n),
                Header::Length(_) => {
                    return Ok(self.bad(start + 1, "a Content-Length over 1 GiB"));
                }
                Header::Other => {}
                Header::Bad(what) => return Ok(self.bad(start + 1, what)),
            }
            self.pos = end + 1;
        }
    }

    /// Gives up on the current header block: reading resumes at the next `Content-Length`
    /// header at or after `from`.
    fn bad(&mut self, from: usize, what: &'static str) -> Frame {
        self.pos = from.min(self.buf.len());
        self.resync = true;
        Frame::Bad(what)
    }

    /// The body of `length` bytes.
    fn body(&mut self, length: usize) -> io::Result<Frame> {
        while self.buf.len() - self.pos < length {
            let missing = length - (self.buf.len() - self.pos);
            if !self.more(missing)? {
                return Ok(Frame::End);
            }
        }
        let body = self.buf[self.pos..self.pos + length].to_vec();
        self.pos += length;
        Ok(Frame::Body(body))
    }

    /// The index in `buf` of the `\n` ending the next line, reading more as needed, or `None`
    /// at the end of the input or when the line would be too long for a header.
    fn line_end(&mut self) -> io::Result<Option<usize>> {
        let mut searched = self.pos;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[searched..]) {
                return Ok(Some(searched + i));
            }
            if self.buf.len() - self.pos > MAX_HEADER_LINE {
                return Ok(None);
            }
            searched = self.buf.len();
            let offset = searched - self.pos;
            if !self.more(MAX_HEADER_LINE)? {
                return Ok(None);
            }
            // `more` moved the unread bytes to the front.
            searched = self.pos + offset;
        }
    }

    /// Skips to the next `Content-Length` header (any case); `false` at the end of the input.
    fn skip_to_header(&mut self) -> io::Result<bool> {
        const NAME: &[u8] = b"content-length";
        loop {
            let found = self.buf[self.pos..]
                .windows(NAME.len())
                .position(|w| w.eq_ignore_ascii_case(NAME));
            if let Some(i) = found {
                self.pos += i;
                return Ok(true);
            }
            // Keep a tail that may be the start of the name.
            let keep = (self.buf.len() - self.pos).min(NAME.len() - 1);
            self.pos = self.buf.len() - keep;
            if !self.more(64 * 1024)? {
                return Ok(false);
            }
        }
    }

    /// Reads more input (about `hint` bytes, at most 16 MiB at a time), moving the unread
    /// bytes to the front of `buf` first; `false` at the end of the input.
    fn more(&mut self, hint: usize) -> io::Result<bool> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let old = self.buf.len();
        let want = hint.clamp(8 * 1024, 16 << 20);
        self.buf.resize(old + want, 0);
        loop {
            match self.input.read(&mut self.buf[old..]) {
                Ok(n) => {
                    self.buf.truncate(old + n);
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            }
        }
    }
}

/// One header line.
#[derive(Debug, PartialEq, Eq)]
enum Header {
    Length(usize),
    /// Another header (`Content-Type`): its value does not matter.
    Other,
    Bad(&'static str),
}

fn header(line: &[u8]) -> Header {
    let Some(colon) = memchr::memchr(b':', line) else {
        return Header::Bad("a header line without a colon");
    };
    let name = &line[..colon];
    // An HTTP-style token (RFC 9110 §5.6.2).
    let token = !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !token {
        return Header::Bad("a header line that is not a header");
    }
    if !name.eq_ignore_ascii_case(b"content-length") {
        return Header::Other;
    }
    let value = line[colon + 1..].trim_ascii();
    match std::str::from_utf8(value).ok().and_then(|v| {
        v.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| v.parse::<usize>().ok())
            .flatten()
    }) {
        Some(n) => Header::Length(n),
        None => Header::Bad("a Content-Length that is not a number"),
    }
}

/// A body as what the server gets, and whether characters had to be replaced by U+FFFD.
fn decode(mut body: Vec<u8>) -> (Incoming, bool) {
    let mut lossy = replace_surrogates(&mut body);
    let text = match String::from_utf8(body) {
        Ok(text) => text,
        Err(e) => {
            lossy = true;
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    let incoming = match serde_json::from_str::<Value>(&text) {
        Ok(value) => classify(value),
        Err(_) => Incoming::Malformed {
            code: ErrorCode::ParseError,
            what: "a message that is not valid JSON",
        },
    };
    (incoming, lossy)
}

/// Replaces, in place, every lone UTF-16 surrogate with U+FFFD: written as a JSON escape
/// (`\ud83d` becomes `\ufffd`) or encoded as UTF-8 would encode it (WTF-8 / CESU-8 bytes
/// `ED A0..BF 80..BF` become `EF BF BD`). Both replacements have the length of what they
/// replace. A pair of escapes that makes one character (`\ud83d\ude00`) is kept. Returns whether
/// anything was replaced.
fn replace_surrogates(body: &mut [u8]) -> bool {
    fn hex4(b: &[u8]) -> Option<u16> {
        let s = std::str::from_utf8(b.get(..4)?).ok()?;
        if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u16::from_str_radix(s, 16).ok()
    }
    let escape = |b: &[u8], i: usize| -> Option<u16> {
        (b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u'))
            .then(|| hex4(&b[i + 2..]))
            .flatten()
    };
    let mut replaced = false;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\\' => {
                let Some(unit) = escape(body, i) else {
                    // Any other escape: skip the backslash and the character it escapes, so
                    // that `\\ud83d` (an escaped backslash, then text) is left alone.
                    i += 2;
                    continue;
                };
                match unit {
                    0xD800..=0xDBFF
                        if escape(body, i + 6).is_some_and(|u| (0xDC00..=0xDFFF).contains(&u)) =>
                    {
                        i += 12;
                    }
                    0xD800..=0xDFFF => {
                        body[i + 2..i + 6].copy_from_slice(b"fffd");
                        replaced = true;
                        i += 6;
                    }
                    _ => i += 6,
                }
            }
            0xED if body.get(i + 1).is_some_and(|b| (0xA0..=0xBF).contains(b))
                && body.get(i + 2).is_some_and(|b| (0x80..=0xBF).contains(b)) =>
            {
                body[i..i + 3].copy_from_slice("\u{FFFD}".as_bytes());
                replaced = true;
                i += 3;
            }
            _ => i += 1,
        }
    }
    replaced
}

/// A JSON value as a JSON-RPC message, or why it is not one.
fn classify(value: Value) -> Incoming {
    let invalid = |what| Incoming::Malformed {
        code: ErrorCode::InvalidRequest,
        what,
    };
    let mut map = match value {
        Value::Object(map) => map,
        Value::Array(_) => {
            return invalid("a batch (JSON-RPC batches are not part of the protocol)");
        }
        _ => return invalid("a JSON value that is not a JSON-RPC message"),
    };
    let id = map.remove("id");
    let params = map.remove("params").unwrap_or(Value::Null);
    match (map.remove("method"), id) {
        (Some(Value::String(method)), None) => {
            Incoming::Message(Message::Notification(Notification { method, params }))
        }
        (Some(Value::String(method)), Some(id)) => match request_id(id) {
            Some(id) => Incoming::Message(Message::Request(Request { id, method, params })),
            None => invalid("a request whose id is neither an integer nor a string"),
        },
        (Some(_), _) => invalid("a message whose method is not a string"),
        (None, Some(id)) => match request_id(id) {
            Some(id) => Incoming::Message(Message::Response(response(id, map))),
            // The client could not tell which of our messages it answers (an error about one
            // it could not read, most likely): nothing to match it to, and a response is
            // never answered.
            None => Incoming::Note("a response without a usable id was ignored"),
        },
        (None, None) => {
            invalid("a JSON object that is not a request, a notification or a response")
        }
    }
}

/// A response's `result` or `error`. A response without either, which JSON-RPC does not
/// allow, counts as `result: null`; an `error` that is not an error object counts as an
/// internal error.
fn response(id: RequestId, mut map: Map<String, Value>) -> Response {
    let response_result = match map.remove("error") {
        Some(error) => {
            let code = error
                .get("code")
                .and_then(Value::as_i64)
                .and_then(|c| i32::try_from(c).ok())
                .unwrap_or(ErrorCode::InternalError as i32);
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            Err(ResponseError {
                code,
                message,
                data: error.get("data").cloned(),
            })
        }
        None => Ok(map.remove("result").unwrap_or(Value::Null)),
    };
    Response {
        id,
        response_result,
    }
}

/// A request id: an integer (32-bit, as the protocol's `integer`) or a string.
fn request_id(id: Value) -> Option<RequestId> {
    match id {
        Value::String(s) => Some(RequestId::from(s)),
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(RequestId::from),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<Frame> {
        let mut framer = Framer::new(input);
        let mut out = Vec::new();
        loop {
            match framer.next().unwrap() {
                Frame::End => return out,
                f => out.push(f),
            }
        }
    }

    fn body(s: &str) -> Frame {
        Frame::Body(s.as_bytes().to_vec())
    }

    #[test]
    fn frames_are_read_by_content_length() {
        let input =
            b"Content-Length: 2\r\n\r\n{}content-length:3\r\nContent-Type: x\r\n\r\n[1]\r\n";
        assert_eq!(frames(input), [body("{}"), body("[1]")]);
        // A line ending of \n alone is taken too; stray blank lines are skipped.
        assert_eq!(frames(b"\r\n\r\nContent-Length: 2\n\n{}"), [body("{}")]);
        // The input ends inside a message: no message.
        assert_eq!(frames(b"Content-Length: 9\r\n\r\n{}"), []);
        assert_eq!(frames(b"Content-Len"), []);
    }

    #[test]
    fn a_bad_header_block_is_reported_and_reading_resumes_at_the_next() {
        let next = b"Content-Length: 2\r\n\r\n{}";
        for (bad, what) in [
            (
                &b"Content-Length: abc\r\n\r\n{\"x\":1}"[..],
                "a Content-Length that is not a number",
            ),
            (
                b"Content-Type: x\r\n\r\n{\"x\":1}",
                "a message without a Content-Length header",
            ),
            (
                b"Content-Length: -1\r\n\r\n",
                "a Content-Length that is not a number",
            ),
            (
                b"Content-Length: 99999999999\r\n\r\n",
                "a Content-Length over 1 GiB",
            ),
            // A body sent without headers, run into the next message's headers.
            (
                b"{\"jsonrpc\": \"2.0\"}",
                "a header line that is not a header",
            ),
            (b"garbage\r\n", "a header line without a colon"),
        ] {
            let mut input = bad.to_vec();
            input.extend_from_slice(next);
            assert_eq!(
                frames(&input),
                [Frame::Bad(what), body("{}")],
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        // A long line without a line break, then a message.
        let mut input = vec![b'x'; MAX_HEADER_LINE * 3];
        input.extend_from_slice(next);
        assert_eq!(
            frames(&input),
            [Frame::Bad("a header line that does not end"), body("{}")]
        );
    }

    #[test]
    fn the_reader_reads_on_after_bad_messages_and_stops_at_exit() {
        let mut input = Vec::new();
        for body in [
            &br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#[..],
            b"{oops",
            br#"{"jsonrpc":"2.0","method":"m","params":"\ud800"}"#,
            br#"{"jsonrpc":"2.0","method":"exit"}"#,
            br#"{"jsonrpc":"2.0","id":2,"method":"after-exit"}"#,
        ] {
            input.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
            input.extend_from_slice(body);
        }
        let (rx, reader) = spawn_reader(std::io::Cursor::new(input));
        let got: Vec<String> = rx
            .iter()
            .map(|incoming| match incoming {
                Incoming::Message(Message::Request(r)) => format!("request {}", r.method),
                Incoming::Message(Message::Notification(n)) => {
                    format!("notification {} {}", n.method, n.params)
                }
                Incoming::Message(Message::Response(_)) => "response".to_string(),
                Incoming::Malformed { code, .. } => format!("malformed {}", code as i32),
                Incoming::Note(_) => "note".to_string(),
            })
            .collect();
        assert_eq!(
            got,
            [
                "request initialize",
                "malformed -32700",
                "note",
                "notification m \"\u{FFFD}\"",
                "notification exit null",
            ]
        );
        reader.unwrap().join().unwrap().unwrap();
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let fix = |s: &[u8]| {
            let mut v = s.to_vec();
            let changed = replace_surrogates(&mut v);
            (v, changed)
        };
        assert_eq!(fix(br#""a\ud83d b""#), (br#""a\ufffd b""#.to_vec(), true));
        assert_eq!(fix(br#""\uDE00""#), (br#""\ufffd""#.to_vec(), true));
        assert_eq!(
            fix(br#""\ud83d\ude00""#),
            (br#""\ud83d\ude00""#.to_vec(), false)
        );
        assert_eq!(
            fix(br#""\ud83d\u0041""#),
            (br#""\ufffd\u0041""#.to_vec(), true)
        );
        // An escaped backslash followed by text that looks like an escape.
        assert_eq!(fix(br#""\\ud83d""#), (br#""\\ud83d""#.to_vec(), false));
        // A surrogate encoded as UTF-8 would encode it.
        assert_eq!(
            fix(b"\"a\xed\xa0\xbdb\""),
            ("\"a\u{FFFD}b\"".as_bytes().to_vec(), true)
        );
        let (incoming, lossy) = decode(br#"{"method":"m","params":{"text":"I\ud83d x"}}"#.to_vec());
        assert!(lossy);
        let Incoming::Message(Message::Notification(n)) = incoming else {
            panic!("{incoming:?}")
        };
        assert_eq!(n.params["text"], "I\u{FFFD} x");
        let (incoming, lossy) = decode(b"{\"method\":\"m\",\"params\":\"caf\xe9\"}".to_vec());
        assert!(lossy);
        let Incoming::Message(Message::Notification(n)) = incoming else {
            panic!("{incoming:?}")
        };
        assert_eq!(n.params, "caf\u{FFFD}");
    }

    #[test]
    fn json_that_is_not_json_rpc_is_an_invalid_request() {
        let what = |s: &str| match decode(s.as_bytes().to_vec()).0 {
            Incoming::Malformed { code, what } => format!("{} {what}", code as i32),
            Incoming::Note(what) => format!("note: {what}"),
            Incoming::Message(m) => format!("{m:?}"),
        };
        assert_eq!(what("{not json"), "-32700 a message that is not valid JSON");
        assert_eq!(
            what("42"),
            "-32600 a JSON value that is not a JSON-RPC message"
        );
        assert_eq!(
            what(r#"[{"id":1,"method":"shutdown"}]"#),
            "-32600 a batch (JSON-RPC batches are not part of the protocol)"
        );
        assert_eq!(
            what("{}"),
            "-32600 a JSON object that is not a request, a notification or a response"
        );
        for id in ["null", "1.5", "{}", "true", "[1]", "4294967296"] {
            assert_eq!(
                what(&format!(r#"{{"id":{id},"method":"m"}}"#)),
                "-32600 a request whose id is neither an integer nor a string",
                "{id}"
            );
        }
        assert_eq!(
            what(r#"{"id":1,"method":7}"#),
            "-32600 a message whose method is not a string"
        );
        assert_eq!(
            what(r#"{"id":null,"error":{"code":-32700,"message":"x"}}"#),
            "note: a response without a usable id was ignored"
        );
        // A response without `result` is taken as `result: null`.
        let Incoming::Message(Message::Response(r)) =
            decode(br#"{"jsonrpc":"2.0","id":"kindly/configuration/1"}"#.to_vec()).0
        else {
            panic!()
        };
        assert_eq!(r.id, RequestId::from("kindly/configuration/1".to_string()));
        assert_eq!(r.response_result.unwrap(), Value::Null);
    }
}
