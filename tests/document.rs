//! The incremental `Document` must always agree with analysing the whole text at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kindly::{Document, DocumentKind, Engine};
use std::sync::Arc;

/// Every fixture text, as paragraphs of a long journal.
fn fixture_paragraphs() -> Vec<String> {
    let data = include_str!("fixtures/selftalk.jsonl");
    data.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("fixture line is JSON");
            v["text"].as_str().expect("text").to_string()
        })
        .collect()
}

#[test]
fn a_long_journal_gives_the_same_findings_as_whole_text_analysis() {
    let engine = Arc::new(Engine::new().unwrap());
    let paragraphs = fixture_paragraphs();
    // Mix the separators a real file has: blank lines, CRLF, whitespace-only lines.
    let seps = ["\n\n", "\r\n\r\n", "\n  \n", "\n\n\n"];
    let mut text = String::new();
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            text.push_str(seps[i % seps.len()]);
        }
        text.push_str(p);
    }
    let mut doc = Document::new(Arc::clone(&engine), DocumentKind::PlainText);
    doc.set_text(&text);
    let whole = engine.analyze(&text);
    assert!(whole.findings.len() > 400, "{}", whole.findings.len());
    assert_eq!(doc.analysis(), &whole);
    // And each paragraph alone finds what the whole finds inside it (crisis handling and
    // severity stacking aside, which are entry-wide).
    let mut from_parts = 0;
    for p in &paragraphs {
        from_parts += engine.analyze(p).findings.len();
    }
    assert_eq!(from_parts, whole.findings.len());
}

#[test]
fn typing_a_paragraph_keystroke_by_keystroke_stays_exact() {
    let engine = Arc::new(Engine::new().unwrap());
    let paragraphs = fixture_paragraphs();
    let mut doc = Document::new(Arc::clone(&engine), DocumentKind::PlainText);
    let base = paragraphs[..60].join("\n\n");
    doc.set_text(&base);
    // Type a new paragraph in the middle, one character at a time. Typing starts inside the
    // second paragraph, so only its findings may get new identities.
    let mid = base.find("\n\n").unwrap() + 2;
    let second_end = mid + base[mid..].find("\n\n").unwrap();
    let before: Vec<_> = doc
        .findings()
        .filter(|(_, f)| f.bytes.end <= mid || f.bytes.start >= second_end)
        .map(|(id, _)| id)
        .collect();
    let total_before = doc.ids().len();
    assert!(
        before.len() > 40 && before.len() < total_before,
        "{}",
        before.len()
    );
    let typed = "Honestly I'm such an idiot, everyone else is better than me.\n\n";
    let mut at = mid;
    for c in typed.chars() {
        let mut buf = [0u8; 4];
        doc.apply_edit(at, at, c.encode_utf8(&mut buf)).unwrap();
        at += c.len_utf8();
        assert!(
            doc.paragraphs_reanalysed() <= 2,
            "{}",
            doc.paragraphs_reanalysed()
        );
        assert_eq!(
            doc.analysis(),
            &engine.analyze(doc.text()),
            "after typing {c:?}"
        );
    }
    // The findings of the untouched paragraphs kept their identities.
    let after = doc.ids().to_vec();
    let kept = before.iter().filter(|id| after.contains(id)).count();
    assert_eq!(kept, before.len());
    assert_eq!(after.len(), total_before + 2);
    // Deleting it again restores the original analysis.
    doc.apply_edit(mid, at, "").unwrap();
    assert_eq!(doc.text(), base);
    assert_eq!(doc.analysis(), &engine.analyze(&base));
}

#[test]
fn an_ignore_comment_silences_its_paragraph_but_never_crisis_language_in_every_path() {
    // A CBT thought record quotes the harsh thought on purpose; the comment keeps it quiet.
    // The paragraph after the blank line is not covered, and crisis language never is.
    let engine = Arc::new(Engine::new().unwrap());
    let text = "Thought record, Monday.\n<!-- kindly-ignore -->\nAutomatic thought: I am so lazy \
                and useless.\n\nBut honestly I am so lazy.\n\nI'm so lazy. I want to die. \
                <!--kindly-ignore-->\n";
    let whole = engine.analyze(text);
    let rules: Vec<(&str, &str)> = whole
        .findings
        .iter()
        .map(|f| (&*f.rule, &text[f.bytes.range()]))
        .collect();
    assert_eq!(
        rules,
        [
            ("labeling.self-adjective", "I am so lazy"),
            ("crisis.want-to-die", "I want to die")
        ]
    );
    assert!(whole.support.is_some());
    // The same in Markdown (where the comment itself is masked), incrementally and streamed.
    assert_eq!(
        engine
            .analyze_markdown(text)
            .findings
            .iter()
            .map(|f| f.bytes)
            .collect::<Vec<_>>(),
        whole.findings.iter().map(|f| f.bytes).collect::<Vec<_>>()
    );
    let mut doc = Document::new(Arc::clone(&engine), DocumentKind::PlainText);
    doc.set_text(text);
    assert_eq!(doc.analysis(), &whole);
    let mut stream = engine.stream(DocumentKind::PlainText);
    for piece in text.as_bytes().chunks(7) {
        stream.push(std::str::from_utf8(piece).unwrap());
    }
    assert_eq!(stream.finish(), whole);
    // Typing the comment into the first paragraph silences it; deleting it brings it back.
    let plain = text.replace("<!-- kindly-ignore -->\n", "");
    let mut doc = Document::new(Arc::clone(&engine), DocumentKind::PlainText);
    doc.set_text(&plain);
    let first_end = plain.find("\n\n").unwrap();
    assert_eq!(doc.analysis().findings.len(), 3);
    assert!(doc.analysis().findings[0].bytes.end <= first_end);
    doc.set_text(text);
    assert_eq!(doc.analysis(), &whole);
}
