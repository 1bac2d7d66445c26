//! What the editor shows: findings as diagnostics, hovers and code actions.
//!
//! The safety rules of the human output hold here too (DOMAIN.md sections 2.2 and 2.4): with a
//! tier-A or abuse crisis only the crisis diagnostics are shown; a note whose reframes are withheld near
//! crisis language is set aside rather than shown without them; a crisis diagnostic carries the
//! support message and resources, never a reframe, a rewrite or a "thinking trap" label; and no
//! message repeats the words of a crisis finding.
//!
//! Severity mapping (crisis is the most visible level; nothing else is ever an error):
//!
//! | kindly   | LSP           |
//! | -------- | ------------- |
//! | crisis   | Error         |
//! | high     | Warning       |
//! | moderate | Information   |
//! | low      | Hint          |

use super::position::LineIndex;
use super::protocol::{DocumentEdit, VersionedIdOut, WorkspaceEdit};
use kindly::{Category, Finding, FindingId, Severity, Support};
use lsp_types::{Command, Diagnostic, DiagnosticSeverity, NumberOrString, TextEdit};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The `source` of every diagnostic.
pub(crate) const SOURCE: &str = "kindly";

/// Commands the server executes (`workspace/executeCommand`).
pub(crate) const CMD_IGNORE: &str = "kindly.ignorePhrase";
pub(crate) const CMD_DISABLE: &str = "kindly.disableCategory";
pub(crate) const CMD_DISABLE_RULE: &str = "kindly.disableRule";
pub(crate) const CMD_SUPPORT: &str = "kindly.showSupport";
pub(crate) const CMD_RESET: &str = "kindly.resetSession";
/// Sends its argument, a workspace edit, back with `workspace/applyEdit`: how a client that
/// takes only `Command`s gets a code action's edit.
pub(crate) const CMD_APPLY_EDIT: &str = "kindly.applyEdit";
pub(crate) const COMMANDS: [&str; 6] = [
    CMD_IGNORE,
    CMD_DISABLE_RULE,
    CMD_DISABLE,
    CMD_SUPPORT,
    CMD_RESET,
    CMD_APPLY_EDIT,
];

/// What decides which findings are shown, besides the analysis itself.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Filter<'a> {
    /// Non-crisis findings below this are hidden.
    pub minimum: Severity,
    /// Phrases (as [`phrase_key`]) the user asked not to flag in this document.
    pub ignored: Option<&'a BTreeSet<String>>,
}

/// The findings to show, with their identities, in text order.
pub(crate) fn visible<'a>(
    findings: impl Iterator<Item = (FindingId, &'a Finding)>,
    support: Option<&Support>,
    filter: Filter<'_>,
) -> Vec<(FindingId, &'a Finding)> {
    let takeover = support.is_some_and(|s| s.tier.whole_entry());
    findings
        .filter(|(_, f)| {
            if f.category == Category::Crisis {
                return true;
            }
            if takeover || f.reframes_withheld || f.severity < filter.minimum {
                return false;
            }
            let ignored = filter.ignored.is_some_and(|set| {
                f.text
                    .as_deref()
                    .is_some_and(|t| set.contains(&phrase_key(t)))
            });
            !ignored
        })
        .collect()
}

/// The LSP severity of a finding.
pub(crate) fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Crisis => DiagnosticSeverity::ERROR,
        Severity::High => DiagnosticSeverity::WARNING,
        Severity::Moderate => DiagnosticSeverity::INFORMATION,
        Severity::Low => DiagnosticSeverity::HINT,
    }
}

/// One diagnostic: code = category id, `data` = rule id and finding identity (stable across
/// edits to other paragraphs; a string, since it can exceed what a JavaScript number holds).
pub(crate) fn diagnostic(
    id: FindingId,
    f: &Finding,
    support: Option<&Support>,
    index: &LineIndex<'_>,
) -> Diagnostic {
    let message = match (f.category, support) {
        (Category::Crisis, Some(s)) => support_text(s, false),
        _ => f.message.clone(),
    };
    Diagnostic {
        range: index.range(f.bytes.start, f.bytes.end),
        severity: Some(severity(f.severity)),
        code: Some(NumberOrString::String(f.category.id().to_string())),
        code_description: None,
        source: Some(SOURCE.to_string()),
        message,
        related_information: None,
        tags: None,
        data: Some(json!({ "rule": &*f.rule, "finding": id.0.to_string() })),
    }
}

