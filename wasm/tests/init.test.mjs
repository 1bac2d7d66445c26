// Loading the module: init() and initSync() together, in either order, load it once; init()
// without arguments in Node says what to do instead. Each test imports its own copy of the
// package, since a module, once loaded, stays loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const pkg = new URL('../pkg/', import.meta.url);
const bytes = readFileSync(new URL('kindly_wasm_bg.wasm', pkg));
const dirs = [];

/** A fresh copy of the package's JavaScript, not loaded yet. */
async function freshPackage() {
  const dir = mkdtempSync(join(tmpdir(), 'kindly-init-'));
  dirs.push(dir);
  for (const f of ['kindly.js', 'kindly_wasm.js', 'kindly_wasm_bg.wasm']) copyFileSync(new URL(f, pkg), join(dir, f));
  return import(pathToFileURL(join(dir, 'kindly.js')).href);
}

test.after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const works = (k) => assert.deepEqual(new k.Kindly().analyze("I'm so lazy.").findings.map((f) => f.text), ["I'm so lazy"]);

test('nothing works before the module is loaded, and the error says what to call', async () => {
  const k = await freshPackage();
  assert.throws(() => new k.Kindly(), /call `await init\(\)` \(or `initSync\(bytes\)`\)/);
});

test('initSync() while init() is still loading: one instance, and engines built in between keep working', async () => {
  const k = await freshPackage();
  const pending = k.init(bytes); // e.g. a component library awaiting init()
  k.initSync(bytes); // while the app loads synchronously
  const engine = new k.Kindly();
  const doc = engine.document();
  assert.equal(engine.analyze("I'm so lazy.").findings.length, 1);
  await pending;
  assert.equal(engine.analyze("I'm so lazy.").findings.length, 1);
  assert.equal(doc.update("I'm so lazy.").findings.length, 1);
  works(k);
  await k.init(bytes); // and later calls do nothing
  works(k);
});

test('an init() that fails to fetch after initSync() loaded the module does not reject', async () => {
  const k = await freshPackage();
  const pending = k.init(Promise.resolve(new Response('gone', { status: 404, statusText: 'Not Found' })));
  k.initSync(bytes);
  await pending; // nothing is missing: the module is loaded
  works(k);
});

test('init() after initSync() does nothing, whatever it is given', async () => {
  const k = await freshPackage();
  k.initSync(bytes);
  const engine = new k.Kindly();
  await k.init(); // would fail in Node if it tried to fetch the file
  await k.init(bytes);
  k.initSync(bytes);
  assert.equal(engine.analyze("I'm so lazy.").findings.length, 1);
  works(k);
});

test('init() called twice at once loads once', async () => {
  const k = await freshPackage();
  await Promise.all([k.init(bytes), k.init(new WebAssembly.Module(bytes))]);
  works(k);
});

test('init() takes bytes, a WebAssembly.Module, a Response or a promise of one', async () => {
  for (const input of [
    () => bytes,
    () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    () => new WebAssembly.Module(bytes),
    () => new Response(bytes, { headers: { 'Content-Type': 'application/wasm' } }),
    () => new Response(bytes), // no wasm MIME type: compiled from its bytes
    () => Promise.resolve(bytes),
  ]) {
    const k = await freshPackage();
    await k.init(input());
    works(k);
  }
  const k = await freshPackage();
  await assert.rejects(k.init(new Response('gone', { status: 404, statusText: 'Not Found' })), /could not fetch kindly_wasm_bg\.wasm: 404/);
  await assert.rejects(k.init(42), TypeError);
  assert.throws(() => k.initSync(), /initSync\(\) takes the bytes of kindly_wasm_bg\.wasm/);
  await k.init(bytes); // a failed load leaves nothing behind
  works(k);
});

test("in Node, init() without arguments fails with a message pointing to initSync(bytes)", async () => {
  const k = await freshPackage();
  await assert.rejects(k.init(), (e) => {
    assert.match(e.message, /^kindly: init\(\) cannot fetch kindly_wasm_bg\.wasm from a file: URL/);
    assert.match(e.message, /initSync\(bytes\)/);
    assert.match(e.message, /"In Node"/);
    return true;
  });
  k.initSync(bytes);
  works(k);
});

test("where synchronous instantiation is refused (Chrome's main thread), init() instantiates asynchronously", async () => {
  const k = await freshPackage();
  const Instance = WebAssembly.Instance;
  WebAssembly.Instance = new Proxy(Instance, {
    construct() {
      throw new RangeError('WebAssembly.Instance is disallowed on the main thread, if the buffer size is larger than 8MB.');
    },
  });
  try {
    let settled = false;
    const pending = k.init(bytes).finally(() => {
      settled = true;
    });
    // initSync cannot instantiate here either; while init() does, it says to await init().
    while (!settled) {
      await new Promise((r) => setTimeout(r, 1));
      if (settled) break;
      assert.throws(() => k.initSync(bytes), (e) => e instanceof RangeError || /^kindly: init\(\) is already instantiating/.test(e.message));
    }
    await pending;
  } finally {
    WebAssembly.Instance = Instance;
  }
  works(k);
});
