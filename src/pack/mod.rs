//! Rule packs: reading TOML, validating it strictly, and compiling it into rules the engine runs.
//!
//! A pack is one TOML file, or a folder whose `pack.toml` lists further rule files under
//! `include`. Every problem is reported with file, line, column and, inside a rule, the rule id.

pub(crate) mod builtin;
pub(crate) mod classifier;
pub(crate) mod expand;
mod lexicon_hir;
pub(crate) mod matcher;
pub(crate) mod schema;

use crate::category::{Category, Confidence, CrisisTier, Severity};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::template::{Template, STANDARD_SLOTS};
use expand::{alternation, expand_pattern, trigger_literals, TriggerLiteral};
use lexicon_hir::Lexicons;
use matcher::{BuildError, Regex};
use schema::{ContextCues, PackFile, QuestionSwitch, RuleSpec, Switch};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;
use toml::Spanned;

/// Upper bound on the compiled size of one regex. A pattern over it is refused with a clear
/// error instead of exhausting memory (hostile packs, issue 6).
const REGEX_SIZE_LIMIT: usize = 8 << 20;
/// The lazy DFA cache each pattern may grow to. Sentences are short, so a small cache rarely
/// fills; 2 MiB measured as fast as 8 MiB on journal text while keeping memory down.
const DFA_CACHE_LIMIT: usize = 2 << 20;
/// Upper bound on the length of one regex's source after lexicons are expanded (the built-in
/// pack's longest is about 13 KB). Longer sources are refused before the regex crate parses
/// them: parsing and translating a multi-megabyte alternation takes far longer than refusing it
/// by its compiled size would suggest (hostile packs, issue 6).
const MAX_PATTERN_BYTES: usize = 256 << 10;
/// Upper bound on the number of trigger spellings (literals) over all packs. The built-in pack
/// has about 2,300; at this limit the automaton takes about 5 s and 180 MB to build (a release
/// build on a 2-core machine; 2,000,000 took 70 s and 700 MB), so 100,000 triggers with an
/// apostrophe each (five spellings) still load.
pub(crate) const MAX_TRIGGER_LITERALS: usize = 500_000;
/// Largest pack file we parse.
pub(crate) const MAX_FILE_BYTES: usize = 64 << 20;

/// One file of a pack, as text, with the name used in error messages.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    pub name: String,
    pub text: String,
}

/// Finds the files a pack's `include` names, relative to the main file.
pub(crate) trait Resolver {
    fn resolve(&self, main: &SourceFile, include: &str) -> std::result::Result<SourceFile, String>;
}

/// A pack given as a single string: includes are not available.
pub(crate) struct NoIncludes;

impl Resolver for NoIncludes {
    fn resolve(
        &self,
        _main: &SourceFile,
        include: &str,
    ) -> std::result::Result<SourceFile, String> {
        Err(format!(
            "cannot include '{include}': includes work for packs loaded from a folder or file path, not from a string"
        ))
    }
}

/// Where the content of a TOML string value starts, given the offset of its opening quote:
/// after a triple quote (and the newline TOML trims right after it), else after one quote.
fn value_start(src: &str, quote: usize) -> usize {
    let rest = src.get(quote..).unwrap_or("");
    if rest.starts_with("'''") || rest.starts_with("\"\"\"") {
        let after = quote + 3;
        match src.get(after..) {
            Some(r) if r.starts_with("\r\n") => after + 2,
            Some(r) if r.starts_with('\n') => after + 1,
            _ => after,
        }
    } else {
        quote + 1
    }
}

/// Computes the 1-based line and character column of a byte offset.
pub(crate) fn locate(file: &str, src: &str, offset: usize) -> Location {
    let offset = crate::text::floor_char(src, offset.min(src.len()));
    let before = &src[..offset];
    let line = memchr::memchr_iter(b'\n', before.as_bytes()).count() + 1;
    let line_start = memchr::memrchr(b'\n', before.as_bytes()).map_or(0, |p| p + 1);
    let column = src[line_start..offset].chars().count() + 1;
    Location {
        file: file.to_string(),
        line,
        column,
    }
}

/// Where the lines of a file start, so that locating the many offsets a pack's rules and
/// examples keep is a binary search each rather than a count from the top of the file, which
/// made loading quadratic (20,000 rules took 30 s; issue 6). Columns are counted from the line
/// start, or from the previous offset when it is on the same line and not after this one, so a
/// long single line is also walked once.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
    last: std::cell::Cell<(usize, usize)>,
}

impl LineIndex {
    pub(crate) fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i + 1));
        LineIndex {
            starts,
            last: std::cell::Cell::new((0, 1)),
        }
    }

    /// The same as [`locate`] for `file`, whose text this index was built from.
    pub(crate) fn locate(&self, file: &SourceFile, offset: usize) -> Location {
        let src = file.text.as_str();
        let offset = crate::text::floor_char(src, offset.min(src.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let line_start = self.starts[line - 1];
        let (prev, prev_column) = self.last.get();
        let column = if prev >= line_start && prev <= offset {
            prev_column + src[prev..offset].chars().count()
        } else {
            src[line_start..offset].chars().count() + 1
        };
        self.last.set((offset, column));
        Location {
            file: file.name.clone(),
            line,
            column,
        }
    }
}

/// The id of the `[[rule]]` that contains `offset`, found by reading the source around it, so
/// that even schema errors reported by the TOML parser can name their rule.
fn enclosing_rule_id(src: &str, offset: usize) -> Option<String> {
    let offset = crate::text::floor_char(src, offset.min(src.len()));
    // Walk the lines that start before `offset`, remembering the last table header.
    let mut header_at = None;
    let mut line_start = 0;
    for line in src.split_inclusive('\n') {
        if line_start > offset {
            break;
        }
        let t = line.trim();
        if t.starts_with('[') {
            if t.starts_with("[[rule]]") {
                header_at = Some(line_start);
            } else if !(t.starts_with("[rule.") || t.starts_with("[[rule.")) {
                header_at = None;
            }
        }
        line_start += line.len();
    }
    let start = header_at?;
    for line in src.get(start..)?.lines().skip(1) {
        let t = line.trim();
        if t.starts_with("[[rule]]") {
            break;
        }
        if let Some(rest) = t.strip_prefix("id") {
            let rest = rest.trim_start();
            if let Some(value) = rest.strip_prefix('=') {
                let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
                return Some(value.to_string());
            }
        }
    }
    None
}

fn parse_file(file: &SourceFile) -> Result<PackFile> {
    if file.text.len() > MAX_FILE_BYTES {
        return Err(Error::new(
            ErrorKind::Limit,
            format!(
                "pack file is {} bytes; the limit is {MAX_FILE_BYTES}",
                file.text.len()
            ),
        )
        .in_file(&file.name));
    }
    toml::from_str::<PackFile>(&file.text).map_err(|e| {
        let message = e.message().trim_end_matches('.');
        let message = explain_toml_error(message, &file.text, e.span().map(|s| s.start));
        let mut err = Error::new(ErrorKind::Syntax, message);
        if let Some(span) = e.span() {
            err = err.at(locate(&file.name, &file.text, span.start));
            if let Some(rule) = enclosing_rule_id(&file.text, span.start) {
                err = err.in_rule(&rule);
            }
        }
        err.in_file(&file.name)
    })
}

/// Makes the TOML parser's terser messages say what to fix: which key is duplicated, that a
/// list of tables needs double brackets, that nesting is too deep.
fn explain_toml_error(message: &str, src: &str, at: Option<usize>) -> String {
    let rest = at.and_then(|a| src.get(a..)).unwrap_or("");
    if message == "duplicate key" {
        let key: String = rest
            .chars()
            .take_while(|c| !matches!(c, '=' | ']' | '\n' | '\r'))
            .take(100)
            .collect();
        let key = key.trim();
        if !key.is_empty() {
            return format!("duplicate key `{key}`");
        }
    }
    if message.ends_with("expected a sequence") && rest.starts_with('[') && !rest.starts_with("[[")
    {
        return format!(
            "{message}: a list of tables is written with double brackets, as in [[rule]]"
        );
    }
    if message == "recursion limit" {
        return "tables or arrays are nested too deeply (the TOML parser's recursion limit)".into();
    }
    message.to_string()
}

/// Context cues of one language, compiled to regexes.
#[derive(Debug)]
pub(crate) struct Cues {
    pub negation: Option<Regex>,
    pub pseudo_negation: Option<Regex>,
    pub embedding_negation: Option<Regex>,
    pub clause_breaks: Option<Regex>,
    pub past_belief: Option<Regex>,
    pub communication: Option<Regex>,
    pub communication_after: Option<Regex>,
    pub attribution: Option<Regex>,
    pub first_person: Option<Regex>,
    pub hedges: Option<Regex>,
    pub intensifiers: Option<Regex>,
    pub softeners: Option<Regex>,
    pub retractions: Option<Regex>,
    pub yes_no_openers: Option<Regex>,
    pub hypothetical: Option<Regex>,
    pub past_episode: Option<Regex>,
    pub feeling_frame: Option<Regex>,
}

/// How a duplicate pack id error says that the first copy is a built-in pack (the error also
/// carries `Error::clashes_with_builtin_pack`, for front ends that can turn them off).
const BUILTIN_HAS_IT: &str = "a built-in pack has the same id";

/// A regex that finds any of `words` as whole words (word boundaries only on sides that are
/// word characters, so emoji and "n't" work too).
pub(crate) fn cue_regex(words: &[String]) -> std::result::Result<Option<Regex>, String> {
    let mut words: Vec<&str> = words
        .iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Ok(None);
    }
    words.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    words.dedup();
    let parts: Vec<String> = words
        .iter()
        .map(|w| {
            let starts_word = w.chars().next().is_some_and(crate::text::is_word_char);
            let ends_word = w
                .trim_end_matches('*')
                .chars()
                .next_back()
                .is_some_and(crate::text::is_word_char);
            format!(
                "{}{}{}",
                if starts_word { r"\b" } else { "" },
                expand::phrase_regex(w),
                if ends_word && !w.ends_with('*') {
                    r"\b"
                } else {
                    ""
                }
            )
        })
        .collect();
    build_regex(&format!("(?:{})", parts.join("|"))).map(Some)
}

