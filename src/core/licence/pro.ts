/**
 * What the Pro parts (licence, AI, Workflow Bridges) need from their host, attached to the
 * store so Troubleshoot's checks, which only get a store and settings, find the same secrets
 * and AI models the extension uses. The CLI attaches nothing: then secrets come from
 * environment variables (MAILDESK_LICENCE_KEY, MAILDESK_AI_API_KEY, MAILDESK_ODOO_API_KEY).
 */
import type { AiModel } from '../ai/provider';
import type { SecretStore } from '../config';
import type { MailStore } from '../store/store';
import { LICENCE_ENV, LICENCE_SECRET, verifyLicence, type LicenceStatus } from './licence';

export interface ProHost {
  secrets: SecretStore;
  /** Language models the host has (VS Code `vscode.lm`); absent in the CLI. */
  hostModels?: () => Promise<AiModel[]>;
  /** Licence verification key (tests); default: the shipped one. */
  publicKey?: string;
}

/** Secret keys besides the licence (SecretStorage in VS Code, environment in the CLI). */
export const AI_API_KEY_SECRET = 'maildesk.ai.openai.apiKey';
export const ODOO_API_KEY_SECRET = 'maildesk.odoo.apiKey';

const ENV_FOR: Record<string, string> = {
  [LICENCE_SECRET]: LICENCE_ENV,
  [AI_API_KEY_SECRET]: 'MAILDESK_AI_API_KEY',
  [ODOO_API_KEY_SECRET]: 'MAILDESK_ODOO_API_KEY',
};

/** Read-only secrets from the environment (what `maildesk doctor` has). */
export function envSecretStore(env: NodeJS.ProcessEnv = process.env): SecretStore {
  return {
    get: async (key) => (ENV_FOR[key] ? env[ENV_FOR[key]] || undefined : undefined),
    set: async () => undefined,
    delete: async () => undefined,
  };
}

const hosts = new WeakMap<MailStore, ProHost>();

/** Attaches the host's secrets and models to a store; dispose detaches. */
export function attachProHost(store: MailStore, host: ProHost): { dispose(): void } {
  hosts.set(store, host);
  return { dispose: () => hosts.get(store) === host && hosts.delete(store) };
}

export function proHostFor(store: MailStore, env: NodeJS.ProcessEnv = process.env): ProHost {
  return hosts.get(store) ?? { secrets: envSecretStore(env) };
}

/** The licence as stored, verified now. */
export async function currentLicence(host: ProHost, now = Date.now()): Promise<LicenceStatus> {
  return verifyLicence(await host.secrets.get(LICENCE_SECRET), { publicKey: host.publicKey, now });
}

/**
 * A `maildesk.*` setting from flat keys (what Troubleshoot and the CLI pass) or from nested
 * objects (what VS Code's configuration returns for object settings).
 */
export function settingValue(settings: Record<string, unknown>, key: string): unknown {
  if (key in settings) return settings[key];
  const parts = key.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    let v: unknown = settings[parts.slice(0, i).join('.')];
    for (const p of parts.slice(i)) v = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[p] : undefined;
    if (v !== undefined) return v;
  }
  return undefined;
}

export function settingString(settings: Record<string, unknown>, key: string): string {
  const v = settingValue(settings, key);
  return typeof v === 'string' ? v.trim() : '';
}
