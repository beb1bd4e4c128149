/**
 * Licence keys, verified offline: `MDL1.<payload>.<signature>`, both base64url, the payload a
 * JSON object naming licensee, plan, seats, issue and expiry dates and product, signed with
 * Ed25519 (node:crypto). Every way a key can fail has its own status and its own words, and
 * the "valid but not recognised" cases (a key from the future, another product's key, a key
 * pasted with quotes or line breaks) say exactly that rather than "invalid".
 */
import * as crypto from 'node:crypto';
import { PRODUCT, SHIPPED_PUBLIC_KEY } from './publicKey';

export const LICENCE_PREFIX = 'MDL1';
/** SecretStorage key of the licence (VS Code); the CLI reads MAILDESK_LICENCE_KEY. */
export const LICENCE_SECRET = 'maildesk.licence.key';
export const LICENCE_ENV = 'MAILDESK_LICENCE_KEY';

/** Clocks drift; a key issued a few minutes "in the future" is not a problem. */
const SKEW_TOLERANCE_MS = 10 * 60_000;

export interface LicencePayload {
  v: 1;
  product: string;
  licensee: string;
  plan: 'pro' | string;
  seats: number;
  /** ISO dates. */
  issued: string;
  expires: string;
  /** Licence number, for support. */
  id?: string;
}

export type LicenceState = 'none' | 'valid' | 'malformed' | 'tampered' | 'wrongProduct' | 'expired' | 'notYetValid';

export interface LicenceStatus {
  state: LicenceState;
  /** True only for a verified Pro licence that is in force now. */
  pro: boolean;
  /** One line for the status bar tooltip, Troubleshoot and the CLI. */
  message: string;
  /** What to do about it (empty when valid). */
  remedy: string;
  payload?: LicencePayload;
  /** The key as verified, after cleaning up what was pasted. */
  key?: string;
  /** What was removed from the pasted text ("surrounding quotes", "line breaks"). */
  cleaned: string[];
}

