// Documents of the open chat: uploading several files at once and following each one's state live
// through the server's Server-Sent Events stream (falling back to polling if the stream breaks).

import * as api from './api.js';
import { t } from './i18n.js';
import { $, el, describeError, passwordDialog } from './ui.js';

const ACCEPTED_TYPES = new Set([
  'image/png', 'image/jpeg', 'image/tiff', 'image/webp', 'image/bmp', 'application/pdf',
]);
const ACCEPTED_EXT = /\.(png|jpe?g|tiff?|webp|bmp|pdf)$/i;
const TERMINAL = new Set(['completed', 'failed']);
/** How many uploads run at once; the rest wait their turn. */
const PARALLEL_UPLOADS = 3;
const POLL_MS = 1500;

/** Documents shown in the open chat, by id (uploads in flight use a temporary `local:` id). */
const docs = new Map();
/** Live connections (EventSource or poll timer) by document id. */
const watchers = new Map();
let chatId = null;
let onCompleted = () => {};
let uploadMessages = [];

const stateKey = {
  uploading: 'stateUploading',
  uploaded: 'stateUploaded',
  queued: 'stateQueued',
  processing: 'stateProcessing',
  completed: 'stateCompleted',
  failed: 'stateFailed',
};

/** Why the document failed (`error` from the server, or the upload's own error). */
const reasonOf = (d) => d.error || '';

function render() {
  const list = $('document-list');
  const items = [...docs.values()].sort((a, b) => (b.createdAt || '').localeCompare(a.createdAt || ''));
  list.replaceChildren(...items.map(renderDoc));
  $('no-documents').hidden = items.length > 0;
}

function renderDoc(d) {
  const status = d.status || 'queued';
  const name = d.fileName || '';
  const total = Number(d.pagesTotal) || 0;
  const done = Number(d.pagesDone) || 0;
  const li = el('li', { className: `document state-${status}`, dataset: { id: d.key, status } });
  const head = el('div', { className: 'document-head' },
    el('span', { className: 'document-name', title: name }, name),
    el('span', { className: `badge badge-${status}`, dataset: { role: 'status' } }, t(stateKey[status] || 'stateQueued')));
  li.append(head);
  if (status === 'processing' || status === 'uploading') {
    const bar = el('progress', { className: 'document-progress', max: total || 1, attrs: { 'aria-label': name } });
    if (status === 'processing' && total > 0) bar.value = done; // no value: an indeterminate bar
    li.append(bar);
    if (status === 'processing' && total > 0) {
      li.append(el('p', { className: 'document-pages muted' }, t('pagesDone', { done, total })));
    }
  }
  if (status === 'failed') {
    li.append(el('p', { className: 'document-error' }, t('failedReason', { reason: reasonOf(d) || '?' })));
  }
  if (status === 'completed' && d.error) {
    // Completed with pages that could not be read (a damaged page of a multi-page file): say which.
    li.append(el('p', { className: 'document-warning' }, d.error));
  }
  if (status === 'completed') {
    const pct = d.ocrConfidence !== undefined && d.ocrConfidence !== null ? Math.round(d.ocrConfidence * 100) : null;
    if (pct !== null) head.append(el('span', { className: 'muted document-confidence' }, t('confidence', { pct })));
    li.append(el('a', {
      className: 'button secondary document-open',
      href: `#/documents/${encodeURIComponent(d.key)}`,
      textContent: t('open'),
      attrs: { 'aria-label': t('openDocument', { name }) },
    }));
  }
  return li;
}

function setDoc(key, fields) {
  const d = { ...(docs.get(key) || {}), ...fields, key };
  docs.set(key, d);
  render();
  return d;
}

function stopWatching(id) {
  const w = watchers.get(id);
  if (!w) return;
  if (w.source) w.source.close();
  if (w.timer) clearTimeout(w.timer);
  watchers.delete(id);
}

/** Applies a status update for document `id`; stops following it once it is finished. */
function applyUpdate(id, update) {
  if (!docs.has(id)) return;
  const before = docs.get(id).status;
  const d = setDoc(id, update);
  if (TERMINAL.has(d.status)) {
    stopWatching(id);
    if (d.status === 'completed' && before !== 'completed') onCompleted(d);
  }
}

function poll(id) {
  const w = { timer: 0 };
  watchers.set(id, w);
  const tick = async () => {
    try {
      applyUpdate(id, await api.getDocument(id));
    } catch (err) {
      if (err.status === 404) return stopWatching(id);
    }
    if (watchers.get(id) === w) w.timer = setTimeout(tick, POLL_MS);
  };
  w.timer = setTimeout(tick, POLL_MS);
}

