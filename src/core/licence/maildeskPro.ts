/**
 * MailDesk Pro in one object: the licence, the AI actions and the Workflow Bridges, over
 * the same mail the Basic features use: the core's store, or (a VS Code window) the engine's
 * requests as `data`. Both the extension and the tests build it by hand.
 */
import { AiService, type AiCore } from '../ai/service';
import type { OpenAiOptions } from '../ai/openai';
import { BridgeService } from '../bridges/service';
import type { LicenceStatus } from './licence';
import { attachProHost, type ProHost } from './pro';
import { ProLicence } from './proLicence';
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
  private readonly keys: ProLicence;

  constructor(d: MailDeskProDeps) {
    this.ai = new AiService(d);
    this.bridges = new BridgeService(d);
    this.keys = new ProLicence(d);
    // Troubleshoot's checks find the same secrets and models through the store (through the
    // engine's `diagnostics/run` when the store is the engine's).
    this.attached = d.core ? attachProHost(d.core.store, d.host) : { dispose: () => undefined };
  }

  licence(): Promise<LicenceStatus> {
    return this.keys.licence();
  }

  /** Verifies a pasted key and stores it when it is valid (./proLicence.ts). */
  enterLicence(raw: string): Promise<LicenceStatus> {
    return this.keys.enterLicence(raw);
  }

  removeLicence(): Promise<void> {
    return this.keys.removeLicence();
  }

  dispose(): void {
    this.attached.dispose();
  }
}
