//! Counting and scoring. Every row adds to a [`Tally`] (integers only, plus at most N error
//! examples per category); [`Tally::scores`] turns the counts into the figures of the report.
//!
//! Definitions (also in `kindly eval --help` and EVAL.md):
//! - a text's predicted categories are the primary categories of its findings (tags are
//!   left out; `micro_with_tags` adds them);
//! - per category c: TP = c in gold and predicted, FP = predicted but not gold, FN = gold but
//!   not predicted; precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2TP/(2TP+FP+FN), each
//!   undefined (null, "-") when its denominator is 0;
//! - micro: the same over the summed counts; macro: the mean over categories with support
//!   > 0, an undefined figure counting as 0;
//! - any self-talk: gold positive = at least one label, predicted positive = at least one
//!   finding; negatives flagged = predicted positives among gold negatives;
//! - crisis recall: gold-crisis texts for which the analysis is in support mode;
//! - rows whose labels all map to `ignore` are counted but not scored.

use super::corpus::Row;
use super::labels::{self, Gold, Mask};
use kindly::{Analysis, Category, Engine, Outcome};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Number of categories.
pub(crate) const NCAT: usize = Category::ALL.len();
const CRISIS: usize = NCAT - 1;

/// The rules of one engine, by index.
pub(crate) struct RuleTable {
    pub ids: Vec<String>,
    pub categories: Vec<Category>,
    pub packs: Vec<String>,
    index: HashMap<String, u32>,
}

/// Why a gold label was missed (`--why-missed`): the furthest any rule of its category got
/// with the text. The variants are in that order, so the furthest is the largest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Miss {
    /// No rule of the category had a trigger in the text.
    NoCandidate,
    /// Triggers brought rules of the category in, but no pattern matched.
    NoMatch,
    /// A pattern matched, but none of its rule's triggers lay inside the match.
    TriggerOutside,
    /// No pattern matched, and the category's learned second opinion scored below its threshold.
    BelowThreshold,
    /// A match was dropped by a context filter (named) of a rule (by index).
    Dropped(&'static str, u32),
    /// A match was kept, but an overlapping finding of another category won.
    Merged(u32),
}

impl Miss {
    /// The reason, without the rule: what the table groups by.
    pub(crate) fn reason(self) -> String {
        match self {
            Miss::NoCandidate => "no rule of the category had a trigger in the text".into(),
            Miss::NoMatch => "no pattern of the category matched".into(),
            Miss::TriggerOutside => "a pattern matched, with no trigger inside the match".into(),
            Miss::BelowThreshold => {
                "no pattern matched; the learned second opinion scored below its threshold".into()
            }
            Miss::Dropped(filter, _) => format!("dropped by the “{filter}” filter"),
            Miss::Merged(_) => "merged into a finding of another category".into(),
        }
    }

    fn rule(self) -> Option<u32> {
        match self {
            Miss::Dropped(_, r) | Miss::Merged(r) => Some(r),
            _ => None,
        }
    }

    /// The reason with the rule, for one listed false negative.
    fn describe(self, rules: &RuleTable) -> String {
        match self.rule().and_then(|r| rules.ids.get(r as usize)) {
            Some(id) => format!("{} ({id})", self.reason()),
            None => self.reason(),
        }
    }
}

impl RuleTable {
    pub(crate) fn new(engine: &Engine) -> RuleTable {
        let mut t = RuleTable {
            ids: Vec::new(),
            categories: Vec::new(),
            packs: Vec::new(),
            index: HashMap::new(),
        };
        for r in engine.rules() {
            t.index.insert(r.id().to_string(), t.ids.len() as u32);
            t.ids.push(r.id().to_string());
            t.categories.push(r.category());
            t.packs.push(r.pack().to_string());
        }
        t
    }
}

/// One finding, reduced to what scoring needs.
#[derive(Debug)]
pub(crate) struct Fired {
    pub rule: u32,
    pub category: Category,
    /// The matched words (never for crisis findings: the library withholds them).
    pub matched: Option<String>,
}

/// What an engine said about one text.
#[derive(Debug)]
pub(crate) struct Pred {
    pub primary: Mask,
    pub with_tags: Mask,
    pub support: bool,
    pub fired: Vec<Fired>,
    /// With `--why-missed`: why each gold category that was not predicted was missed.
    pub misses: Vec<(usize, Miss)>,
}

