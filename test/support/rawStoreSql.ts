/**
 * Raw SQL on a store, for tests only: to set up a state no named method makes (a membership
 * the server dropped behind the store's back, a folder that lost its role, a failed outbox
 * row) or to check rows no read shows (every membership of a folder, body blobs, tasks).
 * Product code never gets this: MailStore's run/all/get are `#private`, and
 * test/unit/store-boundary.test.ts lets only the test files it names import this helper.
 */
import type { MailStore } from '../../src/core/store/store';
import { storeSql, type StoreSql } from '../../src/core/store/sql';

export function rawSql(store: MailStore): StoreSql {
  return storeSql(store);
}
