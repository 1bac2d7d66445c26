//! Incremental analysis for editors: a [`Document`] re-analyses only the paragraphs that changed.
//!
//! Context never reaches across a blank line (see `text::paragraph_cuts`), so a paragraph gives
//! the same candidates alone as inside the whole text. A document keeps each paragraph's
//! candidates and, after an edit, recomputes them only for paragraphs whose text is new.
//!
//! A keystroke in a long plain-text entry costs little more than one in a short entry: the
//! paragraph cuts are found again only around the edit, the findings before it stay where they
//! are, those after it are only moved, and what still runs over every finding is a cheap pass
//! of integer work (crisis support and severity stacking, which are entry-wide). Markdown
//! documents mask the whole text on every edit, because a code fence opened far above changes
//! what a paragraph means. The result is always identical to [`Engine::analyze`] (or
//! [`Engine::analyze_markdown`]) on the full text.

use crate::engine::{finding_order, Engine, Located};
use crate::finding::{Analysis, Finding, Span};
use crate::position::{Cursor, Position};
use crate::text;
use std::collections::HashMap;
use std::sync::Arc;

/// How a [`Document`]'s text is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocumentKind {
    /// Every character is checked.
    #[default]
    PlainText,
    /// Code, URLs, HTML and front matter are skipped, as in [`Engine::analyze_markdown`].
    #[cfg(feature = "markdown")]
    Markdown,
}

/// A stable identity for a finding in a [`Document`]: it stays the same across edits as long as
/// the paragraph holding the finding is unchanged, even when the paragraph moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FindingId(pub u64);

/// An edit that does not fit the document's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditError {
    message: String,
}

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EditError {}

/// One analysed paragraph. Everything in it is relative to the paragraph's own start, so it
/// stays valid wherever the paragraph moves.
struct Paragraph {
    /// The paragraph as scanned (Markdown masked), which is what its candidates depend on.
    scan: String,
    /// The paragraph as written, when Markdown masking made it differ from `scan`. Positions
    /// count characters and UTF-16 units of the written text, so a paragraph is reused only when
    /// both are unchanged: `...` and `…` in inline code mask to the same bytes but not to the
    /// same number of UTF-16 units.
    written: Option<String>,
    /// Distinguishes this analysed paragraph from every other one the document has seen.
    serial: u64,
    /// Where the paragraph ends, measured from its start (line 1, column 1).
    extent: Position,
    /// Its findings' sources, in report order; `analysis.findings` holds the findings
    /// themselves, this paragraph's after the previous paragraph's.
    located: Vec<Located>,
}

impl Paragraph {
    /// The paragraph as scanned and as written.
    fn texts(&self) -> (&str, &str) {
        (&self.scan, self.written.as_deref().unwrap_or(&self.scan))
    }

    /// Whether this paragraph is `scan` as scanned and `written` as written.
    fn is(&self, scan: &str, written: &str) -> bool {
        self.texts() == (scan, written)
    }
}

/// A text that is edited over time, analysed incrementally.
///
/// ```
/// use std::sync::Arc;
/// use kindly::{Document, DocumentKind, Engine};
///
/// let engine = Arc::new(Engine::new()?);
/// let mut doc = Document::new(engine, DocumentKind::PlainText);
/// doc.set_text("Long day.\n\nI'm so lazy.");
/// assert_eq!(doc.analysis().findings.len(), 1);
/// let id = doc.ids()[0];
///
/// // Typing in the first paragraph re-analyses only that paragraph; the finding in the second
/// // keeps its identity and its offsets shift.
/// doc.apply_edit(0, 0, "A ").unwrap();
/// assert_eq!(doc.paragraphs_reanalysed(), 1);
/// assert_eq!(doc.ids()[0], id);
/// let f = &doc.analysis().findings[0];
/// assert_eq!(&doc.text()[f.bytes.range()], "I'm so lazy");
/// assert_eq!(f.bytes.start, 13);
/// # Ok::<(), kindly::Error>(())
/// ```
pub struct Document {
    engine: Arc<Engine>,
    kind: DocumentKind,
    text: String,
    /// Paragraph start offsets, parallel to `paragraphs`.
    starts: Vec<usize>,
    /// Where each paragraph starts in characters, UTF-16 units and lines, parallel to `starts`:
    /// turns a JS index into a byte offset without counting from the top of a long entry.
    bases: Vec<Position>,
    paragraphs: Vec<Paragraph>,
    analysis: Analysis,
    ids: Vec<FindingId>,
    next_serial: u64,
    reanalysed: usize,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The text is the user's; keep it out of debug output.
        f.debug_struct("Document")
            .field("kind", &self.kind)
            .field("bytes", &self.text.len())
            .field("paragraphs", &self.paragraphs.len())
            .field("findings", &self.analysis.findings.len())
            .finish()
    }
}

