// The Lab's "calibration" experiment (web/lib/lab/calibration.js) in Node against the wasm engine,
// at a small setting (the small net on 2,000 MNIST training images for 10 epochs, T fitted on
// 1,000 others, measured on 1,000 test images, 10 non-digits of each kind): its claims, with the
// numbers printed.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const dataDir = path.join(root, 'build', 'data');
const Lab = require(path.join(root, 'web', 'lib', 'lab', 'lab.js'));
require(path.join(root, 'web', 'lib', 'lab', 'calibration.js'));
const V = require(path.join(root, 'web', 'lib', 'verdict.js'));
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

test(
  'calibration: temperature scaling lowers the ECE; softmax is sure of non-digits',
  { timeout: 300000 },
  async (t) => {
    const train = await mnist('train');
    if (!train) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
    const testSet = await mnist('test');
    const given = { model: 'small', train: 2000, epochs: 10, validation: 1000, test: 1000, nondigits: 10 };
    const { settings, problems } = Lab.resolveSettings('calibration', given);
    assert.deepEqual(problems, []);
    const t0 = Date.now();
    const r = await Lab.get('calibration').run(
      { E, data: { train, test: testSet }, update() {}, tick: async () => {} },
      settings,
    );
    console.log(`  calibration: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
    for (const k of r.kinds)
      console.log(
        `    ${k.label}: ${k.sure}/${k.count} above 90 %, mean ${(100 * k.mean).toFixed(1)} %, verdict flags ${k.flagged}`,
      );
    const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
    assert.deepEqual(Object.keys(byId), ['ece', 'overconfident', 'nondigits', 'softmax', 'verdict']);
    const c = r.calibration;
    assert.equal(c.heldCount, 1000);
    assert.equal(c.fitCount, 1000);
    assert.ok(byId.ece.holds, byId.ece.text);
    assert.ok(c.after.ece < c.before.ece);
    // the reliability is lib/verdict.js's: bins of 15, counts adding up to the test images
    assert.equal(c.before.bins.length, V.BINS);
    assert.equal(
      c.before.bins.reduce((s, b) => s + b.count, 0),
      1000,
    );
    assert.equal(c.after.accuracy, c.before.accuracy); // T keeps the order of the scores
    assert.ok(byId.overconfident.holds, byId.overconfident.text);
    assert.ok(byId.nondigits.holds, byId.nondigits.text);
    assert.ok(byId.softmax.holds, byId.softmax.text);
    assert.deepEqual(
      r.kinds.map((k) => [k.key, k.count]),
      [
        ['dot', 10],
        ['line', 10],
        ['scribble', 10],
        ['hash', 10],
        ['noise', 10],
        ['blank', 1],
      ],
    );
    // softmax: every answer's ten probabilities add up to 1, whatever the input
    for (const k of r.kinds)
      for (const x of k.items) {
        assert.equal(x.probs.length, 10);
        assert.ok(Math.abs(x.probs.reduce((s, p) => s + p, 0) - 1) < 1e-4);
        assert.ok(x.pAfter < x.p + 1e-9, 'T > 1 softens the top probability');
      }
    // the verdict's shape signals flag every dot, # and noise field
    for (const key of ['dot', 'hash', 'noise', 'blank'])
      assert.equal(r.kinds.find((k) => k.key === key).flagged, r.kinds.find((k) => k.key === key).count, key);
    train.delete();
    testSet.delete();
  },
);
