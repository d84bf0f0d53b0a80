// The signed-out view: log in and sign up, with a clear message for each way it can go wrong.

import * as api from './api.js';
import { t, onLangChange } from './i18n.js';
import { $, describeError } from './ui.js';

/** The server's minimum password length (docs/API.md); checked here too so the message comes at once. */
const MIN_PASSWORD = 8;

let mode = 'login';
let lastError = null; // the message key shown, so a language switch can re-translate it

function showMessage(key, values) {
  lastError = key ? { key, values } : null;
  $('auth-message').textContent = key ? t(key, values) : '';
}

function setMode(next) {
  mode = next;
  const signup = mode === 'signup';
  $('mode-login').setAttribute('aria-pressed', String(!signup));
  $('mode-signup').setAttribute('aria-pressed', String(signup));
  for (const id of ['auth-heading', 'auth-submit']) $(id).dataset.i18n = signup ? 'signUp' : 'logIn';
  $('auth-heading').textContent = t(signup ? 'signUp' : 'logIn');
  $('auth-submit').textContent = t(signup ? 'signUp' : 'logIn');
  $('auth-password').autocomplete = signup ? 'new-password' : 'current-password';
  $('password-hint').hidden = !signup;
  showMessage(null);
}

/** Maps an API error from login/signup to a message key. */
function messageFor(err, action) {
  if (err instanceof TypeError) return ['networkError'];
  const code = (err.code || '').toLowerCase();
  if (err.status === 429) return ['tooManyAttempts'];
  if (code === 'no_session') return ['sessionExpired'];
  if (action === 'login' && (err.status === 401 || err.status === 400 || err.status === 403)) return ['wrongPassword'];
  if (err.status === 409 || code.includes('taken') || code.includes('exists')) return ['emailTaken'];
  if (code.includes('password') || /password/i.test(err.message)) return ['weakPassword'];
  if (code.includes('email') || /email/i.test(err.message)) return ['invalidEmail'];
  return [null, describeError(err)];
}

/**
 * Wires the auth form. `onSignedIn(user)` runs after a successful login or signup.
 */
export function initAuth(onSignedIn) {
  $('mode-login').addEventListener('click', () => setMode('login'));
  $('mode-signup').addEventListener('click', () => setMode('signup'));
  onLangChange(() => {
    if (lastError) showMessage(lastError.key, lastError.values);
  });

  $('auth-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const emailInput = $('auth-email');
    const email = emailInput.value.trim();
    const password = $('auth-password').value;
    if (!email || !emailInput.checkValidity()) {
      showMessage('invalidEmail');
      emailInput.focus();
      return;
    }
    if (mode === 'signup' && password.length < MIN_PASSWORD) {
      showMessage('weakPassword');
      $('auth-password').focus();
      return;
    }
    const submit = $('auth-submit');
    submit.disabled = true;
    showMessage(null);
    try {
      let user = null;
      if (mode === 'signup') {
        await api.signup(email, password);
        user = await api.me(); // signup signs in when the server sets the cookie on it
      }
      if (!user) {
        await api.login(email, password);
        user = await api.me();
      }
      if (!user) throw new api.ApiError(401, 'no_session', t('sessionExpired'));
      $('auth-password').value = '';
      onSignedIn(user, mode === 'signup' ? 'signedUp' : null);
    } catch (err) {
      const [key, raw] = messageFor(err, mode);
      if (key) showMessage(key);
      else {
        lastError = null;
        $('auth-message').textContent = raw;
      }
    } finally {
      submit.disabled = false;
    }
  });
}

/** Shows the signed-out view, with an optional message (e.g. after logout). */
export function showAuth(messageKey) {
  $('app-view').hidden = true;
  $('auth-view').hidden = false;
  $('user-email').hidden = true;
  $('logout-button').hidden = true;
  $('menu-toggle').hidden = true;
  setMode('login');
  if (messageKey) showMessage(messageKey);
  $('auth-email').focus();
}
