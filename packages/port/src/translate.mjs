// A legacy PHP WSServer script -> an ES module on wsserver-compat/compat, statement by statement,
// keeping the script's names, order and comments. What it cannot translate faithfully is kept as a
// `TODO(port)` comment with the PHP source, and every such place (and every change a reviewer should
// know about) goes into the report.
import Engine from 'php-parser';
import * as runtime from './php-runtime.mjs';
import {
  PHP_CLASS,
  PREFIX,
  VENDOR_INCLUDES,
  PROCEDURAL,
  classMethod,
  classProperty,
  eventsById,
  fireEvent,
  proceduralIsAsync,
  propertiesById,
} from './component.mjs';
import { bytesLiteral, doubleQuotedBytes, jsQuote, templatePiece, utf8Bytes } from './literals.mjs';
import { FOREACH, collectContainerEvidence, collectVariables, containerKey, containerKind, walkBody } from './scopes.mjs';

/** An untranslatable construct, thrown from deep inside an expression and caught by its statement. */
class Untranslatable extends Error {
  constructor(node, construct, why) {
    super(why);
    this.node = node;
    this.construct = construct;
  }
}

const RESERVED = new Set(
  ('break case catch class const continue debugger default delete do else enum export extends false finally for function if import in ' +
    'instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface ' +
    'package private protected public await async arguments eval undefined NaN Infinity ' +
    'process Buffer Math Map Error Promise Number String Object Array Date console TypeError Boolean JSON argv argc').split(' '),
);

/** PHP functions with a direct translation: name -> helper, and the type of what they give. */
const HELPER_CALLS = {
  strlen: ['$strlen', 'int'],
  substr: ['$substr', 'string'],
  strtolower: ['$strtolower', 'string'],
  strtoupper: ['$strtoupper', 'string'],
  trim: ['$trim', 'string'],
  ltrim: ['$ltrim', 'string'],
  rtrim: ['$rtrim', 'string'],
  chop: ['$rtrim', 'string'],
  str_repeat: ['$str_repeat', 'string'],
  explode: ['$explode', 'list'],
  implode: ['$implode', 'string'],
  join: ['$implode', 'string'],
  count: ['$count', 'int'],
  sizeof: ['$count', 'int'],
  sprintf: ['$sprintf', 'string'],
  printf: ['$printf', 'int'],
  date: ['$date', 'string'],
  time: ['$time', 'int'],
  file_get_contents: ['$file_get_contents', null],
  file_put_contents: ['$file_put_contents', null],
  strval: ['$str', 'string'],
  is_numeric: ['$isNumeric', 'bool'],
};
/** Calls that have no effect in Node.js and are dropped (with a note). */
const NO_EFFECT = new Set(['error_reporting', 'set_time_limit', 'ini_set', 'flush', 'ob_implicit_flush', 'ob_flush', 'date_default_timezone_set']);
const CONSTANTS = { PHP_EOL: ["'\\n'", 'string'], FILE_APPEND: ['8', 'int'], PHP_INT_MAX: ['Number.MAX_SAFE_INTEGER', 'int'] };

// JavaScript precedence levels used to decide where parentheses go.
const P = { seq: 1, assign: 2, cond: 3, or: 4, and: 5, bor: 6, bxor: 7, band: 8, eq: 9, rel: 10, shift: 11, add: 12, mul: 13, exp: 14, unary: 15, post: 16, call: 18, primary: 20 };
const BIN = {
  '+': ['+', P.add], '-': ['-', P.add], '*': ['*', P.mul], '/': ['/', P.mul], '%': ['%', P.mul], '**': ['**', P.exp],
  '&': ['&', P.band], '|': ['|', P.bor], '^': ['^', P.bxor], '<<': ['<<', P.shift], '>>': ['>>', P.shift],
  '<': ['<', P.rel], '>': ['>', P.rel], '<=': ['<=', P.rel], '>=': ['>=', P.rel],
};

const expr = (code, type = null, prec = P.primary) => ({ code, type, prec });
const wrap = (e, min) => (e.prec < min ? `(${e.code})` : e.code);
const lower = (s) => String(s).toLowerCase();

export function translate(source, { filename = 'script.php' } = {}) {
  return new Translator(source, filename).run();
}

class Translator {
  constructor(source, filename) {
    this.source = source;
    this.filename = filename;
    this.report = [];
    this.helpers = new Set();
    this.imports = new Set();
    this.out = [];
    this.indent = 0;
    this.emittedComments = new Set();
    this.lastEndLine = 0;
  }

  // ---- driver ---------------------------------------------------------------------------------

  run() {
    const parser = new Engine({ parser: { extractDoc: true, php8: true, suppressErrors: false }, ast: { withPositions: true } });
    try {
      this.ast = parser.parseCode(this.source, this.filename);
    } catch (error) {
      const line = error.lineNumber ?? 0;
      this.note(line, 'todo', 'parse error', String(error.message));
      return { code: `// TODO(port): the script does not parse: ${error.message}\n`, report: this.report };
    }
    this.comments = (this.ast.comments ?? []).slice().sort((a, b) => a.offset - b.offset);
    this.prepass();
    const module = this.newScope('module', this.ast.children, []);
    this.moduleScope = module;
    this.scope = module;
    this.importLine = -1;
    const body = this.ast.children;
    // The import goes where the first vendor include was (or at the top); its text is known at the end.
    if (!body.some((n) => this.isVendorInclude(n))) {
      // After the script's header comment, as a reader expects an import.
      if (body[0]) this.flushComments(body[0].loc.start.offset);
      this.placeImport();
    }
    this.emitStatements(body, { start: 0, end: this.source.length });
    return { code: this.finish(), report: this.report };
  }

  finish() {
    const lines = [...this.out];
    const head = [];
    const names = [...this.imports].sort();
    if (names.length) head.push(`import { ${names.join(', ')} } from 'wsserver-compat/compat';`);
    if (runtime.USES_FS.some((name) => this.helpers.has(name))) head.push("import * as $fs from 'node:fs'; // for the PHP file functions below");
    if (this.usesArgv) head.push('const argv = [process.argv[1], ...process.argv.slice(2)]; // PHP: $argv');
    if (this.usesArgc) head.push('const argc = process.argv.length - 1; // PHP: $argc');
    const decl = this.declarations(this.moduleScope);
    if (decl) head.push(decl);
    lines.splice(this.importLine, 1, ...head);
    const helpers = this.helperSource();
    if (helpers) lines.push('', '// ---- PHP semantics used above (written by wsserver-compat-port) ----', ...helpers.split('\n'));
    return lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
  }

  helperSource() {
    const all = new Set();
    const add = (name) => {
      if (all.has(name)) return;
      all.add(name);
      for (const dep of runtime.DEPENDS[name] ?? []) add(dep);
    };
    for (const name of this.helpers) add(name);
    const order = Object.keys(runtime.DEPENDS).filter((name) => all.has(name));
    return order.map((name) => String(runtime[name]).replace(/^function/, 'function')).join('\n\n');
  }

  placeImport() {
    if (this.importLine >= 0) return false;
    this.importLine = this.out.length;
    this.out.push('<import>');
    return true;
  }

  note(line, kind, construct, why) {
    this.report.push({ line, kind, construct, why });
  }

  // ---- what is known before the first line is written ------------------------------------------

  prepass() {
    this.functions = new Map(); // lower name -> node
    this.classes = new Map(); // lower name -> { node, methods: Map(lower -> node), evidence }
    this.callbackFunctions = new Map(); // lower function name -> event (or 'unknown')
    this.callbackMethods = new Map(); // lower method name -> event
    this.constants = new Set();
    this.bodies = new Map(); // function-like node -> { async: bool, event }
    for (const n of walkAll(this.ast)) {
      if (n.kind === 'function') this.functions.set(lower(n.name.name ?? n.name), n);
      if (n.kind === 'class' && n.name) {
        const methods = new Map();
        const evidence = new Map();
        for (const m of n.body) if (m.kind === 'method') {
          methods.set(lower(m.name.name ?? m.name), m);
          collectContainerEvidence(m.body, evidence, { skipVariables: true });
        }
        this.classes.set(lower(n.name.name), { node: n, methods, evidence, name: n.name.name });
      }
      if (n.kind === 'call' && n.what.kind === 'name' && lower(n.what.name) === 'define' && n.arguments[0]?.kind === 'string')
        this.constants.add(n.arguments[0].value);
      if (n.kind === 'classconstant') for (const c of n.constants) this.constants.add(c.name.name ?? c.name);
      if (n.kind === 'call' && n.what.kind === 'name' && lower(n.what.name) === `${PREFIX}register_callback`) {
        const [, id, fn] = n.arguments;
        const event = id?.kind === 'number' ? eventsById.get(Number(id.value)) ?? 'unknown' : 'unknown';
        if (fn?.kind === 'string') this.callbackFunctions.set(lower(fn.value), event);
        else if (fn?.kind === 'array' && fn.items.length === 2 && fn.items[1]?.value?.kind === 'string')
          this.callbackMethods.set(lower(fn.items[1].value.value), event);
        else if (fn?.kind === 'closure' || fn?.kind === 'arrowfunc') this.bodies.set(fn, { event });
      }
    }
    // Which bodies wait for something: a promise-returning call of the component, sleep, or a
    // user function that itself waits. Repeated until nothing changes.
    const all = [];
    for (const n of walkAll(this.ast)) if (n.kind === 'function' || n.kind === 'method' || n.kind === 'closure' || n.kind === 'arrowfunc') all.push(n);
    for (const n of all) if (!this.bodies.has(n)) this.bodies.set(n, {});
    let changed = true;
    while (changed) {
      changed = false;
      for (const n of all) {
        const info = this.bodies.get(n);
        if (info.async) continue;
        for (const inner of walkBody(n.body ?? n)) {
          if (inner !== n && this.callWaits(inner)) {
            info.async = true;
            changed = true;
            break;
          }
        }
      }
    }
  }

