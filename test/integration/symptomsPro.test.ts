import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mintLicence } from '../../scripts/mint-licence';
import { memorySecretStore } from '../../src/core/auth/tokens';
import type { SecretStore } from '../../src/core/config';
import type { CheckOutcome } from '../../src/core/diagnostics/check';
import { runChecks } from '../../src/core/diagnostics/runner';
import { LICENCE_SECRET } from '../../src/core/licence/licence';
import { MailDeskPro } from '../../src/core/licence/maildeskPro';
import { AI_API_KEY_SECRET, ODOO_API_KEY_SECRET } from '../../src/core/licence/pro';
import type { MailDesk } from '../../src/core/maildesk';
import { syncOnce } from '../../src/core/sync/once';
import { threadKeyOf } from '../../src/core/threads/threads';
import { imapAccount, openCore } from '../support/core';
import { requireDovecot, startDovecot, type Dovecot } from '../support/dovecot';
import { FakeOdooServer } from '../support/odooServer';
import { FakeOpenAiServer } from '../support/openaiServer';
import { seedMessages } from '../support/seed';

/**
 * The guide's Pro symptoms ("An AI action is unavailable", "A Workflow Bridge action is
 * missing on a record", "a valid licence not recognised"), each caused for real: mail synced
 * from Dovecot, the AI action or bridge asked of the local OpenAI-compatible and Odoo servers
 * and refused, then Troubleshoot read: check, status, remedy, fix button.
 * (The provider's 429 and a stale smart-button count are in pro.test.ts, named by the guide.)
 */

const PUB = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'licence', 'test-public.pem'), 'utf8');
const PW = 'Pw-pro-4Rt7z';

/** The key with its seat count raised in the payload and the signature left as it was. */
function edited(key: string): string {
  const [prefix, payload, signature] = key.split('.');
  const p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { seats: number };
  p.seats = 500;
  return [prefix, Buffer.from(JSON.stringify(p)).toString('base64url'), signature].join('.');
}

function only(outcomes: CheckOutcome[], id: string): CheckOutcome {
  const hits = outcomes.filter((o) => o.id === id);
  assert.equal(hits.length, 1, `${id}: ${JSON.stringify(hits)}`);
  return hits[0];
}

