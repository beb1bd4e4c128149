/**
 * `node esbuild.mjs --production && npx tsx bench/webviewPages.ts [runs]`: what the composer's
 * and Troubleshoot's pages cost to start in headless Chromium (/usr/bin/chromium), now that
 * they are drawn with @vscode-elements components: the script's size, the time it takes to
 * run (to its `ready`: every component defined), and the time from the host's first message
 * to the page laid out with it (the composer's form filled in; Troubleshoot's 60 results).
 * Medians of `runs` (default 15) fresh pages. The page is the one the host builds, with our
 * stylesheet and script inline (a test page; the product loads both from the extension).
 */
import { chromium, type Page } from 'playwright-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { composePageBody } from '../src/extension/compose/composePage';
import { composeStrings } from '../src/extension/pageStrings';
import { troubleshootPageBody } from '../src/extension/troubleshoot/troubleshootPage';
import type { ComposeInit } from '../src/shared/protocol/compose';
import type { TroubleshootModel, ViewCheck, ViewGroup, ViewStatus } from '../src/shared/protocol/troubleshoot';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.join(__dirname, '..');

/**
 * A stand-in for VS Code's webview API. `run`: from the script tag to its `ready` (parse, run,
 * every component defined). `handle`: from the host's first message (the form, the results)
 * to the page laid out with it (its handler, the components' updates, style and layout).
 */
function stub(reply: unknown): { before: string; after: string } {
  return {
    before: `<script>window.__t={};window.acquireVsCodeApi=function(){return{postMessage:function(m){if(m&&m.type==='ready'&&!window.__t.ready){window.__t.ready=performance.now();setTimeout(function(){window.__t.sent=performance.now();window.postMessage(${JSON.stringify(reply)},'*');},0);}}}};</script><script>window.__t.start=performance.now();</script>`,
    // Registered after the page's own listener: runs once it has handled the message.
    after: `<script>window.addEventListener('message',function(){setTimeout(function(){document.body.getBoundingClientRect();window.__t.drawn=performance.now();},0);});</script>`,
  };
}

function page(body: string, css: string, script: string, reply: unknown): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><style>${fs.readFileSync(path.join(ROOT, 'media', css), 'utf8')}</style></head>
<body class="vscode-dark">${stub(reply).before}${body}<script>${fs.readFileSync(path.join(ROOT, 'dist', script), 'utf8').replace(/<\/script/gi, '<\\/script')}</script>${stub(reply).after}</body></html>`;
}

const composeInit: ComposeInit = {
  accounts: [
    { id: 'a', label: 'Sam Rivera <sam@example.test>' },
    { id: 'b', label: 'Work <sam@work.example.test>' },
  ],
  fields: { accountId: 'a', to: 'Ann Lee <ann@example.test>', cc: '', bcc: '', subject: 'Re: Plan', body: '\n\n-- \nSam', format: 'markdown', includeQuote: true },
  attachments: [],
  kind: 'Reply',
  hasQuote: true,
  sendArchive: true,
};

function troubleshootModel(): TroubleshootModel {
  const check = (i: number, status: ViewStatus): ViewCheck => ({
    id: `check.${i}`,
    title: `Check ${i}`,
    status,
    detail: `detail of check ${i}`,
    remedy: status === 'pass' || status === 'skip' ? '' : 'Do this',
    section: 'Guide section',
    ms: 3,
    firstSeen: status === 'fail' || status === 'warn' ? '2026-12-06T09:12:04.000Z' : null,
    lastSuccess: null,
    action: status === 'fail' ? { index: 0, title: 'Fix it' } : undefined,
  });
  const groups: ViewGroup[] = Array.from({ length: 3 }, (_, g) => ({
    account: `acc${g}`,
    heading: `Account ${g}`,
    worst: 'fail',
    counts: { fail: 1, warn: 2, pass: 12, skip: 5 },
    checks: Array.from({ length: 20 }, (_, i) => check(g * 20 + i, i === 0 ? 'fail' : i < 3 ? 'warn' : i < 15 ? 'pass' : 'skip')),
  }));
  return { worst: 'fail', counts: { fail: 3, warn: 6, pass: 36, skip: 15 }, ranAt: new Date().toISOString(), ms: 700, includeAddresses: false, groups, expected: null, happened: null, when: null };
}

async function sample(p: Page, html: string): Promise<{ run: number; handle: number }> {
  await p.setContent(html, { waitUntil: 'load' });
  await p.waitForFunction(() => (window as unknown as { __t: { drawn?: number } }).__t.drawn !== undefined, undefined, { timeout: 10_000 });
  const t = await p.evaluate(() => (window as unknown as { __t: { start: number; ready: number; sent: number; drawn: number } }).__t);
  return { run: t.ready - t.start, handle: t.drawn - t.sent };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 15);
  const pages = [
    { name: 'composer (reply)', script: 'webview-compose.js', html: page(composePageBody({ kind: 'Reply', replyingTo: true, quoteHtml: '<blockquote><p>Could you send the numbers?</p></blockquote>' }, composeStrings()), 'compose.css', 'webview-compose.js', { type: 'init', init: composeInit }) },
    { name: 'Troubleshoot (60 checks)', script: 'webview-troubleshoot.js', html: page(troubleshootPageBody(), 'troubleshoot.css', 'webview-troubleshoot.js', { type: 'model', model: troubleshootModel() }) },
  ];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    for (const pg of pages) {
      const ready: number[] = [];
      const drawn: number[] = [];
      for (let i = 0; i < runs + 2; i++) {
        const p = await browser.newPage();
        const s = await sample(p, pg.html);
        await p.close();
        if (i < 2) continue; // warm-up
        ready.push(s.run);
        drawn.push(s.handle);
      }
      const kb = (fs.statSync(path.join(ROOT, 'dist', pg.script)).size / 1024).toFixed(1);
      console.log(`${pg.name.padEnd(26)} script ${kb.padStart(6)} KB   script run ${median(ready).toFixed(1).padStart(6)} ms   first content laid out ${median(drawn).toFixed(1).padStart(6)} ms   (median of ${runs})`);
    }
  } finally {
    await browser.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
