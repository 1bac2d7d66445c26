//! The binary's modules, following the data flow:
//! `args` (what was asked) → `inputs` (what to read) → `check` (analyse in parallel) →
//! `human` / `json` (print), plus `rules` for looking at the rules themselves, `trace` for
//! following one text through them, `eval` for
//! scoring them on labelled corpora and `lsp`, the language server for editors.
//!
//! Only the binary uses `anyhow`; the library's located `kindly::Error` is printed as-is.

mod args;
mod check;
mod config;
mod eval;
mod human;
mod inputs;
mod json;
mod large;
mod lsp;
mod rules;
mod term;
mod trace;

use anyhow::Result;
use args::{Cli, Command, GlobalArgs};
use clap::Parser;
use kindly::{Engine, EngineBuilder};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use term::{paint, ERROR};

/// The exit status: 0 nothing found, 1 something found (or a rule example failed), 2 a usage
/// or input error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Clean,
    Found,
    Trouble,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(match s {
            Status::Clean => 0,
            Status::Found => 1,
            Status::Trouble => 2,
        })
    }
}

pub(crate) fn main() -> ExitCode {
    // clap prints usage errors and exits with 2, help and version with 0.
    let mut cli = Cli::parse();
    term::set_color(cli.global.color);
    // The language server starts without a settings file it cannot read, and says why in the
    // editor: an editor only sees a server that stops before the handshake as a crash.
    let mut settings_error = None;
    let settings = match config::load(&cli.global) {
        Ok(settings) => settings,
        Err(err) if matches!(cli.command, Command::Lsp(_)) => {
            settings_error = Some(format!("{err:#}"));
            None
        }
        Err(err) => {
            let _ = writeln!(anstream::stderr(), "{} {err:#}", paint(ERROR, "kindly:"));
            return Status::Trouble.into();
        }
    };
    // What the command line turned off, before the settings file's lists join it.
    let off = config::TurnedOff {
        categories: cli.global.disabled.clone(),
        rules: cli.global.disabled_rules.clone(),
        no_default_packs: cli.global.no_default_packs,
        settings: settings.as_ref(),
    };
    if let Some(s) = &settings {
        s.apply(&mut cli.global);
    }
    match run(&cli, &off, settings_error) {
        Ok(status) => status.into(),
        Err(err) => {
            // A closed pipe (`kindly check notes/ | head`) is not an error worth a message.
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(anstream::stderr(), "{} {err:#}", paint(ERROR, "kindly:"));
            Status::Trouble.into()
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        let kind = e
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                e.downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            });
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: &Cli, off: &config::TurnedOff<'_>, settings_error: Option<String>) -> Result<Status> {
    let settings = off.settings;
    if let Some(warning) = no_packs_warning(cli, off) {
        writeln!(anstream::stderr(), "{} {warning}", paint(ERROR, "kindly:"))?;
    }
    let built = |packs: &[PathBuf], builtin: bool, max_reframes: Option<u8>, exact: Exact| {
        build_engine(&cli.global, packs, builtin, max_reframes, exact, settings)
    };
    match &cli.command {
        Command::Check(args) => {
            let max_reframes = args.max_reframes.or(settings.and_then(|s| s.max_reframes));
            let Some(engine) = build(cli, &[], max_reframes, settings)? else {
                return Ok(Status::Trouble);
            };
            let status = check::run(&engine, args);
            // The process ends next. Freeing the patterns a check compiled, one allocation at
            // a time, took about a tenth of a short check; the operating system takes the whole
            // address space back at once.
            std::mem::forget(engine);
            status
        }
        Command::Rules(args) => {
            let Some(engine) = build(cli, &[], None, settings)? else {
                return Ok(Status::Trouble);
            };
            rules::list(&engine, args, settings.map(|s| s.path.as_path()))
        }
        Command::Explain(args) => {
            let Some(engine) = build(cli, &[], None, settings)? else {
                return Ok(Status::Trouble);
            };
            rules::explain(&engine, &args.rule, off)
        }
        Command::Trace(args) => {
            let Some(engine) = build(cli, &[], None, settings)? else {
                return Ok(Status::Trouble);
            };
            // With rules turned off, the same packs with every rule on, so the trace can show
            // what the rules turned off would have done instead of leaving them out unsaid.
            let all_on = if engine.rules().any(|r| r.is_off()) {
                let mut global = cli.global.clone();
                global.disabled.clear();
                global.disabled_rules.clear();
                let packs = global.packs.clone();
                build_engine(
                    &global,
                    &packs,
                    !global.no_default_packs,
                    None,
                    Exact(false),
                    settings,
                )?
            } else {
                None
            };
            trace::run(&engine, all_on.as_ref(), off, args)
        }
        Command::TestRules(args) => {
            let Some(engine) = build(cli, &args.pack_files, None, settings)? else {
                return Ok(Status::Trouble);
            };
            // Packs are loaded in order: built-ins, then --pack, then the PACK arguments, one
            // pack per path; so the packs the user named are the last ones (before the built-in
            // crisis rules an engine keeps when no pack has its own).
            let named = cli.global.packs.len() + args.pack_files.len();
            let names: Vec<String> = if named == 0 {
                Vec::new()
            } else {
                let all: Vec<String> = engine
                    .packs()
                    .filter(|p| !p.kept_for_safety())
                    .map(|p| p.id().to_string())
                    .collect();
                let skip = all.len().saturating_sub(named);
                all.into_iter().skip(skip).collect()
            };
            rules::test_rules(&engine, &names)
        }
        Command::Eval(args) => {
            // Reframes play no part in scoring: render as few as possible. The packs are
            // scored exactly as given: a pack author compares a pack's own figures.
            let exact = Exact(true);
            let g = &cli.global;
            let Some(engine) = built(&g.packs, !g.no_default_packs, Some(1), exact)? else {
                return Ok(Status::Trouble);
            };
            let baseline = if args.baseline_builtin || !args.baseline_packs.is_empty() {
                let (packs, builtin) = if args.baseline_builtin {
                    (&[][..], true)
                } else {
                    (args.baseline_packs.as_slice(), !cli.global.no_default_packs)
                };
                let Some(b) = built(packs, builtin, Some(1), exact)? else {
                    return Ok(Status::Trouble);
                };
                Some(b)
            } else {
                None
            };
            eval::run(&engine, baseline.as_ref(), off, args)
        }
        Command::Lsp(args) => lsp::run(&cli.global, settings, settings_error, args),
    }
}

