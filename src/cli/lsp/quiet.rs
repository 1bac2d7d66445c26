//! "Quiet this paragraph": where to write `<!-- kindly-ignore -->` so that it quiets the note
//! and leaves the document as it was otherwise.
//!
//! The engine quiets the paragraph of the text as written that holds the comment: the lines
//! between two blank lines (`text::ignored_paragraphs`). Any line of that paragraph would do for
//! the engine, but not for the document:
//!
//! - plain text has no structure: the comment goes on a line of its own above the paragraph;
//! - in Markdown, a line above the paragraph can break it: above YAML front matter it turns the
//!   metadata into a thematic break and a heading, between the items of a loose list it ends
//!   the list, inside a fenced block it becomes code. So each place in the paragraph (above each
//!   of its lines, or below the last), with the indentation of the line there or of the list
//!   item above it, is tried in turn, and the first at which the document parses into the same
//!   blocks, inlines and text, the comment's own HTML block aside, is the one. Where none does,
//!   the action is not offered.
//!
//! The inserted line ends with the document's own line ending (CRLF in a CRLF document).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

pub(crate) use kindly::IGNORE_COMMENT;

/// How many places are tried in one paragraph (each costs a parse of the document).
const MAX_TRIES: usize = 24;

/// The parser options: kindly's own for a Markdown body (src/markdown.rs).
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_GFM
}

/// The structure of a Markdown text, which an insertion must not change: where its body starts
/// (after a byte-order mark and front matter, and the line break that ends it) and the parse
/// events of the body.
#[derive(Debug)]
pub(crate) struct Markdown {
    body: usize,
    events: Vec<Event<'static>>,
}

/// Parses a Markdown text for [`insertion`].
pub(crate) fn structure(text: &str) -> Markdown {
    let body = body_start(text);
    Markdown {
        body,
        events: Parser::new_ext(&text[body..], options())
            .map(Event::into_static)
            .collect(),
    }
}

/// Where a Markdown text's body starts: after a byte-order mark and YAML (`---`) or TOML
/// (`+++`) front matter at the very start, as kindly reads it (and as static site generators
/// and note apps do), with the line break after the front matter.
fn body_start(text: &str) -> usize {
    let start = if text.starts_with('\u{FEFF}') {
        '\u{FEFF}'.len_utf8()
    } else {
        0
    };
    let rest = &text[start..];
    if !(rest.starts_with("---") || rest.starts_with("+++")) {
        return start;
    }
    let with_metadata = options()
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    match Parser::new_ext(rest, with_metadata)
        .into_offset_iter()
        .next()
    {
        Some((Event::Start(Tag::MetadataBlock(_)), range)) if range.start == 0 => {
            // The closing delimiter's line, and its line break.
            let end = start + range.end.min(rest.len());
            if text[..end].ends_with(['\n', '\r']) {
                end
            } else {
                next_line(text, line_start(text, end)).unwrap_or(text.len())
            }
        }
        _ => start,
    }
}

/// The bounds of the paragraph as written that holds byte `pos`: from the start of its first
/// line to just after the line break of its last (or the end of the text). A paragraph is
/// a run of lines none of which is blank (empty, or spaces and tabs only).
pub(crate) fn paragraph_at(text: &str, pos: usize) -> Range<usize> {
    let mut start = line_start(text, pos.min(text.len()));
    while start > 0 {
        let before = line_start(
            text,
            start - 1 - usize::from(text[..start].ends_with("\r\n")),
        );
        if is_blank(line_content(text, before)) {
            break;
        }
        start = before;
    }
    let mut end = start;
    loop {
        let content = line_content(text, end);
        if is_blank(content) && end > start {
            break;
        }
        match next_line(text, end) {
            Some(next) => end = next,
            None => {
                end = text.len();
                break;
            }
        }
    }
    start..end
}

