/**
 * MailDesk Pro in one object: the licence, the AI actions and the Workflow Bridges, over
 * the same mail the Basic features use: the core's store, or (a VS Code window) the engine's
 * requests as `data`. Both the extension and the tests build it by hand.
 */
import { AiService, type AiCore } from '../ai/service';
import type { OpenAiOptions } from '../ai/openai';
import { BridgeService } from '../bridges/service';
import { LICENCE_SECRET, verifyLicence, type LicenceStatus } from './licence';
import { attachProHost, currentLicence, type ProHost } from './pro';
import type { ProData } from './proData';

export interface MailDeskProDeps {
  /** The mail: `data` (a window's engine requests), else the store of `core`. */
  core?: AiCore;
  data?: ProData;
  host: ProHost;
  settings: () => Record<string, unknown>;
  now?: () => number;
  openai?: Partial<OpenAiOptions>;
  odoo?: { fetch?: typeof fetch; timeoutMs?: number };
}

export class MailDeskPro {
  readonly ai: AiService;
  readonly bridges: BridgeService;
  private readonly attached: { dispose(): void };

  constructor(private readonly d: MailDeskProDeps) {
    this.ai = new AiService(d);
    this.bridges = new BridgeService(d);
    // Troubleshoot's checks find the same secrets and models through the store (through the
    // engine's `diagnostics/run` when the store is the engine's).
    this.attached = d.core ? attachProHost(d.core.store, d.host) : { dispose: () => undefined };
  }

  licence(): Promise<LicenceStatus> {
    return currentLicence(this.d.host, this.d.now?.() ?? Date.now());
  }

  /**
   * Verifies a pasted key and stores it (cleaned of quotes and line breaks) when it is
   * valid; a key that is not valid is not stored, and the status says why.
   */
  async enterLicence(raw: string): Promise<LicenceStatus> {
    const s = verifyLicence(raw, { publicKey: this.d.host.publicKey, now: this.d.now?.() ?? Date.now() });
    if (s.state === 'valid' && s.key) await this.d.host.secrets.set(LICENCE_SECRET, s.key);
    return s;
  }

  async removeLicence(): Promise<void> {
    await this.d.host.secrets.delete(LICENCE_SECRET);
  }

  dispose(): void {
    this.attached.dispose();
  }
}
