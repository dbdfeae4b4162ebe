// The Lab's "ensemble" experiment (web/lib/lab/ensemble.js) in Node against the wasm engine, at a
// small setting (3 models on 2,000 MNIST training images, 1,000 test images): its claims, with the
// numbers printed, and its views of test-time augmentation against the engine's own list.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const dataDir = path.join(root, 'build', 'data');
const Lab = require(path.join(root, 'web', 'lib', 'lab', 'lab.js'));
require(path.join(root, 'web', 'lib', 'lab', 'ensemble.js'));
let E;
test.before(async () => {
  E = await require(path.join(dir, 'cnn_engine_st.js'))({
    wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')),
  });
});

async function mnist(part) {
  if (!fs.existsSync(path.join(dataDir, `mnist-${part}-images.idx.gz`))) return null;
  const CnnIdx = require(path.join(root, 'web', 'lib', 'idx.js'));
  const read = (f) => fs.readFileSync(path.join(dataDir, f));
  const d = await CnnIdx.dataset(read(`mnist-${part}-images.idx.gz`), read(`mnist-${part}-labels.idx.gz`));
  return new E.Dataset(d.pixels, d.labels, d.n, d.c, d.h, d.w, d.numClasses);
}

test('ensemble: TTA’s views are the engine’s (src/train/ensemble.cpp tta_views)', () => {
  const cpp = fs.readFileSync(path.join(root, 'src', 'train', 'ensemble.cpp'), 'utf8');
  const m = cpp.match(/if \(!tta\) return \{\{0, 0\}\};\s*return \{(.*)\};/);
  assert.ok(m, 'tta_views in ensemble.cpp');
  const engine = [...m[1].matchAll(/\{(-?\d+), (-?\d+)\}/g)].map((x) => [Number(x[1]), Number(x[2])]);
  assert.deepEqual(Lab.get('ensemble').views, engine);
});

test(
  'ensemble: the average beats the mean single model, TTA measured, images rescued',
  { timeout: 300000 },
  async (t) => {
    const train = await mnist('train');
    if (!train) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
    const testSet = await mnist('test');
    const { settings, problems } = Lab.resolveSettings('ensemble', { members: 3, train: 2000, epochs: 2, test: 1000 });
    assert.deepEqual(problems, []);
    const updates = [];
    const t0 = Date.now();
    const r = await Lab.get('ensemble').run(
      { E, data: { train, test: testSet }, update: (p) => updates.push(p), tick: async () => {} },
      settings,
    );
    console.log(`  ensemble: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
    const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
    assert.deepEqual(Object.keys(byId), ['ensemble', 'notes-gain', 'tta', 'rescued']);
    const x = r.result;
    assert.equal(x.members.length, 3);
    assert.equal(x.count, 1000);
    // the claims' numbers are the result's
    assert.ok(Math.abs(byId.ensemble.value - (x.ensemble - x.mean)) < 1e-12);
    assert.ok(byId.ensemble.holds, byId.ensemble.text);
    assert.ok(x.ensemble > x.mean);
    assert.ok(byId.tta.holds, byId.tta.text);
    assert.ok(byId.rescued.holds, byId.rescued.text);
    // the thumbnails: rescued images are right by the ensemble and wrong by most models
    assert.ok(x.rescued.length > 0 && x.rescued.length <= 12);
    for (const im of x.rescued) {
      assert.equal(im.predicted, im.label);
      assert.ok(2 * im.members.filter((p) => p === im.label).length < 3);
      assert.equal(im.pixels.length, 784);
      assert.equal(testSet.label(im.index), im.label);
    }
    // partial results while it ran: a status for each model, the finished models so far
    assert.ok(updates.some((u) => u.result && u.result.members.length === 2));
    train.delete();
    testSet.delete();
  },
);

test('ensemble: a diverging rate ends the run with the engine’s message', { timeout: 120000 }, async (t) => {
  const train = await mnist('train');
  if (!train) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
  const testSet = await mnist('test');
  const { settings } = Lab.resolveSettings('ensemble', { members: 2, train: 500, epochs: 1, test: 200, lr: 1 });
  await assert.rejects(
    Lab.get('ensemble').run({ E, data: { train, test: testSet }, update() {}, tick: async () => {} }, settings),
    (e) =>
      e instanceof Lab.LabError && /^Model 1 \(seed 1\): training diverged: .*smaller learning rate/.test(e.message),
  );
  // out of range: a problem of the settings, the default is kept
  const bad = Lab.resolveSettings('ensemble', { members: 11, test: 20000 });
  assert.deepEqual(bad.problems, ['members: must be at most 10, got 11', 'test: must be at most 10000, got 20000']);
  train.delete();
  testSet.delete();
});
