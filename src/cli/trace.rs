//! `kindly trace`: what every rule did with a text, for rule authors.

use super::args::{ListFormat, TraceArgs};
use super::config::TurnedOff;
use super::inputs::{self, Input, Source};
use super::term::{paint, plural, sanitize, CATEGORY, DIM, ERROR, LOCATION};
use super::Status;
use anyhow::{anyhow, Result};
use kindly::{Category, Engine, Outcome, TraceStep};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// One step as `--format json` writes it (byte offsets, plus the start's line and column). The
/// offsets are into the text or file traced, a file's byte-order mark included, as in
/// `kindly check --format json` (`inputs::count_bom`).
#[derive(Serialize)]
struct JsonStep<'a> {
    rule: &'a str,
    outcome: &'static str,
    /// The context filter, for `dropped`; the winning rule, for `merged`; what turned the rule
    /// off, for `turned-off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    /// For `turned-off`: what the rule would have done with this candidate were it on.
    #[serde(skip_serializing_if = "Option::is_none")]
    with_it_on: Option<&'static str>,
    explanation: String,
    line: usize,
    column: usize,
    sentence: [usize; 2],
    trigger: [usize; 2],
    matched: Option<[usize; 2]>,
    /// The words, except where they would show crisis language (`words_withheld`).
    trigger_text: Option<&'a str>,
    matched_text: Option<&'a str>,
    /// True when the words are left out, as from every other output (README, privacy): a
    /// crisis rule's step in a sentence that holds crisis language, or any step whose words
    /// overlap that language. The offsets say where they are.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    words_withheld: bool,
    /// For `dropped` by `exception`: which exception of the rule, and what it matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    exception: Option<JsonException<'a>>,
    /// For a rule with a learned classifier: the score and the threshold it had to reach.
    #[serde(skip_serializing_if = "Option::is_none")]
    classifier: Option<JsonClassifier>,
}

#[derive(Serialize)]
struct JsonClassifier {
    score: f64,
    threshold: f64,
}

#[derive(Serialize)]
struct JsonException<'a> {
    /// 1-based, in the order the rule lists its exceptions.
    number: usize,
    of: usize,
    matched: [usize; 2],
    matched_text: Option<&'a str>,
}

fn outcome_name(o: &Outcome) -> (&'static str, Option<&str>) {
    match o {
        Outcome::NoMatch => ("no-match", None),
        Outcome::TriggerOutside => ("trigger-outside", None),
        Outcome::Dropped(filter) => ("dropped", Some(filter)),
        Outcome::Finding => ("finding", None),
        Outcome::Merged(into) => ("merged", Some(into)),
        // `Outcome` is non-exhaustive; a new kind shows its description.
        _ => ("other", None),
    }
}

/// A step to show, and for a rule turned off in this run, what turned it off (the step then
/// comes from tracing the text with every rule on).
struct Step<'a> {
    step: &'a TraceStep,
    off: Option<Off>,
}

/// What turned a rule off: "--disable-rule", a settings file's line (`TurnedOff::source`).
struct Off {
    source: String,
    /// "turned off (by …)".
    phrase: String,
}

impl Step<'_> {
    /// The outcome's name, `turned-off` for a rule turned off.
    fn outcome(&self) -> &'static str {
        if self.off.is_some() {
            "turned-off"
        } else {
            outcome_name(&self.step.outcome).0
        }
    }

    /// What became of it, in words.
    fn describe(&self) -> String {
        match &self.off {
            Some(off) => format!(
                "{}; with it on: {}",
                off.phrase,
                self.step.outcome.describe()
            ),
            None => self.step.outcome.describe(),
        }
    }
}

/// Which rules `--rule` names: an id, a prefix of ids (`mine.`), or a category id
/// (`should_statement`), which takes that category's rules whatever their ids start with.
pub(crate) struct RuleFilter {
    prefix: Option<String>,
    category: Option<Category>,
}

impl RuleFilter {
    /// The filter for `--rule`, or an error when no loaded rule is in it.
    pub(crate) fn new(engine: &Engine, rule: Option<&str>) -> Result<RuleFilter> {
        let Some(r) = rule else {
            return Ok(RuleFilter {
                prefix: None,
                category: None,
            });
        };
        let filter = RuleFilter {
            prefix: Some(r.to_string()),
            category: Category::from_id(r.trim()),
        };
        if !engine
            .rules()
            .any(|info| filter.takes(info.id(), info.category()))
        {
            return Err(anyhow!(
                "no loaded rule id starts with '{}' and it is not a category id; `kindly rules` \
                 lists them",
                sanitize(r)
            ));
        }
        Ok(filter)
    }

