//! The settings file: `.kindly.toml` or `kindly.toml`, the nearest one found from the working
//! folder upward, or the one named with `--config`. It holds the options a person would
//! otherwise repeat on every command (their own packs, the categories and rules they turned
//! off, their locale), so `kindly check`, `kindly lsp` and the rest agree without flags.
//!
//! Options on the command line come on top: lists (packs, turned-off categories and rules) are
//! added to the file's, single values (locale, `--max-reframes`) replace the file's.

use super::args::{parse_category, GlobalArgs};
use anyhow::{anyhow, bail, Context, Result};
use kindly::Category;
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file names looked for in each folder, in this order.
pub(crate) const FILE_NAMES: [&str; 2] = [".kindly.toml", "kindly.toml"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSettings {
    packs: Option<Vec<Spanned<String>>>,
    default_packs: Option<bool>,
    disable_categories: Option<Vec<Spanned<String>>>,
    disable_rules: Option<Vec<Spanned<String>>>,
    locale: Option<Spanned<String>>,
    max_reframes: Option<Spanned<i64>>,
}

/// A settings file, read and checked.
#[derive(Debug)]
pub(crate) struct Settings {
    /// The file as found (relative paths stay relative, as the user would type them).
    pub path: PathBuf,
    text: String,
    packs: Vec<PathBuf>,
    default_packs: Option<bool>,
    /// Categories with where they stand, so `trace` and `explain` can say what turned a rule off.
    disabled: Vec<(Category, Range<usize>)>,
    /// Rule ids with where they stand, so an unknown id is reported at its line.
    disabled_rules: Vec<(String, Range<usize>)>,
    locale: Option<(String, Range<usize>)>,
    pub max_reframes: Option<u8>,
}

/// The settings to use: `--config FILE`, nothing with `--no-config`, otherwise the nearest
/// `.kindly.toml` or `kindly.toml` from the working folder up.
pub(crate) fn load(global: &GlobalArgs) -> Result<Option<Settings>> {
    if global.no_config {
        return Ok(None);
    }
    if let Some(path) = &global.config {
        return read(path).map(Some);
    }
    let here = std::env::current_dir().context("could not tell the working folder")?;
    match find(&here) {
        Some(path) => read(&path).map(Some),
        None => Ok(None),
    }
}

/// The nearest settings file in `start` or a folder above it.
pub(crate) fn find(start: &Path) -> Option<PathBuf> {
    start.ancestors().find_map(|dir| {
        FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn read(path: &Path) -> Result<Settings> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        anyhow::anyhow!(
            "{}: cannot read the settings file: {}",
            path.display(),
            super::inputs::io_reason(&e)
        )
    })?;
    // Editors on some systems save a byte-order mark; TOML does not allow one.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
    parse(path, text)
}

/// The TOML reader's message in the words of the settings file: a likely key for an unknown one,
/// and "a whole number" for Rust's integer type names.
fn plain_toml_message(message: &str) -> String {
    let mut out = message.to_string();
    for rust in ["i64", "u64", "i32", "u32", "u8", "usize"] {
        out = out.replace(&format!("expected {rust}"), "expected a whole number");
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let unknown = rest.split('`').next().unwrap_or_default();
        let known: Vec<&str> = rest
            .split_once("expected one of ")
            .map(|(_, list)| list.split(", ").map(|k| k.trim_matches('`')).collect())
            .unwrap_or_default();
        if let Some(key) = kindly::closest_ids(unknown, &known).first() {
            out.push_str(&format!("; did you mean `{key}`?"));
        }
    }
    out
}

/// Reads settings from `text`, as found at `path` (which relative pack paths are taken from).
pub(crate) fn parse(path: &Path, text: String) -> Result<Settings> {
    let raw: RawSettings = match toml::from_str(&text) {
        Ok(raw) => raw,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            let message = plain_toml_message(e.message().trim_end());
            bail!("{}: {message}", located(path, &text, at));
        }
    };
    let base = path.parent().unwrap_or(Path::new(""));
    let mut packs = Vec::new();
    for p in raw.packs.unwrap_or_default() {
        let full = base.join(p.get_ref());
        if !full.exists() {
            bail!(
                "{}: packs: no file or folder '{}' (pack paths are taken from the folder \
                 of the settings file)",
                located(path, &text, p.span().start),
                full.display()
            );
        }
        packs.push(full);
    }
    let mut disabled = Vec::new();
    for c in raw.disable_categories.unwrap_or_default() {
        let category = parse_category(c.get_ref()).map_err(|why| {
            anyhow!(
                "{}: disable-categories: '{}': {why}",
                located(path, &text, c.span().start),
                c.get_ref()
            )
        })?;
        disabled.push((category, c.span()));
    }
    let disabled_rules = raw
        .disable_rules
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r.get_ref().trim().to_string(), r.span()))
        .collect();
    let max_reframes = match raw.max_reframes {
        None => None,
        Some(n) => match u8::try_from(*n.get_ref()) {
            Ok(v) if v <= 3 => Some(v),
            _ => bail!(
                "{}: max-reframes: {} is not a number from 0 to 3",
                located(path, &text, n.span().start),
                n.get_ref()
            ),
        },
    };
    Ok(Settings {
        path: path.to_path_buf(),
        packs,
        default_packs: raw.default_packs,
        disabled,
        disabled_rules,
        locale: raw.locale.map(|l| (l.get_ref().clone(), l.span())),
        max_reframes,
        text,
    })
}

