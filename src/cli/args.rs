//! The command line, as clap derive structs. Everything here is declaration; `mod.rs` acts.

use clap::{Args, Parser, Subcommand, ValueEnum};
use kindly::Category;
use std::path::PathBuf;

const ABOUT: &str = "Notices harsh self-talk in your own writing and offers kinder ways to say it.";

const LONG_ABOUT: &str = "\
Notices harsh self-talk in your own writing (\"I'm so lazy\", \"I always mess up\") and \
offers kinder ways to say it. If a page holds words about not wanting to be alive or about \
hurting yourself, kindly sets its suggestions aside and shows a calm support message with \
people you can reach instead.

Everything runs on this computer: nothing you write is stored or sent anywhere.";

const EXAMPLES: &str = "\
Examples:
  kindly check journal.md              check one file
  kindly check notes/                  check every .md, .markdown and .txt file in a folder
  echo \"I'm so lazy.\" | kindly check   check text from standard input
  kindly check --format json notes/    machine-readable output
  kindly check --disable-category should_statement journal.md
  kindly rules                         list the rules
  kindly explain labeling.self-adjective
  kindly test-rules my-pack.toml       run a pack's own examples

Exit status: 0 when nothing was found, 1 when there is something to note, 2 for a usage \
error or a file that could not be read (the other files are still checked).";

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
#[derive(Debug, Args)]
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

    /// Locale of the support resources, e.g. en-US, en-GB, en-CA, en-IE, en-AU.
    #[arg(long, value_name = "LOCALE", global = true)]
    pub locale: Option<String>,

    /// When to use colour. `auto` honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check files, folders or standard input for harsh self-talk.
    #[command(after_help = "\
Folders are searched recursively for .md, .markdown and .txt files, in sorted order; hidden \
files and folders, target/ and node_modules/ are skipped. Files named on the command line are \
always checked. Markdown files skip code, links, HTML and front matter.

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

    /// Run the rules' embedded examples (every rule tests itself).
    #[command(after_help = "\
With PACK arguments, only the rules of those packs are reported (the built-in packs are still \
loaded, so a pack may use them, unless --no-default-packs is given).

Examples:
  kindly test-rules
  kindly test-rules --no-default-packs my-pack/")]
    TestRules(TestRulesArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Files or folders to check; `-` reads standard input. Without any, standard input is
    /// read when it is not a terminal.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Treat every input as Markdown (the default for .md and .markdown files).
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
pub(crate) struct TestRulesArgs {
    /// Packs to load and test: .toml files or folders holding pack.toml.
    #[arg(value_name = "PACK")]
    pub pack_files: Vec<PathBuf>,
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

fn parse_category(s: &str) -> Result<Category, String> {
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
            Err(format!("unknown category (valid ids: {})", ids.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
