/**
 * A Workflow Bridge links an e-mail to a record in another system. Built-in bridges target
 * Odoo (./odooBridges.ts); other extensions register their own through MailDesk's extension
 * API (`registerBridge`, returned from `activate`). This file is that contract: keep it stable.
 */

export interface BridgeAddress {
  name: string;
  address: string;
}

export interface BridgeAttachment {
  filename: string;
  mimeType: string;
  size: number;
  /** Read only by a bridge that needs the bytes ("Save attachments"). */
  content(): Uint8Array;
}

/** The e-mail a bridge acts on: the newest message of the open thread. */
export interface BridgeEmail {
  accountId: string;
  threadKey: string;
  /** Message-ID header (without angle brackets), or `#<local id>` when the message has none. */
  messageId: string;
  subject: string;
  from?: BridgeAddress;
  to: BridgeAddress[];
  cc: BridgeAddress[];
  /** ISO date. */
  date?: string;
  text: string;
  attachments: BridgeAttachment[];
  /** The text/calendar part of an invitation, when the message carries one. */
  calendar?: string;
}

export interface BridgeRecord {
  /** The record's type in its system ("crm.lead", "JIRA issue"). */
  model: string;
  id: string | number;
  name?: string;
  url?: string;
}

export interface BridgeChoice<T> {
  label: string;
  detail?: string;
  value: T;
}

export interface BridgeRunInput {
  email: BridgeEmail;
  /** Records this thread is already linked to (e.g. where "Post to record" posts). */
  linked: Array<BridgeRecord & { bridge: string }>;
  /** Asks the user to pick one (a quick pick in VS Code); undefined when cancelled. */
  choose?<T>(title: string, items: Array<BridgeChoice<T>>): Promise<T | undefined>;
}

export interface BridgeRunResult {
  /** Records to link to the e-mail (stored locally, shown on the thread with counts). */
  records: BridgeRecord[];
  /** What happened, in a sentence ("Lead "Quote request" created in CRM"). */
  message: string;
  /** A record to open afterwards ("Open contact"). */
  open?: BridgeRecord;
}

export type BridgeState = 'ok' | 'not-installed' | 'no-access' | 'unavailable';

export interface BridgeCheck {
  state: BridgeState;
  /** Shown to the user when the state is not ok ("You cannot link an email to a CRM lead if you have no access to CRM."). */
  reason?: string;
}

export interface WorkflowBridge {
  /** Stable id: built-ins use "crm", "helpdesk", …; extensions "publisher.extension.name". */
  readonly id: string;
  /** The action ("Create lead"). */
  readonly label: string;
  /** The target app ("CRM"). */
  readonly app: string;
  /** Whether the target is installed and the user may read it (asked when a thread is shown; cached briefly). */
  check(accountId: string): Promise<BridgeCheck>;
  run(input: BridgeRunInput): Promise<BridgeRunResult>;
  /** Current names of linked records, and which are gone (counts refresh on demand / next sync). */
  refresh?(records: BridgeRecord[]): Promise<Array<BridgeRecord & { gone?: boolean }>>;
}
