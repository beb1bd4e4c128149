/**
 * Browser side of the thread view. The page (with the sanitised bodies) is built by the
 * host; this script never reads message content or writes HTML. It only turns clicks on
 * our controls into messages for the host, and stops every link in a message from
 * navigating: the host shows the real target and opens it in the browser.
 */
import type { ThreadHostToWebview, ThreadWebviewToHost } from '../../shared/protocol/thread';

declare function acquireVsCodeApi(): { postMessage(msg: ThreadWebviewToHost): void };

const vscode = acquireVsCodeApi();
const status = document.getElementById('md-status');

/** Our controls live outside the message bodies; anything inside a body is message content. */
function ourControl(target: EventTarget | null): HTMLElement | undefined {
  const el = target instanceof Element ? target.closest<HTMLElement>('[data-md-action]') : null;
  if (!el || el.closest('.md-body')) return undefined;
  return el;
}

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
  const target = e.target instanceof Element ? e.target : null;
  // Any link inside a message: never navigate here; ask the host, which shows the target first.
  const link = target?.closest('a');
  if (link && link.closest('.md-body')) {
    e.preventDefault();
    const href = link.getAttribute('data-maildesk-href');
    if (href) vscode.postMessage({ type: 'openLink', href });
    return;
  }
  const c = ourControl(target);
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
  if (e.target instanceof Element && e.target.closest('a')) e.preventDefault();
});

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

// Focus the newest expanded message's header, so a screen reader starts where the news is.
const expanded = document.querySelectorAll<HTMLElement>('.md-toggle[aria-expanded="true"]');
expanded[expanded.length - 1]?.focus({ preventScroll: false });
