/**
 * The thread view's HTML, built in the host as one string: the sanitised bodies are put into
 * the page here, never injected by script, so nothing in a message is ever run through our
 * code. The webview's own script (nonce'd) only handles clicks on our controls. The same
 * builder serves `maildesk render`, so the CLI prints exactly what the reader shows.
 */
import * as l10n from '@vscode/l10n';
import type { Address } from '../mime/parse';
import { isolatedPartHtml } from '../render/isolate';
import { bodyNotices, describeBlocked, type RenderedMessage } from '../render/render';
import { escapeHtml } from '../../shared/html';

export interface PageMessage {
  id: number;
  from?: Address;
  to: Address[];
  cc: Address[];
  /** ms since epoch */
  date?: number;
  unread: boolean;
  expanded: boolean;
  /** Where the message is (shown when the thread spans folders: "Sent"). */
  folderNames: string[];
  /** Parsed and sanitised body; absent when it could not be fetched. */
  rendered?: RenderedMessage;
  /** Why there is no body (offline, deleted on the server). */
  error?: string;
  /** A line of text shown in the collapsed header. */
  preview?: string;
  /** Remote content was loaded for this message. */
  remoteAllowed: boolean;
}

export interface PageOptions {
  csp: string;
  /** Our script (absent in the CLI's standalone page, which has no script at all). */
  script?: { src: string; nonce: string };
  cssHref?: string;
  /** VS Code's icon font stylesheet (dist/codicons/codicon.css) for the action bar's icons. */
  codiconsHref?: string;
  /** Action buttons (Save, Open, View source, Load remote): only where a host answers them. */
  interactive: boolean;
  formatDate?: (ms: number) => string;
  /** Extra CSS for pages outside VS Code (no theme variables there). */
  inlineCss?: string;
  /** Pro: AI and Workflow Bridge actions, linked records and the AI summary (src/extension/pro). */
  pro?: PagePro;
  /** The action bar at the top (src/core/threads/toolbar.ts), already HTML. */
  toolbar?: string;
}

/** An AI or bridge button; unavailable ones are greyed with the reason as tooltip, not hidden. */
export interface PageProAction {
  action: string;
  label: string;
  enabled: boolean;
  reason?: string;
}

export interface PagePro {
  actions: PageProAction[];
  /** Linked records, one line each ("CRM lead: Quote request · 2 e-mails"). */
  links: Array<{ text: string; gone: boolean }>;
  /** The last AI summary of this thread, kept across re-renders. */
  summary?: string;
}

function proHtml(p: PagePro): string {
  const buttons = p.actions
    .map(
      (a) =>
        `<button type="button" class="md-btn md-pro-btn" data-md-action="pro" data-md-id="0" data-md-pro="${escapeHtml(a.action)}"` +
        (a.enabled ? '' : ` aria-disabled="true" style="opacity:.5;cursor:default"`) +
        (a.reason ? ` title="${escapeHtml(a.reason)}"` : '') +
        `>${escapeHtml(a.label)}</button>`,
    )
    .join(' ');
  const links = p.links.length
    ? `<ul class="md-links" aria-label="${escapeHtml(l10n.t('Linked records'))}">${p.links
        .map((l) => `<li${l.gone ? ` style="text-decoration:line-through" title="${escapeHtml(l10n.t('The record no longer exists'))}"` : ''}>${escapeHtml(l.text)}</li>`)
        .join('')}</ul>`
    : '';
  const summary =
    `<section id="md-ai" class="md-ai" aria-label="${escapeHtml(l10n.t('AI summary'))}"${p.summary ? '' : ' hidden'} style="margin:8px 16px;padding:8px;border:1px solid var(--vscode-panel-border,#ccc)">` +
    `<strong>${escapeHtml(l10n.t('Summary'))}</strong> <button type="button" class="md-btn" data-md-action="pro" data-md-id="0" data-md-pro="ai.cancel">${escapeHtml(l10n.t('Stop'))}</button>` +
    `<div id="md-ai-text" style="white-space:pre-wrap">${escapeHtml(p.summary ?? '')}</div></section>`;
  return `<div class="md-pro" role="toolbar" aria-label="${escapeHtml(l10n.t('AI and Workflow Bridges'))}" style="padding:4px 16px">${buttons}</div>${links}${summary}`;
}

/**
 * The webview's policy: nothing but our nonce'd script, our CSS, and images we allow. Allowed
 * remote images include plain http ones: the sanitiser keeps them, and with `https:` alone
 * "Load for this message" would leave every http image of a message broken. Given the
 * origins the allowed messages load from (remoteOrigins), only those are opened: the page is
 * one document, so a load allowed for one message must not open every host for the others.
 * `fonts` opens font-src to the webview's own resource root only (the codicon font of the
 * action bar): never to remote origins or data:, so a message still cannot load a font.
 */
