//! Turning pack text into matchers: lexicon words into trigger literals and regex alternations,
//! and `{lexicon}` references and apostrophes inside patterns into plain regex syntax.
//!
//! Conventions (documented in rules/README.md):
//! - A straight apostrophe `'` matches any apostrophe variant (' ’ ‘ ʼ ` ´ ＇) or none, so
//!   "i'm" also finds "I’m" and "im". Journal writers use all of them.
//! - A final `*` on a word means "any word ending": `fail*` finds fail, failed, failing.
//! - The last letter of a word may be stretched to three or more ("sooo", "stupiddd"), which
//!   DOMAIN.md section 4.1 asks us to treat as the same word.
//! - Spaces inside phrases match any run of horizontal whitespace.

use std::collections::BTreeMap;

/// Apostrophe-like characters people type for `'`.
pub(crate) const APOSTROPHES: [char; 7] = [
    '\'', '\u{2019}', '\u{2018}', '\u{02BC}', '`', '\u{00B4}', '\u{FF07}',
];

/// The regex fragment a straight apostrophe becomes.
const APOSTROPHE_CLASS: &str = "(?:['\u{2019}\u{2018}\u{02BC}`\u{00B4}\u{FF07}]?)";

/// One entry of a trigger list after expansion: the literal to search for and whether it may
/// be followed by more word characters (`fail*`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TriggerLiteral {
    pub text: String,
    pub prefix: bool,
}

/// Expands one trigger phrase into the literals the automaton searches for: lowercased, with
/// every apostrophe variant (all apostrophes of a phrase take the same variant, which keeps the
/// count linear) and the apostrophe-less spelling.
pub(crate) fn trigger_literals(phrase: &str, out: &mut Vec<TriggerLiteral>) {
    let phrase = phrase.trim();
    // A word ending in `*` before the last ("mess* up"): the literal stops there, as a prefix
    // (the rule's pattern checks the rest).
    let words: Vec<&str> = phrase.split_whitespace().collect();
    let cut;
    let phrase = match words.iter().position(|w| open_ending(w).is_some()) {
        Some(k) if k + 1 < words.len() => {
            cut = words[..=k].join(" ");
            cut.as_str()
        }
        _ => phrase,
    };
    let (base, prefix) = match phrase.strip_suffix('*') {
        Some(stripped) => (stripped, true),
        None => (phrase, false),
    };
    let lower = base.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let lower = words.join(" ");
    if lower.is_empty() {
        return;
    }
    if lower.contains('\'') {
        for variant in ['\'', '\u{2019}', '\u{2018}', '\u{02BC}'] {
            out.push(TriggerLiteral {
                text: lower.replace('\'', &variant.to_string()),
                prefix,
            });
        }
        out.push(TriggerLiteral {
            text: lower.replace('\'', ""),
            prefix,
        });
    } else {
        out.push(TriggerLiteral {
            text: lower,
            prefix,
        });
    }
}

/// One step of a lexicon entry, as [`phrase_regex`] spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// A character matched as itself.
    Char(char),
    /// Any apostrophe variant, or none.
    Apostrophe,
    /// A run of spaces or tabs between words.
    Space,
    /// The final letter stretched: two or more further copies, or none.
    Stretch(char),
    /// Any word ending (`fail*`).
    AnyEnding,
}

impl Token {
    /// True when the token may match the empty string.
    fn nullable(self) -> bool {
        matches!(
            self,
            Token::Apostrophe | Token::Stretch(_) | Token::AnyEnding
        )
    }

    /// True when no character can start both tokens (both must read one). Letters are
    /// compared without case, since a pattern with `(?i)` folds it; other non-ASCII
    /// characters are taken to overlap (case folding pairs some of them with ASCII letters).
    fn disjoint(self, other: Token) -> bool {
        match (self, other) {
            (Token::Char(a), Token::Char(b)) => {
                a.is_ascii() && b.is_ascii() && !a.eq_ignore_ascii_case(&b)
            }
            (Token::Char(c), Token::Space) | (Token::Space, Token::Char(c)) => {
                !matches!(c, ' ' | '\t')
            }
            _ => false,
        }
    }

