// The HTTP API of `hindi-ocr serve` (docs/API.md), as the page uses it.
//
// Auth is the HttpOnly session cookie the server sets at login: the page never sees or stores the token.
// Every state-changing request carries the CSRF header the server checks (see CSRF_HEADER).

/** Header the server requires on POST/PATCH/DELETE (with SameSite=Lax cookies, this stops cross-site forms). */
export const CSRF_HEADER = 'X-CSRF-Token';
/** Cookie holding the CSRF token the page echoes in CSRF_HEADER (double-submit; readable on purpose). */
const CSRF_COOKIE = 'hindi_ocr_csrf';

/** Largest upload the server accepts by default (25 MB); checked here only to fail early and clearly. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

/** An API error: HTTP status, the server's machine-readable code (if any) and its message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
  }
}

function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return ''; // no session yet (signup, login): those routes need no CSRF token
}

async function errorFrom(response) {
  let code = '';
  let message = '';
  try {
    // Every API error is {"error": {"code": "...", "message": "..."}} (docs/API.md).
    const { error } = await response.json();
    code = error.code || '';
    message = error.message || '';
  } catch {
    // Not JSON (a proxy error page, say): the status is all we have.
  }
  return new ApiError(response.status, code, message);
}

/**
 * One JSON request. `body` is sent as JSON unless it is FormData. Returns the parsed JSON (or null for 204).
 * Throws ApiError for any non-2xx status, and a TypeError when the network fails.
 */
export async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  const csrf = method === 'GET' || method === 'HEAD' ? '' : csrfToken();
  if (csrf) headers[CSRF_HEADER] = csrf;
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}

// ---- auth ----

export const signup = (email, password) => request('POST', '/api/auth/signup', { email, password });
export const login = (email, password) => request('POST', '/api/auth/login', { email, password });
export const logout = () => request('POST', '/api/auth/logout');

/** The signed-in user, or null when the session is missing or expired. */
export async function me() {
  try {
    return (await request('GET', '/api/auth/me')).user;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

// ---- chats ----

/** The newest 200 chats (the sidebar shows no more; the API pages with offset/limit). */
export async function listChats() {
  return (await request('GET', '/api/chats?limit=200')).chats;
}
export const createChat = (title) => request('POST', '/api/chats', { title });
export const getChat = (id) => request('GET', `/api/chats/${encodeURIComponent(id)}`);
export const renameChat = (id, title) => request('PATCH', `/api/chats/${encodeURIComponent(id)}`, { title });
export const deleteChat = (id) => request('DELETE', `/api/chats/${encodeURIComponent(id)}`);

export async function listMessages(chatId) {
  return (await request('GET', `/api/chats/${encodeURIComponent(chatId)}/messages?limit=500`)).messages;
}
export const postMessage = (chatId, content) =>
  request('POST', `/api/chats/${encodeURIComponent(chatId)}/messages`, { content });

// ---- documents ----

export async function listDocuments(chatId) {
  return (await request('GET', `/api/documents?chatId=${encodeURIComponent(chatId)}&limit=500`)).documents;
}

/**
 * Uploads one file into a chat, with the password of a password-protected PDF if given; resolves to the
 * created document (status `queued`). A PDF that needs a password fails with code `pdf_password_required`
 * (or `pdf_password_wrong`).
 */
export function uploadDocument(file, chatId, password) {
  const form = new FormData();
  form.append('chatId', chatId);
  if (password) form.append('password', password);
  form.append('file', file, file.name);
  return request('POST', '/api/documents', form);
}

export const getDocument = (id) => request('GET', `/api/documents/${encodeURIComponent(id)}`);
export const deleteDocument = (id) => request('DELETE', `/api/documents/${encodeURIComponent(id)}`);
export const getResult = (id) => request('GET', `/api/documents/${encodeURIComponent(id)}/ocr?format=json`);

/** Same-origin URLs the browser fetches itself (the cookie goes along). */
export const fileUrl = (id) => `/api/documents/${encodeURIComponent(id)}/file`;
export const eventsUrl = (id) => `/api/documents/${encodeURIComponent(id)}/events`;
export const exportUrl = (id, format) =>
  `/api/documents/${encodeURIComponent(id)}/ocr?format=${encodeURIComponent(format)}&download=1`;

/** The document id (`id`; SSE events name it `documentId`). */
export const docId = (d) => d.id || d.documentId;
