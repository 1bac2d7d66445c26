// kindly for JavaScript: notices harsh self-talk in a person's own writing and offers kinder
// wordings; crisis language gets a calm support message instead. Everything runs locally in
// WebAssembly: no network requests, no telemetry, no logs.
//
// This file wraps the wasm-bindgen output (kindly_wasm.js) in a small, checked API: inputs are
// validated here and in Rust, results are plain objects, positions are JS string indices.

import initWasm, { initSync as initWasmSync, KindlyEngine, version as wasmVersion } from './kindly_wasm.js';

let ready = false;
let loading = null; // the pending init(), if any
let instantiating = false; // init() is in wasm-bindgen's asynchronous instantiation (see load)
let broken = false;

const WASM_FILE = 'kindly_wasm_bg.wasm';

/**
 * Loads the WebAssembly module. With no argument it fetches `kindly_wasm_bg.wasm` next to this
 * file (browsers and bundlers). Also accepts a URL, a `Request`, a `Response`, bytes or a
 * `WebAssembly.Module`, or a promise of one. Once the module is loaded, by this or by
 * `initSync`, further calls do nothing.
 */
export async function init(input) {
  if (ready) return;
  if (!loading) {
    loading = load(input).finally(() => {
      loading = null;
    });
  }
  await loading;
}

/**
 * Loads the module synchronously from bytes or a `WebAssembly.Module` (Node, workers). Does
 * nothing once the module is loaded, also when a pending `init()` is still fetching it: that
 * `init()` then resolves without loading a second copy.
 */
export function initSync(bytesOrModule) {
  if (ready) return;
  if (instantiating) {
    throw new Error('kindly: init() is already instantiating the module; await it instead of calling initSync()');
  }
  if (bytesOrModule === null || typeof bytesOrModule !== 'object') {
    throw new TypeError(`kindly: initSync() takes the bytes of ${WASM_FILE} (e.g. from readFileSync) or a WebAssembly.Module`);
  }
  initWasmSync({ module: bytesOrModule });
  ready = true;
}

// The module is compiled here and instantiated with wasm-bindgen's initSync, which does nothing
// once an instance exists. (wasm-bindgen's own async init always installs the instance it made
// when it settles, even over one that initSync installed meanwhile: engines built in between
// then point into the old memory and trap.)
async function load(input) {
  let module;
  try {
    module = await compile(await input);
  } catch (e) {
    if (ready) return; // initSync() loaded it meanwhile: nothing is missing
    throw e;
  }
  if (ready) return; // initSync() finished first: keep its instance
  try {
    initWasmSync({ module });
    ready = true;
  } catch (e) {
    // Chrome refuses synchronous instantiation of large modules on the main thread (above 8 MB
    // today, above 4 KB in older versions); instantiate asynchronously there.
    if (!(e instanceof RangeError)) throw e;
    instantiating = true;
    try {
      await initWasm({ module_or_path: module });
      ready = true;
    } finally {
      instantiating = false;
    }
  }
}

async function compile(input) {
  if (input === undefined) input = new URL(WASM_FILE, import.meta.url);
  if (input instanceof WebAssembly.Module) return input;
  if (typeof input === 'string' || input instanceof URL || (typeof Request === 'function' && input instanceof Request)) {
    input = await fetchWasm(input);
  }
  if (typeof Response === 'function' && input instanceof Response) {
    if (!input.ok) {
      throw new Error(`kindly: could not fetch ${WASM_FILE}: ${input.status} ${input.statusText} (${input.url})`);
    }
    const type = input.headers.get('Content-Type') ?? '';
    if (typeof WebAssembly.compileStreaming === 'function' && type.split(';')[0].trim() === 'application/wasm') {
      return WebAssembly.compileStreaming(input);
    }
    return WebAssembly.compile(await input.arrayBuffer());
  }
  if (input === null || typeof input !== 'object') {
    throw new TypeError('kindly: init() takes a URL, a Request, a Response, bytes or a WebAssembly.Module');
  }
  return WebAssembly.compile(input);
}

