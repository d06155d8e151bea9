// The facts about a PHP function body (or the module's top level) that the emitter needs before it
// writes the first line: which variables it assigns (JavaScript must declare them), which are PHP
// arrays used as lists and which as keyed maps, and what was assigned to each (for their types).

/** Marks a variable that a foreach loop assigns. */
export const FOREACH = Object.freeze({ kind: 'foreach-variable' });

/** Walks a node's children without entering nested functions, closures or classes. */
export function* walkBody(node) {
  const stack = [node];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n !== 'object') continue;
    if (Array.isArray(n)) {
      for (let i = n.length - 1; i >= 0; i--) stack.push(n[i]);
      continue;
    }
    if (typeof n.kind !== 'string') continue;
    yield n;
    if (n !== node && (n.kind === 'function' || n.kind === 'closure' || n.kind === 'arrowfunc' || n.kind === 'class' || n.kind === 'method'))
      continue;
    for (const key of Object.keys(n)) {
      if (key === 'loc' || key === 'leadingComments' || key === 'trailingComments') continue;
      const v = n[key];
      if (v && typeof v === 'object') stack.push(v);
    }
  }
}

/** A container reference: `$x` -> 'x', `$this->x` -> 'this.x'; anything else -> null. */
export function containerKey(node) {
  if (!node) return null;
  if (node.kind === 'variable' && typeof node.name === 'string') return node.name;
  if (node.kind === 'propertylookup' && node.what?.kind === 'variable' && node.what.name === 'this' && node.offset?.kind === 'identifier')
    return `this.${node.offset.name}`;
  return null;
}

const isIntLiteral = (n) => n?.kind === 'number' && /^\d+$/.test(n.value);

/**
 * Records, for one body, what tells a list from a map. `evidence` is shared by the class (for
 * `$this->x`) or kept per body (for variables): Map(key -> { list, map }).
 */
export function collectContainerEvidence(body, evidence, { skipVariables = false } = {}) {
  const mark = (key, what) => {
    if (!key || (skipVariables && !key.startsWith('this.'))) return;
    const e = evidence.get(key) ?? { list: 0, listLiteral: 0, map: 0 };
    e[what]++;
    evidence.set(key, e);
  };
  for (const n of walkBody(body)) {
    if (n.kind === 'assign') {
      const left = n.left;
      if (left.kind === 'offsetlookup') {
        const key = containerKey(left.what);
        if (!left.offset) mark(key, 'list');
        else if (!isIntLiteral(left.offset)) mark(key, 'map');
      }
      const key = containerKey(left);
      if (key && n.right.kind === 'array') mark(key, n.right.items.some((item) => item && item.key) ? 'map' : 'listLiteral');
      if (key && n.right.kind === 'call' && n.right.what?.kind === 'name' && n.right.what.name.toLowerCase() === 'explode') mark(key, 'list');
    } else if (n.kind === 'offsetlookup' && n.offset && (n.offset.kind === 'string' || n.offset.kind === 'encapsed')) {
      mark(containerKey(n.what), 'map');
    } else if (n.kind === 'unset') {
      for (const v of n.variables) if (v.kind === 'offsetlookup') mark(containerKey(v.what), 'map');
    }
  }
}

/** 'map', 'list' or null (not used as an array) from the evidence of one key. */
export function containerKind(evidence, key) {
  const e = evidence.get(key);
  if (!e) return null;
  if (e.map) return 'map';
  if (e.list || e.listLiteral) return 'list';
  return null;
}

/**
 * The variables a body assigns (PHP creates them on first assignment; JavaScript needs `let`),
 * with the right-hand sides seen for each, and the names it takes from module scope (`global`).
 */
export function collectVariables(body, params = []) {
  const assigned = new Map(); // name -> [rhs nodes] (null for assignments whose value is not known)
  const globals = new Set();
  const containerOnly = new Set(); // first created by `$x[] = …` / `$x[k] = …`
  const add = (name, rhs) => {
    if (typeof name !== 'string' || name === 'this' || params.includes(name)) return;
    if (!assigned.has(name)) assigned.set(name, []);
    assigned.get(name).push(rhs);
  };
  const addTarget = (target, rhs) => {
    if (!target) return;
    if (target.kind === 'variable') add(target.name, rhs);
    else if (target.kind === 'list' || target.kind === 'array') for (const item of target.items) addTarget(item?.value ?? item, rhs === FOREACH ? FOREACH : null);
    else if (target.kind === 'offsetlookup' && target.what.kind === 'variable' && target.what.name !== 'this') {
      if (!assigned.has(target.what.name) && !params.includes(target.what.name)) containerOnly.add(target.what.name);
    }
  };
  for (const n of walkBody(body)) {
    if (n.kind === 'assign') {
      if (n.operator === '=') addTarget(n.left, n.right);
      else if (n.left.kind === 'variable') add(n.left.name, n.operator === '.=' ? { kind: 'string', value: '' } : null);
    } else if (n.kind === 'foreach') {
      addTarget(n.key, FOREACH);
      addTarget(n.value, FOREACH);
    } else if (n.kind === 'global') {
      for (const v of n.items) if (v.kind === 'variable') globals.add(v.name);
    } else if ((n.kind === 'post' || n.kind === 'pre') && n.what.kind === 'variable') {
      add(n.what.name, { kind: 'number', value: '0' });
    }
  }
  for (const name of containerOnly) if (!assigned.has(name)) assigned.set(name, []);
  for (const name of globals) assigned.delete(name);
  return { assigned, globals, containerOnly };
}
