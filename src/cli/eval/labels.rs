//! Gold labels: a corpus's own label spellings turned into category sets, through an optional
//! `--map FILE.tsv`.
//!
//! A mapping file has two tab-separated columns, the corpus's label and what it means: a
//! category id, `none` (the text has no self-talk) or `ignore` (the label says nothing about
//! self-talk; it is dropped). Blank lines and lines starting with `#` are skipped, and a first
//! line whose second column is not a valid target (`original_label<TAB>category`) is a header,
//! unless it is one or two letters away from a target: that is a typo, and an error.
//! Labels the map does not list may still be category ids; anything else makes the row bad.

use anyhow::{bail, Context, Result};
use kindly::Category;
use std::collections::HashMap;
use std::path::Path;

/// What a corpus label stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Category(Category),
    None,
    Ignore,
}

impl Target {
    fn parse(s: &str) -> Option<Target> {
        match s {
            "none" => Some(Target::None),
            "ignore" => Some(Target::Ignore),
            other => Category::from_id(other).map(Target::Category),
        }
    }
}

/// The index of a category in `Category::ALL`, which is also its bit in a [`Mask`].
pub(crate) fn index(c: Category) -> usize {
    Category::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

/// A set of categories, one bit per entry of `Category::ALL`.
pub(crate) type Mask = u16;

/// The category ids in a mask, in contract order.
pub(crate) fn ids(mask: Mask) -> Vec<&'static str> {
    Category::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, c)| c.id())
        .collect()
}

/// A row's gold standard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gold {
    /// Scored: the categories (empty = a negative). `conflict` is set when a label meaning
    /// `none` sat beside a category label; the categories win.
    Scored { mask: Mask, conflict: bool },
    /// Every label mapped to `ignore`: counted, but left out of the scores.
    Ignored,
}

/// The `--map` file, loaded.
#[derive(Debug, Default)]
pub(crate) struct LabelMap {
    entries: HashMap<String, Target>,
}

impl LabelMap {
    /// Reads and checks a mapping file. Errors name the file and line.
    pub(crate) fn load(path: &Path) -> Result<LabelMap> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the label map", path.display()))?;
        LabelMap::parse(&text, &path.display().to_string())
    }

    pub(crate) fn parse(text: &str, name: &str) -> Result<LabelMap> {
        // A byte-order mark (a spreadsheet saving "UTF-8 TSV") would otherwise start the first
        // label, which then never matches a corpus label.
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let mut entries: HashMap<String, Target> = HashMap::new();
        let mut first = true;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let was_first = std::mem::replace(&mut first, false);
            let mut cols = line.split('\t');
            let (Some(label), Some(target)) = (cols.next(), cols.next()) else {
                bail!(
                    "{name}:{}: expected two tab-separated columns (corpus label, then a category id, none or ignore)",
                    n + 1
                );
            };
            if cols.any(|c| !c.trim().is_empty()) {
                bail!(
                    "{name}:{}: expected two tab-separated columns (corpus label, then a category id, none or ignore), found more",
                    n + 1
                );
            }
            let (label, target) = (label.trim(), target.trim());
            let Some(parsed) = Target::parse(target) else {
                if was_first && !near_a_target(target) {
                    continue; // a header such as "original_label<TAB>category"
                }
                bail!(
                    "{name}:{}: '{target}' is not a category id, none or ignore (ids: {})",
                    n + 1,
                    Category::ALL.map(Category::id).join(", ")
                );
            };
            if label.is_empty() {
                bail!("{name}:{}: the corpus label is empty", n + 1);
            }
            if let Some(old) = entries.insert(label.to_string(), parsed) {
                if old != parsed {
                    bail!("{name}:{}: '{label}' is mapped twice, differently", n + 1);
                }
            }
        }
        Ok(LabelMap { entries })
    }

    fn get(&self, label: &str) -> Option<Target> {
        self.entries.get(label).copied()
    }
}

/// Whether `text` is at most two edits from a category id, `none` or `ignore` (ignoring case,
/// `_`, `-` and spaces): a misspelt target ("overgeneralisation") rather than a header.
fn near_a_target(text: &str) -> bool {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let text = squash(text);
    // The library's distance, in characters as before (a non-ASCII letter is one edit).
    Category::ALL
        .iter()
        .map(|c| c.id())
        .chain(["none", "ignore"])
        .any(|target| kindly::edit_distance(&text, &squash(target)) <= 2)
}

