/**
 * The Troubleshoot panel's page body, built on the host (src/webview/troubleshoot/main.ts
 * fills it in). Buttons and the checkbox are @vscode-elements/elements components, so the
 * panel looks like VS Code's own; the folded "passed and skipped" lists stay native
 * <details>: vscode-collapsible's header has no expanded state for a screen reader and
 * does not open with Space.
 *
 * Kept free of 'vscode' so a unit test can check it against the script that drives it.
 */

/** The components the page uses; the script imports exactly these (checked by a unit test). */
export const TROUBLESHOOT_ELEMENTS = ['vscode-badge', 'vscode-button', 'vscode-checkbox', 'vscode-progress-ring'] as const;

export function troubleshootPageBody(): string {
  return `<header class="header">
  <h1 id="title" tabindex="-1">MailDesk Troubleshoot</h1>
  <p id="summary" class="summary"></p>
  <div class="toolbar" role="toolbar" aria-label="Report">
    <vscode-button id="copy" icon="copy" disabled>Copy report</vscode-button>
    <vscode-button id="save" icon="save" disabled>Save report</vscode-button>
    <vscode-button id="again" icon="refresh" secondary disabled>Run again</vscode-button>
    <vscode-checkbox id="addresses" class="addresses" disabled>Include email addresses in the report</vscode-checkbox>
  </div>
  <div id="notice" class="notice" role="status" aria-live="polite"></div>
</header>
<section id="story" class="story" aria-label="What you told us" hidden></section>
<section id="progress" class="progress" aria-label="Progress" hidden>
  <h2 class="progress-head"><vscode-progress-ring aria-hidden="true" role="presentation"></vscode-progress-ring><span id="progress-title">Running checks…</span></h2>
  <ol id="progress-lines" class="progress-lines"></ol>
</section>
<main id="results"></main>`;
}
