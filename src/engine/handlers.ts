/**
 * What the engine does for each request: ONE line (or a small function) per method of
 * `EngineRequests`. The mapped type makes a missing or mistyped handler a compile error.
 */
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { MailError } from '../core/errors';
import type { MailDesk } from '../core/maildesk';
import { runTroubleshoot, troubleshootPanelReport, troubleshootReport, type TroubleshootRun } from '../core/diagnostics/troubleshoot';
import { attachProHost } from '../core/licence/pro';
import type { AiModel } from '../core/ai/provider';
import { AgentRefusal } from '../core/agent/mailbox';
import { recoveryNotice } from '../core/store/recovery';
import { EDITABLE_ROLES } from '../core/store/folders';
import { roleFolders } from '../core/folderRoles';
import { syncOnce } from '../core/sync/once';
import { openMessage } from '../core/threads/reading';
import type { EngineMethod, OpenedMessageWire, ParamsOf, ResultOf, SyncOnceResult } from '../shared/protocol/engine';
import type { Engine } from './engine';
import { composeHandlers } from './areas/compose';
import { panelsHandlers } from './areas/panels';
import { readingHandlers } from './areas/reading';
import { windowHandlers } from './areas/window';
import { folderInfos, jobInfos, sendInputFromWire, sendResultToWire, verifyToWire } from './wire';

type Served = Exclude<EngineMethod, 'engine/hello'>;
export type EngineHandlers = { [M in Served]: (params: ParamsOf<M>, caller: MessageConnection) => ResultOf<M> | Promise<ResultOf<M>> };
/** The handlers of one area's table (src/shared/protocol/engineAreas/<area>.ts), served from src/engine/areas/<area>.ts. */
export type HandlersFor<T> = { [M in keyof T & Served]: EngineHandlers[M] };

