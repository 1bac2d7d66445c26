//! A pack's learned text classifiers (`[classifiers.NAME]`): TF-IDF over word unigrams and
//! bigrams, then a linear score, as `scripts/train-crisis-model` fits them.
//!
//! A rule with `classifier = "NAME"` has no pattern: around each sentence its triggers bring in,
//! the engine scores the sentence with up to `window` sentences on each side (within the
//! paragraph) and keeps the sentence when the score reaches the threshold. The numbers come
//! from scikit-learn; this file reproduces its arithmetic:
//!
//! - tokens are `(?u)\b\w[\w']*\b` on lowercased text, with curly apostrophes straightened;
//! - a feature is a token or two adjacent tokens joined by one space;
//! - its value is `(1 + ln tf) * idf`, and the values are divided by their l2 norm;
//! - the score is `bias + sum(weight * value)`, a logit compared with `threshold`.
//!
//! Only `+`, `*`, `/` and `sqrt` run on floats at analysis time (`ln` of a count comes from a
//! table), and sums run in feature order, so native and WebAssembly builds give bit-identical
//! scores.

use crate::text;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// FNV-1a for the feature index: every token and bigram of every sentence a classifier scores
/// is looked up, and SipHash cost more than the lookups themselves. The starting state is
/// mixed with a per-process random seed (from the standard hasher), so a hostile pack cannot
/// list features chosen to collide; lookups do not depend on it, so scores stay the same.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv {
    start: u64,
}

impl Fnv {
    fn seeded() -> Fnv {
        let seed = std::collections::hash_map::RandomState::new().hash_one(0u64);
        Fnv {
            start: 0xcbf2_9ce4_8422_2325 ^ seed,
        }
    }
}

pub(crate) struct FnvHasher(u64);

impl BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(self.start)
    }
}

impl Hasher for FnvHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A piece of text as tokens: lowercased, joined by single spaces, with each token's range.
/// Made once per sentence and shared by every classifier that scores it.
pub(crate) struct Tokens {
    joined: String,
    spans: Vec<(usize, usize)>,
}

impl Tokens {
    pub(crate) fn of(text: &str) -> Tokens {
        let (joined, spans) = tokens_joined(text);
        Tokens { joined, spans }
    }
}

/// `1 + ln(k)` for `k = 1..=32`; a term seen more often counts as 32 times.
const SUBLINEAR_TF: [f64; 32] = [
    1.0,
    1.6931471805599454,
    2.09861228866811,
    2.386294361119891,
    2.6094379124341005,
    2.791759469228055,
    2.9459101490553135,
    3.0794415416798357,
    3.1972245773362196,
    3.302585092994046,
    3.3978952727983707,
    3.4849066497880004,
    3.5649493574615367,
    3.6390573296152584,
    3.70805020110221,
    3.772588722239781,
    3.833213344056216,
    3.8903717578961645,
    3.9444389791664403,
    3.995732273553991,
    4.044522437723423,
    4.091042453358316,
    4.13549421592915,
    4.178053830347945,
    4.218875824868201,
    4.258096538021482,
    4.295836866004329,
    4.332204510175204,
    4.367295829986475,
    4.401197381662156,
    4.433987204485146,
    4.465735902799727,
];

/// A compiled `[classifiers.NAME]` table.
pub(crate) struct Classifier {
    pub name: String,
    /// The features in file order ("word" or "word word"), parallel to `idf` and `weights`.
    features: Vec<String>,
    /// Feature text to its index.
    index: HashMap<String, u32, Fnv>,
    idf: Vec<f64>,
    weights: Vec<f64>,
    pub bias: f64,
    pub threshold: f64,
    /// Sentences on each side of the candidate sentence that are scored with it.
    pub window: usize,
}

/// The features of one piece of text (a sentence), kept so that overlapping windows do not
/// tokenize it again.
#[derive(Debug)]
pub(crate) struct PieceFeatures {
    ids: Vec<u32>,
    first: Option<String>,
    last: Option<String>,
}

/// Why a `features` table did not parse: the line within the string (0 = its first line) and
/// what is wrong.
#[derive(Debug, PartialEq)]
pub(crate) struct FeatureError {
    pub line: usize,
    pub message: String,
}