    fn takes(&self, id: &str, category: Category) -> bool {
        match &self.prefix {
            None => true,
            Some(p) => id.starts_with(p.as_str()) || self.category == Some(category),
        }
    }
}

pub(crate) fn run(
    engine: &Engine,
    all_on: Option<&Engine>,
    off: &TurnedOff<'_>,
    args: &TraceArgs,
) -> Result<Status> {
    if nothing_to_trace(args) {
        let mut err = anstream::stderr().lock();
        writeln!(
            err,
            "{} nothing to trace: give the text as an argument, name a file with --file, or \
             pipe text in\n\n  kindly trace \"I'm so lazy.\"\n  kindly trace --file journal.md\n  \
             echo \"I'm so lazy.\" | kindly trace\n\nSee `kindly trace --help`.",
            paint(ERROR, "kindly:")
        )?;
        return Ok(Status::Trouble);
    }
    let filter = RuleFilter::new(engine, args.rule.as_deref())?;
    let (text, markdown, bom) = read(args)?;
    // The engine traced the text after a file's byte-order mark; offsets shown are the file's.
    let skipped = if bom { inputs::BOM.len() } else { 0 };
    let at = |s: kindly::Span| [s.start + skipped, s.end + skipped];
    let trace = engine.trace(&text, markdown);
    let categories: HashMap<&str, Category> =
        engine.rules().map(|r| (r.id(), r.category())).collect();
    let category = |id: &str| categories.get(id).copied().unwrap_or(Category::Crisis);
    let crisis = |id: &str| category(id) == Category::Crisis;
    // Crisis language: the matches of crisis rules that were kept (not dropped by a filter),
    // in a trace of the engine as it is (rules turned off are never crisis rules).
    let held: Vec<kindly::Span> = trace
        .steps
        .iter()
        .filter(|s| crisis(&s.rule) && matches!(s.outcome, Outcome::Finding | Outcome::Merged(_)))
        .filter_map(|s| s.matched)
        .collect();
    let overlaps = |a: kindly::Span| held.iter().any(|h| a.start < h.end && h.start < a.end);
    let privacy = Privacy {
        sentence: &|sentence| {
            held.iter()
                .any(|h| sentence.start <= h.start && h.end <= sentence.end)
        },
        words: &|s| {
            (crisis(&s.rule) && overlaps(s.sentence))
                || overlaps(s.trigger)
                || s.matched.is_some_and(overlaps)
                || s.exception.is_some_and(|e| overlaps(e.matched))
        },
    };
    // The rules turned off, traced with every rule on, go in among the others' steps.
    let on_trace = all_on.map(|e| e.trace(&text, markdown));
    let all_steps = merge(engine, &trace.steps, on_trace.as_ref(), off);
    let wanted = |s: &Step<'_>| {
        let rule_ok = filter.takes(&s.step.rule, category(&s.step.rule));
        let shown = args.all || args.rule.is_some() || s.step.outcome != Outcome::NoMatch;
        rule_ok && shown
    };
    let steps: Vec<&Step<'_>> = all_steps.iter().filter(|s| wanted(s)).collect();
    let mut out = anstream::stdout().lock();
    match args.format {
        ListFormat::Json => {
            let rows: Vec<JsonStep<'_>> = steps
                .iter()
                .map(|shown| {
                    let s = shown.step;
                    let withheld = (privacy.words)(s);
                    let words = |span: kindly::Span| (!withheld).then(|| &text[span.range()]);
                    let (outcome, detail) = match &shown.off {
                        Some(off) => ("turned-off", Some(off.source.as_str())),
                        None => outcome_name(&s.outcome),
                    };
                    JsonStep {
                        rule: &s.rule,
                        outcome,
                        detail,
                        with_it_on: shown.off.as_ref().map(|_| outcome_name(&s.outcome).0),
                        explanation: shown.describe(),
                        line: s.line,
                        column: s.column,
                        sentence: at(s.sentence),
                        trigger: at(s.trigger),
                        matched: s.matched.map(at),
                        trigger_text: words(s.trigger),
                        matched_text: s.matched.and_then(words),
                        words_withheld: withheld,
                        exception: s.exception.map(|e| JsonException {
                            number: e.number,
                            of: e.of,
                            matched: at(e.matched),
                            matched_text: words(e.matched),
                        }),
                        classifier: s.classifier.map(|c| JsonClassifier {
                            score: c.score,
                            threshold: c.threshold,
                        }),
                    }
                })
                .collect();
            #[derive(Serialize)]
            struct Doc<'a> {
                version: u32,
                steps: Vec<JsonStep<'a>>,
                findings: usize,
            }
            serde_json::to_writer_pretty(
                &mut out,
                &Doc {
                    version: 1,
                    steps: rows,
                    findings: trace.analysis.findings.len(),
                },
            )?;
            writeln!(out)?;
        }
        ListFormat::Human => {
            let takes = |s: &TraceStep| filter.takes(&s.rule, category(&s.rule));
            human(&mut out, &text, &steps, &all_steps, &takes, &privacy, args)?;
            // Rules of `--rule` that are turned off and met none of their triggers: said, so
            // their silence is not read as "not in the text" alone (grouped by what turned
            // them off: a category turned off is one line, not one per rule).
            if args.rule.is_some() {
                let mut silent: BTreeMap<String, Vec<&str>> = BTreeMap::new();
                for r in engine.rules() {
                    let listed = steps.iter().any(|s| &*s.step.rule == r.id());
                    if r.is_off() && filter.takes(r.id(), r.category()) && !listed {
                        silent
                            .entry(off.by(r.id(), r.category()))
                            .or_default()
                            .push(r.id());
                    }
                }
                for (by, ids) in &silent {
                    let named = ids
                        .iter()
                        .take(LISTED)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ");
                    let more = if ids.len() > LISTED {
                        format!(" and {} more", ids.len() - LISTED)
                    } else {
                        String::new()
                    };
                    writeln!(out, "{}", paint(DIM, &format!("{named}{more}: {by}")))?;
                }
            }
            if let Some(s) = off.settings {
                let from = format!(
                    "Settings from {} (--no-config leaves them out).",
                    s.path.display()
                );
                writeln!(out, "{}", paint(DIM, &from))?;
            }
        }
    }
    Ok(if trace.analysis.findings.is_empty() {
        Status::Clean
    } else {
        Status::Found
    })
}