async function fetchWasm(url) {
  try {
    return await fetch(url);
  } catch (e) {
    const href = url instanceof URL ? url.href : typeof url === 'string' ? url : url.url;
    if (href.startsWith('file:')) {
      // Node's fetch cannot read files: `await init()` as written for browsers fails there.
      throw new Error(
        `kindly: init() cannot fetch ${WASM_FILE} from a file: URL in this runtime (Node's fetch cannot read files); ` +
          'load it with initSync(bytes) instead, as the package README\'s "In Node" section shows: ' +
          `initSync(readFileSync(new URL(import.meta.resolve('kindly-wasm/${WASM_FILE}'))))`,
        { cause: e },
      );
    }
    throw e;
  }
}

/** The package version. */
export function version() {
  ensureReady();
  return wasmVersion();
}

function ensureReady() {
  if (!ready) {
    throw new Error('kindly: call `await init()` (or `initSync(bytes)`) before using kindly');
  }
  if (broken) {
    throw new Error('kindly: the WebAssembly module stopped after an internal error; reload the page to continue');
  }
}

// A trap (a bug in kindly) must not leave callers with an opaque RuntimeError, and its message
// never includes the text being analysed.
function call(f) {
  ensureReady();
  try {
    return f();
  } catch (e) {
    if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) {
      broken = true;
      throw new Error('kindly: internal error in the WebAssembly module; please report it (your text is not included in this message)');
    }
    throw e;
  }
}

/**
 * A lone surrogate reaches the engine as U+FFFD, which is also one UTF-16 unit, so offsets still
 * hold but a finding's `text` would show U+FFFD where the caller's string has the surrogate.
 * Findings then take their text from the caller's own string.
 */
function withCallersText(text, analysis) {
  if (typeof text.isWellFormed === 'function' && text.isWellFormed()) return analysis;
  for (const f of analysis.findings) {
    if (f.text !== null) f.text = text.slice(f.start, f.end);
  }
  return analysis;
}

function checkText(text, name = 'text') {
  if (typeof text !== 'string') {
    throw new TypeError(`kindly: ${name} must be a string, not ${text === null ? 'null' : typeof text}`);
  }
}

// An argument as the caller gave it, for error messages: the string '1' shows as such, not as
// the number it would coerce to. Other strings are not quoted: they could be the person's words.
function shown(v) {
  if (typeof v === 'string') return /^[\s\d.eE+-]{0,24}$/.test(v) ? `the string '${v}'` : 'a string';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  if (typeof v === 'symbol') return 'a symbol';
  if (typeof v === 'function') return 'a function';
  return Array.isArray(v) ? 'an array' : 'an object';
}

function checkIndex(n, name) {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`kindly: ${name} must be a non-negative integer index, not ${shown(n)}`);
  }
}

/** The largest index Rust takes; no JS string is this long, so any index above is past the end. */
const MAX_INDEX = 2 ** 32 - 1;

// The engine's messages are shared with the CLI; these parts point to things a JS developer
// does not have (CLI commands, the repository's README sections) and are said another way.
const FOR_JS = [
  [' (see README, Safety)', ''],
  [' (`kindly rules` lists every rule)', " (use the `rule` of a finding, e.g. 'labeling.self-adjective')"],
  [' (see rules/README.md)', " (see rules/README.md in kindly's source repository)"],
];

const NO_PROPERTIES =
  '(the WebAssembly build leaves out Unicode property classes such as \\p{L} and \\p{Greek} to save size; ' +
  'the native kindly has them; \\w, \\d, \\s and \\b work here)';

