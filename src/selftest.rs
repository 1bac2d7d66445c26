//! Every rule tests itself: its `flag` examples must give exactly the marked spans, its `pass`
//! look-alikes nothing. Shared by `cargo test`, `kindly test-rules` and any host.

use crate::engine::Engine;
use crate::error::Location;
use std::fmt;
use std::ops::Range;

/// One example that did not behave as its rule says.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExampleFailure {
    /// The rule id.
    pub rule: String,
    /// The id of the rule's pack.
    pub pack: String,
    /// Where the example is written.
    pub location: Location,
    /// True for a `flag` example, false for a `pass` look-alike.
    pub must_flag: bool,
    /// The example text with the expected spans marked `[like this]`.
    pub expected: String,
    /// The example text with the spans the rule actually found marked.
    pub found: String,
}

impl fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.must_flag {
            "flag example"
        } else {
            "pass example (must not flag)"
        };
        write!(
            f,
            "{}:{}:{}: rule '{}': {what} failed\n  expected: {}\n  found:    {}",
            self.location.file,
            self.location.line,
            self.location.column,
            self.rule,
            self.expected,
            self.found
        )
    }
}

/// The outcome of running embedded examples.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExampleReport {
    /// Rules whose examples ran.
    pub rules: usize,
    /// Examples run.
    pub examples: usize,
    /// Examples that failed.
    pub failures: Vec<ExampleFailure>,
    /// Rules not tested because this engine has them turned off (by category or id).
    pub turned_off: usize,
    /// Built-in crisis rules the engine keeps on because none of its packs has crisis rules
    /// (see [`EngineBuilder::build`](crate::EngineBuilder::build)); not tested here, since they
    /// are the built-in pack's, which its own test suite checks.
    pub kept_for_safety: usize,
}

impl ExampleReport {
    /// True when every example behaved.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

fn mark(text: &str, spans: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len() + spans.len() * 2);
    let mut last = 0;
    for s in spans {
        if s.start < last || s.end > text.len() {
            continue;
        }
        out.push_str(&text[last..s.start].replace('[', "\\[").replace(']', "\\]"));
        out.push('[');
        out.push_str(&text[s.start..s.end]);
        out.push(']');
        last = s.end;
    }
    out.push_str(&text[last..].replace('[', "\\[").replace(']', "\\]"));
    out
}

impl Engine {
    /// Runs the embedded examples of every loaded rule, or only of the packs named in
    /// `packs` when it is not empty.
    ///
    /// Each example runs through the whole pipeline with only its own rule active, so context
    /// filters are tested too; overlap resolution between rules is not involved.
    ///
    /// ```
    /// let engine = kindly::Engine::new().unwrap();
    /// let report = engine.test_examples(&[]);
    /// assert!(report.passed(), "{}", report.failures[0]);
    /// assert!(report.examples >= 4 * report.rules);
    /// ```
    pub fn test_examples(&self, packs: &[&str]) -> ExampleReport {
        let mut report = ExampleReport::default();
        for (i, rule) in self.rules_raw().iter().enumerate() {
            let pack = &self.packs_raw()[rule.pack];
            if pack.safety_net {
                report.kept_for_safety += 1;
                continue;
            }
            if !packs.is_empty() && !packs.contains(&pack.id.as_str()) {
                continue;
            }
            // A rule that is off cannot find anything, so its examples say nothing about it.
            if self.rule_is_off(i) {
                report.turned_off += 1;
                continue;
            }
            report.rules += 1;
            for (example, must_flag) in rule
                .examples_flag
                .iter()
                .map(|e| (e, true))
                .chain(rule.examples_pass.iter().map(|e| (e, false)))
            {
                report.examples += 1;
                let mut found: Vec<Range<usize>> = self
                    .candidates(&example.text, &example.text, Some(i as u32))
                    .into_iter()
                    .map(|f| f.start..f.end)
                    .collect();
                found.sort_by_key(|r| (r.start, r.end));
                found.dedup();
                if found != example.spans {
                    report.failures.push(ExampleFailure {
                        rule: rule.id.to_string(),
                        pack: pack.id.clone(),
                        location: example.location.clone(),
                        must_flag,
                        expected: mark(&example.text, &example.spans),
                        found: if found.is_empty() {
                            "(nothing)".to_string()
                        } else {
                            mark(&example.text, &found)
                        },
                    });
                }
            }
        }
        report
    }
}