fn build_regex(src: &str) -> std::result::Result<Regex, String> {
    build_pattern(src, false)
}

/// See [`LazyRegex::for_lowercase_text`].
#[cfg(test)]
fn build_lowercase_regex(src: &str) -> std::result::Result<Regex, String> {
    build_pattern(src, true)
}

fn build_pattern(src: &str, lowercase: bool) -> std::result::Result<Regex, String> {
    check_length(src.len())?;
    let src = if lowercase {
        lowercase_pattern(&fast_pattern(src))
    } else {
        fast_pattern(src)
    };
    Regex::build(&src, pattern_options(lowercase)).map_err(build_error_message)
}

fn check_length(len: usize) -> std::result::Result<(), String> {
    if len > MAX_PATTERN_BYTES {
        return Err(format!(
            "the pattern is {len} bytes long once lexicons are expanded, over the {MAX_PATTERN_BYTES}-byte limit; split it into several rules or shorten its lexicons"
        ));
    }
    Ok(())
}

fn pattern_options(lowercase: bool) -> matcher::Options {
    matcher::Options {
        case_insensitive: !lowercase,
        size_limit: REGEX_SIZE_LIMIT,
        dfa_cache: DFA_CACHE_LIMIT,
    }
}

/// A syntax error in a pattern or fragment, told against the author's own text: its byte offset
/// there, and a message with the `regex` crate's words and the author's line with a caret under
/// the fault. `shadow` is `expand_pattern`'s placeholder text, byte for byte as long as
/// `original`. `None` when it parses: any error the written-out pattern still has is reported
/// the old way.
fn authors_syntax_error(shadow: &str, original: &str) -> Option<(usize, String)> {
    let e = matcher::syntax_error(shadow)?;
    let start = e.start.min(original.len());
    let end = e.end.clamp(start, original.len());
    if !original.is_char_boundary(start) || !original.is_char_boundary(end) {
        return Some((0, format!("invalid regular expression: {}", e.what)));
    }
    Some((
        start,
        format!(
            "invalid regular expression: {}\n{}",
            e.what,
            caret_excerpt(original, start, end)
        ),
    ))
}

/// The line of `text` holding `start`, cut to 40 characters either side of `start..end`, and a
/// caret line under `start..end`, both indented as the continuation of an error message.
fn caret_excerpt(text: &str, start: usize, end: usize) -> String {
    const REACH: usize = 40;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let end = end.min(line_end);
    let before: Vec<char> = text[line_start..start].chars().collect();
    let after: Vec<char> = text[end..line_end].trim_end_matches('\r').chars().collect();
    let shown_before: String = before[before.len().saturating_sub(REACH)..]
        .iter()
        .collect();
    let shown_after: String = after[..after.len().min(REACH)].iter().collect();
    let lead = if before.len() > REACH { "…" } else { "" };
    let tail = if after.len() > REACH { "…" } else { "" };
    let marked = &text[start..end];
    let pad = " ".repeat(4 + lead.chars().count() + shown_before.chars().count());
    let carets = "^".repeat(marked.chars().count().max(1));
    format!("    {lead}{shown_before}{marked}{shown_after}{tail}\n{pad}{carets}")
}

fn build_error_message(e: BuildError) -> String {
    match e {
        BuildError::TooBig(limit) => format!(
            "the pattern would compile larger than the {limit}-byte limit; split it into several rules or shorten its lexicons"
        ),
        BuildError::Syntax(m) | BuildError::Other(m) => {
            format!("invalid regular expression: {}", m.replace('\n', "\n    "))
        }
    }
}

impl Cues {
    fn compile(c: &ContextCues) -> std::result::Result<Cues, String> {
        let r = |name: &str, words: &[String]| {
            cue_regex(words).map_err(|e| format!("context list '{name}': {e}"))
        };
        Ok(Cues {
            negation: r("negation", &c.negation)?,
            pseudo_negation: r("pseudo-negation", &c.pseudo_negation)?,
            embedding_negation: r("embedding-negation", &c.embedding_negation)?,
            clause_breaks: r("clause-breaks", &c.clause_breaks)?,
            past_belief: r("past-belief", &c.past_belief)?,
            communication: r("communication", &c.communication)?,
            communication_after: r("communication-after", &c.communication_after)?,
            attribution: r("attribution", &c.attribution)?,
            first_person: r("first-person", &c.first_person)?,
            hedges: r("hedges", &c.hedges)?,
            intensifiers: r("intensifiers", &c.intensifiers)?,
            softeners: r("softeners", &c.softeners)?,
            retractions: r("retractions", &c.retractions)?,
            yes_no_openers: r("yes-no-openers", &c.yes_no_openers)?,
            hypothetical: r("hypothetical", &c.hypothetical)?,
            past_episode: r("past-episode", &c.past_episode)?,
            feeling_frame: r("feeling-frame", &c.feeling_frame)?,
        })
    }
}

/// A rule regex compiled on first use. Building an engine stays cheap (the built-in pack has
/// hundreds of patterns, and most texts touch a handful of rules); packs from users are compiled
/// eagerly at build time instead, so that every error is reported with its location up front.
#[derive(Debug)]
pub(crate) struct LazyRegex {
    /// The pattern with a placeholder for each lexicon it uses (see lexicon_hir.rs).
    source: String,
    lexicons: Arc<Lexicons>,
    /// Compiled case-sensitively from a lowercased source, to be run on ASCII-lowercased text
    /// (see [`LazyRegex::for_lowercase_text`]).
    lowercase: bool,
    cell: std::sync::OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// A rule's pattern: its main one or a context one (`exceptions`, `requires`,
    /// `followed-by`, ...). Its letters are lowercased and it is compiled case-sensitively, so
    /// it must be run on text passed through `to_ascii_lowercase` (which keeps every byte
    /// offset; [`LazyRegex::haystack`] picks the copy). That is what case-insensitive matching
    /// means for English, the automaton is smaller than one that folds case itself (no
    /// `K`/`k`/Kelvin-sign classes), and the pattern's lexicons are parsed once per pack
    /// (lexicon_hir.rs). Patterns that set case flags themselves (`(?-i:[A-Z][a-z]+)` for a
    /// name) keep matching the original text.
    fn for_lowercase_text(source: String, lexicons: &Arc<Lexicons>) -> LazyRegex {
        LazyRegex {
            lowercase: !source.contains("(?-i") && !source.contains("(?i"),
            source,
            lexicons: Arc::clone(lexicons),
            cell: std::sync::OnceLock::new(),
        }
    }

    /// True when the regex must be run on ASCII-lowercased text.
    #[cfg(test)]
    fn wants_lowercase(&self) -> bool {
        self.lowercase
    }

    fn build(&self) -> std::result::Result<Regex, String> {
        let lexicons = &self.lexicons;
        if self.lowercase && lexicons.can_splice(&self.source) {
            check_length(lexicons.written_out_len(&self.source))?;
            let rewrite = |src: &str| lowercase_pattern(&fast_pattern(src));
            return lexicons
                .parse_spliced(&rewrite(&self.source), rewrite)
                .and_then(|hir| Regex::from_hir(&hir, pattern_options(true)))
                .map_err(build_error_message);
        }
        build_pattern(&lexicons.write_out(&self.source), self.lowercase)
    }

    /// The compiled regex. `None` only if a pattern that was never validated fails to compile,
    /// which the test suite rules out for the built-in packs.
    pub(crate) fn get(&self) -> Option<&Regex> {
        self.cell.get_or_init(|| self.build().ok()).as_ref()
    }