impl Pred {
    pub(crate) fn from_analysis(analysis: Analysis, rules: &RuleTable) -> Pred {
        let mut p = Pred {
            primary: 0,
            with_tags: 0,
            support: analysis.support.is_some(),
            fired: Vec::with_capacity(analysis.findings.len()),
            misses: Vec::new(),
        };
        for f in analysis.findings {
            let bit = 1 << labels::index(f.category);
            p.primary |= bit;
            p.with_tags |= bit;
            for t in &f.tags {
                p.with_tags |= 1 << labels::index(*t);
            }
            p.fired.push(Fired {
                rule: rules.index.get(&*f.rule).copied().unwrap_or(u32::MAX),
                category: f.category,
                matched: f.text,
            });
        }
        p
    }

    pub(crate) fn analyze(engine: &Engine, rules: &RuleTable, text: &str) -> Pred {
        Pred::from_analysis(engine.analyze(text), rules)
    }

    /// Traces the text when a gold category was missed, and records how far the rules of each
    /// missed category got (`--why-missed`). The trace runs the same pipeline as the analysis.
    pub(crate) fn explain_misses(&mut self, engine: &Engine, rules: &RuleTable, row: &Row) {
        let Gold::Scored { mask: gold, .. } = row.gold else {
            return;
        };
        let missed = gold & !self.primary;
        if missed == 0 {
            return;
        }
        let trace = engine.trace(&row.text, false);
        for i in (0..NCAT).filter(|i| missed & (1 << i) != 0) {
            let category = Category::ALL[i];
            let furthest = trace
                .steps
                .iter()
                .filter_map(|step| {
                    let rule = rules.index.get(&*step.rule).copied()?;
                    (rules.categories[rule as usize] == category).then_some(match &step.outcome {
                        Outcome::NoMatch => Miss::NoMatch,
                        Outcome::TriggerOutside => Miss::TriggerOutside,
                        Outcome::Dropped("classifier") => Miss::BelowThreshold,
                        Outcome::Dropped(filter) => Miss::Dropped(filter, rule),
                        // A finding of the category would have been predicted; the arm is
                        // for completeness.
                        Outcome::Merged(_) | Outcome::Finding => Miss::Merged(rule),
                        _ => Miss::NoMatch,
                    })
                })
                .max()
                .unwrap_or(Miss::NoCandidate);
            self.misses.push((i, furthest));
        }
    }
}

/// A rule that fired, in an example.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct FiredOut {
    pub rule: String,
    pub category: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
}

/// One listed error (or, in a comparison, one changed text).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Example {
    pub id: Option<String>,
    pub file: String,
    pub line: u64,
    pub text: String,
    pub gold: Vec<&'static str>,
    pub predicted: Vec<&'static str>,
    /// For a false positive, the rules that gave the category; otherwise every rule that fired.
    pub rules: Vec<FiredOut>,
    /// In a comparison: what the baseline predicted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_predicted: Option<Vec<&'static str>>,
    /// With `--why-missed`, for a false negative: why the label was missed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_missed: Option<String>,
}

