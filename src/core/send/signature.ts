/**
 * The signature rules of the composer's body (RFC 3676's "-- " delimiter): appended once,
 * swapped with the From account. Pure functions, apart from ./markdown.ts so that code which
 * needs only these does not load markdown-it.
 */

/** The signature delimiter of RFC 3676 ("-- " on its own line): clients fold what follows. */
export const SIGNATURE_DELIMITER = '-- ';

/** The block put at the end of a new body: "\n\n-- \n<signature>". Empty when there is none. */
export function signatureBlock(signature: string | undefined): string {
  const sig = (signature ?? '').replace(/\r\n?/g, '\n').replace(/\s+$/, '');
  return sig ? `\n\n${SIGNATURE_DELIMITER}\n${sig}` : '';
}

/**
 * Appends the signature once: a body that already ends with it (a reopened draft) is
 * returned unchanged.
 */
export function withSignature(body: string, signature: string | undefined): string {
  const block = signatureBlock(signature);
  if (!block) return body;
  const trimmed = body.replace(/\s+$/, '');
  if (trimmed.endsWith(block.trim()) && trimmed.includes(`${SIGNATURE_DELIMITER}\n`)) return body;
  return `${trimmed}${block}`;
}

/**
 * Changing the From account swaps the signature when the old one is still there as it
 * was appended; a signature the user edited is left alone (and the new one not added).
 */
export function swapSignature(body: string, oldSignature: string | undefined, newSignature: string | undefined): string {
  const oldBlock = signatureBlock(oldSignature);
  const trimmed = body.replace(/\s+$/, '');
  if (oldBlock && trimmed.endsWith(oldBlock)) return `${trimmed.slice(0, -oldBlock.length)}${signatureBlock(newSignature)}`;
  if (!oldBlock) return withSignature(body, newSignature);
  return body;
}
