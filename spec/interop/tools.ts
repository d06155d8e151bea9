/**
 * Finding the independent clients the interop specs drive, and running a child process under a
 * time bound. A missing tool is an error that says exactly what to install — these specs never
 * pass silently on a machine without the tools.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const SETUP_HINT = 'or run `sudo bash tools/ci-setup.sh`, which installs every tool the specs need';

/** The Python interpreter that has Debian's python3-websockets (the system one, not a pyenv shim). */
export function findPythonWithWebsockets(): string {
  const candidates = ['/usr/bin/python3', 'python3'];
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import websockets; print(websockets.__version__)'], { encoding: 'utf8', timeout: 10000 });
    if (probe.status === 0) return python;
  }
  throw new Error(`Python's websockets package is missing: install it with \`sudo apt-get install python3-websockets\` (${SETUP_HINT})`);
}

/** Debian's Chromium binary. */
export function findChromium(): string {
  for (const path of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(path)) return path;
  const which = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  throw new Error(`Chromium is missing: install it with \`sudo apt-get install chromium\` (${SETUP_HINT})`);
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, killing it (SIGKILL) after `ms`; rejects with the output when killed. */
export function runProcess(command: string, args: string[], ms: number, env?: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${ms} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, ms);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The Python client of the interop specs (spec/interop/python-client.py, copied beside the build). */
const PYTHON_CLIENT = join(__dirname, 'python-client.py');

/**
 * Runs one scenario of python-client.py (15 s bound) and returns its JSON report; a client that
 * failed or printed no report makes this throw with what it printed.
 */
export async function runPythonClient(url: string, scenario: string, ...extra: string[]): Promise<Record<string, any>> {
  const interpreter = findPythonWithWebsockets();
  const result = await runProcess(interpreter, [PYTHON_CLIENT, url, scenario, ...extra], 15000);
  const last = result.stdout.trim().split('\n').pop() ?? '';
  let report: Record<string, any>;
  try {
    report = JSON.parse(last);
  } catch {
    throw new Error(`python client printed no report (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  if (result.code !== 0) throw new Error(`python client failed: ${report.error ?? last}\n${result.stderr}`);
  return report;
}
