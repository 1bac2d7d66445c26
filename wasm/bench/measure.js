// Timing code shared by the Node and the Chromium runs of scripts/bench-wasm (plain ES module,
// no dependencies). Every figure is a median in milliseconds.

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median time of one call of `f`, sampling `batch` calls at a time for about `budgetMs`. */
function time(f, budgetMs, batch = 1) {
  f();
  const samples = [];
  const start = performance.now();
  while (samples.length < 5 || (performance.now() - start < budgetMs && samples.length < 100000)) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) f();
    samples.push((performance.now() - t) / batch);
  }
  return median(samples);
}

/** Where the paragraph holding the middle of `text` starts (native_speed.rs edits the same place). */
export function middleParagraph(text) {
  const i = text.lastIndexOf('\n\n', Math.floor(text.length / 2));
  return i < 0 ? 0 : i + 2;
}

/** One keystroke in a document: type a letter at the start of the middle paragraph, delete it. */
function keystroke(kindly, text, budgetMs) {
  const doc = kindly.document();
  doc.update(text);
  const at = middleParagraph(text);
  const ms = time(() => {
    doc.applyEdit(at, at, 'x');
    doc.applyEdit(at, at + 1, '');
  }, budgetMs, 10) / 2;
  const reanalysed = (doc.applyEdit(at, at, 'x'), doc.paragraphsReanalysed);
  doc.free();
  return { ms, reanalysed };
}

/** Runs every measurement with the package's `Kindly` class. */
export function measure(Kindly, { prose, entry, long, short }, budgetMs = 1500) {
  let t = performance.now();
  const kindly = new Kindly();
  const buildMs = performance.now() - t;
  t = performance.now();
  kindly.analyze(entry); // the first analysis also compiles the patterns it needs
  const firstEntryMs = performance.now() - t;
  const proseBytes = new TextEncoder().encode(prose).length;
  const proseMs = time(() => kindly.analyze(prose), budgetMs * 2);
  const entryMs = time(() => kindly.analyze(entry), budgetMs, 5);
  const longWholeMs = time(() => kindly.analyze(long), budgetMs);
  const longKey = keystroke(kindly, long, budgetMs);
  const shortKey = keystroke(kindly, short, budgetMs);
  kindly.free();
  return {
    buildMs,
    firstEntryMs,
    proseBytes,
    proseMs,
    proseMBs: proseBytes / 1e6 / (proseMs / 1000),
    entryBytes: new TextEncoder().encode(entry).length,
    entryMs,
    longWords: long.split(/\s+/).filter(Boolean).length,
    longWholeMs,
    keystrokeMs: longKey.ms,
    keystrokeReanalysed: longKey.reanalysed,
    shortWords: short.split(/\s+/).filter(Boolean).length,
    shortKeystrokeMs: shortKey.ms,
  };
}