describe('Troubleshoot: the guide\'s Pro symptoms, caused for real', function () {
  this.timeout(60_000);
  let dv: Dovecot;
  let ai: FakeOpenAiServer;
  let odoo: FakeOdooServer;
  let mail: MailDesk;
  let secrets: SecretStore;
  let settings: Record<string, unknown>;
  let pro: MailDeskPro;
  let thread: string;

  before(async function () {
    requireDovecot(this);
    dv = await startDovecot({ users: { pro: PW } });
    dv.seedMaildir('pro', 'INBOX', seedMessages(2, 'Offer'));
  });
  after(async () => {
    await dv?.dispose();
  });

  beforeEach(async () => {
    ai = await new FakeOpenAiServer().start();
    odoo = await new FakeOdooServer().start();
    mail = await openCore(undefined, { pro: PW });
    mail.ensureAccount(imapAccount('pro', dv.port));
    await mail.refreshFolders('pro');
    assert.ok((await syncOnce(mail, ['pro'])).ok);
    const inbox = mail.store.getFolder('pro', 'INBOX')!;
    thread = threadKeyOf(mail.store, mail.store.getMessageByUid(inbox.id, 1)!.id)!;
    secrets = memorySecretStore();
    await secrets.set(LICENCE_SECRET, mintLicence({ licensee: 'Acme GmbH' }));
    await secrets.set(AI_API_KEY_SECRET, 'sk-test-symptoms');
    await secrets.set(ODOO_API_KEY_SECRET, odoo.apiKey);
    settings = {
      'maildesk.ai.openai.url': ai.url,
      'maildesk.ai.openai.model': 'test-model',
      'maildesk.odoo.url': odoo.url,
      'maildesk.odoo.database': odoo.database,
      'maildesk.odoo.user': odoo.login,
      'maildesk.bridges.enabled': ['*'],
    };
    pro = new MailDeskPro({ core: mail, host: { secrets, publicKey: PUB }, settings: () => settings, openai: { backoffBaseMs: 20, maxWaitMs: 2_000 } });
  });
  afterEach(async () => {
    pro.dispose();
    await mail.close();
    await Promise.all([ai.stop(), odoo.stop()]);
  });

  const check = () => runChecks(mail, { accounts: ['pro'], settings, timeoutMs: 5_000 });

  it('healthy Pro: Summarize current answers, and the AI, licence and bridge checks pass', async () => {
    const r = await pro.ai.summarize('pro', thread);
    assert.match(r.text, /all good/);
    const outcomes = await check();
    for (const id of ['ai.switches', 'ai.provider', 'licence']) assert.equal(only(outcomes, id).status, 'pass', `${id}: ${only(outcomes, id).detail}`);
    assert.ok(outcomes.filter((o) => o.id === 'bridges').every((o) => o.status === 'pass'));
  });

  for (const c of [
    {
      cause: 'no AI provider is configured',
      set: () => {
        settings['maildesk.ai.openai.url'] = '';
      },
      check: 'ai.provider',
      detail: /no AI provider is configured: maildesk\.ai\.openai\.model is set but maildesk\.ai\.openai\.url is empty; Summarize current, Draft from context and Check with AI are greyed out/,
      remedy: /An administrator configures at least one provider/,
      action: { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['maildesk.ai'] },
    },
    {
      cause: 'AI is turned off system-wide (maildesk.ai.enabled = 0)',
      set: () => {
        settings['maildesk.ai.enabled'] = 0;
      },
      check: 'ai.switches',
      detail: /maildesk\.ai\.enabled is off: every AI action is turned off system-wide/,
      remedy: /Turn the switch back on in Settings \(maildesk\.ai\.enabled\)/,
      action: { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['maildesk.ai.enabled'] },
    },
    {
      cause: 'the feature is turned off (maildesk.ai.feature.summarize.enabled = 0)',
      set: () => {
        settings['maildesk.ai.feature.summarize.enabled'] = '0';
      },
      check: 'ai.switches',
      detail: /maildesk\.ai\.feature\.summarize\.enabled is off: "Summarize current" is unavailable/,
      remedy: /maildesk\.ai\.feature\.summarize\.enabled/,
      action: { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['maildesk.ai.feature.summarize.enabled'] },
    },
    {
      cause: '"Enable AI features" is off on the mailbox',
      set: () => {
        settings['maildesk.ai.account.pro.enabled'] = false;
      },
      check: 'ai.switches',
      detail: /"Enable AI features" is off for this mailbox \(maildesk\.ai\.account\.pro\.enabled\): no AI action works on its mail/,
      remedy: /maildesk\.ai\.account\.pro\.enabled/,
      action: { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['maildesk.ai.account.pro.enabled'] },
    },
    {
      cause: 'the mailbox runs MailDesk Basic (no licence key)',
      set: () => secrets.delete(LICENCE_SECRET),
      check: 'ai.provider',
      detail: /Summarize current, Draft from context and Check with AI are not shown: this is MailDesk Basic/,
      remedy: /AI features are part of MailDesk Pro, not Basic: enter a Pro licence key/,
      action: { title: 'Enter Licence Key', command: 'maildesk.enterLicenceKey' },
    },
  ]) {
    it(`"An AI action is unavailable (Pro)" because ${c.cause}: Summarize current is refused and ${c.check} warns with the guide's remedy and its fix`, async () => {
      await c.set();
      const before = ai.requests.length;
      await assert.rejects(pro.ai.summarize('pro', thread));
      assert.equal(ai.requests.length, before, 'nothing reached the AI provider');
      const hit = only(await check(), c.check);
      assert.equal(hit.status, 'warn', hit.detail);
      assert.match(hit.detail, c.detail);
      assert.match(hit.remedy, c.remedy);
      assert.equal(hit.section, 'An AI action is unavailable (Pro)');
      assert.deepEqual(hit.action, c.action);
    });
  }

  for (const c of [
    {
      cause: 'the bridge is not enabled on this mailbox',
      set: () => {
        settings['maildesk.bridges.enabled'] = [];
      },
      bridge: 'crm',
      detail: /no Workflow Bridge is enabled on this mailbox, so Create lead, Create ticket, Link to order and the other bridge actions are not shown on its mail, although Odoo is configured/,
      remedy: /Enable the bridges for this mailbox in Settings \(maildesk\.bridges\.account\.pro/,
      action: { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['maildesk.bridges.account.pro'] },
    },
    {
      cause: 'the Helpdesk module is not installed in Odoo',
      set: () => {
        odoo.modules.helpdesk = 'uninstalled';
      },
      bridge: 'helpdesk',
      detail: /^Create ticket \(Helpdesk\): the Odoo module "helpdesk" \(Helpdesk\) is not installed$/,
      remedy: /Install the matching Workflow Bridge module in Odoo \(Helpdesk\); until then "Create ticket" is not shown/,
      // The fix is in Odoo: no VS Code command does it.
      action: undefined,
    },
    {
      cause: 'the user has no read access to CRM',
      set: () => {
        odoo.denied.add('crm.lead');
      },
      bridge: 'crm',
      detail: /^Create lead \(CRM\): You cannot link an email to a CRM lead if you have no access to CRM\.$/,
      remedy: /Ask your Odoo administrator for read access to CRM/,
      action: undefined,
    },
  ]) {
    it(`"A Workflow Bridge action is missing on a record" because ${c.cause}: the action is not offered, and bridges warns with the guide's remedy`, async () => {
      c.set();
      const action = (await pro.bridges.actionsFor('pro')).find((a) => a.id === c.bridge)!;
      assert.ok(!action.visible || !action.available, `${c.bridge} is not offered: ${JSON.stringify(action)}`);
      const hit = (await check()).find((o) => o.id === 'bridges' && c.detail.test(o.detail));
      assert.ok(hit, `bridges reports it: ${JSON.stringify((await check()).filter((o) => o.id === 'bridges'))}`);
      assert.equal(hit.status, 'warn');
      assert.match(hit.remedy, c.remedy);
      assert.equal(hit.section, 'A Workflow Bridge action is missing on a record');
      assert.deepEqual(hit.action, c.action);
    });
  }

  for (const c of [
    { kind: 'a key for another product', key: () => mintLicence({ product: 'maildesk-odoo' }), detail: /valid licence but not recognised: the key is for "maildesk-odoo"/, remedy: /another MailDesk product/ },
    { kind: 'a key issued "in the future" (wrong clock)', key: () => mintLicence({ issued: new Date(Date.now() + 3 * 86_400_000).toISOString() }), detail: /in the future for this computer's clock/, remedy: /Check this computer's date, time and time zone/ },
    { kind: 'an expired key', key: () => mintLicence({ issued: '2024-01-01T00:00:00Z', expires: '2025-01-01T00:00:00Z' }), detail: /expired on 2025-01-01.*MailDesk runs as Basic/, remedy: /Renew the licence/ },
    { kind: 'a key edited after it was issued', key: () => edited(mintLicence({ seats: 5 })), detail: /signature does not match its contents/, remedy: /Use the key exactly as it came in your licence e-mail/ },
    { kind: 'a cut-off key', key: () => mintLicence().slice(0, 30), detail: /not a MailDesk licence key|incomplete or damaged/, remedy: /Copy the key again from your licence e-mail/ },
  ]) {
    it(`"You have a valid licence but it is not recognised": ${c.kind}; Summarize current is refused and licence warns with that kind's own remedy and Enter Licence Key`, async () => {
      await secrets.set(LICENCE_SECRET, c.key());
      await assert.rejects(pro.ai.summarize('pro', thread));
      const outcomes = await check();
      const hit = only(outcomes, 'licence');
      assert.equal(hit.status, 'warn', hit.detail);
      assert.match(hit.detail, c.detail);
      assert.match(hit.remedy, c.remedy);
      assert.deepEqual(hit.action, { title: 'Enter Licence Key', command: 'maildesk.enterLicenceKey' });
      // The AI actions the user had are gone, and the AI check says why.
      assert.match(only(outcomes, 'ai.provider').detail, /this is MailDesk Basic/);
    });
  }
});
