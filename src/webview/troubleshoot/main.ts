/**
 * Browser side of Troubleshoot. Check details quote server replies and error texts, so they
 * are untrusted: everything reaches the page through textContent and attributes set by code,
 * never innerHTML. Buttons send the index of an action the host handed out, never a command.
 */
import type { HostToTroubleshoot, TroubleshootModel, TroubleshootToHost, ViewCheck, ViewGroup, ViewStatus } from '../../shared/protocol/troubleshoot';
import type { TroubleshootStrings } from '../../shared/protocol/pageStrings';
import { fillIn, pageStrings } from '../pageStrings';
// VS Code's own controls (@vscode-elements/elements), each imported alone so the bundle
// carries only these; the page (src/extension/troubleshoot/troubleshootPage.ts) lists the same ones.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/index.js';

declare function acquireVsCodeApi(): { postMessage(msg: TroubleshootToHost): void };

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const title = $('title');
const summary = $('summary');
const copyBtn = $<VscodeButton>('copy');
const saveBtn = $<VscodeButton>('save');
const againBtn = $<VscodeButton>('again');
const addresses = $<VscodeCheckbox>('addresses');
const notice = $('notice');
const story = $('story');
const progress = $('progress');
const progressTitle = $('progress-title');
const progressLines = $('progress-lines');
const results = $('results');

/** The words, in the window's language, from the host. */
const S = pageStrings<TroubleshootStrings>();
const LABEL: Record<ViewStatus, string> = { pass: S.passed, warn: S.warning, fail: S.failed, skip: S.skipped };

/** The codicon of each status, as the Testing view and the Problems panel draw them. */
const ICON: Record<ViewStatus, string> = { pass: 'pass-filled', warn: 'warning', fail: 'error', skip: 'circle-slash' };

/** A status icon (a codicon coloured by the theme through CSS) that a screen reader names. */
function statusIcon(status: ViewStatus): HTMLSpanElement {
  const wrap = el('span', `status-icon ${status}`);
  wrap.setAttribute('role', 'img');
  wrap.setAttribute('aria-label', LABEL[status]);
  wrap.title = LABEL[status];
  const glyph = el('span', `codicon codicon-${ICON[status]}`);
  glyph.setAttribute('aria-hidden', 'true');
  wrap.appendChild(glyph);
  return wrap;
}

/** A group's counts as badges, the nonzero ones only ("1 failed", "4 passed"). */
function countBadges(c: Record<ViewStatus, number>): HTMLSpanElement {
  const wrap = el('span', 'group-counts');
  for (const [status, text] of countParts(c)) {
    if (!c[status]) continue;
    const b = document.createElement('vscode-badge');
    b.className = `count ${status}`;
    b.textContent = text;
    wrap.append(b);
  }
  return wrap;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** "1 failed", "2 warnings", "4 passed", "0 skipped": the group badges (the summary line says the same in one sentence). */
function countParts(c: Record<ViewStatus, number>): Array<[ViewStatus, string]> {
  return [
    ['fail', fillIn(S.nFailed, c.fail)],
    ['warn', fillIn(c.warn === 1 ? S.oneWarning : S.nWarnings, c.warn)],
    ['pass', fillIn(S.nPassed, c.pass)],
    ['skip', fillIn(S.nSkipped, c.skip)],
  ];
}

function countsText(c: Record<ViewStatus, number>): string {
  return fillIn(c.warn === 1 ? S.countsOneWarning : S.counts, c.fail, c.warn, c.pass, c.skip);
}

function setBusy(busy: boolean): void {
  copyBtn.disabled = busy;
  saveBtn.disabled = busy;
  againBtn.disabled = busy;
  addresses.disabled = busy;
  // The components take no "disabled" state into the accessibility tree by themselves.
  for (const b of [copyBtn, saveBtn, againBtn]) b.setAttribute('aria-disabled', String(busy));
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
  // "Since when?": support asks it first; the report and `maildesk doctor` say the same.
  if (c.firstSeen) dl.append(el('dt', '', S.since), since(c.firstSeen, c.lastSuccess));
  li.append(dl);
  if (c.action) {
    const index = c.action.index;
    const b = document.createElement('vscode-button');
    b.className = 'action';
    b.secondary = true;
    b.textContent = c.action.title;
    // The visible label is short ("Select Folders for Sync"); say which check it fixes.
    b.setAttribute('aria-label', fillIn(S.fixes, c.action.title, c.title));
    b.addEventListener('click', () => vscode.postMessage({ type: 'runAction', index }));
    li.append(b);
  }
  return li;
}

/** "6 Dec 2026, 09:12:04; last passed 6 Dec 2026, 09:02:10", each a <time> with its ISO value. */
function since(firstSeen: string, lastSuccess: string | null): HTMLElement {
  const dd = el('dd', 'since');
  const time = (iso: string): HTMLTimeElement => Object.assign(el('time', '', new Date(iso).toLocaleString()), { dateTime: iso });
  // A translation may put the two in either order: each placeholder becomes its node.
  const fill: Record<string, Node | string> = { '{0}': time(firstSeen), '{1}': lastSuccess ? time(lastSuccess) : S.neverPassed };
  dd.append(...S.sinceLastPassed.split(/(\{[01]\})/).map((part) => fill[part] ?? part));
  return dd;
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
  h.append(statusIcon(g.worst), el('span', '', g.heading), countBadges(g.counts));
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

// A disabled component still hears clicks: the buttons do nothing while checks run.
copyBtn.addEventListener('click', () => !copyBtn.disabled && vscode.postMessage({ type: 'copyReport' }));
saveBtn.addEventListener('click', () => !saveBtn.disabled && vscode.postMessage({ type: 'saveReport' }));
againBtn.addEventListener('click', () => {
  if (againBtn.disabled) return;
  notice.textContent = '';
  progressLines.replaceChildren();
  vscode.postMessage({ type: 'runAgain' });
});
addresses.addEventListener('change', () => vscode.postMessage({ type: 'setIncludeAddresses', value: addresses.checked }));

setBusy(true);
vscode.postMessage({ type: 'ready' });
