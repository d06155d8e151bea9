import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ErrorCode } from '../../lib/generated/api';
import type { SSLConnectionRequestEvent } from '../../lib/server/events';
import type { WSServer } from '../../lib/server/ws-server';
import { PASSWORD, fixturePath, fixtureText } from './fixtures';
import { cleanUp, echoServer, handshake, openWss, rejection, roundTrip, tlsServer } from './helpers';

const TLS12_AND_13 = 3072 + 12288;

function idOf(server: WSServer): number {
  return [...server.connections.keys()].pop()!;
}

function negotiatedOf(server: WSServer, id = idOf(server)): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['Version', 'CipherSuite', 'Cipher', 'CipherStrength', 'KeyExchange', 'KeyExchangeStrength']) {
    out[name] = server.config(`SSLNegotiated${name}[${id}]`);
  }
  return out;
}

function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => (check() ? resolve() : Date.now() > deadline ? reject(new Error('timed out')) : setTimeout(tick, 5));
    tick();
  });
}

describe('tls: the handshake, its events and the SSL settings', () => {
  afterEach(cleanUp);

  describe('SSLConnectionRequest', () => {
    it('shows the offered suites and signature schemes as IANA names', async () => {
      const server = tlsServer();
      const seen: SSLConnectionRequestEvent[] = [];
      server.on('SSLConnectionRequest', (e) => seen.push({ ...e }));
      await server.startListening();
      await handshake(server.localPort, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA', sigalgs: 'rsa_pss_rsae_sha256:RSA+SHA256:ecdsa_secp256r1_sha256' });
      expect(seen).to.have.length(1);
      expect(seen[0]).to.deep.equal({
        connectionId: idOf(server),
        supportedCipherSuites: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_256_CBC_SHA',
        supportedSignatureAlgs: 'rsa_pss_rsae_sha256,rsa_pkcs1_sha256,ecdsa_secp256r1_sha256',
        certStoreType: 2,
        certStore: '',
        certPassword: '',
        certSubject: '',
      });
    });

    it('lets the application serve an ECDSA certificate to clients that offer ECDSA suites, RSA to others', async () => {
      const server = tlsServer(undefined, { SSLEnabledProtocols: 3072 });
      server.on('SSLConnectionRequest', (e) => {
        if (e.supportedCipherSuites.includes('_ECDSA_')) {
          e.certStoreType = 2;
          e.certStore = fixturePath('server-ecdsa.pfx');
          e.certPassword = PASSWORD;
          e.certSubject = '*';
        }
      });
      server.on('DataIn', (e) => void server.sendText(e.connectionId, `echo ${e.text}`));
      await server.startListening();
      const ecdsa = await handshake(server.localPort, { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
      expect(ecdsa.certificate.subject.OU).to.equal('ECDSA');
      expect(ecdsa.cipher).to.equal('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      const rsa = await handshake(server.localPort, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
      expect(rsa.certificate.subject.OU).to.equal(undefined);
      expect(rsa.socket.getPeerX509Certificate()!.publicKey.asymmetricKeyType).to.equal('rsa');
      // The chosen certificate carries the whole WebSocket session.
      const ws = await openWss(server.localPort, { ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
      expect(await roundTrip(ws, 'ec')).to.equal('echo ec');
    });

    it('a subject alone picks another certificate of the same store', async () => {
      const server = tlsServer({ storeType: 6, store: fixturePath('two-servers.pem'), subject: 'CN=localhost' });
      server.on('SSLConnectionRequest', (e) => (e.certSubject = 'OU=ECDSA'));
      await server.startListening();
      expect((await handshake(server.localPort)).certificate.subject.OU).to.equal('ECDSA');
    });

    it('an alternate certificate that cannot be used closes the connection and reports the error', async () => {
      const server = tlsServer();
      const errors: Array<[number, string]> = [];
      server.on('Error', (e) => errors.push([e.errorCode, e.description]));
      server.on('SSLConnectionRequest', (e) => {
        e.certStoreType = 2;
        e.certStore = fixturePath('server-ecdsa.pfx');
        e.certPassword = 'wrong';
      });
      await server.startListening();
      expect(await rejection(handshake(server.localPort))).to.be.instanceOf(Error);
      expect(errors).to.have.length(1);
      expect(errors[0]![0]).to.equal(ErrorCode.CannotOpenCertStore);
      expect(errors[0]![1]).to.match(/^Cannot open certificate store\. The certificate chosen in SSLConnectionRequest cannot be used: Wrong password for the PFX store: wrong password/);
    });

    it('reads a ClientHello that arrives a byte at a time', async () => {
      const server = tlsServer();
      const seen: string[] = [];
      server.on('SSLConnectionRequest', (e) => seen.push(e.supportedCipherSuites));
      await server.startListening();
      // A minimal TLS 1.2 ClientHello offering TLS_RSA_WITH_AES_128_CBC_SHA only (RFC 5246 §7.4.1.2).
      const body = Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32, 7), Buffer.from([0, 0, 2, 0x00, 0x2f, 1, 0])]);
      const record = Buffer.concat([Buffer.from([22, 3, 1, 0, body.length + 4, 1, 0, 0, body.length]), body]);
      const socket = netConnect(server.localPort, '127.0.0.1');
      socket.on('error', () => undefined);
      for (const byte of record) {
        socket.write(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor(() => seen.length === 1);
      expect(seen).to.deep.equal(['TLS_RSA_WITH_AES_128_CBC_SHA']);
      socket.destroy();
    });

    it('holds the handshake until DoEvents fires the event (ProcessIdleEvents=false)', async () => {
      const server = tlsServer(undefined, { ProcessIdleEvents: false });
      const fired: number[] = [];
      server.on('SSLConnectionRequest', (e) => fired.push(e.connectionId));
      await server.startListening();
      let done = false;
      const pending = handshake(server.localPort).then((h) => ((done = true), h));
      await waitFor(() => server.wsConnectionCount === 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect([fired.length, done]).to.deep.equal([0, false]);
      while (fired.length === 0) await server.doEvents();
      expect((await pending).protocol).to.equal('TLSv1.2');
    });
  });

  describe('SSLEnabledProtocols, SSLEnabledCipherSuites (checked from node:tls clients)', () => {
    it('the default (4032) stops at TLS 1.2; a TLS 1.3-only client fails with 276', async () => {
      const server = await echoServer();
      const errors: number[] = [];
      const statuses: string[] = [];
      server.on('Error', (e) => errors.push(e.errorCode));
      server.on('SSLStatus', (e) => statuses.push(e.message));
      expect((await handshake(server.localPort)).protocol).to.equal('TLSv1.2');
      expect(await rejection(handshake(server.localPort, { minVersion: 'TLSv1.3' }))).to.be.instanceOf(Error);
      await waitFor(() => errors.length > 0);
      expect(errors).to.deep.equal([ErrorCode.SSLHandshakeError]);
      expect(statuses).to.include('TLS handshake failed: unsupported protocol.');
    });

    it('TLS 1.3 when its bit is set; TLS 1.3 alone refuses TLS 1.2 clients', async () => {
      const both = await echoServer(undefined, { SSLEnabledProtocols: TLS12_AND_13 });
      expect((await handshake(both.localPort)).protocol).to.equal('TLSv1.3');
      const only13 = await echoServer(undefined, { SSLEnabledProtocols: 12288 });
      expect((await handshake(only13.localPort, { minVersion: 'TLSv1.3' })).protocol).to.equal('TLSv1.3');
      expect(await rejection(handshake(only13.localPort, { maxVersion: 'TLSv1.2' }))).to.be.instanceOf(Error);
    });

    it('TLS 1.1 with @SECLEVEL=0 in OpenSSLCipherList (OpenSSL 3 refuses it otherwise)', async () => {
      const legacy = await echoServer(undefined, { OpenSSLCipherList: 'DEFAULT:@SECLEVEL=0' });
      const h = await handshake(legacy.localPort, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
      expect(h.protocol).to.equal('TLSv1.1');
      const strict = await echoServer(undefined, { OpenSSLCipherList: 'DEFAULT:@SECLEVEL=0', SSLEnabledProtocols: 3072 });
      expect(await rejection(handshake(strict.localPort, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }))).to.be.instanceOf(Error);
    });

    it('only the enabled suites are negotiated', async () => {
      const server = await echoServer(undefined, { SSLEnabledCipherSuites: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384;TLS_RSA_WITH_AES_128_GCM_SHA256' });
      expect((await handshake(server.localPort)).cipher).to.equal('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
      expect((await handshake(server.localPort, { ciphers: 'AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256' })).cipher).to.equal('TLS_RSA_WITH_AES_128_GCM_SHA256');
      expect(await rejection(handshake(server.localPort, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }))).to.be.instanceOf(Error);
    });

    it('TLS 1.3 suites are restricted separately', async () => {
      const server = await echoServer(undefined, { SSLEnabledProtocols: TLS12_AND_13, SSLEnabledCipherSuites: 'TLS_CHACHA20_POLY1305_SHA256' });
      expect((await handshake(server.localPort)).cipher).to.equal('TLS_CHACHA20_POLY1305_SHA256');
      expect(await rejection(handshake(server.localPort, { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' }))).to.be.instanceOf(Error);
    });
  });

  describe('SSLNegotiated*[ConnectionId]', () => {
    it('TLS 1.3 over X25519', async () => {
      const server = await echoServer(undefined, { SSLEnabledProtocols: TLS12_AND_13 });
      await openWss(server.localPort, { ciphers: 'TLS_AES_128_GCM_SHA256', ecdhCurve: 'X25519' });
      expect(negotiatedOf(server)).to.deep.equal({
        Version: 'TLS1.3',
        CipherSuite: 'TLS_AES_128_GCM_SHA256',
        Cipher: 'AES_128_GCM',
        CipherStrength: '128',
        KeyExchange: 'ECDHE',
        KeyExchangeStrength: '253',
      });
    });

    it('TLS 1.2 ECDHE over P-384, and RSA key exchange', async () => {
      const server = await echoServer();
      await openWss(server.localPort, { ciphers: 'ECDHE-RSA-AES256-GCM-SHA384', ecdhCurve: 'P-384' });
      expect(negotiatedOf(server)).to.deep.equal({
        Version: 'TLS1.2',
        CipherSuite: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
        Cipher: 'AES_256_GCM',
        CipherStrength: '256',
        KeyExchange: 'ECDHE',
        KeyExchangeStrength: '384',
      });
      await openWss(server.localPort, { ciphers: 'AES128-SHA' });
      expect(negotiatedOf(server)).to.deep.include({ CipherSuite: 'TLS_RSA_WITH_AES_128_CBC_SHA', Cipher: 'AES_128_CBC', KeyExchange: 'RSA', KeyExchangeStrength: '2048' });
    });
  });

  describe('SSLStatus, LogSSLPackets, DefaultConnectionTimeout', () => {
    it('reports the handshake step by step', async () => {
      const server = await echoServer();
      const statuses: Array<[number, string]> = [];
      server.on('SSLStatus', (e) => statuses.push([e.connectionId, e.message]));
      await openWss(server.localPort);
      const id = idOf(server);
      expect(statuses.map(([cid]) => cid)).to.deep.equal([id, id]);
      expect(statuses[0]![1]).to.match(/^ClientHello received: up to TLS1\.3, \d+ cipher suites, server name localhost\.$/);
      expect(statuses[1]![1]).to.match(/^Handshake complete: TLS1\.2, TLS_ECDHE_RSA_WITH_AES_\d+_GCM_SHA\d+\.$/);
    });

    it('LogSSLPackets reports every TLS record, and the WebSocket works through it', async () => {
      const server = await echoServer(undefined, { LogSSLPackets: true });
      const statuses: string[] = [];
      server.on('SSLStatus', (e) => statuses.push(e.message));
      const ws = await openWss(server.localPort);
      expect(await roundTrip(ws, 'logged')).to.equal('echo logged');
      expect(statuses.some((s) => /^Received TLS record: Handshake, version 3\.1, \d+ bytes$/.test(s))).to.equal(true);
      expect(statuses.some((s) => /^Sent TLS record: Handshake, version 3\.3, \d+ bytes$/.test(s))).to.equal(true);
      expect(statuses.some((s) => /^Received TLS record: ApplicationData, version 3\.3, \d+ bytes$/.test(s))).to.equal(true);
      expect(statuses.some((s) => s.startsWith('Handshake complete: TLS1.2'))).to.equal(true);
    });

    it('drops a client that connects and says nothing (DefaultConnectionTimeout)', async () => {
      const server = await echoServer(undefined, { DefaultConnectionTimeout: 1 });
      const statuses: string[] = [];
      server.on('SSLStatus', (e) => statuses.push(e.message));
      const started = Date.now();
      const closed = await new Promise<number>((resolve) => {
        const socket = netConnect(server.localPort, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(Date.now() - started));
      });
      expect(closed).to.be.within(900, 2500);
      expect(statuses).to.deep.equal(['TLS handshake timed out after 1 s.']);
      await waitFor(() => server.wsConnectionCount === 0);
    });

    it('drops a client that does not speak TLS, saying what it sent', async () => {
      const server = await echoServer();
      const statuses: string[] = [];
      server.on('SSLStatus', (e) => statuses.push(e.message));
      await new Promise<void>((resolve) => {
        const socket = netConnect(server.localPort, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
      });
      expect(statuses).to.deep.equal(['Not a TLS connection: plain text (an HTTP request?) instead of a TLS ClientHello.']);
    });
  });

  describe('SSLKeyLogFile, ReuseSSLSession, SSLEnableRenegotiation', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'wsserver-tls-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('appends the session secrets the client also sees, in SSLKEYLOGFILE format', async () => {
      const file = join(dir, 'keys.log');
      writeFileSync(file, '# earlier content\n');
      const server = await echoServer(undefined, { SSLKeyLogFile: file, SSLEnabledProtocols: TLS12_AND_13 });
      const clientLines: string[] = [];
      const ws = await new Promise<TLSSocket>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: server.localPort, ca: fixtureText('ca.crt'), servername: 'localhost' }, () => resolve(socket));
        socket.on('keylog', (line) => clientLines.push(line.toString().trim()));
        socket.on('error', reject);
      });
      await waitFor(() => readFileSync(file, 'utf8').trim().split('\n').length >= 6);
      ws.destroy();
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines[0]).to.equal('# earlier content');
      for (const line of lines.slice(1)) expect(line).to.match(/^(CLIENT|SERVER)_(HANDSHAKE|TRAFFIC)_[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,}$|^EXPORTER_SECRET [0-9a-f]{64} [0-9a-f]+$/);
      expect([...lines.slice(1)].sort()).to.deep.equal([...clientLines].sort());
    });

    it('creates the key-log file readable by its owner only (0600)', async () => {
      const file = join(dir, 'new-keys.log');
      const server = await echoServer(undefined, { SSLKeyLogFile: file });
      const { socket } = await handshake(server.localPort);
      await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes('CLIENT_RANDOM'));
      socket.destroy();
      expect((statSync(file).mode & 0o777).toString(8)).to.equal('600');
    });

    it('resumes TLS sessions only with ReuseSSLSession=true', async () => {
      for (const reuse of [false, true]) {
        const server = await echoServer(undefined, { ReuseSSLSession: reuse });
        const first = await handshake(server.localPort);
        const session = first.socket.getSession();
        const second = await handshake(server.localPort, { session });
        expect(second.socket.isSessionReused(), `ReuseSSLSession=${reuse}`).to.equal(reuse);
      }
    });

    it('SSLEnableRenegotiation=false leaves a renegotiation unanswered', async () => {
      const outcome = async (enabled: boolean) => {
        const server = await echoServer(undefined, { SSLEnableRenegotiation: enabled });
        const { socket } = await handshake(server.localPort);
        return new Promise<string>((resolve) => {
          const timer = setTimeout(() => resolve('no answer'), 500);
          socket.renegotiate({}, (error) => {
            clearTimeout(timer);
            resolve(error ? 'refused' : 'renegotiated');
          });
        });
      };
      expect(await outcome(true)).to.equal('renegotiated');
      expect(await outcome(false)).to.not.equal('renegotiated');
    });
  });

  describe('openssl s_client', () => {
    const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
    const hasOpenssl = openssl.status === 0;

    /** Runs s_client, sends an upgrade request, returns everything it printed. */
    function sClient(port: number, args: string[]): Promise<string> {
      return new Promise((resolve) => {
        const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', fixturePath('ca.crt'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk) => {
          output += chunk;
          if (output.includes('HTTP/1.1 101')) child.kill();
        });
        child.stderr.on('data', (chunk) => (output += chunk));
        child.on('close', () => resolve(output));
        setTimeout(() => child.kill(), 5000).unref();
        setTimeout(() => {
          child.stdin.write('GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
        }, 300);
      });
    }

    it('connects with TLS 1.2 and a chosen suite, verifies the chain and gets the upgrade', async function () {
      if (!hasOpenssl) throw new Error('openssl s_client not found: install it with `apt-get install openssl` (tools/ci-setup.sh does)');
      const server = await echoServer();
      const output = await sClient(server.localPort, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384']);
      expect(output).to.match(/Protocol\s*: TLSv1\.2/);
      expect(output).to.match(/Cipher\s*: ECDHE-RSA-AES256-GCM-SHA384/);
      expect(output).to.contain('Verify return code: 0 (ok)');
      expect(output).to.contain('HTTP/1.1 101 Switching Protocols');
      expect(output).to.contain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    });

    it('is refused TLS 1.3 by default and gets it when enabled', async function () {
      if (!hasOpenssl) throw new Error('openssl s_client not found: install it with `apt-get install openssl` (tools/ci-setup.sh does)');
      const byDefault = await echoServer();
      expect(await sClient(byDefault.localPort, ['-tls1_3'])).to.match(/alert protocol version|no protocols available|wrong version number/);
      const enabled = await echoServer(undefined, { SSLEnabledProtocols: TLS12_AND_13 });
      const output = await sClient(enabled.localPort, ['-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256']);
      expect(output).to.match(/New, TLSv1\.3, Cipher is TLS_CHACHA20_POLY1305_SHA256/);
      expect(output).to.contain('HTTP/1.1 101 Switching Protocols');
    });
  });
});