  /** Does this call return a promise that the port must await? */
  callWaits(n) {
    if (n.kind !== 'call') return false;
    const what = n.what;
    if (what.kind === 'name') {
      const name = lower(what.name);
      if (PROCEDURAL.has(name)) return proceduralIsAsync(name);
      if (name === 'sleep' || name === 'usleep') return true;
      const fn = this.functions.get(name);
      return Boolean(fn && this.bodies.get(fn)?.async);
    }
    if (what.kind === 'propertylookup' || what.kind === 'nullsafepropertylookup' || what.kind === 'staticlookup') {
      const name = what.offset?.kind === 'identifier' ? what.offset.name : null;
      if (!name) return false;
      const user = this.userMethods(name);
      if (user.length) return user.some((m) => this.bodies.get(m)?.async);
      const method = classMethod(name);
      return Boolean(method?.promise);
    }
    return false;
  }

  userMethods(name) {
    const found = [];
    for (const cls of this.classes.values()) {
      const m = cls.methods.get(lower(name));
      if (m) found.push(m);
    }
    return found;
  }

  newScope(kind, body, params, extra = {}) {
    const vars = collectVariables(body, params);
    const evidence = new Map();
    collectContainerEvidence(body, evidence);
    const scope = { kind, vars, evidence, params, paramEvents: new Map(), catchVars: new Set(), names: new Map(), ...extra };
    if (kind === 'module') for (const n of walkAll(this.ast)) if (n.kind === 'global') for (const v of n.items) if (v.kind === 'variable' && !vars.assigned.has(v.name)) vars.assigned.set(v.name, []);
    return scope;
  }

  declarations(scope) {
    const names = [...scope.vars.assigned.keys()].filter((name) => name !== 'argv' && name !== 'argc' && !this.loopOnly(name, scope));
    if (!names.length) return '';
    const parts = names.map((name) => {
      const js = this.varName(name, scope);
      if (scope.vars.containerOnly.has(name)) return `${js} = ${this.kindOf(name, scope) === 'map' ? 'new Map()' : '[]'}`;
      return js;
    });
    return `let ${parts.join(', ')};`;
  }

  /** A variable only foreach loops assign: each loop declares it (`for (const v of …)`). */
  loopOnly(name, scope) {
    const rhs = scope.vars.assigned.get(name);
    return Boolean(rhs?.length) && rhs.every((r) => r === FOREACH) && !scope.vars.containerOnly.has(name);
  }

  // ---- names and types -------------------------------------------------------------------------

  varName(name, scope = this.scope) {
    if (name === 'this') return 'this';
    if (name === 'argv' && !this.declaredAnywhere(name, scope)) {
      this.usesArgv = true;
      return 'argv';
    }
    if (name === 'argc' && !this.declaredAnywhere(name, scope)) {
      this.usesArgc = true;
      return 'argc';
    }
    let js = name;
    if (RESERVED.has(js) || this.functions.has(lower(js)) || this.classes.has(lower(js)) || this.imports.has(js) || PROCEDURAL.has(js)) js = `${js}_`;
    return js;
  }

  isDeclared(name) {
    if (name === 'this' || name === 'argv' || name === 'argc') return true;
    for (let s = this.scope; s; s = s.parent) {
      if (s.vars.assigned.has(name) || s.params.includes(name) || s.vars.globals.has(name) || s.catchVars.has(name)) return true;
      if (s.uses?.includes(name)) return true;
    }
    return Boolean(this.moduleScope.vars.assigned.has(name));
  }

  declaredAnywhere(name, scope) {
    return scope.vars.assigned.has(name) || scope.params.includes(name) || this.moduleScope?.vars.assigned.has(name);
  }

  /** The scope a variable lives in: its own body, or the module for `global` names. */
  scopeOf(name) {
    if (this.scope.vars.globals.has(name)) return this.moduleScope;
    if (this.scope.kind === 'closure' && !this.scope.vars.assigned.has(name) && !this.scope.params.includes(name) && this.scope.parent) {
      let s = this.scope.parent;
      while (s.kind === 'closure' && !s.vars.assigned.has(name) && !s.params.includes(name) && s.parent) s = s.parent;
      return s;
    }
    return this.scope;
  }

  kindOf(key, scope = this.scope) {
    if (key.startsWith('this.')) return this.classInfo ? containerKind(this.classInfo.evidence, key) : null;
    const own = scope.vars.globals.has(key) ? this.moduleScope : scope;
    return containerKind(own.evidence, key) ?? (own !== this.moduleScope ? containerKind(this.moduleScope.evidence, key) : null);
  }

  typeOfVar(name) {
    const scope = this.scopeOf(name);
    if (scope.paramEvents.has(name)) return 'param';
    if (scope.catchVars.has(name)) return 'exception';
    if ((name === 'argv') && !this.declaredAnywhere(name, scope)) return 'list';
    const kind = this.kindOf(name, scope);
    if (kind) return kind;
    const rhs = scope.vars.assigned.get(name);
    if (!rhs || rhs.length === 0 || rhs.includes(null) || rhs.includes(FOREACH)) return null;
    this.typing ??= new Set();
    if (this.typing.has(name)) return null;
    this.typing.add(name);
    try {
      const types = new Set(rhs.map((r) => this.staticType(r)));
      return types.size === 1 ? [...types][0] : null;
    } finally {
      this.typing.delete(name);
    }
  }

  /** The type of an expression without emitting it: string, int, number, bool, list, map or null. */
  staticType(n) {
    switch (n.kind) {
      case 'string': case 'encapsed': case 'nowdoc': return 'string';
      case 'number': return /^(0x[\da-f]+|0b[01]+|\d+)$/i.test(n.value.replace(/_/g, '')) ? 'int' : 'number';
      case 'boolean': return 'bool';
      case 'bin':
        if (n.type === '.') return 'string';
        if (['==', '!=', '===', '!==', '<>', '<', '>', '<=', '>=', '&&', '||', 'and', 'or', 'xor'].includes(n.type)) return 'bool';
        if (['+', '-', '*', '%'].includes(n.type)) return this.staticType(n.left) === 'int' && this.staticType(n.right) === 'int' ? 'int' : 'number';
        return n.type === '/' ? 'number' : null;
      case 'unary': return n.type === '!' ? 'bool' : 'number';
      case 'variable': return typeof n.name === 'string' ? this.typeOfVar(n.name) : null;
      case 'isset': case 'empty': return 'bool';
      case 'cast': return { int: 'int', string: 'string', bool: 'bool', float: 'number' }[n.type] ?? null;
      case 'offsetlookup': {
        const param = this.paramRead(n);
        if (param) return param.type;
        return null;
      }
      case 'call': {
        if (n.what.kind === 'name') {
          const name = lower(n.what.name);
          if (HELPER_CALLS[name]) return HELPER_CALLS[name][1];
          if (name === `${PREFIX}get` && n.arguments[1]?.kind === 'number') return schemaType(propertiesById.get(Number(n.arguments[1].value))?.type);
          if (name === `${PREFIX}get_last_error`) return 'string';
          if (name === `${PREFIX}get_last_error_code` || name === `${PREFIX}open`) return 'int';
          if (proceduralIsAsync(name) || name === `${PREFIX}set`) return 'int';
          if (name === 'intval') return 'int';
        } else if (n.what.kind === 'propertylookup' && n.what.offset?.kind === 'identifier') {
          const name = n.what.offset.name;
          if (this.userMethods(name).length) return null;
          if (lower(name) === 'getmessage') return 'string';
          const prop = classProperty(name);
          if (prop && lower(name).startsWith('get')) return schemaType(prop.type);
        }
        return null;
      }
      default: return null;
    }
  }

