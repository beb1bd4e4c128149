/** The `settings` table: small values by key (learnt server behaviour, remote draft ids, recovery notes). */
import type { StoreSql } from './sql';

export class SettingsTable {
  constructor(private readonly sql: StoreSql) {}

  get(key: string): string | undefined {
    return this.sql.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key])?.value;
  }

  set(key: string, value: string): void {
    this.sql.tx(() => this.sql.run('INSERT INTO settings(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, value]));
  }

  delete(key: string): void {
    this.sql.tx(() => this.sql.run('DELETE FROM settings WHERE key = ?', [key]));
  }

  /** Every value whose key starts with `prefix`, in key order. */
  withPrefix(prefix: string): Array<{ key: string; value: string }> {
    const like = prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
    return this.sql.all<{ key: string; value: string }>(`SELECT key, value FROM settings WHERE key LIKE ? ESCAPE '\\' ORDER BY key`, [like]);
  }
}
