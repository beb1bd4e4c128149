/**
 * SecretStore over VS Code SecretStorage: the only place passwords live in the extension.
 *
 * `StagedSecretStore` lets the Add Account flow test a server with a password that is
 * not yet saved: staged values are read first and dropped when the flow ends, so a
 * cancelled flow leaves nothing in the keychain.
 */
import type * as vscode from 'vscode';
import type { SecretStore } from '../core/config';

export function vscodeSecretStore(secrets: vscode.SecretStorage): SecretStore {
  return {
    get: async (key) => secrets.get(key),
    set: async (key, value) => secrets.store(key, value),
    delete: async (key) => secrets.delete(key),
  };
}

export class StagedSecretStore implements SecretStore {
  private readonly staged = new Map<string, string>();

  constructor(private readonly inner: SecretStore) {}

  /** Makes `value` visible under `key` until `unstage` (never written to the keychain). */
  stage(key: string, value: string): void {
    this.staged.set(key, value);
  }

  unstage(key: string): void {
    this.staged.delete(key);
  }

  async get(key: string): Promise<string | undefined> {
    return this.staged.get(key) ?? this.inner.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.staged.delete(key);
    await this.inner.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.staged.delete(key);
    await this.inner.delete(key);
  }
}