impl Settings {
    /// The global options with these settings underneath: the file's packs load before the
    /// command line's, and its turned-off categories and rules are added to the command line's.
    pub(crate) fn apply(&self, global: &mut GlobalArgs) {
        let mut packs = self.packs.clone();
        packs.append(&mut global.packs);
        global.packs = packs;
        if self.default_packs == Some(false) {
            global.no_default_packs = true;
        }
        for (c, _) in &self.disabled {
            if !global.disabled.contains(c) {
                global.disabled.push(*c);
            }
        }
        for (id, _) in &self.disabled_rules {
            if !global.disabled_rules.contains(id) {
                global.disabled_rules.push(id.clone());
            }
        }
        if global.locale.is_none() {
            global.locale = self.locale.as_ref().map(|(l, _)| l.clone());
        }
    }

    /// Where an engine error comes from, when it refuses a value of this file (the engine says
    /// which, `kindly::Error::value`): an unknown rule id or locale, a crisis rule or a category
    /// under `disable-rules` is reported at its line, as a pack error would be.
    pub(crate) fn locate_error(&self, value: &str, message: &str) -> Option<String> {
        let at = self
            .disabled_rules
            .iter()
            .find(|(id, _)| id == value)
            .map(|(_, span)| ("disable-rules", span))
            .or_else(|| {
                self.locale
                    .as_ref()
                    .filter(|(l, _)| l == value)
                    .map(|(_, span)| ("locale", span))
            })?;
        Some(format!(
            "{}: {}: {message}",
            located(&self.path, &self.text, at.1.start),
            at.0
        ))
    }

    /// `path:line:column` of the entry of this file that turns rule `id` off, if one does.
    pub(crate) fn turns_off_rule(&self, id: &str) -> Option<String> {
        let (_, span) = self.disabled_rules.iter().find(|(r, _)| r == id)?;
        Some(located(&self.path, &self.text, span.start))
    }

    /// `path:line:column` of the entry of this file that turns `category` off, if one does.
    pub(crate) fn turns_off_category(&self, category: Category) -> Option<String> {
        let (_, span) = self.disabled.iter().find(|(c, _)| *c == category)?;
        Some(located(&self.path, &self.text, span.start))
    }
}

/// What turned rules off in this run, so `trace` and `explain` can say so instead of leaving a
/// rule's silence a mystery: the command line's flags, as given (before the settings file's
/// lists were added to them), and the settings file.
#[derive(Debug, Default)]
pub(crate) struct TurnedOff<'a> {
    /// `--disable-category` values.
    pub categories: Vec<Category>,
    /// `--disable-rule` values.
    pub rules: Vec<String>,
    /// `--no-default-packs` was given (the settings file may also say `default-packs = false`).
    pub no_default_packs: bool,
    pub settings: Option<&'a Settings>,
}

impl TurnedOff<'_> {
    /// "turned off (by --disable-rule)": [`TurnedOff::source`] in a phrase.
    pub(crate) fn by(&self, id: &str, category: Category) -> String {
        match self.source(id, category) {
            Some(source) => format!("turned off (by {source})"),
            None => "turned off".to_string(),
        }
    }

    /// What turned off rule `id` (of `category`): "--disable-rule", "--disable-category
    /// labeling", "dir/kindly.toml:1:18", or several of these joined with "and".
    pub(crate) fn source(&self, id: &str, category: Category) -> Option<String> {
        let mut by = Vec::new();
        if self.rules.iter().any(|r| r.trim() == id) {
            by.push("--disable-rule".to_string());
        }
        if self.categories.contains(&category) {
            by.push(format!("--disable-category {}", category.id()));
        }
        if let Some(s) = self.settings {
            by.extend(s.turns_off_rule(id));
            by.extend(s.turns_off_category(category));
        }
        (!by.is_empty()).then(|| by.join(" and "))
    }
}

