//! Machine output of `kindly check`: one JSON document (`--format json`) or JSON Lines tagged
//! with `"type"` (`--format jsonl`). Findings are the library's `Finding` serialized as-is, so
//! crisis findings carry offsets and tier only, never the words. Both are written as they go,
//! file by file ([`DocumentWriter`]), and a large file's findings one at a time.

use kindly::{Finding, Support};
use serde::Serialize;

/// The version of the JSON shapes below; bumped on any incompatible change.
pub(crate) const VERSION: u32 = 1;

/// `--format json`: the whole run, as [`DocumentWriter`] writes it (the tests compare the two).
#[cfg(test)]
#[derive(Serialize)]
pub(crate) struct Document<'a> {
    pub version: u32,
    pub files: Vec<FileReport<'a>>,
    pub summary: Summary,
}

/// One input of `--format json`.
#[derive(Serialize)]
pub(crate) struct FileReport<'a> {
    pub path: &'a str,
    pub findings: &'a [Finding],
    pub support: Option<&'a Support>,
    pub error: Option<&'a str>,
    /// What the reader had to do to check the input (bytes replaced under `--lossy`).
    pub note: Option<&'a str>,
}

/// Totals of `--format json`.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub(crate) struct Summary {
    /// Inputs checked, including those that could not be read.
    pub files: usize,
    /// Findings in all files, crisis findings included.
    pub findings: usize,
    /// Inputs that could not be read.
    pub errors: usize,
}

/// `--format jsonl`: one line.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Line<'a> {
    Finding {
        path: &'a str,
        #[serde(flatten)]
        finding: &'a Finding,
    },
    Support {
        path: &'a str,
        #[serde(flatten)]
        support: &'a Support,
    },
    Error {
        path: &'a str,
        message: &'a str,
    },
    /// What the reader had to do to check the input (bytes replaced under `--lossy`); before
    /// the input's other lines.
    Note {
        path: &'a str,
        message: &'a str,
    },
}

/// The JSON Lines of one input: its note (if any), its support message (if any), then its
/// findings in order, or its error.
pub(crate) fn lines(
    path: &str,
    findings: &[Finding],
    support: Option<&Support>,
    error: Option<&str>,
    note: Option<&str>,
    out: &mut String,
) -> serde_json::Result<()> {
    let mut push = |line: Line<'_>| -> serde_json::Result<()> {
        out.push_str(&serde_json::to_string(&line)?);
        out.push('\n');
        Ok(())
    };
    if let Some(message) = error {
        return push(Line::Error { path, message });
    }
    if let Some(message) = note {
        push(Line::Note { path, message })?;
    }
    if let Some(support) = support {
        push(Line::Support { path, support })?;
    }
    for finding in findings {
        push(Line::Finding { path, finding })?;
    }
    Ok(())
}

/// `value` as `serde_json`'s pretty printer writes it `indent` spaces deep in a document: the
/// nested lines indented, the first not. (Pretty JSON never has a line break inside a string.)
fn pretty_at<T: Serialize + ?Sized>(value: &T, indent: usize) -> serde_json::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    Ok(text.replace('\n', &format!("\n{}", " ".repeat(indent))))
}

/// `--format json` written as it goes, file by file, byte for byte what
/// `serde_json::to_writer_pretty` writes for the whole [`Document`].
pub(crate) struct DocumentWriter {
    files: usize,
}

impl DocumentWriter {
    /// Writes the start of the document, up to the list of files.
    pub(crate) fn begin(out: &mut impl std::io::Write) -> std::io::Result<DocumentWriter> {
        write!(out, "{{\n  \"version\": {VERSION},\n  \"files\": [")?;
        Ok(DocumentWriter { files: 0 })
    }

    fn next_file(&mut self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(if self.files == 0 {
            b"\n    "
        } else {
            b",\n    "
        })?;
        self.files += 1;
        Ok(())
    }

    /// Writes one file's report.
    pub(crate) fn file(
        &mut self,
        report: &FileReport<'_>,
        out: &mut impl std::io::Write,
    ) -> std::io::Result<()> {
        self.next_file(out)?;
        out.write_all(pretty_at(report, 4)?.as_bytes())
    }

