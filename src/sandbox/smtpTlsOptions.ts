/**
 * Stands in for smtp-server's `tls-options.js` in the bundles (esbuild.mjs). That file carries
 * a pregenerated private key for localhost, as the default for servers that offer TLS; the
 * sandbox offers none (STARTTLS is disabled), and a private key must not ship inside the
 * extension. Only the options given are passed on.
 */
export default function tlsOptions(opts?: Record<string, unknown>): Record<string, unknown> {
  return { ...opts };
}
