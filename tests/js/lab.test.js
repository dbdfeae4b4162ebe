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

// MNIST training images for the experiments that train (build/data, scripts/setup.sh).
const mnistDir = path.join(root, 'build', 'data');
async function mnistTrain(n) {
  const CnnIdx = require(path.join(root, 'web', 'lib', 'idx.js'));
  const read = (f) => fs.readFileSync(path.join(mnistDir, f));
  const d = await CnnIdx.dataset(read('mnist-train-images.idx.gz'), read('mnist-train-labels.idx.gz'));
  return new E.Dataset(d.pixels.subarray(0, n * 784), d.labels.subarray(0, n), n, 1, 28, 28, 10);
}

test('lr: the notes’ rates, the range test against the grid and the schedules, at the defaults', async (t) => {
  if (!fs.existsSync(path.join(mnistDir, 'mnist-train-images.idx.gz'))) {
    t.skip('build/data has no MNIST (run scripts/setup.sh)');
    return;
  }
  const train = await mnistTrain(4000);
  try {
    const x = Lab.get('lr');
    const { settings } = Lab.resolveSettings('lr', {});
    const updates = [];
    const t0 = Date.now();
    const r = await x.run({ E, data: { train }, update: (p) => updates.push(p), tick: async () => {} }, settings);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`lr at the defaults: ${seconds.toFixed(1)} s (${JSON.stringify(r.timing)})`);
    for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
    assert.deepEqual(
      r.claims.map((c) => c.id),
      ['very-high', 'high', 'low', 'range-test', 'schedules'],
    );
    for (const c of r.claims) assert.ok(c.holds, c.text);
    assert.ok(updates.length >= 5 && updates.every((u) => typeof u.status === 'string'));
    // the four rates ran the same number of iterations, but for the one that diverged
    const byKey = Object.fromEntries(r.rates.map((x) => [x.key, x]));
    assert.equal(byKey['very-high'].status, 'diverged');
    for (const k of ['high', 'good', 'low']) assert.equal(byKey[k].losses.length, settings.iterations, k);
    // the range test's rates are the engine's exponential schedule: from 1e-5, the same factor each step
    const g = r.range;
    assert.ok(Math.abs(g.lrs[0] - 1e-5) < 1e-9);
    for (let i = 1; i < g.lrs.length; ++i) assert.ok(Math.abs(g.lrs[i] / g.lrs[i - 1] - g.gamma) < 1e-4);
    assert.ok(g.suggested > 1e-3 && g.suggested < 1, `suggestion ${g.suggested}`);
    assert.equal(r.grid.length, 5);
    // the schedules as the engine set them: cosine warms up from 0, step decays in three levels
    const sch = Object.fromEntries(r.schedules.map((x) => [x.type, x]));
    for (const x of r.schedules) assert.equal(x.lrs.length, settings.iterations, x.type);
    assert.equal(sch.cosine.lrs[0], 0);
    assert.ok(Math.abs(Math.max(...sch.cosine.lrs) - settings.high) < 1e-6);
    assert.deepEqual([...new Set(sch.step.lrs.map((v) => v.toPrecision(3)))], ['0.500', '0.0500', '0.00500']);
    assert.ok(sch.constant.lrs.every((v) => Math.abs(v - settings.high) < 1e-7));
    // the constant schedule is the high rate of the first figure again: the same run, bit for bit
    assert.deepEqual(sch.constant.losses, byKey.high.losses);
    // too few images for the settings: a message, nothing runs
    const { settings: big } = Lab.resolveSettings('lr', { images: 3500, validation: 1000 });
    await assert.rejects(
      x.run({ E, data: { train }, update() {}, tick: async () => {} }, big),
      /The training set has 4000 images: 3500 training and 1000 validation images do not fit/,
    );
  } finally {
    train.delete();
  }
});
