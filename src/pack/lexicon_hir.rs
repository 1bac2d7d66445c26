//! Lexicons parsed once per pack instead of once per pattern.
//!
//! A `{lexicon}` reference in a rule pattern stands for an alternation of every word of the
//! lexicon, and the built-in pack's main patterns are about 800 KB of regex text once those
//! are written out: parsing that text was 40% of the time to compile the patterns a journal
//! entry touches. Patterns therefore keep one placeholder character per reference (a
//! private-use code point that names the lexicon); a lexicon's alternation is parsed once, on
//! first use, and spliced into the parsed pattern where its placeholder stands. The result is
//! the same syntax tree as parsing the written-out text, so matching is unchanged.
//!
//! Splicing applies where the lexicon would be parsed exactly as on its own: rule patterns (main
//! and context ones) run on lowercased text, without inline flags. Patterns with flags write
//! the text out as before.

use super::expand::alternation;
use super::matcher::{self, BuildError};
use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};
use std::sync::OnceLock;

/// The first placeholder character: lexicon number `k` is `U+F0000 + k` (Supplementary Private
/// Use Area-A, which no pack text uses), written twice inside a group, `(?:XX)`. Twice, because
/// the parser turns an alternation of single characters (`{a}|{b}`) into a character class,
/// which would lose the order of the alternatives; in a group, so that a repetition after the
/// reference (`{a}?`) applies to all of it.
const FIRST: u32 = 0xF0000;
const LAST: u32 = 0xFFFFD;

/// The lexicons of one pack: their words, and once needed, their regex text and parsed tree.
#[derive(Debug, Default)]
pub(crate) struct Lexicons {
    /// Each lexicon's words, with its alternation as regex text (`(?:word|...)`) written on
    /// first use: most patterns of the built-in pack are never compiled in a given process,
    /// and writing every lexicon out was a tenth of building the engine.
    texts: Vec<(Vec<String>, OnceLock<String>)>,
    /// Each lexicon parsed for a lowercase-text pattern (see `LazyRegex::for_lowercase_text`).
    parsed: Vec<OnceLock<Option<Hir>>>,
}

impl Lexicons {
    /// Adds a lexicon's words and returns the placeholder patterns use for it, or `None` past
    /// the last placeholder (the text is then written out in place).
    pub(crate) fn add(&mut self, words: &[String]) -> Option<String> {
        let c = char::from_u32(FIRST + u32::try_from(self.texts.len()).ok()?)
            .filter(|c| (*c as u32) <= LAST)?;
        self.texts.push((words.to_vec(), OnceLock::new()));
        self.parsed.push(OnceLock::new());
        Some(format!("(?:{c}{c})"))
    }

    /// Lexicon `k`'s alternation as regex text.
    fn text(&self, k: usize) -> &str {
        let (words, text) = &self.texts[k];
        text.get_or_init(|| alternation(words.iter().map(String::as_str)))
    }

    fn index(&self, c: char) -> Option<usize> {
        let k = (c as u32).checked_sub(FIRST)? as usize;
        (k < self.texts.len()).then_some(k)
    }

    /// `src` with every placeholder written out as its lexicon's text: the pattern as it
    /// would read with the lexicon's words in it.
    pub(crate) fn write_out(&self, src: &str) -> String {
        let mut out = String::with_capacity(self.written_out_len(src));
        let mut copied = 0;
        for (at, len, k) in self.placeholders(src) {
            out.push_str(&src[copied..at]);
            out.push_str(self.text(k));
            copied = at + len;
        }
        out.push_str(&src[copied..]);
        out
    }

    /// The length of [`Lexicons::write_out`]'s result, without building it.
    pub(crate) fn written_out_len(&self, src: &str) -> usize {
        self.placeholders(src)
            .map(|(_, len, k)| self.text(k).len() as isize - len as isize)
            .sum::<isize>()
            .saturating_add(src.len() as isize)
            .max(0) as usize
    }

