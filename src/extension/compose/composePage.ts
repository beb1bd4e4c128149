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
 * The words the script itself writes (Sending…, Remove…) come with the page's words.
 */
import { escapeHtml } from '../../shared/html';
import { pageStringsHtml, type ComposeStrings } from '../../shared/protocol/pageStrings';

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
  label = escapeHtml(label);
  return `<div class="row"${hidden ? ` id="row-${id}" hidden` : ''}><label for="${id}">${label}</label><div class="addr"><input id="${id}" class="text" type="text" autocomplete="off" spellcheck="false" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="suggest"></div>${after}</div>`;
}

/**
 * The page, its words `w` in the window's language (the panel builds them with vscode.l10n;
 * src/extension/pageStrings.ts). The words the script writes itself travel in the page too.
 */
export function composePageBody(o: ComposePageOptions, words: ComposeStrings): string {
  const w = Object.fromEntries(Object.entries(words).map(([k, v]) => [k, escapeHtml(String(v))])) as unknown as ComposeStrings;
  return `${pageStringsHtml(words)}
<main class="compose" aria-label="${escapeHtml(o.kind)}">
<div class="row"><label for="from">${w.from}</label><vscode-single-select id="from" label="${w.from}"></vscode-single-select></div>
${addressRow('to', words.to, false, `
<button type="button" id="show-cc" class="link" aria-controls="row-cc row-bcc">${w.ccBcc}</button>`)}
${addressRow('cc', words.cc, true)}
${addressRow('bcc', words.bcc, true)}
<ul id="suggest" class="suggest" role="listbox" aria-label="${w.addressSuggestions}" hidden></ul>
<div class="row"><label for="subject">${w.subject}</label><vscode-textfield id="subject"></vscode-textfield></div>
<div class="toolbar" role="toolbar" aria-label="${w.messageActions}">
<vscode-button id="send" title="${w.sendTitle}" aria-keyshortcuts="Control+Enter">${w.send}</vscode-button>
${o.replyingTo ? `<vscode-button id="send-archive" title="${w.sendArchiveTitle}" aria-keyshortcuts="Control+Shift+Enter">${w.sendArchive}</vscode-button>
` : ''}<vscode-button id="attach" secondary title="${w.attachTitle}">${w.attach}</vscode-button>
<vscode-button id="check-ai" secondary title="${w.checkWithAiTitle}">${w.checkWithAi}</vscode-button>
<span class="fmt"><label for="format">${w.format}</label> <vscode-single-select id="format" label="${w.format}"><vscode-option value="markdown">${w.markdown}</vscode-option><vscode-option value="plain">${w.plainText}</vscode-option></vscode-single-select></span>
<vscode-button id="discard" secondary>${w.discard}</vscode-button>
<span class="hint">${o.replyingTo ? w.hintWithArchive : w.hint}</span>
</div>
<div id="error" class="error" role="alert" hidden><span id="error-text"></span> <vscode-button id="send-again">${w.sendAgain}</vscode-button></div>
<div id="conflict" class="error" role="alert" hidden>${w.changedElsewhere} <vscode-button id="conflict-reload" title="${w.reloadTitle}">${w.reload}</vscode-button> <vscode-button id="conflict-keep" secondary title="${w.keepMineTitle}">${w.keepMine}</vscode-button></div>
<vscode-textarea id="body" monospace resize="vertical" rows="16"></vscode-textarea>
<ul id="atts" class="atts" aria-label="${w.attachments}"></ul>
${
  o.quoteHtml
    ? `<div class="quote-head"><vscode-checkbox id="include-quote">${w.includeOriginal}</vscode-checkbox></div>
<section id="quote" class="quote" aria-label="${w.originalMessage}">${o.quoteHtml}</section>`
    : ''
}
<div id="status" class="status" role="status" aria-live="polite"></div>
</main>`;
}
