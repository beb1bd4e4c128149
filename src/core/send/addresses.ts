/**
 * Addresses and Message-IDs of outgoing mail: parsing what the user typed, formatting it for
 * headers, new Message-IDs. Apart from ./compose.ts so that code which needs only these (VS
 * Code's compose windows, loaded at activation) does not load MailComposer and the HTML
 * sanitiser with them.
 *
 * Addresses are parsed with nodemailer's `addressparser`: it is already shipped with the
 * transport, handles quoted names, comments and groups, and is exactly the parser that
 * turns our headers into the SMTP envelope, so what we validate is what gets sent.
 */
import * as crypto from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';

export interface Address {
  name?: string;
  address: string;
}

const ADDRESS_RE = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+$/;

/**
 * Parses address fields as the user typed them ("Ann <a@x>, b@y; Team: c@z;").
 * Everything that is not a usable address ends up in `invalid`, word for word.
 */
export function parseAddresses(input: Array<Address | string> | string | undefined): { addresses: Address[]; invalid: string[] } {
  const list = input === undefined ? [] : Array.isArray(input) ? input : [input];
  const addresses: Address[] = [];
  const invalid: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string') {
      if (ADDRESS_RE.test(item.address)) addresses.push({ name: item.name || undefined, address: item.address });
      else invalid.push(item.address);
      continue;
    }
    if (!item.trim()) continue;
    // addressparser takes "," as the separator; people also type ";".
    for (const a of addressparser(item.replace(/;(?=[^"]*(?:"[^"]*"[^"]*)*$)/g, ','), { flatten: true })) {
      if (!a.address && !a.name) continue;
      if (a.address && ADDRESS_RE.test(a.address)) addresses.push({ name: a.name || undefined, address: a.address });
      else invalid.push(a.address || a.name);
    }
  }
  return { addresses, invalid };
}

export function formatAddress(a: Address): string {
  if (!a.name) return a.address;
  return /^[\w .'-]*$/.test(a.name) ? `${a.name} <${a.address}>` : `"${a.name.replace(/["\\]/g, '\\$&')}" <${a.address}>`;
}

/** `<random@domain-of-sender>`: unique, and says nothing about the machine it came from. */
export function newMessageId(fromAddress?: string): string {
  const domain = fromAddress?.split('@')[1]?.replace(/[^A-Za-z0-9.-]/g, '') || 'maildesk.invalid';
  return `<${crypto.randomUUID()}@${domain}>`;
}

/** Normalises "abc@x" and " <abc@x> " to "<abc@x>". */
export function bracketId(id: string): string {
  const t = id.trim();
  return t.startsWith('<') ? t : `<${t}>`;
}
