//! The incremental `Document` under random edit sequences: after every edit its analysis
//! equals `Engine::analyze` on the whole text, bad edits are refused without changing the
//! text, and finding ids stay parallel to the findings.
//!
//! Input format (easy to write seeds by hand): chunks separated by the byte 0xFF, which never
//! occurs in UTF-8. The first chunk is the initial text. Every further chunk is one edit:
//! byte 0 the kind (taken modulo 4: 0 byte offsets, 1 UTF-16 offsets, 2 replace everything,
//! 3 insert a stock phrase), bytes 1-2 the start (little-endian, modulo the length + 1),
//! byte 3 how many units to replace, and the rest the inserted text (or, for kind 3, byte 4
//! picks the phrase). Bytes that are not UTF-8 are replaced.
#![no_main]

use kindly::{Document, DocumentKind, Engine};
use kindly_fuzz::check_analysis;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, LazyLock};

static ENGINE: LazyLock<Arc<Engine>> =
    LazyLock::new(|| Arc::new(Engine::new().expect("the built-in packs compile")));

const PHRASES: [&str; 8] = [
    "\n\n",
    "I'm so lazy. ",
    "\r\n\r\n",
    "I always mess everything up",
    "I want to die. ",
    " not ",
    "\"",
    "Everyone else is better than me.\n",
];

fuzz_target!(|data: &[u8]| {
    let mut chunks = data.split(|b| *b == 0xFF);
    let initial = String::from_utf8_lossy(chunks.next().unwrap_or_default());
    let engine = &*ENGINE;
    let mut doc = Document::new(Arc::clone(engine), DocumentKind::PlainText);
    doc.set_text(&initial);
    assert_eq!(doc.analysis(), &engine.analyze(doc.text()));
    for chunk in chunks.take(32) {
        let byte = |i: usize| chunk.get(i).copied().unwrap_or(0);
        let start = usize::from(u16::from_le_bytes([byte(1), byte(2)]));
        let len = usize::from(byte(3));
        let insert = String::from_utf8_lossy(chunk.get(4..).unwrap_or_default());
        let before = doc.text().to_string();
        let result = match byte(0) % 4 {
            0 => {
                let from = start % (before.len() + 1);
                doc.apply_edit(from, from + len, &insert).map(|_| ())
            }
            1 => {
                let from = start % (before.encode_utf16().count() + 1);
                doc.apply_edit_utf16(from, from + len, &insert).map(|_| ())
            }
            2 => {
                doc.set_text(&insert);
                Ok(())
            }
            _ => {
                let mut at = start % (before.len() + 1);
                while !before.is_char_boundary(at) {
                    at -= 1;
                }
                let phrase = PHRASES[usize::from(byte(4)) % PHRASES.len()];
                doc.apply_edit(at, at, phrase).map(|_| ())
            }
        };
        if result.is_err() {
            assert_eq!(doc.text(), before, "a refused edit changed the text");
        }
        let whole = engine.analyze(doc.text());
        assert_eq!(doc.analysis(), &whole, "document differs from whole-text analysis");
        assert_eq!(doc.ids().len(), whole.findings.len());
        check_analysis(doc.text(), doc.analysis());
    }
});
