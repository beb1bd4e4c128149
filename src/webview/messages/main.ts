/**
 * Browser side of the message list. Message data is untrusted: it only ever reaches
 * the page through textContent and attributes set by code, never innerHTML.
 */
import type { FolderInfo, HostToWebview, MessageListItem, RowAction, WebviewToHost } from '../../shared/protocol/messageList';
import type { MessageListStrings } from '../../shared/protocol/pageStrings';
import { fillIn, pageStrings } from '../pageStrings';

declare function acquireVsCodeApi(): { postMessage(msg: WebviewToHost): void };

const vscode = acquireVsCodeApi();
const $ = (id: string) => document.getElementById(id)!;
const list = $('list') as HTMLUListElement;
const more = $('more') as HTMLButtonElement;
const empty = $('empty');
const errorBox = $('error');
/** The words, in the window's language, from the host. */
const S = pageStrings<MessageListStrings>();
/** A codicon (VS Code's own icon font, shipped in dist/codicons): takes the theme colour. */
function icon(name: 'flag' | 'attach' | 'archive' | 'report' | 'trash'): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = `codicon codicon-${name}`;
  span.setAttribute('aria-hidden', 'true');
  return span;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const longFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

function shortDate(ms: number): string {
  if (!ms) return '';
  const d = new Date(ms);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return timeFmt.format(d);
  if (d.getFullYear() === now.getFullYear()) return dayFmt.format(d);
  return fullFmt.format(d);
}

/** The hover actions, with the key that does the same from the keyboard (package.json keybindings). */
const ROW_ACTION_BUTTONS: ReadonlyArray<{ action: RowAction; icon: 'archive' | 'report' | 'trash'; label: string; key: string }> = [
  { action: 'archive', icon: 'archive', label: S.archive, key: 'e' },
  { action: 'reportSpam', icon: 'report', label: S.reportSpam, key: '!' },
  { action: 'delete', icon: 'trash', label: S.delete, key: '#' },
];

/**
 * Archive, Report spam and Delete, shown on hover and on the row the keyboard is on. They are
 * no tab stops (the row stays one): from the keyboard the keys in their tooltips do the same.
 */
function rowActions(messageId: number): HTMLSpanElement {
  const bar = el('span', 'row-actions');
  bar.setAttribute('role', 'group');
  bar.setAttribute('aria-label', S.actions);
  for (const a of ROW_ACTION_BUTTONS) {
    const b = el('button', `row-action row-${a.action}`);
    b.type = 'button';
    b.tabIndex = -1;
    b.title = fillIn(S.withKey, a.label, a.key);
    b.setAttribute('aria-label', a.label);
    b.setAttribute('aria-keyshortcuts', a.key);
    b.dataset.action = a.action;
    b.appendChild(icon(a.icon));
    b.addEventListener('click', () => vscode.postMessage({ type: 'rowAction', messageId, action: a.action }));
    bar.appendChild(b);
  }
  return bar;
}

// The rows' ids and whether Sent/Drafts show recipients, from the last `messages`.
let folderId = 0;
let showRecipients = false;
let active: number | null = null;
let selected = new Set<number>();

/**
 * One row, one tab stop: the list is a listbox whose active row is named by
 * aria-activedescendant; the read and flag toggles are for the mouse (keys: Shift+I/U, s).
 */
