// The journal demo: a plain <textarea> over a backdrop that draws soft underlines. As the
// person types, the edit is handed to a kindly document after a short pause; the document
// re-analyses only the paragraph that changed, and the underlines are drawn in the next
// animation frame.

import { init, Kindly } from '../pkg/kindly.js';

const DEBOUNCE_MS = 150;
const HOVER_MS = 200;

const $ = (id) => document.getElementById(id);
const entry = $('entry');
const backdrop = $('backdrop');
const editor = $('editor');
const statusLine = $('status');
const panel = $('suggestion');
const notes = $('notes');
const supportBox = $('support');

await init();
const kindly = new Kindly();
const doc = kindly.document();

// Compile the rule patterns while the page is idle, so the first note does not wait for them.
const idle = globalThis.requestIdleCallback ?? ((f) => setTimeout(() => f({ timeRemaining: () => 8 }), 50));
idle(function warm(deadline) {
  if (kindly.warmUp(Math.max(4, deadline.timeRemaining())) > 0) idle(warm);
});

let text = ''; // the text the document holds
let analysis = doc.update('');
let shown = []; // findings that get an underline and a note
let timer = 0;
let frame = 0;
let hoverTimer = 0;
let open = null; // { id, pinned }
let supportHidden = null; // the tier the person hid the support message at
let lastCount = 0;
let lastSupport = null; // the tier of the support message last shown, for the status line
let keepStatus = false; // the status after a rewording outlives the render that follows it
let drawn = true; // whether the underlines and notes show the latest analysis
let scrolledByUs = false; // the next scroll event comes from reveal(), not from the person

// ---- analysis ------------------------------------------------------------------------------

/** Sends the textarea's latest text to the document as one edit (common prefix and suffix
 * kept), which keeps finding ids stable and analyses only the changed paragraph. */
function sync() {
  const next = entry.value;
  if (next === text) return;
  drawn = false;
  const max = Math.min(text.length, next.length);
  let a = 0;
  while (a < max && text.charCodeAt(a) === next.charCodeAt(a)) a++;
  if (a > 0 && isHigh(text.charCodeAt(a - 1))) a--; // never split a surrogate pair
  let b = 0;
  while (b < max - a && text.charCodeAt(text.length - 1 - b) === next.charCodeAt(next.length - 1 - b)) b++;
  if (b > 0 && isLow(text.charCodeAt(text.length - b))) b--;
  try {
    analysis = doc.applyEdit(a, text.length - b, next.slice(a, next.length - b));
  } catch {
    analysis = doc.update(next);
  }
  text = next;
}

const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c) => c >= 0xdc00 && c <= 0xdfff;

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(() => {
    sync();
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(render);
  }, DEBOUNCE_MS);
}

/** Brings the document and what is drawn up to date now, before a click or a key uses them:
 * within the pause after typing, the underlines and `shown` still hold the old offsets. */
function flush() {
  clearTimeout(timer);
  sync();
  if (!drawn) {
    cancelAnimationFrame(frame);
    render();
  }
}

// ---- drawing -------------------------------------------------------------------------------

const escapeHtml = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function render() {
  drawn = true;
  // Crisis language is never underlined or labelled, and neither is anything whose reframes
  // are set aside because of it (DOMAIN.md 2.2): the support panel speaks instead.
  shown = analysis.findings.filter((f) => f.category !== 'crisis' && !f.reframesWithheld);
  let html = '';
  let at = 0;
  shown.forEach((f, i) => {
    if (f.start < at) return; // overlapping spans: the first one is drawn
    html += escapeHtml(text.slice(at, f.start));
    const cls = [f.severity === 'low' ? 'low' : '', open && open.id === f.id ? 'active' : ''].join(' ').trim();
    html += `<mark data-i="${i}" class="${cls}">${escapeHtml(text.slice(f.start, f.end))}</mark>`;
    at = f.end;
  });
  // A trailing space keeps a final empty line the same height as in the textarea.
  html += escapeHtml(text.slice(at)) + ' ';
  backdrop.innerHTML = html;
  backdrop.scrollTop = entry.scrollTop;

  renderNotes();
  const support = renderSupport();
  if (open && !shown.some((f) => f.id === open.id)) closeSuggestion();
  renderStatus(support);
}

/** The live status line: says when the number of notes changes, and when a support message
 * appears (a screen reader would not notice the panel otherwise). The message after a rewording
 * stays through the render that the rewording itself causes. */
