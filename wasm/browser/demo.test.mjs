// The demo in a real browser: type into the journal, wait for the underline, open the note,
// apply a kinder wording in one click, see the calm support panel for crisis language, and
// check that no request ever leaves the page's own origin. Screenshots go to
// target/wasm-browser/ (ignored by git).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../serve.mjs';
import { launch } from './chromium.mjs';

const SHOTS = join(fileURLToPath(new URL('../..', import.meta.url)), 'target', 'wasm-browser');
mkdirSync(SHOTS, { recursive: true });

let server;
let origin;
let browser;
const requests = [];
const problems = [];

before(async () => {
  ({ server, origin } = await startServer());
  browser = await launch();
  browser.context.on('request', (r) => requests.push(r.url()));
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function open(path) {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => problems.push(`${path}: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`${path}: ${m.text()}`));
  await page.goto(origin + path);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  return page;
}

test('journal demo: type, see the underline, open the note, apply a kinder wording', async () => {
  const page = await open('/demo/');
  await page.click('#entry');
  const typed = "Overslept and missed the bus again. I'm so lazy.";
  await page.keyboard.type(typed, { delay: 15 });
  const mark = page.locator('#backdrop mark').first();
  await mark.waitFor({ timeout: 5000 });
  assert.equal(await mark.textContent(), "I'm so lazy");
  assert.equal(await page.locator('#notes button').count(), 1);

  // Clicking the underlined words (the textarea sits on top of the underline) opens the note.
  const box = await mark.boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.locator('#suggestion').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#suggestion-message'), /harsh label/);
  const apply = page.locator('#suggestion button.apply').first();
  const words = await apply.evaluate((b) => b.firstChild.textContent);
  assert.ok(words.length > 0);
  await page.screenshot({ path: join(SHOTS, 'journal-suggestion.png') });

  await apply.click();
  assert.equal(await page.inputValue('#entry'), typed.replace("I'm so lazy", words));
  await page.waitForFunction(() => document.querySelectorAll('#backdrop mark').length === 0);
  assert.equal(await page.locator('#suggestion').isVisible(), false);
  // The live status says what changed, and the render after the edit does not wipe it.
  await page.waitForTimeout(300);
  assert.equal(await page.textContent('#status'), `Changed to “${words}”. Undo brings the earlier words back.`);

  // Undo brings the earlier words back (the edit went through the browser's own history).
  await page.keyboard.press('Control+z');
  assert.equal(await page.inputValue('#entry'), typed);
  await page.locator('#backdrop mark').first().waitFor();
  await page.waitForFunction(() => document.getElementById('status').textContent === 'One gentle note.');
  await page.close();
});

test('journal demo: a note opened from the list scrolls its words into view and selects them', async () => {
  const page = await open('/demo/');
  const para = (i) => `Entry ${i}. Walked to the shop, made soup, read a chapter, slept early. ` + 'The afternoon was quiet and grey. '.repeat(4);
  const last = "I'm such an idiot";
  const long = Array.from({ length: 60 }, (_, i) => para(i)).join('\n\n') + `\n\nAnd honestly ${last}.`;
  await page.fill('#entry', long);
  await page.locator('#notes button').first().waitFor();
  await page.evaluate(() => {
    const e = document.getElementById('entry');
    e.setSelectionRange(0, 0);
    e.scrollTop = 0;
  });
  await page.waitForTimeout(100);
  await page.locator('#notes button').last().focus();
  await page.keyboard.press('Enter');
  await page.locator('#suggestion').waitFor({ state: 'visible' });
  await page.waitForTimeout(300); // the scroll event has come and gone, and the note stays open
  assert.equal(await page.locator('#suggestion').isVisible(), true);
  const seen = await page.evaluate(() => {
    const e = document.getElementById('entry');
    const mark = document.querySelector('#backdrop mark.active').getBoundingClientRect();
    const box = e.getBoundingClientRect();
    return {
      selected: e.value.slice(e.selectionStart, e.selectionEnd),
      onScreen: mark.top >= box.top && mark.bottom <= box.bottom,
      scrolled: e.scrollTop > 0,
    };
  });
  assert.deepEqual(seen, { selected: last, onScreen: true, scrolled: true });
  await page.screenshot({ path: join(SHOTS, 'journal-note-from-list.png') });
  // The rewording then changes the words the person can see.
  const apply = page.locator('#suggestion button.apply').first();
  const words = await apply.evaluate((b) => b.firstChild.textContent);
  await apply.click();
  assert.equal(await page.inputValue('#entry'), long.replace(last, words));
  await page.close();
});

test('journal demo: clicking words right after typing uses the new offsets', async () => {
  const page = await open('/demo/');
  await page.fill('#entry', "I'm so lazy.");
  await page.locator('#backdrop mark').first().waitFor();
  // Type in front of the words and click inside them in the same task, well within the
  // 150 ms pause: the underline still sits at the old offsets.
  await page.evaluate(() => {
    const e = document.getElementById('entry');
    e.focus();
    e.setRangeText('Well, ', 0, 0, 'end');
    e.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: 'Well, ' }));
    e.setSelectionRange(8, 8); // "Well, I'|m so lazy."
    e.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  });
  await page.locator('#suggestion').waitFor({ state: 'visible' });
  const apply = page.locator('#suggestion button.apply').first();
  const words = await apply.evaluate((b) => b.firstChild.textContent);
  assert.equal(await apply.getAttribute('aria-label'), `Replace “I'm so lazy” with “${words}”`);
  await apply.click();
  assert.equal(await page.inputValue('#entry'), `Well, ${words}.`);
  await page.close();
});

test('journal demo: keyboard only, through the list of notes', async () => {
  const page = await open('/demo/');
  await page.fill('#entry', 'Long day.\n\nHonestly I always mess things up when it matters.');
  const note = page.locator('#notes button').first();
  await note.waitFor();
  await note.focus();
  await page.keyboard.press('Enter');
  await page.locator('#suggestion').waitFor({ state: 'visible' });
  // Focus moved into the note; Escape closes it and returns to the entry.
  assert.equal(await page.evaluate(() => document.getElementById('suggestion').contains(document.activeElement)), true);
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'entry');
  // Alt+Enter inside underlined words opens the note too.
  const text = await page.inputValue('#entry');
  const at = text.indexOf('always');
  await page.evaluate((i) => document.getElementById('entry').setSelectionRange(i, i), at);
  await page.keyboard.press('Alt+Enter');
  await page.locator('#suggestion').waitFor({ state: 'visible' });
  await page.close();
});

test('journal demo: crisis language gets the calm support panel, no underlines or reframes', async () => {
  const page = await open('/demo/');
  await page.fill('#entry', "I'm so useless. I want to die.");
  await page.locator('#support').waitFor({ state: 'visible' });
  // Screen readers hear that it appeared, through the live status line.
  assert.equal(
    await page.textContent('#status'),
    "You don't have to carry this alone: a message with people you can talk to is shown beside your entry.",
  );
  const message = await page.textContent('#support-message');
  assert.ok(message.length > 40);
  assert.ok((await page.locator('#support-resources li').count()) > 0);
  assert.equal(await page.locator('#backdrop mark').count(), 0, 'nothing is labelled a thinking trap');
  assert.equal(await page.locator('#notes button').count(), 0);
  await page.screenshot({ path: join(SHOTS, 'journal-support.png') });
  // It can be hidden, and stays hidden while the person keeps writing.
  await page.click('#support-hide');
  await page.locator('#entry').press('End');
  await page.keyboard.type(' Still here.');
  await page.waitForTimeout(400);
  assert.equal(await page.locator('#support').isVisible(), false);
  await page.close();
});

test('CodeMirror example: lint underline, tooltip, one-click rewording', async () => {
  const page = await open('/demo/codemirror.html');
  const range = page.locator('.cm-lintRange', { hasText: 'so lazy' });
  await range.waitFor({ timeout: 5000 });
  const before = await page.textContent('.cm-content');
  const box = await range.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const action = page.locator('.cm-tooltip-lint .cm-diagnosticAction').first();
  await action.waitFor({ timeout: 5000 });
  await page.screenshot({ path: join(SHOTS, 'codemirror.png') });
  const words = (await action.textContent()).replace(/^Use “|”$/g, '');
  await action.click();
  await page.waitForFunction((b) => document.querySelector('.cm-content').textContent !== b, before);
  assert.ok((await page.textContent('.cm-content')).includes(words));
  await page.close();
});

test('no request left the origin, and no page errors', () => {
  assert.ok(requests.length > 0);
  const outside = requests.filter((u) => !u.startsWith(origin + '/'));
  assert.deepEqual(outside, []);
  assert.deepEqual(problems, []);
});
