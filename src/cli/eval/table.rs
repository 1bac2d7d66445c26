//! The terminal report of `kindly eval`: plain, aligned tables (bold headings on a terminal).
//! Every text from a corpus is passed through `sanitize`, so a row cannot move the cursor.

use super::gate::Op;
use super::score::{Example, Scores};
use super::Report;
use crate::cli::term::{paint, plural, sanitize, DIM, EMPHASIS};
use std::fmt::Write;

/// How many rules turned off the header names; JSON lists them all.
const LISTED: usize = 10;

/// How many rules that never fired are named; JSON lists them all.
const NEVER_FIRED_LISTED: usize = 20;

/// Longest corpus text shown in an error list, in characters.
const TEXT_CHARS: usize = 240;

/// Short column names for the confusion table, in `Category::ALL` order, then `none`.
const CODES: [&str; 14] = [
    "lab", "cmp", "ovg", "aon", "shd", "cat", "mnd", "fut", "per", "dis", "emo", "att", "cri",
    "none",
];

/// A figure to three decimals, or `-` when undefined.
pub(crate) fn f3(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", 100.0 * v))
}

fn delta(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(a), Some(b)) => format!("{:+.3}", a - b),
        _ => "-".to_string(),
    }
}

fn heading(out: &mut String, text: &str) {
    let _ = writeln!(out, "\n{}", paint(EMPHASIS, text));
}

/// The whole terminal report.
pub(crate) fn render(r: &Report) -> String {
    let mut out = String::new();
    let s = &r.scores;
    let c = &r.corpus;
    let files = if c.files.len() == 1 {
        sanitize(&c.files[0])
    } else {
        format!("{} files", c.files.len())
    };
    let _ = writeln!(
        out,
        "{} {files}{}",
        paint(EMPHASIS, "kindly eval:"),
        c.map.as_ref().map_or_else(String::new, |m| format!(
            " (labels mapped by {})",
            sanitize(m)
        ))
    );
    let packs: Vec<String> = r
        .packs
        .iter()
        .map(|p| format!("{} {} ({} rules)", p.id, p.version, p.rules))
        .collect();
    let _ = writeln!(out, "packs: {}", packs.join(", "));
    if let Some(path) = &r.settings {
        let _ = writeln!(
            out,
            "Settings from {} (--no-config leaves them out).",
            sanitize(path)
        );
    }
    if !r.turned_off.is_empty() {
        let named: Vec<String> = r
            .turned_off
            .iter()
            .take(LISTED)
            .map(|t| format!("{} (by {})", t.rule, sanitize(&t.by)))
            .collect();
        let more = r.turned_off.len().saturating_sub(LISTED);
        let _ = writeln!(
            out,
            "turned off, not scored: {}{}",
            named.join(", "),
            if more > 0 {
                format!(" and {more} more; --format json lists them all")
            } else {
                String::new()
            }
        );
    }
    let mut rows = format!(
        "rows: {} scored ({} with self-talk, {} without)",
        s.rows.scored, s.rows.positives, s.rows.negatives
    );
    if c.map.is_some() || s.rows.ignored > 0 {
        let _ = write!(
            rows,
            "; {} not scored (labels all mapped to ignore), {} of them flagged",
            s.rows.ignored, s.rows.ignored_flagged
        );
    }
    let _ = write!(
        rows,
        "; {}",
        plural(c.bad_rows as usize, "bad row", "bad rows")
    );
    if c.blank_lines > 0 {
        let _ = write!(
            rows,
            "; {} skipped",
            plural(c.blank_lines as usize, "blank line", "blank lines")
        );
    }
    let _ = writeln!(out, "{rows}");
    if s.rows.none_and_category > 0 {
        let _ = writeln!(
            out,
            "{} rows carry a label mapped to none beside a category label; they are scored as positives",
            s.rows.none_and_category
        );
    }

    categories(&mut out, s);
    summary(&mut out, s);
    rules(&mut out, s);
    confusion(&mut out, s);
    errors(&mut out, s);
    misses(&mut out, s);
    if let Some(b) = &r.baseline {
        compare(&mut out, s, &b.scores, b);
    }
    if !r.fail_under.is_empty() {
        heading(&mut out, "--fail-under");
        for g in &r.fail_under {
            let _ = writeln!(
                out,
                "  {:<28} {} {:<8} {:>7}  {}",
                g.metric,
                match g.op {
                    Op::AtLeast => ">=",
                    Op::AtMost => "<=",
                },
                g.bound,
                f3(g.value),
                if g.ok { "ok" } else { "FAILED" }
            );
        }
    }
    out
}

