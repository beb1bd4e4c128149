/**
 * Forward-only migrations, applied in order; `PRAGMA user_version` records how far
 * a database got. Never edit a shipped migration: add a new one.
 *
 * Rows are "fat": indexed columns for what is queried, a JSON `data` column for the rest.
 */
export const MIGRATIONS: string[] = [
  // 1: accounts, folders, messages with memberships, sync state, jobs, tasks, outbox.
  `
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT,
    config TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'unknown',
    state_code TEXT,
    state_reason TEXT,
    state_at INTEGER,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    delimiter TEXT,
    role TEXT,
    special_use TEXT,
    selected INTEGER NOT NULL DEFAULT 0,
    remote_exists INTEGER NOT NULL DEFAULT 1,
    remote_total INTEGER,
    remote_unread INTEGER,
    data TEXT,
    UNIQUE(account_id, path)
  );
  CREATE TABLE folder_sync (
    folder_id INTEGER PRIMARY KEY REFERENCES folders(id) ON DELETE CASCADE,
    uidvalidity TEXT,
    uidnext INTEGER,
    highestmodseq TEXT,
    -- lowest UID fetched so far: the backfill resumes below it
    backfill_cursor TEXT,
    fill_done INTEGER NOT NULL DEFAULT 0,
    backfill_done INTEGER NOT NULL DEFAULT 0,
    deep_backfill INTEGER NOT NULL DEFAULT 0,
    -- Gmail historyId / Graph deltaLink / page tokens live here for the API providers
    cursor TEXT,
    last_sync_at INTEGER,
    reset_count INTEGER NOT NULL DEFAULT 0,
    last_reset_at INTEGER
  );
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- provider's stable identity: IMAP folder id + UIDVALIDITY + UID, Gmail id, Graph immutable id
    provider_id TEXT,
    message_id TEXT,
    thread_key TEXT,
    subject TEXT,
    from_name TEXT,
    from_addr TEXT,
    date INTEGER,
    size INTEGER,
    seen INTEGER NOT NULL DEFAULT 0,
    flagged INTEGER NOT NULL DEFAULT 0,
    answered INTEGER NOT NULL DEFAULT 0,
    draft INTEGER NOT NULL DEFAULT 0,
    has_attachments INTEGER NOT NULL DEFAULT 0,
    -- 'local' for a Sent entry or draft that exists only here until the provider's copy arrives
    origin TEXT NOT NULL DEFAULT 'remote',
    body_blob TEXT,
    data TEXT
  );
  CREATE UNIQUE INDEX messages_provider ON messages(account_id, provider_id);
  CREATE INDEX messages_msgid ON messages(account_id, message_id);
  CREATE INDEX messages_thread ON messages(account_id, thread_key);
  CREATE TABLE memberships (
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    uid INTEGER,
    modseq TEXT,
    date INTEGER,
    -- set when the server no longer lists it; removed only if still missing a cycle later
    missing_since INTEGER,
    PRIMARY KEY (folder_id, message_id)
  );
  CREATE UNIQUE INDEX memberships_uid ON memberships(folder_id, uid) WHERE uid IS NOT NULL;
  CREATE INDEX memberships_date ON memberships(folder_id, date DESC);
  CREATE INDEX memberships_message ON memberships(message_id);
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    folder_id INTEGER REFERENCES folders(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    last_run INTEGER,
    last_success INTEGER,
    next_run INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    error_message TEXT,
    progress TEXT
  );
  CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    local_message INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    raw_blob TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    error_message TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
  );
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: drafts (the source of truth for what the user writes) and what a send needs to be
  // tried again safely: the draft it came from and whether a lost reply means "maybe sent".
  `
  CREATE TABLE drafts (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- generated once per draft, kept across saves, retries and resends
    message_id TEXT NOT NULL,
    data TEXT NOT NULL,
    raw_blob TEXT,
    -- the entry shown in the Drafts folder (local until the server copy is adopted)
    local_message INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    server_folder TEXT,
    server_uid INTEGER,
    server_error TEXT,
    status TEXT NOT NULL DEFAULT 'draft',
    error_code TEXT,
    error_message TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX drafts_msgid ON drafts(account_id, message_id);
  ALTER TABLE outbox ADD COLUMN draft_id INTEGER;
  ALTER TABLE outbox ADD COLUMN maybe_sent INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE outbox ADD COLUMN updated_at INTEGER;
  CREATE UNIQUE INDEX outbox_msgid ON outbox(account_id, message_id);
  `,
  // 3: threads and local search (src/core/threads, src/core/search). Kept in step by triggers,
  // so every write path (sync, local Sent entries, drafts) threads and indexes without a hook.
  // message_refs holds each message's own Message-ID and the ids it points to (In-Reply-To,
  // References), normalised; messages sharing any id are one thread. On insert the new
  // message's neighbours' threads are merged under the key of the oldest message, so a reply
  // that arrives before its parent, or only carries In-Reply-To, still lands in one thread.
  // A thread key the provider set (Gmail thread id, Graph conversationId) differs from the
  // derived default and is left alone.
  `
  CREATE TABLE message_refs (
    account_id TEXT NOT NULL,
    ref TEXT NOT NULL,
    message_rowid INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, ref, message_rowid)
  );
  CREATE INDEX message_refs_message ON message_refs(message_rowid);
  INSERT OR IGNORE INTO message_refs(account_id, ref, message_rowid)
    SELECT account_id, r, id FROM (
      SELECT account_id, id, lower(trim(message_id, '<> ')) AS r FROM messages
      UNION SELECT account_id, id, lower(trim(json_extract(data, '$.inReplyTo'), '<> ')) FROM messages WHERE json_valid(data)
      UNION SELECT m.account_id, m.id, lower(trim(j.value, '<> ')) FROM messages m, json_each(m.data, '$.references') j WHERE json_valid(m.data)
    ) WHERE r IS NOT NULL AND r <> '';
  CREATE TEMP TABLE _thread_root AS
    WITH RECURSIVE reach(start, id) AS (
      SELECT id, id FROM messages
      UNION
      SELECT reach.start, b.message_rowid FROM reach
        JOIN message_refs a ON a.message_rowid = reach.id
        JOIN message_refs b ON b.account_id = a.account_id AND b.ref = a.ref
    )
    SELECT start, MIN(id) AS root FROM reach GROUP BY start;
  UPDATE messages SET thread_key = (SELECT t.thread_key FROM _thread_root r JOIN messages t ON t.id = r.root WHERE r.start = messages.id)
    WHERE id IN (SELECT start FROM _thread_root WHERE root <> start);
  DROP TABLE _thread_root;
  CREATE TRIGGER messages_thread_ai AFTER INSERT ON messages BEGIN
    INSERT OR IGNORE INTO message_refs(account_id, ref, message_rowid)
      SELECT NEW.account_id, r, NEW.id FROM (
        SELECT lower(trim(NEW.message_id, '<> ')) AS r
        UNION SELECT lower(trim(json_extract(CASE WHEN json_valid(NEW.data) THEN NEW.data ELSE '{}' END, '$.inReplyTo'), '<> '))
        UNION SELECT lower(trim(value, '<> ')) FROM json_each(CASE WHEN json_valid(NEW.data) THEN NEW.data ELSE '{}' END, '$.references')
      ) WHERE r IS NOT NULL AND r <> '';
    UPDATE messages SET thread_key = (
        SELECT m.thread_key FROM message_refs a
          JOIN message_refs b ON b.account_id = a.account_id AND b.ref = a.ref
          JOIN messages m ON m.id = b.message_rowid
        WHERE a.message_rowid = NEW.id AND m.thread_key IS NOT NULL ORDER BY m.id LIMIT 1)
      WHERE account_id = NEW.account_id
        AND NEW.thread_key IS COALESCE(
          json_extract(CASE WHEN json_valid(NEW.data) THEN NEW.data ELSE '{}' END, '$.references[0]'),
          json_extract(CASE WHEN json_valid(NEW.data) THEN NEW.data ELSE '{}' END, '$.inReplyTo'),
          NEW.message_id)
        AND thread_key IN (
          SELECT m.thread_key FROM message_refs a
            JOIN message_refs b ON b.account_id = a.account_id AND b.ref = a.ref
            JOIN messages m ON m.id = b.message_rowid
          WHERE a.message_rowid = NEW.id);
  END;
  -- Sender, recipients, subject from the row; body text is added when a body is fetched
  -- (NULL until then, which is how the prefetch finds what is left to index).
  CREATE VIRTUAL TABLE message_fts USING fts4(subject, sender, recipients, body, tokenize=unicode61 "remove_diacritics=1");
  INSERT INTO message_fts(docid, subject, sender, recipients, body)
    SELECT id, subject, trim(COALESCE(from_name, '') || ' ' || COALESCE(from_addr, '')),
      (SELECT group_concat(COALESCE(json_extract(j.value, '$.name'), '') || ' ' || COALESCE(json_extract(j.value, '$.address'), ''), ' ')
         FROM (SELECT value FROM json_each(CASE WHEN json_valid(data) THEN data ELSE '{}' END, '$.to')
               UNION ALL SELECT value FROM json_each(CASE WHEN json_valid(data) THEN data ELSE '{}' END, '$.cc')) j),
      NULL
    FROM messages;
  CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO message_fts(docid, subject, sender, recipients, body) VALUES (
      NEW.id, NEW.subject, trim(COALESCE(NEW.from_name, '') || ' ' || COALESCE(NEW.from_addr, '')),
      (SELECT group_concat(COALESCE(json_extract(j.value, '$.name'), '') || ' ' || COALESCE(json_extract(j.value, '$.address'), ''), ' ')
         FROM (SELECT value FROM json_each(CASE WHEN json_valid(NEW.data) THEN NEW.data ELSE '{}' END, '$.to')
               UNION ALL SELECT value FROM json_each(CASE WHEN json_valid(NEW.data) THEN NEW.data ELSE '{}' END, '$.cc')) j),
      NULL);
  END;
  CREATE TRIGGER messages_fts_au AFTER UPDATE OF subject, from_name, from_addr, data ON messages BEGIN
    UPDATE message_fts SET subject = NEW.subject, sender = trim(COALESCE(NEW.from_name, '') || ' ' || COALESCE(NEW.from_addr, '')),
      recipients = (SELECT group_concat(COALESCE(json_extract(j.value, '$.name'), '') || ' ' || COALESCE(json_extract(j.value, '$.address'), ''), ' ')
         FROM (SELECT value FROM json_each(CASE WHEN json_valid(NEW.data) THEN NEW.data ELSE '{}' END, '$.to')
               UNION ALL SELECT value FROM json_each(CASE WHEN json_valid(NEW.data) THEN NEW.data ELSE '{}' END, '$.cc')) j)
      WHERE docid = NEW.id;
  END;
  CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    DELETE FROM message_fts WHERE docid = OLD.id;
  END;
  `,
  // 4: the live UIDs of a folder, for the sync's bounds and counts: without it every sync
  // walked the folder's whole membership list (112 ms a folder at 100,000 messages).
  `
  CREATE INDEX memberships_live ON memberships(folder_id, uid) WHERE uid IS NOT NULL AND missing_since IS NULL;
  `,
  // 5: Workflow Bridge links (src/core/bridges/links.ts): an e-mail, by its Message-ID so a
  // move between folders or a re-sync keeps it, linked to a record in another system.
  `
  CREATE TABLE bridge_links (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    bridge TEXT NOT NULL,
    model TEXT NOT NULL,
    record_id TEXT NOT NULL,
    record_name TEXT,
    url TEXT,
    -- 'ok', or 'gone' once the other system no longer has the record
    state TEXT NOT NULL DEFAULT 'ok',
    created_at INTEGER NOT NULL,
    checked_at INTEGER,
    UNIQUE(account_id, message_id, bridge, model, record_id)
  );
  CREATE INDEX bridge_links_record ON bridge_links(model, record_id);
  `,
  // 6: threading and the search index move off the insert path. The per-row triggers of
  // migration 3 more than tripled the cost of storing a header (measured: 20,000 headers,
  // 3.2 s with them, 0.9 s without), and a sync stores headers in bulk. New rows start with
  // indexed = 0; src/core/search/indexer.ts threads and indexes them in batches, in the
  // background after sync steps and before any read that needs them.
  `
  DROP TRIGGER messages_thread_ai;
  DROP TRIGGER messages_fts_ai;
  ALTER TABLE messages ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;
  UPDATE messages SET indexed = 1;
  CREATE INDEX messages_unindexed ON messages(id) WHERE indexed = 0;
  `,
  // 7: the search index merges its segments a little after every batch (FTS4 automerge,
  // kept in message_fts_stat) instead of all at once when a level fills up, which at 100,000
  // messages held the thread for one batch far longer than the others (measured: 100,000
  // index rows in batches of 100, longest batch 74 ms without, 25 ms with, same total time).
  `
  INSERT INTO message_fts(message_fts) VALUES('automerge=8');
  `,
  // 8 (Gmail threads, issue 17): Gmail's own threadId per message. Gmail puts a sent reply or a
  // draft in a conversation only when the request names that threadId, so a reply looks up its
  // parent's here by Message-ID (index messages_msgid). Additive: one nullable column.
  `
  ALTER TABLE messages ADD COLUMN provider_thread TEXT;
  `,
  // 9: offline bodies (src/core/sync/bodies.ts). Which stored bodies still wait for their text
  // in the search index (so the background pass finds them through an index, not a scan of
  // the FTS table), and where each folder's "bodies" job stands (JSON: its UID or date
  // cursor), kept with the folder's sync state so a folder reset clears it too.
  `
  ALTER TABLE messages ADD COLUMN body_indexed INTEGER NOT NULL DEFAULT 0;
  UPDATE messages SET body_indexed = 1 WHERE id IN (SELECT docid FROM message_fts WHERE body IS NOT NULL);
  CREATE INDEX messages_body_unindexed ON messages(id) WHERE body_blob IS NOT NULL AND body_indexed = 0;
  ALTER TABLE folder_sync ADD COLUMN bodies_cursor TEXT;
  `,
  // 10 (issue 12): a task may wait before its next try (a Sent copy the server could not take
  // yet backs off, src/core/send/sentCopyTask.ts), and triage's Undo records outlive the
  // process (src/core/store/undoLog.ts), so a restarted engine or a reloaded window can still
  // undo the last actions. AUTOINCREMENT: an undo id is never given to a later action.
  `
  ALTER TABLE tasks ADD COLUMN not_before INTEGER;
  CREATE TABLE undo_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label TEXT NOT NULL,
    steps TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX undo_records_created ON undo_records(created_at);
  `,
  // 11: the search index's segments are merged by the background indexers, a bounded step per
  // turn of the event loop (MessageIndex.mergeStep), not inside the write that fills a level:
  // with the store on disk an automerge inside a body-index write held the thread 57–75 ms
  // (`npm run bench -- --no-headers --body-sides maildesk-bodies`, 10,000 messages).
  `
  INSERT INTO message_fts(message_fts) VALUES('automerge=0');
  `,
  // 12 (Gmail threads, issue 17): Gmail's threadId (migration 8) becomes the thread key, as
  // Outlook's conversationId already is (src/core/store/threadKeys.ts). What was threaded with
  // such a message under a key derived from Message-IDs (a local draft or Sent entry, mail
  // stored before migration 8) follows it, so no conversation splits on the way.
  `
  CREATE TEMP TABLE _gmail_keys AS
    SELECT account_id, thread_key AS old, MIN('gmail:' || provider_thread) AS new FROM messages
    WHERE provider_thread IS NOT NULL AND thread_key IS NOT NULL AND thread_key NOT LIKE 'gmail:%' AND thread_key NOT LIKE 'graph:%'
    GROUP BY account_id, thread_key;
  UPDATE messages SET thread_key = 'gmail:' || provider_thread WHERE provider_thread IS NOT NULL;
  UPDATE messages SET thread_key = (SELECT k.new FROM _gmail_keys k WHERE k.account_id = messages.account_id AND k.old = messages.thread_key)
    WHERE provider_thread IS NULL AND EXISTS (SELECT 1 FROM _gmail_keys k WHERE k.account_id = messages.account_id AND k.old = messages.thread_key);
  DROP TABLE _gmail_keys;
  `,
  // 13 (#13): a folder's missing memberships, for purgeMissing, which runs after every sync of a
  // folder and most often finds none. Without it, finding none meant reading each of the folder's
  // memberships: 25 ms at 100,000 messages, a 105 ms stall beside the rest of a sync step
  // (`npm run bench -- --messages 100000`). Partial: rows not missing are not in it.
  `
  CREATE INDEX memberships_missing ON memberships(folder_id, missing_since) WHERE missing_since IS NOT NULL;
  `,
];