impl Classifier {
    /// Reads the `features` string: one `feature<TAB>idf<TAB>weight` per line; blank lines are
    /// skipped. Features must be lowercase, one or two words, and unique.
    pub fn parse(
        name: &str,
        features: &str,
        bias: f64,
        threshold: f64,
        window: usize,
    ) -> Result<Classifier, FeatureError> {
        let mut features_in_order = Vec::new();
        let mut index = HashMap::with_hasher(Fnv::seeded());
        let mut idf = Vec::new();
        let mut weights = Vec::new();
        for (line, row) in features.lines().enumerate() {
            let row = row.trim_end_matches('\r');
            if row.trim().is_empty() {
                continue;
            }
            let err = |message: String| FeatureError { line, message };
            let cols: Vec<&str> = row.split('\t').collect();
            let [feature, f_idf, f_weight] = cols[..] else {
                return Err(err(format!(
                    "expected 3 tab-separated columns (feature, idf, weight), found {}",
                    cols.len()
                )));
            };
            let words: Vec<&str> = feature.split(' ').collect();
            if words.len() > 2 || words.iter().any(|w| w.is_empty()) {
                return Err(err(format!(
                    "feature '{feature}' must be one word or two words joined by one space"
                )));
            }
            if feature.to_lowercase() != feature {
                return Err(err(format!("feature '{feature}' must be lowercase")));
            }
            let number = |s: &str, what: &str| -> Result<f64, FeatureError> {
                match s.trim().parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    _ => Err(err(format!("{what} '{s}' is not a finite number"))),
                }
            };
            let i = number(f_idf, "idf")?;
            if i <= 0.0 {
                return Err(err(format!("idf '{f_idf}' must be positive")));
            }
            let w = number(f_weight, "weight")?;
            let next = u32::try_from(idf.len()).map_err(|_| err("too many features".into()))?;
            if index.insert(feature.to_string(), next).is_some() {
                return Err(err(format!("feature '{feature}' is listed twice")));
            }
            features_in_order.push(feature.to_string());
            idf.push(i);
            weights.push(w);
        }
        if idf.is_empty() {
            return Err(FeatureError {
                line: 0,
                message: "a classifier needs at least one feature".into(),
            });
        }
        Ok(Classifier {
            name: name.to_string(),
            features: features_in_order,
            index,
            idf,
            weights,
            bias,
            threshold,
            window,
        })
    }

    /// How many features the classifier weighs.
    pub fn len(&self) -> usize {
        self.idf.len()
    }

    /// The score (a logit) of `text`.
    pub fn score(&self, text: &str) -> f64 {
        self.score_pieces(&[&self.piece_features(text)])
    }

    /// What `text` contributes to the score of any text it is a piece of: its features and its
    /// first and last tokens (a bigram may join them to the neighbouring pieces).
    pub fn piece_features(&self, text: &str) -> PieceFeatures {
        self.features_of(&Tokens::of(text))
    }

    /// [`Classifier::piece_features`] of text already split into tokens.
    pub(crate) fn features_of(&self, tokens: &Tokens) -> PieceFeatures {
        let (joined, spans) = (&tokens.joined, &tokens.spans);
        let mut ids = Vec::new();
        for (i, &(start, end)) in spans.iter().enumerate() {
            if let Some(&f) = self.index.get(&joined[start..end]) {
                ids.push(f);
            }
            // Tokens are joined by one space, so a bigram is a slice too.
            if let Some(&(_, next_end)) = spans.get(i + 1) {
                if let Some(&f) = self.index.get(&joined[start..next_end]) {
                    ids.push(f);
                }
            }
        }
        let token = |span: Option<&(usize, usize)>| span.map(|&(s, e)| joined[s..e].to_string());
        PieceFeatures {
            first: token(spans.first()),
            last: token(spans.last()),
            ids,
        }
    }

    /// The score of the text made of these pieces in order, where no token spans two pieces
    /// and nothing between them holds a token: the same as [`Classifier::score`] of it.
    pub fn score_pieces(&self, pieces: &[&PieceFeatures]) -> f64 {
        let mut ids: Vec<u32> = Vec::new();
        let mut previous: Option<&str> = None;
        let mut bigram = String::new();
        for piece in pieces {
            ids.extend_from_slice(&piece.ids);
            if let (Some(a), Some(b)) = (previous, piece.first.as_deref()) {
                bigram.clear();
                bigram.push_str(a);
                bigram.push(' ');
                bigram.push_str(b);
                if let Some(&f) = self.index.get(bigram.as_str()) {
                    ids.push(f);
                }
            }
            if piece.last.is_some() {
                previous = piece.last.as_deref();
            }
        }
        // Feature order, so the sums below run in the same order on every platform. One pass
        // over the runs of equal ids adds up both sums, each in that order.
        ids.sort_unstable();
        let (mut squares, mut dot) = (0.0f64, 0.0f64);
        let mut i = 0;
        while i < ids.len() {
            let f = ids[i];
            let n = ids[i..].iter().take_while(|&&g| g == f).count();
            let tf = SUBLINEAR_TF[n.min(32) - 1];
            let value = tf * self.idf[f as usize];
            squares += value * value;
            dot += self.weights[f as usize] * value;
            i += n;
        }
        let norm = squares.sqrt();
        if norm == 0.0 {
            return self.bias;
        }
        self.bias + dot / norm
    }
}

// By hand, because the index is a `HashMap` whose order changes from run to run: this lists the
// same things in file order, so two compilations of one table print the same.
impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("name", &self.name)
            .field("window", &self.window)
            .field("bias", &self.bias)
            .field("threshold", &self.threshold)
            .field("features", &self.features)
            .field("idf", &self.idf)
            .field("weights", &self.weights)
            .finish()
    }
}

pub(crate) fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{2bc}')
}

