// The component as the translator sees it, from tools/api/wsserver.json.
import { expect } from 'chai';
import { PHP_CLASS, PROCEDURAL, classMethod, classProperty, eventsById, fireEvent, proceduralIsAsync } from '../src/component.mjs';

describe('port/component', () => {
  it('names the class and the procedural functions of the compat face', () => {
    expect(PHP_CLASS).to.equal('IPWorksSSL_WSServer');
    for (const name of ['ipworksssl_wsserver_open', 'ipworksssl_wsserver_set', 'ipworksssl_wsserver_do_sendtext', 'ipworksssl_wsserver_do_doevents']) expect(PROCEDURAL.has(name), name).to.equal(true);
  });

  it('every do_* but do_config returns a promise', () => {
    expect(proceduralIsAsync('ipworksssl_wsserver_do_sendtext')).to.equal(true);
    expect(proceduralIsAsync('ipworksssl_wsserver_do_config')).to.equal(false);
    expect(proceduralIsAsync('ipworksssl_wsserver_get')).to.equal(false);
    expect(classMethod('DOSENDTEXT').promise).to.equal(true);
    expect(classMethod('doEvents').name).to.equal('DoEvents');
    expect(classMethod('doConfig').promise).to.equal(false);
    expect(classMethod('getLocalPort')).to.equal(undefined);
  });

  it('knows properties, events and their parameter types in any case', () => {
    expect(classProperty('setwsconnectiontimeout').id).to.equal(19);
    expect(fireEvent('FireDataIn').params.get('text').type).to.equal('binary');
    expect(fireEvent('fireWebSocketOpenRequest').params.get('statuscode').out).to.equal(true);
    expect(fireEvent('fireSSLServerAuthentication')).to.equal(undefined);
    expect(eventsById.get(3).name).to.equal('DataIn');
  });
});