    fn write(self, out: &mut String) {
        match self {
            Token::Char(c) => out.push_str(&regex_syntax::escape(c.encode_utf8(&mut [0; 4]))),
            Token::Apostrophe => out.push_str(APOSTROPHE_CLASS),
            Token::Space => out.push_str(r"[ \t]+"),
            Token::Stretch(c) => {
                let lit = regex_syntax::escape(c.encode_utf8(&mut [0; 4]));
                out.push_str(&format!("(?:{lit}{{2,}})?"));
            }
            Token::AnyEnding => out.push_str(r"\w*"),
        }
    }
}

/// A word written with an open ending (`mess*`), without its `*`. One rule for trigger literals
/// and lexicon regexes alike; a lone `*` is not a word with an ending.
fn open_ending(word: &str) -> Option<&str> {
    word.strip_suffix('*').filter(|w| !w.is_empty())
}

/// The tokens of one lexicon word or phrase.
fn phrase_tokens(phrase: &str) -> Vec<Token> {
    let phrase = phrase.trim();
    let (base, prefix) = match phrase.strip_suffix('*') {
        Some(stripped) => (stripped, true),
        None => (phrase, false),
    };
    let mut out = Vec::with_capacity(base.len() + 2);
    let words: Vec<&str> = base.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push(Token::Space);
        }
        // "mess* up": a `*` that ends a word before the last allows any ending too. Inside a
        // word it is a plain asterisk ("f*ck").
        let (word, any_ending) = match open_ending(word) {
            Some(w) if i + 1 < words.len() => (w, true),
            _ => (*word, false),
        };
        let chars: Vec<char> = word.chars().collect();
        for (j, &c) in chars.iter().enumerate() {
            if APOSTROPHES.contains(&c) {
                out.push(Token::Apostrophe);
            } else if j + 1 == chars.len() && c.is_alphabetic() && i + 1 == words.len() && !prefix {
                // Allow the final letter to be stretched: "so" also matches "sooo".
                out.push(Token::Char(c));
                out.push(Token::Stretch(c));
            } else {
                out.push(Token::Char(c));
            }
        }
        if any_ending {
            out.push(Token::AnyEnding);
        }
    }
    if prefix {
        out.push(Token::AnyEnding);
    }
    out
}

/// Turns one lexicon word or phrase into a regex fragment (without word boundaries).
pub(crate) fn phrase_regex(phrase: &str) -> String {
    let mut out = String::new();
    for t in phrase_tokens(phrase) {
        t.write(&mut out);
    }
    out
}

/// An alternation of lexicon entries, longest first so that "such a" wins over "such", written
/// as a tree of shared beginnings: `(?:l(?:azy|oser)|...)` rather than `(?:lazy|loser|...)`.
///
/// Why: with a flat alternation of hundreds of words, every word's first state enters the
/// automaton at once; as a tree, only the words that still agree with the text read so far
/// do. The NFAs are about a quarter smaller (less to compile, smaller lazy-DFA states) and the
/// pattern text a third shorter (less to parse).
///
/// It matches exactly what the flat alternation matches, with the same leftmost-first
/// preference: `ab|ac` is `a(?:b|c)`, and two neighbouring entries may trade places when
/// no character can start both of their next steps, since then at most one of them can match
/// at any position. An entry whose next step may match nothing (an optional apostrophe, a
/// stretch, `*`, or its end) keeps its place, and nothing moves past it.
pub(crate) fn alternation<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    let mut words: Vec<&str> = words
        .into_iter()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    words.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    words.dedup();
    let entries: Vec<Vec<Token>> = words.iter().map(|w| phrase_tokens(w)).collect();
    let rests: Vec<&[Token]> = entries.iter().map(Vec::as_slice).collect();
    let mut out = String::with_capacity(words.iter().map(|w| w.len() + 4).sum());
    out.push_str("(?:");
    write_tree(&rests, false, &mut out);
    out.push(')');
    out
}

