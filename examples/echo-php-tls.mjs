// A legacy PHP TLS echo server, ported line by line in the vendor's own spelling: the class overrides
// FireConnected / FireDataIn / FireDisconnected / FireError (capital F, as the vendor's PHP sample
// writes them), calls DoSendText / DoSendBytes without waiting for them (as PHP did), sets the
// certificate with SetSSLCertStoreType / SetSSLCertStore / SetSSLCertStorePassword / SetSSLCertSubject
// and pumps DoEvents. Only the syntax changed: `$param['text']` became `param.text`, `$this->` became
// `this.`, and the calls that touch the network are awaited where the script waits for them.
//
//   node examples/echo-php-tls.mjs [port] [PFX file] [PFX password]
//
// The PHP it ports:
//
//   class MyWSServer extends IPWorksSSL_WSServer {
//     function FireConnected($param) {
//       echo "Connected: " . $param['connectionid'] . " from " . $this->GetWSConnectionRemoteHost($param['connectionid']) . "\n";
//     }
//     function FireDataIn($param) {
//       if ($param['dataformat'] == 1) $this->DoSendText($param['connectionid'], $param['text']);
//       else $this->DoSendBytes($param['connectionid'], $param['text']);
//     }
//     function FireDisconnected($param) { echo "Disconnected: " . $param['connectionid'] . " (" . $param['statuscode'] . ")\n"; }
//     function FireError($param) { echo "Error: " . $param['errorcode'] . " " . $param['description'] . "\n"; }
//   }
//   $wsserver = new MyWSServer();
//   $wsserver->SetSSLCertStoreType(2);           // cstPFXFile
//   $wsserver->SetSSLCertStore($argv[2]);
//   $wsserver->SetSSLCertStorePassword($argv[3]);
//   $wsserver->SetSSLCertSubject("*");
//   $wsserver->SetLocalPort($argv[1]);
//   $wsserver->DoConfig("BufferMessage=true");
//   $wsserver->DoStartListening();
//   echo "Listening on port " . $wsserver->getlocalport() . "\n";
//   while (true) $wsserver->DoEvents();
import { IPWorksSSL_WSServer } from 'wsserver-compat/compat';

class MyWSServer extends IPWorksSSL_WSServer {
  FireConnected(param) {
    console.log(`Connected: ${param.connectionid} from ${this.GetWSConnectionRemoteHost(param.connectionid)}`);
  }

  FireDataIn(param) {
    // A binary message's `text` holds one char per byte, and DoSendBytes takes it back byte for byte.
    // Not awaited, as in PHP: a failure goes to FireError instead of ending the process.
    if (param.dataformat === 1) this.DoSendText(param.connectionid, param.text);
    else this.DoSendBytes(param.connectionid, param.text);
  }

  FireDisconnected(param) {
    console.log(`Disconnected: ${param.connectionid} (${param.statuscode}${param.description ? ` ${param.description}` : ''})`);
  }

  FireError(param) {
    console.log(`Error: ${param.connectionid} ${param.errorcode} ${param.description}`);
  }
}

const [port = '8443', pfxFile, pfxPassword = ''] = process.argv.slice(2);
const wsserver = new MyWSServer();
try {
  if (pfxFile) {
    wsserver.SetSSLCertStoreType(2); // cstPFXFile
    wsserver.SetSSLCertStore(pfxFile);
    wsserver.SetSSLCertStorePassword(pfxPassword);
    wsserver.SetSSLCertSubject('*');
  }
  wsserver.SetLocalHost('127.0.0.1');
  wsserver.SetLocalPort(Number(port));
  wsserver.DoConfig('BufferMessage=true');
  await wsserver.DoStartListening();
  console.log(`Listening on port ${wsserver.getlocalport()} (${pfxFile ? 'wss' : 'ws'}). Press Ctrl-C to stop.`);
  let running = true;
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (running = false));
  while (running) await wsserver.DoEvents();
  await wsserver.DoShutdown();
  console.log('Stopped.');
} catch (error) {
  console.log(error.message); // "<code>: <text>", as the PHP wrappers print it
  process.exitCode = 1;
} finally {
  wsserver.dispose();
}
