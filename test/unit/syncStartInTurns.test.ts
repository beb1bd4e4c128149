/**
 * The start of a new account's first sync, on a store whose SQL is slow (a new store runs each
 * statement for the first time, 5-15 ms each): its commits come in turns of the event loop of
 * their own (turns.ts), so the engine's thread answers the windows in between. In one turn,
 * the folder list, its counts, the jobs and three workers' first picks held it 30+ ms.
 */
import { strict as assert } from 'node:assert';
import type { AccountConfig } from '../../src/core/config';
import type { MailDesk } from '../../src/core/maildesk';
import type { MailProvider, RemoteFolder } from '../../src/core/providers/provider';
import { MailStore } from '../../src/core/store/store';
import { syncOnce } from '../../src/core/sync/once';
import { Scheduler } from '../../src/core/sync/scheduler';
import { nextTurn, TURN_MS } from '../../src/core/turns';

const ACCOUNT: AccountConfig = {
  id: 'alice',
  provider: 'imap',
  email: 'alice@example.test',
  imap: { host: '127.0.0.1', port: 1143, security: 'none', user: 'alice' },
};

const FOLDERS: RemoteFolder[] = [
  { path: 'INBOX', name: 'Inbox', delimiter: '/', role: 'inbox', specialUse: '\\Inbox', total: 5_000, unread: 12, noSelect: false },
  { path: 'Sent', name: 'Sent', delimiter: '/', role: 'sent', specialUse: '\\Sent', total: 40, unread: 0, noSelect: false },
  { path: 'Archive', name: 'Archive', delimiter: '/', role: null, specialUse: null, total: 900, unread: 0, noSelect: false },
];

/**
 * Counts turns of the event loop (a setImmediate that queues itself) and moves the clock
 * turns.ts reads by a turn's whole budget on every call of `charge`: each slow call spends a
 * turn, whatever the machine's speed.
 */
function slowTurns(): { turn(): number; charge(): void; stop(): void } {
  const real = performance.now.bind(performance);
  let extra = 0;
  performance.now = () => real() + extra;
  let turns = 0;
  let on = true;
  const tick = (): void => {
    turns++;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    turn: () => turns,
    charge: () => (extra += TURN_MS),
    stop: () => {
      on = false;
      delete (performance as { now?: unknown }).now;
    },
  };
}

/**
 * A provider whose sync steps take 5 ms: how many ran, and the steps of one job (kind and
 * folder) found running while another step of it still ran.
 */
function jobSteps(): { provider: MailProvider; twice: string[]; count: number } {
  const inFlight = new Set<string>();
  const out = { twice: [] as string[], count: 0, provider: undefined as unknown as MailProvider };
  out.provider = {
    syncFolder: async (mode: string, ctx: { folder: { path: string } }) => {
      const key = `${mode} ${ctx.folder.path}`;
      if (inFlight.has(key)) out.twice.push(key);
      inFlight.add(key);
      out.count++;
      await new Promise((r) => setTimeout(r, 5));
      inFlight.delete(key);
      return { newMessages: 0, flagChanges: 0, removed: 0, reset: false, complete: true };
    },
  } as unknown as MailProvider;
  return out;
}

describe('the start of a first sync gives the event loop turns between its commits', () => {
  let store: MailStore;
  let clock: ReturnType<typeof slowTurns>;
  beforeEach(async () => {
    store = await MailStore.open({});
    store.upsertAccount(ACCOUNT);
    clock = slowTurns();
    // A turn begun under this clock (the last test's clock ran ahead of this one).
    await nextTurn();
  });
  afterEach(() => {
    clock.stop();
    store.close();
  });

  it('the folder list, its counts and the jobs commit in three turns', async () => {
    // The outermost transactions, each charged a turn's budget: the turn each ran in, and what the store held after it.
    const commits: Array<{ turn: number; folders: number; counted: boolean; jobs: number }> = [];
    const tx = store.tx.bind(store);
    let depth = 0;
    store.tx = <T>(fn: () => T): T => {
      if (depth) return tx(fn);
      depth++;
      try {
        return tx(fn);
      } finally {
        depth--;
        const inbox = store.getFolder('alice', 'INBOX');
        commits.push({ turn: clock.turn(), folders: store.listFolders('alice').length, counted: inbox?.remoteTotal === 5_000, jobs: store.listJobs('alice').length });
        clock.charge();
      }
    };
    const provider = { listFolders: async () => FOLDERS } as unknown as MailProvider;
    const scheduler = new Scheduler({ store, provider: () => provider, logger: { log: () => undefined } });

    const folders = await scheduler.refreshFolders('alice', provider);

    assert.deepEqual(
      folders.map((f) => [f.path, f.remoteTotal]),
      [
        ['Archive', 900],
        ['INBOX', 5_000],
        ['Sent', 40],
      ],
    );
    assert.deepEqual(
      commits.map(({ folders, counted, jobs }) => ({ folders, counted, jobs: jobs > 0 })),
      [
        { folders: 3, counted: false, jobs: false },
        { folders: 3, counted: true, jobs: false },
        { folders: 3, counted: true, jobs: true },
      ],
      'the folder list, then its counts, then the jobs',
    );
    const turns = commits.map((c) => c.turn);
    assert.ok(turns[0]! < turns[1]! && turns[1]! < turns[2]!, `each commit in a turn of its own: turns ${turns.join(', ')}`);
  });

  it('three workers of a sync pick their first jobs in turns with budget left, not all in one', async () => {
    store.upsertFolders('alice', FOLDERS, (f) => f.path !== 'Archive');
    const { provider, twice } = jobSteps();
    const scheduler = new Scheduler({ store, provider: () => provider, logger: { log: () => undefined } });
    // A worker's pick reads the account's jobs (listJobs with the account); each read is charged a turn.
    const picks: number[] = [];
    const listJobs = store.listJobs.bind(store);
    store.listJobs = (accountId?: string) => {
      if (accountId !== undefined) {
        picks.push(clock.turn());
        clock.charge();
      }
      return listJobs(accountId);
    };

    const r = await syncOnce({ store, scheduler } as unknown as MailDesk, ['alice']);

    assert.ok(r.ok, JSON.stringify(r.failed));
    assert.deepEqual(twice, [], 'a job was run by two workers at once');
    assert.ok(picks.length >= 3, `picks: ${picks.length}`);
    // The first three picks are the three workers' first: each in a turn after the one before.
    const first = picks.slice(0, 3);
    assert.equal(new Set(first).size, 3, `the workers' first picks ran in turns ${first.join(', ')}`);
  });

  it('on a fast store too, no job is run by two workers at once', async () => {
    store.upsertFolders('alice', FOLDERS, () => true);
    const steps = jobSteps();
    const { provider, twice } = steps;
    const scheduler = new Scheduler({ store, provider: () => provider, logger: { log: () => undefined } });

    const r = await syncOnce({ store, scheduler } as unknown as MailDesk, ['alice']);

    assert.ok(r.ok, JSON.stringify(r.failed));
    // A sync and a backfill step for each of the three folders, each once.
    assert.equal(steps.count, 6, `steps run: ${steps.count}`);
    assert.deepEqual(twice, []);
  });
});
