//! Converting byte offsets (used everywhere inside) into chars, UTF-16 units and line:column,
//! at the edge, in one forward pass over the text up to the last offset asked for.

/// Where a byte offset sits in every unit a host may need.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Position {
    pub char: usize,
    pub utf16: usize,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
}

/// Positions of `offsets` (sorted ascending, each on a char boundary) in `text`. Line breaks are
/// `\n`, `\r\n` and a lone `\r`.
#[cfg(test)]
pub(crate) fn positions(text: &str, offsets: &[usize]) -> Vec<Position> {
    Cursor::start().locate(text, offsets, false)
}

/// A running position over text that arrives in pieces ([`crate::Stream`]): where the end of
/// everything seen so far sits, and whether it ended in `\r` (so a following `\n` completes a
/// CRLF instead of starting a line).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cursor {
    pos: Position,
    prev_cr: bool,
}

impl Cursor {
    pub(crate) fn start() -> Cursor {
        Cursor {
            pos: Position {
                char: 0,
                utf16: 0,
                line: 1,
                column: 1,
            },
            prev_cr: false,
        }
    }

    /// Where the end of everything seen so far sits.
    pub(crate) fn position(&self) -> Position {
        self.pos
    }

    /// Positions of `offsets` (into `piece`, sorted ascending, on char boundaries), where
    /// `piece` follows everything this cursor has seen. With `whole_piece` the cursor then
    /// moves past the end of `piece` (to read the next piece); without, it stops at the last
    /// offset, which saves a pass over the rest of a text that has no next piece.
    pub(crate) fn locate(
        &mut self,
        piece: &str,
        offsets: &[usize],
        whole_piece: bool,
    ) -> Vec<Position> {
        let mut out = Vec::with_capacity(offsets.len());
        let mut byte = 0usize;
        let mut iter = piece.char_indices();
        let step = |c: char, cursor: &mut Cursor| {
            let pos = &mut cursor.pos;
            match c {
                '\r' => {
                    pos.line += 1;
                    pos.column = 1;
                }
                '\n' if cursor.prev_cr => pos.column = 1,
                '\n' => {
                    pos.line += 1;
                    pos.column = 1;
                }
                _ => pos.column += 1,
            }
            cursor.prev_cr = c == '\r';
            pos.char += 1;
            pos.utf16 += c.len_utf16();
        };
        for &target in offsets {
            while byte < target {
                let Some((i, c)) = iter.next() else { break };
                step(c, self);
                byte = i + c.len_utf8();
            }
            out.push(self.pos);
        }
        if whole_piece {
            for (_, c) in iter {
                step(c, self);
            }
        }
        out
    }
}

impl Position {
    /// The start of a text.
    pub(crate) const START: Position = Position {
        char: 0,
        utf16: 0,
        line: 1,
        column: 1,
    };

    /// `rel`, a position inside a piece of text measured from the piece's start, as a position
    /// in the whole text, given where the piece starts (`self`).
    pub(crate) fn then(self, rel: Position) -> Position {
        Position {
            char: self.char + rel.char,
            utf16: self.utf16 + rel.utf16,
            line: self.line + rel.line - 1,
            column: if rel.line == 1 {
                self.column + rel.column - 1
            } else {
                rel.column
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_units_and_lines() {
        let text = "a😀b\r\nc\rd\ne";
        let offs: Vec<usize> = vec![0, 1, 5, 6, 8, 9, 10, 11, 12, 13];
        let p = positions(text, &offs);
        assert_eq!((p[1].char, p[1].utf16, p[1].column), (1, 1, 2)); // 😀
        assert_eq!((p[2].char, p[2].utf16, p[2].column), (2, 3, 3)); // b
        assert_eq!((p[4].line, p[4].column), (2, 1)); // c after CRLF
        assert_eq!((p[6].line, p[6].column), (3, 1)); // d after lone CR
        assert_eq!((p[8].line, p[8].column), (4, 1)); // e
        assert_eq!(p[9].char, 10);
    }
}
