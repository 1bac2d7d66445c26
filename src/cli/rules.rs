//! `kindly rules`, `kindly explain` and `kindly test-rules`: looking at the rules themselves.

use super::args::{ListFormat, RulesArgs};
use super::config::TurnedOff;
use super::term::{paint, plural, sanitize, wrap, CATEGORY, DIM, ERROR, KIND, LOCATION};
use super::Status;
use anyhow::Result;
use kindly::{Category, Engine, RuleInfo};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Write;

#[derive(Serialize)]
struct RuleRow<'a> {
    id: &'a str,
    category: Category,
    severity: kindly::Severity,
    tier: Option<kindly::CrisisTier>,
    pack: &'a str,
    location: String,
    /// Turned off by --disable-category or --disable-rule.
    off: bool,
}

fn location(r: &RuleInfo<'_>) -> String {
    let l = r.location();
    format!("{}:{}:{}", l.file, l.line, l.column)
}

/// `kindly rules` and `kindly rules --triggers`.
/// `kindly rules`. `settings` is the settings file in use, which the human list names (it may
/// turn rules off or add packs that the command line does not show).
pub(crate) fn list(
    engine: &Engine,
    args: &RulesArgs,
    settings: Option<&std::path::Path>,
) -> Result<Status> {
    let mut out = anstream::stdout().lock();
    if args.triggers {
        let literals: BTreeSet<&str> = engine.trigger_literals().collect();
        match args.format {
            ListFormat::Human => {
                for l in literals {
                    writeln!(out, "{l}")?;
                }
            }
            ListFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &literals)?;
                writeln!(out)?;
            }
        }
        return Ok(Status::Clean);
    }
    let rows: Vec<RuleRow<'_>> = engine
        .rules()
        .map(|r| RuleRow {
            id: r.id(),
            category: r.category(),
            severity: r.severity(),
            tier: r.tier(),
            pack: r.pack(),
            location: location(&r),
            off: r.is_off(),
        })
        .collect();
    match args.format {
        ListFormat::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                version: u32,
                rules: Vec<RuleRow<'a>>,
            }
            let doc = Doc {
                version: super::json::VERSION,
                rules: rows,
            };
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        ListFormat::Human => {
            let w_id = rows
                .iter()
                .map(|r| r.id.len())
                .chain([2])
                .max()
                .unwrap_or(2);
            let w_cat = rows
                .iter()
                .map(|r| r.category.id().len())
                .chain([8])
                .max()
                .unwrap_or(8);
            let w_sev = 8;
            let header = format!(
                "{:<w_id$}  {:<w_cat$}  {:<w_sev$}  PACK",
                "ID", "CATEGORY", "SEVERITY"
            );
            writeln!(out, "{}", paint(DIM, &header))?;
            for r in &rows {
                // Pad before painting, so colour codes do not upset the columns.
                let off = if r.off {
                    format!("  {}", paint(DIM, "(turned off)"))
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "{:<w_id$}  {}  {:<w_sev$}  {}{off}",
                    r.id,
                    paint(CATEGORY, &format!("{:<w_cat$}", r.category.id())),
                    r.severity.id(),
                    r.pack
                )?;
            }
            if let Some(net) = engine.packs().find(|p| p.kept_for_safety()) {
                let why = format!(
                    "The {} crisis rules of the built-in pack {} stay on: no loaded pack has crisis rules of its own, and crisis language is always caught (README, Safety).",
                    net.rule_count(),
                    net.id()
                );
                writeln!(out, "{}", paint(DIM, &why))?;
            }
            if let Some(path) = settings {
                let from = format!(
                    "Settings from {} (--no-config leaves them out).",
                    path.display()
                );
                writeln!(out, "{}", paint(DIM, &from))?;
            }
        }
    }
    Ok(Status::Clean)
}

/// `kindly explain RULE_ID` (or a category id: its rules). `off` says what turned a rule off.
pub(crate) fn explain(engine: &Engine, id: &str, off: &TurnedOff<'_>) -> Result<Status> {
    let mut out = anstream::stdout().lock();
    if let Some(rule) = engine.rule(id) {
        write!(out, "{}", explain_text(&rule, off))?;
        return Ok(Status::Clean);
    }
    if let Some(category) = Category::from_id(id) {
        writeln!(
            out,
            "{}  {}",
            paint(CATEGORY, category.id()),
            paint(DIM, &format!("({})", category.gentle_name()))
        )?;
        let rules: Vec<RuleInfo<'_>> = engine
            .rules()
            .filter(|r| r.category() == category)
            .collect();
        if rules.is_empty() {
            writeln!(out, "  no loaded rule has this category")?;
        }
        for r in rules {
            let state = if r.is_off() {
                format!("  {}", off.by(r.id(), r.category()))
            } else {
                String::new()
            };
            writeln!(
                out,
                "  {}  {}",
                r.id(),
                paint(DIM, &format!("{}{state}", location(&r)))
            )?;
        }
        writeln!(out, "\nSee `kindly explain RULE_ID` for one rule.")?;
        return Ok(Status::Clean);
    }
    let close = engine.similar_rules(id);
    let mut err = anstream::stderr().lock();
    let shown = sanitize(id);
    if close.is_empty() {
        writeln!(
            err,
            "{} no rule '{shown}' (`kindly rules` lists every rule)",
            paint(ERROR, "kindly:")
        )?;
    } else {
        writeln!(
            err,
            "{} no rule '{shown}'{}",
            paint(ERROR, "kindly:"),
            kindly::did_you_mean(&close)
        )?;
    }
    Ok(Status::Trouble)
}