  /** `$param['key']` in an event handler: { event, key, type, binary } or null. */
  paramRead(n) {
    if (n.kind !== 'offsetlookup' || n.what.kind !== 'variable' || n.offset?.kind !== 'string') return null;
    const scope = this.scopeOf(n.what.name);
    if (!scope.paramEvents.has(n.what.name)) return null;
    const event = scope.paramEvents.get(n.what.name);
    const key = n.offset.value;
    const info = event !== 'unknown' ? event.params.get(key) : undefined;
    return { event, key, binary: info?.type === 'binary', type: info ? schemaType(info.type) : null, out: info?.out };
  }

  // ---- statements --------------------------------------------------------------------------------

  line(text) {
    this.out.push(text === '' ? '' : '  '.repeat(this.indent) + text);
  }

  /** Comments before `offset` not written yet, each on its own line (or after the previous line's code). */
  flushComments(before, { from = 0 } = {}) {
    for (const c of this.comments) {
      if (c.offset >= before) break;
      if (c.offset < from || this.emittedComments.has(c.offset)) continue;
      this.emittedComments.add(c.offset);
      const text = commentText(c);
      const lines = text.split('\n');
      if (c.loc.start.line === this.lastEndLine && this.out.length && this.out[this.out.length - 1].trim() && lines.length === 1) {
        this.out[this.out.length - 1] += ` ${lines[0]}`;
      } else {
        if (c.loc.start.line > this.lastEndLine + 1 && this.lastEndLine > 0) this.blank();
        for (const l of dedent(lines)) this.line(l);
      }
      this.lastEndLine = c.loc.end.line - (c.value.endsWith('\n') ? 1 : 0);
    }
  }

  blank() {
    if (this.out.length && this.out[this.out.length - 1] !== '' && this.out[this.out.length - 1] !== '<import>') this.out.push('');
  }

  emitStatements(list, range) {
    for (const stmt of list) {
      if (!stmt) continue;
      this.flushComments(stmt.loc.start.offset, { from: range.start });
      if (stmt.loc.start.line > this.lastEndLine + 1 && this.lastEndLine > 0) this.blank();
      this.emitStatement(stmt);
      this.lastEndLine = stmt.loc.end.line;
    }
    this.flushComments(range.end, { from: range.start });
  }

  emitBlockBody(node, enclosing) {
    const list = node?.kind === 'block' ? node.children : node ? [node] : [];
    this.indent++;
    const start = node?.loc?.start.offset ?? enclosing.loc.start.offset;
    const end = node?.loc?.end.offset ?? enclosing.loc.end.offset;
    this.lastEndLine = node?.loc?.start.line ?? enclosing.loc.start.line;
    this.emitStatements(list, { start, end });
    this.indent--;
  }

  emitStatement(stmt) {
    const mark = this.out.length;
    const helpers = new Set(this.helpers);
    try {
      this.statement(stmt);
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      this.out.length = mark;
      this.helpers = helpers;
      this.todo(stmt, error.node ?? stmt, error.construct, error.message);
    }
    // Comments inside a one-line construct (an argument's comment) follow it.
    if (!['if', 'while', 'do', 'for', 'foreach', 'switch', 'try', 'function', 'class', 'block'].includes(stmt.kind)) {
      for (const c of this.comments) {
        if (c.offset < stmt.loc.start.offset || this.emittedComments.has(c.offset)) continue;
        if (c.offset >= stmt.loc.end.offset) break;
        this.emittedComments.add(c.offset);
        this.out[this.out.length - 1] += ` ${commentText(c).replace(/\n/g, ' ')}`;
      }
    }
  }

  /** Keeps a statement as PHP source in a comment, and reports it. */
  todo(stmt, node, construct, why) {
    const line = node.loc?.start.line ?? stmt.loc.start.line;
    this.note(line, 'todo', construct, why);
    this.line(`// TODO(port): ${construct}: ${why}`);
    const text = this.source.slice(stmt.loc.start.offset, stmt.loc.end.offset);
    for (const l of dedent(text.split('\n'))) this.line(`// ${l}`.trimEnd());
    for (const c of this.comments) if (c.offset >= stmt.loc.start.offset && c.offset < stmt.loc.end.offset) this.emittedComments.add(c.offset);
  }

  statement(s) {
    switch (s.kind) {
      case 'expressionstatement':
        return this.expressionStatement(s.expression, s);
      case 'echo':
        return this.line(`${this.echo(s.expressions)};`);
      case 'inline':
        if (s.raw.trim() === '') return;
        this.helpers.add('$echo');
        return this.line(`$echo(${bytesLiteral(utf8Bytes(s.raw))[0]});`);
      case 'block':
        this.line('{');
        this.emitBlockBody(s, s);
        return this.line('}');
      case 'if':
        return this.ifStatement(s, '');
      case 'while':
        this.line(`while (${this.cond(s.test)}) {`);
        this.emitBlockBody(s.body, s);
        return this.line('}');
      case 'do':
        this.line('do {');
        this.emitBlockBody(s.body, s);
        return this.line(`} while (${this.cond(s.test)});`);
      case 'for': {
        const init = s.init.map((e) => this.expression(e).code).join(', ');
        const test = s.test.map((e, i) => (i === s.test.length - 1 ? this.cond(e) : this.expression(e).code)).join(', ');
        const inc = s.increment.map((e) => this.expression(e).code).join(', ');
        this.line(`for (${init}; ${test}; ${inc}) {`);
        this.emitBlockBody(s.body, s);
        return this.line('}');
      }
      case 'foreach':
        return this.foreach(s);
      case 'switch':
        return this.switchStatement(s);
      case 'break':
      case 'continue':
        if (s.level) throw new Untranslatable(s, `${s.kind} ${s.level.value}`, 'JavaScript leaves loops by label; add a label by hand');
        return this.line(`${s.kind};`);
      case 'return': {
        if (!s.expr) return this.line('return;');
        return this.line(`return ${this.expression(s.expr).code};`);
      }
      case 'try':
        return this.tryStatement(s);
      case 'throw':
        return this.line(`throw ${this.expression(s.what).code};`);
      case 'function':
        return this.functionDeclaration(s);
      case 'class':
        return this.classDeclaration(s);
      case 'global':
        this.note(s.loc.start.line, 'changed', 'global', `${s.items.map((v) => `$${v.name}`).join(', ')}: module-scope variables, visible in the function as they are`);
        return;
      case 'unset':
        for (const v of s.variables) this.line(`${this.unset(v)};`);
        return;
      case 'noop':
        return;
      case 'static':
        throw new Untranslatable(s, 'static variable', 'a function-level static has no JavaScript equivalent; move it to module scope by hand');
      default:
        throw new Untranslatable(s, s.kind, `the statement "${s.kind}" is not in the subset this tool translates`);
    }
  }

  ifStatement(s, prefix) {
    this.line(`${prefix}if (${this.cond(s.test)}) {`);
    this.emitBlockBody(s.body, s);
    if (!s.alternate) return this.line('}');
    if (s.alternate.kind === 'if') return this.ifStatement(s.alternate, '} else ');
    this.line('} else {');
    this.emitBlockBody(s.alternate, s);
    return this.line('}');
  }

  foreach(s) {
    if (s.value?.byref) throw new Untranslatable(s, 'foreach by reference', 'the loop changes the array through &$value');
    const source = this.expression(s.source);
    const kind = source.type === 'list' || source.type === 'map' ? source.type : null;
    const target = (node) => {
      if (node.kind === 'variable') return this.varName(node.name, this.scopeOf(node.name));
      if (node.kind === 'list' || node.kind === 'array') return `[${node.items.map((i) => (i ? target(i.value ?? i) : '')).join(', ')}]`;
      throw new Untranslatable(node, 'foreach target', 'only variables and list() can receive the values');
    };
    const value = target(s.value);
    let head;
    if (s.key) {
      const key = target(s.key);
      const pairs = kind === 'map' ? source.code : kind === 'list' ? `${wrap(source, P.call)}.entries()` : (this.helpers.add('$entries'), `$entries(${source.code})`);
      head = `[${key}, ${value}] of ${pairs}`;
    } else {
      const values = kind === 'map' ? `${wrap(source, P.call)}.values()` : kind === 'list' ? source.code : (this.helpers.add('$entries'), `$entries(${source.code}).map(([, v]) => v)`);
      head = `${value} of ${values}`;
    }
    // Variables that something else assigns too are declared with the body's others (PHP keeps them after the loop).
    const names = [s.key, s.value].filter(Boolean).flatMap((t) => (t.kind === 'variable' ? [t.name] : (t.items ?? []).map((i) => (i?.value ?? i)?.name)));
    const own = names.every((name) => this.loopOnly(name, this.scopeOf(name)));
    this.line(`for (${own ? 'const ' : ''}${head}) {`);
    this.emitBlockBody(s.body, s);
    this.line('}');
  }