/** What a pasted key usually carries besides the key: whitespace, line breaks, quotes, a label. */
export function normaliseLicenceKey(raw: string): { key: string; cleaned: string[] } {
  const cleaned: string[] = [];
  let s = raw;
  const label = /^\s*(?:licen[cs]e(?:\s*key)?|key)\s*[:=]\s*/i;
  if (label.test(s)) {
    s = s.replace(label, '');
    cleaned.push('a "Licence key:" label');
  }
  if (/^\s|\s$/.test(s)) {
    s = s.trim();
    cleaned.push('spaces around it');
  }
  for (let i = 0; i < 3; i++) {
    const m = /^(["'`“”‘’<])([\s\S]*)(["'`“”‘’>])$/.exec(s);
    if (!m) break;
    s = m[2].trim();
    if (!cleaned.includes('surrounding quotes')) cleaned.push('surrounding quotes');
  }
  if (/[\r\n]/.test(s)) {
    s = s.replace(/[\r\n]+/g, '');
    cleaned.push('line breaks');
  }
  if (/[\s\u200b\u00a0\ufeff]/.test(s)) {
    s = s.replace(/[\s\u200b\u00a0\ufeff]+/g, '');
    cleaned.push('spaces inside it');
  }
  return { key: s, cleaned };
}

function b64url(buf: Buffer): string {
  return buf.toString('base64url');
}

/** Signs a payload with a private key (PEM): what scripts/mint-licence.ts and the tests use. */
export function signLicence(payload: LicencePayload, privateKeyPem: string): string {
  const body = b64url(Buffer.from(JSON.stringify(payload), 'utf8'));
  const signed = `${LICENCE_PREFIX}.${body}`;
  const sig = crypto.sign(null, Buffer.from(signed, 'utf8'), crypto.createPrivateKey(privateKeyPem));
  return `${signed}.${b64url(sig)}`;
}

function status(state: LicenceState, message: string, remedy: string, extra: Partial<LicenceStatus> = {}): LicenceStatus {
  return { state, pro: state === 'valid', message, remedy, cleaned: [], ...extra };
}

const ENTER = 'Run "MailDesk: Enter Licence Key" and paste the whole key from your licence e-mail.';

function isPayload(v: unknown): v is LicencePayload {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.product === 'string' &&
    typeof o.licensee === 'string' &&
    typeof o.plan === 'string' &&
    typeof o.seats === 'number' &&
    typeof o.issued === 'string' &&
    typeof o.expires === 'string' &&
    !Number.isNaN(Date.parse(o.issued)) &&
    !Number.isNaN(Date.parse(o.expires))
  );
}

const day = (iso: string): string => new Date(iso).toISOString().slice(0, 10);

/**
 * Verifies a licence key offline. `publicKey` defaults to the one shipped in the extension;
 * tests pass their own. Never throws: every outcome is a status with a message and remedy.
 */
export function verifyLicence(raw: string | undefined, opts: { publicKey?: string; now?: number } = {}): LicenceStatus {
  if (raw === undefined || !raw.trim()) return status('none', 'no licence key is entered: MailDesk runs as Basic', `${ENTER} Basic stays fully usable without one.`);
  const now = opts.now ?? Date.now();
  const { key, cleaned } = normaliseLicenceKey(raw);
  const note = cleaned.length ? ` (the pasted text also held ${cleaned.join(', ')}; MailDesk removed them)` : '';
  const parts = key.split('.');
  if (parts.length !== 3 || parts[0] !== LICENCE_PREFIX || !/^[A-Za-z0-9_-]+$/.test(parts[1]) || !/^[A-Za-z0-9_-]+$/.test(parts[2])) {
    return status(
      'malformed',
      `this is not a MailDesk licence key${note}: a key starts with "${LICENCE_PREFIX}." and has three parts separated by dots`,
      `Copy the key again from your licence e-mail, all of it (it is one long line). ${ENTER}`,
      { cleaned },
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    payload = undefined;
  }
  if (!isPayload(payload)) {
    return status('malformed', `the licence key is incomplete or damaged${note}: its contents cannot be read`, `Copy the key again from your licence e-mail, all of it. ${ENTER}`, { cleaned });
  }
  let ok = false;
  try {
    ok = crypto.verify(null, Buffer.from(`${parts[0]}.${parts[1]}`, 'utf8'), crypto.createPublicKey(opts.publicKey ?? SHIPPED_PUBLIC_KEY), Buffer.from(parts[2], 'base64url'));
  } catch {
    ok = false;
  }
  if (!ok) {
    return status(
      'tampered',
      `the licence key's signature does not match its contents${note}: it was changed after it was issued, or it was not issued by MailDesk`,
      'Use the key exactly as it came in your licence e-mail; a key that was edited (even one letter) cannot be used. Ask your administrator or MailDesk support for a new key.',
      { cleaned },
    );
  }
  const p = payload;
  const who = `${p.licensee}, ${p.plan}, ${p.seats} seat${p.seats === 1 ? '' : 's'}`;
  if (p.product !== PRODUCT) {
    return status(
      'wrongProduct',
      `valid licence but not recognised: the key is for "${p.product}", not for MailDesk for VS Code (${who})${note}`,
      'This key belongs to another MailDesk product (for example the Odoo module). Ask your administrator for the MailDesk for VS Code key.',
      { payload: p, key, cleaned },
    );
  }
  if (Date.parse(p.issued) > now + SKEW_TOLERANCE_MS) {
    return status(
      'notYetValid',
      `valid licence but not recognised: it was issued on ${day(p.issued)}, which is in the future for this computer's clock (${new Date(now).toISOString().slice(0, 16).replace('T', ' ')} UTC)${note}`,
      "Check this computer's date, time and time zone (set them automatically), then enter the key again.",
      { payload: p, key, cleaned },
    );
  }
  if (Date.parse(p.expires) <= now) {
    return status('expired', `the licence (${who}) expired on ${day(p.expires)}${note}: MailDesk runs as Basic`, 'Renew the licence and enter the new key with "MailDesk: Enter Licence Key". Basic stays fully usable.', {
      payload: p,
      key,
      cleaned,
    });
  }
  if (p.plan.toLowerCase() !== 'pro') {
    return status('wrongProduct', `valid licence but not recognised: the plan "${p.plan}" does not include MailDesk Pro (${who})${note}`, 'Ask your administrator for a Pro licence key.', {
      payload: p,
      key,
      cleaned,
    });
  }
  return status('valid', `MailDesk Pro, licensed to ${who}, valid until ${day(p.expires)}${note}`, '', { payload: p, key, cleaned });
}
