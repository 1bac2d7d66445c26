//! The server's settings: parsed strictly from JSON (an unknown key or a wrong value is an
//! error with a message, never a silent default), layered, and turned into an engine.
//!
//! Layers, later ones winning field by field: the command line (`kindly --pack … lsp`), then
//! `initializationOptions`, then the latest `workspace/didChangeConfiguration` (or
//! `workspace/configuration` answer), then what the user chose in this session through code
//! actions ("Turn off …"). Category switches add up across layers; crisis is always on.

use kindly::{Category, Engine, EngineBuilder, Severity};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The settings keys, in the order the README lists them.
const KEYS: [&str; 8] = [
    "enabledCategories",
    "disabledCategories",
    "disabledRules",
    "minimumSeverity",
    "packs",
    "builtinPacks",
    "locale",
    "maxReframes",
];

/// One layer of settings: `None` leaves the field to the layers below.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Only these categories (crisis stays on regardless).
    pub enabled_categories: Option<BTreeSet<Category>>,
    /// These categories off.
    pub disabled_categories: Option<BTreeSet<Category>>,
    /// These rules off, by id (crisis rules cannot be; the engine refuses them and unknown ids).
    pub disabled_rules: Option<BTreeSet<String>>,
    /// Hide findings below this severity (crisis is always shown).
    pub minimum_severity: Option<Severity>,
    /// Extra packs, after the command line's `--pack`s.
    pub packs: Option<Vec<PathBuf>>,
    /// Whether the built-in packs are loaded.
    pub builtin_packs: Option<bool>,
    /// Locale of the support resources.
    pub locale: Option<String>,
    /// Reframes per finding, 1 to 3.
    pub max_reframes: Option<u8>,
}

impl Settings {
    /// Parses a settings object. A `{"kindly": {...}}` wrapper (the usual shape of
    /// `didChangeConfiguration` settings) is unwrapped; `null` is an empty layer.
    ///
    /// # Errors
    /// A message naming the key and saying what was expected. Values from the user's settings
    /// are not echoed beyond category and severity ids.
    pub(crate) fn parse(value: &Value) -> Result<Settings, String> {
        let value = match value {
            Value::Object(map) if map.contains_key("kindly") => &map["kindly"],
            other => other,
        };
        let map = match value {
            Value::Null => return Ok(Settings::default()),
            Value::Object(map) => map,
            other => {
                return Err(format!(
                    "the settings must be an object, not {}",
                    type_name(other)
                ))
            }
        };
        if let Some(key) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!(
                "unknown setting '{}' (known settings: {})",
                printable(key),
                KEYS.join(", ")
            ));
        }
        let mut s = Settings {
            enabled_categories: categories(map, "enabledCategories", false)?,
            disabled_categories: categories(map, "disabledCategories", true)?,
            disabled_rules: rule_ids(map, "disabledRules")?,
            ..Settings::default()
        };
        if let Some(v) = present(map, "minimumSeverity") {
            let id = v.as_str().ok_or_else(|| {
                format!(
                    "minimumSeverity must be one of \"low\", \"moderate\", \"high\", not {}",
                    type_name(v)
                )
            })?;
            s.minimum_severity = match Severity::from_id(id) {
                Some(sev) if sev != Severity::Crisis => Some(sev),
                _ => {
                    return Err(format!(
                        "minimumSeverity: unknown severity '{}' (expected low, moderate or high)",
                        printable(id)
                    ))
                }
            };
        }
        if let Some(v) = present(map, "packs") {
            let list = v
                .as_array()
                .ok_or_else(|| format!("packs must be a list of paths, not {}", type_name(v)))?;
            let mut packs = Vec::with_capacity(list.len());
            for item in list {
                match item.as_str() {
                    Some(p) if !p.trim().is_empty() => packs.push(PathBuf::from(p)),
                    Some(_) => return Err("packs: a path is empty".to_string()),
                    None => {
                        return Err(format!(
                            "packs must be a list of paths; found {}",
                            type_name(item)
                        ))
                    }
                }
            }
            s.packs = Some(packs);
        }
        if let Some(v) = present(map, "builtinPacks") {
            s.builtin_packs = Some(v.as_bool().ok_or_else(|| {
                format!("builtinPacks must be true or false, not {}", type_name(v))
            })?);
        }
        if let Some(v) = present(map, "locale") {
            let locale = v
                .as_str()
                .ok_or_else(|| format!("locale must be a string, not {}", type_name(v)))?;
            s.locale = Some(locale.to_string());
        }
        if let Some(v) = present(map, "maxReframes") {
            match v.as_u64() {
                Some(n @ 1..=3) => s.max_reframes = u8::try_from(n).ok(),
                _ => return Err("maxReframes must be 1, 2 or 3".to_string()),
            }
        }
        Ok(s)
    }

    /// Overrides every field that `other` sets (typos-style layering).
    pub(crate) fn update(&mut self, other: &Settings) {
        fn set<T: Clone>(dst: &mut Option<T>, src: &Option<T>) {
            if src.is_some() {
                dst.clone_from(src);
            }
        }
        set(&mut self.enabled_categories, &other.enabled_categories);
        set(&mut self.disabled_categories, &other.disabled_categories);
        set(&mut self.disabled_rules, &other.disabled_rules);
        set(&mut self.minimum_severity, &other.minimum_severity);
        set(&mut self.packs, &other.packs);
        set(&mut self.builtin_packs, &other.builtin_packs);
        set(&mut self.locale, &other.locale);
        set(&mut self.max_reframes, &other.max_reframes);
    }
}