fn categories(out: &mut String, s: &Scores) {
    heading(out, "per category");
    let _ = writeln!(
        out,
        "{:<24}{:>8}{:>6}{:>6}{:>6}{:>6}{:>11}{:>8}{:>8}",
        "category", "support", "pred", "TP", "FP", "FN", "precision", "recall", "F1"
    );
    for c in &s.categories {
        let _ = writeln!(
            out,
            "{:<24}{:>8}{:>6}{:>6}{:>6}{:>6}{:>11}{:>8}{:>8}",
            c.category,
            c.support,
            c.predicted,
            c.tp,
            c.fp,
            c.fn_,
            f3(c.precision),
            f3(c.recall),
            f3(c.f1)
        );
    }
    let m = &s.micro;
    let _ = writeln!(
        out,
        "{:<24}{:>8}{:>6}{:>6}{:>6}{:>6}{:>11}{:>8}{:>8}",
        "micro",
        "",
        "",
        m.tp,
        m.fp,
        m.fn_,
        f3(m.precision),
        f3(m.recall),
        f3(m.f1)
    );
    let _ = writeln!(
        out,
        "{:<24}{:>8}{:>6}{:>6}{:>6}{:>6}{:>11}{:>8}{:>8}",
        format!("macro ({} categories)", s.macro_.categories),
        "",
        "",
        "",
        "",
        "",
        f3(s.macro_.precision),
        f3(s.macro_.recall),
        f3(s.macro_.f1)
    );
    let t = &s.micro_with_tags;
    let _ = writeln!(
        out,
        "{:<24}{:>8}{:>6}{:>6}{:>6}{:>6}{:>11}{:>8}{:>8}",
        "micro, tags counted",
        "",
        "",
        t.tp,
        t.fp,
        t.fn_,
        f3(t.precision),
        f3(t.recall),
        f3(t.f1)
    );
}

fn summary(out: &mut String, s: &Scores) {
    let a = &s.any;
    heading(out, "any self-talk vs none");
    let _ = writeln!(
        out,
        "  precision {}  recall {}  F1 {}  (TP {}, FP {}, FN {}, TN {})",
        f3(a.precision),
        f3(a.recall),
        f3(a.f1),
        a.tp,
        a.fp,
        a.fn_,
        a.tn
    );
    let _ = writeln!(
        out,
        "  negatives flagged: {} of {} ({})",
        a.negatives_flagged,
        a.negatives,
        pct(a.negatives_flagged_rate)
    );
    let _ = writeln!(
        out,
        "  positives with a right category: {} of {} ({})",
        a.positives_with_right_category,
        a.positives,
        pct(super::score::ratio(
            a.positives_with_right_category,
            a.positives
        ))
    );
    let k = &s.crisis;
    let _ = writeln!(
        out,
        "{} {} of {} ({})  false alarms: {} ({} on texts without self-talk)",
        paint(EMPHASIS, "crisis recall:"),
        k.caught,
        k.gold,
        f3(k.recall),
        k.false_alarms,
        k.false_alarms_on_negatives
    );
}