/// A warning when the built-in packs are left out and no pack is given instead: not an error,
/// since crisis rules alone may be what is wanted, but a CI job that checks nothing else must
/// not pass in silence.
fn no_packs_warning(cli: &Cli, off: &config::TurnedOff<'_>) -> Option<String> {
    let g = &cli.global;
    let named = match &cli.command {
        Command::TestRules(args) => !args.pack_files.is_empty(),
        // The language server says what it checks with in the editor.
        Command::Lsp(_) => true,
        _ => false,
    };
    if !g.no_default_packs || !g.packs.is_empty() || named {
        return None;
    }
    let what = match (off.no_default_packs, off.settings) {
        (false, Some(s)) => format!("default-packs = false in {} and no packs", s.path.display()),
        _ => "--no-default-packs with no --pack".to_string(),
    };
    Some(match cli.command {
        Command::Eval(_) => format!(
            "{what}: there are no rules to score (eval scores packs exactly as given, without \
             the built-in crisis rules)"
        ),
        _ => format!("{what}: only the built-in crisis rules are checked"),
    })
}

/// Builds the engine from the global options (plus `extra` packs). A pack error is printed
/// with its location and gives `None`: the caller exits with 2.
fn build(
    cli: &Cli,
    extra: &[PathBuf],
    max_reframes: Option<u8>,
    settings: Option<&config::Settings>,
) -> Result<Option<Engine>> {
    let global = &cli.global;
    let packs: Vec<PathBuf> = global.packs.iter().chain(extra).cloned().collect();
    build_engine(
        global,
        &packs,
        !global.no_default_packs,
        max_reframes,
        Exact(false),
        settings,
    )
}

