//! STAGE 4 output types: what `Engine::analyze` returns.

use crate::category::{Category, Confidence, CrisisTier, Severity};
use serde::Serialize;
use std::sync::Arc;

/// An end-exclusive range `[start, end)` in some unit (bytes, chars or UTF-16 code units).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    /// First unit of the range.
    pub start: usize,
    /// One past the last unit of the range.
    pub end: usize,
}

impl Span {
    /// Makes a span.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The span as a `Range`, handy for slicing: `&text[finding.bytes.range()]`.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// Length in units.
    pub fn len(self) -> usize {
        self.end - self.start
    }

    /// True when the span covers nothing.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// A kinder way to say it, offered alongside a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Reframe {
    /// The reframe, ready to show.
    pub text: String,
    /// True when the text is a direct rewording that can replace the finding's span in place
    /// ("Rewrite as ..."); false for a reflection to read alongside.
    pub rewrite: bool,
    /// The self-compassion components it brings in: `SK` (self-kindness), `CH` (common
    /// humanity), `MF` (mindfulness).
    pub poles: Vec<String>,
}

/// One piece of harsh self-talk (or crisis language) found in the text.
///
/// Positions come in every unit a host may need: `bytes` for Rust strings, `chars` for
/// Unicode scalar values, `utf16` for JavaScript strings and LSP, and 1-based `line`/`column`
/// (columns count characters) for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The stable id of the rule that fired, e.g. `labeling.self-adjective`.
    pub rule: Arc<str>,
    /// The primary category of this span.
    pub category: Category,
    /// Other categories that fired on an overlapping span (e.g. `all_or_nothing` on
    /// "I'm a total failure"), most important first.
    pub tags: Vec<Category>,
    /// How harsh it is.
    pub severity: Severity,
    /// How sure the match is.
    pub confidence: Confidence,
    /// For crisis findings, the tier.
    pub tier: Option<CrisisTier>,
    /// Byte range in the analysed text.
    pub bytes: Span,
    /// Range in Unicode scalar values (Rust `char`s).
    pub chars: Span,
    /// Range in UTF-16 code units (JavaScript string indices, LSP's default).
    pub utf16: Span,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column of the start, in characters.
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based column just past the end, in characters.
    pub end_column: usize,
    /// The matched text. `None` for crisis findings: hosts get offsets only, so they cannot log
    /// the words by accident (DOMAIN.md section 2.4).
    pub text: Option<String>,
    /// A short, gentle message about this span.
    pub message: String,
    /// One to three kinder wordings. Empty when withheld because of crisis language, and
    /// always empty on crisis findings.
    pub reframes: Vec<Reframe>,
    /// True when reframes exist for this finding but are withheld because crisis language
    /// appears in the same entry (tiers A and abuse) or sentence (tier B, someone-else).
    pub reframes_withheld: bool,
}

/// A place to reach a person, shown with the crisis support message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Resource {
    /// The service, e.g. "988 Suicide & Crisis Lifeline".
    pub name: String,
    /// How to reach it, e.g. "call or text 988".
    pub contact: String,
    /// Where it serves, e.g. "US".
    pub region: Option<String>,
    /// True for emergency numbers (shown first when there is a plan or intent).
    pub emergency: bool,
}

/// The calm support message shown when crisis language appears. It replaces reframes.
///
/// An entry gets one `Support`. When it holds both suicide or self-harm language and an abuse
/// disclosure, `tier` is the more urgent of the two (a, then abuse, then b, then
/// someone-else), `message` holds both messages (the more urgent first) and `resources` both
/// lists (the more urgent first, no contact twice).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Support {
    /// The most urgent tier found in the text (a, then abuse, then b, then someone-else).
    pub tier: CrisisTier,
    /// The message, in the chosen locale.
    pub message: String,
    /// Resources, in the order to show them (emergency numbers first when `urgent`).
    pub resources: Vec<Resource>,
    /// True when the wording suggests a plan, intent or "tonight": show emergency help first.
    pub urgent: bool,
}

/// Everything kindly found in one text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Analysis {
    /// Findings sorted by position (then by category precedence).
    pub findings: Vec<Finding>,
    /// Present when crisis language was found.
    pub support: Option<Support>,
}

impl Analysis {
    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }
}
