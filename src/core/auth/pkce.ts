/**
 * PKCE (RFC 7636, S256 only) and the `state` value of an authorization request.
 * The verifier never leaves this process; only its SHA-256 challenge goes in the URL.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface PkcePair {
  verifier: string;
  challenge: string;
  method: 'S256';
}

function base64url(b: Buffer): string {
  return b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The S256 challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))). */
export function pkceChallenge(verifier: string): string {
  return base64url(createHash('sha256').update(verifier, 'ascii').digest());
}

/** A fresh verifier (43 characters from 32 random bytes, within RFC 7636's 43..128) and its challenge. */
export function createPkce(): PkcePair {
  const verifier = base64url(randomBytes(32));
  return { verifier, challenge: pkceChallenge(verifier), method: 'S256' };
}

/** An unguessable `state` tying the redirect to this sign-in (CSRF protection). */
export function createState(): string {
  return base64url(randomBytes(24));
}
