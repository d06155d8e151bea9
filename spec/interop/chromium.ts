/**
 * Headless Chromium driven over the DevTools protocol directly, with the `ws` package as the CDP
 * client: no browser download, no extra dependency. Debian's binary is started with the flags
 * that keep it off the network, a fresh profile in a temp dir, and DevTools on a loopback port
 * chosen by Chromium itself (read back from its stderr).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { findChromium } from './tools';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
  '--remote-debugging-address=127.0.0.1',
  '--remote-debugging-port=0',
  '--window-size=1100,900',
];

interface Pending {
  resolve(value: any): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** One DevTools connection to the browser; page sessions are multiplexed over it (flatten mode). */
export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(message: { method: string; params: any; sessionId?: string }) => void>();

  private constructor(
    private readonly child: ChildProcess,
    private readonly socket: WebSocket,
    private readonly profile: string,
    /** What Chromium printed on stderr (for failure messages). */
    readonly log: () => string,
  ) {
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString());
      if (typeof message.id === 'number') {
        const waiting = this.pending.get(message.id);
        if (!waiting) return;
        this.pending.delete(message.id);
        clearTimeout(waiting.timer);
        if (message.error) waiting.reject(new Error(`CDP ${message.error.message} (${message.error.code})`));
        else waiting.resolve(message.result);
      } else {
        for (const listener of this.listeners) listener(message);
      }
    });
  }

  /**
   * Starts Chromium and connects to its browser target (bounded by `ms`). `extraFlags` come after
   * the fixed ones, e.g. --ignore-certificate-errors for a wss server with a throw-away certificate.
   */
  static async launch(ms = 20000, extraFlags: readonly string[] = []): Promise<Chromium> {
    const binary = findChromium();
    const profile = mkdtempSync(join(tmpdir(), 'wsserver-chromium-'));
    const child = spawn(binary, [...FLAGS, ...extraFlags, `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`Chromium did not open DevTools within ${ms} ms:\n${stderr.slice(-2000)}`));
      }, ms);
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Chromium exited (${code}) before DevTools was ready:\n${stderr.slice(-2000)}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    }).catch((error) => {
      rmSync(profile, { recursive: true, force: true });
      throw error;
    });
    const socket = new WebSocket(endpoint, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new Chromium(child, socket, profile, () => stderr);
  }

  /** Sends one CDP command (to a page session when sessionId is given) and resolves with its result. */
  send<T = any>(method: string, params: Record<string, unknown> = {}, sessionId?: string, ms = 15000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`CDP ${method} got no answer within ${ms} ms`));
      }, ms);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.send(JSON.stringify(sessionId ? { id, method, params, sessionId } : { id, method, params }));
    });
  }

  /** Resolves with the params of the next event `method` on the session (bounded by `ms`). */
  waitForEvent(method: string, sessionId: string, ms = 15000): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no ${method} within ${ms} ms`));
      }, ms);
      const listener = (message: { method: string; params: any; sessionId?: string }) => {
        if (message.method !== method || message.sessionId !== sessionId) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(message.params);
      };
      this.listeners.add(listener);
    });
  }

  /** Opens a new tab and attaches to it. */
  async newPage(): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    await this.send('Page.enable', {}, sessionId);
    await this.send('Runtime.enable', {}, sessionId);
    return new Page(this, sessionId);
  }

  /** Closes the browser (politely, then by force) and removes the profile. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    await this.send('Browser.close', {}, undefined, 3000).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    for (const waiting of this.pending.values()) clearTimeout(waiting.timer);
    this.pending.clear();
    this.socket.terminate();
    rmSync(this.profile, { recursive: true, force: true });
  }
}

/** One tab. */
export class Page {
  constructor(
    private readonly browser: Chromium,
    private readonly sessionId: string,
  ) {}

  /** Navigates and waits for the load event. */
  async goto(url: string, ms = 15000): Promise<void> {
    const loaded = this.browser.waitForEvent('Page.loadEventFired', this.sessionId, ms);
    const result = await this.browser.send<{ errorText?: string }>('Page.navigate', { url }, this.sessionId);
    if (result.errorText) throw new Error(`navigation to ${url} failed: ${result.errorText}`);
    await loaded;
  }

  /** Evaluates an expression in the page (awaiting a promise) and returns its JSON value. */
  async evaluate<T = any>(expression: string, ms = 15000): Promise<T> {
    const result = await this.browser.send<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      'Runtime.evaluate',
      { expression, awaitPromise: true, returnByValue: true },
      this.sessionId,
      ms,
    );
    if (result.exceptionDetails) {
      throw new Error(`page threw: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`);
    }
    return result.result.value as T;
  }

  /** Polls `expression` until it is truthy (bounded by `ms`). */
  async waitFor(expression: string, ms = 10000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await this.evaluate<boolean>(`Boolean(${expression})`))) {
      if (Date.now() > deadline) throw new Error(`page condition not met within ${ms} ms: ${expression}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Clicks the element matching `selector` (a DOM click, as a user's would dispatch). */
  async click(selector: string): Promise<void> {
    const found = await this.evaluate<boolean>(`(() => { const el = document.querySelector(${JSON.stringify(selector)}); if (!el) return false; el.click(); return true; })()`);
    if (!found) throw new Error(`no element ${selector} to click`);
  }

  /** Puts files into an <input type=file> (what a person does with the file picker). */
  async setFiles(selector: string, files: string[]): Promise<void> {
    const { root } = await this.browser.send<{ root: { nodeId: number } }>('DOM.getDocument', {}, this.sessionId);
    const { nodeId } = await this.browser.send<{ nodeId: number }>('DOM.querySelector', { nodeId: root.nodeId, selector }, this.sessionId);
    if (!nodeId) throw new Error(`no element ${selector}`);
    await this.browser.send('DOM.setFileInputFiles', { files, nodeId }, this.sessionId);
  }

  /** A PNG of the viewport. */
  async screenshot(): Promise<Buffer> {
    const { data } = await this.browser.send<{ data: string }>('Page.captureScreenshot', { format: 'png' }, this.sessionId);
    return Buffer.from(data, 'base64');
  }
}
