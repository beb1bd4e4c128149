/**
 * What a client answers when the engine asks for a secret, built from where that client keeps
 * them: the CLI from its environment (passwords) and memory (tokens refreshed while it runs);
 * VS Code from SecretStorage for both (pass the extension's StagedSecretStore, and a password
 * typed in Add Account reaches the engine before it is saved).
 */
import type { CredentialSource, SecretStore } from '../core/config';
import { toMailError } from '../core/errors';
import type { SecretAnswers } from './client';
import { toWireError } from './wire';

export function secretAnswers(credentials: CredentialSource, secrets: SecretStore): SecretAnswers {
  return {
    password: async (account, server) => {
      try {
        return { password: await credentials.password(account, server) };
      } catch (e) {
        // Why this client has none (e.g. "the variable X is not set"): the engine reports it when no client has one.
        return { missing: toWireError(toMailError(e)) };
      }
    },
    get: (key) => secrets.get(key),
    set: (key, value) => secrets.set(key, value),
    delete: (key) => secrets.delete(key),
  };
}
