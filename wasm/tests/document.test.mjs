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
  // Every bad range is a RangeError with a `kindly:` message, whichever side finds it.
  const range = (pattern) => (e) => e instanceof RangeError && pattern.test(e.message) && e.message.startsWith('kindly: ');
  assert.throws(() => doc.applyEdit(2, 2, 'x'), range(/surrogate/)); // inside the emoji
  assert.throws(() => doc.applyEdit(3, 2, 'x'), range(/surrogate/));
  assert.throws(() => doc.applyEdit(5, 99, ''), range(/does not fit/));
  assert.throws(() => doc.applyEdit(99, 99, ''), range(/does not fit/));
  assert.throws(() => doc.applyEdit(4, 3, ''), range(/reversed/));
  assert.throws(() => doc.applyEdit(-1, 0, ''), range(/from must be a non-negative integer index, not -1$/));
  assert.throws(() => doc.applyEdit(NaN, 0, ''), range(/not NaN$/));
  assert.throws(() => doc.applyEdit(0.5, 1, ''), range(/not 0\.5$/));
  assert.throws(() => doc.applyEdit(0, Infinity, ''), range(/to must be .*, not Infinity$/));
  for (const big of [2 ** 32, 2 ** 32 + 3, 2 ** 53 - 1, 2 ** 53, 2 ** 60]) {
    assert.throws(() => doc.applyEdit(big, big, ''), range(/^kindly: edit range \d+\.\.\d+ does not fit the text$/));
  }
  // Messages show what the caller passed, not what it would coerce to.
  assert.throws(() => doc.applyEdit('1', '2', 'x'), range(/from must be a non-negative integer index, not the string '1'$/));
  assert.throws(() => doc.applyEdit(1n, 2n, 'x'), range(/not 1n$/));
  assert.throws(() => doc.applyEdit(null, 2, 'x'), range(/not null$/));
  assert.throws(() => doc.applyEdit("I'm so lazy", 2, 'x'), range(/not a string$/)); // never quotes words
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

// Results are the caller's: the document rebuilds each result from its own record of the last
// findings, so what a host does with a result (ordinary array and object code) cannot change
// the next one, and an edit is either applied and reported or neither.
const ENTRY = "Hi.\n\nI'm so lazy.\n\nI always mess up.\n\nEveryone else is better than me.";

test('sorting, reversing, splicing or clearing a result leaves the next one right', () => {
  const spoil = {
    reverse: (fs) => fs.reverse(),
    sort: (fs) => fs.sort((a, b) => b.start - a.start),
    splice: (fs) => fs.splice(0, 1),
    clear: (fs) => { fs.length = 0; },
    push: (fs) => fs.push(fs[0]),
    fields: (fs) => { for (const f of fs) { f.start = 0; f.end = 1; f.line = 99; f.id = 'x'; } },
  };
  for (const [name, f] of Object.entries(spoil)) {
    const doc = kindly.document();
    const first = doc.update(ENTRY);
    const ids = first.findings.map((x) => x.id);
    f(first.findings);
    f(doc.analysis.findings); // the same array: the caller's, not the document's
    const next = doc.applyEdit(0, 0, 'Oh. ');
    assert.equal(doc.text, 'Oh. ' + ENTRY, name);
    assert.deepEqual(next.findings.map((x) => x.id), ids, name);
    same(doc);
    // and the document stays healthy afterwards
    assert.deepEqual(doc.update(doc.text).findings.map((x) => x.id), ids, name);
    doc.applyEdit(ENTRY.length + 4, ENTRY.length + 4, " I'm so stupid.");
    same(doc);
  }
});

test('a result already handed out never changes under its holder', () => {
  const doc = kindly.document();
  const first = doc.update(ENTRY);
  const copy = structuredClone(first);
  doc.applyEdit(0, 0, 'Oh. ');
  doc.applyEdit(5, 5, 'x');
  doc.update('');
  assert.deepEqual(first, copy);
  // Each result is a fresh array of fresh objects, even for findings that did not move.
  const a = doc.update(ENTRY + '\n\nBye.');
  const b = doc.applyEdit(ENTRY.length + 5, ENTRY.length + 6, '!');
  assert.notEqual(a.findings, b.findings);
  a.findings.forEach((f, i) => assert.notEqual(f, b.findings[i]));
  assert.deepEqual(a.findings, b.findings);
});

test("a document result's tags and reframes are frozen, since results share them", () => {
  const doc = kindly.document();
  const a = doc.update(ENTRY);
  const f = a.findings[0];
  assert.ok(f.reframes.length > 0);
  assert.throws(() => f.reframes.push({ text: 'x', rewrite: true, poles: [] }), TypeError);
  assert.throws(() => { f.reframes[0].text = 'x'; }, TypeError);
  assert.throws(() => f.reframes[0].poles.push('x'), TypeError);
  assert.throws(() => f.tags.push('labeling'), TypeError);
  // Replacing them on the caller's object is fine, and does not reach the next result.
  f.reframes = [];
  f.tags = ['comparison'];
  const b = doc.applyEdit(0, 0, 'Oh. ');
  assert.ok(b.findings[0].reframes.length > 0);
  assert.deepEqual(b.findings[0].tags, kindly.analyze(doc.text).findings[0].tags);
  same(doc);
});

test('an edit that throws leaves the document as it was, even after the caller changed a result', () => {
  const doc = kindly.document();
  doc.update(ENTRY).findings.length = 0;
  const before = doc.analysis;
  assert.throws(() => doc.applyEdit(5, 999, ''), RangeError);
  assert.equal(doc.text, ENTRY);
  assert.equal(doc.analysis, before);
  doc.applyEdit(0, 0, 'Oh. ');
  assert.equal(doc.text, 'Oh. ' + ENTRY);
  same(doc);
});
