import { strict as assert } from 'node:assert';
import { searchMessages } from '../../src/core/search/search';
import { foldersNotFullySynced, searchOnServer } from '../../src/core/search/serverSearch';
import { syncOnce } from '../../src/core/sync/once';
import type { MailDesk } from '../../src/core/maildesk';
import { imapAccount, openCore } from '../support/core';
import { type Dovecot, requireDovecot, startDovecot } from '../support/dovecot';
import { rawMessage } from '../support/rawmail';

describe("Search: the server's SEARCH for what is not synced", function () {
  let dv: Dovecot;
  let core: MailDesk;

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { sam: 'secret' }, extraFolders: ['Archive'] });
    dv.seedMaildir('sam', 'INBOX', [{ raw: rawMessage({ from: 'Ana <ana@example.test>', to: 'sam@example.test', subject: 'Lunch on Friday', text: 'Pizza?' }) }]);
    dv.seedMaildir('sam', 'Archive', [
      { raw: rawMessage({ from: 'Olu <olu@example.test>', to: 'sam@example.test', subject: 'Quarterly numbers', text: 'The zebracorn budget is attached.' }) },
      { raw: rawMessage({ from: 'Olu <olu@example.test>', to: 'sam@example.test', subject: 'Holiday plans', text: 'Nothing to see.' }) },
    ]);
    core = await openCore(undefined, { sam: 'secret' });
    await core.addAccount(imapAccount('sam', dv.port));
    assert.ok((await syncOnce(core, ['sam'])).ok);
  });

  after(async () => {
    await core?.close();
    await dv?.dispose();
  });

  it('finds a message in a folder that is not synced, stores its headers, and it can then be opened and found locally', async () => {
    assert.deepEqual(searchMessages(core.store, 'zebracorn', { accountId: 'sam' }), [], 'not synced, so not found locally');
    assert.deepEqual(
      foldersNotFullySynced(core, 'sam').map((f) => f.path),
      ['Archive'],
      'only the unselected folder needs the server',
    );
    const results = await searchOnServer(core, 'sam', 'zebracorn');
    const archive = results.find((r) => r.folder.path === 'Archive')!;
    assert.equal(archive.error, undefined);
    assert.equal(archive.messageIds.length, 1, 'the body match is found by the server');
    const m = core.store.getMessage(archive.messageIds[0], archive.folder.id)!;
    assert.equal(m.subject, 'Quarterly numbers');
    const raw = await core.messageSource(m.id, archive.folder.id);
    assert.match(raw.toString('utf8'), /zebracorn budget/);
    const hits = searchMessages(core.store, 'quarterly', { accountId: 'sam' });
    assert.equal(hits.length, 1, 'the stored headers are in the local index now');
    assert.equal((await searchOnServer(core, 'sam', 'zebracorn'))[0].messageIds.length, 1, 'searching again stores no duplicate');
    assert.equal(core.store.localCounts(archive.folder.id).total, 1);
  });
});
