/**
 * Undo outlives the engine: triage's undo records are kept in the store, so after the engine
 * is stopped and another one opens the same data folder (VS Code restarted, the hosting window
 * reloaded), `triage/undo` still puts the message back, in Inbox here and on the server
 * (Dovecot), with or without the undo id the notification offered.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { imapAccount, tempDir } from '../support/core';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { seedMessages } from '../support/seed';
import { type EngineHere, startEngineHere, stopEngineHere } from '../support/engineHere';

const USER = 'undoer';
const PASSWORD = 'undo-secret';

type Running = EngineHere;
const startEngine = (dataDir: string): Promise<Running> => startEngineHere(dataDir, { [USER]: PASSWORD });
const stopEngine = stopEngineHere;

describe('Undo after the engine restarts (engine over a MessagePort, Dovecot)', function () {
  this.timeout(60_000);
  let dv: Dovecot;
  let dataDir: string;
  let run: Running | undefined;

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { [USER]: PASSWORD }, specialFolders: ['Archive'] });
    dv.seedMaildir(USER, 'INBOX', seedMessages(3));
    dataDir = tempDir('maildesk-undo-restart-');
  });
  after(async () => {
    await stopEngine(run);
    await dv?.dispose();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const localSubjects = async (folderPath: string): Promise<string[]> =>
    ((await run!.client.request('messages/list', { accountId: USER, folderPath })) ?? []).map((m) => m.subject).sort();
  const serverSubjects = async (folder: string): Promise<string[]> => [...(await dv.flagsBySubject(USER, folder)).keys()].sort();
  const keyOf = async (subject: string) => {
    const row = ((await run!.client.request('messages/list', { accountId: USER, folderPath: 'INBOX' })) ?? []).find((m) => m.subject === subject);
    assert.ok(row, `${subject} is in INBOX`);
    return { messageId: row.id, folderId: row.folderId };
  };
  const push = async (): Promise<void> => {
    const since = 0;
    const r = await run!.client.request('triage/push', { accountId: USER, sinceTaskId: since });
    assert.deepEqual(r.failed, [], 'every action reached the server');
  };

  it('archive two messages, restart the engine, undo the last action offered and then the first by its id: both back in INBOX here and on the server', async () => {
    run = await startEngine(dataDir);
    await run.client.request('accounts/add', { account: { ...imapAccount(USER, dv.port), folders: ['INBOX', 'Archive'] } });
    const synced = await run.client.request('sync/once', { accountIds: [USER] });
    assert.ok(synced.ok, synced.failed.map((j) => j.errorMessage).join('; '));
    assert.deepEqual(await localSubjects('INBOX'), ['Msg 0', 'Msg 1', 'Msg 2']);

    const first = await run.client.request('triage/apply', { keys: [await keyOf('Msg 1')], action: { kind: 'archive' } });
    const second = await run.client.request('triage/apply', { keys: [await keyOf('Msg 2')], action: { kind: 'archive' } });
    assert.ok(first.undoId && second.undoId && first.undoId !== second.undoId);
    await push();
    assert.deepEqual(await serverSubjects('Archive'), ['Msg 1', 'Msg 2']);
    assert.deepEqual(await serverSubjects('INBOX'), ['Msg 0']);

    // The engine goes (VS Code closed, the hosting window reloaded) and another one opens the folder.
    await stopEngine(run);
    run = await startEngine(dataDir);
    const offered = await run.client.request('triage/undoable', {});
    assert.deepEqual(
      offered.map((u) => [u.undoId, u.label]),
      [
        [second.undoId, 'Archived 1 message'],
        [first.undoId, 'Archived 1 message'],
      ],
      'both actions can still be undone, newest first',
    );

    // The Undo command without an id: the last action.
    const last = await run.client.request('triage/undo', {});
    assert.deepEqual([last.ok, last.count, last.skipped, last.label], [true, 1, 0, 'Undid: Archived 1 message']);
    assert.deepEqual(await localSubjects('INBOX'), ['Msg 0', 'Msg 2']);
    // The notification's Undo, by the id it was given before the restart.
    const byId = await run.client.request('triage/undo', { undoId: first.undoId });
    assert.deepEqual([byId.ok, byId.count], [true, 1]);
    assert.deepEqual(await localSubjects('INBOX'), ['Msg 0', 'Msg 1', 'Msg 2']);
    assert.deepEqual(await localSubjects('Archive'), []);
    assert.equal((await run.client.request('triage/undo', { undoId: first.undoId })).ok, false, 'an undo is used once, across restarts too');
    assert.deepEqual(await run.client.request('triage/undoable', {}), []);

    await push();
    assert.deepEqual(await serverSubjects('INBOX'), ['Msg 0', 'Msg 1', 'Msg 2']);
    assert.deepEqual(await serverSubjects('Archive'), []);
    const again = await run.client.request('sync/once', { accountIds: [USER] });
    assert.ok(again.ok);
    assert.deepEqual(await localSubjects('INBOX'), ['Msg 0', 'Msg 1', 'Msg 2'], 'each once after the next sync');
  });
});