/// Writes the alternation of `rests` (in order of preference) with shared first steps taken
/// out, as described at [`alternation`]; in a group when `group` and it has several branches.
fn write_tree(rests: &[&[Token]], group: bool, out: &mut String) {
    // Each group: the first token its members share and the members' indices in `rests`.
    let mut groups: Vec<(Option<Token>, Vec<usize>)> = Vec::new();
    // Groups before this index stay ahead of everything after them.
    let mut fixed = 0;
    for (i, rest) in rests.iter().enumerate() {
        let first = rest.first().copied();
        let join = match first {
            Some(t) if !t.nullable() => {
                // The nearest group with the same first token, passing only groups that
                // cannot start where this entry starts.
                let mut found = None;
                for (j, (g, _)) in groups.iter().enumerate().skip(fixed).rev() {
                    match g {
                        Some(g) if *g == t => {
                            found = Some(j);
                            break;
                        }
                        Some(g) if g.disjoint(t) => {}
                        _ => break,
                    }
                }
                found
            }
            // Only the direct neighbour, which needs no reordering.
            Some(t) => groups
                .len()
                .checked_sub(1)
                .filter(|&j| groups[j].0 == Some(t)),
            None => None,
        };
        match join {
            Some(j) => groups[j].1.push(i),
            None => {
                groups.push((first, vec![i]));
                if first.is_none_or(Token::nullable) {
                    fixed = groups.len();
                }
            }
        }
    }
    let group = group && groups.len() > 1;
    if group {
        out.push_str("(?:");
    }
    for (k, (first, members)) in groups.iter().enumerate() {
        if k > 0 {
            out.push('|');
        }
        let Some(first) = first else { continue };
        first.write(out);
        if let [only] = members.as_slice() {
            for t in &rests[*only][1..] {
                t.write(out);
            }
        } else {
            let tails: Vec<&[Token]> = members.iter().map(|&m| &rests[m][1..]).collect();
            write_tree(&tails, true, out);
        }
    }
    if group {
        out.push(')');
    }
}

/// A problem found while expanding a pattern: the byte offset inside the pattern and a message.
#[derive(Debug)]
pub(crate) struct ExpandError {
    pub offset: usize,
    pub message: String,
}