#[derive(Clone, Copy, Debug, Default)]
struct CatCounts {
    support: u64,
    predicted: u64,
    tp: u64,
    fp: u64,
    fn_: u64,
    predicted_ignored: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct RuleCounts {
    texts: u64,
    findings: u64,
    correct: u64,
}

#[derive(Debug, Default)]
struct CatErrors {
    fp: Vec<Example>,
    fn_: Vec<Example>,
}

/// All the counts of one engine over the corpus.
pub(crate) struct Tally {
    cats: [CatCounts; NCAT],
    tags: (u64, u64, u64),
    scored: u64,
    positives: u64,
    negatives: u64,
    ignored: u64,
    ignored_flagged: u64,
    conflicts: u64,
    any: (u64, u64, u64, u64),
    right_category: u64,
    crisis_gold: u64,
    crisis_caught: u64,
    crisis_alarms: u64,
    crisis_alarms_negatives: u64,
    rules: Vec<RuleCounts>,
    confusion: [[u64; NCAT + 1]; NCAT + 1],
    errors: Vec<CatErrors>,
    cap: usize,
    /// With `--why-missed`: missed labels by reason (and rule).
    misses: BTreeMap<Miss, u64>,
    explained: bool,
}

/// Builds an example from a row.
pub(crate) fn example(
    row: &Row,
    file: &str,
    gold: Mask,
    pred: &Pred,
    rules: &RuleTable,
    only: Option<Category>,
) -> Example {
    Example {
        id: row.id.clone(),
        file: file.to_string(),
        line: row.line,
        text: row.text.clone(),
        gold: labels::ids(gold),
        predicted: labels::ids(pred.primary),
        rules: pred
            .fired
            .iter()
            .filter(|f| only.is_none_or(|c| c == f.category))
            .map(|f| FiredOut {
                rule: rules
                    .ids
                    .get(f.rule as usize)
                    .cloned()
                    .unwrap_or_else(|| "?".into()),
                category: f.category.id(),
                matched: f.matched.clone(),
            })
            .collect(),
        baseline_predicted: None,
        why_missed: None,
    }
}

impl Tally {
    /// Records that misses are explained (`--why-missed`), so the report has their table.
    pub(crate) fn explain_misses(&mut self) {
        self.explained = true;
    }

    pub(crate) fn new(rules: usize, cap: usize) -> Tally {
        Tally {
            cats: [CatCounts::default(); NCAT],
            tags: (0, 0, 0),
            scored: 0,
            positives: 0,
            negatives: 0,
            ignored: 0,
            ignored_flagged: 0,
            conflicts: 0,
            any: (0, 0, 0, 0),
            right_category: 0,
            crisis_gold: 0,
            crisis_caught: 0,
            crisis_alarms: 0,
            crisis_alarms_negatives: 0,
            rules: vec![RuleCounts::default(); rules],
            confusion: [[0; NCAT + 1]; NCAT + 1],
            errors: (0..NCAT).map(|_| CatErrors::default()).collect(),
            cap,
            misses: BTreeMap::new(),
            explained: false,
        }
    }

    /// Adds one row.
    pub(crate) fn add(&mut self, row: &Row, file: &str, pred: &Pred, rules: &RuleTable) {
        let (gold, conflict) = match row.gold {
            Gold::Ignored => {
                self.ignored += 1;
                if pred.primary != 0 {
                    self.ignored_flagged += 1;
                }
                for (i, c) in self.cats.iter_mut().enumerate() {
                    if pred.primary & (1 << i) != 0 {
                        c.predicted_ignored += 1;
                    }
                }
                return;
            }
            Gold::Scored { mask, conflict } => (mask, conflict),
        };
        self.scored += 1;
        self.conflicts += u64::from(conflict);
        let predicted = pred.primary;
        for i in 0..NCAT {
            let bit = 1 << i;
            let (g, p) = (gold & bit != 0, predicted & bit != 0);
            let c = &mut self.cats[i];
            c.support += u64::from(g);
            c.predicted += u64::from(p);
            match (g, p) {
                (true, true) => c.tp += 1,
                (false, true) => {
                    c.fp += 1;
                    if self.errors[i].fp.len() < self.cap {
                        let e = example(row, file, gold, pred, rules, Some(Category::ALL[i]));
                        self.errors[i].fp.push(e);
                    }
                }
                (true, false) => {
                    c.fn_ += 1;
                    let miss = pred.misses.iter().find(|(c, _)| *c == i).map(|(_, m)| *m);
                    if let Some(m) = miss {
                        *self.misses.entry(m).or_default() += 1;
                    }
                    if self.errors[i].fn_.len() < self.cap {
                        let mut e = example(row, file, gold, pred, rules, None);
                        e.why_missed = miss.map(|m| m.describe(rules));
                        self.errors[i].fn_.push(e);
                    }
                }
                (false, false) => {}
            }
            let pt = pred.with_tags & bit != 0;
            match (g, pt) {
                (true, true) => self.tags.0 += 1,
                (false, true) => self.tags.1 += 1,
                (true, false) => self.tags.2 += 1,
                (false, false) => {}
            }
        }
        match (gold != 0, predicted != 0) {
            (true, true) => self.any.0 += 1,
            (false, true) => self.any.1 += 1,
            (true, false) => self.any.2 += 1,
            (false, false) => self.any.3 += 1,
        }
        if gold != 0 {
            self.positives += 1;
            self.right_category += u64::from(gold & predicted != 0);
        } else {
            self.negatives += 1;
        }
        let crisis = gold & (1 << CRISIS) != 0;
        if crisis {
            self.crisis_gold += 1;
            self.crisis_caught += u64::from(pred.support);
        } else if pred.support {
            self.crisis_alarms += 1;
            self.crisis_alarms_negatives += u64::from(gold == 0);
        }
        // Confusion: every gold category (or "none") against every predicted one (or "none").
        let gold_idx = indices(gold);
        let pred_idx = indices(predicted);
        for &g in &gold_idx {
            for &p in &pred_idx {
                self.confusion[g][p] += 1;
            }
        }
        // Rules: once per text for `texts` and `correct`, every finding for `findings`.
        let mut seen: Vec<u32> = Vec::with_capacity(pred.fired.len());
        for f in &pred.fired {
            let Some(counts) = self.rules.get_mut(f.rule as usize) else {
                continue;
            };
            counts.findings += 1;
            if !seen.contains(&f.rule) {
                seen.push(f.rule);
                counts.texts += 1;
                counts.correct += u64::from(gold & (1 << labels::index(f.category)) != 0);
            }
        }
    }

