//! The regex engine behind rule patterns and context cues, assembled from `regex-automata`'s
//! parts instead of the `regex` crate's all-purpose `Regex`.
//!
//! Why: a rule pattern runs over one short sentence at a time, and most runs find nothing (on
//! journal text about four in five). The general-purpose engine compiles a reverse NFA, literal
//! prefilters and a one-pass DFA for every pattern so that it can find match starts and scan
//! long haystacks quickly; here those cost more to build than they save. This engine compiles
//! one forward NFA and answers in two steps:
//!
//! 1. a forward lazy DFA says whether the sentence holds a match at all, and where the first
//!    one ends (cheap, and the common answer is "no");
//! 2. only then, a bounded backtracker (or, for long input, the PikeVM) finds the leftmost-first
//!    match with its capture groups, in the span that ends where the DFA said.
//!
//! Measured on the built-in pack's 479 regexes over 300 journal sentences: 40% less time to
//! compile, a quarter less to search and less than half the memory of `regex::Regex`, with
//! the same matches (BENCHMARKS.md). Matching semantics are the `regex` crate's: leftmost-first,
//! UTF-8, and the same handling of empty matches when iterating.

use regex_automata::hybrid;
use regex_automata::nfa::thompson::{self, backtrack, pikevm, NFA};
use regex_automata::util::captures::Captures as Slots;
use regex_automata::util::iter::Searcher;
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_automata::Input;
use regex_syntax::hir::Hir;
use std::sync::Arc;

/// The largest bit set the backtracker may use per search (bits = NFA states x haystack bytes);
/// larger searches go to the PikeVM, which needs no such table. Allocated only as far as used.
const BACKTRACK_VISITED_BYTES: usize = 256 << 10;

/// Options for [`Regex::build`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    pub case_insensitive: bool,
    /// Upper bound on the compiled NFA's heap size.
    pub size_limit: usize,
    /// Upper bound on the lazy DFA's cache.
    pub dfa_cache: usize,
}

/// Why a pattern did not compile.
#[derive(Debug)]
pub(crate) enum BuildError {
    /// Bad syntax; the message is the parser's, with the pattern excerpt and a caret.
    Syntax(String),
    /// The NFA would be larger than the limit (the limit in bytes).
    TooBig(usize),
    /// Anything else the engine refused.
    Other(String),
}

type CacheFn =
    Box<dyn Fn() -> Cache + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// Per-thread scratch space for one regex.
#[derive(Debug)]
struct Cache {
    dfa: Option<hybrid::dfa::Cache>,
    backtrack: backtrack::Cache,
    /// Made on first use: it is sized by the NFA (a few MB for the largest patterns) and only
    /// long sentences need it, so most patterns never do.
    pikevm: Option<pikevm::Cache>,
    slots: Slots,
}

struct Engines {
    dfa: Option<hybrid::dfa::DFA>,
    backtrack: backtrack::BoundedBacktracker,
    pikevm: pikevm::PikeVM,
}

/// A compiled pattern. Cheap to share between threads (`Send + Sync`); scratch space comes from
/// an internal pool, as with `regex::Regex`.
pub(crate) struct Regex {
    engines: Arc<Engines>,
    pool: Pool<Cache, CacheFn>,
}

impl std::fmt::Debug for Regex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Regex")
            .field("nfa_states", &self.engines.pikevm.get_nfa().states().len())
            .finish()
    }
}

impl Regex {
    /// Parses and compiles `pattern`.
    pub(crate) fn build(pattern: &str, options: Options) -> Result<Regex, BuildError> {
        let hir = parse(pattern, options.case_insensitive)?;
        Regex::from_hir(&hir, options)
    }

