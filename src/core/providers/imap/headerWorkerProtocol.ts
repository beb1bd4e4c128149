/** What the engine and its header worker (headerWorker.ts) say to each other. */
import type { LogFields, LogLevel } from '../../log';
import type { IncomingMessage } from '../../store/store';
import type { ImapConnectOptions } from './connect';

/** workerData: how to log in (the worker logs through the engine). */
export interface WorkerSetup {
  connect: Omit<ImapConnectOptions, 'logger' | 'qresync'>;
}

/**
 * One page of headers by UID range, in a folder under the UIDVALIDITY the engine planned with;
 * or (type 'prefetch') only the page to fetch ahead, while the engine fetches one itself.
 */
export interface FetchRequest {
  type: 'fetch' | 'prefetch';
  id: number;
  path: string;
  folderId: number;
  uidValidity: string;
  readOnly: boolean;
  range: string;
  /** The page the engine will most likely ask for next: fetched right after, and kept a few seconds. */
  prefetch?: string;
}

/** 'connect': start the login now, a page will follow. */
export type WorkerRequest = FetchRequest | { type: 'connect' } | { type: 'close' };

export type WorkerReply =
  | { type: 'page'; id: number; messages: IncomingMessage[]; prefetched: boolean }
  /** The folder has another UIDVALIDITY now than the one the page was asked under. */
  | { type: 'moved'; id: number; uidValidity: string }
  /** The thread is ending (its connection closed or idled out): the engine fetches the page itself. */
  | { type: 'declined'; id: number }
  /** The page failed on the worker's connection: the engine fetches it on its own. */
  | { type: 'error'; id: number; phase: 'connect' | 'fetch'; message: string }
  /** The login failed: the thread ends. */
  | { type: 'down'; message: string }
  | { type: 'log'; level: LogLevel; msg: string; fields?: LogFields };
