//! `kindly eval`: score rule packs on labelled corpora.
//!
//! The data flow follows the modules: `corpus` (stream rows from JSON Lines or CSV, in
//! chunks) → `labels` (gold labels through `--map`) → the engines, in parallel on the rayon
//! pool → `score` (counts, then figures) → `table` / JSON / `html` (print), with `gate` for
//! `--fail-under`. While one chunk is analysed, the next is read, so a multi-GB corpus streams
//! through in bounded memory: a chunk of rows, the counts, and at most `--errors` examples per
//! category.

pub(crate) mod gate;

mod corpus;
mod html;
mod labels;
mod score;
mod table;

use super::args::{EvalArgs, EvalFormat};
use super::config::TurnedOff;
use super::inputs::io_reason;
use super::term::{paint, plural, sanitize, ERROR};
use super::Status;
use anyhow::{bail, Context, Result};
use corpus::{BadRow, Fields, Item, Row};
use gate::GateResult;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kindly::Engine;
use labels::LabelMap;
use rayon::prelude::*;
use score::{Changes, Pred, RuleTable, Scores, Tally};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::time::Instant;

/// Version of the JSON document; bumped on any incompatible change.
const VERSION: u32 = 1;
/// Bad rows kept in the report (all are printed on standard error and counted).
const BAD_ROWS_KEPT: usize = 1000;

/// The whole run: what `--format json` prints and what the table and HTML show.
#[derive(Serialize)]
pub(crate) struct Report {
    pub version: u32,
    pub corpus: CorpusInfo,
    pub packs: Vec<PackOut>,
    /// The settings file read (README, "Settings file"), if any: it may turn rules off or add
    /// packs, which changes the scores.
    pub settings: Option<String>,
    /// The rules turned off in this run, by the settings file or the command line.
    pub turned_off: Vec<TurnedOffOut>,
    pub scores: Scores,
    pub baseline: Option<Baseline>,
    pub fail_under: Vec<GateResult>,
    pub timing: Timing,
}

/// What was read.
#[derive(Serialize)]
pub(crate) struct CorpusInfo {
    pub files: Vec<String>,
    pub map: Option<String>,
    pub text_field: String,
    pub label_field: String,
    /// Rows read (lines or records that were not blank), bad ones included.
    pub rows: u64,
    pub blank_lines: u64,
    pub bad_rows: u64,
    /// The first bad rows, with file and line.
    pub bad_rows_listed: Vec<BadRow>,
}

/// A loaded pack.
#[derive(Serialize)]
pub(crate) struct PackOut {
    pub id: String,
    pub version: String,
    pub rules: usize,
}

/// A rule turned off in this run, and what turned it off (`--disable-rule`, the settings
/// file's `PATH:LINE:COLUMN`, ...).
#[derive(Serialize)]
pub(crate) struct TurnedOffOut {
    pub rule: String,
    pub by: String,
}

/// The baseline of a comparison.
#[derive(Serialize)]
pub(crate) struct Baseline {
    pub packs: Vec<PackOut>,
    pub scores: Scores,
    pub changes: Changes,
}

/// How long it took (the only figures that change between runs).
#[derive(Serialize)]
pub(crate) struct Timing {
    pub seconds: f64,
    pub rows_per_second: f64,
    pub threads: usize,
}

/// One row after the workers are done with it.
enum Outcome {
    Row {
        row: Row,
        cur: Pred,
        base: Option<Pred>,
    },
    Bad(BadRow),
    Blank,
}

fn packs(engine: &Engine) -> Vec<PackOut> {
    engine
        .packs()
        .map(|p| PackOut {
            id: p.id().to_string(),
            version: p.version().to_string(),
            rules: p.rule_count(),
        })
        .collect()
}

