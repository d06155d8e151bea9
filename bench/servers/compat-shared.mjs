// The procedural compat API set up as a legacy script would: numeric property and event IDs,
// callbacks, the echo of each message in its own format. Used by compat-idle.mjs and compat-doevents.mjs.
import { args, certFiles, distModule, pending, ready } from './common.mjs';

export const api = await import(distModule('compat.mjs'));

/** Opens and configures a server; `processIdle` picks ProcessIdleEvents. Returns the handle once listening. */
export async function startCompat(processIdle, label) {
  const res = api.ipworksssl_wsserver_open();
  const config = [
    `ProcessIdleEvents=${processIdle}`,
    'BufferMessage=true',
    'MaxConnections=100000',
    'TcpNoDelay=true',
    `OutBufferSize=${256 * 1024 * 1024}`,
  ];
  for (const line of config) {
    api.ipworksssl_wsserver_do_config(res, line);
    if (api.ipworksssl_wsserver_get_last_error_code(res) !== 0) throw new Error(`${line}: ${api.ipworksssl_wsserver_get_last_error(res)}`);
  }
  api.ipworksssl_wsserver_register_callback(res, 3 /* DataIn */, (p) => {
    if (p.dataformat === 1) void api.ipworksssl_wsserver_do_sendtext(res, p.connectionid, p.text);
    else void api.ipworksssl_wsserver_do_sendbytes(res, p.connectionid, p.textb);
  });
  api.ipworksssl_wsserver_set(res, 23 /* LocalHost */, args.host);
  api.ipworksssl_wsserver_set(res, 24 /* LocalPort */, 0);
  api.ipworksssl_wsserver_set(res, 1 /* ConnectionBacklog */, 511);
  if (args.tls) {
    api.ipworksssl_wsserver_set(res, 45 /* SSLCertStoreType */, 6 /* PEM key file */);
    api.ipworksssl_wsserver_set(res, 43 /* SSLCertStore */, certFiles.keyAndCert);
    api.ipworksssl_wsserver_set(res, 46 /* SSLCertSubject */, '*');
  }
  if ((await api.ipworksssl_wsserver_do_startlistening(res)) !== 0) {
    const why = `${api.ipworksssl_wsserver_get_last_error_code(res)} ${api.ipworksssl_wsserver_get_last_error(res)}`;
    if (args.tls) pending(`TLS: ${why}`);
    throw new Error(why);
  }
  ready(api.ipworksssl_wsserver_get(res, 24 /* LocalPort */), { server: args.tls ? `${label}-tls` : label });
  return res;
}