    /// Compiles an already parsed pattern.
    pub(crate) fn from_hir(hir: &Hir, options: Options) -> Result<Regex, BuildError> {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(options.size_limit))
                    // Shrinking only pays for reverse NFAs, which are not built here.
                    .shrink(false),
            )
            .build_from_hir(hir)
            .map_err(|e| match e.size_limit() {
                Some(limit) => BuildError::TooBig(limit),
                None => BuildError::Other(e.to_string()),
            })?;
        Regex::from_nfa(nfa, options)
    }

    fn from_nfa(nfa: NFA, options: Options) -> Result<Regex, BuildError> {
        // The lazy DFA cannot build for some patterns (Unicode word boundaries); the NFA
        // engines then answer alone.
        let dfa = hybrid::dfa::Builder::new()
            .configure(
                hybrid::dfa::Config::new()
                    .cache_capacity(options.dfa_cache)
                    .skip_cache_capacity_check(true),
            )
            .build_from_nfa(nfa.clone())
            .ok();
        let backtrack = backtrack::BoundedBacktracker::builder()
            .configure(
                backtrack::BoundedBacktracker::config().visited_capacity(BACKTRACK_VISITED_BYTES),
            )
            .build_from_nfa(nfa.clone())
            .map_err(|e| BuildError::Other(e.to_string()))?;
        let pikevm = pikevm::PikeVM::builder()
            .build_from_nfa(nfa)
            .map_err(|e| BuildError::Other(e.to_string()))?;
        let engines = Arc::new(Engines {
            dfa,
            backtrack,
            pikevm,
        });
        let for_pool = Arc::clone(&engines);
        let create: CacheFn = Box::new(move || Cache {
            dfa: for_pool.dfa.as_ref().map(|d| d.create_cache()),
            backtrack: for_pool.backtrack.create_cache(),
            pikevm: None,
            slots: for_pool.pikevm.create_captures(),
        });
        Ok(Regex {
            engines,
            pool: Pool::new(create),
        })
    }

    /// True if `hay` holds a match anywhere.
    pub(crate) fn is_match(&self, hay: &str) -> bool {
        let mut cache = self.pool.get();
        let input = Input::new(hay).earliest(true);
        if let (Some(dfa), Some(dc)) = (&self.engines.dfa, cache.dfa.as_mut()) {
            if let Ok(found) = dfa.try_search_fwd(dc, &input) {
                return found.is_some();
            }
        }
        let vm = &self.engines.pikevm;
        vm.is_match(cache.pikevm.get_or_insert_with(|| vm.create_cache()), input)
    }

    /// The leftmost-first match in `hay`.
    pub(crate) fn find<'h>(&self, hay: &'h str) -> Option<Match<'h>> {
        self.find_iter(hay).next()
    }

    /// Every non-overlapping match, left to right.
    pub(crate) fn find_iter<'r, 'h>(&'r self, hay: &'h str) -> Matches<'r, 'h> {
        Matches {
            re: self,
            cache: self.pool.get(),
            searcher: Searcher::new(Input::new(hay)),
            hay,
            first: true,
        }
    }

    /// The first match (by start) that overlaps `from..to` (a match that touches it only at an
    /// end does not; an empty match strictly inside it does), or whether `hay` holds a match
    /// elsewhere. Unlike [`Regex::find_iter`], matches may overlap each other here: each search
    /// starts one character after the last match's start, so a match that ends before `from`
    /// cannot hide a later one that starts inside it and reaches `from`.
    pub(crate) fn overlap(&self, hay: &str, from: usize, to: usize) -> Overlap {
        let mut cache = self.pool.get();
        let mut at = 0;
        let mut found = Overlap::Nothing;
        while at <= hay.len() {
            // The lazy DFA first: after the first match, the usual answer is "no more".
            let Some((start, end)) = self.search(&mut cache, &Input::new(hay).range(at..), true)
            else {
                break;
            };
            if start >= to {
                return Overlap::Elsewhere;
            }
            if end > from {
                return Overlap::At(start, end);
            }
            found = Overlap::Elsewhere;
            at = start + hay[start..].chars().next().map_or(1, char::len_utf8);
        }
        found
    }

    /// Every non-overlapping match with its capture groups, left to right.
    pub(crate) fn captures_iter<'r, 'h>(&'r self, hay: &'h str) -> CapturesMatches<'r, 'h> {
        CapturesMatches {
            inner: self.find_iter(hay),
        }
    }

    /// The next match at or after `input`'s start, with its groups left in `cache.slots`.
    /// `dfa_first`: ask the lazy DFA first whether there is any match left (worth it on the
    /// first search of a haystack, where most patterns find nothing).
    fn search(
        &self,
        cache: &mut Cache,
        input: &Input<'_>,
        dfa_first: bool,
    ) -> Option<(usize, usize)> {
        let mut input = input.clone();
        if dfa_first {
            if let (Some(dfa), Some(dc)) = (&self.engines.dfa, cache.dfa.as_mut()) {
                match dfa.try_search_fwd(dc, &input) {
                    Ok(None) => return None,
                    // The leftmost-first match ends here, so the NFA engines need not look
                    // further (look-around still sees the whole haystack).
                    Ok(Some(end)) => input.set_end(end.offset()),
                    Err(_) => {}
                }
            }
        }
        let slots = &mut cache.slots;
        // The backtracker refuses input too long for its bit set; the PikeVM takes any length.
        if self
            .engines
            .backtrack
            .try_search(&mut cache.backtrack, &input, slots)
            .is_err()
        {
            let vm = &self.engines.pikevm;
            vm.search(
                cache.pikevm.get_or_insert_with(|| vm.create_cache()),
                &input,
                slots,
            );
        }
        slots.get_match().map(|m| (m.start(), m.end()))
    }

    /// The index of the capture group called `name`.
    pub(crate) fn group_index(&self, name: &str) -> Option<usize> {
        self.engines
            .pikevm
            .get_nfa()
            .group_info()
            .to_index(regex_automata::PatternID::ZERO, name)
    }
}

