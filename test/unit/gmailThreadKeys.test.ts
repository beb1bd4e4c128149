/**
 * Gmail's threadId as the thread key (issue 17): a store written before it (thread keys from
 * Message-IDs, the threadId kept beside them since migration 8) is brought over on upgrade
 * without splitting a conversation.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSqlJs } from '../../src/core/store/sqlite';
import { MailStore } from '../../src/core/store/store';
import { MIGRATIONS } from '../../src/core/store/schema';
import { listThreads } from '../../src/core/threads/threads';

describe('Gmail threadId as the thread key (store upgrade)', () => {
  it('Gmail mail stored with Message-ID keys takes its threadId as key, and a local entry threaded with it follows', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-gthreads-'));
    try {
      const SQL = await loadSqlJs();
      const db = new SQL.Database();
      const before = MIGRATIONS.findIndex((m) => m.includes("'gmail:' || provider_thread"));
      assert.ok(before > 0, 'the migration exists');
      for (const m of MIGRATIONS.slice(0, before)) db.exec(m);
      db.exec(`PRAGMA user_version = ${before}`);
      db.exec(`INSERT INTO accounts(id, provider, email, config, created_at) VALUES('g', 'gmail', 'g@x', '{}', 0)`);
      db.exec(`INSERT INTO accounts(id, provider, email, config, created_at) VALUES('i', 'imap', 'i@x', '{}', 0)`);
      db.exec(`INSERT INTO folders(id, account_id, path, name) VALUES(1, 'g', 'INBOX', 'Inbox'), (2, 'i', 'INBOX', 'Inbox')`);
      // id, account, provider id, Message-ID, thread key as the old code stored it, Gmail threadId
      const rows: Array<[number, string, string | null, string, string, string | null]> = [
        [1, 'g', 'p1', '<a@x>', '<a@x>', 'T1'],
        [2, 'g', 'p2', '<b@x>', '<b@x>', 'T1'], // joined by Gmail without a header linking it
        [3, 'g', 'p3', '<c@x>', '<a@x>', 'T2'], // points at <a@x>, split off by Gmail
        [4, 'g', null, '<d@x>', '<b@x>', null], // a local draft replying to <b@x>
        [5, 'i', 'u1', '<a@x>', '<a@x>', null], // another account: untouched
      ];
      for (const [id, acc, pid, mid, tk, pt] of rows) {
        const q = (v: string | null) => (v === null ? 'NULL' : `'${v}'`);
        db.exec(`INSERT INTO messages(id, account_id, provider_id, message_id, thread_key, subject, date, data, indexed, provider_thread) VALUES(${id}, '${acc}', ${q(pid)}, '${mid}', '${tk}', 's${id}', ${id}, '{}', 1, ${q(pt)})`);
        db.exec(`INSERT INTO memberships(folder_id, message_id, uid, date) VALUES(${acc === 'g' ? 1 : 2}, ${id}, ${pid ? id : 'NULL'}, ${id})`);
      }
      fs.writeFileSync(path.join(dir, 'maildesk.db'), db.export());
      db.close();
      const store = await MailStore.open({ dir });
      const key = (id: number) => store.messages.threadKeyOf(id);
      assert.equal(key(1), 'gmail:T1');
      assert.equal(key(2), 'gmail:T1', 'joined as Gmail joined them');
      assert.equal(key(3), 'gmail:T2', 'split as Gmail split them');
      assert.equal(key(4), 'gmail:T1', 'the local draft follows the message it was threaded with');
      assert.equal(key(5), '<a@x>', 'an IMAP account keeps its keys');
      assert.deepEqual(listThreads(store, 1).map((t) => t.count).sort(), [1, 3]);
      store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
