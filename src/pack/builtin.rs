//! The packs embedded in the binary, so the default needs no files.

use super::{parse_pack, ParsedPack, Resolver, SourceFile};
use crate::error::{Error, ErrorKind, Result};
use std::sync::{Arc, OnceLock};

/// Lists the files of the built-in English pack once, for both the full and the lean copy.
macro_rules! english_pack {
    ($dir:expr) => {
        english_pack!(
            $dir;
            "pack.toml",
            "labeling.toml",
            "self_attack.toml",
            "comparison.toml",
            "overgeneralization.toml",
            "all_or_nothing.toml",
            "should_statement.toml",
            "catastrophizing.toml",
            "mind_reading.toml",
            "fortune_telling.toml",
            "personalization.toml",
            "discounting_positive.toml",
            "emotional_reasoning.toml",
            "crisis.toml",
            "crisis_signs.toml",
            "crisis_net.toml",
            "crisis_net_harm.toml",
            "crisis_net_others.toml",
            "crisis_sideways.toml",
            "crisis_model.toml",
            "category_models.toml",
        )
    };
    ($dir:expr; $($file:literal),+ $(,)?) => {
        &[$((concat!("rules/en/", $file), include_str!(concat!($dir, $file)))),+]
    };
}

/// The built-in English pack as written, by path relative to the repository, main file first.
/// A test checks that this list matches the files in `rules/en/`.
#[cfg(any(test, not(feature = "lean-pack")))]
const FULL: &[(&str, &str)] = english_pack!("../../rules/en/");

/// The same files without examples, `why` notes and comments, written by `build.rs`.
#[cfg(any(test, feature = "lean-pack"))]
const LEAN: &[(&str, &str)] = english_pack!(concat!(env!("OUT_DIR"), "/lean/rules/en/"));

/// The files embedded in this build.
#[cfg(not(feature = "lean-pack"))]
pub(crate) const ENGLISH: &[(&str, &str)] = FULL;
#[cfg(feature = "lean-pack")]
pub(crate) const ENGLISH: &[(&str, &str)] = LEAN;

/// Finds included files among one set of embedded files.
struct Embedded(&'static [(&'static str, &'static str)]);

impl Resolver for Embedded {
    fn resolve(&self, main: &SourceFile, include: &str) -> std::result::Result<SourceFile, String> {
        let dir = main.name.rsplit_once('/').map_or("", |(d, _)| d);
        let wanted = format!("{dir}/{include}");
        self.0
            .iter()
            .find(|(name, _)| *name == wanted)
            .map(|(name, text)| SourceFile {
                name: (*name).to_string(),
                text: (*text).to_string(),
            })
            .ok_or_else(|| {
                format!("built-in pack file '{wanted}' is not embedded (add it to pack/builtin.rs)")
            })
    }
}

/// The embedded packs, parsed once per process.
pub(crate) fn parse_builtin() -> Result<&'static [ParsedPack]> {
    static PARSED: OnceLock<std::result::Result<Vec<ParsedPack>, Error>> = OnceLock::new();
    let parsed =
        PARSED.get_or_init(|| Ok(vec![parse_files(ENGLISH, cfg!(feature = "lean-pack"))?]));
    match parsed {
        Ok(v) => Ok(v.as_slice()),
        Err(e) => Err(e.clone()),
    }
}

/// The built-in pack with its crisis rules alone (see [`ParsedPack::safety_net`]), made once
/// per process when first needed: a copy of the pack [`parse_builtin`] parsed, cut down, so the
/// embedded TOML is not parsed a second time.
pub(crate) fn parse_builtin_crisis() -> Result<&'static ParsedPack> {
    static PARSED: OnceLock<std::result::Result<ParsedPack, Error>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        // The English pack is the only built-in one, and the one with the crisis rules.
        let mut pack = parse_builtin()?.first().cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                "no built-in pack to take the crisis rules from",
            )
        })?;
        pack.keep_only_crisis_rules();
        Ok(pack)
    });
    match parsed {
        Ok(p) => Ok(p),
        Err(e) => Err(e.clone()),
    }
}

/// Parses a pack from embedded files, the first being its main file.
fn parse_files(
    files: &'static [(&'static str, &'static str)],
    examples_stripped: bool,
) -> Result<ParsedPack> {
    let (name, text) = files.first().copied().unwrap_or_default();
    let main = SourceFile {
        name: name.to_string(),
        text: text.to_string(),
    };
    let mut pack = parse_pack(main, &Embedded(files))?;
    pack.examples_stripped = examples_stripped;
    Ok(pack)
}

/// The English context cues, compiled once; packs in English without their own `[context]`
/// share them.
pub(crate) fn english_cues() -> Result<Arc<super::Cues>> {
    static CUES: OnceLock<std::result::Result<Arc<super::Cues>, Error>> = OnceLock::new();
    CUES.get_or_init(|| {
        let packs = parse_builtin()?;
        let ctx = packs
            .first()
            .and_then(|p| p.files.first())
            .and_then(|(_, f)| f.context.as_ref())
            .ok_or_else(|| {
                Error::new(ErrorKind::Invalid, "built-in English pack lacks [context]")
            })?;
        super::Cues::compile(ctx.get_ref())
            .map(Arc::new)
            .map_err(|m| Error::new(ErrorKind::BadRegex, m).in_file("rules/en/pack.toml"))
    })
    .clone()
}

