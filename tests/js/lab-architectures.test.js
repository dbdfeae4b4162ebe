// The Lab's "architectures" experiment (web/lib/lab/architectures.js) in Node against the wasm
// engine, as the worker runs it, at a small setting: the zoo's nets measured, the notes' AlexNet and
// LeNet-5 by the engine's shape inference, batch-norm folding (Model.foldBatchnorm). Prints the
// measured numbers; speed is printed, never asserted (the claims about it are checked for being
// stated with their numbers, not for holding).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const Lab = require(path.join(root, 'web', 'lib', 'lab', 'lab.js'));
require(path.join(root, 'web', 'lib', 'lab', 'architectures.js'));
let E;
test.before(async () => {
  E = await require(path.join(dir, 'cnn_engine_st.js'))({
    wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')),
  });
});

const asset = async (p) => new Uint8Array(fs.readFileSync(path.join(root, 'web', p)));

async function mnistTest() {
  const dataDir = path.join(root, 'build', 'data');
  if (!fs.existsSync(path.join(dataDir, 'mnist-test-images.idx.gz'))) return null;
  const CnnIdx = require(path.join(root, 'web', 'lib', 'idx.js'));
  const read = (f) => fs.readFileSync(path.join(dataDir, f));
  const d = await CnnIdx.dataset(read('mnist-test-images.idx.gz'), read('mnist-test-labels.idx.gz'));
  return new E.Dataset(d.pixels, d.labels, d.n, d.c, d.h, d.w, d.numClasses);
}

test('Model.foldBatchnorm: a new model without batch norms, the same outputs, the old one intact', () => {
  const desc = {
    input: [1, 6, 6],
    seed: 3,
    layers: [
      { type: 'conv2d', name: 'c', filters: 4, kernel: 3, pad: 1, bias: false },
      { type: 'batchnorm', name: 'bn' },
      { type: 'relu', name: 'r' },
      { type: 'dense', name: 'fc', units: 3 },
      { type: 'batchnorm', name: 'bn2' },
    ],
  };
  const m = new E.Model(JSON.stringify(desc));
  const x = Float32Array.from({ length: 72 }, (_, i) => Math.sin(i));
  // running statistics that are not the identity
  m.setParam('bn.running_mean', [0.5, -0.2, 0.1, 0.3]);
  m.setParam('bn.running_var', [2, 0.5, 1.5, 0.8]);
  m.setParam('bn.weight', [1.5, 0.7, -1, 2]);
  m.setParam('bn.bias', [0.1, 0.2, -0.3, 0.4]);
  m.setParam('bn2.running_var', [3, 0.25, 1]);
  const f = m.foldBatchnorm();
  try {
    const types = JSON.parse(f.summary()).layers.map((l) => l.type);
    assert.deepEqual(types, ['input', 'conv2d', 'relu', 'dense']);
    assert.equal(JSON.parse(m.summary()).layers.length, 6, 'the original keeps its batch norms');
    const a = m.forward(x, 2, false);
    const b = f.forward(x, 2, false);
    let d = 0;
    for (let i = 0; i < a.length; ++i) d = Math.max(d, Math.abs(a[i] - b[i]));
    console.log(`[foldBatchnorm] largest output difference ${d}`);
    assert.ok(d < 1e-5, `${d}`);
    assert.equal(f.paramCount(), m.paramCount() - 2 * 4 - 2 * 3 + 4, 'γ, β go; the conv gains a bias');
  } finally {
    f.delete();
    m.delete();
  }
});

