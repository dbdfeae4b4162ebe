// wasm_build/cnn_engine.d.ts stays true: the names it declares (module functions, classes and their
// methods) are exactly those bindings.cpp registers with Embind, and the built module has them (its
// classes' prototypes exactly those methods; the module itself has many Emscripten names besides, so
// there bindings.cpp is the list the declarations are compared with).
// CNN_WASM_DIR: another build directory (relative to the repository), e.g. build/helper-wasm.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const dts = fs.readFileSync(path.join(root, 'wasm_build', 'cnn_engine.d.ts'), 'utf8');
const bindings = fs.readFileSync(path.join(root, 'wasm_build', 'bindings.cpp'), 'utf8');

// Embind's own methods of every handle (declared once, in the d.ts's Handle).
const HANDLE = ['clone', 'delete', 'deleteLater', 'isAliasOf', 'isDeleted'];

// interface name -> member names, from the d.ts: members are the lines indented by four spaces inside
// an interface (prettier's layout), either `name(` (a method), `name:` (a property) or `new (`.
function declared(text) {
  const out = new Map();
  let current = null;
  for (const line of text.split('\n')) {
    const open = /^ {2}interface (\w+)(?: extends (\w+))? \{$/.exec(line);
    if (open) {
      current = { members: [], extends: open[2] || null };
      out.set(open[1], current);
      continue;
    }
    if (current && /^ {2}\}$/.test(line)) {
      current = null;
      continue;
    }
    const member = current && /^ {4}(\w+|new )\??[(:]/.exec(line);
    if (member) current.members.push(member[1].trim());
  }
  return out;
}

// {functions, classes: name -> methods} registered in bindings.cpp's EMSCRIPTEN_BINDINGS block.
function registered(text) {
  const block = text.slice(text.indexOf('EMSCRIPTEN_BINDINGS'));
  const functions = [...block.matchAll(/emscripten::function\("(\w+)"/g)].map((m) => m[1]);
  const classes = new Map();
  for (const part of block.split('emscripten::class_<').slice(1)) {
    const name = /^\w+>\("(\w+)"\)/.exec(part)[1];
    const body = part.slice(0, part.indexOf(';'));
    classes.set(
      name,
      [...body.matchAll(/\.function\("(\w+)"/g)].map((m) => m[1]),
    );
  }
  return { functions, classes };
}

const sorted = (a) => [...a].sort();

test('the .d.ts declares what bindings.cpp registers', () => {
  const d = declared(dts);
  const r = registered(bindings);
  assert.ok(r.functions.length > 0 && r.classes.size > 0, 'bindings.cpp parsed');
  const engine = d.get('CnnEngine');
  assert.ok(engine, 'interface CnnEngine');
  assert.deepEqual(sorted(engine.members), sorted([...r.functions, ...r.classes.keys()]));
  for (const [name, methods] of r.classes) {
    const cls = d.get(name);
    assert.ok(cls, `interface ${name}`);
    assert.equal(cls.extends, 'Handle', `${name} extends Handle`);
    assert.deepEqual(sorted(cls.members), sorted(methods), `${name}'s methods`);
    assert.deepEqual(d.get(`${name}Constructor`).members, ['new'], `${name}Constructor`);
  }
  assert.deepEqual(sorted(d.get('Handle').members), HANDLE);
});

// post.js turns the engine's error values into exceptions only for the classes it lists.
test('post.js wraps every class bindings.cpp registers', () => {
  const post = fs.readFileSync(path.join(root, 'wasm_build', 'post.js'), 'utf8');
  const listed = /for \(const name of \[([^\]]*)\]\) \{\s*const cls = Module\[name\]/.exec(post);
  assert.ok(listed, "post.js's list of classes");
  const names = [...listed[1].matchAll(/'(\w+)'/g)].map((m) => m[1]);
  assert.deepEqual(sorted(names), sorted(registered(bindings).classes.keys()));
});

test('the built module has what the .d.ts declares; its classes have no other methods', async (t) => {
  const file = path.join(dir, 'cnn_engine_st.js');
  if (!fs.existsSync(file)) {
    t.skip(`no wasm build in ${dir}`);
    return;
  }
  const createCnnEngine = require(file);
  const E = await createCnnEngine({ wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')) });
  const d = declared(dts);
  for (const name of d.get('CnnEngine').members) assert.equal(typeof E[name], 'function', `Module.${name}`);
  for (const name of registered(bindings).classes.keys()) {
    const proto = E[name].prototype;
    const own = Object.getOwnPropertyNames(proto).filter((k) => k !== 'constructor' && typeof proto[k] === 'function');
    assert.deepEqual(sorted(own), sorted(d.get(name).members), `${name}'s methods`);
    for (const k of HANDLE) assert.equal(typeof proto[k], 'function', `${name}.${k} (Embind's)`);
  }
  const m = new E.Model('{"input":[1,4,4],"layers":[{"type":"dense","units":2}]}');
  assert.equal(typeof m.summary(), 'string');
  m.delete();
});
