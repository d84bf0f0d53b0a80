// The chats sidebar (newest first) and the open chat: its title, documents and messages.

import * as api from './api.js';
import { t, formatDate } from './i18n.js';
import { $, el, toast, confirmDialog, describeError } from './ui.js';
import { showDocuments, clearDocuments } from './documents.js';

let chats = [];
let openChat = null;
let messages = [];

const titleOf = (c) => c.title;
const chatId = (c) => c.id;
const newestFirst = (a, b) => String(b.createdAt || '').localeCompare(String(a.createdAt || ''));

/** The open chat's id, or null. */
export const openChatId = () => (openChat ? chatId(openChat) : null);

function renderList() {
  const list = $('chat-list');
  const current = openChatId();
  list.replaceChildren(...chats.map((c) => {
    const id = chatId(c);
    const link = el('a', { href: `#/chats/${encodeURIComponent(id)}`, className: 'chat-link' },
      el('span', { className: 'chat-link-title' }, titleOf(c)),
      el('span', { className: 'chat-link-date muted' }, formatDate(c.createdAt)));
    if (id === current) link.setAttribute('aria-current', 'page');
    return el('li', { dataset: { id } }, link);
  }));
  $('no-chats').hidden = chats.length > 0;
}

function renderMessages() {
  const list = $('message-list');
  list.replaceChildren(...messages.map((m) => {
    const role = m.role === 'user' ? 'user' : 'system';
    return el('li', { className: `message message-${role}` },
      el('div', { className: 'message-meta muted' },
        el('span', { className: 'message-role' }, t(role === 'user' ? 'roleUser' : 'roleSystem')),
        ' · ',
        el('time', { dateTime: m.createdAt || '' }, formatDate(m.createdAt))),
      el('p', { className: 'message-content', lang: role === 'user' ? '' : 'hi' }, m.content));
  }));
  $('no-messages').hidden = messages.length > 0;
}

function renderChat() {
  $('chat-title').textContent = openChat ? titleOf(openChat) : '';
  renderMessages();
}

/** Redraws everything in the current language. */
export function rerenderChats() {
  renderList();
  if (openChat) renderChat();
}

/** Loads the chat list from the server. */
export async function loadChats() {
  chats = (await api.listChats()).sort(newestFirst);
  renderList();
  return chats;
}

/** Creates a chat and opens it. */
export async function newChat() {
  const chat = await api.createChat(t('newChatTitle'));
  chats = [chat, ...chats.filter((c) => chatId(c) !== chatId(chat))].sort(newestFirst);
  renderList();
  location.hash = `#/chats/${encodeURIComponent(chatId(chat))}`;
}

/** Shows chat `id`: title, documents (live) and messages. Resolves to false when it does not exist. */
export async function openChatView(id) {
  try {
    const [chat, docs, msgs] = await Promise.all([api.getChat(id), api.listDocuments(id), api.listMessages(id)]);
    openChat = chat;
    messages = msgs;
    await showDocuments(id, docs);
  } catch (err) {
    if (err.status === 404) {
      openChat = null;
      return false;
    }
    throw err;
  }
  cancelRename();
  renderChat();
  renderList();
  return true;
}

/** Re-reads the open chat's messages (a system message arrives when a document completes). */
export async function refreshMessages() {
  const id = openChatId();
  if (!id) return;
  messages = await api.listMessages(id);
  if (openChatId() === id) renderMessages();
}

/** Closes the open chat. */
export function closeChat() {
  openChat = null;
  messages = [];
  clearDocuments();
  renderList();
}

function startRename() {
  $('rename-input').value = titleOf(openChat);
  $('chat-title').hidden = true;
  $('rename-form').hidden = false;
  $('rename-button').hidden = true;
  $('rename-input').focus();
  $('rename-input').select();
}

function cancelRename() {
  $('rename-form').hidden = true;
  $('chat-title').hidden = false;
  $('rename-button').hidden = false;
}

/** Wires the sidebar and chat header controls. `onDeleted()` runs after the open chat is deleted. */
export function initChats(onDeleted) {
  $('new-chat-button').addEventListener('click', () => newChat().catch((e) => toast(describeError(e), 'error')));
  $('rename-button').addEventListener('click', startRename);
  $('rename-cancel').addEventListener('click', () => {
    cancelRename();
    $('rename-button').focus();
  });
  $('rename-input').addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      cancelRename();
      $('rename-button').focus();
    }
  });
  $('rename-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const title = $('rename-input').value.trim();
    if (!title || !openChat) return;
    try {
      openChat = await api.renameChat(openChatId(), title);
      chats = chats.map((c) => (chatId(c) === openChatId() ? openChat : c));
      cancelRename();
      renderChat();
      renderList();
      toast(t('chatRenamed'));
      $('rename-button').focus();
    } catch (err) {
      toast(describeError(err), 'error');
    }
  });
  $('delete-button').addEventListener('click', async () => {
    if (!openChat) return;
    const ok = await confirmDialog(t('confirmDeleteChat', { title: titleOf(openChat) }), t('delete'));
    if (!ok) return;
    try {
      const id = openChatId();
      await api.deleteChat(id);
      chats = chats.filter((c) => chatId(c) !== id);
      closeChat();
      toast(t('chatDeleted'));
      onDeleted();
    } catch (err) {
      toast(describeError(err), 'error');
    }
  });
  $('message-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = $('message-input');
    const content = input.value.trim();
    if (!content || !openChat) return;
    try {
      await api.postMessage(openChatId(), content);
      input.value = '';
      await refreshMessages();
    } catch (err) {
      toast(describeError(err), 'error');
    }
  });
}
