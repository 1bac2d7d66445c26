//! Reading labelled corpora as a stream of rows: JSON Lines, or CSV/TSV with a header.
//!
//! Files are read in chunks of at most [`CHUNK_ROWS`] rows or [`CHUNK_BYTES`] bytes, so memory
//! stays bounded on a corpus of any size. JSON lines are split here and parsed on the worker
//! threads ([`parse`]); CSV records are split by the `csv` crate and come out parsed.
//!
//! A row that cannot be scored (invalid JSON or UTF-8, no text, no labels, a label that is
//! neither mapped nor a category id, a line over [`MAX_ROW_BYTES`]) becomes a [`BadRow`] with
//! its file and line: the caller counts and lists it, or stops with `--strict`. A problem with
//! a whole file (missing, unreadable, a CSV header without the text column) is an error.

use super::labels::{self, Gold, LabelMap};
use crate::cli::args::InputFormat;
use crate::cli::inputs::{error_path, io_reason};
use anyhow::{anyhow, bail, Result};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Rows per parallel chunk.
pub(crate) const CHUNK_ROWS: usize = 4096;
/// Bytes of row text per chunk, at most (a chunk closes at whichever limit comes first).
pub(crate) const CHUNK_BYTES: usize = 16 << 20;
/// A longer line is a bad row (and is skipped without being held in memory).
pub(crate) const MAX_ROW_BYTES: usize = 4 << 20;

/// Extensions read from folders.
const FOLDER_EXTENSIONS: [&str; 3] = ["jsonl", "ndjson", "csv"];

/// The shape of one input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Jsonl,
    Csv,
    Tsv,
}

/// One corpus file (or standard input).
#[derive(Debug)]
pub(crate) struct Source {
    /// As shown in messages and reports.
    pub display: String,
    /// `None` for standard input.
    pub path: Option<PathBuf>,
    pub kind: Kind,
    /// Size in bytes, when known (for the progress bar).
    pub size: Option<u64>,
}

/// Which fields hold what.
#[derive(Clone, Debug)]
pub(crate) struct Fields {
    pub text: String,
    pub labels: String,
    pub id: String,
}

/// A row ready to score.
#[derive(Debug)]
pub(crate) struct Row {
    pub file: usize,
    pub line: u64,
    pub id: Option<String>,
    pub text: String,
    pub gold: Gold,
}

/// A row that could not be read.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct BadRow {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

/// What one line or record turned out to be.
#[derive(Debug)]
pub(crate) enum Item {
    Row(Row),
    Bad(BadRow),
    Blank,
}

/// One unit handed to the workers.
#[derive(Debug)]
pub(crate) enum Raw {
    /// A JSON line, still to parse.
    Json {
        file: usize,
        line: u64,
        bytes: Vec<u8>,
    },
    Done(Item),
}

/// Expands the CORPUS arguments: files as given, folders into their `.jsonl`, `.ndjson` and
/// `.csv` files (recursively, hidden entries skipped, in name order), `-` into standard input.
pub(crate) fn collect(paths: &[PathBuf], format: InputFormat) -> Result<Vec<Source>> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            out.push(Source {
                display: "<stdin>".into(),
                path: None,
                kind: kind_for(path, format, Kind::Jsonl),
                size: None,
            });
            continue;
        }
        let meta = std::fs::metadata(path)
            .map_err(|e| anyhow!("{}: cannot read: {}", path.display(), io_reason(&e)))?;
        if meta.is_dir() {
            let before = out.len();
            // Every corpus file under the folder except hidden ones; ignore files do not apply
            // (a corpus is named on purpose).
            let walker = ignore::WalkBuilder::new(path)
                .standard_filters(false)
                .hidden(true)
                .sort_by_file_name(|a, b| a.cmp(b))
                .build();
            for entry in walker {
                let entry = entry.map_err(|e| {
                    anyhow!(
                        "{}: cannot read this folder: {}",
                        error_path(&e).unwrap_or(path).display(),
                        e.io_error().map_or_else(|| "loop".to_string(), io_reason)
                    )
                })?;
                let wanted = extension(entry.path())
                    .is_some_and(|x| FOLDER_EXTENSIONS.contains(&x.as_str()));
                if wanted && entry.path().is_file() {
                    out.push(file_source(entry.path(), format)?);
                }
            }
            if out.len() == before {
                bail!(
                    "{}: no .jsonl, .ndjson or .csv files in this folder",
                    path.display()
                );
            }
        } else {
            out.push(file_source(path, format)?);
        }
    }
    Ok(out)
}

