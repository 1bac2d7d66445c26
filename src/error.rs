//! One opaque error type for everything that can go wrong while loading and compiling packs.
//!
//! Errors carry where the problem is (file, line, column), which pack and rule it belongs to,
//! and a lowercase message that says what to do. They never contain text being analysed:
//! analysis itself cannot fail.

use std::fmt;

/// What went wrong, in broad strokes. Match on it to react programmatically; show the
/// [`Error`]'s `Display` to people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read.
    Io,
    /// The TOML is malformed, has a key the schema does not know, or a value of the wrong type.
    Syntax,
    /// A rule or pack id is used twice.
    DuplicateId,
    /// A category, severity, tier or similar value is not one of the allowed ids.
    UnknownValue,
    /// A `@lexicon` or `{lexicon}` reference names no lexicon of the pack.
    UnknownLexicon,
    /// A regular expression does not compile, or would compile too large.
    BadRegex,
    /// A rule lacks its embedded examples, or an example is malformed.
    Examples,
    /// A value breaks a rule of the schema (an empty trigger, a template slot that cannot be
    /// filled, a missing fallback reframe, ...).
    Invalid,
    /// A size limit was exceeded (too many triggers, a too large pack).
    Limit,
}

/// Where in a pack file a problem is. Lines and columns are 1-based; columns count characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file name as the user gave it, or `<builtin>/en/pack.toml` for embedded packs.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// An error from loading, validating or compiling rule packs.
///
/// ```
/// use kindly::{EngineBuilder, ErrorKind};
///
/// let pack = r#"
/// [pack]
/// id = "mine"
/// version = "0.1.0"
/// language = "en"
/// license = "CC0-1.0"
/// description = "my words"
///
/// [[rule]]
/// id = "mine.oops"
/// category = "labelling"
/// severity = "moderate"
/// triggers = ["oops"]
/// message = "A gentle note."
/// "#;
/// let err = EngineBuilder::new()
///     .builtin_packs(false)
///     .add_pack_source("mine.toml", pack)
///     .build()
///     .unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::UnknownValue);
/// assert_eq!(err.rule(), Some("mine.oops"));
/// assert_eq!(err.location().map(|l| l.line), Some(11));
/// assert!(err.to_string().starts_with("mine.toml:11:12: rule 'mine.oops': unknown category 'labelling'"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Inner>);

// Boxed so that `Result<T, Error>` stays one pointer wide on the happy path.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    location: Option<Location>,
    file: Option<String>,
    pack: Option<String>,
    rule: Option<String>,
    value: Option<String>,
    message: String,
    /// Set on a duplicate pack id whose first copy is a built-in pack.
    builtin_clash: bool,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            location: None,
            file: None,
            pack: None,
            rule: None,
            value: None,
            message: message.into(),
            builtin_clash: false,
        }))
    }

    pub(crate) fn clashing_with_builtin_pack(mut self) -> Error {
        self.0.builtin_clash = true;
        self
    }

    pub(crate) fn at(mut self, location: Location) -> Error {
        self.0.file = Some(location.file.clone());
        self.0.location = Some(location);
        self
    }

    pub(crate) fn in_file(mut self, file: &str) -> Error {
        if self.0.file.is_none() {
            self.0.file = Some(file.to_string());
        }
        self
    }

    pub(crate) fn in_pack(mut self, pack: &str) -> Error {
        if self.0.pack.is_none() {
            self.0.pack = Some(pack.to_string());
        }
        self
    }

    pub(crate) fn in_rule(mut self, rule: &str) -> Error {
        if self.0.rule.is_none() && !rule.is_empty() {
            self.0.rule = Some(rule.to_string());
        }
        self
    }

    pub(crate) fn about_value(mut self, value: &str) -> Error {
        self.0.value = Some(value.to_string());
        self
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Where the problem is, when it can be pinned to a place in a file.
    pub fn location(&self) -> Option<&Location> {
        self.0.location.as_ref()
    }

    /// The file involved, even when no line is known (for example an unreadable file).
    pub fn file(&self) -> Option<&str> {
        self.0.file.as_deref()
    }

    /// The id of the pack involved, when known.
    pub fn pack(&self) -> Option<&str> {
        self.0.pack.as_deref()
    }

    /// The id of the rule involved, when the problem is inside a rule.
    pub fn rule(&self) -> Option<&str> {
        self.0.rule.as_deref()
    }

    /// The builder setting this error refuses, exactly as it was given: a rule id passed to
    /// [`EngineBuilder::disable_rule`](crate::EngineBuilder::disable_rule) or a locale passed
    /// to [`EngineBuilder::locale`](crate::EngineBuilder::locale). `None` for problems inside
    /// packs, which carry a [`location`](Error::location) instead. A tool that read the
    /// setting from its own file can point at it.
    ///
    /// ```
    /// let err = kindly::Engine::builder().locale("en-NZ").build().unwrap_err();
    /// assert_eq!(err.value(), Some("en-NZ"));
    /// let err = kindly::Engine::builder().disable_rule("crisis.want-to-die").build().unwrap_err();
    /// assert_eq!(err.value(), Some("crisis.want-to-die"));
    /// ```
    pub fn value(&self) -> Option<&str> {
        self.0.value.as_deref()
    }

    /// True when a pack was refused because a built-in pack already has its id (a
    /// [`DuplicateId`](ErrorKind::DuplicateId)): the pack can be used instead of the built-in
    /// one by building without them ([`EngineBuilder::builtin_packs`]), which a tool can offer
    /// in its own words.
    ///
    /// [`EngineBuilder::builtin_packs`]: crate::EngineBuilder::builtin_packs
    ///
    /// ```
    /// let pack = r#"
    /// [pack]
    /// id = "en-core"
    /// version = "0.1.0"
    /// language = "en"
    /// license = "CC0-1.0"
    /// description = "my copy of the English pack"
    /// "#;
    /// let err = kindly::Engine::builder()
    ///     .add_pack_source("copy/pack.toml", pack)
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), kindly::ErrorKind::DuplicateId);
    /// assert!(err.clashes_with_builtin_pack());
    /// ```
    pub fn clashes_with_builtin_pack(&self) -> bool {
        self.0.builtin_clash
    }

    /// The bare message, without location, pack or rule.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.0.location, &self.0.file) {
            (Some(loc), _) => write!(f, "{}:{}:{}: ", loc.file, loc.line, loc.column)?,
            (None, Some(file)) => write!(f, "{file}: ")?,
            (None, None) => {}
        }
        if let Some(rule) = &self.0.rule {
            write!(f, "rule '{rule}': ")?;
        } else if let Some(pack) = &self.0.pack {
            write!(f, "pack '{pack}': ")?;
        }
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
