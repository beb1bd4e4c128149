#!/usr/bin/env node
// The CLI is bundled to dist/cli.js by `npm run build` (also run by `npm run demo` and `npm test`).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('maildesk: the CLI is not built yet. Run `npm run build` in ' + path.join(__dirname, '..') + ' first.\n');
  process.exit(2);
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code), (e) => {
    process.stderr.write('maildesk: ' + (e && e.message ? e.message : String(e)) + '\n');
    process.exit(1);
  });
