import { strict as assert } from 'node:assert';
import { aiAvailability, type AiFeature } from '../../src/core/ai/availability';
import { checkDraftLocally, mentionsAttachment } from '../../src/core/ai/draftCheck';
import { chatCompletionsUrl, retryAfterMs, SseParser } from '../../src/core/ai/openai';
import { threadPageHtml } from '../../src/core/threads/page';
import { estimateTokens, stripQuoted, stripSignature, threadTokens, trimThread, type AiThreadMessage } from '../../src/core/ai/trim';

describe('AI availability: every switch combination', () => {
  const features: AiFeature[] = ['summarize', 'draft', 'check'];
  const values = {
    pro: [true, false],
    global: [undefined, true, false, 0, '0'] as unknown[],
    feature: [undefined, false] as unknown[],
    otherFeature: [undefined, false] as unknown[],
    account: [undefined, true, false] as unknown[],
    accountFlag: [undefined, false] as unknown[],
    provider: [true, false],
  };
  it('names the first thing that blocks, in order: licence, AI off, feature off, account off, provider', () => {
    let n = 0;
    for (const feature of features)
      for (const pro of values.pro)
        for (const global of values.global)
          for (const fv of values.feature)
            for (const other of values.otherFeature)
              for (const acc of values.account)
                for (const flag of values.accountFlag)
                  for (const provider of values.provider) {
                    const otherFeature = features.find((f) => f !== feature)!;
                    const settings: Record<string, unknown> = {};
                    if (global !== undefined) settings['maildesk.ai.enabled'] = global;
                    if (fv !== undefined) settings[`maildesk.ai.feature.${feature}.enabled`] = fv;
                    if (other !== undefined) settings[`maildesk.ai.feature.${otherFeature}.enabled`] = other;
                    if (acc !== undefined) settings['maildesk.ai.account.work.enabled'] = acc;
                    const a = aiAvailability({
                      feature,
                      settings,
                      accountId: 'work',
                      accountConfig: flag === undefined ? {} : { aiEnabled: flag },
                      licence: { pro, message: 'no licence key is entered' },
                      provider: { configured: provider, detail: 'no OpenAI-compatible endpoint is set' },
                    });
                    const globalOff = global === false || global === 0 || global === '0';
                    // The account setting wins over the account's own flag when both are set.
                    const accountOff = acc === false || (acc === undefined && flag === false);
                    const expected = !pro ? 'licence' : globalOff ? 'ai-off' : fv === false ? 'feature-off' : accountOff ? 'account-off' : !provider ? 'no-provider' : undefined;
                    assert.equal(a.blockedBy, expected, JSON.stringify({ feature, pro, global, fv, other, acc, flag, provider }));
                    assert.equal(a.available, expected === undefined);
                    if (!a.available) assert.ok(a.reason.length > 20, 'a greyed action always has a reason');
                    n++;
                  }
    assert.equal(n, 3 * 2 * 5 * 2 * 2 * 3 * 2 * 2);
  });

  it('reads like the guide: what is off and where to turn it on', () => {
    const base = { feature: 'summarize' as const, accountId: 'work', licence: { pro: true }, provider: { configured: true } };
    assert.match(aiAvailability({ ...base, settings: {}, licence: { pro: false } }).reason, /Summarize current needs MailDesk Pro; AI features are not part of Basic/);
    assert.match(aiAvailability({ ...base, settings: { 'maildesk.ai.enabled': false } }).reason, /AI is turned off for all mailboxes \(setting maildesk\.ai\.enabled\)/);
    assert.match(aiAvailability({ ...base, settings: { maildesk: { ai: { feature: { summarize: { enabled: false } } } } } }).reason, /"Summarize current" is turned off/);
    assert.match(aiAvailability({ ...base, settings: { 'maildesk.ai.account.work.enabled': false } }).reason, /"Enable AI features" is off for this mailbox/);
    assert.match(aiAvailability({ ...base, settings: {}, provider: { configured: false } }).reason, /No AI provider is configured/);
    assert.equal(aiAvailability({ ...base, settings: { 'maildesk.ai.account.other.enabled': false } }).available, true, "another mailbox's switch does not matter");
  });
});

