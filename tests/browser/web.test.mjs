// The web page in a real browser against a real `hindi-ocr serve` (bundled model, embedded store):
// accounts, chats, uploads followed live, results checked against the ground truth, downloads,
// language switch, phone width, keyboard use, and that another user sees nothing.
//
// Run: make test-browser (or, with a server binary built: cd tests/browser && npm test).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DEV, REPO, startServer, launchBrowser, groundTruth, cer, makeTwoPagePdf, screenshotPath,
} from './harness.mjs';

const PASSWORD = 'kitaab-padho-42';

/**
 * Save a README screenshot of the settled view: no passing toast, and the viewport only (the app is a
 * fixed-height shell whose panes scroll, so a full-page capture only adds blank space).
 */
async function snap(page, name) {
  await page.waitForSelector('#toast', { state: 'hidden', timeout: 10_000 });
  await page.screenshot({ path: screenshotPath(name) });
}
const CER_LIMIT = 0.10;
/** OCR of a page and a two-page PDF on two CPU cores: generous, the test ends as soon as both are done. */
const OCR_TIMEOUT_MS = 8 * 60_000;
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

const IMAGE = path.join(DEV, 'pages', 'page_001.png');
const PDF_PAGES = [path.join(DEV, 'pages', 'page_002.png'), path.join(DEV, 'pages', 'page_004.png')];

