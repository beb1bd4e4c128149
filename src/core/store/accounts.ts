/** The `accounts` table: each account's settings and connection state. */
import type { SqlValue } from 'sql.js';
import type { AccountConfig } from '../config';
import type { BlobStore } from './blobs';
import type { StoreSql } from './sql';

export type AccountState = 'unknown' | 'connected' | 'disconnected' | 'reauth';

export interface AccountRow {
  id: string;
  provider: string;
  email: string;
  name: string | null;
  config: AccountConfig;
  state: AccountState;
  stateCode: string | null;
  stateReason: string | null;
  stateAt: number | null;
}

function toAccount(r: Record<string, SqlValue>): AccountRow {
  return {
    id: r.id as string,
    provider: r.provider as string,
    email: r.email as string,
    name: (r.name as string) ?? null,
    config: JSON.parse(r.config as string) as AccountConfig,
    state: r.state as AccountState,
    stateCode: (r.state_code as string) ?? null,
    stateReason: (r.state_reason as string) ?? null,
    stateAt: (r.state_at as number) ?? null,
  };
}

export class AccountsTable {
  constructor(
    private readonly sql: StoreSql,
    private readonly blobs: BlobStore,
  ) {}

  upsert(cfg: AccountConfig): void {
    this.sql.tx(() => {
      this.sql.run(
        `INSERT INTO accounts(id, provider, email, name, config, created_at) VALUES(?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET provider = excluded.provider, email = excluded.email, name = excluded.name, config = excluded.config`,
        [cfg.id, cfg.provider, cfg.email, cfg.name ?? null, JSON.stringify(cfg), Date.now()],
      );
      this.sql.pending.accounts.add(cfg.id);
    });
  }

  get(id: string): AccountRow | undefined {
    const r = this.sql.get('SELECT * FROM accounts WHERE id = ?', [id]);
    return r ? toAccount(r) : undefined;
  }

  list(): AccountRow[] {
    return this.sql.all('SELECT * FROM accounts ORDER BY id').map(toAccount);
  }

  setState(id: string, state: AccountState, code: string | null = null, reason: string | null = null): void {
    const cur = this.get(id);
    if (!cur || (cur.state === state && cur.stateCode === code && cur.stateReason === reason)) return;
    this.sql.tx(() => {
      this.sql.run('UPDATE accounts SET state = ?, state_code = ?, state_reason = ?, state_at = ? WHERE id = ?', [state, code, reason, Date.now(), id]);
      this.sql.pending.accounts.add(id);
    });
  }

  /** Deletes the account, its folders, messages, jobs and the blobs nothing else uses. */
  remove(id: string): void {
    const blobs = this.sql.all<{ body_blob: string }>('SELECT body_blob FROM messages WHERE account_id = ? AND body_blob IS NOT NULL', [id]).map((r) => r.body_blob);
    this.sql.tx(() => {
      this.sql.run('DELETE FROM accounts WHERE id = ?', [id]);
      this.sql.pending.accounts.add(id);
      this.sql.pending.jobs = true;
    });
    for (const b of blobs) if (!this.sql.get('SELECT 1 FROM messages WHERE body_blob = ? LIMIT 1', [b])) this.blobs.delete(b);
  }
}
