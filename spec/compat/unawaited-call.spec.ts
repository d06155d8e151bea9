/**
 * A PHP-style do… call left without `await` never ends the process: its failure goes to the Error
 * event, while an awaited failure goes to the caller only (no second report as an Error event).
 * The unit specs pin the watching rule; the loopback specs run the failing calls a ported legacy
 * script makes (a send to a closed connection, from inside an event handler) and check that no
 * unhandledRejection happened.
 */
import { expect } from 'chai';
import { ErrorCode } from '../../lib/generated/api';
import { IPWorksSSL_WSServer, IPWorksSSLError } from '../../compat';
import type { EventParams } from '../../compat/events';
import { watchedCall } from '../../compat/unawaited-call';
import { RawClient } from '../helpers/raw-client';
import { delay, eventually } from '../helpers/server';

/** Lets the watching decision (setImmediate) and anything it queues run. */
const settle = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

/** Records the process's unhandled rejections while a spec runs. */
function watchRejections(): { seen: unknown[]; stop(): void } {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => void seen.push(reason);
  process.on('unhandledRejection', listener);
  return { seen, stop: () => void process.off('unhandledRejection', listener) };
}

describe('compat unawaited calls', () => {
  let rejections: ReturnType<typeof watchRejections>;
  beforeEach(() => (rejections = watchRejections()));
  afterEach(() => rejections.stop());

  describe('watchedCall', () => {
    const toError = (code: number) => new IPWorksSSLError(code);

    it('resolves for 0 and reports nothing', async () => {
      const reported: unknown[] = [];
      await watchedCall(Promise.resolve(0), toError, (e) => reported.push(e));
      await settle();
      expect(reported).to.deep.equal([]);
    });

    it('an awaited failure rejects to the caller and is not reported', async () => {
      const reported: unknown[] = [];
      let caught: unknown;
      try {
        await watchedCall(Promise.resolve(126), toError, (e) => reported.push(e));
      } catch (error) {
        caught = error;
      }
      await settle();
      expect((caught as IPWorksSSLError).code).to.equal(126);
      expect(reported).to.deep.equal([]);
    });

    it('.catch, .then and Promise.all count as watching', async () => {
      const reported: unknown[] = [];
      const codes: number[] = [];
      watchedCall(Promise.resolve(614), toError, (e) => reported.push(e)).catch((e: IPWorksSSLError) => void codes.push(e.code));
      watchedCall(Promise.resolve(615), toError, (e) => reported.push(e)).then(undefined, (e: IPWorksSSLError) => void codes.push(e.code));
      await Promise.all([watchedCall(Promise.resolve(616), toError, (e) => reported.push(e))]).catch((e: IPWorksSSLError) => void codes.push(e.code));
      await settle();
      expect(codes.sort()).to.deep.equal([614, 615, 616]);
      expect(reported).to.deep.equal([]);
    });

    it('a failure nobody watches is reported once, and is no unhandled rejection', async () => {
      const reported: IPWorksSSLError[] = [];
      void watchedCall(Promise.resolve(10035), toError, (e) => reported.push(e));
      await settle();
      await delay(10);
      expect(reported.map((e) => e.code)).to.deep.equal([10035]);
      expect(rejections.seen).to.deep.equal([]);
    });

    it('a promise kept and awaited later still rejects there (and was reported meanwhile)', async () => {
      const reported: unknown[] = [];
      const kept = watchedCall(Promise.resolve(126), toError, (e) => reported.push(e));
      await settle();
      expect(reported).to.have.length(1);
      let caught: unknown;
      await kept.catch((error: unknown) => (caught = error));
      expect((caught as IPWorksSSLError).code).to.equal(126);
    });
  });

  describe('IPWorksSSL_WSServer over loopback', () => {
    interface Running {
      server: IPWorksSSL_WSServer;
      errors: EventParams[];
      port: number;
      stop(): Promise<void>;
    }

    async function run<T extends IPWorksSSL_WSServer>(server: T, errors: EventParams[]): Promise<Running> {
      server.setLocalHost('127.0.0.1');
      await server.doStartListening();
      let running = true;
      const loop = (async () => {
        while (running) await server.doEvents();
      })();
      return {
        server,
        errors,
        port: server.getLocalPort(),
        async stop() {
          running = false;
          await loop;
          server.doConfig('WaitForCloseResponse=false');
          await server.doShutdown();
          server.dispose();
        },
      };
    }

    it('an unawaited send to a closed connection: the process lives and the Error event fires with its code and connection', async () => {
      const errors: EventParams[] = [];
      let cid = 0;
      class Script extends IPWorksSSL_WSServer {
        override fireConnected(p: EventParams) {
          cid = p.connectionid as number;
        }
        override fireError(p: EventParams) {
          errors.push({ ...p });
        }
      }
      const r = await run(new Script(), errors);
      try {
        const client = await RawClient.open(r.port);
        await eventually(() => cid > 0, 3000, 'Connected');
        client.destroy();
        await eventually(() => r.server.getWSConnectionCount() === 0, 3000, 'the connection to go');
        void r.server.doSendText(cid, 'too late');
        void r.server.doSendBytes(cid, Buffer.from('too late'));
        await eventually(() => errors.length === 2, 3000, 'two Error events');
        expect(errors.map((e) => [e.connectionid, e.errorcode])).to.deep.equal([
          [cid, ErrorCode.InvalidConnectionId],
          [cid, ErrorCode.InvalidConnectionId],
        ]);
        expect(errors[0]!.description).to.equal('Invalid ConnectionId.');
        expect(rejections.seen).to.deep.equal([]);
      } finally {
        await r.stop();
      }
    });

    it('an unawaited failing call inside an event handler, as the vendor sample writes it, goes to Error', async () => {
      const errors: EventParams[] = [];
      class Script extends IPWorksSSL_WSServer {
        override fireDataIn(p: EventParams) {
          this.doSendText(p.connectionid as number, 'ok');
          this.doSendText(999999, 'nobody');
        }
        override fireError(p: EventParams) {
          errors.push({ ...p });
        }
      }
      const r = await run(new Script(), errors);
      try {
        const client = await RawClient.open(r.port);
        client.sendText('hello');
        expect((await client.readMessage()).data.toString()).to.equal('ok');
        await eventually(() => errors.length === 1, 3000, 'Error');
        expect(errors[0]).to.deep.include({ connectionid: 999999, errorcode: ErrorCode.InvalidConnectionId });
        expect(rejections.seen).to.deep.equal([]);
        client.destroy();
      } finally {
        await r.stop();
      }
    });

    it('an awaited failure rejects to the caller only: no Error event', async () => {
      const errors: EventParams[] = [];
      class Script extends IPWorksSSL_WSServer {
        override fireError(p: EventParams) {
          errors.push({ ...p });
        }
      }
      const r = await run(new Script(), errors);
      try {
        let caught: unknown;
        try {
          await r.server.doSendText(4040, 'x');
        } catch (error) {
          caught = error;
        }
        expect(caught).to.be.instanceOf(IPWorksSSLError);
        expect((caught as IPWorksSSLError).message).to.equal('126: Invalid ConnectionId.');
        // Several DoEvents rounds: an Error event would have fired by now.
        await delay(100);
        expect(errors).to.deep.equal([]);
      } finally {
        await r.stop();
      }
    });

    it('an async handler whose awaited call fails is reported as 615, not as an unhandled rejection', async () => {
      const errors: EventParams[] = [];
      class Script extends IPWorksSSL_WSServer {
        override async fireDataIn() {
          await this.doSendText(4040, 'x');
        }
        override fireError(p: EventParams) {
          errors.push({ ...p });
        }
      }
      const r = await run(new Script(), errors);
      try {
        const client = await RawClient.open(r.port);
        client.sendText('go');
        await eventually(() => errors.length === 1, 3000, 'Error');
        expect(errors[0]!.errorcode).to.equal(ErrorCode.CallbackError);
        expect(errors[0]!.description).to.contain('126: Invalid ConnectionId.');
        expect(rejections.seen).to.deep.equal([]);
        client.destroy();
      } finally {
        await r.stop();
      }
    });

    it('a failing unawaited call made inside fireError is not reported through Error again (no loop)', async () => {
      const errors: EventParams[] = [];
      class Script extends IPWorksSSL_WSServer {
        override fireError(p: EventParams) {
          errors.push({ ...p });
          this.doSendText(4041, 'still nobody');
        }
      }
      const r = await run(new Script(), errors);
      try {
        void r.server.doSendText(4040, 'nobody');
        await eventually(() => errors.length === 1, 3000, 'Error');
        await delay(100);
        expect(errors.map((e) => e.connectionid)).to.deep.equal([4040]);
        expect(rejections.seen).to.deep.equal([]);
        expect(r.server.getWSConnectionCount()).to.equal(0);
        expect(r.server.getLocalPort()).to.equal(r.port);
      } finally {
        await r.stop();
      }
    });
  });
});