  switchStatement(s) {
    const subject = this.expression(s.test);
    const tests = s.body.children.map((c) => c.test).filter(Boolean);
    const allText = tests.every((t) => t.kind === 'string' && !runtime.$isNumeric(t.value));
    const allInt = tests.every((t) => t.kind === 'number') && subject.type === 'int';
    let head;
    let caseCode;
    if (allText && subject.type === 'string') [head, caseCode] = [subject.code, (t) => this.expression(t).code];
    else if (allText) {
      this.helpers.add('$str');
      [head, caseCode] = [`$str(${subject.code})`, (t) => this.expression(t).code];
    } else if (allInt) [head, caseCode] = [subject.code, (t) => this.expression(t).code];
    else {
      this.helpers.add('$eq');
      [head, caseCode] = ['true', (t) => `$eq(${subject.code}, ${this.expression(t).code})`];
    }
    this.line(`switch (${head}) {`);
    this.indent++;
    for (const c of s.body.children) {
      this.flushComments(c.loc.start.offset, { from: s.loc.start.offset });
      this.line(c.test ? `case ${caseCode(c.test)}:` : 'default:');
      this.emitBlockBody(c.body, c);
      this.lastEndLine = c.loc.end.line;
    }
    this.indent--;
    this.line('}');
  }

  tryStatement(s) {
    this.line('try {');
    this.emitBlockBody(s.body, s);
    if (s.catches.length > 1) throw new Untranslatable(s, 'catch by class', 'several catch blocks: JavaScript has one, test the class with instanceof by hand');
    for (const c of s.catches) {
      const types = c.what.map((w) => lower(w.name).replace(/^\\/, ''));
      if (!types.every((t) => ['exception', 'throwable', 'error'].includes(t)))
        throw new Untranslatable(c, `catch (${c.what.map((w) => w.name).join(' | ')})`, 'only Exception, Throwable and Error are caught by the ported script as they are');
      const name = c.variable ? c.variable.name : null;
      if (name) this.scope.catchVars.add(name);
      this.line(name ? `} catch (${this.varName(name)}) {` : '} catch {');
      this.emitBlockBody(c.body, c);
    }
    if (s.always) {
      this.line('} finally {');
      this.emitBlockBody(s.always, s);
    }
    this.line('}');
  }

  expressionStatement(e, stmt) {
    if (e.kind === 'include') return this.include(e, stmt);
    if (e.kind === 'print') return this.line(`${this.echo([e.expression])};`);
    if (e.kind === 'call' && e.what.kind === 'name') {
      const name = lower(e.what.name);
      if (NO_EFFECT.has(name)) {
        if (name === 'date_default_timezone_set' && !(e.arguments[0]?.kind === 'string' && e.arguments[0].value === 'UTC'))
          throw new Untranslatable(e, 'date_default_timezone_set', 'date() here works in UTC only');
        this.note(stmt.loc.start.line, 'changed', `${e.what.name}()`, 'no effect in Node.js: dropped');
        this.line(`// ${this.source.slice(stmt.loc.start.offset, stmt.loc.end.offset)} (no effect in Node.js)`);
        return;
      }
      if (name === 'define') {
        const [key, value] = e.arguments;
        if (key?.kind !== 'string') throw new Untranslatable(e, 'define', 'the constant name is not a literal');
        return this.line(`const ${key.value} = ${this.expression(value).code};`);
      }
    }
    const out = this.expression(e, { statement: true });
    this.line(`${out.code};`);
  }

