/**
 * The built-in Workflow Bridges, all targeting Odoo through its JSON-RPC API. Each names the
 * Odoo module that must be installed (ir.module.module) and the model the user must be able
 * to read (check_access_rights, raise_exception=False): without that access the action stays
 * on the thread, greyed, with the reason, rather than vanishing.
 */
import { MailError } from '../errors';
import type { BridgeCheck, BridgeEmail, BridgeRecord, BridgeRunInput, BridgeRunResult, WorkflowBridge } from './bridge';
import { OdooClient, OdooRpcError, type OdooSettings } from './odoo';

export interface OdooBridgeSpec {
  id: string;
  label: string;
  app: string;
  /** Technical name of the Odoo module. */
  module: string;
  /** The model whose read access decides whether the action is offered. */
  model: string;
  /** "You cannot {phrase} if you have no access to {app}." */
  phrase: string;
}

export const ODOO_BRIDGES: readonly OdooBridgeSpec[] = [
  { id: 'crm', label: 'Create lead', app: 'CRM', module: 'crm', model: 'crm.lead', phrase: 'link an email to a CRM lead' },
  { id: 'helpdesk', label: 'Create ticket', app: 'Helpdesk', module: 'helpdesk', model: 'helpdesk.ticket', phrase: 'link an email to a Helpdesk ticket' },
  { id: 'sales', label: 'Link to order', app: 'Sales', module: 'sale', model: 'sale.order', phrase: 'link an email to a sales order' },
  { id: 'calendar', label: 'Create event', app: 'Calendar', module: 'calendar', model: 'calendar.event', phrase: 'create a calendar event from an email' },
  { id: 'documents', label: 'Save attachments', app: 'Documents', module: 'documents', model: 'documents.document', phrase: 'save attachments to Documents' },
  { id: 'partner360', label: 'Open contact', app: 'Partner 360', module: 'contacts', model: 'res.partner', phrase: "open an email's contact" },
  { id: 'chatter', label: 'Post to record', app: 'Chatter', module: 'mail', model: 'mail.message', phrase: "post an email to a record's chatter" },
  { id: 'automation', label: 'Run action', app: 'Automation', module: 'base_automation', model: 'base.automation', phrase: 'run an automation on an email' },
];

export function noAccessReason(spec: OdooBridgeSpec): string {
  return `You cannot ${spec.phrase} if you have no access to ${spec.app}.`;
}

export interface OdooConnection {
  /** The settings, or why they are incomplete. */
  settings(): Promise<OdooSettings | { missing: string }>;
  /** Extra options, e.g. a Documents folder id. */
  options?: () => { documentsFolderId?: number };
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const CHECK_TTL_MS = 5 * 60_000;

/** One Odoo login and one module/access lookup shared by all built-in bridges, cached briefly. */
export class OdooBridgeBackend {
  private client: OdooClient | undefined;
  private key = '';
  private modules: { at: number; value: Promise<Set<string>> } | undefined;
  private access = new Map<string, { at: number; value: Promise<boolean> }>();

  constructor(readonly conn: OdooConnection) {}

  /** Forgets cached installs and rights ("Refresh" on the thread, or after a sync). */
  invalidate(): void {
    this.modules = undefined;
    this.access.clear();
  }

  async odoo(): Promise<OdooClient> {
    const s = await this.conn.settings();
    if ('missing' in s) throw new MailError('config.invalid', `the Odoo connection is not set up: ${s.missing}`);
    const key = JSON.stringify(s);
    if (!this.client || key !== this.key) {
      this.client = new OdooClient(s, { fetch: this.conn.fetch, timeoutMs: this.conn.timeoutMs });
      this.key = key;
      this.invalidate();
    }
    return this.client;
  }