/** Follows one document's status through SSE until it completes or fails. */
function watch(id) {
  if (watchers.has(id) || TERMINAL.has(docs.get(id)?.status)) return;
  if (typeof EventSource === 'undefined') return poll(id);
  const source = new EventSource(api.eventsUrl(id));
  const w = { source };
  watchers.set(id, w);
  const onEvent = (event) => {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return; // not JSON: nothing to apply
    }
    applyUpdate(id, data);
  };
  // `status` carries {documentId, status, pagesDone, pagesTotal, error}; `deleted` says the document is gone.
  source.addEventListener('status', onEvent);
  source.addEventListener('deleted', () => {
    stopWatching(id);
    docs.delete(id);
    render();
  });
  source.onerror = () => {
    // The stream ended (server restart, proxy timeout): read the state once, then poll until finished.
    if (watchers.get(id) !== w) return;
    source.close();
    watchers.delete(id);
    if (!TERMINAL.has(docs.get(id)?.status)) poll(id);
  };
}

function showUploadMessages() {
  $('upload-message').textContent = uploadMessages.join(' ');
}

function acceptable(file) {
  if (!(ACCEPTED_TYPES.has(file.type) || ACCEPTED_EXT.test(file.name))) {
    uploadMessages.push(t('unsupportedType', { name: file.name }));
    return false;
  }
  if (file.size > api.MAX_UPLOAD_BYTES) {
    uploadMessages.push(t('tooLarge', { name: file.name }));
    return false;
  }
  return true;
}

let localCounter = 0;

async function uploadOne(file, forChat) {
  const localKey = `local:${++localCounter}`;
  setDoc(localKey, { fileName: file.name, status: 'uploading', createdAt: new Date().toISOString(), chatId: forChat });
  try {
    const created = await uploadWithPassword(file, forChat);
    docs.delete(localKey);
    if (chatId !== forChat) return; // the user moved to another chat meanwhile
    const id = api.docId(created);
    setDoc(id, { fileName: file.name, status: 'queued', ...created });
    watch(id);
  } catch (err) {
    let reason = describeError(err);
    if (err.status === 413) reason = t('tooLarge', { name: file.name });
    if (err.status === 415) reason = t('unsupportedType', { name: file.name });
    if (err.code === 'pdf_password_cancelled') reason = t('pdfPasswordNotGiven', { name: file.name });
    setDoc(localKey, { status: 'failed', error: reason });
  }
}

/** Uploads `file`; a password-protected PDF asks for its password until it opens or the user cancels. */
async function uploadWithPassword(file, forChat) {
  let password;
  for (;;) {
    try {
      return await api.uploadDocument(file, forChat, password);
    } catch (err) {
      if (err.code !== 'pdf_password_required' && err.code !== 'pdf_password_wrong') throw err;
      const key = err.code === 'pdf_password_wrong' ? 'pdfPasswordWrong' : 'pdfPasswordAsk';
      password = await passwordDialog(t(key, { name: file.name }));
      if (password === null) throw new api.ApiError(400, 'pdf_password_cancelled', '');
    }
  }
}

/** Uploads files into the open chat, a few at a time. */
export async function uploadFiles(fileList) {
  uploadMessages = [];
  const files = [...fileList].filter(acceptable);
  showUploadMessages();
  const forChat = chatId;
  const queue = [...files];
  const workers = Array.from({ length: Math.min(PARALLEL_UPLOADS, queue.length) }, async () => {
    while (queue.length) await uploadOne(queue.shift(), forChat);
  });
  await Promise.all(workers);
}

/** Shows the documents of chat `id` (from the server) and follows the unfinished ones. */
export async function showDocuments(id, list) {
  for (const key of [...watchers.keys()]) stopWatching(key);
  // Uploads into this chat begun before its list arrived (a file dropped while the chat opens), still in
  // flight or just refused, stay listed: the server's list does not have them.
  const local = [...docs].filter(([key, d]) => key.startsWith('local:') && d.chatId === id);
  docs.clear();
  chatId = id;
  uploadMessages = [];
  showUploadMessages();
  for (const [key, d] of local) docs.set(key, d);
  for (const d of list) docs.set(api.docId(d), { ...d, key: api.docId(d) });
  render();
  for (const key of docs.keys()) if (!key.startsWith('local:')) watch(key);
}

/** Forgets the open chat (on delete or logout) and closes every live stream. */
export function clearDocuments() {
  for (const key of [...watchers.keys()]) stopWatching(key);
  docs.clear();
  chatId = null;
}

/** Redraws the list in the current language. */
export const rerenderDocuments = render;

/** Wires the drop zone and file picker; `completed(doc)` runs when a document finishes. */
export function initDocuments(completed) {
  onCompleted = completed;
  const zone = $('dropzone');
  const input = $('file-input');
  input.addEventListener('change', () => {
    if (input.files.length) uploadFiles(input.files);
    input.value = '';
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove('dragging');
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    if (event.dataTransfer.files.length) uploadFiles(event.dataTransfer.files);
  });
  // A file dropped outside the zone would make the browser navigate away to it: ignore it instead.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
}
