/**
 * Browser side of the composer. The form is ours; the only message content on the page is
 * the quoted original, which the host sanitised and put into the page itself. Everything
 * the host sends (addresses, suggestions, errors) is written with textContent / value only.
 *
 * The host keeps the truth: the form goes to it shortly after every change and whenever the
 * page may go away (blur, hidden, pagehide), so closing the tab or the window loses nothing.
 */
import {
  applyCompletion,
  type AddressField,
  type ComposeAttachment,
  type ComposeFields,
  type ComposeHostToWebview,
  type ComposeInit,
  type ComposeWebviewToHost,
  currentToken,
} from '../../shared/protocol/compose';

// VS Code's own controls (@vscode-elements/elements), each imported alone so the bundle
// carries only these; the page (src/extension/compose/composePage.ts) lists the same ones.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeTextarea } from '@vscode-elements/elements/dist/vscode-textarea/index.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/index.js';

import type { ComposeStrings } from '../../shared/protocol/pageStrings';
import { fillIn, pageStrings } from '../pageStrings';

declare function acquireVsCodeApi(): { postMessage(msg: ComposeWebviewToHost): void };

/**
 * The words this script writes itself (everything else is in the page the host built), in
 * the window's language: the host put them in the page (src/extension/pageStrings.ts).
 */
const S = pageStrings<ComposeStrings>();
const strings = {
  send: S.send,
  sendArchive: S.sendArchive,
  sending: S.sending,
  remove: S.remove,
  removeAttachment: (name: string) => fillIn(S.removeAttachment, name),
  bodyMarkdown: S.bodyMarkdown,
  bodyPlain: S.bodyPlain,
};

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

const from = $<VscodeSingleSelect>('from');
const inputs: Record<AddressField, HTMLInputElement> = { to: $<HTMLInputElement>('to'), cc: $<HTMLInputElement>('cc'), bcc: $<HTMLInputElement>('bcc') };
const subject = $<VscodeTextfield>('subject');
const body = $<VscodeTextarea>('body');
const format = $<VscodeSingleSelect>('format');
const includeQuote = document.getElementById('include-quote') as VscodeCheckbox | null;
const quote = document.getElementById('quote');
const suggest = $<HTMLUListElement>('suggest');
const atts = $<HTMLUListElement>('atts');
const status = $('status');
const errorBox = $('error');
const errorText = $('error-text');
const sendButton = $<VscodeButton>('send');
/** "Send + Archive": only on a reply (the host puts it in the page). */
const sendArchiveButton = document.getElementById('send-archive') as VscodeButton | null;

// The components name their inner field from `label`: the same words as the visible label.
subject.label = document.querySelector('label[for="subject"]')?.textContent ?? '';
body.spellcheck = true;

/**
 * The selects' values as last chosen: a select knows its value only once its options are
 * slotted in (a moment after they are added), and the form must never read "no account".
 */
let accountId = '';
let bodyFormat: ComposeFields['format'] = 'markdown';

let ready = false;
let sending = false;

function fields(): ComposeFields {
  return {
    accountId,
    to: inputs.to.value,
    cc: inputs.cc.value,
    bcc: inputs.bcc.value,
    subject: subject.value,
    body: body.value,
    format: bodyFormat,
    includeQuote: includeQuote ? includeQuote.checked : false,
  };
}

// ---- changes reach the host ----------------------------------------------------------

let changeTimer: number | undefined;
let lastSent = '';
/** The last version from another window put into the form (see `replace`). */
let gen = 0;

/** Sends the form if it changed since the last time. */
function flush(): void {
  if (changeTimer !== undefined) clearTimeout(changeTimer);
  changeTimer = undefined;
  if (!ready) return;
  const f = fields();
  const json = JSON.stringify(f);
  if (json === lastSent) return;
  lastSent = json;
  vscode.postMessage({ type: 'changed', fields: f, gen });
}

function changed(): void {
  if (changeTimer !== undefined) clearTimeout(changeTimer);
  changeTimer = window.setTimeout(flush, 300);
}

document.addEventListener('input', changed);
document.addEventListener('change', changed);
document.addEventListener('focusout', flush);
document.addEventListener('visibilitychange', flush);
window.addEventListener('pagehide', flush);
window.addEventListener('blur', flush);

// ---- init ----------------------------------------------------------------------------

function init(i: ComposeInit): void {
  from.textContent = '';
  for (const a of i.accounts) {
    const o = document.createElement('vscode-option');
    o.setAttribute('value', a.id);
    o.textContent = a.label;
    from.appendChild(o);
  }
  accountId = i.fields.accountId;
  from.value = accountId;
  inputs.to.value = i.fields.to;
  inputs.cc.value = i.fields.cc;
  inputs.bcc.value = i.fields.bcc;
  subject.value = i.fields.subject;
  body.value = i.fields.body;
  bodyFormat = i.fields.format;
  format.value = bodyFormat;
  updateBodyLabel();
  if (includeQuote) {
    includeQuote.checked = i.fields.includeQuote;
    if (quote) quote.hidden = !i.fields.includeQuote;
  }
  if (i.fields.cc || i.fields.bcc) showCc();
  showAttachments(i.attachments);
  if (i.error) showError(i.error.message);
  lastSent = JSON.stringify(fields());
  ready = true;
  // Where the person starts typing: the recipients of a new message or forward, else the text.
  if (!i.fields.to) inputs.to.focus();
  else {
    // The text area is drawn a moment after its value is set: the caret goes in once it is.
    body.focus();
    void body.updateComplete.then(() => {
      body.focus();
      body.wrappedElement?.setSelectionRange(0, 0);
    });
  }
}