test(
  'architectures: the zoo measured, AlexNet and LeNet-5 as the notes give them, folding',
  { timeout: 300000 },
  async (t) => {
    const testSet = await mnistTest();
    if (!testSet) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
    const x = Lab.get('architectures');
    const { settings, problems } = Lab.resolveSettings('architectures', {
      batch: '4',
      steps: '1',
      'fold-repeats': '2',
      'test-images': '300',
    });
    assert.deepEqual(problems, []);
    const partials = [];
    const before = JSON.parse(E.heapStats()).in_use;
    const t0 = performance.now();
    const r = await x.run(
      { E, data: { test: testSet }, asset, update: (p) => partials.push(structuredClone(p)), tick: async () => {} },
      settings,
    );
    const seconds = (performance.now() - t0) / 1000;
    console.log(`[lab architectures] ${seconds.toFixed(1)} s, settings ${JSON.stringify(settings)}`);
    for (const row of r.rows)
      console.log(
        `  ${row.name.padEnd(16)} params ${String(row.params).padStart(8)}  MACs ${String(row.macs).padStart(9)}  act ${(row.activationBytes / 1024).toFixed(0).padStart(4)} KB  infer ${row.inferMs.toFixed(3)} ms/img  train ${row.trainMs.toFixed(3)} ms/img${row.trained ? `  accuracy ${row.accuracy}` : ''}${row.fold ? `  fold ${row.fold.msBefore.toFixed(3)} -> ${row.fold.msAfter.toFixed(3)} ms/img, diff ${row.fold.maxDiff.toExponential(2)}` : ''}`,
      );
    console.log(
      `  AlexNet built in ${r.alexnet.buildMs.toFixed(0)} ms: ${r.alexnet.params} parameters, ${r.alexnet.macs} MACs`,
    );
    for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);

    // the zoo (models/index.json) and the trained model, in the index's order
    const index = JSON.parse(fs.readFileSync(path.join(root, 'web', 'models', 'index.json'), 'utf8'));
    assert.deepEqual(
      r.rows.map((row) => row.name),
      [...index.zoo.map((z) => z.name), 'pretrained'],
    );
    for (const row of r.rows) {
      const m = row.trained
        ? E.loadModel(fs.readFileSync(path.join(root, 'web', 'models', 'pretrained.cnn')))
        : new E.Model(fs.readFileSync(path.join(root, 'web', 'models', `${row.name}.json`), 'utf8'));
      try {
        assert.equal(row.params, m.paramCount(), row.name);
        assert.equal(row.macs, m.macs(), row.name);
      } finally {
        m.delete();
      }
      assert.ok(row.inferMs > 0 && row.trainMs > 0, row.name);
      assert.equal(row.trained, row.name === 'pretrained');
      assert.equal('accuracy' in row, row.trained, `${row.name}: accuracy only where trained weights exist`);
    }
    const lenet = r.rows.find((row) => row.name === 'lenet5');
    // 1·28·28 + 6·28·28·2 + 6·14·14 + 16·10·10·2 + 16·5·5 + 120·2 + 84·2 + 10 floats
    assert.equal(lenet.activationBytes, 4 * (784 + 9408 + 1176 + 3200 + 400 + 240 + 168 + 10));
    const pre = r.rows.find((row) => row.trained);
    assert.equal(pre.accuracyImages, 300);
    assert.ok(pre.accuracy > 0.95, `the pretrained model's accuracy ${pre.accuracy}`);
    // the branching nets are the ones with an add or a concat
    assert.deepEqual(
      r.rows.filter((row) => row.branches).map((row) => row.name),
      ['resnet_small', 'inception_small', 'pretrained'],
    );
    // folding: the batch-norm nets
    assert.deepEqual(
      r.rows.filter((row) => row.fold).map((row) => row.name),
      ['vgg_small', 'resnet_small', 'mobilenet_small'],
    );
    for (const row of r.rows.filter((x) => x.fold)) {
      assert.equal(row.fold.bnAfter, 0, row.name);
      assert.ok(row.fold.bnBefore > 0 && row.fold.layersAfter === row.fold.layersBefore - row.fold.bnBefore, row.name);
      assert.ok(row.fold.equal, `${row.name}: ${row.fold.maxDiff}`);
    }

    // AlexNet: the notes' table
    assert.deepEqual(
      r.alexnet.rows.map((row) => row.engine),
      [
        [227, 227, 3],
        [55, 55, 96],
        [27, 27, 96],
        [27, 27, 96],
        [27, 27, 256],
        [13, 13, 256],
        [13, 13, 256],
        [13, 13, 384],
        [13, 13, 384],
        [13, 13, 256],
        [6, 6, 256],
        [4096],
        [4096],
        [1000],
      ],
    );
    assert.equal(r.alexnet.params, 62378344);
    assert.equal(r.alexnet.rows.find((row) => row.name === 'conv1').params, 11 * 11 * 3 * 96 + 96);
    assert.equal(r.alexnet.rows.find((row) => row.name === 'fc6').params, 6 * 6 * 256 * 4096 + 4096);
    assert.deepEqual(r.alexnet.conv224.shape, [96, 54, 54]);
    assert.match(r.alexnet.conv224.note, /never read/);

    const ids = r.claims.map((c) => c.id);
    assert.deepEqual(ids, [
      'alexnet-sizes',
      'alexnet-params',
      'alexnet-227',
      'lenet-c5',
      'separable',
      'macs-predict-time',
      'train-costs-more',
      'trained-model',
      'fold-equal',
      'fold-faster',
    ]);
    // what does not depend on the machine's speed holds
    for (const id of [
      'alexnet-sizes',
      'alexnet-params',
      'alexnet-227',
      'lenet-c5',
      'separable',
      'trained-model',
      'fold-equal',
    ])
      assert.ok(r.claims.find((c) => c.id === id).holds, id);
    assert.match(r.claims.find((c) => c.id === 'trained-model').text, /the zoo's inception_small/);
    // MobileNet's pairs against full 3×3 convolutions: 1/K + 1/9 of the MACs
    assert.deepEqual(
      r.separable.pairs.map((p) => [p.dw, p.pw, p.filters, p.fullMacs]),
      [
        ['dw1', 'pw1', 32, 28 * 28 * 32 * 9 * 16],
        ['dw2', 'pw2', 64, 14 * 14 * 64 * 9 * 32],
        ['dw3', 'pw3', 128, 7 * 7 * 128 * 9 * 64],
      ],
    );
    // speed claims carry their measured numbers
    assert.match(r.claims.find((c) => c.id === 'fold-faster').text, /vgg_small [\d.]+ ms → [\d.]+ ms per image/);

    // partial results while it ran, one model at a time
    assert.ok(partials.length >= r.rows.length, `${partials.length} updates`);
    assert.equal(partials[0].rows.length, 0);
    // everything it made is freed
    assert.ok(JSON.parse(E.heapStats()).in_use - before < 1 << 20, 'the models are deleted');

    // a stop request ends it and frees what it made
    let ticks = 0;
    await assert.rejects(
      x.run(
        {
          E,
          data: { test: testSet },
          asset,
          update() {},
          tick: async () => {
            if (++ticks === 5) throw new Lab.Stopped();
          },
        },
        settings,
      ),
      Lab.Stopped,
    );
    assert.ok(JSON.parse(E.heapStats()).in_use - before < 1 << 20, 'stopped: the models are deleted');
    // a zoo that cannot be read says so
    await assert.rejects(
      x.run(
        {
          E,
          data: { test: testSet },
          asset: async () => {
            throw new Error('Could not download models/index.json (404).');
          },
          update() {},
          tick: async () => {},
        },
        settings,
      ),
      /Could not download models\/index.json \(404\)/,
    );
    testSet.delete();
  },
);