/// What the trace leaves unquoted, so crisis language shows in no output (README, privacy).
struct Privacy<'a> {
    /// Whether a sentence holds crisis language: its text is not shown.
    sentence: &'a dyn Fn(kindly::Span) -> bool,
    /// Whether a step's words are withheld (offsets and line:column are still shown).
    words: &'a dyn Fn(&TraceStep) -> bool,
}

/// How many turned-off rules without a candidate are named, at most, per line.
const LISTED: usize = 3;

/// The engine's steps with those of the rules it has turned off, from a trace with every rule
/// on, each put after the last step of its sentence that comes before it in rule order (the
/// engine's own steps keep their order).
fn merge<'a>(
    engine: &Engine,
    steps: &'a [TraceStep],
    all_on: Option<&'a kindly::Trace>,
    off: &TurnedOff<'_>,
) -> Vec<Step<'a>> {
    let mut merged: Vec<Step<'a>> = steps.iter().map(|step| Step { step, off: None }).collect();
    let Some(all_on) = all_on else {
        return merged;
    };
    let order: HashMap<&str, (usize, Category, bool)> = engine
        .rules()
        .enumerate()
        .map(|(i, r)| (r.id(), (i, r.category(), r.is_off())))
        .collect();
    let key = |s: &TraceStep| {
        (
            s.sentence.start,
            order.get(&*s.rule).map_or(usize::MAX, |o| o.0),
        )
    };
    for step in &all_on.steps {
        let Some(&(_, category, true)) = order.get(&*step.rule) else {
            continue;
        };
        let k = key(step);
        let at = merged
            .iter()
            .rposition(|m| key(m.step) <= k)
            .map_or(0, |i| i + 1);
        merged.insert(
            at,
            Step {
                step,
                off: Some(Off {
                    source: off
                        .source(&step.rule, category)
                        .unwrap_or_else(|| "this run's settings".to_string()),
                    phrase: off.by(&step.rule, category),
                }),
            },
        );
    }
    merged
}

