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

    fn units(self, c: char) -> usize {
        match self {
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf8 => c.len_utf8(),
        }
    }
}

/// The byte offset where each line starts, built once per text version.
#[derive(Debug)]
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    encoding: Encoding,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str, encoding: Encoding) -> LineIndex<'a> {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
        }
        LineIndex {
            text,
            starts,
            encoding,
        }
    }

    /// The LSP position of byte offset `byte` (which must be on a character boundary; findings
    /// always are).
    pub(crate) fn position(&self, byte: usize) -> Position {
        let byte = byte.min(self.text.len());
        let line = self
            .starts
            .partition_point(|&s| s <= byte)
            .saturating_sub(1);
        let start = self.starts[line];
        let character: usize = self
            .text
            .get(start..byte)
            .unwrap_or_default()
            .chars()
            .map(|c| self.encoding.units(c))
            .sum();
        Position::new(to_u32(line), to_u32(character))
    }

    /// The LSP range of bytes `start..end`.
    pub(crate) fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }

    /// The byte offset of an LSP position, clamped as described in the module docs.
    pub(crate) fn offset(&self, pos: Position) -> usize {
        let line = pos.line as usize;
        let Some(&start) = self.starts.get(line) else {
            return self.text.len();
        };
        let end = self.line_end(line);
        let wanted = pos.character as usize;
        let mut units = 0usize;
        for (i, c) in self.text[start..end].char_indices() {
            if units >= wanted {
                return start + i;
            }
            units += self.encoding.units(c);
            if units > wanted {
                // Inside a character: its start.
                return start + i;
            }
        }
        end
    }

    /// Byte offsets of an LSP range, in order.
    pub(crate) fn offsets(&self, range: Range) -> (usize, usize) {
        let (a, b) = (self.offset(range.start), self.offset(range.end));
        (a.min(b), a.max(b))
    }

    /// Where line `line`'s content ends (before its line break).
    fn line_end(&self, line: usize) -> usize {
        let next = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        let content = &self.text[self.starts[line]..next];
        let trimmed = content
            .strip_suffix("\r\n")
            .or_else(|| content.strip_suffix('\n'))
            .or_else(|| content.strip_suffix('\r'))
            .unwrap_or(content);
        self.starts[line] + trimmed.len()
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

    #[test]
    fn negotiation_prefers_utf8_only_when_offered() {
        assert_eq!(Encoding::negotiate(["utf-32", "utf-8"]), Encoding::Utf8);
        assert_eq!(Encoding::negotiate(["utf-16"]), Encoding::Utf16);
        assert_eq!(Encoding::negotiate([]), Encoding::Utf16);
    }
}
