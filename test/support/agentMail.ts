/**
 * The mail the agent-tool tests read: a conversation the tools must find by sender and by body
 * text, with a quote and a signature that read_thread trims, and a second mailbox's message that
 * must never reach an agent while that mailbox has AI off.
 */
import type { SeedMessage } from './dovecot';
import { rawMessage } from './rawmail';

/** Alice's mail from Hannah: found by "from:hannah" and by "zeppelin"; its quote and signature are trimmed. */
export const HANNAHS_PLAN: SeedMessage = {
  raw: rawMessage({
    from: 'Hannah Weber <hannah@example.test>',
    to: 'alice@example.test',
    subject: 'Data migration plan',
    date: new Date(Date.UTC(2025, 2, 3, 9)),
    text: 'Hi Alice,\n\nthe cutover of the zeppelin cluster moves to Thursday night.\n\nOn Mon, 3 Mar 2025, Alice wrote:\n> Can we move the quokka window?\n\n-- \nHannah Weber\nHead of Platform Operations\n',
  }),
  flags: ['\\Seen'],
};

/** Bob's mail, in the mailbox whose AI is off: the same sender and word, never to be seen by an agent. */
export const BOBS_PRIVATE: SeedMessage = {
  raw: rawMessage({ from: 'Hannah Weber <hannah@example.test>', to: 'bob@example.test', subject: 'Private zeppelin matter', text: 'Only for Bob: zeppelin.\n' }),
};
