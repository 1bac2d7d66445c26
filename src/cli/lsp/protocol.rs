//! The parts of LSP messages the server reads and writes that name documents.
//!
//! lsp-types parses every document URI with a strict RFC 3986 parser, which refuses what real
//! clients send: Helix and Zed build URIs with the `url` crate and leave `[`, `]`, `|` and `^`
//! unescaped, so a journal named `2024-05-01 [draft].md` could not even be opened. The protocol
//! treats a document URI as an opaque key (the client's own string, sent back as it came), and
//! so do these types: `uri` is a `String`, never parsed, never normalised.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent, TextEdit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `TextDocumentIdentifier`.
#[derive(Debug, Deserialize)]
pub(crate) struct DocumentId {
    pub uri: String,
}

/// `TextDocumentItem`. A missing language id or version is taken as empty or 0 rather than
/// dropping the whole notification: the text is what matters.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DocumentItem {
    pub uri: String,
    #[serde(default)]
    pub language_id: String,
    #[serde(default)]
    pub version: i32,
    pub text: String,
}

/// `DidOpenTextDocumentParams`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DidOpen {
    pub text_document: DocumentItem,
}

/// `VersionedTextDocumentIdentifier`.
#[derive(Debug, Deserialize)]
pub(crate) struct VersionedId {
    pub uri: String,
    #[serde(default)]
    pub version: i32,
}

/// `DidChangeTextDocumentParams`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DidChange {
    pub text_document: VersionedId,
    pub content_changes: Vec<TextDocumentContentChangeEvent>,
}

/// `DidCloseTextDocumentParams`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DidClose {
    pub text_document: DocumentId,
}

/// `HoverParams` (its `textDocument` and `position`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HoverParams {
    pub text_document: DocumentId,
    pub position: Position,
}

/// `CodeActionParams`. The context's diagnostics are not read: the server finds the notes in
/// the range itself (and they may carry related locations with URIs of any shape).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CodeActionParams {
    pub text_document: DocumentId,
    pub range: Range,
    #[serde(default)]
    pub context: CodeActionContext,
}

/// `CodeActionContext`: the kinds asked for.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CodeActionContext {
    pub only: Option<Vec<String>>,
}

/// `WorkspaceEdit` with the edits of one document: `changes`, or versioned `documentChanges`
/// for clients that take them (so a stale edit is refused).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WorkspaceEdit {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<BTreeMap<String, Vec<TextEdit>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_changes: Option<Vec<DocumentEdit>>,
}

/// `TextDocumentEdit`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DocumentEdit {
    pub text_document: VersionedIdOut,
    pub edits: Vec<TextEdit>,
}

/// `OptionalVersionedTextDocumentIdentifier`, as sent.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct VersionedIdOut {
    pub uri: String,
    pub version: i32,
}
