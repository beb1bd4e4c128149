/**
 * The mailbox as an agent sees it: search, read a conversation, list unread mail and
 * folders, save drafts, mark and archive. Every call asks `agentAccess` first, so a
 * mailbox with AI off never appears in a result and cannot be named. Results are plain
 * JSON (they cross the MCP pipe and, later, the engine protocol): no rows, no buffers,
 * never a password, token or account setting. Nothing here sends or deletes mail.
 */
import type { SqlValue } from 'sql.js';
import { messageForModel } from '../ai/service';
import { stripQuoted, stripSignature } from '../ai/trim';
import { withDeadline } from '../deadline';
import type { DraftRef } from '../drafts/drafts';
import { toMailError } from '../errors';
import { parseMessage } from '../mime/parse';
import type { MailProvider } from '../providers/provider';
import { textToSafeHtml } from '../render/text';
import { toMatchExpression, indexBody, isBodyIndexed } from '../search/search';
import { catchUpIndex } from '../search/indexer';
import { replyDraft, type Draft } from '../send/compose';
import type { AccountRow, FolderRow, MailStore } from '../store/store';
import { threadMessages } from '../threads/threads';
import { archiveSource } from '../triage/gmailLabels';
import { agentAccess, type AgentAccess } from './access';
import { isEmptyQuery, parseAgentQuery, QueryError, type AgentQuery } from './query';

/** What the agent mailbox needs of the core (MailDesk satisfies it). */
export interface AgentCore {
  readonly store: MailStore;
  messageSource(messageId: number, folderId: number): Promise<Buffer>;
  setFlags(messageId: number, folderId: number, add: string[], remove: string[]): void;
  moveMessage(messageId: number, fromFolderId: number, toPath: string): void;
  saveDraft(accountId: string, draft: Draft, opts?: { remote?: boolean }): Promise<DraftRef>;
  provider(accountId: string): MailProvider;
}

/** A refusal the agent reads as the tool's answer: what is wrong and what to do instead. */
export class AgentRefusal extends Error {}

export interface AgentMessage {
  /** Pass to read_thread, draft_reply, mark or archive. */
  id: string;
  account: string;
  folder: string;
  from: string;
  subject: string;
  /** ISO 8601. */
  date: string;
  unread: boolean;
  flagged: boolean;
  hasAttachments: boolean;
  snippet: string;
}

export interface AgentSearchInput {
  query: string;
  /** Account id or e-mail address; all visible mailboxes when absent. */
  account?: string;
  limit?: number;
  /** Also ask the server (mail not synced, bodies not downloaded yet). Default true. */
  server?: boolean;
}

export interface AgentSearchResult {
  messages: AgentMessage[];
  /** Why a server search was incomplete, per folder (never mail content). */
  notes: string[];
}

export interface AgentThreadMessage {
  id: string;
  from: string;
  to?: string;
  cc?: string;
  date?: string;
  subject?: string;
  folders: string[];
  unread: boolean;
  /** Plain text, without quoted history and signature. */
  text: string;
  /** File names only: contents are never read. */
  attachments: string[];
}

export interface AgentThread {
  account: string;
  subject: string;
  messages: AgentThreadMessage[];
  /** Set when a message was cut to keep the answer a reasonable size. */
  truncated: boolean;
}

export interface AgentFolder {
  path: string;
  role: string | null;
  synced: boolean;
  messages: number;
  unread: number;
}

export interface AgentMailboxInfo {
  account: string;
  email: string;
  name?: string;
  folders: AgentFolder[];
}

export interface AgentUnreadFolder {
  account: string;
  folder: string;
  unread: number;
  messages: AgentMessage[];
}

export interface AgentDraftInput {
  /** draft_reply: the message answered. */
  replyTo?: string;
  replyAll?: boolean;
  /** draft_message: the mailbox it is written from (account id or address). */
  account?: string;
  to?: string[];
  cc?: string[];
  subject?: string;
  body: string;
  /** Continue a draft made before (its id from an earlier answer). */
  draftId?: string;
}

