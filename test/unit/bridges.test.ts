import { strict as assert } from 'node:assert';
import { addLinks, threadLinks } from '../../src/core/bridges/links';
import { invitationTimes, noAccessReason, ODOO_BRIDGES, odooDatetime } from '../../src/core/bridges/odooBridges';
import { bridgeEnabled } from '../../src/core/bridges/service';
import { MailStore } from '../../src/core/store/store';
import { threadKeyOf } from '../../src/core/threads/threads';
import { rawSql } from '../support/rawStoreSql';

describe('Workflow Bridges: rules and links', () => {
  it('enabled on a mailbox by its own list, or for every mailbox by the administrator', () => {
    assert.equal(bridgeEnabled({}, 'work', 'crm'), false, 'off unless enabled');
    assert.equal(bridgeEnabled({ 'maildesk.bridges.account.work': ['crm'] }, 'work', 'crm'), true);
    assert.equal(bridgeEnabled({ 'maildesk.bridges.account.work': ['crm'] }, 'home', 'crm'), false, "one mailbox's list is not another's");
    assert.equal(bridgeEnabled({ 'maildesk.bridges.enabled': ['helpdesk'] }, 'any', 'helpdesk'), true, 'shared mailboxes: enabled for the whole team');
    assert.equal(bridgeEnabled({ 'maildesk.bridges.enabled': ['*'] }, 'any', 'acme.x'), true);
    // VS Code hands object settings over nested; the CLI config may use a comma list.
    assert.equal(bridgeEnabled({ 'maildesk.bridges.account': { work: ['sales'] } }, 'work', 'sales'), true);
    assert.equal(bridgeEnabled({ 'maildesk.bridges.enabled': 'crm, sales' }, 'x', 'sales'), true);
  });

  it('names the eight built-in bridges the guide lists, each with its no-access sentence', () => {
    assert.deepEqual(ODOO_BRIDGES.map((b) => `${b.app}: ${b.label}`), [
      'CRM: Create lead',
      'Helpdesk: Create ticket',
      'Sales: Link to order',
      'Calendar: Create event',
      'Documents: Save attachments',
      'Partner 360: Open contact',
      'Chatter: Post to record',
      'Automation: Run action',
    ]);
    assert.equal(noAccessReason(ODOO_BRIDGES[0]), 'You cannot link an email to a CRM lead if you have no access to CRM.');
  });

  it('reads the time of an invitation', () => {
    const ics = 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Planning\r\n call\r\nDTSTART;TZID=Europe/Berlin:20240305T100000\r\nDTEND:20240305T113000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
    const t = invitationTimes(ics)!;
    assert.equal(odooDatetime(t.start), '2024-03-05 10:00:00');
    assert.equal(odooDatetime(t.end!), '2024-03-05 11:30:00');
    assert.equal(t.summary, 'Planningcall');
    assert.equal(invitationTimes('BEGIN:VCALENDAR\nEND:VCALENDAR'), undefined);
  });

  it('keeps links by Message-ID and counts e-mails per record across threads', async () => {
    const store = await MailStore.open({});
    try {
      store.upsertAccount({ id: 'a', provider: 'imap', email: 'a@x.test', imap: { host: 'h', port: 1, security: 'none', user: 'a' } });
      store.upsertFolders('a', [{ path: 'INBOX', name: 'Inbox', role: 'inbox' }], () => true);
      const f = store.getFolder('a', 'INBOX')!.id;
      store.upsertMessages(f, [
        { providerId: '1', uid: 1, messageId: '<one@x>', subject: 'One', flags: [], date: 1 },
        { providerId: '2', uid: 2, messageId: '<two@x>', subject: 'Re: One', inReplyTo: '<one@x>', flags: [], date: 2 },
        { providerId: '3', uid: 3, messageId: '<three@x>', subject: 'Other', flags: [], date: 3 },
      ]);
      const t1 = threadKeyOf(store, store.getMessageByUid(f, 1)!.id)!;
      const t3 = threadKeyOf(store, store.getMessageByUid(f, 3)!.id)!;
      const lead = { model: 'crm.lead', id: 5, name: 'Deal' };
      addLinks(store, 'a', 'one@x', 'crm', [lead]);
      addLinks(store, 'a', 'two@x', 'crm', [lead]);
      addLinks(store, 'a', 'two@x', 'crm', [lead]); // twice is once
      addLinks(store, 'a', 'three@x', 'crm', [lead]);
      const l1 = threadLinks(store, 'a', t1);
      assert.equal(l1.length, 1);
      assert.deepEqual({ name: l1[0].name, emails: l1[0].emails, inThread: l1[0].inThread }, { name: 'Deal', emails: 3, inThread: 2 });
      assert.equal(threadLinks(store, 'a', t3)[0].inThread, 1);
      // Removing the account removes its links.
      store.removeAccount('a');
      assert.equal(rawSql(store).get<{ n: number }>('SELECT COUNT(*) AS n FROM bridge_links')!.n, 0);
    } finally {
      store.close();
    }
  });
});
