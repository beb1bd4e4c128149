import { strict as assert } from 'node:assert';
import { type ImapSyncPlan, type LocalFolderState, type RemoteFolderStatus, newestPageSeqRange, nextBackfillRange, planImapSync } from '../../src/core/sync/imapPlan';

/** A folder we have synced before: UIDs 101..200 held, history fully fetched. */
const SYNCED: LocalFolderState = {
  uidValidity: '1000',
  uidNext: 201,
  highestModseq: '50',
  minUid: 101,
  maxUid: 200,
  count: 100,
  fillDone: true,
  backfillDone: true,
};

/** The server unchanged since then, with CONDSTORE and QRESYNC. */
const SAME: RemoteFolderStatus = { uidValidity: '1000', uidNext: 201, messages: 100, highestModseq: '50', condstore: true, qresync: true };
const NO_CONDSTORE: Partial<RemoteFolderStatus> = { condstore: false, qresync: false, highestModseq: null };

type Sync = Extract<ImapSyncPlan, { kind: 'sync' }>;

interface Case {
  name: string;
  local?: Partial<LocalFolderState>;
  remote?: Partial<RemoteFolderStatus>;
  expect: ImapSyncPlan | Partial<Sync>;
}

const EMPTY_LOCAL: Partial<LocalFolderState> = { uidValidity: null, uidNext: null, highestModseq: null, minUid: null, maxUid: null, count: 0, fillDone: false, backfillDone: false };

const cases: Case[] = [
  { name: 'nothing changed on a CONDSTORE server: no work at all', expect: { kind: 'noop' } },
  {
    name: 'first connection to a folder with mail: newest page first, nothing else',
    local: EMPTY_LOCAL,
    expect: { kind: 'sync', reset: false, fillFirstPage: true, newRange: null, flags: { kind: 'none' }, checkExpunged: false },
  },
  {
    name: 'first connection to an empty folder: records state, fetches nothing',
    local: EMPTY_LOCAL,
    remote: { messages: 0, uidNext: 1 },
    expect: { kind: 'sync', reset: false, fillFirstPage: false, newRange: null, flags: { kind: 'none' }, checkExpunged: false },
  },
  {
    name: 'UIDVALIDITY changed: reset and fetch the newest page anew',
    remote: { uidValidity: '2000' },
    expect: { kind: 'sync', reset: true, fillFirstPage: true, newRange: null, flags: { kind: 'none' }, checkExpunged: false },
  },
  {
    name: 'UIDVALIDITY changed and the new folder is empty: reset, no fill',
    remote: { uidValidity: '2000', messages: 0, uidNext: 1 },
    expect: { kind: 'sync', reset: true, fillFirstPage: false },
  },
  {
    name: 'new mail arrived (UIDNEXT moved): fetch from the last known UID + 1',
    remote: { uidNext: 206, messages: 105, highestModseq: '55' },
    expect: { kind: 'sync', reset: false, fillFirstPage: false, newRange: '201:*', flags: { kind: 'changedSince', modseq: '50' } },
  },
  {
    name: 'UIDNEXT moved but the new mail was expunged again: still looks at 201:*',
    remote: { uidNext: 203, highestModseq: '53' },
    expect: { kind: 'sync', newRange: '201:*', checkExpunged: true },
  },
  {
    name: 'flags changed (modseq moved, no new mail): CHANGEDSINCE the saved modseq',
    remote: { highestModseq: '51' },
    expect: { kind: 'sync', newRange: null, flags: { kind: 'changedSince', modseq: '50' }, checkExpunged: true },
  },
  {
    name: 'a message was expunged: count no longer adds up, expunges are checked',
    remote: { messages: 99, highestModseq: '51' },
    expect: { kind: 'sync', newRange: null, checkExpunged: true },
  },
  {
    name: 'count mismatch with an unmoved modseq is still checked (safety net)',
    remote: { messages: 98 },
    expect: { kind: 'sync', newRange: null, flags: { kind: 'none' }, checkExpunged: true },
  },
  {
    name: 'count mismatch while history is still filling is expected, not an expunge',
    local: { backfillDone: false, minUid: 101 },
    remote: { messages: 300, uidValidity: '1000' },
    expect: { kind: 'noop' },
  },
  {
    name: 'no CONDSTORE: plain UID/flag comparison over everything we hold',
    remote: NO_CONDSTORE,
    local: { highestModseq: null },
    expect: { kind: 'sync', newRange: null, flags: { kind: 'scan', range: '101:200' }, checkExpunged: true },
  },
  {
    name: 'no CONDSTORE with new mail: new range plus a scan of the known range',
    remote: { ...NO_CONDSTORE, uidNext: 210, messages: 109 },
    local: { highestModseq: null },
    expect: { kind: 'sync', newRange: '201:*', flags: { kind: 'scan', range: '101:200' }, checkExpunged: true },
  },
  {
    name: 'the server dropped CONDSTORE since last time: falls back to a scan',
    remote: NO_CONDSTORE,
    expect: { kind: 'sync', flags: { kind: 'scan', range: '101:200' } },
  },
  {
    name: 'backfill cursor below the held UIDs widens the scan down to it',
    remote: NO_CONDSTORE,
    local: { minUid: 40, highestModseq: null },
    expect: { kind: 'sync', flags: { kind: 'scan', range: '40:200' } },
  },
  {
    name: 'all local mail gone but folder was filled: only new mail is looked for',
    local: { count: 0, minUid: null, maxUid: null },
    remote: { uidNext: 205, messages: 4, highestModseq: '60' },
    expect: { kind: 'sync', newRange: '201:*', flags: { kind: 'none' }, checkExpunged: false },
  },
  {
    name: 'UIDNEXT saved higher than the highest UID held: new range starts at UIDNEXT',
    local: { uidNext: 250 },
    remote: { uidNext: 260, messages: 110, highestModseq: '70' },
    expect: { kind: 'sync', newRange: '250:*' },
  },
  {
    name: 'fill interrupted before anything was stored: starts the fill again',
    local: { ...EMPTY_LOCAL, uidValidity: '1000' },
    expect: { kind: 'sync', reset: false, fillFirstPage: true },
  },
];

