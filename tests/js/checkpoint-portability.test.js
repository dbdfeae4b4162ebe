// One checkpoint format for both builds: a checkpoint written by the wasm engine (the page) resumes in
// the native command line, and one written by the command line resumes in the wasm engine, and each
// resumed run ends with exactly the weights of the run that was never interrupted (single-threaded
// builds: --threads 1 natively, the st wasm build; natively the 4-wide SSE kernels, CNN_SIMD=sse, since
// the wider ones natively (kernels/dispatch.h) sum in another order than wasm SIMD128). Earlier the generators' state text differed
// between libstdc++ and libc++ and each build refused the other's checkpoints; and a checkpoint
// taken at the end of an epoch (every one the command line writes) read past the epoch's order.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const cli = path.join(root, 'build', 'native', 'cnn');
const createCnnEngine = require(path.join(dir, 'cnn_engine_st.js'));
const enginePromise = createCnnEngine({ wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')) });

// 48 images of 8x8 in 4 classes (a bright square whose position is the class, plus noise), as IDX.
const N = 48,
  H = 8,
  W = 8;
function idx(dims, data) {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}
const pixels = new Uint8Array(N * H * W),
  labels = new Uint8Array(N);
let s = 12345;
const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
for (let n = 0; n < N; n++) {
  const c = n % 4;
  labels[n] = c;
  for (let i = 0; i < H * W; i++) pixels[n * H * W + i] = rand() >> 2;
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 3; x++) pixels[n * H * W + ((c >> 1) * 4 + y) * W + (c & 1) * 4 + x] = 255;
}
const model = {
  input: [1, H, W],
  seed: 11,
  layers: [
    { type: 'conv2d', name: 'conv', filters: 4, kernel: 3, pad: 1 },
    { type: 'relu', name: 'relu' },
    { type: 'maxpool2d', name: 'pool', size: 2 },
    { type: 'dropout', name: 'drop', p: 0.25 },
    { type: 'dense', name: 'fc', units: 4 },
  ],
};
// 48 images in batches of 8: 6 iterations an epoch, 18 in all.
const config = { epochs: 3, batch: 8, seed: 5, optimizer: { type: 'adam', lr: 0.01 }, augment: { translate: 1 } };

let tmp;
test.before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-ckpt-'));
  fs.writeFileSync(path.join(tmp, 'images.idx'), idx([N, H, W], pixels));
  fs.writeFileSync(path.join(tmp, 'labels.idx'), idx([N], labels));
  fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(model));
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function nativeTrain(args) {
  execFileSync(
    cli,
    [
      'train',
      '--images',
      path.join(tmp, 'images.idx'),
      '--labels',
      path.join(tmp, 'labels.idx'),
      '--validation',
      '0',
      '--threads',
      '1',
      ...args,
    ],
    { stdio: 'pipe', env: { ...process.env, CNN_SIMD: 'sse' } },
  );
}

function params(E, bytes) {
  const m = E.loadModel(bytes);
  const out = {};
  for (const { name } of JSON.parse(m.paramNames())) out[name] = Buffer.from(m.getParam(name).buffer);
  m.delete();
  return out;
}

// The same split the command line makes with --validation 0 (split(all, 0, seed 7)).
function trainingSet(E) {
  const all = new E.Dataset(pixels, labels, N, 1, H, W, 4);
  const { train, validation } = all.split(0, 7);
  all.delete();
  validation.delete();
  return train;
}

test('a wasm checkpoint (mid-epoch and end of epoch) resumes natively, bit for bit', async () => {
  const E = await enginePromise;
  const train = trainingSet(E);
  const m = new E.Model(JSON.stringify(model));
  const t = new E.Training(m, train, null, JSON.stringify(config));
  t.run(4, 0);
  fs.writeFileSync(path.join(tmp, 'wasm-mid.cnn'), t.checkpoint());
  t.run(2, 0); // iteration 6: the end of epoch 1
  fs.writeFileSync(path.join(tmp, 'wasm-end1.cnn'), t.checkpoint());
  while (JSON.parse(t.run(0, 0)).status === 'running');
  const want = params(E, t.checkpoint());
  for (const from of ['wasm-mid', 'wasm-end1']) {
    const out = path.join(tmp, `${from}-native.cnn`);
    nativeTrain(['--resume', path.join(tmp, `${from}.cnn`), '--out', out]);
    const got = params(E, fs.readFileSync(out));
    for (const name of Object.keys(want)) assert.ok(got[name].equals(want[name]), `${from}: ${name} differs`);
  }
  t.delete();
  m.delete();
  train.delete();
});

test('a native checkpoint (end of epoch) resumes in wasm, bit for bit', async () => {
  const E = await enginePromise;
  nativeTrain([
    '--model',
    path.join(tmp, 'model.json'),
    '--epochs',
    '3',
    '--batch',
    '8',
    '--seed',
    '5',
    '--optimizer',
    'adam',
    '--lr',
    '0.01',
    '--augment',
    '{"translate":1}',
    '--checkpoint',
    path.join(tmp, 'native-{epoch}.cnn'),
    '--out',
    path.join(tmp, 'native-full.cnn'),
  ]);
  const want = params(E, fs.readFileSync(path.join(tmp, 'native-full.cnn')));
  const bytes = fs.readFileSync(path.join(tmp, 'native-1.cnn'));
  const info = JSON.parse(E.modelFileInfo(bytes));
  assert.equal(info.training.iteration, 6);
  const train = trainingSet(E);
  const m = E.loadModel(bytes);
  const t = new E.Training(
    m,
    train,
    null,
    JSON.stringify({ ...info.training.config, preprocess: info.preprocess || 'none' }),
  );
  t.restore(bytes);
  while (JSON.parse(t.run(0, 0)).status === 'running');
  const got = params(E, t.checkpoint());
  for (const name of Object.keys(want)) assert.ok(got[name].equals(want[name]), `${name} differs`);
  t.delete();
  m.delete();
  train.delete();
});
