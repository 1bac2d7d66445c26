//! The builder, the immutable `Engine`, and the analysis pipeline:
//! text -> candidate matches (one automaton pass) -> context filters -> findings -> reframes.

use crate::category::{Category, CrisisTier, Severity};
use crate::context::{self, Candidate};
use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Analysis, Finding, Reframe, Resource, Span, Support};
use crate::pack::classifier::{self, Classifier, PieceFeatures};
use crate::pack::{self, builtin, Compiled, Cues, Pack, ParsedPack, Rule, SourceFile};
use crate::position::{Cursor, Position};
use crate::text;
use crate::trace::{Step, StepOutcome};
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

enum PackSource {
    Text {
        name: String,
        text: String,
    },
    #[cfg(not(target_arch = "wasm32"))]
    Path(std::path::PathBuf),
}

/// Configures and builds an [`Engine`].
///
/// # Quick advice
/// `Engine::new()` gives the built-in English pack with default settings. Use the builder to
/// add your own packs, drop the built-ins, or turn categories off. Build once and share the
/// engine: building compiles every pattern; analysing is cheap.
///
/// ```
/// use kindly::{Category, EngineBuilder};
///
/// let engine = EngineBuilder::new()
///     .disable_category(Category::ShouldStatement)
///     .build()
///     .unwrap();
/// let analysis = engine.analyze("I should be over this by now. Honestly I'm such an idiot.");
/// let categories: Vec<Category> = analysis.findings.iter().map(|f| f.category).collect();
/// assert_eq!(categories, [Category::Labeling]);
/// ```
pub struct EngineBuilder {
    sources: Vec<PackSource>,
    builtin: bool,
    disabled: BTreeSet<Category>,
    disabled_rules: BTreeSet<String>,
    locale: Option<String>,
    max_reframes: usize,
    crisis_safety_net: bool,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder::new()
    }
}

impl EngineBuilder {
    /// A builder with the built-in packs, every category on, the pack's default locale for
    /// support messages, and up to three reframes per finding.
    pub fn new() -> EngineBuilder {
        EngineBuilder {
            sources: Vec::new(),
            builtin: true,
            disabled: BTreeSet::new(),
            disabled_rules: BTreeSet::new(),
            locale: None,
            max_reframes: 3,
            crisis_safety_net: true,
        }
    }

    /// Loads the packs exactly as given, without the built-in crisis rules that `build` adds
    /// when no pack has crisis rules. Only for measuring packs (`kindly eval` compares a pack's
    /// own figures between versions); never for an engine that reads anyone's writing.
    #[doc(hidden)]
    pub fn packs_exactly_as_given(&mut self) -> &mut EngineBuilder {
        self.crisis_safety_net = false;
        self
    }

    /// Whether the built-in packs are loaded (default: yes).
    pub fn builtin_packs(&mut self, yes: bool) -> &mut EngineBuilder {
        self.builtin = yes;
        self
    }

    /// Adds a pack given as TOML text. `name` is used in error messages (e.g. a file name).
    /// A pack given this way cannot `include` other files; use [`add_pack_path`] for folders.
    ///
    /// [`add_pack_path`]: EngineBuilder::add_pack_path
    pub fn add_pack_source(
        &mut self,
        name: impl Into<String>,
        toml: impl Into<String>,
    ) -> &mut EngineBuilder {
        self.sources.push(PackSource::Text {
            name: name.into(),
            text: toml.into(),
        });
        self
    }

    /// Adds a pack from a path: a `.toml` file, or a folder holding `pack.toml`. Files are read
    /// when [`build`](EngineBuilder::build) runs, and read errors name the file.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn add_pack_path(&mut self, path: impl Into<std::path::PathBuf>) -> &mut EngineBuilder {
        self.sources.push(PackSource::Path(path.into()));
        self
    }

    /// Turns a category off. Crisis cannot be turned off: `build` refuses it.
    pub fn disable_category(&mut self, category: Category) -> &mut EngineBuilder {
        self.disabled.insert(category);
        self
    }

    /// Turns one rule off, by its id as `kindly rules` lists it. `build` refuses an id that no
    /// loaded pack defines (with the closest ids) and a crisis rule: crisis language is always
    /// caught.
    ///
    /// ```
    /// let mut builder = kindly::Engine::builder();
    /// builder.disable_rule("labeling.self-adjective");
    /// let engine = builder.build().unwrap();
    /// assert!(engine.analyze("I'm so lazy.").findings.is_empty());
    /// ```
    pub fn disable_rule(&mut self, id: impl Into<String>) -> &mut EngineBuilder {
        self.disabled_rules.insert(id.into());
        self
    }

    /// The locale of support messages and resources, e.g. `en-GB` (case and `_` or `-` do
    /// not matter). `build` refuses a locale for which no loaded pack has support text, and
    /// names the ones it has: a silent fallback could show someone another country's
    /// helplines.
    ///
    /// ```
    /// let err = kindly::Engine::builder().locale("en-NZ").build().err().unwrap();
    /// assert!(err.to_string().contains("en-GB"), "{err}");
    /// assert!(kindly::Engine::builder().locale("en_gb").build().is_ok());
    /// ```
    pub fn locale(&mut self, locale: impl Into<String>) -> &mut EngineBuilder {
        self.locale = Some(locale.into());
        self
    }

    /// How many reframes a finding carries at most (1 to 3; other values are clamped).
    pub fn max_reframes(&mut self, n: usize) -> &mut EngineBuilder {
        self.max_reframes = n.clamp(1, 3);
        self
    }

    /// Reads, validates and compiles the packs into an engine.
    ///
    /// Crisis language is always caught: when no pack has crisis rules (the built-in packs are
    /// off and the caller's have none), the built-in pack's crisis rules and check-in are
    /// loaded anyway, after the caller's packs.
    ///
    /// ```
    /// let pack = "[pack]\nid = 'mine'\nversion = '1'\nlanguage = 'en'\nlicense = 'MIT'\ndescription = 'd'\n\n[[rule]]\nid = 'mine.gremlin'\ncategory = 'labeling'\nseverity = 'low'\ntriggers = ['gremlin']\nmessage = 'm'\n[[rule.reframe]]\ntext = 'r'\n[rule.examples]\nflag = ['[gremlin] here', 'a [gremlin]']\npass = ['goblin', 'troll']\n";
    /// let engine = kindly::Engine::builder()
    ///     .builtin_packs(false)
    ///     .add_pack_source("mine.toml", pack)
    ///     .build()?;
    /// let analysis = engine.analyze("I want to die.");
    /// assert_eq!(analysis.findings[0].category, kindly::Category::Crisis);
    /// assert!(analysis.support.is_some());
    /// # Ok::<(), kindly::Error>(())
    /// ```
    ///
    /// # Errors
    /// Any pack problem, located by file, line and column, with the rule id when inside a rule.
    pub fn build(&self) -> Result<Engine> {
        if self.disabled.contains(&Category::Crisis) {
            return Err(Error::new(ErrorKind::Invalid, CRISIS_ALWAYS_ON));
        }
        let builtin_parsed = builtin::parse_builtin()?;
        let mut default_cues = BTreeMap::new();
        default_cues.insert("en".to_string(), builtin::english_cues()?);

        let mut owned: Vec<ParsedPack> = Vec::new();
        for source in &self.sources {
            match source {
                PackSource::Text { name, text } => owned.push(pack::parse_pack(
                    SourceFile {
                        name: name.clone(),
                        text: text.clone(),
                    },
                    &pack::NoIncludes,
                )?),
                #[cfg(not(target_arch = "wasm32"))]
                PackSource::Path(path) => owned.push(crate::fs::parse_pack_path(path)?),
            }
        }
        // Built-in packs are compiled lazily (the test suite validates every pattern); packs
        // from users are validated eagerly so that errors surface at build time.
        let mut parsed: Vec<(&ParsedPack, bool)> = Vec::new();
        if self.builtin {
            parsed.extend(builtin_parsed.iter().map(|p| (p, false)));
        }
        parsed.extend(owned.iter().map(|p| (p, true)));
        // Crisis language is always caught: without the built-in packs, and with no pack of
        // crisis rules among the caller's, the built-in crisis rules come along on their own.
        if self.crisis_safety_net && !parsed.iter().any(|(p, _)| p.has_crisis_rules()) {
            parsed.push((builtin::parse_builtin_crisis()?, false));
        }
        let compiled = pack::compile(&parsed, &default_cues)?;
        check_disabled_rules(&self.disabled_rules, &compiled.rules)?;
        let locale = match &self.locale {
            Some(wanted) => Some(known_locale(wanted, &compiled.packs)?),
            None => None,
        };
        let off = |rule: &Rule| {
            self.disabled.contains(&rule.category) || self.disabled_rules.contains(&*rule.id)
        };
        Engine::from_compiled(compiled, &off, locale, self.max_reframes)
    }
}

