/**
 * The benchmark's correctness mode, briefly: `bench/run.mjs --verify` makes the load client check every
 * byte of every echoed message, so this runs our servers (modern API and the compat DoEvents loop) under
 * the bench's own load — many connections, many messages in flight, 32 B to 1 MiB, deflate and TLS — for
 * half a second per scenario. It asserts that every round echoed messages and that none came back wrong;
 * it never looks at a speed figure. dist/ is what is measured (`npm test` builds it; the driver builds it
 * when it is missing).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const SCENARIOS = ['small', 'medium', 'large', 'deflate-small', 'tls-small', 'compat'];
/** Far above what the run takes (about 15 s): only a stuck child gets there. */
const RUN_MS = 150_000;

interface Round {
  ok: boolean;
  msgsTotal?: number;
  errors?: Record<string, number>;
}

interface Results {
  scenarios: Record<string, { rounds: Record<string, Round[]>; pending: Record<string, string> }>;
}

function runBench(json: string): Promise<string> {
  const args = ['bench/run.mjs', '--scenario', SCENARIOS.join(','), '--servers', 'ours,compat-doevents'];
  args.push('--rounds', '1', '--duration', '0.5', '--warmup', '0.2', '--verify', '--no-install', '--json', json);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root, timeout: RUN_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`bench --verify failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('bench --verify (every echoed byte checked, briefly)', function () {
  this.timeout(RUN_MS + 10_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wsserver-bench-verify-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('echoes every message of every scenario byte for byte, on the modern API and the compat DoEvents loop', async () => {
    const json = join(dir, 'results.json');
    const output = await runBench(json);
    const results = JSON.parse(readFileSync(json, 'utf8')) as Results;
    expect(Object.keys(results.scenarios), output).to.deep.equal(SCENARIOS);
    const seen: string[] = [];
    for (const [name, scenario] of Object.entries(results.scenarios)) {
      expect(scenario.pending, `${name}: ${output}`).to.deep.equal({});
      for (const [server, rounds] of Object.entries(scenario.rounds)) {
        seen.push(`${name}/${server}`);
        for (const round of rounds) {
          expect(round.errors ?? {}, `${name}/${server}`).to.deep.equal({});
          expect(round.ok, `${name}/${server}: ${JSON.stringify(round)}`).to.equal(true);
          expect(round.msgsTotal ?? 0, `${name}/${server}`).to.be.greaterThan(0);
        }
      }
    }
    const expected = SCENARIOS.map((name) => `${name}/ours`);
    expected.push('compat/compat-doevents');
    expect(seen.sort()).to.deep.equal(expected.sort());
  });
});
