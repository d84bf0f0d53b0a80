// Small DOM helpers shared by the views: element lookup and creation, the toast, the confirm dialog.

import { t } from './i18n.js';

/** The element with this id (the markup in index.html guarantees it exists). */
export const $ = (id) => document.getElementById(id);

/**
 * Creates an element: `el('li', { className: 'x', dataset: { id } }, 'text', child)`.
 * Properties go on the element (so text is never parsed as HTML); `attrs` sets attributes.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { dataset, attrs, ...rest } = props;
  Object.assign(node, rest);
  if (dataset) Object.assign(node.dataset, dataset);
  if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** Creates an SVG element with attributes. */
export function svg(tag, attrs = {}) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

let toastTimer = 0;

/** Shows a short message at the top of the page (announced by screen readers). */
export function toast(message, kind = 'info') {
  const box = $('toast');
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, 4000);
}

/** Asks a yes/no question in a modal dialog; resolves to true when the user confirms. */
export function confirmDialog(question, okLabel) {
  const dialog = $('confirm-dialog');
  $('confirm-text').textContent = question;
  $('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}

// One password question at a time: uploads run in parallel, the dialog is shared.
let passwordTurn = Promise.resolve();

/** Asks for a PDF's password in a modal dialog; resolves to it, or to null when the user cancels. */
export function passwordDialog(question) {
  const ask = () => {
    const dialog = $('password-dialog');
    const input = $('pdf-password');
    $('password-text').textContent = question;
    input.value = '';
    dialog.returnValue = '';
    // Enter in the field means Open (the form's first button, which implicit submission would press, is Cancel).
    const onKey = (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        dialog.close('ok');
      }
    };
    input.addEventListener('keydown', onKey);
    return new Promise((resolve) => {
      dialog.addEventListener(
        'close',
        () => {
          input.removeEventListener('keydown', onKey);
          const value = input.value;
          input.value = ''; // not left in the page
          resolve(dialog.returnValue === 'ok' && value !== '' ? value : null);
        },
        { once: true },
      );
      dialog.showModal();
      input.focus();
    });
  };
  const answer = passwordTurn.then(ask);
  passwordTurn = answer.catch(() => null);
  return answer;
}

/** A human message for an error thrown by the API layer. */
export function describeError(err) {
  if (err instanceof TypeError) return t('networkError');
  if (err && err.status === 404) return t('notFound');
  if (err && err.status >= 500) return t('serverError', { status: err.status });
  return (err && err.message) || String(err);
}