export function webviewCsp(cspSource: string, nonce: string, allowRemote: boolean | readonly string[], fonts = false): string {
  const remote = allowRemote === true ? ' https: http:' : Array.isArray(allowRemote) && allowRemote.length ? ` ${allowRemote.join(' ')}` : '';
  return (
    `default-src 'none'; img-src ${cspSource} data:${remote}; style-src ${cspSource} 'unsafe-inline'; ${fonts ? `font-src ${cspSource}; ` : ''}` +
    `script-src 'nonce-${nonce}'; form-action 'none'; frame-src 'none'; base-uri 'none'`
  );
}

/**
 * The CSP sources for the remote URLs a page may load: each URL's origin, written so that a
 * policy cannot be bent by it (CSP host sources have no IPv6 or odd characters: those fall
 * back to their scheme, as before this list existed). Many origins also fall back to schemes.
 */
export function remoteOrigins(urls: Iterable<string>, max = 64): string[] {
  const out = new Set<string>();
  for (const u of urls) {
    let x: URL;
    try {
      x = new URL(u);
    } catch {
      continue;
    }
    if (x.protocol !== 'https:' && x.protocol !== 'http:') continue;
    out.add(/^[a-z0-9.-]+$/i.test(x.hostname) ? `${x.protocol}//${x.host.toLowerCase()}` : x.protocol);
  }
  if (out.size > max) return [...new Set([...out].map((o) => o.replace(/\/\/.*$/, '')))];
  return [...out].sort();
}

/** The standalone page's policy (`maildesk render`): no script at all. */
export function standaloneCsp(allowRemote: boolean): string {
  return `default-src 'none'; img-src data:${allowRemote ? ' https:' : ''}; style-src 'unsafe-inline'; form-action 'none'; frame-src 'none'; base-uri 'none'`;
}