fn rules(out: &mut String, s: &Scores) {
    heading(
        out,
        "per rule (texts it fired on; precision = share of them labelled with its category)",
    );
    let w = s
        .rules
        .iter()
        .map(|r| r.rule.len())
        .chain([4])
        .max()
        .unwrap_or(4)
        + 2;
    let _ = writeln!(
        out,
        "{:<w$}{:<22}{:>7}{:>10}{:>9}{:>11}",
        "rule", "category", "texts", "findings", "correct", "precision"
    );
    for r in &s.rules {
        let _ = writeln!(
            out,
            "{:<w$}{:<22}{:>7}{:>10}{:>9}{:>11}",
            r.rule,
            r.category,
            r.texts,
            r.findings,
            r.correct,
            f3(r.precision)
        );
    }
    if !s.rules_never_fired.is_empty() {
        let never = &s.rules_never_fired;
        let more = never.len().saturating_sub(NEVER_FIRED_LISTED);
        let _ = writeln!(
            out,
            "{}",
            paint(
                DIM,
                &format!(
                    "{} never fired: {}{}",
                    plural(never.len(), "rule", "rules"),
                    never[..never.len() - more].join(", "),
                    if more > 0 {
                        format!(" and {more} more; --format json lists them all")
                    } else {
                        String::new()
                    }
                )
            )
        );
    }
}

fn confusion(out: &mut String, s: &Scores) {
    heading(
        out,
        "confusion (rows: gold, columns: predicted; a text counts once per gold x predicted pair)",
    );
    let _ = write!(out, "{:<6}", "");
    for code in CODES {
        let _ = write!(out, "{code:>6}");
    }
    out.push('\n');
    for (i, row) in s.confusion.matrix.iter().enumerate() {
        let _ = write!(out, "{:<6}", CODES[i]);
        for n in row {
            if *n == 0 {
                let _ = write!(out, "{:>6}", ".");
            } else {
                let _ = write!(out, "{n:>6}");
            }
        }
        out.push('\n');
    }
    let legend: Vec<String> = CODES
        .iter()
        .zip(&s.confusion.labels)
        .map(|(code, label)| format!("{code}={label}"))
        .collect();
    let _ = writeln!(out, "{}", paint(DIM, &legend.join(" ")));
}

fn clip(text: &str) -> String {
    let clean = sanitize(text);
    if clean.chars().count() <= TEXT_CHARS {
        return clean;
    }
    let mut cut: String = clean.chars().take(TEXT_CHARS).collect();
    cut.push('…');
    cut
}

fn example(out: &mut String, e: &Example) {
    let id =
        e.id.as_ref()
            .map_or_else(String::new, |id| format!(" [{}]", sanitize(id)));
    let _ = writeln!(
        out,
        "    {}:{}{id}  \"{}\"",
        sanitize(&e.file),
        e.line,
        clip(&e.text)
    );
    let rules: Vec<String> = e
        .rules
        .iter()
        .map(|f| match &f.matched {
            Some(m) => format!("{} \"{}\"", f.rule, clip(m)),
            None => format!("{} ({})", f.rule, f.category),
        })
        .collect();
    let list = |v: &[&str]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let mut line = format!("gold: {}  predicted: {}", list(&e.gold), list(&e.predicted));
    if let Some(b) = &e.baseline_predicted {
        let _ = write!(line, "  (baseline: {})", list(b));
    }
    let _ = write!(
        line,
        "  rules: {}",
        if rules.is_empty() {
            "none fired".to_string()
        } else {
            rules.join("; ")
        }
    );
    let _ = writeln!(out, "      {}", paint(DIM, &line));
    if let Some(why) = &e.why_missed {
        let _ = writeln!(out, "      {}", paint(DIM, &format!("why missed: {why}")));
    }
}

