/**
 * Which bridges a thread shows, running them, and the links they leave. A bridge is on a
 * thread only when it is enabled on the mailbox (per account, or for every account by an
 * administrator) and its target is installed; without read access to the target app, or
 * without Pro, it is shown greyed with the reason instead of disappearing.
 */
import { MailError } from '../errors';
import { currentLicence, ODOO_API_KEY_SECRET, settingString, settingValue, type ProHost } from '../licence/pro';
import { proDataOf, type ProCore, type ProData } from '../licence/proData';
import type { BridgeChoice, BridgeEmail, BridgeRunResult, WorkflowBridge } from './bridge';
import type { LinkSummary } from './links';
import { OdooBridgeBackend, odooBridges } from './odooBridges';
import type { OdooSettings } from './odoo';

export type BridgeActionState = 'ok' | 'no-licence' | 'not-enabled' | 'not-installed' | 'no-access' | 'unavailable';

export interface BridgeAction {
  id: string;
  label: string;
  app: string;
  state: BridgeActionState;
  /** Shown on the thread (greyed when not available). */
  visible: boolean;
  available: boolean;
  /** Why it is not available or not shown (tooltip and Troubleshoot). */
  reason: string;
}

function idList(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string').map((x) => x.trim());
  if (typeof v === 'string') return v.split(',').map((x) => x.trim()).filter(Boolean);
  return [];
}

/**
 * Enabled on the mailbox: `maildesk.bridges.enabled` (ids, or "*", for every account: the
 * administrator's switch) or `maildesk.bridges.account.<accountId>` (ids for that mailbox).
 */
export function bridgeEnabled(settings: Record<string, unknown>, accountId: string, bridgeId: string): boolean {
  const all = idList(settingValue(settings, 'maildesk.bridges.enabled'));
  const mine = idList(settingValue(settings, `maildesk.bridges.account.${accountId}`));
  return [...all, ...mine].some((x) => x === '*' || x === bridgeId);
}

export type BridgeCore = ProCore;

export interface BridgeServiceDeps {
  /** The mail the bridges read and the links they leave: `data` (e.g. through the engine), else the store of `core`. */
  core?: BridgeCore;
  data?: ProData;
  host: ProHost;
  settings: () => Record<string, unknown>;
  now?: () => number;
  /** Tests: fetch and time limit of Odoo calls. */
  odoo?: { fetch?: typeof fetch; timeoutMs?: number };
}

export async function odooSettingsFrom(settings: Record<string, unknown>, host: ProHost): Promise<OdooSettings | { missing: string }> {
  const url = settingString(settings, 'maildesk.odoo.url');
  const database = settingString(settings, 'maildesk.odoo.database');
  const user = settingString(settings, 'maildesk.odoo.user');
  const apiKey = (await host.secrets.get(ODOO_API_KEY_SECRET)) ?? '';
  const missing = [!url && 'maildesk.odoo.url', !database && 'maildesk.odoo.database', !user && 'maildesk.odoo.user', !apiKey && 'the API key ("MailDesk: Set Odoo API Key")'].filter(Boolean);
  if (missing.length) return { missing: `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set` };
  return { url, database, user, apiKey };
}

export class BridgeService {
  readonly odoo: OdooBridgeBackend;
  private readonly bridges = new Map<string, WorkflowBridge>();
  private readonly data: ProData;

  constructor(private readonly d: BridgeServiceDeps) {
    this.data = proDataOf(d);
    this.odoo = new OdooBridgeBackend({
      settings: () => odooSettingsFrom(d.settings(), d.host),
      options: () => {
        const f = Number(settingValue(d.settings(), 'maildesk.odoo.documentsFolderId'));
        return { documentsFolderId: Number.isSafeInteger(f) && f > 0 ? f : undefined };
      },
      fetch: d.odoo?.fetch,
      timeoutMs: d.odoo?.timeoutMs,
    });
    for (const b of odooBridges(this.odoo)) this.bridges.set(b.id, b);
  }