export interface AgentDraftResult {
  draftId: string;
  account: string;
  subject: string;
  to: string[];
  cc: string[];
  /** 'saved': in the server's Drafts; 'failed': kept on this computer only (see serverError). */
  server: DraftRef['server'];
  serverError?: string;
}

export type MarkAction = 'read' | 'unread' | 'flag' | 'unflag';

export interface AgentChangeResult {
  id: string;
  ok: boolean;
  detail: string;
}

export interface AgentStatus {
  enabled: boolean;
  reason: string;
  mailboxes: Array<{ account: string; email: string }>;
}

/** One entry of the recent-calls log: who called which tool and when, never what with. */
export interface AgentCallRecord {
  client: string;
  tool: string;
  calls: number;
  errors: number;
  lastAt: number;
  lastOk: boolean;
}

/** Where the tools are offered in the window or process hosting this data folder. */
export interface AgentHostInfo {
  surface: 'vscode' | 'cli';
  tools: number;
  participant: boolean;
  mcpProvider: boolean;
  at: number;
}

const CALLS_KEY = 'agent.calls';
const HOST_KEY = 'agent.host';
const MAX_CALL_RECORDS = 30;
/** Per message and per answer: enough for a long conversation, not a whole mailbox. */
const MAX_MESSAGE_CHARS = 20_000;
const MAX_THREAD_CHARS = 120_000;
const SERVER_SEARCH_MS = 15_000;
const HIDDEN_ROLES = ['trash', 'junk'];
/** Not where unread mail waits for an answer; Gmail's All Mail, Starred and Important repeat the Inbox. */
const NOT_UNREAD_ROLES = ['sent', 'drafts', 'trash', 'junk', 'all', 'flagged', 'important'];

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function parseId(id: string, what = 'message'): number {
  const n = Number(String(id).trim());
  if (!Number.isSafeInteger(n) || n <= 0) throw new AgentRefusal(`"${id}" is not a ${what} id: use an id from search_mail or list_unread`);
  return n;
}

export class AgentMailbox {
  constructor(
    private readonly core: AgentCore,
    private readonly settings: () => Record<string, unknown>,
  ) {}

  private get store(): MailStore {
    return this.core.store;
  }

  access(): AgentAccess {
    return agentAccess(this.settings(), this.store.listAccounts());
  }

  status(): AgentStatus {
    const a = this.access();
    return { enabled: a.enabled && a.visible.length > 0, reason: a.reason, mailboxes: a.visible.map((x) => ({ account: x.id, email: x.config.email })) };
  }

  /** The mailboxes a call may touch: one named (by id or address) or every visible one. */
  private scope(account?: string): AccountRow[] {
    const a = this.access();
    if (!a.enabled || !a.visible.length) throw new AgentRefusal(a.reason);
    if (!account?.trim()) return a.visible;
    const key = account.trim().toLowerCase();
    const found = a.visible.find((x) => x.id.toLowerCase() === key || x.config.email.toLowerCase() === key);
    // A mailbox with AI off gets the same answer as one that does not exist.
    if (!found) throw new AgentRefusal(`there is no mailbox "${account}"; the mailboxes are: ${a.visible.map((x) => `${x.id} (${x.config.email})`).join(', ')}`);
    return [found];
  }

  /** A message by id, only if its mailbox is visible; with the folder it is best reached in. */
  private message(id: string): { messageId: number; account: AccountRow; folder: FolderRow } {
    const messageId = parseId(id);
    const visible = this.scope();
    const m = this.store.getMessage(messageId);
    const account = m && visible.find((a) => a.id === m.accountId);
    const folderId = account ? this.bestFolder(messageId) : undefined;
    const folder = folderId !== undefined ? this.store.getFolderById(folderId) : undefined;
    if (!account || !folder) throw new AgentRefusal(`there is no message ${id} (it may have been deleted or moved); search again for its current id`);
    return { messageId, account, folder };
  }

