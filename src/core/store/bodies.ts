/**
 * What the "bodies" job (src/core/sync/bodies.ts) asks of the store: a folder's messages a
 * page at a time below a cursor, newest first; which of them still lack a body; counts for
 * "bodies: N of M"; bodies recorded in batches; and the job's cursor, kept beside the
 * folder's sync state (migration 8) so a folder reset clears it with the rest.
 */
import type { SqlValue } from 'sql.js';
import type { MailStore } from './store';
import { storeSql } from './sql';
import { nextTurn } from '../turns';

/**
 * How a folder's messages are ordered for the job: IMAP by UID (a message that arrives or is
 * moved in always gets a higher one), the API providers, which have no UIDs, by date.
 */
export type BodyKey = 'uid' | 'date';

/** A point in that order: the key, and the message id to break ties between equal dates. */
export interface KeyPoint {
  k: number;
  id: number;
}

export interface BodyCandidate {
  id: number;
  key: KeyPoint;
  uid: number | null;
  providerId: string | null;
  messageId: string | null;
  size: number;
  date: number;
  hasBody: boolean;
}

/** Lowest and highest points, so a segment can be open at either end. */
export const KEY_TOP: KeyPoint = { k: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };
export const KEY_BOTTOM: KeyPoint = { k: -1, id: -1 };

/**
 * Up to `limit` of the folder's live messages strictly between `floor` and `next`, newest
 * first. Bounded by the index on the key, so each page costs its own rows only, never a
 * walk over the pages already done.
 */
export function bodyPage(store: MailStore, folderId: number, key: BodyKey, next: KeyPoint, floor: KeyPoint, limit: number): BodyCandidate[] {
  const cols = `ms.message_id AS id, ms.uid, ms.date AS mdate, m.provider_id, m.message_id AS mid, m.size, m.date, m.body_blob IS NOT NULL AS has`;
  let rows: Array<Record<string, SqlValue>>;
  if (key === 'uid') {
    rows = storeSql(store).all(
      `SELECT ${cols} FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.uid IS NOT NULL AND ms.missing_since IS NULL AND ms.uid < ? AND ms.uid > ?
       ORDER BY ms.uid DESC LIMIT ?`,
      [folderId, next.k, floor.k, limit],
    );
  } else {
    rows = storeSql(store).all(
      `SELECT ${cols} FROM memberships ms JOIN messages m ON m.id = ms.message_id
       WHERE ms.folder_id = ? AND ms.missing_since IS NULL
         AND ms.date <= ? AND (ms.date < ? OR ms.message_id < ?)
         AND ms.date >= ? AND (ms.date > ? OR ms.message_id > ?)
       ORDER BY ms.date DESC, ms.message_id DESC LIMIT ?`,
      [folderId, next.k, next.k, next.id, floor.k, floor.k, floor.id, limit],
    );
  }
  return rows.map((r) => {
    const id = r.id as number;
    const uid = (r.uid as number | null) ?? null;
    const mdate = (r.mdate as number | null) ?? 0;
    return {
      id,
      key: { k: key === 'uid' ? uid ?? 0 : mdate, id },
      uid,
      providerId: (r.provider_id as string | null) ?? null,
      messageId: (r.mid as string | null) ?? null,
      size: (r.size as number | null) ?? 0,
      date: (r.date as number | null) ?? 0,
      hasBody: r.has === 1,
    };
  });
}

/** The newest point of the folder (highest UID, or latest date). */
export function topKey(store: MailStore, folderId: number, key: BodyKey): KeyPoint | undefined {
  if (key === 'uid') {
    const r = storeSql(store).get<{ k: number | null }>('SELECT MAX(uid) AS k FROM memberships WHERE folder_id = ? AND uid IS NOT NULL AND missing_since IS NULL', [folderId]);
    return r?.k !== null && r?.k !== undefined ? { k: r.k, id: Number.MAX_SAFE_INTEGER } : undefined;
  }
  const r = storeSql(store).get<{ k: number | null }>('SELECT MAX(date) AS k FROM memberships WHERE folder_id = ? AND missing_since IS NULL', [folderId]);
  return r?.k !== null && r?.k !== undefined ? { k: r.k, id: Number.MAX_SAFE_INTEGER } : undefined;
}

/** The oldest point of the folder (lowest UID, or earliest date). */
export function bottomKey(store: MailStore, folderId: number, key: BodyKey): KeyPoint | undefined {
  const r =
    key === 'uid'
      ? storeSql(store).get<{ k: number | null }>('SELECT MIN(uid) AS k FROM memberships WHERE folder_id = ? AND uid IS NOT NULL AND missing_since IS NULL', [folderId])
      : storeSql(store).get<{ k: number | null }>('SELECT MIN(date) AS k FROM memberships WHERE folder_id = ? AND missing_since IS NULL', [folderId]);
  return r?.k !== null && r?.k !== undefined ? { k: r.k, id: -1 } : undefined;
}

export interface BodyCounts {
  /** Messages in the window, at most the size cap (what the job fetches). */
  total: number;
  /** Of those, with a body stored. */
  stored: number;
  /** Bytes of the stored ones (their sizes as the server reported them). */
  bytes: number;
  /** Messages in the window above the cap: fetched when opened. */
  overCap: number;
}

