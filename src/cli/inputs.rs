//! What to check: expanding the PATH arguments into a deterministic list of inputs, and
//! reading each one. Nothing the user named is skipped silently: a missing file, an
//! unreadable folder entry or a non-UTF-8 file becomes an input whose outcome is an error,
//! reported in its place while every other input is still checked.
//!
//! Error messages name the path and the problem, never the text inside the file.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Extensions searched for inside folders besides the Markdown ones ([`MARKDOWN_EXTENSIONS`]);
/// files named explicitly are always read.
const PLAIN_TEXT_EXTENSIONS: [&str; 1] = ["txt"];
/// Folder names never descended into.
const SKIP_DIRS: [&str; 2] = ["target", "node_modules"];

/// Where an input comes from.
#[derive(Debug)]
pub(crate) enum Source {
    Stdin,
    File(PathBuf),
    /// Known to be unreadable before reading (a missing path, a folder that failed to list).
    Failed(String),
}

/// One thing to check, in output order.
#[derive(Debug)]
pub(crate) struct Input {
    /// The path as shown to the user (`<stdin>` for standard input).
    pub display: String,
    pub source: Source,
    /// Whether the path says Markdown (`.md`, `.markdown`).
    pub markdown_ext: bool,
}

/// The PATH arguments, expanded. Folders yield their text files in sorted order, leaving out
/// what ignore files exclude when `honour_ignore_files` is set. A folder with nothing to check
/// gives a note (returned separately) rather than an error. A file reached twice (named twice,
/// or named and inside a folder also named) and standard input named twice are checked once,
/// where they first come.
pub(crate) fn collect(paths: &[PathBuf], honour_ignore_files: bool) -> (Vec<Input>, Vec<String>) {
    let mut inputs = Vec::new();
    let mut notes = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input {
                display: "<stdin>".to_string(),
                source: Source::Stdin,
                markdown_ext: false,
            });
            continue;
        }
        match std::fs::metadata(path) {
            Err(e) => inputs.push(Input {
                display: path.display().to_string(),
                source: Source::Failed(format!(
                    "cannot read: {}{}",
                    io_reason(&e),
                    unexpanded_glob_hint(path, &e)
                )),
                markdown_ext: false,
            }),
            Ok(meta) if meta.is_dir() => {
                let before = inputs.len();
                let skipped = walk(path, honour_ignore_files, &mut inputs);
                if let Some(note) = skipped.note() {
                    notes.push(format!("{}: {note}", path.display()));
                }
                if inputs.len() == before {
                    // The hint about ignore files only when they are why (a second walk, only
                    // for a folder that gave nothing).
                    let mut unfiltered = Vec::new();
                    if honour_ignore_files {
                        walk(path, false, &mut unfiltered);
                    }
                    let ignored = if !unfiltered.is_empty() {
                        " (or all of them are ignored by .gitignore or .ignore; --no-ignore checks them)"
                    } else {
                        ""
                    };
                    notes.push(format!(
                        "{}: no text or Markdown files in this folder ({}){ignored}",
                        path.display(),
                        searched_extensions()
                    ));
                }
            }
            Ok(_) => inputs.push(file_input(path.clone())),
        }
    }
    let mut seen = std::collections::HashSet::new();
    inputs.retain(|input| match &input.source {
        Source::Stdin => seen.insert(None),
        Source::File(path) => seen.insert(Some(
            std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()),
        )),
        Source::Failed(_) => true,
    });
    (inputs, notes)
}

fn file_input(path: PathBuf) -> Input {
    Input {
        display: path.display().to_string(),
        markdown_ext: is_markdown(&path),
        source: Source::File(path),
    }
}

/// File name extensions read as Markdown, by `kindly check` and `kindly lsp` alike: Markdown
/// and its dialects (MDX, Quarto, R Markdown), whose prose is Markdown too.
pub(crate) const MARKDOWN_EXTENSIONS: [&str; 5] = ["md", "markdown", "mdx", "qmd", "rmd"];

/// Whether the path says Markdown ([`MARKDOWN_EXTENSIONS`], any case).
pub(crate) fn is_markdown(path: &Path) -> bool {
    extension(path).is_some_and(|e| MARKDOWN_EXTENSIONS.contains(&e.as_str()))
}

