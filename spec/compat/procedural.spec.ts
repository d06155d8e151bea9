import { expect } from 'chai';
import WebSocket from 'ws';
import * as api from '../../compat/procedural';
import * as aliases from '../../compat';
import { closeAll, listening } from '../helpers/compat';

describe('procedural API', () => {
  afterEach(closeAll);

  it('runs an echo server written only from the reference (numeric IDs, DoEvents loop)', async () => {
    const { res, port } = await listening((res) => {
      api.ipworksssl_wsserver_register_callback(res, 3, (p) => {
        void api.ipworksssl_wsserver_do_sendtext(res, p.connectionid as number, p.text as string);
      });
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const echo = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('hello from a legacy script'));
      ws.once('message', (data) => resolve(data.toString()));
      ws.once('error', reject);
    });
    expect(echo).to.equal('hello from a legacy script');
    expect(api.ipworksssl_wsserver_get(res, 2)).to.equal(1);
    ws.close();
  });

  it('exports every function also without the ipworksssl_ prefix', () => {
    const names = Object.keys(aliases).filter((name) => name.startsWith('ipworksssl_wsserver_'));
    expect(names.length).to.be.greaterThan(20);
    for (const name of names) {
      expect((aliases as Record<string, unknown>)[name.replace('ipworksssl_', '')], name).to.equal((aliases as Record<string, unknown>)[name]);
    }
  });
});
