'use strict';
// Mocha's own spec reporter, plus one closing line `N passed, N failed` that CI reads, and the same
// counts (and the Node version) in build/test-results.json, or in the file WSSERVER_TEST_RESULTS names
// (tools/test-nodes.mjs gives each Node its own), so that .ci/run can repeat them as its last line.
const Mocha = require('mocha');
const fs = require('node:fs');
const path = require('node:path');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0 } = this.stats;
      const file = path.resolve(process.env.WSSERVER_TEST_RESULTS || path.join('build', 'test-results.json'));
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify({ passes, failures, pending, node: process.version }) + '\n');
      } catch {
        // the line below is what counts; the file is a convenience for .ci/run
      }
      process.stdout.write(`${passes} passed, ${failures} failed\n`);
    });
  }
}

module.exports = CountingReporter;
