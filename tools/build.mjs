// Builds the package.
//   node tools/build.mjs          -> dist/: ESM + CJS bundles (esbuild) and .d.ts files (tsc)
//   node tools/build.mjs --specs  -> the above, plus build/: every .ts under lib/, compat/ and spec/
//                                    transpiled file by file to CommonJS for mocha
// Tools are plain .mjs so that they run on a fresh checkout before anything is compiled.
import { build, transform } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

/** Entry points of the published package: name in dist/ -> source file. */
const entries = {
  index: 'lib/index.ts',
  compat: 'compat/index.ts',
  ids: 'compat/ids.ts',
  ipworks: 'compat/node-edition/index.ts',
};

async function buildDist() {
  await rm(join(root, 'dist'), { recursive: true, force: true });
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  };
  const jobs = [];
  for (const [name, src] of Object.entries(entries)) {
    jobs.push(build({ ...common, entryPoints: [join(root, src)], format: 'esm', outfile: join(root, `dist/${name}.mjs`) }));
    jobs.push(build({ ...common, entryPoints: [join(root, src)], format: 'cjs', outfile: join(root, `dist/${name}.cjs`) }));
  }
  await Promise.all(jobs);
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  // The ID tables as plain JSON, for code generators in other languages.
  const ids = await import(join(root, 'dist/ids.mjs'));
  if (typeof ids.toJSON === 'function') {
    await writeFile(join(root, 'dist/ids.json'), JSON.stringify(ids.toJSON(), null, 2) + '\n');
  }
}

async function* walk(dir) {
  let list;
  try {
    list = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of list) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

async function buildSpecs({ clean }) {
  const out = join(root, 'build');
  if (clean) await rm(out, { recursive: true, force: true });
  const jobs = [];
  for (const top of ['lib', 'compat', 'spec']) {
    for await (const file of walk(join(root, top))) {
      const rel = relative(root, file);
      const target = join(out, rel);
      if (file.endsWith('.ts') && !file.endsWith('.d.ts')) {
        jobs.push(
          (async () => {
            const source = await readFile(file, 'utf8');
            const result = await transform(source, {
              loader: 'ts',
              format: 'cjs',
              platform: 'node',
              target: 'node20',
              sourcemap: 'inline',
              sourcefile: rel,
            });
            await mkdir(dirname(target), { recursive: true });
            await writeFile(target.replace(/\.ts$/, '.js'), result.code);
          })(),
        );
      } else if (!file.endsWith('.d.ts')) {
        // fixtures and other data files travel with the specs
        jobs.push(mkdir(dirname(target), { recursive: true }).then(() => copyFile(file, target)));
      }
    }
  }
  await Promise.all(jobs);
}

export { buildSpecs };

// `--specs-only` is for the quick edit-test loop (tools/spec.mjs): no dist/, no wipe of build/.
if (import.meta.url === `file://${process.argv[1]}`) {
  if (!args.has('--specs-only')) await buildDist();
  if (args.has('--specs') || args.has('--specs-only')) await buildSpecs({ clean: !args.has('--specs-only') });
}
