/**
 * The Troubleshoot panel's page body, built on the host (src/webview/troubleshoot/main.ts
 * fills it in). Buttons and the checkbox are @vscode-elements/elements components, so the
 * panel looks like VS Code's own; the folded "passed and skipped" lists stay native
 * <details>: vscode-collapsible's header has no expanded state for a screen reader and
 * does not open with Space.
 *
 * Kept free of 'vscode' so a unit test can check it against the script that drives it.
 */
import { escapeHtml } from '../../shared/html';

/** The components the page uses; the script imports exactly these (checked by a unit test). */
export const TROUBLESHOOT_ELEMENTS = ['vscode-badge', 'vscode-button', 'vscode-checkbox', 'vscode-progress-ring'] as const;

/** The page's fixed words, in the window's language (the panel passes them through vscode.l10n). */
export interface TroubleshootPageWords {
  title: string;
  report: string;
  copy: string;
  save: string;
  again: string;
  addresses: string;
  told: string;
  progress: string;
  running: string;
}

const ENGLISH: TroubleshootPageWords = {
  title: 'MailDesk Troubleshoot',
  report: 'Report',
  copy: 'Copy report',
  save: 'Save report',
  again: 'Run again',
  addresses: 'Include email addresses in the report',
  told: 'What you told us',
  progress: 'Progress',
  running: 'Running checks…',
};

export function troubleshootPageBody(words: TroubleshootPageWords = ENGLISH): string {
  const w = Object.fromEntries(Object.entries(words).map(([k, v]) => [k, escapeHtml(v)])) as unknown as TroubleshootPageWords;
  return `<header class="header">
  <h1 id="title" tabindex="-1">${w.title}</h1>
  <p id="summary" class="summary"></p>
  <div class="toolbar" role="toolbar" aria-label="${w.report}">
    <vscode-button id="copy" icon="copy" disabled>${w.copy}</vscode-button>
    <vscode-button id="save" icon="save" disabled>${w.save}</vscode-button>
    <vscode-button id="again" icon="refresh" secondary disabled>${w.again}</vscode-button>
    <vscode-checkbox id="addresses" class="addresses" disabled>${w.addresses}</vscode-checkbox>
  </div>
  <div id="notice" class="notice" role="status" aria-live="polite"></div>
</header>
<section id="story" class="story" aria-label="${w.told}" hidden></section>
<section id="progress" class="progress" aria-label="${w.progress}" hidden>
  <h2 class="progress-head"><vscode-progress-ring aria-hidden="true" role="presentation"></vscode-progress-ring><span id="progress-title">${w.running}</span></h2>
  <ol id="progress-lines" class="progress-lines"></ol>
</section>
<main id="results"></main>`;
}
