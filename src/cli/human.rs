//! Human output of `kindly check`: one gentle note per finding, with the line it is on, and a
//! calm support panel when crisis language appears (DOMAIN.md sections 0, 2.2 and 5).
//!
//! ```text
//! examples/journal.md:3:12  labeling  "I'm so lazy"  (harsh label)  labeling.self-adjective
//!   |
//! 3 | Overslept. I'm so lazy, I missed the bus again.
//!   |            ^^^^^^^^^^^ “lazy” is a harsh label for a whole person.
//!   |
//!   kinder ways to say it:
//!   - I'm low on energy
//!   - ...
//! ```
//!
//! Safety rules kept here: a crisis finding prints its location and the support message with
//! resources, never its words and never a snippet of its line; with a tier-A or abuse crisis the whole
//! file shows only the support panel; notes whose reframes are withheld are set aside, and no
//! note shows the source line of a crisis finding. Severity is never printed: no grades.

use super::term::{
    paint, plural, sanitize, wrap, CATEGORY, DIM, EMPHASIS, KIND, LOCATION, SUPPORT,
};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use kindly::{Analysis, Category, Finding, Spilled, Support};
use std::collections::BTreeSet;
use std::fmt::Write;

/// How wide the support message is wrapped (fixed, so output does not depend on the terminal).
const WRAP: usize = 78;

/// What one file's human output contained, for the summary line.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Shown {
    /// Notes printed (thinking traps, not crisis).
    pub notes: usize,
    /// Notes set aside because of crisis language.
    pub set_aside: usize,
    /// Whether a support panel was printed.
    pub support: bool,
}

/// Options of the human printer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    /// Print the kinder wordings (off with `--max-reframes 0`).
    pub reframes: bool,
}