/// Whether a file with this (lowercased) extension is searched for inside folders: text or
/// Markdown, never a rule pack.
pub(crate) fn is_searched_extension(ext: &str) -> bool {
    PLAIN_TEXT_EXTENSIONS.contains(&ext) || MARKDOWN_EXTENSIONS.contains(&ext)
}

/// ".txt, .md, .markdown, ...": the extensions a folder is searched for, as messages list them.
pub(crate) fn searched_extensions() -> String {
    PLAIN_TEXT_EXTENSIONS
        .iter()
        .chain(MARKDOWN_EXTENSIONS.iter())
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// "; the shell did not expand …" for a missing path that holds glob characters: quoted, or
/// matching nothing, a pattern reaches kindly as it was typed.
fn unexpanded_glob_hint(path: &Path, e: &std::io::Error) -> &'static str {
    let glob = path
        .to_string_lossy()
        .chars()
        .any(|c| matches!(c, '*' | '?' | '[' | '{'));
    if glob && e.kind() == std::io::ErrorKind::NotFound {
        "; it looks like a pattern the shell did not expand (it matched no file, or it was \
         quoted): name the files, or a folder to check every text and Markdown file in it"
    } else {
        ""
    }
}

/// What a folder walk left out besides ignored and hidden files: files of other types, and
/// links to folders (not followed), so that the user is told.
#[derive(Default)]
struct Skipped {
    /// Files whose extension is not searched for, by extension (`""` for none).
    other: std::collections::BTreeMap<String, usize>,
    folder_links: usize,
}

impl Skipped {
    /// "3 files of other types not checked (.org, .rst and 1 without an extension); name them
    /// to check them as plain text", or `None` when nothing was left out.
    fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        let files: usize = self.other.values().sum();
        if files > 0 {
            let mut kinds: Vec<String> = self
                .other
                .keys()
                .filter(|e| !e.is_empty())
                .take(SKIPPED_EXTENSIONS_NAMED)
                .map(|e| format!(".{e}"))
                .collect();
            let named = self.other.keys().filter(|e| !e.is_empty()).count();
            if named > SKIPPED_EXTENSIONS_NAMED {
                kinds.push(format!("{} more", named - SKIPPED_EXTENSIONS_NAMED));
            }
            if let Some(n) = self.other.get("") {
                kinds.push(format!("{n} without an extension"));
            }
            let kinds = match kinds.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, head)) => format!("{} and {last}", head.join(", ")),
                None => String::new(),
            };
            parts.push(format!(
                "{} of other types not checked ({kinds}); name {} to check {} as plain text",
                if files == 1 {
                    "1 file".to_string()
                } else {
                    format!("{files} files")
                },
                if files == 1 { "it" } else { "them" },
                if files == 1 { "it" } else { "them" },
            ));
        }
        if self.folder_links > 0 {
            parts.push(format!(
                "{} not followed",
                if self.folder_links == 1 {
                    "1 link to a folder".to_string()
                } else {
                    format!("{} links to folders", self.folder_links)
                }
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// How many extensions of skipped files a note names.
const SKIPPED_EXTENSIONS_NAMED: usize = 5;

/// The text files under `root`, in sorted order, and what was left out. Ignore files are read
/// the way ripgrep reads them (`.gitignore` inside a git repository, `.ignore` anywhere,
/// `.git/info/exclude`, the global git excludes file), from `root` and the folders above it.
/// A link that leads nowhere is an input that fails to read, as a missing file named
/// outright is.
fn walk(root: &Path, honour_ignore_files: bool, inputs: &mut Vec<Input>) -> Skipped {
    let mut skipped = Skipped::default();
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(honour_ignore_files)
        // Hidden files stay skipped either way; --no-ignore is about ignore files only.
        .hidden(true)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_some_and(|t| t.is_dir())
                    && SKIP_DIRS.iter().any(|d| e.file_name() == *d))
        })
        .build();
    for entry in walker {
        match entry {
            Ok(e) => {
                // A symlink to a file counts as a file; links to folders are not followed.
                let link = e.file_type().is_some_and(|t| t.is_symlink());
                let target = if link {
                    std::fs::metadata(e.path()).map(|m| m.file_type())
                } else {
                    Ok(match e.file_type() {
                        Some(t) => t,
                        None => continue,
                    })
                };
                let ext = extension(e.path());
                let wanted = ext.as_deref().is_some_and(is_searched_extension);
                match target {
                    Ok(t) if t.is_dir() => {
                        if link && e.depth() > 0 {
                            skipped.folder_links += 1;
                        }
                    }
                    Ok(t) if t.is_file() && wanted => inputs.push(file_input(e.into_path())),
                    Ok(t) if t.is_file() => {
                        *skipped.other.entry(ext.unwrap_or_default()).or_default() += 1;
                    }
                    // Sockets, pipes, devices: not files anyone writes a journal in.
                    Ok(_) => {}
                    Err(err) if wanted => inputs.push(Input {
                        display: e.path().display().to_string(),
                        source: Source::Failed(format!(
                            "cannot read: {} (a link to {})",
                            io_reason(&err),
                            std::fs::read_link(e.path()).map_or_else(
                                |_| "nowhere".to_string(),
                                |t| format!("'{}'", t.display())
                            )
                        )),
                        markdown_ext: false,
                    }),
                    Err(_) => {
                        *skipped.other.entry(ext.unwrap_or_default()).or_default() += 1;
                    }
                }
            }
            Err(err) => {
                let display = error_path(&err).unwrap_or(root).display().to_string();
                let reason = match err.io_error() {
                    Some(e) => format!("cannot read: {}", io_reason(e)),
                    // A line of an ignore file that is not a valid glob, a link loop, ...
                    None => format!("cannot search this folder: {err}"),
                };
                inputs.push(Input {
                    display,
                    source: Source::Failed(reason),
                    markdown_ext: false,
                });
            }
        }
    }
    skipped
}