  async check(spec: OdooBridgeSpec): Promise<BridgeCheck> {
    let odoo: OdooClient;
    try {
      odoo = await this.odoo();
    } catch (e) {
      return { state: 'unavailable', reason: `${spec.label} is unavailable: ${(e as Error).message}.` };
    }
    const now = Date.now();
    try {
      if (!this.modules || now - this.modules.at > CHECK_TTL_MS) {
        const value = odoo.installedModules(ODOO_BRIDGES.map((b) => b.module));
        this.modules = { at: now, value };
        value.catch(() => (this.modules = undefined));
      }
      if (!(await this.modules.value).has(spec.module)) return { state: 'not-installed', reason: `the Odoo module "${spec.module}" (${spec.app}) is not installed` };
      let a = this.access.get(spec.model);
      if (!a || now - a.at > CHECK_TTL_MS) {
        a = { at: now, value: odoo.canAccess(spec.model, 'read') };
        this.access.set(spec.model, a);
        a.value.catch(() => this.access.delete(spec.model));
      }
      if (!(await a.value)) return { state: 'no-access', reason: noAccessReason(spec) };
      return { state: 'ok' };
    } catch (e) {
      if (e instanceof OdooRpcError && e.isAccessError) return { state: 'no-access', reason: noAccessReason(spec) };
      return { state: 'unavailable', reason: `${spec.label} is unavailable: ${(e as Error).message}.` };
    }
  }
}

function html(text: string): string {
  const esc = text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  return esc
    .split(/\n{2,}/)
    .map((p) => `<p>${p.replace(/\n/g, '<br>')}</p>`)
    .join('');
}

/** Odoo's datetime format, in UTC. */
export function odooDatetime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** DTSTART/DTEND of the first VEVENT of an invitation, as Dates (UTC or floating treated as UTC). */
export function invitationTimes(ics: string): { start: Date; end?: Date; summary?: string } | undefined {
  const unfolded = ics.replace(/\r?\n[ \t]/g, '');
  const ev = /BEGIN:VEVENT([\s\S]*?)END:VEVENT/.exec(unfolded)?.[1];
  if (!ev) return undefined;
  const field = (name: string): string | undefined => new RegExp(`^${name}(?:;[^:\\r\\n]*)?:(.*)$`, 'm').exec(ev)?.[1]?.trim();
  const parse = (v?: string): Date | undefined => {
    const m = v && /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}))?/.exec(v);
    return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 9), +(m[5] ?? 0), +(m[6] ?? 0))) : undefined;
  };
  const start = parse(field('DTSTART'));
  if (!start) return undefined;
  return { start, end: parse(field('DTEND')), summary: field('SUMMARY') };
}

function fromLabel(e: BridgeEmail): string {
  return e.from ? e.from.name || e.from.address : 'unknown sender';
}

async function pick<T>(input: BridgeRunInput, title: string, items: Array<{ label: string; detail?: string; value: T }>, none: string): Promise<T> {
  if (!items.length) throw new MailError('folder.notFound', none);
  if (items.length === 1) return items[0].value;
  if (!input.choose) return items[0].value;
  const v = await input.choose(title, items);
  if (v === undefined) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
  return v;
}

type Runner = (odoo: OdooClient, input: BridgeRunInput, backend: OdooBridgeBackend) => Promise<BridgeRunResult>;