impl Document {
    /// An empty document analysed with `engine`.
    pub fn new(engine: Arc<Engine>, kind: DocumentKind) -> Document {
        Document {
            engine,
            kind,
            text: String::new(),
            starts: Vec::new(),
            bases: Vec::new(),
            paragraphs: Vec::new(),
            analysis: Analysis::default(),
            ids: Vec::new(),
            next_serial: 0,
            reanalysed: 0,
        }
    }

    /// The current text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The findings and crisis support for the current text, exactly as [`Engine::analyze`]
    /// would give them.
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// The identity of each finding, parallel to `analysis().findings`.
    pub fn ids(&self) -> &[FindingId] {
        &self.ids
    }

    /// Findings with their identities.
    pub fn findings(&self) -> impl Iterator<Item = (FindingId, &Finding)> {
        self.ids.iter().copied().zip(&self.analysis.findings)
    }

    /// How many paragraphs the last update had to analyse afresh (the rest were reused).
    pub fn paragraphs_reanalysed(&self) -> usize {
        self.reanalysed
    }

    /// Replaces the whole text and re-analyses the paragraphs that changed.
    pub fn set_text(&mut self, new_text: &str) -> &Analysis {
        self.text.clear();
        self.text.push_str(new_text);
        self.refresh(None);
        &self.analysis
    }

    /// Replaces bytes `from..to` with `insert`.
    ///
    /// # Errors
    /// When the range is reversed, past the end, or not on character boundaries; the document
    /// is left unchanged.
    pub fn apply_edit(
        &mut self,
        from: usize,
        to: usize,
        insert: &str,
    ) -> Result<&Analysis, EditError> {
        if from > to || to > self.text.len() {
            return Err(EditError {
                message: format!(
                    "edit range {from}..{to} does not fit a text of {} bytes",
                    self.text.len()
                ),
            });
        }
        if !self.text.is_char_boundary(from) || !self.text.is_char_boundary(to) {
            return Err(EditError {
                message: format!(
                    "edit range {from}..{to} splits a character; byte offsets must fall between characters"
                ),
            });
        }
        self.text.replace_range(from..to, insert);
        self.refresh(Some(Edit {
            from,
            to,
            inserted: insert.len(),
        }));
        Ok(&self.analysis)
    }

    /// Replaces UTF-16 code units `from..to` (JavaScript string indices) with `insert`.
    ///
    /// # Errors
    /// When the range is reversed, past the end, or splits a surrogate pair.
    pub fn apply_edit_utf16(
        &mut self,
        from: usize,
        to: usize,
        insert: &str,
    ) -> Result<&Analysis, EditError> {
        let (Some(a), Some(b)) = (self.byte_from_utf16(from), self.byte_from_utf16(to)) else {
            return Err(EditError {
                message: format!(
                    "edit range {from}..{to} (UTF-16) does not fit the text or splits a surrogate pair"
                ),
            });
        };
        if a > b {
            return Err(EditError {
                message: format!("edit range {from}..{to} (UTF-16) is reversed"),
            });
        }
        self.apply_edit(a, b, insert)
    }

    /// The byte offset of UTF-16 index `u`, or `None` when it is past the end or inside a
    /// surrogate pair.
    pub fn byte_from_utf16(&self, u: usize) -> Option<usize> {
        // Count from the start of the paragraph holding `u`, not from the top of the text.
        let p = self
            .bases
            .partition_point(|b| b.utf16 <= u)
            .saturating_sub(1);
        let (from, mut units) = match (self.starts.get(p), self.bases.get(p)) {
            (Some(&start), Some(base)) => (start, base.utf16),
            _ => (0, 0),
        };
        for (i, c) in self.text[from..].char_indices() {
            if units == u {
                return Some(from + i);
            }
            units += c.len_utf16();
            if units > u {
                return None;
            }
        }
        (units == u).then_some(self.text.len())
    }

