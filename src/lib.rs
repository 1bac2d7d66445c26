//! # kindly
//!
//! kindly notices harsh self-talk in a person's own writing ("I'm so lazy", "everyone else is
//! better than me", "I always mess up") and answers with compassionate reframes grounded in
//! self-compassion research. Crisis language is always caught and gets a calm support message
//! with resources instead of reframes.
//!
//! The data flow follows the modules:
//! text → candidate matches (one Aho-Corasick pass over every trigger of every pack, [`engine`])
//! → context filters around each hit (negation, past beliefs, reported speech, questions, …)
//! → findings (one primary category per span) → reframes → reports (the CLI, LSP and wasm).
//!
//! ```
//! use kindly::{Category, Engine};
//!
//! let engine = Engine::new()?;
//! let analysis = engine.analyze("I'm not lazy, I'm exhausted. But honestly I'm such an idiot.");
//! assert_eq!(analysis.findings.len(), 1);
//! let finding = &analysis.findings[0];
//! assert_eq!(finding.category, Category::Labeling);
//! assert_eq!(finding.text.as_deref(), Some("I'm such an idiot"));
//! assert!(finding.reframes.len() >= 1 && finding.reframes.len() <= 3);
//! # Ok::<(), kindly::Error>(())
//! ```
//!
//! Crisis language switches to support mode: no reframes anywhere in the entry.
//!
//! ```
//! let engine = kindly::Engine::new()?;
//! let analysis = engine.analyze("I'm so useless. I want to die.");
//! let support = analysis.support.as_ref().expect("crisis language is always caught");
//! assert_eq!(support.tier, kindly::CrisisTier::A);
//! assert!(analysis.findings.iter().all(|f| f.reframes.is_empty()));
//! // Crisis findings never carry the matched words, only where they are.
//! assert!(analysis.findings.iter().any(|f| f.category == kindly::Category::Crisis && f.text.is_none()));
//! # Ok::<(), kindly::Error>(())
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod category;
mod context;
mod document;
pub mod engine;
mod error;
mod finding;
#[cfg(not(target_arch = "wasm32"))]
mod fs;
#[cfg(feature = "markdown")]
pub mod markdown;
mod pack;
mod position;
mod selftest;
mod stream;
mod suggest;
mod template;
mod text;
mod trace;

pub use category::{Category, Confidence, CrisisTier, Severity};
pub use document::{Document, DocumentKind, EditError, FindingId};
pub use engine::{Engine, EngineBuilder, PackInfo, PatternWork, RuleInfo};
pub use error::{Error, ErrorKind, Location, Result};
pub use finding::{Analysis, Finding, Reframe, Resource, Span, Support};
pub use selftest::{ExampleFailure, ExampleReport};
pub use stream::{Spilled, SpilledFindings, SpillingStream, Stream};
pub use trace::{ClassifierScore, ExceptionMatch, Outcome, Trace, TraceStep};

// The README's Rust example is compiled and run as a doctest, so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The files of the built-in packs, as `(path, contents)`, in load order.
#[doc(hidden)]
pub fn builtin_pack_files() -> impl Iterator<Item = (&'static str, &'static str)> {
    pack::builtin::files()
}

#[doc(hidden)]
/// The comment that quiets a paragraph's notes (crisis notes excepted); `kindly lsp` offers to
/// insert it.
pub const IGNORE_COMMENT: &str = text::IGNORE_COMMENT;

/// The Levenshtein distance between `a` and `b`, counted in characters (Unicode scalar values),
/// so "é" and "e" are one edit apart.
///
/// For the `kindly` command, a separate crate target that needs the same distance for its own
/// "did you mean" checks (`kindly eval --map`) and cannot reach the crate-private original. Not
/// part of the public API: it may change or go away in any release.
#[doc(hidden)]
pub fn edit_distance(a: &str, b: &str) -> usize {
    suggest::levenshtein(a, b)
}

/// Up to three of `ids` close to `query`, closest first: the library's own "did you mean"
/// choice (rule ids, pack categories), for the `kindly` command's settings keys and category
/// ids. Not part of the public API.
#[doc(hidden)]
pub fn closest_ids<'a>(query: &str, ids: &[&'a str]) -> Vec<&'a str> {
    suggest::closest(query, ids)
}

/// "; did you mean 'a'?" or "; did you mean 'a', 'b' or 'c'?" (empty when `close` is): the
/// library's wording, so the `kindly` command's hints read like the engine's. Not part of the
/// public API.
#[doc(hidden)]
pub fn did_you_mean(close: &[&str]) -> String {
    suggest::did_you_mean(close)
}
