/**
 * Odoo's external JSON-RPC API: POST {url}/jsonrpc with `{"jsonrpc":"2.0","method":"call",
 * "params":{"service":..., "method":..., "args":[...]}}`. Login is service "common" method
 * "authenticate" (database, user, API key) and returns the user id; everything else is
 * service "object" method "execute_kw" (database, uid, API key, model, method, args, kwargs).
 * Odoo reports failures as JSON-RPC error objects whose `data.name` is the Python exception
 * (e.g. "odoo.exceptions.AccessError"); those become MailErrors with that kind kept.
 */
import { MailError } from '../errors';

export interface OdooSettings {
  url: string;
  database: string;
  user: string;
  apiKey: string;
}

export class OdooRpcError extends MailError {
  /** The Odoo exception name, e.g. "odoo.exceptions.AccessError". */
  readonly odooName: string;
  constructor(odooName: string, message: string) {
    super(
      /AccessError|AccessDenied/.test(odooName) ? 'auth.accessDenied' : /UserError|ValidationError|MissingError/.test(odooName) ? 'server.protocol' : 'server.unavailable',
      message,
      { providerMessage: message },
    );
    this.odooName = odooName;
  }

  get isAccessError(): boolean {
    return this.odooName === 'odoo.exceptions.AccessError';
  }
}

export class OdooClient {
  private uid: number | undefined;
  private seq = 0;

  constructor(
    private readonly s: OdooSettings,
    private readonly opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
  ) {}

  get baseUrl(): string {
    return this.s.url.replace(/\/+$/, '');
  }

  /** Link to a record in Odoo's web client. */
  recordUrl(model: string, id: number): string {
    return `${this.baseUrl}/web#id=${id}&model=${encodeURIComponent(model)}&view_type=form`;
  }

  private async call(service: string, method: string, args: unknown[]): Promise<unknown> {
    const f = this.opts.fetch ?? fetch;
    let res: Response;
    try {
      res = await f(`${this.baseUrl}/jsonrpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: ++this.seq, params: { service, method, args } }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (e) {
      const name = (e as Error).name;
      if (name === 'TimeoutError') throw new MailError('net.timeout', `Odoo at ${this.baseUrl} did not answer in time`, { cause: e });
      throw new MailError('net.refused', `Odoo at ${this.baseUrl} cannot be reached (${(e as Error).message})`, { cause: e });
    }
    if (!res.ok) throw new MailError(res.status >= 500 ? 'server.unavailable' : 'server.protocol', `Odoo at ${this.baseUrl} answered HTTP ${res.status}`);
    let body: { result?: unknown; error?: { message?: string; data?: { name?: string; message?: string } } };
    try {
      body = (await res.json()) as typeof body;
    } catch (e) {
      throw new MailError('server.protocol', `Odoo at ${this.baseUrl} did not answer with JSON-RPC (is the URL right?)`, { cause: e });
    }
    if (body.error) {
      const name = body.error.data?.name ?? 'odoo.exceptions.UserError';
      throw new OdooRpcError(name, body.error.data?.message || body.error.message || name);
    }
    return body.result;
  }

  /** Logs in once per client; a wrong user or key says so. */
  async login(): Promise<number> {
    if (this.uid !== undefined) return this.uid;
    const uid = await this.call('common', 'authenticate', [this.s.database, this.s.user, this.s.apiKey, {}]);
    if (typeof uid !== 'number' || !uid) throw new MailError('auth.failed', `Odoo refused the user "${this.s.user}" with this API key on database "${this.s.database}"`);
    this.uid = uid;
    return uid;
  }

  async executeKw<T = unknown>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<T> {
    const uid = await this.login();
    return (await this.call('object', 'execute_kw', [this.s.database, uid, this.s.apiKey, model, method, args, kwargs])) as T;
  }

  /** Installed modules among `names` (ir.module.module, state "installed"). */
  async installedModules(names: string[]): Promise<Set<string>> {
    const rows = await this.executeKw<Array<{ name: string; state: string }>>('ir.module.module', 'search_read', [[['name', 'in', names]]], { fields: ['name', 'state'] });
    return new Set(rows.filter((r) => r.state === 'installed').map((r) => r.name));
  }

  /** Whether the user may read/create `model`, without raising (Odoo's own access rights). */
  async canAccess(model: string, operation: 'read' | 'create' | 'write' = 'read'): Promise<boolean> {
    return (await this.executeKw<boolean>(model, 'check_access_rights', [operation], { raise_exception: false })) === true;
  }
}