    fn refresh(&mut self, edit: Option<Edit>) {
        // Out of `self` while the lists are rebuilt, which borrow `self` mutably.
        let text = std::mem::take(&mut self.text);
        let masked: Option<String> = match self.kind {
            DocumentKind::PlainText => None,
            #[cfg(feature = "markdown")]
            DocumentKind::Markdown => Some(crate::markdown::mask_markdown(&text)),
        };
        let scan: &str = masked.as_deref().unwrap_or(&text);
        let (starts, known_prefix, known_suffix) = match edit {
            Some(edit) if masked.is_none() && !self.paragraphs.is_empty() => {
                self.cuts_after(edit, scan)
            }
            // Markdown can change what every paragraph means (a fence opened far above), so
            // its cuts are always taken from the whole text. They are the blank lines of the
            // text as written, not of the masked text: a line that masking blanked (an HTML
            // comment, front matter, a table rule) does not end a paragraph, so
            // `<!-- kindly-ignore -->` quiets the same paragraph as in the whole text. Every
            // written blank line is blank when masked too, so context still stops there.
            _ => {
                let mut starts = vec![0];
                starts.extend(text::paragraph_cuts(&text).into_iter().filter(|&c| c > 0));
                (starts, 0, 0)
            }
        };
        debug_assert_eq!(starts, {
            let mut all = vec![0];
            all.extend(text::paragraph_cuts(&text).into_iter().filter(|&c| c > 0));
            all
        });
        let bounds = |i: usize| (starts[i], starts.get(i + 1).copied().unwrap_or(scan.len()));

        // Reuse paragraphs whose scanned text is unchanged: first the common prefix and suffix
        // (the usual single edit), then any other identical paragraph (moved or pasted text).
        let old = std::mem::take(&mut self.paragraphs);
        let mut taken = vec![false; old.len()];
        let mut reuse: Vec<Option<usize>> = vec![None; starts.len()];
        let same = |new_i: usize, old_i: usize| {
            let (s, e) = bounds(new_i);
            old[old_i].is(&scan[s..e], &text[s..e])
        };
        for i in 0..known_prefix {
            reuse[i] = Some(i);
            taken[i] = true;
        }
        for j in 0..known_suffix {
            reuse[starts.len() - 1 - j] = Some(old.len() - 1 - j);
            taken[old.len() - 1 - j] = true;
        }
        let mut prefix = known_prefix;
        while prefix < starts.len() - known_suffix
            && prefix < old.len() - known_suffix
            && same(prefix, prefix)
        {
            reuse[prefix] = Some(prefix);
            taken[prefix] = true;
            prefix += 1;
        }
        let mut suffix = known_suffix;
        while suffix < starts.len() - prefix
            && suffix < old.len() - prefix
            && same(starts.len() - 1 - suffix, old.len() - 1 - suffix)
        {
            reuse[starts.len() - 1 - suffix] = Some(old.len() - 1 - suffix);
            taken[old.len() - 1 - suffix] = true;
            suffix += 1;
        }
        if prefix + suffix < starts.len() && prefix + suffix < old.len() {
            let mut by_text: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
            for (i, p) in old.iter().enumerate().rev() {
                if !taken[i] {
                    by_text.entry(p.texts()).or_default().push(i);
                }
            }
            for (i, slot) in reuse
                .iter_mut()
                .enumerate()
                .take(starts.len() - suffix)
                .skip(prefix)
            {
                let (s, e) = bounds(i);
                let key = (&scan[s..e], &text[s..e]);
                if let Some(o) = by_text.get_mut(&key).and_then(Vec::pop) {
                    *slot = Some(o);
                    taken[o] = true;
                }
            }
        }

        // The usual edit keeps a prefix and a suffix of paragraphs and changes the ones between:
        // splice the new ones in place, so a keystroke moves no finding of the unchanged
        // paragraphs and only re-places those after the edit. Moved or pasted paragraphs take
        // the general path, which rebuilds the lists.
        let middle_reused = reuse[prefix..starts.len() - suffix]
            .iter()
            .any(Option::is_some);
        let paragraphs = Texts {
            original: &text,
            scan,
            starts: &starts,
        };
        if middle_reused {
            self.rebuild(old, &reuse, &paragraphs);
        } else {
            self.splice(old, prefix, suffix, &paragraphs);
        }
        let located: Vec<(&Located, usize)> = self
            .paragraphs
            .iter()
            .zip(&starts)
            .flat_map(|(p, &s)| p.located.iter().map(move |l| (l, s)))
            .collect();
        self.analysis.support = self
            .engine
            .entry_wide(&located, &mut self.analysis.findings);
        self.starts = starts;
        self.text = text;
    }

