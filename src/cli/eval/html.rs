//! `--html FILE`: the report as one self-contained page for people who will not open a
//! terminal. Inline CSS, an inline SVG bar chart, `<details>` for the long lists; no script,
//! no fonts, no images, no links, and a Content-Security-Policy that forbids loading anything,
//! so opening it makes no request. Every corpus text is escaped.

use super::score::{Example, Scores};
use super::table::f3;
use super::Report;
use std::fmt::Write;

const STYLE: &str = "
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2933;max-width:1100px;margin:2em auto;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #d9e2ec;padding-bottom:.2em}
.muted{color:#627d98}.cards{display:flex;flex-wrap:wrap;gap:1em;margin:1.5em 0}
.card{flex:1 1 200px;border:1px solid #d9e2ec;border-radius:8px;padding:.8em 1em;background:#f8fafc}
.card .big{font-size:2em;font-weight:600}.card p{margin:.2em 0;font-size:.9em}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{padding:.25em .6em;border-bottom:1px solid #e4e7eb;text-align:right}
th{background:#f0f4f8}td.l,th.l{text-align:left}.ok{color:#1e7b34}.bad{color:#b42318;font-weight:600}
.up{color:#1e7b34}.down{color:#b42318}details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
.ex{border-left:3px solid #d9e2ec;margin:.5em 0 .5em .5em;padding:.2em .8em}.ex q{display:block;white-space:pre-wrap}
.ex small{color:#627d98}code{font-size:.9em}
";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |v| format!("{:.1}%", 100.0 * v))
}

/// The whole page.
pub(crate) fn render(r: &Report) -> String {
    let s = &r.scores;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>kindly eval report</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(h, "<h1>How well kindly's rules notice harsh self-talk</h1>");
    let files: Vec<String> = r.corpus.files.iter().map(|f| esc(f)).collect();
    let packs: Vec<String> = r
        .packs
        .iter()
        .map(|p| format!("{} {} ({} rules)", esc(&p.id), esc(&p.version), p.rules))
        .collect();
    let _ = writeln!(
        h,
        "<p class=\"muted\">Corpus: {}{}<br>Rule packs: {}<br>{} texts scored ({} with self-talk, {} without), {} not scored (labels all ignored), {} bad rows.</p>",
        files.join(", "),
        r.corpus
            .map
            .as_ref()
            .map_or_else(String::new, |m| format!(" (labels mapped by {})", esc(m))),
        match &r.settings {
            Some(path) => format!(
                "{}<br>Settings from {} ({} turned off)",
                packs.join(", "),
                esc(path),
                if r.turned_off.len() == 1 {
                    "1 rule".to_string()
                } else {
                    format!("{} rules", r.turned_off.len())
                }
            ),
            None => packs.join(", "),
        },
        s.rows.scored,
        s.rows.positives,
        s.rows.negatives,
        s.rows.ignored,
        r.corpus.bad_rows
    );
    cards(&mut h, s);
    if !r.fail_under.is_empty() {
        let _ = writeln!(h, "<h2>Quality bounds (<code>--fail-under</code>)</h2><table><tr><th class=\"l\">metric</th><th>bound</th><th>value</th><th class=\"l\">result</th></tr>");
        for g in &r.fail_under {
            let _ = writeln!(
                h,
                "<tr><td class=\"l\">{}</td><td>{} {}</td><td>{}</td><td class=\"l {}\">{}</td></tr>",
                esc(&g.metric),
                match g.op {
                    super::gate::Op::AtLeast => "≥",
                    super::gate::Op::AtMost => "≤",
                },
                g.bound,
                f3(g.value),
                if g.ok { "ok" } else { "bad" },
                if g.ok { "met" } else { "NOT MET" }
            );
        }
        h.push_str("</table>\n");
    }
    let _ = writeln!(
        h,
        "<h2>Precision and recall per category</h2><p>Precision: of the texts kindly put in a category, the share that really belong there. Recall: of the texts that belong in a category, the share kindly noticed. Longer bars are better.</p>"
    );
    h.push_str(&chart(s));
    category_table(&mut h, s);
    if let Some(b) = &r.baseline {
        compare(&mut h, s, b);
    }
    errors(&mut h, s);
    misses(&mut h, s);
    rules(&mut h, s);
    confusion(&mut h, s);
    if r.corpus.bad_rows > 0 {
        let _ = writeln!(
            h,
            "<h2>Rows that could not be read</h2><p>{} rows were skipped (the first {} are listed).</p><details><summary>Bad rows</summary><table><tr><th class=\"l\">where</th><th class=\"l\">problem</th></tr>",
            r.corpus.bad_rows,
            r.corpus.bad_rows_listed.len()
        );
        for b in &r.corpus.bad_rows_listed {
            let _ = writeln!(
                h,
                "<tr><td class=\"l\">{}:{}</td><td class=\"l\">{}</td></tr>",
                esc(&b.file),
                b.line,
                esc(&b.reason)
            );
        }
        h.push_str("</table></details>\n");
    }
    definitions(&mut h);
    h.push_str("</body></html>\n");
    h
}

fn cards(h: &mut String, s: &Scores) {
    let a = &s.any;
    let k = &s.crisis;
    h.push_str("<div class=\"cards\">");
    let card = |h: &mut String, big: String, title: &str, text: String| {
        let _ = write!(
            h,
            "<div class=\"card\"><div class=\"big\">{big}</div><p><b>{title}</b></p><p>{text}</p></div>"
        );
    };
    card(
        h,
        pct(a.recall),
        "harsh self-talk noticed",
        format!(
            "{} of {} texts with self-talk got at least one note ({} with a right category).",
            a.tp, a.positives, a.positives_with_right_category
        ),
    );
    card(
        h,
        pct(a.negatives_flagged_rate),
        "false alarms",
        format!(
            "{} of {} texts without self-talk got a note anyway.",
            a.negatives_flagged, a.negatives
        ),
    );
    card(
        h,
        pct(k.recall),
        "crisis language caught",
        format!(
            "{} of {} crisis texts got the support message. Target: all of them.",
            k.caught, k.gold
        ),
    );
    card(
        h,
        f3(s.micro.f1),
        "overall F1 (micro)",
        format!(
            "Balances missed and wrong categories over all texts; 1.0 is perfect. Macro F1: {}.",
            f3(s.macro_.f1)
        ),
    );
    h.push_str("</div>\n");
}

/// Horizontal grouped bars: precision and recall for each category, on a 0 to 1 scale.
fn chart(s: &Scores) -> String {
    const LABEL: f64 = 190.0;
    const WIDTH: f64 = 480.0;
    const ROW: f64 = 40.0;
    const TOP: f64 = 34.0;
    let height = TOP + ROW * s.categories.len() as f64 + 24.0;
    let total = LABEL + WIDTH + 70.0;
    let mut g = String::new();
    let _ = write!(
        g,
        "<svg role=\"img\" aria-label=\"Precision and recall per category\" viewBox=\"0 0 {total} {height}\" width=\"{total}\" height=\"{height}\" style=\"max-width:100%;height:auto;font-family:inherit\">"
    );
    // Legend.
    let _ = write!(
        g,
        "<rect x=\"{LABEL}\" y=\"6\" width=\"14\" height=\"12\" fill=\"#3b82c4\"/><text x=\"{}\" y=\"16\" font-size=\"13\">precision</text>\
         <rect x=\"{}\" y=\"6\" width=\"14\" height=\"12\" fill=\"#e8a33d\"/><text x=\"{}\" y=\"16\" font-size=\"13\">recall</text>",
        LABEL + 20.0,
        LABEL + 110.0,
        LABEL + 130.0
    );
    // Grid lines at 0, 0.25, ... 1.
    for i in 0..=4 {
        let x = LABEL + WIDTH * f64::from(i) / 4.0;
        let _ = write!(
            g,
            "<line x1=\"{x}\" y1=\"{TOP}\" x2=\"{x}\" y2=\"{}\" stroke=\"#d9e2ec\"/><text x=\"{x}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#627d98\">{:.2}</text>",
            height - 20.0,
            height - 6.0,
            f64::from(i) / 4.0
        );
    }
    for (i, c) in s.categories.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = write!(
            g,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\">{} <tspan fill=\"#627d98\">({})</tspan></text>",
            LABEL - 8.0,
            y + 22.0,
            esc(c.category),
            c.support
        );
        for (j, (value, colour)) in [(c.precision, "#3b82c4"), (c.recall, "#e8a33d")]
            .into_iter()
            .enumerate()
        {
            let by = y + 6.0 + 14.0 * j as f64;
            let w = value.map_or(0.0, |v| WIDTH * v.clamp(0.0, 1.0));
            let _ = write!(
                g,
                "<rect x=\"{LABEL}\" y=\"{by}\" width=\"{w:.1}\" height=\"12\" fill=\"{colour}\"><title>{} {}: {}</title></rect>\
                 <text x=\"{:.1}\" y=\"{}\" font-size=\"11\" fill=\"#334e68\">{}</text>",
                esc(c.category),
                if j == 0 { "precision" } else { "recall" },
                f3(value),
                LABEL + w + 4.0,
                by + 10.0,
                f3(value)
            );
        }
    }
    g.push_str("</svg>\n");
    g
}

fn category_table(h: &mut String, s: &Scores) {
    h.push_str("<table><tr><th class=\"l\">category</th><th>texts labelled</th><th>texts predicted</th><th>right (TP)</th><th>wrong (FP)</th><th>missed (FN)</th><th>precision</th><th>recall</th><th>F1</th></tr>\n");
    for c in &s.categories {
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(c.category), c.support, c.predicted, c.tp, c.fp, c.fn_, f3(c.precision), f3(c.recall), f3(c.f1)
        );
    }
    let m = &s.micro;
    let _ = writeln!(
        h,
        "<tr><th class=\"l\">micro average</th><th></th><th></th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        m.tp, m.fp, m.fn_, f3(m.precision), f3(m.recall), f3(m.f1)
    );
    let _ = writeln!(
        h,
        "<tr><th class=\"l\">macro average ({} categories)</th><th></th><th></th><th></th><th></th><th></th><th>{}</th><th>{}</th><th>{}</th></tr>",
        s.macro_.categories, f3(s.macro_.precision), f3(s.macro_.recall), f3(s.macro_.f1)
    );
    let t = &s.micro_with_tags;
    let _ = writeln!(
        h,
        "<tr><td class=\"l\">micro, secondary tags counted</td><td></td><td></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
        t.tp, t.fp, t.fn_, f3(t.precision), f3(t.recall), f3(t.f1)
    );
    let a = &s.any;
    let k = &s.crisis;
    let _ = writeln!(
        h,
        "<p>Any self-talk against none: precision {}, recall {}, F1 {} (TP {}, FP {}, FN {}, TN {}). Negatives flagged: {} of {} ({}). Crisis recall: {} of {} ({}); crisis support shown on {} texts not labelled crisis ({} of them without any self-talk).</p>",
        f3(a.precision), f3(a.recall), f3(a.f1), a.tp, a.fp, a.fn_, a.tn,
        a.negatives_flagged, a.negatives, pct(a.negatives_flagged_rate),
        k.caught, k.gold, f3(k.recall), k.false_alarms, k.false_alarms_on_negatives
    );
}

fn delta_cell(now: Option<f64>, before: Option<f64>, lower_is_better: bool) -> String {
    match (now, before) {
        (Some(a), Some(b)) => {
            let d = a - b;
            let good = if lower_is_better { d < 0.0 } else { d > 0.0 };
            let class = if d.abs() < 1e-12 {
                ""
            } else if good {
                "up"
            } else {
                "down"
            };
            format!("<td class=\"{class}\">{d:+.3}</td>")
        }
        _ => "<td>–</td>".to_string(),
    }
}

fn compare(h: &mut String, s: &Scores, b: &super::Baseline) {
    let o = &b.scores;
    let packs: Vec<String> = b
        .packs
        .iter()
        .map(|p| format!("{} {}", esc(&p.id), esc(&p.version)))
        .collect();
    let _ = writeln!(
        h,
        "<h2>Change from the baseline</h2><p>Baseline packs: {}. Green is better.</p><table><tr><th class=\"l\">category</th><th>F1 before</th><th>F1 now</th><th>change in F1</th><th>in precision</th><th>in recall</th></tr>",
        packs.join(", ")
    );
    for (c, p) in s.categories.iter().zip(&o.categories) {
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td>{}{}{}</tr>",
            esc(c.category),
            f3(p.f1),
            f3(c.f1),
            delta_cell(c.f1, p.f1, false),
            delta_cell(c.precision, p.precision, false),
            delta_cell(c.recall, p.recall, false)
        );
    }
    let rows: [(&str, Option<f64>, Option<f64>, bool); 5] = [
        ("micro F1", s.micro.f1, o.micro.f1, false),
        ("macro F1", s.macro_.f1, o.macro_.f1, false),
        ("any self-talk F1", s.any.f1, o.any.f1, false),
        (
            "negatives flagged",
            s.any.negatives_flagged_rate,
            o.any.negatives_flagged_rate,
            true,
        ),
        ("crisis recall", s.crisis.recall, o.crisis.recall, false),
    ];
    for (name, now, before, lower) in rows {
        let _ = writeln!(
            h,
            "<tr><th class=\"l\">{name}</th><th>{}</th><th>{}</th>{}<td></td><td></td></tr>",
            f3(before),
            f3(now),
            delta_cell(now, before, lower)
        );
    }
    h.push_str("</table>\n");
    let ch = &b.changes;
    let _ = writeln!(
        h,
        "<p>{} texts got better, {} got worse, {} changed with as many errors, {} did not change.</p>",
        ch.improved, ch.worsened, ch.changed_same_errors, ch.unchanged
    );
    for (title, list) in [
        ("Texts that got better", &ch.improved_examples),
        ("Texts that got worse", &ch.worsened_examples),
    ] {
        if !list.is_empty() {
            let _ = writeln!(
                h,
                "<details><summary>{title} ({} shown)</summary>",
                list.len()
            );
            for e in list {
                example(h, e);
            }
            h.push_str("</details>\n");
        }
    }
}

fn example(h: &mut String, e: &Example) {
    let list = |v: &[&str]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let rules: Vec<String> = e
        .rules
        .iter()
        .map(|f| match &f.matched {
            Some(m) => format!("<code>{}</code> on “{}”", esc(&f.rule), esc(m)),
            None => format!("<code>{}</code> ({})", esc(&f.rule), esc(f.category)),
        })
        .collect();
    let _ = writeln!(
        h,
        "<div class=\"ex\"><q>{}</q><small>{}:{}{} · labelled: {} · kindly: {}{} · rules: {}{}</small></div>",
        esc(&e.text),
        esc(&e.file),
        e.line,
        e.id
            .as_ref()
            .map_or_else(String::new, |id| format!(" [{}]", esc(id))),
        esc(&list(&e.gold)),
        esc(&list(&e.predicted)),
        e.baseline_predicted
            .as_ref()
            .map_or_else(String::new, |b| format!(" (baseline: {})", esc(&list(b)))),
        if rules.is_empty() {
            "none fired".to_string()
        } else {
            rules.join("; ")
        },
        e.why_missed
            .as_ref()
            .map_or_else(String::new, |w| format!(" · why missed: {}", esc(w)))
    );
}

/// `--why-missed`: the missed labels by reason.
fn misses(h: &mut String, s: &Scores) {
    let Some(m) = &s.misses else {
        return;
    };
    let _ = writeln!(
        h,
        "<h2>Why labels were missed</h2><p>For each of the {} missed labels, the furthest any rule of its category got with the text.</p><table><tr><th class=\"l\">reason</th><th>labels</th><th class=\"l\">rules</th></tr>",
        m.labels
    );
    for r in &m.reasons {
        let rules: Vec<String> = r
            .rules
            .iter()
            .map(|x| format!("<code>{}</code> {}", esc(&x.rule), x.labels))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            esc(&r.reason),
            r.labels,
            rules.join(", ")
        );
    }
    h.push_str("</table>\n");
}

fn errors(h: &mut String, s: &Scores) {
    if s.errors.is_empty() {
        return;
    }
    h.push_str("<h2>Examples of mistakes</h2><p>Wrong: kindly put the text in this category, but it is not labelled so. Missed: the text is labelled with this category, but kindly did not put it there.</p>\n");
    for ce in &s.errors {
        let totals = s.categories.iter().find(|c| c.category == ce.category);
        let (fp, fn_) = totals.map_or((0, 0), |c| (c.fp, c.fn_));
        let _ = writeln!(h, "<h3>{}</h3>", esc(ce.category));
        for (title, total, list) in [
            ("Wrong", fp, &ce.false_positives),
            ("Missed", fn_, &ce.false_negatives),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(
                h,
                "<details><summary>{title}: {} of {total} shown</summary>",
                list.len()
            );
            for e in list {
                example(h, e);
            }
            h.push_str("</details>\n");
        }
    }
}

fn rules(h: &mut String, s: &Scores) {
    h.push_str("<h2>Rules</h2><p>How many scored texts each rule fired on, and the share of those texts labelled with the rule's category.</p><details><summary>Per-rule table</summary><table><tr><th class=\"l\">rule</th><th class=\"l\">category</th><th>texts</th><th>findings</th><th>correct</th><th>precision</th></tr>\n");
    for r in &s.rules {
        let _ = writeln!(
            h,
            "<tr><td class=\"l\"><code>{}</code></td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.rule), esc(r.category), r.texts, r.findings, r.correct, f3(r.precision)
        );
    }
    h.push_str("</table>");
    if !s.rules_never_fired.is_empty() {
        let names: Vec<String> = s
            .rules_never_fired
            .iter()
            .map(|r| format!("<code>{}</code>", esc(r)))
            .collect();
        let _ = write!(
            h,
            "<p>{} rules never fired: {}</p>",
            names.len(),
            names.join(", ")
        );
    }
    h.push_str("</details>\n");
}

fn confusion(h: &mut String, s: &Scores) {
    let max = s
        .confusion
        .matrix
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    h.push_str("<h2>Which categories get mixed up</h2><p>Rows: the labelled category; columns: what kindly said. Each text counts once for every labelled × predicted pair; “none” is an empty side. Darker cells hold more texts.</p><details><summary>Confusion table</summary><table><tr><th></th>");
    for l in &s.confusion.labels {
        let _ = write!(h, "<th>{}</th>", esc(l));
    }
    h.push_str("</tr>\n");
    for (label, row) in s.confusion.labels.iter().zip(&s.confusion.matrix) {
        let _ = write!(h, "<tr><th class=\"l\">{}</th>", esc(label));
        for n in row {
            let alpha = *n as f64 / max as f64 * 0.7;
            let _ = write!(
                h,
                "<td style=\"background:rgba(59,130,196,{alpha:.2})\">{}</td>",
                if *n == 0 {
                    String::new()
                } else {
                    n.to_string()
                }
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table></details>\n");
}

fn definitions(h: &mut String) {
    h.push_str("<h2>How the figures are computed</h2><ul>\
<li>Texts can carry several labels. kindly's answer for a text is the set of <em>primary</em> categories of its notes (secondary tags are left out, except in the “tags counted” line).</li>\
<li>For a category: right (TP) = labelled and predicted; wrong (FP) = predicted, not labelled; missed (FN) = labelled, not predicted. Precision = TP / (TP + FP); recall = TP / (TP + FN); F1 = 2TP / (2TP + FP + FN). “-” means there was nothing to divide by.</li>\
<li>Micro average: the same formulas over the counts of all categories together. Macro average: the mean over categories that have labelled texts (an undefined figure counts as 0).</li>\
<li>Any self-talk: a text counts as positive when it has at least one label, and as flagged when kindly made at least one note. Negatives flagged: texts without self-talk that got a note.</li>\
<li>Crisis recall: texts labelled crisis for which kindly showed its support message.</li>\
<li>Rows whose labels were all mapped to “ignore” are counted but not scored.</li></ul>\n");
}