#[allow(clippy::too_many_arguments)]
fn human(
    out: &mut impl Write,
    text: &str,
    steps: &[&Step<'_>],
    all_steps: &[Step<'_>],
    takes: &dyn Fn(&TraceStep) -> bool,
    privacy: &Privacy<'_>,
    args: &TraceArgs,
) -> Result<()> {
    let mut sentence = None;
    for shown in steps {
        let s = shown.step;
        if sentence != Some(s.sentence) {
            sentence = Some(s.sentence);
            // A sentence that holds crisis language is not quoted, as `kindly check` does not
            // quote the line of a support message.
            let crisis_words = (privacy.sentence)(s.sentence);
            let quoted = if crisis_words {
                paint(DIM, "(sentence withheld: it holds crisis language)")
            } else {
                sanitize(text[s.sentence.range()].trim())
            };
            writeln!(
                out,
                "{} {quoted}",
                paint(LOCATION, &format!("line {}:", first_line(s, all_steps))),
            )?;
        }
        let withheld = (privacy.words)(s);
        let what = match (s.matched, withheld) {
            (Some(m), true) => format!(
                "matched {} at {}:{} (crisis words withheld)",
                plural(text[m.range()].chars().count(), "character", "characters"),
                s.line,
                s.column
            ),
            (None, true) => format!("trigger at {}:{} (crisis words withheld)", s.line, s.column),
            (Some(m), false) => format!(
                "matched “{}” at {}:{}",
                sanitize(&text[m.range()]),
                s.line,
                s.column
            ),
            (None, false) => format!(
                "trigger “{}” at {}:{}",
                sanitize(&text[s.trigger.range()]),
                s.line,
                s.column
            ),
        };
        writeln!(out, "  {}  {what}", paint(CATEGORY, &s.rule))?;
        writeln!(out, "      {}", shown.describe())?;
        if let Some(e) = s.exception {
            let what = if withheld {
                "(crisis words withheld)".to_string()
            } else {
                format!("“{}”", sanitize(&text[e.matched.range()]))
            };
            writeln!(
                out,
                "      (exception {} of {} matched {what})",
                e.number, e.of
            )?;
        }
        if let Some(c) = s.classifier {
            writeln!(
                out,
                "      (classifier score {:.2}, threshold {:.2})",
                c.score, c.threshold
            )?;
        }
    }
    // What the list leaves out, so an empty list is never a mystery.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut hidden = 0;
    for s in all_steps {
        if takes(s.step) {
            *counts.entry(s.outcome()).or_default() += 1;
            if s.step.outcome == Outcome::NoMatch {
                hidden += 1;
            }
        }
    }
    let total: usize = counts.values().sum();
    if total == 0 {
        let whose = if args.rule.is_some() {
            "these rules'"
        } else {
            "any rule's"
        };
        writeln!(
            out,
            "{}",
            paint(
                DIM,
                &format!("no candidates: none of {whose} triggers is in the text")
            )
        )?;
        return Ok(());
    }
    let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let mut summary = format!(
        "{} ({})",
        plural(total, "candidate", "candidates"),
        parts.join(", ")
    );
    if hidden > 0 && !args.all && args.rule.is_none() {
        summary.push_str(&format!(
            "; {} whose pattern did not match not shown (--all or --rule shows them)",
            plural(hidden, "candidate", "candidates")
        ));
    }
    if !steps.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", paint(DIM, &summary))?;
    Ok(())
}

/// The line of the earliest candidate in `s`'s sentence.
fn first_line(s: &TraceStep, all: &[Step<'_>]) -> usize {
    all.iter()
        .filter(|o| o.step.sentence == s.sentence)
        .map(|o| o.step.line)
        .min()
        .unwrap_or(s.line)
}

/// No text and no file, and standard input is a terminal: reading it would wait in silence
/// (`-` named outright is read, as the user asked).
fn nothing_to_trace(args: &TraceArgs) -> bool {
    args.text.is_none() && args.file.is_none() && std::io::stdin().is_terminal()
}

/// The text to trace, whether to read it as Markdown, and whether a byte-order mark was taken
/// off its start.
fn read(args: &TraceArgs) -> Result<(String, bool, bool)> {
    // A lone `-` means standard input, as it does for `kindly check`; nobody traces a dash.
    if let Some(text) = args.text.as_ref().filter(|t| t.as_str() != "-") {
        return Ok((text.clone(), args.markdown, false));
    }
    let (display, source, markdown_ext) = match args.file.as_deref() {
        None => ("<stdin>".to_string(), Source::Stdin, false),
        Some(p) if p == Path::new("-") => ("<stdin>".to_string(), Source::Stdin, false),
        Some(p) => (
            p.display().to_string(),
            Source::File(p.to_path_buf()),
            inputs::is_markdown(p),
        ),
    };
    let input = Input {
        display,
        source,
        markdown_ext,
    };
    let text = inputs::read(&input, false)
        .map_err(|e| anyhow!("{}", inputs::with_path(&input.display, &e)))?;
    Ok((text.text, args.markdown || input.markdown_ext, text.bom))
}
