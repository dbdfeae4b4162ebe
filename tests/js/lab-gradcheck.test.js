// The Lab's "gradcheck" experiment against the wasm engine (Model.gradientCheck), at a small
// setting: every layer kind of the engine's registry passes the check (relative errors below the
// 1e-2 line in float32, kinks apart), a zoo model passes, and a deliberately broken backward (a sign
// flip, a missing factor ½) fails by orders of magnitude. Prints the numbers.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const Lab = require(path.join(root, 'web', 'lib', 'lab', 'lab.js'));
require(path.join(root, 'web', 'lib', 'lab', 'gradcheck.js'));
let E;
test.before(async () => {
  E = await require(path.join(dir, 'cnn_engine_st.js'))({
    wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')),
  });
});

const zoo = (name) => JSON.parse(fs.readFileSync(path.join(root, 'web', 'models', `${name}.json`), 'utf8'));
const ctx = () => ({ E, data: {}, update() {}, tick: async () => {}, zoo });
const run = (given) => Lab.get('gradcheck').run(ctx(), Lab.resolveSettings('gradcheck', given).settings);

function report(name, r) {
  for (const res of r.results)
    if (res.error) console.log(`[gradcheck ${name}] ${res.label}: ERROR ${res.error}`);
    else
      for (const p of res.params)
        console.log(
          `[gradcheck ${name}] ${res.id} ${p.name}: ${p.checked} entries, kinks ${p.kinks}, uncertain ${p.uncertain}, wrong ${p.fails}, median ${p.median.toExponential(1)}, noise ${p.noise.toExponential(1)}${p.name === res.broken ? ' (broken)' : ''}`,
        );
  for (const c of r.claims) console.log(`[gradcheck ${name}] ${c.holds ? 'holds' : 'FAILS'} ${c.id}: ${c.text}`);
}

test('gradcheck: the layer picker covers every kind of the engine’s registry, and the zoo list is index.json’s', () => {
  const opts = Lab.get('gradcheck')
    .settings.find((s) => s.key === 'layer')
    .options.map(([v]) => v);
  // the registry's kinds, as the engine lists them in an unknown-type error
  let known;
  try {
    new E.Model(JSON.stringify({ input: [1, 2, 2], layers: [{ type: 'nope' }] }));
  } catch (e) {
    known = /known: ([^)]*)\)/.exec(e.message)[1].split(', ');
  }
  assert.ok(known && known.length > 10, 'the engine names its layer kinds');
  for (const k of known) assert.ok(opts.includes(k), `the picker lacks the layer kind ${k}`);
  const index = JSON.parse(fs.readFileSync(path.join(root, 'web', 'models', 'index.json'), 'utf8'));
  for (const m of index.zoo) assert.ok(opts.includes(m.name), `the picker lacks the zoo model ${m.name}`);
});

test('gradcheck: every layer kind passes; a sign flip and a missing factor fail by orders of magnitude', async () => {
  const small = { entries: 12 };
  const ok = await run(small);
  report('all', ok);
  assert.equal(ok.results.length, 22);
  for (const res of ok.results) assert.ok(!res.error, `${res.label}: ${res.error}`);
  const byId = Object.fromEntries(ok.claims.map((c) => [c.id, c]));
  assert.ok(byId.passes.holds, byId.passes.text);
  assert.ok(byId.passes.value < 1e-3, 'the median relative error is far below the line');
  assert.equal(byId['broken-caught'], undefined, 'nothing is broken by default');
  // the relative errors are the notes' formula of the engine's two gradients
  for (const e of ok.results[0].params[0].entries) {
    const want = Math.abs(e.analytic - e.numeric) / Math.max(Math.abs(e.analytic), Math.abs(e.numeric));
    assert.ok(Math.abs(e.rel - want) <= 1e-12 * Math.max(1, want), `${e.rel} vs ${want}`);
  }

  for (const kind of ['sign', 'half']) {
    const bad = await run({ ...small, layer: 'conv2d', break: kind });
    report(`conv2d ${kind}`, bad);
    const res = bad.results[0];
    assert.equal(res.broken, 'tested.weight');
    const broken = res.params.find((p) => p.name === 'tested.weight');
    const c = Object.fromEntries(bad.claims.map((x) => [x.id, x]));
    assert.ok(c['broken-caught'].holds, c['broken-caught'].text);
    assert.ok(c['broken-caught'].value >= 100, 'orders of magnitude');
    assert.ok(!broken.passes);
    // a sign flip gives exactly 2, a missing ½ exactly 0.5 wherever the numbers agree
    assert.ok(Math.abs(broken.median - (kind === 'sign' ? 2 : 0.5)) < 0.05, `${broken.median}`);
    // the other tensor still passes
    assert.ok(c.passes.holds, c.passes.text);
  }
});

test('gradcheck: a zoo model (LeNet-5) passes, every tensor', async () => {
  const r = await run({ layer: 'lenet5', entries: 8, batch: 1 });
  report('lenet5', r);
  const c = Object.fromEntries(r.claims.map((x) => [x.id, x]));
  assert.equal(r.results[0].params.length, 10);
  assert.ok(c.passes.holds, c.passes.text);
});

test('gradcheck: the engine refuses bad options with a clear message', () => {
  const m = new E.Model(JSON.stringify({ input: [1, 4, 4], layers: [{ type: 'dense', name: 'd', units: 2 }] }));
  try {
    const x = new Float32Array(16);
    assert.throws(() => m.gradientCheck(x, [0], 1, { h: 0 }), /option 'h' must be a number in \(0, 1\]/);
    assert.throws(() => m.gradientCheck(x, [0], 1, { entries: 0.5 }), /option 'entries' must be a whole number/);
    assert.throws(
      () => m.gradientCheck(x, [0], 1, { scale: { param: 'nope', factor: -1 } }),
      /no parameter named 'nope'/,
    );
    assert.throws(() => m.gradientCheck(new Float32Array(3), [0], 1, {}), /input has 3 values/);
    const r = JSON.parse(m.gradientCheck(x.fill(0.5), [1], 1, { entries: 3 }));
    assert.deepEqual(
      r.params.map((p) => [p.name, p.entries.length]),
      [
        ['d.weight', 3],
        ['d.bias', 2],
      ],
    );
  } finally {
    m.delete();
  }
});
