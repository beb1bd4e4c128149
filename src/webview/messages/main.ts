/**
 * Browser side of the message list. Message data is untrusted: it only ever reaches
 * the page through textContent and attributes set by code, never innerHTML.
 */
import type { FolderInfo, HostToWebview, MessageListItem, WebviewToHost } from '../../shared/protocol/messageList';

declare function acquireVsCodeApi(): { postMessage(msg: WebviewToHost): void };

const vscode = acquireVsCodeApi();
const $ = (id: string) => document.getElementById(id)!;
const list = $('list') as HTMLUListElement;
const more = $('more') as HTMLButtonElement;
const empty = $('empty');
const errorBox = $('error');
const SVG_NS = 'http://www.w3.org/2000/svg';

// Icons drawn from paths, so they take the theme colour and need no font or image source in the CSP.
const ICONS = {
  flag: 'M3 1v14h1.5V9.5H13l-2-3.5 2-3.5H4.5V1z',
  paperclip: 'M10.5 3.5v7a2.5 2.5 0 0 1-5 0V3a1.5 1.5 0 0 1 3 0v7a.5.5 0 0 1-1 0V4H6.5v6a1.5 1.5 0 0 0 3 0V3a2.5 2.5 0 0 0-5 0v7.5a3.5 3.5 0 0 0 7 0v-7z',
};

function icon(name: keyof typeof ICONS): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '14');
  svg.setAttribute('height', '14');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.appendChild(path);
  return svg;
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

function row(m: MessageListItem): HTMLLIElement {
  const li = el('li', m.unread ? 'msg unread' : 'msg');
  li.dataset.id = String(m.id);

  const read = el('button', 'read-toggle');
  read.type = 'button';
  read.title = m.unread ? 'Mark as read' : 'Mark as unread';
  read.setAttribute('aria-label', read.title);
  read.setAttribute('aria-pressed', String(m.unread));
  read.addEventListener('click', () => vscode.postMessage({ type: 'toggleRead', messageId: m.id }));

  const flag = el('button', m.flagged ? 'flag-toggle flagged' : 'flag-toggle');
  flag.type = 'button';
  flag.title = m.flagged ? 'Remove flag' : 'Flag';
  flag.setAttribute('aria-label', flag.title);
  flag.setAttribute('aria-pressed', String(m.flagged));
  flag.appendChild(icon('flag'));
  flag.addEventListener('click', () => vscode.postMessage({ type: 'toggleFlag', messageId: m.id }));

  const from = el('span', 'from', m.from);
  if (m.fromAddr) from.title = m.fromAddr;
  const subject = el('span', 'subject', m.subject);
  subject.title = m.subject;
  if (m.threadCount && m.threadCount > 1) {
    const n = el('span', 'count', ` (${m.threadCount})`);
    n.setAttribute('aria-label', `${m.threadCount} messages`);
    subject.appendChild(n);
  }
  const attach = el('span', 'attach');
  if (m.hasAttachments) {
    attach.appendChild(icon('paperclip'));
    attach.title = 'Has attachments';
  }
  const date = el('time', 'date', shortDate(m.date));
  if (m.date) {
    date.dateTime = new Date(m.date).toISOString();
    date.title = longFmt.format(new Date(m.date));
  }
  li.append(read, flag, from, subject, attach, date);
  // The row opens the conversation (click, or Enter when focused); the toggles keep their own clicks.
  li.tabIndex = 0;
  li.setAttribute('aria-label', `${m.unread ? 'Unread, ' : ''}${m.from}: ${m.subject}`);
  const open = (): void => vscode.postMessage({ type: 'open', messageId: m.id });
  li.addEventListener('click', (e) => {
    if (!(e.target instanceof Element && e.target.closest('button'))) open();
  });
  li.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target === li) open();
  });
  return li;
}

function render(folder: FolderInfo, items: MessageListItem[], hasMore: boolean): void {
  $('title').textContent = folder.name;
  $('subtitle').textContent = folder.accountLabel;
  document.title = `MailDesk: ${folder.name}`;
  errorBox.hidden = true;
  // Keep the scroll position: an update (new mail, a flag) must not jump the list.
  const scroll = window.scrollY;
  list.replaceChildren(...items.map(row));
  window.scrollTo(0, scroll);
  more.hidden = !hasMore;
  more.disabled = false;
  if (items.length) {
    empty.hidden = true;
  } else {
    empty.hidden = false;
    empty.textContent = folder.selected
      ? 'No messages here yet. New mail appears on its own after the next sync.'
      : 'This folder is not selected for sync. Use "Select Folders for Sync" on the account to fill it.';
  }
}

const handlers: { [K in HostToWebview['type']]: (msg: Extract<HostToWebview, { type: K }>) => void } = {
  messages: (m) => render(m.folder, m.items, m.hasMore),
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

more.addEventListener('click', () => {
  more.disabled = true;
  vscode.postMessage({ type: 'loadMore' });
});

vscode.postMessage({ type: 'ready' });