/// Expands `{lexicon}` references and apostrophes in a pattern. `{2,3}`-style repetitions are
/// left alone; a `{name}` that looks like a reference but names no lexicon is an error.
/// `lexicon_regex` maps names to their alternation. With `placeholder`, the result is a shadow
/// of the author's text for syntax checks, byte for byte as long: a reference becomes as many
/// `x`s as it has bytes and apostrophes stay as they are, so a syntax error's offset in the
/// shadow is its offset in what the author wrote (and its excerpt can be their own line).
pub(crate) fn expand_pattern(
    pattern: &str,
    lexicon_regex: &BTreeMap<String, String>,
    placeholder: bool,
) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut chars = pattern.char_indices().peekable();
    let mut in_class = 0usize;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some((_, next)) = chars.next() {
                    out.push(next);
                }
            }
            '[' => {
                in_class += 1;
                out.push(c);
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(c);
            }
            '\'' if placeholder => out.push(c),
            '\'' if in_class == 0 => out.push_str(APOSTROPHE_CLASS),
            '\'' => out.push_str("'\u{2019}\u{2018}\u{02BC}"),
            '{' if in_class == 0 => {
                let rest = &pattern[i + 1..];
                let name_len = rest.find('}');
                let name = name_len.map(|n| &rest[..n]);
                match name {
                    Some(name) if is_identifier(name) => {
                        if placeholder {
                            if !lexicon_regex.contains_key(name) {
                                return Err(ExpandError {
                                    offset: i,
                                    message: unknown_lexicon_message(name, lexicon_regex),
                                });
                            }
                            // `{` + name + `}`: the name is an ASCII identifier.
                            out.extend(std::iter::repeat_n('x', name.len() + 2));
                        } else {
                            match lexicon_regex.get(name) {
                                Some(alt) => out.push_str(alt),
                                None => {
                                    return Err(ExpandError {
                                        offset: i,
                                        message: unknown_lexicon_message(name, lexicon_regex),
                                    })
                                }
                            }
                        }
                        for _ in 0..=name.chars().count() {
                            chars.next();
                        }
                    }
                    _ => out.push(c),
                }
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

pub(crate) fn unknown_lexicon_message(name: &str, lexicons: &BTreeMap<String, String>) -> String {
    let known: Vec<&str> = lexicons.keys().map(String::as_str).collect();
    if known.is_empty() {
        format!("unknown lexicon '{name}' (this pack defines no lexicons)")
    } else {
        format!("unknown lexicon '{name}' (known: {})", known.join(", "))
    }
}

/// Lexicon names are snake_case identifiers, which keeps them apart from `{2,3}` repetitions.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::matcher::{Options, Regex};

    const OPTS: Options = Options {
        case_insensitive: true,
        // The pack's own limit: the flat alternations these tests compare against are larger
        // than the trees the engine builds, and the largest lexicons need more than 1 MiB.
        size_limit: super::super::REGEX_SIZE_LIMIT,
        dfa_cache: 1 << 20,
    };

    #[test]
    fn trigger_literals_cover_apostrophes() {
        let mut out = Vec::new();
        trigger_literals("I'm  so", &mut out);
        let texts: Vec<&str> = out.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "i'm so",
                "i\u{2019}m so",
                "i\u{2018}m so",
                "i\u{02BC}m so",
                "im so"
            ]
        );
        let mut out = Vec::new();
        trigger_literals(" mess*  it up", &mut out);
        assert_eq!(
            out,
            [TriggerLiteral {
                text: "mess".into(),
                prefix: true
            }]
        );
        let mut out = Vec::new();
        trigger_literals("f*ck up", &mut out);
        assert_eq!(out[0].text, "f*ck up");
        let mut out = Vec::new();
        trigger_literals("fail*", &mut out);
        assert_eq!(
            out,
            [TriggerLiteral {
                text: "fail".into(),
                prefix: true
            }]
        );
    }

    #[test]
    fn phrase_regex_stretches_last_letter_and_folds_apostrophes() {
        let re = Regex::build(&format!("^{}$", phrase_regex("i'm so")), OPTS).unwrap();
        for ok in ["i'm so", "I’m   SOOO", "im so"] {
            assert!(re.is_match(ok), "{ok}");
        }
        assert!(!re.is_match("i'm soo"), "two letters are not a stretch");
        let re = Regex::build(&format!("^{}$", phrase_regex("fail*")), OPTS).unwrap();
        assert!(re.is_match("failing"));
        // A `*` ending an earlier word allows any ending too; inside a word it is an asterisk.
        let re = Regex::build(&format!("^{}$", phrase_regex("mess* it up")), OPTS).unwrap();
        for ok in ["mess it up", "messing it up", "messed it uppp"] {
            assert!(re.is_match(ok), "{ok}");
        }
        let re = Regex::build(&format!("^{}$", phrase_regex("f*ck up")), OPTS).unwrap();
        assert!(re.is_match("f*ck up") && !re.is_match("fck up"));
    }

    #[test]
    fn expand_pattern_replaces_lexicons_not_repetitions() {
        let mut lex = BTreeMap::new();
        lex.insert("adj".to_string(), "(?:lazy|dumb)".to_string());
        let out = expand_pattern(r"\bi'm\s+{adj}\w{2,3}[']", &lex, false).unwrap();
        assert_eq!(
            out,
            format!(r"\bi{APOSTROPHE_CLASS}m\s+(?:lazy|dumb)\w{{2,3}}['’‘ʼ]")
        );
        let err = expand_pattern("{nope}", &lex, false).unwrap_err();
        assert_eq!(err.offset, 0);
        assert_eq!(err.message, "unknown lexicon 'nope' (known: adj)");
    }

    /// The alternation as it was written before it became a tree: one branch per entry.
    fn flat_alternation(words: &[&str]) -> String {
        let mut words: Vec<&str> = words.iter().map(|w| w.trim()).collect();
        words.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        words.dedup();
        let parts: Vec<String> = words.iter().map(|w| phrase_regex(w)).collect();
        format!("(?:{})", parts.join("|"))
    }

    /// A match's start and end, and the lexicon group's span.
    type Found = (usize, usize, Option<(usize, usize)>);

    /// Asserts that the tree and the flat alternation find the same matches with the same
    /// lexicon span, inside patterns where the preference between entries decides the span.
    fn assert_same_as_flat(words: &[&str], hays: &[String]) {
        let tree = alternation(words.iter().copied());
        let flat = flat_alternation(words);
        for wrap in [
            "(?P<w>{})",
            r"\b(?P<w>{})\b",
            r"(?P<w>{})(?:[ \t]+\w+)?\b",
            r"^(?P<w>{})",
        ] {
            for case_insensitive in [true, false] {
                let opts = Options {
                    case_insensitive,
                    ..OPTS
                };
                let build = |alt: &str| Regex::build(&wrap.replace("{}", alt), opts).unwrap();
                let (t, f) = (build(&tree), build(&flat));
                for hay in hays {
                    let hay = if case_insensitive {
                        hay.clone()
                    } else {
                        hay.to_ascii_lowercase()
                    };
                    let spans = |re: &Regex| -> Vec<Found> {
                        re.captures_iter(&hay)
                            .map(|c| {
                                let m = c.get(0).unwrap();
                                let w = c.name("w").map(|w| (w.start(), w.end()));
                                (m.start(), m.end(), w)
                            })
                            .collect()
                    };
                    assert_eq!(spans(&t), spans(&f), "{wrap} on {hay:?}\ntree: {tree}");
                }
            }
        }
    }

    /// Texts that probe a word list: each entry, stretched, cut short, run on into a letter or
    /// another entry, with apostrophe variants and capitals.
    fn probes(words: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let w = w.trim().trim_end_matches('*');
            let next = words[(i + 1) % words.len()].trim_end_matches('*');
            let last = w.chars().last().unwrap_or('x');
            out.push(w.to_string());
            out.push(format!("I am {w}{last}{last} and {next}, {w}s"));
            out.push(format!("{w} {next}. {}", w.to_uppercase()));
            out.push(w.replace('\'', "\u{2019}").replace(' ', "  "));
            out.push(w.replace('\'', ""));
            let cut: String = w.chars().take(w.chars().count().div_ceil(2)).collect();
            out.push(format!("{cut} {cut}{next}"));
        }
        out
    }

    #[test]
    fn alternation_is_a_tree_of_shared_beginnings() {
        assert_eq!(
            alternation(["lazy", "loser", "lame", "such", "such a"]),
            r"(?:such(?:[ \t]+a(?:a{2,})?|(?:h{2,})?)|l(?:oser(?:r{2,})?|a(?:me(?:e{2,})?|zy(?:y{2,})?)))"
        );
        // An entry that may match nothing next keeps its place: "i" then "im", "i'm" and
        // "ice" cannot be regrouped around the optional apostrophe.
        assert_eq!(
            alternation(["im", "i'm", "ice"]),
            r"(?:i(?:(?:['’‘ʼ`´＇]?)m(?:m{2,})?|ce(?:e{2,})?|m(?:m{2,})?))"
        );
    }

    #[test]
    fn alternation_matches_exactly_what_the_flat_one_did() {
        let tricky = [
            "i'm",
            "im",
            "i",
            "ice",
            "I",
            "Ice",
            "such",
            "such a",
            "such an",
            "so",
            "so so",
            "fail*",
            "failure",
            "fa",
            "a mess",
            "a",
            "an",
            "mess",
            "messed up",
            "free",
            "fre",
            "don't",
            "dont",
            "do",
            "café",
            "cafe",
            "k",
            "\u{212A}",
            "ok",
            "okay",
            "o k",
        ];
        assert_same_as_flat(&tricky, &probes(&tricky));
    }

    /// Every lexicon of the built-in English pack, read straight from its files.
    #[test]
    fn builtin_lexicons_match_exactly_what_the_flat_ones_did() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/en");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let doc: toml::Table = toml::from_str(&text).unwrap();
            let Some(lexicons) = doc.get("lexicons").and_then(|l| l.as_table()) else {
                continue;
            };
            for words in lexicons.values() {
                let words: Vec<&str> = words
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|w| w.as_str())
                    .collect();
                assert_same_as_flat(&words, &probes(&words));
                seen += 1;
            }
        }
        assert!(seen > 50, "only {seen} lexicons found");
    }
}