    /// Each placeholder in `src`: where it starts, its length and its lexicon.
    fn placeholders<'a>(
        &'a self,
        src: &'a str,
    ) -> impl Iterator<Item = (usize, usize, usize)> + 'a {
        src.match_indices("(?:").filter_map(move |(at, _)| {
            let mut chars = src[at + 3..].chars();
            let (a, b, close) = (chars.next()?, chars.next()?, chars.next()?);
            let k = self.index(a)?;
            (a == b && close == ')').then_some((at, 3 + 2 * a.len_utf8() + 1, k))
        })
    }

    /// True when `src` (a lowercase-text pattern) can be parsed with placeholders: it uses a
    /// lexicon, and sets no inline flags that would change how the lexicon text is read.
    pub(crate) fn can_splice(&self, src: &str) -> bool {
        let mut rest = src;
        while let Some(i) = rest.find("(?") {
            rest = &rest[i + 2..];
            let plain_group =
                rest.starts_with(':') || rest.starts_with("P<") || rest.starts_with('<');
            if !plain_group {
                return false;
            }
        }
        src.chars().any(|c| self.index(c).is_some())
    }

    /// Parses `src` (already rewritten by `fast_pattern` and `lowercase_pattern`) and puts each
    /// lexicon's parsed alternation where its placeholder stands.
    pub(crate) fn parse_spliced(
        &self,
        src: &str,
        rewrite: impl Fn(&str) -> String,
    ) -> Result<Hir, BuildError> {
        let hir = matcher::parse(src, false)?;
        let mut failed = None;
        let out = self.splice(&hir, &rewrite, &mut failed);
        match failed {
            Some(e) => Err(e),
            None => Ok(out.unwrap_or(hir)),
        }
    }

    fn lexicon(&self, k: usize, rewrite: &dyn Fn(&str) -> String) -> Result<Hir, BuildError> {
        let parsed =
            self.parsed[k].get_or_init(|| matcher::parse(&rewrite(self.text(k)), false).ok());
        match parsed {
            Some(h) => Ok(h.clone()),
            // Report the real error (parsing again is fine: this never happens for a valid pack).
            None => matcher::parse(&rewrite(self.text(k)), false),
        }
    }

    /// The tree with placeholders replaced, or `None` when nothing in `hir` changed.
    fn splice(
        &self,
        hir: &Hir,
        rewrite: &dyn Fn(&str) -> String,
        failed: &mut Option<BuildError>,
    ) -> Option<Hir> {
        match hir.kind() {
            HirKind::Literal(lit) => {
                let text = std::str::from_utf8(&lit.0).ok()?;
                if !text.chars().any(|c| self.index(c).is_some()) {
                    return None;
                }
                let mut parts = Vec::new();
                let mut start = 0;
                let mut twin = false;
                for (i, c) in text.char_indices() {
                    let Some(k) = self.index(c) else { continue };
                    if std::mem::take(&mut twin) {
                        start = i + c.len_utf8();
                        continue;
                    }
                    if start < i {
                        parts.push(Hir::literal(&text.as_bytes()[start..i]));
                    }
                    match self.lexicon(k, rewrite) {
                        Ok(h) => parts.push(h),
                        Err(e) => {
                            *failed = Some(e);
                            return None;
                        }
                    }
                    twin = true;
                }
                if start < text.len() {
                    parts.push(Hir::literal(&text.as_bytes()[start..]));
                }
                Some(Hir::concat(parts))
            }
            HirKind::Concat(subs) => self.splice_all(subs, rewrite, failed).map(Hir::concat),
            HirKind::Alternation(subs) => {
                self.splice_all(subs, rewrite, failed).map(Hir::alternation)
            }
            HirKind::Repetition(rep) => {
                let sub = self.splice(&rep.sub, rewrite, failed)?;
                Some(Hir::repetition(Repetition {
                    min: rep.min,
                    max: rep.max,
                    greedy: rep.greedy,
                    sub: Box::new(sub),
                }))
            }
            HirKind::Capture(cap) => {
                let sub = self.splice(&cap.sub, rewrite, failed)?;
                Some(Hir::capture(Capture {
                    index: cap.index,
                    name: cap.name.clone(),
                    sub: Box::new(sub),
                }))
            }
            HirKind::Empty | HirKind::Class(_) | HirKind::Look(_) => None,
        }
    }

    fn splice_all(
        &self,
        subs: &[Hir],
        rewrite: &dyn Fn(&str) -> String,
        failed: &mut Option<BuildError>,
    ) -> Option<Vec<Hir>> {
        let spliced: Vec<Option<Hir>> = subs
            .iter()
            .map(|h| self.splice(h, rewrite, failed))
            .collect();
        if spliced.iter().all(Option::is_none) {
            return None;
        }
        Some(
            spliced
                .into_iter()
                .zip(subs)
                .map(|(new, old)| new.unwrap_or_else(|| old.clone()))
                .collect(),
        )
    }
}