/// Turns a row's labels into its gold standard. The error names the first label that is
/// neither in the map nor a category id.
pub(crate) fn resolve(labels: &[String], map: Option<&LabelMap>) -> Result<Gold, String> {
    let mut mask: Mask = 0;
    let mut none = false;
    let mut kept = 0;
    for label in labels {
        let label = label.trim();
        let target = map
            .and_then(|m| m.get(label))
            .or_else(|| Category::from_id(label).map(Target::Category));
        match target {
            Some(Target::Category(c)) => {
                mask |= 1 << index(c);
                kept += 1;
            }
            Some(Target::None) => {
                none = true;
                kept += 1;
            }
            Some(Target::Ignore) => {}
            None => {
                return Err(if map.is_some() {
                    format!(
                        "unknown label '{label}' (not in the --map file, and not a category id)"
                    )
                } else {
                    format!("unknown label '{label}' (not a category id; give --map FILE.tsv to map a corpus's own labels)")
                })
            }
        }
    }
    if kept == 0 && !labels.is_empty() {
        return Ok(Gold::Ignored);
    }
    Ok(Gold::Scored {
        mask,
        conflict: none && mask != 0,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn labels(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn native_labels_need_no_map() {
        assert_eq!(
            resolve(&labels(&["labeling", "crisis"]), None),
            Ok(Gold::Scored {
                mask: 1 | 1 << 12,
                conflict: false
            })
        );
        assert_eq!(
            resolve(&[], None),
            Ok(Gold::Scored {
                mask: 0,
                conflict: false
            })
        );
        assert!(resolve(&labels(&["Labeling"]), None)
            .unwrap_err()
            .contains("--map"));
    }

    #[test]
    fn map_with_header_none_and_ignore() {
        let map = LabelMap::parse(
            "original_label\tcategory\n# a comment\nLabeling\tlabeling\nNot distorted\tnone\nBlaming\tignore\n",
            "m.tsv",
        )
        .unwrap();
        let m = Some(&map);
        assert_eq!(
            resolve(&labels(&["Labeling", "Blaming"]), m),
            Ok(Gold::Scored {
                mask: 1,
                conflict: false
            })
        );
        assert_eq!(resolve(&labels(&["Blaming"]), m), Ok(Gold::Ignored));
        assert_eq!(
            resolve(&labels(&["Not distorted", "Blaming"]), m),
            Ok(Gold::Scored {
                mask: 0,
                conflict: false
            })
        );
        assert_eq!(
            resolve(&labels(&["Not distorted", "Labeling"]), m),
            Ok(Gold::Scored {
                mask: 1,
                conflict: true
            })
        );
        assert!(resolve(&labels(&["Sarcasm"]), m)
            .unwrap_err()
            .contains("'Sarcasm'"));
    }

    #[test]
    fn typos_are_counted_in_characters() {
        // Two edits in characters (é for e, twice), four in bytes: a misspelt target, so an
        // error rather than a header to skip.
        let e = LabelMap::parse("x\tlébéling\n", "m.tsv").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("m.tsv:1: 'lébéling' is not a category id"),
            "{e}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_label() {
        let map = LabelMap::parse("\u{FEFF}Labeling\tlabeling\n", "m.tsv").unwrap();
        assert_eq!(
            map.get("Labeling"),
            Some(Target::Category(Category::Labeling))
        );
    }

    #[test]
    fn bad_maps_name_the_line() {
        let e = LabelMap::parse("a\tlabeling\nb\tlabelling\n", "m.tsv").unwrap_err();
        assert!(e.to_string().starts_with("m.tsv:2:"), "{e}");
        let e = LabelMap::parse("a\tlabeling\na\tnone\n", "m.tsv").unwrap_err();
        assert!(e.to_string().contains("mapped twice"), "{e}");
        let e = LabelMap::parse("just one column\n", "m.tsv").unwrap_err();
        assert!(e.to_string().starts_with("m.tsv:1:"), "{e}");
        // A misspelt target on the first line is a typo, not a header to skip.
        let e = LabelMap::parse("overgen\tovergeneralisation\n", "m.tsv").unwrap_err();
        assert_eq!(
            e.to_string().split(" (ids:").next(),
            Some("m.tsv:1: 'overgeneralisation' is not a category id, none or ignore")
        );
        let e = LabelMap::parse("Nothing\tNone_\n", "m.tsv").unwrap_err();
        assert!(e.to_string().starts_with("m.tsv:1: 'None_'"), "{e}");
        let e = LabelMap::parse("a\tlabeling\tc\n", "m.tsv").unwrap_err();
        assert!(e.to_string().starts_with("m.tsv:1: expected two"), "{e}");
        // Headers still are headers, and an empty third column is no column.
        for header in ["label\tcategory", "original\ttarget", "x\tkindly_category"] {
            let map = LabelMap::parse(&format!("{header}\nA\tlabeling\t\n"), "m.tsv").unwrap();
            assert_eq!(map.get("A"), Some(Target::Category(Category::Labeling)));
        }
    }
}
