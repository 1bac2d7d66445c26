//! What the engine did with every candidate in a text, for rule authors ("why does my rule not
//! fire here?", `kindly trace`). The steps are recorded by the same code that analyses text
//! ([`Engine::trace`] runs the ordinary pipeline with a recorder switched on), so a trace never
//! disagrees with [`Engine::analyze`].

use crate::engine::Engine;
use crate::finding::{Analysis, Span};
use crate::position::Cursor;
use std::sync::Arc;

/// Everything [`Engine::trace`] saw in one text: a step per candidate, and the analysis the
/// candidates became.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Trace {
    /// In text order (by sentence, then rule order, then position).
    pub steps: Vec<TraceStep>,
    /// Exactly what [`Engine::analyze`] (or [`Engine::analyze_markdown`]) gives for the text.
    pub analysis: Analysis,
}

/// One rule meeting one of its triggers (or one match of its pattern) in a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceStep {
    /// The rule's id.
    pub rule: Arc<str>,
    /// The sentence the rule was run on, in bytes.
    pub sentence: Span,
    /// The trigger that brought the rule to this sentence, in bytes.
    pub trigger: Span,
    /// What the rule's pattern matched (its reported span), in bytes; `None` when the pattern
    /// did not match.
    pub matched: Option<Span>,
    /// What became of it.
    pub outcome: Outcome,
    /// Where the candidate starts (its match, or its trigger when the pattern did not match):
    /// 1-based line, and 1-based column in characters, as findings count them.
    pub line: usize,
    /// See `line`.
    pub column: usize,
    /// For a match the `exception` filter dropped: which exception of the rule did it.
    pub exception: Option<ExceptionMatch>,
    /// For a rule with a learned classifier: what the sentence and its neighbours scored, and
    /// the threshold it had to reach, so a near miss can be told from a clear one.
    pub classifier: Option<ClassifierScore>,
}

/// A learned classifier's score for one candidate, and the rule's threshold (logits; the
/// candidate is kept when `score >= threshold`).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ClassifierScore {
    /// The score of the sentence with its neighbours.
    pub score: f64,
    /// The rule's threshold.
    pub threshold: f64,
}

// Scores are finite (sums of table weights), so comparing their bits is comparing the numbers,
// and `TraceStep` can stay `Eq`.
impl PartialEq for ClassifierScore {
    fn eq(&self, other: &Self) -> bool {
        self.score.to_bits() == other.score.to_bits()
            && self.threshold.to_bits() == other.threshold.to_bits()
    }
}
impl Eq for ClassifierScore {}

/// Which of a rule's `exceptions` dropped a match (several may overlap it; this is the first
/// in the pack's order), so a rule author can find it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExceptionMatch {
    /// 1-based, in the order the rule lists its exceptions.
    pub number: usize,
    /// How many exceptions the rule has.
    pub of: usize,
    /// What the exception matched, in bytes.
    pub matched: Span,
}

/// What became of a candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The rule's pattern did not match the sentence.
    NoMatch,
    /// The pattern matched, but none of the rule's triggers lies inside the match (a rule only
    /// reports matches that contain one of its triggers).
    TriggerOutside,
    /// A context filter dropped it. The filter's name, e.g. `negation` or `quotes`; see
    /// [`Outcome::describe`].
    Dropped(&'static str),
    /// It is a finding.
    Finding,
    /// It was kept, but an overlapping finding of this rule (id given) won: this candidate's
    /// category became one of that finding's tags, if it differs.
    Merged(Arc<str>),
}

impl Outcome {
    /// A sentence for people: what happened and, for a context filter, what it looks for.
    pub fn describe(&self) -> String {
        match self {
            Outcome::NoMatch => "the rule's pattern did not match this sentence".into(),
            Outcome::TriggerOutside => {
                "the pattern matched, but none of the rule's triggers is inside the match".into()
            }
            Outcome::Dropped(filter) => {
                format!(
                    "dropped by the “{filter}” filter: {}",
                    filter_meaning(filter)
                )
            }
            Outcome::Finding => "a finding".into(),
            Outcome::Merged(into) => format!(
                "kept, but an overlapping match of {into} won and is the finding (this rule's \
                 category is added to it as a tag when the two differ)"
            ),
        }
    }
}

