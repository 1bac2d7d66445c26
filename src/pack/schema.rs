//! The TOML schema of a rule pack, as serde structs.
//!
//! Everything is `deny_unknown_fields` and kebab-case, so a typo in a key is an error that
//! names the line, never a silently ignored setting. Values that need a located semantic check
//! later (ids, categories, regexes, examples) are kept `Spanned`.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// One TOML file of a pack: `pack.toml` carries `[pack]` and the shared tables; other files of a
/// pack folder carry only rules (and may add lexicons and behaviours).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct PackFile {
    pub pack: Option<Spanned<PackMeta>>,
    #[serde(default)]
    pub lexicons: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    /// Named regex fragments that patterns can use as `{name}`, like lexicons.
    #[serde(default)]
    pub fragments: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    pub behaviors: BTreeMap<String, Spanned<String>>,
    /// Learned classifiers that rules can use as `classifier = "name"` (see classifier.rs).
    #[serde(default)]
    pub classifiers: BTreeMap<String, Spanned<ClassifierSpec>>,
    pub context: Option<Spanned<ContextCues>>,
    pub support: Option<Spanned<SupportSection>>,
    #[serde(default)]
    pub reframes: BTreeMap<String, Spanned<Vec<Spanned<ReframeSpec>>>>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Spanned<RuleSpec>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct PackMeta {
    pub id: Spanned<String>,
    pub version: String,
    pub language: Spanned<String>,
    pub license: String,
    pub description: String,
    /// Other files of the pack, relative to this one (pack folders list their rule files here
    /// so that the load order is explicit and deterministic).
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    /// Informational: accepted so packs can credit their authors and link a home page.
    #[serde(default)]
    #[allow(dead_code)]
    pub authors: Vec<String>,
    #[allow(dead_code)]
    pub homepage: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RuleSpec {
    pub id: Spanned<String>,
    pub category: Spanned<String>,
    pub severity: Spanned<String>,
    pub confidence: Option<Spanned<String>>,
    pub tier: Option<Spanned<String>>,
    #[serde(default)]
    pub urgent: bool,
    pub triggers: Spanned<Vec<Spanned<String>>>,
    pub pattern: Option<Spanned<String>>,
    /// A `[classifiers.NAME]` of the pack, instead of a pattern.
    pub classifier: Option<Spanned<String>>,
    pub message: Spanned<String>,
    pub why: Option<String>,
    pub context: Option<Spanned<ContextPolicySpec>>,
    #[serde(default, rename = "reframe")]
    pub reframes: Vec<Spanned<ReframeSpec>>,
    pub examples: Option<Spanned<ExamplesSpec>>,
}

/// A `[classifiers.NAME]` table: a linear model over TF-IDF word features.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ClassifierSpec {
    /// Sentences on each side of the candidate sentence scored with it (0 to 10).
    pub window: Spanned<usize>,
    pub bias: f64,
    /// The score (a logit) at which a sentence is kept.
    pub threshold: f64,
    /// `feature<TAB>idf<TAB>weight`, one per line.
    pub features: Spanned<String>,
}

/// Whether a context filter drops a candidate.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Switch {
    Cancel,
    Ignore,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum QuestionSwitch {
    /// Genuine yes/no questions ("Am I lazy?") are dropped; rhetorical wh-questions stay.
    SkipYesNo,
    /// Any question is dropped.
    SkipAll,
    Ignore,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum FirstPerson {
    Required,
    Any,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ContextPolicySpec {
    pub negation: Option<Switch>,
    pub past_belief: Option<Switch>,
    pub reported_speech: Option<Switch>,
    pub quotes: Option<Switch>,
    pub questions: Option<QuestionSwitch>,
    pub hypothetical: Option<Switch>,
    pub retraction: Option<Switch>,
    pub first_person: Option<FirstPerson>,
    pub window: Option<Spanned<usize>>,
    /// How many sentences before the match `preceded-by`, `not-preceded-by` and `requires`
    /// also see (DOMAIN.md §4.10 look-back; 0 to 3).
    pub look_back: Option<Spanned<usize>>,
    #[serde(default)]
    pub exceptions: Vec<Spanned<String>>,
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    /// Regexes tried on the rest of the sentence after the match (anchor with `^`).
    pub followed_by: Option<Spanned<String>>,
    pub not_followed_by: Option<Spanned<String>>,
    /// Regexes tried on the sentence before the match (anchor with `$`).
    pub preceded_by: Option<Spanned<String>>,
    pub not_preceded_by: Option<Spanned<String>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ReframeSpec {
    pub text: Spanned<String>,
    #[serde(default)]
    pub rewrite: bool,
    #[serde(default)]
    pub poles: Vec<Spanned<String>>,
    /// Offered only when the flagged words contain one of these words or phrases.
    #[serde(default)]
    pub when: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ExamplesSpec {
    #[serde(default)]
    pub flag: Vec<Spanned<String>>,
    #[serde(default)]
    pub pass: Vec<Spanned<String>>,
}

/// Language cues shared by every rule of a language (DOMAIN.md section 4). Each list is a
/// lexicon: phrases, where a straight apostrophe matches any apostrophe or none.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ContextCues {
    pub negation: Vec<String>,
    pub pseudo_negation: Vec<String>,
    pub embedding_negation: Vec<String>,
    pub clause_breaks: Vec<String>,
    pub past_belief: Vec<String>,
    pub communication: Vec<String>,
    pub communication_after: Vec<String>,
    pub attribution: Vec<String>,
    pub first_person: Vec<String>,
    pub hedges: Vec<String>,
    pub intensifiers: Vec<String>,
    pub softeners: Vec<String>,
    pub retractions: Vec<String>,
    pub yes_no_openers: Vec<String>,
    pub hypothetical: Vec<String>,
    pub past_episode: Vec<String>,
    pub feeling_frame: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct SupportSection {
    pub default_locale: Spanned<String>,
    pub locales: BTreeMap<String, SupportLocale>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct SupportLocale {
    pub tier_a: String,
    pub tier_b: String,
    pub someone_else: String,
    pub resources: Vec<ResourceSpec>,
    /// Message for abuse disclosures (tier `abuse`). Optional, so packs written before the tier
    /// existed still load; without it the engine shows a short neutral fallback.
    pub abuse: Option<String>,
    /// Resources for abuse disclosures; without them, this locale's emergency resources.
    pub abuse_resources: Option<Vec<ResourceSpec>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ResourceSpec {
    pub name: String,
    pub contact: String,
    pub region: Option<String>,
    #[serde(default)]
    pub emergency: bool,
}
