/**
 * Mints MailDesk licence keys for tests, signed with the TEST private key in
 * test/fixtures/licence/ (the production key is never in this repository, and keys minted
 * here do not verify against the shipped public key).
 *
 *   npx tsx scripts/mint-licence.ts --licensee "Acme GmbH" --seats 5 --expires 2030-01-01
 *   options: --plan pro  --product maildesk-vscode  --issued ISO  --key FILE (private key PEM)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { signLicence, type LicencePayload } from '../src/core/licence/licence';
import { PRODUCT } from '../src/core/licence/publicKey';

export const TEST_PRIVATE_KEY_FILE = path.join(__dirname, '..', 'test', 'fixtures', 'licence', 'test-private.pem');
export const TEST_PUBLIC_KEY_FILE = path.join(__dirname, '..', 'test', 'fixtures', 'licence', 'test-public.pem');

export function mintLicence(p: Partial<LicencePayload> = {}, privateKeyFile = TEST_PRIVATE_KEY_FILE): string {
  const now = Date.now();
  const payload: LicencePayload = {
    v: 1,
    product: p.product ?? PRODUCT,
    licensee: p.licensee ?? 'Test Licensee',
    plan: p.plan ?? 'pro',
    seats: p.seats ?? 5,
    issued: p.issued ?? new Date(now - 86_400_000).toISOString(),
    expires: p.expires ?? new Date(now + 365 * 86_400_000).toISOString(),
    id: p.id ?? `TEST-${now.toString(36).toUpperCase()}`,
  };
  return signLicence(payload, fs.readFileSync(privateKeyFile, 'utf8'));
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      licensee: { type: 'string' },
      plan: { type: 'string' },
      seats: { type: 'string' },
      expires: { type: 'string' },
      issued: { type: 'string' },
      product: { type: 'string' },
      key: { type: 'string' },
    },
  });
  const iso = (v?: string): string | undefined => (v ? new Date(v).toISOString() : undefined);
  process.stdout.write(
    `${mintLicence(
      { licensee: values.licensee, plan: values.plan, seats: values.seats ? Number(values.seats) : undefined, expires: iso(values.expires), issued: iso(values.issued), product: values.product },
      values.key ?? TEST_PRIVATE_KEY_FILE,
    )}\n`,
  );
}
