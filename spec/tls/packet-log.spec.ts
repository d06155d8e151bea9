import { expect } from 'chai';
import { RecordScanner, describeRecord } from '../../lib/tls/packet-log';

describe('tls/packet-log', () => {
  it('finds record headers however the bytes are chunked', () => {
    const records = Buffer.concat([
      Buffer.from([22, 3, 1, 0, 3, 1, 2, 3]),
      Buffer.from([23, 3, 3, 0, 1, 9]),
      Buffer.from([21, 3, 3, 0, 2, 1, 0]),
    ]);
    for (const size of [1, 2, 5, 7, records.length]) {
      const scanner = new RecordScanner();
      const seen: Array<[number, number, number]> = [];
      for (let at = 0; at < records.length; at += size) scanner.scan(records.subarray(at, at + size), (t, v, l) => seen.push([t, v, l]));
      expect(seen, `chunks of ${size}`).to.deep.equal([
        [22, 0x0301, 3],
        [23, 0x0303, 1],
        [21, 0x0303, 2],
      ]);
    }
  });

  it('describes records by content type', () => {
    expect(describeRecord('Received', 22, 0x0301, 512)).to.equal('Received TLS record: Handshake, version 3.1, 512 bytes');
    expect(describeRecord('Sent', 20, 0x0303, 1)).to.equal('Sent TLS record: ChangeCipherSpec, version 3.3, 1 bytes');
    expect(describeRecord('Sent', 99, 0x0303, 0)).to.equal('Sent TLS record: type 99, version 3.3, 0 bytes');
  });
});
