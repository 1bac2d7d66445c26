//! `kindly check`: read every input, analyse them in parallel, print in input order.
//!
//! Inputs are processed in chunks: each chunk is read, analysed and rendered on the rayon pool,
//! then printed in order before the next starts, so output streams for large folders and
//! memory stays bounded. The JSON document is written the same way, a file at a time. A large
//! file's findings wait in a scratch file (`large.rs`) and are written from there when its
//! turn comes, one at a time.

use super::args::{CheckArgs, CheckFormat};
use super::human::{self, Shown};
use super::inputs::{self, Input, Source};
use super::json;
use super::large;
use super::term::{paint, sanitize, ERROR};
use super::Status;
use anyhow::{Context, Result};
use kindly::{Analysis, Engine, Finding, PatternWork};
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

/// What checking one input gave.
enum Report<'e> {
    /// The findings, in memory.
    Whole(Analysis),
    /// A large file's findings, in a scratch file; written out when printed.
    Large {
        spilled: kindly::Spilled<'e>,
        path: std::path::PathBuf,
        /// False when `--lossy` replaced bytes, so lines cannot be read back by offset.
        offsets_match_file: bool,
        /// The file starts with a byte-order mark, which the engine did not see.
        bom: bool,
    },
}

impl Report<'_> {
    fn len(&self) -> usize {
        match self {
            Report::Whole(a) => a.findings.len(),
            Report::Large { spilled, .. } => spilled.len(),
        }
    }
}

/// One input, checked.
struct Checked<'e> {
    display: String,
    outcome: Result<Report<'e>, String>,
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

    let (inputs, notes) = inputs::collect(&paths, !args.no_ignore);
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
    // For --format json: the errors, said on standard error after the document.
    let mut json_errors: Vec<(String, String)> = Vec::new();
    let mut document = match args.format {
        CheckFormat::Json => Some(json::DocumentWriter::begin(&mut stdout)?),
        CheckFormat::Human | CheckFormat::Jsonl => None,
    };

    // With fewer files than cores, compile each file's patterns on every core first; with more,
    // the files themselves keep the cores busy and that would only add an automaton pass each.
    let spread_compiles = inputs.len() < rayon::current_num_threads();
    for chunk in inputs.chunks(CHUNK) {
        let checked: Vec<Checked> = chunk
            .par_iter()
            .map(|input| check_one(engine, input, mode, args, opts, spread_compiles))
            .collect();
        for mut c in checked {
            summary.files += 1;
            if let Some(note) = &c.note {
                writeln!(
                    stderr,
                    "{} {}",
                    paint(ERROR, "kindly:"),
                    inputs::with_path(&sanitize(&c.display), note)
                )?;
            }
            match &c.outcome {
                Ok(report) => {
                    summary.findings += report.len();
                    found_any |= report.len() > 0;
                }
                Err(message) => {
                    summary.errors += 1;
                    if args.format != CheckFormat::Json {
                        writeln!(
                            stderr,
                            "{} {}",
                            paint(ERROR, "kindly:"),
                            inputs::with_path(&sanitize(&c.display), message)
                        )?;
                    }
                }
            }
            let shown = match (&mut c.outcome, &mut document) {
                (
                    Ok(Report::Large {
                        spilled,
                        path,
                        offsets_match_file,
                        bom,
                    }),
                    document,
                ) => {
                    // Buffered: the findings are written a piece at a time.
                    let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut stdout);
                    let shown = write_large(
                        &c.display,
                        path,
                        *offsets_match_file,
                        *bom,
                        spilled,
                        c.note.as_deref(),
                        args,
                        opts,
                        document.as_mut(),
                        &mut out,
                    )
                    .with_context(|| format!("writing the findings of {}", c.display))?;
                    out.flush()?;
                    shown
                }
                (Ok(Report::Whole(a)), Some(document)) => {
                    let report = json::FileReport {
                        path: &c.display,
                        findings: &a.findings,
                        support: a.support.as_ref(),
                        error: None,
                        note: c.note.as_deref(),
                    };
                    write_json(document, &report, &mut stdout)?;
                    c.shown
                }
                (Err(message), Some(document)) => {
                    json_errors.push((c.display.clone(), message.clone()));
                    let report = json::FileReport {
                        path: &c.display,
                        findings: &[],
                        support: None,
                        error: Some(message),
                        note: None,
                    };
                    write_json(document, &report, &mut stdout)?;
                    c.shown
                }
                (_, None) => {
                    stdout.write_all(c.rendered.as_bytes())?;
                    c.shown
                }
            };
            if shown.notes > 0 {
                with_notes += 1;
            }
            notes_shown += shown.notes;
            if shown.support {
                support_files += 1;
            }
        }
        stdout.flush()?;
    }

    if let Some(document) = document {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut stdout);
        document.end(&summary, &mut out).context("writing JSON")?;
        out.flush()?;
        drop(out);
        for (display, message) in &json_errors {
            writeln!(
                stderr,
                "{} {}",
                paint(ERROR, "kindly:"),
                inputs::with_path(&sanitize(display), message)
            )?;
        }
    }

    if args.format == CheckFormat::Human {
        if let Some(line) = human::summary(
            summary.files,
            with_notes,
            notes_shown,
            support_files,
            summary.errors,
            std::io::stderr().is_terminal(),
        ) {
            writeln!(stderr, "{line}")?;
        }
    }

    // Folders named on the command line with nothing to check in them (empty, or everything in
    // them ignored) are noted above; when no file at all was checked that is a mistake to
    // report, not a clean result a CI job would pass on.
    let nothing_checked = summary.files == 0 && summary.errors == 0 && !notes.is_empty();
    if nothing_checked {
        writeln!(stderr, "{} no file was checked", paint(ERROR, "kindly:"))?;
    }
    Ok(if summary.errors > 0 || nothing_checked {
        Status::Trouble
    } else if found_any {
        Status::Found
    } else {
        Status::Clean
    })
}

