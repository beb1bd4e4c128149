import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mintLicence } from '../../scripts/mint-licence';
import { licenceCommand } from '../../src/cli/commands/licence';
import { memorySecretStore } from '../../src/core/auth/tokens';
import { LICENCE_SECRET, normaliseLicenceKey, signLicence, verifyLicence } from '../../src/core/licence/licence';
import { MailDeskPro } from '../../src/core/licence/maildeskPro';
import { MailStore } from '../../src/core/store/store';

const FIX = path.join(__dirname, '..', 'fixtures', 'licence');
const PUB = fs.readFileSync(path.join(FIX, 'test-public.pem'), 'utf8');
const NOW = Date.parse('2026-03-01T12:00:00Z');
const day = 86_400_000;
const verify = (k: string | undefined) => verifyLicence(k, { publicKey: PUB, now: NOW });
const mint = (p: Parameters<typeof mintLicence>[0] = {}) =>
  mintLicence({ licensee: 'Acme GmbH', seats: 5, issued: new Date(NOW - 30 * day).toISOString(), expires: new Date(NOW + 300 * day).toISOString(), ...p });

describe('licence keys', () => {
  it('a valid key makes MailDesk Pro and names licensee, plan, seats and expiry', () => {
    const s = verify(mint());
    assert.equal(s.state, 'valid');
    assert.equal(s.pro, true);
    assert.match(s.message, /MailDesk Pro, licensed to Acme GmbH, pro, 5 seats, valid until 2026-12-26/);
    assert.equal(s.payload?.seats, 5);
  });

  it('no key is Basic, with a way to enter one', () => {
    const s = verify(undefined);
    assert.equal(s.state, 'none');
    assert.equal(s.pro, false);
    assert.match(s.remedy, /Enter Licence Key/);
  });

  it('each broken key gets its own message', () => {
    const good = mint();
    const [pre, body, sig] = good.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tamperedBody = Buffer.from(JSON.stringify({ ...payload, seats: 500 })).toString('base64url');
    const cases: Array<[string, string, RegExp]> = [
      ['hello world', 'malformed', /not a MailDesk licence key/],
      [`${pre}.${body}`, 'malformed', /not a MailDesk licence key/],
      [`${pre}.bm90IGpzb24.${sig}`, 'malformed', /incomplete or damaged/],
      [`${pre}.${tamperedBody}.${sig}`, 'tampered', /signature does not match/],
      [signLicence(payload as never, fs.readFileSync(path.join(FIX, 'other-private.pem'), 'utf8')), 'tampered', /not issued by MailDesk/],
      [mint({ expires: new Date(NOW - day).toISOString() }), 'expired', /expired on 2026-02-28/],
      [mint({ product: 'maildesk-odoo' }), 'wrongProduct', /valid licence but not recognised: the key is for "maildesk-odoo"/],
      [mint({ issued: new Date(NOW + 3 * day).toISOString() }), 'notYetValid', /valid licence but not recognised: it was issued on 2026-03-04, which is in the future/],
    ];
    const messages = new Set<string>();
    for (const [key, state, re] of cases) {
      const s = verify(key);
      assert.equal(s.state, state, key.slice(0, 40));
      assert.equal(s.pro, false);
      assert.match(s.message, re);
      assert.ok(s.remedy.length > 10, 'every failure says what to do');
      messages.add(s.message.split(':')[0]);
    }
    assert.ok(messages.size >= 5, 'different failures read differently');
  });

  it('a clock a few minutes behind is tolerated', () => {
    assert.equal(verify(mint({ issued: new Date(NOW + 5 * 60_000).toISOString() })).state, 'valid');
  });

  it('a key pasted with quotes, a label, spaces and line breaks is cleaned and says so', () => {
    const k = mint();
    const pasted = `  Licence key: "${k.slice(0, 60)}\r\n${k.slice(60, 130)}\n ${k.slice(130)}"  `;
    const s = verify(pasted);
    assert.equal(s.state, 'valid');
    assert.equal(s.key, k);
    assert.match(s.message, /the pasted text also held .*surrounding quotes.*line breaks.*MailDesk removed them/);
    assert.deepEqual(normaliseLicenceKey(k), { key: k, cleaned: [] });
  });

  it('keys minted with the test key pair do not verify against the shipped public key', () => {
    const s = verifyLicence(mint(), { now: NOW });
    assert.equal(s.state, 'tampered');
  });

  it('"Enter Licence Key" stores only a valid key, cleaned', async () => {
    const store = await MailStore.open({});
    const secrets = memorySecretStore();
    const pro = new MailDeskPro({ core: { store, messageSource: async () => Buffer.alloc(0) }, host: { secrets, publicKey: PUB }, settings: () => ({}), now: () => NOW });
    try {
      const bad = await pro.enterLicence(mint({ expires: new Date(NOW - day).toISOString() }));
      assert.equal(bad.state, 'expired');
      assert.equal(await secrets.get(LICENCE_SECRET), undefined);
      assert.equal((await pro.licence()).state, 'none');
      const k = mint();
      assert.equal((await pro.enterLicence(`'${k}'\n`)).state, 'valid');
      assert.equal(await secrets.get(LICENCE_SECRET), k);
      assert.equal((await pro.licence()).pro, true);
      await pro.removeLicence();
      assert.equal((await pro.licence()).pro, false);
    } finally {
      pro.dispose();
      store.close();
    }
  });

  it('maildesk licence status|verify prints Basic or Pro with exit codes', async () => {
    const out: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s) };
    assert.equal(await licenceCommand({ sub: 'verify', key: mint(), publicKey: PUB, now: NOW }, io), 0);
    assert.match(out.join(''), /MailDesk Pro: MailDesk Pro, licensed to Acme GmbH/);
    out.length = 0;
    assert.equal(await licenceCommand({ sub: 'verify', key: mint({ product: 'other' }), publicKey: PUB, now: NOW }, io), 1);
    assert.match(out.join(''), /MailDesk Basic: valid licence but not recognised/);
    out.length = 0;
    assert.equal(await licenceCommand({ sub: 'status', env: {}, publicKey: PUB, now: NOW }, io), 0);
    assert.match(out.join(''), /MailDesk Basic: no licence key/);
    assert.equal(await licenceCommand({ sub: 'verify', publicKey: PUB }, io), 2);
    out.length = 0;
    assert.equal(await licenceCommand({ sub: 'status', env: { MAILDESK_LICENCE_KEY: mint() }, publicKey: PUB, now: NOW, json: true }, io), 0);
    const j = JSON.parse(out.join('')) as { edition: string; key?: string };
    assert.equal(j.edition, 'Pro');
    assert.equal(j.key, undefined, 'the key itself is not printed');
  });
});
