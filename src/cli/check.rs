//! `kindly check`: read every input, analyse them in parallel, print in input order.
//!
//! Inputs are processed in chunks: each chunk is read, analysed and rendered on the rayon pool,
//! then printed in order before the next starts, so output streams for large folders and
//! memory stays bounded. The JSON document is the exception: it is written once at the end.

use super::args::{CheckArgs, CheckFormat};
use super::human::{self, Shown};
use super::inputs::{self, Input, Source};
use super::json;
use super::large;
use super::term::{paint, sanitize, ERROR};
use super::Status;
use anyhow::{Context, Result};
use kindly::{Analysis, Engine};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};

/// Inputs per parallel batch.
const CHUNK: usize = 64;

/// How to read the inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// By extension: Markdown for `.md`/`.markdown`, plain otherwise.
    Auto,
    Markdown,
    Plain,
}

/// One input, checked.
struct Checked {
    display: String,
    outcome: Result<Analysis, String>,
    /// Said on standard error but not an error (a file read with `--lossy`).
    note: Option<String>,
    /// Human or JSON Lines output for this input, rendered on the pool.
    rendered: String,
    shown: Shown,
}

pub(crate) fn run(engine: &Engine, args: &CheckArgs) -> Result<Status> {
    let mut paths = args.paths.clone();
    if paths.is_empty() {
        if std::io::stdin().is_terminal() {
            let mut err = anstream::stderr().lock();
            writeln!(
                err,
                "{} nothing to check: name a file or folder, or pipe text in\n\n  \
                 kindly check journal.md\n  echo \"I'm so lazy.\" | kindly check\n\n\
                 See `kindly check --help`.",
                paint(ERROR, "kindly:")
            )?;
            return Ok(Status::Trouble);
        }
        paths.push("-".into());
    }
    let mode = if args.markdown {
        Mode::Markdown
    } else if args.plain {
        Mode::Plain
    } else {
        Mode::Auto
    };
    let opts = human::Options {
        reframes: args.max_reframes != Some(0),
    };

    let (inputs, notes) = inputs::collect(&paths);
    let mut stdout = anstream::stdout().lock();
    let mut stderr = anstream::stderr().lock();
    for note in &notes {
        writeln!(stderr, "{} {}", paint(ERROR, "kindly:"), sanitize(note))?;
    }

    let mut summary = json::Summary::default();
    let mut with_notes = 0;
    let mut notes_shown = 0;
    let mut support_files = 0;
    let mut found_any = false;
    // For --format json only: the analyses, kept until the end.
    let mut kept: Vec<Checked> = Vec::new();

    for chunk in inputs.chunks(CHUNK) {
        let checked: Vec<Checked> = chunk
            .par_iter()
            .map(|input| check_one(engine, input, mode, args, opts))
            .collect();
        for c in checked {
            summary.files += 1;
            if let Some(note) = &c.note {
                writeln!(
                    stderr,
                    "{} {}: {note}",
                    paint(ERROR, "kindly:"),
                    sanitize(&c.display)
                )?;
            }
            match &c.outcome {
                Ok(analysis) => {
                    summary.findings += analysis.findings.len();
                    found_any |= !analysis.findings.is_empty();
                }
                Err(message) => {
                    summary.errors += 1;
                    if args.format != CheckFormat::Json {
                        writeln!(
                            stderr,
                            "{} {}: {message}",
                            paint(ERROR, "kindly:"),
                            sanitize(&c.display)
                        )?;
                    }
                }
            }
            if c.shown.notes > 0 {
                with_notes += 1;
            }
            notes_shown += c.shown.notes;
            if c.shown.support {
                support_files += 1;
            }
            match args.format {
                CheckFormat::Json => kept.push(c),
                CheckFormat::Human | CheckFormat::Jsonl => {
                    stdout.write_all(c.rendered.as_bytes())?;
                }
            }
        }
        stdout.flush()?;
    }

    if args.format == CheckFormat::Json {
        let files = kept
            .iter()
            .map(|c| match &c.outcome {
                Ok(a) => json::FileReport {
                    path: &c.display,
                    findings: &a.findings,
                    support: a.support.as_ref(),
                    error: None,
                },
                Err(message) => json::FileReport {
                    path: &c.display,
                    findings: &[],
                    support: None,
                    error: Some(message),
                },
            })
            .collect();
        let doc = json::Document {
            version: json::VERSION,
            files,
            summary,
        };
        // Buffered: serde_json writes a token at a time, a system call each without it.
        let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut stdout);
        serde_json::to_writer_pretty(&mut out, &doc).context("writing JSON")?;
        writeln!(out)?;
        out.flush()?;
        drop(out);
        for c in &kept {
            if let Err(message) = &c.outcome {
                writeln!(
                    stderr,
                    "{} {}: {message}",
                    paint(ERROR, "kindly:"),
                    sanitize(&c.display)
                )?;
            }
        }
    }

    if args.format == CheckFormat::Human {
        if let Some(line) = human::summary(
            summary.files,
            with_notes,
            notes_shown,
            support_files,
            summary.errors,
        ) {
            writeln!(stderr, "{line}")?;
        }
    }

    Ok(if summary.errors > 0 {
        Status::Trouble
    } else if found_any {
        Status::Found
    } else {
        Status::Clean
    })
}

