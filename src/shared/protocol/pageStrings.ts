/**
 * The words a webview page shows that are not data: the host translates them (vscode.l10n.t in
 * src/extension/pageStrings.ts) and hands them to the page in its HTML, so the browser bundles
 * hold no English of their own. A template's "{0}", "{1}" are filled in by the page (fillIn).
 */
import { escapeHtml } from '../html';

/** The message list (src/webview/messages). */
export interface MessageListStrings {
  actions: string;
  archive: string;
  reportSpam: string;
  delete: string;
  /** "{0} ({1})": a button's name and its key. */
  withKey: string;
  markRead: string;
  markUnread: string;
  removeFlag: string;
  flag: string;
  /** "To: {0}" */
  to: string;
  noRecipients: string;
  /** "{0} messages" */
  messages: string;
  hasAttachmentsTitle: string;
  hasAttachments: string;
  unread: string;
  flagged: string;
  /** "{0} selected" */
  selected: string;
  /** "MailDesk: {0}" */
  pageTitle: string;
  empty: string;
  notSynced: string;
}

/** The Troubleshoot page (src/webview/troubleshoot). */
export interface TroubleshootStrings {
  passed: string;
  warning: string;
  failed: string;
  skipped: string;
  seen: string;
  fix: string;
  guide: string;
  since: string;
  /** "{0}; last passed {1}": since when a check fails, and when it last passed. */
  sinceLastPassed: string;
  /** What "last passed" says when no run of this check ever passed. */
  neverPassed: string;
  /** "Problems: {0}" */
  problems: string;
  noProblems: string;
  /** "Passed and skipped: {0}" */
  passedAndSkipped: string;
  expected: string;
  happened: string;
  when: string;
  notGiven: string;
  running: string;
  /** "Running checks… {0} of {1}" */
  runningOf: string;
  /** "{0} failed, {1} warning, {2} passed, {3} skipped" (one warning) */
  countsOneWarning: string;
  /** "{0} failed, {1} warnings, {2} passed, {3} skipped" */
  counts: string;
  /** "{0} passed, {1} skipped" */
  passedSkipped: string;
  /** "{0} (fixes: {1})": a fix button and the check it fixes. */
  fixes: string;
  /** A group's badges: "{0} failed", "{0} warning" (one), "{0} warnings", "{0} passed", "{0} skipped". */
  nFailed: string;
  oneWarning: string;
  nWarnings: string;
  nPassed: string;
  nSkipped: string;
}

/**
 * The composer (src/webview/compose), for its markup and its script: built by the host
 * (composeStrings in src/extension/pageStrings.ts); the page being rebuilt is connected to it
 * with `pageStringsHtml` in its HTML and `pageStrings<ComposeStrings>()` in its script.
 */
export interface ComposeStrings {
  from: string;
  to: string;
  ccBcc: string;
  cc: string;
  bcc: string;
  subject: string;
  addressSuggestions: string;
  messageActions: string;
  send: string;
  sendTitle: string;
  sendArchive: string;
  sendArchiveTitle: string;
  attach: string;
  attachTitle: string;
  checkWithAi: string;
  checkWithAiTitle: string;
  format: string;
  markdown: string;
  plainText: string;
  discard: string;
  hint: string;
  hintWithArchive: string;
  sendAgain: string;
  bodyMarkdown: string;
  bodyPlain: string;
  attachments: string;
  includeOriginal: string;
  originalMessage: string;
  remove: string;
  /** "Remove attachment {0}" */
  removeAttachment: string;
  sending: string;
  /** A draft written in two windows at once (the notice and its two buttons). */
  changedElsewhere: string;
  reload: string;
  reloadTitle: string;
  keepMine: string;
  keepMineTitle: string;
}

/** The element the page reads its words from (hidden; an attribute, so no script runs for it). */
export const PAGE_STRINGS_ID = 'md-strings';

export function pageStringsHtml(strings: object): string {
  return `<div id="${PAGE_STRINGS_ID}" hidden data-strings="${escapeHtml(JSON.stringify(strings))}"></div>`;
}

/** "{0} of {1}" with its values, as vscode.l10n.t fills them in (a missing value leaves its "{n}"). */
export function fillIn(template: string, ...args: Array<string | number>): string {
  return template.replace(/\{(\d+)\}/g, (m, i: string) => (args[Number(i)] === undefined ? m : String(args[Number(i)])));
}
