/**
 * The thread view's model, built in the host from the store and the fetched bodies, and
 * the page for one `.eml` file as `maildesk render` prints it. Both go through
 * `threadPageHtml`, so the CLI output is the reader's output.
 */
import { toMailError } from '../errors';
import type { Address } from '../mime/parse';
import { renderMessage } from '../render/render';
import { openMessage, remoteAllowedSenders, type OpenedMessage, type ReadingCore } from './reading';
import { remoteOrigins, STANDALONE_CSS, standaloneCsp, threadPageHtml, type PageMessage } from './page';
import { isSeen, threadMessages, type ThreadMessage } from './threads';

/** Bodies fetched for one view at most; older messages of a longer thread show their headers. */
export const MAX_BODIES_PER_VIEW = 50;

export interface ThreadViewState {
  /** Message ids shown expanded (default: the newest and the unread ones). */
  expanded?: Set<number>;
  /** Message ids the user allowed remote content for ("Load for this message"). */
  remoteAllowed: Set<number>;
  /** The folder the thread was opened from (its copies are preferred, Trash shown if it is Trash). */
  keepFolderId?: number;
}

export interface ThreadView {
  subject: string;
  accountId: string;
  threadKey: string;
  rows: ThreadMessage[];
  messages: PageMessage[];
  /** Fetched and parsed messages, by id (attachments are saved from these). */
  opened: Map<number, OpenedMessage>;
  /** Whether any message on the page may load remote images. */
  anyRemote: boolean;
  /** The CSP sources of what those messages load: the page's img-src opens these and no other. */
  remoteOrigins: string[];
}

function addressesOf(v: unknown): Address[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((a): a is { name?: string; address?: string } => !!a && typeof a === 'object')
    .map((a) => ({ name: a.name ?? '', address: a.address ?? '' }))
    .filter((a) => a.address || a.name);
}

/** Which messages start expanded: the newest, every unread one, and the one the user clicked. */
export function defaultExpanded(rows: ThreadMessage[], clicked?: number): Set<number> {
  const s = new Set<number>();
  if (rows.length) s.add(rows[rows.length - 1].id);
  for (const r of rows) if (!isSeen(r)) s.add(r.id);
  if (clicked !== undefined) s.add(clicked);
  return s;
}

/**
 * Loads a thread for display: every message's headers, and the bodies of the newest
 * MAX_BODIES_PER_VIEW (fetched from the server on first open, from the blob store after).
 * A body that cannot be fetched shows the reason in its place; the rest still shows.
 */
export async function loadThreadView(
  core: ReadingCore,
  accountId: string,
  threadKey: string,
  state: ThreadViewState,
  cache: Map<number, OpenedMessage> = new Map(),
): Promise<ThreadView> {
  const store = core.store;
  const rows = threadMessages(store, accountId, threadKey, { keepFolderId: state.keepFolderId });
  const expanded = state.expanded ?? defaultExpanded(rows);
  const allowedSenders = new Set(remoteAllowedSenders(store));
  const folderNames = new Map<number, string>();
  const folderName = (id: number): string => {
    if (!folderNames.has(id)) {
      const f = store.getFolderById(id);
      folderNames.set(id, f ? f.name || f.path : '');
    }
    return folderNames.get(id)!;
  };
  const spansFolders = new Set(rows.flatMap((r) => r.folderIds)).size > 1;
  const opened = new Map<number, OpenedMessage>();
  const messages: PageMessage[] = [];
  let anyRemote = false;
  const loads: string[] = [];
  const withBodies = new Set(rows.slice(-MAX_BODIES_PER_VIEW).map((r) => r.id));
  for (const row of rows) {
    const remoteAllowed = state.remoteAllowed.has(row.id) || allowedSenders.has(row.fromAddr.toLowerCase());
    let o: OpenedMessage | undefined;
    let error: string | undefined;
    if (withBodies.has(row.id)) {
      const c = cache.get(row.id);
      try {
        o = c && c.rendered.allowRemote === remoteAllowed ? c : await openMessage(core, row.id, row.folderId, { allowRemote: remoteAllowed });
      } catch (e) {
        error = `The message could not be downloaded: ${toMailError(e, 'fetching the message').describe()}`;
      }
    } else {
      error = 'This older message is not shown; open it from the message list to read it.';
    }
    if (o) opened.set(row.id, o);
    if (remoteAllowed && o) {
      anyRemote = true;
      for (const b of o.rendered.bodies) loads.push(...(b.loaded ?? []));
    }
    const p = o?.rendered.parsed;
    messages.push({
      id: row.id,
      from: p?.from ?? (row.fromAddr || row.fromName ? { name: row.fromName, address: row.fromAddr } : undefined),
      to: p?.to ?? addressesOf(row.data.to),
      cc: p?.cc ?? addressesOf(row.data.cc),
      date: row.date || p?.date?.getTime(),
      unread: !isSeen(row),
      expanded: expanded.has(row.id),
      folderNames: spansFolders ? row.folderIds.map(folderName).filter(Boolean) : [],
      rendered: o?.rendered,
      error,
      preview: previewOf(p?.text ?? (typeof row.data.snippet === 'string' ? row.data.snippet : '')),
      remoteAllowed,
    });
  }
  const subject = rows.length ? rows[0].subject || rows[rows.length - 1].subject : '';
  return { subject, accountId, threadKey, rows, messages, opened, anyRemote, remoteOrigins: remoteOrigins(loads) };
}

function previewOf(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 140);
}

/**
 * `maildesk render FILE.eml`: the message as the thread view shows it (same parser, same
 * sanitiser, same page builder), as a standalone page whose CSP allows no script and no
 * network request unless `allowRemote`.
 */
export async function renderEmlPage(raw: Buffer, allowRemote: boolean): Promise<{ html: string; blocked: number }> {
  const rendered = await renderMessage(raw, { allowRemote });
  const p = rendered.parsed;
  const page: PageMessage = {
    id: 1,
    from: p.from,
    to: p.to,
    cc: p.cc,
    date: p.date?.getTime(),
    unread: false,
    expanded: true,
    folderNames: [],
    rendered,
    preview: previewOf(p.text ?? ''),
    remoteAllowed: allowRemote,
  };
  const html = threadPageHtml(p.subject, [page], {
    csp: standaloneCsp(allowRemote),
    interactive: false,
    inlineCss: STANDALONE_CSS,
    formatDate: (ms) => new Date(ms).toUTCString(),
  });
  return { html, blocked: rendered.blockedCount };
}
