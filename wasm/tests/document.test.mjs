// As-you-type documents: results equal whole-text analysis, unchanged paragraphs keep their
// finding ids and shift correctly, and only the edited paragraph is analysed again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kindly, rng, withoutId } from './helpers.mjs';

const kindly = new Kindly();
const same = (doc) => assert.deepEqual(doc.analysis.findings.map(withoutId), kindly.analyze(doc.text).findings);

test('identity and shift across an edit in an earlier paragraph', () => {
  const doc = kindly.document();
  let a = doc.update("Hi.\n\nI'm so lazy.\n\nI always mess up.\n\nBye.");
  assert.equal(doc.paragraphsReanalysed, 4);
  const ids = a.findings.map((f) => f.id);
  assert.equal(ids.length, 2);
  assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0));
  const starts = a.findings.map((f) => f.start);

  a = doc.applyEdit(0, 2, 'Hello there 😀'); // "Hi" -> 14 UTF-16 units
  assert.equal(doc.paragraphsReanalysed, 1);
  assert.deepEqual(a.findings.map((f) => f.id), ids);
  assert.deepEqual(a.findings.map((f) => f.start), starts.map((s) => s + 12));
  assert.equal(doc.text.slice(a.findings[0].start, a.findings[0].end), "I'm so lazy");
  assert.equal(a.findings[1].line, 5);
  same(doc);

  // Editing the finding's own paragraph gives it a new identity; the other keeps its own.
  a = doc.applyEdit(a.findings[0].start + 4, a.findings[0].start + 6, 'really');
  assert.equal(doc.paragraphsReanalysed, 1);
  assert.notEqual(a.findings[0].id, ids[0]);
  assert.equal(a.findings[1].id, ids[1]);
  same(doc);

  // Moving paragraphs around reuses them: ids follow the text.
  a = doc.update("Hello there 😀.\n\nI always mess up.\n\nI'm so lazy.\n\nBye.");
  assert.equal(doc.paragraphsReanalysed, 1);
  assert.equal(a.findings[0].id, ids[1]);
  same(doc);
});

test('update(text) and applyEdit agree, and a keystroke in a 5,000-word entry re-analyses one paragraph', () => {
  const para = (i) => `Entry ${i}. Walked to the shop, made soup, ${i % 5 === 0 ? "I'm so lazy about the dishes" : 'read a chapter'}, slept early. ` + 'The afternoon was quiet and grey. '.repeat(5);
  const text = Array.from({ length: 120 }, (_, i) => para(i)).join('\n\n');
  assert.ok(text.split(/\s+/).length >= 5000);
  const doc = kindly.document();
  doc.update(text);
  const before = doc.analysis.findings.map((f) => f.id);
  const at = text.indexOf('Entry 51.');
  doc.applyEdit(at, at, 'x');
  assert.equal(doc.paragraphsReanalysed, 1);
  assert.deepEqual(doc.analysis.findings.map((f) => f.id), before);
  doc.applyEdit(at, at + 1, '');
  assert.equal(doc.text, text);
  same(doc);
});

test('random edits: always equal to analysing the whole text', () => {
  const rand = rng(7);
  const snippets = ["I'm so lazy", ' ', '\n\n', '\n', '😀', 'e\u0301', 'not ', 'I always mess up. ', 'I want to die. ', '.', 'Everyone else is better than me. '];
  for (const markdown of [false, true]) {
    const doc = kindly.document({ markdown });
    let text = '';
    for (let i = 0; i < 300; i++) {
      let from = Math.floor(rand() * (text.length + 1));
      let to = Math.min(text.length, from + Math.floor(rand() * 6));
      // Keep surrogate pairs whole, as editors do.
      if (/[\uDC00-\uDFFF]/.test(text[from] ?? '')) from--;
      if (/[\uDC00-\uDFFF]/.test(text[to] ?? '')) to++;
      const insert = rand() < 0.3 ? '' : snippets[Math.floor(rand() * snippets.length)];
      doc.applyEdit(from, to, insert);
      text = text.slice(0, from) + insert + text.slice(to);
      assert.equal(doc.text, text);
      const whole = markdown ? kindly.analyzeMarkdown(text) : kindly.analyze(text);
      assert.deepEqual(doc.analysis.findings.map(withoutId), whole.findings);
      assert.deepEqual(doc.analysis.support, whole.support);
    }
  }
});

test('edits that do not fit throw and leave the document unchanged', () => {
  const doc = kindly.document();
  doc.update("é😀 I'm so lazy");
  const before = doc.analysis;
  assert.throws(() => doc.applyEdit(2, 2, 'x'), /surrogate/); // inside the emoji
  assert.throws(() => doc.applyEdit(5, 99, ''), /does not fit/);
  assert.throws(() => doc.applyEdit(4, 3, ''), Error);
  assert.throws(() => doc.applyEdit(-1, 0, ''), RangeError);
  assert.throws(() => doc.applyEdit(NaN, 0, ''), RangeError);
  assert.throws(() => doc.applyEdit(0.5, 1, ''), RangeError);
  assert.throws(() => doc.applyEdit(2 ** 53, 2 ** 53, ''), RangeError);
  assert.throws(() => doc.applyEdit(0, 0, 7), TypeError);
  assert.throws(() => doc.update(null), TypeError);
  assert.equal(doc.text, "é😀 I'm so lazy");
  assert.equal(doc.analysis, before);
  const a = doc.applyEdit(1, 3, '');
  assert.equal(doc.text, "é I'm so lazy");
  assert.deepEqual([a.findings[0].start, a.findings[0].end], [2, 13]);
  doc.free();
  assert.throws(() => doc.update('x'), /freed/);
});

test('documents outlive the engine object that made them', () => {
  const k = new Kindly();
  const doc = k.document();
  k.free();
  assert.equal(doc.update("I'm so lazy.").findings.length, 1);
});
