/**
 * The licence part of MailDesk Pro: its status, entering a key, removing it. Apart from
 * ./maildeskPro.ts (which uses it) so that a VS Code window can show the licence in its status
 * bar at activation without loading the AI service and the Workflow Bridges.
 */
import { LICENCE_SECRET, verifyLicence, type LicenceStatus } from './licence';
import { currentLicence, type ProHost } from './pro';

export interface ProLicenceDeps {
  host: ProHost;
  now?: () => number;
}

export class ProLicence {
  constructor(private readonly d: ProLicenceDeps) {}

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
}
