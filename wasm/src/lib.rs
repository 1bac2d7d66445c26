//! kindly for JavaScript: the same engine as the native library, compiled to WebAssembly.
//!
//! This crate is the thin Rust half of the npm package. It exposes two classes through
//! wasm-bindgen, [`KindlyEngine`] and [`KindlyDocument`], and hands every result to JavaScript as
//! one JSON string, which the package's `kindly.js` wrapper parses into plain objects (one copy
//! and one `JSON.parse` is smaller and faster than building objects field by field from Rust).
//!
//! Positions are UTF-16 code units, so `text.slice(f.start, f.end)` in JavaScript is exactly the
//! flagged span. Nothing here may trap: every input is checked and problems come back as JS
//! `Error`s. There is deliberately no panic hook: a panic message can quote the text being
//! analysed, and journals must never reach a console or a log.
//!
//! The pure-Rust core of the crate ([`Options`], [`to_json`]) is ordinary Rust so that it is
//! tested natively with `cargo test`; the `#[wasm_bindgen]` layer only converts errors.

use kindly::{
    Analysis, Category, Confidence, CrisisTier, Document, DocumentKind, Engine, EngineBuilder,
    Finding, FindingId, Reframe, Severity, Support,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// Engine settings, as the JS wrapper passes them (JSON, camelCase).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    /// Load the embedded English pack (default true).
    pub builtin: Option<bool>,
    /// Extra packs as TOML text, each with the name used in error messages.
    #[serde(default)]
    pub packs: Vec<PackText>,
    /// Support-resource locale, e.g. `en-GB`.
    pub locale: Option<String>,
    /// Kinder wordings per finding, 0 to 3 (0: none).
    pub max_reframes: Option<u8>,
    /// Category ids to turn off (`crisis` cannot be).
    #[serde(default)]
    pub disable: Vec<String>,
}

/// One caller-given pack.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackText {
    /// Shown in error messages, e.g. `mine.toml`.
    pub name: String,
    /// The pack's TOML.
    pub toml: String,
}

/// A built engine plus the output settings that are not engine settings.
pub struct Built {
    /// The engine, shared with every document made from it.
    pub engine: Arc<Engine>,
    /// False when the caller asked for no reframes at all.
    pub reframes: bool,
}

impl Options {
    /// Parses the wrapper's JSON. Errors are plain sentences for a JS `Error`.
    pub fn from_json(json: &str) -> Result<Options, String> {
        if json.trim().is_empty() {
            return Ok(Options::default());
        }
        serde_json::from_str(json).map_err(|e| format!("kindly: invalid options: {e}"))
    }

    /// Builds the engine. Pack errors keep the engine's located message
    /// (`mine.toml:11:12: rule 'mine.oops': unknown category ...`).
    pub fn build(&self) -> Result<Built, String> {
        let mut b = EngineBuilder::new();
        b.builtin_packs(self.builtin.unwrap_or(true));
        for p in &self.packs {
            b.add_pack_source(p.name.clone(), p.toml.clone());
        }
        if let Some(locale) = &self.locale {
            b.locale(locale.clone());
        }
        let reframes = match self.max_reframes {
            None => true,
            Some(0) => false,
            Some(n @ 1..=3) => {
                b.max_reframes(usize::from(n));
                true
            }
            Some(n) => return Err(format!("kindly: maxReframes must be 0 to 3, not {n}")),
        };
        for id in &self.disable {
            let Some(c) = Category::from_id(id.trim()) else {
                let all: Vec<&str> = Category::ALL.iter().map(|c| c.id()).collect();
                return Err(format!(
                    "kindly: unknown category '{id}' (expected one of: {})",
                    all.join(", ")
                ));
            };
            b.disable_category(c);
        }
        let engine = b.build().map_err(|e| e.to_string())?;
        Ok(Built {
            engine: Arc::new(engine),
            reframes,
        })
    }
}

/// A finding as JavaScript sees it: UTF-16 offsets named `start`/`end`, camelCase names.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsFinding<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    rule: &'a str,
    category: Category,
    /// The gentle name to show ("harsh label"), never a clinical label.
    label: &'static str,
    tags: &'a [Category],
    severity: Severity,
    confidence: Confidence,
    tier: Option<CrisisTier>,
    start: usize,
    end: usize,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    text: Option<&'a str>,
    message: &'a str,
    reframes: &'a [Reframe],
    reframes_withheld: bool,
}