/// The spelling a loaded pack uses for `wanted` (`en_gb` -> `en-GB`), or an error that lists
/// the locales the packs have support text for.
fn known_locale(wanted: &str, packs: &[Pack]) -> Result<String> {
    let key = |l: &str| l.trim().replace('_', "-").to_ascii_lowercase();
    let mut known: Vec<&str> = packs
        .iter()
        .flat_map(|p| p.support.keys().map(String::as_str))
        .collect();
    known.sort_unstable();
    known.dedup();
    if let Some(found) = known.iter().find(|l| key(l) == key(wanted)) {
        return Ok((*found).to_string());
    }
    let list = if known.is_empty() {
        "the loaded packs have no support text at all".to_string()
    } else {
        format!("the packs have support text for {}", known.join(", "))
    };
    Err(Error::new(
        ErrorKind::Invalid,
        format!(
            "unknown locale '{}' for support messages and helplines: {list}",
            crate::suggest::shown(wanted)
        ),
    )
    .about_value(wanted))
}

/// Why `build` refuses to turn crisis off, whichever way it is asked.
const CRISIS_ALWAYS_ON: &str =
    "the crisis category cannot be turned off: crisis language is always caught (see README, Safety)";

/// Every rule to turn off must exist and must not be a crisis rule.
fn check_disabled_rules(ids: &BTreeSet<String>, rules: &[Rule]) -> Result<()> {
    for id in ids {
        match rules.iter().find(|r| &*r.id == id.as_str()) {
            Some(rule) if rule.category == Category::Crisis => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "rule '{}' cannot be turned off: crisis language is always caught (see README, Safety)",
                        crate::suggest::shown(id)
                    ),
                )
                .about_value(id));
            }
            Some(_) => {}
            None if Category::from_id(id) == Some(Category::Crisis) => {
                return Err(Error::new(ErrorKind::Invalid, CRISIS_ALWAYS_ON).about_value(id));
            }
            // A mistyped crisis rule id: whichever rule was meant, it stays on.
            None if id.starts_with("crisis.") => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "no loaded rule '{}', and crisis rules cannot be turned off anyway: crisis \
                         language is always caught (see README, Safety)",
                        crate::suggest::shown(id)
                    ),
                )
                .about_value(id));
            }
            None if Category::from_id(id).is_some() => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!("'{id}' is a category, not a rule: turn it off as a category instead"),
                )
                .about_value(id));
            }
            None => {
                // Only rules that can be turned off: suggesting a crisis rule would only lead to
                // a second refusal.
                let ids: Vec<&str> = rules
                    .iter()
                    .filter(|r| r.category != Category::Crisis)
                    .map(|r| &*r.id)
                    .collect();
                let close = crate::suggest::closest(id, &ids);
                let hint = match crate::suggest::did_you_mean(&close) {
                    h if h.is_empty() => " (`kindly rules` lists every rule)".to_string(),
                    h => h,
                };
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "no loaded rule '{}' to turn off{hint}",
                        crate::suggest::shown(id)
                    ),
                )
                .about_value(id));
            }
        }
    }
    Ok(())
}

/// A compiled set of rule packs. Immutable, `Send + Sync`, cheap to share behind an `Arc`.
///
/// ```
/// let engine = kindly::Engine::new().unwrap();
/// let analysis = engine.analyze("Missed the bus again. I'm so lazy.");
/// let f = &analysis.findings[0];
/// assert_eq!(f.category, kindly::Category::Labeling);
/// assert_eq!(f.text.as_deref(), Some("I'm so lazy"));
/// assert_eq!((f.line, f.column), (1, 23));
/// assert!(!f.reframes.is_empty());
/// ```
pub struct Engine {
    packs: Vec<Pack>,
    rules: Vec<Rule>,
    automaton: Option<AhoCorasick>,
    literal_prefix: Vec<bool>,
    literal_rules: Vec<Vec<u32>>,
    literal_texts: Vec<String>,
    /// Per rule: turned off by category or id (`EngineBuilder::disable_*`). Such rules stay
    /// listed and explained, but never run.
    rule_off: Vec<bool>,
    locale: Option<String>,
    max_reframes: usize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field(
                "packs",
                &self.packs.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            )
            .field("rules", &self.rules.len())
            .field("trigger_literals", &self.literal_texts.len())
            .finish()
    }
}

impl std::fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("builtin", &self.builtin)
            .field("extra_packs", &self.sources.len())
            .field("disabled", &self.disabled)
            .field("disabled_rules", &self.disabled_rules)
            .field("locale", &self.locale)
            .field("max_reframes", &self.max_reframes)
            .finish()
    }
}

/// A trigger hit of the automaton that passed the word-boundary check.
#[derive(Clone, Copy, Debug)]
struct Hit {
    start: usize,
    end: usize,
    literal: u32,
}

/// A resolved finding with what rendering needs from the text around it.
#[derive(Clone)]
pub(crate) struct Located {
    pub raw: RawFinding,
    /// The span as scanned (reframe rotation is keyed on it).
    pub matched: String,
    /// The span as written.
    pub text: Option<String>,
    pub start: Position,
    pub end: Position,
    /// The words right after the span continue its phrase ("I'm such a failure who ...",
    /// "... a mess of a person"): a reframe that would replace the span is then offered as a
    /// suggestion, not as a one-click rewrite, which would leave those words dangling.
    pub continues: bool,
}

/// A candidate that survived the context filters, before overlap resolution.
#[derive(Clone, Debug)]
pub(crate) struct RawFinding {
    pub rule: u32,
    pub start: usize,
    pub end: usize,
    pub sentence: (usize, usize),
    pub level: i8,
    pub slots: Vec<(String, String)>,
    pub tags: Vec<Category>,
}

impl Engine {
    /// The engine with the built-in packs and default settings.
    ///
    /// # Errors
    /// Only if the built-in packs fail to compile, which the test suite rules out.
    pub fn new() -> Result<Engine> {
        EngineBuilder::new().build()
    }

