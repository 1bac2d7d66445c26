//! Analysing a long text that arrives in pieces, such as a 1 GB journal export read from disk,
//! in bounded memory.
//!
//! Context never crosses a blank line (see `text::paragraph_cuts`), so the text can be analysed
//! a run of whole paragraphs at a time and give exactly what [`Engine::analyze`] gives on the
//! whole. Only the cheap entry-wide step (crisis support, severity stacking, reframes) waits
//! for the end, over the findings alone.

use crate::document::DocumentKind;
use crate::engine::{Engine, Located};
use crate::finding::Analysis;
use crate::position::Cursor;
use crate::text;

/// How much text a [`Stream`] collects before analysing it, unless told otherwise.
const DEFAULT_CHUNK: usize = 1 << 20;

/// A text analysed piece by piece. Get one from [`Engine::stream`].
///
/// ```
/// use kindly::{DocumentKind, Engine};
///
/// let engine = Engine::new()?;
/// let text = "Long day at work.\n\nI'm so lazy, I skipped the gym again.\n";
/// let mut stream = engine.stream(DocumentKind::PlainText);
/// for piece in ["Long day at ", "work.\n\nI'm so la", "zy, I skipped the gym again.\n"] {
///     stream.push(piece);
/// }
/// let analysis = stream.finish();
/// assert_eq!(analysis, engine.analyze(text));
/// assert_eq!(analysis.findings[0].line, 3);
/// # Ok::<(), kindly::Error>(())
/// ```
pub struct Stream<'e> {
    engine: &'e Engine,
    kind: DocumentKind,
    /// Text received but not analysed yet; it starts at a paragraph break.
    pending: String,
    /// Byte offset of `pending` in the whole text.
    offset: usize,
    cursor: Cursor,
    located: Vec<Located>,
    chunk: usize,
}

impl std::fmt::Debug for Stream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The text is the user's; keep it out of debug output.
        f.debug_struct("Stream")
            .field("kind", &self.kind)
            .field("analysed_bytes", &self.offset)
            .field("pending_bytes", &self.pending.len())
            .field("findings", &self.located.len())
            .finish()
    }
}

impl Engine {
    /// Starts analysing a text that will arrive in pieces ([`Stream::push`]). The result equals
    /// [`Engine::analyze`] (or [`Engine::analyze_markdown`]) on the whole text, while memory
    /// stays around the chunk size plus the findings.
    pub fn stream(&self, kind: DocumentKind) -> Stream<'_> {
        Stream {
            engine: self,
            kind,
            pending: String::new(),
            offset: 0,
            cursor: Cursor::start(),
            located: Vec::new(),
            chunk: DEFAULT_CHUNK,
        }
    }
}

impl Stream<'_> {
    /// Sets how much text to collect before analysing it (default 1 MiB). Memory use is a few
    /// times this. Text is analysed a run of whole paragraphs at a time; a paragraph longer
    /// than eight chunks is cut at a line break (or a space), the only case where context could
    /// differ from analysing the whole text.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk = bytes.max(1);
        self
    }

    /// Adds the next piece of the text. Pieces may end anywhere (mid-word, mid-line).
    pub fn push(&mut self, piece: &str) {
        self.pending.push_str(piece);
        if self.pending.len() >= self.chunk {
            if let Some(cut) = self.cut_point() {
                self.analyse_pending(cut, true);
            }
        }
    }

    /// Bytes pushed so far.
    pub fn len(&self) -> usize {
        self.offset + self.pending.len()
    }

    /// True when nothing has been pushed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Analyses what is left and returns the findings for the whole text.
    pub fn finish(mut self) -> Analysis {
        let n = self.pending.len();
        self.analyse_pending(n, false);
        self.engine.render(std::mem::take(&mut self.located))
    }

    /// Where to cut `pending`: after its last complete paragraph (outside a Markdown code
    /// fence), else, when a single paragraph has grown past eight chunks, at a line break or
    /// a space.
    fn cut_point(&self) -> Option<usize> {
        let p = &self.pending;
        let cuts = text::paragraph_cuts(p);
        let last = match self.kind {
            DocumentKind::PlainText => cuts.last().copied(),
            #[cfg(feature = "markdown")]
            DocumentKind::Markdown => last_cut_outside_fences(p, &cuts),
        };
        if let Some(c) = last.filter(|&c| c > 0) {
            return Some(c);
        }
        if p.len() < 8 * self.chunk {
            return None;
        }
        let tail = p.len().saturating_sub(self.chunk);
        let at = p[tail..]
            .rfind('\n')
            .or_else(|| p[tail..].rfind(' '))
            .map(|i| tail + i + 1)
            .unwrap_or_else(|| text::floor_char(p, p.len()));
        (at > 0).then_some(at)
    }

    /// Analyses `pending[..cut]` and drops it.
    fn analyse_pending(&mut self, cut: usize, more_follows: bool) {
        let piece = &self.pending[..cut];
        let masked: Option<String> = match self.kind {
            DocumentKind::PlainText => None,
            #[cfg(feature = "markdown")]
            DocumentKind::Markdown => Some(crate::markdown::mask_markdown(piece)),
        };
        let scan = masked.as_deref().unwrap_or(piece);
        let raw = self.engine.candidates(scan, None);
        let located = self
            .engine
            .locate(piece, scan, raw, &mut self.cursor, more_follows);
        let base = self.offset;
        self.located.extend(located.into_iter().map(|mut l| {
            l.raw.start += base;
            l.raw.end += base;
            l.raw.sentence = (l.raw.sentence.0 + base, l.raw.sentence.1 + base);
            l
        }));
        self.pending.drain(..cut);
        self.offset += cut;
    }
}