  private bestFolder(messageId: number): number | undefined {
    return this.store.agent.bestFolder(messageId);
  }

  /** Folders matching `in:` in one account: exact path, then name, then role ("inbox", "spam"). */
  private matchFolders(accountId: string, wanted: string): FolderRow[] {
    const w = wanted.toLowerCase();
    const role = w === 'spam' ? 'junk' : w === 'deleted' ? 'trash' : w === 'starred' ? 'flagged' : w;
    const folders = this.store.listFolders(accountId);
    const byPath = folders.filter((f) => f.path.toLowerCase() === w);
    if (byPath.length) return byPath;
    const byName = folders.filter((f) => f.name.toLowerCase() === w);
    if (byName.length) return byName;
    return folders.filter((f) => f.role === role);
  }

  private toAgentMessages(rows: Array<Record<string, SqlValue>>): AgentMessage[] {
    return rows.map((r) => ({
      id: String(r.id),
      account: r.account_id as string,
      folder: (r.folder_path as string) ?? '',
      from: r.from_name && r.from_addr && r.from_name !== r.from_addr ? `${r.from_name} <${r.from_addr}>` : String(r.from_addr || r.from_name || ''),
      subject: (r.subject as string) || '',
      date: iso((r.date as number) ?? 0),
      unread: r.seen === 0,
      flagged: r.flagged === 1,
      hasAttachments: r.has_attachments === 1,
      snippet: String(r.snip ?? '').replace(/\s+/g, ' ').trim().slice(0, 240),
    }));
  }

  /**
   * Messages matching the query, newest first. The local index knows headers and the bodies
   * downloaded so far; free words are also asked of the server (IMAP SEARCH, the Gmail and
   * Graph search), which reads every body, and what it finds is stored like a sync would.
   */
  async search(input: AgentSearchInput): Promise<AgentSearchResult> {
    let q: AgentQuery;
    try {
      q = parseAgentQuery(input.query ?? '');
    } catch (e) {
      if (e instanceof QueryError) throw new AgentRefusal(e.message);
      throw e;
    }
    if (isEmptyQuery(q)) throw new AgentRefusal('the query is empty: give words to look for, or filters such as from:, subject:, after:, is:unread or in:inbox');
    const accounts = this.scope(input.account);
    const limit = Math.min(Math.max(1, Math.floor(input.limit ?? 20)), 100);
    const folderIds = new Map<string, number[]>();
    if (q.folder) {
      for (const a of accounts) folderIds.set(a.id, this.matchFolders(a.id, q.folder).map((f) => f.id));
      if (![...folderIds.values()].some((l) => l.length)) {
        const names = accounts.flatMap((a) => this.store.listFolders(a.id).map((f) => f.path));
        throw new AgentRefusal(`no folder "${q.folder}"; the folders are: ${[...new Set(names)].join(', ')} (list_folders shows them per mailbox)`);
      }
    }
    const notes: string[] = [];
    catchUpIndex(this.store);
    const local = this.query(q, accounts, folderIds, limit, { match: true });
    // A full page from the local index needs no server; otherwise free words may be in bodies not downloaded yet.
    const fromServer = input.server !== false && q.words.length && local.length < limit ? await this.searchServers(q, accounts, folderIds, limit, notes) : [];
    const seen = new Set(local.map((r) => r.id));
    // The server matched these on text the local index may not have: filter them by everything else.
    const extra = fromServer.length ? this.query(q, accounts, folderIds, limit, { ids: fromServer.filter((id) => !seen.has(id)) }).filter((r) => this.fieldsMatch(q, r)) : [];
    const rows = [...local, ...extra].sort((a, b) => (b.date as number) - (a.date as number)).slice(0, limit);
    return { messages: this.toAgentMessages(rows), notes };
  }