function updateBodyLabel(): void {
  body.label = bodyFormat === 'plain' ? strings.bodyPlain : strings.bodyMarkdown;
}

function showCc(): void {
  $('row-cc').hidden = false;
  $('row-bcc').hidden = false;
  $('show-cc').hidden = true;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function showAttachments(items: ComposeAttachment[]): void {
  atts.textContent = '';
  items.forEach((a, index) => {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'att-name';
    name.textContent = a.name;
    const size = document.createElement('span');
    size.className = 'att-size';
    size.textContent = formatSize(a.size);
    const remove = document.createElement('vscode-button');
    remove.secondary = true;
    remove.textContent = strings.remove;
    remove.setAttribute('aria-label', strings.removeAttachment(a.name));
    remove.addEventListener('click', () => vscode.postMessage({ type: 'removeAttachment', index }));
    li.append(name, ' ', size, ' ', remove);
    atts.appendChild(li);
  });
  atts.hidden = items.length === 0;
}

function showError(message: string): void {
  errorText.textContent = message;
  errorBox.hidden = false;
}

// ---- controls ------------------------------------------------------------------------

/** Whether the last send asked to archive too: "Send again" after a failure repeats that choice. */
let lastArchive = false;

function send(archive = lastArchive && sendArchiveButton !== null): void {
  if (sending || !ready) return;
  flush();
  lastArchive = archive;
  vscode.postMessage(archive ? { type: 'send', fields: fields(), archive: true } : { type: 'send', fields: fields() });
}

sendButton.addEventListener('click', () => send(false));
sendArchiveButton?.addEventListener('click', () => send(true));
$('send-again').addEventListener('click', () => send());
$('attach').addEventListener('click', () => vscode.postMessage({ type: 'addAttachments' }));
$('check-ai').addEventListener('click', () => {
  flush();
  vscode.postMessage({ type: 'checkAi', fields: fields() });
});
$('discard').addEventListener('click', () => vscode.postMessage({ type: 'discard' }));
$('show-cc').addEventListener('click', () => {
  showCc();
  inputs.cc.focus();
});
// A select's change event does not bubble: each is heard where it happens.
from.addEventListener('change', () => {
  accountId = from.value;
  changed();
});
format.addEventListener('change', () => {
  bodyFormat = format.value === 'plain' ? 'plain' : 'markdown';
  updateBodyLabel();
  changed();
});
includeQuote?.addEventListener('change', () => {
  if (quote) quote.hidden = !includeQuote.checked;
});
// Links in the quoted original never navigate from here.
quote?.addEventListener('click', (e) => {
  if (e.target instanceof Element && e.target.closest('a')) e.preventDefault();
});
document.addEventListener('auxclick', (e) => {
  if (e.target instanceof Element && e.target.closest('a')) e.preventDefault();
});

// Capturing, so these keys are ours before a focused control acts on them: Ctrl+Enter on a
// button would click it too (a second send), and a select swallows Escape even when closed.
document.addEventListener(
  'keydown',
  (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      e.stopPropagation();
      send(e.shiftKey && sendArchiveButton !== null);
      return;
    }
    if (e.key === 'Escape') {
      // An open drop-down closes first; the composer on the next Escape.
      if (e.target instanceof HTMLElement && e.target.localName === 'vscode-single-select' && (e.target as VscodeSingleSelect).open) return;
      e.preventDefault();
      e.stopPropagation();
      if (!suggest.hidden) {
        hideSuggestions();
        return;
      }
      if (ready) vscode.postMessage({ type: 'close', fields: fields() });
    }
  },
  true,
);

// ---- address completion --------------------------------------------------------------

let requestId = 0;
let activeField: AddressField | undefined;
let items: Array<{ label: string; detail: string }> = [];
let selected = -1;

function hideSuggestions(): void {
  suggest.hidden = true;
  suggest.textContent = '';
  items = [];
  selected = -1;
  for (const i of Object.values(inputs)) {
    i.setAttribute('aria-expanded', 'false');
    i.removeAttribute('aria-activedescendant');
  }
}

