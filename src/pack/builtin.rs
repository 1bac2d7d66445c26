//! The packs embedded in the binary, so the default needs no files.

use super::{parse_pack, ParsedPack, Resolver, SourceFile};
use crate::error::{Error, ErrorKind, Result};
use std::sync::{Arc, OnceLock};

/// Every file of the built-in English pack, by path relative to the repository. A test checks
/// that this list matches the files in `rules/en/`.
pub(crate) const ENGLISH: &[(&str, &str)] = &[
    (
        "rules/en/pack.toml",
        include_str!("../../rules/en/pack.toml"),
    ),
    (
        "rules/en/labeling.toml",
        include_str!("../../rules/en/labeling.toml"),
    ),
    (
        "rules/en/self_attack.toml",
        include_str!("../../rules/en/self_attack.toml"),
    ),
    (
        "rules/en/comparison.toml",
        include_str!("../../rules/en/comparison.toml"),
    ),
    (
        "rules/en/overgeneralization.toml",
        include_str!("../../rules/en/overgeneralization.toml"),
    ),
    (
        "rules/en/all_or_nothing.toml",
        include_str!("../../rules/en/all_or_nothing.toml"),
    ),
    (
        "rules/en/should_statement.toml",
        include_str!("../../rules/en/should_statement.toml"),
    ),
    (
        "rules/en/catastrophizing.toml",
        include_str!("../../rules/en/catastrophizing.toml"),
    ),
    (
        "rules/en/mind_reading.toml",
        include_str!("../../rules/en/mind_reading.toml"),
    ),
    (
        "rules/en/fortune_telling.toml",
        include_str!("../../rules/en/fortune_telling.toml"),
    ),
    (
        "rules/en/personalization.toml",
        include_str!("../../rules/en/personalization.toml"),
    ),
    (
        "rules/en/discounting_positive.toml",
        include_str!("../../rules/en/discounting_positive.toml"),
    ),
    (
        "rules/en/emotional_reasoning.toml",
        include_str!("../../rules/en/emotional_reasoning.toml"),
    ),
    (
        "rules/en/crisis.toml",
        include_str!("../../rules/en/crisis.toml"),
    ),
];

struct Embedded;

impl Resolver for Embedded {
    fn resolve(&self, main: &SourceFile, include: &str) -> std::result::Result<SourceFile, String> {
        let dir = main.name.rsplit_once('/').map_or("", |(d, _)| d);
        let wanted = format!("{dir}/{include}");
        ENGLISH
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
    let parsed = PARSED.get_or_init(|| {
        let (name, text) = ENGLISH[0];
        let main = SourceFile {
            name: name.to_string(),
            text: text.to_string(),
        };
        Ok(vec![parse_pack(main, &Embedded)?])
    });
    match parsed {
        Ok(v) => Ok(v.as_slice()),
        Err(e) => Err(e.clone()),
    }
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
