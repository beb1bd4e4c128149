/**
 * Browser side of Troubleshoot. Check details quote server replies and error texts, so they
 * are untrusted: everything reaches the page through textContent and attributes set by code,
 * never innerHTML. Buttons send the index of an action the host handed out, never a command.
 */
import type { HostToTroubleshoot, TroubleshootModel, TroubleshootToHost, ViewCheck, ViewGroup, ViewStatus } from '../../shared/protocol/troubleshoot';
import type { TroubleshootStrings } from '../../shared/protocol/pageStrings';
import { fillIn, pageStrings } from '../pageStrings';

declare function acquireVsCodeApi(): { postMessage(msg: TroubleshootToHost): void };

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const title = $('title');
const summary = $('summary');
const copyBtn = $<HTMLButtonElement>('copy');
const saveBtn = $<HTMLButtonElement>('save');
const againBtn = $<HTMLButtonElement>('again');
const addresses = $<HTMLInputElement>('addresses');
const notice = $('notice');
const story = $('story');
const progress = $('progress');
const progressTitle = $('progress-title');
const progressLines = $('progress-lines');
const results = $('results');
const SVG_NS = 'http://www.w3.org/2000/svg';

/** The words, in the window's language, from the host. */
const S = pageStrings<TroubleshootStrings>();
const LABEL: Record<ViewStatus, string> = { pass: S.passed, warn: S.warning, fail: S.failed, skip: S.skipped };

