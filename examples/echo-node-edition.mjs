// The TLS echo server as a script for the vendor's Node edition would write it — chained .on()
// handlers, setSSLCert(new Certificate(...)), awaited methods and a doEvents() loop — with only the
// import changed to this package (`require('wsserver-compat/ipworks')` works the same in CommonJS).
//
//   node examples/echo-node-edition.mjs [port] [PFX file] [PFX password]
import ipworksssl from 'wsserver-compat/ipworks';

const [port = '8443', pfxFile, pfxPassword = ''] = process.argv.slice(2);
const wsserver = new ipworksssl.wsserver();

wsserver
  .on('Connected', (e) => {
    console.log(`Connected: ${e.connectionId} from ${wsserver.getConnections().item(e.connectionId).getRemoteHost()}`);
  })
  .on('DataIn', async (e) => {
    // Whole messages (BufferMessage below); binary ones go back as the bytes they came as.
    if (e.dataFormat === ipworksssl.DataFormats.dfText) await wsserver.sendText(e.connectionId, e.text);
    else await wsserver.sendBytes(e.connectionId, e.textB);
  })
  .on('Disconnected', (e) => {
    console.log(`Disconnected: ${e.connectionId} (${e.statusCode}${e.description ? ` ${e.description}` : ''})`);
  })
  .on('Error', (e) => console.log(`Error: ${e.connectionId} ${e.errorCode} ${e.description}`));

try {
  wsserver.config('BufferMessage=true');
  if (pfxFile) wsserver.setSSLCert(new ipworksssl.Certificate(ipworksssl.CertStoreTypes.cstPFXFile, pfxFile, pfxPassword, '*'));
  wsserver.setLocalHost('127.0.0.1');
  wsserver.setLocalPort(Number(port));
  await wsserver.startListening();
  console.log(`Listening on port ${wsserver.getLocalPort()} (${pfxFile ? 'wss' : 'ws'}). Press Ctrl-C to stop.`);
  let running = true;
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (running = false));
  while (running) await wsserver.doEvents();
  await wsserver.shutdown();
  console.log('Stopped.');
} catch (error) {
  console.error(`Error ${error.code}: ${error.message}`);
  process.exitCode = 1;
}