fn check_one(
    engine: &Engine,
    input: &Input,
    mode: Mode,
    args: &CheckArgs,
    opts: human::Options,
) -> Checked {
    let markdown = match mode {
        Mode::Markdown => true,
        Mode::Plain => false,
        Mode::Auto => input.markdown_ext,
    };
    if let Source::File(path) = &input.source {
        let big =
            std::fs::metadata(path).is_ok_and(|m| m.is_file() && large::should_stream(m.len()));
        if big {
            return check_large(engine, input, path, markdown, args, opts);
        }
    }
    let (text, note) = match inputs::read(input, args.lossy) {
        Ok(t) => (Ok(t.text), t.note),
        Err(e) => (Err(e), None),
    };
    let outcome = text.as_ref().map_err(Clone::clone).map(|text| {
        let analysis = if markdown {
            engine.analyze_markdown(text)
        } else {
            engine.analyze(text)
        };
        without_reframes_if_asked(analysis, opts)
    });
    let lines = match &text {
        Ok(text) => human::Lines::Text(text),
        Err(_) => human::Lines::Nothing,
    };
    let (rendered, shown) = render(input, args, opts, lines, &outcome);
    Checked {
        display: input.display.clone(),
        outcome,
        note,
        rendered,
        shown,
    }
}

/// A file too big to read whole: streamed, with its lines read back for human output.
fn check_large(
    engine: &Engine,
    input: &Input,
    path: &std::path::Path,
    markdown: bool,
    args: &CheckArgs,
    opts: human::Options,
) -> Checked {
    let (outcome, note, offsets_match_file) =
        match large::analyse(engine, path, markdown, args.lossy) {
            Ok(s) => (
                Ok(without_reframes_if_asked(s.analysis, opts)),
                s.note,
                s.offsets_match_file,
            ),
            Err(e) => (Err(e), None, false),
        };
    let mut file = std::fs::File::open(path)
        .ok()
        .filter(|_| offsets_match_file);
    let mut read = |f: &kindly::Finding| file.as_mut().and_then(|file| large::window(file, f));
    let (rendered, shown) = render(input, args, opts, human::Lines::Lookup(&mut read), &outcome);
    Checked {
        display: input.display.clone(),
        outcome,
        note,
        rendered,
        shown,
    }
}

fn without_reframes_if_asked(mut analysis: Analysis, opts: human::Options) -> Analysis {
    if !opts.reframes {
        for f in &mut analysis.findings {
            f.reframes.clear();
        }
    }
    analysis
}

/// Human or JSON Lines output for one input (JSON is written once at the end instead).
fn render(
    input: &Input,
    args: &CheckArgs,
    opts: human::Options,
    lines: human::Lines<'_>,
    outcome: &Result<Analysis, String>,
) -> (String, Shown) {
    let mut rendered = String::new();
    let mut shown = Shown::default();
    match (args.format, outcome) {
        (CheckFormat::Human, Ok(analysis)) => {
            shown = human::render_file(&input.display, lines, analysis, opts, &mut rendered);
        }
        (CheckFormat::Jsonl, outcome) => {
            let (findings, support, error) = match outcome {
                Ok(a) => (a.findings.as_slice(), a.support.as_ref(), None),
                Err(e) => (&[][..], None, Some(e.as_str())),
            };
            // Serializing plain data into a String cannot fail; if it ever did, say so in the
            // output rather than dropping the input.
            if let Err(e) = json::lines(&input.display, findings, support, error, &mut rendered) {
                rendered = format!(
                    "{{\"type\":\"error\",\"path\":{},\"message\":\"cannot write JSON: {}\"}}\n",
                    serde_json::to_string(&input.display).unwrap_or_default(),
                    e.to_string().replace('"', "'")
                );
            }
        }
        _ => {}
    }
    (rendered, shown)
}