  /**
   * The local query: full-text match (or the given ids) plus every filter, newest first.
   * Two steps: the matching ids first (cheap even when thousands match), then snippets and
   * folders for the page only; computing `snippet()` for every match cost 14 s on 10k messages.
   */
  private query(q: AgentQuery, accounts: AccountRow[], folderIds: Map<string, number[]>, limit: number, by: { match: true } | { ids: number[] }): Array<Record<string, SqlValue>> {
    let match: string | undefined;
    if (!('ids' in by)) {
      match = q.text ? toMatchExpression(q.text) : undefined;
      if (q.text && !match) return [];
    }
    return this.store.agent.find(
      {
        ids: 'ids' in by ? by.ids : undefined,
        match,
        accountIds: accounts.map((a) => a.id),
        after: q.after,
        before: q.before,
        unread: q.unread,
        flagged: q.flagged,
        hasAttachment: q.hasAttachment,
        // Local drafts and Sent entries of this computer are mail too; trash and spam only when asked for.
        folderIds: q.folder ? accounts.flatMap((a) => folderIds.get(a.id) ?? []) : undefined,
        hiddenRoles: HIDDEN_ROLES,
      },
      limit,
    );
  }

  /** Field words (from:, to:, subject:) checked on headers, for what the server matched on words. */
  private fieldsMatch(q: AgentQuery, r: Record<string, SqlValue>): boolean {
    const has = (hay: string, words: string[]) => words.every((w) => hay.toLowerCase().includes(w));
    let data: { to?: Array<{ name?: string; address?: string }>; cc?: Array<{ name?: string; address?: string }> } = {};
    try {
      data = JSON.parse(String(r.data ?? '{}')) as typeof data;
    } catch {
      // no recipients known
    }
    const to = [...(data.to ?? []), ...(data.cc ?? [])].map((a) => `${a.name ?? ''} ${a.address ?? ''}`).join(' ');
    return has(`${r.from_name ?? ''} ${r.from_addr ?? ''}`, q.fields.from) && has(to, q.fields.to) && has(String(r.subject ?? ''), q.fields.subject);
  }

  /** The providers' own search over the folders in scope; returns the stored ids of what matched. */
  private async searchServers(q: AgentQuery, accounts: AccountRow[], folderIds: Map<string, number[]>, limit: number, notes: string[]): Promise<number[]> {
    const ids: number[] = [];
    const text = q.words.join(' ');
    await Promise.all(
      accounts.map(async (a) => {
        let provider: MailProvider;
        try {
          provider = this.core.provider(a.id);
        } catch {
          return;
        }
        if (!provider.searchRemote) return;
        const folders = q.folder
          ? (folderIds.get(a.id) ?? []).map((id) => this.store.getFolderById(id)).filter((f): f is FolderRow => !!f && f.remoteExists)
          : this.store.listFolders(a.id).filter((f) => f.remoteExists && f.selected && !HIDDEN_ROLES.includes(f.role ?? ''));
        for (const folder of folders.slice(0, 10)) {
          try {
            const found = await withDeadline(provider.searchRemote(folder, text, limit), SERVER_SEARCH_MS, `search in ${folder.path}`);
            if (!found.length) continue;
            this.store.upsertMessages(folder.id, found);
            for (const m of found) {
              const row = m.uid !== undefined ? this.store.getMessageByUid(folder.id, m.uid) : undefined;
              const id = row?.id ?? this.store.messages.idByProviderId(a.id, m.providerId);
              if (id !== undefined) ids.push(id);
            }
          } catch (e) {
            notes.push(`${a.id}/${folder.path}: the server search failed (${toMailError(e).message}); only mail already on this computer was searched there`);
          }
        }
      }),
    );
    return ids;
  }

