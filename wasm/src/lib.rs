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
    /// Rule ids to turn off (crisis rules cannot be).
    #[serde(default)]
    pub disable_rules: Vec<String>,
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
        for id in &self.disable_rules {
            b.disable_rule(id.trim());
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

/// What the JS wrapper holds of one finding from the last result: where it was and the parts of
/// it that the entry-wide step can change. Everything else about a finding with the same id is
/// fixed when its paragraph is analysed (ids are never reused within a document), so these
/// decide whether the wrapper's object can be kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SentFinding {
    id: FindingId,
    start: usize,
    end: usize,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    severity: Severity,
    reframes_withheld: bool,
}

impl SentFinding {
    fn of(f: &Finding, id: FindingId) -> SentFinding {
        SentFinding {
            id,
            start: f.utf16.start,
            end: f.utf16.end,
            line: f.line,
            column: f.column,
            end_line: f.end_line,
            end_column: f.end_column,
            severity: f.severity,
            reframes_withheld: f.reframes_withheld,
        }
    }

    /// `self` moved by `shift` UTF-16 units and `lines` lines, columns unchanged.
    fn shifted(&self, shift: i64, lines: i64) -> Option<SentFinding> {
        let by = |n: usize, d: i64| usize::try_from(n as i64 + d).ok();
        Some(SentFinding {
            start: by(self.start, shift)?,
            end: by(self.end, shift)?,
            line: by(self.line, lines)?,
            end_line: by(self.end_line, lines)?,
            ..*self
        })
    }
}

/// The findings of the last result a document sent to JS, in order (see [`to_json_since`]).
#[derive(Debug, Default)]
pub struct Sent {
    findings: Vec<SentFinding>,
    by_id: HashMap<FindingId, usize>,
}

/// A document's analysis as JSON, where findings unchanged since the last result sent (`prev`)
/// come as runs instead of objects: `[first, count, shift, lines]` stands for `count` findings
/// of the previous result from index `first` on, each moved by `shift` UTF-16 units and `lines`
/// lines (columns unchanged). The JS wrapper keeps its objects for them (the same objects when
/// nothing moved). A keystroke in a long entry then sends the new paragraph's findings and a
/// few runs, not every finding; `prev` becomes this result.
pub fn to_json_since(
    analysis: &Analysis,
    ids: &[FindingId],
    reframes: bool,
    prev: &mut Sent,
) -> String {
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Out<'a> {
        Full(Box<JsFinding<'a>>),
        Kept([i64; 4]),
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        findings: Vec<Out<'a>>,
        support: Option<&'a Support>,
    }
    let mut out: Vec<Out> = Vec::new();
    let mut sent = Vec::with_capacity(ids.len());
    for (f, &id) in analysis.findings.iter().zip(ids) {
        let now = SentFinding::of(f, id);
        sent.push(now);
        let kept = prev.by_id.get(&id).and_then(|&i| {
            let before = prev.findings[i];
            let shift = now.start as i64 - before.start as i64;
            let lines = now.line as i64 - before.line as i64;
            (before.shifted(shift, lines) == Some(now)).then_some([i as i64, 1, shift, lines])
        });
        match (kept, out.last_mut()) {
            (Some([i, _, shift, lines]), Some(Out::Kept(run)))
                if run[0] + run[1] == i && run[2] == shift && run[3] == lines =>
            {
                run[1] += 1
            }
            (Some(run), _) => out.push(Out::Kept(run)),
            (None, _) => out.push(Out::Full(Box::new(js_finding(f, Some(id), reframes)))),
        }
    }
    let json = serde_json::to_string(&Doc {
        findings: out,
        support: analysis.support.as_ref(),
    })
    .unwrap_or_else(|_| r#"{"findings":[],"support":null}"#.to_string());
    prev.by_id.clear();
    prev.by_id
        .extend(sent.iter().enumerate().map(|(i, s)| (s.id, i)));
    prev.findings = sent;
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
            sent: Sent::default(),
        })
    }
}