fn file_source(path: &Path, format: InputFormat) -> Result<Source> {
    let size = std::fs::metadata(path).ok().map(|m| m.len());
    Ok(Source {
        display: path.display().to_string(),
        path: Some(path.to_path_buf()),
        kind: kind_for(path, format, Kind::Jsonl),
        size,
    })
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

fn kind_for(path: &Path, format: InputFormat, default: Kind) -> Kind {
    match format {
        InputFormat::Jsonl => Kind::Jsonl,
        InputFormat::Csv => Kind::Csv,
        InputFormat::Tsv => Kind::Tsv,
        InputFormat::Auto => match extension(path).as_deref() {
            Some("csv") => Kind::Csv,
            Some("tsv" | "tab") => Kind::Tsv,
            _ => default,
        },
    }
}

/// An open file.
enum Open {
    Jsonl {
        file: usize,
        reader: Box<dyn BufRead + Send>,
        line: u64,
    },
    Csv {
        file: usize,
        reader: csv::Reader<Box<dyn Read + Send>>,
        text: usize,
        labels: usize,
        id: Option<usize>,
        last_byte: u64,
    },
}

/// Streams the rows of every source, in order.
pub(crate) struct Reader<'a> {
    sources: &'a [Source],
    fields: &'a Fields,
    map: Option<&'a LabelMap>,
    next: usize,
    open: Option<Open>,
    /// Bytes consumed so far, over all files (for the progress bar).
    pub bytes: u64,
    buf: Vec<u8>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(
        sources: &'a [Source],
        fields: &'a Fields,
        map: Option<&'a LabelMap>,
    ) -> Reader<'a> {
        Reader {
            sources,
            fields,
            map,
            next: 0,
            open: None,
            bytes: 0,
            buf: Vec::new(),
        }
    }

    /// The next chunk; empty at the end of the last file.
    pub(crate) fn next_chunk(&mut self) -> Result<Vec<Raw>> {
        let mut chunk = Vec::new();
        let mut chunk_bytes = 0;
        while chunk.len() < CHUNK_ROWS && chunk_bytes < CHUNK_BYTES {
            if self.open.is_none() {
                if self.next == self.sources.len() {
                    break;
                }
                self.open = Some(self.open_source(self.next)?);
                self.next += 1;
            }
            let Some(open) = self.open.as_mut() else {
                break;
            };
            let item = match open {
                Open::Jsonl { file, reader, line } => {
                    let file = *file;
                    let Some((consumed, truncated)) =
                        read_line(reader, &mut self.buf).map_err(|e| {
                            anyhow!(
                                "{}: cannot read: {}",
                                self.sources[file].display,
                                io_reason(&e)
                            )
                        })?
                    else {
                        self.open = None;
                        continue;
                    };
                    *line += 1;
                    self.bytes += consumed as u64;
                    if truncated {
                        Raw::Done(Item::Bad(bad_row(
                            self.sources,
                            file,
                            *line,
                            format!("line is longer than {} MiB", MAX_ROW_BYTES >> 20),
                        )))
                    } else {
                        if *line == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
                            self.buf.drain(..3);
                        }
                        chunk_bytes += self.buf.len();
                        Raw::Json {
                            file,
                            line: *line,
                            bytes: std::mem::take(&mut self.buf),
                        }
                    }
                }
                Open::Csv {
                    file,
                    reader,
                    text,
                    labels,
                    id,
                    last_byte,
                } => {
                    let file = *file;
                    let mut record = csv::ByteRecord::new();
                    let result = reader.read_byte_record(&mut record);
                    let pos = reader.position().byte();
                    self.bytes += pos.saturating_sub(*last_byte);
                    *last_byte = pos;
                    match result {
                        Ok(false) => {
                            self.open = None;
                            continue;
                        }
                        Ok(true) => {
                            let line = record.position().map_or(0, csv::Position::line);
                            chunk_bytes += record.as_slice().len();
                            Raw::Done(csv_row(
                                self.sources,
                                self.map,
                                file,
                                line,
                                &record,
                                (*text, *labels, *id),
                            ))
                        }
                        Err(e) => {
                            let line = e.position().map_or(0, csv::Position::line);
                            match e.kind() {
                                csv::ErrorKind::Io(io) => bail!(
                                    "{}: cannot read: {}",
                                    self.sources[file].display,
                                    io_reason(io)
                                ),
                                csv::ErrorKind::UnequalLengths {
                                    expected_len, len, ..
                                } => Raw::Done(Item::Bad(bad_row(
                                    self.sources,
                                    file,
                                    line,
                                    format!("{len} fields where the header has {expected_len}"),
                                ))),
                                _ => Raw::Done(Item::Bad(bad_row(
                                    self.sources,
                                    file,
                                    line,
                                    "not a valid CSV record".to_string(),
                                ))),
                            }
                        }
                    }
                }
            };
            chunk.push(item);
        }
        Ok(chunk)
    }

    fn open_source(&self, file: usize) -> Result<Open> {
        let source = &self.sources[file];
        let input: Box<dyn Read + Send> = match &source.path {
            None => Box::new(std::io::stdin()),
            Some(path) => Box::new(
                std::fs::File::open(path)
                    .map_err(|e| anyhow!("{}: cannot read: {}", source.display, io_reason(&e)))?,
            ),
        };
        match source.kind {
            Kind::Jsonl => Ok(Open::Jsonl {
                file,
                reader: Box::new(BufReader::with_capacity(1 << 16, input)),
                line: 0,
            }),
            Kind::Csv | Kind::Tsv => {
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(if source.kind == Kind::Tsv {
                        b'\t'
                    } else {
                        b','
                    })
                    .has_headers(true)
                    .flexible(false)
                    .from_reader(input);
                let header = reader
                    .byte_headers()
                    .map_err(|e| anyhow!("{}: cannot read the CSV header: {e}", source.display))?
                    .clone();
                let names: Vec<String> = header
                    .iter()
                    .map(|h| {
                        String::from_utf8_lossy(h)
                            .trim_start_matches('\u{feff}')
                            .trim()
                            .to_string()
                    })
                    .collect();
                let find = |name: &str| names.iter().position(|n| n == name);
                let column = |name: &str, what: &str| {
                    find(name).ok_or_else(|| {
                        anyhow!(
                            "{}: the header has no column '{name}' for the {what} (columns: {}); see --text-field and --label-field",
                            source.display,
                            names.join(", ")
                        )
                    })
                };
                Ok(Open::Csv {
                    file,
                    text: column(&self.fields.text, "text")?,
                    labels: column(&self.fields.labels, "labels")?,
                    id: find(&self.fields.id),
                    last_byte: reader.position().byte(),
                    reader,
                })
            }
        }
    }
}