/// Whether `value` holds only other servers' settings: an object with no `kindly` key whose
/// keys are neither kindly settings nor close to one (a typo such as `minimumSeverty` is still
/// an error). Emacs's Eglot sends every server the whole `eglot-workspace-configuration`
/// (`{"pylsp": {...}, "rust-analyzer": {...}}`); like other servers, kindly reads its own
/// section and takes the absence of one as no settings.
pub(crate) fn only_other_sections(value: &Value) -> bool {
    let Value::Object(map) = value else {
        return false;
    };
    !map.is_empty()
        && !map.contains_key("kindly")
        && map
            .keys()
            .all(|k| !KEYS.contains(&k.as_str()) && kindly::closest_ids(k, &KEYS).is_empty())
}

/// What the user turned off in this session through code actions: the top layer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SessionOff {
    pub categories: BTreeSet<Category>,
    pub rules: BTreeSet<String>,
}

/// What the command line gave `kindly lsp`: the bottom layer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Base {
    pub packs: Vec<PathBuf>,
    pub builtin_packs: bool,
    pub disabled: BTreeSet<Category>,
    pub disabled_rules: BTreeSet<String>,
    pub locale: Option<String>,
}

/// Everything that decides how the engine is built; the engine is rebuilt only when it changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EngineKey {
    pub packs: Vec<PathBuf>,
    pub builtin_packs: bool,
    pub disabled: BTreeSet<Category>,
    pub disabled_rules: BTreeSet<String>,
    pub locale: Option<String>,
    pub max_reframes: Option<u8>,
}

impl EngineKey {
    /// Combines the base, the resolved settings and what the session switched off.
    /// Relative pack paths (and `~/`) are resolved against `root` (the workspace folder).
    pub(crate) fn new(
        base: &Base,
        settings: &Settings,
        session: &SessionOff,
        root: Option<&Path>,
    ) -> EngineKey {
        let mut disabled = base.disabled.clone();
        if let Some(enabled) = &settings.enabled_categories {
            disabled.extend(Category::ALL.into_iter().filter(|c| !enabled.contains(c)));
        }
        if let Some(off) = &settings.disabled_categories {
            disabled.extend(off.iter().copied());
        }
        disabled.extend(session.categories.iter().copied());
        // Crisis language is always caught, whatever the layers say.
        disabled.remove(&Category::Crisis);
        let mut disabled_rules = base.disabled_rules.clone();
        disabled_rules.extend(settings.disabled_rules.iter().flatten().cloned());
        disabled_rules.extend(session.rules.iter().cloned());
        let mut packs = base.packs.clone();
        packs.extend(settings.packs.iter().flatten().map(|p| resolve(p, root)));
        EngineKey {
            packs,
            builtin_packs: settings.builtin_packs.unwrap_or(base.builtin_packs),
            disabled,
            disabled_rules,
            locale: settings.locale.clone().or_else(|| base.locale.clone()),
            max_reframes: settings.max_reframes,
        }
    }

