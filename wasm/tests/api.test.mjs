// The JS API: building engines, options, errors. Nothing may trap across the boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kindly, GOOD_PACK, version } from './helpers.mjs';

test('the embedded English pack finds harsh self-talk and offers reframes', () => {
  const kindly = new Kindly();
  const text = "I'm not lazy, I'm exhausted. But honestly I'm such an idiot.";
  const { findings, support } = kindly.analyze(text);
  assert.equal(support, null);
  assert.equal(findings.length, 1);
  const f = findings[0];
  assert.equal(f.category, 'labeling');
  assert.equal(f.label, 'harsh label');
  assert.equal(f.text, "I'm such an idiot");
  assert.equal(text.slice(f.start, f.end), f.text);
  assert.deepEqual([f.line, f.column], [1, 43]);
  assert.ok(['low', 'moderate', 'high'].includes(f.severity));
  assert.ok(f.message.length > 0);
  assert.equal(f.reframes[0].text, 'I made a mistake');
  assert.equal(f.reframes[0].rewrite, true);
  assert.ok(Array.isArray(f.reframes[0].poles));
  assert.equal(f.id, undefined, 'only document findings carry ids');
  assert.match(version(), /^\d+\.\d+\.\d+/);
});

test('nothing is found in kind or neutral writing', () => {
  const kindly = new Kindly();
  for (const text of ['', ' ', 'We floated on the lazy river.', "I'm exhausted, and that's okay.", 'kill the process and restart']) {
    assert.deepEqual(kindly.analyze(text), { findings: [], support: null });
  }
});

test('caller-given packs, alone or next to the English pack', () => {
  const only = new Kindly({ builtin: false, packs: [{ name: 'mine.toml', toml: GOOD_PACK }] });
  const a = only.analyze("ugh I’m such a goo. I'm so lazy.");
  assert.deepEqual(a.findings.map((f) => f.rule), ['mine.blob']);
  assert.equal(a.findings[0].message, '“goo” is unkind.');
  const both = new Kindly({ packs: [GOOD_PACK] });
  assert.deepEqual(both.analyze("ugh I’m such a goo. I'm so lazy.").findings.map((f) => f.category), ['labeling', 'labeling']);
});

test('crisis language is caught without the English pack too', () => {
  // A caller's pack without crisis rules keeps the built-in crisis rules on.
  const only = new Kindly({ builtin: false, packs: [{ name: 'mine.toml', toml: GOOD_PACK }] });
  const a = only.analyze("I'm such a goo. I want to die.");
  assert.deepEqual(a.findings.map((f) => f.rule), ['mine.blob', 'crisis.want-to-die']);
  assert.equal(a.support.tier, 'a');
  assert.deepEqual(a.support, new Kindly().analyze('I want to die.').support);
});

test('a bad pack throws an Error with the located message', () => {
  const bad = GOOD_PACK.replace('category = "labeling"', 'category = "labelling"');
  assert.throws(
    () => new Kindly({ builtin: false, packs: [{ name: 'mine.toml', toml: bad }] }),
    (e) => e instanceof Error && e.message.startsWith("kindly: mine.toml:13:12: rule 'mine.blob': unknown category 'labelling'"),
  );
  // TOML syntax errors are located too.
  assert.throws(
    () => new Kindly({ packs: [{ name: 'broken.toml', toml: '[pack]\nid = \n' }] }),
    (e) => e instanceof Error && /^kindly: broken\.toml:2:\d+: /.test(e.message),
  );
  // A bad regex, with the rule named.
  assert.throws(
    () => new Kindly({ builtin: false, packs: [{ name: 'mine.toml', toml: GOOD_PACK.replace('(?P<word>', '(?P<word') }] }),
    (e) => e instanceof Error && e.message.startsWith('kindly: mine.toml:') && e.message.includes("rule 'mine.blob'"),
  );
  // Engines still build fine afterwards: a failed build leaves nothing broken.
  assert.equal(new Kindly().analyze("I'm so lazy.").findings.length, 1);
});

test('options are checked', () => {
  assert.throws(() => new Kindly({ maxReframe: 2 }), TypeError);
  assert.throws(() => new Kindly({ maxReframes: 4 }), RangeError);
  assert.throws(() => new Kindly({ maxReframes: 1.5 }), RangeError);
  assert.throws(() => new Kindly({ maxReframes: '2' }), /kindly: maxReframes must be 0 to 3, not the string '2'$/);
  assert.throws(() => new Kindly({ packs: [42] }), TypeError);
  assert.throws(() => new Kindly({ builtin: 'yes' }), TypeError);
  assert.throws(() => new Kindly('en'), TypeError);
  assert.throws(
    () => new Kindly({ disable: ['crisis'] }),
    (e) => e instanceof Error && e.message === 'kindly: the crisis category cannot be turned off: crisis language is always caught',
  );
  assert.throws(() => new Kindly({ disable: ['labelling'] }), (e) => /unknown category 'labelling'/.test(e.message));
  assert.throws(() => new Kindly({ disableRules: 'labeling.self-adjective x'.split(' ').concat(42) }), TypeError);
  assert.throws(
    () => new Kindly({ disableRules: ['labelling.self-adjective'] }),
    (e) => e instanceof Error && e.message === "kindly: no loaded rule 'labelling.self-adjective' to turn off; did you mean 'labeling.self-adjective'?",
  );
  assert.throws(
    () => new Kindly({ disableRules: ['crisis.want-to-die'] }),
    (e) => e instanceof Error && e.message === "kindly: rule 'crisis.want-to-die' cannot be turned off: crisis language is always caught",
  );
});

