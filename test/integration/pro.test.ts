/**
 * MailDesk Pro end to end in plain Node: AI actions against a fake OpenAI-compatible
 * endpoint (streaming, 429), Workflow Bridges against a server speaking Odoo's JSON-RPC,
 * and the Troubleshoot checks that report on both. The mail lives in a real store.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mintLicence } from '../../scripts/mint-licence';
import { memorySecretStore } from '../../src/core/auth/tokens';
import type { SecretStore } from '../../src/core/config';
import { runChecks } from '../../src/core/diagnostics/runner';
import { aiProvider, bridges as bridgesCheck, licence as licenceCheck } from '../../src/core/diagnostics/checks/product';
import { LICENCE_SECRET } from '../../src/core/licence/licence';
import { MailDeskPro } from '../../src/core/licence/maildeskPro';
import { AI_API_KEY_SECRET, ODOO_API_KEY_SECRET } from '../../src/core/licence/pro';
import type { MailDesk } from '../../src/core/maildesk';
import { threadKeyOf } from '../../src/core/threads/threads';
import { FakeOdooServer } from '../support/odooServer';
import { FakeOpenAiServer } from '../support/openaiServer';
import { openCore } from '../support/core';
import { rawMessage } from '../support/rawmail';
import { rawSql } from '../support/rawStoreSql';

const PUB = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'licence', 'test-public.pem'), 'utf8');
const IMAP_PASSWORD = 'IMAP-PASSWORD-never-leaves';
const AI_KEY = 'sk-test-ai-key-123';
const ATTACHMENT_BYTES = 'ATTACHMENT-CONTENT-MUST-NOT-BE-SENT';
const OTHER_MAIL = 'OTHER-THREAD-CONTENT-MUST-NOT-BE-SENT';

interface World {
  mail: MailDesk;
  secrets: SecretStore;
  settings: Record<string, unknown>;
  pro: MailDeskPro;
  threadKey: string;
  otherThreadKey: string;
}

async function world(ai: FakeOpenAiServer, odoo?: FakeOdooServer): Promise<World> {
  const mail = await openCore(undefined, { work: IMAP_PASSWORD });
  const store = mail.store;
  store.upsertAccount({ id: 'work', provider: 'imap', email: 'me@example.test', name: 'Me', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'me' } });
  store.upsertFolders('work', [{ path: 'INBOX', name: 'Inbox', role: 'inbox' }, { path: 'Sent', name: 'Sent', role: 'sent' }], () => true);
  const inbox = store.getFolder('work', 'INBOX')!.id;
  const sent = store.getFolder('work', 'Sent')!.id;
  const raws = [
    {
      folder: inbox,
      uid: 1,
      raw: rawMessage({
        from: 'Ann Customer <ann@customer.test>',
        to: 'me@example.test',
        subject: 'Offer for S00042',
        messageId: '<m1@customer.test>',
        date: new Date('2024-03-01T09:00:00Z'),
        text: 'Hello,\nplease send the updated offer for order S00042. Can we meet Tuesday?\n\n-- \nAnn Customer\nCustomer Ltd',
        attachments: [{ filename: 'requirements.pdf', contentType: 'application/pdf', content: ATTACHMENT_BYTES }],
      }),
    },
    {
      folder: sent,
      uid: 1,
      raw: rawMessage({
        from: 'Me <me@example.test>',
        to: 'ann@customer.test',
        subject: 'Re: Offer for S00042',
        messageId: '<m2@example.test>',
        inReplyTo: '<m1@customer.test>',
        references: '<m1@customer.test>',
        date: new Date('2024-03-01T10:00:00Z'),
        text: 'Tuesday works. I will send it.\n\nOn Fri, 1 Mar 2024, Ann Customer wrote:\n> please send the updated offer',
      }),
    },
    {
      folder: inbox,
      uid: 2,
      raw: rawMessage({ from: 'boss@example.test', to: 'me@example.test', subject: 'Salaries', messageId: '<x9@example.test>', date: new Date('2024-03-02T10:00:00Z'), text: OTHER_MAIL }),
    },
  ];
  for (const r of raws) {
    const subject = /^Subject: (.*)$/m.exec(r.raw)![1];
    const mid = /^Message-ID: (.*)$/im.exec(r.raw)![1].trim();
    const irt = /^In-Reply-To: (.*)$/im.exec(r.raw)?.[1].trim();
    store.upsertMessages(r.folder, [{ providerId: `${r.folder}:1:${r.uid}`, uid: r.uid, messageId: mid, subject, inReplyTo: irt, references: irt ? [irt] : undefined, flags: [], date: Date.parse(/^Date: (.*)$/m.exec(r.raw)![1]) }]);
    store.setBody(store.getMessageByUid(r.folder, r.uid)!.id, Buffer.from(r.raw));
  }
  const threadKey = threadKeyOf(store, store.getMessageByUid(inbox, 1)!.id)!;
  const otherThreadKey = threadKeyOf(store, store.getMessageByUid(inbox, 2)!.id)!;
  assert.notEqual(threadKey, otherThreadKey);
  const secrets = memorySecretStore();
  await secrets.set(LICENCE_SECRET, mintLicence({ licensee: 'Acme GmbH' }));
  await secrets.set(AI_API_KEY_SECRET, AI_KEY);
  const settings: Record<string, unknown> = { 'maildesk.ai.openai.url': ai.url, 'maildesk.ai.openai.model': 'test-model' };
  if (odoo) {
    Object.assign(settings, { 'maildesk.odoo.url': odoo.url, 'maildesk.odoo.database': odoo.database, 'maildesk.odoo.user': odoo.login, 'maildesk.bridges.enabled': ['*'] });
    await secrets.set(ODOO_API_KEY_SECRET, odoo.apiKey);
  }
  const pro = new MailDeskPro({
    core: mail,
    host: { secrets, publicKey: PUB },
    settings: () => settings,
    openai: { backoffBaseMs: 20, maxWaitMs: 2_000 },
  });
  return { mail, secrets, settings, pro, threadKey, otherThreadKey };
}

describe('MailDesk Pro: AI actions against an OpenAI-compatible endpoint', function () {
  this.timeout(20_000);
  let ai: FakeOpenAiServer;
  let w: World;

  beforeEach(async () => {
    ai = await new FakeOpenAiServer().start();
    w = await world(ai);
  });
  afterEach(async () => {
    w.pro.dispose();
    await w.mail.close();
    await ai.stop();
  });

  it('"Summarize current" streams the answer piece by piece', async () => {
    ai.queue.push({ chunks: ['Ann wants ', 'the updated offer ', 'and a Tuesday meeting.'] });
    const pieces: string[] = [];
    const r = await w.pro.ai.summarize('work', w.threadKey, { onText: (t) => pieces.push(t) });
    assert.deepEqual(pieces, ['Ann wants ', 'the updated offer ', 'and a Tuesday meeting.']);
    assert.equal(r.text, 'Ann wants the updated offer and a Tuesday meeting.');
    assert.match(r.model, /test-model at 127\.0\.0\.1/);
    assert.equal(ai.requests[0].body.stream, true);
    assert.equal(ai.requests[0].body.model, 'test-model');
  });

  it('sends only the current thread: no credentials, no other mail, no attachment contents', async () => {
    await w.pro.ai.summarize('work', w.threadKey);
    assert.equal(ai.requests.length, 1);
    const req = ai.requests[0];
    const sentText = req.body.messages!.map((m) => m.content).join('\n');
    // What the user would expect the model to see: both messages of this thread.
    assert.match(sentText, /please send the updated offer for order S00042/);
    assert.match(sentText, /Tuesday works\. I will send it\./);
    assert.match(sentText, /Attachments: requirements\.pdf/, 'the file is named, its content is not');
    for (const secret of [IMAP_PASSWORD, AI_KEY, ATTACHMENT_BYTES, Buffer.from(ATTACHMENT_BYTES).toString('base64'), OTHER_MAIL, 'Salaries', mintLicence().split('.')[0] + '.ey']) {
      assert.ok(!req.raw.includes(secret), `the request body must not contain ${secret}`);
    }
    assert.deepEqual(Object.keys(req.body).sort(), ['messages', 'model', 'stream']);
    assert.equal(req.headers.authorization, `Bearer ${AI_KEY}`, 'the API key goes to its own endpoint only, in the header');
  });

  it('sends nothing at all while AI is off, and says which switch', async () => {
    const offs: Array<[Record<string, unknown>, RegExp]> = [
      [{ 'maildesk.ai.enabled': false }, /AI is turned off for all mailboxes/],
      [{ 'maildesk.ai.feature.summarize.enabled': 0, 'maildesk.ai.feature.draft.enabled': false, 'maildesk.ai.feature.check.enabled': '0' }, /"Summarize current" is turned off/],
      [{ 'maildesk.ai.account.work.enabled': false }, /"Enable AI features" is off for this mailbox/],
      [{ 'maildesk.ai.openai.url': '' }, /No AI provider is configured/],
    ];
    for (const [patch, re] of offs) {
      const saved = { ...w.settings };
      Object.assign(w.settings, patch);
      await assert.rejects(w.pro.ai.summarize('work', w.threadKey), re);
      await assert.rejects(w.pro.ai.draftFromContext('work', w.threadKey), /off|No AI provider/);
      const check = await w.pro.ai.checkDraft('work', { to: ['ann@customer.test'], text: 'ok' }, { threadKey: w.threadKey });
      assert.ok(check.unavailable && check.ai === undefined);
      for (const k of Object.keys(w.settings)) delete w.settings[k];
      Object.assign(w.settings, saved);
    }
    await w.secrets.delete(LICENCE_SECRET);
    await assert.rejects(w.pro.ai.summarize('work', w.threadKey), /needs MailDesk Pro/);
    assert.equal(ai.requests.length, 0, 'no request reached the provider');
  });

  it('a rate-limited provider is retried, honouring Retry-After, then answers', async () => {
    ai.queue.push({ status: 429, retryAfter: '1' }, { status: 503 }, { chunks: ['ok'] });
    const t0 = Date.now();
    const r = await w.pro.ai.summarize('work', w.threadKey);
    assert.equal(r.text, 'ok');
    assert.equal(ai.requests.length, 3);
    assert.ok(Date.now() - t0 >= 950, 'waited as long as Retry-After asked');
  });

  it('a provider that keeps rate-limiting ends with a clear message, not a silent failure', async () => {
    ai.fallback = { status: 429, retryAfter: '0' };
    await assert.rejects(w.pro.ai.summarize('work', w.threadKey), (e: Error & { code?: string }) => {
      assert.equal(e.message, 'the provider is rate-limiting; try again in a minute');
      assert.equal(e.code, 'server.rateLimited');
      return true;
    });
    assert.equal(ai.requests.length, 4, 'the first try and three retries');
  });

  it('can be cancelled while the answer streams', async () => {
    ai.queue.push({ chunks: ['one ', 'two ', 'three ', 'four'], delayMs: 300 });
    const ac = new AbortController();
    const pieces: string[] = [];
    const p = w.pro.ai.summarize('work', w.threadKey, {
      signal: ac.signal,
      onText: (t) => {
        pieces.push(t);
        ac.abort();
      },
    });
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    assert.deepEqual(pieces, ['one ']);
  });

  it('"Draft from context" saves a reply draft to edit, never sends it', async () => {
    ai.queue.push({ chunks: ['Hi Ann,\n\nthe updated offer is attached. Tuesday 10:00 works.\n\nBest'] });
    const r = await w.pro.ai.draftFromContext('work', w.threadKey);
    assert.ok(r.saved, 'saved through compose');
    assert.match(r.note, /in Drafts, ready for you to edit\. It is not sent/);
    const opened = w.mail.openDraft('work', r.saved.id);
    assert.equal(opened.subject, 'Re: Offer for S00042');
    assert.deepEqual((opened.to ?? []).map((a) => (typeof a === 'string' ? a : a.address)), ['ann@customer.test']);
    assert.match(opened.text ?? '', /^Hi Ann,\n\nthe updated offer is attached/);
    assert.match(opened.text ?? '', /> please send the updated offer/, 'the parent is quoted below');
    assert.equal(opened.inReplyTo, '<m1@customer.test>');
    assert.equal(rawSql(w.mail.store).get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox')!.n, 0, 'nothing was queued for sending');
  });

  it('"Check with AI" reviews a draft: local findings always, the model when available', async () => {
    ai.queue.push({ chunks: ['- The question about Tuesday is not answered.'] });
    const draft = { to: ['ann@customer.test', 'eve@gmial.com'], subject: 'Re: Offer', text: 'Please find the offer attached.' };
    const r = await w.pro.ai.checkDraft('work', draft, { threadKey: w.threadKey });
    assert.deepEqual(
      r.local.map((f) => f.message),
      ['The message says something is attached, but nothing is attached.', 'eve@gmial.com: did you mean @gmail.com?', 'eve@gmial.com was not part of this conversation so far.'],
    );
    assert.equal(r.ai, '- The question about Tuesday is not answered.');
    assert.match(ai.requests[0].raw, /Draft to review/);
    w.settings['maildesk.ai.feature.check.enabled'] = false;
    const off = await w.pro.ai.checkDraft('work', draft, { threadKey: w.threadKey });
    assert.equal(off.local.length, 3);
    assert.match(off.unavailable ?? '', /"Check with AI" is turned off/);
    assert.equal(ai.requests.length, 1);
  });
});

describe('Troubleshoot: the guide\'s AI symptoms (Pro)', function () {
  this.timeout(20_000);
  let ai: FakeOpenAiServer;
  let w: World;
  const aiCheck = async () => (await runChecks(w.mail, { settings: w.settings, checks: [aiProvider], timeoutMs: 5_000 }))[0];

  beforeEach(async () => {
    ai = await new FakeOpenAiServer().start();
    w = await world(ai);
  });
  afterEach(async () => {
    w.pro.dispose();
    await w.mail.close();
    await ai.stop();
  });

  it('"the provider may briefly rate-limit": after a 429 that reached the user, ai.provider warns with when and the guide\'s try-again advice; a later answer clears it', async () => {
    ai.fallback = { status: 429, retryAfter: '0' };
    await assert.rejects(w.pro.ai.summarize('work', w.threadKey));
    const hit = await aiCheck();
    assert.equal(hit.status, 'warn', hit.detail);
    assert.match(hit.detail, /the AI provider \(.*test-model.*\) is rate-limiting \(HTTP 429\): the last AI request, at \d{4}-[\d-]+T[\d:]+Z, ended with server\.rateLimited/);
    assert.match(hit.remedy, /try again in a minute/);
    assert.deepEqual(hit.action, { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['maildesk.ai'] });
    ai.fallback = { chunks: ['fine'] };
    await w.pro.ai.summarize('work', w.threadKey);
    assert.equal((await aiCheck()).status, 'pass');
  });

  it('"Confirm the mailbox is running MailDesk Pro": Basic with an AI provider set up warns that the AI actions are not shown, and offers Enter Licence Key', async () => {
    await w.secrets.delete(LICENCE_SECRET);
    const hit = await aiCheck();
    assert.equal(hit.status, 'warn', hit.detail);
    assert.match(hit.detail, /Summarize current, Draft from context and Check with AI are not shown: this is MailDesk Basic/);
    assert.match(hit.remedy, /part of MailDesk Pro, not Basic/);
    assert.deepEqual(hit.action, { title: 'Enter Licence Key', command: 'maildesk.enterLicenceKey' });
    // Basic without any AI set up is simply Basic: nothing to report.
    w.settings['maildesk.ai.openai.url'] = '';
    w.settings['maildesk.ai.openai.model'] = '';
    assert.equal((await aiCheck()).status, 'skip');
  });
});

describe('MailDesk Pro: Workflow Bridges against Odoo JSON-RPC', function () {
  this.timeout(20_000);
  let ai: FakeOpenAiServer;
  let odoo: FakeOdooServer;
  let w: World;

  beforeEach(async () => {
    ai = await new FakeOpenAiServer().start();
    odoo = await new FakeOdooServer().start();
    w = await world(ai, odoo);
  });
  afterEach(async () => {
    w.pro.dispose();
    await w.mail.close();
    await Promise.all([ai.stop(), odoo.stop()]);
  });

  const visible = async () => (await w.pro.bridges.actionsFor('work')).filter((a) => a.visible);

  it('shows a bridge only when enabled on the mailbox and installed; no read access shows the reason instead of hiding it', async () => {
    assert.deepEqual(
      (await visible()).map((a) => [a.label, a.available]),
      [
        ['Create lead', true],
        ['Create ticket', true],
        ['Link to order', true],
        ['Create event', true],
        ['Save attachments', true],
        ['Open contact', true],
        ['Post to record', true],
        ['Run action', true],
      ],
    );
    // Per mailbox instead of for everyone.
    w.settings['maildesk.bridges.enabled'] = [];
    w.settings['maildesk.bridges.account.work'] = ['crm', 'helpdesk'];
    assert.deepEqual((await visible()).map((a) => a.id), ['crm', 'helpdesk']);
    w.settings['maildesk.bridges.account.work'] = [];
    assert.deepEqual(await visible(), [], 'not enabled on this mailbox: not shown');
    w.settings['maildesk.bridges.account.work'] = ['crm', 'helpdesk', 'sales'];
    // Helpdesk module not installed: not shown.
    odoo.modules.helpdesk = 'uninstalled';
    odoo.denied.add('crm.lead');
    w.pro.bridges.invalidate();
    const acts = await visible();
    assert.deepEqual(acts.map((a) => a.id), ['crm', 'sales']);
    const crm = acts.find((a) => a.id === 'crm')!;
    assert.equal(crm.available, false);
    assert.equal(crm.reason, 'You cannot link an email to a CRM lead if you have no access to CRM.');
    assert.ok(odoo.calls.some((c) => c.kwMethod === 'check_access_rights' && c.model === 'crm.lead' && c.kwargs?.raise_exception === false));
    // Without Pro: greyed, and the reason says Pro.
    await w.secrets.delete(LICENCE_SECRET);
    const basic = await visible();
    assert.ok(basic.every((a) => !a.available && /requires Pro/.test(a.reason)));
  });

  it('each built-in action creates or links the record and the thread shows the links with counts', async () => {
    const partner = odoo.seed('res.partner', { name: 'Ann Customer', email: 'ann@customer.test' });
    const order = odoo.seed('sale.order', { name: 'S00042', 'partner_id.email': 'ann@customer.test', amount_total: 990, state: 'sale' });
    const act = odoo.seed('ir.actions.server', { name: 'Mark as hot', 'model_id.model': 'crm.lead' });
    // The newest e-mail of the thread is the reply; the bridges act on it.
    let r = await w.pro.bridges.run('crm', 'work', w.threadKey);
    assert.match(r.message, /Lead "Re: Offer for S00042" created in CRM/);
    const lead = [...odoo.table('crm.lead').values()][0];
    assert.equal(lead.email_from, 'me@example.test');
    assert.match(String(lead.description), /Tuesday works/);
    r = await w.pro.bridges.run('helpdesk', 'work', w.threadKey);
    assert.match(r.message, /Ticket .* created in Helpdesk/);
    assert.equal(odoo.table('helpdesk.ticket').size, 1);
    r = await w.pro.bridges.run('sales', 'work', w.threadKey);
    assert.equal(r.message, 'E-mail linked to sales order S00042.');
    assert.deepEqual(odoo.posts.map((p) => [p.model, p.id]), [['sale.order', order]]);
    r = await w.pro.bridges.run('calendar', 'work', w.threadKey);
    assert.match(r.message, /Event "Re: Offer for S00042" created in Calendar/);
    await assert.rejects(w.pro.bridges.run('documents', 'work', w.threadKey), /no attachments to save/);
    r = await w.pro.bridges.run('partner360', 'work', w.threadKey);
    assert.equal(r.open?.model, 'res.partner');
    assert.notEqual(r.open?.id, partner, 'the reply is from me: my contact is created');
    assert.match(r.open?.url ?? '', /\/web#id=\d+&model=res\.partner/);
    r = await w.pro.bridges.run('chatter', 'work', w.threadKey, { choose: async (_t, items) => items.find((i) => i.label === 'S00042')!.value });
    assert.equal(r.message, 'E-mail posted to S00042.');
    assert.equal(odoo.posts.length, 2);
    r = await w.pro.bridges.run('automation', 'work', w.threadKey, {
      choose: async (title, items) => (/which record/.test(title) ? items.find((i) => i.detail === 'crm.lead')!.value : items[0].value),
    });
    assert.equal(r.message, 'Action "Mark as hot" ran on Re: Offer for S00042.');
    assert.deepEqual(odoo.runs, [{ action: act, context: { active_model: 'crm.lead', active_id: lead.id, active_ids: [lead.id] } }]);

    const links = await w.pro.bridges.links('work', w.threadKey);
    const lines = links.map((l) => `${l.model} ${l.name} ${l.emails}`).sort();
    assert.deepEqual(lines, [
      'calendar.event Re: Offer for S00042 1',
      'crm.lead Re: Offer for S00042 1',
      'helpdesk.ticket Re: Offer for S00042 1',
      'res.partner Me 1',
      'sale.order S00042 1',
      'sale.order S00042 1',
    ]);
    assert.deepEqual(await w.pro.bridges.links('work', w.otherThreadKey), [], 'other threads show no links');
  });

  it('"Save attachments" sends the files of an e-mail that has them to Documents', async () => {
    // Only the thread of Ann's first message: make it its own thread by asking for her message.
    const inbox = w.mail.store.getFolder('work', 'INBOX')!.id;
    rawSql(w.mail.store).run('UPDATE messages SET thread_key = ? WHERE id = ?', ['solo', w.mail.store.getMessageByUid(inbox, 1)!.id]);
    const r = await w.pro.bridges.run('documents', 'work', 'solo');
    assert.equal(r.message, '1 attachment saved to Documents.');
    const doc = [...odoo.table('documents.document').values()][0];
    assert.equal(doc.name, 'requirements.pdf');
    assert.equal(Buffer.from(String(doc.datas), 'base64').toString(), ATTACHMENT_BYTES);
  });

  it('access denied by Odoo on create comes back as the visible reason', async () => {
    // Read allowed at check time, refused on create (rights changed in between).
    await w.pro.bridges.actionsFor('work');
    odoo.denied.add('helpdesk.ticket');
    await assert.rejects(w.pro.bridges.run('helpdesk', 'work', w.threadKey), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'auth.accessDenied');
      assert.match(e.message, /^You cannot link an email to a Helpdesk ticket if you have no access to Helpdesk\. \(Odoo: You are not allowed to create 'helpdesk\.ticket'/);
      return true;
    });
    assert.equal(odoo.table('helpdesk.ticket').size, 0);
  });

  it('link counts refresh on demand: renamed and deleted records', async () => {
    await w.pro.bridges.run('crm', 'work', w.threadKey);
    const [lead] = [...odoo.table('crm.lead').values()];
    lead.name = 'Customer Ltd – offer';
    let links = await w.pro.bridges.refreshLinks('work', w.threadKey);
    assert.equal(links[0].name, 'Customer Ltd – offer');
    odoo.table('crm.lead').delete(lead.id);
    links = await w.pro.bridges.refreshLinks('work', w.threadKey);
    assert.equal(links[0].state, 'gone');
  });

  it('Troubleshoot: "Confirm the bridge is enabled on the mailbox": with Odoo set up but no bridge enabled here, bridges warns and opens that setting', async () => {
    w.settings['maildesk.bridges.enabled'] = [];
    const [hit] = await runChecks(w.mail, { settings: w.settings, checks: [bridgesCheck], timeoutMs: 5_000 });
    assert.equal(hit.status, 'warn', hit.detail);
    assert.match(hit.detail, /no Workflow Bridge is enabled on this mailbox, so Create lead, Create ticket, Link to order .* not shown .* Odoo is configured/);
    assert.match(hit.remedy, /maildesk\.bridges\.account\.work/);
    assert.deepEqual(hit.action, { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['maildesk.bridges.account.work'] });
  });

  it('Troubleshoot: "If a smart-button count looks wrong": links not checked against Odoo for a day warn with Refresh; links checked within the day are not reported', async () => {
    await w.pro.bridges.run('crm', 'work', w.threadKey);
    const run = (now: number) => runChecks(w.mail, { settings: w.settings, checks: [bridgesCheck], timeoutMs: 5_000, now: () => now });
    const later = Date.now() + 2 * 86_400_000;
    const stale = (await run(later)).find((o) => o.status === 'warn' && /not checked against Odoo/.test(o.detail));
    assert.ok(stale, 'a stale link is reported');
    assert.match(stale.detail, /1 of 1 linked record\(s\) were not checked against Odoo for more than a day/);
    assert.match(stale.remedy, /refresh the form .* updates on the next synchronisation/i);
    assert.equal(stale.action?.command, 'maildesk.refresh');
    assert.ok(!(await run(Date.now())).some((o) => /not checked against Odoo/.test(o.detail)), 'fresh links are not reported');
  });

  it('a bridge registered by another extension appears beside the built-ins', async () => {
    const created: string[] = [];
    const d = w.pro.bridges.register({
      id: 'acme.tracker.issue',
      label: 'Create issue',
      app: 'Tracker',
      check: async () => ({ state: 'ok' }),
      run: async ({ email }) => {
        created.push(email.subject);
        return { records: [{ model: 'tracker.issue', id: 'TRK-1', name: 'TRK-1' }], message: 'Issue TRK-1 created.' };
      },
    });
    assert.throws(() => w.pro.bridges.register({ id: 'crm', label: 'x', app: 'x', check: async () => ({ state: 'ok' }), run: async () => ({ records: [], message: '' }) }), /already registered/);
    assert.ok((await visible()).some((a) => a.id === 'acme.tracker.issue' && a.available));
    const r = await w.pro.bridges.run('acme.tracker.issue', 'work', w.threadKey);
    assert.equal(r.message, 'Issue TRK-1 created.');
    assert.deepEqual(created, ['Re: Offer for S00042']);
    assert.equal((await w.pro.bridges.links('work', w.threadKey))[0].id, 'TRK-1');
    d.dispose();
    assert.ok(!(await visible()).some((a) => a.id === 'acme.tracker.issue'));
  });

  it('Troubleshoot reports the licence, the AI provider and the bridges from the same services', async () => {
    odoo.denied.add('crm.lead');
    odoo.modules.documents = 'uninstalled';
    const run = () => runChecks(w.mail, { settings: w.settings, checks: [licenceCheck, aiProvider, bridgesCheck], timeoutMs: 5_000 });
    let out = await run();
    const by = (id: string) => out.filter((o) => o.id === id);
    assert.equal(by('licence')[0].status, 'pass');
    assert.match(by('licence')[0].detail, /MailDesk Pro, licensed to Acme GmbH/);
    assert.equal(by('ai.provider')[0].status, 'pass');
    assert.match(by('ai.provider')[0].detail, /OpenAI-compatible endpoint: model test-model/);
    const b = by('bridges');
    assert.ok(b.some((o) => o.status === 'warn' && o.detail === 'Create lead (CRM): You cannot link an email to a CRM lead if you have no access to CRM.'));
    assert.ok(b.some((o) => o.status === 'warn' && /Save attachments \(Documents\): the Odoo module "documents" \(Documents\) is not installed/.test(o.detail)));
    assert.ok(b.some((o) => o.status === 'pass' && /Create ticket \(Helpdesk\)/.test(o.detail)));

    // A key for another product, then clock skew: "valid licence but not recognised".
    await w.secrets.set(LICENCE_SECRET, mintLicence({ product: 'maildesk-odoo' }));
    out = await run();
    assert.equal(by('licence')[0].status, 'warn');
    assert.match(by('licence')[0].detail, /valid licence but not recognised: the key is for "maildesk-odoo"/);
    // Basic with a provider set up: the AI actions the user had are gone, and Troubleshoot says why.
    assert.equal(by('ai.provider')[0].status, 'warn');
    assert.match(by('ai.provider')[0].detail, /are not shown: this is MailDesk Basic/);
    assert.match(by('bridges')[0].detail, /every bridge requires MailDesk Pro/);
    await w.secrets.set(LICENCE_SECRET, mintLicence({ issued: new Date(Date.now() + 3 * 86_400_000).toISOString() }));
    out = await run();
    assert.match(by('licence')[0].detail, /in the future for this computer's clock/);

    await w.secrets.set(LICENCE_SECRET, mintLicence());
    w.settings['maildesk.ai.openai.url'] = '';
    out = await run();
    assert.equal(by('ai.provider')[0].status, 'warn');
    assert.match(by('ai.provider')[0].detail, /no AI provider is configured: maildesk\.ai\.openai\.model is set but maildesk\.ai\.openai\.url is empty/);
  });
});