pub(crate) fn run(
    engine: &Engine,
    baseline: Option<&Engine>,
    off: &TurnedOff<'_>,
    args: &EvalArgs,
) -> Result<Status> {
    let start = Instant::now();
    // A report that cannot be written is found out now, not after the whole corpus is scored.
    if let Some(path) = &args.html {
        check_writable(path)?;
    }
    let sources = corpus::collect(&args.corpora, args.input_format)?;
    let map = args.map.as_deref().map(LabelMap::load).transpose()?;
    let fields = Fields {
        text: args.text_field.clone(),
        labels: args.label_field.clone(),
        id: args.id_field.clone(),
    };
    let rules = RuleTable::new(engine);
    let base_rules = baseline.map(RuleTable::new);
    let mut tally = Tally::new(rules.ids.len(), args.errors);
    if args.why_missed {
        tally.explain_misses();
    }
    let mut base_tally = base_rules
        .as_ref()
        .map(|r| Tally::new(r.ids.len(), args.errors));
    let mut changes = Changes {
        cap: args.errors,
        ..Changes::default()
    };
    let mut info = CorpusInfo {
        files: sources.iter().map(|s| s.display.clone()).collect(),
        map: args.map.as_ref().map(|p| p.display().to_string()),
        text_field: args.text_field.clone(),
        label_field: args.label_field.clone(),
        rows: 0,
        blank_lines: 0,
        bad_rows: 0,
        bad_rows_listed: Vec::new(),
    };

    let progress = progress_bar(&sources, args.no_progress);
    let mut stderr = anstream::stderr();
    let mut reader = corpus::Reader::new(&sources, &fields, map.as_ref());
    let mut chunk = reader.next_chunk()?;
    while !chunk.is_empty() {
        let work = || -> Vec<Outcome> {
            chunk
                .into_par_iter()
                .map(
                    |raw| match corpus::parse(raw, &sources, &fields, map.as_ref()) {
                        Item::Row(row) => {
                            let mut cur = Pred::analyze(engine, &rules, &row.text);
                            if args.why_missed {
                                cur.explain_misses(engine, &rules, &row);
                            }
                            let base = baseline
                                .zip(base_rules.as_ref())
                                .map(|(e, r)| Pred::analyze(e, r, &row.text));
                            Outcome::Row { row, cur, base }
                        }
                        Item::Bad(bad) => Outcome::Bad(bad),
                        Item::Blank => Outcome::Blank,
                    },
                )
                .collect()
        };
        // Read the next chunk while this one is analysed.
        let (next, outcomes) = rayon::join(|| reader.next_chunk(), work);
        for outcome in outcomes {
            match outcome {
                Outcome::Blank => info.blank_lines += 1,
                Outcome::Bad(bad) => {
                    info.rows += 1;
                    info.bad_rows += 1;
                    let line = format!(
                        "{}:{}: {}",
                        sanitize(&bad.file),
                        bad.line,
                        sanitize(&bad.reason)
                    );
                    if args.strict {
                        progress.finish_and_clear();
                        bail!("{line} (--strict: stopping at the first bad row)");
                    }
                    progress.suspend(|| writeln!(stderr, "{} {line}", paint(ERROR, "kindly:")))?;
                    if info.bad_rows_listed.len() < BAD_ROWS_KEPT {
                        info.bad_rows_listed.push(bad);
                    }
                }
                Outcome::Row { row, cur, base } => {
                    info.rows += 1;
                    let file = &sources[row.file].display;
                    tally.add(&row, file, &cur, &rules);
                    if let (Some(base), Some(bt), Some(br)) =
                        (base, base_tally.as_mut(), base_rules.as_ref())
                    {
                        bt.add(&row, file, &base, br);
                        changes.add(&row, file, &cur, &base, &rules);
                    }
                }
            }
        }
        progress.set_position(reader.bytes);
        progress.set_message(format!("{} rows", info.rows));
        chunk = next?;
    }
    progress.finish_and_clear();

    let scores = tally.scores(&rules);
    if scores.rows.scored == 0 {
        // Tables of "-" and a pass would let a CI job pointed at an empty or broken corpus
        // pass, as `kindly check` with no file checked does not.
        let why = if info.rows == 0 {
            "the corpus has no rows".to_string()
        } else {
            let mut parts = Vec::new();
            if info.bad_rows > 0 {
                parts.push(format!(
                    "{} (listed above)",
                    plural(info.bad_rows as usize, "bad row", "bad rows")
                ));
            }
            if scores.rows.ignored > 0 {
                parts.push(format!(
                    "{} whose labels all map to ignore",
                    plural(scores.rows.ignored as usize, "row", "rows")
                ));
            }
            format!(
                "of {} read, {}",
                plural(info.rows as usize, "row", "rows"),
                parts.join(" and ")
            )
        };
        writeln!(
            stderr,
            "{} no row was scored: {why}; nothing to report",
            paint(ERROR, "kindly:")
        )?;
        return Ok(Status::Trouble);
    }
    let fail_under = gate::check(&args.fail_under, &scores);
    let seconds = start.elapsed().as_secs_f64();
    let timing = Timing {
        seconds,
        rows_per_second: if seconds > 0.0 {
            info.rows as f64 / seconds
        } else {
            0.0
        },
        threads: rayon::current_num_threads(),
    };
    let report = Report {
        version: VERSION,
        corpus: info,
        packs: packs(engine),
        settings: off.settings.map(|s| s.path.display().to_string()),
        turned_off: engine
            .rules()
            .filter(|r| r.is_off())
            .map(|r| TurnedOffOut {
                rule: r.id().to_string(),
                by: off
                    .source(r.id(), r.category())
                    .unwrap_or_else(|| "this run's settings".to_string()),
            })
            .collect(),
        baseline: baseline
            .zip(base_tally)
            .zip(base_rules.as_ref())
            .map(|((e, t), r)| Baseline {
                packs: packs(e),
                scores: t.scores(r),
                changes,
            }),
        scores,
        fail_under,
        timing,
    };

    {
        let mut out = anstream::stdout().lock();
        match args.format {
            EvalFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &report).context("writing JSON")?;
                writeln!(out)?;
            }
            EvalFormat::Table => out.write_all(table::render(&report).as_bytes())?,
        }
        out.flush()?;
    }
    if let Some(path) = &args.html {
        write_atomically(path, html::render(&report).as_bytes()).map_err(|e| {
            anyhow::anyhow!(
                "{}: cannot write the HTML report: {}",
                path.display(),
                io_reason(&e)
            )
        })?;
    }
    writeln!(
        stderr,
        "kindly eval: {} in {:.2} s ({:.0} rows/s on {} threads){}",
        plural(report.corpus.rows as usize, "row", "rows"),
        report.timing.seconds,
        report.timing.rows_per_second,
        report.timing.threads,
        if report.corpus.bad_rows > 0 {
            format!(
                "; {} bad rows skipped (listed above)",
                report.corpus.bad_rows
            )
        } else {
            String::new()
        }
    )?;
    if report.fail_under.iter().any(|g| !g.ok) {
        for g in report.fail_under.iter().filter(|g| !g.ok) {
            writeln!(
                stderr,
                "{} --fail-under: {} is {}, {} {}",
                paint(ERROR, "kindly:"),
                g.metric,
                g.value
                    .map_or_else(|| "undefined".to_string(), |v| format!("{v:.4}")),
                match g.op {
                    gate::Op::AtLeast => "below",
                    gate::Op::AtMost => "above",
                },
                g.bound
            )?;
        }
        return Ok(Status::Found);
    }
    Ok(Status::Clean)
}