    /// The figures.
    pub(crate) fn scores(&self, rules: &RuleTable) -> Scores {
        let categories: Vec<CategoryScore> = Category::ALL
            .iter()
            .zip(&self.cats)
            .map(|(cat, c)| CategoryScore {
                category: cat.id(),
                support: c.support,
                predicted: c.predicted,
                tp: c.tp,
                fp: c.fp,
                fn_: c.fn_,
                precision: ratio(c.tp, c.tp + c.fp),
                recall: ratio(c.tp, c.tp + c.fn_),
                f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn_),
                predicted_on_ignored: c.predicted_ignored,
            })
            .collect();
        let (tp, fp, fn_) = self
            .cats
            .iter()
            .fold((0, 0, 0), |(a, b, c), x| (a + x.tp, b + x.fp, c + x.fn_));
        let micro = Average::from_counts(tp, fp, fn_);
        let micro_with_tags = Average::from_counts(self.tags.0, self.tags.1, self.tags.2);
        let supported: Vec<&CategoryScore> = categories.iter().filter(|c| c.support > 0).collect();
        let mean = |f: fn(&CategoryScore) -> Option<f64>| {
            if supported.is_empty() {
                None
            } else {
                Some(
                    supported.iter().map(|c| f(c).unwrap_or(0.0)).sum::<f64>()
                        / supported.len() as f64,
                )
            }
        };
        let macro_ = MacroAverage {
            categories: supported.len(),
            precision: mean(|c| c.precision),
            recall: mean(|c| c.recall),
            f1: mean(|c| c.f1),
        };
        let (atp, afp, afn, atn) = self.any;
        let any = AnyScore {
            tp: atp,
            fp: afp,
            fn_: afn,
            tn: atn,
            precision: ratio(atp, atp + afp),
            recall: ratio(atp, atp + afn),
            f1: ratio(2 * atp, 2 * atp + afp + afn),
            positives: self.positives,
            positives_with_right_category: self.right_category,
            negatives: self.negatives,
            negatives_flagged: afp,
            negatives_flagged_rate: ratio(afp, self.negatives),
        };
        let crisis = CrisisScore {
            gold: self.crisis_gold,
            caught: self.crisis_caught,
            recall: ratio(self.crisis_caught, self.crisis_gold),
            false_alarms: self.crisis_alarms,
            false_alarms_on_negatives: self.crisis_alarms_negatives,
        };
        let mut rule_scores = Vec::new();
        let mut never = Vec::new();
        for (i, c) in self.rules.iter().enumerate() {
            if c.findings == 0 {
                never.push(rules.ids[i].clone());
                continue;
            }
            rule_scores.push(RuleScore {
                rule: rules.ids[i].clone(),
                category: rules.categories[i].id(),
                pack: rules.packs[i].clone(),
                texts: c.texts,
                findings: c.findings,
                correct: c.correct,
                precision: ratio(c.correct, c.texts),
            });
        }
        rule_scores.sort_by(|a, b| {
            let cat = |id: &str| Category::from_id(id).map_or(NCAT, labels::index);
            (cat(a.category), &a.rule).cmp(&(cat(b.category), &b.rule))
        });
        let mut confusion_labels: Vec<&'static str> =
            Category::ALL.iter().map(|c| c.id()).collect();
        confusion_labels.push("none");
        let errors = Category::ALL
            .iter()
            .zip(&self.errors)
            .filter(|(_, e)| !e.fp.is_empty() || !e.fn_.is_empty())
            .map(|(c, e)| CategoryErrors {
                category: c.id(),
                false_positives: e.fp.clone(),
                false_negatives: e.fn_.clone(),
            })
            .collect();
        Scores {
            rows: RowCounts {
                scored: self.scored,
                positives: self.positives,
                negatives: self.negatives,
                ignored: self.ignored,
                ignored_flagged: self.ignored_flagged,
                none_and_category: self.conflicts,
            },
            categories,
            micro,
            macro_,
            micro_with_tags,
            any,
            crisis,
            rules: rule_scores,
            rules_never_fired: never,
            confusion: Confusion {
                labels: confusion_labels,
                matrix: self.confusion.iter().map(|r| r.to_vec()).collect(),
            },
            errors,
            misses: self.explained.then(|| self.misses(rules)),
        }
    }

