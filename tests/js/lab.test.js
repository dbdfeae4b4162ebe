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

test('every setting is a widget attribute name of its own: lower case, and not one of the widget’s', () => {
  const widget = ['mode', 'lab', 'panels', 'size', 'theme', 'width', 'height']; // what mode="lab" reads itself
  for (const id of Lab.IDS)
    for (const s of Lab.get(id).settings) {
      assert.match(s.key, /^[a-z][a-z0-9-]*$/, `${id}: '${s.key}' (attributes are lower case)`);
      assert.ok(!widget.includes(s.key), `${id}: '${s.key}' is an attribute of the widget itself`);
    }
});

test('settings: strings from attributes, defaults, and clear problems', () => {
  const r = Lab.resolveSettings('conv-arithmetic', { 'input-width': '7', stride: '3', example: 'digit' });
  assert.deepEqual(r.problems, []);
  assert.equal(r.settings['input-width'], 7);
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
  for (const given of [
    {},
    { 'input-width': 7, 'input-height': 7, stride: 3, channels: 3, filters: 10 },
    { pad: 1, stride: 2 },
  ]) {
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

// MNIST's training set from build/data (scripts/setup.sh), as the worker holds it; null when absent.
let mnistTrain;
async function mnistTrainSet() {
  if (mnistTrain !== undefined) return mnistTrain;
  const dataDir = path.join(root, 'build', 'data');
  if (!fs.existsSync(path.join(dataDir, 'mnist-train-images.idx.gz'))) return (mnistTrain = null);
  const CnnIdx = require(path.join(root, 'web', 'lib', 'idx.js'));
  const read = (f) => fs.readFileSync(path.join(dataDir, f));
  const d = await CnnIdx.dataset(read('mnist-train-images.idx.gz'), read('mnist-train-labels.idx.gz'));
  return (mnistTrain = new E.Dataset(d.pixels, d.labels, d.n, d.c, d.h, d.w, d.numClasses));
}

test(
  'activations: the engine’s derivatives, sigmoid slowest, dead ReLUs rise with the learning rate',
  {
    timeout: 300000,
  },
  async (t) => {
    const train = await mnistTrainSet();
    if (!train) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
    const x = Lab.get('activations');
    const { settings, problems } = Lab.resolveSettings('activations', {
      iterations: '100',
      subset: '1000',
      probe: 200,
    });
    assert.deepEqual(problems, []);
    const partials = [];
    const t0 = performance.now();
    const r = await x.run({ ...ctx(), data: { train }, update: (p) => partials.push(structuredClone(p)) }, settings);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`[lab activations] ${seconds.toFixed(1)} s, settings ${JSON.stringify(settings)}`);
    for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
    assert.deepEqual(
      r.claims.map((c) => c.id),
      ['derivatives', 'saturation', 'sigmoid-slowest', 'dead-rises'],
    );
    for (const c of r.claims) assert.ok(c.holds, c.text);
    // the functions are the registry's six kinds, f and f' on x = −5…5
    assert.deepEqual(
      r.functions.map((c) => c.kind),
      ['sigmoid', 'tanh', 'relu', 'leaky_relu', 'elu', 'gelu'],
    );
    const relu = r.functions.find((c) => c.kind === 'relu');
    assert.equal(relu.x.length, 201);
    assert.deepEqual([relu.f[0], relu.f[200], relu.df[0], relu.df[100], relu.df[200]], [0, 5, 0, 0, 1]);
    const elu = r.functions.find((c) => c.kind === 'elu');
    assert.ok(Math.abs(elu.f[0] - (Math.exp(-5) - 1)) < 1e-6 && Math.abs(elu.df[0] - Math.exp(-5)) < 1e-6);
    // six runs of `iterations` each, then one per learning rate with the dead fraction from iteration 0
    assert.deepEqual(
      r.runs.map((run) => [run.kind, run.losses.length, run.status]),
      r.functions.map((c) => [c.kind, 100, 'finished']),
    );
    assert.deepEqual(
      r.dead.map((d) => d.lr),
      [0.01, 0.1, 0.5],
    );
    for (const d of r.dead) assert.equal(d.points[0].iteration, 0);
    // partial results came while it ran: the functions first, then the runs one by one
    assert.ok(partials.length >= 8, `${partials.length} updates`);
    assert.equal(partials[0].functions.length, 6);
    assert.equal(partials[0].runs.length, 0);

    // the subset must fit the training set; a stop request ends it and frees what it made
    const few = train.split(1100, 1);
    try {
      await assert.rejects(
        x.run({ ...ctx(), data: { train: few.validation } }, settings),
        /Training images \(1000\) and probe images \(200\) must be fewer together than the 1100 training images loaded/,
      );
    } finally {
      few.train.delete();
      few.validation.delete();
    }
    const inUse = () => JSON.parse(E.heapStats()).in_use;
    const before = inUse();
    let ticks = 0;
    const stopping = {
      ...ctx(),
      data: { train },
      tick: async () => {
        if (++ticks > 10) throw new Lab.Stopped();
      },
    };
    await assert.rejects(x.run(stopping, settings), Lab.Stopped);
    assert.equal(inUse(), before, 'a stopped run leaves no engine memory behind');
  },
);

test('babysit: the initial loss is ln 10, regularization raises it, 20 images overfit, bad rates are caught', async (t) => {
  const train = await mnistTrainSet();
  if (!train) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
  const t0 = Date.now();
  const settings = Lab.resolveSettings('babysit', { trials: 3 }).settings;
  const r = await Lab.get('babysit').run({ ...ctx(), data: { train } }, settings);
  console.log(`[lab babysit] ${((Date.now() - t0) / 1000).toFixed(1)} s in Node (one thread)`);
  for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
  for (const c of r.claims) assert.ok(c.holds, c.text);
  assert.ok(Math.abs(r.steps.initial.loss - Math.log(10)) < 0.02);
  assert.equal(r.steps.high.status, 'diverged');
});

test('overfit: 300 images memorized, the gap, augmentation narrows it, early stopping restores the best epoch', async (t) => {
  const train = await mnistTrainSet();
  if (!train) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
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
    // the training set stays: the file's tests share it
  }
});

test('lr: the notes’ rates, the range test against the grid and the schedules, at the defaults', async (t) => {
  const train = await mnistTrainSet();
  if (!train) {
    t.skip('build/data has no MNIST (run scripts/setup.sh)');
    return;
  }
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
    const tiny = new E.Dataset(new Uint8Array(4000 * 784), new Uint8Array(4000), 4000, 1, 28, 28, 10);
    try {
      const { settings: big } = Lab.resolveSettings('lr', { images: 3500, validation: 1000 });
      await assert.rejects(
        x.run({ ...ctx(), data: { train: tiny } }, big),
        /The training set has 4000 images: 3500 training and 1000 validation images do not fit/,
      );
    } finally {
      tiny.delete();
    }
  } finally {
    // the training set stays: the file's tests share it
  }
});