#[derive(Serialize)]
struct JsAnalysis<'a> {
    findings: Vec<JsFinding<'a>>,
    support: Option<&'a Support>,
}

/// Serializes an analysis for the JS wrapper. `ids` (from a [`Document`]) become each finding's
/// stable `id`; `reframes: false` drops every reframe (`maxReframes: 0`).
pub fn to_json(analysis: &Analysis, ids: Option<&[FindingId]>, reframes: bool) -> String {
    let findings = analysis
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| js_finding(f, ids.and_then(|ids| ids.get(i)).copied(), reframes))
        .collect();
    let js = JsAnalysis {
        findings,
        support: analysis.support.as_ref(),
    };
    // Serializing plain strings, numbers and enums cannot fail; an empty analysis is the
    // harmless answer if it ever did.
    serde_json::to_string(&js).unwrap_or_else(|_| r#"{"findings":[],"support":null}"#.to_string())
}

fn js_finding(f: &Finding, id: Option<FindingId>, reframes: bool) -> JsFinding<'_> {
    JsFinding {
        id: id.map(|id| id.0.to_string()),
        rule: &f.rule,
        category: f.category,
        label: f.category.gentle_name(),
        tags: &f.tags,
        severity: f.severity,
        confidence: f.confidence,
        tier: f.tier,
        start: f.utf16.start,
        end: f.utf16.end,
        line: f.line,
        column: f.column,
        end_line: f.end_line,
        end_column: f.end_column,
        text: f.text.as_deref(),
        message: &f.message,
        reframes: if reframes { &f.reframes } else { &[] },
        reframes_withheld: f.reframes_withheld,
    }
}

/// A document finding that is the same as in the previous result except for where it is: only
/// its id and position cross the boundary, and the JS wrapper reuses the object it already has.
/// This keeps a keystroke in a long entry from re-sending every message and reframe.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Moved {
    id: String,
    same: bool,
    start: usize,
    end: usize,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

/// Everything about a finding except its position.
fn same_but_position(a: &Finding, b: &Finding) -> bool {
    a.rule == b.rule
        && a.category == b.category
        && a.tags == b.tags
        && a.severity == b.severity
        && a.confidence == b.confidence
        && a.tier == b.tier
        && a.text == b.text
        && a.message == b.message
        && a.reframes == b.reframes
        && a.reframes_withheld == b.reframes_withheld
}

/// A document's analysis as JSON, with findings unchanged since `prev` (the last result sent)
/// as [`Moved`] entries; `prev` becomes this result.
pub fn to_json_since(
    analysis: &Analysis,
    ids: &[FindingId],
    reframes: bool,
    prev: &mut HashMap<FindingId, Finding>,
) -> String {
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Out<'a> {
        Full(Box<JsFinding<'a>>),
        Moved(Moved),
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        findings: Vec<Out<'a>>,
        support: Option<&'a Support>,
    }
    let findings = analysis
        .findings
        .iter()
        .zip(ids)
        .map(|(f, id)| match prev.get(id) {
            Some(p) if same_but_position(p, f) => Out::Moved(Moved {
                id: id.0.to_string(),
                same: true,
                start: f.utf16.start,
                end: f.utf16.end,
                line: f.line,
                column: f.column,
                end_line: f.end_line,
                end_column: f.end_column,
            }),
            _ => Out::Full(Box::new(js_finding(f, Some(*id), reframes))),
        })
        .collect();
    let json = serde_json::to_string(&Doc {
        findings,
        support: analysis.support.as_ref(),
    })
    .unwrap_or_else(|_| r#"{"findings":[],"support":null}"#.to_string());
    prev.clear();
    prev.extend(ids.iter().copied().zip(analysis.findings.iter().cloned()));
    json
}

/// A JS number as a UTF-16 index: a non-negative integer that fits `usize`.
pub fn index(n: f64, name: &str) -> Result<usize, String> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 {
        Ok(n as usize)
    } else {
        Err(format!(
            "kindly: {name} must be a non-negative integer index, not {n}"
        ))
    }
}

fn err(message: String) -> JsError {
    JsError::new(&message)
}

/// The engine, built from the embedded English pack and/or packs given as TOML text.
#[wasm_bindgen]
pub struct KindlyEngine {
    built: Built,
}