    /// A builder, for custom packs and settings.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::new()
    }

    fn from_compiled(
        compiled: Compiled,
        off: &dyn Fn(&Rule) -> bool,
        locale: Option<String>,
        max_reframes: usize,
    ) -> Result<Engine> {
        let Compiled {
            packs,
            rules,
            literals,
            literal_rules,
        } = compiled;
        // Drop rules turned off (by category or id) from the automaton itself, so they cost
        // nothing.
        let mut keep_lits = Vec::new();
        let mut keep_rules = Vec::new();
        for (lit, rs) in literals.into_iter().zip(literal_rules) {
            let rs: Vec<u32> = rs
                .into_iter()
                .filter(|r| !off(&rules[*r as usize]))
                .collect();
            if !rs.is_empty() {
                keep_lits.push(lit);
                keep_rules.push(rs);
            }
        }
        let automaton = if keep_lits.is_empty() {
            None
        } else {
            Some(
                // Lowercased literals, searched for in ASCII-lowercased text (see
                // `Engine::candidates`): the same matches as an ASCII-case-insensitive automaton,
                // which is twice the size and about three times slower to build.
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(keep_lits.iter().map(|l| l.text.to_ascii_lowercase()))
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::Limit,
                            format!("could not build the trigger automaton: {e}"),
                        )
                    })?,
            )
        };
        let rule_off = rules.iter().map(off).collect();
        Ok(Engine {
            packs,
            rules,
            rule_off,
            automaton,
            literal_prefix: keep_lits.iter().map(|l| l.prefix).collect(),
            literal_texts: keep_lits.into_iter().map(|l| l.text).collect(),
            literal_rules: keep_rules,
            locale,
            max_reframes,
        })
    }

    /// Analyses plain text.
    pub fn analyze(&self, text: &str) -> Analysis {
        self.run(text, text, None)
    }

    /// Analyses Markdown: code, URLs, HTML and front matter are skipped, except by the crisis
    /// rules (crisis language is always caught); positions still refer to `text` as given.
    ///
    /// ```
    /// let engine = kindly::Engine::new().unwrap();
    /// let md = "# Monday\n\n`I'm so lazy` is a code span, but *I'm so lazy* is not.\n";
    /// let found = engine.analyze_markdown(md);
    /// assert_eq!(found.findings.len(), 1);
    /// assert_eq!(&md[found.findings[0].bytes.range()], "I'm so lazy");
    /// assert_eq!(found.findings[0].column, 36);
    /// ```
    #[cfg(feature = "markdown")]
    pub fn analyze_markdown(&self, text: &str) -> Analysis {
        let masked = crate::markdown::mask_markdown(text);
        self.run(text, &masked, None)
    }

    /// Analyses text in which the caller has already blanked what must not be checked: `scan`
    /// has the same length as `original` and equal bytes wherever it is not an ASCII space.
    pub(crate) fn run(&self, original: &str, scan: &str, only_rule: Option<u32>) -> Analysis {
        let raw = self.candidates(original, scan, only_rule);
        self.finish(original, scan, raw)
    }

    /// STAGE 2: the trigger hits in `text` that pass the word-boundary check, sorted. The
    /// automaton runs over `lowered` (`text` passed through `to_ascii_lowercase`, so offsets
    /// agree); with `only_rule`, hits of other rules' triggers are left out.
    fn trigger_hits(&self, text: &str, lowered: &str, only_rule: Option<u32>) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.trigger_hits_in(
            text,
            lowered,
            0..text.len(),
            &|r| only_rule.is_none_or(|o| o == r),
            &mut hits,
        );
        hits.sort_unstable_by_key(|h| (h.start, h.end, h.literal));
        hits
    }

    /// The trigger hits inside `range` of `text` (line-aligned) of literals that some rule
    /// `wanted` by `keep` has, appended to `hits` unsorted.
    fn trigger_hits_in(
        &self,
        text: &str,
        lowered: &str,
        range: std::ops::Range<usize>,
        keep: &dyn Fn(u32) -> bool,
        hits: &mut Vec<Hit>,
    ) {
        let Some(ac) = &self.automaton else {
            return;
        };
        let base = range.start;
        for m in ac.find_overlapping_iter(&lowered[range]) {
            let lit = m.pattern().as_u32();
            if !self.literal_rules[lit as usize].iter().any(|&r| keep(r)) {
                continue;
            }
            let (start, end) = (base + m.start(), base + m.end());
            if let Some(end) =
                text::word_bounded(text, start, end, self.literal_prefix[lit as usize])
            {
                hits.push(Hit {
                    start,
                    end,
                    literal: lit,
                });
            }
        }
    }

    /// STAGE 2 and 3: one automaton pass, then context filters around each hit. `original`
    /// is the text as given (the same length as `scan`), where `<!-- kindly-ignore -->` is
    /// looked for even when Markdown masking blanked it in `scan`.
    pub(crate) fn candidates(
        &self,
        original: &str,
        scan: &str,
        only_rule: Option<u32>,
    ) -> Vec<RawFinding> {
        self.candidates_traced(original, scan, only_rule, None)
    }

    /// [`Engine::candidates`], recording what happens to each candidate in `trace` when given
    /// ([`Engine::trace`]).
    pub(crate) fn candidates_traced(
        &self,
        original: &str,
        scan: &str,
        only_rule: Option<u32>,
        trace: Option<&mut Vec<Step>>,
    ) -> Vec<RawFinding> {
        // One lowercased copy serves the automaton and every sentence's rule patterns;
        // `to_ascii_lowercase` keeps every byte offset.
        let lowered = scan.to_ascii_lowercase();
        let hits = self.trigger_hits(scan, &lowered, only_rule);
        let mut sink = Sink {
            found: Vec::new(),
            trace,
            pieces: HashMap::new(),
            tokens: HashMap::new(),
            windows: HashMap::new(),
        };
        let wanted = |r: u32| only_rule.is_none_or(|o| o == r);
        self.evaluate_hits(scan, &lowered, &hits, None, &wanted, &mut sink);
        // Plain text passes the same slice twice: no byte comparison on that path.
        if scan.len() == original.len() && !std::ptr::eq(scan, original) && scan != original {
            self.crisis_in_masked_text(original, scan, only_rule, &mut sink);
        }
        if sink.found.is_empty() {
            return Vec::new();
        }
        self.one_classifier_finding_per_paragraph(scan, &mut sink);
        self.drop_ignored_paragraphs(original, &mut sink);
        sink.found
    }

    /// STAGE 3 for a set of trigger hits: the sentence around each run of hits (clipped to the
    /// paragraph holding it when `paragraphs` gives the cuts), then one job per (rule, sentence)
    /// with the rule's triggers in it, for the rules `wanted`. Jobs run rule by rule rather than
    /// sentence by sentence, so one rule's automaton stays hot in the CPU cache while it runs
    /// over every sentence that needs it (about twice as fast on journal text as the interleaved
    /// order).
    fn evaluate_hits(
        &self,
        text: &str,
        lowered: &str,
        hits: &[Hit],
        paragraphs: Option<&[usize]>,
        wanted: &dyn Fn(u32) -> bool,
        sink: &mut Sink<'_>,
    ) {
        let mut sentences: Vec<(usize, usize)> = Vec::new();
        let mut jobs: Vec<(u32, u32, usize, usize)> = Vec::with_capacity(hits.len());
        let mut i = 0;
        while i < hits.len() {
            let (mut ss, mut se) = text::sentence_bounds(text, hits[i].start);
            if let Some(cuts) = paragraphs {
                let p = cuts.partition_point(|&c| c <= hits[i].start);
                ss = ss.max(p.checked_sub(1).map_or(0, |k| cuts[k]));
                se = se.min(cuts.get(p).copied().unwrap_or(text.len()));
            }
            let sentence_index = sentences.len() as u32;
            sentences.push((ss, se));
            let mut j = i + 1;
            while j < hits.len() && hits[j].start < se {
                j += 1;
            }
            for h in &hits[i..j] {
                for &r in &self.literal_rules[h.literal as usize] {
                    if wanted(r) {
                        jobs.push((r, sentence_index, h.start, h.end.min(se)));
                    }
                }
            }
            i = j;
        }
        jobs.sort_unstable();
        jobs.dedup();
        let mut k = 0;
        while k < jobs.len() {
            let (r, s) = (jobs[k].0, jobs[k].1);
            let mut l = k + 1;
            while l < jobs.len() && jobs[l].0 == r && jobs[l].1 == s {
                l += 1;
            }
            let group = &jobs[k..l];
            k = l;
            self.evaluate_rule(text, lowered, sentences[s as usize], r, group, sink);
        }
    }

    /// Crisis language is always caught (DOMAIN.md §2), also where Markdown masking hid text
    /// from the other rules: an HTML comment or `<details>` block, a code span, front matter.
    /// The crisis pattern rules run again over the lines that hold masked text, as written,
    /// with sentences clipped to the paragraphs of `scan` (so a [`crate::Document`], which
    /// analyses paragraph by paragraph, finds the same); only findings that reach into masked
    /// text are added, since the first pass saw the rest.
    fn crisis_in_masked_text(
        &self,
        original: &str,
        scan: &str,
        only_rule: Option<u32>,
        sink: &mut Sink<'_>,
    ) {
        let (o, s) = (original.as_bytes(), scan.as_bytes());
        // A soft break joined into a sentence is not hidden text.
        let masked = |i: usize| s[i] != o[i] && !matches!(o[i], b'\n' | b'\r');
        let wanted = |r: u32| {
            let rule = &self.rules[r as usize];
            rule.category == Category::Crisis
                && rule.classifier.is_none()
                && only_rule.is_none_or(|x| x == r)
        };
        let lowered = original.to_ascii_lowercase();
        let mut hits = Vec::new();
        let mut line_start = 0;
        while line_start < o.len() {
            let line_end = o[line_start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(o.len(), |p| line_start + p + 1);
            if (line_start..line_end).any(masked) {
                self.trigger_hits_in(original, &lowered, line_start..line_end, &wanted, &mut hits);
            }
            line_start = line_end;
        }
        if hits.is_empty() {
            return;
        }
        hits.sort_unstable_by_key(|h| (h.start, h.end, h.literal));
        let cuts = text::paragraph_cuts(scan);
        let mut second = Sink {
            found: Vec::new(),
            trace: sink.trace.take(),
            pieces: HashMap::new(),
            tokens: HashMap::new(),
            windows: HashMap::new(),
        };
        self.evaluate_hits(original, &lowered, &hits, Some(&cuts), &wanted, &mut second);
        sink.trace = second.trace.take();
        sink.found.extend(
            second
                .found
                .into_iter()
                .filter(|f| (f.start..f.end).any(masked)),
        );
    }

    /// A paragraph that holds `<!-- kindly-ignore -->` gets no notes, except crisis ones:
    /// crisis language is always caught, so its support message is never silenced.
    fn drop_ignored_paragraphs(&self, original: &str, sink: &mut Sink<'_>) {
        if sink.found.is_empty() {
            return;
        }
        let ignored = text::ignored_paragraphs(original);
        if ignored.is_empty() {
            return;
        }
        sink.set_aside("ignore comment", |f| {
            self.rules[f.rule as usize].category == Category::Crisis
                || !ignored.iter().any(|&(s, e)| f.start >= s && f.start < e)
        });
    }

    /// A classifier speaks at most once per paragraph, on the sentence that scores highest on
    /// its own among those whose neighbourhood reached the threshold (the earliest on a tie),
    /// and not at all where a rule of the same pack and category already found something in
    /// the paragraph: it is a second opinion, not a second voice.
    fn one_classifier_finding_per_paragraph(&self, scan: &str, sink: &mut Sink<'_>) {
        let found = &mut sink.found;
        let is_classified = |f: &RawFinding| self.rules[f.rule as usize].classifier.is_some();
        if !found.iter().any(is_classified) {
            return;
        }
        let cuts = text::paragraph_cuts(scan);
        let paragraph = |pos: usize| cuts.partition_point(|&c| c <= pos);
        let spoken: BTreeSet<(usize, Category, usize)> = found
            .iter()
            .filter(|f| !is_classified(f))
            .map(|f| {
                let rule = &self.rules[f.rule as usize];
                (rule.pack, rule.category, paragraph(f.start))
            })
            .collect();
        // (rule, paragraph) -> (own score, start) of the sentence kept so far.
        let mut best: BTreeMap<(u32, usize), (f64, usize)> = BTreeMap::new();
        for f in found.iter().filter(|f| is_classified(f)) {
            let rule = &self.rules[f.rule as usize];
            let p = paragraph(f.start);
            if spoken.contains(&(rule.pack, rule.category, p)) {
                continue;
            }
            // The sentence's features are usually cached from scoring its window; trimming
            // spaces off the sentence does not change its tokens.
            let own = rule.classifier.as_ref().map_or(0.0, |c| {
                match sink.pieces.get(&(f.rule, f.sentence.0, f.sentence.1)) {
                    Some(piece) => c.score_pieces(&[piece]),
                    None => c.score(&scan[f.start..f.end]),
                }
            });
            let slot = best.entry((f.rule, p)).or_insert((own, f.start));
            if own > slot.0 || (own == slot.0 && f.start < slot.1) {
                *slot = (own, f.start);
            }
        }
        sink.set_aside("one per paragraph", |f| {
            !is_classified(f)
                || best
                    .get(&(f.rule, paragraph(f.start)))
                    .is_some_and(|&(_, start)| start == f.start)
        });
    }

    /// A kept candidate of rule `r` as a finding: its span, sentence and severity level.
    fn raw_finding(
        &self,
        r: u32,
        cues: &Cues,
        scan: &str,
        cand: &Candidate,
        slots: Vec<(String, String)>,
    ) -> RawFinding {
        RawFinding {
            rule: r,
            start: cand.span.0,
            end: cand.span.1,
            sentence: cand.sentence,
            level: context::severity_level(&self.rules[r as usize], cues, scan, cand),
            slots,
            tags: Vec::new(),
        }
    }

    /// Runs one rule over one sentence, given the rule's trigger hits in it.
    fn evaluate_rule(
        &self,
        scan: &str,
        lowered: &str,
        sentence: (usize, usize),
        r: u32,
        // This rule's jobs in this sentence: (rule, sentence, trigger start, trigger end).
        group: &[(u32, u32, usize, usize)],
        sink: &mut Sink<'_>,
    ) {
        let (ss, _) = sentence;
        let mut record = |trigger: (usize, usize), matched, outcome, score| {
            if let Some(t) = sink.trace.as_deref_mut() {
                t.push(Step {
                    rule: r,
                    sentence,
                    trigger,
                    matched,
                    outcome,
                    score,
                });
            }
        };
        let rule = &self.rules[r as usize];
        let cues: &Cues = &self.packs[rule.pack].cues;
        if let Some(classifier) = &rule.classifier {
            // A learned classifier scores the sentence with its neighbours; the finding is the
            // sentence itself, without surrounding spaces.
            let (ss, se) = sentence;
            let words = &scan[ss..se];
            let (ms, me) = (
                ss + (words.len() - words.trim_start().len()),
                se - (words.len() - words.trim_end().len()),
            );
            if ms >= me {
                return;
            }
            let (_, _, ts, te) = group[0];
            let window = sink
                .windows
                .entry((sentence.0, sentence.1, classifier.window))
                .or_insert_with(|| window_sentences(scan, sentence, classifier.window));
            let score = window_score(
                classifier,
                r,
                scan,
                window,
                &mut sink.pieces,
                &mut sink.tokens,
            );
            if score >= classifier.threshold {
                record(
                    (ts, te),
                    Some((ms, me)),
                    StepOutcome::Kept,
                    Some((score, classifier.threshold)),
                );
                let cand = Candidate {
                    sentence,
                    span: (ms, me),
                    trigger: (ts, te),
                };
                sink.found
                    .push(self.raw_finding(r, cues, scan, &cand, Vec::new()));
            } else {
                record(
                    (ts, te),
                    Some((ms, me)),
                    StepOutcome::Dropped("classifier"),
                    Some((score, classifier.threshold)),
                );
            }
            return;
        }
        match &rule.pattern {
            Some(lazy) => {
                let Some(re) = lazy.get() else { return };
                // Rule patterns match lowercased text (see `LazyRegex::for_lowercase_text`);
                // offsets are the same, and slot values are read from the original.
                let hay = &lazy.haystack(scan, lowered)[ss..sentence.1];
                let mut matched_any = false;
                for caps in re.captures_iter(hay) {
                    // A `(?P<span>...)` group narrows the reported span (the regex crate has no
                    // lookaround, so context a rule needs around its span is matched and trimmed).
                    let Some(whole) = caps.get(0) else { continue };
                    let m = caps
                        .name("span")
                        .or_else(|| caps.name("span2"))
                        .unwrap_or(whole);
                    if m.is_empty() {
                        continue;
                    }
                    matched_any = true;
                    let (ms, me) = (ss + m.start(), ss + m.end());
                    // The trigger must lie inside the whole match (a span group may leave
                    // out the trigger, e.g. a "but" that introduces the reported clause).
                    let (ws, we) = (ss + whole.start(), ss + whole.end());
                    let Some(&(_, _, ts, te)) = group
                        .iter()
                        .find(|(_, _, s, e)| *s >= ms && *e <= me)
                        .or_else(|| group.iter().find(|(_, _, s, e)| *s >= ws && *e <= we))
                    else {
                        let (_, _, ts, te) = group[0];
                        record((ts, te), Some((ms, me)), StepOutcome::TriggerOutside, None);
                        continue;
                    };
                    let cand = Candidate {
                        sentence,
                        span: (ms, me),
                        trigger: (ts, te),
                    };
                    let kept = context::check(rule, cues, scan, lowered, &cand);
                    record(
                        (ts, te),
                        Some((ms, me)),
                        kept.map_or_else(StepOutcome::Dropped, |()| StepOutcome::Kept),
                        None,
                    );
                    if kept.is_ok() {
                        let slots = rule
                            .capture_names
                            .iter()
                            .filter_map(|n| {
                                caps.name(n).map(|c| {
                                    (n.clone(), scan[ss + c.start()..ss + c.end()].to_string())
                                })
                            })
                            .collect();
                        sink.found
                            .push(self.raw_finding(r, cues, scan, &cand, slots));
                    }
                }
                if !matched_any {
                    let (_, _, ts, te) = group[0];
                    record((ts, te), None, StepOutcome::NoMatch, None);
                }
            }
            None => {
                for &(_, _, ts, te) in group {
                    let cand = Candidate {
                        sentence,
                        span: (ts, te),
                        trigger: (ts, te),
                    };
                    let kept = context::check(rule, cues, scan, lowered, &cand);
                    record(
                        (ts, te),
                        Some((ts, te)),
                        kept.map_or_else(StepOutcome::Dropped, |()| StepOutcome::Kept),
                        None,
                    );
                    if kept.is_ok() {
                        let slots = vec![("word".to_string(), scan[ts..te].to_string())];
                        sink.found
                            .push(self.raw_finding(r, cues, scan, &cand, slots));
                    }
                }
            }
        }
    }

    /// STAGE 4 and 5: one primary category per span, crisis handling, messages and reframes,
    /// positions.
    pub(crate) fn finish(&self, original: &str, scan: &str, raw: Vec<RawFinding>) -> Analysis {
        let located = self.locate(original, scan, raw, &mut Cursor::start(), false);
        self.render(located)
    }

    /// The text-dependent half of STAGE 4: overlaps resolved, and each finding's positions and
    /// words read from the text. Offsets in `raw` are into `original`/`scan`, which follow
    /// whatever `cursor` has already seen ([`Stream`] feeds a long text piece by piece).
    pub(crate) fn locate(
        &self,
        original: &str,
        scan: &str,
        mut raw: Vec<RawFinding>,
        cursor: &mut Cursor,
        whole_piece: bool,
    ) -> Vec<Located> {
        if raw.is_empty() {
            if whole_piece {
                cursor.locate(original, &[], true);
            }
            return Vec::new();
        }
        raw.sort_by_key(|f| (f.start, f.end, f.rule));
        raw.dedup_by_key(|f| (f.start, f.end, f.rule));
        let resolved = self.resolve_overlaps(raw);
        let mut offsets: Vec<usize> = resolved.iter().flat_map(|f| [f.start, f.end]).collect();
        offsets.sort_unstable();
        offsets.dedup();
        let pos = cursor.locate(original, &offsets, whole_piece);
        let at = |o: usize| pos[offsets.binary_search(&o).unwrap_or(0)];
        resolved
            .into_iter()
            .map(|f| Located {
                start: at(f.start),
                end: at(f.end),
                matched: scan[f.start..f.end].to_string(),
                text: original.get(f.start..f.end).map(str::to_string),
                continues: text::phrase_continues(&scan[f.end..f.sentence.1.max(f.end)]),
                raw: f,
            })
            .collect()
    }

    /// The entry-wide half of STAGE 4 and STAGE 5: crisis support, severity stacking, messages
    /// and reframes. Needs no text, so a [`crate::Stream`] can run it once at the end.
    pub(crate) fn render(&self, located: Vec<Located>) -> Analysis {
        if located.is_empty() {
            return Analysis::default();
        }
        let mut pairs: Vec<(Finding, Located)> = located
            .into_iter()
            .map(|l| (self.render_one(&l), l))
            .collect();
        pairs.sort_by(|a, b| finding_order(&a.0).cmp(&finding_order(&b.0)));
        let (mut findings, located): (Vec<Finding>, Vec<Located>) = pairs.into_iter().unzip();
        let refs: Vec<(&Located, usize)> = located.iter().map(|l| (l, 0)).collect();
        let support = self.entry_wide(&refs, &mut findings);
        Analysis { findings, support }
    }

    /// One finding as it reads on its own: message, reframes and the severity of its own
    /// context. [`Engine::entry_wide`] then adjusts it for the rest of the entry.
    pub(crate) fn render_one(&self, l: &Located) -> Finding {
        let f = &l.raw;
        let rule = &self.rules[f.rule as usize];
        let is_crisis = rule.category == Category::Crisis;
        let slot = |name: &str| self.slot_value(rule, &f.slots, name);
        let message = rule
            .message
            .render(&slot)
            .unwrap_or_else(|| rule.message.source().to_string());
        let reframes = if is_crisis {
            Vec::new()
        } else {
            self.render_reframes(rule, &f.slots, l)
        };
        let (a, b) = (l.start, l.end);
        Finding {
            rule: Arc::clone(&rule.id),
            category: rule.category,
            // Crisis language is never a thinking trap, not even as a tag: a self-blame
            // pattern inside an abuse disclosure ("if I were better he wouldn't hit me") must
            // not come back as `personalization` (DOMAIN.md sections 2.2 and 2.5).
            tags: if is_crisis {
                Vec::new()
            } else {
                f.tags.clone()
            },
            severity: if is_crisis {
                Severity::Crisis
            } else {
                Severity::from_level(f.level)
            },
            confidence: rule.confidence,
            tier: rule.tier,
            bytes: Span::new(f.start, f.end),
            chars: Span::new(a.char, b.char),
            utf16: Span::new(a.utf16, b.utf16),
            line: a.line,
            column: a.column,
            end_line: b.line,
            end_column: b.column,
            text: if is_crisis { None } else { l.text.clone() },
            message,
            reframes,
            reframes_withheld: false,
        }
    }

    /// Entry-wide adjustments, in place: crisis language withholds reframes (tiers A and abuse:
    /// the whole entry; tier B and someone-else: its sentence), and a category repeated three
    /// times in the entry, or three categories in one sentence, is high severity. `located[i]` is `findings[i]`'s source with
    /// the byte offset its positions are relative to. Returns the crisis support to show.
    pub(crate) fn entry_wide(
        &self,
        located: &[(&Located, usize)],
        findings: &mut [Finding],
    ) -> Option<Support> {
        let sentence =
            |(l, base): (&Located, usize)| (l.raw.sentence.0 + base, l.raw.sentence.1 + base);
        // Crisis: the most urgent tier of each kind (suicide and self-harm; abuse), with the
        // pack of the rule that found it, and the sentences crisis language covers.
        let mut suicide: Option<(CrisisTier, usize)> = None;
        let mut abuse: Option<(CrisisTier, usize)> = None;
        let mut urgent = false;
        let mut crisis_sentences: Vec<(usize, usize)> = Vec::new();
        for &(l, base) in located {
            let rule = &self.rules[l.raw.rule as usize];
            if let Some(t) = rule.tier {
                let kind = if t.is_abuse() {
                    &mut abuse
                } else {
                    &mut suicide
                };
                if kind.is_none_or(|(cur, _)| t.urgency() < cur.urgency()) {
                    *kind = Some((t, rule.pack));
                }
                urgent |= rule.urgent;
                crisis_sentences.push(sentence((l, base)));
            }
        }
        let tier = [suicide, abuse]
            .into_iter()
            .flatten()
            .map(|(t, _)| t)
            .min_by_key(|t| t.urgency());

        // Rumination: the same category three or more times in an entry is high severity, and
        // so is a sentence where three or more categories stack up. Counted in flat arrays (a
        // bit per category), since a document runs this on every keystroke.
        let mut per_category = [0usize; Category::ALL.len()];
        let mut per_sentence: Vec<((usize, usize), u32)> = Vec::with_capacity(located.len());
        for &(l, base) in located {
            let cat = self.rules[l.raw.rule as usize].category;
            per_category[usize::from(cat.precedence())] += 1;
            per_sentence.push((sentence((l, base)), category_bits(cat, &l.raw.tags)));
        }
        let stacked_sentences = StackedSentences::new(per_sentence);
        let stacked = |s: (usize, usize)| stacked_sentences.contains(s);

        for (&(l, base), f) in located.iter().zip(findings.iter_mut()) {
            let rule = &self.rules[l.raw.rule as usize];
            if rule.category == Category::Crisis {
                continue;
            }
            let mut level = l.raw.level;
            if per_category[usize::from(rule.category.precedence())] >= 3
                || stacked(sentence((l, base)))
            {
                level = 3;
            }
            f.severity = Severity::from_level(level);
            let withheld = match tier {
                Some(t) if t.whole_entry() => true,
                Some(_) => crisis_sentences
                    .iter()
                    .any(|(s, e)| f.bytes.start < *e && f.bytes.end > *s),
                None => false,
            };
            if withheld {
                f.reframes.clear();
            } else if f.reframes_withheld {
                // Withheld last time (a document edit removed the crisis language): bring
                // the reframes back.
                f.reframes = self.render_reframes(rule, &l.raw.slots, l);
            }
            f.reframes_withheld = withheld;
        }
        self.support(suicide, abuse, urgent)
    }

    /// One span, one primary category: overlapping findings collapse into the one whose
    /// category comes first in DOMAIN.md's precedence; the others become its tags.
    fn resolve_overlaps(&self, raw: Vec<RawFinding>) -> Vec<RawFinding> {
        let mut out: Vec<RawFinding> = Vec::with_capacity(raw.len());
        let mut cluster: Vec<RawFinding> = Vec::new();
        let mut cluster_end = 0usize;
        let flush = |cluster: &mut Vec<RawFinding>, out: &mut Vec<RawFinding>| {
            if cluster.is_empty() {
                return;
            }
            // Crisis always wins. Otherwise the reading whose span contains the most of the
            // others wins ("I feel like a failure, so I must be one" is emotional reasoning
            // that contains a label; "she must think I'm lazy" is mind reading), and
            // DOMAIN.md's category precedence breaks ties between equal or crossing spans.
            // Counted once per distinct span, not per finding: a pack with thousands of rules
            // on one word made this quadratic in the number of rules (issue 6).
            let mut spans: Vec<((usize, usize), usize)> = Vec::new();
            let mut keys: Vec<(usize, usize)> = cluster.iter().map(|f| (f.start, f.end)).collect();
            keys.sort_unstable();
            for k in keys {
                match spans.last_mut() {
                    Some((span, n)) if *span == k => *n += 1,
                    _ => spans.push((k, 1)),
                }
            }
            let inside: Vec<usize> = spans
                .iter()
                .map(|&((s, e), _)| {
                    spans
                        .iter()
                        .filter(|&&((gs, ge), _)| gs >= s && ge <= e && (gs, ge) != (s, e))
                        .map(|&(_, n)| n)
                        .sum()
                })
                .collect();
            let contains = |f: &RawFinding| {
                spans
                    .binary_search_by_key(&(f.start, f.end), |&(span, _)| span)
                    .map_or(0, |i| inside[i])
            };
            let best = cluster
                .iter()
                .enumerate()
                .min_by_key(|(_, f)| {
                    let r = &self.rules[f.rule as usize];
                    let crisis = r.category != Category::Crisis;
                    (
                        crisis,
                        std::cmp::Reverse(contains(f)),
                        r.category.precedence(),
                        -f.level,
                        f.start,
                        f.rule,
                    )
                })
                .map_or(0, |(i, _)| i);
            let mut primary = cluster.swap_remove(best);
            let primary_cat = self.rules[primary.rule as usize].category;
            let mut tags: Vec<Category> = cluster
                .iter()
                .map(|f| self.rules[f.rule as usize].category)
                .filter(|c| *c != primary_cat)
                .collect();
            tags.sort_by_key(|c| c.precedence());
            tags.dedup();
            primary.tags = tags;
            out.push(primary);
            cluster.clear();
        };
        for f in raw {
            if !cluster.is_empty() && f.start >= cluster_end {
                flush(&mut cluster, &mut out);
            }
            cluster_end = if cluster.is_empty() {
                f.end
            } else {
                cluster_end.max(f.end)
            };
            cluster.push(f);
        }
        flush(&mut cluster, &mut out);
        out.sort_by_key(|f| (f.start, f.end));
        out
    }

    fn slot_value(&self, rule: &Rule, slots: &[(String, String)], name: &str) -> Option<String> {
        let get = |n: &str| {
            slots
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| normalize_slot(v))
        };
        // A `noun` capture stands in for `word` with its article ("an idiot"), so templates
        // like "I'm calling myself {word}" read naturally for noun labels too.
        let word = || get("word").or_else(|| get("noun").map(|n| with_article(&n.to_lowercase())));
        match name {
            "behavior" => {
                let key = get("word").or_else(|| get("noun"))?.to_lowercase();
                self.packs[rule.pack].behaviors.get(&key).cloned()
            }
            "word" => word().map(|v| v.to_lowercase()),
            "feeling" => get(name).map(|v| v.to_lowercase()),
            _ => get(name),
        }
    }

    fn render_reframes(
        &self,
        rule: &Rule,
        slots: &[(String, String)],
        l: &Located,
    ) -> Vec<Reframe> {
        let matched = l.matched.as_str();
        let pool = self.packs[rule.pack]
            .reframes
            .get(&rule.category)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        // A reframe written for one shape of the thought ("Luck may have helped...") is offered
        // only when the flagged words have that shape (DOMAIN.md §3.1: a reframe keeps the
        // meaning of what was written), and then before the general ones, being the closer fit.
        // The matched words are split once, and only if some reframe has a `when`.
        let words = std::cell::OnceCell::new();
        let fits = |r: &&pack::ReframeTemplate| {
            r.when
                .as_ref()
                .is_none_or(|w| w.found_in(words.get_or_init(|| pack::words_of(matched))))
        };
        let (specific, general): (Vec<&pack::ReframeTemplate>, Vec<&pack::ReframeTemplate>) =
            pool.iter().filter(fits).partition(|r| r.when.is_some());
        // Rotate the general pool by a hash of the matched words, so different findings get
        // different suggestions while the same text always gets the same ones.
        let rot = if general.is_empty() {
            0
        } else {
            (fnv1a(&normalize_slot(matched).to_lowercase()) % general.len() as u64) as usize
        };
        let ordered = rule
            .reframes
            .iter()
            .filter(fits)
            .chain(specific)
            .chain(general[rot..].iter().copied())
            .chain(general[..rot].iter().copied());
        let starts_upper = matched.chars().next().is_some_and(char::is_uppercase);
        // "I was so lazy yesterday" -> "I'm low on energy yesterday" would change the tense:
        // a present-tense rewording of a past-tense span is shown, not applied in place.
        let starts_with_any = |s: &str, prefixes: &[&str]| {
            let s = s.trim_start();
            prefixes
                .iter()
                .any(|p| s.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p)))
        };
        let past = starts_with_any(
            matched,
            &[
                "i was ",
                "i've been ",
                "ive been ",
                "i have been ",
                "i had been ",
                "was ",
                "been ",
            ],
        );
        let mut out: Vec<Reframe> = Vec::new();
        for r in ordered {
            if out.len() >= self.max_reframes {
                break;
            }
            let Some(mut text) = r.template.render(&|n| self.slot_value(rule, slots, n)) else {
                continue;
            };
            // A rewording that can't replace the span in place is shown on its own, as a
            // sentence of its own.
            let present = starts_with_any(&text, &["i'm ", "i am ", "i’m "]);
            let in_place = !(l.continues || (past && present));
            let rewrite = r.rewrite && in_place;
            if (rewrite && starts_upper) || (r.rewrite && !in_place) {
                text = capitalize(&text);
            }
            if out.iter().any(|o| o.text == text) {
                continue;
            }
            out.push(Reframe {
                text,
                rewrite,
                poles: r.poles.clone(),
            });
        }
        out
    }

    /// The support to show for an entry's crisis language.
    ///
    /// Suicide and self-harm (tiers a, b, someone-else) and abuse (tier abuse) are two kinds,
    /// and each contributes at most one message: the suicide tiers collapse to the most urgent
    /// one found, as they always have. When an entry holds both kinds, one support still comes
    /// back (the `Support` type and every host stay as they are): `tier` is the more urgent of
    /// the two (a > abuse > b > someone-else), its message comes first and the other kind's
    /// message follows in the same string, and the resources are the first kind's, then the
    /// other kind's that are not already listed (emergency numbers move to the top when a rule
    /// was urgent). So tier A keeps its own message, lines and emergency number ahead of the
    /// abuse ones, and someone who writes both about being hurt and about wanting to die is
    /// shown both kinds of help, without a second panel to dismiss. Simpler than a list of
    /// supports, which every host (CLI, LSP, JSON, wasm) would have to learn to show.
    fn support(
        &self,
        suicide: Option<(CrisisTier, usize)>,
        abuse: Option<(CrisisTier, usize)>,
        urgent: bool,
    ) -> Option<Support> {
        let mut parts: Vec<(CrisisTier, String, Vec<Resource>)> = [suicide, abuse]
            .into_iter()
            .flatten()
            .map(|(tier, pack)| {
                let (message, resources) = self.support_text(tier, pack);
                (tier, message, resources)
            })
            .collect();
        parts.sort_by_key(|(t, _, _)| t.urgency());
        let mut parts = parts.into_iter();
        let (tier, mut message, mut resources) = parts.next()?;
        for (_, more, listed) in parts {
            message.push(' ');
            message.push_str(&more);
            for r in listed {
                if !resources.iter().any(|o| o.contact == r.contact) {
                    resources.push(r);
                }
            }
        }
        if urgent {
            resources.sort_by_key(|r| !r.emergency);
        }
        Some(Support {
            tier,
            message,
            resources,
            urgent,
        })
    }

    /// One tier's message and resources: from the crisis rule's own pack first, then from any
    /// pack with support text, in the chosen locale or the pack's default one. A pack whose
    /// locale has no `abuse` text (packs written before the tier existed) gives a short neutral
    /// message and that locale's emergency resources for it, never its suicide lines.
    fn support_text(&self, tier: CrisisTier, pack: usize) -> (String, Vec<Resource>) {
        let order = std::iter::once(pack).chain(0..self.packs.len());
        for p in order {
            let pack = &self.packs[p];
            let locale = self
                .locale
                .as_ref()
                .filter(|l| pack.support.contains_key(*l))
                .or(pack.support_default.as_ref());
            let Some(text) = locale.and_then(|l| pack.support.get(l)) else {
                continue;
            };
            return match tier {
                CrisisTier::A => (text.tier_a.clone(), text.resources.clone()),
                CrisisTier::B => (text.tier_b.clone(), text.resources.clone()),
                CrisisTier::SomeoneElse => (text.someone_else.clone(), text.resources.clone()),
                CrisisTier::Abuse => (
                    text.abuse
                        .clone()
                        .unwrap_or_else(|| FALLBACK_ABUSE.to_string()),
                    text.abuse_resources.clone().unwrap_or_else(|| {
                        text.resources
                            .iter()
                            .filter(|r| r.emergency)
                            .cloned()
                            .collect()
                    }),
                ),
            };
        }
        let fallback = if tier.is_abuse() {
            FALLBACK_ABUSE
        } else {
            FALLBACK_SUPPORT
        };
        (fallback.to_string(), Vec::new())
    }

    /// Metadata of the loaded packs, in load order.
    pub fn packs(&self) -> impl Iterator<Item = PackInfo<'_>> {
        self.packs.iter().map(|p| PackInfo {
            pack: p,
            rules: self
                .rules
                .iter()
                .filter(|r| std::ptr::eq(&self.packs[r.pack], p))
                .count(),
        })
    }

    /// Every loaded rule, in load order (pack order, then file order).
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo<'_>> {
        self.rules
            .iter()
            .zip(&self.rule_off)
            .map(|(r, &off)| RuleInfo {
                rule: r,
                engine: self,
                off,
            })
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<RuleInfo<'_>> {
        self.rules().find(|r| r.id() == id)
    }

    /// Up to three loaded rule ids close to `query`, closest first, for "did you mean …?".
    ///
    /// ```
    /// let engine = kindly::Engine::new().unwrap();
    /// assert_eq!(engine.similar_rules("labelling.self-adjective"), ["labeling.self-adjective"]);
    /// ```
    pub fn similar_rules(&self, query: &str) -> Vec<&str> {
        let ids: Vec<&str> = self.rules.iter().map(|r| &*r.id).collect();
        crate::suggest::closest(query, &ids)
    }

    /// Every distinct trigger spelling the automaton searches for (lowercase), for comparing
    /// against a bare multi-pattern search (`kindly rules --triggers`).
    pub fn trigger_literals(&self) -> impl Iterator<Item = &str> {
        self.literal_texts.iter().map(String::as_str)
    }

    /// Compiles every pattern now, naming the first rule whose pattern fails. Built-in patterns
    /// are otherwise compiled on first use; the test suite calls this so none can fail later.
    #[doc(hidden)]
    pub fn compile_all_patterns(&self) -> std::result::Result<(), String> {
        for rule in &self.rules {
            for (what, re) in rule_regexes(rule) {
                if re.get().is_none() {
                    return Err(format!("rule '{}': {what} does not compile", rule.id));
                }
            }
        }
        Ok(())
    }

    /// Compiles up to `max_patterns` of the rule patterns that are not compiled yet and returns
    /// how many are still left (0 once every one is).
    ///
    /// The built-in pack's patterns are compiled the first time a text needs them, so the first
    /// analyses after building an engine are slower than later ones (a 10 KB journal entry:
    /// about 0.3 s natively and 0.75 s in WebAssembly, against a few milliseconds once warm).
    /// An editor or a web page can call this in idle time, a few patterns at a time, so that the
    /// person typing never waits for it. Findings are the same either way.
    ///
    /// ```
    /// let engine = kindly::Engine::new()?;
    /// let before = engine.analyze("I'm such an idiot.");
    /// let left = engine.warm_up(5);
    /// assert!(left > 0);
    /// while engine.warm_up(50) > 0 {}
    /// assert_eq!(engine.warm_up(1), 0);
    /// assert_eq!(engine.analyze("I'm such an idiot."), before);
    /// # Ok::<(), kindly::Error>(())
    /// ```
    pub fn warm_up(&self, max_patterns: usize) -> usize {
        let mut budget = max_patterns;
        let mut left = 0;
        for rule in &self.rules {
            for (_, re) in rule_regexes(rule) {
                if re.is_compiled() {
                    continue;
                }
                if budget > 0 {
                    budget -= 1;
                    // A pattern that fails to compile is remembered as failed (never for the
                    // validated built-in packs; packs from users are compiled when loaded).
                    let _ = re.get();
                } else {
                    left += 1;
                }
            }
        }
        left
    }

    /// The rule patterns that analysing `text` will compile first (those of the rules whose
    /// triggers it holds), as work that any thread can do. A program with several cores can
    /// compile them in parallel before the first analysis of a text, which otherwise compiles
    /// them one by one as it meets them; `kindly check` does this with rayon. Findings are the
    /// same either way, and patterns already compiled are left out.
    ///
    /// ```
    /// let engine = kindly::Engine::new()?;
    /// let text = "I'm such an idiot.";
    /// let work = engine.patterns_for(text);
    /// assert!(!work.is_empty());
    /// std::thread::scope(|s| {
    ///     for w in &work {
    ///         s.spawn(|| w.compile());
    ///     }
    /// });
    /// assert!(engine.patterns_for(text).is_empty());
    /// assert_eq!(engine.analyze(text).findings.len(), 1);
    /// # Ok::<(), kindly::Error>(())
    /// ```
    pub fn patterns_for(&self, text: &str) -> Vec<PatternWork<'_>> {
        let lowered = text.to_ascii_lowercase();
        let mut rules: Vec<u32> = self
            .trigger_hits(text, &lowered, None)
            .iter()
            .flat_map(|h| self.literal_rules[h.literal as usize].iter().copied())
            .collect();
        rules.sort_unstable();
        rules.dedup();
        rules
            .into_iter()
            .filter_map(|r| self.rules[r as usize].pattern.as_ref())
            .filter(|re| !re.is_compiled())
            .map(PatternWork)
            .collect()
    }

    /// Whether rule `i` is turned off in this engine.
    pub(crate) fn rule_is_off(&self, i: usize) -> bool {
        self.rule_off[i]
    }

    pub(crate) fn rules_raw(&self) -> &[Rule] {
        &self.rules
    }

    pub(crate) fn packs_raw(&self) -> &[Pack] {
        &self.packs
    }
}