const RUNNERS: Record<string, Runner> = {
  async crm(odoo, { email }) {
    const id = await odoo.executeKw<number>('crm.lead', 'create', [
      { name: email.subject || `E-mail from ${fromLabel(email)}`, email_from: email.from?.address ?? false, contact_name: email.from?.name || false, description: html(email.text), type: 'lead' },
    ]);
    const rec = { model: 'crm.lead', id, name: email.subject, url: odoo.recordUrl('crm.lead', id) };
    return { records: [rec], message: `Lead "${rec.name}" created in CRM.` };
  },
  async helpdesk(odoo, { email }) {
    const id = await odoo.executeKw<number>('helpdesk.ticket', 'create', [
      { name: email.subject || `E-mail from ${fromLabel(email)}`, description: html(email.text), partner_email: email.from?.address ?? false, partner_name: email.from?.name || false },
    ]);
    const rec = { model: 'helpdesk.ticket', id, name: email.subject, url: odoo.recordUrl('helpdesk.ticket', id) };
    return { records: [rec], message: `Ticket "${rec.name}" created in Helpdesk.` };
  },
  async sales(odoo, input) {
    const { email } = input;
    // An order named in the e-mail ("S00042") wins; else the sender's open orders.
    const refs = [...new Set(`${email.subject}\n${email.text}`.match(/\bS\d{4,}\b/g) ?? [])];
    const fields = ['name', 'partner_id', 'amount_total', 'state'];
    let orders: Array<{ id: number; name: string; amount_total?: number; state?: string }> = [];
    if (refs.length) orders = await odoo.executeKw('sale.order', 'search_read', [[['name', 'in', refs]]], { fields, limit: 20 });
    if (!orders.length && email.from) orders = await odoo.executeKw('sale.order', 'search_read', [[['partner_id.email', '=ilike', email.from.address]]], { fields, limit: 20, order: 'date_order desc' });
    const order = await pick(
      input,
      'Link to which sales order?',
      orders.map((o) => ({ label: o.name, detail: [o.state, o.amount_total !== undefined ? String(o.amount_total) : ''].filter(Boolean).join(' · '), value: o })),
      `No sales order is named in the e-mail or belongs to ${email.from?.address ?? 'the sender'}`,
    );
    await odoo.executeKw('sale.order', 'message_post', [[order.id]], { body: html(`${email.subject}\n\n${email.text}`), subject: email.subject, message_type: 'comment', subtype_xmlid: 'mail.mt_note' });
    const rec = { model: 'sale.order', id: order.id, name: order.name, url: odoo.recordUrl('sale.order', order.id) };
    return { records: [rec], message: `E-mail linked to sales order ${order.name}.` };
  },
  async calendar(odoo, { email }) {
    const inv = email.calendar ? invitationTimes(email.calendar) : undefined;
    let start = inv?.start;
    if (!start) {
      start = new Date(Date.now() + 3_600_000);
      start.setUTCMinutes(0, 0, 0);
    }
    const stop = inv?.end ?? new Date(start.getTime() + 3_600_000);
    const name = inv?.summary || email.subject || `Meeting with ${fromLabel(email)}`;
    const id = await odoo.executeKw<number>('calendar.event', 'create', [{ name, start: odooDatetime(start), stop: odooDatetime(stop), description: html(email.text) }]);
    const rec = { model: 'calendar.event', id, name, url: odoo.recordUrl('calendar.event', id) };
    return { records: [rec], message: `Event "${name}" created in Calendar for ${odooDatetime(start)} UTC${inv ? ' (from the invitation)' : ''}.` };
  },
  async documents(odoo, { email }, backend) {
    if (!email.attachments.length) throw new MailError('folder.notFound', 'This e-mail has no attachments to save');
    const folder = backend.conn.options?.().documentsFolderId;
    const records: BridgeRecord[] = [];
    for (const a of email.attachments) {
      const vals: Record<string, unknown> = { name: a.filename, datas: Buffer.from(a.content()).toString('base64'), mimetype: a.mimeType };
      if (folder) vals.folder_id = folder;
      const id = await odoo.executeKw<number>('documents.document', 'create', [vals]);
      records.push({ model: 'documents.document', id, name: a.filename, url: odoo.recordUrl('documents.document', id) });
    }
    return { records, message: `${records.length} attachment${records.length === 1 ? '' : 's'} saved to Documents.` };
  },
  async partner360(odoo, { email }) {
    if (!email.from?.address) throw new MailError('folder.notFound', 'The e-mail has no sender address');
    const found = await odoo.executeKw<Array<{ id: number; name: string }>>('res.partner', 'search_read', [[['email', '=ilike', email.from.address]]], { fields: ['name'], limit: 1 });
    let id: number;
    let name: string;
    let created = false;
    if (found.length) ({ id, name } = found[0]);
    else {
      name = email.from.name || email.from.address;
      id = await odoo.executeKw<number>('res.partner', 'create', [{ name, email: email.from.address }]);
      created = true;
    }
    const rec = { model: 'res.partner', id, name, url: odoo.recordUrl('res.partner', id) };
    return { records: [rec], open: rec, message: created ? `Contact "${name}" created in Odoo.` : `Contact "${name}" opened.` };
  },
  async chatter(odoo, input) {
    const { email } = input;
    const target = await pick(
      input,
      'Post the e-mail to which record?',
      input.linked.filter((r) => typeof r.id === 'number' || /^\d+$/.test(String(r.id))).map((r) => ({ label: r.name ?? `${r.model} ${r.id}`, detail: r.model, value: r })),
      'Link the e-mail to a record first (Create lead, Create ticket, Link to order), then post it to that record',
    );
    const body = html(`From: ${fromLabel(email)}${email.from ? ` <${email.from.address}>` : ''}\nSubject: ${email.subject}\n\n${email.text}`);
    await odoo.executeKw(target.model, 'message_post', [[Number(target.id)]], { body, subject: email.subject, message_type: 'comment', subtype_xmlid: 'mail.mt_note' });
    const rec = { model: target.model, id: Number(target.id), name: target.name, url: target.url ?? odoo.recordUrl(target.model, Number(target.id)) };
    return { records: [rec], message: `E-mail posted to ${target.name ?? target.model}.` };
  },
  async automation(odoo, input) {
    const target = await pick(
      input,
      'Run the action on which record?',
      input.linked.filter((r) => /^\d+$/.test(String(r.id))).map((r) => ({ label: r.name ?? `${r.model} ${r.id}`, detail: r.model, value: r })),
      'Link the e-mail to a record first; an action runs on a linked record',
    );
    const actions = await odoo.executeKw<Array<{ id: number; name: string }>>('ir.actions.server', 'search_read', [[['model_id.model', '=', target.model]]], { fields: ['name'], limit: 50 });
    const action = await pick(input, 'Run which action?', actions.map((a) => ({ label: a.name, value: a })), `Odoo has no server action for ${target.model}`);
    await odoo.executeKw('ir.actions.server', 'run', [[action.id]], { context: { active_model: target.model, active_id: Number(target.id), active_ids: [Number(target.id)] } });
    return { records: [], message: `Action "${action.name}" ran on ${target.name ?? target.model}.` };
  },
};

