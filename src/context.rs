//! STAGE 3: context filters. A candidate match survives only if its context says the writer is
//! judging themselves, now (DOMAIN.md section 4). Each filter looks at a few words around the
//! candidate, never at the whole text.

use crate::pack::matcher::{Overlap, Regex};
use crate::pack::schema::QuestionSwitch;
use crate::pack::{Cues, LazyRegex, Rule};
use crate::text::{self, is_word_char};

/// A candidate: the sentence that holds it, the matched span and the trigger inside it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate {
    pub sentence: (usize, usize),
    pub span: (usize, usize),
    pub trigger: (usize, usize),
}

fn found(re: &Option<Regex>, hay: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(hay))
}

/// Start of the clause holding `pos` within its sentence: just after the last clause break
/// ("but", "though", ";", " - ", ...) before it.
fn clause_start(cues: &Cues, text: &str, sentence_start: usize, pos: usize) -> usize {
    let Some(re) = &cues.clause_breaks else {
        return sentence_start;
    };
    let hay = &text[sentence_start..pos];
    re.find_iter(hay)
        .last()
        .map_or(sentence_start, |m| sentence_start + m.end())
}

/// End of the clause holding `pos`: the next clause break, or the sentence end.
fn clause_end(cues: &Cues, text: &str, pos: usize, sentence_end: usize) -> usize {
    let Some(re) = &cues.clause_breaks else {
        return sentence_end;
    };
    re.find(&text[pos..sentence_end])
        .map_or(sentence_end, |m| pos + m.start())
}

/// Start of the last `n` words before `pos` (not before `floor`).
fn words_before(text: &str, floor: usize, pos: usize, n: usize) -> usize {
    let mut i = pos;
    let mut words = 0;
    let mut in_word = false;
    while i > floor {
        let c = text::char_before(text, i).unwrap_or(' ');
        let w = is_word_char(c) || c == '\'' || c == '\u{2019}';
        if w && !in_word {
            in_word = true;
        } else if !w && in_word {
            in_word = false;
            words += 1;
            if words == n {
                return i;
            }
        }
        i -= c.len_utf8();
    }
    floor
}

/// Whether the writer is the one saying it: "I think I'm lazy" and "I said: I'm an idiot" are the
/// writer's own words; "she thinks I'm lazy" or "my boss said I was careless" are someone else's.
fn said_by_writer(text: &str, floor: usize, cue_at: usize) -> bool {
    let from = words_before(text, floor, cue_at, 3);
    text[from..cue_at]
        .split(|ch: char| !is_word_char(ch) && ch != '\'' && ch != '\u{2019}')
        .any(|w| {
            let w = w.to_ascii_lowercase();
            w == "i" || w.starts_with("i'") || w.starts_with("i\u{2019}") || w == "im" || w == "ive"
        })
}

/// Whether the sentence is a question (ends in '?', allowing trailing quotes, emoji, spaces).
fn is_question(text: &str, clause_end: usize) -> bool {
    for c in text[..clause_end].chars().rev() {
        if c == '?' {
            return true;
        }
        if c.is_alphanumeric() || matches!(c, '.' | '!') {
            return false;
        }
    }
    false
}

/// True when any negation cue in `hay` is not part of a pseudo-negation ("no wonder",
/// "not only", "nothing but").
fn negated(cues: &Cues, hay: &str) -> bool {
    let Some(neg) = &cues.negation else {
        return false;
    };
    let pseudo: Vec<(usize, usize)> = match &cues.pseudo_negation {
        Some(p) => p.find_iter(hay).map(|m| (m.start(), m.end())).collect(),
        None => Vec::new(),
    };
    neg.find_iter(hay)
        .any(|m| !pseudo.iter().any(|(s, e)| m.start() < *e && m.end() > *s))
}

/// Start of the `n`th sentence before the one starting at `ss` (stopping at a blank line, which
/// ends a journal entry).
fn look_back_start(text: &str, ss: usize, n: usize) -> usize {
    sentences_before(text, ss, n)
        .last()
        .map_or(ss, |&(start, _)| start)
}

