/** How a bodies job's progress reads (no imports: the extension's trees and the report use it). */

/**
 * "bodies: 1,234 of 10,000 (45.6 MB)" from a bodies job's progress, for the status bar, the
 * support report and the CLI; `inline` gives "bodies: 1,234 of 10,000, 45.6 MB" to sit in
 * parentheses (the Sync Jobs view). Undefined when the job has not counted yet.
 */
export function bodiesProgressText(progress: Record<string, unknown> | null | undefined, opts: { inline?: boolean } = {}): string | undefined {
  if (!progress || progress.phase !== 'bodies' || typeof progress.fetched !== 'number' || typeof progress.total !== 'number') return undefined;
  const bytes = typeof progress.bytes === 'number' ? progress.bytes : 0;
  const size = bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} KB`;
  const over = typeof progress.overCap === 'number' && progress.overCap > 0 ? `, ${progress.overCap.toLocaleString('en-US')} over the size cap fetched on open` : '';
  const counted = `bodies: ${progress.fetched.toLocaleString('en-US')} of ${progress.total.toLocaleString('en-US')}`;
  return opts.inline ? `${counted}, ${size}${over}` : `${counted} (${size}${over})`;
}
