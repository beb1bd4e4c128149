/**
 * Triage commands (archive, delete, move, spam, read/unread, flag, mark all read, undo) and
 * the keyboard commands of the list and the reading pane (j/k, x, Enter, u, r/a/f). They act
 * on what the user is in (src/extension/mailFocus.ts) or on the row a context menu was opened
 * on, through the engine's `triage/*` requests; every action offers Undo in its notification.
 */
import * as vscode from 'vscode';
import { MailError, toMailError } from '../core/errors';
import type { MessageKey, TriageAction, TriageResult } from '../core/triage/triage';
import { showMailError } from './notify';
import { type CursorMove, mailFocus, type TriageTarget } from './mailFocus';
import type { EngineClient } from '../engine/client';

export interface TriageDeps {
  /** This window's client of the engine: every read and action goes through it (src/shared/protocol/engine.ts). */
  engine: EngineClient;
  log: vscode.LogOutputChannel;
}

/** What a context menu passes: the row's data-vscode-context, or a tree item. */
function hintOf(arg: unknown): MessageKey | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  const o = arg as Record<string, unknown>;
  return Number.isSafeInteger(o.messageId) && Number.isSafeInteger(o.folderId) ? { messageId: o.messageId as number, folderId: o.folderId as number } : undefined;
}

/** A folder from the Mailboxes tree's context menu (FolderItem carries `folder`), or the list's folder. */
function folderOf(arg: unknown): number | undefined {
  if (arg && typeof arg === 'object') {
    const o = arg as { folder?: { id?: unknown }; folderId?: unknown };
    if (o.folder && Number.isSafeInteger(o.folder.id)) return o.folder.id as number;
    if (Number.isSafeInteger(o.folderId)) return o.folderId as number;
  }
  return mailFocus.list?.folderId;
}

/**
 * An explicit conversation (`conversation: true` beside messageId/folderId), as "Send + Archive"
 * passes the message it replied to: that conversation in that folder, whatever is selected.
 */
function conversationOf(arg: unknown): MessageKey | undefined {
  const hint = hintOf(arg);
  return hint && (arg as { conversation?: unknown }).conversation === true ? hint : undefined;
}

function currentTarget(arg: unknown): TriageTarget | undefined {
  const hint = hintOf(arg);
  const conversation = conversationOf(arg);
  if (conversation) return { keys: [conversation], wholeThread: true, accountId: '', folderId: conversation.folderId };
  const cur = mailFocus.current;
  if (cur?.kind === 'thread' && !hint) return cur.target();
  const list = mailFocus.list;
  if (list && (!hint || hint.folderId === list.folderId)) return list.target(hint);
  return hint ? { keys: [hint], wholeThread: false, accountId: '', folderId: hint.folderId } : undefined;
}

const MOVING = new Set(['archive', 'delete', 'move', 'junk', 'notJunk']);

