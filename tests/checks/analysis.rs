//! What must hold for every analysis of every text, with positions recomputed independently
//! of the engine. The fuzz targets include this file by itself (`fuzz/src/lib.rs`), so it may
//! use only the library: no serde_json, no binary to spawn.

#![allow(dead_code)]

use kindly::{Analysis, Category};

/// Line and column (1-based, columns in chars) of byte `offset`, counting `\n`, `\r\n` and a
/// lone `\r` as one line break each.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let (mut line, mut column) = (1, 1);
    let mut chars = text[..offset].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                line += 1;
                column = 1;
            }
            '\r' | '\n' => {
                line += 1;
                column = 1;
            }
            _ => column += 1,
        }
    }
    (line, column)
}

/// Panics unless `analysis` is a well-formed analysis of `text`: spans non-empty, inside the
/// text, on char boundaries, in order and disjoint; chars, UTF-16 and line:column agree with
/// the bytes; crisis findings carry no words, no tags and no reframes; tier A and abuse
/// withhold every reframe.
#[track_caller]
pub fn check_analysis(text: &str, analysis: &Analysis) {
    let tier_a = analysis
        .support
        .as_ref()
        .is_some_and(|s| s.tier.whole_entry());
    let mut last_end = 0;
    let mut crisis_seen = false;
    for f in &analysis.findings {
        let (s, e) = (f.bytes.start, f.bytes.end);
        assert!(
            s < e && e <= text.len(),
            "span {s}..{e} in {} bytes",
            text.len()
        );
        assert!(
            text.is_char_boundary(s) && text.is_char_boundary(e),
            "span {s}..{e} splits a character"
        );
        assert!(s >= last_end, "findings out of order or overlapping at {s}");
        last_end = e;
        assert_eq!(f.chars.start, text[..s].chars().count(), "char start");
        assert_eq!(f.chars.end, text[..e].chars().count(), "char end");
        assert_eq!(
            f.utf16.start,
            text[..s].encode_utf16().count(),
            "utf16 start"
        );
        assert_eq!(f.utf16.end, text[..e].encode_utf16().count(), "utf16 end");
        assert_eq!((f.line, f.column), line_column(text, s), "line:column");
        assert_eq!(
            (f.end_line, f.end_column),
            line_column(text, e),
            "end line:column"
        );
        if f.category == Category::Crisis {
            crisis_seen = true;
            assert!(f.text.is_none() && f.reframes.is_empty() && f.tier.is_some());
            assert!(f.tags.is_empty(), "crisis finding tagged {:?}", f.tags);
        } else {
            assert_eq!(f.text.as_deref(), Some(&text[s..e]), "finding text");
            assert!(f.reframes.len() <= 3);
            assert!(
                !tier_a || f.reframes.is_empty(),
                "reframe next to tier A or abuse"
            );
        }
    }
    assert_eq!(
        crisis_seen,
        analysis.support.is_some(),
        "support iff crisis"
    );
}