describe('web page', () => {
  let server;
  let browser;
  let page;
  const problems = []; // page errors and CSP violations: any is a failure
  const truth = groundTruth();
  const stamp = Date.now().toString(36);
  const alice = `alice-${stamp}@example.com`;
  const bob = `bob-${stamp}@example.com`;
  let chatUrl = '';
  let pdfPath = '';
  const docIds = {};

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await browser.context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) {
        problems.push(`console: ${msg.text()}`);
      }
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'hindi-ocr-pdf-'));
    pdfPath = path.join(dir, 'two-pages.pdf');
    writeFileSync(pdfPath, await makeTwoPagePdf(browser.context, PDF_PAGES));
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  async function open() {
    await page.goto(server.url + '/');
    await page.waitForSelector('body[data-ready="true"]');
  }

  async function submitAuth(mode, email, password) {
    await page.click(mode === 'signup' ? '#mode-signup' : '#mode-login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.click('#auth-submit');
  }

  async function expectAuthMessage(pattern) {
    await page.waitForFunction(
      (source) => new RegExp(source, 'i').test(document.getElementById('auth-message').textContent),
      pattern.source,
    );
  }

  async function expectSignedIn(email) {
    await page.waitForSelector('#app-view:not([hidden])');
    assert.equal(await page.textContent('#user-email'), email);
  }

  async function logOut() {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForSelector('#auth-view:not([hidden])');
    await expectAuthMessage(/logged out/);
  }

  it('serves the page with a strict CSP and no inline code', async () => {
    const response = await page.goto(server.url + '/');
    const csp = response.headers()['content-security-policy'];
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    await page.waitForSelector('body[data-ready="true"]');
    // The bundled Devanagari font is the one the text uses.
    const fontOk = await page.evaluate(async () => {
      await document.fonts.load('16px "Noto Sans Devanagari"', 'हिन्दी');
      return document.fonts.check('16px "Noto Sans Devanagari"', 'हिन्दी');
    });
    assert.ok(fontOk, 'Noto Sans Devanagari loads');
    await snap(page, 'desktop-login');
  });

  it('explains a weak password, a taken email and a wrong password', async () => {
    await submitAuth('signup', alice, 'short');
    await expectAuthMessage(/too weak/);
    await submitAuth('signup', alice, PASSWORD);
    await expectSignedIn(alice);
    // A signed-in session needs no token in storage: the cookie is HttpOnly.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + document.cookie);
    assert.doesNotMatch(stored, /hindi_ocr_session|eyJ/, 'no session token visible to scripts');
    await logOut();

    await submitAuth('signup', alice, PASSWORD);
    await expectAuthMessage(/already exists/);
    await submitAuth('login', alice, 'not-the-password');
    await expectAuthMessage(/wrong email or password/);
    await submitAuth('login', alice, PASSWORD);
    await expectSignedIn(alice);
  });

  it('creates a chat', async () => {
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.waitForSelector('#chat-view:not([hidden])');
    assert.equal(await page.textContent('#chat-title'), 'New chat');
    assert.equal(await page.locator('#chat-list li').count(), 1);
    chatUrl = page.url();
    assert.match(chatUrl, /#\/chats\/[^/]+$/);
  });

  it('uploads an image and a two-page PDF at once and follows them to completion', async () => {
    // Record every state each document shows, to check the live updates afterwards.
    await page.evaluate(() => {
      window.seenStates = {};
      const record = () => {
        for (const li of document.querySelectorAll('#document-list li')) {
          const name = li.querySelector('.document-name').textContent;
          const states = (window.seenStates[name] ||= []);
          const pages = li.querySelector('.document-pages')?.textContent || '';
          const state = li.dataset.status + (pages ? ` ${pages}` : '');
          if (states[states.length - 1] !== state) states.push(state);
        }
      };
      new MutationObserver(record).observe(document.getElementById('document-list'), {
        childList: true, subtree: true, attributes: true, characterData: true,
      });
    });
    await page.setInputFiles('#file-input', [IMAGE, pdfPath]);
    await page.waitForFunction(() => document.querySelectorAll('#document-list li').length === 2);
    await snap(page, 'desktop-upload-progress');
    await page.waitForFunction(
      () => [...document.querySelectorAll('#document-list li')].every((li) => li.dataset.status === 'completed'),
      null,
      { timeout: OCR_TIMEOUT_MS, polling: 500 },
    );
    const seen = await page.evaluate(() => window.seenStates);
    for (const name of ['page_001.png', 'two-pages.pdf']) {
      const states = seen[name].map((s) => s.split(' ')[0]);
      assert.equal(states[0], 'uploading', `${name}: ${seen[name]}`);
      assert.equal(states[states.length - 1], 'completed', `${name}: ${seen[name]}`);
      const order = ['uploading', 'uploaded', 'queued', 'processing', 'completed'];
      const ranks = states.map((s) => order.indexOf(s));
      assert.ok(ranks.every((r, i) => r >= 0 && (i === 0 || r >= ranks[i - 1])), `${name} order: ${seen[name]}`);
    }
    // A system message with the text arrives when a document completes.
    await page.waitForFunction(() => document.querySelectorAll('#message-list .message-system').length >= 2);
    await snap(page, 'desktop-chat');
    for (const li of await page.locator('#document-list li').all()) {
      const name = await li.locator('.document-name').textContent();
      docIds[name] = decodeURIComponent((await li.locator('a.document-open').getAttribute('href')).split('/').pop());
    }
  });

  it('takes files by drag and drop, and says why a file is refused', async () => {
    const files = [
      // Dropped as scanned sideways: turned a quarter counter-clockwise (in the page, below), read upright.
      { name: 'page_003_sideways.png', type: 'image/png', turn: true, b64: readFileSync(path.join(DEV, 'pages', 'page_003.png')).toString('base64') },
      { name: 'notes.txt', type: 'text/plain', b64: Buffer.from('not an image').toString('base64') },
      // Named and typed as a PNG, but not one: the page lets it through, the server sniffs the bytes and refuses.
      { name: 'broken.png', type: 'image/png', b64: Buffer.from('this is not a PNG at all').toString('base64') },
    ];
    const dataTransfer = await page.evaluateHandle(async (list) => {
      const dt = new DataTransfer();
      for (const f of list) {
        let bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
        if (f.turn) {
          // createImageBitmap decodes without a fetch, so the page's CSP (img-src) is not involved.
          const bmp = await createImageBitmap(new Blob([bytes], { type: f.type }));
          const canvas = new OffscreenCanvas(bmp.height, bmp.width);
          const g = canvas.getContext('2d');
          g.translate(0, bmp.width);
          g.rotate(-Math.PI / 2);
          g.drawImage(bmp, 0, 0);
          bytes = await canvas.convertToBlob({ type: 'image/png' });
        }
        dt.items.add(new File([bytes], f.name, { type: f.type }));
      }
      return dt;
    }, files);
    await page.dispatchEvent('#dropzone', 'dragover', { dataTransfer });
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
    await page.waitForFunction(() => /notes\.txt: not an image or PDF/.test(document.getElementById('upload-message').textContent));
    const item = (name) => page.locator('#document-list li', { has: page.locator('.document-name', { hasText: name }) });
    await item('broken.png').locator('.badge', { hasText: 'Failed' }).waitFor();
    assert.match(await item('broken.png').locator('.document-error').textContent(), /^Failed: \S/);
    await page.waitForFunction(() => {
      const li = [...document.querySelectorAll('#document-list li')]
        .find((x) => x.querySelector('.document-name').textContent === 'page_003_sideways.png');
      return li && li.dataset.status === 'completed';
    }, null, { timeout: OCR_TIMEOUT_MS });
    assert.equal(await item('notes.txt').count(), 0, 'a refused file is not uploaded');
  });

  it('shows the image with line boxes and the text within 10% CER, highlights lines, copies', async () => {
    await page.getByRole('link', { name: 'Open page_001.png' }).click();
    await page.waitForSelector('#result-view:not([hidden]) .ocr-line');
    const shown = await page.locator('#ocr-text').innerText();
    const rate = cer(truth['page_001.png'], shown);
    assert.ok(rate < CER_LIMIT, `CER ${(rate * 100).toFixed(1)}% on page_001.png; shown:\n${shown}`);

    await page.waitForFunction(() => document.getElementById('page-image').naturalWidth > 0);
    const lines = await page.locator('.ocr-line').count();
    assert.equal(await page.locator('#line-overlay rect.line-box').count(), lines);
    // A landscape page is drawn above the text at the full width of the result, not squeezed beside it.
    const frame = await page.locator('#image-frame').boundingBox();
    const panes = await page.locator('.result-panes').boundingBox();
    assert.ok(frame.width > 0.95 * panes.width, `image ${frame.width} px wide in ${panes.width} px`);
    // Hovering a line in the text highlights its box, and the other way round.
    await page.locator('.ocr-line').nth(1).hover();
    assert.equal(await page.locator('#line-overlay rect.line-box.active').getAttribute('data-line'), '1');
    await page.locator('#line-overlay rect.line-box').first().hover({ force: true });
    assert.equal(await page.locator('.ocr-line.active').getAttribute('data-line'), '0');
    // Keyboard: a focused line is highlighted too.
    await page.locator('.ocr-line').nth(2).focus();
    assert.equal(await page.locator('#line-overlay rect.line-box.active').getAttribute('data-line'), '2');
    await snap(page, 'desktop-result');

    await page.getByRole('button', { name: 'Copy text' }).click();
    await page.waitForFunction(() => /Text copied/.test(document.getElementById('toast').textContent));
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.ok(cer(truth['page_001.png'], copied) < CER_LIMIT, 'copied text matches');
  });

  it('downloads hOCR and the searchable PDF', async () => {
    const [hocr] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'hOCR' }).click()]);
    const hocrText = readFileSync(await hocr.path(), 'utf8');
    assert.match(hocrText, /class=['"]ocr_page['"]/);
    assert.match(hocrText, /class=['"]ocr_line['"]/);
    assert.equal(hocr.suggestedFilename(), 'page_001.hocr.html');

    const [pdf] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Searchable PDF' }).click(),
    ]);
    const bytes = readFileSync(await pdf.path());
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.ok(bytes.length > 10_000, 'the PDF carries the page image');
    assert.equal(pdf.suggestedFilename(), 'page_001.pdf');
  });

  it('reads both pages of the PDF', async () => {
    await page.goto(chatUrl);
    await page.getByRole('link', { name: 'Open two-pages.pdf' }).click();
    await page.waitForSelector('#result-view:not([hidden]) .ocr-line');
    assert.equal(await page.textContent('#page-label'), 'Page 1 of 2');
    const first = await page.locator('#ocr-text').innerText();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForFunction(() => document.getElementById('page-label').textContent === 'Page 2 of 2');
    const second = await page.locator('#ocr-text').innerText();
    const rate1 = cer(truth['page_002.png'], first);
    const rate2 = cer(truth['page_004.png'], second);
    assert.ok(rate1 < CER_LIMIT, `PDF page 1 CER ${(rate1 * 100).toFixed(1)}%:\n${first}`);
    assert.ok(rate2 < CER_LIMIT, `PDF page 2 CER ${(rate2 * 100).toFixed(1)}%:\n${second}`);
  });

  it('reads a page scanned sideways upright, with the image turned under its line boxes', async () => {
    await page.goto(chatUrl);
    await page.getByRole('link', { name: 'Open page_003_sideways.png' }).click();
    await page.waitForSelector('#result-view:not([hidden]) .ocr-line');
    const shown = await page.locator('#ocr-text').innerText();
    const rate = cer(truth['page_003.png'], shown);
    assert.ok(rate < CER_LIMIT, `CER ${(rate * 100).toFixed(1)}% on the sideways page; shown:\n${shown}`);
    await page.waitForFunction(() => document.getElementById('page-image').naturalWidth > 0);
    // The stored image is portrait; the page was read turned a quarter clockwise, so the image is shown turned
    // the same way and, turned, fills the landscape frame the boxes are drawn in.
    const { matrix, img, frame } = await page.evaluate(() => {
      const el = document.getElementById('page-image');
      const box = (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; };
      return { matrix: getComputedStyle(el).transform, img: box(el), frame: box(document.getElementById('image-frame')) };
    });
    const [, sin] = matrix.match(/-?[\d.e-]+/g).map(Number);
    assert.ok(sin > 0.99, `turned a quarter clockwise: ${matrix}`);
    assert.ok(frame.w > frame.h, `landscape frame ${frame.w}x${frame.h}`);
    for (const k of ['x', 'y', 'w', 'h']) {
      assert.ok(Math.abs(img[k] - frame[k]) < 0.03 * frame.w, `image ${JSON.stringify(img)} in frame ${JSON.stringify(frame)}`);
    }
  });

  it('asks for the password of a protected PDF, says when it is wrong, and reads the PDF with it', async () => {
    await page.goto(chatUrl);
    const fixtures = path.join(REPO, 'hindi-ocr-core', 'tests', 'fixtures');
    const lines = readFileSync(path.join(fixtures, 'lines', 'expected.tsv'), 'utf8').split('\n').slice(1, 3)
      .map((row) => row.split('\t')[1]);
    const dialog = page.locator('#password-dialog');
    const item = (name) => page.locator('#document-list li', { has: page.locator('.document-name', { hasText: name }) });
    await page.setInputFiles('#file-input', path.join(fixtures, 'encrypted', 'rc4.pdf'));
    await dialog.waitFor({ state: 'visible' });
    assert.match(await page.locator('#password-text').textContent(), /“rc4\.pdf” is password-protected/);
    await page.fill('#pdf-password', 'not it');
    await page.click('#password-ok');
    await page.waitForFunction(() => /does not open/.test(document.getElementById('password-text').textContent));
    assert.ok(await dialog.isVisible(), 'asked again after a wrong password');
    assert.equal(await page.inputValue('#pdf-password'), '', 'the wrong password is not left in the field');
    await page.fill('#pdf-password', 'secret');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForFunction(() => {
      const li = [...document.querySelectorAll('#document-list li')]
        .find((x) => x.querySelector('.document-name').textContent === 'rc4.pdf');
      return li && li.dataset.status === 'completed';
    }, null, { timeout: OCR_TIMEOUT_MS });
    await page.getByRole('link', { name: 'Open rc4.pdf' }).click();
    await page.waitForSelector('#result-view:not([hidden]) .ocr-line');
    const shown = await page.locator('#ocr-text').innerText();
    const rate = cer(lines.join('\n'), shown);
    assert.ok(rate < CER_LIMIT, `CER ${(rate * 100).toFixed(1)}% on the protected PDF; shown:\n${shown}`);
    // Cancelled: the upload fails with a reason, nothing is stored.
    await page.goto(chatUrl);
    await page.setInputFiles('#file-input', path.join(fixtures, 'encrypted', 'aes256.pdf'));
    await dialog.waitFor({ state: 'visible' });
    await page.click('#password-dialog button[value="cancel"]');
    await item('aes256.pdf').locator('.badge', { hasText: 'Failed' }).waitFor();
    assert.match(await item('aes256.pdf').locator('.document-error').textContent(), /no password was given/);
    // Only the page knew of it: after a reload the chat lists the stored documents, all read.
    await page.reload();
    await item('rc4.pdf').waitFor();
    assert.equal(await item('aes256.pdf').count(), 0, 'a PDF whose password was not given is not stored');
  });

  it('reads the other pages of a TIFF with a damaged page and says which page was lost', async () => {
    await page.goto(chatUrl);
    const tif = path.join(REPO, 'hindi-ocr-core', 'tests', 'fixtures', 'broken_page.tif');
    await page.setInputFiles('#file-input', tif);
    const li = page.locator('#document-list li', { has: page.locator('.document-name', { hasText: 'broken_page.tif' }) });
    await li.locator('.badge', { hasText: 'Completed' }).waitFor({ timeout: OCR_TIMEOUT_MS });
    assert.match(await li.locator('.document-warning').textContent(), /^1 of 3 pages could not be read \(page 2\)/);
    await li.locator('a.document-open').click();
    await page.waitForFunction(() => document.getElementById('page-label').textContent === 'Page 1 of 3');
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForFunction(() => document.getElementById('page-label').textContent === 'Page 2 of 3');
    assert.match(await page.locator('#ocr-text').innerText(), /^This page could not be read: /);
  });

  it('reads a photo taken at an angle straightened, and shows it straightened under its line boxes', async () => {
    await page.goto(chatUrl);
    const fixtures = path.join(REPO, 'hindi-ocr-core', 'tests', 'fixtures');
    const lines = readFileSync(path.join(fixtures, 'lines', 'expected.tsv'), 'utf8').trim().split('\n').slice(1)
      .map((row) => row.split('\t')[1]);
    await page.setInputFiles('#file-input', path.join(fixtures, 'photo_keystone.jpg'));
    const li = page.locator('#document-list li', { has: page.locator('.document-name', { hasText: 'photo_keystone.jpg' }) });
    await li.locator('.badge', { hasText: 'Completed' }).waitFor({ timeout: OCR_TIMEOUT_MS });
    await li.locator('a.document-open').click();
    await page.waitForSelector('#result-view:not([hidden]) .ocr-line');
    const shown = await page.locator('#ocr-text').innerText();
    const rate = cer(lines.join('\n'), shown);
    assert.ok(rate < CER_LIMIT, `CER ${(rate * 100).toFixed(1)}% on the photo; shown:\n${shown}`);
    assert.match(await page.textContent('#image-caption'), /shown straightened/);
    assert.equal(await page.locator('#line-overlay rect.line-box').count(), await page.locator('.ocr-line').count());
    await page.waitForFunction(() => document.getElementById('page-image').naturalWidth > 0);
    // The photo is drawn through a projective transform that takes the page's corners (found by the server)
    // to the frame's corners, where the boxes' frame has them.
    const id = decodeURIComponent(page.url().split('/').pop());
    const { corners, frame } = await page.evaluate(async (docId) => {
      const res = await fetch(`/api/documents/${encodeURIComponent(docId)}/ocr?format=json`);
      const quad = (await res.json()).pages[0].quad;
      const img = document.getElementById('page-image');
      const m = new DOMMatrix(getComputedStyle(img).transform);
      const f = document.getElementById('image-frame');
      return {
        corners: quad.map(([x, y]) => { const p = m.transformPoint(new DOMPoint(x, y, 0, 1)); return [p.x / p.w, p.y / p.w]; }),
        frame: [f.clientWidth, f.clientHeight],
      };
    }, id);
    const [fw, fh] = frame;
    [[0, 0], [fw, 0], [fw, fh], [0, fh]].forEach(([x, y], i) => {
      const [cx, cy] = corners[i];
      assert.ok(Math.hypot(cx - x, cy - y) < 0.03 * fw, `corner ${i} at ${cx.toFixed(1)},${cy.toFixed(1)}, frame ${fw}x${fh}`);
    });
  });

  it('switches the interface to Hindi and back', async () => {
    await page.goto(chatUrl);
    await page.waitForSelector('#chat-view:not([hidden])');
    await page.getByLabel('Language').selectOption('hi');
    assert.equal(await page.getAttribute('html', 'lang'), 'hi');
    assert.equal(await page.textContent('#logout-button'), 'लॉग आउट');
    assert.equal(await page.textContent('#new-chat-button'), 'नई चैट');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#document-list .badge')].every((b) => b.textContent === 'पूरा हुआ'));
    await snap(page, 'desktop-chat-hindi');
    await page.getByLabel('भाषा').selectOption('en');
    assert.equal(await page.textContent('#logout-button'), 'Log out');
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize(PHONE);
    await page.goto(chatUrl);
    await page.waitForSelector('#chat-view:not([hidden])');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow}px)`);
    assert.ok(!(await page.locator('#sidebar').isVisible()), 'sidebar is a drawer on phones');
    await snap(page, 'phone-chat');
    await page.getByRole('button', { name: 'Chats menu' }).click();
    await page.waitForSelector('#sidebar', { state: 'visible' });
    assert.equal(await page.getAttribute('#menu-toggle', 'aria-expanded'), 'true');
    await snap(page, 'phone-menu');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#sidebar', { state: 'hidden' });

    await page.goto(`${server.url}/#/documents/${encodeURIComponent(docIds['page_001.png'])}`);
    await page.waitForSelector('#result-view:not([hidden]) .ocr-line');
    const resultOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(resultOverflow <= 0, `result view fits (overflow ${resultOverflow}px)`);
    await snap(page, 'phone-result');
    await page.setViewportSize(DESKTOP);
  });

  it('labels every control', async () => {
    await page.goto(chatUrl);
    await page.waitForSelector('#chat-view:not([hidden])');
    const unlabelled = await page.evaluate(() => {
      const out = [];
      for (const node of document.querySelectorAll('button, input, select, a[href], textarea')) {
        if (node.closest('[hidden]') || node.type === 'hidden') continue;
        const named = (node.labels && node.labels.length > 0) || node.getAttribute('aria-label')
          || node.getAttribute('aria-labelledby') || node.textContent.trim();
        if (!named) out.push(node.outerHTML.slice(0, 120));
      }
      return out;
    });
    assert.deepEqual(unlabelled, []);
  });

  it('shows another user nothing of the first user’s data', async () => {
    await logOut();
    await submitAuth('signup', bob, PASSWORD);
    await expectSignedIn(bob);
    assert.equal(await page.locator('#chat-list li').count(), 0);
    assert.ok(await page.locator('#no-chats').isVisible());
    // Alice's chat and document by URL: not found, and the API says 404 for each.
    await page.goto(chatUrl);
    // Wait for this message itself: the sign-up toast may still be showing when the route changes.
    await page.waitForFunction(() => {
      const toast = document.getElementById('toast');
      return !toast.hidden && /Not found/.test(toast.textContent);
    });
    assert.ok(await page.locator('#chat-view').isHidden());
    const statuses = await page.evaluate(async (ids) => {
      const out = [];
      for (const id of ids) {
        for (const suffix of ['', '/file', '/ocr?format=text']) {
          out.push((await fetch(`/api/documents/${encodeURIComponent(id)}${suffix}`)).status);
        }
      }
      return out;
    }, Object.values(docIds));
    assert.deepEqual(statuses, Array(statuses.length).fill(404));
    await logOut();
  });

  it('renames and deletes the chat, then logs out', async () => {
    await submitAuth('login', alice, PASSWORD);
    await expectSignedIn(alice);
    await page.goto(chatUrl);
    await page.waitForSelector('#chat-view:not([hidden])');
    // Keyboard only: Rename, type, Enter.
    await page.getByRole('button', { name: 'Rename' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('समाचार पृष्ठ');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('chat-title').textContent === 'समाचार पृष्ठ');
    assert.equal(await page.locator('#chat-list li').first().locator('.chat-link-title').textContent(), 'समाचार पृष्ठ');
    await page.reload();
    await page.waitForSelector('#chat-view:not([hidden])');
    assert.equal(await page.textContent('#chat-title'), 'समाचार पृष्ठ', 'the new title is stored');

    await page.getByRole('button', { name: 'Delete' }).click();
    await page.waitForSelector('#confirm-dialog[open]');
    await page.locator('#confirm-dialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForSelector('#empty-view:not([hidden])');
    assert.equal(await page.locator('#chat-list li').count(), 0);
    const after = await page.evaluate(async (id) => (await fetch(`/api/documents/${encodeURIComponent(id)}`)).status,
      docIds['page_001.png']);
    assert.equal(after, 404, 'the chat’s documents went with it');
    await logOut();
    assert.ok(await page.locator('#auth-view').isVisible());
  });

  it('had no script errors or CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