/// What is wrong with a pack path that is plainly not a pack: a folder without pack.toml, or
/// a text or Markdown file (a journal given to --pack by mistake), which would otherwise get
/// the TOML reader's error about its third line.
fn not_a_pack(path: &std::path::Path) -> Option<String> {
    let shown = path.display();
    if path.is_dir() {
        if path.join("pack.toml").exists() {
            return None;
        }
        let tomls = std::fs::read_dir(path)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
                    .count()
            })
            .unwrap_or(0);
        let hint = if tomls > 0 {
            format!(
                "; to use one of the {} in it, name the file",
                if tomls == 1 {
                    "1 .toml file".to_string()
                } else {
                    format!("{tomls} .toml files")
                }
            )
        } else {
            String::new()
        };
        return Some(format!(
            "{shown} is a folder without pack.toml: a rule pack is a .toml file, or a folder \
             holding pack.toml{hint}"
        ));
    }
    let text = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|e| inputs::is_searched_extension(&e));
    text.then(|| {
        format!(
            "{shown} is not a TOML rule pack (a rule pack is a .toml file, or a folder holding \
             pack.toml); to check it for harsh self-talk: kindly check {shown}"
        )
    })
}

/// Whether the packs are loaded exactly as given (`kindly eval`), without the built-in crisis
/// rules an engine otherwise keeps when no pack has its own (README, Safety).
#[derive(Clone, Copy)]
struct Exact(bool);

/// Builds an engine from the global options, with an explicit pack list.
fn build_engine(
    global: &GlobalArgs,
    packs: &[PathBuf],
    builtin: bool,
    max_reframes: Option<u8>,
    exact: Exact,
    settings: Option<&config::Settings>,
) -> Result<Option<Engine>> {
    for pack in packs {
        if let Some(problem) = not_a_pack(pack) {
            writeln!(anstream::stderr(), "{} {problem}", paint(ERROR, "kindly:"))?;
            return Ok(None);
        }
    }
    let mut builder = EngineBuilder::new();
    builder.builtin_packs(builtin);
    if exact.0 {
        builder.packs_exactly_as_given();
    }
    // The same pack named twice (in the settings file and on the command line, or as its
    // folder and as its pack.toml) is loaded once, as the same file checked twice is.
    let mut seen = std::collections::BTreeSet::new();
    for pack in packs {
        let main = if pack.is_dir() {
            pack.join("pack.toml")
        } else {
            pack.clone()
        };
        if seen.insert(std::fs::canonicalize(&main).unwrap_or(main)) {
            builder.add_pack_path(pack);
        }
    }
    for category in &global.disabled {
        builder.disable_category(*category);
    }
    for id in &global.disabled_rules {
        builder.disable_rule(id.trim());
    }
    if let Some(locale) = &global.locale {
        builder.locale(locale);
    }
    if let Some(n) = max_reframes.filter(|n| *n > 0) {
        builder.max_reframes(usize::from(n));
    }
    match builder.build() {
        Ok(engine) => Ok(Some(engine)),
        Err(e) => {
            let mut message = e.to_string();
            if builtin && e.clashes_with_builtin_pack() {
                message.push_str(
                    "; on the command line: --no-default-packs (in the settings file: default-packs = false)",
                );
            }
            let message = settings
                .zip(e.value())
                .and_then(|(s, value)| s.locate_error(value, &message))
                .unwrap_or(message);
            writeln!(anstream::stderr(), "{} {message}", paint(ERROR, "kindly:"))?;
            Ok(None)
        }
    }
}
