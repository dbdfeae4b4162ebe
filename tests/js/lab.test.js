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

// MNIST's training set from build/data (scripts/setup.sh), as the worker holds it.
const mnistDir = path.join(root, 'build', 'data');
async function mnistTrain() {
  const CnnIdx = require(path.join(root, 'web', 'lib', 'idx.js'));
  const read = (f) => fs.readFileSync(path.join(mnistDir, f));
  const d = await CnnIdx.dataset(read('mnist-train-images.idx.gz'), read('mnist-train-labels.idx.gz'));
  return new E.Dataset(d.pixels, d.labels, d.n, d.c, d.h, d.w, d.numClasses);
}

test('overfit: 300 images memorized, the gap, augmentation narrows it, early stopping restores the best epoch', async (t) => {
  if (!fs.existsSync(path.join(mnistDir, 'mnist-train-images.idx.gz'))) {
    t.skip('build/data has no MNIST (run scripts/setup.sh)');
    return;
  }
  const train = await mnistTrain();
  try {
    const x = Lab.get('overfit');
    const { settings, problems } = Lab.resolveSettings('overfit', { train: 300, validation: 1000, epochs: 12 });
    assert.deepEqual(problems, []);
    const updates = [];
    let ticks = 0;
    const t0 = performance.now();
    const r = await x.run(
      {
        E,
        data: { train },
        update: (p) => updates.push(p),
        tick: async () => {
          ticks++;
        },
      },
      settings,
    );
    console.log(
      `overfit (300 training, 1,000 validation images, 12 epochs): ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
    assert.deepEqual(
      r.runs.map((v) => v.key),
      ['none', 'l2', 'dropout', 'augment', 'batchnorm', 'early'],
    );
    for (const v of r.runs) {
      assert.ok(v.epochs.length >= 1 && v.epochs.length <= 12, v.key);
      for (const e of v.epochs) assert.ok(e.train >= 0 && e.train <= 1 && e.val >= 0 && e.val <= 1, v.key);
      assert.ok(Math.abs(v.gap - (v.train - v.val)) < 1e-12);
    }
    const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
    assert.ok(byId.overfits.holds, byId.overfits.text);
    assert.ok(byId.augment.holds, byId.augment.text);
    assert.ok(byId['early-restores'].holds, byId['early-restores'].text);
    // the unregularized net memorizes its images; the validation images stay far behind
    const none = r.runs[0];
    assert.equal(none.train, 1);
    assert.ok(none.gap > 0.1, `gap ${none.gap}`);
    // early stopping: stopped before the last epoch, the model is the best epoch's
    const early = r.runs[5];
    assert.equal(early.status, 'early_stopped');
    assert.ok(early.epochs.length < 12);
    assert.equal(early.val, Math.max(...early.epochs.map((e) => e.val)));
    // partial results after every variant, and the page could stop it between epochs
    assert.ok(updates.filter((u) => !u.current).length === 6);
    assert.ok(ticks >= 6 * 10, `ticks ${ticks}`);
    // a subset larger than the set is refused in words
    const tiny = new E.Dataset(new Uint8Array(100 * 784), new Uint8Array(100), 100, 1, 28, 28, 10);
    try {
      await assert.rejects(x.run({ ...ctx(), data: { train: tiny } }, settings), {
        message: 'The training subset (300) and the validation set (1000) need 1300 images; the training set has 100.',
      });
    } finally {
      tiny.delete();
    }
  } finally {
    train.delete();
  }
});