fn bad_row(sources: &[Source], file: usize, line: u64, reason: String) -> BadRow {
    BadRow {
        file: sources[file].display.clone(),
        line,
        reason,
    }
}

/// Reads one line (without its `\n`/`\r\n`) into `buf`, keeping at most [`MAX_ROW_BYTES`] of it.
/// Returns the bytes consumed and whether the line was cut, or `None` at the end.
fn read_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<(usize, bool)>> {
    buf.clear();
    let mut consumed = 0;
    let mut truncated = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            if consumed == 0 {
                return Ok(None);
            }
            break;
        }
        let (piece, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..i], i + 1),
            None => (available, available.len()),
        };
        let room = MAX_ROW_BYTES.saturating_sub(buf.len());
        if piece.len() > room {
            truncated = true;
        }
        if !truncated {
            buf.extend_from_slice(piece);
        }
        let found_newline = done > piece.len();
        reader.consume(done);
        consumed += done;
        if found_newline {
            break;
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    if truncated {
        buf.clear();
    }
    Ok(Some((consumed, truncated)))
}

/// Parses one JSON line into an item (run on the worker threads).
pub(crate) fn parse(raw: Raw, sources: &[Source], fields: &Fields, map: Option<&LabelMap>) -> Item {
    let (file, line, bytes) = match raw {
        Raw::Done(item) => return item,
        Raw::Json { file, line, bytes } => (file, line, bytes),
    };
    let bad = |reason: String| {
        Item::Bad(BadRow {
            file: sources[file].display.clone(),
            line,
            reason,
        })
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Item::Blank;
    }
    let Ok(line_text) = std::str::from_utf8(&bytes) else {
        return bad("not valid UTF-8".to_string());
    };
    let value: Value = match serde_json::from_str(line_text) {
        Ok(v) => v,
        Err(e) => {
            return bad(format!(
                "invalid JSON (column {}: {})",
                e.column(),
                strip_position(&e)
            ))
        }
    };
    if !value.is_object() {
        return bad("not a JSON object".to_string());
    }
    let text = match field(&value, &fields.text) {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return bad(format!("field '{}' is not a string", fields.text)),
        None => return bad(format!("missing text (no field '{}')", fields.text)),
    };
    let labels = match field(&value, &fields.labels) {
        None => return bad(format!("missing labels (no field '{}')", fields.labels)),
        Some(v) => match json_labels(v) {
            Ok(l) => l,
            Err(why) => return bad(format!("field '{}' {why}", fields.labels)),
        },
    };
    let gold = match labels::resolve(&labels, map) {
        Ok(g) => g,
        Err(why) => return bad(why),
    };
    let id = match field(&value, &fields.id) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Item::Row(Row {
        file,
        line,
        id,
        text,
        gold,
    })
}

