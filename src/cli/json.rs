//! Machine output of `kindly check`: one JSON document (`--format json`) or JSON Lines tagged
//! with `"type"` (`--format jsonl`). Findings are the library's `Finding` serialized as-is, so
//! crisis findings carry offsets and tier only, never the words.

use kindly::{Finding, Support};
use serde::Serialize;

/// The version of the JSON shapes below; bumped on any incompatible change.
pub(crate) const VERSION: u32 = 1;

/// `--format json`: the whole run.
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
}

/// The JSON Lines of one input: its support message first (if any), then its findings in
/// order, or its error.
pub(crate) fn lines(
    path: &str,
    findings: &[Finding],
    support: Option<&Support>,
    error: Option<&str>,
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
    if let Some(support) = support {
        push(Line::Support { path, support })?;
    }
    for finding in findings {
        push(Line::Finding { path, finding })?;
    }
    Ok(())
}
