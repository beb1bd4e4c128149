/**
 * The engine's handlers for reading (src/extension/threadView.ts, messageList.ts, mailFocus.ts): message lists, threads, rendered messages, search, source (src/shared/protocol/engineAreas/reading.ts).
 * Parsing and sanitising happen here, so a window only ever receives the finished page.
 */
import type { MailDesk } from '../../core/maildesk';
import { toMailError } from '../../core/errors';
import { searchMessages } from '../../core/search/search';
import { searchOnServer } from '../../core/search/serverSearch';
import { resolveDraftsFolder } from '../../core/send/rules';
import type { MessageRow } from '../../core/store/store';
import { threadPageHtml, webviewCsp } from '../../core/threads/page';
import { markRead, openMessage, setSenderAllowsRemote, type OpenedMessage } from '../../core/threads/reading';
import { listThreads, threadKeyOf, threadMessages } from '../../core/threads/threads';
import { threadToolbarHtml } from '../../core/threads/toolbar';
import { defaultExpanded, loadThreadView } from '../../core/threads/view';
import type { MessageListItem } from '../../shared/protocol/messageList';
import type { ReadingRequests, ThreadPageParams, ThreadPageResult } from '../../shared/protocol/engineAreas/reading';
import type { Engine } from '../engine';
import type { HandlersFor } from '../handlers';

export function readingHandlers(engine: Engine, core: MailDesk): HandlersFor<ReadingRequests> {
  void engine;
  const store = core.store;
  const opened = new OpenedCache();
  return {
    'reading/listPage': (p) => {
      const folder = store.getFolderById(p.folderId);
      if (!folder) return null;
      // One row more than shown tells whether "Load more" has anything to load.
      const items: MessageListItem[] = p.grouped
        ? listThreads(store, folder.id, { limit: p.limit + 1, offset: 0 }).map((t) => ({ ...toItem(t.newest), unread: t.unread > 0, flagged: t.flagged, hasAttachments: t.hasAttachments, threadCount: t.count }))
        : store.listMessages(folder.id, { limit: p.limit + 1, offset: 0 }).map(toItem);
      return {
        folder,
        account: store.getAccount(folder.accountId) ?? null,
        items: items.slice(0, p.limit),
        hasMore: items.length > p.limit,
        drafts: resolveDraftsFolder(store.listFolders(folder.accountId))?.id === folder.id,
      };
    },
    'reading/folder': (p) => store.getFolderById(p.folderId) ?? null,
    'reading/toggleFlag': (p) => {
      const m = store.getMessage(p.messageId, p.folderId);
      if (!m) return null;
      const has = m.flags.some((f) => f.toLowerCase() === p.flag.toLowerCase());
      core.setFlags(p.messageId, p.folderId, has ? [] : [p.flag], has ? [p.flag] : []);
      return null;
    },
    'reading/markRead': (p) => {
      const m = store.getMessage(p.messageId, p.folderId);
      return m ? markRead(core, { id: m.id, folderId: p.folderId, flags: m.flags }) : false;
    },
    'reading/locate': (p) => {
      const m = store.getMessage(p.messageId, p.folderId) ?? store.getMessage(p.messageId);
      const threadKey = threadKeyOf(store, p.messageId);
      return m && threadKey ? { accountId: m.accountId, threadKey, folderId: m.folderId ?? p.folderId } : null;
    },
    'reading/thread': (p) => threadPage(core, p, opened),
    'reading/threadIds': (p) => threadMessages(store, p.accountId, p.threadKey, { keepFolderId: p.keepFolderId }).map((m) => m.id),
    'reading/allowSender': (p) => (setSenderAllowsRemote(store, p.address, true), null),
    'reading/attachment': async (p) => {
      const o = opened.get(p.messageId) ?? (await openMessage(core, p.messageId, p.folderId, { allowRemote: false }));
      const a = o.rendered.parsed.attachments.find((x) => x.id === p.attachmentId);
      return a ? { filename: a.filename, contentBase64: Buffer.from(a.content).toString('base64') } : null;
    },
    'reading/source': async (p) => (await core.messageSource(p.messageId, p.folderId)).toString('utf8'),
    'reading/search': (p) => (p.query.trim() ? searchMessages(store, p.query, { limit: p.limit }) : []),
    'reading/searchServer': async (p) => {
      const results = (await Promise.all(store.listAccounts().map((a) => searchOnServer(core, a.id, p.query)))).flat();
      return {
        found: results.reduce((n, r) => n + r.messageIds.length, 0),
        errors: results.filter((r) => r.error).map((r) => ({ folderPath: r.folder.path, error: r.error! })),
      };
    },
  };
}