/// Renders one file's analysis. `text` is the file's text, for the snippets.
/// Where the lines shown under each note come from.
pub(crate) enum Lines<'a> {
    /// The whole text of the file.
    Text(&'a str),
    /// Read back on demand (large streamed files): the text around a finding, and the finding
    /// with its byte range moved into that text.
    Lookup(&'a mut dyn FnMut(&Finding) -> Option<(String, Finding)>),
    /// No lines: messages only.
    Nothing,
}

pub(crate) fn render_file(
    path: &str,
    mut lines: Lines<'_>,
    analysis: &Analysis,
    opts: Options,
    out: &mut String,
) -> Shown {
    let path = sanitize(path);
    let mut shown = Shown::default();
    let crisis: Vec<&Finding> = analysis
        .findings
        .iter()
        .filter(|f| f.category == Category::Crisis)
        .collect();
    let others = analysis.findings.len() - crisis.len();

    if let Some(support) = &analysis.support {
        if support.tier.whole_entry() {
            // Whole-entry takeover: the support panel only.
            let mut locations = crisis.iter().map(|f| location(f));
            let _ = render_support(&path, &mut locations, support, others, "in this file", out);
            shown.set_aside = others;
            shown.support = true;
            return shown;
        }
    }

    let crisis_lines: BTreeSet<usize> = crisis
        .iter()
        .flat_map(|f| f.line..=f.end_line.max(f.line))
        .collect();
    let withheld = analysis
        .findings
        .iter()
        .filter(|f| f.category != Category::Crisis && f.reframes_withheld)
        .count();
    // Safety first: the support panel leads the file's output (DOMAIN.md section 5).
    if let Some(support) = &analysis.support {
        let mut locations = crisis.iter().map(|f| location(f));
        let _ = render_support(&path, &mut locations, support, withheld, "near it", out);
        shown.support = true;
    }
    for f in &analysis.findings {
        if f.category == Category::Crisis {
            continue;
        }
        if f.reframes_withheld {
            shown.set_aside += 1;
            continue;
        }
        let near_crisis = (f.line..=f.end_line.max(f.line)).any(|l| crisis_lines.contains(&l));
        render_finding(&path, &mut lines, f, !near_crisis, opts, out);
        shown.notes += 1;
    }
    shown
}

/// A crisis finding's place in the support panel.
fn location(f: &Finding) -> String {
    format!("{}:{}", f.line, f.column)
}

/// [`render_file`] for a large file whose findings are read back one at a time from a
/// scratch file: the same output, written to `out` as it goes.
pub(crate) fn render_spilled(
    path: &str,
    mut lines: Lines<'_>,
    spilled: &mut Spilled<'_>,
    opts: Options,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Shown> {
    let path = sanitize(path);
    let mut shown = Shown::default();
    let others = spilled.len() - spilled.crisis_len();
    let mut crisis_lines: BTreeSet<usize> = BTreeSet::new();
    if let Some(support) = spilled.support().cloned() {
        let whole_entry = support.tier.whole_entry();
        let (set_aside, where_) = if whole_entry {
            (others, "in this file")
        } else {
            (spilled.withheld_len(), "near it")
        };
        let mut failed: Option<std::io::Error> = None;
        let mut locations = spilled.crisis_findings()?.map_while(|f| match f {
            Ok(f) => {
                if !whole_entry {
                    crisis_lines.extend(f.line..=f.end_line.max(f.line));
                }
                Some(location(&f))
            }
            Err(e) => {
                failed = Some(e);
                None
            }
        });
        let mut writer = IoWriter { out, error: None };
        let written = render_support(
            &path,
            &mut locations,
            &support,
            set_aside,
            where_,
            &mut writer,
        );
        drop(locations);
        if let Some(e) = failed.or(writer.error) {
            return Err(e);
        }
        written.map_err(|_| std::io::Error::other("formatting the support message"))?;
        shown.support = true;
        if whole_entry {
            // Whole-entry takeover: the support panel only.
            shown.set_aside = others;
            return Ok(shown);
        }
    }
    let mut one = String::new();
    for f in spilled.findings()? {
        let mut f = f?;
        if f.category == Category::Crisis {
            continue;
        }
        if f.reframes_withheld {
            shown.set_aside += 1;
            continue;
        }
        if !opts.reframes {
            f.reframes.clear();
        }
        let near_crisis = (f.line..=f.end_line.max(f.line)).any(|l| crisis_lines.contains(&l));
        one.clear();
        render_finding(&path, &mut lines, &f, !near_crisis, opts, &mut one);
        out.write_all(one.as_bytes())?;
        shown.notes += 1;
    }
    Ok(shown)
}

/// A `fmt::Write` over an `io::Write`, keeping the first error.
struct IoWriter<'a> {
    out: &'a mut dyn std::io::Write,
    error: Option<std::io::Error>,
}

impl Write for IoWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.out.write_all(s.as_bytes()).map_err(|e| {
            self.error.get_or_insert(e);
            std::fmt::Error
        })
    }
}

fn header(path: &str, f: &Finding, out: &mut String) {
    let location = format!("{path}:{}:{}", f.line, f.column);
    let mut names = vec![f.category.gentle_name()];
    names.extend(f.tags.iter().map(|t| t.gentle_name()));
    let gentle = if names.len() == 1 {
        format!("({})", names[0])
    } else {
        format!("({}; also {})", names[0], names[1..].join(", "))
    };
    let _ = write!(
        out,
        "{}  {}",
        paint(LOCATION, &location),
        paint(CATEGORY, f.category.id())
    );
    if let Some(words) = &f.text {
        let _ = write!(out, "  \"{}\"", sanitize(words));
    }
    // The rule id, for `--disable-rule`, `kindly explain` and `kindly trace --rule`; crisis
    // rules cannot be turned off, so theirs would only invite trying.
    if f.category == Category::Crisis {
        let _ = writeln!(out, "  {}", paint(DIM, &gentle));
    } else {
        let _ = writeln!(out, "  {}  {}", paint(DIM, &gentle), paint(DIM, &f.rule));
    }
}