/// Every regex of a rule, named as in the pack (`pattern`, `exceptions`, ...).
fn rule_regexes(rule: &Rule) -> impl Iterator<Item = (&'static str, &pack::LazyRegex)> {
    [
        ("pattern", &rule.pattern),
        ("exceptions", &rule.exceptions),
        ("requires", &rule.requires),
        ("followed-by", &rule.followed_by),
        ("not-followed-by", &rule.not_followed_by),
        ("preceded-by", &rule.preceded_by),
        ("not-preceded-by", &rule.not_preceded_by),
    ]
    .into_iter()
    .filter_map(|(what, re)| re.as_ref().map(|re| (what, re)))
}

/// One rule pattern to compile, from [`Engine::patterns_for`].
#[derive(Clone, Copy)]
pub struct PatternWork<'a>(&'a pack::LazyRegex);

impl PatternWork<'_> {
    /// Compiles the pattern now (a no-op if another thread already has). Safe to call from any
    /// thread, for any number of patterns at once.
    pub fn compile(&self) {
        // A pattern that fails is remembered as failed, as in `Engine::warm_up`.
        let _ = self.0.get();
    }
}

impl std::fmt::Debug for PatternWork<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatternWork")
    }
}

/// Used only if no loaded pack has support text (a custom crisis pack without `[support]`).
const FALLBACK_SUPPORT: &str = "It sounds like you're carrying a lot right now. You don't have to hold it alone. If you're thinking about ending your life or hurting yourself, please reach out to someone you trust or your local emergency number right now.";