test('init: σ = 0.01 vanishes, σ = 1.0 saturates and stops the gradients, Kaiming keeps ReLU’s scale (the engine’s gradients)', async (t) => {
  const test10k = await mnistTrainSet(); // (the first images of the training set serve as the batch)
  if (!test10k) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
  const { settings } = Lab.resolveSettings('init', { layers: 10, units: 256, batch: 100 });
  const r = await Lab.get('init').run({ ...ctx(), data: { test: test10k } }, settings);
  for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  for (const id of [
    'tanh-small-vanishes',
    'tanh-small-grad-vanishes',
    'tanh-large-saturates',
    'tanh-large-grad',
    'kaiming-relu',
    'xavier-relu',
  ])
    assert.ok(byId[id].holds, byId[id].text);
  // Xavier with tanh shrinks a little per layer (the notes' own figure: 0.63 -> 0.22 over ten layers)
  assert.ok(byId['xavier-tanh'].value < 4 && byId['xavier-tanh'].value > 1, byId['xavier-tanh'].text);
  assert.equal(r.results.length, 7);
  assert.ok(
    r.results.find((c) => c.key === settings.show).layers[0].actHist,
    'the chosen configuration has histograms',
  );
});

test('optimizers: SGD zig-zags in the ravine, stays on the saddle’s ridge; the engine’s optimizers step', async (t) => {
  const train = await mnistTrainSet();
  if (!train) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
  const { settings } = Lab.resolveSettings('optimizers', { iterations: 60 });
  const r = await Lab.get('optimizers').run({ ...ctx(), data: { train } }, settings);
  for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  assert.ok(byId['ravine-zigzag'].holds, byId['ravine-zigzag'].text);
  assert.ok(byId.saddle.holds, byId.saddle.text);
  // the paths are the engine's: SGD's first step from the ravine's start is start − lr·∇f
  const sgd = r.surfaces.ravine.paths.find((p) => p.id === 'sgd').points;
  assert.ok(Math.abs(sgd[1][0] - (-9 - settings['sgd-lr'] * 0.02 * -9)) < 1e-5);
  assert.ok(Math.abs(sgd[1][1] - (1 - settings['sgd-lr'] * 2)) < 1e-5);
  assert.equal(r.curves.length, 8); // SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam, AdaDelta, RAdam
});
