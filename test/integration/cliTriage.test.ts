/**
 * `maildesk archive|delete|move|flag|mark` against Dovecot, in-process through main(): the
 * action lands on the server before the command returns (checked over IMAP), by --uid or
 * --message-id, with --json output, and a delete for good needs --permanent.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import { main } from '../../src/cli/main';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { tempDir } from '../support/core';
import { seedMessages } from '../support/seed';

const PW = 'MAILDESK_CLI_TRIAGE_PW';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('maildesk triage commands (Dovecot)', function () {
  let dv: Dovecot;
  let dir: string;
  let base: string[];

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { carol: 'secret' }, specialFolders: ['Trash', 'Archive', 'Junk'], extraFolders: ['Projects'] });
    dir = tempDir('maildesk-cli-triage-');
    const configFile = path.join(dir, 'maildesk.config.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        accounts: [
          {
            id: 'carol',
            email: 'carol@example.test',
            imap: { host: '127.0.0.1', port: dv.port, security: 'none', user: 'carol', passwordEnv: PW },
            folders: ['INBOX', 'Archive', 'Trash', 'Junk', 'Projects'],
          },
        ],
      }),
    );
    process.env[PW] = 'secret';
    base = ['--config', configFile, '--data', path.join(dir, 'data')];
    dv.seedMaildir('carol', 'INBOX', seedMessages(6));
    const r = await cli([...base, 'sync', '--once', '--account', 'carol']);
    assert.equal(r.code, 0, r.err);
  });
  after(async () => {
    delete process.env[PW];
    await dv?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function onServer(folder: string): Promise<Map<string, { uid: number; flags: string[]; messageId: string }>> {
    const client: ImapFlow = await dv.connect('carol');
    try {
      const out = new Map<string, { uid: number; flags: string[]; messageId: string }>();
      const lock = await client.getMailboxLock(folder, { readOnly: true });
      try {
        const exists = client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : 0;
        if (exists) {
          for await (const m of client.fetch('1:*', { envelope: true, flags: true, uid: true })) {
            out.set(m.envelope?.subject ?? '', { uid: m.uid, flags: [...(m.flags ?? [])].sort(), messageId: m.envelope?.messageId ?? '' });
          }
        }
      } finally {
        lock.release();
      }
      return out;
    } finally {
      await client.logout().catch(() => client.close());
    }
  }
  const uidOf = async (folder: string, subject: string): Promise<number> => (await onServer(folder)).get(subject)!.uid;

  it('archive --uid --json: on the server when the command returns', async () => {
    const uid = await uidOf('INBOX', 'Msg 0');
    const r = await cli([...base, 'archive', '--account', 'carol', '--folder', 'INBOX', '--uid', String(uid), '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual([j.ok, j.action, j.count, j.label], [true, 'archive', 1, 'Archived 1 message']);
    assert.deepEqual(j.server, { done: 1, pending: 0, failed: [] });
    assert.ok((await onServer('Archive')).has('Msg 0'));
    assert.ok(!(await onServer('INBOX')).has('Msg 0'));
  });

  it('move --message-id --to: found in any folder by its Message-ID', async () => {
    const mid = (await onServer('INBOX')).get('Msg 1')!.messageId;
    const r = await cli([...base, 'move', '--account', 'carol', '--message-id', mid, '--to', 'Projects']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Moved 1 message. Done on the server.\n');
    assert.ok((await onServer('Projects')).has('Msg 1'));
  });

  it('flag, flag --off, mark read / unread: the server flags follow', async () => {
    const uid = await uidOf('INBOX', 'Msg 2');
    const args = ['--account', 'carol', '--folder', 'INBOX', '--uid', String(uid)];
    assert.equal((await cli([...base, 'flag', ...args])).code, 0);
    assert.equal((await cli([...base, 'mark', 'read', ...args])).code, 0);
    assert.deepEqual((await onServer('INBOX')).get('Msg 2')!.flags, ['\\Flagged', '\\Seen']);
    assert.equal((await cli([...base, 'flag', '--off', ...args])).code, 0);
    assert.equal((await cli([...base, 'mark', 'unread', ...args])).code, 0);
    assert.deepEqual((await onServer('INBOX')).get('Msg 2')!.flags, []);
    const again = await cli([...base, 'mark', 'unread', ...args]);
    assert.equal(again.code, 0);
    assert.match(again.out, /Nothing to change/);
  });

  it('mark spam / not-spam, and mark all-read for a folder', async () => {
    const uid = await uidOf('INBOX', 'Msg 3');
    assert.equal((await cli([...base, 'mark', 'spam', '--account', 'carol', '--folder', 'INBOX', '--uid', String(uid)])).code, 0);
    assert.ok((await onServer('Junk')).has('Msg 3'));
    const junkUid = await uidOf('Junk', 'Msg 3');
    // The local copy in Junk learns its UID on the next sync; until then --message-id finds it.
    const mid = (await onServer('Junk')).get('Msg 3')!.messageId;
    const back = await cli([...base, 'mark', 'not-spam', '--account', 'carol', '--message-id', mid]);
    assert.equal(back.code, 0, back.err);
    assert.ok((await onServer('INBOX')).has('Msg 3'));
    assert.ok(junkUid > 0);

    const all = await cli([...base, 'mark', 'all-read', '--account', 'carol', '--folder', 'INBOX', '--json']);
    assert.equal(all.code, 0, all.err);
    assert.ok(JSON.parse(all.out).count >= 3);
    assert.ok([...(await onServer('INBOX')).values()].every((m) => m.flags.includes('\\Seen')));
  });

  it('delete: to Trash; in Trash only with --permanent, then gone from the server', async () => {
    const uid = await uidOf('INBOX', 'Msg 4');
    const r = await cli([...base, 'delete', '--account', 'carol', '--folder', 'INBOX', '--uid', String(uid)]);
    assert.equal(r.code, 0, r.err);
    assert.ok((await onServer('Trash')).has('Msg 4'));
    assert.equal((await cli([...base, 'sync', '--once', '--account', 'carol'])).code, 0);
    const tuid = await uidOf('Trash', 'Msg 4');
    const refused = await cli([...base, 'delete', '--account', 'carol', '--folder', 'Trash', '--uid', String(tuid)]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /for good.*--permanent/);
    assert.ok((await onServer('Trash')).has('Msg 4'), 'not deleted without --permanent');
    const gone = await cli([...base, 'delete', '--permanent', '--account', 'carol', '--folder', 'Trash', '--uid', String(tuid)]);
    assert.equal(gone.code, 0, gone.err);
    assert.ok(!(await onServer('Trash')).has('Msg 4'));
  });

  it('bad input: exit 2 with the fix; unknown UID exit 1 naming it', async () => {
    const noTarget = await cli([...base, 'move', '--account', 'carol', '--folder', 'INBOX', '--uid', '1']);
    assert.equal(noTarget.code, 2);
    assert.match(noTarget.err, /--to PATH/);
    const noMsg = await cli([...base, 'archive', '--account', 'carol']);
    assert.equal(noMsg.code, 2);
    assert.match(noMsg.err, /--uid N, or --message-id/);
    const unknown = await cli([...base, 'archive', '--account', 'carol', '--folder', 'INBOX', '--uid', '999']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no message with UID 999 in INBOX/);
  });
});