test('architectures: a page whose engine cannot hold AlexNet keeps the zoo’s results and says why', async (t) => {
  const testSet = await mnistTest();
  if (!testSet) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
  // a zoo of one (LeNet-5, no trained model), and an engine that refuses AlexNet's size as a page
  // without the memory would
  const small = async (p) =>
    p === 'models/index.json'
      ? new TextEncoder().encode(JSON.stringify({ zoo: [{ name: 'lenet5', label: 'LeNet-5' }] }))
      : asset(p);
  const refusing = {
    __proto__: E,
    Model: new Proxy(E.Model, {
      construct(target, args) {
        if (String(args[0]).includes('"alexnet"'))
          throw new Error("the engine ran out of memory (the browser gives a page's engine at most 2 GB)");
        return Reflect.construct(target, args);
      },
    }),
  };
  const { settings } = Lab.resolveSettings('architectures', { batch: 2, steps: 1, 'fold-repeats': 1 });
  const r = await Lab.get('architectures').run(
    { E: refusing, data: { test: testSet }, asset: small, update() {}, tick: async () => {} },
    settings,
  );
  for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
  assert.deepEqual(
    r.rows.map((row) => row.name),
    ['lenet5'],
  );
  assert.match(r.alexnet.error, /ran out of memory/);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  assert.equal(byId['alexnet-sizes'].holds, false);
  assert.match(byId['alexnet-sizes'].text, /could not build the notes' AlexNet here .*ran out of memory/);
  assert.ok(byId['lenet-c5'].holds, 'the zoo’s part still holds');
  assert.ok(!('trained-model' in byId) && !('fold-equal' in byId), 'nothing is claimed of models it did not measure');
  testSet.delete();
});
