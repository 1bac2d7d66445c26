// Lints one plain-text file with harper.js (Harper's engine compiled to WebAssembly, run in Node)
// and prints one JSON line: {"lints": N, "setup_ms": ..., "lint_ms": ..., "bytes": ...}.
// Used by scripts/bench-peers (run by hand, not part of CI), which copies it next to the
// node_modules folder it installs under target/peers/npm/ so that `harper.js` resolves:
//
//   node target/peers/npm/harper-lint.mjs FILE
//
// setup_ms: compiling the inlined WebAssembly binary, building the linter and linting one short
// sentence (Harper builds some of its state on the first lint call);
// lint_ms: the lint call on the file alone (what a warm editor integration pays for a full check).
import { readFileSync } from 'node:fs';
import { LocalLinter } from 'harper.js';
import { binaryInlined } from 'harper.js/binaryInlined';

const file = process.argv[2];
if (!file) {
  console.error('usage: node harper-lint.mjs FILE');
  process.exit(2);
}
const text = readFileSync(file, 'utf8');
const t0 = performance.now();
const linter = new LocalLinter({ binary: binaryInlined });
await linter.setup();
await linter.lint('This is a short warm-up sentence.', { language: 'plaintext' });
const t1 = performance.now();
const lints = await linter.lint(text, { language: 'plaintext' });
const t2 = performance.now();
console.log(JSON.stringify({
  lints: lints.length,
  setup_ms: +(t1 - t0).toFixed(3),
  lint_ms: +(t2 - t1).toFixed(3),
  bytes: Buffer.byteLength(text),
}));
