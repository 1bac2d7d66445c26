//! Terminal details: colour choice, the few styles we use, and making text safe to print.
//!
//! Output is always rendered with styles; `anstream` strips them when colour is off (not a
//! terminal, `NO_COLOR`, `--color never`), so plain output is byte-for-byte the same layout.

use super::args::ColorWhen;
use anstyle::{AnsiColor, Effects, Style};

/// Applies `--color` to every `anstream` stream of the process.
pub(crate) fn set_color(when: ColorWhen) {
    let choice = match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
}

/// The file position at the start of a note.
pub(crate) const LOCATION: Style = Style::new().effects(Effects::BOLD);
/// The category id: a calm colour, never red (this is not an error).
pub(crate) const CATEGORY: Style = AnsiColor::Cyan.on_default();
/// Secondary words: gentle names, counts.
pub(crate) const DIM: Style = Style::new().effects(Effects::DIMMED);
/// "kinder ways to say it".
pub(crate) const KIND: Style = AnsiColor::Green.on_default();
/// The support panel's heading.
pub(crate) const SUPPORT: Style = AnsiColor::Magenta.on_default().effects(Effects::BOLD);
/// Contacts and emergency numbers.
pub(crate) const EMPHASIS: Style = Style::new().effects(Effects::BOLD);
/// `kindly:` in front of errors.
pub(crate) const ERROR: Style = AnsiColor::Yellow.on_default().effects(Effects::BOLD);

/// `text` wrapped in `style`.
pub(crate) fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Makes text from a file or a path safe for a terminal: control characters (escape
/// sequences, bells, carriage returns), bidi overrides and line breaks become visible
/// stand-ins, so nothing written in a journal can move the cursor or recolour the screen.
pub(crate) fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => {
                '\u{FFFD}'
            }
            c => c,
        })
        .collect()
}

/// Greedy word wrap to `width` characters, every line prefixed with `indent`.
pub(crate) fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            line_len = 0;
        }
        if line_len == 0 {
            out.push_str(indent);
        } else {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out.push('\n');
    out
}

/// "1 note", "2 notes".
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_neutralises_escapes() {
        assert_eq!(
            sanitize("a\x1b[31mb\u{202E}c\nd"),
            "a\u{FFFD}[31mb\u{FFFD}c d"
        );
    }

    #[test]
    fn wrap_keeps_words_whole() {
        assert_eq!(wrap("aa bb cc", 5, "  "), "  aa bb\n  cc\n");
        assert_eq!(wrap("", 5, "  "), "\n");
    }
}
