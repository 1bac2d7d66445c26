//! "Did you mean …?" for ids the user typed: used by `Engine::similar_rules` (the CLI's
//! `explain`) and by `EngineBuilder::build` when a rule to turn off does not exist.

/// Up to three ids closest to `query`: the near-best by edit distance ("test.gremlim" gives
/// "test.gremlin", not also "test.goblin"), else the ids sharing its start ("labeling").
pub(crate) fn closest<'a>(query: &str, ids: &[&'a str]) -> Vec<&'a str> {
    let q = query.to_lowercase();
    let limit = (q.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = ids
        .iter()
        .map(|id| (levenshtein(&q, &id.to_lowercase()), *id))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    let best = scored.first().map_or(0, |(d, _)| *d);
    scored.retain(|(d, _)| *d <= best + 2);
    if scored.is_empty() {
        let stem: String = q.split('.').next().unwrap_or("").chars().take(5).collect();
        scored = ids
            .iter()
            .filter(|id| {
                let id = id.to_lowercase();
                (!q.is_empty() && id.contains(&q)) || (stem.len() >= 3 && id.starts_with(&stem))
            })
            .map(|id| (levenshtein(&q, &id.to_lowercase()), *id))
            .collect();
        scored.sort();
    }
    scored.dedup();
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

/// "; did you mean 'a'?" or "; did you mean 'a', 'b' or 'c'?", or "" when nothing is close.
pub(crate) fn did_you_mean(close: &[&str]) -> String {
    let quoted: Vec<String> = close.iter().map(|c| format!("'{c}'")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((one, [])) => format!("; did you mean {one}?"),
        Some((last, head)) => format!("; did you mean {} or {last}?", head.join(", ")),
    }
}

/// An id the user typed, safe to put in an error message: at most 80 characters, with control
/// and direction-changing characters replaced, so a message cannot rewrite a terminal line.
pub(crate) fn shown(id: &str) -> String {
    let mut out: String = id
        .chars()
        .take(80)
        .map(|c| match c {
            c if c.is_control() => '\u{FFFD}',
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => {
                '\u{FFFD}'
            }
            c => c,
        })
        .collect();
    if id.chars().nth(80).is_some() {
        out.push('…');
    }
    out
}

/// Edit distance in characters, not bytes (also the CLI's, through [`crate::edit_distance`]).
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
        // Characters, not bytes: é is two bytes but one edit.
        assert_eq!(levenshtein("é", "e"), 1);
        assert_eq!(levenshtein("naïve", "naive"), 1);
        assert_eq!(levenshtein("😀", ""), 1);
    }

    #[test]
    fn suggestions() {
        let ids = [
            "labeling.self-adjective",
            "labeling.self-noun",
            "self_attack.hate-self",
        ];
        assert_eq!(
            closest("labelling.self-adjective", &ids),
            ["labeling.self-adjective"]
        );
        assert_eq!(
            closest("labeling", &ids),
            ["labeling.self-noun", "labeling.self-adjective"]
        );
        assert!(closest("zzz", &ids).is_empty());
    }

    #[test]
    fn the_question_reads_as_english() {
        assert_eq!(did_you_mean(&[]), "");
        assert_eq!(did_you_mean(&["a.b"]), "; did you mean 'a.b'?");
        assert_eq!(
            did_you_mean(&["a", "b", "c"]),
            "; did you mean 'a', 'b' or 'c'?"
        );
    }
}
