//! Analysing a long text that arrives in pieces, such as a 1 GB journal export read from disk,
//! in bounded memory.
//!
//! Context never crosses a blank line (see `text::paragraph_cuts`), so the text can be analysed
//! a run of whole paragraphs at a time and give exactly what [`Engine::analyze`] gives on the
//! whole. Only the cheap entry-wide step (crisis support, severity stacking, reframes) waits
//! for the end, over the findings alone.
//!
//! With [`Stream::spill_to`] even the findings stay out of memory: each window's findings are
//! written to a scratch file as soon as the window is analysed, in a compact form (rule,
//! offsets, positions, slots, not rendered text), with what the window alone decides about
//! them (severity stacked in a sentence, reframes withheld next to tier B crisis language).
//! What only the whole entry decides is kept as a few counters: how often each category
//! occurred (three times anywhere makes every one of them high severity), and the crisis
//! findings that pick the support message (tier A or an abuse disclosure anywhere withholds
//! every reframe). [`Spilled`] reads the findings back in order, rendered and finished.

use crate::category::{Category, Severity};
use crate::document::DocumentKind;
use crate::engine::{category_bits, Engine, Located, RawFinding, StackedSentences};
use crate::finding::{Analysis, Finding, Support};
use crate::position::{Cursor, Position};
use crate::text;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

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
    /// Set by [`Stream::spill_to`]: findings go to a scratch file instead of `located`.
    spill: Option<Spill>,
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
            spill: None,
        }
    }
}

impl<'e> Stream<'e> {
    /// Sets how much text to collect before analysing it (default 1 MiB). Memory use is a few
    /// times this. Text is analysed a run of whole paragraphs at a time; a paragraph longer
    /// than eight chunks is cut at a line break (or a space), the only case where context could
    /// differ from analysing the whole text.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk = bytes.max(1);
        self
    }

    /// Keeps the findings in `scratch` (an empty file open for reading and writing, such as a
    /// temporary file) instead of in memory, so memory stays around the chunk size however
    /// many findings the text has. Read them back with [`SpillingStream::finish_spilled`].
    ///
    /// ```
    /// use kindly::{DocumentKind, Engine};
    ///
    /// let engine = Engine::new()?;
    /// let text = "I'm so lazy.\n\nI'm such an idiot.\n\nI always mess up.\n";
    /// let path = std::env::temp_dir().join(format!("kindly-doc-{}.spill", std::process::id()));
    /// let scratch = std::fs::OpenOptions::new()
    ///     .read(true)
    ///     .write(true)
    ///     .create(true)
    ///     .truncate(true)
    ///     .open(&path)?;
    /// let mut stream = engine.stream(DocumentKind::PlainText).chunk_size(8).spill_to(scratch);
    /// stream.push(text);
    /// let mut spilled = stream.finish_spilled()?;
    /// assert_eq!(spilled.len(), 3);
    /// let findings: Vec<_> = spilled.findings()?.collect::<Result<_, _>>()?;
    /// assert_eq!(findings, engine.analyze(text).findings);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spill_to(mut self, scratch: std::fs::File) -> SpillingStream<'e> {
        let located = std::mem::take(&mut self.located);
        let mut spill = Spill::new(scratch);
        spill.window(self.engine, located);
        self.spill = Some(spill);
        SpillingStream { stream: self }
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
        let raw = self.engine.candidates(piece, scan, None);
        let located = self
            .engine
            .locate(piece, scan, raw, &mut self.cursor, more_follows);
        let base = self.offset;
        let located = located.into_iter().map(|mut l| {
            l.raw.start += base;
            l.raw.end += base;
            l.raw.sentence = (l.raw.sentence.0 + base, l.raw.sentence.1 + base);
            l
        });
        match &mut self.spill {
            Some(spill) => spill.window(self.engine, located.collect()),
            None => self.located.extend(located),
        }
        self.pending.drain(..cut);
        self.offset += cut;
    }
}

/// A [`Stream`] that keeps its findings in a scratch file ([`Stream::spill_to`]).
#[derive(Debug)]
pub struct SpillingStream<'e> {
    stream: Stream<'e>,
}

impl<'e> SpillingStream<'e> {
    /// Sets how much text to collect before analysing it ([`Stream::chunk_size`]).
    pub fn chunk_size(self, bytes: usize) -> Self {
        SpillingStream {
            stream: self.stream.chunk_size(bytes),
        }
    }

    /// Adds the next piece of the text ([`Stream::push`]).
    pub fn push(&mut self, piece: &str) {
        self.stream.push(piece);
    }