export function formatAddress(a: Address): string {
  return a.name && a.name !== a.address ? `${a.name} <${a.address}>` : a.address;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const defaultDate = (ms: number): string => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function metaRow(label: string, value: string): string {
  return value ? `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>` : '';
}

function action(name: string, id: number, label: string, extra = ''): string {
  return `<button type="button" class="md-btn" data-md-action="${name}" data-md-id="${id}"${extra}>${escapeHtml(label)}</button>`;
}

function messageHtml(m: PageMessage, o: PageOptions): string {
  const fmt = o.formatDate ?? defaultDate;
  const sender = m.from ? m.from.name || m.from.address : '(unknown sender)';
  const when = m.date ? fmt(m.date) : '';
  const iso = m.date ? new Date(m.date).toISOString() : '';
  const parts: string[] = [];

  const head =
    `<h2 class="md-msg-h" id="md-h-${m.id}">` +
    `<button type="button" class="md-toggle" data-md-action="toggle" data-md-id="${m.id}" aria-expanded="${m.expanded}" aria-controls="md-c-${m.id}">` +
    `<span class="md-from">${escapeHtml(sender)}</span>` +
    (m.unread ? `<span class="md-unread" aria-label="${escapeHtml(l10n.t('unread'))}">●</span>` : '') +
    `<span class="md-preview">${escapeHtml(m.preview ?? '')}</span>` +
    `<time class="md-date" datetime="${iso}">${escapeHtml(when)}</time>` +
    `</button></h2>`;

  parts.push(
    `<dl class="md-meta">${metaRow(l10n.t('From'), m.from ? formatAddress(m.from) : '')}${metaRow(l10n.t('To'), m.to.map(formatAddress).join(', '))}${metaRow(
      l10n.t('Cc'),
      m.cc.map(formatAddress).join(', '),
    )}${metaRow(l10n.t('Date'), when)}${m.folderNames.length ? metaRow(l10n.t('Folder'), m.folderNames.join(', ')) : ''}</dl>`,
  );

  const r = m.rendered;
  if (!r) {
    parts.push(`<div class="md-error" role="alert">${escapeHtml(m.error ?? l10n.t('The message body is not available.'))}</div>`);
  } else {
    const blocked = r.bodies.flatMap((b) => b.blocked);
    if (blocked.length && !m.remoteAllowed) {
      const addr = m.from?.address;
      parts.push(
        `<div class="md-banner" role="status"><span>${escapeHtml(l10n.t('{0} blocked to protect your privacy.', describeBlocked(blocked)))}</span>` +
          (o.interactive
            ? ` ${action('loadRemote', m.id, l10n.t('Load for this message'))}${addr ? ` ${action('allowSender', m.id, l10n.t('Always for {0}', addr))}` : ''}`
            : '') +
          `</div>`,
      );
    }
    const warnings = [...r.parsed.warnings];
    warnings.push(...bodyNotices(r.bodies));
    if (warnings.length) parts.push(`<div class="md-warn" role="note">${warnings.map(escapeHtml).join('<br>')}</div>`);
    // Each part in its own shadow root inside a contained box (src/core/render/isolate.ts).
    parts.push(`<div class="md-body">${r.bodies.map((b) => isolatedPartHtml(b.html)).join('')}</div>`);
    const atts = r.parsed.attachments.filter((a) => !a.inline || !a.contentId);
    if (atts.length) {
      parts.push(
        `<ul class="md-atts" aria-label="${escapeHtml(l10n.t('Attachments'))}">${atts
          .map(
            (a) =>
              `<li class="md-att"><span class="md-att-name">${escapeHtml(a.filename || l10n.t('attachment'))}</span> <span class="md-att-size">${escapeHtml(
                formatSize(a.size),
              )}</span>` +
              (o.interactive
                ? ` ${action('saveAttachment', m.id, l10n.t('Save'), ` data-md-att="${escapeHtml(a.id)}" aria-label="${escapeHtml(l10n.t('Save {0}', a.filename))}"`)}` +
                  ` ${action('openAttachment', m.id, l10n.t('Open'), ` data-md-att="${escapeHtml(a.id)}" aria-label="${escapeHtml(l10n.t('Open {0}', a.filename))}"`)}`
                : '') +
              `</li>`,
          )
          .join('')}</ul>`,
      );
    }
  }
  if (o.interactive) {
    parts.push(
      `<div class="md-actions">${action('reply', m.id, l10n.t('Reply'), ' data-md-mode="reply"')} ${action('reply', m.id, l10n.t('Reply all'), ' data-md-mode="replyAll"')} ` +
        `${action('reply', m.id, l10n.t('Forward'), ' data-md-mode="forward"')} ${action('viewSource', m.id, l10n.t('View source'))}</div>`,
    );
  }

  return (
    `<article class="md-msg${m.unread ? ' md-is-unread' : ''}" aria-labelledby="md-h-${m.id}" data-md-msg="${m.id}">` +
    head +
    `<div class="md-content" id="md-c-${m.id}" role="region" aria-labelledby="md-h-${m.id}"${m.expanded ? '' : ' hidden'}>${parts.join('')}</div>` +
    `</article>`
  );
}

/** The whole page for a thread (or one message, for the CLI). */
export function threadPageHtml(subject: string, messages: PageMessage[], o: PageOptions): string {
  const title = subject || l10n.t('(no subject)');
  const count = messages.length === 1 ? l10n.t('1 message') : l10n.t('{0} messages', messages.length);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(o.csp)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${o.codiconsHref ? `<link rel="stylesheet" href="${escapeHtml(o.codiconsHref)}">` : ''}${o.cssHref ? `<link rel="stylesheet" href="${escapeHtml(o.cssHref)}">` : ''}${o.inlineCss ? `<style>${o.inlineCss}</style>` : ''}
<title>${escapeHtml(title)}</title>
</head>
<body>
<main class="md-thread" aria-label="${escapeHtml(l10n.t('Conversation'))}">
<header class="md-head"><h1 class="md-subject">${escapeHtml(title)}</h1><span class="md-count">${count}</span></header>
<div id="md-status" class="md-status" role="status" aria-live="polite"></div>
${o.toolbar ?? ''}${o.pro ? proHtml(o.pro) : ''}
${messages.map((m) => messageHtml(m, o)).join('\n')}
</main>
${o.script ? '<div id="md-linkhint" class="md-linkhint" role="tooltip" hidden></div>' : ''}
${o.script ? `<script nonce="${escapeHtml(o.script.nonce)}" src="${escapeHtml(o.script.src)}"></script>` : ''}
</body>
</html>
`;
}

/** Plain CSS for the standalone page (outside VS Code there are no theme variables). */
export const STANDALONE_CSS = `
body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#222;background:#fff}
.md-head{padding:12px 16px;border-bottom:1px solid #ddd}.md-subject{font-size:18px;margin:0}.md-count{color:#666;font-size:12px}
.md-msg{border-bottom:1px solid #ddd}.md-msg-h{margin:0;font-size:14px}
.md-toggle{all:unset;display:flex;gap:8px;width:100%;box-sizing:border-box;padding:8px 16px}.md-from{font-weight:600}.md-preview{flex:1;color:#666;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}.md-date{color:#666}
.md-toggle[aria-expanded="true"] .md-preview{visibility:hidden}
.md-meta{margin:0;padding:4px 16px;color:#444}.md-meta dt{float:left;clear:left;width:4em;color:#777}.md-meta dd{margin-left:4.5em}
.md-banner{padding:6px 16px;background:#fff4ce}.md-warn,.md-error{padding:6px 16px;background:#fde7e9}
.md-body{padding:8px 16px;overflow:auto;contain:layout paint;position:relative;isolation:isolate}.md-part{display:block;position:relative;contain:layout paint;overflow:auto;isolation:isolate}.md-part+.md-part{border-top:1px dashed #ccc}
.md-atts{padding:4px 16px 8px 32px;color:#444}
`;
