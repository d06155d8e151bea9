/**
 * The params objects of the compat faces, builder by builder (compat/events.ts PARAMS is written out
 * by hand for speed): for every event of the EVENTS table, exactly the documented keys in order, each
 * filled from the engine event's field the table names; the out-parameters of each event; and
 * DataIn's `text`, decoded eagerly for short messages and on first use for long ones.
 */
import { expect } from 'chai';
import { EVENTS, EventId } from '../../lib/generated/api';
import { DataInEvent } from '../../lib/server/events';
import { EAGER_TEXT_LIMIT, eventBinding, readBack } from '../../compat/events';

/** The documented keys of an event: each parameter, then its Buffer twin. */
function expectedKeys(id: number): string[] {
  const keys: string[] = [];
  for (const param of EVENTS.find((e) => e.id === id)!.params) {
    keys.push(param.name);
    if (param.bufferTwin) keys.push(param.bufferTwin);
  }
  return keys;
}

/** A DataIn stand-in whose `text` counts its reads. */
function countingDataIn(bytes: Buffer): { event: object; reads: () => number } {
  let reads = 0;
  const event = {
    connectionId: 9,
    dataFormat: 2,
    textB: bytes,
    eom: true,
    eol: false,
    get text() {
      reads++;
      return bytes.toString('latin1');
    },
  };
  return { event, reads: () => reads };
}