/// What each context filter of `context::check` looks for (rules/README.md §4 has the policy
/// keys that turn them on and off).
fn filter_meaning(filter: &str) -> &'static str {
    match filter {
        "exception" => "one of the rule's exception patterns overlaps the match",
        "requires" => "the rule's `requires` pattern is not in the sentence (or the look-back)",
        "look-around" => "the words just before or after the match rule it out",
        "quotes" => "the match is inside quotation marks",
        "negation" => "a negation comes before the match (\"I'm not lazy\")",
        "embedding negation" => "the thought is negated from outside (\"I don't think I'm lazy\")",
        "past belief" => "it is a belief the writer has left behind (\"I used to think ...\")",
        "reported speech" => "someone else said or thought it (\"she said I'm lazy\")",
        "hypothetical" => "it is hypothetical (\"if I were lazy\", \"what if\")",
        "question" => "the sentence is a question and the rule skips questions",
        "yes/no question" => "the sentence is a yes/no question (\"am I lazy?\")",
        "no first person" => "the sentence is not about the writer (no I, me or my nearby)",
        "retraction" => {
            "the writer takes it back in the same sentence (\"..., but that's not true\")"
        }
        "retraction (next sentence)" => "the writer takes it back in the next sentence",
        "classifier" => {
            "the rule's classifier scored the sentence and its neighbours below its threshold"
        }
        "ignore comment" => {
            "the paragraph holds <!-- kindly-ignore -->, which silences every note but a crisis one"
        }
        "one per paragraph" => {
            "a classifier speaks once per paragraph, on its best sentence, and not where a rule \
             of its category already did"
        }
        _ => "see rules/README.md",
    }
}