    /// True once compiled (or once compiling failed).
    pub(crate) fn is_compiled(&self) -> bool {
        self.cell.get().is_some()
    }

    /// Compiles now, reporting the error.
    fn force(&self) -> std::result::Result<(), String> {
        if self.cell.get().is_none() {
            let compiled = self.build()?;
            let _ = self.cell.set(Some(compiled));
        }
        Ok(())
    }

    pub(crate) fn is_match(&self, hay: &str) -> bool {
        self.get().is_some_and(|r| r.is_match(hay))
    }

    /// Which of two copies of a text this regex runs on: `lowered` (the text through
    /// `to_ascii_lowercase`, same offsets) or, for a pattern that sets case flags itself, `text`.
    pub(crate) fn haystack<'t>(&self, text: &'t str, lowered: &'t str) -> &'t str {
        if self.lowercase {
            lowered
        } else {
            text
        }
    }
}

/// What `\\w` means in rule patterns: ASCII letters, digits and underscore, and the non-ASCII
/// ranges that hold letters (Latin-1 letters onward, skipping the blocks of punctuation,
/// symbols and emoji). Close to Unicode's `\\w` for words, but a few ranges instead of hundreds,
/// which keeps each compiled pattern small.
const WORD_RANGES: &str = "0-9A-Za-z_\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1FFF}\\x{2C00}-\\x{2DFF}\\x{3040}-\\x{FDFF}\\x{FE70}-\\x{FEFF}\\x{FF10}-\\x{FFEF}\\x{10000}-\\x{1EFFF}\\x{20000}-\\x{3FFFF}";