    /// Bytes pushed so far.
    pub fn len(&self) -> usize {
        self.stream.len()
    }

    /// True when nothing has been pushed.
    pub fn is_empty(&self) -> bool {
        self.stream.is_empty()
    }

    /// Analyses what is left and gives the findings, kept in the scratch file.
    ///
    /// # Errors
    /// When the scratch file cannot be written or read.
    pub fn finish_spilled(self) -> std::io::Result<Spilled<'e>> {
        let mut stream = self.stream;
        let n = stream.pending.len();
        stream.analyse_pending(n, false);
        match stream.spill.take() {
            Some(spill) => spill.finish(stream.engine),
            None => Err(std::io::Error::other("no scratch file")),
        }
    }
}

/// Where a spilled stream's findings go, and the little it keeps about the whole entry.
struct Spill {
    out: BufWriter<std::fs::File>,
    /// The first write error; reported by [`Stream::finish_spilled`].
    error: Option<std::io::Error>,
    /// One record's bytes, reused.
    buf: Vec<u8>,
    /// Findings written, all and crisis only; non-crisis findings withheld by their window.
    count: usize,
    crisis: usize,
    withheld_here: usize,
    /// Findings per category (by precedence): three anywhere make each of them high severity.
    per_category: [usize; Category::ALL.len()],
    /// The crisis findings that decide the support: the first of the most urgent tier of each
    /// kind (suicide and self-harm; abuse) and the first urgent one, with their order.
    suicide: Option<(usize, Located)>,
    abuse: Option<(usize, Located)>,
    urgent: Option<(usize, Located)>,
}

/// Record kinds in the scratch file.
const RECORD_FINDING: u8 = 0;
const RECORD_CRISIS: u8 = 1;

impl Spill {
    fn new(file: std::fs::File) -> Spill {
        Spill {
            out: BufWriter::with_capacity(1 << 16, file),
            error: None,
            buf: Vec::new(),
            count: 0,
            crisis: 0,
            withheld_here: 0,
            per_category: [0; Category::ALL.len()],
            suicide: None,
            abuse: None,
            urgent: None,
        }
    }

    /// Writes one window's findings in report order, with what the window alone decides
    /// (the same steps as `Engine::entry_wide`, limited to sentences of this window).
    fn window(&mut self, engine: &Engine, mut located: Vec<Located>) {
        if located.is_empty() {
            return;
        }
        let rules = engine.rules_raw();
        let rule = |l: &Located| &rules[l.raw.rule as usize];
        // The report order (`engine::finding_order`): position, category precedence, rule id.
        located.sort_by(|a, b| {
            let (ra, rb) = (rule(a), rule(b));
            (a.raw.start, a.raw.end, ra.category.precedence(), &*ra.id).cmp(&(
                b.raw.start,
                b.raw.end,
                rb.category.precedence(),
                &*rb.id,
            ))
        });
        let stacked_sentences = StackedSentences::new(
            located
                .iter()
                .map(|l| (l.raw.sentence, category_bits(rule(l).category, &l.raw.tags)))
                .collect(),
        );
        let stacked = |s: (usize, usize)| stacked_sentences.contains(s);
        let crisis_sentences: Vec<(usize, usize)> = located
            .iter()
            .filter(|l| rule(l).tier.is_some())
            .map(|l| l.raw.sentence)
            .collect();
        for mut l in located {
            let r = rule(&l);
            self.per_category[usize::from(r.category.precedence())] += 1;
            if let Some(t) = r.tier {
                let kind = if t.is_abuse() {
                    &mut self.abuse
                } else {
                    &mut self.suicide
                };
                let more_urgent = |cur: &(usize, Located)| {
                    rules[cur.1.raw.rule as usize]
                        .tier
                        .is_none_or(|c| t.urgency() < c.urgency())
                };
                if kind.as_ref().is_none_or(more_urgent) {
                    *kind = Some((self.count, copy(&l)));
                }
                if r.urgent && self.urgent.is_none() {
                    self.urgent = Some((self.count, copy(&l)));
                }
            }
            let (record, withheld) = if r.category == Category::Crisis {
                self.crisis += 1;
                (RECORD_CRISIS, false)
            } else {
                if stacked(l.raw.sentence) {
                    l.raw.level = 3;
                }
                let withheld = crisis_sentences
                    .iter()
                    .any(|(s, e)| l.raw.start < *e && l.raw.end > *s);
                self.withheld_here += usize::from(withheld);
                (RECORD_FINDING, withheld)
            };
            self.count += 1;
            self.buf.clear();
            encode(&l, &mut self.buf);
            if self.error.is_none() {
                let len = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
                let written = self
                    .out
                    .write_all(&[record, u8::from(withheld)])
                    .and_then(|()| self.out.write_all(&len.to_le_bytes()))
                    .and_then(|()| self.out.write_all(&self.buf));
                if let Err(e) = written {
                    self.error = Some(e);
                }
            }
        }
    }

