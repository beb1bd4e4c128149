// Mocha's spec output, plus the suite's totals written to MAILDESK_TOTALS_FILE so
// test/run-all.mjs can add up unit, integration and e2e runs into one closing line.
const fs = require('node:fs');
const Mocha = require('mocha');
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class TotalsReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      const file = process.env.MAILDESK_TOTALS_FILE;
      if (file) fs.writeFileSync(file, JSON.stringify({ passed: s.passes || 0, failed: s.failures || 0, skipped: s.pending || 0 }));
    });
  }
}
module.exports = TotalsReporter;
