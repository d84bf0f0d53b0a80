// The result view: the page image with its line boxes drawn over it, the recognised text beside it,
// low-confidence words marked, a line highlighted in both panes on hover or focus, copy and downloads.

import * as api from './api.js';
import { t } from './i18n.js';
import { photoTransform } from './perspective.js';
import { $, el, svg, toast } from './ui.js';

/** Words read with a confidence below this are marked for checking. */
export const LOW_CONFIDENCE = 0.7;
/** Image types every browser displays; others (TIFF, PDF) are shown as text only. */
const DISPLAYABLE = /^image\/(png|jpeg|webp|bmp|gif)$/;
const DOWNLOAD_EXT = { text: 'txt', json: 'json', hocr: 'hocr.html', alto: 'alto.xml', pdf: 'pdf' };

let doc = null; // the document record
let result = null; // { pages: [...], text, confidence, processingTimeMs }
let pageIndex = 0;
/** Redraws a straightened photo when its frame changes size (its transform is in pixels). */
let placeOnResize = null;
new ResizeObserver(() => placeOnResize?.()).observe(document.getElementById('image-frame'));

/** The page image can be shown when it is a single browser-displayable image (`contentType` is sniffed). */
const hasImage = () => DISPLAYABLE.test(doc.contentType) && result.pages.length <= 1;

/** One line at a time is highlighted: the last one hovered or focused (mouse and keyboard can disagree). */
function highlight(index, on) {
  if (on) {
    for (const node of document.querySelectorAll('.active[data-line]')) node.classList.remove('active');
  }
  for (const node of document.querySelectorAll(`[data-line="${index}"]`)) node.classList.toggle('active', on);
}

function bindHighlight(node, index) {
  node.addEventListener('mouseenter', () => highlight(index, true));
  node.addEventListener('mouseleave', () => highlight(index, false));
  node.addEventListener('focus', () => highlight(index, true));
  node.addEventListener('blur', () => highlight(index, false));
}

function renderText(page) {
  const box = $('ocr-text');
  if (page && page.error) {
    box.replaceChildren(el('p', { className: 'document-warning' }, t('pageUnread', { reason: page.error })));
    return;
  }
  if (!page || !page.lines || page.lines.length === 0) {
    box.replaceChildren(el('p', { className: 'muted' }, t('noLines')));
    return;
  }
  box.replaceChildren(...page.lines.map((line, i) => {
    const p = el('p', { className: 'ocr-line', tabIndex: 0, dataset: { line: String(i) } });
    const words = line.words && line.words.length ? line.words : null;
    if (words) {
      words.forEach((w, j) => {
        if (j > 0) p.append(' ');
        const low = w.confidence < LOW_CONFIDENCE;
        const span = el('span', { className: low ? 'word low-confidence' : 'word' }, w.text);
        if (low) span.title = t('confidence', { pct: Math.round(w.confidence * 100) });
        p.append(span);
      });
    } else {
      p.textContent = line.text;
      if (line.confidence < LOW_CONFIDENCE) p.classList.add('low-confidence');
    }
    p.title = t('confidence', { pct: Math.round((line.confidence ?? 0) * 100) });
    bindHighlight(p, i);
    return p;
  }));
}

function renderOverlay(page) {
  const overlay = $('line-overlay');
  overlay.replaceChildren();
  if (!page) return;
  overlay.setAttribute('viewBox', `0 0 ${page.width} ${page.height}`);
  (page.lines || []).forEach((line, i) => {
    const b = line.bbox;
    const rect = svg('rect', { x: b.x, y: b.y, width: b.width, height: b.height, class: 'line-box', 'data-line': i });
    bindHighlight(rect, i);
    overlay.append(rect);
    for (const w of line.words || []) {
      if (w.confidence < LOW_CONFIDENCE) {
        const wb = w.bbox;
        overlay.append(svg('rect', { x: wb.x, y: wb.y, width: wb.width, height: wb.height, class: 'word-box-low' }));
      }
    }
  });
}

