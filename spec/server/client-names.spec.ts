/**
 * Host names in AllowedClients / BlockedClients: looked up (every address) at StartListening and when
 * the setting changes, failing closed until the lookup is done. The system resolver is outside the
 * system under test: where a spec needs a name that resolves to both 127.0.0.1 and ::1 (no such name is
 * in this machine's /etc/hosts), node:dns's lookup is stubbed; one spec uses the real resolver.
 */
import { expect } from 'chai';
import { promises as dns, type LookupAddress } from 'node:dns';
import sinon from 'sinon';
import { parseClientList } from '../../lib/server/client-filter';
import { LOOKUP_TIMEOUT_MS, resolveClientNames, type NameFailure } from '../../lib/server/client-names';
import type { ConnectionRequestEvent, ErrorEvent } from '../../lib/server/events';
import { WSServer } from '../../lib/server/ws-server';
import { RawClient } from '../helpers/raw-client';
import { cleanup, record, track } from '../helpers/engine';
import { eventually, startServer } from '../helpers/server';

const BOTH_LOOPBACKS: LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

type Answer = LookupAddress[] | Error | Promise<LookupAddress[]>;

/** Stands in for the system resolver: `answers` by name; any other name does not exist. */
function stubLookup(answers: Record<string, Answer>): sinon.SinonStub {
  const lookup = sinon.stub(dns, 'lookup') as unknown as sinon.SinonStub;
  lookup.callsFake(async (name: string) => {
    const answer = answers[name];
    if (answer === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND', hostname: name });
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return lookup;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Connects from `host` and resolves with ConnectionRequest's default `accept` for it. */
async function decision(server: WSServer, port: number, host: string): Promise<boolean> {
  const requests = record(server, 'ConnectionRequest');
  const client = track(await RawClient.connect(port, host));
  await eventually(() => requests.length > 0, 3000, 'ConnectionRequest');
  server.removeAllListeners('ConnectionRequest');
  client.destroy();
  return (requests[0]![1] as ConnectionRequestEvent).accept;
}

describe('client-names', () => {
  afterEach(async () => {
    sinon.restore();
    await cleanup();
  });

  describe('resolveClientNames', () => {
    it('looks a name up with the real resolver: localhost gives 127.0.0.1 (from /etc/hosts)', async () => {
      const list = parseClientList('localhost, 10.0.0.0/8');
      expect(list.pending).to.equal(true);
      expect(await resolveClientNames('AllowedClients', list, () => undefined)).to.deep.equal([]);
      expect(list.pending).to.equal(false);
      expect(list.addressesOf('localhost')).to.include('127.0.0.1');
    });

    it('asks for every address of both families, in the resolver\'s order, once per name', async () => {
      const lookup = stubLookup({ 'clients.test': BOTH_LOOPBACKS, 'other.test': [{ address: '10.9.8.7', family: 4 }] });
      const list = parseClientList('clients.test, other.test, CLIENTS.test.');
      await resolveClientNames('BlockedClients', list, () => undefined);
      expect(lookup.args).to.deep.equal([
        ['clients.test', { all: true, verbatim: true }],
        ['other.test', { all: true, verbatim: true }],
      ]);
      expect([list.addressesOf('clients.test'), list.addressesOf('other.test')]).to.deep.equal([['127.0.0.1', '::1'], ['10.9.8.7']]);
      expect([list.matches('127.0.0.1'), list.matches('::1'), list.matches('::ffff:10.9.8.7'), list.matches('10.9.8.8')]).to.deep.equal([true, true, true, false]);
    });

    it('reports a name that does not resolve (11001, naming the setting and the name); it matches nothing', async () => {
      stubLookup({});
      const list = parseClientList('nowhere.test');
      const seen: NameFailure[] = [];
      const failures = await resolveClientNames('AllowedClients', list, (f) => seen.push(f));
      expect(failures).to.deep.equal([
        {
          setting: 'AllowedClients',
          name: 'nowhere.test',
          code: 11001,
          description: "[11001] Host not found. AllowedClients: 'nowhere.test' could not be resolved (getaddrinfo ENOTFOUND nowhere.test).",
        },
      ]);
      expect(seen).to.deep.equal(failures);
      expect([list.pending, list.matches('127.0.0.1')]).to.deep.equal([false, false]);
    });

    it('a failed lookup keeps what the name resolved to before', async () => {
      stubLookup({ 'clients.test': Object.assign(new Error('getaddrinfo EAI_AGAIN clients.test'), { code: 'EAI_AGAIN' }) });
      const list = parseClientList('clients.test');
      list.resolved('clients.test', ['127.0.0.1']);
      const [failure] = await resolveClientNames('BlockedClients', list, () => undefined);
      expect(failure?.code).to.equal(11002);
      expect(list.addressesOf('clients.test')).to.deep.equal(['127.0.0.1']);
    });

    it(`a lookup without an answer for ${LOOKUP_TIMEOUT_MS} ms fails (11002) and the name stops being pending; a late answer is taken`, async () => {
      const late = deferred<LookupAddress[]>();
      stubLookup({ 'slow.test': late.promise });
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const list = parseClientList('slow.test');
      const done = resolveClientNames('BlockedClients', list, () => undefined);
      await clock.tickAsync(LOOKUP_TIMEOUT_MS - 1);
      expect(list.pending).to.equal(true);
      await clock.tickAsync(1);
      const [failure] = await done;
      expect([failure?.code, failure?.description]).to.deep.equal([11002, `[11002] Non-authoritative 'Host not found' (try again or check DNS setup). BlockedClients: 'slow.test' could not be resolved (no answer within ${LOOKUP_TIMEOUT_MS} ms).`]);
      expect(list.pending).to.equal(false);
      late.resolve([{ address: '::1', family: 6 }]);
      await late.promise;
      await Promise.resolve();
      expect(list.matches('::1')).to.equal(true);
    });
  });

  describe('AllowedClients over real sockets', () => {
    it('a name resolving to 127.0.0.1 and ::1 admits clients from both; one resolving elsewhere refuses them', async () => {
      stubLookup({ 'clients.test': BOTH_LOOPBACKS, 'elsewhere.test': [{ address: '10.9.8.7', family: 4 }] });
      const v4 = await startServer({ localHost: '127.0.0.1', config: { AllowedClients: 'clients.test' } });
      const v6 = await startServer({ localHost: '::1', config: { AllowedClients: 'clients.test', UseIPv6: 1 } });
      expect(await decision(v4.server, v4.port, '127.0.0.1')).to.equal(true);
      expect(await decision(v6.server, v6.port, '::1')).to.equal(true);
      const other = await startServer({ localHost: '::1', config: { AllowedClients: 'elsewhere.test', UseIPv6: 1 } });
      expect(await decision(other.server, other.port, '::1')).to.equal(false);
    });

    it('a client from ::1 admitted by name completes its WebSocket handshake', async () => {
      stubLookup({ 'clients.test': BOTH_LOOPBACKS });
      const { port } = await startServer({ localHost: '::1', config: { AllowedClients: 'clients.test', UseIPv6: 1 } });
      const client = track(await RawClient.connect(port, '::1'));
      expect((await client.handshake()).status).to.equal(101);
    });

    it('a name that does not resolve refuses everyone and is reported through Error (connection id 0, 11001); listening goes on', async () => {
      stubLookup({});
      const server = new WSServer({ localHost: '127.0.0.1', localPort: 0, config: { AllowedClients: 'nowhere.test' } });
      const errors = record(server, 'Error');
      await server.startListening();
      try {
        expect(server.listening).to.equal(true);
        expect(errors.map(([, e]) => [(e as ErrorEvent).connectionId, (e as ErrorEvent).errorCode])).to.deep.equal([[0, 11001]]);
        expect(await decision(server, server.localPort, '127.0.0.1')).to.equal(false);
      } finally {
        await server.shutdown();
      }
    });

    it('a new list set while listening refuses its unresolved names until the lookup is done (fail closed)', async () => {
      const answer = deferred<LookupAddress[]>();
      stubLookup({ 'clients.test': answer.promise });
      const { server, port } = await startServer({ localHost: '127.0.0.1' });
      server.config('AllowedClients=clients.test');
      expect(await decision(server, port, '127.0.0.1')).to.equal(false);
      answer.resolve(BOTH_LOOPBACKS);
      await eventually(() => !server.acceptor.allowed.pending, 3000, 'the lookup');
      expect(await decision(server, port, '127.0.0.1')).to.equal(true);
    });

    it('a changed list keeps the addresses of the names it shares with the old one while it is looked up again', async () => {
      const lookup = stubLookup({ 'clients.test': BOTH_LOOPBACKS });
      const { server, port } = await startServer({ localHost: '127.0.0.1', config: { AllowedClients: 'clients.test' } });
      lookup.callsFake(() => new Promise(() => undefined));
      server.config('AllowedClients=clients.test, 10.0.0.0/8');
      expect(await decision(server, port, '127.0.0.1')).to.equal(true);
    });
  });

  describe('BlockedClients over real sockets', () => {
    it('a name resolving to 127.0.0.1 and ::1 refuses clients from both; one resolving elsewhere lets them in', async () => {
      stubLookup({ 'clients.test': BOTH_LOOPBACKS, 'elsewhere.test': [{ address: '10.9.8.7', family: 4 }] });
      const v4 = await startServer({ localHost: '127.0.0.1', config: { BlockedClients: 'clients.test' } });
      const v6 = await startServer({ localHost: '::1', config: { BlockedClients: 'clients.test', UseIPv6: 1 } });
      expect(await decision(v4.server, v4.port, '127.0.0.1')).to.equal(false);
      expect(await decision(v6.server, v6.port, '::1')).to.equal(false);
      const other = await startServer({ localHost: '::1', config: { BlockedClients: 'elsewhere.test', UseIPv6: 1 } });
      expect(await decision(other.server, other.port, '::1')).to.equal(true);
    });

    it('a new list set while listening refuses every client until its names are resolved (fail closed), then only the blocked ones', async () => {
      const answer = deferred<LookupAddress[]>();
      stubLookup({ 'elsewhere.test': answer.promise });
      const { server, port } = await startServer({ localHost: '127.0.0.1' });
      server.config('BlockedClients=elsewhere.test');
      expect(await decision(server, port, '127.0.0.1')).to.equal(false);
      answer.resolve([{ address: '10.9.8.7', family: 4 }]);
      await eventually(() => !server.acceptor.blocked.pending, 3000, 'the lookup');
      expect(await decision(server, port, '127.0.0.1')).to.equal(true);
    });

    it('a blocked name that does not resolve blocks nobody, and Error says so', async () => {
      stubLookup({});
      const { server, port } = await startServer({ localHost: '127.0.0.1' });
      const errors = record(server, 'Error');
      server.config('BlockedClients=nowhere.test');
      await eventually(() => errors.length === 1, 3000, 'the Error event');
      expect((errors[0]![1] as ErrorEvent).errorCode).to.equal(11001);
      expect(await decision(server, port, '127.0.0.1')).to.equal(true);
    });
  });
});