/// `path:line:column` for a byte offset of `text`; the column counts characters.
fn located(path: &Path, text: &str, at: usize) -> String {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{}:{line}:{column}", path.display())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Result<Settings> {
        parse(Path::new("dir/kindly.toml"), text.to_string())
    }

    #[test]
    fn reads_every_key() {
        let s = settings(
            "default-packs = true\ndisable-categories = [\"should_statement\"]\n\
             disable-rules = [\" comparison.and-me \"]\nlocale = \"en-GB\"\nmax-reframes = 1\n",
        )
        .unwrap();
        assert_eq!(s.disabled[0].0, Category::ShouldStatement);
        assert_eq!(s.disabled_rules[0].0, "comparison.and-me");
        assert_eq!(s.locale.as_ref().unwrap().0, "en-GB");
        assert_eq!(s.max_reframes, Some(1));
        assert_eq!(s.default_packs, Some(true));
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let e = settings("locale = \"en-GB\"\ndisable-rule = [\"x\"]\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dir/kindly.toml:2:1: unknown field `disable-rule`, expected one of `packs`, \
             `default-packs`, `disable-categories`, `disable-rules`, `locale`, `max-reframes`; \
             did you mean `disable-rules`?"
        );
        let e = settings("disable-categories = [\"labeling\", \"labelling\"]").unwrap_err();
        assert!(
            e.to_string().starts_with(
                "dir/kindly.toml:1:35: disable-categories: 'labelling': unknown category; did you mean 'labeling'? (valid ids: labeling,"
            ),
            "{e}"
        );
        let e = settings("disable-categories = [\"crisis\"]").unwrap_err();
        assert!(e.to_string().contains("cannot be turned off"), "{e}");
        let e = settings("max-reframes = \"2\"").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dir/kindly.toml:1:16: invalid type: string \"2\", expected a whole number"
        );
        let e = settings("\n\nmax-reframes = 7").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dir/kindly.toml:3:16: max-reframes: 7 is not a number from 0 to 3"
        );
        let e = settings("packs = [\"nowhere.toml\"]").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dir/kindly.toml:1:10: packs: no file or folder 'dir/nowhere.toml' (pack paths are \
             taken from the folder of the settings file)"
        );
    }

    #[test]
    fn engine_errors_about_its_values_are_located() {
        let s = settings("disable-rules = [\"a.b\", \"c.d\"]\nlocale = \"xx\"").unwrap();
        assert_eq!(
            s.locate_error("c.d", "no loaded rule 'c.d' to turn off")
                .as_deref(),
            Some("dir/kindly.toml:1:25: disable-rules: no loaded rule 'c.d' to turn off")
        );
        assert_eq!(
            s.locate_error("xx", "unknown locale 'xx' for support messages")
                .as_deref(),
            Some("dir/kindly.toml:2:10: locale: unknown locale 'xx' for support messages")
        );
        // A value the file does not hold came from the command line: not located here.
        assert_eq!(
            s.locate_error("e.f", "no loaded rule 'e.f' to turn off"),
            None
        );
    }

    #[test]
    fn turned_off_names_the_flag_or_the_line() {
        let s = settings("disable-rules = [\"a.b\"]\ndisable-categories = [\"labeling\"]").unwrap();
        let off = TurnedOff {
            categories: vec![Category::Labeling],
            rules: vec!["c.d".into()],
            no_default_packs: false,
            settings: Some(&s),
        };
        assert_eq!(
            off.by("a.b", Category::Comparison),
            "turned off (by dir/kindly.toml:1:18)"
        );
        assert_eq!(
            off.by("c.d", Category::Labeling),
            "turned off (by --disable-rule and --disable-category labeling and \
             dir/kindly.toml:2:23)"
        );
    }

    #[test]
    fn command_line_comes_on_top() {
        let s = settings(
            "disable-rules = [\"a.b\"]\nlocale = \"en-GB\"\ndefault-packs = false\n\
             disable-categories = [\"labeling\"]",
        )
        .unwrap();
        use clap::Parser;
        let mut g = crate::cli::args::Cli::parse_from(["kindly", "rules"]).global;
        g.locale = Some("en-US".into());
        g.disabled_rules = vec!["c.d".into(), "a.b".into()];
        s.apply(&mut g);
        assert_eq!(g.locale.as_deref(), Some("en-US"));
        assert_eq!(g.disabled_rules, vec!["c.d".to_string(), "a.b".to_string()]);
        assert_eq!(g.disabled, vec![Category::Labeling]);
        assert!(g.no_default_packs);
    }

    #[test]
    fn the_nearest_file_wins() {
        let root = std::env::temp_dir().join(format!("kindly-config-{}", std::process::id()));
        let inner = root.join("a").join("b");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(root.join("kindly.toml"), "").unwrap();
        assert_eq!(find(&inner), Some(root.join("kindly.toml")));
        std::fs::write(root.join("a").join(".kindly.toml"), "").unwrap();
        assert_eq!(find(&inner), Some(root.join("a").join(".kindly.toml")));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
