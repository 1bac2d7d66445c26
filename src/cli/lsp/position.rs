//! LSP positions (0-based line, then a character offset in the negotiated encoding) to byte
//! offsets and back, at the edge: everything inside kindly is bytes.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`, as the protocol says. Out-of-range positions are
//! clamped the way the protocol asks for characters past the end of a line ("defaults back to
//! the line length"): a line past the last one means the end of the text, and a character that
//! falls inside a multi-unit character (half a surrogate pair, the middle of a UTF-8 sequence)
//! means the start of that character. Clamping keeps a slightly confused client working instead
//! of dropping its edits.

use lsp_types::{Position, PositionEncodingKind, Range};
use std::borrow::Cow;

/// The unit of `Position::character`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-16 code units: the protocol's default, and what JavaScript editors count.
    Utf16,
    /// Bytes: chosen whenever the client offers it, since it is kindly's own unit.
    Utf8,
}

impl Encoding {
    /// Picks UTF-8 when the client lists it among `general.positionEncodings`, else UTF-16
    /// (which every client must support).
    pub(crate) fn negotiate<'a>(offered: impl IntoIterator<Item = &'a str>) -> Encoding {
        if offered.into_iter().any(|e| e == "utf-8") {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        }
    }

    pub(crate) fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf8 => PositionEncodingKind::UTF8,
        }
    }
}

/// How far apart, in bytes, the UTF-16 checkpoints are: a conversion counts at most this many
/// bytes (plus one character), however long the line.
const STEP: usize = 1024;

/// What converting positions needs to know about one version of a text: where each line
/// starts and, for UTF-16, how many code units come before a checkpoint every [`STEP`] bytes.
/// Built once per version, in one pass over the bytes (the server caches it with the
/// document), so that converting a position costs a binary search and at most [`STEP`] bytes
/// of counting, not a walk from the start of its line: a finding at the end of a one-line,
/// megabyte-long paragraph is as cheap as one at its start.
#[derive(Clone, Debug)]
pub(crate) struct Lines {
    starts: Vec<usize>,
    /// `(byte, UTF-16 units before it)`, at character boundaries, starting with `(0, 0)`;
    /// empty for UTF-8, where units are bytes.
    marks: Vec<(usize, usize)>,
    len: usize,
    encoding: Encoding,
}

impl Lines {
    pub(crate) fn new(text: &str, encoding: Encoding) -> Lines {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                starts.push(i + 1);
            }
        }
        let mut marks = Vec::new();
        if encoding == Encoding::Utf16 {
            marks.reserve(text.len() / STEP + 1);
            marks.push((0, 0));
            let (mut at, mut units) = (0, 0);
            while text.len() - at > STEP {
                let mut next = at + STEP;
                while !text.is_char_boundary(next) {
                    next += 1;
                }
                units += utf16_units(&bytes[at..next]);
                marks.push((next, units));
                at = next;
            }
        }
        Lines {
            starts,
            marks,
            len: text.len(),
            encoding,
        }
    }

    /// This index with the text it was built for.
    pub(crate) fn view<'a>(&'a self, text: &'a str) -> LineIndex<'a> {
        debug_assert_eq!(text.len(), self.len, "an index of another text");
        LineIndex {
            text,
            lines: Cow::Borrowed(self),
        }
    }
}

/// UTF-16 code units in whole characters of UTF-8: one per character (a byte that is not a
/// continuation byte), two for a 4-byte character (its lead byte is 0xF0 or above).
fn utf16_units(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .map(|&b| usize::from(!(0x80..0xC0).contains(&b)) + usize::from(b >= 0xF0))
        .sum()
}