/// Rewrites a pattern for speed and size without changing what it means for English text:
/// `\\b` and `\\B` become ASCII word boundaries (which the lazy DFA supports on any input;
/// Unicode ones make it fall back to a much slower engine whenever the sentence holds a curly
/// quote or an emoji), and `\\w` becomes [`WORD_RANGES`] matched without case folding (it holds
/// both cases already; folding large ranges is slow to compile).
fn fast_pattern(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 64);
    let mut chars = src.chars();
    let mut class_depth = 0usize;
    // Where the outermost class being read starts in `out`, and whether it holds a `\\w`.
    let mut class_start = 0usize;
    let mut class_has_word = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('w') if class_depth == 0 => {
                    out.push_str("(?-i:[");
                    out.push_str(WORD_RANGES);
                    out.push_str("])");
                }
                Some('W') if class_depth == 0 => {
                    out.push_str("(?-i:[^");
                    out.push_str(WORD_RANGES);
                    out.push_str("])");
                }
                Some('w') => {
                    out.push_str(WORD_RANGES);
                    class_has_word = true;
                }
                Some(b @ ('b' | 'B')) if class_depth == 0 => {
                    out.push_str("(?-u:\\");
                    out.push(b);
                    out.push(')');
                }
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' => {
                if class_depth == 0 {
                    class_start = out.len();
                    class_has_word = false;
                }
                class_depth += 1;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal.
                let rest = chars.as_str();
                let lead = if rest.starts_with('^') { 1 } else { 0 };
                if rest[lead..].starts_with(']') {
                    out.push_str(&rest[..lead + 1]);
                    chars = rest[lead + 1..].chars();
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(c);
                if class_depth == 0 && class_has_word {
                    out.insert_str(class_start, "(?-i:");
                    out.push(')');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Lowercases the ASCII letters a pattern matches, leaving its syntax alone: escapes (`\\S`,
/// `\\p{Lu}`, `\\x{2019}`), flag groups (`(?U)`, `(?-i:`) and group names (`(?P<Word>`).
fn lowercase_pattern(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                    // `\\p{...}`, `\\x{...}`, `\\u{...}`: copy the braces as they are.
                    if matches!(n, 'p' | 'P' | 'x' | 'u' | 'U') && chars.peek() == Some(&'{') {
                        for b in chars.by_ref() {
                            out.push(b);
                            if b == '}' {
                                break;
                            }
                        }
                    }
                }
            }
            '(' if chars.peek() == Some(&'?') => {
                // Flags or a group name: copy up to the `:`, `)` or `>` that ends them.
                out.push(c);
                for b in chars.by_ref() {
                    out.push(b);
                    if matches!(b, ':' | ')' | '>') {
                        break;
                    }
                }
            }
            _ => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// Named capture groups in a pattern source, found by a scan (no compile needed).
fn capture_names_of(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["(?P<", "(?<"] {
        let mut rest = src;
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            if let Some(end) = rest.find('>') {
                let name = &rest[..end];
                if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !out.iter().any(|n| n == name)
                {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

/// Which context filters a rule applies (all on by default, all off for crisis rules).
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    pub negation: bool,
    pub past_belief: bool,
    pub reported_speech: bool,
    pub quotes: bool,
    pub questions: QuestionSwitch,
    pub hypothetical: bool,
    pub retraction: bool,
    /// `Some(window)`: a first-person word must occur within `window` words before the trigger
    /// (or right after it) in the same clause.
    pub first_person_window: Option<usize>,
    /// Sentences before the match that `preceded-by` and `requires` also see.
    pub look_back: usize,
}

/// A reframe template as compiled.
#[derive(Clone, Debug)]
pub(crate) struct ReframeTemplate {
    pub template: Template,
    pub rewrite: bool,
    pub poles: Vec<String>,
    /// `when`: the reframe fits only findings whose words hold one of these phrases.
    pub when: Option<WordList>,
}

/// Lowercase words and phrases (`luck*` for any ending), found in a text word by word: "luck"
/// is in "Just LUCK, really" but not in "plucky". Used for a reframe's `when`.
#[derive(Clone, Debug)]
pub(crate) struct WordList {
    /// Each phrase as its words; the bool says the last word may go on (`luck*`).
    phrases: Vec<(Vec<String>, bool)>,
    /// The list as written, for `kindly explain`.
    pub source: Vec<String>,
}

impl WordList {
    fn new(phrases: &[String]) -> WordList {
        WordList {
            phrases: phrases
                .iter()
                .map(|p| {
                    let p = p.trim();
                    let (p, open) = match p.strip_suffix('*') {
                        Some(stem) => (stem, true),
                        None => (p, false),
                    };
                    (words_of(p), open)
                })
                .collect(),
            source: phrases.to_vec(),
        }
    }

    /// True when `words` (a text split by [`words_of`]) hold one of the phrases, as whole
    /// words (apostrophes of any kind, or none: "im" and "I'm" are the same word).
    pub(crate) fn found_in(&self, words: &[String]) -> bool {
        self.phrases.iter().any(|(phrase, open)| {
            let n = phrase.len();
            n > 0
                && words.windows(n).any(|w| {
                    w.iter().zip(phrase).enumerate().all(|(i, (have, want))| {
                        have == want || (*open && i == n - 1 && have.starts_with(want.as_str()))
                    })
                })
        })
    }
}

/// The words of `text`, lowercased, with apostrophes dropped.
pub(crate) fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || expand::APOSTROPHES.contains(&c)))
        .map(|w| {
            w.chars()
                .filter(|c| !expand::APOSTROPHES.contains(c))
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// One embedded example of a rule.
#[derive(Clone, Debug)]
pub(crate) struct Example {
    /// The text with the span markers removed.
    pub text: String,
    /// Expected spans (byte ranges in `text`); empty for a must-not-flag example.
    pub spans: Vec<Range<usize>>,
    /// The example as written in the pack, with its markers.
    pub source: String,
    pub location: Location,
}

/// A rule ready to run.
#[derive(Debug)]
pub(crate) struct Rule {
    pub id: Arc<str>,
    pub pack: usize,
    pub category: Category,
    pub severity: Severity,
    pub confidence: Confidence,
    pub tier: Option<CrisisTier>,
    pub urgent: bool,
    pub pattern: Option<LazyRegex>,
    pub pattern_source: Option<String>,
    /// A learned classifier instead of a pattern (see classifier.rs).
    pub classifier: Option<Arc<classifier::Classifier>>,
    pub capture_names: Vec<String>,
    pub triggers: Vec<String>,
    pub message: Template,
    pub why: Option<String>,
    pub policy: Policy,
    pub exceptions: Option<LazyRegex>,
    /// Each exception on its own, when there are two or more (see `context::exception_applies`):
    /// in the joined alternation an earlier, shorter exception that matches at the same place
    /// as a later one hides it. Compiled only when the joined one matched and did not overlap.
    pub exception_each: Vec<LazyRegex>,
    pub requires: Option<LazyRegex>,
    pub followed_by: Option<LazyRegex>,
    pub not_followed_by: Option<LazyRegex>,
    pub preceded_by: Option<LazyRegex>,
    pub not_preceded_by: Option<LazyRegex>,
    pub reframes: Vec<ReframeTemplate>,
    pub examples_flag: Vec<Example>,
    pub examples_pass: Vec<Example>,
    pub location: Location,
}

/// Crisis support text for one locale.
#[derive(Clone, Debug)]
pub(crate) struct SupportText {
    pub tier_a: String,
    pub tier_b: String,
    pub someone_else: String,
    pub resources: Vec<crate::finding::Resource>,
    /// For tier `abuse`; `None` when the pack has no `abuse` text for this locale.
    pub abuse: Option<String>,
    pub abuse_resources: Option<Vec<crate::finding::Resource>>,
}

/// A pack's metadata and shared data, as compiled.
#[derive(Debug)]
pub(crate) struct Pack {
    pub id: String,
    pub version: String,
    pub language: String,
    pub license: String,
    pub description: String,
    pub files: Vec<String>,
    pub cues: Arc<Cues>,
    pub behaviors: BTreeMap<String, String>,
    pub reframes: BTreeMap<Category, Vec<ReframeTemplate>>,
    pub support_default: Option<String>,
    pub support: BTreeMap<String, SupportText>,
    /// The built-in pack's crisis rules alone, added because no loaded pack had crisis rules
    /// (see [`ParsedPack::safety_net`]).
    pub safety_net: bool,
}

/// The result of compiling every pack: rules in a stable order and the trigger literals.
pub(crate) struct Compiled {
    pub packs: Vec<Pack>,
    pub rules: Vec<Rule>,
    /// Distinct trigger literals and, for each, the rules it anchors.
    pub literals: Vec<TriggerLiteral>,
    pub literal_rules: Vec<Vec<u32>>,
}

/// A pack that has been read and parsed but not compiled. `Clone` so that the built-in pack,
/// parsed once, can also be cut down to its crisis rules ([`builtin::parse_builtin_crisis`]).
#[derive(Clone)]
pub(crate) struct ParsedPack {
    pub files: Vec<(SourceFile, PackFile)>,
    /// True only for the lean copy of the built-in pack (`lean-pack` feature), whose rules come
    /// without `[rule.examples]`: build.rs stripped them, and the full pack they were copied
    /// from is checked by the test suite. Every other pack must carry examples.
    pub examples_stripped: bool,
    /// True only for the built-in pack cut down to its crisis rules, which an engine loads when
    /// none of its packs has crisis rules of its own: crisis language is always caught, also
    /// with `--no-default-packs` and a pack of one's own (DOMAIN.md §2).
    pub safety_net: bool,
}

impl ParsedPack {
    /// Whether any file of the pack has a rule of the crisis category.
    pub(crate) fn has_crisis_rules(&self) -> bool {
        self.files
            .iter()
            .any(|(_, f)| f.rules.iter().any(|r| is_crisis_spec(r.get_ref())))
    }

    /// Keeps only the crisis rules, and the classifiers only in files that still have rules.
    pub(crate) fn keep_only_crisis_rules(&mut self) {
        for (_, file) in &mut self.files {
            file.rules.retain(|r| is_crisis_spec(r.get_ref()));
            if file.rules.is_empty() {
                file.classifiers.clear();
            }
        }
        self.safety_net = true;
    }
}

fn is_crisis_spec(rule: &schema::RuleSpec) -> bool {
    Category::from_id(rule.category.get_ref()) == Some(Category::Crisis)
}

/// Reads a pack's main file and its includes.
pub(crate) fn parse_pack(main: SourceFile, resolver: &dyn Resolver) -> Result<ParsedPack> {
    let first = parse_file(&main)?;
    let Some(meta) = &first.pack else {
        return Err(Error::new(
            ErrorKind::Invalid,
            "missing [pack] table (a pack's main file starts with [pack] id, version, language, license, description)",
        )
        .at(locate(&main.name, &main.text, 0)));
    };
    let pack_id = meta.get_ref().id.get_ref().clone();
    let includes: Vec<Spanned<String>> = meta.get_ref().include.clone();
    let mut files = vec![(main.clone(), first)];
    let mut seen = BTreeSet::new();
    for inc in includes {
        let name = inc.get_ref();
        if !seen.insert(name.clone()) {
            return Err(Error::new(
                ErrorKind::DuplicateId,
                format!("'{name}' is included twice"),
            )
            .at(locate(&main.name, &main.text, inc.span().start))
            .in_pack(&pack_id));
        }
        let file = resolver.resolve(&main, name).map_err(|m| {
            Error::new(ErrorKind::Io, m)
                .at(locate(&main.name, &main.text, inc.span().start))
                .in_pack(&pack_id)
        })?;
        let parsed = parse_file(&file).map_err(|e| e.in_pack(&pack_id))?;
        for (present, what) in [
            (parsed.pack.as_ref().map(|s| s.span()), "[pack]"),
            (parsed.context.as_ref().map(|s| s.span()), "[context]"),
            (parsed.support.as_ref().map(|s| s.span()), "[support]"),
        ] {
            if let Some(span) = present {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!("{what} belongs in the pack's main file, not in an included file"),
                )
                .at(locate(&file.name, &file.text, span.start))
                .in_pack(&pack_id));
            }
        }
        files.push((file, parsed));
    }
    Ok(ParsedPack {
        files,
        examples_stripped: false,
        safety_net: false,
    })
}

/// Compiles parsed packs. `default_cues` supplies the context cues of languages whose packs do
/// not define their own (the built-in English cues).
pub(crate) fn compile(
    parsed: &[(&ParsedPack, bool)],
    default_cues: &BTreeMap<String, Arc<Cues>>,
) -> Result<Compiled> {
    let mut packs = Vec::new();
    let mut rules: Vec<Rule> = Vec::new();
    let mut rule_ids: BTreeMap<String, Location> = BTreeMap::new();
    // Each pack id, with the file it came from, whether it is a built-in pack and where its id
    // is written.
    let mut pack_ids: BTreeMap<String, (String, bool, crate::error::Location)> = BTreeMap::new();
    let mut literal_index: BTreeMap<TriggerLiteral, u32> = BTreeMap::new();
    let mut literals: Vec<TriggerLiteral> = Vec::new();
    let mut literal_rules: Vec<Vec<u32>> = Vec::new();

    for (pack_no, &(p, validate)) in parsed.iter().enumerate() {
        let (main, main_file) = &p.files[0];
        let Some(meta) = main_file.pack.as_ref() else {
            continue; // parse_pack guarantees a [pack] table
        };
        let meta = meta.get_ref();
        let pack_id = meta.id.get_ref().clone();
        let at = |file: &SourceFile, offset: usize| locate(&file.name, &file.text, offset);
        if !is_valid_id(&pack_id) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("pack id '{pack_id}' must be lowercase letters, digits, '-', '_' or '.'"),
            )
            .at(at(main, meta.id.span().start)));
        }
        let here = at(main, meta.id.span().start);
        if let Some((first, first_builtin, first_at)) = pack_ids.get(&pack_id) {
            let builtin_clash = *first_builtin && validate;
            let (why, at) = if builtin_clash {
                (
                    format!(
                        "pack id '{pack_id}' is loaded twice: {BUILTIN_HAS_IT} (load this copy without the built-in packs to use it instead)"
                    ),
                    here,
                )
            } else if !validate {
                // The built-in crisis rules, which come along with packs that have none
                // (DOMAIN.md section 2), under the built-in pack's id: the user's pack needs
                // an id of its own.
                (
                    format!(
                        "pack id '{pack_id}' is a built-in pack's id, and the built-in crisis rules are loaded under it next to packs without crisis rules; give this pack an id of its own"
                    ),
                    first_at.clone(),
                )
            } else {
                (
                    format!("pack id '{pack_id}' is loaded twice (first from {first})"),
                    here,
                )
            };
            let err = Error::new(ErrorKind::DuplicateId, why)
                .at(at)
                .in_pack(&pack_id);
            return Err(if builtin_clash {
                err.clashing_with_builtin_pack()
            } else {
                err
            });
        }
        pack_ids.insert(pack_id.clone(), (main.name.clone(), !validate, here));
        let language = meta.language.get_ref().to_ascii_lowercase();

        // Context cues: the pack's own, or its language's built-in ones.
        let builtin_cues = if validate {
            None
        } else {
            default_cues.get(&language)
        };
        let cues = match (&main_file.context, builtin_cues) {
            // The built-in pack's own cues are the language defaults, compiled once per process.
            (Some(_), Some(c)) => Arc::clone(c),
            (Some(c), None) => Arc::new(Cues::compile(c.get_ref()).map_err(|m| {
                Error::new(ErrorKind::BadRegex, m).at(at(main, c.span().start)).in_pack(&pack_id)
            })?),
            (None, _) => match default_cues.get(&language) {
                Some(c) => Arc::clone(c),
                None => {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        format!(
                            "pack language '{language}' has no built-in context cues; add a [context] table (see rules/README.md)"
                        ),
                    )
                    .at(at(main, meta.language.span().start))
                    .in_pack(&pack_id))
                }
            },
        };

        // Lexicons from every file of the pack.
        let mut lexicon_words: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (file, pf) in &p.files {
            for (name, words) in &pf.lexicons {
                if !expand::is_identifier(name) {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        format!("lexicon name '{name}' must be snake_case (lowercase letters, digits, '_')"),
                    )
                    .at(at(file, words.span().start))
                    .in_pack(&pack_id));
                }
                if lexicon_words.contains_key(name) {
                    return Err(Error::new(
                        ErrorKind::DuplicateId,
                        format!("lexicon '{name}' is defined twice"),
                    )
                    .at(at(file, words.span().start))
                    .in_pack(&pack_id));
                }
                let mut list = Vec::new();
                for w in words.get_ref() {
                    if w.get_ref().trim().is_empty() || w.get_ref().trim() == "*" {
                        return Err(Error::new(
                            ErrorKind::Invalid,
                            format!("lexicon '{name}' has an empty entry"),
                        )
                        .at(at(file, w.span().start))
                        .in_pack(&pack_id));
                    }
                    list.push(w.get_ref().clone());
                }
                lexicon_words.insert(name.clone(), list);
            }
        }
        // Patterns hold a placeholder per lexicon reference; the lexicon's alternation is parsed
        // once and spliced in (see lexicon_hir.rs).
        let mut pieces = Lexicons::default();
        let mut lexicon_regex: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in &lexicon_words {
            let stands_for = pieces
                .add(v)
                .unwrap_or_else(|| alternation(v.iter().map(String::as_str)));
            lexicon_regex.insert(k.clone(), stands_for);
        }
        // Regex fragments ("{others}") may use lexicons; they are expanded once here and then
        // behave like lexicons inside patterns.
        let lexicons_only = lexicon_regex.clone();
        for (file, pf) in &p.files {
            for (name, src) in &pf.fragments {
                let err_at = |off: usize| at(file, value_start(&file.text, src.span().start) + off);
                if !expand::is_identifier(name) {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        format!("fragment name '{name}' must be snake_case (lowercase letters, digits, '_')"),
                    )
                    .at(err_at(0))
                    .in_pack(&pack_id));
                }
                if lexicon_regex.contains_key(name) {
                    return Err(Error::new(
                        ErrorKind::DuplicateId,
                        format!("'{name}' is defined twice (as a lexicon or fragment)"),
                    )
                    .at(err_at(0))
                    .in_pack(&pack_id));
                }
                let expanded =
                    expand_pattern(src.get_ref(), &lexicons_only, false).map_err(|e| {
                        Error::new(
                            ErrorKind::UnknownLexicon,
                            format!("fragment '{name}': {}", e.message),
                        )
                        .at(err_at(e.offset))
                        .in_pack(&pack_id)
                    })?;
                if validate {
                    // The shadow cannot fail: the expansion above has checked its references.
                    let shadow =
                        expand_pattern(src.get_ref(), &lexicons_only, true).unwrap_or_default();
                    if let Some((offset, m)) = authors_syntax_error(&shadow, src.get_ref()) {
                        return Err(Error::new(
                            ErrorKind::BadRegex,
                            format!("fragment '{name}': {m}"),
                        )
                        .at(err_at(offset))
                        .in_pack(&pack_id));
                    }
                    build_regex(&pieces.write_out(&expanded)).map_err(|m| {
                        Error::new(ErrorKind::BadRegex, format!("fragment '{name}': {m}"))
                            .at(err_at(0))
                            .in_pack(&pack_id)
                    })?;
                }
                lexicon_regex.insert(name.clone(), format!("(?:{expanded})"));
            }
        }
        let pieces = Arc::new(pieces);

        // Learned classifiers ([classifiers.NAME]), pack-wide like lexicons.
        let mut classifiers: BTreeMap<String, Arc<classifier::Classifier>> = BTreeMap::new();
        for (file, pf) in &p.files {
            for (name, spec) in &pf.classifiers {
                let err_at = |off: usize| at(file, off);
                if !expand::is_identifier(name) {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        format!("classifier name '{name}' must be snake_case (lowercase letters, digits, '_')"),
                    )
                    .at(err_at(spec.span().start))
                    .in_pack(&pack_id));
                }
                if classifiers.contains_key(name) {
                    return Err(Error::new(
                        ErrorKind::DuplicateId,
                        format!("classifier '{name}' is defined twice"),
                    )
                    .at(err_at(spec.span().start))
                    .in_pack(&pack_id));
                }
                let c = spec.get_ref();
                if *c.window.get_ref() > 10 {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        "a classifier's window must be between 0 and 10 sentences",
                    )
                    .at(err_at(c.window.span().start))
                    .in_pack(&pack_id));
                }
                if !c.bias.is_finite() || !c.threshold.is_finite() {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        format!("classifier '{name}': bias and threshold must be finite numbers"),
                    )
                    .at(err_at(spec.span().start))
                    .in_pack(&pack_id));
                }
                let compiled = classifier::Classifier::parse(
                    name,
                    c.features.get_ref(),
                    c.bias,
                    c.threshold,
                    *c.window.get_ref(),
                )
                .map_err(|e| {
                    // Point at the offending line inside the `features` string.
                    let start = value_start(&file.text, c.features.span().start);
                    let offset = file.text[start..]
                        .split_inclusive('\n')
                        .take(e.line)
                        .map(str::len)
                        .sum::<usize>();
                    Error::new(
                        ErrorKind::Invalid,
                        format!("classifier '{name}' features: {}", e.message),
                    )
                    .at(err_at(start + offset))
                    .in_pack(&pack_id)
                })?;
                classifiers.insert(name.clone(), Arc::new(compiled));
            }
        }

        // Behaviours ("lazy" -> "I'm low on energy") and category reframes.
        let mut behaviors = BTreeMap::new();
        let mut pack_reframes: BTreeMap<Category, Vec<ReframeTemplate>> = BTreeMap::new();
        for (file, pf) in &p.files {
            for (k, v) in &pf.behaviors {
                if behaviors
                    .insert(k.to_lowercase(), v.get_ref().clone())
                    .is_some()
                {
                    return Err(Error::new(
                        ErrorKind::DuplicateId,
                        format!("behavior '{k}' is defined twice"),
                    )
                    .at(at(file, v.span().start))
                    .in_pack(&pack_id));
                }
            }
            for (cat, list) in &pf.reframes {
                let Some(category) = Category::from_id(cat) else {
                    return Err(
                        Error::new(ErrorKind::UnknownValue, unknown_category_message(cat))
                            .at(at(file, list.span().start))
                            .in_pack(&pack_id),
                    );
                };
                if category == Category::Crisis {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        "crisis never gets reframes (DOMAIN.md section 2.2); remove [[reframes.crisis]]",
                    )
                    .at(at(file, list.span().start))
                    .in_pack(&pack_id));
                }
                for spec in list.get_ref() {
                    let r = compile_reframe(spec, &[], file).map_err(|e| e.in_pack(&pack_id))?;
                    pack_reframes.entry(category).or_default().push(r);
                }
            }
        }

        // Crisis support text.
        let mut support = BTreeMap::new();
        let mut support_default = None;
        if let Some(s) = &main_file.support {
            let s = s.get_ref();
            let resources = |list: &[schema::ResourceSpec]| -> Vec<crate::finding::Resource> {
                list.iter()
                    .map(|r| crate::finding::Resource {
                        name: r.name.clone(),
                        contact: r.contact.clone(),
                        region: r.region.clone(),
                        emergency: r.emergency,
                    })
                    .collect()
            };
            for (locale, text) in &s.locales {
                support.insert(
                    locale.clone(),
                    SupportText {
                        tier_a: text.tier_a.clone(),
                        tier_b: text.tier_b.clone(),
                        someone_else: text.someone_else.clone(),
                        resources: resources(&text.resources),
                        abuse: text.abuse.clone(),
                        abuse_resources: text.abuse_resources.as_deref().map(resources),
                    },
                );
            }
            if !support.contains_key(s.default_locale.get_ref()) {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!(
                        "default-locale '{}' has no [support.locales.\"{}\"] table",
                        s.default_locale.get_ref(),
                        s.default_locale.get_ref()
                    ),
                )
                .at(at(main, s.default_locale.span().start))
                .in_pack(&pack_id));
            }
            support_default = Some(s.default_locale.get_ref().clone());
        }

        // Rules.
        for (file, pf) in &p.files {
            let lines = LineIndex::new(&file.text);
            for spec in &pf.rules {
                let rule_start = spec.span().start;
                let spec = spec.get_ref();
                let id = spec.id.get_ref().clone();
                let id_loc = lines.locate(file, spec.id.span().start);
                if !is_valid_id(&id) {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        format!(
                            "rule id '{id}' must be lowercase letters, digits, '-', '_' or '.'"
                        ),
                    )
                    .at(id_loc)
                    .in_rule(&id));
                }
                if let Some(prev) = rule_ids.get(&id) {
                    return Err(Error::new(
                        ErrorKind::DuplicateId,
                        format!(
                            "duplicate rule id (first defined at {}:{}:{})",
                            prev.file, prev.line, prev.column
                        ),
                    )
                    .at(id_loc)
                    .in_rule(&id)
                    .in_pack(&pack_id));
                }
                rule_ids.insert(id.clone(), id_loc.clone());
                let rule_no = rules.len() as u32;
                let rule = compile_rule(
                    validate,
                    p.examples_stripped,
                    spec,
                    file,
                    &lines,
                    rule_start,
                    pack_no,
                    &lexicon_words,
                    &lexicon_regex,
                    &pieces,
                    &pack_reframes,
                    &classifiers,
                )
                .map_err(|e| e.in_rule(&id).in_pack(&pack_id))?;
                // Register triggers.
                for t in spec.triggers.get_ref() {
                    let words: Vec<&str> = match t.get_ref().strip_prefix('@') {
                        Some(name) => match lexicon_words.get(name) {
                            Some(w) => w.iter().map(String::as_str).collect(),
                            None => {
                                let known: BTreeMap<String, String> = lexicon_regex
                                    .keys()
                                    .map(|k| (k.clone(), String::new()))
                                    .collect();
                                return Err(Error::new(
                                    ErrorKind::UnknownLexicon,
                                    expand::unknown_lexicon_message(name, &known),
                                )
                                .at(at(file, t.span().start))
                                .in_rule(&id)
                                .in_pack(&pack_id));
                            }
                        },
                        None => vec![t.get_ref().as_str()],
                    };
                    let mut lits = Vec::new();
                    for w in words {
                        trigger_literals(w, &mut lits);
                    }
                    for lit in lits {
                        let idx = match literal_index.get(&lit) {
                            Some(i) => *i,
                            None => {
                                let i = literals.len() as u32;
                                literal_index.insert(lit.clone(), i);
                                literals.push(lit);
                                literal_rules.push(Vec::new());
                                i
                            }
                        };
                        let list = &mut literal_rules[idx as usize];
                        if list.last() != Some(&rule_no) {
                            list.push(rule_no);
                        }
                    }
                    if literals.len() > MAX_TRIGGER_LITERALS {
                        return Err(Error::new(
                            ErrorKind::Limit,
                            format!("more than {MAX_TRIGGER_LITERALS} trigger spellings in all packs together"),
                        )
                        .at(at(file, t.span().start))
                        .in_rule(&id)
                        .in_pack(&pack_id));
                    }
                }
                rules.push(rule);
            }
        }

        packs.push(Pack {
            id: pack_id,
            version: meta.version.clone(),
            language,
            license: meta.license.clone(),
            description: meta.description.clone(),
            files: p.files.iter().map(|(f, _)| f.name.clone()).collect(),
            cues,
            behaviors,
            reframes: pack_reframes,
            support_default,
            support,
            safety_net: p.safety_net,
        });
    }
    Ok(Compiled {
        packs,
        rules,
        literals,
        literal_rules,
    })
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn unknown_category_message(cat: &str) -> String {
    let ids: Vec<&str> = Category::ALL.iter().map(|c| c.id()).collect();
    let hint = crate::suggest::did_you_mean(&crate::suggest::closest(cat, &ids));
    format!(
        "unknown category '{cat}'{hint} (expected one of: {})",
        ids.join(", ")
    )
}