/// Where to insert what, to quiet the paragraph `paragraph` (from [`paragraph_at`]) of `text`;
/// `markdown` is the text's [`structure`] for a Markdown document. `None` when no place keeps
/// a Markdown document's structure.
pub(crate) fn insertion(
    text: &str,
    markdown: Option<&Markdown>,
    paragraph: Range<usize>,
) -> Option<(usize, String)> {
    let Some(markdown) = markdown else {
        let mut at = paragraph.start;
        if at == 0 && text.starts_with('\u{FEFF}') {
            // After a byte-order mark, which must stay first.
            at = '\u{FEFF}'.len_utf8();
        }
        let eol = line_ending(text, at);
        return Some((at, format!("{IGNORE_COMMENT}{eol}")));
    };
    // The paragraph's lines in the body (never above or inside front matter), then its end.
    let mut places = Vec::new();
    let mut at = paragraph.start;
    loop {
        if at >= markdown.body {
            places.push(at);
        }
        match next_line(text, at) {
            Some(next) if next < paragraph.end => at = next,
            _ => break,
        }
    }
    if places.is_empty() && paragraph.end > markdown.body {
        // The paragraph starts in the front matter and goes on after it.
        places.push(markdown.body);
    }
    let mut tries = 0;
    for (i, &p) in places.iter().chain([&paragraph.end]).enumerate() {
        if p < markdown.body {
            continue;
        }
        let this_line = (i < places.len()).then(|| line_content(text, p));
        let line_above = (i > 0).then(|| line_content(text, places[i - 1]));
        let mut indents: Vec<&str> = Vec::new();
        indents.extend(this_line.map(leading_space));
        indents.extend(line_above.and_then(item_content_indent));
        indents.extend(line_above.map(leading_space));
        indents.push("");
        let mut seen = Vec::new();
        for indent in indents {
            if seen.contains(&indent) {
                continue;
            }
            seen.push(indent);
            tries += 1;
            if tries > MAX_TRIES {
                return None;
            }
            let eol = line_ending(text, p);
            // At the very end of a text without a final line break, the comment needs one
            // before it instead of after it.
            let insert = if p == text.len() && !text.is_empty() && !text.ends_with(['\n', '\r']) {
                format!("{eol}{indent}{IGNORE_COMMENT}")
            } else {
                format!("{indent}{IGNORE_COMMENT}{eol}")
            };
            if keeps_structure(text, markdown, p, &insert) {
                return Some((p, insert));
            }
        }
    }
    None
}

/// Whether inserting `insert` at `at` (in the body) leaves the parse of the body as it was,
/// but for the HTML block of the comment itself.
fn keeps_structure(text: &str, markdown: &Markdown, at: usize, insert: &str) -> bool {
    let body = markdown.body;
    let new = format!("{}{insert}{}", &text[body..at], &text[at..]);
    let inserted = at - body..at - body + insert.len();
    let mut after = Parser::new_ext(&new, options())
        .into_offset_iter()
        .filter(|(event, range)| {
            let ours = range.start >= inserted.start && range.end <= inserted.end;
            !(ours
                && matches!(
                    event,
                    Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) | Event::Html(_)
                ))
        })
        .map(|(event, _)| event);
    let mut before = markdown.events.iter();
    loop {
        match (before.next(), after.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if *a == b => {}
            _ => return false,
        }
    }
}

/// The start of the line holding byte `pos`.
fn line_start(text: &str, pos: usize) -> usize {
    text.as_bytes()[..pos]
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |i| i + 1)
}

/// The content of the line starting at `start`, without its line break.
fn line_content(text: &str, start: usize) -> &str {
    let rest = &text[start..];
    &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())]
}

/// The start of the line after the one starting at `start`, if there is one.
fn next_line(text: &str, start: usize) -> Option<usize> {
    let end = start + line_content(text, start).len();
    let rest = &text[end..];
    if rest.starts_with("\r\n") {
        Some(end + 2)
    } else if rest.starts_with(['\n', '\r']) {
        Some(end + 1)
    } else {
        None
    }
}

fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| b == b' ' || b == b'\t')
}

fn leading_space(line: &str) -> &str {
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// For a list item's first line (`- x`, `12. x`, `  * x`), the indentation of its content as
/// spaces (tabs in the leading space kept), which puts a line inside the item.
fn item_content_indent(line: &str) -> Option<&'static str> {
    const SPACES: &str = "                                                                ";
    let lead = leading_space(line);
    let rest = &line[lead.len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let marker = match rest.as_bytes().get(digits) {
        Some(b'-' | b'+' | b'*') if digits == 0 => 1,
        Some(b'.' | b')') if (1..=9).contains(&digits) => digits + 1,
        _ => return None,
    };
    let after = &rest[marker..];
    let gap = after.len() - after.trim_start_matches(' ').len();
    let gap = match gap {
        0 if !after.is_empty() => return None,
        // An empty item, or content that starts as indented code: one space.
        0 | 5.. => 1,
        n => n,
    };
    if lead.contains('\t') {
        return None;
    }
    SPACES.get(..lead.len() + marker + gap)
}

/// The line ending to write at `at`: that of the line there, else of the line before, else a
/// line feed.
fn line_ending(text: &str, at: usize) -> &'static str {
    let b = text.as_bytes();
    let i = match text[at..].find(['\n', '\r']) {
        Some(i) => at + i,
        None => match text[..at].rfind(['\n', '\r']) {
            // The LF of a CRLF: the pair.
            Some(i) if b[i] == b'\n' && i > 0 && b[i - 1] == b'\r' => i - 1,
            Some(i) => i,
            None => return "\n",
        },
    };
    match b[i] {
        b'\r' if b.get(i + 1) == Some(&b'\n') => "\r\n",
        b'\r' => "\r",
        _ => "\n",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The text after quieting the paragraph at `note` (a substring), as an editor would apply
    /// the edit, or `None` when the action is not offered.
    fn quiet(text: &str, note: &str, markdown: bool) -> Option<String> {
        let pos = text.find(note).unwrap();
        let blocks = structure(text);
        let (at, insert) = insertion(text, markdown.then_some(&blocks), paragraph_at(text, pos))?;
        Some(format!("{}{insert}{}", &text[..at], &text[at..]))
    }

    #[test]
    fn paragraphs_are_cut_at_blank_lines_as_written() {
        let text = "one\n\ntwo\nthree\r\n  \r\nfour\nfive";
        assert_eq!(paragraph_at(text, 1), 0..4);
        let three = text.find("three").unwrap();
        assert_eq!(paragraph_at(text, three + 2), 5..three + 7);
        let four = text.find("four").unwrap();
        assert_eq!(
            paragraph_at(text, text.find("five").unwrap()),
            four..text.len()
        );
        assert_eq!(paragraph_at("a\rb\r\rc", 2), 0..4);
    }

    #[test]
    fn plain_text_gets_the_comment_above_the_paragraph() {
        assert_eq!(
            quiet("Hello.\n\nI'm so lazy.\nReally.\n", "lazy", false).unwrap(),
            "Hello.\n\n<!-- kindly-ignore -->\nI'm so lazy.\nReally.\n"
        );
        // The document's own line ending.
        assert_eq!(
            quiet("Hello.\r\n\r\nI'm so lazy.\r\n", "lazy", false).unwrap(),
            "Hello.\r\n\r\n<!-- kindly-ignore -->\r\nI'm so lazy.\r\n"
        );
        assert_eq!(
            quiet("I'm so lazy.", "lazy", false).unwrap(),
            "<!-- kindly-ignore -->\nI'm so lazy."
        );
        // After a byte-order mark.
        assert_eq!(
            quiet("\u{FEFF}I'm so lazy.\r\n", "lazy", false).unwrap(),
            "\u{FEFF}<!-- kindly-ignore -->\r\nI'm so lazy.\r\n"
        );
    }

    #[test]
    fn markdown_keeps_its_structure() {
        for (text, note, quieted) in [
            // A plain paragraph: above it.
            (
                "# Monday\n\nI'm so lazy.\nReally.\n",
                "lazy",
                "# Monday\n\n<!-- kindly-ignore -->\nI'm so lazy.\nReally.\n",
            ),
            // Front matter without a blank line after it: after the front matter.
            (
                "---\ntitle: x\n---\nI'm so lazy.\n",
                "lazy",
                "---\ntitle: x\n---\n<!-- kindly-ignore -->\nI'm so lazy.\n",
            ),
            (
                "+++\ntitle = 1\n+++\r\nI'm so lazy.\r\n",
                "lazy",
                "+++\ntitle = 1\n+++\r\n<!-- kindly-ignore -->\r\nI'm so lazy.\r\n",
            ),
            // A table: above it.
            (
                "| a | b |\n|---|---|\n| I'm so lazy | x |\n",
                "lazy",
                "<!-- kindly-ignore -->\n| a | b |\n|---|---|\n| I'm so lazy | x |\n",
            ),
            // A list item's second paragraph: inside the item, at its content's indentation.
            (
                "* I'm so lazy\n\n  I'm such an idiot\n",
                "idiot",
                "* I'm so lazy\n\n  <!-- kindly-ignore -->\n  I'm such an idiot\n",
            ),
            (
                "1. Fine.\n\n10. I'm so lazy\n\n11. Fine.\n",
                "lazy",
                "1. Fine.\n\n10. I'm so lazy\n    <!-- kindly-ignore -->\n\n11. Fine.\n",
            ),
            // A tight list is one paragraph as written: above the list.
            (
                "- a\n- I'm so lazy\n",
                "lazy",
                "<!-- kindly-ignore -->\n- a\n- I'm so lazy\n",
            ),
            // A fence with a blank line in it: after the fence, not inside it.
            (
                "```\ncode\n\nmore\n```\nI'm so lazy.\n",
                "lazy",
                "```\ncode\n\nmore\n```\n<!-- kindly-ignore -->\nI'm so lazy.\n",
            ),
            // A quote.
            (
                "> I'm so lazy.\n> Really.\n",
                "lazy",
                "<!-- kindly-ignore -->\n> I'm so lazy.\n> Really.\n",
            ),
        ] {
            assert_eq!(
                quiet(text, note, true).as_deref(),
                Some(quieted),
                "{text:?}"
            );
            // The comment is in the note's paragraph as written, so the engine quiets it.
            let p = paragraph_at(quieted, quieted.find(note).unwrap());
            assert!(quieted[p].contains(IGNORE_COMMENT), "{quieted:?}");
        }
    }

    #[test]
    fn no_place_in_code_is_offered() {
        // An unclosed fence runs to the end: every line of the paragraph is code.
        let text = "```\na\n\nI'm so lazy\nb\n";
        assert_eq!(quiet(text, "lazy", true), None);
        // As plain text, the same lines take the comment.
        assert_eq!(
            quiet(text, "lazy", false).unwrap(),
            "```\na\n\n<!-- kindly-ignore -->\nI'm so lazy\nb\n"
        );
    }

    #[test]
    fn list_items_get_their_content_indentation() {
        assert_eq!(item_content_indent("* x"), Some("  "));
        assert_eq!(item_content_indent("  - x"), Some("    "));
        assert_eq!(item_content_indent("10.  x"), Some("     "));
        assert_eq!(item_content_indent("3) x"), Some("   "));
        assert_eq!(item_content_indent("-      code"), Some("  "));
        assert_eq!(item_content_indent("*emphasis*"), None);
        assert_eq!(item_content_indent("2024. x"), Some("      "));
        assert_eq!(item_content_indent("1234567890. x"), None);
        assert_eq!(item_content_indent("Plain."), None);
    }
}