/// serde_json's message without its " at line 1 column N" suffix.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A field by exact name, or else by a dotted path (`meta.text`).
fn field<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    if let Some(v) = value.get(name) {
        return Some(v);
    }
    if !name.contains('.') {
        return None;
    }
    name.split('.').try_fold(value, |v, key| match v {
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => v.get(key),
    })
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Labels from JSON: a list of strings (or numbers), or one string (empty = no labels).
fn json_labels(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|x| scalar(x).ok_or_else(|| "must hold strings or numbers".to_string()))
            .collect(),
        Value::Null => Err("is null".to_string()),
        Value::Object(_) => Err("is an object; expected a list of labels".to_string()),
        other => Ok(scalar(other)
            .filter(|s| !s.trim().is_empty())
            .into_iter()
            .collect()),
    }
}

/// Labels from a CSV cell: a JSON list (`["a","b"]`), or labels separated by `;`, `|` or `,`;
/// an empty cell means no labels.
fn cell_labels(cell: &str) -> Result<Vec<String>, String> {
    let cell = cell.trim();
    if cell.starts_with('[') {
        let v: Value = serde_json::from_str(cell)
            .map_err(|_| "is not a valid JSON list of labels".to_string())?;
        return json_labels(&v);
    }
    Ok(cell
        .split([';', '|', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

fn csv_row(
    sources: &[Source],
    map: Option<&LabelMap>,
    file: usize,
    line: u64,
    record: &csv::ByteRecord,
    (text_col, label_col, id_col): (usize, usize, Option<usize>),
) -> Item {
    let bad = |reason: String| {
        Item::Bad(BadRow {
            file: sources[file].display.clone(),
            line,
            reason,
        })
    };
    if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
        return Item::Blank;
    }
    let get = |i: usize| record.get(i).map(std::str::from_utf8);
    let text = match get(text_col) {
        Some(Ok(t)) => t.to_string(),
        Some(Err(_)) => return bad("not valid UTF-8".to_string()),
        None => return bad("missing text".to_string()),
    };
    let labels = match get(label_col) {
        Some(Ok(cell)) => match cell_labels(cell) {
            Ok(l) => l,
            Err(why) => return bad(format!("labels {why}")),
        },
        Some(Err(_)) => return bad("not valid UTF-8".to_string()),
        None => return bad("missing labels".to_string()),
    };
    let gold = match labels::resolve(&labels, map) {
        Ok(g) => g,
        Err(why) => return bad(why),
    };
    let id = id_col
        .and_then(get)
        .and_then(Result::ok)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Item::Row(Row {
        file,
        line,
        id,
        text,
        gold,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_without_holding_them() {
        let big = vec![b'x'; MAX_ROW_BYTES + 10];
        let mut input = big.clone();
        input.extend_from_slice(b"\nnext\r\n");
        let mut reader = BufReader::with_capacity(1024, input.as_slice());
        let mut buf = Vec::new();
        let (n, cut) = read_line(&mut reader, &mut buf).unwrap().unwrap();
        assert_eq!((n, cut, buf.len()), (big.len() + 1, true, 0));
        let (n, cut) = read_line(&mut reader, &mut buf).unwrap().unwrap();
        assert_eq!((n, cut, buf.as_slice()), (6, false, &b"next"[..]));
        assert!(read_line(&mut reader, &mut buf).unwrap().is_none());
    }

    #[test]
    fn label_cells() {
        assert_eq!(
            cell_labels(" a; b |c "),
            Ok(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(cell_labels(""), Ok(vec![]));
        assert_eq!(cell_labels("[\"x, y\"]"), Ok(vec!["x, y".into()]));
        assert!(cell_labels("[oops").is_err());
    }

    #[test]
    fn dotted_fields() {
        let v: Value = serde_json::from_str(r#"{"a":{"b":["x","y"]},"c.d":1}"#).unwrap();
        assert_eq!(field(&v, "a.b.1"), Some(&Value::String("y".into())));
        assert_eq!(field(&v, "c.d"), Some(&Value::from(1)));
        assert_eq!(field(&v, "a.z"), None);
    }
}