function renderStatus(support) {
  const counted = shown.length !== lastCount;
  const supportAppeared = support !== null && support !== lastSupport;
  lastCount = shown.length;
  lastSupport = support;
  const keep = keepStatus;
  keepStatus = false;
  if (supportAppeared) {
    statusLine.textContent = `${SUPPORT_TITLES[support] ?? SUPPORT_TITLES.b}: a message with people you can talk to is shown beside your entry.`;
  } else if (counted && !keep) {
    statusLine.textContent = shown.length === 0 ? '' : shown.length === 1 ? 'One gentle note.' : `${shown.length} gentle notes.`;
  }
}

function renderNotes() {
  notes.replaceChildren(
    ...shown.map((f) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.id = f.id;
      const quote = document.createElement('span');
      quote.textContent = `“${text.slice(f.start, f.end)}”`;
      const where = document.createElement('span');
      where.className = 'where';
      where.textContent = `${f.label}, line ${f.line}`;
      button.append(quote, where);
      button.addEventListener('click', () => openFromList(f.id));
      li.append(button);
      return li;
    }),
  );
  $('notes-empty').hidden = shown.length > 0 || analysis.support !== null;
}

const urgency = { a: 0, abuse: 1, b: 2, 'someone-else': 3 };
const SUPPORT_TITLES = {
  a: "You don't have to carry this alone",
  abuse: "It isn't your fault",
  b: 'If things ever feel like too much',
  'someone-else': "If you're worried about someone",
};

/** Shows or hides the support panel; returns the tier shown, or null. */
function renderSupport() {
  const s = analysis.support;
  const hidden = s && supportHidden !== null && urgency[s.tier] >= urgency[supportHidden];
  if (!s || hidden) {
    supportBox.hidden = true;
    return null;
  }
  $('support-title').textContent = SUPPORT_TITLES[s.tier] ?? SUPPORT_TITLES.b;
  $('support-message').textContent = s.message;
  $('support-resources').replaceChildren(
    ...s.resources.map((r) => {
      const li = document.createElement('li');
      const name = document.createElement('strong');
      name.textContent = r.name;
      li.append(name, `: ${r.contact}`, r.region ? ` (${r.region})` : '');
      return li;
    }),
  );
  supportBox.hidden = false;
  return s.tier;
}

$('support-hide').addEventListener('click', () => {
  supportHidden = analysis.support ? analysis.support.tier : null;
  supportBox.hidden = true;
  entry.focus();
});

// ---- the suggestion panel --------------------------------------------------------------------

/** Opens a note from the list of notes (click or keyboard): the words it is about are selected
 * and scrolled into view first, so the person sees what a rewording would change. */
function openFromList(id) {
  flush();
  const f = shown.find((x) => x.id === id);
  if (!f) return;
  reveal(f);
  openSuggestion(f.id, { pinned: true, focus: true });
}

/** Selects a finding's words in the textarea and scrolls them into view (about a third of the
 * way down) when they are not. The underline's place in the backdrop, which lays the text out
 * exactly as the textarea does, says where they are. */
function reveal(f) {
  entry.setSelectionRange(f.start, f.end);
  const mark = backdrop.querySelector(`mark[data-i="${shown.indexOf(f)}"]`);
  if (!mark) return; // overlapped by an earlier underline: nothing to measure
  const top = mark.offsetTop;
  const bottom = top + mark.offsetHeight;
  if (top >= entry.scrollTop && bottom <= entry.scrollTop + entry.clientHeight) return;
  const before = entry.scrollTop;
  entry.scrollTop = Math.max(0, top - entry.clientHeight / 3);
  if (entry.scrollTop !== before) scrolledByUs = true;
  backdrop.scrollTop = entry.scrollTop;
}

function openSuggestion(id, { pinned = false, focus = false } = {}) {
  const f = shown.find((x) => x.id === id);
  if (!f) return;
  clearTimeout(hoverTimer);
  open = { id, pinned: pinned || (open && open.id === id && open.pinned) };
  $('suggestion-title').textContent = f.label;
  $('suggestion-message').textContent = f.message;
  const box = $('suggestion-reframes');
  box.replaceChildren();
  if (f.reframes.length > 0) {
    const lead = document.createElement('p');
    lead.className = 'muted';
    lead.textContent = 'Other ways to say it, if one fits:';
    box.append(lead);
  }
  for (const r of f.reframes) {
    const div = document.createElement('div');
    div.className = 'reframe';
    if (r.rewrite) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'apply';
      b.textContent = r.text;
      const hint = document.createElement('span');
      hint.className = 'hint';
      hint.textContent = 'Use these words instead';
      b.append(hint);
      b.setAttribute('aria-label', `Replace “${text.slice(f.start, f.end)}” with “${r.text}”`);
      b.addEventListener('click', () => apply(f.id, r.text));
      div.append(b);
    } else {
      const p = document.createElement('p');
      p.textContent = r.text;
      div.append(p);
    }
    box.append(div);
  }
  panel.hidden = false;
  place(f);
  for (const m of backdrop.querySelectorAll('mark')) {
    m.classList.toggle('active', shown[Number(m.dataset.i)]?.id === id);
  }
  if (focus) (panel.querySelector('button.apply') ?? $('suggestion-close')).focus();
}

