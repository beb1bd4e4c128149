/**
 * Microsoft Graph's limits for a message and the byte-range upload of a large attachment.
 *
 * - Every Graph request is at most 4 MB; a file attachment of 3 MB or more goes through an
 *   upload session, up to 150 MB (https://learn.microsoft.com/en-us/graph/outlook-large-attachments).
 * - The session's uploadUrl is pre-authenticated: the PUTs carry no Authorization header, each
 *   range is at most 4 MB, in order, with Content-Range; the last one answers 201
 *   (https://learn.microsoft.com/en-us/graph/api/attachment-createuploadsession).
 * A range PUT is idempotent (the same bytes at the same offset), so it may be sent again.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { MailError } from '../../errors';
import { classifyGraphError } from './graphErrors';

export const GRAPH_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Files from this size on need an upload session. */
export const GRAPH_UPLOAD_SESSION_FROM = 3 * 1024 * 1024;
export const GRAPH_MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024;
/**
 * The largest message Exchange Online takes at all, whatever an administrator sets ("Message
 * size limit ... 150 MB", https://learn.microsoft.com/en-us/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits);
 * a mailbox's own limit (35 MB by default) is only known from its refusal.
 */
export const GRAPH_MAX_MESSAGE_BYTES = 150 * 1024 * 1024;
/** Range size: a multiple of 320 KiB under 4 MB (the size Microsoft's own upload tasks use). */
export const GRAPH_RANGE_BYTES = 320 * 1024 * 12;
/** Room for the JSON around base64 content in one request. */
const JSON_OVERHEAD = 8 * 1024;

/** Base64 size of `n` bytes. */
export function base64Size(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/** Whether a file attachment of `size` bytes fits in one POST of JSON (contentBytes). */
export function fitsOnePost(size: number): boolean {
  return size < GRAPH_UPLOAD_SESSION_FROM && base64Size(size) + JSON_OVERHEAD <= GRAPH_MAX_REQUEST_BYTES;
}

/** Largest base64 MIME body that still fits one request. */
export const GRAPH_MAX_MIME_BASE64 = GRAPH_MAX_REQUEST_BYTES - JSON_OVERHEAD;

function putRange(url: string, chunk: Buffer, start: number, total: number, ca: string | Buffer | undefined, timeoutMs: number): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: 'PUT',
        ca,
        timeout: timeoutMs,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(chunk.length), 'Content-Range': `bytes ${start}-${start + chunk.length - 1}/${total}` },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`ETIMEDOUT: no answer from ${new URL(url).host} in ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => reject(Object.assign(new Error(`${e.code ?? 'network error'}: ${e.message}`), { code: e.code })));
    req.end(chunk);
  });
}

/** Uploads `content` to an upload session's URL range by range; one repeat of a failed range. */
export async function uploadRanges(uploadUrl: string, content: Buffer, o: { ca?: string | Buffer; timeoutMs?: number; what: string }): Promise<void> {
  for (let start = 0; start < content.length; ) {
    const chunk = content.subarray(start, Math.min(content.length, start + GRAPH_RANGE_BYTES));
    let r: Awaited<ReturnType<typeof putRange>> | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        r = await putRange(uploadUrl, chunk, start, content.length, o.ca, o.timeoutMs ?? 120_000);
        if (r.status < 500 || attempt >= 2) break;
      } catch (e) {
        if (attempt >= 2) throw classifyGraphError(e, o.what);
      }
    }
    if (r!.status !== 200 && r!.status !== 201) {
      let err: { code?: string; message?: string } = {};
      try {
        err = (JSON.parse(r!.body) as { error?: typeof err }).error ?? {};
      } catch {
        /* not JSON */
      }
      throw classifyGraphError({ statusCode: r!.status, code: err.code ?? null, message: err.message ?? `HTTP ${r!.status}` }, o.what);
    }
    if (r!.status === 201) return;
    start += chunk.length;
  }
  throw new MailError('server.protocol', `${o.what}: Outlook did not confirm the whole attachment (no 201 after the last range)`);
}