/// A text and its [`Lines`]: LSP positions to byte offsets and back.
#[derive(Debug)]
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    lines: Cow<'a, Lines>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text` for this one use (the server keeps a [`Lines`] per document version).
    pub(crate) fn new(text: &'a str, encoding: Encoding) -> LineIndex<'a> {
        LineIndex {
            text,
            lines: Cow::Owned(Lines::new(text, encoding)),
        }
    }

    /// Code units of the negotiated encoding in `text[..byte]` (`byte` on a character
    /// boundary).
    fn units_before(&self, byte: usize) -> usize {
        match self.lines.encoding {
            Encoding::Utf8 => byte,
            Encoding::Utf16 => {
                let marks = &self.lines.marks;
                let (at, units) = marks[marks.partition_point(|m| m.0 <= byte).saturating_sub(1)];
                units + utf16_units(&self.text.as_bytes()[at..byte])
            }
        }
    }

    /// The LSP position of byte offset `byte` (which must be on a character boundary; findings
    /// always are).
    pub(crate) fn position(&self, byte: usize) -> Position {
        let byte = byte.min(self.text.len());
        let starts = &self.lines.starts;
        let line = starts.partition_point(|&s| s <= byte).saturating_sub(1);
        let character = self.units_before(byte) - self.units_before(starts[line]);
        Position::new(to_u32(line), to_u32(character))
    }

    /// The LSP range of bytes `start..end`.
    pub(crate) fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }

    /// Whether line `line` exists (a text has one line more than it has line breaks).
    pub(crate) fn has_line(&self, line: u32) -> bool {
        (line as usize) < self.lines.starts.len()
    }

    /// The byte offset of an LSP position, clamped as described in the module docs.
    pub(crate) fn offset(&self, pos: Position) -> usize {
        let line = pos.line as usize;
        let Some(&start) = self.lines.starts.get(line) else {
            return self.text.len();
        };
        let end = self.line_end(line);
        let wanted = pos.character as usize;
        match self.lines.encoding {
            Encoding::Utf8 => {
                let mut at = start.saturating_add(wanted).min(end);
                // Inside a character: its start.
                while !self.text.is_char_boundary(at) {
                    at -= 1;
                }
                at
            }
            Encoding::Utf16 => {
                // Count from the last checkpoint at or before the wanted unit, or from the
                // line's start if that is later.
                let target = self.units_before(start).saturating_add(wanted);
                let marks = &self.lines.marks;
                let (mut at, mut units) =
                    marks[marks.partition_point(|m| m.1 <= target).saturating_sub(1)];
                if at < start {
                    (at, units) = (start, self.units_before(start));
                } else if at > end {
                    // Even the checkpoint after the line's end is not that far.
                    return end;
                }
                for (i, c) in self.text[at..end].char_indices() {
                    if units >= target {
                        return at + i;
                    }
                    units += c.len_utf16();
                    if units > target {
                        // Inside a character: its start.
                        return at + i;
                    }
                }
                end
            }
        }
    }

    /// Byte offsets of an LSP range, in order.
    pub(crate) fn offsets(&self, range: Range) -> (usize, usize) {
        let (a, b) = (self.offset(range.start), self.offset(range.end));
        (a.min(b), a.max(b))
    }

    /// Where line `line`'s content ends (before its line break).
    fn line_end(&self, line: usize) -> usize {
        let starts = &self.lines.starts;
        let next = starts.get(line + 1).copied().unwrap_or(self.text.len());
        let content = &self.text[starts[line]..next];
        let trimmed = content
            .strip_suffix("\r\n")
            .or_else(|| content.strip_suffix('\n'))
            .or_else(|| content.strip_suffix('\r'))
            .unwrap_or(content);
        starts[line] + trimmed.len()
    }
}

