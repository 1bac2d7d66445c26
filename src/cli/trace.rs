//! `kindly trace`: what every rule did with a text, for rule authors.

use super::args::{ListFormat, TraceArgs};
use super::inputs::{self, Input, Source};
use super::term::{paint, plural, sanitize, CATEGORY, DIM, LOCATION};
use super::Status;
use anyhow::{anyhow, Result};
use kindly::{Engine, Outcome, TraceStep};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// One step as `--format json` writes it (byte offsets, plus the start's line and column). The
/// offsets are into the text or file traced, a file's byte-order mark included, as in
/// `kindly check --format json` (`inputs::count_bom`).
#[derive(Serialize)]
struct JsonStep<'a> {
    rule: &'a str,
    outcome: &'static str,
    /// The context filter, for `dropped`; the winning rule, for `merged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    explanation: String,
    line: usize,
    column: usize,
    sentence: [usize; 2],
    trigger: [usize; 2],
    matched: Option<[usize; 2]>,
    trigger_text: &'a str,
    matched_text: Option<&'a str>,
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
    matched_text: &'a str,
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

pub(crate) fn run(engine: &Engine, args: &TraceArgs) -> Result<Status> {
    let (text, markdown, bom) = read(args)?;
    // The engine traced the text after a file's byte-order mark; offsets shown are the file's.
    let skipped = if bom { inputs::BOM.len() } else { 0 };
    let at = |s: kindly::Span| [s.start + skipped, s.end + skipped];
    let trace = engine.trace(&text, markdown);
    let wanted = |s: &TraceStep| {
        let rule_ok = args.rule.as_deref().is_none_or(|r| s.rule.starts_with(r));
        let shown = args.all || args.rule.is_some() || s.outcome != Outcome::NoMatch;
        rule_ok && shown
    };
    if let Some(r) = &args.rule {
        if !engine.rules().any(|info| info.id().starts_with(r.as_str())) {
            return Err(anyhow!(
                "no loaded rule id starts with '{r}'; `kindly rules` lists them"
            ));
        }
    }
    let steps: Vec<&TraceStep> = trace.steps.iter().filter(|s| wanted(s)).collect();
    let mut out = anstream::stdout().lock();
    match args.format {
        ListFormat::Json => {
            let rows: Vec<JsonStep<'_>> = steps
                .iter()
                .map(|s| {
                    let (outcome, detail) = outcome_name(&s.outcome);
                    JsonStep {
                        rule: &s.rule,
                        outcome,
                        detail,
                        explanation: s.outcome.describe(),
                        line: s.line,
                        column: s.column,
                        sentence: at(s.sentence),
                        trigger: at(s.trigger),
                        matched: s.matched.map(at),
                        trigger_text: &text[s.trigger.range()],
                        matched_text: s.matched.map(|m| &text[m.range()]),
                        exception: s.exception.map(|e| JsonException {
                            number: e.number,
                            of: e.of,
                            matched: at(e.matched),
                            matched_text: &text[e.matched.range()],
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
        ListFormat::Human => human(&mut out, &text, &steps, &trace.steps, args)?,
    }
    Ok(if trace.analysis.findings.is_empty() {
        Status::Clean
    } else {
        Status::Found
    })
}

fn human(
    out: &mut impl Write,
    text: &str,
    steps: &[&TraceStep],
    all_steps: &[TraceStep],
    args: &TraceArgs,
) -> Result<()> {
    let mut sentence = None;
    for s in steps {
        if sentence != Some(s.sentence) {
            sentence = Some(s.sentence);
            writeln!(
                out,
                "{} {}",
                paint(LOCATION, &format!("line {}:", first_line(s, all_steps))),
                sanitize(text[s.sentence.range()].trim())
            )?;
        }
        let what = match s.matched {
            Some(m) => format!(
                "matched “{}” at {}:{}",
                sanitize(&text[m.range()]),
                s.line,
                s.column
            ),
            None => format!(
                "trigger “{}” at {}:{}",
                sanitize(&text[s.trigger.range()]),
                s.line,
                s.column
            ),
        };
        writeln!(out, "  {}  {what}", paint(CATEGORY, &s.rule))?;
        writeln!(out, "      {}", s.outcome.describe())?;
        if let Some(e) = s.exception {
            writeln!(
                out,
                "      (exception {} of {} matched “{}”)",
                e.number,
                e.of,
                sanitize(&text[e.matched.range()])
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
    for s in all_steps {
        if args.rule.as_deref().is_none_or(|r| s.rule.starts_with(r)) {
            *counts.entry(outcome_name(&s.outcome).0).or_default() += 1;
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
    let hidden = counts.get("no-match").copied().unwrap_or(0);
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
fn first_line(s: &TraceStep, all: &[TraceStep]) -> usize {
    all.iter()
        .filter(|o| o.sentence == s.sentence)
        .map(|o| o.line)
        .min()
        .unwrap_or(s.line)
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
    let text = inputs::read(&input, false).map_err(|e| anyhow!("{}: {e}", input.display))?;
    Ok((text.text, args.markdown || input.markdown_ext, text.bom))
}