/// Used for abuse disclosures when the pack holding the support text has no `abuse` message
/// for the locale: neutral, no blame, no numbers (the locale's emergency resources follow).
const FALLBACK_ABUSE: &str = "What you describe sounds frightening, and it is not your fault. If you are in danger right now, please call your local emergency number. Talking to someone you trust can help too.";

/// Where [`Engine::evaluate_rule`] puts what it finds, and what it records for a trace.
struct Sink<'a> {
    found: Vec<RawFinding>,
    trace: Option<&'a mut Vec<Step>>,
    /// Classifier features of each sentence already scored, by (rule, sentence): neighbouring
    /// candidates' windows overlap, and each sentence is tokenized once.
    pieces: HashMap<(u32, usize, usize), PieceFeatures>,
    /// The tokens of each sentence scored, by sentence: shared by every classifier.
    tokens: HashMap<(usize, usize), classifier::Tokens>,
    /// Each classifier window already found, by (sentence, sentences on each side): several
    /// classifiers look at the same sentences, and finding sentence edges is not free.
    windows: HashMap<(usize, usize, usize), Vec<(usize, usize)>>,
}

impl Sink<'_> {
    /// Keeps the findings `keep` accepts; the trace records the others as dropped by `filter`.
    fn set_aside(&mut self, filter: &'static str, keep: impl Fn(&RawFinding) -> bool) {
        let mut set_aside = Vec::new();
        self.found.retain(|f| {
            let kept = keep(f);
            if !kept {
                set_aside.push((f.rule, (f.start, f.end)));
            }
            kept
        });
        if let Some(trace) = self.trace.as_deref_mut() {
            for step in trace.iter_mut() {
                if matches!(step.outcome, StepOutcome::Kept)
                    && step
                        .matched
                        .is_some_and(|m| set_aside.contains(&(step.rule, m)))
                {
                    step.outcome = StepOutcome::Dropped(filter);
                }
            }
        }
    }
}

