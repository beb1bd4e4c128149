/**
 * Typed calls over a vscode-jsonrpc connection: the method tables of
 * src/shared/protocol/engine.ts decide the params and result of every call, so no `any`
 * reaches the code on either side.
 */
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { MailError, toMailError } from '../core/errors';
import { type ClientRequests, EngineErrorCodes, type EngineNotifications, type EngineRequests, type WireError } from '../shared/protocol/engine';
import { fromWireError, toWireError } from './wire';

type Handler<P, R> = (params: P) => R | Promise<R>;

export function sendEngineRequest<M extends keyof EngineRequests>(conn: MessageConnection, method: M, params: EngineRequests[M]['params']): Promise<EngineRequests[M]['result']> {
  return conn.sendRequest<EngineRequests[M]['result']>(method, params);
}

export function sendClientRequest<M extends keyof ClientRequests>(conn: MessageConnection, method: M, params: ClientRequests[M]['params']): Promise<ClientRequests[M]['result']> {
  return conn.sendRequest<ClientRequests[M]['result']>(method, params);
}

/** Resolves once the notification is written (never rejects: a closed client just misses it). */
export function sendNotification<N extends keyof EngineNotifications>(conn: MessageConnection, method: N, params: EngineNotifications[N]): Promise<void> {
  return conn.sendNotification(method, params).catch(() => undefined);
}

export function onEngineRequest<M extends keyof EngineRequests>(conn: MessageConnection, method: M, handler: Handler<EngineRequests[M]['params'], EngineRequests[M]['result']>): void {
  conn.onRequest(method, (params: EngineRequests[M]['params']) => wrap(() => handler(params)));
}

export function onClientRequest<M extends keyof ClientRequests>(conn: MessageConnection, method: M, handler: Handler<ClientRequests[M]['params'], ClientRequests[M]['result']>): void {
  conn.onRequest(method, (params: ClientRequests[M]['params']) => wrap(() => handler(params)));
}

export function onNotification<N extends keyof EngineNotifications>(conn: MessageConnection, method: N, handler: (params: EngineNotifications[N]) => void): void {
  conn.onNotification(method, (params: EngineNotifications[N]) => handler(params));
}

/** Runs a handler; a thrown MailError leaves as a ResponseError carrying its WireError. */
async function wrap<R>(fn: () => R | Promise<R>): Promise<R | ResponseError<WireError | undefined>> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ResponseError) return e as ResponseError<WireError | undefined>;
    const err = toMailError(e);
    return new ResponseError<WireError>(EngineErrorCodes.mail, err.message, toWireError(err));
  }
}

/** The MailError a failed request carried, or the transport error as one. */
export function errorFromResponse(e: unknown): MailError {
  if (e instanceof ResponseError && e.code === EngineErrorCodes.mail && e.data && typeof e.data === 'object') return fromWireError(e.data as WireError);
  if (e instanceof MailError) return e;
  return new MailError('internal', `the MailDesk engine did not answer: ${(e as Error).message}`, { cause: e });
}
