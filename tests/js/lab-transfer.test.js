// The Lab's transfer experiment (web/lib/lab/transfer.js) in Node against the wasm engine, as the
// worker runs it: on the demonstration set of generated letters (web/lib/strokes.js), frozen features
// and fine-tuning the top beat training from scratch; the student's drawings are checked (too few, a
// wrong label, a wrong size: a clear error) and exported as IDX files that read back and that the CLI
// trains on. (The page runs it in Chromium: e2e/lab-transfer-widget.spec.js.)
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const Lab = require(path.join(root, 'web', 'lib', 'lab', 'lab.js'));
const T = require(path.join(root, 'web', 'lib', 'lab', 'transfer.js'));
const S = require(path.join(root, 'web', 'lib', 'strokes.js'));
const Idx = require(path.join(root, 'web', 'lib', 'idx.js'));
const pretrained = path.join(root, 'web', 'models', 'pretrained.cnn');
let E;
test.before(async () => {
  E = await require(path.join(dir, 'cnn_engine_st.js'))({
    wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')),
  });
});

const ctx = (input) => ({
  E,
  data: {},
  input,
  update() {},
  tick: async () => {},
  pretrained: async () => fs.readFileSync(pretrained),
});
const run = (given, input) => Lab.get('transfer').run(ctx(input), Lab.resolveSettings('transfer', given).settings);
const pct = (x) => `${(100 * x).toFixed(1)} %`;

// a small set of "your drawings": generated letters as the pad would digitize them
function drawings(letters, per, seed) {
  const set = S.letterSet(letters, per, Lab.rng(seed));
  return { classes: letters, drawings: set.map((d) => ({ label: d.label, image: Array.from(d.image) })) };
}

// The best model comes back as a model file of K outputs that classifies the held-out drawings as
// the run measured (for the frozen features: the standardization folded into the output layer).
function checkModel(r) {
  const k = r.classes.length;
  const m = E.loadModel(r.model);
  try {
    const best = r.runs.find((x) => x.key === r.best);
    const held = r.drawings.filter((_, i) => r.heldOut[i]);
    const x = new Float32Array(held.length * 784);
    held.forEach((d, i) =>
      x.set(
        Array.from(d.image, (v) => v / 255),
        i * 784,
      ),
    );
    const p = m.predict(x, held.length);
    assert.equal(p.length, held.length * k);
    const pred = held.map((_, i) => {
      const row = Array.from(p.subarray(i * k, i * k + k));
      return row.indexOf(Math.max(...row));
    });
    assert.deepEqual(pred, best.predicted, r.best);
  } finally {
    m.delete();
  }
}

test('transfer: with few drawings, frozen features and fine-tuning beat training from scratch (the demo set)', async () => {
  const r = await run({ 'demo-train': 4, 'demo-held': 8, epochs: 25 });
  for (const m of r.runs)
    console.log(
      `  ${m.label}: held-out ${pct(m.accuracy)}, training ${pct(m.train)}, ${m.seconds.toFixed(2)} s, ${m.trained} weights trained`,
    );
  for (const c of r.claims) console.log(`  ${c.holds ? '✓' : '✗'} ${c.text}`);
  assert.equal(r.source, 'demo');
  assert.deepEqual(r.classes, ['B', 'E', 'H', 'K', 'R']);
  assert.deepEqual(r.counts, { train: 20, held: 40 });
  assert.deepEqual(
    r.runs.map((m) => m.key),
    ['frozen', 'finetune', 'scratch'],
  );
  for (const m of r.runs) {
    assert.equal(m.curve.length, 25, m.key);
    assert.equal(m.predicted.length, 40);
    assert.ok(m.seconds > 0);
  }
  const by = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  assert.ok(by['frozen-beats-scratch'].holds, by['frozen-beats-scratch'].text);
  assert.ok(by['finetune-beats-scratch'].holds, by['finetune-beats-scratch'].text);
  // the claims' numbers are the runs' (a claim with another number would be canned)
  const acc = Object.fromEntries(r.runs.map((m) => [m.key, m.accuracy]));
  assert.ok(Math.abs(by['frozen-beats-scratch'].value - (acc.frozen - acc.scratch)) < 1e-12);
  checkModel(r);
});

