#!/usr/bin/env node
// The CLI is bundled to dist/cli.js by `npm run build` (also run by `npm run demo` and `npm test`).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('maildesk: the CLI is not built yet. Run `npm run build` in ' + path.join(__dirname, '..') + ' first.\n');
  process.exit(2);
}
const m = require(cli);
// Pipes block like files and terminals: many small writes into a slow reader are not lost.
if (m.blockingStdio) m.blockingStdio();
// Exit only once stdout and stderr are written out: into a pipe, process.exit() loses what is queued.
const exit = (code) => (m.exitWhenWritten ? m.exitWhenWritten(code) : process.exit(code));
m.main(process.argv.slice(2)).then(exit, (e) => {
  process.stderr.write('maildesk: ' + (e && e.message ? e.message : String(e)) + '\n');
  return exit(1);
});
