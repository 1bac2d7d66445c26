//! STAGE 1 helpers: finding the sentence and clause around a candidate hit.
//!
//! kindly never segments the whole text up front. The automaton pass finds candidate hits; only
//! then do we look left and right of a hit for the sentence that holds it. The scan is bounded
//! (`MAX_REACH` bytes each way), so a hit costs the same in a tweet and in a 1 GB file.

use memchr::memrchr;

/// How far (in bytes) we look from a hit for the edges of its sentence. Journal sentences are
/// short; a run-on "sentence" longer than this is cut at a space, which only narrows context.
pub(crate) const MAX_REACH: usize = 600;

/// Abbreviations whose final period does not end a sentence.
const ABBREVIATIONS: [&str; 16] = [
    "mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "jr", "sr", "prof", "approx", "no",
    "mt", "ft",
];

/// The byte range `[start, end)` of the sentence that contains `pos`.
///
/// Boundaries: `.`, `!`, `?` and `…` followed by whitespace or end of text (runs like `?!` and
/// closing quotes stay with their sentence), line breaks (a blank line always; a single line
/// break unless the line looks hard-wrapped, i.e. long, unpunctuated and followed by a lowercase
/// continuation), and the edges of the reach window.
pub(crate) fn sentence_bounds(text: &str, pos: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let pos = pos.min(bytes.len());
    let lo = floor_char(text, pos.saturating_sub(MAX_REACH));
    let hi = ceil_char(text, (pos + MAX_REACH).min(bytes.len()));

    // Walk left.
    let mut start = lo;
    let mut i = pos;
    while i > lo {
        let b = bytes[i - 1];
        if b == b'\n' || b == b'\r' {
            if !is_soft_wrap(text, i - 1) {
                start = i;
                break;
            }
        } else if is_terminator_at(text, i - 1) {
            start = i;
            break;
        }
        i -= 1;
    }
    if start == lo && lo > 0 {
        // Cut mid-sentence by the window: start after the next space so we never split a word.
        if let Some(sp) = bytes[lo..pos].iter().position(|b| *b == b' ') {
            start = lo + sp + 1;
        }
    }

    // Walk right.
    let mut end = hi;
    let mut j = pos;
    while j < hi {
        let b = bytes[j];
        if b == b'\n' || b == b'\r' {
            if !is_soft_wrap(text, j) {
                end = j;
                break;
            }
        } else if is_terminator_at(text, j) {
            // Keep the terminator run and closing quotes with this sentence.
            let mut k = j + 1;
            loop {
                if k < bytes.len() && matches!(bytes[k], b'.' | b'!' | b'?' | b'"' | b'\'' | b')') {
                    k += 1;
                } else if k + 2 < bytes.len() + 1
                    && bytes.get(k) == Some(&0xE2)
                    && bytes.get(k + 1) == Some(&0x80)
                    && matches!(bytes.get(k + 2), Some(0x9D | 0x99 | 0xA6))
                {
                    // Closing curly quotes and an ellipsis stay with the sentence.
                    k += 3;
                } else {
                    break;
                }
            }
            end = k;
            break;
        }
        j += 1;
    }
    if end == hi && hi < bytes.len() {
        if let Some(sp) = memrchr(b' ', &bytes[pos..hi]) {
            end = pos + sp;
        }
    }
    let end = ceil_char(text, end.max(pos));
    let mut start = floor_char(text, start.min(pos));
    // The sentence starts at its first non-space character.
    while start < pos && bytes[start].is_ascii_whitespace() {
        start += 1;
    }
    (start, end)
}

