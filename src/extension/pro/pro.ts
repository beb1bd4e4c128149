/**
 * MailDesk Pro in VS Code: the licence command and status bar item, the AI actions and
 * Workflow Bridges on the thread view, their secrets in SecretStorage, and the extension
 * API other extensions use to register bridges. All logic lives in src/core; this file
 * only moves it into VS Code. The models, bridges and secrets are this window's; the mail
 * they read and the links they leave are the engine's (./proData.ts).
 */
import * as vscode from 'vscode';
import { isCancelled } from '../../core/ai/provider';
import type { AiFeature } from '../../core/ai/availability';
import type { BridgeChoice, WorkflowBridge } from '../../core/bridges/bridge';
import type { LinkSummary } from '../../core/bridges/links';
import type { SecretStore } from '../../core/config';
import { toMailError } from '../../core/errors';
import { LazyMailDeskPro } from './lazyPro';
import { AI_API_KEY_SECRET, ODOO_API_KEY_SECRET } from '../../core/licence/pro';
import type { LicenceStatus } from '../../core/licence/licence';
import type { Draft } from '../../core/send/compose';
import type { PagePro, PageProAction } from '../../core/threads/page';
import { flattenSettings } from '../troubleshoot/viewModel';
import { toDisposable, type Disposable } from '../lifecycle';
import { vscodeModels } from './lm';
import { engineProData } from './proData';
import { setThreadProHooks, type ThreadProContext } from './threadHooks';
import type { EngineClient } from '../../engine/client';

export interface ProDeps {
  /** This window's client of the engine: every read and action goes through it (src/shared/protocol/engine.ts). */
  engine: EngineClient;
  secrets: SecretStore;
  log: vscode.LogOutputChannel;
}

/** What MailDesk's `activate` returns to other extensions (besides `core`). */
export interface MailDeskProApi {
  /** Adds a Workflow Bridge; it shows on threads of mailboxes where it is enabled. Dispose to remove it. */
  registerBridge(bridge: WorkflowBridge): vscode.Disposable;
}

function settings(): Record<string, unknown> {
  return flattenSettings(JSON.parse(JSON.stringify(vscode.workspace.getConfiguration('maildesk'))) as unknown);
}

const APP_RECORD: Record<string, string> = {
  'crm.lead': vscode.l10n.t('CRM lead'),
  'helpdesk.ticket': vscode.l10n.t('Helpdesk ticket'),
  'sale.order': vscode.l10n.t('Sales order'),
  'calendar.event': vscode.l10n.t('Calendar event'),
  'documents.document': vscode.l10n.t('Document'),
  'res.partner': vscode.l10n.t('Contact'),
};

export function linkLine(l: LinkSummary): string {
  const what = APP_RECORD[l.model] ?? l.model;
  const name = l.name ?? `#${l.id}`;
  const line = l.emails === 1 ? vscode.l10n.t('{0}: {1} · 1 e-mail', what, name) : vscode.l10n.t('{0}: {1} · {2} e-mails', what, name, l.emails);
  return l.state === 'gone' ? vscode.l10n.t('{0} (deleted)', line) : line;
}

class ProUi implements Disposable {
  readonly pro: LazyMailDeskPro;
  private readonly item: vscode.StatusBarItem;
  private readonly running = new Map<string, AbortController>();
  private readonly summaries = new Map<string, string>();
  private readonly disposables: Array<{ dispose(): unknown }> = [];

  constructor(private readonly d: ProDeps) {
    this.pro = new LazyMailDeskPro({
      data: engineProData(d.engine),
      host: { secrets: d.secrets, hostModels: () => vscodeModels() },
      settings,
    }, (b, e) => d.log.warn(`Workflow Bridge ${b.id} was not added: ${toMailError(e).message}`));
    this.item = vscode.window.createStatusBarItem('maildesk.licence', vscode.StatusBarAlignment.Left, 9);
    this.item.name = vscode.l10n.t('MailDesk Licence');
    this.disposables.push(this.item);
    // Links and access rights are looked up again after a sync, so counts catch up by themselves.
    this.disposables.push(d.engine.on('store/changed', (c) => c.messages && this.pro.bridges.invalidate()));
    void this.updateStatus();
  }

