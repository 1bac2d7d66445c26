//! `--fail-under`: quality floors for CI.
//!
//! A spec is a comma-separated list of `METRIC=VALUE` (or `METRIC>=VALUE`, `METRIC<=VALUE`).
//! `=` means "at least", except for `negatives_flagged` and `crisis_false_alarms`, where
//! lower is better and `=` means "at most". A metric that is undefined on the corpus (no
//! crisis texts for `crisis_recall`, say) fails its gate: a floor nobody can check is not met.

use super::score::Scores;
use kindly::Category;
use serde::Serialize;

/// The names `--fail-under` accepts (per-category metrics are `f1.CAT`, `precision.CAT`,
/// `recall.CAT`).
pub(crate) const METRICS: &str = "f1 (= micro_f1), precision (= micro_precision), recall \
(= micro_recall), macro_f1, macro_precision, macro_recall, any_f1, any_precision, any_recall, \
crisis_recall, negatives_flagged (a share, at most), crisis_false_alarms (a count, at most), \
f1.CAT, precision.CAT, recall.CAT";

/// The direction of a bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Op {
    AtLeast,
    AtMost,
}

/// One floor (or ceiling).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Gate {
    pub metric: String,
    pub op: Op,
    pub bound: f64,
}

/// A gate, checked.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct GateResult {
    pub metric: String,
    pub op: Op,
    pub bound: f64,
    pub value: Option<f64>,
    pub ok: bool,
}

fn lower_is_better(metric: &str) -> bool {
    matches!(metric, "negatives_flagged" | "crisis_false_alarms")
}

fn canonical(metric: &str) -> String {
    match metric {
        "f1" => "micro_f1".into(),
        "precision" => "micro_precision".into(),
        "recall" => "micro_recall".into(),
        other => other.to_string(),
    }
}

/// Parses one `METRIC=VALUE` item (clap calls it once per comma-separated item).
pub(crate) fn parse(item: &str) -> Result<Gate, String> {
    let item = item.trim();
    let (metric, op, value) = if let Some((m, v)) = item.split_once(">=") {
        (m, Some(Op::AtLeast), v)
    } else if let Some((m, v)) = item.split_once("<=") {
        (m, Some(Op::AtMost), v)
    } else if let Some((m, v)) = item.split_once('=') {
        (m, None, v)
    } else {
        return Err(format!(
            "'{item}' is not METRIC=VALUE (for example 'f1=0.9,crisis_recall=1.0')"
        ));
    };
    let metric = canonical(metric.trim());
    if !known(&metric) {
        return Err(format!("unknown metric '{metric}' (metrics: {METRICS})"));
    }
    let bound: f64 = value
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("'{}' is not a number", value.trim()))?;
    // A bound no score can meet (or that every score meets) is a typo, most often a percentage:
    // said now, not after the corpus is scored.
    if metric == "crisis_false_alarms" {
        if bound < 0.0 {
            return Err(format!(
                "crisis_false_alarms is a count of texts; {bound} is below 0"
            ));
        }
    } else if !(0.0..=1.0).contains(&bound) {
        let hint = if (5.0..=100.0).contains(&bound) {
            format!(" ({metric}={} for {bound}%?)", bound / 100.0)
        } else {
            String::new()
        };
        return Err(format!(
            "{metric} is a share from 0 to 1, so {bound} is out of range{hint}"
        ));
    }
    let op = op.unwrap_or(if lower_is_better(&metric) {
        Op::AtMost
    } else {
        Op::AtLeast
    });
    Ok(Gate { metric, op, bound })
}

fn known(metric: &str) -> bool {
    if let Some((kind, cat)) = metric.split_once('.') {
        return matches!(kind, "f1" | "precision" | "recall") && Category::from_id(cat).is_some();
    }
    matches!(
        metric,
        "micro_f1"
            | "micro_precision"
            | "micro_recall"
            | "macro_f1"
            | "macro_precision"
            | "macro_recall"
            | "any_f1"
            | "any_precision"
            | "any_recall"
            | "crisis_recall"
            | "negatives_flagged"
            | "crisis_false_alarms"
    )
}

/// The value of a metric in the scores.
pub(crate) fn value(scores: &Scores, metric: &str) -> Option<f64> {
    if let Some((kind, cat)) = metric.split_once('.') {
        let c = scores.categories.iter().find(|c| c.category == cat)?;
        return match kind {
            "f1" => c.f1,
            "precision" => c.precision,
            "recall" => c.recall,
            _ => None,
        };
    }
    match metric {
        "micro_f1" => scores.micro.f1,
        "micro_precision" => scores.micro.precision,
        "micro_recall" => scores.micro.recall,
        "macro_f1" => scores.macro_.f1,
        "macro_precision" => scores.macro_.precision,
        "macro_recall" => scores.macro_.recall,
        "any_f1" => scores.any.f1,
        "any_precision" => scores.any.precision,
        "any_recall" => scores.any.recall,
        "crisis_recall" => scores.crisis.recall,
        "negatives_flagged" => scores.any.negatives_flagged_rate,
        "crisis_false_alarms" => Some(scores.crisis.false_alarms as f64),
        _ => None,
    }
}

/// Checks every gate on the unrounded figures, with a tolerance of 1e-9 for floating-point
/// noise (so `crisis_recall=1.0` passes at 32/32).
pub(crate) fn check(gates: &[Gate], scores: &Scores) -> Vec<GateResult> {
    gates
        .iter()
        .map(|g| {
            let value = value(scores, &g.metric);
            let ok = value.is_some_and(|v| match g.op {
                Op::AtLeast => v + 1e-9 >= g.bound,
                Op::AtMost => v - 1e-9 <= g.bound,
            });
            GateResult {
                metric: g.metric.clone(),
                op: g.op,
                bound: g.bound,
                value,
                ok,
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert_eq!(
            parse("f1=0.9"),
            Ok(Gate {
                metric: "micro_f1".into(),
                op: Op::AtLeast,
                bound: 0.9
            })
        );
        assert_eq!(parse("negatives_flagged=0.03").unwrap().op, Op::AtMost);
        assert_eq!(parse("recall.crisis>=1").unwrap().op, Op::AtLeast);
        assert_eq!(parse(" macro_f1 <= 0.5 ").unwrap().op, Op::AtMost);
        assert!(parse("f2=0.9").unwrap_err().contains("unknown metric"));
        assert!(parse("f1.labelling=0.9").is_err());
        assert!(parse("f1=high").unwrap_err().contains("not a number"));
        assert!(parse("f1").is_err());
        assert_eq!(
            parse("f1=2").unwrap_err(),
            "micro_f1 is a share from 0 to 1, so 2 is out of range"
        );
        assert_eq!(
            parse("precision=90").unwrap_err(),
            "micro_precision is a share from 0 to 1, so 90 is out of range (micro_precision=0.9 \
             for 90%?)"
        );
        assert_eq!(
            parse("recall.labeling>=-0.1").unwrap_err(),
            "recall.labeling is a share from 0 to 1, so -0.1 is out of range"
        );
        assert!(parse("negatives_flagged=1.5").is_err());
        assert!(parse("crisis_false_alarms=-1").is_err());
        assert_eq!(parse("crisis_false_alarms=3").unwrap().bound, 3.0);
        assert_eq!(parse("crisis_recall=1").unwrap().bound, 1.0);
    }
}