fn compile_reframe(
    spec: &Spanned<schema::ReframeSpec>,
    captures: &[String],
    file: &SourceFile,
) -> Result<ReframeTemplate> {
    let s = spec.get_ref();
    let template = parse_template(&s.text, file)?;
    for slot in template.slots() {
        if !STANDARD_SLOTS.contains(&slot) && !captures.iter().any(|c| c == slot) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "reframe uses slot '{{{slot}}}', which is neither a standard slot ({}) nor a named capture of the rule's pattern",
                    STANDARD_SLOTS.join(", ")
                ),
            )
            .at(locate(&file.name, &file.text, value_start(&file.text, s.text.span().start))));
        }
    }
    let mut poles = Vec::new();
    for p in &s.poles {
        let v = p.get_ref();
        if !["SK", "CH", "MF"].contains(&v.as_str()) {
            return Err(Error::new(
                ErrorKind::UnknownValue,
                format!("unknown pole '{v}' (expected SK, CH or MF: self-kindness, common humanity, mindfulness)"),
            )
            .at(locate(&file.name, &file.text, p.span().start)));
        }
        poles.push(v.clone());
    }
    let when = match &s.when {
        None => None,
        Some(list) => {
            let phrases: Vec<String> = list.get_ref().iter().map(|w| w.get_ref().clone()).collect();
            if let Some(bad) = list
                .get_ref()
                .iter()
                .find(|w| words_of(w.get_ref().trim_end_matches('*')).is_empty())
            {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    "a reframe's `when` entry must hold at least one word".to_string(),
                )
                .at(locate(&file.name, &file.text, bad.span().start)));
            }
            if phrases.is_empty() {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    "a reframe's `when` must list at least one word or phrase (leave it out to offer the reframe for every finding)".to_string(),
                )
                .at(locate(&file.name, &file.text, list.span().start)));
            }
            Some(WordList::new(&phrases))
        }
    };
    Ok(ReframeTemplate {
        template,
        rewrite: s.rewrite,
        poles,
        when,
    })
}

