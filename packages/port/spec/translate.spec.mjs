// One construct at a time: the PHP the legacy scripts use, and the exact JavaScript it becomes.
import { expect } from 'chai';
import { translate } from '../src/translate.mjs';

/** The module without the PHP helpers appended at its end. */
function port(php) {
  const { code, report } = translate(`<?php\n${php}\n`, { filename: 'x.php' });
  return { code: code.split('\n// ---- PHP semantics used above')[0].trimEnd(), helpers: code.includes('---- PHP semantics') ? code.split('---- PHP semantics used above')[1] : '', report };
}
const code = (php) => port(php).code;
const IMPORT = "import { IPWorksSSL_WSServer } from 'wsserver-compat/compat';";

describe('port/translate', () => {
  describe('the vendor includes', () => {
    it('become one import of the names used, where the first include was', () => {
      const out = port("// header\nrequire_once('../include/ipworksssl_wsserver.php');\ninclude 'ipworksssl_const.php';\n$r = ipworksssl_wsserver_open();");
      expect(out.code).to.equal("// header\nimport { ipworksssl_wsserver_open } from 'wsserver-compat/compat';\nlet r;\nr = ipworksssl_wsserver_open();");
      expect(out.report.map((r) => [r.line, r.kind])).to.deep.equal([[3, 'changed'], [4, 'changed']]);
    });

    it('another include is kept as a TODO with its source', () => {
      const out = port("require 'lib/util.php';");
      expect(out.code).to.equal("// TODO(port): require: another PHP file: port it too and import it\n// require 'lib/util.php';");
      expect(out.report).to.deep.equal([{ line: 2, kind: 'todo', construct: 'require', why: 'another PHP file: port it too and import it' }]);
    });
  });

  describe('classes extending IPWorksSSL_WSServer', () => {
    it('keep their names and method casing; fire handlers that send become async and await', () => {
      const out = code(
        "class S extends IPWorksSSL_WSServer {\n  private $n = 0;\n  function FireDataIn($param) {\n    $this->n++;\n    $this->DoSendText($param['connectionid'], 'ok');\n    return $param;\n  }\n  function firelog($param) { echo $param['message']; }\n}",
      );
      expect(out).to.equal(
        `${IMPORT}\nclass S extends IPWorksSSL_WSServer {\n  n = 0;\n  async FireDataIn(param) {\n    this.n++;\n    await this.DoSendText(param.connectionid, 'ok');\n    return param;\n  }\n  firelog(param) {\n    $echo(param.message);\n  }\n}`,
      );
    });

    it('a constructor calls super() (added, and reported, when the PHP one did not call parent::__construct)', () => {
      expect(code('class S extends IPWorksSSL_WSServer {\n  function __construct($p) { parent::__construct(); $this->setLocalPort($p); }\n}')).to.equal(
        `${IMPORT}\nclass S extends IPWorksSSL_WSServer {\n  constructor(p) {\n    super();\n    this.setLocalPort(p);\n  }\n}`,
      );
      const out = port('class S extends IPWorksSSL_WSServer {\n  function __construct() { $this->x = 1; }\n}');
      expect(out.code).to.include('  constructor() {\n    super();\n    this.x = 1;');
      expect(out.report.map((r) => r.construct)).to.deep.equal(['__construct']);
    });

    it('self:: constants and static members', () => {
      expect(code('class K { const PORT = 8080; static function p() { return self::PORT; } }')).to.equal(
        'class K {\n  static PORT = 8080;\n  static p() {\n    return K.PORT;\n  }\n}',
      );
    });
  });

  describe('procedural calls', () => {
    it('await every do_* but do_config, and the doEvents loop', () => {
      expect(code("$r = ipworksssl_wsserver_open();\nipworksssl_wsserver_do_config($r, 'A=1');\nipworksssl_wsserver_do_startlistening($r);\nwhile (true) ipworksssl_wsserver_do_doevents($r);")).to.equal(
        "import { ipworksssl_wsserver_do_config, ipworksssl_wsserver_do_doevents, ipworksssl_wsserver_do_startlistening, ipworksssl_wsserver_open } from 'wsserver-compat/compat';\nlet r;\nr = ipworksssl_wsserver_open();\nipworksssl_wsserver_do_config(r, 'A=1');\nawait ipworksssl_wsserver_do_startlistening(r);\nwhile (true) {\n  await ipworksssl_wsserver_do_doevents(r);\n}",
      );
    });

    it('a per-connection set in the vendor order (value, index) is emitted as (index, value) and reported', () => {
      const out = port('$r = ipworksssl_wsserver_open();\nipworksssl_wsserver_set($r, 19, 30, $cid = 1);');
      expect(out.code).to.include('ipworksssl_wsserver_set(r, 19, cid = 1, 30);');
      expect(out.report).to.deep.include({
        line: 3,
        kind: 'changed',
        construct: 'ipworksssl_wsserver_set(…, 30, $cid = 1)',
        why: "per-connection set of WSConnectionTimeout written in the vendor's order (value, index): emitted as (index, value)",
      });
    });

    it('an async handler with out-parameters is reported as a decision the connection waits for', () => {
      const out = port("function open_req($param) { $param['statuscode'] = 404; ipworksssl_wsserver_do_ping(1, $param['connectionid']); return $param; }\nipworksssl_wsserver_register_callback(1, 12, 'open_req');");
      expect(out.code).to.include('async function open_req(param) {\n  param.statuscode = 404;');
      expect(out.report.find((r) => r.construct === 'open_req: async').why).to.include('WebSocketOpenRequest is a decision: the connection is held until the handler settles');
    });

    it('register_callback with a function name, array($this, …) and a closure; the handler reads $param', () => {
      const out = code(
        "$r = ipworksssl_wsserver_open();\nfunction d($param) { global $r; ipworksssl_wsserver_do_sendbytes($r, $param['connectionid'], $param['text']); }\nipworksssl_wsserver_register_callback($r, 3, 'd');\nipworksssl_wsserver_register_callback($r, 1, function ($p) { echo $p['connectionid']; });\nclass C { function go() { global $r; ipworksssl_wsserver_register_callback($r, 4, array($this, 'gone')); } function gone($param) { echo $param['description']; } }",
      );
      expect(out).to.include('async function d(param) {\n  await ipworksssl_wsserver_do_sendbytes(r, param.connectionid, param.textb);\n}');
      expect(out).to.include('ipworksssl_wsserver_register_callback(r, 3, d);');
      expect(out).to.include('ipworksssl_wsserver_register_callback(r, 1, (p) => {\n  $echo(p.connectionid);\n});');
      expect(out).to.include("ipworksssl_wsserver_register_callback(r, 4, (param) => this.gone(param));");
      expect(out).to.include('  gone(param) {\n    $echo(param.description);');
    });
  });

  describe('bytes and text', () => {
    it('a binary parameter is read as its bytes; Send takes them as a byte string (valid UTF-8 goes as text)', () => {
      const out = code("class S extends IPWorksSSL_WSServer { function fireDataIn($param) { $t = $param['text']; $this->doSend($param['connectionid'], $param['text']); $this->doSendText($param['connectionid'], 'got ' . $t); } }");
      expect(out).to.include("t = param.textb.toString('latin1');");
      expect(out).to.include("await this.doSend(param.connectionid, param.textb.toString('latin1'));");
      expect(out).to.include("await this.doSendText(param.connectionid, $text('got ' + t));");
    });

    it('SendBytes takes the Buffer of a binary parameter', () => {
      expect(code("class S extends IPWorksSSL_WSServer { function fireDataIn($param) { $this->DOSENDBYTES($param['connectionid'], $param['text']); } }")).to.include('await this.DOSENDBYTES(param.connectionid, param.textb);');
    });

    it('strlen of a binary parameter is its byte count', () => {
      expect(code("function f($param) { return strlen($param['text']); }\nipworksssl_wsserver_register_callback(1, 3, 'f');")).to.include('return param.textb.length;');
    });

    it('string literals: ASCII as is, UTF-8 text through $u8, escapes as the bytes they are', () => {
      expect(code('$a = "tab\\there"; $b = \'café\'; $c = "\\xff\\x00"; $d = "\\u{e9}";')).to.equal(
        "let a, b, c, d;\na = 'tab\\there';\nb = $u8('café');\nc = '\\xff\\x00';\nd = $u8('é');",
      );
    });
  });

  describe('PHP semantics', () => {
    it('concatenation converts what is not known to be a string', () => {
      expect(code("function f($x) { return 'n=' . $x . ' ' . 5 . strlen('ab'); }")).to.include("return 'n=' + $str(x) + ' ' + 5 + $strlen('ab');");
    });

    it('.= on a string variable, and on one of unknown type', () => {
      expect(code("$s = '';\n$s .= 'a';")).to.include("s += 'a';");
      expect(code('function f($s) { $s .= 1; return $s; }')).to.include('s = $str(s) + 1;');
    });

    it('== is === only where PHP compares the same way, else $eq', () => {
      const out = code("function f($a, $param) { if ($a == 'x') {} if ($a == 1) {} if ('a' != $a) {} if ($a <> 2) {} if ($a === 3) {} }");
      expect(out).to.include("if ($eq(a, 'x')) {");
      expect(out).to.include('if ($eq(a, 1)) {');
      expect(out).to.include("if (!$eq('a', a)) {");
      expect(out).to.include('if (!$eq(a, 2)) {');
      expect(out).to.include('if (a === 3) {');
      expect(code("$s = 'v';\nif ($s == 'x') {}")).to.include("if (s === 'x') {");
    });

    it('arithmetic on values of unknown type goes through $num', () => {
      expect(code('function f($a) { return $a + 1; }')).to.include('return $num(a) + 1;');
      expect(code('$i = 1;\n$j = $i * 2;')).to.include('j = i * 2;');
    });

    it('conditions use PHP truthiness unless the value is a bool or a number', () => {
      expect(code("function f($s) { if ($s) return 1; while (!$s) {} }")).to.include('if ($bool(s)) {');
      expect(code('function f($s) { while (!$s) {} }')).to.include('while (!$bool(s)) {');
      expect(code('$n = 0;\nif ($n) {}')).to.include('if (n) {');
    });

    it('lists and keyed arrays by use: [] and push, Map with get/set/delete, count, foreach', () => {
      const out = code("$l = array();\n$l[] = 1;\n$m = array();\n$m[$k = 2] = 'x';\nunset($m[2]);\necho count($l), count($m), $l[0], $m[2];\nforeach ($m as $id => $v) { echo $id; }\nforeach ($l as $v2) { echo $v2; }");
      expect(out).to.include('l = [];\nl.push(1);\nm = new Map();\nm.set(k = 2, \'x\');\nm.delete(2);');
      expect(out).to.include('$echo($count(l), $count(m), l[0], m.get(2));');
      expect(out).to.include('for (const [id, v] of m) {');
      expect(out).to.include('for (const v2 of l) {');
    });

    it('an array literal with keys is a Map; isset and empty on its elements', () => {
      const out = code("$a = array('in' => 0, 'out' => 1);\nif (isset($a['in']) && !empty($a['out'])) {}");
      expect(out).to.include("a = new Map([['in', 0], ['out', 1]]);");
      expect(out).to.include("if (a.get('in') != null && !$empty(a.get('out'))) {");
    });

    it('$argv and $argc, global (dropped and reported), and module-scope declarations', () => {
      const out = port('$p = $argv[1];\nfunction f() { global $p; return $argc; }');
      expect(out.code.split('\n').slice(0, 3)).to.deep.equal(['const argv = [process.argv[1], ...process.argv.slice(2)]; // PHP: $argv', 'const argc = process.argv.length - 1; // PHP: $argc', 'let p;']);
      expect(out.report.map((r) => r.construct)).to.deep.equal(['global']);
    });

    it('try/catch (Exception $e) with getMessage() and getCode(); new Exception is an Error', () => {
      expect(code("try { throw new Exception('x'); } catch (Exception $e) { echo $e->getMessage(), $e->getCode(); }")).to.equal(
        "try {\n  throw new Error('x');\n} catch (e) {\n  $echo(e.message, e.code);\n}",
      );
    });

    it('echo, print, printf, sprintf, exit and die', () => {
      expect(code("echo 'a', 'b';\nprint 'c';\nprintf('%d', 1);\n$s = sprintf('%s', 'x');\nexit(3);")).to.equal(
        "let s;\n$echo('a', 'b');\n$echo('c');\n$printf('%d', 1);\ns = $sprintf('%s', 'x');\nprocess.exit(3);",
      );
      expect(code("die('bye');")).to.equal("($echo('bye'), process.exit(0));");
    });

    it('sleep and usleep wait, so the function that calls them is async', () => {
      const out = port('function tick() { sleep(1); }\ntick();');
      expect(out.code).to.equal('async function tick() {\n  await $sleep(1);\n}\nawait tick();');
      expect(out.helpers).to.include('function $sleep(');
    });

    it('fgets(STDIN), file_get_contents, file_put_contents, date and time', () => {
      expect(code("$l = fgets(STDIN);\n$d = file_get_contents('a');\nfile_put_contents('b', $d, FILE_APPEND);\necho date('Y', time());")).to.equal(
        "import * as $fs from 'node:fs'; // for the PHP file functions below\nlet l, d;\nl = $fgetsStdin();\nd = $file_get_contents('a');\n$file_put_contents('b', d, 8);\n$echo($date('Y', $time()));",
      );
    });

    it('switch on strings compares as strings; on anything else through $eq', () => {
      expect(code("function f($c) { switch ($c) { case 'a': return 1; default: return 2; } }")).to.include("switch ($str(c)) {\n    case 'a':\n      return 1;\n    default:\n      return 2;\n  }");
      expect(code('function f($c) { switch ($c) { case 1: break; } }')).to.include('switch (true) {\n    case $eq(c, 1):\n      break;');
    });

    it('for loops, elseif chains, ternaries, casts', () => {
      expect(code('for ($i = 0; $i < 3; $i++) { if ($i == 0) {} elseif ($i == 1) {} else {} }\n$x = (int) "5" > 2 ? "y" : "n";')).to.equal(
        "let i, x;\nfor (i = 0; i < 3; i++) {\n  if (i === 0) {\n  } else if (i === 1) {\n  } else {\n  }\n}\nx = Math.trunc($num('5')) > 2 ? 'y' : 'n';",
      );
    });
  });

  describe('comments', () => {
    it('are kept where they were: own lines, end of line, blocks, and # comments', () => {
      expect(code('/* head */\n$a = 1; // one\n# two\nif ($a) {\n  // inside\n  $a = 2;\n  // last\n}')).to.equal(
        '/* head */\nlet a;\na = 1; // one\n// two\nif (a) {\n  // inside\n  a = 2;\n  // last\n}',
      );
    });
  });

  describe('what it cannot translate', () => {
    const cases = [
      ['static $n = 0;', 'static variable'],
      ['print_r($x = 1);', 'print_r()'],
      ['$f = "g"; $f();', 'dynamic call'],
      ['echo $undefined;', '$undefined'],
      ['echo SOME_CONSTANT;', 'SOME_CONSTANT'],
      ['function f(&$x) {}', 'by-reference parameter'],
      ['while (true) { break 2; }', 'break 2'],
      ['function f($b) { return $b ?: 1; }', '?:'],
      ['try {} catch (MyException $e) {}', 'catch (MyException)'],
    ];
    for (const [php, construct] of cases) {
      it(`${php} is kept as a TODO(port) comment and reported as ${construct}`, () => {
        const out = port(php);
        expect(out.code).to.include('// TODO(port): ');
        expect(out.report.filter((r) => r.kind === 'todo').map((r) => r.construct)).to.deep.equal([construct]);
      });
    }

    it('a script that does not parse is reported, not guessed at', () => {
      const out = translate('<?php if (', { filename: 'x.php' });
      expect(out.report[0].kind).to.equal('todo');
      expect(out.code).to.match(/^\/\/ TODO\(port\): the script does not parse/);
    });
  });
});