function row(m: MessageListItem): HTMLLIElement {
  const li = el('li', m.unread ? 'msg unread' : 'msg');
  li.id = `m-${m.id}`;
  li.dataset.id = String(m.id);
  li.setAttribute('role', 'option');
  li.setAttribute('aria-selected', 'false');
  // Right-click menu (package.json webview/context): the commands get the row and its folder.
  li.dataset.vscodeContext = JSON.stringify({ webviewSection: 'message', messageId: m.id, folderId, unread: m.unread, flagged: m.flagged, preventDefaultContextMenuItems: true });

  const read = el('button', 'read-toggle');
  read.type = 'button';
  read.tabIndex = -1;
  read.title = m.unread ? S.markRead : S.markUnread;
  read.setAttribute('aria-hidden', 'true');
  read.addEventListener('click', () => vscode.postMessage({ type: 'toggleRead', messageId: m.id }));

  const flag = el('button', m.flagged ? 'flag-toggle flagged' : 'flag-toggle');
  flag.type = 'button';
  flag.tabIndex = -1;
  flag.title = m.flagged ? S.removeFlag : S.flag;
  flag.setAttribute('aria-hidden', 'true');
  flag.appendChild(icon('flag'));
  flag.addEventListener('click', () => vscode.postMessage({ type: 'toggleFlag', messageId: m.id }));

  const who = showRecipients ? fillIn(S.to, m.to || S.noRecipients) : m.from;
  const from = el('span', 'from', who);
  if (!showRecipients && m.fromAddr) from.title = m.fromAddr;
  else from.title = who;
  const subject = el('span', 'subject', m.subject);
  subject.title = m.subject;
  if (m.threadCount && m.threadCount > 1) {
    const n = el('span', 'count', ` (${m.threadCount})`);
    n.setAttribute('aria-label', fillIn(S.messages, m.threadCount));
    subject.appendChild(n);
  }
  const attach = el('span', 'attach');
  if (m.hasAttachments) {
    attach.appendChild(icon('attach'));
    attach.title = S.hasAttachmentsTitle;
  }
  const date = el('time', 'date', shortDate(m.date));
  if (m.date) {
    date.dateTime = new Date(m.date).toISOString();
    date.title = longFmt.format(new Date(m.date));
  }
  li.append(read, flag, from, subject, attach, date, rowActions(m.id));
  const parts = [m.unread ? S.unread : '', m.flagged ? S.flagged : '', who, m.subject, m.threadCount && m.threadCount > 1 ? fillIn(S.messages, m.threadCount) : '', m.hasAttachments ? S.hasAttachments : '', date.title];
  li.setAttribute('aria-label', parts.filter(Boolean).join(', '));
  li.addEventListener('click', (e) => {
    if (e.target instanceof Element && e.target.closest('button')) return;
    list.focus({ preventScroll: true });
    vscode.postMessage({ type: 'click', messageId: m.id, ctrl: e.ctrlKey || e.metaKey, shift: e.shiftKey });
  });
  li.addEventListener('contextmenu', () => vscode.postMessage({ type: 'contextRow', messageId: m.id }));
  return li;
}

/** Paints the host's cursor: selected rows, the active row (focus ring, scrolled into view). */
function paintSelection(scroll: boolean): void {
  for (const li of Array.from(list.children) as HTMLElement[]) {
    const id = Number(li.dataset.id);
    const on = selected.has(id);
    li.classList.toggle('selected', on);
    li.classList.toggle('active', id === active);
    li.setAttribute('aria-selected', String(on));
  }
  const a = active === null ? null : document.getElementById(`m-${active}`);
  if (a) {
    list.setAttribute('aria-activedescendant', a.id);
    if (scroll) a.scrollIntoView({ block: 'nearest' });
  } else list.removeAttribute('aria-activedescendant');
  $('count').textContent = selected.size > 1 ? fillIn(S.selected, selected.size) : '';
}

function render(folder: FolderInfo, items: MessageListItem[], hasMore: boolean): void {
  folderId = folder.id;
  showRecipients = folder.showRecipients === true;
  $('title').textContent = folder.name;
  $('subtitle').textContent = folder.accountLabel;
  document.title = fillIn(S.pageTitle, folder.name);
  errorBox.hidden = true;
  // Keep the scroll position: an update (new mail, a flag) must not jump the list.
  const scroll = window.scrollY;
  list.replaceChildren(...items.map(row));
  paintSelection(false);
  window.scrollTo(0, scroll);
  more.hidden = !hasMore;
  more.disabled = false;
  if (items.length) {
    empty.hidden = true;
  } else {
    empty.hidden = false;
    empty.textContent = folder.selected ? S.empty : S.notSynced;
  }
}

const handlers: { [K in HostToWebview['type']]: (msg: Extract<HostToWebview, { type: K }>) => void } = {
  messages: (m) => render(m.folder, m.items, m.hasMore),
  selection: (m) => {
    active = m.active;
    selected = new Set(m.selected);
    paintSelection(true);
  },
  error: (m) => {
    errorBox.textContent = m.message;
    errorBox.hidden = false;
    more.disabled = false;
  },
};

window.addEventListener('message', (e: MessageEvent<HostToWebview>) => {
  const msg = e.data;
  if (msg && typeof msg === 'object' && msg.type in handlers) (handlers[msg.type] as (m: HostToWebview) => void)(msg);
});

// Moving, opening and acting are keybindings of the workbench (package.json), which reach the
// host as commands: here the keys only must not scroll the page under the cursor as well.
// (Space, Page Up/Down, Home and End still scroll the page, as expected.)
list.addEventListener('keydown', (e) => {
  if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && !e.altKey) e.preventDefault();
});

more.addEventListener('click', () => {
  more.disabled = true;
  vscode.postMessage({ type: 'loadMore' });
});

vscode.postMessage({ type: 'ready' });