test('transfer: your drawings are used, each class’s last ones held out; bad drawings get a clear error', async () => {
  const mine = drawings(['X', 'N', 'M'], 6, 7);
  const r = await run({ holdout: 2, epochs: 3, top: 0 }, mine);
  assert.equal(r.source, 'yours');
  assert.deepEqual(r.classes, ['X', 'N', 'M']);
  assert.deepEqual(r.counts, { train: 12, held: 6 });
  assert.deepEqual(r.heldLabels, [0, 0, 1, 1, 2, 2]);
  assert.equal(r.drawings.length, 18);
  checkModel(r);
  // frozen features the best (seeded: always so here): its model file is the shipped network with
  // the linear classifier as its output layer, the features' standardization folded into its weights
  const f = await run({ holdout: 2, epochs: 30, top: 0, lr: 0.01 }, mine);
  console.log(`  X, N, M: ${f.runs.map((m) => `${m.key} ${pct(m.accuracy)}`).join(', ')}; best ${f.best}`);
  assert.equal(f.best, 'frozen');
  checkModel(f);
  assert.deepEqual(T.split(mine.drawings, 2), [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1].map(Boolean));

  const few = { classes: ['X', 'N'], drawings: mine.drawings.filter((d) => d.label < 2).slice(0, 8) };
  await assert.rejects(
    run({ holdout: 2 }, few),
    /The class “N” has 2 drawings; with 2 held out per class it needs at least 3/,
  );
  const one = { classes: ['X'], drawings: mine.drawings.filter((d) => d.label === 0) };
  await assert.rejects(run({}, one), /Your drawings need 2 to 10 classes; there are 1/);
  const bad = { classes: ['X', 'N'], drawings: [{ label: 5, image: new Array(784).fill(0) }] };
  await assert.rejects(run({}, bad), /label 5, not one of the 2 classes/);
  const small = { classes: ['X', 'N'], drawings: [{ label: 0, image: new Array(100).fill(0) }] };
  await assert.rejects(run({}, small), /not a 28×28 image \(100 values\)/);
});

test('transfer: the drawings exported as IDX files read back, and `cnn train` fine-tunes on them', async (t) => {
  const mine = drawings(['A', 'X', 'N'], 5, 3);
  const files = T.exportIdx(mine, 2);
  assert.deepEqual(Object.keys(files).sort(), [
    'classes.txt',
    'test-images.idx',
    'test-labels.idx',
    'train-images.idx',
    'train-labels.idx',
  ]);
  const ds = await Idx.dataset(files['train-images.idx'], files['train-labels.idx']);
  assert.deepEqual([ds.n, ds.c, ds.h, ds.w, ds.numClasses], [9, 1, 28, 28, 3]);
  const held = mine.drawings.filter((_, i) => T.split(mine.drawings, 2)[i]);
  const test = await Idx.dataset(files['test-images.idx'], files['test-labels.idx']);
  assert.deepEqual(
    Array.from(test.labels),
    held.map((d) => d.label),
  );
  assert.deepEqual(Array.from(test.pixels.subarray(0, 784)), held[0].image);
  assert.equal(files['classes.txt'], '0 A\n1 X\n2 N\n');
  assert.throws(() => Idx.write([2, 2], [1, 2, 3]), /the sizes 2×2 need 4 values, not 3/);

  const cnn = process.env.CNN_BIN || path.join(root, 'build', 'native', 'cnn');
  if (!fs.existsSync(cnn)) return t.skip(`no native CLI at ${cnn}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-transfer-'));
  try {
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(tmp, name), bytes);
    const out = path.join(tmp, 'mine.cnn');
    const args = [
      'train',
      '--from',
      pretrained,
      '--replace-head',
      '3',
      '--freeze',
      'stem,b1_1x1,b2_1x1,b2_3x3,b3_1x1,b3_5x5',
    ];
    args.push('--images', path.join(tmp, 'train-images.idx'), '--labels', path.join(tmp, 'train-labels.idx'));
    args.push('--validation', '3', '--epochs', '2', '--batch', '3', '--optimizer', 'adam', '--lr', '0.003');
    args.push('--threads', '1', '--out', out);
    const p = spawnSync(cnn, args, { encoding: 'utf8', timeout: 60000 });
    console.log(
      `  cnn ${args.slice(0, 6).join(' ')} …: exit ${p.status}; ${(p.stdout || '').trim().split('\n').pop()}`,
    );
    assert.equal(p.status, 0, p.stderr);
    const m = E.loadModel(fs.readFileSync(out));
    try {
      assert.equal(m.predict(new Float32Array(784), 1).length, 3);
    } finally {
      m.delete();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