    /// The paragraph starts of the text after `edit` (in a plain-text document), found without
    /// reading the whole text: cuts before the paragraph ahead of the edit and from the second
    /// paragraph after it stay where they were (shifted by the edit's length change), because a
    /// cut depends only on the line break before it and the line it starts. Also returns how
    /// many paragraphs at the start and at the end are known to be unchanged.
    fn cuts_after(&self, edit: Edit, scan: &str) -> (Vec<usize>, usize, usize) {
        let old = &self.starts;
        let old_len = scan.len() + (edit.to - edit.from) - edit.inserted;
        let holding = |at: usize| old.partition_point(|&s| s <= at) - 1;
        // One paragraph of margin on each side: an edit at the very start of a paragraph can
        // change whether the line it starts is blank, and so the cut before it.
        let first = holding(edit.from).saturating_sub(1);
        let after = (holding(edit.to) + 2).min(old.len());
        let window_start = old[first];
        let window_end = old
            .get(after)
            .map_or(scan.len(), |&s| s + edit.inserted + edit.from - edit.to);
        debug_assert!(old.get(after).is_none_or(|&s| s <= old_len));
        let mut starts = Vec::with_capacity(old.len() + 1);
        starts.extend_from_slice(&old[..=first]);
        starts.extend(text::paragraph_cuts_between(scan, window_start, window_end));
        starts.extend(
            old[after..]
                .iter()
                .map(|&s| s + edit.inserted + edit.from - edit.to),
        );
        (starts, first, old.len() - after)
    }

    /// Replaces old paragraphs `prefix..old.len() - suffix` with fresh analyses of the new ones
    /// between the same prefix and suffix.
    fn splice(&mut self, mut old: Vec<Paragraph>, prefix: usize, suffix: usize, new: &Texts) {
        let count = |ps: &[Paragraph]| ps.iter().map(|p| p.located.len()).sum::<usize>();
        let kept_before = count(&old[..prefix]);
        let kept_after = count(&old[old.len() - suffix..]);
        let first_fresh = kept_before;
        let mut fresh_paragraphs = Vec::new();
        let mut fresh_findings = Vec::new();
        let mut fresh_ids = Vec::new();
        self.reanalysed = 0;
        for i in prefix..new.starts.len() - suffix {
            self.reanalysed += 1;
            let serial = self.next_serial;
            self.next_serial += 1;
            let (para, found) = self.analyse_paragraph(serial, new, i);
            fresh_ids.extend((0..found.len()).map(|rank| FindingId((serial << 32) | rank as u64)));
            fresh_findings.extend(found);
            fresh_paragraphs.push(para);
        }
        let findings = &mut self.analysis.findings;
        let replaced = kept_before..findings.len() - kept_after;
        findings.splice(replaced.clone(), fresh_findings);
        self.ids.splice(replaced, fresh_ids);
        let old_end = old.len() - suffix;
        old.splice(prefix..old_end, fresh_paragraphs);
        self.paragraphs = old;

        // Positions: the prefix's stay as they are; everything from the first new paragraph on
        // is placed again from its paragraph's new start.
        self.bases.truncate(prefix);
        let mut base = match (prefix.checked_sub(1), self.bases.last()) {
            (Some(last), Some(b)) => b.then(self.paragraphs[last].extent),
            _ => Position::START,
        };
        let mut at = first_fresh;
        for (i, para) in self.paragraphs.iter().enumerate().skip(prefix) {
            let n = para.located.len();
            for (f, l) in self.analysis.findings[at..at + n]
                .iter_mut()
                .zip(&para.located)
            {
                place(f, l, new.starts[i], base);
            }
            at += n;
            self.bases.push(base);
            base = base.then(para.extent);
        }
    }

