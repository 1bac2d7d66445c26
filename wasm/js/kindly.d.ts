// Types for kindly's WebAssembly package. Positions are JS string indices (UTF-16 code units):
// `text.slice(finding.start, finding.end)` is exactly the flagged span.

/** A category id: a public contract shared with the CLI's JSON, corpora and rule packs. */
export type Category =
  | 'labeling' | 'comparison' | 'overgeneralization' | 'all_or_nothing' | 'should_statement'
  | 'catastrophizing' | 'mind_reading' | 'fortune_telling' | 'personalization'
  | 'discounting_positive' | 'emotional_reasoning' | 'self_attack' | 'crisis';

export type Severity = 'low' | 'moderate' | 'high' | 'crisis';
export type Confidence = 'low' | 'medium' | 'high';
/**
 * `a`: explicit (whole-entry support); `b`: passive or flippant; `someone-else`: about another
 * person; `abuse`: the writer describes being hurt, forced, threatened or controlled (whole-entry
 * support with abuse resources). Most urgent first: a, abuse, b, someone-else.
 */
export type CrisisTier = 'a' | 'b' | 'someone-else' | 'abuse';

/** A kinder way to say it. Read-only: in a document's results reframes are frozen, because
 * every result a finding appears in shares them. */
export interface Reframe {
  readonly text: string;
  /** True when `text` can replace the finding's span directly ("Rewrite as ..."). */
  readonly rewrite: boolean;
  /** Self-compassion components it brings in: `SK`, `CH`, `MF`. */
  readonly poles: readonly string[];
}

export interface Finding {
  /** Only on a document's findings: stays the same while the finding's paragraph is unchanged. */
  id?: string;
  /** Stable rule id, e.g. `labeling.self-adjective`. */
  rule: string;
  category: Category;
  /** A gentle name to show for the category ("harsh label"), never a clinical label. */
  label: string;
  /** Other categories that fired on an overlapping span (frozen in a document's results). */
  tags: readonly Category[];
  severity: Severity;
  confidence: Confidence;
  /** Crisis findings only. */
  tier: CrisisTier | null;
  /** Start, as a JS string index (UTF-16 code units). */
  start: number;
  /** End (exclusive), as a JS string index. */
  end: number;
  /** 1-based line of the start. */
  line: number;
  /** 1-based column of the start, in characters (code points). */
  column: number;
  endLine: number;
  /** 1-based column just past the end, in characters. */
  endColumn: number;
  /** The matched words; `null` for crisis findings, so a host cannot log them by accident. */
  text: string | null;
  /** A short, gentle message about this span. */
  message: string;
  /** Zero to three kinder wordings; always empty on crisis findings and when withheld. Frozen
   * in a document's results, with each reframe. */
  reframes: readonly Reframe[];
  /** True when reframes exist but are set aside because of crisis language nearby. */
  reframesWithheld: boolean;
}

export interface Resource {
  name: string;
  contact: string;
  region: string | null;
  /** Emergency numbers (shown first when `urgent`). */
  emergency: boolean;
}

/** The calm message shown when crisis language appears. It replaces reframes. */
export interface Support {
  /** The most urgent tier found. With both suicide language and abuse in one text, `message`
   * and `resources` hold both, the more urgent first. */
  tier: CrisisTier;
  message: string;
  resources: Resource[];
  /** The wording suggests a plan, intent or "tonight": show emergency help first. */
  urgent: boolean;
}

export interface Analysis {
  /** Sorted by position. */
  findings: Finding[];
  /** Present when crisis language was found. */
  support: Support | null;
}

export interface PackText {
  /** Used in error messages, e.g. `mine.toml`. */
  name?: string;
  toml: string;
}

export interface KindlyOptions {
  /** Load the embedded English pack (default true). Its crisis rules stay on even when false,
   * unless a pack in `packs` has crisis rules of its own: crisis language is always caught. */
  builtin?: boolean;
  /** Extra rule packs as TOML text. A bad pack makes the constructor throw an `Error` whose
   * message is located: `kindly: mine.toml:11:12: rule 'mine.oops': unknown category ...`. */
  packs?: Array<PackText | string>;
  /** Support-resource locale: `en-US` (default), `en-GB`, `en-IE`, `en-CA`, `en-AU` (`en_gb`
   * works too). A locale no pack has support text for makes the constructor throw. */
  locale?: string;
  /** Kinder wordings per finding, 0 to 3 (default 3). */
  maxReframes?: number;
  /** Category ids to turn off (`crisis` cannot be turned off). */
  disable?: Category[] | string;
  /** Rule ids to turn off, as findings' `rule` names them (crisis rules cannot be). An id no
   * loaded pack defines makes the constructor throw, naming the closest ids. */
  disableRules?: string[] | string;
}

