/**
 * Thread keys a provider gives (Gmail's threadId, Outlook's conversationId) against the ones
 * the indexer derives from Message-IDs (References / In-Reply-To, src/core/store/messageIndex.ts).
 *
 * A provider's key is the truth for its conversations: Gmail splits a chain whose subject
 * changed, and joins messages no header links. So the indexer never rewrites one; it only
 * brings the keys it derived (local Sent entries and drafts, mail stored before the provider's
 * key was) under the provider's key they connect to.
 */

const PREFIXES = ['gmail:', 'graph:'] as const;
type Provider = 'gmail' | 'graph';

/** The thread key of a provider's conversation id. */
export function providerThreadKey(provider: Provider, id: string): string {
  return `${provider}:${id}`;
}

/** Whether a stored thread key is a provider's (never rewritten by the indexer). */
export function isProviderThreadKey(key: string | null | undefined): boolean {
  return !!key && PREFIXES.some((p) => key.startsWith(p));
}
