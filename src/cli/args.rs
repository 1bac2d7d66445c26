//! The command line, as clap derive structs. Everything here is declaration; `mod.rs` acts.

use clap::{Args, Parser, Subcommand, ValueEnum};
use kindly::Category;
use std::path::PathBuf;

const ABOUT: &str = "Notices harsh self-talk in your own writing and offers kinder ways to say it.";

const LONG_ABOUT: &str = "\
Notices harsh self-talk in your own writing (\"I'm so lazy\", \"I always mess up\") and \
offers kinder ways to say it. If a page holds words about not wanting to be alive, about \
hurting yourself or about someone hurting you, kindly sets its suggestions aside and shows a \
calm support message with people you can reach instead.

Everything runs on this computer: nothing you write is stored or sent anywhere.";

const EXAMPLES: &str = "\
Examples:
  kindly check journal.md              check one file
  kindly check notes/                  check every text and Markdown file in a folder
  echo \"I'm so lazy.\" | kindly check   check text from standard input
  kindly check --format json notes/    machine-readable output
  kindly check --disable-category should_statement journal.md
  kindly check --disable-rule comparison.and-me journal.md
  kindly rules                         list the rules
  kindly explain labeling.self-adjective
  kindly trace \"She said I'm lazy.\"     why a text is flagged or not, rule by rule
  kindly test-rules my-pack.toml       run a pack's own examples
  kindly eval corpora/dev              score the packs on a labelled corpus

Exit status: 0 when nothing was found, 1 when there is something to note, 2 for a usage \
error, a file that could not be read (the other files are still checked) or no file to check \
at all.";

/// kindly's command line.
#[derive(Debug, Parser)]
#[command(
    name = "kindly",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    propagate_version = true,
    arg_required_else_help = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options that every subcommand takes, before or after its name.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// Load a rule pack: a .toml file or a folder holding pack.toml (repeatable).
    #[arg(long = "pack", value_name = "FILE_OR_DIR", global = true)]
    pub packs: Vec<PathBuf>,

    /// Do not load the built-in packs (use with --pack).
    #[arg(long, global = true)]
    pub no_default_packs: bool,

    /// Turn a category off (repeatable, or comma-separated). Ids: labeling, comparison,
    /// overgeneralization, all_or_nothing, should_statement, catastrophizing, mind_reading,
    /// fortune_telling, personalization, discounting_positive, emotional_reasoning,
    /// self_attack. `crisis` is always on.
    #[arg(
        long = "disable-category",
        value_name = "CAT",
        value_delimiter = ',',
        value_parser = parse_category,
        global = true
    )]
    pub disabled: Vec<Category>,

    /// Turn one rule off by its id, as `kindly rules` lists them (repeatable, or
    /// comma-separated). Crisis rules are always on.
    #[arg(
        long = "disable-rule",
        value_name = "RULE_ID",
        value_delimiter = ',',
        global = true
    )]
    pub disabled_rules: Vec<String>,

    /// Locale of the support resources, e.g. en-US, en-GB, en-CA, en-IE, en-AU.
    #[arg(long, value_name = "LOCALE", global = true)]
    pub locale: Option<String>,

    /// When to use colour. `auto` honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,

    /// Read settings from this file instead of the nearest .kindly.toml or kindly.toml in the
    /// working folder or a folder above it.
    #[arg(long, value_name = "FILE", global = true, conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Do not read a settings file.
    #[arg(long, global = true)]
    pub no_config: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check files, folders or standard input for harsh self-talk.
    #[command(after_help = "\
Folders are searched recursively for text and Markdown files (.txt, .md, .markdown, .mdx, .qmd, \
.rmd), in sorted order; hidden \
files and folders, target/ and node_modules/ are skipped, and so are files that .gitignore, \
.ignore or .git/info/exclude leave out (--no-ignore checks those too). Files named on the \
command line are always checked, whatever their type. Files of other types in a folder are \
counted in a note on standard error, and a link in a folder that leads nowhere is reported as a \
file that cannot be read. Markdown files skip code, links, HTML and front matter, except for \
crisis language, which is looked for everywhere.

Examples:
  kindly check journal.md notes/
  pbpaste | kindly check --markdown
  kindly check --format jsonl notes/ | jq -c 'select(.type == \"finding\")'")]
    Check(CheckArgs),

    /// List the loaded rules.
    Rules(RulesArgs),

    /// Explain one rule: what it looks for, why, its examples and its reframes.
    #[command(
        after_help = "Examples:\n  kindly explain labeling.self-adjective\n  kindly explain labeling      (every rule of a category)"
    )]
    Explain(ExplainArgs),

    /// Show what every rule did with a text: which triggers brought it in, whether its
    /// pattern matched, and which context filter dropped a match.
    #[command(after_help = TRACE_HELP)]
    Trace(TraceArgs),

    /// Run the rules' embedded examples (every rule tests itself).
    #[command(after_help = "\