/** Options of `analyze` and `document`; any other key throws a `TypeError`. */
export interface AnalyzeOptions {
  /** Skip code, URLs, HTML and front matter; positions still refer to the text as given. */
  markdown?: boolean;
}

// The host's classes, looked up on globalThis so that these types check without the DOM lib or
// @types/node: where a class is missing (`never`), the host cannot hand one over anyway.
type HostClass<K extends string> = typeof globalThis extends Record<K, { prototype: infer T }> ? T : never;
type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer T } } } ? T : never;

/** What `init` accepts besides nothing (fetch the `.wasm` next to the module): a URL, a
 * `Request`, a `Response`, bytes or a compiled `WebAssembly.Module`. */
export type InitInput = string | HostClass<'URL'> | HostClass<'Request'> | HostClass<'Response'> | WasmBytes | WasmModule;
/** The bytes of `kindly_wasm_bg.wasm`, e.g. a Node `Buffer`. */
export type WasmBytes = ArrayBuffer | ArrayBufferView;

/** Loads the WebAssembly module before anything else is used. With no argument it fetches
 * `kindly_wasm_bg.wasm` next to the module (in Node, whose `fetch` cannot read files, use
 * `initSync`). Once the module is loaded, by this or by `initSync`, it does nothing. */
export function init(input?: InitInput | Promise<InitInput>): Promise<void>;
/** Loads the module synchronously from bytes or a compiled module (Node, workers). Does nothing
 * once the module is loaded; a pending `init()` then resolves without loading a second copy. */
export function initSync(bytesOrModule: WasmBytes | WasmModule): void;
/** The package version. */
export function version(): string;

export class Kindly {
  /** Builds an engine; throws an `Error` with a located message for a bad pack, a `TypeError`
   * for an unknown option. */
  constructor(options?: KindlyOptions);
  /** Analyses a whole text. */
  analyze(text: string, options?: AnalyzeOptions): Analysis;
  /** Same as `analyze(text, { markdown: true })`. */
  analyzeMarkdown(text: string): Analysis;
  /**
   * Compiles rule patterns ahead of need for about `budgetMs` milliseconds (default 8) and
   * returns how many are left; 0 when every pattern is compiled. Call it in idle time until it
   * returns 0 so that the first analyses are as fast as later ones. Findings do not change.
   */
  warmUp(budgetMs?: number): number;
  /** A document for as-you-type checking. */
  document(options?: AnalyzeOptions): KindlyDocument;
  /** Frees memory now instead of at garbage collection. */
  free(): void;
  /** The same as `free()`, for `using` (where the runtime has `Symbol.dispose`). */
  [Symbol.dispose](): void;
}

/**
 * A text being edited. Every result is the caller's: a fresh array of fresh finding objects
 * that the document never reads again, so sorting or changing it cannot affect later results.
 * Only the findings' `tags` and `reframes` are shared between results, and frozen.
 */
export class KindlyDocument {
  private constructor();
  /** Replaces the whole text; only paragraphs that changed are analysed again. */
  update(text: string): Analysis;
  /** Replaces `text.slice(from, to)` with `insert` (JS string indices). Throws a `RangeError`
   * and leaves the document unchanged when an index is not a non-negative integer or the range
   * is reversed, past the end or splits a surrogate pair. */
  applyEdit(from: number, to: number, insert: string): Analysis;
  /** The latest analysis: the same object the last `update`/`applyEdit` returned. */
  readonly analysis: Analysis;
  /** The current text. */
  readonly text: string;
  /** Paragraphs the last update analysed afresh. */
  readonly paragraphsReanalysed: number;
  /** Frees memory now instead of at garbage collection. */
  free(): void;
  /** The same as `free()`, for `using` (where the runtime has `Symbol.dispose`). */
  [Symbol.dispose](): void;
}

declare global {
  interface SymbolConstructor {
    /** Explicit resource management (`using`); declared here as the TypeScript lib and
     * @types/node do, so that these types check without either. */
    readonly dispose: unique symbol;
  }
}