  /** The base name of a vendor include file this statement includes, or null. */
  vendorInclude(e) {
    if (e?.kind !== 'include') return null;
    const target = e.target;
    const path = target.kind === 'string' ? target.value : target.kind === 'bin' && target.right?.kind === 'string' ? target.right.value : null;
    const base = path ? path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1) : null;
    return base && VENDOR_INCLUDES.has(base.toLowerCase()) ? base : null;
  }

  isVendorInclude(stmt) {
    return stmt.kind === 'expressionstatement' && Boolean(this.vendorInclude(stmt.expression));
  }

  include(e, stmt) {
    const base = this.vendorInclude(e);
    if (base) {
      if (this.scope !== this.moduleScope || this.indent) throw new Untranslatable(e, 'include', 'the vendor include is inside a block: the import must be at the top');
      if (!this.placeImport()) this.note(stmt.loc.start.line, 'changed', base, 'the vendor includes become one import');
      else this.note(stmt.loc.start.line, 'changed', base, "the vendor include becomes `import … from 'wsserver-compat/compat'`");
      return;
    }
    throw new Untranslatable(e, `${e.require ? 'require' : 'include'}${e.once ? '_once' : ''}`, 'another PHP file: port it too and import it');
  }

  // ---- functions and classes ---------------------------------------------------------------------

  paramList(args) {
    return args
      .map((a) => {
        if (a.byref) throw new Untranslatable(a, 'by-reference parameter', `&$${a.name.name}: JavaScript passes values; return the value instead`);
        const name = this.varName(a.name.name);
        if (a.variadic) return `...${name}`;
        return a.value ? `${name} = ${this.expression(a.value).code}` : name;
      })
      .join(', ');
  }

  /** Enters the scope of a function-like node for `fn`, with its event parameter marked. */
  withBody(node, kind, event, fn) {
    const params = node.arguments.map((a) => a.name.name);
    const outer = this.scope;
    const scope = this.newScope(kind, node.body, params, { parent: outer });
    if (kind === 'closure' && node.uses) {
      scope.uses = node.uses.map((u) => u.name);
      for (const u of node.uses) scope.vars.assigned.delete(u.name);
    }
    if (event && params[0]) scope.paramEvents.set(params[0], event);
    this.scope = scope;
    try {
      return fn(scope);
    } finally {
      this.scope = outer;
    }
  }

  functionBody(node, kind, event, head) {
    const info = this.bodies.get(node);
    this.withBody(node, kind, event, (scope) => {
      const args = this.paramList(node.arguments);
      this.line(`${info?.async ? 'async ' : ''}${head(args)} {`);
      this.indent++;
      const decl = this.declarations(scope);
      if (decl) this.line(decl);
      this.indent--;
      if (kind !== 'closure' || node.body.kind === 'block') this.emitBlockBody(node.body, node);
      this.line('}');
    });
    if (info?.async) this.asyncNote(node, event);
  }

  asyncNote(node, event) {
    const name = node.name?.name ?? 'the closure';
    const why = 'it waits for a call that returns a promise in the compat faces';
    if (event && event !== 'unknown' && [...event.params.values()].some((p) => p.out))
      this.note(node.loc.start.line, 'changed', `${name}: async`, `${why}; ${event.name} is a decision: the connection is held until the handler settles, and its out-parameters are read then (a rejection refuses)`);
    else this.note(node.loc.start.line, 'changed', `${name}: async`, why);
  }

  functionDeclaration(s) {
    const name = s.name.name ?? s.name;
    const event = this.callbackFunctions.get(lower(name));
    this.functionBody(s, 'function', event, (args) => `function ${name}(${args})`);
  }

  classDeclaration(s) {
    if (s.isAbstract || s.implements?.length) throw new Untranslatable(s, 'abstract class or interface', 'not in the subset this tool translates');
    const info = this.classes.get(lower(s.name.name));
    const parent = s.extends ? s.extends.name.replace(/^\\/, '') : null;
    if (parent && lower(parent) === lower(PHP_CLASS)) this.imports.add(PHP_CLASS);
    const outerClass = this.classInfo;
    this.classInfo = { ...info, parent };
    this.line(`class ${s.name.name}${parent ? ` extends ${lower(parent) === lower(PHP_CLASS) ? PHP_CLASS : parent}` : ''} {`);
    this.indent++;
    const range = { start: s.loc.start.offset, end: s.loc.end.offset };
    const saveEnd = this.lastEndLine;
    this.lastEndLine = s.loc.start.line;
    for (const m of s.body) {
      this.flushComments(m.loc.start.offset, { from: range.start });
      if (m.loc.start.line > this.lastEndLine + 1) this.blank();
      const mark = this.out.length;
      try {
        this.classMember(m, s);
      } catch (error) {
        if (!(error instanceof Untranslatable)) throw error;
        this.out.length = mark;
        this.todo(m, error.node ?? m, error.construct, error.message);
      }
      this.lastEndLine = m.loc.end.line;
    }
    this.flushComments(range.end, { from: range.start });
    this.indent--;
    this.line('}');
    this.lastEndLine = saveEnd;
    this.classInfo = outerClass;
  }

  classMember(m, cls) {
    if (m.kind === 'propertystatement') {
      for (const p of m.properties) {
        const name = p.name.name;
        const kind = containerKind(this.classInfo.evidence, `this.${name}`);
        let value = p.value ? this.expression(p.value, { kind }) : expr(kind === 'map' ? 'new Map()' : kind === 'list' ? '[]' : 'null');
        this.line(`${m.isStatic ? 'static ' : ''}${name} = ${value.code};`);
      }
      return;
    }
    if (m.kind === 'classconstant') {
      for (const c of m.constants) this.line(`static ${c.name.name ?? c.name} = ${this.expression(c.value).code};`);
      return;
    }
    if (m.kind === 'method') {
      const name = m.name.name;
      if (m.isAbstract) throw new Untranslatable(m, 'abstract method', 'not in the subset this tool translates');
      const event = fireEvent(name) ?? this.callbackMethods.get(lower(name));
      if (lower(name) === '__construct') {
        const callsParent = [...walkBody(m.body)].some((n) => n.kind === 'call' && n.what.kind === 'staticlookup' && staticName(n.what.what) === 'parent' && lower(n.what.offset.name) === '__construct');
        this.functionBody(m, 'method', null, (args) => `constructor(${args})`);
        if (!callsParent && this.classInfo.parent) {
          // JavaScript needs super() before `this`; PHP would have left the parent unconstructed.
          const at = this.out.lastIndexOf('  '.repeat(this.indent) + `constructor(${m.arguments.map((a) => this.varName(a.name.name)).join(', ')}) {`);
          this.out.splice(at + 1, 0, '  '.repeat(this.indent + 1) + 'super();');
          this.note(m.loc.start.line, 'changed', '__construct', 'super() added: JavaScript requires it before `this` (the PHP constructor did not call parent::__construct())');
        }
        return;
      }
      this.functionBody(m, 'method', event, (args) => `${m.isStatic ? 'static ' : ''}${name}(${args})`);
      return;
    }
    throw new Untranslatable(m, m.kind, 'this class member is not in the subset this tool translates');
  }

  // ---- expressions -------------------------------------------------------------------------------

  /** A condition: PHP's truthiness where JavaScript's differs ('0', empty arrays). */
  cond(n) {
    const e = this.expression(n);
    if (e.type === 'bool' || e.type === 'int' || e.type === 'number') return e.code;
    this.helpers.add('$bool');
    return `$bool(${e.code})`;
  }

  condExpr(n) {
    const e = this.expression(n);
    if (e.type === 'bool' || e.type === 'int' || e.type === 'number') return e;
    this.helpers.add('$bool');
    return expr(`$bool(${e.code})`, 'bool', P.call);
  }

  /** A value as a string piece: as it is when it is one, else through PHP's conversion. */
  asString(e, { afterString = false } = {}) {
    if (e.type === 'string') return e;
    if (afterString && e.type === 'int') return e;
    this.helpers.add('$str');
    return expr(`$str(${e.code})`, 'string', P.call);
  }

  asNumber(e) {
    if (e.type === 'int' || e.type === 'number') return e;
    this.helpers.add('$num');
    return expr(`$num(${e.code})`, 'number', P.call);
  }

  echo(args) {
    this.helpers.add('$echo');
    return `$echo(${args.map((a) => this.byteValue(a).code).join(', ')})`;
  }

  /** A value that goes out as bytes: a binary event parameter as its Buffer, anything else as it is. */
  byteValue(n) {
    const param = this.paramRead(n);
    if (param?.binary) return expr(`${this.varName(n.what.name, this.scopeOf(n.what.name))}.${param.key}b`, 'buffer', P.call);
    return this.expression(n);
  }

  expression(n, ctx = {}) {
    switch (n.kind) {
      case 'number': {
        let v = n.value.replace(/_/g, '');
        if (/^0[0-7]+$/.test(v)) v = `0o${v.slice(1)}`;
        return expr(v, this.staticType(n));
      }
      case 'string': {
        const bytes = n.isDoubleQuote ? doubleQuotedBytes(n.raw.slice(1, -1)) : utf8Bytes(n.value);
        const [code, helper] = bytesLiteral(bytes);
        if (helper) this.helpers.add(helper);
        return expr(code, 'string', helper ? P.call : P.primary);
      }
      case 'nowdoc': {
        const [code, helper] = bytesLiteral(utf8Bytes(n.value));
        if (helper) this.helpers.add(helper);
        return expr(code, 'string');
      }
      case 'encapsed':
        return this.encapsed(n);
      case 'boolean':
        return expr(n.value ? 'true' : 'false', 'bool');
      case 'nullkeyword':
        return expr('null');
      case 'variable':
        if (typeof n.name !== 'string') throw new Untranslatable(n, 'variable variable', '$$name has no JavaScript equivalent');
        if (n.name === 'GLOBALS') throw new Untranslatable(n, '$GLOBALS', 'use the module-scope variable by name');
        if (!this.isDeclared(n.name)) throw new Untranslatable(n, `$${n.name}`, 'a variable this script never assigns (from an include this tool does not read?)');
        return expr(this.varName(n.name, this.scopeOf(n.name)), this.typeOfVar(n.name));
      case 'name':
        return this.constant(n);
      case 'magic':
        if (n.value === '__LINE__') return expr(String(n.loc.start.line), 'int');
        if (n.value === '__DIR__') return expr('import.meta.dirname', 'string', P.call);
        if (n.value === '__FILE__') return expr('import.meta.filename', 'string', P.call);
        throw new Untranslatable(n, n.value, 'this magic constant is not translated');
      case 'bin':
        return this.binary(n);
      case 'unary':
        if (n.type === '!') return expr(`!${wrap(this.condExpr(n.what), P.unary)}`, 'bool', P.unary);
        if (n.type === '-' || n.type === '+') return expr(`${n.type}${wrap(this.asNumber(this.expression(n.what)), P.unary)}`, this.staticType(n.what) === 'int' ? 'int' : 'number', P.unary);
        return expr(`${n.type}${wrap(this.expression(n.what), P.unary)}`, 'int', P.unary);
      case 'pre':
        return expr(`${n.type}${n.type}${this.lvalue(n.what)}`, 'int', P.unary);
      case 'post':
        return expr(`${this.lvalue(n.what)}${n.type}${n.type}`, 'int', P.post);
      case 'assign':
        return this.assign(n, ctx);
      case 'retif': {
        if (!n.trueExpr) throw new Untranslatable(n, '?:', 'the short ternary evaluates its test once; write it out by hand');
        const t = this.expression(n.trueExpr);
        const f = this.expression(n.falseExpr);
        return expr(`${wrap(this.condExpr(n.test), P.or)} ? ${wrap(t, P.assign)} : ${wrap(f, P.assign)}`, t.type === f.type ? t.type : null, P.cond);
      }
      case 'cast':
        return this.cast(n);
      case 'silent':
        return this.expression(n.expr, ctx);
      case 'isset':
        return expr(n.variables.map((v) => `${wrap(this.read(v, { soft: true }), P.eq)} != null`).join(' && '), 'bool', n.variables.length > 1 ? P.and : P.eq);
      case 'empty':
        this.helpers.add('$empty');
        return expr(`$empty(${this.read(n.expression, { soft: true }).code})`, 'bool', P.call);
      case 'offsetlookup':
      case 'propertylookup':
      case 'nullsafepropertylookup':
      case 'staticlookup':
        return this.read(n);
      case 'call': {
        const e = this.call(n, ctx);
        return e.type ? e : { ...e, type: this.staticType(n) };
      }
      case 'new':
        return this.newExpression(n);
      case 'array':
        return this.arrayLiteral(n, ctx.kind);
      case 'closure':
      case 'arrowfunc':
        return this.closure(n, ctx.event);
      case 'exit': {
        if (!n.expression || n.expression.kind === 'number') return expr(`process.exit(${n.expression ? n.expression.value : 0})`, null, P.call);
        const value = this.expression(n.expression);
        if (value.type === 'int') return expr(`process.exit(${value.code})`, null, P.call);
        this.helpers.add('$echo');
        return expr(`($echo(${value.code}), process.exit(0))`, null, P.primary);
      }
      case 'print':
        return expr(`(${this.echo([n.expression])}, 1)`, 'int');
      case 'list':
        return expr(`[${n.items.map((i) => (i ? this.lvalue(i.value ?? i) : '')).join(', ')}]`);
      case 'parenthesis':
        return this.expression(n.inner, ctx);
      default:
        throw new Untranslatable(n, n.kind, `the expression "${n.kind}" is not in the subset this tool translates`);
    }
  }

  constant(n) {
    const name = n.name.replace(/^\\/, '');
    if (CONSTANTS[name]) return expr(...CONSTANTS[name]);
    if (this.constants.has(name)) return expr(name);
    if (lower(name) === 'null') return expr('null');
    if (lower(name) === 'true' || lower(name) === 'false') return expr(lower(name), 'bool');
    throw new Untranslatable(n, name, 'an unknown constant (from an include this tool does not read?)');
  }

  encapsed(n) {
    if (n.type === 'shell') throw new Untranslatable(n, 'backticks', 'shell execution is not translated');
    let code = '`';
    for (const part of n.value) {
      const inner = part.expression;
      if (inner.kind === 'string') {
        let bytes = doubleQuotedBytes(inner.raw, { heredoc: n.type === 'heredoc' });
        if (n.type === 'heredoc' && part === n.value[n.value.length - 1] && bytes.endsWith('\n') && !inner.value.endsWith('\n')) bytes = bytes.slice(0, -1);
        if (n.type === 'heredoc' && !inner.raw.includes('\\')) bytes = utf8Bytes(inner.value);
        if (/[^\x00-\x7f]/.test(bytes)) code += `\${${bytesLiteral(bytes)[0]}}`, this.helpers.add('$u8');
        else code += templatePiece(bytes);
      } else {
        const e = this.asString(this.expression(inner), { afterString: true });
        code += `\${${e.code}}`;
      }
    }
    return expr(`${code}\``, 'string');
  }

  binary(n) {
    const t = n.type;
    if (t === '.') {
      const parts = [];
      const flatten = (x) => (x.kind === 'bin' && x.type === '.' ? (flatten(x.left), flatten(x.right)) : parts.push(x));
      flatten(n);
      let seenString = false;
      const code = parts
        .map((p) => {
          const e = this.asString(this.expression(p), { afterString: seenString });
          seenString = true;
          return wrap(e, P.add + 1);
        })
        .join(' + ');
      return expr(code, 'string', P.add);
    }
    if (t === '==' || t === '!=' || t === '<>') {
      const l = this.expression(n.left);
      const r = this.expression(n.right);
      const not = t !== '==';
      if (this.strictIsLoose(n.left, n.right, l, r)) return expr(`${wrap(l, P.eq + 1)} ${not ? '!==' : '==='} ${wrap(r, P.eq + 1)}`, 'bool', P.eq);
      this.helpers.add('$eq');
      return expr(`${not ? '!' : ''}$eq(${l.code}, ${r.code})`, 'bool', not ? P.unary : P.call);
    }
    if (t === '===' || t === '!==') {
      return expr(`${wrap(this.expression(n.left), P.eq + 1)} ${t} ${wrap(this.expression(n.right), P.eq + 1)}`, 'bool', P.eq);
    }
    if (t === '&&' || t === 'and' || t === '||' || t === 'or') {
      const [op, prec] = t === '&&' || t === 'and' ? ['&&', P.and] : ['||', P.or];
      return expr(`${wrap(this.condExpr(n.left), prec)} ${op} ${wrap(this.condExpr(n.right), prec + 1)}`, 'bool', prec);
    }
    if (t === 'xor') return expr(`${wrap(this.condExpr(n.left), P.eq + 1)} !== ${wrap(this.condExpr(n.right), P.eq + 1)}`, 'bool', P.eq);
    if (t === '??') {
      const l = this.read(n.left, { soft: true });
      return expr(`${wrap(l, P.bor)} ?? ${wrap(this.expression(n.right), P.bor)}`, null, P.or);
    }
    if (t === 'instanceof') {
      const right = n.right.kind === 'name' ? (lower(n.right.name) === 'exception' ? 'Error' : n.right.name) : this.expression(n.right).code;
      return expr(`${wrap(this.expression(n.left), P.rel + 1)} instanceof ${right}`, 'bool', P.rel);
    }
    const op = BIN[t];
    if (!op) throw new Untranslatable(n, t, 'an operator this tool does not translate');
    let l = this.expression(n.left);
    let r = this.expression(n.right);
    if (['+', '-', '*', '/', '%', '**'].includes(t)) {
      l = this.asNumber(l);
      r = this.asNumber(r);
    }
    const type = ['<', '>', '<=', '>='].includes(t) ? 'bool' : l.type === 'int' && r.type === 'int' && t !== '/' ? 'int' : 'number';
    return expr(`${wrap(l, op[1])} ${op[0]} ${wrap(r, op[1] + 1)}`, type, op[1]);
  }

  /** Is === the same as PHP's == for these two operands? */
  strictIsLoose(ln, rn, l, r) {
    const literalText = (node) => node.kind === 'string' && !runtime.$isNumeric(node.value);
    if (l.type === 'string' && r.type === 'string' && (literalText(ln) || literalText(rn))) return true;
    if (l.type === 'int' && r.type === 'int') return true;
    if (l.type === 'bool' && r.type === 'bool') return true;
    return false;
  }

  cast(n) {
    const e = this.expression(n.expr);
    switch (n.type) {
      case 'int':
        this.helpers.add('$num');
        return expr(`Math.trunc(${this.asNumber(e).code})`, 'int', P.call);
      case 'float':
        return this.asNumber(e);
      case 'string':
        return this.asString(e);
      case 'bool':
        this.helpers.add('$bool');
        return expr(`$bool(${e.code})`, 'bool', P.call);
      default:
        throw new Untranslatable(n, `(${n.type})`, 'this cast is not translated');
    }
  }

  /** Reads a variable, an array element, a property or a class constant. */
  read(n, { soft = false } = {}) {
    if (n.kind === 'variable') return this.expression(n);
    if (n.kind === 'offsetlookup') {
      if (!n.offset) throw new Untranslatable(n, '$x[]', 'reading from [] is not PHP');
      const param = this.paramRead(n);
      const owner = this.expression(n.what);
      if (param) {
        if (param.binary) return expr(`${owner.code}.${param.key}b.toString('latin1')`, 'string', P.call);
        return expr(`${owner.code}.${param.key}`, param.type, P.call);
      }
      const key = this.expression(n.offset);
      const kind = owner.type === 'param' ? 'param' : owner.type;
      if (kind === 'map') return expr(`${wrap(owner, P.call)}.get(${key.code})`, null, P.call);
      if (kind === 'list' || kind === 'string' || n.what.name === 'argv') return expr(`${wrap(owner, P.call)}[${key.code}]`, null, P.call);
      if (kind === 'param') return expr(`${owner.code}[${key.code}]`, null, P.call);
      throw new Untranslatable(n, 'array element', `cannot tell whether ${this.sourceOf(n.what)} is a list or a keyed array`);
    }
    if (n.kind === 'propertylookup' || n.kind === 'nullsafepropertylookup') {
      if (n.offset.kind !== 'identifier') throw new Untranslatable(n, 'dynamic property', '$obj->$name is not translated');
      const owner = this.expression(n.what);
      const key = containerKey(n);
      const type = key ? containerKind(this.classInfo?.evidence ?? new Map(), key) : null;
      return expr(`${wrap(owner, P.call)}${n.kind === 'nullsafepropertylookup' ? '?.' : '.'}${n.offset.name}`, type, P.call);
    }
    if (n.kind === 'staticlookup') {
      const cls = this.staticClass(n.what);
      if (n.offset.kind === 'identifier') return expr(`${cls}.${n.offset.name}`, null, P.call);
      if (n.offset.kind === 'variable') return expr(`${cls}.${n.offset.name}`, null, P.call);
    }
    return this.expression(n);
  }

  staticClass(what) {
    const name = staticName(what);
    if ((name === 'self' || name === 'static') && this.classInfo) return this.classInfo.name;
    if (name === 'parent') return 'super';
    return what.name;
  }

  sourceOf(n) {
    return this.source.slice(n.loc.start.offset, n.loc.end.offset);
  }

  /** The JavaScript target of an assignment to a variable or a property. */
  lvalue(n) {
    if (n.kind === 'variable') return this.expression(n).code;
    if (n.kind === 'propertylookup' || n.kind === 'staticlookup') return this.read(n).code;
    if (n.kind === 'offsetlookup') {
      const param = this.paramRead(n);
      if (param) return `${this.expression(n.what).code}.${param.key}`;
      const owner = this.expression(n.what);
      if (owner.type === 'list' || owner.type === 'param') return `${wrap(owner, P.call)}[${this.expression(n.offset).code}]`;
    }
    throw new Untranslatable(n, 'assignment target', `${this.sourceOf(n)} cannot be assigned this way in the port`);
  }

  assign(n, ctx) {
    const left = n.left;
    const op = n.operator;
    // $list[] = v, $map[k] = v
    if (left.kind === 'offsetlookup' && !this.paramRead(left) && this.expression(left.what).type !== 'param') {
      const owner = this.expression(left.what);
      if (op !== '=') {
        if (owner.type === 'map' && left.offset) {
          const k = this.expression(left.offset).code;
          const read = this.read(left);
          const value = this.compound(op, read, n.right);
          return expr(`${wrap(owner, P.call)}.set(${k}, ${value.code})`, null, P.call);
        }
        if (owner.type !== 'list') throw new Untranslatable(n, `${op} on an array element`, 'cannot tell whether the array is a list or a keyed array');
      } else {
        const value = this.expression(n.right);
        if (!left.offset) {
          if (owner.type !== 'list') throw new Untranslatable(n, '$x[] =', 'appending to a keyed array is not translated');
          return expr(`${wrap(owner, P.call)}.push(${value.code})`, null, P.call);
        }
        if (owner.type === 'map') return expr(`${wrap(owner, P.call)}.set(${this.expression(left.offset).code}, ${value.code})`, null, P.call);
        if (owner.type !== 'list') throw new Untranslatable(n, 'array element assignment', `cannot tell whether ${this.sourceOf(left.what)} is a list or a keyed array`);
        return expr(`${wrap(owner, P.call)}[${this.expression(left.offset).code}] = ${value.code}`, value.type, P.assign);
      }
    }
    if (left.kind === 'list' || left.kind === 'array') {
      if (op !== '=') throw new Untranslatable(n, 'list assignment', 'only = assigns a list');
      const targets = left.items.map((i) => (i ? this.lvalue(i.value ?? i) : '')).join(', ');
      return expr(`[${targets}] = ${this.expression(n.right).code}`, null, P.assign);
    }
    const target = this.lvalue(left);
    const key = containerKey(left);
    const kind = key ? (key.startsWith('this.') ? containerKind(this.classInfo?.evidence ?? new Map(), key) : this.kindOf(key, this.scopeOf(key))) : null;
    if (op === '=') {
      const value = n.right.kind === 'array' ? this.arrayLiteral(n.right, kind) : this.expression(n.right, { event: ctx.event });
      return expr(`${target} = ${value.code}`, value.type, P.assign);
    }
    const read = this.read(left);
    const value = this.compound(op, this.read(left), n.right);
    if (op === '.=' && read.type === 'string') return expr(`${target} += ${wrap(this.asString(this.expression(n.right), { afterString: true }), P.add + 1)}`, 'string', P.assign);
    return expr(`${target} = ${value.code}`, value.type, P.assign);
  }

  /** The value of `a op= b` as an expression. */
  compound(op, read, rightNode) {
    const right = this.expression(rightNode);
    if (op === '.=') return expr(`${wrap(this.asString(read), P.add)} + ${wrap(this.asString(right, { afterString: true }), P.add + 1)}`, 'string', P.add);
    if (op === '??=') return expr(`${wrap(read, P.bor)} ?? ${wrap(right, P.bor)}`, null, P.or);
    const base = op.slice(0, -1);
    const bin = BIN[base];
    if (!bin) throw new Untranslatable(rightNode, op, 'an operator this tool does not translate');
    const l = ['+', '-', '*', '/', '%', '**'].includes(base) ? this.asNumber(read) : read;
    const r = ['+', '-', '*', '/', '%', '**'].includes(base) ? this.asNumber(right) : right;
    return expr(`${wrap(l, bin[1])} ${bin[0]} ${wrap(r, bin[1] + 1)}`, l.type === 'int' && r.type === 'int' ? 'int' : 'number', bin[1]);
  }

  unset(v) {
    if (v.kind === 'offsetlookup') {
      const owner = this.expression(v.what);
      if (owner.type === 'map') return `${wrap(owner, P.call)}.delete(${this.expression(v.offset).code})`;
      if (owner.type === 'param') return `delete ${this.lvalue(v)}`;
      throw new Untranslatable(v, 'unset', `${this.sourceOf(v.what)} is not a keyed array here`);
    }
    if (v.kind === 'variable') return `${this.expression(v).code} = undefined`;
    if (v.kind === 'propertylookup') return `${this.read(v).code} = undefined`;
    throw new Untranslatable(v, 'unset', 'this unset is not translated');
  }

  arrayLiteral(n, kind) {
    const keyed = n.items.some((i) => i && i.key);
    if (n.items.some((i) => i?.byRef || i?.unpack)) throw new Untranslatable(n, 'array with & or ...', 'not translated');
    if (kind === 'map' || keyed) {
      let next = 0;
      const pairs = n.items.map((i) => {
        const key = i.key ? this.expression(i.key).code : String(next++);
        return `[${key}, ${this.expression(i.value).code}]`;
      });
      return expr(pairs.length ? `new Map([${pairs.join(', ')}])` : 'new Map()', 'map', P.call);
    }
    return expr(`[${n.items.map((i) => this.expression(i.value ?? i).code).join(', ')}]`, 'list');
  }

  closure(n, event) {
    const info = this.bodies.get(n) ?? {};
    const ev = event ?? info.event;
    if (n.byref) throw new Untranslatable(n, 'closure returning by reference', 'not translated');
    const indent = this.indent;
    let code;
    this.withBody(n, 'closure', ev, (scope) => {
      const args = this.paramList(n.arguments);
      const head = `${info.async ? 'async ' : ''}(${args}) =>`;
      if (n.kind === 'arrowfunc') {
        code = `${head} ${wrap(this.expression(n.body), P.assign)}`;
        return;
      }
      // The body is written as lines, then joined into the expression of the enclosing statement.
      this.indent = 1;
      const saved = this.out;
      this.out = [];
      const decl = this.declarations(scope);
      if (decl) this.line(decl);
      this.indent = 0;
      const last = this.lastEndLine;
      this.lastEndLine = n.loc.start.line;
      this.emitBlockBody(n.body, n);
      this.lastEndLine = last;
      const body = this.out;
      this.out = saved;
      this.indent = indent;
      code = `${head} {\n${body.map((l) => (l ? '  '.repeat(indent) + l : l)).join('\n')}\n${'  '.repeat(indent)}}`;
    });
    if (info.async) this.asyncNote(n, ev);
    return expr(code, 'closure', P.assign);
  }

  newExpression(n) {
    if (n.what.kind !== 'name') throw new Untranslatable(n, 'new', 'only `new ClassName(…)` is translated');
    const name = n.what.name.replace(/^\\/, '');
    const args = n.arguments.map((a) => this.expression(a).code).join(', ');
    if (lower(name) === 'exception') return expr(`new Error(${args})`, null, P.call);
    if (lower(name) === lower(PHP_CLASS)) {
      this.imports.add(PHP_CLASS);
      return expr(`new ${PHP_CLASS}(${args})`, null, P.call);
    }
    return expr(`new ${name}(${args})`, null, P.call);
  }

  // ---- calls -----------------------------------------------------------------------------------------

  awaited(code, waits) {
    return waits ? expr(`await ${code}`, null, P.unary) : expr(code, null, P.call);
  }

  call(n, ctx) {
    const what = n.what;
    if (what.kind === 'name') return this.functionCall(n, ctx);
    if (what.kind === 'propertylookup' || what.kind === 'nullsafepropertylookup') return this.methodCall(n);
    if (what.kind === 'staticlookup') {
      const cls = this.staticClass(what.what);
      const name = what.offset.name;
      const args = n.arguments.map((a) => this.expression(a).code).join(', ');
      if (cls === 'super' && lower(name) === '__construct') return expr(`super(${args})`, null, P.call);
      return this.awaited(`${cls}.${name}(${args})`, this.callWaits(n));
    }
    throw new Untranslatable(n, 'dynamic call', 'a call through a variable is not translated');
  }

  functionCall(n, ctx) {
    const raw = n.what.name.replace(/^\\/, '');
    const name = lower(raw);
    const args = n.arguments;
    if (PROCEDURAL.has(name)) return this.proceduralCall(n, name);
    const user = this.functions.get(name);
    if (user) {
      const code = `${user.name.name ?? user.name}(${args.map((a) => this.expression(a).code).join(', ')})`;
      return this.awaited(code, this.bodies.get(user)?.async);
    }
    const helper = HELPER_CALLS[name];
    if (name === 'strlen' && this.paramRead(args[0] ?? {})?.binary) return expr(`${this.byteValue(args[0]).code}.length`, 'int', P.call);
    if (helper) {
      if (name === 'count' && args[1]) throw new Untranslatable(n, 'count(…, COUNT_RECURSIVE)', 'not translated');
      this.helpers.add(helper[0]);
      let parts = args.map((a) => this.expression(a).code);
      return expr(`${helper[0]}(${parts.join(', ')})`, helper[1], P.call);
    }
    switch (name) {
      case 'echo':
      case 'print':
        return expr(this.echo(args), null, P.call);
      case 'sleep':
      case 'usleep':
        this.helpers.add(`$${name}`);
        return expr(`await $${name}(${this.asNumber(this.expression(args[0])).code})`, 'int', P.unary);
      case 'intval':
        this.helpers.add('$num');
        return expr(`Math.trunc(${this.asNumber(this.expression(args[0])).code})`, 'int', P.call);
      case 'fgets':
        if (args[0]?.kind === 'name' && args[0].name === 'STDIN') {
          this.helpers.add('$fgetsStdin');
          return expr('$fgetsStdin()', null, P.call);
        }
        throw new Untranslatable(n, 'fgets', 'only fgets(STDIN) is translated');
      case 'exit':
      case 'die':
        return this.expression({ kind: 'exit', expression: args[0], loc: n.loc });
      default:
        throw new Untranslatable(n, `${raw}()`, 'a PHP function this tool has no translation for');
    }
  }

  proceduralCall(n, name) {
    this.imports.add(name);
    const args = n.arguments;
    const line = n.loc.start.line;
    if (name === `${PREFIX}register_callback`) {
      const [res, id, fn] = args;
      const event = id?.kind === 'number' ? eventsById.get(Number(id.value)) : undefined;
      let target;
      if (fn?.kind === 'string') {
        const user = this.functions.get(lower(fn.value));
        if (!user) throw new Untranslatable(n, 'register_callback', `no function named ${fn.value} in this script`);
        target = user.name.name ?? user.name;
      } else if (fn?.kind === 'array' && fn.items.length === 2) {
        const obj = this.expression(fn.items[0].value);
        const method = fn.items[1].value;
        if (method.kind !== 'string') throw new Untranslatable(n, 'register_callback', 'the method name is not a literal');
        target = `(param) => ${obj.code}.${method.value}(param)`;
      } else if (fn?.kind === 'closure' || fn?.kind === 'arrowfunc') {
        target = this.closure(fn, event ?? 'unknown').code;
      } else if (fn?.kind === 'nullkeyword' || (fn?.kind === 'name' && lower(fn.name) === 'null')) {
        target = 'null';
      } else {
        throw new Untranslatable(n, 'register_callback', 'the callback is not a function name, array($obj, \'method\') or a closure');
      }
      return expr(`${name}(${this.expression(res).code}, ${this.expression(id).code}, ${target})`, 'int', P.call);
    }
    if (name === `${PREFIX}set` && args.length === 4) {
      // The vendor's include order is (res, id, value, index); this package takes (res, id, index, value).
      const [res, id, value, index] = args;
      const prop = id.kind === 'number' ? propertiesById.get(Number(id.value)) : undefined;
      this.note(line, 'changed', `${name}(…, ${this.sourceOf(value)}, ${this.sourceOf(index)})`, `per-connection set${prop ? ` of ${prop.name}` : ''} written in the vendor's order (value, index): emitted as (index, value)`);
      return expr(`${name}(${[res, id, index].map((a) => this.expression(a).code).join(', ')}, ${this.bytesArg(value, prop?.type === 'binary', { buffer: false })})`, 'int', P.call);
    }
    const method = name.startsWith(`${PREFIX}do_`) ? name.slice(`${PREFIX}do_`.length) : null;
    const parts = args.map((a, i) => this.dataArg(method, i - 1, a));
    return this.awaited(`${name}(${parts.join(', ')})`, proceduralIsAsync(name));
  }

  /** An argument of a send: bytes stay bytes, text goes out as its bytes. */
  dataArg(method, index, node) {
    if (method === 'sendtext' && index === 1) return this.textArg(node);
    // SendBytes takes the exact bytes (a Buffer where there is one); Send and DataToSend take them as a
    // byte string, so that the automatic format sends valid UTF-8 as text, as the PHP string did.
    if (method === 'sendbytes' && index === 1) return this.bytesArg(node, true);
    if (method === 'send' && index === 1) return this.bytesArg(node, true, { buffer: false });
    return this.expression(node).code;
  }

  textArg(node) {
    const param = this.paramRead(node);
    if (param?.binary) return this.byteValue(node).code;
    const e = this.expression(node);
    if (node.kind === 'string' && !/[^\x20-\x7e]/.test(e.code)) return e.code;
    this.helpers.add('$text');
    return `$text(${e.code})`;
  }

  bytesArg(node, binary, { buffer = true } = {}) {
    if (binary && buffer) {
      const param = this.paramRead(node);
      if (param?.binary) return this.byteValue(node).code;
    }
    const e = this.expression(node);
    if (binary && e.type !== 'string' && e.type !== 'buffer') {
      this.helpers.add('$str');
      return `$str(${e.code})`;
    }
    return e.code;
  }

  methodCall(n) {
    const what = n.what;
    if (what.offset.kind !== 'identifier') throw new Untranslatable(n, 'dynamic method call', '$obj->$name() is not translated');
    const name = what.offset.name;
    const owner = this.expression(what.what);
    const dot = what.kind === 'nullsafepropertylookup' ? '?.' : '.';
    if (owner.type === 'exception') {
      if (lower(name) === 'getmessage') return expr(`${owner.code}.message`, 'string', P.call);
      if (lower(name) === 'getcode') return expr(`${owner.code}.code`, 'int', P.call);
      throw new Untranslatable(n, `$e->${name}()`, 'only getMessage() and getCode() of an exception are translated');
    }
    const args = n.arguments;
    if (this.userMethods(name).length) {
      return this.awaited(`${wrap(owner, P.call)}${dot}${name}(${args.map((a) => this.expression(a).code).join(', ')})`, this.callWaits(n));
    }
    const method = classMethod(name);
    if (method) {
      const lowerName = method.name.toLowerCase();
      const parts = args.map((a, i) => this.dataArg(lowerName, i, a));
      return this.awaited(`${wrap(owner, P.call)}${dot}${name}(${parts.join(', ')})`, method.promise);
    }
    const prop = classProperty(name);
    if (prop && lower(name).startsWith('set')) {
      const parts = args.map((a, i) => (i === args.length - 1 ? this.bytesArg(a, prop.type === 'binary', { buffer: false }) : this.expression(a).code));
      return expr(`${wrap(owner, P.call)}${dot}${name}(${parts.join(', ')})`, null, P.call);
    }
    const code = `${wrap(owner, P.call)}${dot}${name}(${args.map((a) => this.expression(a).code).join(', ')})`;
    return expr(code, prop ? schemaType(prop.type) : null, P.call);
  }
}