  /** Adds a bridge (from another extension); its id must be new. */
  register(bridge: WorkflowBridge): { dispose(): void } {
    if (!bridge || typeof bridge.id !== 'string' || !bridge.id || typeof bridge.run !== 'function' || typeof bridge.check !== 'function') {
      throw new MailError('config.invalid', 'a Workflow Bridge needs an id, a label, an app, check() and run()');
    }
    if (this.bridges.has(bridge.id)) throw new MailError('config.invalid', `a Workflow Bridge with the id "${bridge.id}" is already registered`);
    this.bridges.set(bridge.id, bridge);
    return { dispose: () => this.bridges.get(bridge.id) === bridge && this.bridges.delete(bridge.id) };
  }

  list(): WorkflowBridge[] {
    return [...this.bridges.values()];
  }

  /** Forget cached installs and access rights (on demand, and after a sync). */
  invalidate(): void {
    this.odoo.invalidate();
  }

  /** Every bridge's state for a mailbox; `visible` ones belong on its threads. */
  async actionsFor(accountId: string): Promise<BridgeAction[]> {
    const settings = this.d.settings();
    const licence = await currentLicence(this.d.host, this.d.now?.() ?? Date.now());
    return Promise.all(
      this.list().map(async (b): Promise<BridgeAction> => {
        const base = { id: b.id, label: b.label, app: b.app };
        if (!bridgeEnabled(settings, accountId, b.id)) {
          return { ...base, state: 'not-enabled', visible: false, available: false, reason: `${b.label} (${b.app}) is not enabled on this mailbox` };
        }
        if (!licence.pro) return { ...base, state: 'no-licence', visible: true, available: false, reason: `${b.label} needs MailDesk Pro: every Workflow Bridge requires Pro (${licence.message}).` };
        let c;
        try {
          c = await b.check(accountId);
        } catch (e) {
          c = { state: 'unavailable' as const, reason: `${b.label} is unavailable: ${(e as Error).message}` };
        }
        if (c.state === 'ok') return { ...base, state: 'ok', visible: true, available: true, reason: '' };
        return { ...base, state: c.state, visible: c.state !== 'not-installed', available: false, reason: c.reason ?? c.state };
      }),
    );
  }

  /** The newest message of the thread, as bridges get it. */
  emailOf(accountId: string, threadKey: string): Promise<BridgeEmail> {
    return this.data.bridgeEmail(accountId, threadKey);
  }

  /** Runs a bridge on the thread's newest e-mail and stores the links it returns. */
  async run(bridgeId: string, accountId: string, threadKey: string, opts: { choose?<T>(title: string, items: Array<BridgeChoice<T>>): Promise<T | undefined> } = {}): Promise<BridgeRunResult> {
    const b = this.bridges.get(bridgeId);
    if (!b) throw new MailError('config.invalid', `no Workflow Bridge "${bridgeId}"`);
    const action = (await this.actionsFor(accountId)).find((a) => a.id === bridgeId)!;
    if (!action.available) throw new MailError(action.state === 'no-access' ? 'auth.accessDenied' : 'config.invalid', action.reason);
    const email = await this.emailOf(accountId, threadKey);
    const linked = (await this.links(accountId, threadKey)).filter((l) => l.state === 'ok').map((l) => ({ bridge: l.bridge, model: l.model, id: l.id, name: l.name, url: l.url }));
    const result = await b.run({ email, linked, choose: opts.choose });
    if (result.records.length) await this.data.addLinks(accountId, email.messageId, b.id, result.records, this.d.now?.() ?? Date.now());
    return result;
  }

  links(accountId: string, threadKey: string): Promise<LinkSummary[]> {
    return this.data.links(accountId, threadKey);
  }

  /** Asks each bridge for the current names of the thread's records; gone ones are marked. */
  async refreshLinks(accountId: string, threadKey: string): Promise<LinkSummary[]> {
    this.invalidate();
    const links = await this.links(accountId, threadKey);
    const byBridge = new Map<string, LinkSummary[]>();
    for (const l of links) byBridge.set(l.bridge, [...(byBridge.get(l.bridge) ?? []), l]);
    for (const [id, ls] of byBridge) {
      const b = this.bridges.get(id);
      if (!b?.refresh) continue;
      const fresh = await b.refresh(ls.map((l) => ({ model: l.model, id: l.id, name: l.name, url: l.url })));
      await this.data.updateLinks(accountId, fresh, this.d.now?.() ?? Date.now());
    }
    return this.links(accountId, threadKey);
  }
}
