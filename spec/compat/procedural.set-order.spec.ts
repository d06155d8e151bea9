/**
 * The truth docs/MIGRATING.md tells about the two per-connection `set` orders: this package reads
 * `set(res, id, index, value)`, so a call written in the vendor's include order `(res, id, value,
 * index)` is applied to the connection whose id equals the value whenever that connection exists,
 * and is refused (126) only when it does not, or when the value can never be a ConnectionId.
 */
import { expect } from 'chai';
import { ErrorCode, EventId, PropertyId } from '../../lib/generated/api';
import * as api from '../../compat/procedural';
import { RawClient } from '../helpers/raw-client';
import { closeAll, listening } from '../helpers/compat';
import { eventually } from '../helpers/server';

describe('procedural set: the vendor include order', () => {
  afterEach(closeAll);

  it('set(res, 19, value, cid) with value = another live ConnectionId sets that connection, silently', async () => {
    const ids: number[] = [];
    const { res, port } = await listening((res) => {
      api.ipworksssl_wsserver_register_callback(res, EventId.Connected, (p) => void ids.push(p.connectionid as number));
    });
    const clients = [await RawClient.open(port), await RawClient.open(port)];
    await eventually(() => ids.length === 2, 3000, 'two connections');
    const [a, b] = ids as [number, number];
    // Meant: Timeout = b seconds on connection a (vendor order). Read: on connection b, Timeout = a.
    expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionTimeout, b, a)).to.equal(0);
    expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionTimeout, b)).to.equal(a);
    expect(api.ipworksssl_wsserver_get(res, PropertyId.WSConnectionTimeout, a)).to.equal(0);
    // A value that names no connection, or can never be one, is refused.
    expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionTimeout, 987654, a)).to.equal(ErrorCode.InvalidConnectionId);
    expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionAcceptData, false as unknown as number, a)).to.equal(ErrorCode.InvalidConnectionId);
    expect(api.ipworksssl_wsserver_set(res, PropertyId.WSConnectionDataToSend, 'hello', a)).to.equal(ErrorCode.InvalidConnectionId);
    for (const client of clients) client.destroy();
  });
});
