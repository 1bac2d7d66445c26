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

/// Turns one lexicon word or phrase into a regex fragment (without word boundaries).
pub(crate) fn phrase_regex(phrase: &str) -> String {
    let phrase = phrase.trim();
    let (base, prefix) = match phrase.strip_suffix('*') {
        Some(stripped) => (stripped, true),
        None => (phrase, false),
    };
    let mut out = String::with_capacity(base.len() * 2);
    let words: Vec<&str> = base.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push_str(r"[ \t]+");
        }
        let chars: Vec<char> = word.chars().collect();
        for (j, &c) in chars.iter().enumerate() {
            if APOSTROPHES.contains(&c) {
                out.push_str(APOSTROPHE_CLASS);
            } else if j + 1 == chars.len() && c.is_alphabetic() && i + 1 == words.len() && !prefix {
                // Allow the final letter to be stretched: "so" also matches "sooo".
                let lit = regex_syntax::escape(&c.to_string());
                out.push_str(&format!("{lit}(?:{lit}{{2,}})?"));
            } else {
                out.push_str(&regex_syntax::escape(&c.to_string()));
            }
        }
    }
    if prefix {
        out.push_str(r"\w*");
    }
    out
}

/// An alternation of lexicon entries, longest first so that "such a" wins over "such".
pub(crate) fn alternation<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    let mut words: Vec<&str> = words
        .into_iter()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    words.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    words.dedup();
    let parts: Vec<String> = words.iter().map(|w| phrase_regex(w)).collect();
    format!("(?:{})", parts.join("|"))
}

/// A problem found while expanding a pattern: the byte offset inside the pattern and a message.
#[derive(Debug)]
pub(crate) struct ExpandError {
    pub offset: usize,
    pub message: String,
}

/// Expands `{lexicon}` references and apostrophes in a pattern. `{2,3}`-style repetitions are
/// left alone; a `{name}` that looks like a reference but names no lexicon is an error.
/// `lexicon_regex` maps names to their alternation. With `placeholder`, references become
/// `(?:x)` so a syntax error can be reported against the author's own short text.
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
                            out.push_str("(?:x)");
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
        size_limit: 1 << 20,
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
}