#[wasm_bindgen]
impl KindlyEngine {
    /// Builds an engine from the wrapper's options JSON (see `Options`). A bad pack throws an
    /// `Error` whose message is located: `mine.toml:11:12: rule 'mine.oops': ...`.
    #[wasm_bindgen(constructor)]
    pub fn new(options_json: &str) -> Result<KindlyEngine, JsError> {
        let built = Options::from_json(options_json)
            .and_then(|o| o.build())
            .map_err(err)?;
        Ok(KindlyEngine { built })
    }

    /// Analyses plain text; returns the analysis as JSON.
    pub fn analyze(&self, text: &str) -> String {
        to_json(&self.built.engine.analyze(text), None, self.built.reframes)
    }

    /// Analyses Markdown (code, URLs, HTML and front matter skipped); returns JSON.
    #[cfg(feature = "markdown")]
    #[wasm_bindgen(js_name = analyzeMarkdown)]
    pub fn analyze_markdown(&self, text: &str) -> String {
        to_json(
            &self.built.engine.analyze_markdown(text),
            None,
            self.built.reframes,
        )
    }

    /// Compiles up to `max_patterns` of the rule patterns not compiled yet (they are otherwise
    /// compiled the first time a text needs them) and returns how many are left; see
    /// `Engine::warm_up`. The JS wrapper calls it in small steps until a time budget is spent.
    #[wasm_bindgen(js_name = warmUp)]
    pub fn warm_up(&self, max_patterns: u32) -> u32 {
        let left = self.built.engine.warm_up(max_patterns as usize);
        u32::try_from(left).unwrap_or(u32::MAX)
    }

    /// A new, empty document for incremental analysis.
    pub fn document(&self, markdown: bool) -> Result<KindlyDocument, JsError> {
        let kind = if markdown {
            #[cfg(feature = "markdown")]
            {
                DocumentKind::Markdown
            }
            #[cfg(not(feature = "markdown"))]
            {
                return Err(err("kindly: this build has no Markdown support".to_string()));
            }
        } else {
            DocumentKind::PlainText
        };
        Ok(KindlyDocument {
            doc: Document::new(Arc::clone(&self.built.engine), kind),
            reframes: self.built.reframes,
            sent: HashMap::new(),
        })
    }
}

/// A text that is edited over time: only the paragraphs that change are analysed again, and
/// findings in unchanged paragraphs keep their `id`.
#[wasm_bindgen]
pub struct KindlyDocument {
    doc: Document,
    reframes: bool,
    /// The findings of the last result sent to JS, by id (see [`to_json_since`]).
    sent: HashMap<FindingId, Finding>,
}

#[wasm_bindgen]
impl KindlyDocument {
    /// Replaces the whole text; returns the analysis as JSON. Findings unchanged since the last
    /// result come as `{ id, same: true, start, end, line, column, endLine, endColumn }`.
    #[wasm_bindgen(js_name = setText)]
    pub fn set_text(&mut self, text: &str) -> String {
        self.doc.set_text(text);
        self.json()
    }

    /// Replaces UTF-16 units `from..to` (JS string indices) with `insert`; returns JSON.
    /// A range that is reversed, past the end or inside a surrogate pair throws and leaves the
    /// document unchanged.
    #[wasm_bindgen(js_name = applyEdit)]
    pub fn apply_edit(&mut self, from: f64, to: f64, insert: &str) -> Result<String, JsError> {
        let from = index(from, "from").map_err(err)?;
        let to = index(to, "to").map_err(err)?;
        self.doc
            .apply_edit_utf16(from, to, insert)
            .map_err(|e| err(format!("kindly: {e}")))?;
        Ok(self.json())
    }

    /// The current text.
    pub fn text(&self) -> String {
        self.doc.text().to_string()
    }

    /// How many paragraphs the last update analysed afresh.
    #[wasm_bindgen(js_name = paragraphsReanalysed)]
    pub fn paragraphs_reanalysed(&self) -> usize {
        self.doc.paragraphs_reanalysed()
    }

    fn json(&mut self) -> String {
        to_json_since(
            self.doc.analysis(),
            self.doc.ids(),
            self.reframes,
            &mut self.sent,
        )
    }
}

