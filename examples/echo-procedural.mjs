// The classic echo server, written the way a legacy IPWorks script is: the procedural functions,
// numeric property and event IDs, and a DoEvents loop.
//
//   node examples/echo-procedural.mjs [port] [certificate file] [certificate password]
//
// Without a certificate it serves ws://; with a PFX (or PEM) file it serves wss://.
import * as ws from 'wsserver-compat/compat';

const [port = '8080', certFile, certPassword = ''] = process.argv.slice(2);

const res = ws.ipworksssl_wsserver_open();

ws.ipworksssl_wsserver_register_callback(res, 1 /* Connected */, (p) => {
  const host = ws.ipworksssl_wsserver_get(res, 14 /* WSConnectionRemoteHost */, p.connectionid);
  console.log(`Connected: ${p.connectionid} from ${host}`);
});
ws.ipworksssl_wsserver_register_callback(res, 3 /* DataIn */, (p) => {
  // Echo every message back in its own format (the payload pieces arrive as they come; EOM marks the end).
  if (p.dataformat === 1) void ws.ipworksssl_wsserver_do_sendtext(res, p.connectionid, p.text);
  else void ws.ipworksssl_wsserver_do_sendbytes(res, p.connectionid, p.textb);
});
ws.ipworksssl_wsserver_register_callback(res, 4 /* Disconnected */, (p) => {
  console.log(`Disconnected: ${p.connectionid} (${p.statuscode}${p.description ? ` ${p.description}` : ''})`);
});
ws.ipworksssl_wsserver_register_callback(res, 5 /* Error */, (p) => {
  console.log(`Error: ${p.connectionid} ${p.errorcode} ${p.description}`);
});

ws.ipworksssl_wsserver_do_config(res, 'BufferMessage=true');
if (certFile) {
  ws.ipworksssl_wsserver_set(res, 45 /* SSLCertStoreType */, 99 /* cstAuto */);
  ws.ipworksssl_wsserver_set(res, 43 /* SSLCertStore */, certFile);
  ws.ipworksssl_wsserver_set(res, 44 /* SSLCertStorePassword */, certPassword);
  ws.ipworksssl_wsserver_set(res, 46 /* SSLCertSubject */, '*');
}
ws.ipworksssl_wsserver_set(res, 24 /* LocalPort */, Number(port));

if ((await ws.ipworksssl_wsserver_do_startlistening(res)) !== 0) {
  console.error(`Error ${ws.ipworksssl_wsserver_get_last_error_code(res)}: ${ws.ipworksssl_wsserver_get_last_error(res)}`);
  process.exit(1);
}
console.log(`Listening on port ${ws.ipworksssl_wsserver_get(res, 24 /* LocalPort */)} (${certFile ? 'wss' : 'ws'}). Press Ctrl-C to stop.`);

let running = true;
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (running = false));
while (running) await ws.ipworksssl_wsserver_do_doevents(res);
await ws.ipworksssl_wsserver_do_shutdown(res);
ws.ipworksssl_wsserver_close(res);
console.log('Stopped.');
