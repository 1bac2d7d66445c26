//! Message and reframe templates with `{slot}` placeholders.

/// Slots every template may use. Rules may add their own through named regex captures.
pub(crate) const STANDARD_SLOTS: [&str; 4] = ["word", "behavior", "other", "feeling"];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Slot(String),
}

/// A parsed template: literal text and `{slot}` references. `{{` and `}}` are literal braces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    source: String,
    parts: Vec<Part>,
}

impl Template {
    /// Parses a template, or says what is wrong with it (with the byte offset of the problem).
    pub(crate) fn parse(source: &str) -> Result<Template, (usize, String)> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = source.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if matches!(chars.peek(), Some((_, '{'))) => {
                    chars.next();
                    literal.push('{');
                }
                '}' if matches!(chars.peek(), Some((_, '}'))) => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let rest = &source[i + 1..];
                    let Some(close) = rest.find('}') else {
                        return Err((
                            i,
                            "unclosed '{' in template (write '{{' for a literal brace)".into(),
                        ));
                    };
                    let name = &rest[..close];
                    if !crate::pack::expand::is_identifier(name) {
                        return Err((i, format!("'{{{name}}}' is not a slot name (slots are lowercase words like {{word}})")));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Slot(name.to_string()));
                    for _ in 0..=name.len() {
                        chars.next();
                    }
                }
                '}' => {
                    return Err((
                        i,
                        "unmatched '}' in template (write '}}' for a literal brace)".into(),
                    ))
                }
                _ => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template {
            source: source.to_string(),
            parts,
        })
    }

    /// The template as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// The slot names used, in order of first use.
    pub(crate) fn slots(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Slot(s) => Some(s.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// True when the template has no slots (a fallback that always renders).
    pub(crate) fn is_slot_free(&self) -> bool {
        self.slots().next().is_none()
    }

    /// Renders the template, or `None` when a slot has no value.
    pub(crate) fn render(&self, value: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let mut out = String::with_capacity(self.source.len() + 16);
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Slot(name) => out.push_str(&value(name)?),
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders() {
        let t = Template::parse("I'm calling myself {word}, but {behavior}. {{ok}}").unwrap();
        assert_eq!(t.slots().collect::<Vec<_>>(), ["word", "behavior"]);
        let out = t.render(&|s| Some(s.to_uppercase())).unwrap();
        assert_eq!(out, "I'm calling myself WORD, but BEHAVIOR. {ok}");
        assert_eq!(t.render(&|s| (s == "word").then(|| "x".to_string())), None);
        assert!(Template::parse("plain").unwrap().is_slot_free());
        assert_eq!(Template::parse("a {b").unwrap_err().0, 2);
        assert_eq!(Template::parse("a {B}").unwrap_err().0, 2);
        assert_eq!(Template::parse("a }").unwrap_err().0, 2);
    }
}