/** parent / self / static, or the lower-case class name, of the left side of `::`. */
function staticName(what) {
  if (what.kind === 'parentreference') return 'parent';
  if (what.kind === 'selfreference') return 'self';
  if (what.kind === 'staticreference') return 'static';
  return lower(what.name ?? what.raw ?? '');
}

function schemaType(type) {
  return { integer: 'int', long: 'int', string: 'string', binary: 'string', boolean: 'bool' }[type] ?? null;
}

function* walkAll(node) {
  const stack = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n !== 'object') continue;
    if (Array.isArray(n)) {
      for (let i = n.length - 1; i >= 0; i--) stack.push(n[i]);
      continue;
    }
    if (typeof n.kind === 'string') yield n;
    for (const key of Object.keys(n)) if (key !== 'loc' && key !== 'leadingComments' && key !== 'trailingComments' && n[key] && typeof n[key] === 'object') stack.push(n[key]);
  }
}

function commentText(c) {
  let text = c.value.replace(/\n$/, '');
  if (text.startsWith('#')) text = `//${text.slice(1)}`;
  return text;
}

/** Lines without the indentation they share (the first line's own is already gone). */
function dedent(lines) {
  const rest = lines.slice(1).filter((l) => l.trim());
  const common = rest.length ? Math.min(...rest.map((l) => l.match(/^\s*/)[0].length)) : 0;
  const shift = Math.max(0, common - 1);
  return [lines[0].trimStart(), ...lines.slice(1).map((l) => l.slice(Math.min(shift, l.match(/^\s*/)[0].length)))];
}
