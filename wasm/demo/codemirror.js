// kindly as a CodeMirror 6 lint source: the example to copy into an app.
//
// Bundle it with your app (the demo runs `esbuild --bundle`, see scripts/build-wasm). Positions
// from kindly are JS string indices, the same unit CodeMirror uses, so findings map straight onto
// diagnostics. A kindly document analyses only the paragraphs that changed on each pass.

import { EditorView, basicSetup } from 'codemirror';
import { EditorState, StateEffect, StateField } from '@codemirror/state';
import { showPanel } from '@codemirror/view';
import { linter } from '@codemirror/lint';
import { init, Kindly } from '../pkg/kindly.js';

await init();
const kindly = new Kindly();

// Compile the rule patterns while the page is idle, so the first note does not wait for them.
const idle = globalThis.requestIdleCallback ?? ((f) => setTimeout(() => f({ timeRemaining: () => 8 }), 50));
idle(function warm(deadline) {
  if (kindly.warmUp(Math.max(4, deadline.timeRemaining())) > 0) idle(warm);
});

/** A lint extension backed by one kindly document per editor. */
function kindlyLint({ delay = 150 } = {}) {
  const doc = kindly.document();
  const setSupport = StateEffect.define();

  // Crisis language gets a calm panel above the editor instead of underlines (and nothing
  // nearby gets a "thinking trap" label or a reframe).
  const supportField = StateField.define({
    create: () => null,
    update: (value, tr) => {
      for (const e of tr.effects) if (e.is(setSupport)) value = e.value;
      return value;
    },
    provide: (f) => showPanel.from(f, (support) => (support ? () => supportPanel(support) : null)),
  });

  const source = (view) => {
    const analysis = doc.update(view.state.doc.toString());
    const support = analysis.support;
    if (JSON.stringify(support) !== JSON.stringify(view.state.field(supportField))) {
      queueMicrotask(() => view.dispatch({ effects: setSupport.of(support) }));
    }
    return analysis.findings
      .filter((f) => f.category !== 'crisis' && !f.reframesWithheld)
      .map((f) => ({
        from: f.start,
        to: f.end,
        severity: f.severity === 'low' ? 'hint' : 'info',
        source: f.label,
        message: f.message,
        renderMessage: () => message(f),
        actions: f.reframes
          .filter((r) => r.rewrite)
          .map((r) => ({
            name: `Use “${r.text}”`,
            apply: (v, from, to) => v.dispatch({ changes: { from, to, insert: r.text } }),
          })),
      }));
  };

  return [supportField, linter(source, { delay }), ];
}

function message(f) {
  const box = document.createElement('div');
  const p = document.createElement('p');
  p.textContent = f.message;
  box.append(p);
  const readAlong = f.reframes.filter((r) => !r.rewrite);
  if (readAlong.length > 0) {
    const ul = document.createElement('ul');
    for (const r of readAlong) {
      const li = document.createElement('li');
      li.textContent = r.text;
      ul.append(li);
    }
    box.append(ul);
  }
  return box;
}

function supportPanel(support) {
  const dom = document.createElement('section');
  dom.className = 'kindly-support';
  dom.setAttribute('role', 'region');
  dom.setAttribute('aria-label', 'Support');
  dom.setAttribute('aria-live', 'polite');
  const p = document.createElement('p');
  p.textContent = support.message;
  const ul = document.createElement('ul');
  for (const r of support.resources) {
    const li = document.createElement('li');
    li.textContent = `${r.name}: ${r.contact}${r.region ? ` (${r.region})` : ''}`;
    ul.append(li);
  }
  dom.append(p, ul);
  return { dom, top: true };
}

new EditorView({
  parent: document.getElementById('editor'),
  state: EditorState.create({
    doc: 'Long day at work.\n\nHonestly I always mess things up when it matters. I\'m so lazy.\n',
    extensions: [
      basicSetup,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': 'Journal entry' }),
      kindlyLint(),
    ],
  }),
});
document.body.dataset.ready = 'true';
