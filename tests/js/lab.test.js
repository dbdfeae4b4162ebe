// The Lab's core (web/lib/lab/lab.js) and its experiments run in Node against the wasm engine, as the
// worker runs them: settings are checked against each experiment's table, and the experiments'
// claims hold at their defaults. (The page runs them in Chromium: e2e/lab-widget.spec.js.)
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const Lab = require(path.join(root, 'web', 'lib', 'lab', 'lab.js'));
for (const id of Lab.IDS) require(path.join(root, 'web', 'lib', 'lab', `${id}.js`));
let E;
test.before(async () => {
  E = await require(path.join(dir, 'cnn_engine_st.js'))({
    wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')),
  });
});

const ctx = () => ({ E, data: {}, update() {}, tick: async () => {} });

test('every experiment of the list is defined, with a title, a topic, an intro and typed settings', () => {
  assert.ok(Lab.IDS.length >= 1);
  for (const id of Lab.IDS) {
    const x = Lab.get(id);
    assert.ok(x.title && x.topic && x.intro.length, id);
    for (const s of x.settings)
      assert.deepEqual(Lab.resolveSettings(id, { [s.key]: s.default }).problems, [], `${id} ${s.key}`);
  }
  assert.throws(() => Lab.get('nope'), /There is no experiment "nope" in the Lab/);
});

test('settings: strings from attributes, defaults, and clear problems', () => {
  const r = Lab.resolveSettings('conv-arithmetic', { width: '7', stride: '3', example: 'digit' });
  assert.deepEqual(r.problems, []);
  assert.equal(r.settings.width, 7);
  assert.equal(r.settings.stride, 3);
  assert.equal(r.settings.kernel, 3, 'the default');
  const bad = Lab.resolveSettings('conv-arithmetic', { stride: '0', kernel: '2.5', example: 'x', colour: 'red' });
  assert.deepEqual(bad.problems, [
    'kernel: must be a whole number, got 2.5',
    'stride: must be at least 1, got 0',
    'example: must be one of notes, digit, got "x"',
    'colour is not a setting of the conv-arithmetic experiment',
  ]);
});

test('conv-arithmetic: every claim holds at the defaults and in the notes’ "doesn’t fit" case', async () => {
  const x = Lab.get('conv-arithmetic');
  for (const given of [{}, { width: 7, height: 7, stride: 3, channels: 3, filters: 10 }, { pad: 1, stride: 2 }]) {
    const { settings } = Lab.resolveSettings('conv-arithmetic', given);
    const r = await x.run(ctx(), settings);
    for (const c of r.claims) assert.ok(c.holds, `${JSON.stringify(given)}: ${c.text}`);
  }
  const r = await x.run(ctx(), Lab.resolveSettings('conv-arithmetic', {}).settings);
  assert.deepEqual(r.steps.output, [
    [4, 3, 4],
    [2, 4, 3],
    [2, 3, 4],
  ]);
  assert.deepEqual(r.pooling.max, [
    [6, 8],
    [3, 4],
  ]);
});

// MNIST training images for the experiments that train (the first `n`), as the worker holds them.
const CnnIdx = require(path.join(root, 'web', 'lib', 'idx.js'));
async function mnistTrain(n) {
  const read = (f) => fs.readFileSync(path.join(root, 'build', 'data', f));
  const d = await CnnIdx.dataset(read('mnist-train-images.idx.gz'), read('mnist-train-labels.idx.gz'));
  const size = d.h * d.w * d.c;
  return new E.Dataset(d.pixels.subarray(0, n * size), d.labels.subarray(0, n), n, d.c, d.h, d.w, d.numClasses);
}

test('babysit: the initial loss is ln 10, regularization raises it, 20 images overfit, bad rates are caught', async () => {
  const train = await mnistTrain(5000);
  try {
    const t0 = Date.now();
    const settings = Lab.resolveSettings('babysit', { trials: 3 }).settings;
    const r = await Lab.get('babysit').run({ ...ctx(), data: { train } }, settings);
    console.log(`[lab babysit] ${((Date.now() - t0) / 1000).toFixed(1)} s in Node (one thread)`);
    for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
    for (const c of r.claims) assert.ok(c.holds, c.text);
    assert.ok(Math.abs(r.steps.initial.loss - Math.log(10)) < 0.02);
    assert.equal(r.steps.high.status, 'diverged');
  } finally {
    train.delete();
  }
});