/// A candidate as the pipeline records it (byte offsets, rule index), before the overlaps are
/// resolved. `Kept` is settled into [`Outcome::Finding`] or [`Outcome::Merged`] at the end.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    pub rule: u32,
    pub sentence: (usize, usize),
    pub trigger: (usize, usize),
    pub matched: Option<(usize, usize)>,
    pub outcome: StepOutcome,
    /// A classifier's (score, threshold), for rules that have one.
    pub score: Option<(f64, f64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepOutcome {
    NoMatch,
    TriggerOutside,
    Dropped(&'static str),
    Kept,
}

impl Engine {
    /// Records what happens to every candidate in `text` (as [`Engine::analyze`] reads it, or
    /// as [`Engine::analyze_markdown`] does with `markdown`): which rules its triggers bring
    /// in, whether their patterns match, which context filter drops a match, and which kept
    /// match becomes the finding where several overlap. For rule authors; slower than
    /// analysing.
    ///
    /// ```
    /// use kindly::{Engine, Outcome};
    ///
    /// let engine = Engine::new()?;
    /// let text = "She said I'm lazy. I'm so lazy.";
    /// let trace = engine.trace(text, false);
    /// let matched: Vec<_> = trace.steps.iter().filter(|s| s.matched.is_some()).collect();
    /// assert_eq!(matched[0].outcome, Outcome::Dropped("reported speech"));
    /// assert_eq!(&text[matched[0].matched.unwrap().range()], "I'm lazy");
    /// assert_eq!(matched[1].outcome, Outcome::Finding);
    /// assert_eq!(trace.analysis, engine.analyze(text));
    /// # Ok::<(), kindly::Error>(())
    /// ```
    pub fn trace(&self, text: &str, markdown: bool) -> Trace {
        #[cfg(feature = "markdown")]
        let masked = markdown.then(|| crate::markdown::mask_markdown(text));
        #[cfg(not(feature = "markdown"))]
        let masked: Option<String> = {
            let _ = markdown;
            None
        };
        let scan = masked.as_deref().unwrap_or(text);
        let mut steps = Vec::new();
        let raw = self.candidates_traced(text, scan, None, Some(&mut steps));
        let analysis = self.finish(text, scan, raw);
        let steps = settle(self, text, scan, steps, &analysis);
        Trace { steps, analysis }
    }
}

/// Turns recorded steps into public ones: a kept candidate is the finding with its rule and
/// span, or else was merged into the finding of its overlap cluster (candidates overlapping in
/// a chain, as `Engine::resolve_overlaps` groups them).
fn settle(
    engine: &Engine,
    text: &str,
    scan: &str,
    mut steps: Vec<Step>,
    analysis: &Analysis,
) -> Vec<TraceStep> {
    let rules = engine.rules_raw();
    // The pipeline runs rule by rule; people read sentence by sentence.
    steps.sort_by_key(|s| (s.sentence.0, s.rule, s.matched.map_or(s.trigger, |m| m)));
    let start = |s: &Step| s.matched.map_or(s.trigger.0, |m| m.0);
    let mut offsets: Vec<usize> = steps.iter().map(start).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let positions = Cursor::start().locate(text, &offsets, false);
    let position = |at: usize| positions[offsets.binary_search(&at).unwrap_or(0)];
    let mut kept: Vec<(usize, usize)> = steps
        .iter()
        .filter(|s| s.outcome == StepOutcome::Kept)
        .filter_map(|s| s.matched)
        .collect();
    kept.sort_unstable();
    // Cluster extents, in order: a candidate starting at or after the end of everything before
    // it starts a new cluster.
    let mut clusters: Vec<(usize, usize)> = Vec::new();
    for (s, e) in kept {
        match clusters.last_mut() {
            Some(c) if s < c.1 => c.1 = c.1.max(e),
            _ => clusters.push((s, e)),
        }
    }
    let winner = |span: (usize, usize)| {
        let i = clusters.partition_point(|c| c.1 <= span.0);
        let (cs, ce) = *clusters.get(i)?;
        analysis
            .findings
            .iter()
            .find(|f| f.bytes.start >= cs && f.bytes.end <= ce)
    };
    let lowered = scan.to_ascii_lowercase();
    steps
        .into_iter()
        .map(|s| {
            let rule = &rules[s.rule as usize].id;
            let exception = match (s.outcome, s.matched) {
                (StepOutcome::Dropped("exception"), Some(m)) => crate::context::which_exception(
                    &rules[s.rule as usize],
                    scan,
                    &lowered,
                    s.sentence,
                    m,
                )
                .map(|(i, (a, b), of)| ExceptionMatch {
                    number: i + 1,
                    of,
                    matched: Span::new(a, b),
                }),
                _ => None,
            };
            let outcome = match s.outcome {
                StepOutcome::NoMatch => Outcome::NoMatch,
                StepOutcome::TriggerOutside => Outcome::TriggerOutside,
                StepOutcome::Dropped(filter) => Outcome::Dropped(filter),
                StepOutcome::Kept => match s.matched.and_then(winner) {
                    Some(f)
                        if f.rule == *rule && s.matched == Some((f.bytes.start, f.bytes.end)) =>
                    {
                        Outcome::Finding
                    }
                    Some(f) => Outcome::Merged(Arc::clone(&f.rule)),
                    // Cannot happen: every cluster gives a finding. Said plainly if it does.
                    None => Outcome::Dropped("overlap"),
                },
            };
            let at = position(start(&s));
            TraceStep {
                line: at.line,
                column: at.column,
                rule: Arc::clone(rule),
                sentence: Span::new(s.sentence.0, s.sentence.1),
                trigger: Span::new(s.trigger.0, s.trigger.1),
                matched: s.matched.map(|(a, b)| Span::new(a, b)),
                outcome,
                exception,
                classifier: s
                    .score
                    .map(|(score, threshold)| ClassifierScore { score, threshold }),
            }
        })
        .collect()
}