test("the engine's messages carry the kindly: prefix and point to nothing the package lacks", () => {
  const messages = [];
  for (const options of [
    { disable: ['crisis'] },
    { disableRules: [''] },
    { disableRules: ['crisis.want-to-die'] },
    { disableRules: ['crisis.nope'] },
    { disableRules: ['labelling.self-adjective'] },
    { locale: 'en-NZ' },
    { builtin: false, packs: [GOOD_PACK.replace('language = "en"', 'language = "fr"')] },
  ]) {
    assert.throws(() => new Kindly(options), (e) => {
      messages.push(e.message);
      return true;
    });
  }
  for (const m of messages) {
    assert.match(m, /^kindly: /);
    assert.doesNotMatch(m, /see README|`kindly |kindly rules|\(see rules\/README\.md\)/, m);
  }
  assert.equal(messages[1], "kindly: no loaded rule '' to turn off (use the `rule` of a finding, e.g. 'labeling.self-adjective')");
  assert.match(messages[6], /add a \[context\] table \(see rules\/README\.md in kindly's source repository\)$/);
});

test('analyze() and document() options are checked like the constructor\'s', () => {
  const kindly = new Kindly();
  assert.throws(() => kindly.analyze("I'm so lazy.", { markdwn: true }), /kindly: unknown option 'markdwn' \(expected: markdown\)/);
  assert.throws(() => kindly.analyze("I'm so lazy.", { markdown: true, extra: 1 }), TypeError);
  assert.throws(() => kindly.document({ markdwn: true }), TypeError);
  assert.throws(() => kindly.analyze("I'm so lazy.", [true]), TypeError);
  assert.equal(kindly.analyze("I'm so lazy.", {}).findings.length, 1);
  assert.equal(kindly.analyze("I'm so lazy.", { markdown: false }).findings.length, 1);
});

test('engines and documents free with `using` (Symbol.dispose), and documents come only from document()', async () => {
  const { KindlyDocument } = await import('./helpers.mjs');
  assert.equal(typeof Symbol.dispose, 'symbol');
  const kindly = new Kindly();
  const doc = kindly.document();
  doc[Symbol.dispose]();
  assert.throws(() => doc.update('x'), /freed/);
  kindly[Symbol.dispose]();
  assert.throws(() => kindly.analyze('x'), /freed/);
  assert.throws(() => new KindlyDocument({}), /kindly: documents are made with kindly\.document\(\)/);
});

test('options change the output', () => {
  const text = "I should be over this by now. Honestly I'm such an idiot.";
  const off = new Kindly({ disable: ['should_statement'] });
  assert.deepEqual(off.analyze(text).findings.map((f) => f.category), ['labeling']);
  // Turning off the rule that spoke lets the next rule for the same words speak instead.
  assert.deepEqual(new Kindly().analyze(text).findings.map((f) => f.rule), ['should.be-over-it', 'labeling.self-noun']);
  assert.deepEqual(new Kindly({ disableRules: ['should.be-over-it'] }).analyze(text).findings.map((f) => f.rule), ['should.by-now', 'labeling.self-noun']);
  const allOff = new Kindly({ disableRules: 'should.be-over-it, should.by-now,should.timeline' });
  assert.deepEqual(allOff.analyze(text).findings.map((f) => f.rule), ['labeling.self-noun']);
  assert.ok(new Kindly({ maxReframes: 1 }).analyze(text).findings.every((f) => f.reframes.length === 1));
  assert.ok(new Kindly({ maxReframes: 0 }).analyze(text).findings.every((f) => f.reframes.length === 0));
  const us = new Kindly().analyze('I want to die.').support;
  const gb = new Kindly({ locale: 'en-GB' }).analyze('I want to die.').support;
  assert.notDeepEqual(us.resources, gb.resources);
  assert.ok(gb.resources.some((r) => /116 123/.test(r.contact)));
  assert.deepEqual(new Kindly({ locale: 'en_gb' }).analyze('I want to die.').support, gb);
  assert.throws(
    () => new Kindly({ locale: 'en-NZ' }),
    (e) => e instanceof Error && /^kindly: unknown locale 'en-NZ' for support messages and helplines: the packs have support text for en-AU, en-CA, en-GB, en-IE, en-US$/.test(e.message),
  );
});

test('Markdown skips code and keeps positions in the original text', () => {
  const kindly = new Kindly();
  const md = "# Monday\n\n`I'm so lazy` is a code span, but *I'm so lazy* is not.\n";
  const a = kindly.analyze(md, { markdown: true });
  assert.equal(a.findings.length, 1);
  assert.equal(md.slice(a.findings[0].start, a.findings[0].end), "I'm so lazy");
  assert.deepEqual(kindly.analyzeMarkdown(md), a);
  assert.equal(kindly.analyze(md).findings.length, 2);
});

test('bad arguments throw ordinary errors and never trap', () => {
  const kindly = new Kindly();
  for (const bad of [undefined, null, 42, {}, ['x'], Symbol('x')]) {
    assert.throws(() => kindly.analyze(bad), TypeError);
  }
  assert.throws(() => kindly.analyze('x', 'markdown'), TypeError);
  assert.throws(() => kindly.document({ markdown: 1 }), TypeError);
  kindly.free();
  assert.throws(() => kindly.analyze('x'), /freed/);
  kindly.free(); // twice is fine
});

test('a large and hostile-looking input is analysed without trouble', () => {
  const kindly = new Kindly();
  const text = "I'm so lazy. ".repeat(20000) + '\u0000'.repeat(1000) + '\uFFFF'.repeat(100) + '['.repeat(5000);
  const a = kindly.analyze(text);
  assert.ok(a.findings.length > 1000);
  assert.equal(text.slice(a.findings.at(-1).start, a.findings.at(-1).end), "I'm so lazy");
});

test('warmUp compiles patterns ahead of need and leaves the findings alone', () => {
  const text = "Missed the bus again. I'm such an idiot. Everyone else has it together.\n\nI always ruin everything.";
  const cold = new Kindly();
  const expected = cold.analyze(text);
  cold.free();

  const kindly = new Kindly();
  const first = kindly.warmUp(0); // at least one step, however small the budget
  assert.ok(Number.isInteger(first) && first > 0, `patterns left after one step: ${first}`);
  // One pattern per clock check, so a budget is overrun by one pattern at most.
  assert.equal(kindly.warmUp(0), first - 1, 'a spent budget compiles exactly one pattern');
  let left = first;
  for (let i = 0; left > 0 && i < 10000; i++) left = kindly.warmUp(50);
  assert.equal(left, 0);
  assert.equal(kindly.warmUp(), 0, 'nothing left once warm');
  assert.deepEqual(kindly.analyze(text), expected);

  for (const bad of [-1, NaN, '5', null]) assert.throws(() => kindly.warmUp(bad), RangeError);
  assert.throws(() => kindly.warmUp('5'), /not the string '5'$/);
  kindly.free();
  assert.throws(() => kindly.warmUp(1), /freed/);
});

test('every built-in pattern compiles with the wasm build of regex', async () => {
  const raw = await import('../pkg/kindly_wasm.js');
  assert.doesNotThrow(() => raw.__compileAllPatterns());
});

test('patterns with Unicode classes beyond case folding and \\w \\s \\d fail with a located error, not a trap', () => {
  for (const cls of ['\\p{Greek}', '\\p{L}', '\\pL', '\\P{L}', '\\p{Script=Latin}', '\\p{Lowercase_Letter}', '\\p{Emoji}']) {
    const pack = GOOD_PACK.replace("(?P<word>{blobs})", `(?P<word>{blobs})${cls}*`);
    assert.throws(
      () => new Kindly({ builtin: false, packs: [{ name: 'mine.toml', toml: pack }] }),
      (e) => {
        assert.ok(e instanceof Error && e.message.startsWith('kindly: mine.toml:16:'), e.message);
        // It says why: the pack is not wrong, this build lacks the tables.
        const first = e.message.split('\n')[0];
        assert.match(first, /Unicode property (value )?not found \(the WebAssembly build leaves out Unicode property classes such as \\p\{L\} and \\p\{Greek\} to save size; the native kindly has them; \\w, \\d, \\s and \\b work here\)$/, cls);
        // The excerpt under it still points at the class.
        assert.ok(e.message.split('\n')[1].includes(cls), e.message);
        return true;
      },
    );
  }
  // \w and friends are there.
  const pack = GOOD_PACK.replace("(?P<word>{blobs})", '(?P<word>{blobs})\\w*');
  assert.deepEqual(new Kindly({ builtin: false, packs: [pack] }).analyze("I'm a blob.").findings.map((f) => f.text), ["I'm a blob"]);
});

test('the npm package lists exactly the files it ships, licences included', async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const pkgDir = new URL('../pkg/', import.meta.url);
  const pkg = JSON.parse(readFileSync(new URL('package.json', pkgDir), 'utf8'));
  assert.equal(pkg.license, 'MIT OR Apache-2.0');
  assert.ok(pkg.files.includes('LICENSE-MIT') && pkg.files.includes('LICENSE-APACHE'));
  const present = new Set(readdirSync(pkgDir));
  for (const f of pkg.files) assert.ok(present.has(f), `package.json lists ${f}, which is missing`);
  assert.match(readFileSync(new URL('LICENSE-APACHE', pkgDir), 'utf8'), /Apache License\s+Version 2\.0/);
});