    /// Builds the paragraph and finding lists afresh from `reuse` (which old paragraph, if any,
    /// each new paragraph is), analysing the paragraphs that are new.
    fn rebuild(&mut self, old: Vec<Paragraph>, reuse: &[Option<usize>], new: &Texts) {
        let mut old_findings: Vec<Option<Finding>> = std::mem::take(&mut self.analysis.findings)
            .into_iter()
            .map(Some)
            .collect();
        let mut old_first = Vec::with_capacity(old.len());
        let mut n = 0;
        for p in &old {
            old_first.push(n);
            n += p.located.len();
        }
        let mut old: Vec<Option<Paragraph>> = old.into_iter().map(Some).collect();
        let mut paragraphs = Vec::with_capacity(new.starts.len());
        let mut findings: Vec<Finding> = Vec::new();
        self.ids.clear();
        self.bases.clear();
        self.reanalysed = 0;
        let mut base = Position::START;
        for (i, r) in reuse.iter().enumerate() {
            let (para, fresh) = match r.and_then(|o| old[o].take().map(|p| (o, p))) {
                Some((o, para)) => {
                    // Moved over from the old findings, in place of a fresh analysis.
                    let first = old_first[o];
                    let moved = old_findings[first..first + para.located.len()]
                        .iter_mut()
                        .filter_map(Option::take);
                    findings.extend(moved);
                    (para, Vec::new())
                }
                None => {
                    self.reanalysed += 1;
                    let serial = self.next_serial;
                    self.next_serial += 1;
                    self.analyse_paragraph(serial, new, i)
                }
            };
            findings.extend(fresh);
            let added = findings.len() - para.located.len();
            for (rank, (f, l)) in findings[added..].iter_mut().zip(&para.located).enumerate() {
                place(f, l, new.starts[i], base);
                self.ids.push(FindingId((para.serial << 32) | rank as u64));
            }
            self.bases.push(base);
            base = base.then(para.extent);
            paragraphs.push(para);
        }
        self.analysis.findings = findings;
        self.paragraphs = paragraphs;
    }

    /// Candidates, positions and rendered findings of one paragraph, all relative to its start.
    fn analyse_paragraph(&self, serial: u64, new: &Texts, i: usize) -> (Paragraph, Vec<Finding>) {
        let (original, scan) = new.paragraph(i);
        let raw = self.engine.candidates(original, scan, None);
        let mut cursor = Cursor::start();
        let located = self.engine.locate(original, scan, raw, &mut cursor, true);
        let mut pairs: Vec<(Finding, Located)> = located
            .into_iter()
            .map(|l| (self.engine.render_one(&l), l))
            .collect();
        pairs.sort_by(|a, b| finding_order(&a.0).cmp(&finding_order(&b.0)));
        let (found, located): (Vec<Finding>, Vec<Located>) = pairs.into_iter().unzip();
        let para = Paragraph {
            scan: scan.to_string(),
            written: (original != scan).then(|| original.to_string()),
            serial,
            extent: cursor.position(),
            located,
        };
        (para, found)
    }
}

/// Bytes `from..to` of the old text were replaced by `inserted` bytes.
#[derive(Clone, Copy, Debug)]
struct Edit {
    from: usize,
    to: usize,
    inserted: usize,
}

/// The text after an edit, cut into paragraphs.
struct Texts<'a> {
    original: &'a str,
    /// The text as scanned (Markdown masked; the same byte length as `original`).
    scan: &'a str,
    /// Paragraph start offsets.
    starts: &'a [usize],
}

impl Texts<'_> {
    /// Paragraph `i`, as written and as scanned.
    fn paragraph(&self, i: usize) -> (&str, &str) {
        let (s, e) = (
            self.starts[i],
            self.starts.get(i + 1).copied().unwrap_or(self.scan.len()),
        );
        (&self.original[s..e], &self.scan[s..e])
    }
}

