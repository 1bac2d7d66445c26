//! Markdown awareness: hide everything in a Markdown file that is not prose.
//!
//! Kindly looks for harsh self-talk in what a person *wrote*, not in the code
//! they pasted, the URLs they linked, the HTML they embedded or the YAML front
//! matter their note-taking app added. [`mask_markdown`] therefore returns a
//! copy of the document in which every non-prose byte is replaced by an ASCII
//! space while prose bytes stay exactly where they were.
//!
//! # Why masking instead of extracting
//!
//! Extracting the prose into a new string would shift every byte after the
//! first removed construct, and each finding would then need a map back to the
//! original offsets (and lines and columns) to be reported or fixed in place.
//! Masking keeps the length and the offset of every prose byte unchanged, so
//! the engine can run the ordinary plain-text detector on the masked copy and
//! report its matches at the very same offsets in the original file. Line
//! breaks (`\n` and `\r`) are never masked, so line numbers and columns are
//! preserved as well, and blanked syntax becomes whitespace, which keeps words
//! on either side of it apart (`I'm *so* lazy` becomes `I'm  so  lazy`).
//!
//! # How
//!
//! The text is parsed with `pulldown-cmark` (`CommonMark` plus tables,
//! footnotes, strikethrough, task lists and GFM blockquote tags). The result
//! starts as an all-space buffer (line breaks kept), and only the source byte
//! ranges of `Text` events that are prose are copied back: text inside code
//! blocks, HTML blocks, front matter and autolinks is left blank, and events
//! that are never prose (inline code, inline HTML, footnote references,
//! task-list markers, rules, breaks) are ignored. Everything that produces no
//! text event at all, such as link destinations and titles, link reference
//! definitions, emphasis delimiters, heading, list and blockquote markers,
//! table pipes and backslashes of escapes, stays blank automatically. Finally
//! bare URLs (`https://…`, `http://…`, `www.…`, `mailto:…`) that remain in
//! the prose are blanked by a small linear scanner.
//!
//! Front matter (YAML `---` … `---` or TOML `+++` … `+++`) is only recognised
//! at the very start of the file (after an optional byte-order mark); a `---`
//! further down is an ordinary thematic break or setext underline.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

/// The UTF-8 byte-order mark, which some editors put at the start of a file.
const BOM: &str = "\u{FEFF}";

/// Returns a copy of `text` with the same byte length in which every byte that is not prose is
/// replaced by an ASCII space (b' '), except that line breaks (\n and \r) are kept, unless a
/// soft break inside a paragraph continues a sentence (it becomes a space, as rendered).
/// Prose bytes are copied unchanged, so byte offsets in the result equal those in `text`, and
/// a match found in the result can be reported at the same offsets in `text`.
///
/// Skipped (blanked) are fenced and indented code blocks, inline code, autolinks, bare URLs,
/// link and image destinations and titles, raw HTML (blocks, inline tags and comments), front
/// matter at the start of the file, link reference definitions, footnote references, and the
/// Markdown syntax around prose: emphasis, strikethrough, heading, list, blockquote, table,
/// task-list and thematic-break markers, link and image brackets and escape backslashes.
/// The visible text of links and images is kept.
///
/// For example, ``I'm *so* lazy, see `code` `` becomes ``I'm  so  lazy, see        `` (the
/// same 25 bytes, with spaces where the stars and the inline code were).
#[must_use]
pub fn mask_markdown(text: &str) -> String {
    let src = text.as_bytes();
    let mut out: Vec<u8> = src
        .iter()
        .map(|&b| if is_line_break(b) { b } else { b' ' })
        .collect();

    let mut body_start = if text.starts_with(BOM) { BOM.len() } else { 0 };
    if let Some(rest) = text.get(body_start..) {
        body_start += front_matter_len(rest);
    }
    if let Some(body) = text.get(body_start..) {
        copy_prose(src, body, body_start, &mut out);
    }
    blank_bare_urls(src, &mut out);

    // Only whole characters of `text` and ASCII spaces / line breaks were written, so this
    // cannot fail; the fallback merely keeps the function total without a panic path.
    String::from_utf8(out).unwrap_or_else(|_| blank_all(text))
}

/// The `pulldown-cmark` options used for the document body.
fn body_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_GFM
}