fn parse_template(text: &Spanned<String>, file: &SourceFile) -> Result<Template> {
    Template::parse(text.get_ref()).map_err(|(off, msg)| {
        // +1 skips the opening quote of a basic string; good enough for a pointer.
        Error::new(ErrorKind::Invalid, msg).at(locate(
            &file.name,
            &file.text,
            value_start(&file.text, text.span().start) + off,
        ))
    })
}

#[allow(clippy::too_many_arguments)]
fn compile_rule(
    validate: bool,
    examples_stripped: bool,
    spec: &RuleSpec,
    file: &SourceFile,
    lines: &LineIndex,
    rule_start: usize,
    pack_no: usize,
    lexicon_words: &BTreeMap<String, Vec<String>>,
    lexicon_regex: &BTreeMap<String, String>,
    pieces: &Arc<Lexicons>,
    pack_reframes: &BTreeMap<Category, Vec<ReframeTemplate>>,
    classifiers: &BTreeMap<String, Arc<classifier::Classifier>>,
) -> Result<Rule> {
    let at = |offset: usize| lines.locate(file, offset);
    let category = Category::from_id(spec.category.get_ref()).ok_or_else(|| {
        Error::new(
            ErrorKind::UnknownValue,
            unknown_category_message(spec.category.get_ref()),
        )
        .at(at(spec.category.span().start))
    })?;
    let severity = Severity::from_id(spec.severity.get_ref()).ok_or_else(|| {
        Error::new(
            ErrorKind::UnknownValue,
            format!(
                "unknown severity '{}' (expected low, moderate, high or crisis)",
                spec.severity.get_ref()
            ),
        )
        .at(at(spec.severity.span().start))
    })?;
    if (severity == Severity::Crisis) != (category == Category::Crisis) {
        return Err(Error::new(
            ErrorKind::Invalid,
            "severity 'crisis' goes with category 'crisis' and only with it",
        )
        .at(at(spec.severity.span().start)));
    }
    let confidence = match &spec.confidence {
        None => Confidence::High,
        Some(c) => Confidence::from_id(c.get_ref()).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownValue,
                format!(
                    "unknown confidence '{}' (expected low, medium or high)",
                    c.get_ref()
                ),
            )
            .at(at(c.span().start))
        })?,
    };
    let tier = match (&spec.tier, category) {
        (Some(t), Category::Crisis) => Some(CrisisTier::from_id(t.get_ref()).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownValue,
                format!(
                    "unknown tier '{}' (expected a, b, someone-else or abuse)",
                    t.get_ref()
                ),
            )
            .at(at(t.span().start))
        })?),
        (None, Category::Crisis) => {
            return Err(Error::new(
                ErrorKind::Invalid,
                "a crisis rule needs tier = \"a\", \"b\", \"someone-else\" or \"abuse\"",
            )
            .at(at(spec.category.span().start)))
        }
        (Some(t), _) => {
            return Err(
                Error::new(ErrorKind::Invalid, "only crisis rules have a tier")
                    .at(at(t.span().start)),
            )
        }
        (None, _) => None,
    };

    // Triggers.
    if spec.triggers.get_ref().is_empty() {
        return Err(
            Error::new(ErrorKind::Invalid, "a rule needs at least one trigger")
                .at(at(spec.triggers.span().start)),
        );
    }
    let mut triggers = Vec::new();
    for t in spec.triggers.get_ref() {
        let v = t.get_ref();
        let bare = v.trim().trim_end_matches('*').trim();
        if bare.is_empty() || bare == "@" {
            return Err(Error::new(ErrorKind::Invalid, "empty trigger").at(at(t.span().start)));
        }
        if let Some(name) = v.strip_prefix('@') {
            if !lexicon_words.contains_key(name) {
                return Err(Error::new(
                    ErrorKind::UnknownLexicon,
                    expand::unknown_lexicon_message(name, lexicon_regex),
                )
                .at(at(t.span().start)));
            }
        }
        triggers.push(v.clone());
    }

    // Pattern.
    let compile_pat = |src: &Spanned<String>, what: &str| -> Result<LazyRegex> {
        let value_at = |off: usize| at(value_start(&file.text, src.span().start) + off);
        let full = expand_pattern(src.get_ref(), lexicon_regex, false).map_err(|e| {
            Error::new(ErrorKind::UnknownLexicon, format!("{what}: {}", e.message))
                .at(value_at(e.offset))
        })?;
        let lazy = LazyRegex::for_lowercase_text(full, pieces);
        if validate {
            // First against the author's own text, so syntax errors point at what they wrote.
            let short = expand_pattern(src.get_ref(), lexicon_regex, true).map_err(|e| {
                Error::new(ErrorKind::UnknownLexicon, format!("{what}: {}", e.message))
                    .at(value_at(e.offset))
            })?;
            if let Some((offset, m)) = authors_syntax_error(&short, src.get_ref()) {
                return Err(
                    Error::new(ErrorKind::BadRegex, format!("{what}: {m}")).at(value_at(offset))
                );
            }
            // The shadow parsed, so what is left to fail is the written-out pattern itself
            // (its size): compiled once, here, and kept.
            lazy.force().map_err(|m| {
                Error::new(ErrorKind::BadRegex, format!("{what}: {m}")).at(value_at(0))
            })?;
        }
        Ok(lazy)
    };
    let pattern = match &spec.pattern {
        Some(p) => Some(compile_pat(p, "pattern")?),
        None => None,
    };
    let capture_names: Vec<String> = pattern
        .as_ref()
        .map(|r| capture_names_of(&r.source))
        .unwrap_or_default();
    let classifier = match &spec.classifier {
        None => None,
        Some(name) => {
            if let Some(p) = &spec.pattern {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    "a rule has a pattern or a classifier, not both",
                )
                .at(at(p.span().start)));
            }
            if let Some(c) = &spec.context {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    "a classifier rule takes no [rule.context]: the classifier weighs the words around the sentence itself",
                )
                .at(at(c.span().start)));
            }
            match classifiers.get(name.get_ref()) {
                Some(c) => Some(Arc::clone(c)),
                None => {
                    let known: Vec<&str> = classifiers.keys().map(String::as_str).collect();
                    return Err(Error::new(
                        ErrorKind::UnknownValue,
                        if known.is_empty() {
                            format!(
                                "unknown classifier '{}': the pack has no [classifiers] table",
                                name.get_ref()
                            )
                        } else {
                            format!(
                                "unknown classifier '{}' (the pack has: {})",
                                name.get_ref(),
                                known.join(", ")
                            )
                        },
                    )
                    .at(at(name.span().start)));
                }
            }
        }
    };

    // Context policy.
    let crisis = category == Category::Crisis;
    let default_switch = !crisis;
    let ctx = spec.context.as_ref().map(|c| c.get_ref());
    let on = |s: Option<Switch>| s.map_or(default_switch, |s| s == Switch::Cancel);
    let mut exceptions = Vec::new();
    let mut requires = Vec::new();
    let mut around: [Option<LazyRegex>; 4] = [None, None, None, None];
    let policy = match ctx {
        None => Policy {
            negation: default_switch,
            past_belief: default_switch,
            reported_speech: default_switch,
            quotes: default_switch,
            questions: if crisis {
                QuestionSwitch::Ignore
            } else {
                QuestionSwitch::SkipYesNo
            },
            hypothetical: default_switch,
            retraction: default_switch,
            first_person_window: None,
            look_back: 0,
        },
        Some(c) => {
            for e in &c.exceptions {
                exceptions.push(format!("(?:{})", compile_pat(e, "exception")?.source));
            }
            for r in &c.requires {
                requires.push(format!("(?:{})", compile_pat(r, "requires")?.source));
            }
            for (slot, (spec, what)) in around.iter_mut().zip([
                (&c.followed_by, "followed-by"),
                (&c.not_followed_by, "not-followed-by"),
                (&c.preceded_by, "preceded-by"),
                (&c.not_preceded_by, "not-preceded-by"),
            ]) {
                if let Some(p) = spec {
                    *slot = Some(compile_pat(p, what)?);
                }
            }
            let window = c.window.as_ref().map(|w| *w.get_ref());
            if let Some(lb) = &c.look_back {
                if *lb.get_ref() > 3 {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        "look-back must be between 0 and 3 sentences",
                    )
                    .at(at(lb.span().start)));
                }
            }
            if let Some(w) = &c.window {
                if *w.get_ref() == 0 || *w.get_ref() > 50 {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        "window must be between 1 and 50 words",
                    )
                    .at(at(w.span().start)));
                }
            }
            let first_person = c
                .first_person
                .map_or(spec.pattern.is_none() && !crisis, |f| {
                    f == schema::FirstPerson::Required
                });
            Policy {
                negation: on(c.negation),
                past_belief: on(c.past_belief),
                reported_speech: on(c.reported_speech),
                quotes: on(c.quotes),
                questions: c.questions.unwrap_or(if crisis {
                    QuestionSwitch::Ignore
                } else {
                    QuestionSwitch::SkipYesNo
                }),
                hypothetical: on(c.hypothetical),
                retraction: on(c.retraction),
                first_person_window: first_person.then_some(window.unwrap_or(4)),
                look_back: c.look_back.as_ref().map_or(0, |l| *l.get_ref()),
            }
        }
    };
    let policy = if ctx.is_none() && spec.pattern.is_none() && !crisis {
        Policy {
            first_person_window: Some(4),
            ..policy
        }
    } else {
        policy
    };
    let join = |parts: Vec<String>| -> Result<Option<LazyRegex>> {
        if parts.is_empty() {
            return Ok(None);
        }
        let lazy = LazyRegex::for_lowercase_text(parts.join("|"), pieces);
        if validate {
            lazy.force()
                .map_err(|m| Error::new(ErrorKind::BadRegex, m).at(at(rule_start)))?;
        }
        Ok(Some(lazy))
    };
    let exception_each = if exceptions.len() > 1 {
        exceptions
            .iter()
            .map(|e| LazyRegex::for_lowercase_text(e.clone(), pieces))
            .collect()
    } else {
        Vec::new()
    };
    let exceptions = join(exceptions)?;
    let requires = join(requires)?;
    let [followed_by, not_followed_by, preceded_by, not_preceded_by] = around;

    // Message and reframes.
    let message = parse_template(&spec.message, file)?;
    // A message is shown for every finding, so each of its slots must always be fillable: from
    // a named capture of the pattern (`word` also from `noun`; `behavior` needs one of them).
    // Crisis messages never repeat the writer's words (DOMAIN.md §2.2).
    let has = |n: &str| capture_names.iter().any(|c| c == n);
    for slot in message.slots() {
        let fillable = match slot {
            "word" | "behavior" => has("word") || has("noun"),
            other => has(other),
        };
        if crisis || !fillable || (slot == "behavior") {
            let why = if crisis {
                "crisis messages must not repeat the writer's words".to_string()
            } else if slot == "behavior" {
                "the behavior map may not know every word; use {behavior} in reframes, which are skipped when it cannot be filled".to_string()
            } else {
                "the rule's pattern has no such named capture".to_string()
            };
            return Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "message uses slot '{{{slot}}}', which the rule cannot always fill ({why})"
                ),
            )
            .at(at(spec.message.span().start)));
        }
    }
    let mut reframes = Vec::new();
    for r in &spec.reframes {
        reframes.push(compile_reframe(r, &capture_names, file)?);
    }
    if crisis {
        if let Some(r) = spec.reframes.first() {
            return Err(Error::new(
                ErrorKind::Invalid,
                "crisis rules never carry reframes (DOMAIN.md section 2.2); the support message is shown instead",
            )
            .at(at(r.span().start)));
        }
    } else {
        let has_fallback = reframes
            .iter()
            .any(|r| r.template.is_slot_free() && r.when.is_none())
            || pack_reframes.get(&category).is_some_and(|v| {
                v.iter()
                    .any(|r| r.template.is_slot_free() && r.when.is_none())
            });
        if !has_fallback {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "no slot-free fallback reframe: add a [[rule.reframe]] without {{slots}} or `when`, or such a [[reframes.{}]] to the pack",
                    category.id()
                ),
            )
            .at(at(spec.id.span().start)));
        }
    }

    let (examples_flag, examples_pass) = compile_examples(spec, examples_stripped, &at)?;

    Ok(Rule {
        id: Arc::from(spec.id.get_ref().as_str()),
        pack: pack_no,
        category,
        severity,
        confidence,
        tier,
        urgent: spec.urgent,
        pattern_source: spec.pattern.as_ref().map(|p| p.get_ref().clone()),
        classifier,
        pattern,
        capture_names,
        triggers,
        message,
        why: spec.why.clone(),
        policy,
        exceptions,
        exception_each,
        requires,
        followed_by,
        not_followed_by,
        preceded_by,
        not_preceded_by,
        reframes,
        examples_flag,
        examples_pass,
        location: at(spec.id.span().start),
    })
}