/// Up to `n` sentences before the one starting at `ss`, nearest first, stopping at a blank line
/// (which ends a journal entry): what a rule's `look-back` sees, and a classifier's window.
pub(crate) fn sentences_before(text: &str, ss: usize, n: usize) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut lb = ss;
    for _ in 0..n {
        let before = &text[..lb];
        if text::ends_with_paragraph_break(before) {
            break;
        }
        let trimmed = before.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (prev_start, prev_end) = text::sentence_bounds(text, trimmed.len() - 1);
        if prev_start >= lb {
            break;
        }
        found.push((prev_start, prev_end));
        lb = prev_start;
    }
    found
}

/// True if one of the rule's exceptions matches somewhere in the sentence overlapping the match.
fn exception_applies(
    rule: &Rule,
    text: &str,
    lowered: &str,
    (ss, se): (usize, usize),
    (ms, me): (usize, usize),
) -> bool {
    let Some(joined) = &rule.exceptions else {
        return false;
    };
    // One pass over the alternation answers most candidates: no exception matches the sentence
    // at all, or one overlaps. But where two exceptions match at the same place the
    // alternation reports only the first ("if I" hides "if I eat one more ... I will actually
    // die"), so when it found something that did not overlap, each one is asked on its own.
    match overlap(joined, text, lowered, (ss, se), (ms, me)) {
        Overlap::At(..) => true,
        Overlap::Nothing => false,
        Overlap::Elsewhere => rule.exception_each.iter().any(|ex| {
            matches!(
                overlap(ex, text, lowered, (ss, se), (ms, me)),
                Overlap::At(..)
            )
        }),
    }
}

/// Whether a rule regex overlaps the match `ms..me`, searching the sentence `ss..se` only
/// ([`Regex::overlap`]; its offsets are the sentence's).
fn overlap(
    ex: &LazyRegex,
    text: &str,
    lowered: &str,
    (ss, se): (usize, usize),
    (ms, me): (usize, usize),
) -> Overlap {
    ex.get().map_or(Overlap::Nothing, |re| {
        re.overlap(&ex.haystack(text, lowered)[ss..se], ms - ss, me - ss)
    })
}

/// For `kindly trace`: which of the rule's exceptions (0-based, in the pack's order) drops a
/// match, what it matched (bytes of `text`) and how many exceptions the rule has.
pub(crate) fn which_exception(
    rule: &Rule,
    text: &str,
    lowered: &str,
    (ss, se): (usize, usize),
    (ms, me): (usize, usize),
) -> Option<(usize, (usize, usize), usize)> {
    let joined = rule.exceptions.as_ref()?;
    let each: &[LazyRegex] = if rule.exception_each.is_empty() {
        std::slice::from_ref(joined)
    } else {
        &rule.exception_each
    };
    each.iter().enumerate().find_map(|(i, ex)| {
        match overlap(ex, text, lowered, (ss, se), (ms, me)) {
            Overlap::At(s, e) => Some((i, (ss + s, ss + e), each.len())),
            _ => None,
        }
    })
}