describe('compat event params (compat/events.ts)', () => {
  for (const info of EVENTS) {
    it(`${info.name} (${info.id}): the documented keys, in order, from the table's engine fields`, () => {
      // A distinct value per engine field, so a key filled from the wrong field shows.
      const event: Record<string, unknown> = {};
      const expected: Record<string, unknown> = {};
      info.params.forEach((param, i) => {
        event[param.modern] = `value of ${param.modern} #${i}`;
        expected[param.name] = event[param.modern];
        if (param.bufferTwin) {
          event[param.modernBufferTwin!] = Buffer.from(`bytes of ${param.modernBufferTwin}`);
          expected[param.bufferTwin] = event[param.modernBufferTwin!];
        }
      });
      if (info.id === EventId.DataIn) event.textB = Buffer.from('short');
      if (info.id === EventId.DataIn) expected.textb = event.textB;
      const params = eventBinding(info.id)!.toParams(event);
      expect(Object.keys(params)).to.deep.equal(expectedKeys(info.id));
      for (const key of Object.keys(expected)) expect(params[key], key).to.equal(expected[key]);
    });

    it(`${info.name} (${info.id}): reads back exactly its out-parameters`, () => {
      expect(eventBinding(info.id)!.outs.map((p) => p.name)).to.deep.equal(info.params.filter((p) => p.out).map((p) => p.name));
    });
  }

  it('has no out-parameters to read back for DataIn, Log and the other notifications', () => {
    const withOuts = EVENTS.filter((e) => eventBinding(e.id)!.outs.length > 0).map((e) => e.name);
    expect(withOuts).to.deep.equal(['ConnectionRequest', 'SSLClientAuthentication', 'SSLConnectionRequest', 'WebSocketOpenRequest']);
  });

  it('finds events by numeric ID or a string of digits, and nothing else', () => {
    expect(eventBinding(3)!.info.name).to.equal('DataIn');
    expect(eventBinding('12')!.info.name).to.equal('WebSocketOpenRequest');
    expect(eventBinding(0)).to.equal(undefined);
    expect(eventBinding('3a')).to.equal(undefined);
    expect(eventBinding(null)).to.equal(undefined);
  });

  describe('DataIn text', () => {
    const dataIn = eventBinding(EventId.DataIn)!;

    it('is the decoded string (UTF-8 for text data) beside the exact bytes', () => {
      const bytes = Buffer.from('héllo ✓', 'utf8');
      const params = dataIn.toParams(new DataInEvent(4, 1, bytes, true, false, true));
      expect(params).to.deep.equal({ connectionid: 4, dataformat: 1, text: 'héllo ✓', textb: bytes, eom: true, eol: false });
    });

    it(`is decoded at once up to ${EAGER_TEXT_LIMIT} bytes: a plain data property`, () => {
      const { event, reads } = countingDataIn(Buffer.alloc(EAGER_TEXT_LIMIT, 0x61));
      const params = dataIn.toParams(event);
      expect(reads()).to.equal(1);
      expect(Object.getOwnPropertyDescriptor(params, 'text')).to.deep.equal({ value: 'a'.repeat(EAGER_TEXT_LIMIT), writable: true, enumerable: true, configurable: true });
    });

    it('is decoded on first read above that, once, and then stays a plain data property', () => {
      const { event, reads } = countingDataIn(Buffer.alloc(EAGER_TEXT_LIMIT + 1, 0xe9));
      const params = dataIn.toParams(event);
      expect(Object.keys(params)).to.deep.equal(expectedKeys(EventId.DataIn));
      expect(reads()).to.equal(0);
      expect(params.text).to.equal('\u00e9'.repeat(EAGER_TEXT_LIMIT + 1));
      expect(params.text).to.equal('\u00e9'.repeat(EAGER_TEXT_LIMIT + 1));
      expect(reads()).to.equal(1);
      expect(Object.getOwnPropertyDescriptor(params, 'text')!.writable).to.equal(true);
      expect(Object.keys(params)).to.deep.equal(expectedKeys(EventId.DataIn));
    });

    it('can be assigned before it was read (no decode) and after', () => {
      const { event, reads } = countingDataIn(Buffer.alloc(EAGER_TEXT_LIMIT + 10, 0x62));
      const params = dataIn.toParams(event);
      params.text = 'replaced';
      expect(params.text).to.equal('replaced');
      expect(reads()).to.equal(0);
      params.text = 'again';
      expect(params.text).to.equal('again');
      expect(Object.keys(params)).to.deep.equal(expectedKeys(EventId.DataIn));
    });

    it('shows in spreads, JSON and `in` like any key', () => {
      const bytes = Buffer.alloc(EAGER_TEXT_LIMIT + 1, 0x63);
      const params = dataIn.toParams(new DataInEvent(5, 2, bytes, false, false, false));
      expect('text' in params).to.equal(true);
      expect({ ...params }).to.deep.equal({ connectionid: 5, dataformat: 2, text: 'c'.repeat(EAGER_TEXT_LIMIT + 1), textb: bytes, eom: false, eol: false });
      expect(JSON.parse(JSON.stringify(dataIn.toParams(new DataInEvent(5, 2, bytes, false, false, false)))).text).to.equal('c'.repeat(EAGER_TEXT_LIMIT + 1));
    });
  });

  describe('readBack', () => {
    const request = eventBinding(EventId.WebSocketOpenRequest)!;

    it('takes out-parameters from the returned object, converted to the engine types', () => {
      const event: Record<string, unknown> = { connectionId: 1, subProtocols: 'a, b', statusCode: 101, responseHeaders: '' };
      const params = request.toParams(event);
      readBack(request, event, params, { ...params, statuscode: '403', subprotocols: 'b', responseheaders: Buffer.from('X-A: 1') });
      expect(event).to.deep.include({ statusCode: 403, subProtocols: 'b', responseHeaders: 'X-A: 1' });
    });

    it('takes them from the mutated params when the callback returned nothing, and ignores in-only keys', () => {
      const event: Record<string, unknown> = { connectionId: 1, requestURI: '/a', subProtocols: '', statusCode: 101, responseHeaders: '' };
      const params = request.toParams(event);
      params.requesturi = '/changed';
      params.statuscode = 401;
      readBack(request, event, params, undefined);
      expect(event).to.deep.include({ requestURI: '/a', statusCode: 401 });
    });

    it('keeps the engine value when the given one does not parse', () => {
      const accept = eventBinding(EventId.ConnectionRequest)!;
      const event: Record<string, unknown> = { address: '127.0.0.1', port: 1, accept: true };
      readBack(accept, event, accept.toParams(event), { accept: 'perhaps' });
      expect(event.accept).to.equal(true);
      readBack(accept, event, accept.toParams(event), { accept: 'no' });
      expect(event.accept).to.equal(false);
    });
  });
});