/// LSP positions are `u32`; a text of 4 GiB is far beyond what an editor sends.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const TEXT: &str = "a😀é\r\nx\ry\n\nlast";

    #[test]
    fn positions_count_the_negotiated_units() {
        let utf16 = LineIndex::new(TEXT, Encoding::Utf16);
        let utf8 = LineIndex::new(TEXT, Encoding::Utf8);
        // "é" starts after "a" (1 byte) and "😀" (4 bytes, 2 UTF-16 units).
        assert_eq!(utf16.position(5), Position::new(0, 3));
        assert_eq!(utf8.position(5), Position::new(0, 5));
        // End of line 0, before the CRLF.
        assert_eq!(utf16.position(7), Position::new(0, 4));
        assert_eq!(utf16.position(9), Position::new(1, 0)); // x after CRLF
        assert_eq!(utf16.position(11), Position::new(2, 0)); // y after lone CR
        assert_eq!(utf16.position(14), Position::new(4, 0)); // "last" after an empty line
        assert_eq!(utf8.position(TEXT.len()), Position::new(4, 4));
    }

    #[test]
    fn offsets_round_trip_and_clamp() {
        for enc in [Encoding::Utf16, Encoding::Utf8] {
            let index = LineIndex::new(TEXT, enc);
            for (byte, _) in TEXT.char_indices().chain([(TEXT.len(), ' ')]) {
                if TEXT[..byte].ends_with('\r') && TEXT[byte..].starts_with('\n') {
                    continue; // between CR and LF is not a position
                }
                assert_eq!(index.offset(index.position(byte)), byte, "{enc:?} {byte}");
            }
        }
        let utf16 = LineIndex::new(TEXT, Encoding::Utf16);
        // Half a surrogate pair rounds down to the emoji's start.
        assert_eq!(utf16.offset(Position::new(0, 2)), 1);
        // Past the end of a line: the line's end, not the next line.
        assert_eq!(utf16.offset(Position::new(0, 99)), 7);
        // Past the last line: the end of the text.
        assert_eq!(utf16.offset(Position::new(9, 0)), TEXT.len());
        let utf8 = LineIndex::new(TEXT, Encoding::Utf8);
        // Inside the 4-byte emoji.
        assert_eq!(utf8.offset(Position::new(0, 3)), 1);
        assert_eq!(
            utf8.offsets(Range::new(Position::new(1, 1), Position::new(0, 1))),
            (1, 10)
        );
    }

    /// The position of every character boundary, counted the obvious way: one character
    /// after another, a line break starting a new line (CRLF once, between its CR and LF no
    /// position).
    fn naive_positions(text: &str, enc: Encoding) -> Vec<(usize, Position)> {
        let (mut line, mut units) = (0u32, 0u32);
        let mut out = Vec::new();
        let mut chars = text.char_indices().peekable();
        while let Some((byte, c)) = chars.next() {
            out.push((byte, Position::new(line, units)));
            if c == '\n' || (c == '\r' && chars.peek().map(|p| p.1) != Some('\n')) {
                (line, units) = (line + 1, 0);
            } else if c == '\r' {
                // The LF of the CRLF ends the line.
                chars.next();
                (line, units) = (line + 1, 0);
            } else {
                units += to_u32(match enc {
                    Encoding::Utf16 => c.len_utf16(),
                    Encoding::Utf8 => c.len_utf8(),
                });
            }
        }
        out.push((text.len(), Position::new(line, units)));
        out
    }

    #[test]
    fn long_lines_with_multibyte_text_convert_exactly() {
        // Lines far longer than the checkpoint step, mixing 1- to 4-byte characters so that
        // checkpoints fall inside characters, with every kind of line break.
        let piece = "I'm so lazy 😀 café 日本語 ok. ";
        let long = piece.repeat(400);
        let third = piece.repeat(133) + "I'm so lazy 😀 caf";
        let text = format!("{long}\r\n{long}\n\n{third}\r{long}😀");
        assert!(text.len() > 20 * STEP);
        for enc in [Encoding::Utf16, Encoding::Utf8] {
            let index = LineIndex::new(&text, enc);
            let cached = Lines::new(&text, enc);
            let view = cached.view(&text);
            let naive = naive_positions(&text, enc);
            for &(byte, pos) in &naive {
                assert_eq!(index.position(byte), pos, "{enc:?} {byte}");
                assert_eq!(view.position(byte), pos, "{enc:?} {byte}");
                assert_eq!(index.offset(pos), byte, "{enc:?} {byte}");
            }
            // Inside the last emoji, and past the end of each line.
            let last = text.len() - "😀".len();
            let end = naive[naive.len() - 1].1;
            let inside = Position::new(end.line, end.character - 1);
            assert_eq!(index.offset(inside), last, "{enc:?}");
            assert_eq!(
                index.offset(Position::new(0, 1 << 30)),
                long.len(),
                "{enc:?}"
            );
            assert_eq!(
                index.offset(Position::new(end.line, end.character + 5)),
                text.len()
            );
        }
    }

    #[test]
    fn negotiation_prefers_utf8_only_when_offered() {
        assert_eq!(Encoding::negotiate(["utf-32", "utf-8"]), Encoding::Utf8);
        assert_eq!(Encoding::negotiate(["utf-16"]), Encoding::Utf16);
        assert_eq!(Encoding::negotiate([]), Encoding::Utf16);
    }
}