/// Moves a finding to where its paragraph now sits: `start` bytes and `base` into the text.
fn place(f: &mut Finding, l: &Located, start: usize, base: Position) {
    let (a, b) = (base.then(l.start), base.then(l.end));
    f.bytes = Span::new(l.raw.start + start, l.raw.end + start);
    f.chars = Span::new(a.char, b.char);
    f.utf16 = Span::new(a.utf16, b.utf16);
    f.line = a.line;
    f.column = a.column;
    f.end_line = b.line;
    f.end_column = b.column;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Arc<Engine> {
        Arc::new(Engine::new().unwrap())
    }

    #[test]
    fn equals_whole_text_analysis_after_every_edit() {
        let engine = engine();
        let mut doc = Document::new(Arc::clone(&engine), DocumentKind::PlainText);
        let steps = [
            "I'm so lazy.",
            "I'm so lazy.\n\nEveryone else is better than me.",
            "Today was fine.\n\nI'm so lazy.\n\nEveryone else is better than me.",
            "Today was fine.\n\nI'm not lazy.\n\nEveryone else is better than me.",
            "Today was fine.\r\n  \r\nI'm so useless. I want to die.\n\nI always mess up.",
            "",
        ];
        for s in steps {
            doc.set_text(s);
            assert_eq!(doc.analysis(), &engine.analyze(s), "{s:?}");
            assert_eq!(doc.ids().len(), doc.analysis().findings.len());
        }
    }

    #[test]
    fn unchanged_paragraphs_keep_identity_and_are_not_reanalysed() {
        let mut doc = Document::new(engine(), DocumentKind::PlainText);
        doc.set_text("Hi.\n\nI'm so lazy.\n\nI always mess up.\n\nBye.");
        assert_eq!(doc.paragraphs_reanalysed(), 4);
        let before: Vec<FindingId> = doc.ids().to_vec();
        assert_eq!(before.len(), 2);
        // Edit the first paragraph: only it is analysed again.
        doc.apply_edit(0, 2, "Hello there").unwrap();
        assert_eq!(doc.paragraphs_reanalysed(), 1);
        assert_eq!(doc.ids(), &before[..]);
        let last = &doc.analysis().findings[1];
        assert_eq!(&doc.text()[last.bytes.range()], "I always mess up");
        assert_eq!(last.line, 5);
        // Swap the two middle paragraphs: both are reused, identities follow the text.
        doc.set_text("Hello there.\n\nI always mess up.\n\nI'm so lazy.\n\nBye.");
        assert_eq!(doc.paragraphs_reanalysed(), 0);
        assert_eq!(doc.ids(), &[before[1], before[0]]);
    }

    #[test]
    fn edits_are_checked() {
        let mut doc = Document::new(engine(), DocumentKind::PlainText);
        doc.set_text("é😀 I'm so lazy");
        assert_eq!(
            doc.apply_edit(1, 2, "x").unwrap_err().to_string(),
            "edit range 1..2 splits a character; byte offsets must fall between characters"
        );
        assert_eq!(
            doc.apply_edit(3, 99, "").unwrap_err().to_string(),
            "edit range 3..99 does not fit a text of 18 bytes"
        );
        // UTF-16: é is 1 unit, 😀 is 2; index 2 is inside the pair.
        assert!(doc.apply_edit_utf16(2, 2, "x").is_err());
        assert_eq!(doc.text(), "é😀 I'm so lazy");
        doc.apply_edit_utf16(1, 3, "").unwrap();
        assert_eq!(doc.text(), "é I'm so lazy");
        let f = &doc.analysis().findings[0];
        assert_eq!((f.utf16.start, f.utf16.end), (2, 13));
    }

    #[test]
    fn paragraph_cuts_follow_edits_around_line_breaks() {
        // Edits made of line breaks, spaces and tabs next to other line breaks are where a
        // paragraph cut can appear or vanish; the document finds its cuts around the edit only,
        // so check them (and the findings) against the whole text after every edit.
        let engine = engine();
        let mut doc = Document::new(Arc::clone(&engine), DocumentKind::PlainText);
        doc.set_text("I'm so lazy.\n\nfine\r\n\r\nI'm useless.\n \nok\n");
        let pieces = [
            "\n",
            "\r",
            "\r\n",
            " ",
            "\t",
            "x",
            "\n\n",
            "I'm so lazy. ",
            "",
        ];
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize % n
        };
        for _ in 0..3000 {
            let len = doc.text().len();
            let from = next(len + 1);
            let to = (from + next(3)).min(len);
            let insert = pieces[next(pieces.len())];
            doc.apply_edit(from, to, insert).unwrap();
            let mut cuts = vec![0];
            cuts.extend(
                text::paragraph_cuts(doc.text())
                    .into_iter()
                    .filter(|&c| c > 0),
            );
            assert_eq!(doc.starts, cuts, "{:?}", doc.text());
            assert_eq!(
                doc.analysis(),
                &engine.analyze(doc.text()),
                "{:?}",
                doc.text()
            );
            if len > 400 {
                doc.set_text("I'm so lazy.\n\n");
            }
        }
    }

    #[test]
    fn utf16_indices_map_to_bytes_in_every_paragraph() {
        let mut doc = Document::new(engine(), DocumentKind::PlainText);
        let text = "é😀 one.\r\n\r\nI'm so lazy 👍🏽.\n \n\n\u{301}two😀\n\nend";
        doc.set_text(text);
        assert!(doc.starts.len() >= 4, "{:?}", doc.starts);
        // Counting from the top of the text, the slow way.
        let mut expected = vec![None; text.encode_utf16().count() + 1];
        let mut units = 0;
        for (i, c) in text.char_indices() {
            expected[units] = Some(i);
            units += c.len_utf16();
        }
        expected[units] = Some(text.len());
        for (u, want) in expected.iter().enumerate() {
            assert_eq!(doc.byte_from_utf16(u), *want, "index {u}");
        }
        assert_eq!(doc.byte_from_utf16(units + 1), None);
    }

    #[cfg(feature = "markdown")]
    #[test]
    fn markdown_documents_mask_code_across_paragraphs() {
        let engine = engine();
        let mut doc = Document::new(Arc::clone(&engine), DocumentKind::Markdown);
        let text = "```\nI'm so lazy\n\nI'm so lazy\n```\n\nI'm so lazy.\n";
        doc.set_text(text);
        assert_eq!(doc.analysis(), &engine.analyze_markdown(text));
        assert_eq!(doc.analysis().findings.len(), 1);
        // Closing the fence later changes what the earlier paragraphs mean.
        doc.set_text("```\nI'm so lazy\n\nI'm so lazy\n");
        assert_eq!(doc.analysis(), &engine.analyze_markdown(doc.text()));
        // Crisis language is caught in masked text too, paragraph by paragraph as in the whole;
        // `<!-- kindly-ignore -->` quiets the paragraph it is in however much of it is masked.
        for text in [
            "<!-- kindly-ignore -->\n---\ntitle: x\n---\nI'm so lazy.\n",
            "<!-- kindly-ignore -->\n| a | b |\n|---|---|\n| I'm so lazy | x |\n",
            "Long day.\n<!-- I want to kill myself -->\n\nI'm so lazy.\n",
            "<details>\nI just want to die\n\nnot really\n</details>\n\nI'm so lazy.\n",
        ] {
            doc.set_text(text);
            assert_eq!(doc.analysis(), &engine.analyze_markdown(text), "{text:?}");
            let ignored = text.starts_with("<!-- kindly-ignore");
            assert_eq!(doc.analysis().support.is_some(), !ignored, "{text:?}");
            if ignored {
                assert!(doc.analysis().findings.is_empty(), "{text:?}");
            }
        }
    }

    /// Masked text that keeps its byte length but not its UTF-16 length (smart punctuation
    /// turning `...` into `…` in inline code) must not leave stale positions behind.
    #[cfg(feature = "markdown")]
    #[test]
    fn markdown_edits_inside_masked_text_keep_positions_exact() {
        let engine = engine();
        for start in [
            "`...` Today I'm so lazy.",
            "[link](https://x.y/...) Today I'm so lazy.",
            "Note <!-- ... --> Today I'm so lazy.",
            "---\ntitle: ...\n---\nToday I'm so lazy.",
            "`ab` Today I'm so lazy.",
        ] {
            let mut doc = Document::new(Arc::clone(&engine), DocumentKind::Markdown);
            doc.set_text(start);
            let (from, replacement) = match start.find("...") {
                Some(at) => (at, "…"),
                None => (1, "é"),
            };
            doc.apply_edit(
                from,
                from + 3 - usize::from(replacement == "é"),
                replacement,
            )
            .unwrap();
            assert_eq!(
                doc.analysis(),
                &engine.analyze_markdown(doc.text()),
                "{start:?}"
            );
            let at = doc.text().find("Today").unwrap() + "Today".len();
            doc.apply_edit(at, at, " again").unwrap();
            assert_eq!(
                doc.analysis(),
                &engine.analyze_markdown(doc.text()),
                "{start:?}"
            );
            let f = &doc.analysis().findings[0];
            assert_eq!(&doc.text()[f.bytes.range()], "I'm so lazy", "{start:?}");
            let units: Vec<u16> = doc.text().encode_utf16().collect();
            let sliced = String::from_utf16(&units[f.utf16.start..f.utf16.end]).unwrap();
            assert_eq!(sliced, "I'm so lazy", "{start:?}");
        }
    }
}