export function engineHandlers(engine: Engine, core: MailDesk): EngineHandlers {
  const store = core.store;
  const needFolders = async (accountId: string): Promise<void> => {
    if (!store.getAccount(accountId)) throw new MailError('config.unknownAccount', `no account "${accountId}"`);
    if (!store.listFolders(accountId).length) await core.refreshFolders(accountId);
  };
  return {
    ...composeHandlers(engine, core),
    ...readingHandlers(engine, core),
    ...windowHandlers(engine, core),
    ...panelsHandlers(engine, core),
    'engine/shutdown': () => {
      setImmediate(() => void engine.stop('asked to stop'));
      return null;
    },
    'engine/startSync': () => (engine.startSync(), null),
    'engine/configure': (p) => {
      engine.useOAuth(p.oauth);
      if (p.bodies) core.scheduler.setBodyDefaults(p.bodies);
      return null;
    },
    'engine/status': () => ({ engineId: engine.id, pid: process.pid, dataDir: engine.dataDir, syncing: engine.syncing, clients: engine.clientCount, storePath: engine.storePath, storeRecovered: store.recovered ? recoveryNotice(store.recovered) : undefined }),

    'accounts/list': () => store.listAccounts(),
    'accounts/get': (p) => store.getAccount(p.accountId) ?? null,
    'accounts/ensure': (p) => {
      engine.useOAuth(p.oauth);
      for (const a of p.accounts) core.ensureAccount(a);
      return null;
    },
    'accounts/add': (p) => core.addAccount(p.account),
    'accounts/remove': async (p) => {
      await core.removeAccount(p.accountId);
      await engine.sandbox.removed(p.accountId);
      return null;
    },
    'accounts/addSandbox': () => engine.sandbox.start(),
    'accounts/resume': (p) => (core.resume(p.accountId), null),
    'accounts/testIncoming': async (p) => verifyToWire(await core.testIncoming(p.account)),
    'accounts/testOutgoing': async (p) => verifyToWire(await core.testOutgoing(p.account)),

    'folders/list': async (p) => {
      if (p.refresh) await core.refreshFolders(p.accountId);
      return folderInfos(store, p.accountId);
    },
    'folders/select': async (p) => {
      await needFolders(p.accountId);
      for (const path of p.paths) await core.setFolderSelected(p.accountId, path, p.selected);
      return null;
    },
    'folders/backfill': async (p) => {
      await needFolders(p.accountId);
      core.triggerBackfill(p.accountId, p.path);
      return null;
    },
    'folders/setRole': async (p) => {
      await needFolders(p.accountId);
      if (!(EDITABLE_ROLES as readonly string[]).includes(p.role)) throw new MailError('config.invalid', `"${p.role}" is not a folder role one can choose; choose one of ${EDITABLE_ROLES.join(', ')}`);
      if (p.path !== null && !store.getFolder(p.accountId, p.path)) {
        throw new MailError('folder.notFound', `the folder "${p.path}" is not in the folder list of account "${p.accountId}"; refresh the account and choose one of its folders`);
      }
      store.setFolderRoleOverride(p.accountId, p.role, p.path);
      // A Sent folder named in the account's settings (sentFolder) wins over roles when sending:
      // keep it the same as the choice made here so both say one thing.
      const acc = store.getAccount(p.accountId);
      if (p.role === 'sent' && acc?.config.sentFolder && acc.config.sentFolder !== p.path) {
        const { sentFolder: _old, ...rest } = acc.config;
        core.ensureAccount(p.path === null ? rest : { ...rest, sentFolder: p.path });
        // Changed settings close the account's connection and its Inbox watch: start them again.
        core.resume(p.accountId);
      }
      return folderInfos(store, p.accountId);
    },
    'folders/roles': async (p) => {
      await needFolders(p.accountId);
      return roleFolders(store.getAccount(p.accountId)!.config, store.listFolders(p.accountId), store.folderRoleOverrides(p.accountId));
    },

    'messages/list': (p) => {
      const f = store.getFolder(p.accountId, p.folderPath);
      return f ? store.listMessages(f.id, { limit: p.limit, offset: p.offset }) : null;
    },
    'messages/open': (p) => openByUid(core, p),

    'jobs/list': (p) => jobInfos(store, p.accountIds),
    'sync/now': async (p) => (await core.syncNow(p.accountId, p.folderPath), null),
    'sync/once': (p, caller) => syncUntilInStep(engine, core, p, caller),

    'mail/send': async (p) => sendResultToWire(await core.send(p.accountId, sendInputFromWire(p.input), { confirmResend: p.confirmResend })),

    'diagnostics/run': async (p, caller) => {
      // The one Troubleshoot pipeline (src/core/diagnostics/troubleshoot.ts); the asking client
      // names the secrets to mask (it holds them; the engine never keeps one).
      // A VS Code window keeps the Pro secrets: the Pro checks ask it, as for passwords.
      const pro = p.pro ? attachProHost(store, { secrets: core.secretStore, hostModels: async () => p.pro!.hostModels.map(labelOnlyModel) }) : undefined;
      let run: TroubleshootRun;
      try {
        run = await runTroubleshoot(core, {
          accounts: p.accounts,
          oauth: p.oauth,
          env: p.env,
          settings: p.settings,
          timeoutMs: p.timeoutMs,
          syncIntervalMs: p.syncIntervalMs,
          dataDir: engine.dataDir,
          onProgress: (x) => engine.notify(caller, 'diagnostics/progress', { phase: x.phase, check: x.check, account: x.account, done: x.done, total: x.total, status: x.outcome?.status }),
        });
      } finally {
        pro?.dispose();
      }
      run.secrets.push(...p.secrets);
      const input = { version: p.version, app: p.app, vscodeVersion: p.vscodeVersion, expected: p.expected, happened: p.happened, when: p.when, includeAddresses: p.includeAddresses, extraEnvironment: p.extraEnvironment, engine: engine.describe() };
      return p.forPanel ? troubleshootPanelReport(core, run, input) : troubleshootReport(core, run, input);
    },

    'triage/find': (p) => core.findMessageKeys(p.accountId, p),
    'triage/apply': (p) => core.applyAction(p.keys, p.action, p.opts),
    'triage/markAllRead': (p) => {
      const folder = store.getFolder(p.accountId, p.folderPath);
      if (!folder) throw new MailError('folder.notFound', `account "${p.accountId}" has no synced folder "${p.folderPath}"`);
      return core.markAllRead(folder.id);
    },
    'triage/undo': (p) => core.undo(p.undoId),
    'triage/undoable': async () => core.triage.undoable(),
    'triage/push': (p) => core.pushActions(p.accountId, p.sinceTaskId),
    'triage/lastTaskId': () => core.lastTaskId(),

    'agent/status': (p) => agentCall(engine, p.settings, () => core.agentStatus()),
    'agent/search': (p) => agentCall(engine, p.settings, () => core.agentSearch(p.input)),
    'agent/readThread': (p) => agentCall(engine, p.settings, () => core.agentReadThread(p.input)),
    'agent/listUnread': (p) => agentCall(engine, p.settings, () => core.agentListUnread(p.input)),
    'agent/listFolders': (p) => agentCall(engine, p.settings, () => core.agentListFolders(p.input)),
    'agent/saveDraft': (p) => agentCall(engine, p.settings, () => core.agentSaveDraft(p.input)),
    'agent/mark': (p) => agentCall(engine, p.settings, () => core.agentMark(p.input)),
    'agent/archive': (p) => agentCall(engine, p.settings, () => core.agentArchive(p.input)),
    'agent/recordCall': async (p) => (await core.agentRecordCall(p.input), null),
    'agent/registered': async (p) => (await core.agentRegistered(p.input), null),
  };
}

