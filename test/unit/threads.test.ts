import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSqlJs } from '../../src/core/store/sqlite';
import { type IncomingMessage, MailStore } from '../../src/core/store/store';
import { MIGRATIONS } from '../../src/core/store/schema';
import { listThreads, threadKeyOf, threadMessages } from '../../src/core/threads/threads';

type Spec = { uid: number; id: string; subject?: string; inReplyTo?: string; references?: string[]; seen?: boolean; threadKey?: string; minute?: number };

function msg(folderId: number, s: Spec): IncomingMessage {
  return {
    providerId: `${folderId}:1:${s.uid}`,
    uid: s.uid,
    messageId: `<${s.id}@example.test>`,
    subject: s.subject ?? `About ${s.id}`,
    from: { name: s.id.toUpperCase(), address: `${s.id}@example.test` },
    date: Date.UTC(2024, 0, 1) + (s.minute ?? s.uid) * 60_000,
    flags: s.seen ? ['\\Seen'] : [],
    inReplyTo: s.inReplyTo ? `<${s.inReplyTo}@example.test>` : undefined,
    references: s.references?.map((r) => `<${r}@example.test>`),
    threadKey: s.threadKey,
  };
}

async function setup(dir?: string): Promise<{ store: MailStore; inbox: number; sent: number; trash: number }> {
  const store = await MailStore.open({ dir });
  store.upsertAccount({ id: 'a', provider: 'imap', email: 'a@example.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'a' } });
  store.upsertFolders(
    'a',
    [
      { path: 'INBOX', name: 'Inbox', role: 'inbox' },
      { path: 'Sent', name: 'Sent', role: 'sent' },
      { path: 'Trash', name: 'Trash', role: 'trash' },
    ],
    () => true,
  );
  const id = (p: string) => store.getFolder('a', p)!.id;
  return { store, inbox: id('INBOX'), sent: id('Sent'), trash: id('Trash') };
}

/** Subjects of each thread listed for a folder, as the grouped message list shows them. */
function threadsOf(store: MailStore, folderId: number): Array<{ newest: string; count: number; unread: number }> {
  return listThreads(store, folderId).map((t) => ({ newest: t.newest.subject, count: t.count, unread: t.unread }));
}

function idsInThreadOf(store: MailStore, folderId: number, uid: number): string[] {
  const m = store.getMessageByUid(folderId, uid)!;
  return threadMessages(store, 'a', threadKeyOf(store, m.id)!).map((r) => r.messageId!.replace(/[<>]|@example\.test/g, ''));
}

describe('threads', () => {
  const cases: Array<{ name: string; inbox: Spec[]; sent?: Spec[]; expect: string[][] }> = [
    {
      name: 'References chain',
      inbox: [
        { uid: 1, id: 'a1' },
        { uid: 2, id: 'a2', inReplyTo: 'a1', references: ['a1'] },
        { uid: 3, id: 'a3', inReplyTo: 'a2', references: ['a1', 'a2'] },
      ],
      expect: [['a1', 'a2', 'a3']],
    },
    {
      name: 'In-Reply-To only (no References), down a chain',
      inbox: [
        { uid: 1, id: 'b1' },
        { uid: 2, id: 'b2', inReplyTo: 'b1' },
        { uid: 3, id: 'b3', inReplyTo: 'b2' },
      ],
      expect: [['b1', 'b2', 'b3']],
    },
    {
      name: 'reply arrives before its parent; the parent joins it',
      inbox: [
        { uid: 1, id: 'c3', inReplyTo: 'c2', minute: 30 },
        { uid: 2, id: 'c1', minute: 10 },
        { uid: 3, id: 'c2', inReplyTo: 'c1', minute: 20 },
      ],
      expect: [['c1', 'c2', 'c3']],
    },
    {
      name: 'a thread spans Inbox and Sent',
      inbox: [
        { uid: 1, id: 'd1', minute: 1 },
        { uid: 2, id: 'd3', inReplyTo: 'd2', references: ['d1', 'd2'], minute: 3 },
      ],
      sent: [{ uid: 1, id: 'd2', inReplyTo: 'd1', minute: 2 }],
      expect: [['d1', 'd2', 'd3']],
    },
    {
      name: 'same subject alone is not one thread',
      inbox: [
        { uid: 1, id: 'e1', subject: 'Lunch?' },
        { uid: 2, id: 'e2', subject: 'Lunch?' },
        { uid: 3, id: 'e3', subject: 'Re: Lunch?' },
      ],
      expect: [['e1'], ['e2'], ['e3']],
    },
  ];

  for (const c of cases) {
    it(`groups: ${c.name}`, async () => {
      const { store, inbox, sent } = await setup();
      store.upsertMessages(inbox, c.inbox.map((s) => msg(inbox, s)));
      if (c.sent) store.upsertMessages(sent, c.sent.map((s) => msg(sent, s)));
      const got = c.inbox.map((s) => idsInThreadOf(store, inbox, s.uid).join(','));
      const uniq = [...new Set(got)].map((g) => g.split(',')).sort();
      assert.deepEqual(uniq, c.expect.map((e) => [...e].sort()).sort());
      assert.equal(listThreads(store, inbox).length, c.expect.length, 'one list row per thread');
      store.close();
    });
  }

  it('lists one row per thread: newest message in the folder, count across folders, unread state', async () => {
    const { store, inbox, sent } = await setup();
    store.upsertMessages(inbox, [
      msg(inbox, { uid: 1, id: 'p1', subject: 'Plan', seen: true, minute: 1 }),
      msg(inbox, { uid: 2, id: 'p3', subject: 'Re: Plan', inReplyTo: 'p2', references: ['p1', 'p2'], minute: 3 }),
      msg(inbox, { uid: 3, id: 'q1', subject: 'Other', seen: true, minute: 2 }),
    ]);
    store.upsertMessages(sent, [msg(sent, { uid: 1, id: 'p2', subject: 'Re: Plan', inReplyTo: 'p1', references: ['p1'], seen: true, minute: 2 })]);
    assert.deepEqual(threadsOf(store, inbox), [
      { newest: 'Re: Plan', count: 3, unread: 1 },
      { newest: 'Other', count: 1, unread: 0 },
    ]);
    // From Sent the same conversation is one row too, with its Sent message as the row.
    assert.deepEqual(threadsOf(store, sent), [{ newest: 'Re: Plan', count: 3, unread: 1 }]);
    store.close();
  });

  it('keeps the provider thread id when there is one', async () => {
    const { store, inbox } = await setup();
    store.upsertMessages(inbox, [
      msg(inbox, { uid: 1, id: 'g1', threadKey: 'gm:42' }),
      msg(inbox, { uid: 2, id: 'g2', threadKey: 'gm:42', subject: 'different subject, no headers linking it' }),
      msg(inbox, { uid: 3, id: 'g3', threadKey: 'gm:7', inReplyTo: 'g1' }),
    ]);
    assert.deepEqual(idsInThreadOf(store, inbox, 1), ['g1', 'g2']);
    assert.deepEqual(idsInThreadOf(store, inbox, 3), ['g3']);
    store.close();
  });

  it('shows a message that is in Inbox and Sent (sent to oneself) once, and leaves out Trash', async () => {
    const { store, inbox, sent, trash } = await setup();
    store.upsertMessages(inbox, [msg(inbox, { uid: 1, id: 's1', minute: 1 }), msg(inbox, { uid: 2, id: 's2', inReplyTo: 's1', minute: 2 })]);
    store.upsertMessages(sent, [msg(sent, { uid: 1, id: 's2', inReplyTo: 's1', minute: 2 })]);
    store.upsertMessages(trash, [msg(trash, { uid: 1, id: 's3', inReplyTo: 's2', minute: 3 })]);
    assert.deepEqual(idsInThreadOf(store, inbox, 1), ['s1', 's2']);
    const row = threadMessages(store, 'a', threadKeyOf(store, store.getMessageByUid(inbox, 2)!.id)!).find((m) => m.messageId === '<s2@example.test>')!;
    assert.deepEqual(row.folderIds.sort(), [inbox, sent].sort(), 'the one row knows both folders');
    store.close();
  });

  it('threads mail stored before the threading migration when the store is upgraded', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-threads-'));
    try {
      // A version-2 database, written the way the old code did (thread_key from references[0] / in-reply-to).
      const SQL = await loadSqlJs();
      const db = new SQL.Database();
      for (const m of MIGRATIONS.slice(0, 2)) db.exec(m);
      db.exec('PRAGMA user_version = 2');
      db.exec(`INSERT INTO accounts(id, provider, email, config, created_at) VALUES('a', 'imap', 'a@x', '{}', 0)`);
      db.exec(`INSERT INTO folders(id, account_id, path, name) VALUES(1, 'a', 'INBOX', 'Inbox')`);
      const rows = [
        [1, '<u1@x>', '<u1@x>', '{}'],
        [2, '<u2@x>', '<u1@x>', '{"inReplyTo":"<u1@x>"}'],
        [3, '<u3@x>', '<u2@x>', '{"inReplyTo":"<u2@x>"}'],
      ];
      for (const [id, mid, tk, data] of rows) {
        db.exec(`INSERT INTO messages(id, account_id, provider_id, message_id, thread_key, subject, date, data) VALUES(${id}, 'a', 'p${id}', '${mid}', '${tk}', 's', ${id}, '${data}')`);
        db.exec(`INSERT INTO memberships(folder_id, message_id, uid, date) VALUES(1, ${id}, ${id}, ${id})`);
      }
      fs.writeFileSync(path.join(dir, 'maildesk.db'), db.export());
      db.close();
      const store = await MailStore.open({ dir });
      assert.equal(listThreads(store, 1).length, 1, 'the old In-Reply-To chain is one thread after the upgrade');
      assert.equal(listThreads(store, 1)[0].count, 3);
      store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
