import * as assert from 'node:assert/strict';
import { AddressBook, buildAddressIndex, completeAddresses, type AddressSighting, suggestionLabel } from '../../src/core/send/addressBook';
import { MailStore } from '../../src/core/store/store';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1);

function s(address: string, role: AddressSighting['role'], daysAgo: number, name?: string): AddressSighting {
  return { address, role, date: NOW - daysAgo * DAY, name };
}

describe('address book: ranking', () => {
  it('one entry per address (case-insensitive), the newest name kept, own addresses left out', () => {
    const idx = buildAddressIndex(
      [s('Ann@Example.test', 'received', 30, 'Ann E.'), s('ann@example.test', 'sent', 2, 'Ann Example'), s('me@example.test', 'received', 1, 'Me')],
      ['ME@example.test'],
      NOW,
    );
    assert.equal(idx.length, 1);
    assert.equal(idx[0].name, 'Ann Example');
    assert.equal(idx[0].count, 2);
    assert.equal(idx[0].lastSeen, NOW - 2 * DAY);
  });

  it('people written to recently outrank old frequent ones and no-reply senders', () => {
    const sightings = [
      ...Array.from({ length: 6 }, () => s('old.friend@example.test', 'received', 900)),
      s('colleague@example.test', 'sent', 3),
      s('colleague@example.test', 'sent', 10),
      ...Array.from({ length: 20 }, (_, i) => s('noreply@shop.example.test', 'received', i)),
      s('cc.person@example.test', 'copied', 5),
    ];
    const order = buildAddressIndex(sightings, [], NOW).map((e) => e.address);
    assert.equal(order[0], 'colleague@example.test');
    assert.ok(order.indexOf('cc.person@example.test') < order.indexOf('noreply@shop.example.test'), order.join(' '));
    assert.ok(order.indexOf('colleague@example.test') < order.indexOf('old.friend@example.test'));
  });
});

describe('address book: completion', () => {
  const idx = buildAddressIndex(
    [
      s('ann.lee@example.test', 'sent', 1, 'Ann Lee'),
      s('bob@annex.example.test', 'received', 1, 'Bob Stone'),
      s('joanna@example.test', 'sent', 1, 'Joanna Park'),
      s('ann.lee@example.test', 'sent', 2, 'Ann Lee'),
    ],
    [],
    NOW,
  );

  it('matches the start of a name word, the local part or the domain, never the middle of a word', () => {
    assert.deepEqual(completeAddresses(idx, 'ann').map((e) => e.address), ['ann.lee@example.test', 'bob@annex.example.test']);
    assert.deepEqual(completeAddresses(idx, 'park').map((e) => e.address), ['joanna@example.test']);
    assert.deepEqual(completeAddresses(idx, 'stone').map((e) => e.address), ['bob@annex.example.test']);
    assert.deepEqual(completeAddresses(idx, 'oanna'), []);
    assert.deepEqual(completeAddresses(idx, 'ann lee').map((e) => e.address), ['ann.lee@example.test'], 'every word must match');
  });

  it('leaves out what is already in the field and honours the limit', () => {
    assert.deepEqual(completeAddresses(idx, 'ann', { exclude: ['ANN.LEE@example.test'] }).map((e) => e.address), ['bob@annex.example.test']);
    assert.equal(completeAddresses(idx, 'example', { limit: 2 }).length, 2);
    assert.deepEqual(completeAddresses(idx, '  '), []);
  });

  it('labels quote names with commas so the address field parses them back', () => {
    assert.equal(suggestionLabel({ name: 'Lee, Ann', address: 'a@example.test' }), '"Lee, Ann" <a@example.test>');
    assert.equal(suggestionLabel({ name: 'Ann Lee', address: 'a@example.test' }), 'Ann Lee <a@example.test>');
    assert.equal(suggestionLabel({ name: '', address: 'a@example.test' }), 'a@example.test');
  });
});

describe('address book: from the store', () => {
  it('suggests senders and the recipients of sent mail, and sees new mail after a change', async () => {
    const store = await MailStore.open({});
    try {
      store.upsertAccount({ id: 'a', provider: 'imap', email: 'me@example.test' });
      store.upsertFolders('a', [{ path: 'INBOX', name: 'INBOX', role: 'inbox' }, { path: 'Sent', name: 'Sent', role: 'sent' }], () => true);
      const inbox = store.getFolder('a', 'INBOX')!.id;
      const sent = store.getFolder('a', 'Sent')!.id;
      store.insertLocalMessage(inbox, { messageId: '<1@x>', subject: 'hi', from: { name: 'Carol Diaz', address: 'carol@example.test' }, to: [{ address: 'me@example.test' }], date: Date.now() - DAY, flags: [] });
      store.insertLocalMessage(sent, { messageId: '<2@x>', subject: 're', from: { address: 'me@example.test' }, to: [{ name: 'Dan Roe', address: 'dan@example.test' }], cc: [{ address: 'carl@example.test' }], date: Date.now(), flags: ['\\Seen'] });
      const book = new AddressBook(store, () => ['me@example.test']);
      const got = book.complete('ca').map((e) => suggestionLabel(e));
      assert.deepEqual(got.sort(), ['Carol Diaz <carol@example.test>', 'carl@example.test'].sort());
      assert.deepEqual(book.complete('dan').map((e) => e.address), ['dan@example.test']);
      assert.deepEqual(book.complete('me@'), [], 'the user is never suggested to themselves');
      store.insertLocalMessage(inbox, { messageId: '<3@x>', subject: 'new', from: { name: 'Dana Ng', address: 'dana@example.test' }, to: [{ address: 'me@example.test' }], date: Date.now(), flags: [] });
      assert.deepEqual(book.complete('dana').map((e) => e.address), ['dana@example.test']);
      book.dispose();
    } finally {
      store.close();
    }
  });
});