export function odooBridges(backend: OdooBridgeBackend): WorkflowBridge[] {
  return ODOO_BRIDGES.map((spec) => ({
    id: spec.id,
    label: spec.label,
    app: spec.app,
    check: () => backend.check(spec),
    run: async (input) => {
      const odoo = await backend.odoo();
      try {
        return await RUNNERS[spec.id](odoo, input, backend);
      } catch (e) {
        if (e instanceof OdooRpcError && e.isAccessError) throw new MailError('auth.accessDenied', `${noAccessReason(spec)} (Odoo: ${e.message})`);
        throw e;
      }
    },
    refresh: async (records) => {
      const odoo = await backend.odoo();
      const out: Array<BridgeRecord & { gone?: boolean }> = [];
      const byModel = new Map<string, BridgeRecord[]>();
      for (const r of records) byModel.set(r.model, [...(byModel.get(r.model) ?? []), r]);
      for (const [model, recs] of byModel) {
        const ids = recs.map((r) => Number(r.id)).filter(Number.isSafeInteger);
        const rows = await odoo.executeKw<Array<{ id: number; display_name: string }>>(model, 'read', [ids, ['display_name']]).catch((e: unknown) => {
          // A record deleted since: Odoo answers MissingError for the whole read.
          if (e instanceof OdooRpcError && /MissingError/.test(e.odooName)) return [] as Array<{ id: number; display_name: string }>;
          throw e;
        });
        const live = new Map(rows.map((r) => [r.id, r.display_name]));
        for (const r of recs) out.push({ ...r, name: live.get(Number(r.id)) ?? r.name, gone: !live.has(Number(r.id)) });
      }
      return out;
    },
  }));
}