    fn misses(&self, rules: &RuleTable) -> Misses {
        let mut by_reason: BTreeMap<String, (Miss, u64, BTreeMap<String, u64>)> = BTreeMap::new();
        for (&miss, &n) in &self.misses {
            let entry = by_reason
                .entry(miss.reason())
                .or_insert((miss, 0, BTreeMap::new()));
            entry.1 += n;
            if let Some(id) = miss.rule().and_then(|r| rules.ids.get(r as usize)) {
                *entry.2.entry(id.clone()).or_default() += n;
            }
        }
        let mut reasons: Vec<(Miss, MissReason)> = by_reason
            .into_iter()
            .map(|(reason, (miss, labels, by_rule))| {
                let mut rules: Vec<MissRule> = by_rule
                    .into_iter()
                    .map(|(rule, labels)| MissRule { rule, labels })
                    .collect();
                rules.sort_by(|a, b| b.labels.cmp(&a.labels).then_with(|| a.rule.cmp(&b.rule)));
                (
                    miss,
                    MissReason {
                        reason,
                        labels,
                        rules,
                    },
                )
            })
            .collect();
        // The most common first; ties in the order of how far the rules got.
        reasons.sort_by(|(ma, a), (mb, b)| b.labels.cmp(&a.labels).then_with(|| ma.cmp(mb)));
        Misses {
            labels: self.misses.values().sum(),
            reasons: reasons.into_iter().map(|(_, r)| r).collect(),
        }
    }
}

fn indices(mask: Mask) -> Vec<usize> {
    if mask == 0 {
        return vec![NCAT];
    }
    (0..NCAT).filter(|i| mask & (1 << i) != 0).collect()
}

/// `num / den`, or `None` when `den` is 0.
pub(crate) fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Row counts.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RowCounts {
    /// Rows in the scores (positives + negatives).
    pub scored: u64,
    pub positives: u64,
    pub negatives: u64,
    /// Rows whose labels all map to `ignore`: not scored.
    pub ignored: u64,
    /// Ignored rows on which the engine found something.
    pub ignored_flagged: u64,
    /// Rows with a label mapped to `none` and a category label (scored as positives).
    pub none_and_category: u64,
}

/// One category.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CategoryScore {
    pub category: &'static str,
    pub support: u64,
    pub predicted: u64,
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    /// Ignored (unscored) rows on which this category was predicted.
    pub predicted_on_ignored: u64,
}

/// Micro average (summed counts).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Average {
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
}

impl Average {
    fn from_counts(tp: u64, fp: u64, fn_: u64) -> Average {
        Average {
            tp,
            fp,
            fn_,
            precision: ratio(tp, tp + fp),
            recall: ratio(tp, tp + fn_),
            f1: ratio(2 * tp, 2 * tp + fp + fn_),
        }
    }
}

/// Macro average over the categories with support.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct MacroAverage {
    pub categories: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
}

/// Any self-talk against none.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct AnyScore {
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub tn: u64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub positives: u64,
    /// Positives with at least one gold category predicted.
    pub positives_with_right_category: u64,
    pub negatives: u64,
    pub negatives_flagged: u64,
    pub negatives_flagged_rate: Option<f64>,
}

