// Loads the built package (wasm/pkg, made by scripts/build-wasm) the way a Node user would.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = new URL('../pkg/', import.meta.url);
if (!existsSync(new URL('kindly.js', pkg))) {
  throw new Error('wasm/pkg is missing: run scripts/build-wasm first');
}
const kindly = await import(new URL('kindly.js', pkg));
kindly.initSync(readFileSync(new URL('kindly_wasm_bg.wasm', pkg)));
export const { Kindly, KindlyDocument, version } = kindly;

/** The test pack of tests/packs.rs: one rule, valid, with its examples. */
export const GOOD_PACK = `[pack]
id = "mine"
version = "0.1.0"
language = "en"
license = "CC0-1.0"
description = "test pack"

[lexicons]
blobs = ["blob", "goo"]

[[rule]]
id = "mine.blob"
category = "labeling"
severity = "moderate"
triggers = ["@blobs"]
pattern = '''\\bi'm\\s+(?:a\\s+|such\\s+a\\s+)?(?P<word>{blobs})\\b'''
message = "“{word}” is unkind."
[[rule.reframe]]
text = "I'm having a squishy day."
[rule.examples]
flag = ["[I'm a blob] today.", "Honestly [im such a goo]."]
pass = ["The blob ate the town.", "I'm not a blob."]
`;

/** A small deterministic PRNG (mulberry32) so random tests are repeatable. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A finding without its document id, to compare document and whole-text results. */
export const withoutId = ({ id, ...rest }) => rest;
