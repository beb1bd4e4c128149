/**
 * `npx tsx bench/isolation.ts [runs]`: what isolating each message body costs on a
 * 50-message thread, in headless Chromium (/usr/bin/chromium), three ways:
 *  - inline:  every part's HTML straight in the page (what the thread view did before; no isolation);
 *  - shadow:  a declarative shadow root per part (what the thread view does now);
 *  - iframe:  a sandboxed `srcdoc` iframe per message with its own CSP, sized by a parent script.
 * For each: page bytes, DOM nodes and documents (CDP Performance.getMetrics), and the time from
 * setContent to a laid-out page (for iframes: every frame loaded and sized). Medians of `runs`.
 * The messages are typical HTML newsletters (a <style> block, nested tables, ~20 KB each).
 */
import { chromium, type Page } from 'playwright-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderMessage } from '../src/core/render/render';
import { STANDALONE_CSS, threadPageHtml, type PageMessage } from '../src/core/threads/page';
import { escapeHtml } from '../src/shared/html';
import { rawMessage } from '../test/support/rawmail';

const MESSAGES = 50;
const CHROMIUM = '/usr/bin/chromium';

function newsletter(i: number): string {
  const rows = Array.from(
    { length: 40 },
    (_, r) =>
      `<tr><td class="col" style="padding:8px;border-bottom:1px solid #eee"><h3 style="margin:0">Item ${i}.${r}</h3><p>Lorem ipsum dolor sit amet, <a href="https://shop.example/p/${i}/${r}">consectetur</a> adipiscing elit, sed do eiusmod tempor incididunt ut labore.</p></td><td width="120" align="right"><b>€${(r * 3.7).toFixed(2)}</b></td></tr>`,
  ).join('');
  return `<html><head><style>body{background:#f4f4f4} .wrap{max-width:640px;margin:0 auto;background:#fff} .col h3{color:#333;font-size:16px} td[class*=col] p{color:#555} a:hover{text-decoration:underline} @media (max-width:600px){.wrap{width:100%!important}}</style></head>
<body><table class="wrap" cellpadding="0" cellspacing="0"><tr><td><h1>Newsletter ${i}</h1></td></tr><tr><td><table width="100%">${rows}</table></td></tr></table></body></html>`;
}

async function thread(): Promise<PageMessage[]> {
  const out: PageMessage[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const raw = Buffer.from(rawMessage({ from: `Shop <news${i}@shop.example>`, to: 'me@example.org', subject: 'News', html: newsletter(i), text: 'News' }));
    const rendered = await renderMessage(raw, { allowRemote: false });
    out.push({ id: i + 1, from: rendered.parsed.from, to: rendered.parsed.to, cc: [], date: Date.UTC(2025, 0, 1, 0, i), unread: false, expanded: true, folderNames: [], rendered, remoteAllowed: false });
  }
  return out;
}

const CSS = STANDALONE_CSS + fs.readFileSync(path.join(__dirname, '..', 'media', 'thread.css'), 'utf8');
const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

function shadowPage(msgs: PageMessage[]): string {
  return threadPageHtml('News', msgs, { csp: CSP, interactive: true, inlineCss: CSS });
}

/** The same page with each part's HTML straight in the body box (no isolation at all). */
function inlinePage(msgs: PageMessage[]): string {
  return shadowPage(msgs).replace(/<div class="md-part"><template shadowrootmode="open"><style>[^<]*<\/style><div class="md-mail">([\s\S]*?)<\/div><\/template><\/div>/g, '<section class="md-part"><div class="md-mail">$1</div></section>');
}

/** One sandboxed srcdoc iframe per message, with its own CSP; a parent script sizes each. */
function iframePage(msgs: PageMessage[]): string {
  const page = shadowPage(msgs);
  let k = 0;
  const bodies = page.replace(/<div class="md-body">([\s\S]*?)<\/div><\/div><\/template><\/div><\/div>/g, (_m, inner: string) => {
    const parts = `${inner}</div></div></template></div>`.replace(/<div class="md-part"><template shadowrootmode="open"><style>([^<]*)<\/style>([\s\S]*?)<\/template><\/div>/g, '<style>$1</style>$2');
    const doc = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"><style>body{margin:0}</style></head><body>${parts.replace(/:host\{display:block\}/g, '')}</body></html>`;
    k++;
    return `<div class="md-body"><iframe sandbox="allow-same-origin" style="width:100%;border:0;height:0" srcdoc="${escapeHtml(doc)}"></iframe></div>`;
  });
  if (k !== msgs.length) throw new Error(`iframe page: ${k} bodies, expected ${msgs.length}`);
  const sizer = `<script>window.__sized=new Promise(function(done){var fs=[].slice.call(document.querySelectorAll('iframe')),n=fs.length;fs.forEach(function(f){function size(){var d=f.contentDocument;f.style.height=d.documentElement.scrollHeight+'px';if(--n===0)done();}if(f.contentDocument&&f.contentDocument.readyState==='complete'&&f.contentDocument.body&&f.contentDocument.body.childNodes.length)size();else f.addEventListener('load',size,{once:true});});});</script>`;
  return bodies.replace('</body>', `${sizer}</body>`);
}

interface Sample {
  ms: number;
  nodes: number;
  documents: number;
  layoutMs: number;
  styleMs: number;
  heapMb: number;
  /** The page's height: the variants must show the same thing. */
  heightPx: number;
}

async function measure(page: Page, html: string, waitIframes: boolean): Promise<Sample> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto('about:blank');
  const t0 = Date.now();
  await page.setContent(html, { waitUntil: 'load' });
  if (waitIframes) await page.evaluate(() => (window as unknown as { __sized: Promise<void> }).__sized);
  const height = await page.evaluate(() => document.body.getBoundingClientRect().height);
  const ms = Date.now() - t0;
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  const m = (n: string): number => metrics.find((x) => x.name === n)?.value ?? NaN;
  await cdp.detach();
  return { ms, nodes: m('Nodes'), documents: m('Documents'), layoutMs: m('LayoutDuration') * 1000, styleMs: m('RecalcStyleDuration') * 1000, heapMb: m('JSHeapUsedSize') / 1e6, heightPx: height };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const msgs = await thread();
  const variants: Array<[string, string, boolean]> = [
    ['inline', inlinePage(msgs), false],
    ['shadow', shadowPage(msgs), false],
    ['iframe', iframePage(msgs), true],
  ];
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const results: Record<string, Sample[]> = {};
    for (let r = 0; r < runs; r++) {
      // Interleaved, each in a fresh page, so load on the machine hits all three alike.
      for (const [name, html, wait] of variants) {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        (results[name] ??= []).push(await measure(page, html, wait));
        await page.close();
      }
    }
    console.log(`${MESSAGES} messages, ${runs} runs each (medians)`);
    console.log('variant  page KB  DOM nodes  documents  load+layout ms  layout ms  style ms  JS heap MB  height px');
    for (const [name, html] of variants) {
      const s = results[name];
      const f = (k: keyof Sample, d = 0): string => median(s.map((x) => x[k])).toFixed(d);
      console.log(
        `${name.padEnd(8)} ${(Buffer.byteLength(html) / 1024).toFixed(0).padStart(7)}  ${f('nodes').padStart(9)}  ${f('documents').padStart(9)}  ${f('ms').padStart(14)}  ${f('layoutMs', 1).padStart(9)}  ${f('styleMs', 1).padStart(8)}  ${f('heapMb', 1).padStart(10)}  ${f('heightPx').padStart(9)}`,
      );
    }
  } finally {
    await browser.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