/**
 * An agent tool's call with the asking client's settings (its AI switches); a refusal crosses
 * the boundary as `agent.refused` with the text that says which switch, not as an internal error.
 */
async function agentCall<R>(engine: Engine, settings: Record<string, unknown>, fn: () => Promise<R>): Promise<R> {
  engine.agentSettings = settings;
  return engine.agentCall.run(settings, async () => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof AgentRefusal) throw new MailError('agent.refused', e.message);
      throw e;
    }
  });
}

/** A client's language model as Troubleshoot's ai.provider check sees it: by its label (it never chats here). */
function labelOnlyModel(label: string, i: number): AiModel {
  return { id: `client:${i}`, label, maxInputTokens: 0, chat: () => Promise.reject(new MailError('internal', `${label} runs in the VS Code window, not in the engine`)) };
}

/**
 * `sync --once` on an engine shared with others: jobs already running (the scheduler's, or
 * another client's `sync --once`) are skipped by syncOnce, so it waits for them to end and
 * goes round again.
 */
async function syncUntilInStep(engine: Engine, core: MailDesk, p: ParamsOf<'sync/once'>, caller: MessageConnection): Promise<SyncOnceResult> {
  const store = core.store;
  resumeWaitingForPassword(core, p.accountIds);
  if (p.refreshFolders) for (const id of p.accountIds) await core.refreshFolders(id);
  const started = Date.now();
  let r = await syncOnce(core, p.accountIds, { onProgress: (j) => engine.notify(caller, 'sync/progress', { ...j, folderPath: j.folderId !== null ? store.getFolderById(j.folderId)?.path ?? null : null }) });
  const running = (): boolean => store.listJobs().some((j) => p.accountIds.includes(j.accountId) && j.status === 'running');
  while (running()) {
    // Jobs run by someone else record their end in the store; no event covers both runners.
    while (running()) await new Promise((resolve) => setTimeout(resolve, 100));
    r = await syncOnce(core, p.accountIds);
  }
  // "In step" only once it is on disk: a failed save (disk full) is this request's error.
  await store.flush();
  const failed = new Set(r.failed.map((j) => j.id));
  return {
    ok: r.ok,
    ms: Date.now() - started,
    failed: jobInfos(store, p.accountIds).filter((j) => failed.has(j.id)),
    accounts: p.accountIds.map((id) => ({ account: id, state: store.getAccount(id)?.state, folders: folderInfos(store, id).filter((f) => f.selected) })),
  };
}

/**
 * Accounts paused because no client could give their password ("password needed") run again
 * when a client that keeps secrets connects or asks for a sync: it may have the password.
 */
export function resumeWaitingForPassword(core: MailDesk, accountIds?: string[]): void {
  core.scheduler.credentialsMayHaveChanged();
  for (const a of core.store.listAccounts()) {
    if (accountIds && !accountIds.includes(a.id)) continue;
    if (a.stateCode === 'config.missingPassword') core.scheduler.resume(a.id);
  }
}

async function openByUid(core: MailDesk, p: ParamsOf<'messages/open'>): Promise<OpenedMessageWire> {
  const folder = core.store.getFolder(p.accountId, p.folderPath);
  if (!folder) throw new MailError('folder.notFound', `account "${p.accountId}" has no synced folder "${p.folderPath}" (run \`maildesk sync --once\` first, or check \`maildesk folders\`)`);
  const row = core.store.getMessageByUid(folder.id, p.uid);
  if (!row) throw new MailError('folder.notFound', `no message with UID ${p.uid} in ${p.folderPath} on this computer (run \`maildesk sync --once\`, or \`maildesk list\` for UIDs)`);
  const { rendered } = await openMessage(core, row.id, folder.id, { allowRemote: false });
  const m = rendered.parsed;
  return {
    uid: row.uid,
    messageId: m.messageId ?? row.messageId,
    subject: m.subject,
    from: m.from ? { name: m.from.name, address: m.from.address } : null,
    to: m.to.map((a) => ({ name: a.name, address: a.address })),
    cc: m.cc.map((a) => ({ name: a.name, address: a.address })),
    date: m.date ? m.date.toISOString() : null,
    flags: row.flags,
    text: m.text ?? '',
    attachments: m.attachments.filter((a) => !a.inline || !a.contentId).map((a) => ({ filename: a.filename, mimeType: a.mimeType, size: a.size })),
    remoteBlocked: rendered.blockedCount,
  };
}
