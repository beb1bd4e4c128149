/** Command line of `npm run bench` and the settings shared by the parent and its children. */

export interface BenchOptions {
  messages: number;
  runs: number;
  json: boolean;
  keep: boolean;
  /** Parent of the MailDesk data folders (the store is saved there, so a real disk by default). */
  dataRoot: string | undefined;
  /** Page sizes given to MailDesk and used by the bare fetch alike (default: the provider's own). */
  firstPageSize: number;
  pageSize: number;
  /** Run the header-only comparison (MailDesk sync vs bare header fetch, ten folders). */
  headers: boolean;
  /** Run the offline-bodies comparison (MailDesk headers + bodies vs mbsync vs bare full-source fetch). */
  bodies: boolean;
  /** Which sides of the bodies comparison run (all three by default; one, to iterate on it). */
  bodySides: BodySide[];
  /** MailDesk's IMAP header worker (imapProvider.ts): 'auto' as shipped, 'off' to measure without it. */
  headerWorker: 'auto' | 'off';
}

export type BodySide = 'maildesk-bodies' | 'mbsync' | 'fullfetch';
export const BODY_SIDES: BodySide[] = ['maildesk-bodies', 'mbsync', 'fullfetch'];

/** What a child process needs to measure one run. */
export interface ChildConfig {
  port: number;
  user: string;
  password: string;
  inbox: string;
  /** The nine other folders of the no-change sync (INBOX is the tenth). */
  otherFolders: string[];
  messages: number;
  firstPageSize: number;
  pageSize: number;
  maxConnections: number;
  headerWorker: 'auto' | 'off';
  dataDir: string;
  /** Dovecot's master (its process group), whose CPU the runs count beside their own. */
  dovecotPid?: number;
}

/** The provider's defaults (imapProvider.ts); the baseline fetches in exactly the same pages. */
export const FIRST_PAGE_SIZE = 100;
export const PAGE_SIZE = 500;
export const MAX_CONNECTIONS = 3;

export const USAGE = `Usage: npm run bench -- [--messages N] [--runs N] [--json] [--keep] [--data-root DIR]
  --messages N   messages seeded into INBOX (default 10000)
  --runs N       measured runs; figures are medians (default 3)
  --json         print one JSON object instead of the table
  --keep         keep the Dovecot folder and the MailDesk data folders
  --data-root D  where MailDesk data folders go (default: the OS temp folder)
  --page-size N  backfill page size for both sides (default ${PAGE_SIZE}, the provider's)
  --first-page-size N  first (fill) page size for both sides (default ${FIRST_PAGE_SIZE})
  --no-headers   skip the header-only comparison
  --no-bodies    skip the offline-bodies comparison (MailDesk vs mbsync vs bare full-source fetch)
  --body-sides L which sides of it run, comma-separated (default ${BODY_SIDES.join(',')})
  --header-worker off  MailDesk parses backfill pages on the engine's thread, as before its header worker`;

export function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { messages: 10_000, runs: 3, json: false, keep: false, dataRoot: undefined, firstPageSize: FIRST_PAGE_SIZE, pageSize: PAGE_SIZE, headers: true, bodies: true, bodySides: BODY_SIDES, headerWorker: 'auto' };
  const num = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v?.replace(/[_,]/g, ''));
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs a whole number >= ${min} (got ${v ?? 'nothing'})\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag === '--messages') o.messages = num('--messages', value(), 100);
    else if (flag === '--runs') o.runs = num('--runs', value(), 1);
    else if (flag === '--json') o.json = true;
    else if (flag === '--keep') o.keep = true;
    else if (flag === '--data-root') o.dataRoot = value();
    else if (flag === '--page-size') o.pageSize = num('--page-size', value(), 1);
    else if (flag === '--first-page-size') o.firstPageSize = num('--first-page-size', value(), 100);
    else if (flag === '--no-headers') o.headers = false;
    else if (flag === '--no-bodies') o.bodies = false;
    else if (flag === '--header-worker') {
      const v = value();
      if (v !== 'auto' && v !== 'off') throw new Error(`--header-worker takes auto or off (got ${v ?? 'nothing'})\n${USAGE}`);
      o.headerWorker = v;
    }
    else if (flag === '--body-sides') {
      const sides = (value() ?? '').split(',').filter(Boolean);
      const bad = sides.filter((x) => !BODY_SIDES.includes(x as BodySide));
      if (!sides.length || bad.length) throw new Error(`--body-sides takes some of ${BODY_SIDES.join(',')} (got ${bad.join(',') || 'nothing'})\n${USAGE}`);
      o.bodySides = sides as BodySide[];
    }
    else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