/// Crisis.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CrisisScore {
    /// Texts labelled crisis.
    pub gold: u64,
    /// Of those, texts the engine answered in support mode.
    pub caught: u64,
    pub recall: Option<f64>,
    /// Texts not labelled crisis that got support mode.
    pub false_alarms: u64,
    /// Of those, texts labelled as having no self-talk at all.
    pub false_alarms_on_negatives: u64,
}

/// One rule that fired.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct RuleScore {
    pub rule: String,
    pub category: &'static str,
    pub pack: String,
    /// Scored texts it fired on.
    pub texts: u64,
    /// Findings it produced (a text can hold several).
    pub findings: u64,
    /// Texts it fired on whose gold labels include its category.
    pub correct: u64,
    pub precision: Option<f64>,
}

/// Gold (rows) against predicted (columns), `none` last.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Confusion {
    pub labels: Vec<&'static str>,
    pub matrix: Vec<Vec<u64>>,
}

/// Listed errors of one category.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CategoryErrors {
    pub category: &'static str,
    pub false_positives: Vec<Example>,
    pub false_negatives: Vec<Example>,
}

/// Every figure for one engine.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Scores {
    pub rows: RowCounts,
    pub categories: Vec<CategoryScore>,
    pub micro: Average,
    #[serde(rename = "macro")]
    pub macro_: MacroAverage,
    pub micro_with_tags: Average,
    pub any: AnyScore,
    pub crisis: CrisisScore,
    pub rules: Vec<RuleScore>,
    pub rules_never_fired: Vec<String>,
    pub confusion: Confusion,
    pub errors: Vec<CategoryErrors>,
    /// With `--why-missed`: why the missed labels were missed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub misses: Option<Misses>,
}

/// Why labels were missed, grouped by reason, the most common first.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Misses {
    /// Missed labels (false negatives) in all.
    pub labels: u64,
    pub reasons: Vec<MissReason>,
}

/// One reason, with the rules concerned (for a filter or a merge), the most common first.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct MissReason {
    pub reason: String,
    pub labels: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<MissRule>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct MissRule {
    pub rule: String,
    pub labels: u64,
}

/// How the texts moved between the baseline and the current packs.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Changes {
    /// Scored texts with fewer category errors (FP + FN) than in the baseline.
    pub improved: u64,
    /// Scored texts with more.
    pub worsened: u64,
    /// Predictions changed, same number of errors.
    pub changed_same_errors: u64,
    /// Predictions identical.
    pub unchanged: u64,
    pub improved_examples: Vec<Example>,
    pub worsened_examples: Vec<Example>,
    #[serde(skip)]
    pub cap: usize,
}

impl Changes {
    pub(crate) fn add(
        &mut self,
        row: &Row,
        file: &str,
        cur: &Pred,
        base: &Pred,
        rules: &RuleTable,
    ) {
        let Gold::Scored { mask: gold, .. } = row.gold else {
            return;
        };
        if cur.primary == base.primary {
            self.unchanged += 1;
            return;
        }
        let errs = |p: Mask| (gold ^ p).count_ones();
        let (now, before) = (errs(cur.primary), errs(base.primary));
        let list = if now < before {
            self.improved += 1;
            &mut self.improved_examples
        } else if now > before {
            self.worsened += 1;
            &mut self.worsened_examples
        } else {
            self.changed_same_errors += 1;
            return;
        };
        if list.len() < self.cap {
            let mut e = example(row, file, gold, cur, rules, None);
            e.baseline_predicted = Some(labels::ids(base.primary));
            list.push(e);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ratios_and_f1_from_counts() {
        assert_eq!(ratio(1, 0), None);
        let a = Average::from_counts(3, 1, 2);
        assert_eq!(a.precision, Some(0.75));
        assert_eq!(a.recall, Some(0.6));
        // 2*3 / (6 + 1 + 2)
        assert!((a.f1.unwrap() - 6.0 / 9.0).abs() < 1e-12);
        assert_eq!(Average::from_counts(0, 0, 4).f1, Some(0.0));
        assert_eq!(Average::from_counts(0, 0, 0).f1, None);
    }
}