describe('planImapSync', () => {
  for (const c of cases) {
    it(c.name, () => {
      const plan = planImapSync({ ...SYNCED, ...c.local }, { ...SAME, ...c.remote });
      if (c.expect.kind === 'noop') {
        assert.deepEqual(plan, { kind: 'noop' });
        return;
      }
      assert.equal(plan.kind, 'sync', `expected work, got ${JSON.stringify(plan)}`);
      for (const [k, v] of Object.entries(c.expect)) assert.deepEqual((plan as Record<string, unknown>)[k], v, `plan.${k} in ${JSON.stringify(plan)}`);
    });
  }
});

describe('nextBackfillRange', () => {
  const rows: Array<[number | null, number, { range: string; low: number } | null, string]> = [
    [null, 100, null, 'nothing held yet: nothing to backfill'],
    [1, 100, null, 'UID 1 held: history complete'],
    [0, 100, null, 'cursor at 0: complete'],
    [2, 100, { range: '1:1', low: 1 }, 'one message left'],
    [101, 100, { range: '1:100', low: 1 }, 'exactly one page left'],
    [1001, 100, { range: '901:1000', low: 901 }, 'a full page just below the cursor'],
    [20000, 500, { range: '19500:19999', low: 19500 }, 'large folder, default page'],
  ];
  for (const [cursor, size, want, why] of rows) {
    it(`${why} (cursor ${cursor}, page ${size})`, () => assert.deepEqual(nextBackfillRange(cursor, size), want));
  }
  it('walking down from the top covers every UID exactly once', () => {
    const seen = new Set<number>();
    let cursor: number | null = 1234;
    for (let r = nextBackfillRange(cursor, 100); r; r = nextBackfillRange(cursor, 100)) {
      const [lo, hi] = r.range.split(':').map(Number);
      for (let u = lo; u <= hi; u++) {
        assert.ok(!seen.has(u), `UID ${u} fetched twice`);
        seen.add(u);
      }
      cursor = r.low;
    }
    assert.equal(seen.size, 1233);
  });
});

describe('newestPageSeqRange', () => {
  const rows: Array<[number, number, string | null]> = [
    [0, 100, null],
    [-1, 100, null],
    [1, 100, '1:1'],
    [50, 100, '1:50'],
    [100, 100, '1:100'],
    [101, 100, '2:101'],
    [20000, 100, '19901:20000'],
  ];
  for (const [exists, size, want] of rows) {
    it(`${exists} messages, page ${size} → ${want}`, () => assert.equal(newestPageSeqRange(exists, size), want));
  }
});
