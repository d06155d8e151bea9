import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const tool = join(root, 'tools', 'check-layout.mjs');

function check(args: string[] = []) {
  const result = spawnSync(process.execPath, [tool, '--json', ...args], { encoding: 'utf8' });
  return { status: result.status, problems: JSON.parse(result.stdout || '[]') as string[] };
}

describe('tools/check-layout.mjs', () => {
  it('finds no I/O import under lib/protocol and no module without a spec in this checkout', () => {
    const { status, problems } = check();
    expect(problems).to.deep.equal([]);
    expect(status).to.equal(0);
  });

  it('fails on an I/O import in the protocol core and on a module without a spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layout-'));
    try {
      mkdirSync(join(dir, 'lib', 'protocol'), { recursive: true });
      mkdirSync(join(dir, 'spec', 'protocol'), { recursive: true });
      writeFileSync(join(dir, 'lib', 'protocol', 'leaky.ts'), "import { connect } from 'node:net';\nexport const x = connect;\n");
      writeFileSync(join(dir, 'lib', 'protocol', 'tested.ts'), "import { readFile } from 'fs/promises';\n");
      writeFileSync(join(dir, 'spec', 'protocol', 'tested.topic.spec.ts'), '');
      const { status, problems } = check(['--root', dir]);
      expect(status).to.equal(1);
      expect(problems).to.deep.equal([
        'lib/protocol/leaky.ts imports net: lib/protocol must stay free of I/O',
        'lib/protocol/tested.ts imports fs/promises: lib/protocol must stay free of I/O',
        'lib/protocol/leaky.ts has no spec (expected spec/protocol/leaky.spec.ts)',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