function place(f) {
  const i = shown.indexOf(f);
  const mark = backdrop.querySelector(`mark[data-i="${i}"]`);
  const host = panel.offsetParent ?? document.body;
  const hostRect = host.getBoundingClientRect();
  const editorRect = editor.getBoundingClientRect();
  const rect = mark ? mark.getClientRects()[0] ?? mark.getBoundingClientRect() : editorRect;
  const top = Math.min(Math.max(rect.bottom, editorRect.top), editorRect.bottom) - hostRect.top + 6;
  const left = Math.max(0, Math.min(rect.left - hostRect.left, hostRect.width - panel.offsetWidth));
  panel.style.top = `${top}px`;
  panel.style.left = `${left}px`;
}

function closeSuggestion({ refocus = false } = {}) {
  clearTimeout(hoverTimer);
  if (!open) return;
  open = null;
  panel.hidden = true;
  for (const m of backdrop.querySelectorAll('mark.active')) m.classList.remove('active');
  if (refocus) entry.focus();
}

$('suggestion-close').addEventListener('click', () => closeSuggestion({ refocus: true }));
panel.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') closeSuggestion({ refocus: true });
});

/** Replaces a finding's words with a direct rewording, as an ordinary edit (Ctrl+Z undoes it). */
function apply(id, words) {
  flush(); // make sure offsets refer to the text as it is now
  const f = analysis.findings.find((x) => x.id === id);
  closeSuggestion();
  if (!f || entry.value.slice(f.start, f.end) !== text.slice(f.start, f.end)) {
    statusLine.textContent = 'Those words changed before the new ones went in, so nothing was replaced.';
    entry.focus();
    return;
  }
  entry.focus();
  entry.setSelectionRange(f.start, f.end);
  // execCommand keeps the browser's undo history; setRangeText is the fallback.
  if (!document.execCommand || !document.execCommand('insertText', false, words)) {
    entry.setRangeText(words, f.start, f.end, 'end');
    entry.dispatchEvent(new Event('input', { bubbles: true }));
  }
  statusLine.textContent = `Changed to “${words}”. Undo brings the earlier words back.`;
  keepStatus = true;
}

// ---- events ----------------------------------------------------------------------------------

const findingAt = (pos) => shown.find((f) => f.start <= pos && pos <= f.end);

entry.addEventListener('input', schedule);
entry.addEventListener('scroll', () => {
  backdrop.scrollTop = entry.scrollTop;
  if (scrolledByUs) {
    scrolledByUs = false; // reveal() scrolled to the note it is opening
    return;
  }
  if (open) closeSuggestion();
});
entry.addEventListener('click', () => {
  flush();
  const f = entry.selectionStart === entry.selectionEnd && findingAt(entry.selectionStart);
  if (f) openSuggestion(f.id, { pinned: true });
  else closeSuggestion();
});
entry.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && e.altKey) {
    flush();
    const f = findingAt(entry.selectionStart);
    if (f) {
      e.preventDefault();
      openSuggestion(f.id, { pinned: true, focus: true });
    }
  } else if (e.key === 'Escape' && open) {
    closeSuggestion();
  }
});

// Hover: the textarea sits on top, so find the underline under the pointer by its boxes.
editor.addEventListener('mousemove', (e) => {
  const hit = [...backdrop.querySelectorAll('mark')].find((m) =>
    [...m.getClientRects()].some((r) => e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom),
  );
  clearTimeout(hoverTimer);
  if (hit) {
    const f = shown[Number(hit.dataset.i)];
    if (!open || open.id !== f.id) hoverTimer = setTimeout(() => openSuggestion(f.id), HOVER_MS);
  } else if (open && !open.pinned) {
    hoverTimer = setTimeout(() => closeSuggestion(), HOVER_MS);
  }
});
panel.addEventListener('mouseenter', () => clearTimeout(hoverTimer));
document.addEventListener('click', (e) => {
  if (open && !panel.contains(e.target) && e.target !== entry && !notes.contains(e.target)) closeSuggestion();
});

entry.value = '';
document.body.dataset.ready = 'true';
