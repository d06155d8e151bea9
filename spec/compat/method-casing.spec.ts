/**
 * PHP's case-insensitive method names in the PHP-style class: fire… overrides in any case are found
 * (once per class), the get…, set… and do… methods answer in lower case, UPPER case and PascalCase,
 * and a class that spells one handler twice fails at construction. The last spec is the vendor
 * sample's spelling over a real socket.
 */
import { expect } from 'chai';
import { types } from 'node:util';
import { ErrorCode, EVENTS } from '../../lib/generated/api';
import { IPWorksSSL_WSServer, IPWorksSSLError } from '../../compat';
import type { EventParams } from '../../compat/events';
import { caseSpellings, defineCaseAliases, eventMethodKeys } from '../../compat/method-casing';
import { RawClient } from '../helpers/raw-client';
import { eventually } from '../helpers/server';

const EVENT_NAMES = EVENTS.map((e) => e.name);
type AnyCase = Record<string, (...args: unknown[]) => any>;

describe('compat method casing', () => {
  const made: IPWorksSSL_WSServer[] = [];
  afterEach(() => {
    for (const server of made.splice(0)) server.dispose();
  });
  function track<T extends IPWorksSSL_WSServer>(server: T): T {
    made.push(server);
    return server;
  }

  describe('caseSpellings', () => {
    it('gives lower case, UPPER case and PascalCase, without the name itself or repeats', () => {
      expect(caseSpellings('doSendText')).to.deep.equal(['dosendtext', 'DOSENDTEXT', 'DoSendText']);
      expect(caseSpellings('getWSConnectionRemoteHost')).to.deep.equal(['getwsconnectionremotehost', 'GETWSCONNECTIONREMOTEHOST', 'GetWSConnectionRemoteHost']);
      expect(caseSpellings('do')).to.deep.equal(['DO', 'Do']);
    });
  });

  describe('defineCaseAliases', () => {
    it('defines non-enumerable aliases that call the camelCase method through this; existing names are kept', () => {
      class Target {
        doThing(a: number) {
          return a + 1;
        }
        DoThing() {
          return 'own';
        }
        other() {
          return 0;
        }
      }
      defineCaseAliases(Target.prototype, (name) => name.startsWith('do'));
      const t = new Target() as unknown as AnyCase;
      expect(t.dothing!(1)).to.equal(2);
      expect(t.DOTHING!(2)).to.equal(3);
      expect(t.DoThing!()).to.equal('own');
      expect(Object.keys(Target.prototype)).to.deep.equal([]);
      expect('OTHER' in t).to.equal(false);
      class Sub extends Target {
        override doThing(a: number) {
          return a * 10;
        }
      }
      expect((new Sub() as unknown as AnyCase).dothing!(3)).to.equal(30);
    });
  });

  describe('eventMethodKeys', () => {
    it('finds each handler in any case, the most derived class first, and caches the answer per constructor', () => {
      class A extends IPWorksSSL_WSServer {
        FireDataIn() {}
        FIRECONNECTED() {}
      }
      class B extends A {
        firedatain() {}
      }
      const a = eventMethodKeys(A, EVENT_NAMES);
      expect(a.get('DataIn')).to.equal('FireDataIn');
      expect(a.get('Connected')).to.equal('FIRECONNECTED');
      expect(a.get('Error')).to.equal('fireError');
      const b = eventMethodKeys(B, EVENT_NAMES);
      expect(b.get('DataIn')).to.equal('firedatain');
      expect(b.get('Connected')).to.equal('FIRECONNECTED');
      expect(eventMethodKeys(B, EVENT_NAMES)).to.equal(b);
      // Resolved once: a method added to the class afterwards is not looked for.
      (B.prototype as unknown as AnyCase).FIREPING = () => undefined;
      expect(eventMethodKeys(B, EVENT_NAMES).get('Ping')).to.equal('firePing');
    });

    it('never calls a getter to find out, and ignores names that are no event', () => {
      let read = 0;
      class C extends IPWorksSSL_WSServer {
        get FireLog() {
          read++;
          return () => undefined;
        }
        fireSSLServerAuthentication() {}
      }
      const keys = eventMethodKeys(C, EVENT_NAMES);
      expect(read).to.equal(0);
      expect(keys.get('Log')).to.equal('fireLog');
      expect([...keys.values()]).to.not.include('fireSSLServerAuthentication');
    });
  });

  describe('IPWorksSSL_WSServer', () => {
    it('a class that defines one handler in two spellings fails at construction with 616, naming both', () => {
      class Twice extends IPWorksSSL_WSServer {
        override fireDataIn() {}
        FireDataIn() {}
      }
      let thrown: unknown;
      try {
        track(new Twice());
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(IPWorksSSLError);
      expect((thrown as IPWorksSSLError).code).to.equal(ErrorCode.InvalidArgument);
      expect((thrown as Error).message).to.match(/^616: Invalid argument\. Twice defines both fireDataIn and FireDataIn: .* DataIn event/);
    });

    it('every get*, set* and do* method answers in lower case, UPPER case and PascalCase, from the prototype, with no Proxy', () => {
      const prototype = IPWorksSSL_WSServer.prototype;
      const calls = Object.getOwnPropertyNames(prototype).filter((n) => /^(get|set|do)[A-Z]/.test(n) && n !== 'getProperty' && n !== 'setProperty');
      expect(calls).to.include.members(['doSendText', 'doEvents', 'getLocalPort', 'setLocalPort', 'getWSConnectionRemoteHost', 'doConfig']);
      for (const name of calls) {
        for (const spelling of caseSpellings(name)) {
          expect(typeof (prototype as unknown as AnyCase)[spelling], `${spelling}`).to.equal('function');
        }
      }
      const server = track(new IPWorksSSL_WSServer());
      expect(types.isProxy(server)).to.equal(false);
      expect(Object.getOwnPropertyNames(server).filter((n) => /^(get|set|do)/i.test(n))).to.deep.equal([]);
      const any = server as unknown as AnyCase;
      any.setlocalport!(8123);
      expect(any.GETLOCALPORT!()).to.equal(8123);
      any.SetLocalPort!(8124);
      expect(any.getlocalport!()).to.equal(8124);
      expect(any.DOCONFIG!('LogLevel')).to.equal(any.doconfig!('LogLevel'));
      expect(() => any.GetWSConnectionRemoteHost!(4040)).to.throw(IPWorksSSLError, /^126: /);
    });

    it('the vendor sample spelling works over a socket: FireConnected, FireDataIn, FireDisconnected, DoSendText, getlocalport', async () => {
      const seen: string[] = [];
      class VendorSample extends IPWorksSSL_WSServer {
        FireConnected(param: EventParams) {
          seen.push(`connected ${String(param.connectionid)}`);
        }
        FireDataIn(param: EventParams) {
          // As the sample does: no await.
          (this as unknown as AnyCase).DoSendText!(param.connectionid, `echo: ${String(param.text)}`);
        }
        firedisconnected(param: EventParams) {
          seen.push(`disconnected ${String(param.statuscode)}`);
        }
      }
      const server = track(new VendorSample()) as unknown as AnyCase;
      server.SetLocalHost!('127.0.0.1');
      await server.DoStartListening!();
      let running = true;
      const loop = (async () => {
        while (running) await server.DOEVENTS!();
      })();
      try {
        const port = server.getlocalport!() as number;
        expect(port).to.be.greaterThan(0).and.equal(server.GetLocalPort!());
        const client = await RawClient.open(port);
        client.sendText('hi');
        const message = await client.readMessage();
        expect(message.data.toString()).to.equal('echo: hi');
        client.sendClose(1000);
        await client.readClose();
        await eventually(() => seen.length === 2, 3000, 'Disconnected');
        expect(seen[0]).to.match(/^connected \d+$/);
        expect(seen[1]).to.equal('disconnected 1000');
      } finally {
        running = false;
        await loop;
        await server.doShutdown!();
      }
    });
  });
});