    /// The support for the entry and the findings, ready to read back.
    fn finish(mut self, engine: &Engine) -> std::io::Result<Spilled<'_>> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        // The support is what `Engine::entry_wide` gives for these few crisis findings, in
        // their order: it depends only on the first most urgent one of each kind and on
        // whether any was urgent.
        let mut deciding: Vec<(usize, Located)> = [self.suicide, self.abuse, self.urgent]
            .into_iter()
            .flatten()
            .collect();
        deciding.sort_by_key(|(i, _)| *i);
        deciding.dedup_by_key(|(i, _)| *i);
        let mut rendered: Vec<Finding> =
            deciding.iter().map(|(_, l)| engine.render_one(l)).collect();
        let refs: Vec<(&Located, usize)> = deciding.iter().map(|(_, l)| (l, 0)).collect();
        let support = engine.entry_wide(&refs, &mut rendered);
        let rules = engine.rules_raw();
        let whole_entry = deciding
            .iter()
            .filter_map(|(_, l)| rules[l.raw.rule as usize].tier)
            .min_by_key(|t| t.urgency())
            .is_some_and(|t| t.whole_entry());
        let others = self.count - self.crisis;
        Ok(Spilled {
            engine,
            file,
            support,
            whole_entry,
            per_category: self.per_category,
            count: self.count,
            crisis: self.crisis,
            withheld: if whole_entry {
                others
            } else {
                self.withheld_here
            },
        })
    }
}

/// The findings of a stream kept in a scratch file ([`Stream::spill_to`]), read back in order,
/// each exactly as [`Stream::finish`] would give it.
pub struct Spilled<'e> {
    engine: &'e Engine,
    file: std::fs::File,
    support: Option<Support>,
    whole_entry: bool,
    per_category: [usize; Category::ALL.len()],
    count: usize,
    crisis: usize,
    withheld: usize,
}

impl std::fmt::Debug for Spilled<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spilled")
            .field("findings", &self.count)
            .field("crisis", &self.crisis)
            .field("withheld", &self.withheld)
            .field("support", &self.support.as_ref().map(|s| s.tier))
            .finish()
    }
}

impl<'e> Spilled<'e> {
    /// The crisis support for the whole text, as in [`Analysis::support`].
    pub fn support(&self) -> Option<&Support> {
        self.support.as_ref()
    }

    /// How many findings there are, crisis findings included.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// How many of the findings are crisis findings.
    pub fn crisis_len(&self) -> usize {
        self.crisis
    }

    /// How many findings that are not crisis findings have their reframes withheld.
    pub fn withheld_len(&self) -> usize {
        self.withheld
    }

    /// Every finding, in order. Can be called again to read them once more.
    ///
    /// # Errors
    /// When the scratch file cannot be read.
    pub fn findings(&mut self) -> std::io::Result<SpilledFindings<'_, 'e>> {
        self.read(false)
    }

    /// The crisis findings only, in order (cheaper than [`Spilled::findings`]: the others
    /// are skipped unread).
    ///
    /// # Errors
    /// When the scratch file cannot be read.
    pub fn crisis_findings(&mut self) -> std::io::Result<SpilledFindings<'_, 'e>> {
        self.read(true)
    }

    fn read(&mut self, crisis_only: bool) -> std::io::Result<SpilledFindings<'_, 'e>> {
        self.file.seek(SeekFrom::Start(0))?;
        Ok(SpilledFindings {
            left: if crisis_only { self.crisis } else { self.count },
            reader: BufReader::with_capacity(1 << 16, &self.file),
            spilled: SpilledRef {
                engine: self.engine,
                whole_entry: self.whole_entry,
                per_category: &self.per_category,
            },
            crisis_only,
            buf: Vec::new(),
        })
    }
}

struct SpilledRef<'a, 'e> {
    engine: &'e Engine,
    whole_entry: bool,
    per_category: &'a [usize; Category::ALL.len()],
}

/// The findings of a [`Spilled`] stream, read back one at a time.
pub struct SpilledFindings<'a, 'e> {
    reader: BufReader<&'a std::fs::File>,
    spilled: SpilledRef<'a, 'e>,
    crisis_only: bool,
    /// Findings still to give.
    left: usize,
    buf: Vec<u8>,
}

