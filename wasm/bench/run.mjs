// scripts/bench-wasm: the same texts timed natively, in Node and in headless Chromium.
// Not a test: it prints figures (and writes target/wasm-bench.json) for the README and issues.
//
//   prose      1 MB of ordinary English (../shared/corpora/plain-english, else a stand-in)
//   entry      a 10 KB journal entry (the dev corpus, as benches/engine.rs builds it)
//   long       the first 5,000 words of that journal text; one keystroke = one applyEdit
//   short      the first 50 words, to compare a keystroke in a short entry

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from './measure.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const budgetMs = Number(process.env.BENCH_BUDGET_MS ?? 1500);

function journalText() {
  const dir = join(ROOT, 'corpora', 'dev');
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  const per = files.map((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l).text));
  const out = [];
  for (let i = 0; i < Math.max(...per.map((p) => p.length)); i++) for (const p of per) if (i < p.length) out.push(p[i]);
  return out.join('\n\n');
}

function proseText() {
  const dir = join(ROOT, '..', 'shared', 'corpora', 'plain-english');
  if (existsSync(dir)) {
    const text = readdirSync(dir).filter((f) => f.endsWith('.txt') && !f.toUpperCase().startsWith('LICENSE')).sort()
      .map((f) => readFileSync(join(dir, f), 'utf8').replace(/^\uFEFF/, '')).join('\n\n');
    if (text.length >= 1 << 20) return { text: cutBytes(text, 1 << 20), source: 'plain-english corpus' };
  }
  const words = ['the', 'river', 'valley', 'morning', 'light', 'across', 'stone', 'bridge', 'garden', 'window', 'quiet', 'road'];
  let s = '';
  for (let i = 0; s.length < 1 << 20; i++) s += words[(i * 7) % words.length] + (i % 13 === 12 ? '. ' : i % 5 === 4 ? ', ' : ' ');
  return { text: s.slice(0, 1 << 20), source: 'generated stand-in' };
}

/** The longest prefix of `text` that is at most `n` UTF-8 bytes. */
function cutBytes(text, n) {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= n) return text;
  let end = n;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

/** The first `n` words of `text`, keeping its paragraphs. */
function firstWords(text, n) {
  const re = /\S+/g;
  let m;
  let count = 0;
  while ((m = re.exec(text))) if (++count === n) return text.slice(0, m.index + m[0].length);
  return text;
}

const journal = journalText();
const prose = proseText();
const texts = { prose: prose.text, entry: cutBytes(journal, 10 * 1024), long: firstWords(journal, 5000), short: firstWords(journal, 50) };

// Native, the same texts.
const dir = mkdtempSync(join(tmpdir(), 'kindly-bench-'));
let native;
try {
  for (const k of ['prose', 'entry', 'long']) writeFileSync(join(dir, `${k}.txt`), texts[k]);
  execFileSync('cargo', ['build', '--quiet', '--locked', '--release', '-p', 'kindly-wasm', '--example', 'native_speed'], { cwd: ROOT, stdio: 'inherit' });
  const bin = join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'release', 'examples', 'native_speed');
  native = JSON.parse(execFileSync(bin, ['prose', 'entry', 'long'].map((k) => join(dir, `${k}.txt`)), { encoding: 'utf8' }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Node.
const pkg = new URL('../pkg/', import.meta.url);
const k = await import(new URL('kindly.js', pkg));
k.initSync(readFileSync(new URL('kindly_wasm_bg.wasm', pkg)));
const node = measure(k.Kindly, texts, budgetMs);

// Chromium.
const { startServer } = await import('../serve.mjs');
const { launch } = await import('../browser/chromium.mjs');
const { server, origin } = await startServer();
const browser = await launch();
let chromium;
try {
  const page = await browser.context.newPage();
  await page.goto(`${origin}/bench/`);
  await page.waitForSelector('body[data-ready="true"]');
  chromium = await page.evaluate(([t, b]) => window.runBench(t, b), [texts, budgetMs]);
} finally {
  await browser.close();
  server.close();
}

const f = (x, d = 3) => x.toFixed(d);
const rows = [
  ['10 KB entry, analyze', native.entry_ms, node.entryMs, chromium.entryMs],
  [`keystroke, ${node.longWords}-word entry`, native.keystroke_ms, node.keystrokeMs, chromium.keystrokeMs],
  [`keystroke, ${node.shortWords}-word entry`, null, node.shortKeystrokeMs, chromium.shortKeystrokeMs],
  [`${node.longWords}-word entry, whole analyze`, native.long_whole_ms, node.longWholeMs, chromium.longWholeMs],
  [`1 MB prose (${prose.source})`, native.prose_ms, node.proseMs, chromium.proseMs],
];
console.log(`${'median, ms'.padEnd(36)} ${'native'.padStart(9)} ${'node'.padStart(9)} ${'chromium'.padStart(9)}`);
for (const [name, a, b, c] of rows) {
  console.log(`${name.padEnd(36)} ${(a === null ? '-' : f(a)).padStart(9)} ${f(b).padStart(9)} ${f(c).padStart(9)}`);
}
console.log(`prose throughput: native ${f(native.prose_mb_s, 1)} MB/s, node ${f(node.proseMBs, 1)} MB/s (${f(node.proseMBs / native.prose_mb_s, 2)} of native), chromium ${f(chromium.proseMBs, 1)} MB/s (${f(chromium.proseMBs / native.prose_mb_s, 2)} of native)`);
console.log(`engine build: node ${f(node.buildMs, 1)} ms, chromium ${f(chromium.buildMs, 1)} ms; first 10 KB analyze (compiles patterns): node ${f(node.firstEntryMs, 1)} ms, chromium ${f(chromium.firstEntryMs, 1)} ms`);
console.log(`paragraphs re-analysed per keystroke: ${chromium.keystrokeReanalysed}`);
const out = join(ROOT, 'target');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'wasm-bench.json'), JSON.stringify({ native, node, chromium, prose: prose.source }, null, 2));
