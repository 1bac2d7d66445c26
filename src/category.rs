//! The thirteen category ids of the public contract (DOMAIN.md), severities and confidence.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A kind of harsh self-talk, or `Crisis` for language that switches kindly into its safety mode.
///
/// The snake_case ids (`labeling`, `all_or_nothing`, ...) are a public contract: JSON output,
/// corpus labels and rule packs use exactly these. The order of the variants is the order in
/// which categories are listed; overlap resolution uses [`Category::precedence`] instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    /// A harsh global label for the whole self ("I'm so lazy").
    Labeling,
    /// Comparing and despairing ("everyone else has it together").
    Comparison,
    /// One event treated as a never-ending pattern ("I always mess up").
    Overgeneralization,
    /// Anything short of perfect is a total failure.
    AllOrNothing,
    /// Rigid rules about how one should be ("I should be over this by now").
    ShouldStatement,
    /// A setback blown up into disaster.
    Catastrophizing,
    /// Asserting that others think badly of oneself, without evidence.
    MindReading,
    /// Predicting a bad personal outcome as if certain.
    FortuneTelling,
    /// Taking excessive responsibility for what is outside one's control.
    Personalization,
    /// Rejecting or shrinking a positive experience.
    DiscountingPositive,
    /// Treating a feeling as proof of a fact.
    EmotionalReasoning,
    /// Insults, contemptuous commands or self-hatred aimed at oneself.
    SelfAttack,
    /// Suicide, self-harm or related language: no reframes, a calm support message instead.
    Crisis,
}

impl Category {
    /// Every category, in contract order.
    pub const ALL: [Category; 13] = [
        Category::Labeling,
        Category::Comparison,
        Category::Overgeneralization,
        Category::AllOrNothing,
        Category::ShouldStatement,
        Category::Catastrophizing,
        Category::MindReading,
        Category::FortuneTelling,
        Category::Personalization,
        Category::DiscountingPositive,
        Category::EmotionalReasoning,
        Category::SelfAttack,
        Category::Crisis,
    ];