/// The path an `ignore` walk error is about, when it names one.
pub(crate) fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// The byte-order mark some editors (Notepad, Excel's "UTF-8 CSV") write at the start of a
/// UTF-8 file. Editors hide it and do not count it as a column, so it is taken off before the
/// engine sees the text: line:column then match the editor, and the paragraph positions the
/// engine computes (src/position.rs) need no special case for the file's first character.
pub(crate) const BOM: &str = "\u{FEFF}";

/// An input's text, and with `--lossy`, a note when bytes had to be replaced.
pub(crate) struct Text {
    /// The text, without a leading byte-order mark.
    pub text: String,
    pub note: Option<String>,
    /// The input started with a byte-order mark, taken off `text`: offsets into `text` are
    /// [`BOM`]'s length short of offsets into the file ([`count_bom`]).
    pub bom: bool,
}

/// Moves a finding's offsets from the text analysed to the file it came from, which starts
/// with a byte-order mark the engine did not see: 3 bytes, 1 char and 1 UTF-16 unit further
/// on. Machine output (`--format json`/`jsonl`, `kindly trace --format json`) indexes the file
/// as a UTF-8 decoder reads it, mark included, so `file[bytes]` is the match. Line and column
/// stay as they are: as an editor shows them, which does not count the mark.
pub(crate) fn count_bom(f: &mut kindly::Finding) {
    let shift = |s: kindly::Span, by: usize| kindly::Span::new(s.start + by, s.end + by);
    f.bytes = shift(f.bytes, BOM.len());
    // U+FEFF is in the Basic Multilingual Plane: one char, one UTF-16 unit.
    f.chars = shift(f.chars, 1);
    f.utf16 = shift(f.utf16, 1);
}

/// Reads an input as UTF-8 text. With `lossy`, invalid bytes become U+FFFD and the note says
/// where the first one was; otherwise invalid UTF-8 is an error. Errors and notes are messages
/// without the path (the caller adds it) and without any of the file's contents.
pub(crate) fn read(input: &Input, lossy: bool) -> Result<Text, String> {
    let bytes = match &input.source {
        Source::Failed(message) => return Err(message.clone()),
        Source::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
            buf
        }
        Source::File(path) => {
            std::fs::read(path).map_err(|e| format!("cannot read: {}", io_reason(&e)))?
        }
    };
    // Decoded before the byte-order mark is taken off, so the offset of a bad byte is an
    // offset into the file.
    match String::from_utf8(bytes) {
        Ok(text) => Ok(without_bom(text, None)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let mut counter = LineCounter::default();
            counter.feed(&bytes[..at]);
            let (line, column) = counter.position();
            if lossy {
                return Ok(without_bom(
                    String::from_utf8_lossy(&bytes).into_owned(),
                    Some(format!(
                        "{line}:{column}: not valid UTF-8 (first bad byte at offset {at}); checked with U+FFFD in place of the bad bytes (--lossy)"
                    )),
                ));
            }
            let stdin = matches!(input.source, Source::Stdin);
            let hint = not_utf8_hint(&bytes, stdin);
            Err(format!(
                "{line}:{column}: not valid UTF-8 (first bad byte at offset {at}); {hint}"
            ))
        }
    }
}

