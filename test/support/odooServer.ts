/**
 * A local server that speaks Odoo's external JSON-RPC API (POST /jsonrpc): "common"
 * "authenticate", and "object" "execute_kw" for the models the Workflow Bridges use.
 * Errors come back the way Odoo sends them: a JSON-RPC error object whose data.name is the
 * Python exception ("odoo.exceptions.AccessError"). Every call is recorded.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

type Rec = Record<string, unknown> & { id: number };

export interface OdooCall {
  service: string;
  method: string;
  model?: string;
  kwMethod?: string;
  args: unknown[];
  kwargs?: Record<string, unknown>;
}

export class FakeOdooServer {
  readonly database = 'testdb';
  readonly login = 'bridge@example.test';
  readonly apiKey = 'odoo-test-key';
  readonly uid = 7;
  /** Module name → state ("installed", "uninstalled"). */
  modules: Record<string, string> = {
    crm: 'installed',
    helpdesk: 'installed',
    sale: 'installed',
    calendar: 'installed',
    documents: 'installed',
    contacts: 'installed',
    mail: 'installed',
    base_automation: 'installed',
  };
  /** Models the user may not read (check_access_rights answers false; create raises AccessError). */
  denied = new Set<string>();
  readonly records = new Map<string, Map<number, Rec>>();
  readonly posts: Array<{ model: string; id: number; body: string }> = [];
  readonly runs: Array<{ action: number; context: unknown }> = [];
  readonly calls: OdooCall[] = [];
  private nextId = 100;
  private server: http.Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  seed(model: string, rec: Omit<Rec, 'id'> & { id?: number }): number {
    const id = rec.id ?? ++this.nextId;
    this.table(model).set(id, { ...rec, id });
    return id;
  }

  table(model: string): Map<number, Rec> {
    let t = this.records.get(model);
    if (!t) this.records.set(model, (t = new Map()));
    return t;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        let id: unknown = null;
        try {
          const body = JSON.parse(raw) as { id?: unknown; params: { service: string; method: string; args: unknown[] } };
          id = body.id ?? null;
          const result = this.dispatch(body.params.service, body.params.method, body.params.args);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, result }));
        } catch (e) {
          const name = (e as { odoo?: string }).odoo ?? 'builtins.Exception';
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              jsonrpc: '2.0',
              id,
              error: { code: 200, message: 'Odoo Server Error', data: { name, debug: 'Traceback (most recent call last): …', message: (e as Error).message, arguments: [(e as Error).message], context: {} } },
            }),
          );
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private fail(name: string, message: string): never {
    throw Object.assign(new Error(message), { odoo: name });
  }

  private dispatch(service: string, method: string, args: unknown[]): unknown {
    if (service === 'common' && method === 'authenticate') {
      this.calls.push({ service, method, args: [args[0], args[1], '***'] });
      const [db, login, key] = args as [string, string, string];
      return db === this.database && login === this.login && key === this.apiKey ? this.uid : false;
    }
    if (service !== 'object' || method !== 'execute_kw') this.fail('werkzeug.exceptions.NotFound', `no ${service}.${method}`);
    const [db, uid, key, model, kwMethod, kwArgs = [], kwargs = {}] = args as [string, number, string, string, string, unknown[], Record<string, unknown>];
    this.calls.push({ service, method, model, kwMethod, args: kwArgs, kwargs });
    if (db !== this.database || uid !== this.uid || key !== this.apiKey) this.fail('odoo.exceptions.AccessDenied', 'Access Denied');
    return this.execute(model, kwMethod, kwArgs, kwargs);
  }

  private accessError(model: string, op: string): never {
    this.fail('odoo.exceptions.AccessError', `You are not allowed to ${op} '${model}' records. This operation is allowed for the following groups: …`);
  }

  private match(rec: Rec, domain: unknown[]): boolean {
    return domain.every((term) => {
      if (!Array.isArray(term)) return true;
      const [field, op, value] = term as [string, string, unknown];
      const v = rec[field];
      if (op === '=') return v === value;
      if (op === 'in') return Array.isArray(value) && value.includes(v);
      if (op === '=ilike') return typeof v === 'string' && typeof value === 'string' && v.toLowerCase() === value.toLowerCase();
      return false;
    });
  }

  private execute(model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
    if (method === 'check_access_rights') {
      const allowed = !this.denied.has(model);
      if (!allowed && kwargs.raise_exception !== false) this.accessError(model, String(args[0]));
      return allowed;
    }
    if (model === 'ir.module.module' && method === 'search_read') {
      const names = ((args[0] as unknown[])[0] as [string, string, string[]])[2];
      return names.filter((n) => n in this.modules).map((n, i) => ({ id: i + 1, name: n, state: this.modules[n] }));
    }
    if (this.denied.has(model)) this.accessError(model, method === 'create' ? 'create' : 'read');
    switch (method) {
      case 'create': {
        const vals = args[0] as Record<string, unknown>;
        return this.seed(model, vals);
      }
      case 'search_read': {
        const domain = (args[0] as unknown[]) ?? [];
        const rows = [...this.table(model).values()].filter((r) => this.match(r, domain));
        const fields = (kwargs.fields as string[] | undefined) ?? Object.keys(rows[0] ?? {});
        return rows.slice(0, (kwargs.limit as number) || undefined).map((r) => Object.fromEntries([['id', r.id], ...fields.map((f) => [f, r[f] ?? false])]));
      }
      case 'read': {
        const ids = args[0] as number[];
        const t = this.table(model);
        const missing = ids.filter((i) => !t.has(i));
        if (missing.length) this.fail('odoo.exceptions.MissingError', `Record does not exist or has been deleted. (Records: ${missing.join(', ')}, User: ${this.uid})`);
        return ids.map((i) => ({ id: i, display_name: String(t.get(i)!.name ?? '') }));
      }
      case 'message_post': {
        const id = (args[0] as number[])[0];
        if (!this.table(model).has(id)) this.fail('odoo.exceptions.MissingError', 'Record does not exist or has been deleted.');
        this.posts.push({ model, id, body: String(kwargs.body ?? '') });
        return ++this.nextId;
      }
      case 'run': {
        this.runs.push({ action: (args[0] as number[])[0], context: kwargs.context });
        return false;
      }
      default:
        this.fail('builtins.AttributeError', `The method '${method}' does not exist on the model '${model}'`);
    }
  }
}
