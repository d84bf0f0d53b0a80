// Interface strings in English and Hindi, and the switch between them.
//
// Static markup names its strings with data-i18n (text), data-i18n-label (aria-label),
// data-i18n-placeholder and data-i18n-title; code calls t(key, values).

const STRINGS = {
  en: {
    appName: 'Hindi OCR',
    skipToContent: 'Skip to content',
    language: 'Language',
    menu: 'Chats menu',
    logOut: 'Log out',
    signedInAs: 'Signed in as {email}',
    // auth
    logIn: 'Log in',
    signUp: 'Sign up',
    authIntro: 'Read printed Hindi from scans, photos and PDFs.',
    authModes: 'Log in or sign up',
    email: 'Email',
    password: 'Password',
    passwordHint: 'At least 8 characters.',
    wrongPassword: 'Wrong email or password.',
    emailTaken: 'An account with this email already exists. Log in instead.',
    weakPassword: 'The password is too weak: use at least 8 characters.',
    invalidEmail: 'Please enter a valid email address.',
    tooManyAttempts: 'Too many attempts. Wait a minute and try again.',
    signedUp: 'Account created. You are signed in.',
    loggedOut: 'You have logged out.',
    sessionExpired: 'Your session has ended. Please log in again.',
    networkError: 'The server could not be reached. Check your connection and try again.',
    serverError: 'Something went wrong on the server ({status}).',
    // chats
    chats: 'Chats',
    newChat: 'New chat',
    newChatTitle: 'New chat',
    noChats: 'No chats yet.',
    chooseChat: 'Create a chat, then add images or PDFs to read their text.',
    rename: 'Rename',
    renameChat: 'Rename chat',
    chatTitle: 'Chat title',
    save: 'Save',
    cancel: 'Cancel',
    pdfPassword: 'PDF password',
    pageUnread: 'This page could not be read: {reason}',
    photoStraightened: 'This photo was taken at an angle: it is shown straightened, as it was read.',
    openPdf: 'Open',
    pdfPasswordAsk: '“{name}” is password-protected. Enter its password to read it.',
    pdfPasswordWrong: 'That password does not open “{name}”. Try again.',
    pdfPasswordNotGiven: '“{name}” is password-protected and no password was given.',
    delete: 'Delete',
    deleteChat: 'Delete chat',
    confirmDeleteChat: 'Delete “{title}” with all its messages and documents? This cannot be undone.',
    chatDeleted: 'Chat deleted.',
    chatRenamed: 'Chat renamed.',
    // messages
    messages: 'Messages',
    noMessages: 'No messages yet.',
    message: 'Message',
    messagePlaceholder: 'Write a note…',
    send: 'Send',
    roleUser: 'You',
    roleSystem: 'OCR',
    // upload
    documents: 'Documents',
    noDocuments: 'No documents yet.',
    dropHere: 'Drop images or PDFs here, or',
    chooseFiles: 'Choose files',
    uploadHint: 'PNG, JPEG, TIFF, WebP, BMP or PDF, up to 25 MB each. Several at once are fine.',
    unsupportedType: '{name}: not an image or PDF.',
    tooLarge: '{name}: larger than 25 MB.',
    // document states
    stateUploading: 'Uploading',
    stateUploaded: 'Uploaded',
    stateQueued: 'Queued',
    stateProcessing: 'Processing',
    stateCompleted: 'Completed',
    stateFailed: 'Failed',
    pagesDone: 'page {done} of {total}',
    failedReason: 'Failed: {reason}',
    open: 'Open',
    openDocument: 'Open {name}',
    confidence: 'confidence {pct}%',
    // result
    back: 'Back to chat',
    page: 'Page',
    pageOf: 'Page {n} of {total}',
    prevPage: 'Previous page',
    nextPage: 'Next page',
    copyText: 'Copy text',
    copied: 'Text copied.',
    copyFailed: 'Could not copy; select the text and copy it by hand.',
    download: 'Download',
    fmtText: 'Text',
    fmtJson: 'JSON',
    fmtHocr: 'hOCR',
    fmtAlto: 'ALTO',
    fmtPdf: 'Searchable PDF',
    pageImage: 'Page image with the found text lines',
    recognisedText: 'Recognised text',
    lowConfidenceLegend: 'Underlined words were read with low confidence: check them.',
    noImagePreview: 'This file type cannot be shown in the browser; the recognised text is shown on its own.',
    noLines: 'No text was found on this page.',
    loading: 'Loading…',
    notFound: 'Not found. It may have been deleted.',
  },
  hi: {
    appName: 'हिन्दी OCR',
    skipToContent: 'सामग्री पर जाएँ',
    language: 'भाषा',
    menu: 'चैट मेन्यू',
    logOut: 'लॉग आउट',
    signedInAs: '{email} के रूप में लॉग इन',
    logIn: 'लॉग इन',
    signUp: 'साइन अप',
    authIntro: 'स्कैन, फ़ोटो और PDF से छपी हिन्दी पढ़ें।',
    authModes: 'लॉग इन या साइन अप',
    email: 'ईमेल',
    password: 'पासवर्ड',
    passwordHint: 'कम से कम 8 अक्षर।',
    wrongPassword: 'ईमेल या पासवर्ड गलत है।',
    emailTaken: 'इस ईमेल से खाता पहले से है। लॉग इन करें।',
    weakPassword: 'पासवर्ड कमज़ोर है: कम से कम 8 अक्षर रखें।',
    invalidEmail: 'कृपया सही ईमेल पता लिखें।',
    tooManyAttempts: 'बहुत अधिक प्रयास। एक मिनट रुककर फिर कोशिश करें।',
    signedUp: 'खाता बन गया। आप लॉग इन हैं।',
    loggedOut: 'आप लॉग आउट हो गए हैं।',
    sessionExpired: 'आपका सत्र समाप्त हो गया। कृपया फिर से लॉग इन करें।',
    networkError: 'सर्वर से संपर्क नहीं हो सका। कनेक्शन जाँचकर फिर कोशिश करें।',
    serverError: 'सर्वर पर कुछ गड़बड़ हुई ({status})।',
    chats: 'चैट',
    newChat: 'नई चैट',
    newChatTitle: 'नई चैट',
    noChats: 'अभी कोई चैट नहीं।',
    chooseChat: 'एक चैट बनाइए, फिर उसमें चित्र या PDF जोड़कर उनका पाठ पढ़िए।',
    rename: 'नाम बदलें',
    renameChat: 'चैट का नाम बदलें',
    chatTitle: 'चैट का नाम',
    save: 'सहेजें',
    cancel: 'रद्द करें',
    pdfPassword: 'PDF का पासवर्ड',
    pageUnread: 'यह पृष्ठ पढ़ा नहीं जा सका: {reason}',
    photoStraightened: 'यह फ़ोटो तिरछे कोण से ली गई थी: इसे सीधा करके दिखाया गया है, जैसे इसे पढ़ा गया।',
    openPdf: 'खोलें',
    pdfPasswordAsk: '“{name}” पासवर्ड से सुरक्षित है। पढ़ने के लिए उसका पासवर्ड डालें।',
    pdfPasswordWrong: 'यह पासवर्ड “{name}” को नहीं खोलता। फिर से कोशिश करें।',
    pdfPasswordNotGiven: '“{name}” पासवर्ड से सुरक्षित है और पासवर्ड नहीं दिया गया।',
    delete: 'हटाएँ',
    deleteChat: 'चैट हटाएँ',
    confirmDeleteChat: '“{title}” को उसके सभी संदेशों और दस्तावेज़ों सहित हटाएँ? यह वापस नहीं होगा।',
    chatDeleted: 'चैट हटा दी गई।',
    chatRenamed: 'चैट का नाम बदल दिया गया।',
    messages: 'संदेश',
    noMessages: 'अभी कोई संदेश नहीं।',
    message: 'संदेश',
    messagePlaceholder: 'कुछ लिखें…',
    send: 'भेजें',
    roleUser: 'आप',
    roleSystem: 'OCR',
    documents: 'दस्तावेज़',
    noDocuments: 'अभी कोई दस्तावेज़ नहीं।',
    dropHere: 'चित्र या PDF यहाँ छोड़ें, या',
    chooseFiles: 'फ़ाइलें चुनें',
    uploadHint: 'PNG, JPEG, TIFF, WebP, BMP या PDF, हर एक 25 MB तक। एक साथ कई भी चलेंगी।',
    unsupportedType: '{name}: चित्र या PDF नहीं है।',
    tooLarge: '{name}: 25 MB से बड़ी है।',
    stateUploading: 'अपलोड हो रहा है',
    stateUploaded: 'अपलोड हुआ',
    stateQueued: 'कतार में',
    stateProcessing: 'पढ़ा जा रहा है',
    stateCompleted: 'पूरा हुआ',
    stateFailed: 'विफल',
    pagesDone: '{total} में से {done} पृष्ठ',
    failedReason: 'विफल: {reason}',
    open: 'खोलें',
    openDocument: '{name} खोलें',
    confidence: 'विश्वास {pct}%',
    back: 'चैट पर वापस',
    page: 'पृष्ठ',
    pageOf: 'पृष्ठ {n} / {total}',
    prevPage: 'पिछला पृष्ठ',
    nextPage: 'अगला पृष्ठ',
    copyText: 'पाठ कॉपी करें',
    copied: 'पाठ कॉपी हो गया।',
    copyFailed: 'कॉपी नहीं हो सका; पाठ चुनकर स्वयं कॉपी करें।',
    download: 'डाउनलोड',
    fmtText: 'पाठ',
    fmtJson: 'JSON',
    fmtHocr: 'hOCR',
    fmtAlto: 'ALTO',
    fmtPdf: 'खोजने योग्य PDF',
    pageImage: 'मिली पंक्तियों सहित पृष्ठ का चित्र',
    recognisedText: 'पहचाना गया पाठ',
    lowConfidenceLegend: 'रेखांकित शब्द कम विश्वास से पढ़े गए: इन्हें जाँच लें।',
    noImagePreview: 'यह फ़ाइल ब्राउज़र में नहीं दिखाई जा सकती; केवल पहचाना गया पाठ दिखाया गया है।',
    noLines: 'इस पृष्ठ पर कोई पाठ नहीं मिला।',
    loading: 'लोड हो रहा है…',
    notFound: 'नहीं मिला। शायद हटा दिया गया है।',
  },
};

