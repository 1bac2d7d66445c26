//! Markdown analysis on arbitrary input: masking keeps every offset in the original text, so
//! the same position checks hold as for plain text; and a Markdown `Document` agrees.
#![no_main]

use kindly::{Document, DocumentKind};
use kindly_fuzz::{check_analysis, ENGINE};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, LazyLock};

static SHARED: LazyLock<Arc<kindly::Engine>> =
    LazyLock::new(|| Arc::new(kindly::Engine::new().expect("the built-in packs compile")));

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let analysis = ENGINE.analyze_markdown(&text);
    check_analysis(&text, &analysis);
    let mut doc = Document::new(Arc::clone(&SHARED), DocumentKind::Markdown);
    doc.set_text(&text);
    assert_eq!(doc.analysis(), &analysis, "Markdown document differs from analyze_markdown");
});