/// A bar over the bytes of all files on standard error, only when it is a terminal.
fn progress_bar(sources: &[corpus::Source], off: bool) -> ProgressBar {
    if off || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let total: Option<u64> = sources.iter().map(|s| s.size).sum();
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let template = if total.is_some() {
        "{spinner} [{bar:32}] {bytes}/{total_bytes} {msg} ({bytes_per_sec}, eta {eta})"
    } else {
        "{spinner} {bytes} {msg} ({bytes_per_sec})"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so the
/// file is never left half-written, and an existing file keeps its permissions. This is the
/// only place any kindly command writes a file, and only the one the user named.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temporary(path);
    let result = (|| {
        std::fs::write(&tmp, bytes)?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The temporary file a report is written to before it is renamed into place.
fn temporary(path: &std::path::Path) -> std::path::PathBuf {
    let name = path.file_name().map_or_else(
        || "report".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    path.with_file_name(format!(".{name}.kindly-{}.tmp", std::process::id()))
}

/// Whether the report can be written where `--html` says: not a folder, and its folder takes
/// the temporary file the report is written through (made and removed at once).
fn check_writable(path: &std::path::Path) -> Result<()> {
    if path.is_dir() {
        bail!(
            "{}: cannot write the HTML report: it is a folder (name the file to write, e.g. {})",
            path.display(),
            path.join("report.html").display()
        );
    }
    let tmp = temporary(path);
    std::fs::write(&tmp, b"").map_err(|e| {
        anyhow::anyhow!(
            "{}: cannot write the HTML report: {}",
            path.display(),
            io_reason(&e)
        )
    })?;
    let _ = std::fs::remove_file(&tmp);
    Ok(())
}