/// The support message and its resources, as plain text or Markdown.
pub(crate) fn support_text(support: &Support, markdown: bool) -> String {
    let esc = |s: &str| if markdown { escape(s) } else { s.to_string() };
    let mut out = esc(&support.message);
    if !support.resources.is_empty() {
        out.push_str("\n\n");
    }
    for (i, r) in support.resources.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let region = r
            .region
            .as_deref()
            .map(|reg| format!(" ({})", esc(reg)))
            .unwrap_or_default();
        if markdown {
            let _ = write!(out, "- {}: **{}**{region}", esc(&r.name), esc(&r.contact));
        } else {
            let _ = write!(out, "- {}: {}{region}", r.name, r.contact);
        }
    }
    out
}

/// The hover for a shown finding: what it is, the message and the kinder wordings; for a
/// crisis finding, the support message and resources only.
pub(crate) fn hover_text(f: &Finding, support: Option<&Support>, markdown: bool) -> String {
    if f.category == Category::Crisis {
        return match support {
            Some(s) => support_text(s, markdown),
            None => f.message.clone(),
        };
    }
    let esc = |s: &str| if markdown { escape(s) } else { s.to_string() };
    let mut out = if markdown {
        format!("**{}** · `{}`", f.category.gentle_name(), f.category.id())
    } else {
        format!("{} ({})", f.category.gentle_name(), f.category.id())
    };
    if !f.tags.is_empty() {
        let also: Vec<&str> = f.tags.iter().map(|t| t.gentle_name()).collect();
        let _ = write!(out, " (also {})", also.join(", "));
    }
    out.push_str("\n\n");
    out.push_str(&esc(&f.message));
    if !f.reframes.is_empty() {
        out.push_str(if markdown {
            "\n\n**Kinder ways to say it:**\n"
        } else {
            "\n\nKinder ways to say it:\n"
        });
        for (i, r) in f.reframes.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let _ = write!(out, "- {}", esc(&r.text));
        }
    }
    out
}

/// Where code actions for a document go.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target<'a> {
    /// The document's URI, as the client sent it.
    pub uri: &'a str,
    pub version: i32,
    /// The client takes versioned `documentChanges` (so a stale edit is refused).
    pub document_changes: bool,
}

/// The kind of every code action kindly offers.
pub(crate) const QUICKFIX: &str = "quickfix";

/// A `CodeAction` literal: an edit or a command (never both), with the notes it is for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct CodeAction {
    pub title: String,
    pub kind: &'static str,
    pub diagnostics: Vec<Diagnostic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit: Option<WorkspaceEdit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Command>,
}

/// The code actions for one shown finding: a rewrite per direct rewording, "Don't flag" and
/// "Turn off"; for crisis language only a way to see the support resources again.
pub(crate) fn actions(f: &Finding, diagnostic: &Diagnostic, target: Target<'_>) -> Vec<CodeAction> {
    let quickfix = |title: String| CodeAction {
        title,
        kind: QUICKFIX,
        diagnostics: vec![diagnostic.clone()],
        edit: None,
        command: None,
    };
    let uri_arg = json!(target.uri);
    if f.category == Category::Crisis {
        let title = "Show support resources".to_string();
        return vec![CodeAction {
            command: Some(Command::new(
                title.clone(),
                CMD_SUPPORT.to_string(),
                Some(vec![uri_arg]),
            )),
            ..quickfix(title)
        }];
    }
    let mut out = Vec::new();
    for r in f.reframes.iter().filter(|r| r.rewrite) {
        let edit = TextEdit::new(diagnostic.range, r.text.clone());
        out.push(CodeAction {
            edit: Some(workspace_edit(target, edit)),
            ..quickfix(format!("Rewrite as: “{}”", one_line(&r.text)))
        });
    }
    if let Some(words) = f.text.as_deref() {
        let title = format!("Don't flag “{}” in this file", one_line(words));
        out.push(CodeAction {
            command: Some(Command::new(
                title.clone(),
                CMD_IGNORE.to_string(),
                Some(vec![uri_arg, json!(phrase_key(words))]),
            )),
            ..quickfix(title)
        });
    }
    let title = format!("Turn off rule {} for this session", f.rule);
    out.push(CodeAction {
        command: Some(Command::new(
            title.clone(),
            CMD_DISABLE_RULE.to_string(),
            Some(vec![json!(&*f.rule)]),
        )),
        ..quickfix(title)
    });
    let title = format!(
        "Turn off {} ({}) for this session",
        f.category.id(),
        f.category.gentle_name()
    );
    out.push(CodeAction {
        command: Some(Command::new(
            title.clone(),
            CMD_DISABLE.to_string(),
            Some(vec![json!(f.category.id())]),
        )),
        ..quickfix(title)
    });
    out
}