  /** The conversation of a message as plain text, oldest first, quotes and signatures trimmed. */
  async readThread(input: { id: string }): Promise<AgentThread> {
    const { messageId, account } = this.message(input.id);
    const key = this.store.messages.threadKeyOf(messageId) ?? `#${messageId}`;
    let rows = threadMessages(this.store, account.id, key);
    // A message only in Trash is still readable by its own id.
    if (!rows.some((r) => r.id === messageId)) rows = threadMessages(this.store, account.id, `#${messageId}`, { keepFolderId: this.bestFolder(messageId) });
    const messages: AgentThreadMessage[] = [];
    let budget = MAX_THREAD_CHARS;
    let truncated = false;
    // Newest first while there is room, so a long conversation keeps its latest messages.
    for (const r of [...rows].reverse()) {
      const folders = r.folderIds.map((id) => this.store.getFolderById(id)?.path).filter((p): p is string => !!p);
      const base = { id: String(r.id), folders, unread: !r.flags.some((f) => f.toLowerCase() === '\\seen') };
      if (budget <= 0) {
        truncated = true;
        messages.push({ ...base, from: r.fromName ? `${r.fromName} <${r.fromAddr}>` : r.fromAddr, date: iso(r.date), subject: r.subject, text: '[older message left out: the conversation is long]', attachments: [] });
        continue;
      }
      let raw: Buffer;
      try {
        raw = await this.core.messageSource(r.id, r.folderId);
      } catch (e) {
        messages.push({ ...base, from: r.fromName ? `${r.fromName} <${r.fromAddr}>` : r.fromAddr, date: iso(r.date), subject: r.subject, text: `[the text could not be downloaded: ${toMailError(e).message}]`, attachments: [] });
        continue;
      }
      const parsed = await parseMessage(raw);
      if (!isBodyIndexed(this.store, r.id)) indexBody(this.store, r.id, parsed.text ?? '');
      const m = messageForModel(parsed);
      let text = stripSignature(stripQuoted(m.text));
      const cap = Math.min(MAX_MESSAGE_CHARS, budget);
      if (text.length > cap) {
        text = `${text.slice(0, cap)}\n[…the rest of this message was left out]`;
        truncated = true;
      }
      budget -= text.length;
      messages.push({ ...base, from: m.from, to: m.to, cc: m.cc, date: m.date, subject: m.subject, text, attachments: m.attachments ?? [] });
    }
    messages.reverse();
    return { account: account.id, subject: rows[rows.length - 1]?.subject ?? '', messages, truncated };
  }

  /** Unread mail per folder, newest first: Inbox and the other synced folders, not Sent, Drafts, Trash, Spam or Gmail's views of the Inbox. */
  async listUnread(input: { account?: string; folder?: string; limit?: number }): Promise<AgentUnreadFolder[]> {
    const accounts = this.scope(input.account);
    const limit = Math.min(Math.max(1, Math.floor(input.limit ?? 20)), 100);
    const out: AgentUnreadFolder[] = [];
    for (const a of accounts) {
      const folders = input.folder?.trim()
        ? this.matchFolders(a.id, input.folder.trim())
        : this.store.listFolders(a.id).filter((f) => f.selected && !NOT_UNREAD_ROLES.includes(f.role ?? ''));
      for (const f of folders) {
        const total = this.store.agent.unreadCount(f.id);
        if (!total) continue;
        const rows = this.store.agent.unreadPage(f.id, f.path, limit);
        out.push({ account: a.id, folder: f.path, unread: total, messages: this.toAgentMessages(rows) });
      }
    }
    if (input.folder?.trim() && !out.length && !accounts.some((a) => this.matchFolders(a.id, input.folder!.trim()).length)) {
      throw new AgentRefusal(`no folder "${input.folder}"; list_folders shows the folders of each mailbox`);
    }
    return out;
  }

