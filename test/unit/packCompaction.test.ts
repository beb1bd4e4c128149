/**
 * Packs of bodies (src/core/store/blobPacks.ts) give their space back: a pack goes when
 * nothing points into it, and one mostly of deleted bodies is rewritten (packCompaction.ts),
 * on a store on disk, with bodies fetched by the bodies job as in use.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AccountConfig } from '../../src/core/config';
import type { BodyRef, MailProvider } from '../../src/core/providers/provider';
import { parsePackRef } from '../../src/core/store/blobPacks';
import { compactPacks } from '../../src/core/store/packCompaction';
import { MailStore } from '../../src/core/store/store';
import { bodyStep } from '../../src/core/sync/bodies';
import { rawSql } from '../support/rawStoreSql';

const ACCOUNT: AccountConfig = { id: 'a', provider: 'imap', email: 'a@example.test', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'a' } };
const NOW = Date.UTC(2026, 5, 1);
const bodyOf = (uid: number): Buffer => Buffer.from(`Subject: m${uid}\r\n\r\n${`line ${uid} `.repeat(200)}\r\n`);

const provider = {
  kind: 'imap',
  accountId: 'a',
  async fetchBodies(_folder: unknown, refs: BodyRef[], onBody: (r: BodyRef, raw: Buffer) => void) {
    for (const r of refs) onBody(r, bodyOf(r.uid!));
  },
} as unknown as MailProvider;

describe('body packs give their space back', function () {
  this.timeout(30_000);
  let dir: string;
  let store: MailStore;
  let inbox: number;
  const packFiles = (): string[] => fs.readdirSync(path.join(dir, 'blobs', 'packs')).sort();
  const refsByUid = (): Map<number, string> => new Map(rawSql(store).all<{ uid: number; b: string }>('SELECT ms.uid, m.body_blob AS b FROM messages m JOIN memberships ms ON ms.message_id = m.id WHERE m.body_blob IS NOT NULL').map((r) => [r.uid, r.b]));

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maildesk-packs-'));
    store = await MailStore.open({ dir });
    store.upsertAccount(ACCOUNT);
    store.upsertFolders('a', [{ path: 'INBOX', name: 'INBOX', role: 'inbox' }], () => true);
    inbox = store.getFolder('a', 'INBOX')!.id;
    store.saveSyncState(inbox, { uidValidity: '7' });
    store.upsertMessages(inbox, Array.from({ length: 300 }, (_, i) => ({ providerId: `${inbox}:7:${i + 1}`, uid: i + 1, messageId: `<m${i + 1}@example.test>`, subject: `m${i + 1}`, date: NOW - i * 60_000, size: 2000, flags: [] })));
    for (let i = 0; i < 10; i++) {
      const r = await bodyStep({ store, provider, folder: store.getFolderById(inbox)!, settings: { days: 'all', maxBytes: 10_000 }, now: NOW });
      if (r.complete) break;
    }
    // The writer lets go of its pack (as when the engine stops): it is closed from now on.
    store.blobs.close();
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const remove = (uids: number[]): void => void store.removeByProviderId('a', uids.map((u) => `${inbox}:7:${u}`));

  it('rewrites a pack whose bodies are mostly deleted: the rest move, read back the same, and the old pack goes', async () => {
    assert.equal(refsByUid().size, 300);
    const [before] = packFiles();
    const oldSize = fs.statSync(path.join(dir, 'blobs', 'packs', before)).size;
    remove(Array.from({ length: 240 }, (_, i) => i + 1));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(packFiles(), [before], 'still pointed into: not deleted by the removal');

    const r = await compactPacks(store);
    assert.deepEqual({ rewritten: r.rewritten, moved: r.moved, damaged: r.damaged, removed: r.removed }, { rewritten: 1, moved: 60, damaged: 0, removed: 0 });
    assert.equal(r.freedBytes, oldSize);
    const refs = refsByUid();
    assert.equal(refs.size, 60);
    for (const [uid, ref] of refs) {
      assert.notEqual(parsePackRef(ref)!.pack, before.replace('.pack', ''));
      assert.deepEqual(store.blobs.get(ref), bodyOf(uid), `m${uid} reads back`);
    }
    store.blobs.close();
    const [after] = packFiles();
    assert.ok(fs.statSync(path.join(dir, 'blobs', 'packs', after)).size < oldSize / 3, 'the new pack holds the 60 live bodies only');
  });

  it('deletes a pack nothing points into, and leaves one mostly live alone', async () => {
    remove(Array.from({ length: 100 }, (_, i) => i + 1));
    const before = packFiles();
    const r = await compactPacks(store);
    assert.deepEqual({ rewritten: r.rewritten, removed: r.removed, freedBytes: r.freedBytes }, { rewritten: 0, removed: 0, freedBytes: 0 }, 'two thirds live: left as it is');
    assert.deepEqual(packFiles(), before);

    remove(Array.from({ length: 200 }, (_, i) => i + 101));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(packFiles(), [], 'the last removal took the pack with it');
    fs.writeFileSync(path.join(dir, 'blobs', 'packs', 'abc123.pack'), Buffer.alloc(100));
    assert.equal((await compactPacks(store)).removed, 1, 'a pack nothing points into (a writer killed before its rows) goes too');
    assert.deepEqual(packFiles(), []);
  });

  it('a damaged record loses its body (fetched again when opened) instead of being copied as wrong bytes', async () => {
    remove(Array.from({ length: 250 }, (_, i) => i + 1));
    const refs = refsByUid();
    const bad = parsePackRef(refs.get(260)!)!;
    const fd = fs.openSync(path.join(dir, 'blobs', 'packs', `${bad.pack}.pack`), 'r+');
    fs.writeSync(fd, Buffer.from('#'), 0, 1, bad.offset + 5);
    fs.closeSync(fd);
    const r = await compactPacks(store);
    assert.deepEqual({ moved: r.moved, damaged: r.damaged }, { moved: 49, damaged: 1 });
    assert.equal(refsByUid().has(260), false);
    assert.equal(refsByUid().size, 49);
  });
});