function renderImage(page) {
  const img = $('page-image');
  const frame = $('image-frame');
  const caption = $('image-caption');
  if (!hasImage()) {
    $('image-pane').classList.add('no-image');
    frame.hidden = true;
    img.removeAttribute('src');
    caption.textContent = t('noImagePreview');
    return;
  }
  $('image-pane').classList.remove('no-image');
  frame.hidden = false;
  caption.textContent = '';
  img.alt = t('pageImage');
  const src = api.fileUrl(api.docId(doc));
  if (img.getAttribute('src') !== src) img.src = src;
  placeOnResize = null;
  img.onload = null;
  img.style.transformOrigin = '';
  // A landscape page beside the text would be drawn at half the width, too small to read: put it above.
  const wide = Boolean(page && page.width > 1.2 * page.height);
  document.querySelector('.result-panes').classList.toggle('wide-page', wide);
  if (page && page.quad && page.width && page.height) {
    // A photo taken at an angle was read straightened: draw it warped the same way (at its natural size,
    // through a projective transform), so the page fills the frame and the boxes lie on its words.
    caption.textContent = t('photoStraightened');
    frame.style.aspectRatio = `${page.width} / ${page.height}`;
    Object.assign(img.style, { position: 'absolute', left: '0', top: '0', transformOrigin: '0 0' });
    const place = () => {
      if (!img.naturalWidth) return;
      Object.assign(img.style, { width: `${img.naturalWidth}px`, height: `${img.naturalHeight}px` });
      img.style.transform = photoTransform(page, frame.clientWidth);
    };
    img.onload = place;
    placeOnResize = place;
    place();
    return;
  }
  // Boxes are in the upright, deskewed frame of the page (turned clockwise by `rotation`, then by `skew`):
  // turn the image the same way so they line up.
  const turn = Number(page?.rotation) || 0;
  const angle = turn + (Number(page?.skew) || 0);
  img.style.transform = Math.abs(angle) > 0.05 ? `rotate(${angle}deg)` : '';
  // Turned a quarter, the image's own box is the frame's with the sides swapped, centred in it.
  const quarter = turn % 180 === 90 && page.width && page.height;
  const w = quarter ? (100 * page.height) / page.width : 100;
  const h = quarter ? (100 * page.width) / page.height : 100;
  Object.assign(img.style, quarter
    ? { position: 'absolute', width: `${w}%`, height: `${h}%`, left: `${(100 - w) / 2}%`, top: `${(100 - h) / 2}%` }
    : { position: '', width: '', height: '', left: '', top: '' });
  // The frame keeps the page's aspect ratio so the SVG (viewBox = page size) scales with the image.
  if (page && page.width && page.height) frame.style.aspectRatio = `${page.width} / ${page.height}`;
}

function renderPage() {
  const pages = result.pages || [];
  const page = pages[pageIndex];
  $('pager').hidden = pages.length <= 1;
  $('page-label').textContent = t('pageOf', { n: pageIndex + 1, total: pages.length });
  $('prev-page').disabled = pageIndex === 0;
  $('next-page').disabled = pageIndex >= pages.length - 1;
  renderImage(page);
  renderOverlay(hasImage() ? page : null);
  renderText(page);
}

function renderHeader() {
  const name = doc.fileName || '';
  $('result-title').textContent = name;
  const parts = [];
  const conf = result.confidence ?? doc.ocrConfidence;
  if (conf !== undefined && conf !== null) parts.push(t('confidence', { pct: Math.round(conf * 100) }));
  const ms = doc.processingTime ?? result.processingTimeMs;
  if (ms) parts.push(`${(ms / 1000).toFixed(1)} s`);
  $('result-meta').textContent = parts.join(' · ');
  const base = name.replace(/\.[^.]+$/, '') || 'document';
  for (const a of document.querySelectorAll('.downloads a[data-format]')) {
    a.href = api.exportUrl(api.docId(doc), a.dataset.format);
    a.download = `${base}.${DOWNLOAD_EXT[a.dataset.format]}`;
  }
  $('back-link').href = doc.chatId ? `#/chats/${encodeURIComponent(doc.chatId)}` : '#/';
}

/** Redraws the open result in the current language. */
export function rerenderResult() {
  if (!doc || !result) return;
  renderHeader();
  renderPage();
}

/** Loads and shows document `id`. Resolves to the document, or null when it does not exist. */
export async function openResult(id) {
  doc = null;
  result = null;
  pageIndex = 0;
  $('ocr-text').replaceChildren(el('p', { className: 'muted' }, t('loading')));
  $('line-overlay').replaceChildren();
  try {
    [doc, result] = await Promise.all([api.getDocument(id), api.getResult(id)]);
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
  result.pages = result.pages || [];
  renderHeader();
  renderPage();
  return doc;
}

/** The whole recognised text of the open document. */
function fullText() {
  return result.text ?? doc.ocrText ?? result.pages.map((p) => p.lines.map((l) => l.text).join('\n')).join('\n\n');
}

async function copyText() {
  const text = fullText();
  try {
    await navigator.clipboard.writeText(text);
    toast(t('copied'));
  } catch {
    // Clipboard API refused (no permission, insecure origin): fall back to a selected textarea.
    const area = el('textarea', { value: text, readOnly: true, className: 'copy-buffer' });
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    toast(t(ok ? 'copied' : 'copyFailed'), ok ? 'info' : 'error');
  }
}

/** Wires the result view's controls. */
export function initResult() {
  $('copy-button').addEventListener('click', () => copyText());
  $('prev-page').addEventListener('click', () => {
    if (pageIndex > 0) {
      pageIndex -= 1;
      renderPage();
    }
  });
  $('next-page').addEventListener('click', () => {
    if (result && pageIndex < result.pages.length - 1) {
      pageIndex += 1;
      renderPage();
    }
  });
}
