//! Large files: read and analysed in pieces with [`kindly::Stream`], so checking a 1 GB journal
//! export takes a few megabytes of memory instead of several gigabytes. Findings are the same as
//! for a file read whole. They are kept in a scratch file in the temporary folder, not in
//! memory ([`kindly::Stream::spill_to`]), and written out from there one at a time once the
//! whole file is read: the support message comes first and depends on the whole file. Human
//! output needs the line around each finding: it is read back from the file afterwards, a small
//! window per finding.

use super::inputs::{self, io_reason, BOM};
use kindly::{Analysis, DocumentKind, Engine, Finding, Span, Spilled, SpillingStream, Stream};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Files at least this big are streamed.
const STREAM_FROM_BYTES: u64 = 16 << 20;

/// Whether a file of `len` bytes is streamed. `KINDLY_STREAM_FROM_BYTES` overrides the size,
/// so tests can compare streamed and whole-file output on small files.
pub(crate) fn should_stream(len: u64) -> bool {
    let from = std::env::var("KINDLY_STREAM_FROM_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(STREAM_FROM_BYTES);
    len >= from
}

/// How much is read at a time.
const READ_BYTES: usize = 1 << 20;

/// How much text is analysed at a time: `KINDLY_STREAM_CHUNK_BYTES` (for tests, to get many
/// windows from a small file), else the stream's default.
fn chunk_size() -> Option<usize> {
    std::env::var("KINDLY_STREAM_CHUNK_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
}

/// A new scratch file in the temporary folder for the findings. It is removed at once, so
/// nothing is left behind even if the process is killed; the open handle keeps its data
/// until it is closed. (Where an open file cannot be removed, as on Windows, it stays.)
/// `KINDLY_NO_SCRATCH` (README, privacy) acts as if none could be made: findings stay in memory.
fn scratch() -> Result<std::fs::File, String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir();
    if std::env::var_os("KINDLY_NO_SCRATCH").is_some() {
        return Err(format!("no scratch file in {}", dir.display()));
    }
    let path = dir.join(format!(
        "kindly-check-{}-{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create_new(true);
    // The findings quote the user's words: only the user may read them, even in the moment
    // before the file is removed.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).map_err(|e| {
        format!(
            "cannot create a scratch file in {}: {}",
            dir.display(),
            io_reason(&e)
        )
    })?;
    let _ = std::fs::remove_file(&path);
    Ok(file)
}

/// Where a streamed file's findings are kept.
pub(crate) enum Findings<'e> {
    /// In a scratch file.
    Spilled(Spilled<'e>),
    /// In memory, when no scratch file could be made (a temporary folder that is full or
    /// read-only): the file is still checked.
    InMemory(Analysis),
}

/// A stream with or without a scratch file.
enum Sink<'e> {
    Spill(SpillingStream<'e>),
    Memory(Stream<'e>),
}

impl Sink<'_> {
    fn push(&mut self, piece: &str) {
        match self {
            Sink::Spill(s) => s.push(piece),
            Sink::Memory(s) => s.push(piece),
        }
    }
}

/// What streaming a file gave.
pub(crate) struct Streamed<'e> {
    pub findings: Findings<'e>,
    /// Said with `--lossy` when bytes had to be replaced.
    pub note: Option<String>,
    /// False when replaced bytes shifted offsets, so windows cannot be read back by offset.
    pub offsets_match_file: bool,
    /// The file starts with a byte-order mark, not given to the engine (`inputs::BOM`): the
    /// findings' offsets are that much short of offsets into the file.
    pub bom: bool,
}

/// The first bytes of `path`, for the advice on a file that is not UTF-8 (none if it cannot be
/// read again: the advice is then the general one).
fn first_bytes(path: &Path) -> Vec<u8> {
    let mut head = Vec::with_capacity(inputs::HINT_BYTES);
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(inputs::HINT_BYTES as u64).read_to_end(&mut head);
    }
    head
}

