import { expect } from 'chai';
import type { ExtensionOffer } from '../../lib/protocol/header-grammar';
import { negotiatePermessageDeflate, type DeflateParams } from '../../lib/protocol/permessage-deflate';

// RFC 7692 §7.1 negotiation only: pure parameter logic. The zlib codec's specs are in spec/codec/.

function offer(...params: Array<[string, string | true]>): ExtensionOffer {
  return { name: 'permessage-deflate', params };
}

const DEFAULT_PARAMS: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

// ---------------------------------------------------------------------------------------------
// negotiation
// ---------------------------------------------------------------------------------------------

describe('negotiatePermessageDeflate (RFC 7692 §7.1)', () => {
  it('accepts a plain offer with the default parameters', () => {
    expect(negotiatePermessageDeflate([offer()])).to.deep.equal({ params: DEFAULT_PARAMS, response: 'permessage-deflate' });
  });

  it('returns null without any permessage-deflate offer and ignores other extensions', () => {
    expect(negotiatePermessageDeflate([])).to.equal(null);
    expect(negotiatePermessageDeflate([{ name: 'x-webkit-deflate-frame', params: [] }])).to.equal(null);
    const result = negotiatePermessageDeflate([{ name: 'foo', params: [['bar', true]] }, offer()]);
    expect(result?.response).to.equal('permessage-deflate');
  });

  describe('client_max_window_bits (§7.1.2.2)', () => {
    it('omits it when the client offered it without a value and the policy is 15', () => {
      const result = negotiatePermessageDeflate([offer(['client_max_window_bits', true])]);
      expect(result).to.deep.equal({ params: DEFAULT_PARAMS, response: 'permessage-deflate' });
    });

    it('answers the policy when the client offered it without a value', () => {
      const result = negotiatePermessageDeflate([offer(['client_max_window_bits', true])], { clientMaxWindowBits: 10 });
      expect(result?.response).to.equal('permessage-deflate; client_max_window_bits=10');
      expect(result?.params.clientMaxWindowBits).to.equal(10);
    });

    it('answers the smaller of the offered value and the policy', () => {
      const echoed = negotiatePermessageDeflate([offer(['client_max_window_bits', '12'])]);
      expect(echoed?.response).to.equal('permessage-deflate; client_max_window_bits=12');
      expect(echoed?.params.clientMaxWindowBits).to.equal(12);
      const limited = negotiatePermessageDeflate([offer(['client_max_window_bits', '12'])], { clientMaxWindowBits: 9 });
      expect(limited?.response).to.equal('permessage-deflate; client_max_window_bits=9');
      expect(limited?.params.clientMaxWindowBits).to.equal(9);
      const full = negotiatePermessageDeflate([offer(['client_max_window_bits', '15'])]);
      expect(full?.response).to.equal('permessage-deflate');
    });

    it('never sends it when the client did not offer it (MUST NOT)', () => {
      const result = negotiatePermessageDeflate([offer()], { clientMaxWindowBits: 9 });
      expect(result).to.deep.equal({ params: DEFAULT_PARAMS, response: 'permessage-deflate' });
    });
  });

  describe('server_max_window_bits (§7.1.2.1)', () => {
    it('accepts every value from 8 to 15 and answers it', () => {
      for (let bits = 8; bits <= 15; bits++) {
        const result = negotiatePermessageDeflate([offer(['server_max_window_bits', String(bits)])]);
        expect(result?.response, `bits ${bits}`).to.equal(`permessage-deflate; server_max_window_bits=${bits}`);
        expect(result?.params.serverMaxWindowBits).to.equal(bits);
      }
    });

    it('answers the smaller of the offered value and the policy', () => {
      const limited = negotiatePermessageDeflate([offer(['server_max_window_bits', '12'])], { serverMaxWindowBits: 10 });
      expect(limited?.response).to.equal('permessage-deflate; server_max_window_bits=10');
      expect(limited?.params.serverMaxWindowBits).to.equal(10);
      const offered = negotiatePermessageDeflate([offer(['server_max_window_bits', '9'])], { serverMaxWindowBits: 10 });
      expect(offered?.params.serverMaxWindowBits).to.equal(9);
    });

    it('announces a policy below 15 even when the client did not ask', () => {
      const result = negotiatePermessageDeflate([offer()], { serverMaxWindowBits: 12 });
      expect(result?.response).to.equal('permessage-deflate; server_max_window_bits=12');
      expect(result?.params.serverMaxWindowBits).to.equal(12);
    });

    for (const bad of ['7', '16', 'abc', '010', '08', '', ' 9', '9.0', '+9', '0x9']) {
      it(`declines the value '${bad}' and takes the next offer`, () => {
        expect(negotiatePermessageDeflate([offer(['server_max_window_bits', bad])])).to.equal(null);
        const result = negotiatePermessageDeflate([offer(['server_max_window_bits', bad]), offer(['client_no_context_takeover', true])]);
        expect(result?.response).to.equal('permessage-deflate; client_no_context_takeover');
      });
    }

    it('declines it without a value', () => {
      expect(negotiatePermessageDeflate([offer(['server_max_window_bits', true])])).to.equal(null);
    });
  });

  it('declines bad client_max_window_bits values', () => {
    for (const bad of ['7', '16', 'abc', '010', '']) {
      expect(negotiatePermessageDeflate([offer(['client_max_window_bits', bad])]), bad).to.equal(null);
    }
  });

  it('declines duplicate parameters', () => {
    const duplicates: Array<Array<[string, string | true]>> = [
      [['server_no_context_takeover', true], ['server_no_context_takeover', true]],
      [['client_no_context_takeover', true], ['client_no_context_takeover', true]],
      [['server_max_window_bits', '10'], ['server_max_window_bits', '10']],
      [['client_max_window_bits', true], ['client_max_window_bits', '10']],
    ];
    for (const params of duplicates) expect(negotiatePermessageDeflate([offer(...params)]), params[0]![0]).to.equal(null);
  });

  it('declines a value on a parameter that has none', () => {
    expect(negotiatePermessageDeflate([offer(['server_no_context_takeover', 'yes'])])).to.equal(null);
    expect(negotiatePermessageDeflate([offer(['client_no_context_takeover', ''])])).to.equal(null);
  });

  it('declines an unknown parameter and takes the next offer', () => {
    const result = negotiatePermessageDeflate([
      offer(['server_max_window_bits', '10'], ['x-unknown', true]),
      { name: 'x-other', params: [] },
      offer(['server_no_context_takeover', true]),
    ]);
    expect(result?.response).to.equal('permessage-deflate; server_no_context_takeover');
  });

  it('takes the first acceptable of several offers', () => {
    const result = negotiatePermessageDeflate([offer(['server_max_window_bits', '10']), offer()]);
    expect(result?.response).to.equal('permessage-deflate; server_max_window_bits=10');
  });

  it('honours server_no_context_takeover requested by the client (MUST)', () => {
    const result = negotiatePermessageDeflate([offer(['server_no_context_takeover', true])]);
    expect(result?.response).to.equal('permessage-deflate; server_no_context_takeover');
    expect(result?.params.serverNoContextTakeover).to.equal(true);
  });

  it('adds the context-takeover parameters the policy asks for', () => {
    const result = negotiatePermessageDeflate([offer()], { serverNoContextTakeover: true, clientNoContextTakeover: true });
    expect(result?.response).to.equal('permessage-deflate; server_no_context_takeover; client_no_context_takeover');
    expect(result?.params).to.deep.equal({ ...DEFAULT_PARAMS, serverNoContextTakeover: true, clientNoContextTakeover: true });
  });

  it('echoes client_no_context_takeover offered by the client', () => {
    const result = negotiatePermessageDeflate([offer(['client_no_context_takeover', true])]);
    expect(result?.response).to.equal('permessage-deflate; client_no_context_takeover');
    expect(result?.params.clientNoContextTakeover).to.equal(true);
  });

  it('writes every parameter in a fixed order', () => {
    const result = negotiatePermessageDeflate([
      offer(['client_max_window_bits', '9'], ['server_max_window_bits', '10'], ['client_no_context_takeover', true], ['server_no_context_takeover', true]),
    ]);
    expect(result?.response).to.equal(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
    );
    expect(result?.params).to.deep.equal({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 9,
    });
  });

  it('rejects window-bits options outside 8..15', () => {
    expect(() => negotiatePermessageDeflate([offer()], { serverMaxWindowBits: 16 })).to.throw(RangeError);
    expect(() => negotiatePermessageDeflate([offer()], { clientMaxWindowBits: 7 })).to.throw(RangeError);
    expect(() => negotiatePermessageDeflate([offer()], { clientMaxWindowBits: 9.5 })).to.throw(RangeError);
  });
});