export function registerTriage(deps: TriageDeps): vscode.Disposable[] {
  const { engine, log } = deps;

  const report = (what: string, e: unknown): void => {
    const err = toMailError(e, what);
    log.error(`${what}: ${err.describe()}`);
    void showMailError(vscode.l10n.t('MailDesk: {0} failed: {1}', what, err.describe()), log);
  };

  /** Shows the result with Undo; the notification is not awaited, so the next key works at once. */
  const announce = (r: TriageResult): void => {
    if (!r.count) {
      vscode.window.setStatusBarMessage(vscode.l10n.t('MailDesk: {0} (nothing to change)', r.label), 3000);
      return;
    }
    if (!r.undoId) {
      vscode.window.setStatusBarMessage(vscode.l10n.t('MailDesk: {0}', r.label), 5000);
      return;
    }
    const undoId = r.undoId;
    const undoButton = vscode.l10n.t('Undo');
    void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0}.', r.label), undoButton).then(async (choice) => {
      if (choice !== undoButton) return;
      await undo(undoId);
    });
  };

  const undo = async (undoId?: string): Promise<void> => {
    try {
      const u = await engine.request('triage/undo', { undoId });
      vscode.window.setStatusBarMessage(
        u.skipped ? vscode.l10n.t('MailDesk: {0} ({1} had changed since and were left as they are)', u.label, u.skipped) : vscode.l10n.t('MailDesk: {0}', u.label),
        5000,
      );
      if (!u.ok && !undoId) void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0}.', u.label));
    } catch (e) {
      report(vscode.l10n.t('Undo'), e);
    }
  };

  const run = async (action: TriageAction, arg: unknown, what: string): Promise<void> => {
    const t = currentTarget(arg);
    if (!t || !t.keys.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0}: select a message in a MailDesk list (or open a conversation) first.', what));
      return;
    }
    // An explicit conversation closes the conversation view only if that is the one it shows.
    const explicit = conversationOf(arg) !== undefined;
    const fromThread = explicit ? mailFocus.thread : mailFocus.current?.kind === 'thread' ? mailFocus.current : undefined;
    try {
      let r = await engine.request('triage/apply', { keys: t.keys, action, opts: { wholeThread: t.wholeThread } });
      if (!r.ok && r.confirm && action.kind === 'delete') {
        const deleteForGood = vscode.l10n.t('Delete for Good');
        const ok = await vscode.window.showWarningMessage(r.confirm, { modal: true }, deleteForGood);
        if (ok !== deleteForGood) return;
        r = await engine.request('triage/apply', { keys: t.keys, action: { kind: 'delete', permanent: true }, opts: { wholeThread: t.wholeThread } });
      }
      if (MOVING.has(action.kind) && r.count) {
        const gone = new Set([...r.moved.map((m) => m.messageId), ...t.keys.map((k) => k.messageId)]);
        mailFocus.moved(gone);
        // Out of this folder: the conversation view closes and the list takes the keyboard again.
        if (fromThread && (!explicit || fromThread.target()?.keys.some((k) => gone.has(k.messageId)))) {
          fromThread.close();
          fromThread.list?.reveal();
        }
      }
      announce(r);
    } catch (e) {
      report(what, e);
    }
  };

  const deletePermanently = async (arg: unknown): Promise<void> => {
    const t = currentTarget(arg);
    if (!t) return;
    const n = t.keys.length;
    const question =
      n === 1
        ? t.wholeThread
          ? vscode.l10n.t('Delete this conversation for good? This cannot be undone.')
          : vscode.l10n.t('Delete this message for good? This cannot be undone.')
        : t.wholeThread
          ? vscode.l10n.t('Delete these {0} conversations for good? This cannot be undone.', n)
          : vscode.l10n.t('Delete these {0} messages for good? This cannot be undone.', n);
    const deleteForGood = vscode.l10n.t('Delete for Good');
    const ok = await vscode.window.showWarningMessage(question, { modal: true }, deleteForGood);
    if (ok === deleteForGood) await run({ kind: 'delete', permanent: true }, arg, vscode.l10n.t('Delete'));
  };

  const moveTo = async (arg: unknown): Promise<void> => {
    const t = currentTarget(arg);
    if (!t) return run({ kind: 'move', toPath: '' }, arg, vscode.l10n.t('Move'));
    const found = await engine.request('triage/moveTargets', { folderId: t.folderId, accountId: t.accountId || undefined });
    if (!found) return;
    const targets = found.targets;
    type Item = vscode.QuickPickItem & { path?: string };
    const items: Item[] = [];
    const recent = targets.filter((f) => f.recent);
    if (recent.length) items.push({ label: vscode.l10n.t('Recent'), kind: vscode.QuickPickItemKind.Separator });
    for (const f of recent) items.push({ label: `$(history) ${f.name}`, description: f.path !== f.name ? f.path : undefined, path: f.path });
    if (recent.length) items.push({ label: vscode.l10n.t('All folders'), kind: vscode.QuickPickItemKind.Separator });
    for (const f of targets.filter((x) => !x.recent)) items.push({ label: `$(folder) ${f.name}`, description: [f.path !== f.name ? f.path : '', f.role ?? ''].filter(Boolean).join(' · ') || undefined, path: f.path });
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('MailDesk: Move to Folder'), placeHolder: vscode.l10n.t('Type a folder name'), matchOnDescription: true });
    if (pick?.path) await run({ kind: 'move', toPath: pick.path }, arg, vscode.l10n.t('Move'));
  };

  const markAllRead = async (arg: unknown): Promise<void> => {
    const folderId = folderOf(arg);
    if (folderId === undefined) {
      void vscode.window.showInformationMessage(vscode.l10n.t("MailDesk: Mark All as Read: open a folder first (or use the folder's context menu)."));
      return;
    }
    try {
      const folder = await engine.request('triage/folder', { folderId });
      if (!folder) throw new MailError('folder.notFound', vscode.l10n.t('folder {0} is not in MailDesk any more (refresh the Mailboxes view)', folderId));
      announce(await engine.request('triage/markAllRead', { accountId: folder.accountId, folderPath: folder.path }));
    } catch (e) {
      report(vscode.l10n.t('Mark all as read'), e);
    }
  };

  const toggleFlag = async (arg: unknown): Promise<void> => {
    const t = currentTarget(arg);
    if (!t) return run({ kind: 'flag' }, arg, vscode.l10n.t('Flag'));
    // Flag unless every target is flagged already (then unflag), as the list's star does.
    const allFlagged = await engine.request('triage/allFlagged', { keys: t.keys });
    await run({ kind: allFlagged ? 'unflag' : 'flag' }, arg, vscode.l10n.t('Flag'));
  };

  const cursor = (move: CursorMove) => () => {
    const cur = mailFocus.current;
    // j/k in a conversation go to the next/previous conversation of its list.
    if (cur?.kind === 'thread') {
      if ((move === 'next' || move === 'previous') && cur.list) cur.list.openActive(move);
      return;
    }
    mailFocus.list?.cursor(move);
  };

  const compose = (mode: 'reply' | 'replyAll' | 'forward') => (arg: unknown) => {
    const hint = hintOf(arg);
    const cur = mailFocus.current;
    const key = hint ?? (cur?.kind === 'thread' ? cur.current() : cur?.target()?.keys[0]);
    if (!key) {
      void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: select a message first.'));
      return;
    }
    return vscode.commands.executeCommand(`maildesk.${mode}`, key);
  };

  const pro = (action: string, what: string) => () => {
    const t = mailFocus.thread;
    if (!t) {
      void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0}: open a conversation first.', what));
      return;
    }
    if (!t.runPro(action)) void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0} is part of MailDesk Pro. Enter a licence key (MailDesk: Enter Licence Key) to use it.', what));
  };

  return [
    vscode.commands.registerCommand('maildesk.ai.summarizeCurrent', pro('ai.summarize', vscode.l10n.t('Summarize current'))),
    vscode.commands.registerCommand('maildesk.ai.draftFromContext', pro('ai.draft', vscode.l10n.t('Draft from context'))),
    vscode.commands.registerCommand('maildesk.archive', (a) => run({ kind: 'archive' }, a, vscode.l10n.t('Archive'))),
    vscode.commands.registerCommand('maildesk.delete', (a) => run({ kind: 'delete' }, a, vscode.l10n.t('Delete'))),
    vscode.commands.registerCommand('maildesk.deletePermanently', (a) => deletePermanently(a)),
    vscode.commands.registerCommand('maildesk.moveTo', (a) => moveTo(a)),
    vscode.commands.registerCommand('maildesk.reportSpam', (a) => run({ kind: 'junk' }, a, vscode.l10n.t('Report spam'))),
    vscode.commands.registerCommand('maildesk.notSpam', (a) => run({ kind: 'notJunk' }, a, vscode.l10n.t('Not spam'))),
    vscode.commands.registerCommand('maildesk.markRead', (a) => run({ kind: 'read' }, a, vscode.l10n.t('Mark as read'))),
    vscode.commands.registerCommand('maildesk.markUnread', (a) => run({ kind: 'unread' }, a, vscode.l10n.t('Mark as unread'))),
    vscode.commands.registerCommand('maildesk.toggleFlag', (a) => toggleFlag(a)),
    vscode.commands.registerCommand('maildesk.markAllRead', (a) => markAllRead(a)),
    vscode.commands.registerCommand('maildesk.undo', () => undo()),
    vscode.commands.registerCommand('maildesk.list.next', cursor('next')),
    vscode.commands.registerCommand('maildesk.list.previous', cursor('previous')),
    vscode.commands.registerCommand('maildesk.list.extendNext', cursor('extendNext')),
    vscode.commands.registerCommand('maildesk.list.extendPrevious', cursor('extendPrevious')),
    vscode.commands.registerCommand('maildesk.list.toggleSelection', cursor('toggle')),
    vscode.commands.registerCommand('maildesk.list.open', cursor('open')),
    vscode.commands.registerCommand('maildesk.backToList', () => {
      const l = mailFocus.list;
      if (l) l.reveal();
      else void vscode.commands.executeCommand('workbench.view.extension.maildesk');
    }),
    vscode.commands.registerCommand('maildesk.replyToSelected', compose('reply')),
    vscode.commands.registerCommand('maildesk.replyAllToSelected', compose('replyAll')),
    vscode.commands.registerCommand('maildesk.forwardSelected', compose('forward')),
  ];
}
