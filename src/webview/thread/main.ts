/**
 * Browser side of the thread view. The page (with the sanitised bodies) is built by the
 * host; this script never reads message content or writes HTML. It only turns clicks on
 * our controls into messages for the host, and stops every link in a message from
 * navigating: the host shows the real target and opens it in the browser.
 *
 * Each message part sits in its own shadow root (declared in the page), so an event from
 * inside one reaches the document retargeted to the part's host: `composedPath()` says
 * what was really clicked.
 */
import type { ThreadHostToWebview, ThreadWebviewToHost } from '../../shared/protocol/thread';

declare function acquireVsCodeApi(): { postMessage(msg: ThreadWebviewToHost): void };

const vscode = acquireVsCodeApi();
const status = document.getElementById('md-status');
const linkHint = document.getElementById('md-linkhint');

/** Whether the event happened inside a message body (in a part's shadow root or beside it). */
function inBody(e: Event): boolean {
  return e.composedPath().some((n) => n instanceof Element && n.classList.contains('md-body'));
}

/** The message link an event happened on, if any (links only exist inside bodies). */
function messageLink(e: Event): Element | undefined {
  if (!inBody(e)) return undefined;
  const first = e.composedPath()[0];
  return (first instanceof Element ? first : first instanceof Node ? first.parentElement : null)?.closest('a') ?? undefined;
}

/** Our controls live outside the message bodies; anything inside a body is message content. */
function ourControl(e: Event): HTMLElement | undefined {
  if (inBody(e)) return undefined;
  const target = e.target;
  const el = target instanceof Element ? target.closest<HTMLElement>('[data-md-action]') : null;
  return el ?? undefined;
}

/**
 * A browser without declarative shadow roots leaves each part's <template> inert (the
 * message would not show): attach the root here instead. The content is cloned, never
 * parsed again, so it stays exactly what the host built.
 */
function attachMissingShadowRoots(): void {
  document.querySelectorAll<HTMLTemplateElement>('.md-part > template[shadowrootmode]').forEach((t) => {
    const host = t.parentElement;
    if (!host || host.shadowRoot) return;
    host.attachShadow({ mode: 'open' }).appendChild(t.content.cloneNode(true));
    t.remove();
  });
}
attachMissingShadowRoots();

function toggle(button: HTMLElement, id: number): void {
  const content = document.getElementById(`md-c-${id}`);
  if (!content) return;
  const expanded = button.getAttribute('aria-expanded') !== 'true';
  button.setAttribute('aria-expanded', String(expanded));
  content.hidden = !expanded;
  if (expanded) button.closest('.md-msg')?.classList.remove('md-is-unread');
  vscode.postMessage({ type: 'toggle', messageId: id, expanded });
}

document.addEventListener('click', (e) => {
  // Any link inside a message: never navigate here; ask the host, which shows the target first.
  const link = messageLink(e);
  if (link) {
    e.preventDefault();
    const href = link.getAttribute('data-maildesk-href');
    if (href) vscode.postMessage({ type: 'openLink', href });
    return;
  }
  const c = ourControl(e);
  if (!c) return;
  e.preventDefault();
  const id = Number(c.dataset.mdId);
  if (!Number.isSafeInteger(id)) return;
  const att = c.dataset.mdAtt ?? '';
  switch (c.dataset.mdAction) {
    case 'toggle':
      toggle(c, id);
      break;
    case 'loadRemote':
      vscode.postMessage({ type: 'loadRemote', messageId: id });
      break;
    case 'allowSender':
      vscode.postMessage({ type: 'allowSender', messageId: id });
      break;
    case 'saveAttachment':
      vscode.postMessage({ type: 'saveAttachment', messageId: id, attachmentId: att });
      break;
    case 'openAttachment':
      vscode.postMessage({ type: 'openAttachment', messageId: id, attachmentId: att });
      break;
    case 'viewSource':
      vscode.postMessage({ type: 'viewSource', messageId: id });
      break;
    case 'reply': {
      const mode = c.dataset.mdMode;
      if (mode === 'reply' || mode === 'replyAll' || mode === 'forward') vscode.postMessage({ type: 'reply', messageId: id, mode });
      break;
    }
    case 'triage':
      vscode.postMessage({ type: 'triage', command: c.dataset.mdCmd ?? '' });
      break;
    case 'pro':
      // A greyed Pro button says why instead of acting.
      if (c.getAttribute('aria-disabled') === 'true') {
        if (status) status.textContent = c.title;
      } else vscode.postMessage({ type: 'pro', action: c.dataset.mdPro ?? '' });
      break;
  }
});

// Middle-click and auxclick would open links in a new window in some hosts.
document.addEventListener('auxclick', (e) => {
  if (messageLink(e)) e.preventDefault();
});

// Where a message link goes, in our own hint outside every message (the link has no title:
// a title is an attribute the message's CSS could read).
function showLinkHint(e: Event): void {
  if (!linkHint) return;
  const href = messageLink(e)?.getAttribute('data-maildesk-href');
  linkHint.textContent = href ?? '';
  linkHint.hidden = !href;
}
document.addEventListener('mouseover', showLinkHint);
document.addEventListener('focusin', showLinkHint);
document.addEventListener('mouseout', () => linkHint && (linkHint.hidden = true));
document.addEventListener('focusout', () => linkHint && (linkHint.hidden = true));

window.addEventListener('message', (e: MessageEvent<ThreadHostToWebview>) => {
  const msg = e.data;
  if (msg && msg.type === 'status' && status) status.textContent = String(msg.message);
  if (msg && msg.type === 'aiSummary') {
    const box = document.getElementById('md-ai');
    const text = document.getElementById('md-ai-text');
    if (!box || !text) return;
    box.hidden = false;
    // Text only: the model's answer is never parsed as HTML.
    if (msg.phase === 'start') text.textContent = String(msg.text);
    else if (msg.phase === 'text') text.textContent += String(msg.text);
    else if (msg.phase === 'error' && status) status.textContent = String(msg.text);
  }
});

// Focus the newest expanded message's header, so a screen reader starts where the news is:
// now if this view has the keyboard, else when it gets it. The page is drawn anew when the
// conversation changes (a reply arrives) while the user types elsewhere (the command palette):
// taking the focus then would send their keys here, where "e" archives and "r" replies.
const focusNewest = (): void => {
  const expanded = document.querySelectorAll<HTMLElement>('.md-toggle[aria-expanded="true"]');
  expanded[expanded.length - 1]?.focus({ preventScroll: false });
};
if (document.hasFocus()) focusNewest();
else window.addEventListener('focus', () => document.activeElement === document.body && focusNewest(), { once: true });