With PACK arguments, only the rules of those packs are reported (the built-in packs are still \
loaded, so a pack may use them, unless --no-default-packs is given).

Examples:
  kindly test-rules
  kindly test-rules --no-default-packs my-pack/")]
    TestRules(TestRulesArgs),

    /// Score the rule packs on labelled corpora: precision, recall and F1 per category.
    #[command(after_help = EVAL_HELP)]
    Eval(EvalArgs),

    /// Run as a language server over standard input and output, for editors.
    #[command(after_help = LSP_HELP)]
    Lsp(LspArgs),
}

const TRACE_HELP: &str = "\
For rule authors: \"why does my rule not fire here?\" and \"why does it fire there?\". Each \
candidate is one rule meeting one of its triggers in a sentence; the trace shows whether the \
rule's pattern matched, which context filter (negation, quotes, reported speech, ...) dropped \
the match, and which match became the finding where several overlap. Candidates whose pattern \
did not match are listed with --all or --rule. A rule turned off (--disable-rule, \
--disable-category or the settings file) is shown as turned off, by what, and what it would \
have done. The trace is recorded by the same code that `kindly check` runs, so the two never \
disagree.

Examples:
  kindly trace \"I'm not lazy. I'm so lazy.\"
  kindly trace --rule labeling --all \"honestly I'm such a mess\"
  kindly trace --file journal.md --format json
  kindly trace --pack my-pack/ --rule mine.overthinking \"I overthink everything\"

Exit status: 0 when the text has no finding, 1 when it has one (as `kindly check` would \
report), 2 for a usage or input error (no text given while standard input is a terminal, a file \
that cannot be read, a --rule that names no loaded rule).";

const LSP_HELP: &str = "\
Diagnostics for Markdown and plain-text documents as you type (only the paragraphs an edit \
touches are analysed again), a hover with the kinder wordings, and code actions: \"Rewrite as\", \
\"Don't flag ... in this file\", and \"Turn off rule <id>\" and \"Turn off <category>\" for \
the session. Crisis language \
shows the support message with resources, as an error-level diagnostic.

The global options (--pack, --no-default-packs, --disable-category, --disable-rule, --locale) \
are the starting settings; the editor's initializationOptions and \
workspace/didChangeConfiguration settings (enabledCategories, disabledCategories, \
disabledRules, minimumSeverity, packs, builtinPacks, locale, maxReframes) go on top. Editor set-up: see the README, section \"kindly lsp\".

Examples:
  kindly lsp
  kindly --disable-category should_statement lsp

Exit status: 0 after the client's shutdown and exit, 1 when the client exits without shutdown \
or closes the connection without it (with a message on standard error saying so), 2 when \
reading the connection fails (an I/O error). A malformed message (not JSON, not a JSON-RPC \
message, a bad Content-Length header) does not end the session: it is answered with a JSON-RPC \
error (-32700 or -32600, id null), logged without its text, and the server reads on.";

const EVAL_HELP: &str = "\
Input: JSON Lines, one object per line with \"text\", \"labels\" (a list of category ids; [] \
means no self-talk) and an optional \"id\"; or CSV/TSV with a header row (labels as a JSON list \
or separated by ; | or ,). Folders are read for .jsonl, .ndjson and .csv files, recursively, in \
name order. --map FILE.tsv maps a corpus's own labels: two tab-separated columns, the label and \
a category id, `none` (no self-talk) or `ignore` (the label is dropped; a row whose labels are \
all ignored is counted but not scored). Bad rows (invalid JSON, no text, no labels, an unknown \
label) are listed with file:line and counted; --strict stops at the first one.

Scoring: a text's predicted categories are the primary categories of its findings (tags are \
not counted; the \"micro, tags counted\" line counts them). Per category C: TP = texts with C in gold \
and predicted, FP = predicted but not gold, FN = gold but not predicted; precision = \
TP/(TP+FP), recall = TP/(TP+FN), F1 = 2TP/(2TP+FP+FN), \"-\" when undefined. Micro sums the \
counts over categories; macro is the mean over categories with support > 0 (undefined counts \
as 0). Any self-talk: a text is positive when it has a label, predicted positive when it has a \
finding; negatives flagged = gold negatives with a finding. Crisis recall = gold-crisis texts \
answered in support mode. Per rule: the texts it fired on and the share of them whose labels \
include its category. Confusion: each text adds 1 to every (gold, predicted) pair, with \
\"none\" for an empty side.