/**
 * The conversation's page: every message's headers, the newest bodies parsed and sanitised
 * (src/core/threads/view.ts), put into one page with the asking webview's policy; then the
 * expanded messages are marked read when the user has that setting on.
 */
async function threadPage(core: MailDesk, p: ThreadPageParams, opened: OpenedCache): Promise<ThreadPageResult> {
  const expanded = p.expanded ? new Set(p.expanded) : defaultExpanded(threadMessages(core.store, p.accountId, p.threadKey, { keepFolderId: p.keepFolderId }), p.clicked);
  const view = await loadThreadView(core, p.accountId, p.threadKey, { expanded, remoteAllowed: new Set(p.remoteAllowed), keepFolderId: p.keepFolderId }, opened.asMap());
  opened.keep(view.opened);
  const seen = (flags: string[], flag: string): boolean => flags.some((f) => f.toLowerCase() === flag);
  const html = view.rows.length
    ? threadPageHtml(view.subject, view.messages, {
        pro: p.pro,
        toolbar: threadToolbarHtml({ unread: view.rows.some((r) => !seen(r.flags, '\\seen')), flagged: view.rows.some((r) => seen(r.flags, '\\flagged')) }),
        csp: webviewCsp(p.webview.cspSource, p.webview.nonce, view.remoteOrigins, p.webview.codiconCssHref !== undefined),
        script: { src: p.webview.scriptSrc, nonce: p.webview.nonce },
        cssHref: p.webview.cssHref,
        codiconsHref: p.webview.codiconCssHref,
        interactive: true,
      })
    : '';
  const wire = view.rows.map((r) => ({ id: r.id, folderId: r.folderId, folderIds: r.folderIds, flags: [...r.flags], fromAddr: r.fromAddr, subject: r.subject }));
  const warnings: string[] = [];
  if (p.markRead) {
    for (const r of view.rows) {
      if (!expanded.has(r.id)) continue;
      try {
        markRead(core, r);
      } catch (e) {
        warnings.push(`marking message ${r.id} read failed: ${toMailError(e).describe()}`);
      }
    }
  }
  return { subject: view.subject, rows: wire, expanded: [...expanded], html, warnings };
}

/**
 * Recently opened messages (raw and rendered), so re-rendering a conversation (Load remote
 * content, a new reply) and saving an attachment do not parse the same mail again. Bounded by
 * count and by raw size: a few large messages do not pin memory.
 */
class OpenedCache {
  private readonly map = new Map<number, OpenedMessage>();
  constructor(
    private readonly maxEntries = 100,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get(id: number): OpenedMessage | undefined {
    return this.map.get(id);
  }

  /** A copy for loadThreadView to look in (it checks the remote-content choice itself). */
  asMap(): Map<number, OpenedMessage> {
    return new Map(this.map);
  }

  keep(fresh: Map<number, OpenedMessage>): void {
    for (const [id, o] of fresh) {
      this.map.delete(id);
      this.map.set(id, o);
    }
    let bytes = 0;
    for (const o of this.map.values()) bytes += o.raw.length;
    for (const [id, o] of this.map) {
      if (this.map.size <= this.maxEntries && bytes <= this.maxBytes) break;
      this.map.delete(id);
      bytes -= o.raw.length;
    }
  }
}

function toItem(m: MessageRow): MessageListItem {
  const lower = m.flags.map((f) => f.toLowerCase());
  return {
    id: m.id,
    from: m.fromName || m.fromAddr || '(unknown sender)',
    fromAddr: m.fromAddr,
    subject: m.subject || '(no subject)',
    date: m.date,
    unread: !lower.includes('\\seen'),
    flagged: lower.includes('\\flagged'),
    hasAttachments: m.hasAttachments,
    to: recipients(m.data.to),
  };
}

/** "Ann, bob@x.test" from the stored To list (names where known). */
function recipients(v: unknown): string {
  if (!Array.isArray(v)) return '';
  return v
    .map((a: unknown) => (a && typeof a === 'object' ? String((a as { name?: string }).name || (a as { address?: string }).address || '') : typeof a === 'string' ? a : ''))
    .filter(Boolean)
    .join(', ');
}