fn check_one<'e>(
    engine: &'e Engine,
    input: &Input,
    mode: Mode,
    args: &CheckArgs,
    opts: human::Options,
    spread_compiles: bool,
) -> Checked<'e> {
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
    let (text, note, bom) = match inputs::read(input, args.lossy) {
        Ok(t) => (Ok(t.text), t.note, t.bom),
        Err(e) => (Err(e), None, false),
    };
    let outcome = text.as_ref().map_err(Clone::clone).map(|text| {
        if spread_compiles {
            compile_in_parallel(engine, text);
        }
        let analysis = if markdown {
            engine.analyze_markdown(text)
        } else {
            engine.analyze(text)
        };
        for_output(analysis, opts, args.format, bom)
    });
    let lines = match &text {
        Ok(text) => human::Lines::Text(text),
        Err(_) => human::Lines::Nothing,
    };
    let (rendered, shown) = render(input, args, opts, lines, &outcome, note.as_deref());
    Checked {
        display: input.display.clone(),
        outcome: outcome.map(Report::Whole),
        note,
        rendered,
        shown,
    }
}

/// One file's report in the JSON document.
fn write_json(
    document: &mut json::DocumentWriter,
    report: &json::FileReport<'_>,
    stdout: &mut impl Write,
) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    document.file(report, &mut out).context("writing JSON")?;
    out.flush()?;
    Ok(())
}

/// A file too big to read whole: streamed, its findings kept in a scratch file until its
/// output is written ([`write_large`]).
fn check_large<'e>(
    engine: &'e Engine,
    input: &Input,
    path: &std::path::Path,
    markdown: bool,
    args: &CheckArgs,
    opts: human::Options,
) -> Checked<'e> {
    let streamed = large::analyse(engine, path, markdown, args.lossy);
    let (outcome, note) = match streamed {
        Ok(large::Streamed {
            findings: large::Findings::InMemory(analysis),
            note,
            offsets_match_file,
            bom,
        }) => {
            // No scratch file: the findings were kept in memory, and are rendered now.
            let outcome = Ok(for_output(analysis, opts, args.format, bom));
            let mut file = std::fs::File::open(path)
                .ok()
                .filter(|_| offsets_match_file);
            let mut read = |f: &Finding| file.as_mut().and_then(|file| large::window(file, f, bom));
            let lines = human::Lines::Lookup(&mut read);
            let (rendered, shown) = render(input, args, opts, lines, &outcome, note.as_deref());
            return Checked {
                display: input.display.clone(),
                outcome: outcome.map(Report::Whole),
                note,
                rendered,
                shown,
            };
        }
        Ok(large::Streamed {
            findings: large::Findings::Spilled(spilled),
            note,
            offsets_match_file,
            bom,
        }) => {
            let report = Report::Large {
                spilled,
                path: path.to_path_buf(),
                offsets_match_file,
                bom,
            };
            (Ok(report), note)
        }
        Err(e) => (Err(e), None),
    };
    let mut rendered = String::new();
    if let (CheckFormat::Jsonl, Err(e)) = (args.format, &outcome) {
        jsonl(input, &[], None, Some(e), None, &mut rendered);
    }
    Checked {
        display: input.display.clone(),
        outcome,
        note,
        rendered,
        shown: Shown::default(),
    }
}

