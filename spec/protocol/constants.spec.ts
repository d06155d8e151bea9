import { expect } from 'chai';
import { CloseCode, Opcode, isControlOpcode } from '../../lib/protocol/constants';

describe('protocol constants', () => {
  it('classifies exactly the opcodes 0x8-0xF as control opcodes (§5.5)', () => {
    for (let op = 0; op < 16; op++) expect(isControlOpcode(op), `opcode ${op}`).to.equal(op >= 8);
  });
  it('keeps the RFC 6455 opcode and close-code numbers', () => {
    expect(Opcode).to.deep.equal({ Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 });
    expect(CloseCode.MessageTooBig).to.equal(1009);
    expect(CloseCode.InvalidPayload).to.equal(1007);
  });
});
