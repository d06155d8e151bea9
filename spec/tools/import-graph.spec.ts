import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const tool = join(root, 'tools', 'import-graph.mjs');

interface Circle {
  files: string[];
  imports: string[];
}

function circlesUnder(dir?: string): { status: number | null; circles: Circle[] } {
  const result = spawnSync(process.execPath, [tool, '--json', ...(dir ? ['--root', dir] : [])], { encoding: 'utf8' });
  return { status: result.status, circles: JSON.parse(result.stdout || '[]') as Circle[] };
}

/** A throw-away tree with these files (path → source). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'imports-'));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  return dir;
}

describe('tools/import-graph.mjs', () => {
  it('finds no import circle under lib/ and compat/ of this checkout', () => {
    const { status, circles } = circlesUnder();
    expect(circles).to.deep.equal([]);
    expect(status).to.equal(0);
  });

  it('finds a circle across folders, type-only imports and index files included, and names its imports', () => {
    const dir = tree({
      'lib/a.ts': "import type { B } from './b';\nexport interface A { b: B }\n",
      'lib/b.ts': "import { c } from '../compat';\nexport interface B {}\nexport const b = c;\n",
      'compat/index.ts': "export { a } from './c';\nexport const c = 1;\n",
      'compat/c.ts': "import type { A } from '../lib/a';\nexport const a: A | null = null;\n",
      'lib/free.ts': "import { b } from './b';\n// import { x } from './free'; (a comment, not an import)\nexport const f = b;\n",
    });
    try {
      const { status, circles } = circlesUnder(dir);
      expect(status).to.equal(1);
      expect(circles).to.deep.equal([
        {
          files: ['compat/c.ts', 'compat/index.ts', 'lib/a.ts', 'lib/b.ts'],
          imports: ['compat/c.ts -> lib/a.ts', 'compat/index.ts -> compat/c.ts', 'lib/a.ts -> lib/b.ts', 'lib/b.ts -> compat/index.ts'],
        },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds a file that imports itself, and nothing in a tree without circles', () => {
    const looped = tree({ 'lib/self.ts': "export * from './self';\n" });
    const clean = tree({ 'lib/x.ts': "import { y } from './y';\nimport { z } from 'node:zlib';\nexport const x = [y, z];\n", 'lib/y.ts': 'export const y = 1;\n' });
    try {
      expect(circlesUnder(looped).circles).to.deep.equal([{ files: ['lib/self.ts'], imports: ['lib/self.ts -> lib/self.ts'] }]);
      expect(circlesUnder(clean)).to.deep.equal({ status: 0, circles: [] });
    } finally {
      rmSync(looped, { recursive: true, force: true });
      rmSync(clean, { recursive: true, force: true });
    }
  });
});