/// Writes a large file's output, its findings read back one at a time, with its lines read
/// back from the file for human output. `document` is the JSON document being written.
#[allow(clippy::too_many_arguments)]
fn write_large(
    display: &str,
    path: &std::path::Path,
    offsets_match_file: bool,
    bom: bool,
    spilled: &mut kindly::Spilled<'_>,
    note: Option<&str>,
    args: &CheckArgs,
    opts: human::Options,
    document: Option<&mut json::DocumentWriter>,
    out: &mut impl Write,
) -> std::io::Result<Shown> {
    let trim = |f: std::io::Result<Finding>| {
        f.map(|mut f| {
            finding_for_output(&mut f, opts, args.format, bom);
            f
        })
    };
    match args.format {
        CheckFormat::Human => {
            let mut file = std::fs::File::open(path)
                .ok()
                .filter(|_| offsets_match_file);
            let mut read = |f: &Finding| file.as_mut().and_then(|file| large::window(file, f, bom));
            human::render_spilled(display, human::Lines::Lookup(&mut read), spilled, opts, out)
        }
        CheckFormat::Jsonl | CheckFormat::Json => {
            let support = spilled.support().cloned();
            let findings = spilled.findings()?.map(trim);
            match document {
                Some(document) => {
                    document.file_from(display, findings, support.as_ref(), note, out)?
                }
                None => json::lines_from(display, findings, support.as_ref(), note, out)?,
            }
            Ok(Shown::default())
        }
    }
}

/// The analysis as the output shows it ([`finding_for_output`]).
fn for_output(
    mut analysis: Analysis,
    opts: human::Options,
    format: CheckFormat,
    bom: bool,
) -> Analysis {
    for f in &mut analysis.findings {
        finding_for_output(f, opts, format, bom);
    }
    analysis
}

/// A finding as the output shows it: without reframes with `--max-reframes 0`, and in JSON
/// with offsets into the file when the engine was given the text without the file's
/// byte-order mark ([`inputs::count_bom`]). Human output keeps offsets into the text analysed,
/// which is where it takes the lines it shows from; its line:column are right either way.
fn finding_for_output(f: &mut Finding, opts: human::Options, format: CheckFormat, bom: bool) {
    if !opts.reframes {
        f.reframes.clear();
    }
    if bom && format != CheckFormat::Human {
        inputs::count_bom(f);
    }
}

/// Human or JSON Lines output for one input (JSON is written once at the end instead).
fn render(
    input: &Input,
    args: &CheckArgs,
    opts: human::Options,
    lines: human::Lines<'_>,
    outcome: &Result<Analysis, String>,
    note: Option<&str>,
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
            jsonl(input, findings, support, error, note, &mut rendered);
        }
        _ => {}
    }
    (rendered, shown)
}

/// The JSON Lines of one input read whole (or of an error).
fn jsonl(
    input: &Input,
    findings: &[Finding],
    support: Option<&kindly::Support>,
    error: Option<&str>,
    note: Option<&str>,
    rendered: &mut String,
) {
    // Serializing plain data into a String cannot fail; if it ever did, say so in the output
    // rather than dropping the input.
    if let Err(e) = json::lines(&input.display, findings, support, error, note, rendered) {
        *rendered = format!(
            "{{\"type\":\"error\",\"path\":{},\"message\":\"cannot write JSON: {}\"}}\n",
            serde_json::to_string(&input.display).unwrap_or_default(),
            e.to_string().replace('"', "'")
        );
    }
}

/// Compiles the patterns the text's first mebibyte needs on every core before analysing it.
/// The first analysis in a process otherwise compiles them one at a time as it meets them,
/// which is most of a short run's time (a 10 KB journal entry: 0.29 s -> 0.20 s on two cores;
/// BENCHMARKS.md). Once the engine is warm there is nothing left to compile and this costs one
/// automaton pass. Findings are the same either way.
fn compile_in_parallel(engine: &Engine, text: &str) {
    let mut end = text.len().min(1 << 20);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    engine
        .patterns_for(&text[..end])
        .par_iter()
        .for_each(PatternWork::compile);
}