/// True when the byte at `i` ends a sentence: `.`/`!`/`?` followed by whitespace (after any run
/// of further terminators and closing quotes) or by the end of text.
fn is_terminator_at(text: &str, i: usize) -> bool {
    let bytes = text.as_bytes();
    let b = bytes[i];
    let ellipsis = b == 0xE2 && bytes.get(i + 1) == Some(&0x80) && bytes.get(i + 2) == Some(&0xA6);
    if !matches!(b, b'.' | b'!' | b'?') && !ellipsis {
        return false;
    }
    let mut k = i + if ellipsis { 3 } else { 1 };
    while k < bytes.len() && matches!(bytes[k], b'.' | b'!' | b'?' | b'"' | b'\'' | b')') {
        k += 1;
    }
    // Curly closing quotes (” ’) after the terminator.
    while k + 2 < bytes.len()
        && bytes[k] == 0xE2
        && bytes[k + 1] == 0x80
        && matches!(bytes[k + 2], 0x9D | 0x99)
    {
        k += 3;
    }
    let followed_by_space = match bytes.get(k) {
        None => true,
        Some(c) => c.is_ascii_whitespace(),
    };
    if !followed_by_space {
        return false;
    }
    // An ellipsis trails off mid-thought ("I'm just… here") unless a capital or a line break
    // follows it.
    let dots = bytes[i..k].iter().filter(|c| **c == b'.').count();
    if ellipsis || dots >= 2 {
        let next = text[k..].trim_start_matches([' ', '\t']).chars().next();
        if next.is_some_and(|c| c.is_lowercase()) {
            return false;
        }
    }
    if b == b'.' && i > 0 {
        // Decimal numbers never reach here (no space after the dot); check abbreviations.
        let word_start = bytes[..i]
            .iter()
            .rposition(|c| !(c.is_ascii_alphabetic() || *c == b'.'))
            .map_or(0, |p| p + 1);
        let word = &text[word_start..i];
        if word.len() <= 6 && ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(word)) {
            return false;
        }
    }
    true
}

/// A single line break inside a hard-wrapped paragraph is not a boundary: the line before is
/// long (a wrapped line), does not end in punctuation, and the next line starts lowercase.
fn is_soft_wrap(text: &str, nl: usize) -> bool {
    let bytes = text.as_bytes();
    // A CRLF pair: look at the LF that follows.
    let after = if bytes[nl] == b'\r' && bytes.get(nl + 1) == Some(&b'\n') {
        nl + 2
    } else {
        nl + 1
    };
    // Where the previous line starts.
    let line_start = bytes[..nl]
        .iter()
        .rposition(|c| *c == b'\n' || *c == b'\r')
        .map_or(0, |p| p + 1);
    let prev = text[line_start..nl].trim_end();
    if prev.len() < 50 {
        return false;
    }
    if prev.ends_with(['.', '!', '?', ':', ';', '"']) {
        return false;
    }
    match bytes.get(after) {
        Some(c) => c.is_ascii_lowercase(),
        None => false,
    }
}