/// Parses a pattern the way the `regex` crate does (same syntax, same error messages).
pub(crate) fn parse(pattern: &str, case_insensitive: bool) -> Result<Hir, BuildError> {
    regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .build()
        .parse(pattern)
        .map_err(|e| BuildError::Syntax(e.to_string()))
}

/// A syntax error in a pattern: its byte range in the pattern and what is wrong, in the
/// `regex` crate's words ("unclosed group").
pub(crate) struct SyntaxError {
    pub start: usize,
    pub end: usize,
    pub what: String,
}

/// The first syntax error in `pattern`, if any, with where it is: the parser's own message
/// prints the whole pattern, which for a built-in pattern once its lexicons are written out
/// runs to kilobytes.
pub(crate) fn syntax_error(pattern: &str) -> Option<SyntaxError> {
    let e = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .err()?;
    let (span, what) = match &e {
        regex_syntax::Error::Parse(e) => (*e.span(), e.kind().to_string()),
        regex_syntax::Error::Translate(e) => (*e.span(), e.kind().to_string()),
        // The enum is non-exhaustive: a kind without a span is reported at the start.
        _ => {
            return Some(SyntaxError {
                start: 0,
                end: 0,
                what: e.to_string(),
            })
        }
    };
    Some(SyntaxError {
        start: span.start.offset,
        end: span.end.offset,
        what,
    })
}

/// What [`Regex::overlap`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Overlap {
    /// No match anywhere in the haystack.
    Nothing,
    /// Matches, none of them overlapping the range.
    Elsewhere,
    /// The first match that overlaps the range.
    At(usize, usize),
}

/// One match: byte offsets into the haystack and the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Match<'h> {
    hay: &'h str,
    start: usize,
    end: usize,
}

impl<'h> Match<'h> {
    pub(crate) fn start(&self) -> usize {
        self.start
    }
    pub(crate) fn end(&self) -> usize {
        self.end
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }
    pub(crate) fn as_str(&self) -> &'h str {
        &self.hay[self.start..self.end]
    }
}

/// Iterator over matches; see [`Regex::find_iter`].
pub(crate) struct Matches<'r, 'h> {
    re: &'r Regex,
    cache: PoolGuard<'r, Cache, CacheFn>,
    searcher: Searcher<'h>,
    hay: &'h str,
    first: bool,
}

impl<'h> Iterator for Matches<'_, 'h> {
    type Item = Match<'h>;

    fn next(&mut self) -> Option<Match<'h>> {
        let (re, cache) = (self.re, &mut *self.cache);
        let mut first = std::mem::take(&mut self.first);
        let m = self.searcher.advance(|input| {
            let dfa_first = std::mem::take(&mut first);
            Ok(re
                .search(cache, input, dfa_first)
                .map(|(s, e)| regex_automata::Match::new(regex_automata::PatternID::ZERO, s..e)))
        })?;
        Some(Match {
            hay: self.hay,
            start: m.start(),
            end: m.end(),
        })
    }
}

/// Iterator over matches with their groups; see [`Regex::captures_iter`].
pub(crate) struct CapturesMatches<'r, 'h> {
    inner: Matches<'r, 'h>,
}

impl<'r, 'h> Iterator for CapturesMatches<'r, 'h> {
    type Item = Captures<'r, 'h>;

    fn next(&mut self) -> Option<Captures<'r, 'h>> {
        self.inner.next()?;
        Some(Captures {
            re: self.inner.re,
            hay: self.inner.hay,
            slots: self.inner.cache.slots.clone(),
        })
    }
}

/// One match's capture groups.
pub(crate) struct Captures<'r, 'h> {
    re: &'r Regex,
    hay: &'h str,
    slots: Slots,
}

impl<'h> Captures<'_, 'h> {
    /// Group `i` (0 is the whole match), if it took part in the match.
    pub(crate) fn get(&self, i: usize) -> Option<Match<'h>> {
        self.slots.get_group(i).map(|s| Match {
            hay: self.hay,
            start: s.start,
            end: s.end,
        })
    }

    /// The group called `name`, if the pattern has it and it took part in the match.
    pub(crate) fn name(&self, name: &str) -> Option<Match<'h>> {
        self.get(self.re.group_index(name)?)
    }
}
