// What a body declares and how it uses its arrays, read from php-parser's AST.
import { expect } from 'chai';
import Engine from 'php-parser';
import { FOREACH, collectContainerEvidence, collectVariables, containerKind } from '../src/scopes.mjs';

const parse = (php) => new Engine({ parser: { php8: true }, ast: { withPositions: true } }).parseCode(`<?php ${php}`, 'x.php');

describe('port/scopes', () => {
  it('collects assigned variables, not parameters, globals or those of nested functions', () => {
    const { assigned, globals } = collectVariables(parse('$a = 1; $b .= "x"; global $g; $g = 2; $p = 3; function f() { $inner = 1; } foreach ($a as $k => $v) {}').children, ['p']);
    expect([...assigned.keys()].sort()).to.deep.equal(['a', 'b', 'k', 'v']);
    expect([...globals]).to.deep.equal(['g']);
    expect(assigned.get('k')).to.deep.equal([FOREACH]);
  });

  it('a variable first created by $x[] = … is container-only', () => {
    const { containerOnly } = collectVariables(parse('$list[] = 1; $known = []; $known[] = 2;').children);
    expect([...containerOnly]).to.deep.equal(['list']);
  });

  it('tells lists from keyed arrays by use', () => {
    const evidence = new Map();
    collectContainerEvidence(parse("$l = array(); $l[] = 1; $m = array(); $m[$id] = 1; $n = array('k' => 1); $p = explode(',', 'a'); $q = []; $r = []; unset($r[1]); $this->c[$x] = 1;").children, evidence);
    expect(['l', 'm', 'n', 'p', 'q', 'r', 'this.c', 'none'].map((k) => containerKind(evidence, k))).to.deep.equal(['list', 'map', 'map', 'list', 'list', 'map', 'map', null]);
  });
});
