/**
 * The engine speaks the window's language: a window hands the engine it hosts the l10n bundle
 * VS Code chose (EngineOptions.l10nBundle), and the engine's worker thread loads it, so
 * Troubleshoot's words come back translated; without a bundle (English, the CLI) they are
 * the English ones. A real engine in a worker thread, as a VS Code window hosts it.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineClient } from '../../src/engine/client';
import type { DiagnosticsParams } from '../../src/shared/protocol/engine';
import { tempDir } from '../support/core';
import { pseudo, writePseudoBundle } from '../support/pseudoLocale';

/** Troubleshoot with no account: its "accounts" check says so. */
const run = (): DiagnosticsParams => ({ accounts: [], settings: {}, env: {}, secrets: [], version: 'test', app: 'vscode' });

describe('l10n: the engine worker loads the window\'s bundle', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const clients: EngineClient[] = [];
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function host(bundle?: string): Promise<EngineClient> {
    const dataDir = tempDir('maildesk-l10n-engine-');
    dirs.push(dataDir);
    const c = await EngineClient.connect({ dataDir, kind: 'vscode', engine: { idle: false, l10nBundle: bundle } });
    clients.push(c);
    assert.equal(c.hosting, true, 'this process hosts the engine in a worker thread');
    return c;
  }

  it('Troubleshoot run in the engine comes back in the pseudo-locale', async () => {
    const bundleDir = tempDir('maildesk-l10n-bundle-');
    dirs.push(bundleDir);
    const engine = await host(writePseudoBundle(bundleDir));
    const report = await engine.request('diagnostics/run', run());
    const check = report.checks.find((c) => c.id === 'accounts');
    assert.ok(check, JSON.stringify(report.checks.map((c) => c.id)));
    assert.equal(check.title, pseudo('Mail accounts'));
    assert.equal(check.detail, pseudo('no mail account is configured, so there is nothing to check'));
  });

  it('without a bundle the same words are English', async () => {
    const engine = await host(undefined);
    const report = await engine.request('diagnostics/run', run());
    const check = report.checks.find((c) => c.id === 'accounts');
    assert.equal(check?.title, 'Mail accounts');
    assert.equal(check?.detail, 'no mail account is configured, so there is nothing to check');
  });

  it('a bundle that cannot be read leaves the engine running, in English', async () => {
    const engine = await host(path.join(tempDir('maildesk-l10n-missing-'), 'nope.json'));
    const report = await engine.request('diagnostics/run', run());
    assert.equal(report.checks.find((c) => c.id === 'accounts')?.title, 'Mail accounts');
  });
});