  async listFolders(input: { account?: string }): Promise<AgentMailboxInfo[]> {
    return this.scope(input.account).map((a) => ({
      account: a.id,
      email: a.config.email,
      name: a.config.name || undefined,
      folders: this.store.listFolders(a.id).map((f) => {
        const c = this.store.localCounts(f.id);
        return { path: f.path, role: f.role, synced: f.selected, messages: f.selected ? c.total : (f.remoteTotal ?? c.total), unread: f.selected ? c.unread : (f.remoteUnread ?? c.unread) };
      }),
    }));
  }

  /** Saves a reply or a new message as a draft (here and in the server's Drafts). Never sends. */
  async saveDraft(input: AgentDraftInput): Promise<AgentDraftResult> {
    const body = String(input.body ?? '').replace(/\r\n?/g, '\n');
    if (!body.trim()) throw new AgentRefusal('the draft needs a body: the text to write');
    let account: AccountRow;
    let draft: Draft;
    if (input.replyTo) {
      const target = this.message(input.replyTo);
      account = target.account;
      const parent = await parseMessage(await this.core.messageSource(target.messageId, target.folder.id));
      const reply = replyDraft(parent, { all: input.replyAll === true, self: [account.config.email], from: { name: account.config.name || undefined, address: account.config.email } });
      draft = {
        ...reply,
        text: `${body}\n${reply.text ?? ''}`,
        html: `${textToSafeHtml(body).html}${reply.html ?? ''}`,
      };
      if (input.cc?.length) draft.cc = [...(draft.cc ?? []), ...input.cc];
    } else {
      const accounts = this.scope(input.account);
      if (accounts.length > 1) throw new AgentRefusal(`say which mailbox to write from (account): ${accounts.map((a) => `${a.id} (${a.config.email})`).join(', ')}`);
      account = accounts[0];
      if (!input.to?.length) throw new AgentRefusal('a new message needs at least one recipient (to)');
      draft = {
        from: { name: account.config.name || undefined, address: account.config.email },
        to: input.to,
        cc: input.cc,
        subject: input.subject ?? '',
        text: body,
        html: textToSafeHtml(body).html,
      };
    }
    if (input.replyTo && input.subject) draft.subject = input.subject;
    if (input.draftId) {
      const id = parseId(input.draftId, 'draft');
      const row = this.store.drafts.byId(id);
      if (!row || row.account_id !== account.id) throw new AgentRefusal(`there is no draft ${input.draftId} in ${account.id}; leave draftId out to start a new draft`);
      if (row.status !== 'draft') throw new AgentRefusal(`draft ${input.draftId} is being sent or failed to send; the user handles it in MailDesk, so leave draftId out to write a new draft`);
      draft.id = id;
    }
    const ref = await this.core.saveDraft(account.id, draft, { remote: true });
    const list = (v: Draft['to']): string[] => (v ?? []).map((x) => (typeof x === 'string' ? x : x.name ? `${x.name} <${x.address}>` : x.address));
    return { draftId: String(ref.id), account: account.id, subject: draft.subject ?? '', to: list(draft.to), cc: list(draft.cc), server: ref.server, serverError: ref.serverError };
  }

  /** Read, unread, flag or unflag: applied here at once and on the server by the next tasks run. */
  async mark(input: { ids: string[]; action: MarkAction }): Promise<AgentChangeResult[]> {
    const [add, remove] =
      input.action === 'read' ? [['\\Seen'], []] : input.action === 'unread' ? [[], ['\\Seen']] : input.action === 'flag' ? [['\\Flagged'], []] : input.action === 'unflag' ? [[], ['\\Flagged']] : [undefined, undefined];
    if (!add || !remove) throw new AgentRefusal(`"${input.action}" is not an action: use read, unread, flag or unflag`);
    this.scope();
    return this.each(input.ids, (t) => {
      this.core.setFlags(t.messageId, t.folder.id, add, remove);
      return `marked ${input.action}`;
    });
  }

