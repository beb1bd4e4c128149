/**
 * The words of the webview pages, in the window's language (the pages hold no English of their
 * own: src/shared/protocol/pageStrings.ts). Built when a page's HTML is, so a new bundle applies
 * to pages opened after a reload like everything else.
 */
// @vscode/l10n (handed VS Code's bundle in activate, localize.ts): free of 'vscode', so the page
// builders' tests get the English words.
import * as l10n from '@vscode/l10n';
import type { ComposeStrings, MessageListStrings, TroubleshootStrings } from '../shared/protocol/pageStrings';

export function messageListStrings(): MessageListStrings {
  return {
    actions: l10n.t('Actions'),
    archive: l10n.t('Archive'),
    reportSpam: l10n.t('Report spam'),
    delete: l10n.t('Delete'),
    withKey: l10n.t('{0} ({1})'),
    markRead: l10n.t('Mark as read (Shift+I)'),
    markUnread: l10n.t('Mark as unread (Shift+U)'),
    removeFlag: l10n.t('Remove flag (s)'),
    flag: l10n.t('Flag (s)'),
    to: l10n.t('To: {0}'),
    noRecipients: l10n.t('(no recipients)'),
    messages: l10n.t('{0} messages'),
    hasAttachmentsTitle: l10n.t('Has attachments'),
    hasAttachments: l10n.t('has attachments'),
    unread: l10n.t('Unread'),
    flagged: l10n.t('Flagged'),
    selected: l10n.t('{0} selected'),
    pageTitle: l10n.t('MailDesk: {0}'),
    empty: l10n.t('No messages here yet. New mail appears on its own after the next sync.'),
    notSynced: l10n.t('This folder is not selected for sync. Use "Select Folders for Sync" on the account to fill it.'),
  };
}

export function troubleshootStrings(): TroubleshootStrings {
  return {
    passed: l10n.t('Passed'),
    warning: l10n.t('Warning'),
    failed: l10n.t('Failed'),
    skipped: l10n.t('Skipped'),
    seen: l10n.t('Seen'),
    fix: l10n.t('Fix'),
    guide: l10n.t('Guide'),
    since: l10n.t('Since'),
    sinceLastPassed: l10n.t('{0}; last passed {1}'),
    neverPassed: l10n.t('never seen passing'),
    problems: l10n.t('Problems: {0}'),
    noProblems: l10n.t('No problems found.'),
    passedAndSkipped: l10n.t('Passed and skipped: {0}'),
    expected: l10n.t('Expected'),
    happened: l10n.t('Happened'),
    when: l10n.t('When'),
    notGiven: l10n.t('(not given)'),
    running: l10n.t('Running checks…'),
    runningOf: l10n.t('Running checks… {0} of {1}'),
    countsOneWarning: l10n.t('{0} failed, {1} warning, {2} passed, {3} skipped'),
    counts: l10n.t('{0} failed, {1} warnings, {2} passed, {3} skipped'),
    passedSkipped: l10n.t('{0} passed, {1} skipped'),
    fixes: l10n.t('{0} (fixes: {1})'),
    nFailed: l10n.t('{0} failed'),
    oneWarning: l10n.t('{0} warning'),
    nWarnings: l10n.t('{0} warnings'),
    nPassed: l10n.t('{0} passed'),
    nSkipped: l10n.t('{0} skipped'),
  };
}

export function composeStrings(): ComposeStrings {
  return {
    from: l10n.t('From'),
    to: l10n.t('To'),
    ccBcc: l10n.t('Cc/Bcc'),
    cc: l10n.t('Cc'),
    bcc: l10n.t('Bcc'),
    subject: l10n.t('Subject'),
    addressSuggestions: l10n.t('Address suggestions'),
    messageActions: l10n.t('Message actions'),
    send: l10n.t('Send'),
    sendTitle: l10n.t('Send (Ctrl+Enter)'),
    sendArchive: l10n.t('Send + Archive'),
    sendArchiveTitle: l10n.t('Send, then archive the conversation replied to (Ctrl+Shift+Enter)'),
    attach: l10n.t('Attach…'),
    attachTitle: l10n.t('Attach files from disk'),
    checkWithAi: l10n.t('Check with AI'),
    checkWithAiTitle: l10n.t('Check with AI (MailDesk Pro): tone, unanswered questions, a missing attachment, odd recipients'),
    format: l10n.t('Format'),
    markdown: l10n.t('Markdown'),
    plainText: l10n.t('Plain text'),
    discard: l10n.t('Discard'),
    hint: l10n.t('Ctrl+Enter sends · Esc saves and closes'),
    hintWithArchive: l10n.t('Ctrl+Enter sends · Ctrl+Shift+Enter sends and archives · Esc saves and closes'),
    sendAgain: l10n.t('Send again'),
    bodyMarkdown: l10n.t('Message text (Markdown)'),
    bodyPlain: l10n.t('Message text (plain text)'),
    attachments: l10n.t('Attachments'),
    includeOriginal: l10n.t('Include the original message'),
    originalMessage: l10n.t('Original message (quoted)'),
    remove: l10n.t('Remove'),
    removeAttachment: l10n.t('Remove attachment {0}'),
    sending: l10n.t('Sending…'),
    changedElsewhere: l10n.t('This draft was changed in another window.'),
    reload: l10n.t('Reload'),
    reloadTitle: l10n.t('Show the version saved in the other window; the changes made here are dropped'),
    keepMine: l10n.t('Keep mine'),
    keepMineTitle: l10n.t("Save this window's version over the other one"),
  };
}
