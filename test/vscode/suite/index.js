// Entry point @vscode/test-electron loads inside the VS Code extension host: runs the mocha
// tests of this folder (*.test.js) and reports failures through the returned promise.
'use strict';
// CommonJS on purpose: the extension host require()s this file as it is, with no build step.
/* eslint-disable @typescript-eslint/no-require-imports */
const path = require('node:path');
const fs = require('node:fs');
const Mocha = require('mocha');

/** @returns {Promise<void>} */
function run() {
  const mocha = new Mocha({ ui: 'bdd', color: true, timeout: 60_000 });
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} VS Code test(s) failed`)) : resolve()));
    } catch (err) {
      reject(err);
    }
  });
}

module.exports = { run };