/// Largest char boundary `<= i`.
pub(crate) fn floor_char(text: &str, mut i: usize) -> usize {
    if i >= text.len() {
        return text.len();
    }
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Smallest char boundary `>= i`.
pub(crate) fn ceil_char(text: &str, mut i: usize) -> usize {
    if i >= text.len() {
        return text.len();
    }
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The character just before byte `i`, if any.
pub(crate) fn char_before(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

/// The character at byte `i`, if any.
pub(crate) fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// A word character for boundary checks.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A combining mark of the blocks Latin, Greek and Cyrillic text uses ("lazy" + U+0301 is
/// "lazý"): it belongs to the letter before it, so a word never ends just before one. Otherwise
/// a span would split a character as the reader sees it, and a rewrite would carry the accent
/// onto the replacement (issue 6).
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// True when `text[start..end]` is a whole word (or phrase) in its surroundings. A stretched
/// last letter ("lazyyy") is accepted and the returned end covers it. `prefix` triggers
/// (`fail*`) may run on into more word characters.
pub(crate) fn word_bounded(text: &str, start: usize, end: usize, prefix: bool) -> Option<usize> {
    let first = char_at(text, start)?;
    if is_word_char(first) {
        if let Some(c) = char_before(text, start) {
            if is_word_char(c) {
                return None;
            }
        }
    }
    let last = char_before(text, end)?;
    let mut end = end;
    if prefix {
        while let Some(c) = char_at(text, end) {
            if !is_word_char(c) && !is_combining_mark(c) {
                break;
            }
            end += c.len_utf8();
        }
        return Some(end);
    }
    if is_word_char(last) {
        // Absorb a stretched final letter: "stupiddd".
        let lower = last.to_ascii_lowercase();
        while let Some(c) = char_at(text, end) {
            if c.to_ascii_lowercase() != lower {
                break;
            }
            end += c.len_utf8();
        }
        if let Some(c) = char_at(text, end) {
            if is_word_char(c) || is_combining_mark(c) {
                return None;
            }
        }
    }
    Some(end)
}

/// Number of line breaks in `ws` (`\r\n` counts once, a lone `\r` counts).
fn line_breaks(ws: &str) -> usize {
    let b = ws.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count()
}

/// True when the whitespace at the end of `before` holds a blank line: the end of a paragraph.
/// Context never reaches across a paragraph break, so each paragraph (journal entry) is
/// analysed the same alone as inside a longer text, which is what makes incremental
/// re-analysis in [`crate::Document`] exact.
pub(crate) fn ends_with_paragraph_break(before: &str) -> bool {
    let trimmed = before.trim_end();
    line_breaks(&before[trimmed.len()..]) >= 2
}

/// True when the whitespace at the start of `after` holds a blank line.
pub(crate) fn starts_with_paragraph_break(after: &str) -> bool {
    let trimmed = after.trim_start();
    line_breaks(&after[..after.len() - trimmed.len()]) >= 2
}

/// Byte offsets where paragraphs start: the start of every blank (empty or whitespace-only)
/// line that follows a line break. Cutting the text there never changes what the engine finds.
pub(crate) fn paragraph_cuts(text: &str) -> Vec<usize> {
    paragraph_cuts_between(text, 0, text.len())
}

/// The paragraph cuts `c` of `text` with `from < c < until`, where `from` is the start of a line
/// (0, or just after a line break). Whether a cut exists depends only on the line break before
/// it and the line it starts, so this equals filtering [`paragraph_cuts`] but reads only from
/// `from` to the end of the line that holds `until`.
pub(crate) fn paragraph_cuts_between(text: &str, from: usize, until: usize) -> Vec<usize> {
    let b = text.as_bytes();
    let mut cuts = Vec::new();
    let mut i = from;
    while let Some(off) = memchr::memchr2(b'\n', b'\r', &b[i..until]) {
        let nl = i + off;
        // The line after this break starts past a CRLF pair.
        let start = if b[nl] == b'\r' && b.get(nl + 1) == Some(&b'\n') {
            nl + 2
        } else {
            nl + 1
        };
        let mut k = start;
        while k < b.len() && (b[k] == b' ' || b[k] == b'\t') {
            k += 1;
        }
        if k < b.len() && (b[k] == b'\n' || b[k] == b'\r') && start < until {
            cuts.push(start);
        }
        i = start.min(until);
    }
    cuts
}

/// The comment that silences a paragraph's notes (crisis notes excepted).
pub(crate) const IGNORE_COMMENT: &str = "<!-- kindly-ignore -->";
/// What is looked for inside a comment (spaces around it are optional).
const IGNORE_MARK: &str = "kindly-ignore";

/// The byte ranges of the paragraphs of `text` that hold the comment `<!-- kindly-ignore -->`
/// (spaces inside the comment are optional). A paragraph ends at a blank line, as everywhere
/// else, so the comment covers the lines it sits among and nothing past a blank line.
pub(crate) fn ignored_paragraphs(text: &str) -> Vec<(usize, usize)> {
    let marks: Vec<usize> = memchr::memmem::find_iter(text.as_bytes(), IGNORE_MARK)
        .filter(|&at| {
            let before = text[..at].trim_end_matches([' ', '\t']);
            let after = text[at + IGNORE_MARK.len()..].trim_start_matches([' ', '\t']);
            before.ends_with("<!--") && after.starts_with("-->")
        })
        .collect();
    if marks.is_empty() {
        return Vec::new();
    }
    let cuts = paragraph_cuts(text);
    let mut ranges: Vec<(usize, usize)> = marks
        .into_iter()
        .map(|at| {
            let i = cuts.partition_point(|&c| c <= at);
            let start = if i == 0 { 0 } else { cuts[i - 1] };
            (start, cuts.get(i).copied().unwrap_or(text.len()))
        })
        .collect();
    ranges.dedup();
    ranges
}

/// Whether `after` (the rest of the sentence after a flagged span) goes on with the span's own
/// phrase, so that replacing the span would leave words that no longer fit: its first word,
/// after spaces only, is a relative pronoun, "of", or a preposition that completes the label
/// ("a failure who never finishes", "a mess of a person", "an idiot for forgetting", "a
/// failure as a mother", "so stupid when I'm tired"), "and" before another word of the phrase
/// ("so lazy and stupid", but not "so lazy and I hate it"), or a tag question after a comma
/// ("such a failure, aren't I?"). Other punctuation or a line break first ends the phrase.
pub(crate) fn phrase_continues(after: &str) -> bool {
    if let Some(tag) = after.strip_prefix(',') {
        let mut words = tag.split_whitespace();
        return matches!(
            (words.next().map(str::to_ascii_lowercase).as_deref(), words.next()),
            (Some("aren't" | "arent" | "ain't" | "am"), Some(w)) if w.trim_end_matches(['?', '!', '.']).eq_ignore_ascii_case("i")
        );
    }
    let rest = after.trim_start_matches([' ', '\t']);
    if rest.len() == after.len() {
        // No space: the span ends at punctuation, a line break or the end of the sentence.
        return false;
    }
    let first_word = |s: &str| -> usize {
        s.find(|c: char| !c.is_alphabetic() && c != '\'' && c != '\u{2019}')
            .unwrap_or(s.len())
    };
    // The first word, without allocating (this runs once per finding).
    let word = &rest[..first_word(rest)];
    if word.eq_ignore_ascii_case("and") {
        let next = rest[word.len()..].trim_start_matches([' ', '\t']);
        let next = &next[..first_word(next)];
        return !next.is_empty()
            && ![
                "i",
                "i'm",
                "im",
                "it",
                "it's",
                "its",
                "that",
                "then",
                "now",
                "so",
                "the",
                "my",
                "we",
                "she",
                "he",
                "they",
                "today",
                "tomorrow",
                "yesterday",
                "this",
                "a",
                "an",
            ]
            .iter()
            .any(|w| next.eq_ignore_ascii_case(w));
    }
    [
        "who", "whom", "whose", "which", "that", "of", "for", "as", "when", "to", "about", "with",
        "at", "in", "like",
    ]
    .iter()
    .any(|w| word.eq_ignore_ascii_case(w))
}

/// Start of the line that holds byte `i`.
pub(crate) fn line_start(text: &str, i: usize) -> usize {
    let bytes = text.as_bytes();
    let i = i.min(bytes.len());
    bytes[..i]
        .iter()
        .rposition(|c| *c == b'\n' || *c == b'\r')
        .map_or(0, |p| p + 1)
}

/// Whether byte `pos` lies inside a double-quoted passage, scanning from the start of its line
/// (bounded by `MAX_REACH`). Straight quotes toggle, curly quotes open and close.
pub(crate) fn inside_double_quotes(text: &str, pos: usize) -> bool {
    // Look for the line start only inside the window: searching the whole line first made every
    // hit on a long single line cost the line's length (quadratic; issue 6).
    let lo = floor_char(text, pos.saturating_sub(MAX_REACH));
    let from = lo + line_start(&text[lo..], pos - lo);
    let mut inside = false;
    for c in text[from..pos].chars() {
        match c {
            '"' => inside = !inside,
            '\u{201C}' => inside = true,
            '\u{201D}' => inside = false,
            _ => {}
        }
    }
    inside
}

/// Whether the span is wrapped in quote marks: scare quotes ("I'm 'lazy' according to mom").
pub(crate) fn scare_quoted(text: &str, start: usize, end: usize) -> bool {
    let before = char_before(text, start);
    let after = char_at(text, end);
    let opens = |c: char| matches!(c, '\'' | '"' | '\u{2018}' | '\u{201C}');
    let closes = |c: char| matches!(c, '\'' | '"' | '\u{2019}' | '\u{201D}');
    matches!((before, after), (Some(b), Some(a)) if opens(b) && closes(a))
}

#[cfg(test)]
mod tests {

    #[test]
    fn ignore_comments_cover_their_paragraph_only() {
        let text = "a\n<!-- kindly-ignore -->\nb\n\nc <!--kindly-ignore--> d\n\ne kindly-ignore f\n\n<!-- kindly-ignore";
        let ranges = ignored_paragraphs(text);
        let covered: Vec<&str> = ranges.iter().map(|&(s, e)| text[s..e].trim()).collect();
        // The bare word and the unclosed comment do not count.
        assert_eq!(
            covered,
            ["a\n<!-- kindly-ignore -->\nb", "c <!--kindly-ignore--> d"]
        );
        assert!(ignored_paragraphs("nothing here").is_empty());
    }

    #[test]
    fn a_phrase_continues_into_relative_pronouns_prepositions_and_tags() {
        for after in [
            " who never finishes",
            " that I forgot",
            "  of a person",
            " Which is",
            "\tof",
            " for forgetting",
            " as a mother",
            " when I'm tired",
            " and tired",
            ", aren't I?",
            ", am I",
        ] {
            assert!(phrase_continues(after), "{after:?}");
        }
        for after in [
            "",
            ".",
            ", who knows",
            " and I hate it",
            " and then I slept",
            " today",
            " whoever",
            "\nwho",
            " forever",
            ", I know",
            " thatch",
        ] {
            assert!(!phrase_continues(after), "{after:?}");
        }
    }

    use super::*;

    fn sentence(text: &str, needle: &str) -> String {
        let pos = text.find(needle).unwrap();
        let (s, e) = sentence_bounds(text, pos);
        text[s..e].to_string()
    }

    #[test]
    fn sentences_split_on_terminators_and_lines() {
        let t = "Went to work. I'm so lazy!! Then home.";
        assert_eq!(sentence(t, "lazy"), "I'm so lazy!!");
        assert_eq!(
            sentence("first line\nim so lazy\nthird", "lazy"),
            "im so lazy"
        );
        assert_eq!(
            sentence("Mr. Smith is lazy. Yes.", "lazy"),
            "Mr. Smith is lazy."
        );
        assert_eq!(
            sentence("It cost 3.50 and I'm dumb", "dumb"),
            "It cost 3.50 and I'm dumb"
        );
        assert_eq!(sentence("crlf\r\nim lazy\r\nnext", "lazy"), "im lazy");
        assert_eq!(sentence("“I’m useless.” Then", "useless"), "“I’m useless.”");
    }

    #[test]
    fn hard_wrapped_lines_join() {
        let t = "It is a truth universally acknowledged, that a single man in\npossession of a good fortune must be in want of a wife.";
        assert_eq!(sentence(t, "fortune"), t);
    }

    #[test]
    fn word_bounds() {
        let t = "lazy-loading is not lazyyy or lazyness";
        assert_eq!(word_bounded(t, 0, 4, false), Some(4));
        let p = t.find("lazyyy").unwrap();
        assert_eq!(word_bounded(t, p, p + 4, false), Some(p + 6));
        let p = t.find("lazyness").unwrap();
        assert_eq!(word_bounded(t, p, p + 4, false), None);
        assert_eq!(word_bounded(t, p, p + 4, true), Some(t.len()));
    }

    #[test]
    fn quotes() {
        let t = "He said \"you're lazy\" and I'm lazy";
        assert!(inside_double_quotes(t, t.find("lazy").unwrap()));
        assert!(!inside_double_quotes(t, t.rfind("lazy").unwrap()));
        let t = "I'm 'lazy' according to mom";
        let p = t.find("lazy").unwrap();
        assert!(scare_quoted(t, p, p + 4));
    }
}