/// Names and contents of the embedded files (for tests and `kindly rules --files`).
pub fn files() -> impl Iterator<Item = (&'static str, &'static str)> {
    ENGLISH.iter().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::{compile, is_crisis_spec, Compiled, Rule};
    use std::collections::BTreeMap;

    fn compiled(files: &'static [(&'static str, &'static str)], stripped: bool) -> Compiled {
        let pack = parse_files(files, stripped).unwrap();
        let cues = BTreeMap::from([("en".to_string(), english_cues().unwrap())]);
        compile(&[(&pack, false)], &cues).unwrap()
    }

    /// Everything about a rule that decides what it finds and says: all but its examples, its
    /// `why` note and its location (lines move in the lean copy). No `..`, so a new field of
    /// `Rule` has to be sorted into one group or the other here.
    fn behaviour(rule: &Rule) -> String {
        let Rule {
            id,
            pack,
            category,
            severity,
            confidence,
            tier,
            urgent,
            pattern,
            pattern_source,
            classifier,
            capture_names,
            triggers,
            message,
            why: _,
            policy,
            exceptions,
            exception_each,
            requires,
            followed_by,
            not_followed_by,
            preceded_by,
            not_preceded_by,
            reframes,
            examples_flag: _,
            examples_pass: _,
            location: _,
        } = rule;
        format!(
            "{:?}",
            (
                (id, pack, category, severity, confidence, tier, urgent),
                (pattern, pattern_source, capture_names, triggers, message),
                classifier,
                (policy, exceptions, exception_each, requires),
                (followed_by, not_followed_by, preceded_by, not_preceded_by),
                reframes,
            )
        )
    }

    #[test]
    fn the_lean_pack_compiles_to_the_same_rules() {
        let full = compiled(FULL, false);
        let lean = compiled(LEAN, true);
        assert_eq!(full.rules.len(), lean.rules.len());
        for (f, l) in full.rules.iter().zip(&lean.rules) {
            assert_eq!(behaviour(f), behaviour(l), "rule {}", f.id);
            assert!(f.examples_flag.len() >= 2 && f.examples_pass.len() >= 2);
            assert!(l.examples_flag.is_empty() && l.examples_pass.is_empty() && l.why.is_none());
        }
        assert_eq!(format!("{:?}", full.packs), format!("{:?}", lean.packs));
        assert_eq!(full.literals, lean.literals);
        assert_eq!(full.literal_rules, lean.literal_rules);
        // The context cues too (the compiled packs above share the process-wide ones).
        let context = |files| {
            let pack = parse_files(files, false).unwrap();
            let cues = pack.files[0]
                .1
                .context
                .as_ref()
                .map(|c| format!("{:?}", c.get_ref()));
            cues.unwrap()
        };
        assert_eq!(context(FULL), context(LEAN));
    }

    #[test]
    fn the_lean_pack_has_no_examples_notes_or_comments() {
        assert_eq!(
            FULL.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            LEAN.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
        for (name, text) in LEAN {
            for line in text.lines() {
                let line = line.trim_start();
                assert!(
                    !line.starts_with('#')
                        && !line.starts_with("why =")
                        && !line.starts_with("[rule.examples]")
                        && !line.starts_with("authors ="),
                    "{name}: {line}"
                );
            }
        }
        let size = |files: &[(&str, &str)]| files.iter().map(|(_, t)| t.len()).sum::<usize>();
        assert!(
            size(LEAN) < size(FULL) * 4 / 5,
            "{} vs {}",
            size(LEAN),
            size(FULL)
        );
    }

    /// The safety net is a cut-down copy: the parsed built-in pack keeps all its rules, and
    /// the copy keeps exactly its crisis rules.
    #[test]
    fn the_crisis_copy_leaves_the_builtin_pack_whole() {
        let rules = |pack: &ParsedPack| -> Vec<(String, bool)> {
            pack.files
                .iter()
                .flat_map(|(_, f)| &f.rules)
                .map(|r| {
                    (
                        r.get_ref().id.get_ref().clone(),
                        is_crisis_spec(r.get_ref()),
                    )
                })
                .collect()
        };
        let whole = rules(&parse_builtin().unwrap()[0]);
        let crisis = rules(parse_builtin_crisis().unwrap());
        assert!(
            whole.iter().any(|(_, c)| !c),
            "the built-in pack lost its other rules"
        );
        let expected: Vec<_> = whole.into_iter().filter(|(_, c)| *c).collect();
        assert!(!expected.is_empty());
        assert_eq!(crisis, expected);
        assert!(parse_builtin_crisis().unwrap().safety_net);
        assert!(!parse_builtin().unwrap()[0].safety_net);
    }

    #[test]
    fn only_the_stripped_builtin_may_lack_examples() {
        let pack = "[pack]\nid = 'p'\nversion = '1'\nlanguage = 'en'\nlicense = 'MIT'\ndescription = 'd'\n\n[[rule]]\nid = 'p.r'\ncategory = 'labeling'\nseverity = 'low'\ntriggers = ['blob']\nmessage = 'm'\n[[rule.reframe]]\ntext = 'r'\n";
        let cues = BTreeMap::from([("en".to_string(), english_cues().unwrap())]);
        let source = || SourceFile {
            name: "p.toml".into(),
            text: pack.into(),
        };
        let mut parsed = parse_pack(source(), &crate::pack::NoIncludes).unwrap();
        let err = compile(&[(&parsed, true)], &cues).err().unwrap();
        assert_eq!(err.kind(), crate::ErrorKind::Examples);
        assert_eq!(err.location().map(|l| (l.line, l.column)), Some((9, 6)));
        parsed.examples_stripped = true;
        let rules = compile(&[(&parsed, true)], &cues).unwrap().rules;
        assert_eq!(rules.len(), 1);
    }
}