/// The sentence `(ss, se)` with up to `n` sentences before and after it, in order, never across
/// a blank line (the sentences before are the ones a rule's `look-back` reaches).
fn window_sentences(scan: &str, (ss, se): (usize, usize), n: usize) -> Vec<(usize, usize)> {
    let before = context::sentences_before(scan, ss, n);
    let mut window: Vec<(usize, usize)> = before.into_iter().rev().collect();
    window.push((ss, se));
    let mut end = se;
    for _ in 0..n {
        let rest = &scan[end..];
        if text::starts_with_paragraph_break(rest) {
            break;
        }
        let next = end + (rest.len() - rest.trim_start().len());
        if next >= scan.len() {
            break;
        }
        let (ns, ne) = text::sentence_bounds(scan, next);
        if ne <= end {
            break;
        }
        window.push((ns, ne));
        end = ne;
    }
    window
}

/// A classifier's score of the text from the first to the last of `window`'s sentences, from
/// the features of each sentence (kept in `cache`, as overlapping windows share sentences).
/// When the sentences do not tile that text (only spaces between them, no token across a
/// seam), the text is tokenized whole instead; both give the same score.
fn window_score(
    classifier: &Classifier,
    rule: u32,
    scan: &str,
    window: &[(usize, usize)],
    cache: &mut HashMap<(u32, usize, usize), PieceFeatures>,
    tokens: &mut HashMap<(usize, usize), classifier::Tokens>,
) -> f64 {
    let (Some(&(from, _)), Some(&(_, to))) = (window.first(), window.last()) else {
        return classifier.bias;
    };
    let tiled = window.windows(2).all(|pair| {
        let ((_, e), (s, _)) = (pair[0], pair[1]);
        e <= s
            && scan[e..s].trim_start().is_empty()
            && !text::char_before(scan, s)
                .is_some_and(|c| text::is_word_char(c) || classifier::is_apostrophe(c))
    });
    if !tiled {
        return classifier.score(&scan[from..to]);
    }
    for &(s, e) in window {
        cache.entry((rule, s, e)).or_insert_with(|| {
            let words = tokens
                .entry((s, e))
                .or_insert_with(|| classifier::Tokens::of(&scan[s..e]));
            classifier.features_of(words)
        });
    }
    let pieces: Vec<&PieceFeatures> = window
        .iter()
        .filter_map(|&(s, e)| cache.get(&(rule, s, e)))
        .collect();
    classifier.score_pieces(&pieces)
}