/// A rule's `flag` and `pass` examples, checked: at least two of each, every `flag` example
/// marks its span and no `pass` example does. Rules of the lean built-in pack have none.
fn compile_examples(
    spec: &RuleSpec,
    examples_stripped: bool,
    at: &dyn Fn(usize) -> Location,
) -> Result<(Vec<Example>, Vec<Example>)> {
    let Some(examples) = &spec.examples else {
        if examples_stripped {
            return Ok((Vec::new(), Vec::new()));
        }
        return Err(Error::new(
            ErrorKind::Examples,
            "missing [rule.examples]: every rule needs at least 2 'flag' examples (with [the span] marked) and 2 'pass' look-alikes",
        )
        .at(at(spec.id.span().start)));
    };
    let ex = examples.get_ref();
    if ex.flag.len() < 2 || ex.pass.len() < 2 {
        return Err(Error::new(
            ErrorKind::Examples,
            format!(
                "needs at least 2 'flag' and 2 'pass' examples (has {} flag, {} pass)",
                ex.flag.len(),
                ex.pass.len()
            ),
        )
        .at(at(examples.span().start)));
    }
    let mut examples_flag = Vec::new();
    let mut examples_pass = Vec::new();
    for (list, must_flag) in [(&ex.flag, true), (&ex.pass, false)] {
        for e in list {
            let location = at(e.span().start);
            let (text, spans) = parse_example(e.get_ref())
                .map_err(|m| Error::new(ErrorKind::Examples, m).at(location.clone()))?;
            if must_flag && spans.is_empty() {
                return Err(Error::new(
                    ErrorKind::Examples,
                    "a 'flag' example must mark the expected span with [brackets]",
                )
                .at(location));
            }
            if !must_flag && !spans.is_empty() {
                return Err(Error::new(
                    ErrorKind::Examples,
                    "a 'pass' example must not mark a span (write \\[ for a literal bracket)",
                )
                .at(location));
            }
            let example = Example {
                text,
                spans,
                source: e.get_ref().clone(),
                location,
            };
            if must_flag {
                examples_flag.push(example);
            } else {
                examples_pass.push(example);
            }
        }
    }
    Ok((examples_flag, examples_pass))
}