/// The last paragraph cut that is not inside a fenced code block (```` ``` ```` or `~~~`),
/// counting fences from the start of `text` (which starts outside any fence).
#[cfg(feature = "markdown")]
fn last_cut_outside_fences(text: &str, cuts: &[usize]) -> Option<usize> {
    let mut fence: Option<(u8, usize)> = None;
    let mut best = None;
    let mut next_cut = 0;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        while next_cut < cuts.len() && cuts[next_cut] <= line_start {
            if fence.is_none() {
                best = Some(cuts[next_cut]);
            }
            next_cut += 1;
        }
        let trimmed = line.trim_start_matches(' ');
        if line.len() - trimmed.len() <= 3 {
            let b = trimmed.as_bytes();
            let ch = b.first().copied().filter(|c| *c == b'`' || *c == b'~');
            if let Some(c) = ch {
                let run = b.iter().take_while(|x| **x == c).count();
                if run >= 3 {
                    match fence {
                        None => fence = Some((c, run)),
                        Some((fc, fr))
                            if fc == c && run >= fr && trimmed[run..].trim().is_empty() =>
                        {
                            fence = None
                        }
                        _ => {}
                    }
                }
            }
        }
        line_start += line.len();
    }
    while next_cut < cuts.len() {
        if fence.is_none() {
            best = Some(cuts[next_cut]);
        }
        next_cut += 1;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal() -> String {
        let mut t = String::new();
        for (i, line) in include_str!("../tests/fixtures/selftalk.jsonl")
            .lines()
            .enumerate()
        {
            let Some(start) = line.find("\"text\": \"") else {
                continue;
            };
            let rest = &line[start + 9..];
            let Some(end) = rest.find("\", \"labels\"") else {
                continue;
            };
            let text = rest[..end].replace("\\n", "\n").replace("\\\"", "\"");
            t.push_str(&text);
            t.push_str(["\n\n", "\r\n\r\n", "\n \n"][i % 3]);
        }
        t
    }

    #[test]
    fn equals_whole_text_analysis_for_any_piece_and_chunk_size() {
        let engine = Engine::new().unwrap();
        let text = journal();
        let whole = engine.analyze(&text);
        assert!(whole.findings.len() > 300);
        for (piece, chunk) in [
            (1usize, 64usize),
            (7, 1000),
            (4096, 10_000),
            (100_000, 1 << 20),
        ] {
            let mut s = engine.stream(DocumentKind::PlainText).chunk_size(chunk);
            let mut i = 0;
            while i < text.len() {
                let mut j = (i + piece).min(text.len());
                while !text.is_char_boundary(j) {
                    j += 1;
                }
                s.push(&text[i..j]);
                i = j;
            }
            assert_eq!(s.len(), text.len());
            assert_eq!(s.finish(), whole, "piece {piece}, chunk {chunk}");
        }
    }

    #[cfg(feature = "markdown")]
    #[test]
    fn markdown_chunks_never_split_a_code_fence() {
        let engine = Engine::new().unwrap();
        let text = "I'm so lazy.\n\n```\nI'm so lazy\n\nI'm so lazy\n```\n\nI'm such an idiot.\n";
        let mut s = engine.stream(DocumentKind::Markdown).chunk_size(8);
        for c in text.split_inclusive('\n') {
            s.push(c);
        }
        let a = s.finish();
        assert_eq!(a, engine.analyze_markdown(text));
        assert_eq!(a.findings.len(), 2);
    }

    #[test]
    fn an_endless_paragraph_is_still_cut() {
        let engine = Engine::new().unwrap();
        let text = "I'm so lazy and tired today. ".repeat(200);
        let mut s = engine.stream(DocumentKind::PlainText).chunk_size(256);
        s.push(&text);
        assert!(
            s.pending.len() < text.len(),
            "analysed part of one long paragraph early"
        );
        assert_eq!(s.finish().findings.len(), 200);
    }
}