  /** Moves messages to the mailbox's Archive folder (Gmail: out of the Inbox, into All Mail). */
  async archive(input: { ids: string[] }): Promise<AgentChangeResult[]> {
    this.scope();
    return this.each(input.ids, (t) => {
      const to = this.store.folderByRole(t.account.id, 'archive') ?? (t.account.config.provider === 'gmail' ? this.store.folderByRole(t.account.id, 'all') : undefined);
      if (!to) throw new AgentRefusal(`${t.account.id} has no Archive folder; the user can create one on the server (it is found by its \\Archive flag)`);
      if (t.folder.id === to.id) return `already in ${to.path}`;
      // Gmail's Archive takes the message out of Inbox only; its other labels stay.
      const from = archiveSource(this.store, t.messageId, t.folder);
      if (!from) return `not in the Inbox, so nothing to archive (Gmail's Archive only takes a message out of the Inbox; its labels stay)`;
      this.core.moveMessage(t.messageId, from.id, to.path);
      return `moved from ${from.path} to ${to.path}`;
    });
  }

  private each(ids: string[], fn: (t: { messageId: number; account: AccountRow; folder: FolderRow }) => string): AgentChangeResult[] {
    if (!ids?.length) throw new AgentRefusal('give at least one message id (from search_mail or list_unread)');
    if (ids.length > 100) throw new AgentRefusal('at most 100 messages at a time');
    return ids.map((id) => {
      try {
        return { id, ok: true, detail: fn(this.message(id)) };
      } catch (e) {
        return { id, ok: false, detail: e instanceof AgentRefusal ? e.message : toMailError(e).describe() };
      }
    });
  }

  // ---- who called (Troubleshoot) ------------------------------------------------------

  /** Notes that a client called a tool: its name and the outcome, never the input or the answer. */
  recordCall(client: string, tool: string, ok: boolean, now = Date.now()): void {
    const list = this.calls().filter((r) => !(r.client === client && r.tool === tool));
    const prev = this.calls().find((r) => r.client === client && r.tool === tool);
    list.unshift({ client: client.slice(0, 80), tool, calls: (prev?.calls ?? 0) + 1, errors: (prev?.errors ?? 0) + (ok ? 0 : 1), lastAt: now, lastOk: ok });
    this.store.setSetting(CALLS_KEY, JSON.stringify(list.slice(0, MAX_CALL_RECORDS)));
  }

  calls(): AgentCallRecord[] {
    return agentCalls(this.store);
  }

  /**
   * Notes where the tools were last registered, one record per surface: a `maildesk mcp` that
   * VS Code starts on the window's engine must not hide the window's own registration.
   */
  recordHost(info: Omit<AgentHostInfo, 'at'>, now = Date.now()): void {
    const bySurface = Object.fromEntries(agentHosts(this.store).map((h) => [h.surface, h]));
    bySurface[info.surface] = { ...info, at: now };
    this.store.setSetting(HOST_KEY, JSON.stringify(bySurface));
  }
}

/** Where the tools were registered on this data folder (Troubleshoot's `agent.tools`), newest first. */
export function agentHosts(store: MailStore): AgentHostInfo[] {
  let v: unknown;
  try {
    v = JSON.parse(store.getSetting(HOST_KEY) ?? 'null');
  } catch {
    return [];
  }
  const isHost = (x: unknown): x is AgentHostInfo => !!x && typeof (x as AgentHostInfo).surface === 'string' && typeof (x as AgentHostInfo).at === 'number';
  // One record for every surface; before, the last registration only.
  const list = isHost(v) ? [v] : v && typeof v === 'object' ? Object.values(v).filter(isHost) : [];
  return list.sort((a, b) => b.at - a.at);
}

/** The recent-calls log as Troubleshoot reads it, newest first. */
export function agentCalls(store: MailStore): AgentCallRecord[] {
  try {
    const v = JSON.parse(store.getSetting(CALLS_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? (v as AgentCallRecord[]).filter((r) => r && typeof r.client === 'string' && typeof r.tool === 'string') : [];
  } catch {
    return [];
  }
}
