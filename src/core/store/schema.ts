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
];
