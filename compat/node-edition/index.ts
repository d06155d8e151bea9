/**
 * wsserver-compat/ipworks — the vendor's Node edition shape, for scripts written against it: change
 * `require('@nsoftware/ipworksssl')` to `require('wsserver-compat/ipworks')` and the rest runs as written.
 *
 *   const ipworksssl = require('wsserver-compat/ipworks');
 *   const server = new ipworksssl.wsserver();
 *   server.on('DataIn', async (e) => await server.sendText(e.connectionId, e.text));
 *   server.setLocalPort(443);
 *   server.setSSLCert(new ipworksssl.Certificate(ipworksssl.CertStoreTypes.cstPFXFile, 'server.pfx', 'password', '*'));
 *   await server.startListening();
 *   while (true) await server.doEvents();
 *
 * docs/API.md ("Node edition shape") lists every name, and which the vendor's samples show.
 */
import { WSServerError } from '../../lib/server/errors';
import { CertStoreTypes, Certificate, DataFormats, NODE_EDITION, WSConnection, wsserver } from './generated';
import { WSConnectionMap } from './connections';

export { CertStoreTypes, Certificate, DataFormats, NODE_EDITION, WSConnection, WSConnectionMap, WSServerError, wsserver };
export type { NodeEditionEnum, NodeEditionEvent, NodeEditionMethod, NodeEditionProperty } from './generated';
export type { Handler } from './runtime';
export type * from '../../lib/server/events';

/** The module as one object, for `import ipworksssl from 'wsserver-compat/ipworks'` (the shape `require` gives). */
export default { CertStoreTypes, Certificate, DataFormats, NODE_EDITION, WSConnection, WSConnectionMap, WSServerError, wsserver };