const COUNT_COLUMNS = `COALESCE(SUM(CASE WHEN m.size <= ?2 THEN 1 ELSE 0 END), 0) AS total,
  COALESCE(SUM(CASE WHEN m.size <= ?2 AND m.body_blob IS NOT NULL THEN 1 ELSE 0 END), 0) AS stored,
  COALESCE(SUM(CASE WHEN m.size <= ?2 AND m.body_blob IS NOT NULL THEN m.size ELSE 0 END), 0) AS bytes,
  COALESCE(SUM(CASE WHEN m.size > ?2 THEN 1 ELSE 0 END), 0) AS over`;

/** UIDs counted per query: a slice of a few milliseconds even in a 100,000-message folder. */
const COUNT_SLICE_UIDS = 4000;

/**
 * "bodies: N of M" for one folder. A size of 0 means unknown, and is fetched. By UID the
 * folder is counted in slices with the event loop free in between (a join over a whole big
 * folder would hold it for ~100 ms); by date (the API providers) in one query.
 */
export async function bodyCounts(store: MailStore, folderId: number, key: BodyKey, since: number, maxBytes: number): Promise<BodyCounts> {
  const out: BodyCounts = { total: 0, stored: 0, bytes: 0, overCap: 0 };
  const add = (r: { total: number; stored: number; bytes: number; over: number } | undefined): void => {
    out.total += r?.total ?? 0;
    out.stored += r?.stored ?? 0;
    out.bytes += r?.bytes ?? 0;
    out.overCap += r?.over ?? 0;
  };
  if (key === 'date') {
    add(storeSql(store).get(`SELECT ${COUNT_COLUMNS} FROM memberships ms JOIN messages m ON m.id = ms.message_id WHERE ms.folder_id = ?1 AND ms.missing_since IS NULL AND m.date >= ?3`, [folderId, maxBytes, since]));
    return out;
  }
  const lo = bottomKey(store, folderId, 'uid');
  const hi = topKey(store, folderId, 'uid');
  if (!lo || !hi) return out;
  for (let from = lo.k; from <= hi.k; from += COUNT_SLICE_UIDS) {
    add(
      storeSql(store).get(
        `SELECT ${COUNT_COLUMNS} FROM memberships ms JOIN messages m ON m.id = ms.message_id
         WHERE ms.folder_id = ?1 AND ms.uid IS NOT NULL AND ms.missing_since IS NULL AND ms.uid >= ?4 AND ms.uid < ?5 AND m.date >= ?3`,
        [folderId, maxBytes, since, from, from + COUNT_SLICE_UIDS],
      ),
    );
    if (from + COUNT_SLICE_UIDS <= hi.k) await nextTurn();
  }
  return out;
}

/** Records fetched bodies (blobs already written), in one transaction; a body already set is kept. */
export function recordBodies(store: MailStore, items: Array<{ id: number; hash: string }>, also?: () => void): void {
  const sql = storeSql(store);
  store.tx(() => {
    for (const it of items) sql.run('UPDATE messages SET body_blob = ? WHERE id = ? AND body_blob IS NULL', [it.hash, it.id]);
    also?.();
  });
}

export function getBodiesCursor<T>(store: MailStore, folderId: number): T | undefined {
  const r = storeSql(store).get<{ c: string | null }>('SELECT bodies_cursor AS c FROM folder_sync WHERE folder_id = ?', [folderId]);
  if (!r?.c) return undefined;
  try {
    return JSON.parse(r.c) as T;
  } catch {
    return undefined;
  }
}

export function setBodiesCursor(store: MailStore, folderId: number, cursor: unknown): void {
  store.tx(() =>
    storeSql(store).run(
      `INSERT INTO folder_sync(folder_id, bodies_cursor) VALUES(?, ?)
       ON CONFLICT(folder_id) DO UPDATE SET bodies_cursor = excluded.bodies_cursor`,
      [folderId, cursor === undefined ? null : JSON.stringify(cursor)],
    ),
  );
}

/** Stored bodies whose text is not in the search index yet, newest rows first. */
export function unindexedBodies(store: MailStore, limit: number): Array<{ id: number; blob: string }> {
  return storeSql(store).all<{ id: number; blob: string }>('SELECT id, body_blob AS blob FROM messages WHERE body_blob IS NOT NULL AND body_indexed = 0 ORDER BY id DESC LIMIT ?', [limit]);
}

/** How many stored bodies still wait for the search index. */
export function pendingBodyIndex(store: MailStore): number {
  return storeSql(store).get<{ n: number }>('SELECT COUNT(*) AS n FROM messages WHERE body_blob IS NOT NULL AND body_indexed = 0')?.n ?? 0;
}

/** Messages of the account that lack a body, by provider id, for the journal's replay. */
export function bodyMissing(store: MailStore, accountId: string, providerId: string): { id: number; messageId: string | null } | undefined {
  const r = storeSql(store).get<{ id: number; mid: string | null }>('SELECT id, message_id AS mid FROM messages WHERE account_id = ? AND provider_id = ? AND body_blob IS NULL', [accountId, providerId]);
  return r ? { id: r.id, messageId: r.mid ?? null } : undefined;
}
