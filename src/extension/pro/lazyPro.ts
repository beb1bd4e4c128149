/**
 * MailDesk Pro for a VS Code window, loaded on first use. The licence (status bar, Enter
 * Licence Key) works at once and needs only the licence check; the AI service and the Workflow
 * Bridges (an HTML-to-text converter, a MIME parser, the Odoo client…) are the core's
 * MailDeskPro, a bundle of its own (scripts/extensionBundles.mjs) loaded the first time an AI
 * action or a bridge is asked for (a thread view asks which Pro actions it shows).
 */
import type { AiService } from '../../core/ai/service';
import type { BridgeService } from '../../core/bridges/service';
import type { WorkflowBridge } from '../../core/bridges/bridge';
import type { LicenceStatus } from '../../core/licence/licence';
import type { MailDeskPro, MailDeskProDeps } from '../../core/licence/maildeskPro';
import { MailError } from '../../core/errors';
import { ProLicence } from '../../core/licence/proLicence';

type Later<T, K extends keyof T> = { [P in K]: T[P] extends (...a: infer A) => Promise<infer R> ? (...a: A) => Promise<R> : never };

export class LazyMailDeskPro {
  private readonly keys: ProLicence;
  private loaded: MailDeskPro | undefined;
  private loading: Promise<MailDeskPro> | undefined;
  private disposed = false;
  /** Bridges other extensions registered before MailDeskPro loaded, with what disposes them once it has. */
  private readonly early = new Map<WorkflowBridge, { dispose(): void } | undefined>();

  readonly ai: Later<AiService, 'availability' | 'summarize' | 'draftFromContext' | 'checkDraft'> = {
    availability: async (...a) => (await this.load()).ai.availability(...a),
    summarize: async (...a) => (await this.load()).ai.summarize(...a),
    draftFromContext: async (...a) => (await this.load()).ai.draftFromContext(...a),
    checkDraft: async (...a) => (await this.load()).ai.checkDraft(...a),
  };

  readonly bridges: Later<BridgeService, 'actionsFor' | 'links' | 'run' | 'refreshLinks'> & Pick<BridgeService, 'register' | 'invalidate'> = {
    actionsFor: async (...a) => (await this.load()).bridges.actionsFor(...a),
    links: async (...a) => (await this.load()).bridges.links(...a),
    run: async (...a) => (await this.load()).bridges.run(...a),
    refreshLinks: async (...a) => (await this.load()).bridges.refreshLinks(...a),
    // Nothing is cached before MailDeskPro loads: nothing to forget.
    invalidate: () => this.loaded?.bridges.invalidate(),
    register: (bridge) => {
      if (this.loaded) return this.loaded.bridges.register(bridge);
      // The checks BridgeService makes, now rather than when it loads (the built-in ids aside).
      if (!bridge || typeof bridge.id !== 'string' || !bridge.id || typeof bridge.run !== 'function' || typeof bridge.check !== 'function') {
        throw new MailError('config.invalid', 'a Workflow Bridge needs an id, a label, an app, check() and run()');
      }
      if ([...this.early.keys()].some((b) => b.id === bridge.id)) throw new MailError('config.invalid', `a Workflow Bridge with the id "${bridge.id}" is already registered`);
      this.early.set(bridge, undefined);
      return { dispose: () => (this.early.get(bridge) ?? { dispose: () => this.early.delete(bridge) }).dispose() };
    },
  };

  /** `refused` hears of a bridge registered early that MailDeskPro refused when it loaded (an id of a built-in one). */
  constructor(
    private readonly d: MailDeskProDeps,
    private readonly refused: (bridge: WorkflowBridge, e: unknown) => void = () => undefined,
  ) {
    this.keys = new ProLicence(d);
  }

  licence(): Promise<LicenceStatus> {
    return this.keys.licence();
  }

  enterLicence(raw: string): Promise<LicenceStatus> {
    return this.keys.enterLicence(raw);
  }

  removeLicence(): Promise<void> {
    return this.keys.removeLicence();
  }

  private load(): Promise<MailDeskPro> {
    return (this.loading ??= Promise.resolve().then(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { MailDeskPro } = require('../../core/licence/maildeskPro') as typeof import('../../core/licence/maildeskPro');
      const pro = new MailDeskPro(this.d);
      if (this.disposed) pro.dispose();
      for (const bridge of this.early.keys()) {
        try {
          this.early.set(bridge, pro.bridges.register(bridge));
        } catch (e) {
          this.early.delete(bridge);
          this.refused(bridge, e);
        }
      }
      this.loaded = pro;
      return pro;
    }));
  }

  dispose(): void {
    this.disposed = true;
    this.loaded?.dispose();
  }
}