  async updateStatus(): Promise<LicenceStatus> {
    const s = await this.pro.licence();
    this.item.text = s.pro ? vscode.l10n.t('$(verified) MailDesk Pro') : vscode.l10n.t('MailDesk Basic');
    this.item.tooltip = `${s.message}${s.remedy ? `\n${s.remedy}` : ''}`;
    this.item.command = 'maildesk.enterLicenceKey';
    this.item.backgroundColor = s.state !== 'none' && !s.pro ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
    return s;
  }

  async enterLicence(): Promise<void> {
    const current = await this.pro.licence();
    const raw = await vscode.window.showInputBox({
      title: vscode.l10n.t('MailDesk: Enter Licence Key'),
      prompt: current.pro
        ? vscode.l10n.t('Current: {0}. Paste a new key to replace it.', current.message)
        : vscode.l10n.t('Paste the licence key from your licence e-mail (it starts with "MDL1."). Basic stays fully usable without one.'),
      placeHolder: vscode.l10n.t('MDL1.…'),
      ignoreFocusOut: true,
      password: false,
    });
    if (raw === undefined) return;
    const s = await this.pro.enterLicence(raw);
    await this.updateStatus();
    if (s.state === 'valid') void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0}. AI features and Workflow Bridges are now available.', s.message));
    else void vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: {0}. The key was not saved.', s.message), { detail: s.remedy, modal: true });
  }

  async setSecret(key: string, title: string, prompt: string): Promise<void> {
    const v = await vscode.window.showInputBox({ title, prompt, password: true, ignoreFocusOut: true });
    if (v === undefined) return;
    if (v.trim()) await this.d.secrets.set(key, v.trim());
    else await this.d.secrets.delete(key);
    this.pro.bridges.invalidate();
    const what = title.replace(/^MailDesk: /, '');
    vscode.window.setStatusBarMessage(v.trim() ? vscode.l10n.t('MailDesk: saved ({0})', what) : vscode.l10n.t('MailDesk: removed ({0})', what), 4000);
  }

  // ---- thread view ----------------------------------------------------------------------

  async page(accountId: string, threadKey: string): Promise<PagePro | undefined> {
    const feats: Array<[AiFeature, string, string]> = [
      ['summarize', 'ai.summarize', vscode.l10n.t('Summarize current')],
      ['draft', 'ai.draft', vscode.l10n.t('Draft from context')],
    ];
    const actions: PageProAction[] = [];
    for (const [f, action, label] of feats) {
      const a = await this.pro.ai.availability(f, accountId);
      actions.push({ action, label, enabled: a.available, reason: a.available ? undefined : a.reason });
    }
    // An unreachable Odoo must not hold up reading: the bridges show on a later render (cached by then).
    const bridges = await Promise.race([this.pro.bridges.actionsFor(accountId), new Promise<[]>((r) => setTimeout(() => r([]), 3000).unref())]);
    for (const b of bridges) {
      if (b.visible) actions.push({ action: `bridge.${b.id}`, label: b.label, enabled: b.available, reason: b.available ? `${b.app}` : b.reason });
    }
    const links = await this.pro.bridges.links(accountId, threadKey);
    if (links.length) actions.push({ action: 'bridge.refresh', label: vscode.l10n.t('Refresh links'), enabled: true, reason: vscode.l10n.t('Look up the linked records again') });
    return { actions, links: links.map((l) => ({ text: linkLine(l), gone: l.state === 'gone' })), summary: this.summaries.get(`${accountId}\n${threadKey}`) };
  }

  handle(action: string, ctx: ThreadProContext): void {
    const key = `${ctx.accountId}\n${ctx.threadKey}`;
    if (action === 'ai.cancel') {
      this.running.get(key)?.abort();
      return;
    }
    if (action === 'ai.summarize') void this.summarize(key, ctx);
    else if (action === 'ai.draft') void this.draft(ctx);
    else if (action === 'bridge.refresh') void this.refreshLinks(ctx);
    else if (action.startsWith('bridge.')) void this.runBridge(action.slice('bridge.'.length), ctx);
  }

  closed(accountId: string, threadKey: string): void {
    this.running.get(`${accountId}\n${threadKey}`)?.abort();
  }

  private async summarize(key: string, ctx: ThreadProContext): Promise<void> {
    this.running.get(key)?.abort();
    const ac = new AbortController();
    this.running.set(key, ac);
    ctx.post({ type: 'aiSummary', phase: 'start', text: '' });
    let text = '';
    try {
      const r = await this.pro.ai.summarize(ctx.accountId, ctx.threadKey, {
        signal: ac.signal,
        onText: (t) => {
          text += t;
          ctx.post({ type: 'aiSummary', phase: 'text', text: t });
        },
      });
      this.summaries.set(key, r.text);
      const cut = r.trimmed.bodiesDropped || r.trimmed.truncated;
      ctx.post({ type: 'aiSummary', phase: 'done', text: '' });
      ctx.post({ type: 'status', message: cut ? vscode.l10n.t('Summary by {0} (the thread was shortened to fit the model).', r.model) : vscode.l10n.t('Summary by {0}.', r.model) });
    } catch (e) {
      if (text) this.summaries.set(key, text);
      const msg = isCancelled(e) ? vscode.l10n.t('Summary stopped.') : vscode.l10n.t('Summarize current failed: {0}', toMailError(e, 'AI').message);
      if (!isCancelled(e)) this.d.log.warn(msg);
      ctx.post({ type: 'aiSummary', phase: 'error', text: msg });
    } finally {
      if (this.running.get(key) === ac) this.running.delete(key);
    }
  }

  private async draft(ctx: ThreadProContext): Promise<void> {
    try {
      const r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: Draft from context'), cancellable: true },
        (_p, token) => {
          const ac = new AbortController();
          token.onCancellationRequested(() => ac.abort());
          return this.pro.ai.draftFromContext(ctx.accountId, ctx.threadKey, { signal: ac.signal });
        },
      );
      await this.openDraft(ctx.accountId, r.draft, r.saved?.id);
      void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0}', r.note));
    } catch (e) {
      if (isCancelled(e)) return;
      void vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: Draft from context failed: {0}', toMailError(e, 'AI').message));
    }
  }

  /** Opens the draft in compose when compose offers a command for it; else its text, to copy. */
  private async openDraft(accountId: string, draft: Draft, draftId: number | undefined): Promise<void> {
    const commands = await vscode.commands.getCommands(true);
    const open = ['maildesk.openDraft', 'maildesk.compose.openDraft'].find((c) => commands.includes(c));
    if (open && draftId !== undefined) {
      await vscode.commands.executeCommand(open, { accountId, draftId });
      return;
    }
    const to = (draft.to ?? []).map((a) => (typeof a === 'string' ? a : a.address)).join(', ');
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: `To: ${to}\nSubject: ${draft.subject ?? ''}\n\n${draft.text ?? ''}` });
    await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
  }

  private async choose<T>(title: string, items: Array<BridgeChoice<T>>): Promise<T | undefined> {
    const picked = await vscode.window.showQuickPick(
      items.map((i) => ({ label: i.label, detail: i.detail, value: i.value })),
      { title: vscode.l10n.t('MailDesk: {0}', title), ignoreFocusOut: true },
    );
    return picked?.value;
  }

  private async runBridge(id: string, ctx: ThreadProContext): Promise<void> {
    try {
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: Workflow Bridge') }, () =>
        this.pro.bridges.run(id, ctx.accountId, ctx.threadKey, { choose: (t, items) => this.choose(t, items) }),
      );
      ctx.rerender();
      const open = r.open?.url ?? r.records[0]?.url;
      const choice = await vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: {0}', r.message), ...(open ? [vscode.l10n.t('Open in Odoo')] : []));
      if (choice && open) await vscode.env.openExternal(vscode.Uri.parse(open));
    } catch (e) {
      if (isCancelled(e)) return;
      const err = toMailError(e, 'Workflow Bridge');
      this.d.log.warn(`bridge ${id}: ${err.message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('MailDesk: {0}', err.message));
    }
  }

  private async refreshLinks(ctx: ThreadProContext): Promise<void> {
    try {
      await this.pro.bridges.refreshLinks(ctx.accountId, ctx.threadKey);
      ctx.rerender();
    } catch (e) {
      ctx.post({ type: 'status', message: vscode.l10n.t('Refreshing the links failed: {0}', toMailError(e, 'Workflow Bridge').message) });
    }
  }

  /** "Check with AI" for compose: local checks always, the model's review when AI is available. */
  async checkDraft(arg: { accountId: string; draft: Draft; threadKey?: string } | undefined): Promise<unknown> {
    if (!arg?.accountId || !arg.draft) {
      void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: Check with AI works on a draft: use it from the compose window.'));
      return undefined;
    }
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('MailDesk: Check with AI'), cancellable: true }, (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      return this.pro.ai.checkDraft(arg.accountId, arg.draft, { threadKey: arg.threadKey, signal: ac.signal });
    });
    const lines = [...r.local.map((f) => `• ${f.message}`), ...(r.ai ? [r.ai] : r.unavailable ? [vscode.l10n.t('(AI review unavailable: {0})', r.unavailable)] : [])];
    void vscode.window.showInformationMessage(vscode.l10n.t('MailDesk: Check with AI'), { modal: true, detail: lines.join('\n') || vscode.l10n.t('No problems found.') });
    return r;
  }

  dispose(): void {
    for (const ac of this.running.values()) ac.abort();
    this.running.clear();
    for (const d of this.disposables) d.dispose();
    this.pro.dispose();
  }
}

/** Registers Pro's commands, status bar item and thread hooks; returns the extension API. */
export function registerPro(register: (d: Disposable) => void, deps: ProDeps): MailDeskProApi {
  const ui = new ProUi(deps);
  register(ui);
  setThreadProHooks({ page: (a, t) => ui.page(a, t), handle: (a, c) => ui.handle(a, c), closed: (a, t) => ui.closed(a, t) });
  register(toDisposable(() => setThreadProHooks(undefined)));
  const cmds: Array<[string, (...args: never[]) => unknown]> = [
    ['maildesk.enterLicenceKey', () => ui.enterLicence()],
    [
      'maildesk.removeLicenceKey',
      async () => {
        await ui.pro.removeLicence();
        await ui.updateStatus();
      },
    ],
    ['maildesk.setAiApiKey', () => ui.setSecret(AI_API_KEY_SECRET, vscode.l10n.t('MailDesk: Set AI API Key'), vscode.l10n.t('API key of the OpenAI-compatible endpoint (maildesk.ai.openai.url). Leave empty to remove it.'))],
    ['maildesk.setOdooApiKey', () => ui.setSecret(ODOO_API_KEY_SECRET, vscode.l10n.t('MailDesk: Set Odoo API Key'), vscode.l10n.t('API key of the Odoo user in maildesk.odoo.user (Odoo: Preferences → Account Security → New API Key). Leave empty to remove it.'))],
    ['maildesk.ai.checkDraft', (arg: { accountId: string; draft: Draft; threadKey?: string } | undefined) => ui.checkDraft(arg)],
  ];
  for (const [id, fn] of cmds) register(vscode.commands.registerCommand(id, fn));
  register(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('maildesk.odoo') || e.affectsConfiguration('maildesk.bridges')) ui.pro.bridges.invalidate();
    }),
  );
  return {
    registerBridge: (bridge) => {
      const d = ui.pro.bridges.register(bridge);
      deps.log.info(`Workflow Bridge registered: ${bridge.id} (${bridge.label}, ${bridge.app})`);
      return new vscode.Disposable(() => d.dispose());
    },
  };
}