// An error thrown by the Rust side, as the wrapper's own: with the `kindly:` prefix, worded for
// JS and of the given class. A trap (WebAssembly.RuntimeError) is left for `call` to handle.
function fromRust(e, Class = Error) {
  if (!(e instanceof Error) || (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError)) return e;
  let message = e.message;
  for (const [cli, js] of FOR_JS) message = message.replaceAll(cli, js);
  // A pack's \p{...} class: the native build has the tables, this one does not, so the pack
  // is not wrong (if the property exists at all).
  message = message.replace(/Unicode property (value )?not found/, (m) => `${m} ${NO_PROPERTIES}`);
  return new Class(message.startsWith('kindly: ') ? message : `kindly: ${message}`);
}

// Runs `f`, a call into Rust, with its errors as the wrapper's own (see `fromRust`).
function rust(f, Class) {
  try {
    return f();
  } catch (e) {
    throw fromRust(e, Class);
  }
}

function engineOptions(options) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('kindly: options must be an object');
  }
  const known = ['builtin', 'packs', 'locale', 'maxReframes', 'disable', 'disableRules'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`kindly: unknown option '${key}' (expected one of: ${known.join(', ')})`);
    }
  }
  const out = {};
  if (options.builtin !== undefined) {
    if (typeof options.builtin !== 'boolean') throw new TypeError('kindly: builtin must be true or false');
    out.builtin = options.builtin;
  }
  if (options.packs !== undefined) {
    if (!Array.isArray(options.packs)) throw new TypeError('kindly: packs must be an array of { name, toml } or TOML strings');
    out.packs = options.packs.map((p, i) => {
      if (typeof p === 'string') return { name: `pack${i + 1}.toml`, toml: p };
      if (p && typeof p === 'object' && typeof p.toml === 'string') {
        const name = p.name === undefined ? `pack${i + 1}.toml` : p.name;
        if (typeof name !== 'string') throw new TypeError(`kindly: packs[${i}].name must be a string`);
        return { name, toml: p.toml };
      }
      throw new TypeError(`kindly: packs[${i}] must be a TOML string or { name, toml }`);
    });
  }
  if (options.locale !== undefined) {
    if (typeof options.locale !== 'string') throw new TypeError('kindly: locale must be a string such as "en-GB"');
    out.locale = options.locale;
  }
  if (options.maxReframes !== undefined) {
    const n = options.maxReframes;
    if (!Number.isInteger(n) || n < 0 || n > 3) throw new RangeError(`kindly: maxReframes must be 0 to 3, not ${shown(n)}`);
    out.maxReframes = n;
  }
  if (options.disable !== undefined) {
    const list = typeof options.disable === 'string' ? options.disable.split(',') : options.disable;
    if (!Array.isArray(list) || !list.every((c) => typeof c === 'string')) {
      throw new TypeError('kindly: disable must be an array of category ids');
    }
    out.disable = list;
  }
  if (options.disableRules !== undefined) {
    const list = typeof options.disableRules === 'string' ? options.disableRules.split(',') : options.disableRules;
    if (!Array.isArray(list) || !list.every((c) => typeof c === 'string')) {
      throw new TypeError('kindly: disableRules must be an array of rule ids');
    }
    out.disableRules = list;
  }
  return out;
}

/** Patterns compiled per call into the engine while warming up. One, so that `warmUp(ms)`
 * checks the clock after every pattern and overruns its budget by one pattern at most (a call
 * costs little besides: it looks over every rule for the next pattern to compile). */
const WARM_UP_STEP = 1;

/**
 * An engine: the embedded English pack and/or rule packs given as TOML text.
 * Build it once and reuse it; building parses and checks every pack.
 */
export class Kindly {
  #engine;

  /** @param {import('./kindly.d.ts').KindlyOptions} [options] */
  constructor(options) {
    const json = JSON.stringify(engineOptions(options));
    this.#engine = call(() => rust(() => new KindlyEngine(json)));
  }

  /** Analyses a whole text at once. `{ markdown: true }` skips code, URLs, HTML and front matter. */
  analyze(text, options) {
    checkText(text);
    const markdown = markdownOption(options);
    const engine = this.#live();
    const analysis = JSON.parse(call(() => (markdown ? engine.analyzeMarkdown(text) : engine.analyze(text))));
    return withCallersText(text, analysis);
  }

