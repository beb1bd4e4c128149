/**
 * The `undo_records` table: triage's Undo records (src/core/triage/triage.ts), kept in the
 * store so that an engine restarted (or a window reloaded) can still undo the last actions it
 * offered. Each record is the label shown ("Archived 3 messages") and the inverse steps as
 * JSON; the triage service owns their meaning. Only recent ones are kept: Undo is for the last
 * few actions, not a history (`prune`).
 */
import type { StoreSql } from './sql';

export interface StoredUndo {
  id: number;
  label: string;
  steps: unknown[];
  createdAt: number;
}

interface Row {
  id: number;
  label: string;
  steps: string;
  created_at: number;
}

function toUndo(r: Row): StoredUndo {
  let steps: unknown[] = [];
  try {
    const v = JSON.parse(r.steps) as unknown;
    if (Array.isArray(v)) steps = v;
  } catch {
    // A record that cannot be read undoes nothing; the caller reports that.
  }
  return { id: r.id, label: r.label, steps, createdAt: r.created_at };
}

export class UndoLogTable {
  constructor(private readonly sql: StoreSql) {}

  /** Records an action's inverse; returns its id (never reused, even after it is removed). */
  add(label: string, steps: unknown[], now: number): number {
    let id = 0;
    this.sql.tx(() => {
      this.sql.run('INSERT INTO undo_records(label, steps, created_at) VALUES(?, ?, ?)', [label, JSON.stringify(steps), now]);
      id = this.sql.lastId();
    });
    return id;
  }

  /** A record created at or after `since`, by id. */
  get(id: number, since: number): StoredUndo | undefined {
    const r = this.sql.get<Row>('SELECT id, label, steps, created_at FROM undo_records WHERE id = ? AND created_at >= ?', [id, since]);
    return r ? toUndo(r) : undefined;
  }

  /** The newest record created at or after `since`. */
  latest(since: number): StoredUndo | undefined {
    const r = this.sql.get<Row>('SELECT id, label, steps, created_at FROM undo_records WHERE created_at >= ? ORDER BY id DESC LIMIT 1', [since]);
    return r ? toUndo(r) : undefined;
  }

  /** Records created at or after `since`, newest first. */
  list(since: number, limit: number): StoredUndo[] {
    return this.sql.all<Row>('SELECT id, label, steps, created_at FROM undo_records WHERE created_at >= ? ORDER BY id DESC LIMIT ?', [since, limit]).map(toUndo);
  }

  /** An undo is used once. */
  remove(id: number): void {
    this.sql.tx(() => this.sql.run('DELETE FROM undo_records WHERE id = ?', [id]));
  }

  /** Drops records older than `before`, and all but the newest `keep`. */
  prune(keep: number, before: number): void {
    this.sql.tx(() => {
      this.sql.run('DELETE FROM undo_records WHERE created_at < ?', [before]);
      this.sql.run('DELETE FROM undo_records WHERE id NOT IN (SELECT id FROM undo_records ORDER BY id DESC LIMIT ?)', [keep]);
    });
  }
}