/// Whether `b` is a line-break byte, which masking always keeps.
fn is_line_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// A fully blanked copy of `text` (line breaks kept); only used as a fallback.
fn blank_all(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\n' || c == '\r' {
            s.push(c);
        } else {
            for _ in 0..c.len_utf8() {
                s.push(' ');
            }
        }
    }
    s
}

/// Length in bytes of the YAML (`---`) or TOML (`+++`) front matter at the very start of
/// `text`, or 0 if there is none. The closing delimiter line is included; its line break is
/// not.
fn front_matter_len(text: &str) -> usize {
    if !(text.starts_with("---") || text.starts_with("+++")) {
        return 0;
    }
    let options = body_options()
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS;
    match Parser::new_ext(text, options).into_offset_iter().next() {
        Some((Event::Start(Tag::MetadataBlock(_)), range)) if range.start == 0 => {
            range.end.min(text.len())
        }
        _ => 0,
    }
}

/// Parses `body` (which starts at byte `offset` of `src`) and copies the source bytes of every
/// prose text event into `out`.
fn copy_prose(src: &[u8], body: &str, offset: usize, out: &mut [u8]) {
    // Nesting depth of blocks whose text is never prose (code, HTML, metadata).
    let mut hidden_blocks = 0usize;
    // For each open link: whether its text is a URL or e-mail address (autolinks).
    let mut links: Vec<bool> = Vec::new();
    let mut hidden_links = 0usize;

    for (event, range) in Parser::new_ext(body, body_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::HtmlBlock | Tag::MetadataBlock(_)) => {
                hidden_blocks += 1;
            }
            Event::End(TagEnd::CodeBlock | TagEnd::HtmlBlock | TagEnd::MetadataBlock(_)) => {
                hidden_blocks = hidden_blocks.saturating_sub(1);
            }
            Event::Start(Tag::Link { link_type, .. }) => {
                let hidden = matches!(link_type, LinkType::Autolink | LinkType::Email);
                if hidden {
                    hidden_links += 1;
                }
                links.push(hidden);
            }
            Event::End(TagEnd::Link) => {
                let was_hidden = links.pop() == Some(true);
                hidden_links = hidden_links.saturating_sub(usize::from(was_hidden));
            }
            // A hard-wrapped sentence goes on across a soft break: "has their\nlife together"
            // is one sentence, as a Markdown renderer shows it. The break becomes a space when
            // the line does not end a sentence and the next one starts in lower case; a line
            // break that ends an unpunctuated sentence ("went to the shop\nI'm so lazy") stays.
            Event::SoftBreak if hidden_blocks == 0 => {
                let start = range.start.saturating_add(offset);
                let end = range.end.saturating_add(offset);
                if continues_sentence(body, range.start, range.end) {
                    if let Some(dst) = out.get_mut(start..end) {
                        dst.iter_mut()
                            .filter(|b| is_line_break(**b))
                            .for_each(|b| *b = b' ');
                    }
                }
            }
            Event::Text(_) if hidden_blocks == 0 && hidden_links == 0 => {
                let start = range.start.saturating_add(offset);
                let end = range.end.saturating_add(offset);
                if let (Some(dst), Some(from)) = (out.get_mut(start..end), src.get(start..end)) {
                    dst.copy_from_slice(from);
                }
            }
            // Inline code, inline and block HTML, footnote references, task-list markers,
            // rules, breaks and all other tags contribute no prose.
            _ => {}
        }
    }
}

/// Whether the soft break at `start..end` of `body` sits inside a sentence: the text before it
/// does not end with sentence punctuation and the next line starts with a lower-case letter.
fn continues_sentence(body: &str, start: usize, end: usize) -> bool {
    let (Some(before), Some(after)) = (body.get(..start), body.get(end..)) else {
        return false;
    };
    let last = before.trim_end_matches([' ', '\t']).chars().next_back();
    let ends_sentence = last.is_none_or(|c| matches!(c, '.' | '!' | '?' | ':' | ';' | '…'));
    let next = after.trim_start_matches([' ', '\t']).chars().next();
    !ends_sentence && next.is_some_and(char::is_lowercase)
}