Compare: --baseline-pack scores a second set of packs on the same rows: the same options, with \
the --pack list replaced by the --baseline-pack list (--baseline-builtin: the built-in packs \
alone), and prints the change per category.

Examples:
  kindly eval corpora/dev
  kindly eval --errors 5 corpora/dev/short.jsonl
  kindly eval --map corpus/mapping.tsv corpus/data.jsonl
  kindly eval --text-field thought --label-field traps corpus.csv
  kindly eval --format json corpora/dev > scores.json
  kindly eval --html report.html corpora/dev
  kindly eval --pack new.toml --baseline-pack old.toml corpora/dev
  kindly eval --fail-under 'f1=0.9,negatives_flagged=0.03,crisis_recall=1' corpora/test

Settings: the settings file (kindly.toml) is read as by every command; the report names it, \
and every rule turned off with what turned it off (\"settings\" and \"turned_off\" in JSON). \
--no-config scores without it.

Exit status: 0 when scored, 1 when a --fail-under bound is not met, 2 for a usage or input \
error (a missing file, a bad --map, a CSV without the text column, a bad row with --strict, \
no row scored at all, an --html file that cannot be written, a --fail-under bound out of \
range).";

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Files or folders to check; `-` reads standard input. Without any, standard input is
    /// read when it is not a terminal.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Treat every input as Markdown (the default for .md, .markdown, .mdx, .qmd and .rmd files).
    #[arg(long, conflicts_with = "plain")]
    pub markdown: bool,

    /// Treat every input as plain text, even .md files.
    #[arg(long)]
    pub plain: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,

    /// At most N kinder wordings per note (0 to 3; 0 shows none).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=3))]
    pub max_reframes: Option<u8>,

    /// Check files that are not valid UTF-8 anyway, with each bad byte sequence replaced by
    /// U+FFFD (a note names the file and the first bad byte). Positions then count the
    /// replacement characters, not the file's bytes.
    #[arg(long)]
    pub lossy: bool,

    /// In folders, also check files that .gitignore, .ignore and .git/info/exclude leave out
    /// (hidden files, target/ and node_modules/ are still skipped).
    #[arg(long)]
    pub no_ignore: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    /// Print every distinct trigger the search automaton looks for, one per line.
    #[arg(long)]
    pub triggers: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// A rule id (see `kindly rules`), or a category id.
    #[arg(value_name = "RULE_ID")]
    pub rule: String,
}

#[derive(Debug, Args)]
pub(crate) struct TraceArgs {
    /// The text to trace (one argument; quote it). Without it, or as `-`, standard input.
    #[arg(value_name = "TEXT", conflicts_with = "file")]
    pub text: Option<String>,

    /// Trace a file instead (`-` for standard input). Markdown files (.md, .markdown, .mdx,
    /// .qmd, .rmd) are read as Markdown, as `kindly check` does.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Read the text as Markdown (skip code, links, HTML and front matter).
    #[arg(long)]
    pub markdown: bool,

    /// Only this rule, every rule whose id starts with this (a prefix such as `labeling.` or
    /// `mine.`), or every rule of a category (a category id such as `should_statement`). Also
    /// lists the candidates whose pattern did not match.
    #[arg(long, value_name = "RULE_ID")]
    pub rule: Option<String>,

    /// Also list the candidates whose pattern did not match the sentence.
    #[arg(long)]
    pub all: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub(crate) struct TestRulesArgs {
    /// Packs to load and test: .toml files or folders holding pack.toml.
    #[arg(value_name = "PACK")]
    pub pack_files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct LspArgs {
    /// Talk over standard input and output (the only transport, and the default; accepted
    /// because some editors pass it).
    #[arg(long)]
    pub stdio: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// Labelled corpora: .jsonl files, .csv/.tsv files with a header, folders, or `-` for JSON
    /// Lines on standard input.
    #[arg(value_name = "CORPUS", required = true)]
    pub corpora: Vec<PathBuf>,

    /// The field (JSON key, dotted path, or CSV column) holding the text.
    #[arg(long, value_name = "NAME", default_value = "text")]
    pub text_field: String,

    /// The field holding the labels.
    #[arg(long, value_name = "NAME", default_value = "labels")]
    pub label_field: String,

    /// The field holding a row id (optional in the rows; shown in error lists).
    #[arg(long, value_name = "NAME", default_value = "id")]
    pub id_field: String,

    /// Map the corpus's labels: a TSV of `label<TAB>category-id|none|ignore`.
    #[arg(long, value_name = "FILE.tsv")]
    pub map: Option<PathBuf>,

    /// How to read the corpora (auto: .csv is CSV, .tsv is TSV, anything else JSON Lines).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,

    /// Stop with exit status 2 at the first bad row, instead of counting and listing it.
    #[arg(long)]
    pub strict: bool,

    /// List up to N false positives and N false negatives per category, with the rules that
    /// fired (and, with a baseline, up to N texts that got better and N that got worse).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub errors: usize,

    /// Say why each missed label was missed: whether no rule of its category had a trigger in
    /// the text, none's pattern matched, or a context filter dropped a match (and which rule's).
    /// Adds a table of reasons, a `why` to every listed false negative, and `misses` to the
    /// JSON. Each text with a missed label is traced, which takes longer.
    #[arg(long)]
    pub why_missed: bool,

    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = EvalFormat::Table)]
    pub format: EvalFormat,