/// Decides whether a candidate is kept, or names the filter that dropped it (which
/// `kindly trace` shows). Crisis rules come here with every switch off except their exceptions.
/// `lowered` is `text` through `to_ascii_lowercase` (same offsets): the rule's own regexes run
/// on it (see `LazyRegex::for_lowercase_text`).
pub(crate) fn check(
    rule: &Rule,
    cues: &Cues,
    text: &str,
    lowered: &str,
    c: &Candidate,
) -> Result<(), &'static str> {
    let (ss, se) = c.sentence;
    let (ms, me) = c.span;
    let (ts, te) = c.trigger;
    let p = &rule.policy;

    if exception_applies(rule, text, lowered, (ss, se), (ms, me)) {
        return Err("exception");
    }
    // Look-back (DOMAIN.md §4.10): earlier sentences of the same entry, for rules that need
    // the situation ("Got a lovely email from a client. She sends those to everyone.").
    let lb = look_back_start(text, ss, p.look_back);
    if let Some(req) = &rule.requires {
        if !req.is_match(&req.haystack(text, lowered)[lb..se]) {
            return Err("requires");
        }
    }
    let after = |r: &LazyRegex| r.is_match(&r.haystack(text, lowered)[me..se]);
    let before = |r: &LazyRegex| r.is_match(&r.haystack(text, lowered)[lb..ms]);
    if rule.followed_by.as_ref().is_some_and(|r| !after(r))
        || rule.not_followed_by.as_ref().is_some_and(after)
        || rule.preceded_by.as_ref().is_some_and(|r| !before(r))
        || rule.not_preceded_by.as_ref().is_some_and(before)
    {
        return Err("look-around");
    }
    if p.quotes
        && (text::inside_double_quotes(text, ms)
            || text::scare_quoted(text, ts, te)
            || text::scare_quoted(text, ms, me))
    {
        return Err("quotes");
    }

    let cs = clause_start(cues, text, ss, ms);
    let ce = clause_end(cues, text, me, se);

    if p.negation {
        // Negation between the subject and the trigger ("I'm not lazy", "I don't always mess up"
        // is handled by the rule itself), or in the few words before a bare trigger.
        let from = if rule.pattern.is_some() {
            ms
        } else {
            words_before(text, cs, ts, 5)
        };
        if from < ts && negated(cues, &text[from..ts]) {
            return Err("negation");
        }
        // A negated thought verb before the clause: "I don't think I'm stupid".
        let comma = text[cs..ms]
            .rfind([',', ';', ':'])
            .map_or(cs, |i| cs + i + 1);
        // When the clause starts after a word that breaks clauses, that word may end the cue
        // itself: in "not because I'm a monster" the clause starts after "because".
        let after_word_break = cs > ss
            && comma == cs
            && text[ss..cs]
                .trim_end()
                .chars()
                .last()
                .is_some_and(char::is_alphanumeric);
        let from = if after_word_break {
            words_before(text, ss, cs, 2)
        } else {
            comma
        };
        if found(&cues.embedding_negation, &text[from..ms]) {
            return Err("embedding negation");
        }
    }

    if p.past_belief
        && (found(&cues.past_belief, &text[cs..ms]) || found(&cues.past_belief, &text[me..ce]))
    {
        return Err("past belief");
    }

    if p.reported_speech {
        // Only the stretch since the last comma: "He said I was lazy, and he's right, I'm
        // hopeless" keeps the endorsed second clause.
        let cut = text[cs..ms].rfind([',', ':']).map(|i| cs + i);
        let comma = cut.map_or(cs, |i| i + 1);
        if let Some(re) = &cues.communication {
            if re
                .find_iter(&text[comma..ms])
                .any(|m| !said_by_writer(text, comma, comma + m.start()))
            {
                return Err("reported speech");
            }
            // A colon right after a verb of saying opens someone else's words: "what the inner
            // critic tried to say: that it doesn't count", "Dad said: you're useless".
            if let Some(colon) = cut.filter(|&i| text.as_bytes()[i] == b':') {
                let from = text[cs..colon].rfind([',', ':']).map_or(cs, |i| cs + i + 1);
                let before = text[from..colon].trim_end();
                if re.find_iter(before).any(|m| {
                    m.end() == before.len() && !said_by_writer(text, from, from + m.start())
                }) {
                    return Err("reported speech");
                }
            }
        }
        if found(&cues.communication_after, &text[me..se])
            || found(&cues.attribution, &text[comma..ms])
        {
            return Err("reported speech");
        }
    }

    if p.hypothetical && found(&cues.hypothetical, &text[cs..te.min(se)]) {
        // Cues name their subject ("if i were", "would i be"), so look from the clause start
        // up to the trigger.
        return Err("hypothetical");
    }

    if p.questions != QuestionSwitch::Ignore && is_question(text, ce) {
        match p.questions {
            QuestionSwitch::SkipAll => return Err("question"),
            QuestionSwitch::SkipYesNo => {
                let q_start = text[cs..ms]
                    .rfind([',', ':', ';'])
                    .map_or(cs, |i| cs + i + 1);
                let opening = text[q_start..me].trim_start();
                if let Some(re) = &cues.yes_no_openers {
                    if re.find(opening).is_some_and(|m| m.start() == 0) {
                        return Err("yes/no question");
                    }
                }
            }
            QuestionSwitch::Ignore => {}
        }
    }

    if let Some(window) = p.first_person_window {
        let in_trigger = found(&cues.first_person, &text[ts..te]);
        let from = words_before(text, cs, ts, window);
        let after_to = {
            let mut e = te;
            let mut words = 0;
            for (i, ch) in text[te..ce].char_indices() {
                if !is_word_char(ch) && ch != '\'' && i > 0 {
                    words += 1;
                    if words > 2 {
                        e = te + i;
                        break;
                    }
                }
                e = te + i + ch.len_utf8();
            }
            e
        };
        if !in_trigger
            && !found(&cues.first_person, &text[from..ts])
            && !found(&cues.first_person, &text[te..after_to])
        {
            return Err("no first person");
        }
    }

    if p.retraction {
        // Taken back at the end of the same sentence: "I'm such an idiot lol jk",
        // "I'll never be a morning person and that's fine".
        // At the end of the sentence any cue counts; in the middle only cues of three or more
        // words, which are specific enough ("and today I can see", "then I realized").
        let multiword =
            |m: &crate::pack::matcher::Match| m.as_str().split_whitespace().count() >= 3;
        if let Some(re) = &cues.retractions {
            let rest = &text[me..se];
            if re
                .find_iter(rest)
                .any(|m| multiword(&m) || !rest[m.end()..].chars().any(char::is_alphanumeric))
            {
                return Err("retraction");
            }
        }
        // The next sentence takes it back: "I'm such an idiot. jk, honest mistake".
        let rest = &text[se..];
        let skip = rest.len() - rest.trim_start().len();
        let ns = se + skip;
        if ns < text.len() && !text::starts_with_paragraph_break(rest) {
            let (_, ne) = text::sentence_bounds(text, ns);
            if let Some(re) = &cues.retractions {
                let next = &text[ns..ne.max(ns)];
                if re
                    .find(next)
                    .is_some_and(|m| m.start() <= 12 || (m.start() <= 40 && multiword(&m)))
                {
                    return Err("retraction (next sentence)");
                }
            }
        }
    }
    Ok(())
}