/// Lowercased tokens as scikit-learn's `(?u)\b\w[\w']*\b` finds them, with curly apostrophes
/// read as straight ones: a word character, then word characters and apostrophes, without
/// trailing apostrophes.
#[cfg(test)]
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let (joined, spans) = tokens_joined(text);
    spans
        .iter()
        .map(|&(s, e)| joined[s..e].to_string())
        .collect()
}

/// The tokens of `text` (see [`tokens`]) written into one string, separated by single spaces,
/// with each token's range in it: one allocation instead of one per token.
fn tokens_joined(text: &str) -> (String, Vec<(usize, usize)>) {
    let mut joined = String::with_capacity(text.len());
    let mut spans = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !text::is_word_char(c) {
            continue;
        }
        // Apostrophes are taken in but only kept when a word character follows them.
        let mut word_end = start + c.len_utf8();
        while let Some(&(i, d)) = chars.peek() {
            if text::is_word_char(d) {
                word_end = i + d.len_utf8();
            } else if !is_apostrophe(d) {
                break;
            }
            chars.next();
        }
        if !spans.is_empty() {
            joined.push(' ');
        }
        let from = joined.len();
        for ch in text[start..word_end].chars() {
            if ch.is_ascii() {
                joined.push(ch.to_ascii_lowercase());
            } else if is_apostrophe(ch) {
                joined.push('\'');
            } else {
                joined.extend(ch.to_lowercase());
            }
        }
        spans.push((from, joined.len()));
    }
    (joined, spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tf_table_is_one_plus_ln() {
        for (k, v) in SUBLINEAR_TF.iter().enumerate() {
            let exact = 1.0 + ((k + 1) as f64).ln();
            assert!((v - exact).abs() < 1e-15, "k={} {v} {exact}", k + 1);
        }
    }

    #[test]
    fn tokens_follow_scikit_learns_default_pattern() {
        assert_eq!(
            tokens("I’m DONE, aren't I? 'tis rock'n'roll' x"),
            ["i'm", "done", "aren't", "i", "tis", "rock'n'roll", "x"]
        );
        assert_eq!(
            tokens("don''t  stop' _a2 émigré 😂 ok"),
            ["don''t", "stop", "_a2", "émigré", "ok"]
        );
        assert!(tokens("... !!! 😂").is_empty());
    }

    fn toy() -> Classifier {
        Classifier::parse(
            "toy",
            "gone\t2\t1.5\nfor good\t3\t2\ni\t1\t-0.5\n\n",
            -1.0,
            0.5,
            2,
        )
        .unwrap()
    }

    #[test]
    fn scores_are_tf_idf_l2_normalised_then_linear() {
        let c = toy();
        assert_eq!(c.len(), 3);
        // "i" (tf 1, idf 1), "gone" (tf 2 -> 1 + ln 2, idf 2), "for good" (1, idf 3).
        let (vi, vg, vf) = (1.0, (1.0 + 2f64.ln()) * 2.0, 3.0);
        let norm = ((vi * vi) + (vg * vg) + (vf * vf)).sqrt();
        let want = -1.0 + (-0.5 * vi + 1.5 * vg + 2.0 * vf) / norm;
        let got = c.score("I'm... no: I gone, GONE for good");
        // "i'm" is not "i"; only the bare "I" counts.
        assert!((got - want).abs() < 1e-12, "{got} {want}");
        assert_eq!(c.score("nothing here"), -1.0);
        assert_eq!(c.score(""), -1.0);
    }

    #[test]
    fn pieces_score_exactly_like_the_whole_text() {
        let c = toy();
        let pieces = ["I'm gone", "for good.", "", "... see", "you gone gone"];
        let whole = pieces.join(" ");
        let features: Vec<PieceFeatures> = pieces.iter().map(|p| c.piece_features(p)).collect();
        let refs: Vec<&PieceFeatures> = features.iter().collect();
        // Bit for bit: the same features in the same order.
        assert_eq!(c.score_pieces(&refs).to_bits(), c.score(&whole).to_bits());
        assert!(c.score(&whole) != c.bias);
    }

    #[test]
    fn bad_feature_tables_name_the_line() {
        let e = |s: &str| Classifier::parse("x", s, 0.0, 0.0, 1).unwrap_err();
        assert_eq!(
            e("a\t1\t1\nb\t1"),
            FeatureError {
                line: 1,
                message: "expected 3 tab-separated columns (feature, idf, weight), found 2".into()
            }
        );
        assert_eq!(e("\nA\t1\t1").message, "feature 'A' must be lowercase");
        assert_eq!(e("a b c\t1\t1").line, 0);
        assert_eq!(e("a\tx\t1").message, "idf 'x' is not a finite number");
        assert_eq!(e("a\t0\t1").message, "idf '0' must be positive");
        assert_eq!(
            e("a\t1\tNaN").message,
            "weight 'NaN' is not a finite number"
        );
        assert_eq!(e("a\t1\t1\na\t2\t2").message, "feature 'a' is listed twice");
        assert_eq!(
            e("\n \n").message,
            "a classifier needs at least one feature"
        );
    }
}
