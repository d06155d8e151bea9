// The classic echo server as a subclass of the PHP-style class: override fireX to handle events,
// call doX for methods, and pump doEvents() in a loop — the vendor's PHP sample, line by line.
//
//   node examples/echo-php-style.mjs [port] [certificate file] [certificate password]
import { IPWorksSSL_WSServer } from 'wsserver-compat/compat';

class EchoServer extends IPWorksSSL_WSServer {
  fireConnected(param) {
    console.log(`Connected: ${param.connectionid} from ${this.getWSConnectionRemoteHost(param.connectionid)}`);
    return param;
  }

  fireDataIn(param) {
    if (param.dataformat === 1) void this.doSendText(param.connectionid, param.text);
    else void this.doSendBytes(param.connectionid, param.textb);
    return param;
  }

  fireDisconnected(param) {
    console.log(`Disconnected: ${param.connectionid} (${param.statuscode}${param.description ? ` ${param.description}` : ''})`);
    return param;
  }

  fireError(param) {
    console.log(`Error: ${param.connectionid} ${param.errorcode} ${param.description}`);
    return param;
  }
}

const [port = '8080', certFile, certPassword = ''] = process.argv.slice(2);
const server = new EchoServer();
try {
  server.doConfig('BufferMessage=true');
  if (certFile) {
    server.setSSLCertStoreType(99); // cstAuto
    server.setSSLCertStore(certFile);
    server.setSSLCertStorePassword(certPassword);
    server.setSSLCertSubject('*');
  }
  server.setLocalPort(Number(port));
  await server.doStartListening();
  console.log(`Listening on port ${server.getLocalPort()} (${certFile ? 'wss' : 'ws'}). Press Ctrl-C to stop.`);
  let running = true;
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (running = false));
  while (running) await server.doEvents();
  await server.doShutdown();
  console.log('Stopped.');
} catch (error) {
  console.error(error.message); // "<code>: <text>", as the PHP wrappers print it
  process.exitCode = 1;
} finally {
  server.dispose();
}