/// `--why-missed`: the missed labels by reason, with the rules a filter or merge concerned.
fn misses(out: &mut String, s: &Scores) {
    let Some(m) = &s.misses else {
        return;
    };
    heading(
        out,
        &format!("why labels were missed ({} labels)", m.labels),
    );
    if m.reasons.is_empty() {
        let _ = writeln!(out, "  none was missed");
        return;
    }
    let width = m
        .reasons
        .iter()
        .map(|r| r.reason.chars().count())
        .max()
        .unwrap_or(0);
    for r in &m.reasons {
        let pad = width - r.reason.chars().count();
        let _ = writeln!(out, "  {}{}  {:>6}", r.reason, " ".repeat(pad), r.labels);
        if !r.rules.is_empty() {
            let shown: Vec<String> = r
                .rules
                .iter()
                .take(5)
                .map(|x| format!("{} {}", x.rule, x.labels))
                .collect();
            let more = if r.rules.len() > 5 {
                format!(", {} more rules", r.rules.len() - 5)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "    {}",
                paint(DIM, &format!("{}{more}", shown.join(", ")))
            );
        }
    }
}

fn errors(out: &mut String, s: &Scores) {
    if s.errors.is_empty() {
        return;
    }
    heading(out, "errors");
    for ce in &s.errors {
        let totals = s.categories.iter().find(|c| c.category == ce.category);
        let (fp, fn_) = totals.map_or((0, 0), |c| (c.fp, c.fn_));
        if !ce.false_positives.is_empty() {
            let _ = writeln!(
                out,
                "  {}: false positives ({} of {fp} shown)",
                ce.category,
                ce.false_positives.len()
            );
            for e in &ce.false_positives {
                example(out, e);
            }
        }
        if !ce.false_negatives.is_empty() {
            let _ = writeln!(
                out,
                "  {}: false negatives ({} of {fn_} shown)",
                ce.category,
                ce.false_negatives.len()
            );
            for e in &ce.false_negatives {
                example(out, e);
            }
        }
    }
}

fn compare(out: &mut String, now: &Scores, before: &Scores, b: &super::Baseline) {
    let packs: Vec<String> = b
        .packs
        .iter()
        .map(|p| format!("{} {}", p.id, p.version))
        .collect();
    heading(
        out,
        &format!("change from the baseline ({})", packs.join(", ")),
    );
    let _ = writeln!(
        out,
        "{:<24}{:>9}{:>9}{:>9}{:>9}{:>9}",
        "category", "F1 base", "F1 now", "dF1", "dP", "dR"
    );
    for (c, o) in now.categories.iter().zip(&before.categories) {
        let _ = writeln!(
            out,
            "{:<24}{:>9}{:>9}{:>9}{:>9}{:>9}",
            c.category,
            f3(o.f1),
            f3(c.f1),
            delta(c.f1, o.f1),
            delta(c.precision, o.precision),
            delta(c.recall, o.recall)
        );
    }
    let row = |out: &mut String, name: &str, a: Option<f64>, b: Option<f64>| {
        let _ = writeln!(
            out,
            "{:<24}{:>9}{:>9}{:>9}",
            name,
            f3(b),
            f3(a),
            delta(a, b)
        );
    };
    row(out, "micro F1", now.micro.f1, before.micro.f1);
    row(out, "macro F1", now.macro_.f1, before.macro_.f1);
    row(out, "any self-talk F1", now.any.f1, before.any.f1);
    row(
        out,
        "negatives flagged",
        now.any.negatives_flagged_rate,
        before.any.negatives_flagged_rate,
    );
    row(
        out,
        "crisis recall",
        now.crisis.recall,
        before.crisis.recall,
    );
    let ch = &b.changes;
    let _ = writeln!(
        out,
        "texts: {} better, {} worse, {} changed with as many errors, {} unchanged",
        ch.improved, ch.worsened, ch.changed_same_errors, ch.unchanged
    );
    if !ch.improved_examples.is_empty() {
        let _ = writeln!(out, "  better ({} shown):", ch.improved_examples.len());
        for e in &ch.improved_examples {
            example(out, e);
        }
    }
    if !ch.worsened_examples.is_empty() {
        let _ = writeln!(out, "  worse ({} shown):", ch.worsened_examples.len());
        for e in &ch.worsened_examples {
            example(out, e);
        }
    }
}
