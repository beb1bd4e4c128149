/**
 * Troubleshoot, Pro and the triage commands as a VS Code window runs them: a client of a real
 * engine over a MessagePort (as src/extension/extension.ts connects it), every read and write
 * through the protocol. Pro's models and bridges run on the client's side; the mail, the
 * drafts and the links are the engine's; the Pro secrets stay with the client.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { mintLicence } from '../../scripts/mint-licence';
import { lastAiFailure } from '../../src/core/ai/failures';
import { memorySecretStore } from '../../src/core/auth/tokens';
import { LICENCE_SECRET } from '../../src/core/licence/licence';
import { MailDeskPro } from '../../src/core/licence/maildeskPro';
import { AI_API_KEY_SECRET } from '../../src/core/licence/pro';
import type { MailDesk } from '../../src/core/maildesk';
import { threadKeyOf } from '../../src/core/threads/threads';
import { EngineClient } from '../../src/engine/client';
import { Engine } from '../../src/engine/engine';
import { secretAnswers } from '../../src/engine/secretAnswers';
import { engineProData } from '../../src/extension/pro/proData';
import type { EngineNotifications } from '../../src/shared/protocol/engine';
import { FakeOpenAiServer } from '../support/openaiServer';
import { mapCredentials, tempDir } from '../support/core';
import { rawMessage } from '../support/rawmail';
import { rawSql } from '../support/rawStoreSql';

const PUB = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'licence', 'test-public.pem'), 'utf8');
const IMAP_PASSWORD = 'IMAP-PASSWORD-panels-Xk29';
const AI_KEY = 'sk-panels-ai-key-4711';
const ATTACHMENT_BYTES = 'PANELS-ATTACHMENT-BYTES';

describe('Troubleshoot, Pro and triage in a window: through the engine', function () {
  this.timeout(30_000);
  let dir: string;
  let engine: Engine;
  let client: EngineClient;
  let port: MessagePort;
  let core: MailDesk;
  let ai: FakeOpenAiServer;
  const secrets = memorySecretStore();
  let threadKey: string;
  let inbox: number;
  let sent: number;

  before(async () => {
    dir = tempDir();
    const { port1, port2 } = new MessageChannel();
    port = port1;
    const started = await Engine.start({ dataDir: dir, host: 'vscode', idle: false }, port2, () => undefined);
    assert.equal(started.kind, 'ready');
    engine = (started as { engine: Engine }).engine;
    client = await EngineClient.overPort(port1, { dataDir: dir, kind: 'vscode', secrets: secretAnswers(mapCredentials({ work: IMAP_PASSWORD }), secrets) });
    // The mail is seeded as sync would leave it (the engine's own core: setup only).
    core = engine.hostedCore;
    const store = core.store;
    store.upsertAccount({ id: 'work', provider: 'imap', email: 'me@example.test', name: 'Me', imap: { host: '127.0.0.1', port: 1, security: 'none', user: 'me' } });
    store.upsertFolders('work', [{ path: 'INBOX', name: 'Inbox', role: 'inbox' }, { path: 'Sent', name: 'Sent', role: 'sent' }, { path: 'Archive', name: 'Archive', role: 'archive' }], () => true);
    inbox = store.getFolder('work', 'INBOX')!.id;
    sent = store.getFolder('work', 'Sent')!.id;
    const raws = [
      { folder: inbox, uid: 1, raw: rawMessage({ from: 'Ann Customer <ann@customer.test>', to: 'me@example.test', subject: 'Offer for S00042', messageId: '<p1@customer.test>', date: new Date('2024-03-01T09:00:00Z'), text: 'Please send the updated offer.', attachments: [{ filename: 'spec.pdf', contentType: 'application/pdf', content: ATTACHMENT_BYTES }] }) },
      { folder: sent, uid: 1, raw: rawMessage({ from: 'Me <me@example.test>', to: 'ann@customer.test', subject: 'Re: Offer for S00042', messageId: '<p2@example.test>', inReplyTo: '<p1@customer.test>', references: '<p1@customer.test>', date: new Date('2024-03-01T10:00:00Z'), text: 'Tuesday works.' }) },
    ];
    for (const r of raws) {
      const subject = /^Subject: (.*)$/m.exec(r.raw)![1];
      const mid = /^Message-ID: (.*)$/im.exec(r.raw)![1].trim();
      const irt = /^In-Reply-To: (.*)$/im.exec(r.raw)?.[1].trim();
      store.upsertMessages(r.folder, [{ providerId: `${r.folder}:1:${r.uid}`, uid: r.uid, messageId: mid, subject, inReplyTo: irt, references: irt ? [irt] : undefined, flags: [], date: Date.parse(/^Date: (.*)$/m.exec(r.raw)![1]) }]);
      store.setBody(store.getMessageByUid(r.folder, r.uid)!.id, Buffer.from(r.raw));
    }
    threadKey = threadKeyOf(store, store.getMessageByUid(inbox, 1)!.id)!;
    ai = await new FakeOpenAiServer().start();
  });

  after(async () => {
    await ai?.stop();
    await client?.close();
    await engine?.stop('test over');
    port?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const windowPro = (settings: Record<string, unknown>): MailDeskPro =>
    new MailDeskPro({ data: engineProData(client), host: { secrets, publicKey: PUB }, settings: () => settings, openai: { backoffBaseMs: 10, maxWaitMs: 500 } });

  it('AI actions read the thread from the engine and save their draft there; a failing provider is remembered for Troubleshoot', async () => {
    await secrets.set(LICENCE_SECRET, mintLicence({ licensee: 'Acme GmbH' }));
    await secrets.set(AI_API_KEY_SECRET, AI_KEY);
    const pro = windowPro({ 'maildesk.ai.openai.url': ai.url, 'maildesk.ai.openai.model': 'test-model' });
    try {
      ai.queue.push({ chunks: ['Ann wants ', 'the offer.'] });
      const s = await pro.ai.summarize('work', threadKey);
      assert.equal(s.text, 'Ann wants the offer.');
      const sentText = ai.requests[0].body.messages!.map((m) => m.content).join('\n');
      assert.match(sentText, /Please send the updated offer\./);
      assert.match(sentText, /Tuesday works\./);
      assert.ok(!ai.requests[0].raw.includes(ATTACHMENT_BYTES), 'attachment contents are not sent');

      ai.queue.push({ chunks: ['Hi Ann,\n\nhere it is.'] });
      const d = await pro.ai.draftFromContext('work', threadKey);
      assert.ok(d.saved, 'saved by the engine');
      const opened = core.openDraft('work', d.saved.id);
      assert.equal(opened.subject, 'Re: Offer for S00042');
      assert.deepEqual((opened.to ?? []).map((a) => (typeof a === 'string' ? a : a.address)), ['ann@customer.test']);
      assert.match(opened.text ?? '', /^Hi Ann,\n\nhere it is\./);
      assert.equal(opened.inReplyTo, '<p1@customer.test>');

      const check = await pro.ai.checkDraft('work', { to: ['eve@elsewhere.test'], text: 'ok' }, { threadKey });
      assert.ok(check.local.some((f) => /eve@elsewhere\.test was not part of this conversation/.test(f.message)), JSON.stringify(check.local));

      assert.equal(lastAiFailure(core.store), undefined);
      ai.fallback = { status: 429, retryAfter: '0' };
      await assert.rejects(pro.ai.summarize('work', threadKey), /rate-limiting/);
      // The failure is written by a request of its own: wait for it to reach the engine.
      await client.request('accounts/list', {});
      const failure = lastAiFailure(core.store);
      assert.equal(failure?.code, 'server.rateLimited');
      assert.match(failure?.model ?? '', /test-model/);
    } finally {
      ai.fallback = { chunks: ['ok'] };
      pro.dispose();
    }
  });

  it('a bridge registered in the window gets the e-mail with its attachment and leaves its links in the engine', async () => {
    const pro = windowPro({ 'maildesk.bridges.enabled': ['*'] });
    try {
      let bytes = '';
      pro.bridges.register({
        id: 'acme.tracker',
        label: 'Create issue',
        app: 'Tracker',
        check: async () => ({ state: 'ok' }),
        run: async ({ email }) => {
          bytes = Buffer.from(email.attachments.find((a) => a.filename === 'spec.pdf')!.content()).toString();
          return { records: [{ model: 'tracker.issue', id: 'TRK-7', name: email.subject }], message: 'Issue TRK-7 created.' };
        },
        refresh: async (records) => records.map((r) => ({ ...r, gone: true })),
      });
      // The newest message is the reply (no attachment): the bridge acts on Ann's own message here.
      rawSql(core.store).run('UPDATE messages SET thread_key = ? WHERE id = ?', ['solo', core.store.getMessageByUid(inbox, 1)!.id]);
      const r = await pro.bridges.run('acme.tracker', 'work', 'solo');
      assert.equal(r.message, 'Issue TRK-7 created.');
      assert.equal(bytes, ATTACHMENT_BYTES, 'the attachment crossed whole');
      const links = await pro.bridges.links('work', 'solo');
      assert.deepEqual(links.map((l) => [l.model, l.id, l.name, l.state, l.emails]), [['tracker.issue', 'TRK-7', 'Offer for S00042', 'ok', 1]]);
      assert.equal(rawSql(core.store).get<{ n: number }>('SELECT COUNT(*) AS n FROM bridge_links')!.n, 1, 'stored by the engine');
      const refreshed = await pro.bridges.refreshLinks('work', 'solo');
      assert.equal(refreshed[0].state, 'gone');
    } finally {
      pro.dispose();
    }
  });

  it('triage helpers: a folder by id, move targets without the folder itself, whether all are flagged', async () => {
    assert.deepEqual(await client.request('triage/folder', { folderId: inbox }), { accountId: 'work', path: 'INBOX' });
    assert.equal(await client.request('triage/folder', { folderId: 987654 }), null);
    const t = await client.request('triage/moveTargets', { folderId: inbox });
    assert.equal(t?.accountId, 'work');
    assert.deepEqual(t?.targets.map((f) => f.path).sort(), ['Archive', 'Sent']);
    const key = { messageId: core.store.getMessageByUid(inbox, 1)!.id, folderId: inbox };
    assert.equal(await client.request('triage/allFlagged', { keys: [key] }), false);
    const r = await client.request('triage/apply', { keys: [key], action: { kind: 'flag' } });
    assert.equal(r.count, 1);
    assert.equal(await client.request('triage/allFlagged', { keys: [key] }), true);
  });

  it('diagnostics/run for the panel: each check\'s fix button, the report with addresses for the box, progress, and the Pro checks ask the window', async () => {
    const progress: Array<EngineNotifications['diagnostics/progress']> = [];
    const sub = client.on('diagnostics/progress', (p) => progress.push(p));
    const base = { accounts: ['work'], settings: {}, env: {}, version: '0.0.0-test', app: 'vscode' as const, vscodeVersion: '1.100.0', timeoutMs: 2_000, secrets: [IMAP_PASSWORD], expected: 'mail from me@example.test' };
    try {
      const r = await client.request('diagnostics/run', { ...base, forPanel: true, pro: { hostModels: ['Test Model (acme) in VS Code'] } });
      assert.ok(r.panel, 'the panel data came back');
      assert.equal(r.panel.outcomes.length, r.checks.length, 'one time and button per check');
      // Index-aligned: a check the report shows with a fix button has that button, with its arguments, here.
      const withButton = r.checks.map((c, i) => [c, r.panel!.outcomes[i]] as const).filter(([c]) => c.action);
      assert.ok(withButton.length > 0, 'the unreachable server gives a check with a fix button');
      for (const [c, o] of withButton) assert.equal(o.action?.command, c.action!.command, c.id);
      assert.ok(r.panel.outcomes.some((o) => o.action?.args?.length), 'fix buttons keep their arguments (the account)');
      assert.ok(!r.accounts[0].email.includes('me@example.test'), 'the report masks addresses');
      assert.equal(r.panel.withAddresses.accounts[0].email, 'me@example.test', 'the box shows them');
      assert.ok(!JSON.stringify(r).includes(IMAP_PASSWORD), 'no password in either report');
      const done = progress.filter((p) => p.phase === 'done');
      assert.ok(done.length > 0 && done.at(-1)!.done === done.at(-1)!.total, `progress up to the last check: ${JSON.stringify(done.at(-1))}`);
      for (const c of r.checks) assert.ok(done.some((p) => p.check === c.id && p.status), `progress for ${c.id}`);
      // The licence came from the window's secrets (this test key is not the shipped one's: refused, not missing).
      const licence = r.checks.find((c) => c.id === 'licence')!;
      assert.equal(licence.status, 'warn', licence.detail);
      const provider = r.checks.find((c) => c.id === 'ai.provider')!;
      assert.match(provider.detail, /VS Code language model Test Model \(acme\) in VS Code/);

      // Without `pro` (maildesk doctor), the checks read the environment it sends: no licence there.
      const cli = await client.request('diagnostics/run', { ...base, app: 'cli' });
      assert.equal(cli.panel, undefined, 'no panel data unless asked');
      assert.equal(cli.checks.find((c) => c.id === 'licence')!.status, 'skip');
    } finally {
      sub.dispose();
    }
  });
});