/// Reads `path` piece by piece into a stream. Invalid UTF-8 is an error naming the byte offset
/// of the first bad byte, or with `lossy` is replaced by U+FFFD (and a note says where).
pub(crate) fn analyse<'e>(
    engine: &'e Engine,
    path: &Path,
    markdown: bool,
    lossy: bool,
) -> Result<Streamed<'e>, String> {
    let kind = if markdown {
        DocumentKind::Markdown
    } else {
        DocumentKind::PlainText
    };
    let mut file =
        std::fs::File::open(path).map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
    let mut stream = engine.stream(kind);
    if let Some(bytes) = chunk_size() {
        stream = stream.chunk_size(bytes);
    }
    let mut stream = match scratch() {
        Ok(scratch) => Sink::Spill(stream.spill_to(scratch)),
        Err(_) => Sink::Memory(stream),
    };
    let mut buf = vec![0u8; READ_BYTES];
    // Bytes of an incomplete UTF-8 sequence at the end of the last read; first, the file's
    // first bytes, unless they are a byte-order mark, which is skipped as for a file read whole.
    let mut carry: Vec<u8> = Vec::with_capacity(BOM.len());
    (&mut file)
        .take(BOM.len() as u64)
        .read_to_end(&mut carry)
        .map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
    let bom = carry == BOM.as_bytes();
    if bom {
        carry.clear();
    }
    // Offset in the file of the first byte of `carry` + the next read.
    let mut file_offset: u64 = if bom { BOM.len() as u64 } else { 0 };
    // The first bad byte's offset and line:column; the lines are counted up to it.
    let mut first_bad: Option<(u64, String)> = None;
    let mut lines = inputs::LineCounter::default();
    if bom {
        lines.feed(BOM.as_bytes());
    }
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
        let eof = n == 0;
        let mut data = std::mem::take(&mut carry);
        data.extend_from_slice(&buf[..n]);
        let mut rest: &[u8] = &data;
        let mut consumed: u64 = 0;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    stream.push(s);
                    if first_bad.is_none() {
                        lines.feed(rest);
                    }
                    consumed += rest.len() as u64;
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let good = e.valid_up_to();
                    // Only valid UTF-8 was checked, so this slice is text.
                    if let Ok(s) = std::str::from_utf8(&rest[..good]) {
                        stream.push(s);
                    }
                    match e.error_len() {
                        None if !eof => {
                            // A character cut by the read: finish it with the next read.
                            if first_bad.is_none() {
                                lines.feed(&rest[..good]);
                            }
                            consumed += good as u64;
                            rest = &rest[good..];
                            break;
                        }
                        bad => {
                            let at = file_offset + consumed + good as u64;
                            if !lossy {
                                let hint = inputs::not_utf8_hint(&first_bytes(path), false);
                                return Err(format!(
                                    "{}: not valid UTF-8 (first bad byte at offset {at}); {hint}",
                                    position(&mut lines, &rest[..good])
                                ));
                            }
                            if first_bad.is_none() {
                                first_bad = Some((at, position(&mut lines, &rest[..good])));
                            }
                            stream.push("\u{FFFD}");
                            let skip = good + bad.unwrap_or(rest.len() - good);
                            consumed += skip as u64;
                            rest = &rest[skip..];
                        }
                    }
                }
            }
        }
        carry.extend_from_slice(rest);
        file_offset += consumed;
        if eof {
            break;
        }
    }
    let findings = match stream {
        Sink::Spill(s) => Findings::Spilled(
            s.finish_spilled()
                .map_err(|e| format!("cannot use the scratch file: {}", io_reason(&e)))?,
        ),
        Sink::Memory(s) => Findings::InMemory(s.finish()),
    };
    Ok(Streamed {
        findings,
        note: first_bad.as_ref().map(|(at, position)| {
            format!(
                "{position}: not valid UTF-8 (first bad byte at offset {at}); checked with U+FFFD in place of the bad bytes (--lossy)"
            )
        }),
        offsets_match_file: first_bad.is_none(),
        bom,
    })
}

/// "LINE:COLUMN" of the byte after `before`, the valid bytes that precede it in this piece
/// (`lines` has counted everything before the piece).
fn position(lines: &mut inputs::LineCounter, before: &[u8]) -> String {
    lines.feed(before);
    let (line, column) = lines.position();
    format!("{line}:{column}")
}

/// How many bytes around a finding are read back for its snippet: more than the snippet shows
/// (`human::SNIPPET_REACH`), so the snippet can tell a cut line from a line start.
const WINDOW_REACH: u64 = 256;

/// Reads back the text around `f` from the file: the window and the finding with its byte
/// range moved into the window. `None` if the file cannot be read again. With `bom`, `f`'s
/// offsets are into the file after its byte-order mark ([`Streamed::bom`]), which the window
/// never includes, so the line shown is the line the engine saw.
pub(crate) fn window(
    file: &mut std::fs::File,
    f: &Finding,
    bom: bool,
) -> Option<(String, Finding)> {
    let skipped = if bom { BOM.len() } else { 0 };
    // The finding's bytes in the file.
    let (from, to) = (f.bytes.start + skipped, f.bytes.end + skipped);
    let lo = (from as u64)
        .saturating_sub(WINDOW_REACH)
        .max(skipped as u64);
    let hi = to as u64 + WINDOW_REACH;
    file.seek(SeekFrom::Start(lo)).ok()?;
    let mut bytes = Vec::with_capacity((hi - lo) as usize);
    file.take(hi - lo).read_to_end(&mut bytes).ok()?;
    // The window may start or end inside a character: trim to whole characters.
    let start = bytes
        .iter()
        .position(|b| (*b as i8) >= -0x40)
        .unwrap_or(bytes.len());
    let mut end = bytes.len();
    while end > start && std::str::from_utf8(&bytes[start..end]).is_err() {
        end -= 1;
    }
    let text = std::str::from_utf8(&bytes[start..end]).ok()?.to_string();
    let shift = lo as usize + start;
    let mut moved = f.clone();
    moved.bytes = Span::new(from.checked_sub(shift)?, to.checked_sub(shift)?);
    Some((text, moved))
}
