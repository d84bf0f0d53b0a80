// Entry point: language, session, and the hash routes between the views.
//
//   #/                 the chat list (and the newest chat on wide screens)
//   #/chats/{id}       a chat: its documents (live) and messages
//   #/documents/{id}   a finished document: image, boxes, text, downloads

import * as api from './api.js';
import { t, setLang, initialLang, onLangChange, currentLang } from './i18n.js';
import { $, toast, describeError } from './ui.js';
import { initAuth, showAuth } from './auth.js';
import { initChats, loadChats, openChatView, closeChat, refreshMessages, rerenderChats } from './chats.js';
import { initDocuments, rerenderDocuments } from './documents.js';
import { initResult, openResult, rerenderResult } from './result.js';

let user = null;

function showView(name) {
  $('empty-view').hidden = name !== 'empty';
  $('chat-view').hidden = name !== 'chat';
  $('result-view').hidden = name !== 'result';
}

function setSidebar(open) {
  document.body.classList.toggle('sidebar-open', open);
  $('menu-toggle').setAttribute('aria-expanded', String(open));
  $('sidebar-backdrop').hidden = !open;
  // On phones the sidebar is a drawer: move focus into it so keyboard users land on its controls.
  if (open) $('new-chat-button').focus();
}

async function route() {
  if (!user) return;
  setSidebar(false);
  const [, kind, rawId] = location.hash.match(/^#\/(chats|documents)\/([^/]+)$/) || [];
  const id = rawId ? decodeURIComponent(rawId) : null;
  try {
    if (kind === 'chats') {
      if (await openChatView(id)) showView('chat');
      else {
        toast(t('notFound'), 'error');
        location.replace('#/');
      }
    } else if (kind === 'documents') {
      const doc = await openResult(id);
      if (doc) showView('result');
      else {
        toast(t('notFound'), 'error');
        location.replace('#/');
      }
    } else {
      closeChat();
      showView('empty');
    }
  } catch (err) {
    if (err.status === 401) return signedOut('sessionExpired');
    toast(describeError(err), 'error');
  }
}

async function signedIn(who, messageKey) {
  user = who;
  $('auth-view').hidden = true;
  $('app-view').hidden = false;
  $('user-email').textContent = user.email || '';
  $('user-email').title = t('signedInAs', { email: user.email || '' });
  $('user-email').hidden = false;
  $('logout-button').hidden = false;
  $('menu-toggle').hidden = false;
  if (messageKey) toast(t(messageKey));
  try {
    await loadChats();
  } catch (err) {
    if (err.status === 401) return signedOut('sessionExpired');
    toast(describeError(err), 'error');
  }
  await route();
  $('main').focus({ preventScroll: true });
}

function signedOut(messageKey) {
  user = null;
  closeChat();
  $('chat-list').replaceChildren();
  if (location.hash) history.replaceState(null, '', location.pathname);
  showAuth(messageKey);
}

async function logout() {
  try {
    await api.logout();
  } catch (err) {
    if (!(err.status === 401)) {
      toast(describeError(err), 'error');
      return;
    }
  }
  signedOut('loggedOut');
}

async function boot() {
  setLang(initialLang());
  $('lang-select').value = currentLang();
  $('lang-select').addEventListener('change', (event) => setLang(event.target.value));
  onLangChange(() => {
    rerenderChats();
    rerenderDocuments();
    rerenderResult();
    if (user) $('user-email').title = t('signedInAs', { email: user.email || '' });
  });

  initAuth(signedIn);
  initChats(() => location.replace('#/'));
  initDocuments(() => {
    refreshMessages().catch(() => {});
  });
  initResult();
  $('logout-button').addEventListener('click', logout);
  $('menu-toggle').addEventListener('click', () => setSidebar(!document.body.classList.contains('sidebar-open')));
  $('sidebar-backdrop').addEventListener('click', () => setSidebar(false));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && document.body.classList.contains('sidebar-open')) {
      setSidebar(false);
      $('menu-toggle').focus();
    }
  });
  window.addEventListener('hashchange', route);

  let who = null;
  try {
    who = await api.me();
  } catch (err) {
    toast(describeError(err), 'error');
  }
  if (who) await signedIn(who);
  else showAuth();
  document.body.dataset.ready = 'true'; // the browser tests wait for this
}

boot();
