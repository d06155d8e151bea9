/**
 * Both compat faces behind one small interface, for specs that must hold in each: the procedural
 * functions on a handle, and a subclass of the PHP-style class. Calls answer with 0 or the error
 * code (the PHP-style class's IPWorksSSLError is turned back into its code), events are recorded,
 * and the DoEvents loop runs until stop().
 */
import { expect } from 'chai';
import { EventId, PROPERTIES, PropertyId } from '../../../lib/generated/api';
import * as api from '../../../compat/procedural';
import { IPWorksSSL_WSServer, IPWorksSSLError } from '../../../compat';
import type { EventParams } from '../../../compat/events';

export type FaceKind = 'procedural' | 'php';
export const FACE_KINDS: readonly FaceKind[] = ['procedural', 'php'];

export interface Face {
  readonly kind: FaceKind;
  readonly res: number;
  sendBytes(cid: number, data: unknown): Promise<number>;
  send(cid: number, data: unknown): Promise<number>;
  sendText(cid: number, text: unknown): Promise<number>;
  /** Sets property `id` (index = ConnectionId for the per-connection ones); 0 or the code. */
  set(id: number, index: number | undefined, value: unknown): number;
  get(id: number, index?: number): unknown;
}

export interface Recorded {
  connected: number[];
  dataIn: EventParams[];
  pings: EventParams[];
  errors: EventParams[];
}

export interface OpenFace {
  face: Face;
  port: number;
  events: Recorded;
  stop(): Promise<void>;
}

function code(run: () => unknown): number {
  try {
    run();
    return 0;
  } catch (error) {
    expect(error).to.be.instanceOf(IPWorksSSLError);
    return (error as IPWorksSSLError).code;
  }
}

async function settled(result: Promise<void>): Promise<number> {
  try {
    await result;
    return 0;
  } catch (error) {
    expect(error).to.be.instanceOf(IPWorksSSLError);
    return (error as IPWorksSSLError).code;
  }
}

function nameOf(id: number): string {
  return PROPERTIES.find((p) => p.id === id)!.name;
}

/** A listening face on 127.0.0.1, a free port, events recorded, DoEvents pumped. */
export async function openFace(kind: FaceKind): Promise<OpenFace> {
  const events: Recorded = { connected: [], dataIn: [], pings: [], errors: [] };
  let face: Face;
  let pumpOnce: () => Promise<unknown>;
  let dispose: () => void;
  if (kind === 'procedural') {
    const res = api.ipworksssl_wsserver_open();
    api.ipworksssl_wsserver_register_callback(res, EventId.Connected, (p) => void events.connected.push(p.connectionid as number));
    api.ipworksssl_wsserver_register_callback(res, EventId.DataIn, (p) => void events.dataIn.push({ ...p }));
    api.ipworksssl_wsserver_register_callback(res, EventId.Ping, (p) => void events.pings.push({ ...p }));
    api.ipworksssl_wsserver_register_callback(res, EventId.Error, (p) => void events.errors.push({ ...p }));
    face = {
      kind,
      res,
      sendBytes: (cid, data) => api.ipworksssl_wsserver_do_sendbytes(res, cid, data as string),
      send: (cid, data) => api.ipworksssl_wsserver_do_send(res, cid, data as string),
      sendText: (cid, text) => api.ipworksssl_wsserver_do_sendtext(res, cid, text as string),
      set: (id, index, value) => (index === undefined ? api.ipworksssl_wsserver_set(res, id, value) : api.ipworksssl_wsserver_set(res, id, index, value)),
      get: (id, index) => api.ipworksssl_wsserver_get(res, id, index),
    };
    pumpOnce = () => api.ipworksssl_wsserver_do_doevents(res);
    dispose = () => api.ipworksssl_wsserver_close(res);
  } else {
    class Recorder extends IPWorksSSL_WSServer {
      override fireConnected(p: EventParams) {
        events.connected.push(p.connectionid as number);
      }
      override fireDataIn(p: EventParams) {
        events.dataIn.push({ ...p });
      }
      override firePing(p: EventParams) {
        events.pings.push({ ...p });
      }
      override fireError(p: EventParams) {
        events.errors.push({ ...p });
      }
    }
    const php = new Recorder();
    const calls = php as unknown as Record<string, (...args: unknown[]) => unknown>;
    face = {
      kind,
      res: php.handle,
      sendBytes: (cid, data) => settled(php.doSendBytes(cid, data as string)),
      send: (cid, data) => settled(php.doSend(cid, data as string)),
      sendText: (cid, text) => settled(php.doSendText(cid, text as string)),
      set: (id, index, value) => code(() => (index === undefined ? calls[`set${nameOf(id)}`]!.call(php, value) : calls[`set${nameOf(id)}`]!.call(php, index, value))),
      get: (id, index) => (index === undefined ? calls[`get${nameOf(id)}`]!.call(php) : calls[`get${nameOf(id)}`]!.call(php, index)),
    };
    pumpOnce = () => php.doEvents();
    dispose = () => php.dispose();
  }
  expect(face.set(PropertyId.LocalHost, undefined, '127.0.0.1')).to.equal(0);
  expect(await api.ipworksssl_wsserver_do_startlistening(face.res)).to.equal(0);
  let running = true;
  const loop = (async () => {
    while (running) await pumpOnce();
  })();
  return {
    face,
    port: face.get(PropertyId.LocalPort) as number,
    events,
    async stop() {
      running = false;
      await loop;
      api.ipworksssl_wsserver_do_config(face.res, 'WaitForCloseResponse=false');
      await api.ipworksssl_wsserver_do_shutdown(face.res);
      dispose();
    },
  };
}