/// Longest footnote label that [`blank_bare_urls`] looks for in literal `[^label]` text.
const MAX_FOOTNOTE_LABEL: usize = 64;

/// Blanks bare URLs, and footnote references without a definition (which pulldown-cmark leaves
/// as literal `[^label]` text), that survived in the prose of `out`.
///
/// A URL starts (in the prose) with `http://`, `https://`, `www.` or `mailto:` at a word
/// boundary; its extent is measured on the original `src` (so it also covers e.g. escapes or
/// entities inside it) and runs until whitespace or a closing bracket, quote or angle bracket,
/// without trailing sentence punctuation.
fn blank_bare_urls(src: &[u8], out: &mut [u8]) {
    let len = out.len().min(src.len());
    let mut i = 0;
    while i < len {
        let b = out[i];
        if b == b'[' && out.get(i + 1) == Some(&b'^') {
            if let Some(close) = footnote_label_end(&out[i + 2..len]) {
                let end = i + 2 + close + 1;
                out[i..end].fill(b' ');
                i = end;
                continue;
            }
        }
        let boundary = i == 0 || !is_word_byte(out[i - 1]);
        if boundary && matches!(b, b'h' | b'H' | b'w' | b'W' | b'm' | b'M') {
            if let Some(prefix) = url_prefix_len(&out[i..len]) {
                let end = url_end(&src[..len], i + prefix);
                if end > i + prefix {
                    for byte in &mut out[i..end] {
                        if !is_line_break(*byte) {
                            *byte = b' ';
                        }
                    }
                    i = end;
                    continue;
                }
            }
        }
        i += 1;
    }
}

/// If `s` starts with a footnote label followed by `]`, the index of that `]`.
fn footnote_label_end(s: &[u8]) -> Option<usize> {
    let window = s.get(..s.len().min(MAX_FOOTNOTE_LABEL + 1))?;
    let close = window
        .iter()
        .position(|&b| b == b']' || b == b'[' || b.is_ascii_whitespace())?;
    (close > 0 && window[close] == b']').then_some(close)
}

/// Whether `b` can be part of a word, so that a URL prefix right after it is not a URL start.
/// Bytes of non-ASCII characters count as word bytes.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// If `s` starts with a URL scheme or `www.` followed by something URL-like, the length of that
/// prefix.
fn url_prefix_len(s: &[u8]) -> Option<usize> {
    const PREFIXES: [&[u8]; 4] = [b"https://", b"http://", b"mailto:", b"www."];
    let prefix = PREFIXES.iter().find(|p| {
        s.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    })?;
    let next = *s.get(prefix.len())?;
    let ok = if *prefix == b"www." {
        next.is_ascii_alphanumeric()
    } else {
        !ends_url(next)
    };
    ok.then_some(prefix.len())
}

/// Whether `b` ends a bare URL: whitespace, closing brackets, quotes, angle brackets, pipes.
fn ends_url(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'<' | b'>' | b'"' | b'\'' | b'`' | b')' | b']' | b'}' | b'|' | b'\x0b'
        )
}

