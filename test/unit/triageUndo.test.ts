/**
 * Triage's Undo records live in the store: a new TriageService over the same store (an engine
 * restarted) still undoes by id and "the last action"; records expire after UNDO_TTL_MS and
 * only the newest UNDO_KEEP are kept; ids are never handed out twice.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { MailDesk } from '../../src/core/maildesk';
import { TriageService, UNDO_KEEP, UNDO_TTL_MS } from '../../src/core/triage/triage';
import { tempDir } from '../support/core';

describe('triage Undo kept in the store', () => {
  let core: MailDesk;
  let dir: string;
  let now = Date.UTC(2026, 11, 6, 12);
  const clock = () => now;

  async function open(): Promise<MailDesk> {
    return MailDesk.open({ dataDir: dir, credentials: { password: async () => 'x' } });
  }

  beforeEach(async () => {
    dir = tempDir('maildesk-undo-unit-');
    core = await open();
    core.store.upsertAccount({ id: 'a', provider: 'imap', email: 'a@example.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'a' } });
    core.store.upsertFolders('a', [{ path: 'INBOX', name: 'Inbox', role: 'inbox' }, { path: 'Archive', name: 'Archive', role: 'archive' }], () => true);
    const inbox = core.store.getFolder('a', 'INBOX')!.id;
    core.store.upsertMessages(
      inbox,
      [1, 2, 3].map((n) => ({ providerId: `p${n}`, uid: n, messageId: `<m${n}@x>`, subject: `Msg ${n}`, flags: [], date: Date.UTC(2026, 0, n) })),
    );
  });
  afterEach(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const inbox = () => core.store.getFolder('a', 'INBOX')!.id;
  const subjects = (path: string) =>
    core.store
      .listMessages(core.store.getFolder('a', path)!.id, { limit: 100 })
      .map((m) => m.subject)
      .sort();
  const key = (subject: string) => ({ messageId: core.store.listMessages(inbox(), { limit: 100 }).find((m) => m.subject === subject)!.id, folderId: inbox() });

  it('undoes by id and the last action after the store is closed and opened again', async () => {
    const t = new TriageService(core, { now: clock });
    const a = t.apply([key('Msg 1')], { kind: 'archive' });
    const b = t.apply([key('Msg 2')], { kind: 'flag' });
    assert.deepEqual(subjects('Archive'), ['Msg 1']);
    await core.close();
    core = await open();
    const again = new TriageService(core, { now: clock });
    assert.deepEqual(
      again.undoable().map((u) => u.undoId),
      [b.undoId, a.undoId],
    );
    const last = again.undo();
    assert.deepEqual([last.ok, last.label], [true, 'Undid: Flagged 1 message']);
    assert.equal(core.store.listMessages(inbox(), { limit: 100 }).find((m) => m.subject === 'Msg 2')!.flags.includes('\\Flagged'), false);
    const first = again.undo(a.undoId);
    assert.deepEqual([first.ok, first.count], [true, 1]);
    assert.deepEqual(subjects('INBOX'), ['Msg 1', 'Msg 2', 'Msg 3']);
    assert.equal(again.undo(a.undoId).ok, false, 'used once');
    // A later action never gets an id handed out before.
    const c = again.apply([key('Msg 3')], { kind: 'read' });
    assert.ok(c.undoId && ![a.undoId, b.undoId].includes(c.undoId), `${c.undoId}`);
  });

  it(`expires after ${UNDO_TTL_MS / 3_600_000} hours and keeps the newest ${UNDO_KEEP}`, () => {
    const t = new TriageService(core, { now: clock });
    const old = t.apply([key('Msg 1')], { kind: 'archive' });
    now += UNDO_TTL_MS + 1;
    const u = t.undo(old.undoId);
    assert.equal(u.ok, false);
    assert.match(u.label, /too old/);
    assert.equal(t.undo().ok, false, 'nothing left to undo once it expired');
    assert.deepEqual(subjects('Archive'), ['Msg 1'], 'an expired undo changes nothing');

    const ids: string[] = [];
    for (let i = 0; i < UNDO_KEEP + 5; i++) ids.push(t.apply([key('Msg 2')], { kind: i % 2 ? 'unread' : 'read' }).undoId!);
    const kept = t.undoable();
    assert.equal(kept.length, UNDO_KEEP);
    assert.equal(kept[0].undoId, ids[ids.length - 1]);
    assert.equal(t.undo(ids[0]).ok, false, 'the oldest beyond the limit is gone');
    assert.equal(t.undo(ids[ids.length - 1]).ok, true);
  });

  it('an id it never handed out undoes nothing', () => {
    const t = new TriageService(core, { now: clock });
    t.apply([key('Msg 1')], { kind: 'archive' });
    for (const id of ['x1', 'u999', '']) assert.equal(t.undo(id).ok, false, id);
    assert.deepEqual(subjects('Archive'), ['Msg 1']);
  });
});
