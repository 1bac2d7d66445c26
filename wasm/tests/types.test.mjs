// kindly.d.ts must type-check in any TypeScript project: a browser one (DOM lib), a Node one
// (@types/node, no DOM lib) and one with neither. So it names no global type that only the DOM
// lib declares; the host's classes are looked up on globalThis instead (see HostClass).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dts = fileURLToPath(new URL('../js/kindly.d.ts', import.meta.url));

test('kindly.d.ts names no DOM-only global type', () => {
  const code = readFileSync(dts, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '') // comments
    .replace(/\/\/.*$/gm, '')
    .replace(/'[^'\n]*'/g, "''") // string literals, as in HostClass<'Response'>
    .replace(/\b(\w+)\s*:/g, ': '); // property names, as in { WebAssembly: ... }
  const dom = /\b(RequestInfo|BufferSource|Response|Request|URL|WebAssembly|Blob|ReadableStream|HTMLElement|Window|Document|EventTarget)\b/g;
  assert.deepEqual(code.match(dom) ?? [], []);
});

// With TypeScript installed (it is not a dev dependency), also compile a use of the package
// without the DOM lib and without @types/node.
let ts = null;
try {
  ts = (await import('typescript')).default;
} catch {
  // not installed
}

test('a project with neither the DOM lib nor @types/node type-checks against kindly.d.ts', { skip: ts ? false : 'typescript is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kindly-types-'));
  try {
    const file = join(dir, 'use.mts');
    const pkg = fileURLToPath(new URL('../js/kindly.js', import.meta.url));
    writeFileSync(file, `import { init, initSync, Kindly, type Analysis } from ${JSON.stringify(pkg)};
declare const bytes: Uint8Array;
initSync(bytes);
await init(bytes);
using kindly = new Kindly({ maxReframes: 2 });
const a: Analysis = kindly.analyze("I'm so lazy.", { markdown: true });
a.findings.sort((x, y) => y.start - x.start);
using doc = kindly.document();
doc.applyEdit(0, 0, 'x');
export const n: number = a.findings.length + doc.text.length;
`);
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
      types: [],
      strict: true,
      noEmit: true,
      allowImportingTsExtensions: true,
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(problems, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