describe('trimming a thread to the model budget', () => {
  const quoted = 'Thanks, works for me.\n\nOn Mon, 1 Jan 2024 at 10:00, Ann <ann@x.test> wrote:\n> Can we meet Tuesday?\n> Best, Ann\n';
  const outlook = 'Sounds good.\n\nFrom: Bob <bob@x.test>\nSent: Monday\nTo: Ann\nSubject: Re: plan\n\nold text here';
  const signed = 'See you then.\n\n-- \nAnn Example\nACME Corp\n+49 123\n';

  it('removes quoted history: "> " lines with their "On … wrote:", and Outlook\'s header block', () => {
    assert.equal(stripQuoted(quoted), 'Thanks, works for me.');
    assert.equal(stripQuoted(outlook), 'Sounds good.');
    assert.equal(stripQuoted('Body\n-----Original Message-----\nFrom: x\nold'), 'Body');
    assert.equal(stripQuoted('On the whole I agree.'), 'On the whole I agree.', 'an "On …" sentence that is not an attribution stays');
  });

  it('removes signatures after "-- " and mobile sign-offs', () => {
    assert.equal(stripSignature(signed), 'See you then.');
    assert.equal(stripSignature('Ok!\n\nSent from my iPhone'), 'Ok!');
  });

  const msg = (i: number, text: string): AiThreadMessage => ({ from: `p${i}@x.test`, date: `2024-01-0${i}`, text });

  it('leaves a thread that fits untouched', () => {
    const t = [msg(1, quoted), msg(2, signed)];
    const r = trimThread(t, 10_000);
    assert.deepEqual(r.messages, t);
    assert.deepEqual(r.report, { quotesRemoved: 0, signaturesRemoved: 0, bodiesDropped: 0, truncated: false });
  });

  it('takes quotes first, then signatures, then old bodies, then cuts the newest; the newest always stays', () => {
    const long = 'x'.repeat(4000);
    const t = [msg(1, `${long}\n> ${long}`), msg(2, `${long}\n-- \nsig ${'y'.repeat(3000)}`), msg(3, `newest question?\n> ${long}`)];
    const full = threadTokens(t);
    // Enough once quotes are gone.
    let r = trimThread(t, full - estimateTokens(long) * 2 + 50);
    assert.equal(r.report.quotesRemoved, 2);
    assert.equal(r.report.signaturesRemoved, 0);
    assert.match(r.messages[2].text, /^newest question\?$/);
    // Needs the signature gone too.
    r = trimThread(t, estimateTokens(long) * 2 + 300);
    assert.equal(r.report.signaturesRemoved, 1);
    assert.equal(r.report.bodiesDropped, 0);
    // Needs old bodies dropped.
    r = trimThread(t, estimateTokens(long) + 200);
    assert.ok(r.report.bodiesDropped >= 1);
    assert.equal(r.messages[r.messages.length - 1].text, 'newest question?');
    assert.ok(threadTokens(r.messages) <= estimateTokens(long) + 200);
    // A single enormous message is cut, and says so.
    r = trimThread([msg(1, 'z'.repeat(50_000))], 500);
    assert.equal(r.report.truncated, true);
    assert.ok(threadTokens(r.messages) <= 500);
    assert.match(r.messages[0].text, /left out to fit the model/);
  });
});

