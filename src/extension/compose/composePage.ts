/**
 * The composer's page body, built on the host (src/webview/compose/main.ts drives it).
 *
 * VS Code's own controls come from @vscode-elements/elements where they fit: the From and
 * Format selects, the Subject field, the message text, the buttons and the quote checkbox.
 * To, Cc and Bcc stay native inputs (styled alike in media/compose.css): each is an ARIA
 * combobox whose aria-controls / aria-activedescendant point at the suggestion list, and
 * those id references cannot reach from inside a component's shadow root to the page.
 *
 * Kept free of 'vscode' so a unit test can check it against the script that drives it.
 * The words the script itself writes (Sending…, Remove…) are its `strings` record.
 */
import { escapeHtml } from '../../shared/html';

export interface ComposePageOptions {
  /** "New Message", "Reply", "Forward"…: the form's accessible name. */
  kind: string;
  /** A reply offers "Send + Archive" (the conversation answered). */
  replyingTo: boolean;
  /** The reader's sanitised HTML of the quoted original, put into the page here (never by script). */
  quoteHtml: string;
}

/** The components the page uses; the script imports exactly these (checked by a unit test). */
export const COMPOSE_ELEMENTS = ['vscode-button', 'vscode-checkbox', 'vscode-option', 'vscode-single-select', 'vscode-textarea', 'vscode-textfield'] as const;

function addressRow(id: 'to' | 'cc' | 'bcc', label: string, hidden: boolean, after = ''): string {
  return `<div class="row"${hidden ? ` id="row-${id}" hidden` : ''}><label for="${id}">${label}</label><div class="addr"><input id="${id}" class="text" type="text" autocomplete="off" spellcheck="false" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="suggest"></div>${after}</div>`;
}

export function composePageBody(o: ComposePageOptions): string {
  return `<main class="compose" aria-label="${escapeHtml(o.kind)}">
<div class="row"><label for="from">From</label><vscode-single-select id="from" label="From"></vscode-single-select></div>
${addressRow('to', 'To', false, `
<button type="button" id="show-cc" class="link" aria-controls="row-cc row-bcc">Cc/Bcc</button>`)}
${addressRow('cc', 'Cc', true)}
${addressRow('bcc', 'Bcc', true)}
<ul id="suggest" class="suggest" role="listbox" aria-label="Address suggestions" hidden></ul>
<div class="row"><label for="subject">Subject</label><vscode-textfield id="subject"></vscode-textfield></div>
<div class="toolbar" role="toolbar" aria-label="Message actions">
<vscode-button id="send" title="Send (Ctrl+Enter)" aria-keyshortcuts="Control+Enter">Send</vscode-button>
${o.replyingTo ? `<vscode-button id="send-archive" title="Send, then archive the conversation replied to (Ctrl+Shift+Enter)" aria-keyshortcuts="Control+Shift+Enter">Send + Archive</vscode-button>
` : ''}<vscode-button id="attach" secondary title="Attach files from disk">Attach…</vscode-button>
<vscode-button id="check-ai" secondary title="Check with AI (MailDesk Pro): tone, unanswered questions, a missing attachment, odd recipients">Check with AI</vscode-button>
<span class="fmt"><label for="format">Format</label> <vscode-single-select id="format" label="Format"><vscode-option value="markdown">Markdown</vscode-option><vscode-option value="plain">Plain text</vscode-option></vscode-single-select></span>
<vscode-button id="discard" secondary>Discard</vscode-button>
<span class="hint">Ctrl+Enter sends${o.replyingTo ? ' · Ctrl+Shift+Enter sends and archives' : ''} · Esc saves and closes</span>
</div>
<div id="error" class="error" role="alert" hidden><span id="error-text"></span> <vscode-button id="send-again">Send again</vscode-button></div>
<div id="conflict" class="error" role="alert" hidden>This draft was changed in another window. <vscode-button id="conflict-reload" title="Show the version saved in the other window; the changes made here are dropped">Reload</vscode-button> <vscode-button id="conflict-keep" secondary title="Save this window's version over the other one">Keep mine</vscode-button></div>
<vscode-textarea id="body" monospace resize="vertical" rows="16"></vscode-textarea>
<ul id="atts" class="atts" aria-label="Attachments"></ul>
${
  o.quoteHtml
    ? `<div class="quote-head"><vscode-checkbox id="include-quote">Include the original message</vscode-checkbox></div>
<section id="quote" class="quote" aria-label="Original message (quoted)">${o.quoteHtml}</section>`
    : ''
}
<div id="status" class="status" role="status" aria-live="polite"></div>
</main>`;
}
