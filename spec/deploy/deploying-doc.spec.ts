/**
 * docs/DEPLOYING.md shows the files of docs/deploy as they are: the configurations the other deploy
 * specs run are the ones a reader copies. Its links to the other docs lead somewhere.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './proxy-process';

const DOC = readFileSync(join(ROOT, 'docs', 'DEPLOYING.md'), 'utf8');

/** The contents of the doc's fenced code blocks. */
function fencedBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```[\w-]*\n([\s\S]*?)^```$/gm;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) blocks.push(match[1]!);
  return blocks;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\w\s-]/g, '')
    .replace(/\s/g, '-');
}

describe('Deploying: docs/DEPLOYING.md', () => {
  const files = readdirSync(join(ROOT, 'docs', 'deploy')).sort();

  it('shows every file of docs/deploy verbatim in a code block', () => {
    expect(files).to.include.members(['haproxy-http.cfg', 'haproxy-tcp.cfg', 'nginx-tls.conf', 'nginx.conf', 'wsserver.service']);
    const blocks = fencedBlocks(DOC);
    const missing = files.filter((file) => !blocks.includes(readFileSync(join(ROOT, 'docs', 'deploy', file), 'utf8')));
    expect(missing, 'files whose block in DEPLOYING.md differs from the file (or is absent)').to.deep.equal([]);
  });

  it('links to OPERATIONS.md and LIMITS.md instead of repeating them, and every link and anchor exists', () => {
    const links = [...DOC.matchAll(/\]\(([^)#\s]+)(?:#([^)\s]+))?\)/g)].map((m) => ({ path: m[1]!, hash: m[2] }));
    expect(links.map((l) => l.path)).to.include.members(['OPERATIONS.md', 'LIMITS.md']);
    for (const { path, hash } of links.filter((l) => !/^https?:/.test(l.path))) {
      const target = join(ROOT, 'docs', path);
      expect(existsSync(target), `${path} exists`).to.equal(true);
      if (hash) {
        const headings = [...readFileSync(target, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1]!));
        expect(headings, `${path}#${hash}`).to.include(hash);
      }
    }
  });
});