impl std::fmt::Debug for SpilledFindings<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpilledFindings")
            .field("left", &self.left)
            .finish()
    }
}

impl SpilledFindings<'_, '_> {
    fn next_finding(&mut self) -> std::io::Result<Finding> {
        loop {
            let mut head = [0u8; 6];
            self.reader.read_exact(&mut head)?;
            let [record, withheld, l0, l1, l2, l3] = head;
            let len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
            if self.crisis_only && record != RECORD_CRISIS {
                skip(&mut self.reader, len)?;
                continue;
            }
            self.buf.resize(len, 0);
            self.reader.read_exact(&mut self.buf)?;
            let l = decode(&self.buf).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "damaged scratch file")
            })?;
            let s = &self.spilled;
            let mut f = s.engine.render_one(&l);
            if record == RECORD_FINDING {
                // The rest of `Engine::entry_wide`, now that the whole entry is known.
                let mut level = l.raw.level;
                if s.per_category[usize::from(f.category.precedence())] >= 3 {
                    level = 3;
                }
                f.severity = Severity::from_level(level);
                let withheld = s.whole_entry || withheld != 0;
                if withheld {
                    f.reframes.clear();
                }
                f.reframes_withheld = withheld;
            }
            return Ok(f);
        }
    }
}

impl Iterator for SpilledFindings<'_, '_> {
    type Item = std::io::Result<Finding>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let f = self.next_finding();
        if f.is_err() {
            self.left = 0;
        }
        Some(f)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

fn skip(reader: &mut BufReader<&std::fs::File>, mut len: usize) -> std::io::Result<()> {
    while len > 0 {
        let have = reader.fill_buf()?.len();
        if have == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let n = have.min(len);
        reader.consume(n);
        len -= n;
    }
    Ok(())
}

/// `Located` is not `Clone` (the engine never needs it to be).
fn copy(l: &Located) -> Located {
    Located {
        raw: l.raw.clone(),
        matched: l.matched.clone(),
        text: l.text.clone(),
        start: l.start,
        end: l.end,
        continues: l.continues,
    }
}

/// A located finding as bytes: numbers as LEB128, strings with their length first.
fn encode(l: &Located, out: &mut Vec<u8>) {
    // Seven bits a byte, the high bit set on all but the last (LEB128): most numbers here are
    // small or offsets under 2^35, so a record takes about half the bytes of fixed `u64`s.
    let num = |out: &mut Vec<u8>, n: usize| {
        let mut n = n as u64;
        while n >= 0x80 {
            out.push((n as u8 & 0x7F) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    };
    let string = |out: &mut Vec<u8>, s: &str| {
        num(out, s.len());
        out.extend_from_slice(s.as_bytes());
    };
    let r = &l.raw;
    out.extend_from_slice(&r.rule.to_le_bytes());
    out.push(r.level as u8);
    for n in [r.start, r.end, r.sentence.0, r.sentence.1] {
        num(out, n);
    }
    for p in [l.start, l.end] {
        for n in [p.char, p.utf16, p.line, p.column] {
            num(out, n);
        }
    }
    num(out, r.slots.len());
    for (k, v) in &r.slots {
        string(out, k);
        string(out, v);
    }
    num(out, r.tags.len());
    for t in &r.tags {
        out.push(t.precedence());
    }
    string(out, &l.matched);
    match &l.text {
        Some(t) => {
            out.push(1);
            string(out, t);
        }
        None => out.push(0),
    }
    out.push(u8::from(l.continues));
}

/// Reads back what [`encode`] wrote.
fn decode(mut b: &[u8]) -> Option<Located> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (b.get(..n)?, b.get(n..)?);
        *b = rest;
        Some(head)
    }
    fn num(b: &mut &[u8]) -> Option<usize> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = take(b, 1)?[0];
            n |= u64::from(byte & 0x7F) << shift;
            if byte < 0x80 {
                return usize::try_from(n).ok();
            }
        }
        None
    }
    fn string(b: &mut &[u8]) -> Option<String> {
        let n = num(b)?;
        String::from_utf8(take(b, n)?.to_vec()).ok()
    }
    fn position(b: &mut &[u8]) -> Option<Position> {
        Some(Position {
            char: num(b)?,
            utf16: num(b)?,
            line: num(b)?,
            column: num(b)?,
        })
    }
    let b = &mut b;
    let rule = u32::from_le_bytes(take(b, 4)?.try_into().ok()?);
    let level = take(b, 1)?[0] as i8;
    let (start, end) = (num(b)?, num(b)?);
    let sentence = (num(b)?, num(b)?);
    let (at, to) = (position(b)?, position(b)?);
    let slots = (0..num(b)?)
        .map(|_| Some((string(b)?, string(b)?)))
        .collect::<Option<Vec<_>>>()?;
    let tags = (0..num(b)?)
        .map(|_| {
            let p = take(b, 1)?[0];
            Category::ALL.into_iter().find(|c| c.precedence() == p)
        })
        .collect::<Option<Vec<_>>>()?;
    let matched = string(b)?;
    let text = match take(b, 1)?[0] {
        0 => None,
        _ => Some(string(b)?),
    };
    let continues = take(b, 1)?[0] != 0;
    Some(Located {
        raw: RawFinding {
            rule,
            start,
            end,
            sentence,
            level,
            slots,
            tags,
        },
        matched,
        text,
        start: at,
        end: to,
        continues,
    })
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

    fn scratch(name: &str) -> std::fs::File {
        let path = std::env::temp_dir().join(format!("kindly-{}-{name}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        let _ = std::fs::remove_file(&path);
        file
    }

    #[test]
    fn spilled_findings_equal_whole_text_analysis() {
        let engine = Engine::new().unwrap();
        // Tier B crisis language early, tier A late: with only the first, reframes are
        // withheld in its sentence; with both, everywhere.
        let base = journal();
        let with_a = format!("{base}\n\nSome nights I want to die.\n");
        let with_b = format!("I wish I could sleep and not wake up, I'm such an idiot.\n\n{base}");
        for text in [base.as_str(), with_a.as_str(), with_b.as_str()] {
            let whole = engine.analyze(text);
            for chunk in [64usize, 5000, 1 << 20] {
                let mut s = engine
                    .stream(DocumentKind::PlainText)
                    .chunk_size(chunk)
                    .spill_to(scratch(&format!("spill-{chunk}")));
                for piece in text.split_inclusive('\n') {
                    s.push(piece);
                }
                let mut spilled = s.finish_spilled().unwrap();
                assert_eq!(spilled.support(), whole.support.as_ref(), "chunk {chunk}");
                assert_eq!(spilled.len(), whole.findings.len());
                let crisis: Vec<Finding> = whole
                    .findings
                    .iter()
                    .filter(|f| f.category == Category::Crisis)
                    .cloned()
                    .collect();
                assert_eq!(spilled.crisis_len(), crisis.len());
                let withheld = whole
                    .findings
                    .iter()
                    .filter(|f| f.category != Category::Crisis && f.reframes_withheld)
                    .count();
                assert_eq!(spilled.withheld_len(), withheld);
                for _ in 0..2 {
                    let read: Vec<Finding> =
                        spilled.findings().unwrap().map(Result::unwrap).collect();
                    assert_eq!(read, whole.findings, "chunk {chunk}");
                }
                let read: Vec<Finding> = spilled
                    .crisis_findings()
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                assert_eq!(read, crisis);
            }
        }
    }

    #[test]
    fn records_read_back_as_written() {
        let big = usize::try_from(u64::from(u32::MAX) * 3).unwrap_or(usize::MAX);
        let at = |n: usize| Position {
            char: n,
            utf16: n + 1,
            line: 127,
            column: 128,
        };
        let l = Located {
            raw: RawFinding {
                rule: 300,
                start: big,
                end: big + 11,
                sentence: (0, usize::MAX),
                level: -1,
                slots: vec![
                    ("word".into(), "lazy ✓".into()),
                    (String::new(), String::new()),
                ],
                tags: vec![Category::Labeling, Category::ShouldStatement],
            },
            matched: "I'm so lazy".into(),
            text: Some("I’m so lazy".into()),
            start: at(big - 5),
            end: at(big + 6),
            continues: true,
        };
        let mut bytes = Vec::new();
        encode(&l, &mut bytes);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.raw.rule, 300);
        assert_eq!((back.raw.start, back.raw.end), (big, big + 11));
        assert_eq!(back.raw.sentence, (0, usize::MAX));
        assert_eq!(back.raw.level, -1);
        assert_eq!(back.raw.slots, l.raw.slots);
        assert_eq!(back.raw.tags, l.raw.tags);
        assert_eq!((back.matched, back.text), (l.matched, l.text));
        assert_eq!((back.start, back.end), (l.start, l.end));
        assert!(back.continues);
        assert!(
            decode(&bytes[..bytes.len() - 1]).is_none(),
            "a cut record is refused"
        );
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