/// Counts lines and columns over bytes fed in pieces (valid UTF-8, or cut inside a
/// character only at a piece's end): the line:column where the bytes stop, as an editor shows
/// it (columns count characters, and a leading byte-order mark is not one).
#[derive(Default)]
pub(crate) struct LineCounter {
    lines: usize,
    /// Characters since the last line break.
    column: usize,
    fed: usize,
    bom: bool,
}

impl LineCounter {
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        if self.fed == 0 && bytes.starts_with(BOM.as_bytes()) {
            self.bom = true;
        }
        self.fed += bytes.len();
        for &b in bytes {
            if b == b'\n' {
                self.lines += 1;
                self.column = 0;
            } else if b & 0xC0 != 0x80 {
                // Not a continuation byte: a character starts here.
                self.column += 1;
            }
        }
    }

    /// 1-based line and column of the next byte.
    pub(crate) fn position(&self) -> (usize, usize) {
        let mark = usize::from(self.bom && self.lines == 0);
        (self.lines + 1, self.column - mark + 1)
    }
}

/// An input's error or note with its path in front: `path:LINE:COL: …` when the message starts
/// with a position (a byte that is not UTF-8), as located messages are written everywhere
/// else, otherwise `path: …`.
pub(crate) fn with_path(display: &str, message: &str) -> String {
    let located = message
        .split_once(": ")
        .and_then(|(at, _)| at.split_once(':'))
        .is_some_and(|(l, c)| {
            !l.is_empty()
                && !c.is_empty()
                && l.bytes().all(|b| b.is_ascii_digit())
                && c.bytes().all(|b| b.is_ascii_digit())
        });
    if located {
        format!("{display}:{message}")
    } else {
        format!("{display}: {message}")
    }
}

/// What to do about an input that is not UTF-8, judged from its first bytes (the first 8 KiB
/// are enough; a streamed file passes only those). Text piped in cannot be saved from an
/// editor: it is converted before it is piped.
pub(crate) fn not_utf8_hint(head: &[u8], stdin: bool) -> &'static str {
    // A NUL byte early on, outside UTF-16, means a program, an image or an archive: no
    // encoding setting will make it prose.
    let binary = head.iter().take(HINT_BYTES).any(|b| *b == 0);
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    match (utf16, binary, stdin) {
        (true, _, false) => "it looks like UTF-16; save it as UTF-8 and try again",
        (true, _, true) => {
            "it looks like UTF-16; convert it to UTF-8 before piping it in (for example with \
             iconv -f UTF-16 -t UTF-8)"
        }
        (false, true, _) => {
            "it looks like a binary file, not text (kindly checks text and Markdown files)"
        }
        (false, false, false) => {
            "it may be Latin-1 or Windows-1252: save it as UTF-8 (an editor's encoding setting) \
             and try again, or use --lossy"
        }
        (false, false, true) => {
            "it may be Latin-1 or Windows-1252: convert it to UTF-8 before piping it in (for \
             example with iconv -f WINDOWS-1252 -t UTF-8), or use --lossy"
        }
    }
}

/// How many leading bytes [`not_utf8_hint`] looks at.
pub(crate) const HINT_BYTES: usize = 8192;

fn without_bom(mut text: String, note: Option<String>) -> Text {
    let bom = text.starts_with(BOM);
    if bom {
        text.drain(..BOM.len());
    }
    Text { text, note, bom }
}

/// A lowercase reason without the OS's error numbers.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file or directory".to_string(),
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::InvalidData => "invalid data".to_string(),
        ErrorKind::OutOfMemory => "out of memory".to_string(),
        _ => {
            let text = e.to_string();
            // "Input/output error (os error 5)" -> "input/output error"
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => "unknown error".to_string(),
            }
        }
    }
}
