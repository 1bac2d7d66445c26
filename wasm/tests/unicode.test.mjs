// Offsets are JS string indices: text.slice(start, end) must be exactly the flagged words, with
// emoji, combining characters, CJK, CRLF and lone surrogates before and inside the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kindly, rng } from './helpers.mjs';

const kindly = new Kindly();

/** Checks every finding's offsets and line/column against the JS string itself. */
function checkPositions(text, analysis) {
  for (const f of analysis.findings) {
    assert.ok(Number.isInteger(f.start) && Number.isInteger(f.end) && f.start < f.end && f.end <= text.length, `${f.start}..${f.end}`);
    if (f.text !== null) assert.equal(text.slice(f.start, f.end), f.text, 'the slice is the flagged text');
    // Lines break at \n, \r\n and a lone \r; columns count code points, 1-based.
    const before = text.slice(0, f.start);
    const lines = before.split(/\r\n|\r|\n/);
    assert.equal(f.line, lines.length, 'line');
    assert.equal(f.column, [...lines.at(-1)].length + 1, 'column');
    const upto = text.slice(0, f.end).split(/\r\n|\r|\n/);
    assert.equal(f.endLine, upto.length, 'endLine');
    assert.equal(f.endColumn, [...upto.at(-1)].length + 1, 'endColumn');
  }
}

const CASES = [
  ['emoji before', "😀😀 Honestly I'm such an idiot."],
  ['ZWJ family and flags', "👨‍👩‍👧‍👦 🇬🇧🇯🇵 ugh. I'm so lazy today."],
  ['combining accents', "Cafe\u0301 au lait, re\u0301sume\u0301 sent. I'm such an idiot."],
  ['CJK and astral CJK', "今日は𠮷野家に行った。 I always mess things up."],
  ['emoji inside the line after', "I'm so lazy 😩🙃 and I know it"],
  ['CRLF lines', "Monday.\r\n\r\nI'm so useless.\r\nEveryone else is better than me."],
  ['lone CR', "Monday.\rI'm so lazy."],
  ['curly apostrophe', "Missed it again. I’m useless."],
  ['crisis has no text', "😔 I'm so useless. I want to die."],
];

for (const [name, text] of CASES) {
  test(`offsets slice the JS string exactly: ${name}`, () => {
    const a = kindly.analyze(text);
    assert.ok(a.findings.length > 0, 'something is found');
    checkPositions(text, a);
  });
}

test('crisis findings carry offsets and tier only, and a calm support message', () => {
  const text = "😔 I'm so useless. I want to die.";
  const a = kindly.analyze(text);
  const crisis = a.findings.find((f) => f.category === 'crisis');
  assert.ok(crisis);
  assert.equal(crisis.text, null);
  assert.equal(crisis.tier, 'a');
  assert.deepEqual(crisis.reframes, []);
  assert.ok(a.support && a.support.message.length > 0 && a.support.resources.length > 0);
  assert.ok(a.findings.every((f) => f.reframes.length === 0), 'no reframes anywhere for tier A');
});

test('lone surrogates neither trap nor shift offsets', () => {
  for (const text of ["\uD800 I'm so lazy.", "I'm so lazy.\uDC00", "\uDBFF\uDBFF x \uDC00 I always mess up."]) {
    const a = kindly.analyze(text);
    assert.equal(a.findings.length, 1, JSON.stringify(text));
    checkPositions(text, a);
  }
});

test('random mixed-script text: never throws, offsets always slice exactly', () => {
  const rand = rng(4);
  const pieces = ["I'm so lazy", ' I always mess up', '. ', '\n', '\r\n', '\n\n', '😀', 'é', 'e\u0301', '日本', '𠮷',
    ' everyone else is better than me', ' not', "I'm not lazy", '"', '`', '*', ' I should be over this by now',
    ' I want to die', ' lol', '\uD83D', '\t', '\u2028', '\u0000', 'ß', 'İ', 'ǅ', '\u200B'];
  for (let i = 0; i < 400; i++) {
    let text = '';
    const n = Math.floor(rand() * 30);
    for (let j = 0; j < n; j++) text += pieces[Math.floor(rand() * pieces.length)];
    checkPositions(text, kindly.analyze(text));
    checkPositions(text, kindly.analyzeMarkdown(text));
  }
});

test('a long entry with astral characters throughout', () => {
  const text = Array.from({ length: 300 }, (_, i) => `Day ${i} 🌧️ — ${i % 7 === 0 ? "I'm so lazy." : 'Walked the dog.'}`).join('\n\n');
  const a = kindly.analyze(text);
  assert.equal(a.findings.length, 43);
  checkPositions(text, a);
});