/// Severity after DOMAIN.md section 5's modifiers: +1 for an intensifier, caps, elongation or
/// "!!"; -1 each for a hedge, a past episode, feeling-framed wording, or a softener (lol, 😂).
pub(crate) fn severity_level(rule: &Rule, cues: &Cues, text: &str, c: &Candidate) -> i8 {
    let (ss, se) = c.sentence;
    let (ms, me) = c.span;
    let mut level = rule.severity.level();
    let span = &text[ms..me];
    let letters: Vec<char> = span.chars().filter(|c| c.is_alphabetic()).collect();
    let caps = letters.len() >= 3 && letters.iter().all(|c| c.is_uppercase());
    let stretched = span
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == w[1] && w[1] == w[2] && w[0].is_ascii_alphabetic());
    let bangs = text[me..se].trim_start().starts_with("!!");
    let before = &text[crate::context::words_before(text, ss, ms, 2)..ms];
    if found(&cues.intensifiers, span)
        || found(&cues.intensifiers, before)
        || caps
        || stretched
        || bangs
    {
        level += 1;
    }
    let cs = clause_start(cues, text, ss, ms);
    if found(&cues.hedges, &text[cs..me]) {
        level -= 1;
    }
    if found(&cues.past_episode, span) {
        level -= 1;
    }
    if found(&cues.feeling_frame, span) {
        level -= 1;
    }
    if found(&cues.softeners, &text[me..se]) {
        level -= 1;
    }
    level.clamp(1, 3)
}