    /// The contract id, e.g. `"all_or_nothing"`.
    ///
    /// ```
    /// use kindly::Category;
    /// assert_eq!(Category::AllOrNothing.id(), "all_or_nothing");
    /// assert_eq!(Category::from_id("mind_reading"), Some(Category::MindReading));
    /// assert_eq!(Category::from_id("labelling"), None);
    /// ```
    pub fn id(self) -> &'static str {
        match self {
            Category::Labeling => "labeling",
            Category::Comparison => "comparison",
            Category::Overgeneralization => "overgeneralization",
            Category::AllOrNothing => "all_or_nothing",
            Category::ShouldStatement => "should_statement",
            Category::Catastrophizing => "catastrophizing",
            Category::MindReading => "mind_reading",
            Category::FortuneTelling => "fortune_telling",
            Category::Personalization => "personalization",
            Category::DiscountingPositive => "discounting_positive",
            Category::EmotionalReasoning => "emotional_reasoning",
            Category::SelfAttack => "self_attack",
            Category::Crisis => "crisis",
        }
    }

    /// Parses a contract id. Exact match only: ids are a contract, not a guess.
    pub fn from_id(id: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.id() == id)
    }

    /// A gentle, human name for the category, used in human output instead of a clinical label
    /// (DOMAIN.md principle 1: the tool must not do what it is trying to undo).
    pub fn gentle_name(self) -> &'static str {
        match self {
            Category::Labeling => "harsh label",
            Category::Comparison => "comparing and despairing",
            Category::Overgeneralization => "always-or-never thinking",
            Category::AllOrNothing => "all-or-nothing thinking",
            Category::ShouldStatement => "a hard 'should'",
            Category::Catastrophizing => "worst-case thinking",
            Category::MindReading => "guessing what others think",
            Category::FortuneTelling => "predicting the worst",
            Category::Personalization => "carrying all the blame",
            Category::DiscountingPositive => "brushing off the good",
            Category::EmotionalReasoning => "a feeling taken as proof",
            Category::SelfAttack => "harsh self-talk",
            Category::Crisis => "support",
        }
    }

    /// Rank for choosing one primary category when findings overlap (lower wins), following
    /// DOMAIN.md section 5: crisis first, then self_attack > labeling > catastrophizing > ...
    pub fn precedence(self) -> u8 {
        match self {
            Category::Crisis => 0,
            Category::SelfAttack => 1,
            Category::Labeling => 2,
            Category::Catastrophizing => 3,
            Category::EmotionalReasoning => 4,
            Category::Overgeneralization => 5,
            Category::AllOrNothing => 6,
            Category::Comparison => 7,
            Category::MindReading => 8,
            Category::FortuneTelling => 9,
            Category::Personalization => 10,
            Category::DiscountingPositive => 11,
            Category::ShouldStatement => 12,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// How harsh a finding is. `Crisis` is reserved for the crisis category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Mild, hedged, past-episodic or behaviour-specific.
    Low,
    /// A clear distortion.
    Moderate,
    /// Global, identity-level or contemptuous.
    High,
    /// Safety mode: overrides everything else.
    Crisis,
}

impl Severity {
    /// The lowercase id used in packs and JSON.
    pub fn id(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Moderate => "moderate",
            Severity::High => "high",
            Severity::Crisis => "crisis",
        }
    }

    /// Parses `low`, `moderate`, `high` or `crisis`.
    pub fn from_id(id: &str) -> Option<Severity> {
        [
            Severity::Low,
            Severity::Moderate,
            Severity::High,
            Severity::Crisis,
        ]
        .into_iter()
        .find(|s| s.id() == id)
    }

    pub(crate) fn level(self) -> i8 {
        match self {
            Severity::Low => 1,
            Severity::Moderate => 2,
            Severity::High => 3,
            Severity::Crisis => 4,
        }
    }

    pub(crate) fn from_level(level: i8) -> Severity {
        match level {
            i8::MIN..=1 => Severity::Low,
            2 => Severity::Moderate,
            _ => Severity::High,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// How sure the match is, kept apart from severity (how harsh it is).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// A plausible reading among others (e.g. subjectless diary fragments).
    Low,
    /// Usually right.
    Medium,
    /// The wording leaves little doubt.
    High,
}

impl Confidence {
    /// The lowercase id used in packs and JSON.
    pub fn id(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// Parses `low`, `medium` or `high`.
    pub fn from_id(id: &str) -> Option<Confidence> {
        [Confidence::Low, Confidence::Medium, Confidence::High]
            .into_iter()
            .find(|c| c.id() == id)
    }
}

/// The crisis tier of a crisis rule (DOMAIN.md sections 2.1 and 2.5).
///
/// Two kinds of safety language share the `crisis` category: suicide and self-harm (tiers `a`,
/// `b` and `someone-else`) and disclosures of abuse (tier `abuse`). Neither is ever a thinking
/// trap; both replace reframes with a support message.
///
/// The variants are declared most urgent first, so `Ord` orders tiers by urgency. More tiers
/// may be added (`abuse` was), so a `match` on a tier needs a `_` arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CrisisTier {
    /// Explicit: wish to die, intent, plan, self-harm, goodbye language. Whole-entry takeover.
    A,
    /// The writer describes being hit, forced, threatened or controlled by someone ("he hits me
    /// when I'm late"). Whole-entry takeover like tier A, with an acknowledgement and abuse
    /// resources instead of suicide lines (DOMAIN.md section 2.5).
    Abuse,
    /// Possible: passive, ambiguous or flippant wording, past attempts. A soft check-in.
    B,
    /// Crisis language about someone else ("my friend said she wants to die").
    SomeoneElse,
}

impl CrisisTier {
    /// Every tier, most urgent first.
    pub const ALL: [CrisisTier; 4] = [
        CrisisTier::A,
        CrisisTier::Abuse,
        CrisisTier::B,
        CrisisTier::SomeoneElse,
    ];

    /// The id used in packs and JSON: `a`, `b`, `someone-else` or `abuse`.
    ///
    /// ```
    /// use kindly::CrisisTier;
    /// assert_eq!(CrisisTier::Abuse.id(), "abuse");
    /// assert_eq!(CrisisTier::from_id("someone-else"), Some(CrisisTier::SomeoneElse));
    /// ```
    pub fn id(self) -> &'static str {
        match self {
            CrisisTier::A => "a",
            CrisisTier::B => "b",
            CrisisTier::SomeoneElse => "someone-else",
            CrisisTier::Abuse => "abuse",
        }
    }

    /// Parses `a`, `b`, `someone-else` or `abuse`.
    pub fn from_id(id: &str) -> Option<CrisisTier> {
        CrisisTier::ALL.into_iter().find(|t| t.id() == id)
    }

    /// True for the tiers that set aside every reframe and note in the whole entry (`a` and
    /// `abuse`); `b` and `someone-else` set aside only their own sentences.
    pub fn whole_entry(self) -> bool {
        matches!(self, CrisisTier::A | CrisisTier::Abuse)
    }

    /// Whether the tier is about suicide or self-harm (`a`, `b`, `someone-else`) rather than
    /// abuse. The support message has one part for each of the two kinds an entry holds.
    pub(crate) fn is_abuse(self) -> bool {
        self == CrisisTier::Abuse
    }

    /// Lower is more urgent: `a`, then `abuse`, then `b`, then `someone-else`. Tier A stays
    /// first because a wish to die or a plan needs its emergency number before anything else;
    /// abuse comes before `b` because it takes over the whole entry, as A does.
    pub(crate) fn urgency(self) -> u8 {
        match self {
            CrisisTier::A => 0,
            CrisisTier::Abuse => 1,
            CrisisTier::B => 2,
            CrisisTier::SomeoneElse => 3,
        }
    }
}

impl fmt::Display for CrisisTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