describe('OpenAI-compatible streaming', () => {
  it('splits server-sent events however the bytes arrive', () => {
    const p = new SseParser();
    const stream = 'data: {"a":1}\n\n: comment\n\ndata: {"a":2}\r\n\r\ndata: [DONE]\n\n';
    const out: string[] = [];
    for (const ch of stream) out.push(...p.push(ch));
    out.push(...p.flush());
    assert.deepEqual(out, ['{"a":1}', '{"a":2}', '[DONE]']);
    const q = new SseParser();
    assert.deepEqual(q.push('data: {"b":1}'), []);
    assert.deepEqual(q.flush(), ['{"b":1}'], 'a last event without a blank line still counts');
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs('soon'), undefined);
  });

  it('builds the chat completions URL from a base URL', () => {
    assert.equal(chatCompletionsUrl('https://api.openai.com/v1'), 'https://api.openai.com/v1/chat/completions');
    assert.equal(chatCompletionsUrl('http://127.0.0.1:11434/'), 'http://127.0.0.1:11434/v1/chat/completions');
    assert.equal(chatCompletionsUrl('http://h/v1/chat/completions'), 'http://h/v1/chat/completions');
  });
});

describe('Check with AI: the local part', () => {
  it('an attachment mentioned but missing, in the draft and not in the quoted history', () => {
    assert.equal(mentionsAttachment('Please see the attached offer.'), true);
    assert.equal(mentionsAttachment('Anbei das Angebot.'), true);
    assert.equal(mentionsAttachment('Thanks!\n\n> I attached the file'), false);
    const f = checkDraftLocally({ to: ['ann@example.test'], text: 'I attached the contract.' });
    assert.deepEqual(f, [{ kind: 'attachment', message: 'The message says something is attached, but nothing is attached.' }]);
    assert.deepEqual(checkDraftLocally({ to: ['ann@example.test'], text: 'I attached the contract.', attachments: [{ filename: 'c.pdf' }] }), []);
  });

  it('recipients that look wrong', () => {
    const f = checkDraftLocally(
      { to: ['bob@gmial.com', 'Ann <ann@example.test>', 'carol'], cc: ['ann@example.test', { address: 'eve@other.test' }], text: 'Hi' },
      { participants: ['ann@example.test', 'bob@gmial.com'], self: ['me@example.test'] },
    ).map((x) => x.message);
    assert.ok(f.includes('bob@gmial.com: did you mean @gmail.com?'), f.join('\n'));
    assert.ok(f.includes('"carol" is not a complete e-mail address.'));
    assert.ok(f.includes('ann@example.test is a recipient more than once.'));
    assert.ok(f.includes('eve@other.test was not part of this conversation so far.'));
    assert.deepEqual(checkDraftLocally({ text: 'hi' }).map((x) => x.message), ['The message has no recipient.']);
  });
});

describe('thread view: the Pro bar', () => {
  it('greys an unavailable action with its reason as tooltip, and never renders the summary as HTML', () => {
    const html = threadPageHtml('Subject', [], {
      csp: "default-src 'none'",
      interactive: true,
      pro: {
        actions: [
          { action: 'ai.summarize', label: 'Summarize current', enabled: true },
          { action: 'ai.draft', label: 'Draft from context', enabled: false, reason: '"Draft from context" is turned off (setting maildesk.ai.feature.draft.enabled).' },
        ],
        links: [{ text: 'CRM lead: Deal · 2 e-mails', gone: false }],
        summary: '<img src=x onerror=alert(1)> summary',
      },
    });
    assert.match(html, /data-md-pro="ai.summarize">Summarize current<\/button>/);
    assert.match(html, /data-md-pro="ai.draft" aria-disabled="true"[^>]* title="&quot;Draft from context&quot; is turned off \(setting maildesk\.ai\.feature\.draft\.enabled\)\."/);
    assert.match(html, /<li>CRM lead: Deal · 2 e-mails<\/li>/);
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt; summary'));
    assert.ok(!html.includes('<img src=x'));
    assert.ok(!threadPageHtml('S', [], { csp: '', interactive: true }).includes('md-pro'), 'Basic: no Pro bar at all');
  });
});