function renderSuggestions(): void {
  suggest.textContent = '';
  if (!activeField || !items.length) {
    hideSuggestions();
    return;
  }
  const input = inputs[activeField];
  items.forEach((it, i) => {
    const li = document.createElement('li');
    li.id = `sg-${i}`;
    li.setAttribute('role', 'option');
    li.setAttribute('aria-selected', String(i === selected));
    li.className = i === selected ? 'selected' : '';
    const label = document.createElement('span');
    label.textContent = it.label;
    const detail = document.createElement('span');
    detail.className = 'detail';
    detail.textContent = it.detail;
    li.append(label, ' ', detail);
    // mousedown, not click: the input must keep focus.
    li.addEventListener('mousedown', (e) => {
      e.preventDefault();
      accept(i);
    });
    suggest.appendChild(li);
  });
  const r = input.getBoundingClientRect();
  suggest.style.left = `${r.left + window.scrollX}px`;
  suggest.style.top = `${r.bottom + window.scrollY}px`;
  suggest.style.width = `${r.width}px`;
  suggest.hidden = false;
  input.setAttribute('aria-expanded', 'true');
  if (selected >= 0) input.setAttribute('aria-activedescendant', `sg-${selected}`);
  else input.removeAttribute('aria-activedescendant');
}

function accept(i: number): void {
  if (!activeField || !items[i]) return;
  const input = inputs[activeField];
  const r = applyCompletion(input.value, input.selectionStart ?? input.value.length, items[i].label);
  input.value = r.value;
  input.setSelectionRange(r.caret, r.caret);
  hideSuggestions();
  changed();
}

for (const [field, input] of Object.entries(inputs) as Array<[AddressField, HTMLInputElement]>) {
  input.addEventListener('input', () => {
    activeField = field;
    const { token } = currentToken(input.value, input.selectionStart ?? input.value.length);
    if (token.length < 1) {
      hideSuggestions();
      return;
    }
    vscode.postMessage({ type: 'complete', field, query: token, requestId: ++requestId });
  });
  input.addEventListener('keydown', (e) => {
    if (suggest.hidden || activeField !== field) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      selected = (selected + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      renderSuggestions();
    } else if ((e.key === 'Enter' && !e.ctrlKey && !e.metaKey) || e.key === 'Tab') {
      if (selected < 0 && e.key === 'Tab') return;
      e.preventDefault();
      accept(Math.max(0, selected));
    }
  });
  input.addEventListener('blur', () => setTimeout(hideSuggestions, 100));
}

// ---- the draft changed in another window ----------------------------------------------

/** The other window's version replaces the form, unless this form has changes the host has not seen. */
function replace(f: ComposeFields, attachments: ComposeAttachment[], force: boolean, replaceGen: number): void {
  if (!force && JSON.stringify(fields()) !== lastSent) {
    if (changeTimer !== undefined) clearTimeout(changeTimer);
    changeTimer = undefined;
    lastSent = JSON.stringify(fields());
    vscode.postMessage({ type: 'replaceRefused', fields: fields() });
    return;
  }
  if (changeTimer !== undefined) clearTimeout(changeTimer);
  changeTimer = undefined;
  from.value = f.accountId;
  inputs.to.value = f.to;
  inputs.cc.value = f.cc;
  inputs.bcc.value = f.bcc;
  subject.value = f.subject;
  body.value = f.body;
  format.value = f.format;
  updateBodyLabel();
  if (includeQuote) includeQuote.checked = f.includeQuote;
  if (quote && includeQuote) quote.hidden = !f.includeQuote;
  if (f.cc || f.bcc) showCc();
  showAttachments(attachments);
  lastSent = JSON.stringify(fields());
  gen = replaceGen;
  $('conflict').hidden = true;
}

$('conflict-reload').addEventListener('click', () => vscode.postMessage({ type: 'reload' }));
$('conflict-keep').addEventListener('click', () => {
  flush();
  vscode.postMessage({ type: 'keepMine' });
});

// ---- the host's messages -------------------------------------------------------------

window.addEventListener('message', (e: MessageEvent<ComposeHostToWebview>) => {
  const msg = e.data;
  if (!msg || typeof msg !== 'object') return;
  switch (msg.type) {
    case 'init':
      init(msg.init);
      break;
    case 'completions':
      // An answer to an older request (the user kept typing) is dropped.
      if (msg.requestId !== requestId) return;
      items = msg.items;
      selected = items.length ? 0 : -1;
      renderSuggestions();
      break;
    case 'attachments':
      showAttachments(msg.items);
      break;
    case 'status':
      status.textContent = String(msg.message);
      break;
    case 'sending':
      sending = msg.on;
      sendButton.disabled = msg.on;
      sendButton.textContent = msg.on && !lastArchive ? strings.sending : strings.send;
      if (sendArchiveButton) {
        sendArchiveButton.disabled = msg.on;
        sendArchiveButton.textContent = msg.on && lastArchive ? strings.sending : strings.sendArchive;
      }
      if (msg.on) errorBox.hidden = true;
      break;
    case 'error':
      showError(String(msg.error.message));
      break;
    case 'body':
      body.value = msg.body;
      lastSent = JSON.stringify(fields());
      break;
    case 'conflict':
      $('conflict').hidden = !msg.on;
      break;
    case 'replace':
      replace(msg.fields, msg.attachments, msg.force, msg.gen);
      break;
  }
});

vscode.postMessage({ type: 'ready' });
