/**
 * docs/deploy/wsserver.service, the systemd unit of docs/DEPLOYING.md: read as an INI file, it has the
 * keys the doc promises (stop with SIGTERM and a deadline above the server's own drain, restart on
 * failure, the open-files limit, the hardening), and its ExecStart runs a script of this package
 * with the arguments that script takes. `systemd-analyze verify` checks it too where that tool is
 * installed (it needs no running systemd), with the paths of this checkout put in.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './proxy-process';

const UNIT_PATH = join(ROOT, 'docs', 'deploy', 'wsserver.service');

/** Where the unit expects the application to be installed. */
const INSTALL_DIR = '/opt/wsserver';

/** Section → key → values (a key may repeat), comments and blank lines left out. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      return;
    }
    const pair = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (!pair || !current) throw new Error(`wsserver.service:${index + 1}: not a key=value line in a section: ${raw}`);
    current.set(pair[1]!, [...(current.get(pair[1]!) ?? []), pair[2]!]);
  });
  return sections;
}

/** Seconds in a systemd time span such as "30s", "1min 30s" or "90". */
function seconds(span: string): number {
  const units: Record<string, number> = { '': 1, s: 1, sec: 1, min: 60, m: 60, h: 3600 };
  let total = 0;
  for (const part of span.trim().split(/\s+/)) {
    const match = /^(\d+)(s|sec|min|m|h)?$/.exec(part);
    if (!match) throw new Error(`not a time span: ${span}`);
    total += Number(match[1]) * units[match[2] ?? '']!;
  }
  return total;
}

describe('Deploying: the systemd unit (docs/deploy/wsserver.service)', () => {
  const text = readFileSync(UNIT_PATH, 'utf8');
  const unit = parseUnit(text);
  const service = unit.get('Service')!;
  const one = (key: string): string => {
    const values = service.get(key);
    expect(values, `[Service] ${key}=`).to.have.length(1);
    return values![0]!;
  };

  it('has the [Unit], [Service] and [Install] sections, and starts after the network is up', () => {
    expect([...unit.keys()]).to.deep.equal(['Unit', 'Service', 'Install']);
    expect(unit.get('Unit')!.get('After')).to.deep.equal(['network-online.target']);
    expect(unit.get('Install')!.get('WantedBy')).to.deep.equal(['multi-user.target']);
  });

  it('runs a script of this package with node, as its own user, restarting on failure', () => {
    const [node, script, port, drain, metricsPort] = one('ExecStart').split(/\s+/);
    expect(node).to.match(/\/node$/);
    expect(script!.startsWith(`${INSTALL_DIR}/`)).to.equal(true);
    expect(existsSync(join(ROOT, script!.slice(INSTALL_DIR.length + 1))), `${script} in this checkout`).to.equal(true);
    expect([port, drain, metricsPort].map(Number).every(Number.isInteger)).to.equal(true);
    expect(one('User')).to.not.equal('root');
    expect(one('WorkingDirectory')).to.equal(INSTALL_DIR);
    expect(one('Restart')).to.equal('on-failure');
  });

  it("stops with SIGTERM and gives node longer than the server's drain (ShutdownTimeout)", () => {
    expect(one('KillSignal')).to.equal('SIGTERM');
    // graceful-shutdown.mjs takes its ShutdownTimeout (seconds) as the second argument.
    const drain = Number(one('ExecStart').split(/\s+/)[3]);
    expect(seconds(one('TimeoutStopSec'))).to.be.greaterThan(drain);
    expect(one('KillMode')).to.equal('mixed');
  });

  it('raises the open-files limit above MaxConnections (1000 by default, 100000 at most)', () => {
    expect(Number(one('LimitNOFILE'))).to.be.at.least(65536);
  });

  it('is hardened: no new privileges, a read-only system, no capabilities, only IP and Unix sockets', () => {
    for (const key of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'RestrictSUIDSGID', 'LockPersonality']) expect(one(key), key).to.equal('yes');
    expect(one('ProtectSystem')).to.equal('strict');
    expect(one('CapabilityBoundingSet')).to.equal('');
    expect(one('RestrictAddressFamilies').split(' ')).to.have.members(['AF_INET', 'AF_INET6', 'AF_UNIX']);
    // V8 writes the machine code it generates: W^X enforcement would kill node at start.
    expect(service.has('MemoryDenyWriteExecute')).to.equal(false);
  });

  it('passes `systemd-analyze verify` with the paths of this checkout', () => {
    const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    // tools/ci-setup.sh installs it (Debian's systemd package): missing, the setup is broken.
    if (probe.error || probe.status !== 0) throw new Error('systemd-analyze is not installed: `sudo apt-get install systemd` or `sudo bash tools/ci-setup.sh`');
    const dir = mkdtempSync(join(tmpdir(), 'wsserver-unit-'));
    try {
      // The unit's node and install directory are those of a server; verify checks that they exist.
      const [node] = one('ExecStart').split(/\s+/);
      const local = text.replace(`ExecStart=${node} `, `ExecStart=${process.execPath} `).replaceAll(INSTALL_DIR, ROOT);
      writeFileSync(join(dir, 'wsserver.service'), local);
      const result = spawnSync('systemd-analyze', ['verify', join(dir, 'wsserver.service')], { encoding: 'utf8', timeout: 20000 });
      expect({ status: result.status, output: `${result.stdout}${result.stderr}`.trim() }).to.deep.equal({ status: 0, output: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