  /** Same as `analyze(text, { markdown: true })`. */
  analyzeMarkdown(text) {
    return this.analyze(text, { markdown: true });
  }

  /**
   * Compiles rule patterns ahead of need for about `budgetMs` milliseconds and returns how many
   * are left (0 when all are). Patterns are otherwise compiled the first time a text needs
   * them, which makes the first analyses after building slow (a 10 KB entry: about 0.75 s
   * instead of a few ms). Call it in idle time until it returns 0, e.g. from
   * `requestIdleCallback`; findings are the same either way. It compiles at least one pattern
   * and stops after the pattern that reaches the budget, so it overruns the budget by one
   * pattern at most; the largest take tens of milliseconds (see the README).
   */
  warmUp(budgetMs = 8) {
    if (typeof budgetMs !== 'number' || !(budgetMs >= 0)) {
      throw new RangeError(`kindly: warmUp's budget must be a number of milliseconds >= 0, not ${shown(budgetMs)}`);
    }
    const engine = this.#live();
    const end = performance.now() + budgetMs;
    let left;
    do {
      left = call(() => engine.warmUp(WARM_UP_STEP));
    } while (left > 0 && performance.now() < end);
    return left;
  }

  /** A document for as-you-type checking: only changed paragraphs are analysed again. */
  document(options) {
    const markdown = markdownOption(options);
    const engine = this.#live();
    return new KindlyDocument(MAKE, call(() => rust(() => engine.document(markdown))));
  }

  /** Frees the engine's memory now instead of at garbage collection. Documents stay usable. */
  free() {
    if (this.#engine) {
      this.#engine.free();
      this.#engine = undefined;
    }
  }

  #live() {
    if (!this.#engine) throw new Error('kindly: this engine was freed');
    return this.#engine;
  }
}

function markdownOption(options) {
  if (options === undefined || options === null) return false;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('kindly: options must be an object such as { markdown: true }');
  }
  for (const key of Object.keys(options)) {
    if (key !== 'markdown') throw new TypeError(`kindly: unknown option '${key}' (expected: markdown)`);
  }
  if (options.markdown !== undefined && typeof options.markdown !== 'boolean') {
    throw new TypeError('kindly: markdown must be true or false');
  }
  return options.markdown === true;
}

// The caller's copy of finding `p` moved by `shift` JS indices and `lines` lines. Every field
// is listed: V8 copies a literal of known shape about twice as fast as `{ ...p }` here, and this
// copy is most of a keystroke's JavaScript time in a long entry. (A field missing here fails the
// document tests, which compare documents with whole-text analysis.)
function moved(p, shift, lines) {
  return {
    id: p.id, rule: p.rule, category: p.category, label: p.label, tags: p.tags, severity: p.severity,
    confidence: p.confidence, tier: p.tier, start: p.start + shift, end: p.end + shift,
    line: p.line + lines, column: p.column, endLine: p.endLine + lines, endColumn: p.endColumn,
    text: p.text, message: p.message, reframes: p.reframes, reframesWithheld: p.reframesWithheld,
  };
}

// A finding's nested arrays are shared by every result it appears in, so they are frozen when
// it first arrives. (Copying them for each result instead would cost more than the rest of a
// keystroke in a long entry: about 0.1 ms for 400 findings.)
function freezeNested(f) {
  Object.freeze(f.tags);
  for (const r of f.reframes) {
    Object.freeze(r.poles);
    Object.freeze(r);
  }
  Object.freeze(f.reframes);
  return f;
}

/** Lets `Kindly#document()` alone make documents. */
const MAKE = Symbol('kindly document');

/**
 * A text being edited. Findings carry an `id` that stays the same while their paragraph is
 * unchanged, even as earlier edits shift their offsets.
 */