/// One edit of the target document, versioned when the client takes `documentChanges`.
fn workspace_edit(target: Target<'_>, edit: TextEdit) -> WorkspaceEdit {
    if target.document_changes {
        WorkspaceEdit {
            changes: None,
            document_changes: Some(vec![DocumentEdit {
                text_document: VersionedIdOut {
                    uri: target.uri.to_string(),
                    version: target.version,
                },
                edits: vec![edit],
            }]),
        }
    } else {
        WorkspaceEdit {
            changes: Some(BTreeMap::from([(target.uri.to_string(), vec![edit])])),
            document_changes: None,
        }
    }
}

use super::quiet::IGNORE_COMMENT;

/// "Quiet this paragraph": inserts `text` (the ignore comment on a line of its own, see
/// `quiet`) at `at`, for the shown notes of that paragraph (`diagnostics`).
pub(crate) fn quiet_paragraph(
    at: lsp_types::Position,
    text: String,
    diagnostics: Vec<Diagnostic>,
    target: Target<'_>,
) -> CodeAction {
    let edit = TextEdit::new(lsp_types::Range { start: at, end: at }, text);
    CodeAction {
        title: format!("Quiet this paragraph (adds {IGNORE_COMMENT})"),
        kind: QUICKFIX,
        diagnostics,
        edit: Some(workspace_edit(target, edit)),
        command: None,
    }
}

/// The code actions as the response to `textDocument/codeAction`.
pub(crate) fn into_response(actions: Vec<CodeAction>) -> Value {
    serde_json::to_value(actions).unwrap_or_else(|_| json!([]))
}

/// The code actions as `Command`s, for a client without `codeActionLiteralSupport`: an action
/// that runs a command is that command; an edit becomes [`CMD_APPLY_EDIT`] with the edit and
/// the title as arguments when the client takes `workspace/applyEdit` (`apply_edit`), and is
/// left out otherwise.
pub(crate) fn into_commands(actions: Vec<CodeAction>, apply_edit: bool) -> Value {
    let commands: Vec<Command> = actions
        .into_iter()
        .filter_map(|a| match (a.command, a.edit) {
            (Some(command), _) => Some(command),
            (None, Some(edit)) if apply_edit => Some(Command::new(
                a.title.clone(),
                CMD_APPLY_EDIT.to_string(),
                Some(vec![json!(edit), json!(a.title)]),
            )),
            (None, _) => None,
        })
        .collect();
    serde_json::to_value(commands).unwrap_or_else(|_| json!([]))
}

/// How an ignored phrase is compared: lowercase, curly apostrophes straightened, whitespace
/// runs (a hard-wrapped line) as one space.
pub(crate) fn phrase_key(text: &str) -> String {
    one_line(&text.replace(['\u{2019}', '\u{2018}'], "'")).to_lowercase()
}

/// Whitespace runs as single spaces, for titles.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes the characters that would turn engine or pack text into Markdown markup.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn phrases_compare_loosely_and_titles_stay_on_one_line() {
        assert_eq!(phrase_key("I’m  so\nLazy"), "i'm so lazy");
        assert_eq!(one_line(" a \n b "), "a b");
        assert_eq!(escape("a*b_[c]"), "a\\*b\\_\\[c\\]");
    }

    #[test]
    fn severities_map_to_the_documented_levels() {
        assert_eq!(severity(Severity::Crisis), DiagnosticSeverity::ERROR);
        assert_eq!(severity(Severity::High), DiagnosticSeverity::WARNING);
        assert_eq!(
            severity(Severity::Moderate),
            DiagnosticSeverity::INFORMATION
        );
        assert_eq!(severity(Severity::Low), DiagnosticSeverity::HINT);
    }
}
