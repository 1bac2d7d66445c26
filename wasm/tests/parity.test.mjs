// Parity with the native CLI: on every text of the dev corpus (corpora/dev/*.jsonl), plain and
// as Markdown, the wasm package's findings equal `kindly check --format json`'s, finding for
// finding: rule, category, tags, severity, confidence, tier, UTF-16 span, line/column, text,
// message, reframes and the support message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kindly, ROOT } from './helpers.mjs';

/** The native CLI, built (debug profile, as `cargo test` leaves it) if it is missing or stale. */
function nativeCli() {
  if (process.env.KINDLY_BIN) return process.env.KINDLY_BIN;
  execFileSync('cargo', ['build', '--quiet', '--locked', '--bin', 'kindly'], { cwd: ROOT, stdio: 'inherit' });
  const target = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target');
  return join(target, 'debug', 'kindly');
}

function corpus() {
  const dir = join(ROOT, 'corpora', 'dev');
  const texts = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line.trim()) texts.push(JSON.parse(line).text);
    }
  }
  return texts;
}

/** The CLI's finding, in the wasm package's shape. */
const fromCli = (f) => ({
  rule: f.rule,
  category: f.category,
  tags: f.tags,
  severity: f.severity,
  confidence: f.confidence,
  tier: f.tier,
  start: f.utf16.start,
  end: f.utf16.end,
  line: f.line,
  column: f.column,
  endLine: f.end_line,
  endColumn: f.end_column,
  text: f.text,
  message: f.message,
  reframes: f.reframes,
  reframesWithheld: f.reframes_withheld,
});
const fromWasm = ({ label, id, ...f }) => f;

test('the wasm findings equal the native CLI on the dev corpus, plain and Markdown', () => {
  const texts = corpus();
  assert.ok(texts.length >= 1000, `dev corpus has ${texts.length} texts`);
  const dir = mkdtempSync(join(tmpdir(), 'kindly-parity-'));
  try {
    texts.forEach((t, i) => {
      const n = String(i).padStart(5, '0');
      writeFileSync(join(dir, `${n}.txt`), t);
      writeFileSync(join(dir, `${n}.md`), t);
    });
    const run = spawnSync(nativeCli(), ['check', '--format', 'json', dir], { maxBuffer: 1 << 30, encoding: 'utf8' });
    assert.ok(run.status === 0 || run.status === 1, `kindly check exited ${run.status}: ${run.stderr}`);
    const report = JSON.parse(run.stdout);
    const byPath = new Map(report.files.map((f) => [f.path.slice(f.path.lastIndexOf('/') + 1), f]));
    assert.equal(byPath.size, texts.length * 2);

    const kindly = new Kindly();
    let findings = 0;
    let supports = 0;
    const mismatches = [];
    texts.forEach((t, i) => {
      const n = String(i).padStart(5, '0');
      for (const [ext, wasm] of [['txt', kindly.analyze(t)], ['md', kindly.analyzeMarkdown(t)]]) {
        const native = byPath.get(`${n}.${ext}`);
        assert.equal(native.error, null);
        const want = { findings: native.findings.map(fromCli), support: native.support };
        const got = { findings: wasm.findings.map(fromWasm), support: wasm.support };
        try {
          assert.deepStrictEqual(got, want);
        } catch (e) {
          mismatches.push(`${n}.${ext}: ${e.message.slice(0, 600)}`);
        }
        findings += want.findings.length;
        supports += want.support ? 1 : 0;
      }
    });
    assert.deepEqual(mismatches.slice(0, 5), [], `${mismatches.length} texts differ`);
    // The comparison covered real findings, crisis support included.
    assert.ok(findings > 800 && supports > 100, `${findings} findings, ${supports} support messages`);
    console.log(`# parity: ${texts.length} texts x 2 (plain, Markdown), ${findings} findings and ${supports} support messages identical`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