export class KindlyDocument {
  #doc;
  // The last result's findings as the document keeps them: each as it first arrived from Rust
  // (never handed out, never changed) with how far it has moved since, in JS indices and lines.
  #kept = [];
  #shifts = [];
  #lineShifts = [];
  /** The last result, as handed out: the caller's to change. */
  #analysis = { findings: [], support: null };

  /** @internal made by `Kindly#document()` */
  constructor(token, doc) {
    if (token !== MAKE) throw new TypeError('kindly: documents are made with kindly.document()');
    this.#doc = doc;
  }

  /** Replaces the whole text and returns the analysis. */
  update(text) {
    checkText(text);
    const doc = this.#live();
    return this.#take(call(() => doc.setText(text)));
  }

  /**
   * Replaces `text.slice(from, to)` with `insert` (JS string indices, as in CodeMirror changes
   * and `InputEvent`s) and returns the analysis. A bad index, or a range that is reversed, past
   * the end or splits a surrogate pair, throws a `RangeError` and leaves the document unchanged.
   */
  applyEdit(from, to, insert) {
    checkIndex(from, 'from');
    checkIndex(to, 'to');
    checkText(insert, 'insert');
    if (from > MAX_INDEX || to > MAX_INDEX) {
      throw new RangeError(`kindly: edit range ${from}..${to} does not fit the text`);
    }
    const doc = this.#live();
    // Rust only refuses ranges here.
    return this.#take(call(() => rust(() => doc.applyEdit(from, to, insert), RangeError)));
  }

  // Findings unchanged since the last result arrive as runs [first, count, shift, lines]: the
  // previous result's findings first..first+count, moved by `shift` JS indices and `lines` lines
  // (see to_json_since in wasm/src/lib.rs). They are rebuilt from the document's own record of
  // the last findings, never from the result handed out, which the caller may have sorted,
  // spliced or changed: every result holds fresh finding objects and a fresh array. The edit is
  // already applied in Rust when this runs, so nothing the caller did may make it throw.
  #take(json) {
    const a = JSON.parse(json);
    const before = this.#kept;
    const shiftsBefore = this.#shifts;
    const lineShiftsBefore = this.#lineShifts;
    const kept = [];
    const shifts = [];
    const lineShifts = [];
    const findings = [];
    for (const f of a.findings) {
      if (!Array.isArray(f)) {
        kept.push(freezeNested(f));
        shifts.push(0);
        lineShifts.push(0);
        findings.push(moved(f, 0, 0));
        continue;
      }
      const [first, count, shift, lines] = f;
      for (let i = first; i < first + count; i++) {
        const s = shiftsBefore[i] + shift;
        const l = lineShiftsBefore[i] + lines;
        kept.push(before[i]);
        shifts.push(s);
        lineShifts.push(l);
        findings.push(moved(before[i], s, l));
      }
    }
    a.findings = findings;
    this.#kept = kept;
    this.#shifts = shifts;
    this.#lineShifts = lineShifts;
    this.#analysis = a;
    return a;
  }

  /** The latest analysis (the same object `update`/`applyEdit` returned: the caller's). */
  get analysis() {
    return this.#analysis;
  }

  /** The current text. */
  get text() {
    const doc = this.#live();
    return call(() => doc.text());
  }

  /** How many paragraphs the last update analysed afresh (the rest were reused). */
  get paragraphsReanalysed() {
    const doc = this.#live();
    return call(() => doc.paragraphsReanalysed());
  }

  /** Frees the document's memory now instead of at garbage collection. */
  free() {
    if (this.#doc) {
      this.#doc.free();
      this.#doc = undefined;
    }
  }

  #live() {
    if (!this.#doc) throw new Error('kindly: this document was freed');
    return this.#doc;
  }
}

// `using kindly = new Kindly()` frees at the end of the block, where the runtime has
// Symbol.dispose (the wasm-bindgen classes underneath do the same).
if (typeof Symbol.dispose === 'symbol') {
  Kindly.prototype[Symbol.dispose] = Kindly.prototype.free;
  KindlyDocument.prototype[Symbol.dispose] = KindlyDocument.prototype.free;
}