    /// Also write a self-contained HTML report (charts, tables, error lists) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Compare with a baseline: these packs instead of the --pack ones (repeatable).
    #[arg(long = "baseline-pack", value_name = "FILE_OR_DIR")]
    pub baseline_packs: Vec<PathBuf>,

    /// Compare with the built-in packs alone.
    #[arg(long, conflicts_with = "baseline_packs")]
    pub baseline_builtin: bool,

    /// Exit 1 unless every bound holds, e.g. 'f1=0.9,negatives_flagged=0.03,crisis_recall=1'.
    /// Metrics: f1 (micro), precision, recall, macro_f1, macro_precision, macro_recall, any_f1,
    /// any_precision, any_recall, crisis_recall, negatives_flagged (at most),
    /// crisis_false_alarms (at most), f1.CAT, precision.CAT, recall.CAT. `>=` and `<=` set
    /// the direction explicitly.
    #[arg(
        long,
        value_name = "SPEC",
        value_delimiter = ',',
        value_parser = super::eval::gate::parse
    )]
    pub fail_under: Vec<super::eval::gate::Gate>,

    /// Never show the progress bar (it is shown on standard error only when that is a
    /// terminal).
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum InputFormat {
    /// By extension.
    Auto,
    /// JSON Lines.
    Jsonl,
    /// Comma-separated, with a header row.
    Csv,
    /// Tab-separated, with a header row.
    Tsv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum EvalFormat {
    /// Tables for people.
    Table,
    /// One JSON document with every figure.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    /// Notes with the line they are on, for people.
    Human,
    /// One JSON document.
    Json,
    /// One JSON object per line: findings, support messages and errors.
    Jsonl,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// A table.
    Human,
    /// One JSON document.
    Json,
}

pub(crate) fn parse_category(s: &str) -> Result<Category, String> {
    let id = s.trim();
    match Category::from_id(id) {
        Some(Category::Crisis) => Err(
            "the crisis category cannot be turned off: crisis language is always caught, so a \
             support message can be shown"
                .to_string(),
        ),
        Some(c) => Ok(c),
        None => {
            let ids: Vec<&str> = Category::ALL
                .iter()
                .filter(|c| **c != Category::Crisis)
                .map(|c| c.id())
                .collect();
            Err(format!(
                "unknown category{} (valid ids: {})",
                closest_category(id, &ids),
                ids.join(", ")
            ))
        }
    }
}

/// "; did you mean 'labeling'?" for a category id close to one of `ids` ("labelling",
/// "self-attack"), else "": the library's choice and wording, as for rule ids.
pub(crate) fn closest_category(id: &str, ids: &[&str]) -> String {
    kindly::did_you_mean(&kindly::closest_ids(id, ids))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The help is written by hand; it must name every extension a folder is searched for, and
    /// every extension read as Markdown, as `inputs` defines them.
    #[test]
    fn help_names_the_extensions_inputs_uses() {
        let mut cli = Cli::command();
        let check = cli.find_subcommand_mut("check").unwrap();
        let help = check.render_long_help().to_string();
        for ext in crate::cli::inputs::searched_extensions().split(", ") {
            assert!(
                help.contains(ext),
                "`kindly check --help` does not name {ext}"
            );
        }
        let markdown = check
            .get_arguments()
            .find(|a| a.get_id() == "markdown")
            .and_then(|a| a.get_help())
            .unwrap()
            .to_string();
        let named: Vec<&str> = markdown
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
            .filter_map(|w| w.strip_prefix('.'))
            .collect();
        assert_eq!(named, crate::cli::inputs::MARKDOWN_EXTENSIONS, "{markdown}");
    }
}
