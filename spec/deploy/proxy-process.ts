/**
 * Running Debian's nginx and haproxy in front of a server, for the deploy specs: each proxy is its own
 * foreground process with its configuration, pid file, logs and temp files in a fresh temp dir, on
 * 127.0.0.1 and a free port; it is stopped (its whole process group) after the case. The system
 * services and their paths under /etc, /run and /var are never touched.
 *
 * The configurations are docs/deploy's files, read as they are: only the addresses, ports and paths
 * a test machine must change are replaced, and each replacement must match where the doc says, so
 * the doc's configurations are the ones that ran.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The repository's root (specs run from build/spec/deploy). */
export const ROOT = join(__dirname, '..', '..', '..');

const INSTALL_HINT = 'install it with `sudo apt-get install nginx haproxy` or `sudo bash tools/ci-setup.sh`';

/**
 * The proxy's binary (/usr/sbin first, which a non-root PATH often lacks). Absent, the suite fails with
 * how to install it, as the interop suites do for Chromium and Python: tools/ci-setup.sh installs both
 * proxies, so a missing one is a broken setup, not a case to skip.
 */
export function requireBinary(name: 'nginx' | 'haproxy'): string {
  const dirs = ['/usr/sbin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(delimiter)];
  for (const dir of dirs) if (dir && existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`${name} is not installed: ${INSTALL_HINT}`);
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * docs/deploy/<file> with each [from, to] replaced; `from` must occur exactly once, so a doc that
 * changed shape fails here instead of running something else.
 */
export function deployConfig(file: string, replacements: Array<[string, string]>): string {
  let text = readFileSync(join(ROOT, 'docs', 'deploy', file), 'utf8');
  for (const [from, to] of replacements) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`docs/deploy/${file}: expected "${from}" once, found it ${count} times`);
    text = text.replace(from, to);
  }
  return text;
}

export interface ProxyProcess {
  port: number;
  dir: string;
  /** What the proxy printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ProxyProcess>();

/** Process groups still running, killed if mocha exits without stopping them (a failed hook, --exit). */
const groups = new Set<number>();
process.once('exit', () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Stops every proxy started by startNginx / startHaproxy (call in afterEach). */
export async function stopProxies(): Promise<void> {
  const proxies = [...running];
  running.clear();
  await Promise.all(proxies.map((p) => p.stop()));
}

/** Resolves once 127.0.0.1:port accepts a TCP connection; rejects after `ms`. */
async function waitForListener(port: number, child: ChildProcess, output: () => string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the proxy exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    if (Date.now() > deadline) throw new Error(`the proxy did not listen on ${port} within ${ms} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Spawns the proxy in its own process group and waits until it listens on `port`. */
async function launch(command: string, args: string[], port: number, dir: string): Promise<ProxyProcess> {
  // detached: its own process group, so nginx's workers go with the master when it is killed.
  const child = spawn(command, args, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  if (child.pid !== undefined) groups.add(child.pid);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => (text += `\nspawn error: ${error.message}`));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone already
    }
  };
  const proxy: ProxyProcess = {
    port,
    dir,
    output: () => text,
    async stop() {
      running.delete(proxy);
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        signalGroup('SIGTERM');
        const killed = setTimeout(() => signalGroup('SIGKILL'), 3000);
        await exited;
        clearTimeout(killed);
        // workers that outlived their master (they should not) go too
        signalGroup('SIGKILL');
      }
      if (child.pid !== undefined) groups.delete(child.pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(proxy);
  try {
    await waitForListener(port, child, proxy.output, 10000);
  } catch (error) {
    await proxy.stop();
    throw error;
  }
  return proxy;
}

/**
 * nginx with the given site files (conf.d style: map, upstream, server blocks) inside a minimal
 * main configuration whose every path is in the temp dir. `port` is where the first site listens.
 */
export async function startNginx(sites: string[], port: number): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'wsserver-nginx-'));
  const includes = sites.map((text, i) => {
    writeFileSync(join(dir, `site-${i}.conf`), text);
    return `    include ${join(dir, `site-${i}.conf`)};`;
  });
  const main = [
    'worker_processes 1;',
    'events { worker_connections 256; }',
    'http {',
    `    access_log ${join(dir, 'access.log')};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${kind}_temp_path ${join(dir, kind)};`),
    ...includes,
    '}',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nginx.conf'), main);
  const global = `daemon off; pid ${join(dir, 'nginx.pid')}; error_log stderr;`;
  return launch(requireBinary('nginx'), ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', global], port, dir);
}

/**
 * haproxy in the foreground (-db) with a test global section (logs to stderr, an admin socket in the
 * temp dir for `show stat`) followed by the doc's file.
 */
export async function startHaproxy(config: string, port: number): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'wsserver-haproxy-'));
  const global = ['global', '    log stderr format raw local0 info', `    stats socket ${join(dir, 'admin.sock')} mode 600 level admin`, ''].join('\n');
  writeFileSync(join(dir, 'global.cfg'), global);
  writeFileSync(join(dir, 'site.cfg'), config);
  return launch(requireBinary('haproxy'), ['-db', '-f', join(dir, 'global.cfg'), '-f', join(dir, 'site.cfg')], port, dir);
}

/** One command on haproxy's admin socket (e.g. `show stat`), answered as text. */
export function haproxyCommand(proxy: ProxyProcess, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(proxy.dir, 'admin.sock'));
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(3000, () => socket.destroy(new Error(`haproxy did not answer "${command}"`)));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('connect', () => socket.write(`${command}\n`));
    socket.once('end', () => resolve(answer));
    socket.once('error', reject);
  });
}