/// Compiles every pattern of the built-in packs now (they are otherwise compiled on first use)
/// and throws if one fails. The wasm build's regex has fewer Unicode tables than the native one
/// (see the root Cargo.toml, `full-regex`); the package's tests call this so a built-in pattern
/// can never fail later in a browser.
#[doc(hidden)]
#[wasm_bindgen(js_name = __compileAllPatterns)]
pub fn compile_all_patterns() -> Result<(), JsError> {
    let engine = Engine::new().map_err(|e| err(e.to_string()))?;
    engine.compile_all_patterns().map_err(err)
}

/// The crate version, for bug reports.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn json(s: &str) -> serde_json::Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn offsets_are_utf16_and_names_camel_case() {
        let built = Options::default().build().unwrap();
        let text = "😀 é\u{301} Honestly I'm such an idiot.";
        let v = json(&to_json(&built.engine.analyze(text), None, true));
        let f = &v["findings"][0];
        let units: Vec<u16> = text.encode_utf16().collect();
        let (s, e) = (
            f["start"].as_u64().unwrap() as usize,
            f["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            String::from_utf16(&units[s..e]).unwrap(),
            "I'm such an idiot"
        );
        assert_eq!(f["category"], "labeling");
        assert_eq!(f["label"], "harsh label");
        assert!(f.get("endLine").is_some() && f.get("reframesWithheld").is_some());
        assert!(f.get("id").is_none());
        assert!(!f["reframes"].as_array().unwrap().is_empty());
    }

    #[test]
    fn options_are_checked() {
        let e = Options::from_json(r#"{"maxReframes": 4}"#)
            .unwrap()
            .build()
            .err()
            .unwrap();
        assert_eq!(e, "kindly: maxReframes must be 0 to 3, not 4");
        assert!(Options::from_json(r#"{"disable": ["labelling"]}"#)
            .unwrap()
            .build()
            .err()
            .unwrap()
            .starts_with("kindly: unknown category 'labelling'"));
        assert!(Options::from_json(r#"{"disable": ["crisis"]}"#)
            .unwrap()
            .build()
            .is_err());
        assert!(Options::from_json(r#"{"nope": 1}"#).is_err());
        assert!(Options::from_json("").unwrap().builtin.is_none());
    }

    #[test]
    fn bad_pack_keeps_the_located_message() {
        let o = Options {
            builtin: Some(false),
            packs: vec![PackText {
                name: "mine.toml".into(),
                toml: "[pack]\nid = 3\n".into(),
            }],
            ..Options::default()
        };
        let e = o.build().err().unwrap();
        assert!(e.starts_with("mine.toml:2:"), "{e}");
    }

    #[test]
    fn zero_reframes_drops_them() {
        let built = Options::from_json(r#"{"maxReframes": 0}"#)
            .unwrap()
            .build()
            .unwrap();
        assert!(!built.reframes);
        let v = json(&to_json(
            &built.engine.analyze("I'm so lazy."),
            None,
            built.reframes,
        ));
        assert_eq!(v["findings"][0]["reframes"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn indices_are_checked() {
        assert_eq!(index(3.0, "from"), Ok(3));
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, 1e20] {
            assert!(index(bad, "from").is_err(), "{bad}");
        }
    }

    #[test]
    fn documents_give_stable_ids() {
        let built = Options::default().build().unwrap();
        let mut doc = Document::new(Arc::clone(&built.engine), DocumentKind::PlainText);
        doc.set_text("Hi.\n\nI'm so lazy.");
        let mut sent = HashMap::new();
        let a = json(&to_json_since(doc.analysis(), doc.ids(), true, &mut sent));
        assert!(a["findings"][0].get("message").is_some());
        doc.apply_edit_utf16(0, 0, "Oh. ").unwrap();
        let b = json(&to_json_since(doc.analysis(), doc.ids(), true, &mut sent));
        assert_eq!(a["findings"][0]["id"], b["findings"][0]["id"]);
        assert_eq!(b["findings"][0]["same"], true);
        assert!(b["findings"][0].get("message").is_none());
        assert_eq!(
            b["findings"][0]["start"].as_u64().unwrap(),
            a["findings"][0]["start"].as_u64().unwrap() + 4
        );
        // Crisis language elsewhere withholds the reframes: the finding is sent in full again.
        doc.apply_edit_utf16(0, 0, "I want to die.\n\n").unwrap();
        let c = json(&to_json_since(doc.analysis(), doc.ids(), true, &mut sent));
        let lazy = c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == a["findings"][0]["id"])
            .unwrap();
        assert_eq!(lazy["reframesWithheld"], true);
    }
}