/// Where the URL whose prefix ends at `from` ends in `src`, excluding trailing sentence
/// punctuation and emphasis delimiters. Always an ASCII position or `src.len()`, so a char
/// boundary.
fn url_end(src: &[u8], from: usize) -> usize {
    let mut end = from;
    while end < src.len() && !ends_url(src[end]) {
        end += 1;
    }
    while end > from
        && matches!(
            src[end - 1],
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'*' | b'_' | b'~'
        )
    {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Same length, valid UTF-8 (guaranteed by `String`), line breaks kept, and every
    /// non-space byte of the output equal to the input byte at that offset.
    fn assert_invariant(input: &str) {
        let masked = mask_markdown(input);
        assert_eq!(masked.len(), input.len(), "length changed for {input:?}");
        for (i, (&m, &s)) in masked.as_bytes().iter().zip(input.as_bytes()).enumerate() {
            if is_line_break(s) {
                assert!(
                    m == s || m == b' ',
                    "line break at {i} not kept for {input:?}"
                );
            }
            if m != b' ' {
                assert_eq!(m, s, "byte {i} differs for {input:?}: {masked:?}");
            }
        }
        for (i, c) in masked.char_indices() {
            if c != ' ' {
                let same = input.get(i..).is_some_and(|rest| rest.starts_with(c));
                assert!(same, "char {c:?} at {i} moved for {input:?}");
            }
        }
    }

    /// `input` with each of `parts` (searched left to right, each after the previous one)
    /// replaced by as many spaces as it has bytes, line breaks kept.
    fn blanked(input: &str, parts: &[&str]) -> String {
        let mut out = String::with_capacity(input.len());
        let mut rest = input;
        for part in parts {
            let found = rest.find(part);
            assert!(found.is_some(), "{part:?} not in {rest:?}");
            let at = found.unwrap_or(0);
            out.push_str(&rest[..at]);
            out.push_str(&blank_all(part));
            rest = &rest[at + part.len()..];
        }
        out.push_str(rest);
        out
    }

    /// Masks `input`, checks the invariant, and returns the result.
    fn mask(input: &str) -> String {
        assert_invariant(input);
        mask_markdown(input)
    }

    /// The masked result with runs of whitespace collapsed, for checks on words only.
    fn words(input: &str) -> String {
        mask(input).split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn empty_input() {
        assert_eq!(mask(""), "");
    }

    #[test]
    fn plain_prose_is_unchanged() {
        let s = "I'm so lazy, aren't I? \"Yes!\" she said. Really; truly: (maybe) 100%.";
        assert_eq!(mask(s), s);
    }

    #[test]
    fn emphasis_delimiters_become_spaces() {
        assert_eq!(mask("I'm *so* lazy"), "I'm  so  lazy");
        assert_eq!(mask("I'm **so** lazy"), "I'm   so   lazy");
        assert_eq!(mask("I'm _so_ lazy"), "I'm  so  lazy");
        assert_eq!(mask("I'm __so__ lazy"), "I'm   so   lazy");
        assert_eq!(mask("***all***"), "   all   ");
    }

    #[test]
    fn strikethrough_delimiters_become_spaces() {
        assert_eq!(mask("I'm ~~not~~ fine"), "I'm   not   fine");
    }

    #[test]
    fn headings() {
        assert_eq!(mask("# I'm lazy"), "  I'm lazy");
        assert_eq!(mask("### I'm lazy ###"), "    I'm lazy    ");
        assert_eq!(mask("I'm lazy\n===="), "I'm lazy\n    ");
        assert_eq!(mask("I'm lazy\n----\n"), "I'm lazy\n    \n");
    }

    #[test]
    fn lists() {
        assert_eq!(mask("- one\n* two\n+ three"), "  one\n  two\n  three");
        assert_eq!(mask("1. one\n2. two"), "   one\n   two");
        assert_eq!(mask("10) ten\n11) eleven"), "    ten\n    eleven");
        assert_eq!(mask("- outer\n  - inner"), "  outer\n    inner");
    }

    #[test]
    fn task_list_markers() {
        assert_eq!(
            mask("- [ ] call mum\n- [x] done"),
            "      call mum\n      done"
        );
        assert_eq!(mask("- [X] done"), "      done");
    }

    #[test]
    fn blockquotes() {
        assert_eq!(mask("> I'm a failure\n> again"), "  I'm a failure\n  again");
        assert_eq!(mask("> > nested"), "    nested");
        assert_eq!(mask("> [!NOTE]\n> be kind"), "         \n  be kind");
    }

    #[test]
    fn tables() {
        let input = "| a | b |\n|---|:-:|\n| I'm dumb | ok |";
        let expected = "  a   b  \n         \n  I'm dumb   ok  ";
        assert_eq!(mask(input), expected);
        assert_eq!(words("a | b\n--|--\nc | d"), "a b c d");
    }

    #[test]
    fn thematic_breaks() {
        assert_eq!(mask("one\n\n***\n\ntwo"), "one\n\n   \n\ntwo");
        assert_eq!(mask("one\n\n- - -\n\ntwo"), "one\n\n     \n\ntwo");
        assert_eq!(mask("one\n\n___\n\ntwo"), "one\n\n   \n\ntwo");
    }

    #[test]
    fn escapes_lose_only_the_backslash() {
        assert_eq!(mask(r"I \*hate\* this"), "I  *hate * this");
        assert_eq!(mask(r"a \# b"), "a  # b");
    }

    #[test]
    fn hard_breaks() {
        assert_eq!(mask("line\\\nnext"), "line \nnext");
        assert_eq!(mask("line  \nnext"), "line  \nnext");
    }

    #[test]
    fn entities_keep_their_source() {
        assert_eq!(mask("you &amp; me"), "you &amp; me");
    }

    #[test]
    fn fenced_code_blocks() {
        let input = "before\n```rust\nlet stupid = 1;\n```\nafter";
        assert_eq!(mask(input), "before\n       \n               \n   \nafter");
        let tildes = "~~~\nI'm an idiot\n~~~\nok";
        assert_eq!(mask(tildes), "   \n            \n   \nok");
    }

    #[test]
    fn unterminated_fence_masks_to_the_end() {
        let input = "ok\n```\nI'm so dumb\nstill code";
        assert_eq!(mask(input), "ok\n   \n           \n          ");
    }

    #[test]
    fn indented_code_blocks() {
        let input = "text\n\n    I'm useless\n    code\n\nmore";
        assert_eq!(mask(input), blanked(input, &["    I'm useless\n    code"]));
    }

    #[test]
    fn code_blocks_in_lists_and_quotes() {
        assert_eq!(words("- item\n\n  ```\n  I'm dumb\n  ```"), "item");
        assert_eq!(words("> quote\n>\n> ```\n> I'm dumb\n> ```"), "quote");
    }

    #[test]
    fn inline_code() {
        assert_eq!(mask("run `idiot --force` now"), "run                 now");
        assert_eq!(mask("a ``b ` c`` d"), "a           d");
    }

    #[test]
    fn links_keep_text_and_hide_destination() {
        let input = "[I'm so lazy](https://x)";
        assert_eq!(mask(input), blanked(input, &["[", "](https://x)"]));
        let input = "see [my *bad* day](http://a.b/c \"a title\").";
        let syntax = ["[", "*", "*", "](http://a.b/c \"a title\")"];
        assert_eq!(mask(input), blanked(input, &syntax));
        assert_eq!(words("[text](<dest with spaces> 'title')"), "text");
    }

    #[test]
    fn images_keep_alt_text() {
        assert_eq!(mask("![me being dumb](me.png)"), "  me being dumb         ");
        assert_eq!(words("[![alt](i.png)](https://x.y)"), "alt");
    }

    #[test]
    fn reference_links_and_definitions() {
        let input = "I [failed][f] again and [failed].\n\n[f]: https://x.y \"Title\"\n[failed]: /p";
        assert_eq!(words(input), "I failed again and failed .");
        assert_eq!(mask("[a][b]\n\n[b]: /url\n"), " a    \n\n         \n");
    }

    #[test]
    fn autolinks() {
        let input = "see <https://stupid.example/x> ok";
        assert_eq!(mask(input), blanked(input, &["<https://stupid.example/x>"]));
        let input = "mail <dumb@example.com>";
        assert_eq!(mask(input), blanked(input, &["<dumb@example.com>"]));
    }

    #[test]
    fn bare_urls() {
        assert_eq!(mask("see https://x.y/z ok"), "see               ok");
        assert_eq!(mask("see http://x.y/lazy."), "see                .");
        assert_eq!(
            mask("(www.idiot.com/a?b=c), yes"),
            "(                   ), yes"
        );
        assert_eq!(mask("WWW.Example.com!"), "               !");
        assert_eq!(mask("write mailto:me@x.y now"), "write               now");
        assert_eq!(mask("\"https://x.y\" ok"), "\"           \" ok");
        let input = "**https://x.y**.";
        assert_eq!(mask(input), blanked(input, &["**https://x.y**"]));
        assert_eq!(
            mask("[https://x.y](https://x.y)"),
            "                          "
        );
        assert_eq!(mask("|https://x.y|ok|"), "|           |ok|");
        let table = "| https://x.y | ok |\n|-|-|";
        assert_eq!(words(table), "ok");
        assert_eq!(mask("https://x.y"), "           ");
    }

    #[test]
    fn not_urls() {
        for s in [
            "awww.yes",
            "aww. so sweet",
            "www. nothing",
            "http:// nothing",
            "the http protocol",
            "mailto: nobody",
            "homework is hard",
        ] {
            assert_eq!(mask(s), s);
        }
    }

    #[test]
    fn url_with_escape_or_emphasis_inside_is_fully_blanked() {
        let input = r"https://x.y/a\_b ok";
        assert_eq!(mask(input), blanked(input, &[r"https://x.y/a\_b"]));
        let input = "https://x.y/&amp;q ok";
        assert_eq!(mask(input), blanked(input, &["https://x.y/&amp;q"]));
        let input = "https://x.y/*a*b ok";
        assert_eq!(mask(input), blanked(input, &["https://x.y/*a*b"]));
    }

    #[test]
    fn html_blocks() {
        let input = "<div>\nI'm hopeless\n</div>\n\nafter";
        assert_eq!(mask(input), "     \n            \n      \n\nafter");
        let pre = "<pre>\nstupid\n\nstill pre\n</pre>\nafter";
        assert_eq!(words(pre), "after");
    }

    #[test]
    fn inline_html_tags_are_masked_text_between_kept() {
        assert_eq!(mask("I'm <b>so</b> lazy"), "I'm    so     lazy");
        assert_eq!(mask("a<br/>b"), "a     b");
    }

    #[test]
    fn html_comments() {
        let input = "a <!-- I'm dumb --> b";
        assert_eq!(mask(input), blanked(input, &["<!-- I'm dumb -->"]));
        assert_eq!(mask("<!--\nI'm dumb\n-->\nok"), "    \n        \n   \nok");
    }

    #[test]
    fn yaml_front_matter() {
        let input = "---\ntitle: I'm lazy\ntags: [x]\n---\nBody text";
        assert_eq!(
            mask(input),
            blanked(input, &["---\ntitle: I'm lazy\ntags: [x]\n---"])
        );
        let dots = "---\ntitle: stupid\n...\nBody";
        assert_eq!(words(dots), "Body");
    }

    #[test]
    fn toml_front_matter() {
        let input = "+++\ntitle = \"I'm lazy\"\n+++\nBody text";
        assert_eq!(mask(input), "   \n                  \n   \nBody text");
    }

    #[test]
    fn front_matter_after_bom() {
        let input = "\u{FEFF}---\ntitle: dumb\n---\nBody";
        assert_eq!(mask(input), "      \n           \n   \nBody");
    }

    #[test]
    fn bom_is_masked() {
        assert_eq!(mask("\u{FEFF}Hi"), "   Hi");
    }

    #[test]
    fn dashes_not_at_start_are_not_front_matter() {
        let input = "Intro\n\n---\nI'm so lazy\n---\n";
        assert_eq!(mask(input), "Intro\n\n   \nI'm so lazy\n   \n");
        let toml = "Intro\n\n+++\nI'm lazy\n+++\n";
        assert_eq!(words(toml), "Intro +++ I'm lazy +++");
        let indented = " ---\ntitle: x\n---\n";
        assert_eq!(words(indented), "title: x");
    }

    #[test]
    fn unterminated_front_matter_is_not_skipped() {
        assert_eq!(words("---\nI'm lazy\n"), "I'm lazy");
    }

    #[test]
    fn footnotes() {
        let input = "I'm sad[^1] today\n\n[^1]: really sad";
        assert_eq!(mask(input), blanked(input, &["[^1]", "[^1]:"]));
        // A reference without a definition is literal text for pulldown-cmark; still hidden.
        assert_eq!(mask("I'm sad[^note] today"), "I'm sad        today");
        assert_eq!(mask("not [^ a note]"), "not [^ a note]");
    }

    #[test]
    fn crlf_line_endings_are_preserved() {
        let input = "# Head\r\n\r\n- *one*\r\n> two\r\n```\r\ncode\r\n```\r\n";
        let expected = "  Head\r\n\r\n   one \r\n  two\r\n   \r\n    \r\n   \r\n";
        assert_eq!(mask(input), expected);
    }

    #[test]
    fn non_ascii_prose_keeps_offsets() {
        let input = "# Ich bin *so* dumm 😞 — naïve `café` 日本語";
        let masked = mask(input);
        let syntax = ["# ", "*", "*", "`café`"];
        assert_eq!(masked, blanked(input, &syntax));
        let at = input.find('😞');
        assert_eq!(at, masked.find('😞'));
        assert_eq!(input.find("日本語"), masked.find("日本語"));
    }

    #[test]
    fn masked_multibyte_characters_become_one_space_per_byte() {
        assert_eq!(mask("`😞` ok"), "       ok");
        assert_eq!(mask("[x](ü)"), blanked("[x](ü)", &["[", "](ü)"]));
        assert_eq!(mask("<b title=\"é\">x</b>"), "              x    ");
    }

    #[test]
    fn invariant_on_tricky_inputs() {
        let inputs = [
            "",
            "\n",
            "\r\n\r\n",
            "\r",
            "*",
            "**",
            "_",
            "`",
            "```",
            "~~~",
            "---",
            "+++",
            "---\n---",
            "+++\n+++\n",
            "#",
            ">",
            "-",
            "1.",
            "[",
            "]",
            "![",
            "[]()",
            "[x]: ",
            "<",
            "<!--",
            "<a href=\"x",
            "&",
            "&#x1F600;",
            "\\",
            "|",
            "|-|",
            "[^",
            "[^1]:",
            "http://",
            "www.",
            "https://é",
            "www.é.com",
            "\u{FEFF}",
            "\u{FEFF}---\n",
            "a\u{0}b",
            "\t\tcode\ttab",
            "* [ ] \n* [x]",
            "> - [ ] ```\n> > x",
            "[a](<b)",
            "[a](b \"c)",
            "**a *b** c*",
            "__a_b__c_",
            "~a~ ~~b~",
            "😞*😞*😞",
            "`😞",
            "[😞](😞 \"😞\")",
            "<😞>",
            "| 😞 | é |\n|---|---|\n| ü | ß |",
            "é\r\n===\r\n",
            "- a\n\n      code\n- b",
            "1. ```\n   x\n2. y",
            "[foo]\n\n[foo]: /u 'title\nline'",
            "<https://a.b/😞>",
            "www.😞.com",
            "https://x.y/😞 ok",
            "mailto:😞",
            "[^1]\n\n[^1]: ```\n    code",
            "---\na: b\n---\n---\nc: d\n---\n",
            "+++\na = 1\n+++\n+++\n",
        ];
        for input in inputs {
            assert_invariant(input);
        }
    }

    #[test]
    fn invariant_on_generated_inputs() {
        // Deterministic pseudo-random documents from Markdown-heavy pieces.
        let pieces = [
            "*", "_", "`", "```", "~", "[", "]", "(", ")", "<", ">", "!", "#", "-", "+", "|", "\\",
            "&amp;", " ", "\n", "\r\n", "    ", "http://", "www.", "😞", "é", "a", "word", "<!--",
            "-->", "---", "[^1]", ": ", "1. ", "> ", "\"", "'",
        ];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..400 {
            let mut doc = String::new();
            for _ in 0..60 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let idx = usize::try_from(seed % pieces.len() as u64).unwrap_or(0);
                doc.push_str(pieces[idx]);
            }
            assert_invariant(&doc);
        }
    }

    #[test]
    fn large_input_is_fast() {
        let chunk = "# Day\n\nI'm *so* lazy, see [link](https://x.y) and `code` <b>x</b>.\n\n\
                     - [ ] task https://example.com/a\n> quote\n\n```\ncode\n```\n\n| a | b |\n|---|---|\n| c | d |\n\n";
        let mut doc = String::new();
        while doc.len() < 1_000_000 {
            doc.push_str(chunk);
        }
        let start = std::time::Instant::now();
        let masked = mask_markdown(&doc);
        let elapsed = start.elapsed();
        assert_eq!(masked.len(), doc.len());
        assert!(elapsed.as_secs() < 5, "took {elapsed:?}");

        // Pathological runs of a single delimiter must not blow up either.
        for unit in [
            "*", "[", "`", "<", "_a", "[a](", "> ", "- ", "https://", "\\",
        ] {
            let doc = unit.repeat(1_000_000 / unit.len());
            let start = std::time::Instant::now();
            let masked = mask_markdown(&doc);
            assert_eq!(masked.len(), doc.len());
            assert!(
                start.elapsed().as_secs() < 5,
                "{unit:?} took {:?}",
                start.elapsed()
            );
        }
    }
}