/// A text that is edited over time: only the paragraphs that change are analysed again, and
/// findings in unchanged paragraphs keep their `id`.
#[wasm_bindgen]
pub struct KindlyDocument {
    doc: Document,
    reframes: bool,
    /// The findings of the last result sent to JS (see [`to_json_since`]).
    sent: Sent,
}

#[wasm_bindgen]
impl KindlyDocument {
    /// Replaces the whole text; returns the analysis as JSON. Findings unchanged since the last
    /// result come as runs `[first, count, shift, lines]` (see [`to_json_since`]).
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
        assert_eq!(
            Options::from_json(r#"{"disableRules": ["labelling.self-adjective"]}"#)
                .unwrap()
                .build()
                .err()
                .unwrap(),
            "no loaded rule 'labelling.self-adjective' to turn off; did you mean \
             'labeling.self-adjective'?"
        );
        assert_eq!(
            Options::from_json(r#"{"disableRules": ["crisis.want-to-die"]}"#)
                .unwrap()
                .build()
                .err()
                .unwrap(),
            "rule 'crisis.want-to-die' cannot be turned off: crisis language is always caught \
             (see README, Safety)"
        );
        let built = Options::from_json(r#"{"disableRules": ["labeling.self-adjective"]}"#)
            .unwrap()
            .build()
            .unwrap();
        assert!(built.engine.analyze("I'm so lazy.").findings.is_empty());
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
    fn documents_send_unchanged_findings_as_runs() {
        let built = Options::default().build().unwrap();
        let mut doc = Document::new(Arc::clone(&built.engine), DocumentKind::PlainText);
        doc.set_text("Hi.\n\nI'm so lazy.\n\nI always mess up.");
        let mut sent = Sent::default();
        let a = json(&to_json_since(doc.analysis(), doc.ids(), true, &mut sent));
        assert_eq!(a["findings"].as_array().unwrap().len(), 2);
        assert!(a["findings"][0].get("message").is_some());
        assert_eq!(a["findings"][0]["start"], 5);

        // Typing in the first paragraph moves both findings by 4 units and no lines: one run.
        doc.apply_edit_utf16(0, 0, "Oh. ").unwrap();
        let b = json(&to_json_since(doc.analysis(), doc.ids(), true, &mut sent));
        assert_eq!(b["findings"], serde_json::json!([[0, 2, 4, 0]]));

        // Nothing moved: a run with no shift. A new line before them: a shift in lines too.
        let c = json(&to_json_since(doc.analysis(), doc.ids(), true, &mut sent));
        assert_eq!(c["findings"], serde_json::json!([[0, 2, 0, 0]]));
        doc.apply_edit_utf16(0, 0, "\n").unwrap();
        let d = json(&to_json_since(doc.analysis(), doc.ids(), true, &mut sent));
        assert_eq!(d["findings"], serde_json::json!([[0, 2, 1, 1]]));

        // Editing the first finding's paragraph sends it in full with a new id; the second stays
        // a run that starts at its old index.
        let at = doc.text().find("lazy").unwrap();
        doc.apply_edit_utf16(at, at, "very ").unwrap();
        let e = json(&to_json_since(doc.analysis(), doc.ids(), true, &mut sent));
        let e = e["findings"].as_array().unwrap();
        assert_eq!(e.len(), 2);
        assert_ne!(e[0]["id"], a["findings"][0]["id"]);
        assert!(e[0].get("message").is_some());
        assert_eq!(e[1], serde_json::json!([1, 1, 5, 0]));

        // Crisis language elsewhere withholds the reframes: both are sent in full again.
        doc.apply_edit_utf16(0, 0, "I want to die.\n\n").unwrap();
        let f = json(&to_json_since(doc.analysis(), doc.ids(), true, &mut sent));
        let f = f["findings"].as_array().unwrap();
        assert_eq!(f.len(), 3);
        assert!(f.iter().all(|x| x.is_object()));
        assert_eq!(f[1]["reframesWithheld"], true);
        assert_eq!(f[2]["reframesWithheld"], true);
    }
}
