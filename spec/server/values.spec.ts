import { expect } from 'chai';
import { booleanValue, formatBoolean, integerValue, parseBoolean, parseConfigString, parseInteger } from '../../lib/server/values';

describe('server/values', () => {
  describe('parseBoolean', () => {
    const rows: ReadonlyArray<readonly [unknown, boolean | undefined]> = [
      [true, true],
      [false, false],
      [1, true],
      [0, false],
      ['True', true],
      ['False', false],
      ['TRUE', true],
      ['false', false],
      ['tRuE', true],
      ['1', true],
      ['0', false],
      ['Yes', true],
      ['No', false],
      [' yes ', true],
      ['\tNO\n', false],
      ['YES', true],
      // Negative rows: none of these is a boolean in the reference's rules.
      ['2', undefined],
      [2, undefined],
      [-1, undefined],
      [0.5, undefined],
      [Number.NaN, undefined],
      ['', undefined],
      ['   ', undefined],
      ['y', undefined],
      ['n', undefined],
      ['on', undefined],
      ['off', undefined],
      ['01', undefined],
      ['1.0', undefined],
      ['truee', undefined],
      ['true false', undefined],
      [null, undefined],
      [undefined, undefined],
      [{}, undefined],
      [[true], undefined],
    ];
    for (const [input, expected] of rows) {
      it(`${JSON.stringify(input) ?? String(input)} → ${String(expected)}`, () => {
        expect(parseBoolean(input)).to.equal(expected);
      });
    }
  });

  describe('parseInteger', () => {
    const rows: ReadonlyArray<readonly [unknown, number | undefined]> = [
      [0, 0],
      [42, 42],
      [-7, -7],
      ['0', 0],
      ['42', 42],
      [' 42 ', 42],
      ['+5', 5],
      ['-5', -5],
      ['-0', 0],
      ['007', 7],
      ['0x10', 16],
      ['0X10', 16],
      ['0xff', 255],
      ['0x80000000', 0x80000000],
      [' 0x1F ', 31],
      ['-0x10', -16],
      ['9007199254740991', Number.MAX_SAFE_INTEGER],
      // Negative rows.
      ['1.5', undefined],
      [1.5, undefined],
      ['1e3', undefined],
      ['', undefined],
      ['   ', undefined],
      ['-', undefined],
      ['+', undefined],
      ['0x', undefined],
      ['0xg', undefined],
      ['12abc', undefined],
      ['1 2', undefined],
      ['- 1', undefined],
      ['9007199254740992', undefined],
      [Number.NaN, undefined],
      [Number.POSITIVE_INFINITY, undefined],
      [2 ** 53, undefined],
      [true, undefined],
      [null, undefined],
      [undefined, undefined],
    ];
    for (const [input, expected] of rows) {
      it(`${JSON.stringify(input) ?? String(input)} → ${String(expected)}`, () => {
        expect(parseInteger(input)).to.equal(expected);
      });
    }

    it("returns +0, not -0, for '-0'", () => {
      expect(Object.is(parseInteger('-0'), 0)).to.equal(true);
    });
  });

  describe('formatBoolean', () => {
    it("formats true as 'True'", () => {
      expect(formatBoolean(true)).to.equal('True');
    });
    it("formats false as 'False'", () => {
      expect(formatBoolean(false)).to.equal('False');
    });
    it('round-trips through parseBoolean', () => {
      expect(parseBoolean(formatBoolean(true))).to.equal(true);
      expect(parseBoolean(formatBoolean(false))).to.equal(false);
    });
  });

  describe('parseConfigString', () => {
    type Parsed = { name: string; index?: string; value?: string } | null;
    const rows: ReadonlyArray<readonly [string, Parsed]> = [
      ['A=b', { name: 'A', value: 'b' }],
      ['A=b=c', { name: 'A', value: 'b=c' }],
      ['A=', { name: 'A', value: '' }],
      ['A', { name: 'A' }],
      [' A ', { name: 'A' }],
      [' A = b ', { name: 'A', value: ' b ' }],
      ['MaxLineLength=1024', { name: 'MaxLineLength', value: '1024' }],
      ['A[5]=1', { name: 'A', index: '5', value: '1' }],
      ['A[5]', { name: 'A', index: '5' }],
      ['A[5]=', { name: 'A', index: '5', value: '' }],
      ['A[5]=x=y', { name: 'A', index: '5', value: 'x=y' }],
      ['A[ 5 ]=1', { name: 'A', index: '5', value: '1' }],
      ['A [5] =1', { name: 'A', index: '5', value: '1' }],
      ['A[007]', { name: 'A', index: '007' }],
      ['A=[5]', { name: 'A', value: '[5]' }],
      // Negative rows.
      ['', null],
      ['   ', null],
      ['=b', null],
      [' =b', null],
      ['A[]', null],
      ['A[x]', null],
      ['A[-1]', null],
      ['A[1.5]', null],
      ['A[', null],
      ['A[5', null],
      ['A[5=1', null],
      ['A[5]x', null],
      ['A[5]x=1', null],
      ['A[5][6]', null],
      ['[5]=1', null],
      ['A]=1', null],
    ];
    for (const [input, expected] of rows) {
      it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
        expect(parseConfigString(input)).to.deep.equal(expected);
      });
    }

    it('leaves out index and value when absent (no undefined-valued keys)', () => {
      expect(Object.keys(parseConfigString('A') ?? {})).to.deep.equal(['name']);
      expect(Object.keys(parseConfigString('A[1]') ?? {})).to.deep.equal(['name', 'index']);
    });
  });

  describe('integerValue and booleanValue (property setters)', () => {
    it('take what the parsers take, in range, and throw 605 for anything else', () => {
      expect([integerValue('0x10', 0, 100), integerValue(' 7 ', 0), integerValue(65535, 0, 65535)]).to.deep.equal([16, 7, 65535]);
      for (const bad of ['1e3', '', 1.5, 65536, -1, null]) {
        expect(() => integerValue(bad, 0, 65535), String(bad)).to.throw().with.property('code', 605);
      }
      expect([booleanValue('Yes'), booleanValue(0)]).to.deep.equal([true, false]);
      expect(() => booleanValue('2')).to.throw().with.property('code', 605);
    });
  });
});