/// A finding's category and its tags as bits (one per category), for counting how many
/// categories stack up in a sentence.
pub(crate) fn category_bits(category: Category, tags: &[Category]) -> u32 {
    let bit = |c: Category| 1u32 << c.precedence();
    tags.iter().fold(bit(category), |m, t| m | bit(*t))
}

/// The sentences where three or more categories stack up (rumination: each finding in them is
/// high severity), from each finding's sentence and [`category_bits`].
pub(crate) struct StackedSentences(Vec<((usize, usize), u32)>);

impl StackedSentences {
    pub(crate) fn new(mut per_sentence: Vec<((usize, usize), u32)>) -> StackedSentences {
        per_sentence.sort_unstable_by_key(|(s, _)| *s);
        per_sentence.dedup_by(|later, first| {
            let same = later.0 == first.0;
            if same {
                first.1 |= later.1;
            }
            same
        });
        StackedSentences(per_sentence)
    }

    pub(crate) fn contains(&self, sentence: (usize, usize)) -> bool {
        self.0
            .binary_search_by_key(&sentence, |(k, _)| *k)
            .is_ok_and(|i| self.0[i].1.count_ones() >= 3)
    }
}

/// "idiot" -> "an idiot", "failure" -> "a failure" (by spelling; good enough for labels).
/// The order findings are reported in: by position, then category precedence, then rule id.
pub(crate) fn finding_order(f: &Finding) -> (usize, usize, u8, &str) {
    (f.bytes.start, f.bytes.end, f.category.precedence(), &f.rule)
}