const LANG_KEY = 'hindi-ocr.lang';
let lang = 'en';
const listeners = [];

/** The current language code, `en` or `hi`. */
export const currentLang = () => lang;

/** The string `key` in the current language, with `{name}` placeholders filled from `values`. */
export function t(key, values = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
}

/** Fills every data-i18n* attribute under `root`. */
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

/** Switches the interface language, remembers the choice, and tells the views to redraw. */
export function setLang(next) {
  lang = next in STRINGS ? next : 'en';
  document.documentElement.lang = lang;
  document.title = t('appName');
  try {
    localStorage.setItem(LANG_KEY, lang); // a preference only: no credentials are ever stored here
  } catch {
    // Storage disabled: the choice just does not survive a reload.
  }
  translate();
  for (const fn of listeners) fn(lang);
}

/** Calls `fn` after every language switch. */
export const onLangChange = (fn) => listeners.push(fn);

/** The saved language, else the browser's if it is Hindi, else English. */
export function initialLang() {
  let saved = null;
  try {
    saved = localStorage.getItem(LANG_KEY);
  } catch {
    saved = null;
  }
  if (saved && saved in STRINGS) return saved;
  return (navigator.language || '').toLowerCase().startsWith('hi') ? 'hi' : 'en';
}

/** Formats a date for the current language. */
export function formatDate(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(lang === 'hi' ? 'hi-IN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}