/** Status icons drawn as SVG (shapes after the codicons), coloured by the theme through CSS. */
function statusIcon(status: ViewStatus): HTMLSpanElement {
  const wrap = el('span', `status-icon ${status}`);
  wrap.setAttribute('role', 'img');
  wrap.setAttribute('aria-label', LABEL[status]);
  wrap.title = LABEL[status];
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  const add = (tag: string, attrs: Record<string, string>) => {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    svg.appendChild(e);
  };
  if (status === 'pass') {
    add('circle', { cx: '8', cy: '8', r: '7', class: 'shape' });
    add('path', { d: 'M4.5 8.2 7 10.6l4.6-5', class: 'mark' });
  } else if (status === 'fail') {
    add('circle', { cx: '8', cy: '8', r: '7', class: 'shape' });
    add('path', { d: 'M5.3 5.3l5.4 5.4M10.7 5.3l-5.4 5.4', class: 'mark' });
  } else if (status === 'warn') {
    add('path', { d: 'M8 1.2 15.2 14.3H.8z', class: 'shape' });
    add('path', { d: 'M8 5.6v4.4M8 11.6v1', class: 'mark' });
  } else {
    add('circle', { cx: '8', cy: '8', r: '6.2', class: 'outline' });
    add('path', { d: 'M3.6 12.4l8.8-8.8', class: 'outline' });
  }
  wrap.appendChild(svg);
  return wrap;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function countsText(c: Record<ViewStatus, number>): string {
  return fillIn(c.warn === 1 ? S.countsOneWarning : S.counts, c.fail, c.warn, c.pass, c.skip);
}

function setBusy(busy: boolean): void {
  copyBtn.disabled = busy;
  saveBtn.disabled = busy;
  againBtn.disabled = busy;
  addresses.disabled = busy;
  document.body.setAttribute('aria-busy', String(busy));
}

function problemItem(c: ViewCheck): HTMLLIElement {
  const li = el('li', `check problem ${c.status}`);
  const head = el('div', 'check-head');
  head.append(statusIcon(c.status));
  const name = el('h3', 'check-title', c.title);
  head.append(name, el('code', 'check-id', c.id));
  li.append(head);
  const dl = el('dl', 'check-body');
  dl.append(el('dt', '', S.seen), Object.assign(el('dd', 'detail'), { textContent: c.detail }));
  if (c.remedy) dl.append(el('dt', '', S.fix), el('dd', 'remedy', c.remedy));
  dl.append(el('dt', '', S.guide), el('dd', 'section', c.section));
  li.append(dl);
  if (c.action) {
    const index = c.action.index;
    const b = el('button', 'action', c.action.title);
    b.type = 'button';
    // The visible label is short ("Select Folders for Sync"); say which check it fixes.
    b.setAttribute('aria-label', fillIn(S.fixes, c.action.title, c.title));
    b.addEventListener('click', () => vscode.postMessage({ type: 'runAction', index }));
    li.append(b);
  }
  return li;
}

function okItem(c: ViewCheck): HTMLLIElement {
  const li = el('li', `check ok ${c.status}`);
  li.append(statusIcon(c.status), el('span', 'check-title', c.title), el('span', 'detail muted', c.detail));
  li.title = `${c.id} (${c.ms} ms)`;
  return li;
}

function group(g: ViewGroup, n: number): HTMLElement {
  const sec = el('section', `group ${g.worst}`);
  const headingId = `group-${n}`;
  sec.setAttribute('aria-labelledby', headingId);
  const h = el('h2', 'group-title');
  h.id = headingId;
  h.append(statusIcon(g.worst), el('span', '', g.heading), el('span', 'group-counts', countsText(g.counts)));
  sec.append(h);
  const problems = g.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
  const rest = g.checks.filter((c) => c.status === 'pass' || c.status === 'skip');
  if (problems.length) {
    const ul = el('ul', 'checks');
    ul.setAttribute('role', 'list');
    ul.setAttribute('aria-label', fillIn(S.problems, g.heading));
    for (const c of problems) ul.append(problemItem(c));
    sec.append(ul);
  } else sec.append(el('p', 'all-good', S.noProblems));
  if (rest.length) {
    // Passed and skipped checks are context, not work: folded away, open with Enter/Space.
    const d = el('details', 'rest');
    d.append(el('summary', '', fillIn(S.passedSkipped, g.counts.pass, g.counts.skip)));
    const ul = el('ul', 'checks');
    ul.setAttribute('role', 'list');
    ul.setAttribute('aria-label', fillIn(S.passedAndSkipped, g.heading));
    for (const c of rest) ul.append(okItem(c));
    d.append(ul);
    sec.append(d);
  }
  return sec;
}

function renderStory(m: TroubleshootModel): void {
  story.replaceChildren();
  if (!m.expected && !m.happened) {
    story.hidden = true;
    return;
  }
  const dl = el('dl');
  dl.append(el('dt', '', S.expected), el('dd', '', m.expected ?? S.notGiven));
  dl.append(el('dt', '', S.happened), el('dd', '', m.happened ?? S.notGiven));
  if (m.when) dl.append(el('dt', '', S.when), el('dd', '', new Date(m.when).toLocaleString()));
  story.append(dl);
  story.hidden = false;
}

let hadModel = false;

function renderModel(m: TroubleshootModel): void {
  progress.hidden = true;
  setBusy(false);
  addresses.checked = m.includeAddresses;
  summary.replaceChildren(statusIcon(m.worst), document.createTextNode(` ${countsText(m.counts)} · ${new Date(m.ranAt).toLocaleTimeString()} · ${(m.ms / 1000).toFixed(1)} s`));
  renderStory(m);
  results.replaceChildren(...m.groups.map((g, i) => group(g, i)));
  // After a (re)run, land on the results so keyboard and screen-reader users hear the outcome.
  if (!hadModel || document.activeElement === againBtn || document.activeElement === document.body) title.focus();
  hadModel = true;
}

function renderRunning(done: number, total: number, lines: string[]): void {
  setBusy(true);
  progress.hidden = false;
  progressTitle.textContent = total ? fillIn(S.runningOf, done, total) : S.running;
  // Append only the new lines, so a screen reader is not made to re-read the list.
  for (let i = progressLines.childElementCount; i < lines.length; i++) progressLines.append(el('li', '', lines[i]));
  if (lines.length < progressLines.childElementCount) progressLines.replaceChildren(...lines.map((l) => el('li', '', l)));
}

window.addEventListener('message', (e: MessageEvent<HostToTroubleshoot>) => {
  const msg = e.data;
  if (msg.type === 'running') renderRunning(msg.done, msg.total, msg.lines);
  else if (msg.type === 'model') renderModel(msg.model);
  else if (msg.type === 'notice') {
    notice.textContent = msg.text;
    notice.className = `notice ${msg.kind}`;
  }
});

copyBtn.addEventListener('click', () => vscode.postMessage({ type: 'copyReport' }));
saveBtn.addEventListener('click', () => vscode.postMessage({ type: 'saveReport' }));
againBtn.addEventListener('click', () => {
  notice.textContent = '';
  progressLines.replaceChildren();
  vscode.postMessage({ type: 'runAgain' });
});
addresses.addEventListener('change', () => vscode.postMessage({ type: 'setIncludeAddresses', value: addresses.checked }));

setBusy(true);
vscode.postMessage({ type: 'ready' });