    /// Builds the engine.
    ///
    /// # Errors
    /// The pack error, located (`file:line:column: rule '…': …`).
    pub(crate) fn build(&self) -> Result<Engine, kindly::Error> {
        let mut builder = EngineBuilder::new();
        builder.builtin_packs(self.builtin_packs);
        for pack in &self.packs {
            builder.add_pack_path(pack);
        }
        for category in &self.disabled {
            builder.disable_category(*category);
        }
        for id in &self.disabled_rules {
            builder.disable_rule(id);
        }
        if let Some(locale) = &self.locale {
            builder.locale(locale);
        }
        if let Some(n) = self.max_reframes {
            builder.max_reframes(usize::from(n));
        }
        builder.build()
    }
}

/// `~/x` is under the home folder; a relative path is under the workspace root when there is
/// one (else the server's working directory, where the editor started it).
fn resolve(path: &Path, root: Option<&Path>) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~") {
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            return PathBuf::from(home).join(rest);
        }
    }
    match root {
        Some(root) if path.is_relative() => root.join(path),
        _ => path.to_path_buf(),
    }
}

/// The value of `key` unless absent or `null` (`null` means "not set", as in VS Code settings).
fn present<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null())
}

/// The strings of a list setting (`what` names its items in messages), or `None` when unset.
fn string_list<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<Option<Vec<&'a str>>, String> {
    let Some(v) = present(map, key) else {
        return Ok(None);
    };
    let list = v
        .as_array()
        .ok_or_else(|| format!("{key} must be a list of {what}, not {}", type_name(v)))?;
    list.iter()
        .map(|item| {
            item.as_str()
                .ok_or_else(|| format!("{key} must be a list of {what}; found {}", type_name(item)))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn categories(
    map: &Map<String, Value>,
    key: &str,
    disabling: bool,
) -> Result<Option<BTreeSet<Category>>, String> {
    let Some(list) = string_list(map, key, "category ids")? else {
        return Ok(None);
    };
    let mut out = BTreeSet::new();
    for id in list {
        match Category::from_id(id.trim()) {
            Some(Category::Crisis) if disabling => {
                return Err(format!(
                    "{key}: the crisis category cannot be turned off: crisis language is always \
                     caught, so a support message can be shown"
                ))
            }
            Some(c) => {
                out.insert(c);
            }
            None => {
                // Crisis is not offered where categories are turned off: it cannot be.
                let ids: Vec<&str> = Category::ALL
                    .iter()
                    .filter(|c| !disabling || **c != Category::Crisis)
                    .map(|c| c.id())
                    .collect();
                return Err(format!(
                    "{key}: unknown category '{}'{} (valid ids: {})",
                    printable(id),
                    super::super::args::closest_category(id, &ids),
                    ids.join(", ")
                ));
            }
        }
    }
    Ok(Some(out))
}

/// A list of rule ids. Whether each exists (and is not a crisis rule) is the engine's to say,
/// once the packs are loaded.
fn rule_ids(map: &Map<String, Value>, key: &str) -> Result<Option<BTreeSet<String>>, String> {
    let Some(list) = string_list(map, key, "rule ids")? else {
        return Ok(None);
    };
    let mut out = BTreeSet::new();
    for id in list.into_iter().map(str::trim) {
        if id.is_empty() {
            return Err(format!("{key}: a rule id is empty"));
        }
        out.insert(id.to_string());
    }
    Ok(Some(out))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A setting name or id as typed, shortened and without control characters, for messages.
pub(crate) fn printable(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn other_servers_sections_are_told_apart_from_typos() {
        assert!(only_other_sections(
            &json!({"pylsp": {"plugins": {}}, "rust-analyzer": {"check": {}}})
        ));
        assert!(!only_other_sections(&json!({"pylsp": {}, "kindly": {}})));
        assert!(!only_other_sections(
            &json!({"pylsp": {}, "minimumSeverity": "low"})
        ));
        assert!(!only_other_sections(&json!({"minimumSeverty": "low"})));
        assert!(!only_other_sections(&json!({"disabledRule": []})));
        assert!(!only_other_sections(&json!({})));
        assert!(!only_other_sections(&json!(null)));
        assert!(!only_other_sections(&json!(42)));
    }

    #[test]
    fn parses_every_key_and_unwraps_the_section() {
        let s = Settings::parse(&json!({"kindly": {
            "enabledCategories": ["labeling", "comparison"],
            "disabledCategories": ["comparison"],
            "disabledRules": ["labeling.fragment"],
            "minimumSeverity": "moderate",
            "packs": ["mine.toml"],
            "builtinPacks": false,
            "locale": "en-GB",
            "maxReframes": 2
        }}))
        .unwrap();
        assert_eq!(s.minimum_severity, Some(Severity::Moderate));
        assert_eq!(s.packs, Some(vec![PathBuf::from("mine.toml")]));
        assert_eq!((s.builtin_packs, s.max_reframes), (Some(false), Some(2)));
        let base = Base {
            builtin_packs: true,
            ..Base::default()
        };
        let key = EngineKey::new(&base, &s, &SessionOff::default(), Some(Path::new("/w")));
        assert_eq!(key.packs, vec![PathBuf::from("/w/mine.toml")]);
        assert!(!key.builtin_packs);
        assert_eq!(
            key.disabled_rules.iter().collect::<Vec<_>>(),
            ["labeling.fragment"]
        );
        // Only labeling (and crisis, always) stay on.
        let on: Vec<Category> = Category::ALL
            .into_iter()
            .filter(|c| !key.disabled.contains(c))
            .collect();
        assert_eq!(on, [Category::Labeling, Category::Crisis]);
        assert_eq!(Settings::parse(&json!(null)).unwrap(), Settings::default());
        assert_eq!(
            Settings::parse(&json!({"minimumSeverity": null})).unwrap(),
            Settings::default()
        );
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let err = |v: Value| Settings::parse(&v).unwrap_err();
        assert_eq!(
            err(json!({"disabledCategories": ["labelling"]})),
            "disabledCategories: unknown category 'labelling'; did you mean 'labeling'? (valid ids: \
             labeling, comparison, overgeneralization, all_or_nothing, should_statement, \
             catastrophizing, mind_reading, fortune_telling, personalization, \
             discounting_positive, emotional_reasoning, self_attack)"
        );
        assert_eq!(
            err(json!({"disabledCategories": ["crisis"]})),
            "disabledCategories: the crisis category cannot be turned off: crisis language is \
             always caught, so a support message can be shown"
        );
        assert_eq!(
            err(json!({"disabledCategories": "labeling"})),
            "disabledCategories must be a list of category ids, not a string"
        );
        assert_eq!(
            err(json!({"minimumSeverity": "crisis"})),
            "minimumSeverity: unknown severity 'crisis' (expected low, moderate or high)"
        );
        assert_eq!(
            err(json!({"minSeverity": "low"})),
            "unknown setting 'minSeverity' (known settings: enabledCategories, \
             disabledCategories, disabledRules, minimumSeverity, packs, builtinPacks, locale, \
             maxReframes)"
        );
        assert_eq!(
            err(json!({"maxReframes": 7})),
            "maxReframes must be 1, 2 or 3"
        );
        assert_eq!(
            err(json!([1])),
            "the settings must be an object, not a list"
        );
        assert_eq!(err(json!({"packs": [""]})), "packs: a path is empty");
        assert_eq!(
            err(json!({"disabledRules": "labeling.fragment"})),
            "disabledRules must be a list of rule ids, not a string"
        );
        assert_eq!(
            err(json!({"disabledRules": [" "]})),
            "disabledRules: a rule id is empty"
        );
        assert_eq!(
            err(json!({"packs": [3]})),
            "packs must be a list of paths; found a number"
        );
    }

    #[test]
    fn layers_override_field_by_field_and_crisis_stays_on() {
        let mut s =
            Settings::parse(&json!({"minimumSeverity": "high", "locale": "en-GB"})).unwrap();
        s.update(&Settings::parse(&json!({"minimumSeverity": "low"})).unwrap());
        assert_eq!(s.minimum_severity, Some(Severity::Low));
        assert_eq!(s.locale.as_deref(), Some("en-GB"));
        let base = Base {
            disabled: [Category::Comparison].into(),
            builtin_packs: true,
            ..Base::default()
        };
        let session = SessionOff {
            categories: [Category::Labeling].into(),
            rules: ["test.goblin".to_string()].into(),
        };
        let only_crisis = Settings::parse(&json!({"enabledCategories": []})).unwrap();
        let key = EngineKey::new(&base, &only_crisis, &session, None);
        assert!(!key.disabled.contains(&Category::Crisis));
        assert_eq!(key.disabled.len(), 12);
        let key = EngineKey::new(&base, &s, &session, None);
        assert_eq!(
            key.disabled.iter().copied().collect::<Vec<_>>(),
            [Category::Labeling, Category::Comparison]
        );
        assert_eq!(key.locale.as_deref(), Some("en-GB"));
        assert_eq!(
            key.disabled_rules.iter().collect::<Vec<_>>(),
            ["test.goblin"]
        );
    }
}