fn with_article(noun: &str) -> String {
    // Mass nouns people use as labels take no article ("I'm trash", not "I'm a trash").
    const MASS: [&str; 7] = [
        "trash", "garbage", "rubbish", "scum", "filth", "crap", "dirt",
    ];
    if MASS.contains(&noun) {
        return noun.to_string();
    }
    let starts_vowel = noun.chars().next().is_some_and(|c| "aeiou".contains(c));
    let exceptions_an = noun.starts_with("hour") || noun.starts_with("honest");
    let exceptions_a =
        noun.starts_with("use") || noun.starts_with("uni") || noun.starts_with("one");
    if (starts_vowel || exceptions_an) && !exceptions_a {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Collapses whitespace, folds apostrophes to `'`, un-stretches letters ("sooo" -> "so") and
/// lowercases an all-caps capture, so slot values read naturally inside a template.
fn normalize_slot(v: &str) -> String {
    let words: Vec<&str> = v.split_whitespace().collect();
    let joined = words.join(" ");
    let letters: Vec<char> = joined.chars().filter(|c| c.is_alphabetic()).collect();
    let all_caps = letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase());
    let chars: Vec<char> = joined
        .chars()
        .map(|c| {
            if crate::pack::expand::APOSTROPHES.contains(&c) {
                '\''
            } else {
                c
            }
        })
        .map(|c| {
            if all_caps {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                c
            }
        })
        .collect();
    let mut out = String::with_capacity(joined.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut j = i;
        while j < chars.len() && chars[j] == c {
            j += 1;
        }
        // Three or more of a letter is a stretch ("sooo"); two is spelling ("too").
        let keep = if c.is_alphabetic() && j - i >= 3 {
            1
        } else {
            j - i
        };
        out.extend(std::iter::repeat_n(c, keep));
        i = j;
    }
    out
}

fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Read-only view of a loaded pack.
pub struct PackInfo<'a> {
    pack: &'a Pack,
    rules: usize,
}

impl<'a> PackInfo<'a> {
    /// The pack id.
    pub fn id(&self) -> &'a str {
        &self.pack.id
    }
    /// True for the built-in pack's crisis rules alone, which an engine loads when none of its
    /// packs has crisis rules (see [`EngineBuilder::build`]).
    pub fn kept_for_safety(&self) -> bool {
        self.pack.safety_net
    }
    /// The pack version.
    pub fn version(&self) -> &'a str {
        &self.pack.version
    }
    /// The pack language, e.g. `en`.
    pub fn language(&self) -> &'a str {
        &self.pack.language
    }
    /// The pack licence (SPDX expression).
    pub fn license(&self) -> &'a str {
        &self.pack.license
    }
    /// What the pack is for.
    pub fn description(&self) -> &'a str {
        &self.pack.description
    }
    /// The files the pack was read from.
    pub fn files(&self) -> &'a [String] {
        &self.pack.files
    }
    /// How many rules it has.
    pub fn rule_count(&self) -> usize {
        self.rules
    }
}

/// Read-only view of a loaded rule, for listing and explaining rules.
pub struct RuleInfo<'a> {
    rule: &'a Rule,
    engine: &'a Engine,
    off: bool,
}

impl<'a> RuleInfo<'a> {
    /// The stable rule id.
    pub fn id(&self) -> &'a str {
        &self.rule.id
    }
    /// The id of the pack that defines it.
    pub fn pack(&self) -> &'a str {
        &self.engine.packs[self.rule.pack].id
    }
    /// Its category.
    pub fn category(&self) -> Category {
        self.rule.category
    }
    /// Its base severity (before intensifiers and hedges).
    pub fn severity(&self) -> Severity {
        self.rule.severity
    }
    /// Its crisis tier, for crisis rules.
    pub fn tier(&self) -> Option<CrisisTier> {
        self.rule.tier
    }
    /// Whether this engine has it turned off (its category or its id): it is listed and
    /// explained, but never runs.
    ///
    /// ```
    /// let mut builder = kindly::Engine::builder();
    /// builder.disable_rule("labeling.fragment");
    /// let engine = builder.build().unwrap();
    /// assert!(engine.rule("labeling.fragment").unwrap().is_off());
    /// assert!(!engine.rule("labeling.self-noun").unwrap().is_off());
    /// ```
    pub fn is_off(&self) -> bool {
        self.off
    }
    /// The message template.
    pub fn message(&self) -> &'a str {
        self.rule.message.source()
    }
    /// Why the rule exists, if the pack says.
    pub fn why(&self) -> Option<&'a str> {
        self.rule.why.as_deref()
    }
    /// Its triggers as written (`@name` refers to a lexicon).
    pub fn triggers(&self) -> &'a [String] {
        &self.rule.triggers
    }
    /// Its verification pattern as written, if any.
    pub fn pattern(&self) -> Option<&'a str> {
        self.rule.pattern_source.as_deref()
    }
    /// For a rule that uses a learned classifier instead of a pattern: a line that says which,
    /// how many features it weighs, its window and its threshold.
    pub fn classifier(&self) -> Option<String> {
        self.rule.classifier.as_ref().map(|c| {
            format!(
                "{} ({} features, {} sentence(s) on each side, threshold {})",
                c.name,
                c.len(),
                c.window,
                c.threshold
            )
        })
    }
    /// Examples it must flag, as written (with `[span]` markers).
    pub fn flag_examples(&self) -> impl Iterator<Item = &'a str> {
        self.rule.examples_flag.iter().map(|e| e.source.as_str())
    }
    /// Look-alikes it must not flag.
    pub fn pass_examples(&self) -> impl Iterator<Item = &'a str> {
        self.rule.examples_pass.iter().map(|e| e.source.as_str())
    }
    /// Its reframe templates: the rule's own, then its category's shared ones from the pack.
    pub fn reframe_templates(&self) -> impl Iterator<Item = &'a str> {
        self.reframe_templates_when().map(|(template, _)| template)
    }

    /// The same templates, each with the words its `when` asks for in the flagged text (empty
    /// when it fits every finding).
    pub fn reframe_templates_when(&self) -> impl Iterator<Item = (&'a str, &'a [String])> {
        let pool = self.engine.packs[self.rule.pack]
            .reframes
            .get(&self.rule.category);
        self.rule
            .reframes
            .iter()
            .chain(pool.into_iter().flatten())
            .map(|r| {
                let when = r.when.as_ref().map_or(&[][..], |w| w.source.as_slice());
                (r.template.source(), when)
            })
    }
    /// Where the rule is defined.
    pub fn location(&self) -> &'a crate::error::Location {
        &self.rule.location
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_normalization() {
        assert_eq!(normalize_slot("STUPIDDD"), "stupid");
        assert_eq!(normalize_slot("sooo  lazy"), "so lazy");
        assert_eq!(normalize_slot("too  good"), "too good");
        assert_eq!(normalize_slot("my  sister’s"), "my sister's");
        assert_eq!(with_article("idiot"), "an idiot");
        assert_eq!(with_article("failure"), "a failure");
        assert_eq!(with_article("useless mess"), "a useless mess");
        assert_eq!(with_article("trash"), "trash");
    }
}