/// Splits an example into its text and the `[marked]` spans. `\[` and `\]` are literal.
pub(crate) fn parse_example(src: &str) -> std::result::Result<(String, Vec<Range<usize>>), String> {
    let mut text = String::with_capacity(src.len());
    let mut spans = Vec::new();
    let mut open: Option<usize> = None;
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('[') | Some(']')) => {
                if let Some(n) = chars.next() {
                    text.push(n);
                }
            }
            '[' => {
                if open.is_some() {
                    return Err("nested '[' in example (spans cannot nest)".into());
                }
                open = Some(text.len());
            }
            ']' => match open.take() {
                Some(start) => {
                    if start == text.len() {
                        return Err("empty [] span in example".into());
                    }
                    spans.push(start..text.len());
                }
                None => {
                    return Err(
                        "']' without '[' in example (write \\] for a literal bracket)".into(),
                    )
                }
            },
            _ => text.push(c),
        }
    }
    if open.is_some() {
        return Err("'[' without ']' in example".into());
    }
    Ok((text, spans))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_patterns_keep_their_meaning_for_english() {
        let w = WORD_RANGES;
        assert_eq!(
            fast_pattern(r"\bso\s+\w+\B"),
            format!(r"(?-u:\b)so\s+(?-i:[{w}])+(?-u:\B)")
        );
        assert_eq!(fast_pattern(r"[\w'’-]+"), format!(r"(?-i:[{w}'’-])+"));
        assert_eq!(fast_pattern(r"[^\]b]\\b"), r"[^\]b]\\b");
        assert_eq!(fast_pattern(r"[]\w]"), format!(r"(?-i:[]{w}])"));
        let re = build_regex(r"\b[\w'’-]+\b").unwrap();
        for (hay, want) in [("naïve café", "naïve"), ("I’m", "I’m"), ("😭 lazy", "lazy")] {
            assert_eq!(re.find(hay).map(|m| m.as_str()), Some(want), "{hay}");
        }
    }

    #[test]
    fn word_lists_match_whole_words() {
        let w = WordList::new(&["luck*".into(), "over it".into(), "i'm done".into()]);
        for yes in [
            "Just LUCK, really",
            "so lucky",
            "I should be over it",
            "im done",
            "I’m done.",
        ] {
            assert!(w.found_in(&words_of(yes)), "{yes}");
        }
        for no in ["plucky", "over", "it is over", "I'm not done"] {
            assert!(!w.found_in(&words_of(no)), "{no}");
        }
    }

    #[test]
    fn lowercase_patterns_leave_syntax_alone() {
        assert_eq!(
            lowercase_pattern(r"(?P<Word>I\S+)\p{Lu}\x{2019}(?U:A)[A-Z]"),
            r"(?P<Word>i\S+)\p{Lu}\x{2019}(?U:a)[a-z]"
        );
        let re = build_lowercase_regex(r"\bI'M\s+(?P<word>LAZY)\b").unwrap();
        assert!(re.is_match("i'm lazy"));
        assert!(!re.is_match("I'm lazy"), "runs on lowercased text only");
        // Case-sensitive parts keep the pattern on the original text.
        assert!(
            !LazyRegex::for_lowercase_text(r"(?-i:[A-Z][a-z]+)".into(), &Arc::default())
                .wants_lowercase()
        );
        assert!(LazyRegex::for_lowercase_text(r"[A-Z]+".into(), &Arc::default()).wants_lowercase());
    }

    #[test]
    fn example_markers() {
        let (t, s) = parse_example("Ugh, [I'm so lazy] and \\[ok\\]").unwrap();
        assert_eq!(t, "Ugh, I'm so lazy and [ok]");
        assert_eq!(s, vec![5..16]);
        assert!(parse_example("[a [b]]").is_err());
        assert!(parse_example("a]").is_err());
        assert!(parse_example("[a").is_err());
    }

    #[test]
    fn line_index_agrees_with_locate_in_any_order() {
        let text = "a = 1\né = \"😀x\"\r\n\n  [[rule]]\nid = 'z'";
        let file = SourceFile {
            name: "f.toml".into(),
            text: text.into(),
        };
        let lines = LineIndex::new(text);
        let mut offsets: Vec<usize> = (0..=text.len() + 2).collect();
        offsets.extend((0..text.len()).rev().step_by(3));
        for off in offsets {
            assert_eq!(
                lines.locate(&file, off),
                locate("f.toml", text, off),
                "{off}"
            );
        }
    }

    #[test]
    fn rule_id_found_from_offset() {
        let src = "[pack]\nid='x'\n[[rule]]\nid = \"r.one\"\n[rule.context]\nbogus = 1\n";
        let off = src.find("bogus").unwrap();
        assert_eq!(enclosing_rule_id(src, off).as_deref(), Some("r.one"));
        assert_eq!(enclosing_rule_id(src, 3), None);
    }
}

#[cfg(test)]
mod splice_tests {
    use super::*;

    /// Splicing parsed lexicons into a pattern gives the same syntax tree as parsing the
    /// pattern with its lexicons written out, for every built-in pattern that splices.
    #[test]
    fn spliced_patterns_equal_written_out_ones() {
        let engine = crate::Engine::new().unwrap();
        let mut spliced = 0;
        for rule in engine.rules_raw() {
            let Some(lazy) = &rule.pattern else { continue };
            if !(lazy.lowercase && lazy.lexicons.can_splice(&lazy.source)) {
                continue;
            }
            let rewrite = |src: &str| lowercase_pattern(&fast_pattern(src));
            let a = lazy
                .lexicons
                .parse_spliced(&rewrite(&lazy.source), rewrite)
                .ok()
                .unwrap();
            let b = matcher::parse(&rewrite(&lazy.lexicons.write_out(&lazy.source)), false)
                .ok()
                .unwrap();
            assert!(a == b, "{}", rule.id);
            spliced += 1;
        }
        assert!(spliced > 50, "{spliced}");
    }
}