fn render_finding(
    path: &str,
    lines: &mut Lines<'_>,
    f: &Finding,
    with_snippet: bool,
    opts: Options,
    out: &mut String,
) {
    header(path, f, out);
    let reframes: Vec<&str> = if opts.reframes {
        f.reframes.iter().map(|r| r.text.as_str()).collect()
    } else {
        Vec::new()
    };
    let shown = if with_snippet {
        match lines {
            Lines::Text(text) => snippet(text, f),
            Lines::Lookup(read) => read(f).and_then(|(text, moved)| snippet(&text, &moved)),
            Lines::Nothing => None,
        }
    } else {
        None
    };
    let indent = match shown {
        Some(rendered) => {
            out.push_str(&rendered);
            out.push('\n');
            let margin = " ".repeat(digits(f.end_line.max(f.line)) + 1);
            if !reframes.is_empty() {
                let _ = writeln!(out, "{margin}{}", paint(DIM, "|"));
            }
            margin
        }
        None => {
            // No source line (it is shared with crisis language): just the message.
            let _ = writeln!(out, "  {}", sanitize(&f.message));
            "  ".to_string()
        }
    };
    if !reframes.is_empty() {
        let _ = writeln!(out, "{indent}{}", paint(KIND, "kinder ways to say it:"));
        for r in reframes {
            let _ = writeln!(out, "{indent}- {}", sanitize(r));
        }
    }
    out.push('\n');
}

/// How much of the line a snippet shows on each side of the span, in bytes. Without a cap,
/// every note on a long single-line file would copy and lay out the whole line: quadratic in
/// the file size (issue 6). Cut ends are marked with "…".
const SNIPPET_REACH: usize = 160;

/// The finding's line(s) with the span underlined and the message beside it.
fn snippet(text: &str, f: &Finding) -> Option<String> {
    let (start, end) = (f.bytes.start, f.bytes.end);
    if start > end
        || end > text.len()
        || !text.is_char_boundary(start)
        || !text.is_char_boundary(end)
    {
        return None;
    }
    let bytes = text.as_bytes();
    let is_break = |b: &u8| *b == b'\n' || *b == b'\r';
    let mut lo = start.saturating_sub(SNIPPET_REACH);
    while !text.is_char_boundary(lo) {
        lo -= 1;
    }
    let mut hi = (end + SNIPPET_REACH).min(text.len());
    while !text.is_char_boundary(hi) {
        hi += 1;
    }
    let line_start = bytes[lo..start]
        .iter()
        .rposition(is_break)
        .map_or(lo, |i| lo + i + 1);
    let line_end = bytes[end..hi]
        .iter()
        .position(is_break)
        .map_or(hi, |i| end + i);
    let cut_left = line_start > 0 && !is_break(&bytes[line_start - 1]);
    let cut_right = line_end < text.len() && !is_break(&bytes[line_end]);
    // A lone CR ends a line too (the finding's line numbers count it): show it as a line feed,
    // which has the same length, so the span's offsets stay right.
    let mut source = String::with_capacity(line_end - line_start + 8);
    if cut_left {
        source.push('…');
    }
    let offset = source.len();
    let mut rest = &text[line_start..line_end];
    while let Some(i) = rest.find('\r') {
        source.push_str(&rest[..i]);
        source.push(if rest[i + 1..].starts_with('\n') {
            '\r'
        } else {
            '\n'
        });
        rest = &rest[i + 1..];
    }
    source.push_str(rest);
    if cut_right {
        source.push('…');
    }
    let span = (start - line_start + offset)..(end - line_start + offset);
    let message = sanitize(&f.message);
    let report = &[Group::with_level(Level::NOTE.no_name()).element(
        Snippet::source(&source)
            .line_start(f.line)
            .fold(false)
            .annotation(AnnotationKind::Primary.span(span).label(&message)),
    )];
    let renderer = Renderer::styled()
        .note(CATEGORY.effects(anstyle::Effects::BOLD))
        .line_num(DIM);
    Some(renderer.render(report))
}

fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// The calm support panel: where, the message, the resources. Never the words. `crisis` gives
/// the crisis findings' `line:column` in order (read one at a time for a large file).
fn render_support(
    path: &str,
    crisis: &mut dyn Iterator<Item = String>,
    support: &Support,
    set_aside: usize,
    where_: &str,
    out: &mut dyn Write,
) -> std::fmt::Result {
    let first = crisis.next().unwrap_or_else(|| "1:1".to_string());
    write!(
        out,
        "{}  {}",
        paint(LOCATION, &format!("{path}:{first}")),
        paint(SUPPORT, Category::Crisis.gentle_name())
    )?;
    // "  (also 5:1, 9:3)" in DIM, written a location at a time: a large file can have many.
    let mut any = false;
    for location in crisis {
        if any {
            write!(out, ", {location}")?;
        } else {
            write!(out, "  {DIM}(also {location}")?;
            any = true;
        }
    }
    if any {
        write!(out, "){DIM:#}")?;
    }
    out.write_char('\n')?;
    out.write_str(&wrap(&sanitize(&support.message), WRAP, "  "))?;
    if !support.resources.is_empty() {
        out.write_char('\n')?;
        for r in &support.resources {
            let region = r
                .region
                .as_deref()
                .map(|reg| format!(" ({})", sanitize(reg)))
                .unwrap_or_default();
            writeln!(
                out,
                "  - {}: {}{region}",
                sanitize(&r.name),
                paint(EMPHASIS, &sanitize(&r.contact))
            )?;
        }
    }
    if set_aside > 0 {
        out.write_char('\n')?;
        let what = if set_aside == 1 {
            format!("1 other note {where_} is set aside for now.")
        } else {
            format!("{set_aside} other notes {where_} are set aside for now.")
        };
        writeln!(out, "  {}", paint(DIM, &what))?;
    }
    out.write_char('\n')
}

/// The closing line on stderr: what was found, in a gentle register. `None` when nothing was
/// found and nothing went wrong.
///
/// A run with nothing to say gives `None`, or with `clean_line` (a person is watching: standard
/// error is a terminal) "no notes in N files", so that silence is never mistaken for a run
/// that did not happen. Scripts and CI logs keep the silence of tools like ripgrep.
pub(crate) fn summary(
    files: usize,
    with_notes: usize,
    notes: usize,
    support_files: usize,
    errors: usize,
    clean_line: bool,
) -> Option<String> {
    let mut parts = Vec::new();
    if notes > 0 {
        let place = if with_notes == files {
            plural(files, "file", "files")
        } else {
            format!("{with_notes} of {files} files")
        };
        parts.push(format!("{} in {place}", plural(notes, "note", "notes")));
    }
    if support_files > 0 {
        parts.push(format!(
            "a support message for {}",
            plural(support_files, "file", "files")
        ));
    }
    if errors > 0 {
        parts.push(format!(
            "{} could not be checked",
            plural(errors, "file", "files")
        ));
    }
    if parts.is_empty() {
        (clean_line && files > 0).then(|| format!("no notes in {}", plural(files, "file", "files")))
    } else {
        Some(parts.join("; "))
    }
}

#[cfg(test)]
mod summary_tests {
    use super::summary;

    #[test]
    fn a_clean_run_says_so_only_to_a_person() {
        assert_eq!(summary(1, 0, 0, 0, 0, false), None);
        assert_eq!(
            summary(1, 0, 0, 0, 0, true).as_deref(),
            Some("no notes in 1 file")
        );
        assert_eq!(
            summary(3, 0, 0, 0, 0, true).as_deref(),
            Some("no notes in 3 files")
        );
        // Nothing checked at all is reported elsewhere, as an error.
        assert_eq!(summary(0, 0, 0, 0, 0, true), None);
        // With notes or failures the usual line, terminal or not.
        assert_eq!(
            summary(3, 2, 4, 0, 1, true).as_deref(),
            Some("4 notes in 2 of 3 files; 1 file could not be checked")
        );
        assert_eq!(
            summary(2, 0, 0, 0, 1, false).as_deref(),
            Some("1 file could not be checked")
        );
    }
}