fn section(out: &mut String, title: &str) {
    out.push('\n');
    out.push_str(&paint(KIND, title));
    out.push('\n');
}

/// Shown under a `why` that cites DOMAIN.md.
const DOMAIN_MD_NOTE: &str = "  (DOMAIN.md sections: see docs/DOMAIN.md in kindly's source)";

fn explain_text(rule: &RuleInfo<'_>, off: &TurnedOff<'_>) -> String {
    let mut out = String::new();
    let category = rule.category();
    out.push_str(&paint(LOCATION, rule.id()));
    out.push('\n');
    let mut field = |name: &str, value: &str| {
        out.push_str(&format!("  {:<10}{value}\n", format!("{name}:")));
    };
    field(
        "category",
        &format!("{} ({})", category.id(), category.gentle_name()),
    );
    match rule.tier() {
        Some(t) => field(
            "severity",
            &format!("{} (tier {})", rule.severity(), t.id()),
        ),
        // The rule's severity is where a finding starts: an intensifier ("so lazy") raises it
        // a step and a hedge ("a bit lazy") lowers it, so findings can differ from this line.
        None => field(
            "severity",
            &match rule.severity() {
                kindly::Severity::Low => {
                    "low (moderate when intensified, as in “so …”; rules/README.md §7.3)"
                        .to_string()
                }
                kindly::Severity::Moderate => "moderate (high when intensified, as in “so …”, \
                     low when hedged, as in “a bit …”; rules/README.md §7.3)"
                    .to_string(),
                kindly::Severity::High => {
                    "high (moderate when hedged, as in “a bit …”; rules/README.md §7.3)".to_string()
                }
                other => other.id().to_string(),
            },
        ),
    }
    field("pack", rule.pack());
    field("defined", &location(rule));
    if rule.is_off() {
        field("status", &off.by(rule.id(), category));
    }
    field("message", rule.message());
    if let Some(why) = rule.why() {
        section(&mut out, "why");
        out.push_str(&wrap(why, 76, "  "));
        // The built-in rules cite the project's guide to the categories by name and section
        // ("DOMAIN.md §2.1"); say where that file is, since it is not beside the binary.
        if why.contains("DOMAIN.md") {
            out.push_str(&paint(DIM, DOMAIN_MD_NOTE));
            out.push('\n');
        }
    }
    section(&mut out, "triggers");
    for t in rule.triggers() {
        out.push_str(&format!("  {t}\n"));
    }
    if let Some(p) = rule.pattern() {
        section(&mut out, "pattern");
        out.push_str(&format!("  {p}\n"));
    }
    if let Some(c) = rule.classifier() {
        section(&mut out, "classifier");
        out.push_str(&format!("  {c}\n"));
    }
    section(&mut out, "flags (the [marked] words)");
    for e in rule.flag_examples() {
        out.push_str(&format!("  {e}\n"));
    }
    section(&mut out, "does not flag");
    for e in rule.pass_examples() {
        out.push_str(&format!("  {e}\n"));
    }
    let reframes: Vec<(&str, &[String])> = rule.reframe_templates_when().collect();
    if category == Category::Crisis {
        section(&mut out, "instead of reframes");
        out.push_str(
            "  a calm support message with resources (crisis rules never carry reframes)\n",
        );
    } else if !reframes.is_empty() {
        section(&mut out, "reframes (templates)");
        for (r, when) in reframes {
            out.push_str(&format!("  {r}\n"));
            if !when.is_empty() {
                out.push_str(&format!(
                    "    (only when the flagged words hold: {})\n",
                    when.join(", ")
                ));
            }
        }
    }
    out
}

/// `kindly test-rules`: run the embedded examples of `packs` (all loaded rules when empty).
pub(crate) fn test_rules(engine: &Engine, packs: &[String]) -> Result<Status> {
    let names: Vec<&str> = packs.iter().map(String::as_str).collect();
    let report = engine.test_examples(&names);
    // A pack named to be tested that has no rules passes with nothing tested: say so, so an
    // empty or half-written pack does not pass a CI job unnoticed. (Not a failure: a pack may
    // hold only support resources for a locale.)
    for pack in engine
        .packs()
        .filter(|p| names.contains(&p.id()) && p.rule_count() == 0)
    {
        writeln!(
            anstream::stderr(),
            "{} pack '{}' ({}) has no rules: nothing in it was tested",
            paint(ERROR, "kindly:"),
            pack.id(),
            pack.files().first().map_or("", String::as_str)
        )?;
    }
    let mut out = anstream::stdout().lock();
    for failure in &report.failures {
        writeln!(out, "{failure}\n")?;
    }
    let mut line = format!(
        "{}, {}, {} failed",
        plural(report.rules, "rule", "rules"),
        plural(report.examples, "example", "examples"),
        report.failures.len()
    );
    if report.turned_off > 0 {
        line.push_str(&format!(
            " ({} turned off, not tested)",
            plural(report.turned_off, "rule", "rules")
        ));
    }
    if report.kept_for_safety > 0 {
        line.push_str(&format!(
            " (and {} built-in crisis {} kept on for safety, not tested here)",
            report.kept_for_safety,
            if report.kept_for_safety == 1 {
                "rule"
            } else {
                "rules"
            }
        ));
    }
    if report.passed() {
        writeln!(out, "{line}")?;
        Ok(Status::Clean)
    } else {
        writeln!(out, "{}", paint(ERROR, &line))?;
        Ok(Status::Found)
    }
}
