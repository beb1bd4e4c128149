/**
 * The words of the webview pages, in the window's language (the pages hold no English of their
 * own: src/shared/protocol/pageStrings.ts). Built when a page's HTML is, so a new bundle applies
 * to pages opened after a reload like everything else.
 */
import * as vscode from 'vscode';
import type { ComposeStrings, MessageListStrings, TroubleshootStrings } from '../shared/protocol/pageStrings';

export function messageListStrings(): MessageListStrings {
  return {
    actions: vscode.l10n.t('Actions'),
    archive: vscode.l10n.t('Archive'),
    reportSpam: vscode.l10n.t('Report spam'),
    delete: vscode.l10n.t('Delete'),
    withKey: vscode.l10n.t('{0} ({1})'),
    markRead: vscode.l10n.t('Mark as read (Shift+I)'),
    markUnread: vscode.l10n.t('Mark as unread (Shift+U)'),
    removeFlag: vscode.l10n.t('Remove flag (s)'),
    flag: vscode.l10n.t('Flag (s)'),
    to: vscode.l10n.t('To: {0}'),
    noRecipients: vscode.l10n.t('(no recipients)'),
    messages: vscode.l10n.t('{0} messages'),
    hasAttachmentsTitle: vscode.l10n.t('Has attachments'),
    hasAttachments: vscode.l10n.t('has attachments'),
    unread: vscode.l10n.t('Unread'),
    flagged: vscode.l10n.t('Flagged'),
    selected: vscode.l10n.t('{0} selected'),
    pageTitle: vscode.l10n.t('MailDesk: {0}'),
    empty: vscode.l10n.t('No messages here yet. New mail appears on its own after the next sync.'),
    notSynced: vscode.l10n.t('This folder is not selected for sync. Use "Select Folders for Sync" on the account to fill it.'),
  };
}

export function troubleshootStrings(): TroubleshootStrings {
  return {
    passed: vscode.l10n.t('Passed'),
    warning: vscode.l10n.t('Warning'),
    failed: vscode.l10n.t('Failed'),
    skipped: vscode.l10n.t('Skipped'),
    seen: vscode.l10n.t('Seen'),
    fix: vscode.l10n.t('Fix'),
    guide: vscode.l10n.t('Guide'),
    problems: vscode.l10n.t('Problems: {0}'),
    noProblems: vscode.l10n.t('No problems found.'),
    passedAndSkipped: vscode.l10n.t('Passed and skipped: {0}'),
    expected: vscode.l10n.t('Expected'),
    happened: vscode.l10n.t('Happened'),
    when: vscode.l10n.t('When'),
    notGiven: vscode.l10n.t('(not given)'),
    running: vscode.l10n.t('Running checks…'),
    runningOf: vscode.l10n.t('Running checks… {0} of {1}'),
    countsOneWarning: vscode.l10n.t('{0} failed, {1} warning, {2} passed, {3} skipped'),
    counts: vscode.l10n.t('{0} failed, {1} warnings, {2} passed, {3} skipped'),
    passedSkipped: vscode.l10n.t('{0} passed, {1} skipped'),
    fixes: vscode.l10n.t('{0} (fixes: {1})'),
    nFailed: vscode.l10n.t('{0} failed'),
    oneWarning: vscode.l10n.t('{0} warning'),
    nWarnings: vscode.l10n.t('{0} warnings'),
    nPassed: vscode.l10n.t('{0} passed'),
    nSkipped: vscode.l10n.t('{0} skipped'),
  };
}

export function composeStrings(): ComposeStrings {
  return {
    from: vscode.l10n.t('From'),
    to: vscode.l10n.t('To'),
    ccBcc: vscode.l10n.t('Cc/Bcc'),
    cc: vscode.l10n.t('Cc'),
    bcc: vscode.l10n.t('Bcc'),
    subject: vscode.l10n.t('Subject'),
    addressSuggestions: vscode.l10n.t('Address suggestions'),
    messageActions: vscode.l10n.t('Message actions'),
    send: vscode.l10n.t('Send'),
    sendTitle: vscode.l10n.t('Send (Ctrl+Enter)'),
    sendArchive: vscode.l10n.t('Send + Archive'),
    sendArchiveTitle: vscode.l10n.t('Send, then archive the conversation replied to (Ctrl+Shift+Enter)'),
    attach: vscode.l10n.t('Attach…'),
    attachTitle: vscode.l10n.t('Attach files from disk'),
    checkWithAi: vscode.l10n.t('Check with AI'),
    checkWithAiTitle: vscode.l10n.t('Check with AI (MailDesk Pro): tone, unanswered questions, a missing attachment, odd recipients'),
    format: vscode.l10n.t('Format'),
    markdown: vscode.l10n.t('Markdown'),
    plainText: vscode.l10n.t('Plain text'),
    discard: vscode.l10n.t('Discard'),
    hint: vscode.l10n.t('Ctrl+Enter sends · Esc saves and closes'),
    hintWithArchive: vscode.l10n.t('Ctrl+Enter sends · Ctrl+Shift+Enter sends and archives · Esc saves and closes'),
    sendAgain: vscode.l10n.t('Send again'),
    bodyMarkdown: vscode.l10n.t('Message text (Markdown)'),
    bodyPlain: vscode.l10n.t('Message text (plain text)'),
    attachments: vscode.l10n.t('Attachments'),
    includeOriginal: vscode.l10n.t('Include the original message'),
    originalMessage: vscode.l10n.t('Original message (quoted)'),
    remove: vscode.l10n.t('Remove'),
    removeAttachment: vscode.l10n.t('Remove attachment {0}'),
    sending: vscode.l10n.t('Sending…'),
  };
}