    /// Writes one file's report with its findings read one at a time (a large file's).
    pub(crate) fn file_from(
        &mut self,
        path: &str,
        findings: impl Iterator<Item = std::io::Result<Finding>>,
        support: Option<&Support>,
        note: Option<&str>,
        out: &mut impl std::io::Write,
    ) -> std::io::Result<()> {
        self.next_file(out)?;
        write!(
            out,
            "{{\n      \"path\": {},\n      \"findings\": [",
            serde_json::to_string(path)?
        )?;
        let mut any = false;
        for f in findings {
            out.write_all(if any { b",\n        " } else { b"\n        " })?;
            any = true;
            out.write_all(pretty_at(&f?, 8)?.as_bytes())?;
        }
        if any {
            out.write_all(b"\n      ")?;
        }
        write!(
            out,
            "],\n      \"support\": {},\n      \"error\": null,\n      \"note\": {}\n    }}",
            pretty_at(&support, 6)?,
            serde_json::to_string(&note)?
        )
    }

    /// Writes the end of the document: the summary and the closing brace.
    pub(crate) fn end(
        self,
        summary: &Summary,
        out: &mut impl std::io::Write,
    ) -> std::io::Result<()> {
        if self.files > 0 {
            out.write_all(b"\n  ")?;
        }
        write!(out, "],\n  \"summary\": {}\n}}\n", pretty_at(summary, 2)?)
    }
}

/// The JSON Lines of a large file: its note and its support message (if any), then its
/// findings, read one at a time.
pub(crate) fn lines_from(
    path: &str,
    findings: impl Iterator<Item = std::io::Result<Finding>>,
    support: Option<&Support>,
    note: Option<&str>,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    if let Some(message) = note {
        serde_json::to_writer(&mut *out, &Line::Note { path, message })?;
        out.write_all(b"\n")?;
    }
    if let Some(support) = support {
        serde_json::to_writer(&mut *out, &Line::Support { path, support })?;
        out.write_all(b"\n")?;
    }
    for finding in findings {
        let finding = finding?;
        serde_json::to_writer(
            &mut *out,
            &Line::Finding {
                path,
                finding: &finding,
            },
        )?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_document_writer_writes_what_serde_writes_for_the_whole_document() {
        let engine = kindly::Engine::new().unwrap();
        let a = engine.analyze("I'm so lazy.\n\nI want to kill myself.\n");
        let b = engine.analyze("I'm such an idiot, everyone is better than me.");
        let files = [
            FileReport {
                path: "a.txt",
                findings: &a.findings,
                support: a.support.as_ref(),
                error: None,
                note: Some("not valid UTF-8 (first bad byte at offset 3); checked with U+FFFD"),
            },
            FileReport {
                path: "b \"quoted\".txt",
                findings: &b.findings,
                support: None,
                error: None,
                note: None,
            },
            FileReport {
                path: "missing.txt",
                findings: &[],
                support: None,
                error: Some("no such file"),
                note: None,
            },
        ];
        for n in 0..=files.len() {
            let summary = Summary {
                files: n,
                findings: 3,
                errors: 1,
            };
            let mut written = Vec::new();
            let mut w = DocumentWriter::begin(&mut written).unwrap();
            for (i, f) in files[..n].iter().enumerate() {
                if i == 0 {
                    let found = f.findings.iter().cloned().map(Ok);
                    w.file_from(f.path, found, f.support, f.note, &mut written)
                        .unwrap();
                } else {
                    w.file(f, &mut written).unwrap();
                }
            }
            w.end(&summary, &mut written).unwrap();
            let doc = Document {
                version: VERSION,
                files: files[..n].iter().map(|f| FileReport { ..*f }).collect(),
                summary,
            };
            let whole = serde_json::to_string_pretty(&doc).unwrap() + "\n";
            assert_eq!(String::from_utf8(written).unwrap(), whole, "{n} files");
        }
    }
}
