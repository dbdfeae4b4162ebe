// The Lab's "search" experiment (web/lib/lab/search.js) in Node against the wasm engine, its trials
// one after another as the worker's runLab runs them (the page's pool of workers runs the same trials
// in parallel: e2e/lab-search-widget.spec.js): the search rules are the engine's (src/train/search.h),
// and at a small setting (2 × 2 grid, 100 iterations) its claims hold, with the numbers printed.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const Lab = require(path.join(root, 'web', 'lib', 'lab', 'lab.js'));
require(path.join(root, 'web', 'lib', 'lab', 'search.js'));
let E;
let train;
test.before(async () => {
  E = await require(path.join(dir, 'cnn_engine_st.js'))({
    wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')),
  });
  const dataDir = path.join(root, 'build', 'data');
  if (!fs.existsSync(path.join(dataDir, 'mnist-train-images.idx.gz'))) return;
  const CnnIdx = require(path.join(root, 'web', 'lib', 'idx.js'));
  const read = (f) => fs.readFileSync(path.join(dataDir, f));
  const d = await CnnIdx.dataset(read('mnist-train-images.idx.gz'), read('mnist-train-labels.idx.gz'));
  train = new E.Dataset(d.pixels, d.labels, d.n, d.c, d.h, d.w, d.numClasses);
});

const SMALL = { steps: 2, iterations: 100, seed: 1 };

test('the search rules are the engine’s: log grids with both ends, first name slowest, refine around the best', () => {
  const dims = Lab.space([
    { name: 'lr', kind: 'log', lo: 1e-4, hi: 1 },
    { name: 'l2', kind: 'log', lo: 1e-5, hi: 0.1 },
  ]);
  assert.deepEqual(
    dims.map((d) => d.name),
    ['l2', 'lr'],
    'in name order, as search.h sorts them',
  );
  const lr = Lab.gridValues(dims[1], 3);
  assert.deepEqual([lr[0], lr[2]], [1e-4, 1], 'exact ends');
  assert.ok(Math.abs(lr[1] - 1e-2) < 1e-15, `geometric middle: ${lr[1]}`);
  assert.deepEqual(Lab.gridValues({ name: 'u', kind: 'int', lo: 1, hi: 2 }, 4), [1, 2], 'int: rounded, deduplicated');
  assert.deepEqual(Lab.gridValues({ name: 'u', kind: 'uniform', lo: 0, hi: 1 }, 1), [0.5], 'one step: the middle');
  const grid = Lab.gridPoints(dims, 2);
  assert.deepEqual(grid, [
    { l2: 1e-5, lr: 1e-4 },
    { l2: 1e-5, lr: 1 },
    { l2: 0.1, lr: 1e-4 },
    { l2: 0.1, lr: 1 },
  ]);
  const pts = Lab.sampleRandom(dims, 200, Lab.rng(7));
  for (const p of pts) assert.ok(p.lr >= 1e-4 && p.lr <= 1 && p.l2 >= 1e-5 && p.l2 <= 0.1);
  const low = pts.filter((p) => p.lr < 1e-2).length; // log-uniform: half of them below the geometric middle
  assert.ok(low > 70 && low < 130, `${low} of 200 below 0.01`);
  // refine around the best (K = 1): [v − w/4, v + w/4] in log10, clipped; failed trials ignored
  const trials = [
    { params: { lr: 1e-2, l2: 1e-3 }, status: 'ok', accuracy: 0.9, loss: 0.3 },
    { params: { lr: 1, l2: 1e-5 }, status: 'diverged', accuracy: 0, loss: NaN },
    { params: { lr: 1e-4, l2: 0.1 }, status: 'ok', accuracy: 0.5, loss: 1 },
  ];
  const fine = Lab.refineSpace(dims, trials, 1);
  const near = (a, b) => Math.abs(Math.log10(a) - Math.log10(b)) < 1e-12;
  assert.ok(near(fine[1].lo, 1e-3) && near(fine[1].hi, 1e-1), JSON.stringify(fine[1])); // lr: 4 decades / 4
  assert.ok(near(fine[0].lo, 1e-4) && near(fine[0].hi, 1e-2), JSON.stringify(fine[0]));
  const clipped = Lab.refineSpace(dims, [{ params: { lr: 1, l2: 1e-5 }, status: 'ok', accuracy: 1, loss: 0 }], 1);
  assert.ok(near(clipped[1].lo, 0.1) && clipped[1].hi === 1 && clipped[0].lo === 1e-5, JSON.stringify(clipped));
  assert.deepEqual(Lab.refineSpace(dims, [trials[1]], 2), dims, 'no trial ok: unchanged');
});

// The same rules as the engine's own search, on the engine's own trials: `cnn search` (the native
// CLI) runs a 3 × 3 grid and a fine round around its best 2; the JS grid is its first round, and the
// JS narrowing of its first round's results is its fine space and second round.
test('the search rules give what `cnn search --method grid --refine 2` gives', (t) => {
  const cnn = path.join(root, 'build', 'native', 'cnn');
  if (!fs.existsSync(cnn)) return t.skip('no native build (build/native/cnn)');
  if (!fs.existsSync(path.join(root, 'build', 'data', 'mnist-train-images.idx.gz'))) return t.skip('no MNIST');
  const out = path.join(fs.mkdtempSync(path.join(require('os').tmpdir(), 'lab-search-')), 'search.json');
  const space = { lr: { log: [1e-4, 1] }, l2: { log: [1e-5, 0.1] } };
  require('child_process').execFileSync(
    cnn,
    // prettier-ignore
    ['search', '--model', path.join(root, 'web', 'models', 'convnetjs.json'), '--space', JSON.stringify(space),
      '--method', 'grid', '--steps', '3', '--refine', '2', '--iterations', '20', '--subset', '300',
      '--validation', '300', '--threads', '1', '--out', out],
    { cwd: root, stdio: 'pipe' },
  );
  const native = JSON.parse(fs.readFileSync(out, 'utf8'));
  const dims = Lab.space(Object.entries(space).map(([name, r]) => ({ name, kind: 'log', lo: r.log[0], hi: r.log[1] })));
  const close = (a, b) => Math.abs(a - b) <= 1e-12 * Math.abs(b);
  const same = (p, q) => Object.keys(q).every((k) => close(p[k], q[k])) && Object.keys(p).length === 2;
  const round = (k) =>
    native.trials
      .filter((x) => x.round === k)
      .sort((a, b) => a.trial - b.trial)
      .map((x) => ({
        params: x.params,
        status: x.status,
        accuracy: x.val_accuracy,
        loss: x.val_loss,
      }));
  const coarse = round(1);
  const js = Lab.gridPoints(dims, 3);
  assert.equal(coarse.length, 9);
  js.forEach((p, i) =>
    assert.ok(same(p, coarse[i].params), `${i}: ${JSON.stringify(p)} ${JSON.stringify(coarse[i].params)}`),
  );
  const fine = Lab.refineSpace(dims, coarse, 2);
  for (const d of fine) {
    const [lo, hi] = native.fine_space[d.name].log;
    assert.ok(close(d.lo, lo) && close(d.hi, hi), `${d.name}: [${d.lo}, ${d.hi}] against the engine's [${lo}, ${hi}]`);
  }
  const second = round(2);
  Lab.gridPoints(fine, 3).forEach((p, i) => assert.ok(same(p, second[i].params), `fine ${i}: ${JSON.stringify(p)}`));
  console.log(`[lab search] the engine's fine space ${JSON.stringify(native.fine_space)}, the same in JS`);
});

test('search: random explores the learning rate more than the grid, the fine round beats the coarse', async (t) => {
  if (!train) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
  const { settings, problems } = Lab.resolveSettings('search', SMALL);
  assert.deepEqual(problems, []);
  const partials = [];
  const t0 = Date.now();
  const r = await Lab.get('search').run(
    { E, data: { train }, update: (p) => partials.push(p), tick: async () => {} },
    settings,
  );
  console.log(`[lab search] ${((Date.now() - t0) / 1000).toFixed(1)} s in Node (one worker, ${r.rows.length} trials)`);
  for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
  for (const row of r.rows)
    console.log(
      `  #${row.index} ${row.round.padEnd(6)} lr ${row.params.lr.toExponential(2)} l2 ${row.params.l2.toExponential(2)} ${row.status} ${row.status === 'ok' ? (100 * row.accuracy).toFixed(1) + ' %' : row.message.slice(0, 60)}`,
    );
  assert.equal(r.rows.length, 12, 'a 2 × 2 grid, 4 random, 4 fine');
  assert.deepEqual(
    r.rows.map((x) => x.round),
    [...Array(4).fill('grid'), ...Array(4).fill('random'), ...Array(4).fill('fine')],
  );
  assert.deepEqual(
    r.rows.map((x) => x.index),
    r.rows.map((_, i) => i + 1),
  );
  // the claims, with their numbers
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  assert.equal(r.important, 'lr', 'the learning rate is the important parameter');
  const lrs = (round) => new Set(r.rows.filter((x) => x.round === round).map((x) => x.params.lr)).size;
  assert.equal(lrs('grid'), 2);
  assert.equal(lrs('random'), 4);
  assert.equal(byId['random-explores'].value, 2);
  assert.ok(byId['random-explores'].holds, byId['random-explores'].text);
  const best = (rows) => Math.max(...rows.filter((x) => x.status === 'ok').map((x) => x.accuracy));
  const coarse = best(r.rows.filter((x) => x.round !== 'fine'));
  const fine = best(r.rows.filter((x) => x.round === 'fine'));
  assert.ok(Math.abs(byId['fine-beats-coarse'].value - (fine - coarse)) < 1e-12);
  assert.ok(byId['fine-beats-coarse'].holds, byId['fine-beats-coarse'].text);
  // the fine round's trials are inside the narrowed ranges, which lie inside the coarse ones
  for (const d of r.fineSpace) {
    const coarseDim = r.space.find((x) => x.name === d.name);
    assert.ok(d.lo >= coarseDim.lo && d.hi <= coarseDim.hi && d.hi - d.lo < coarseDim.hi - coarseDim.lo);
    for (const x of r.rows.filter((y) => y.round === 'fine'))
      assert.ok(x.params[d.name] >= d.lo && x.params[d.name] <= d.hi);
  }
  // a diverging learning rate (1, the grid's end) is a row with the engine's message, not a crash
  const diverged = r.rows.filter((x) => x.status === 'diverged');
  assert.ok(diverged.length >= 1 && diverged.every((x) => x.params.lr === 1 || x.round !== 'grid'));
  assert.match(diverged[0].message, /diverged/);
  // the table filled in trial by trial, with a time estimate
  assert.equal(partials.filter((p) => p.rows).length, 13);
  assert.match(partials[5].status, /Trial 5 of 12 \(coarse round\) on 1 worker: \d+ s so far, about \d+ s left/);
});

test('search: trials that end out of order (a pool) keep their numbers; a failed trial is a row; bad ranges are refused', async (t) => {
  if (!train) return t.skip('build/data has no MNIST (run scripts/setup.sh)');
  const exp = Lab.get('search');
  const { settings } = Lab.resolveSettings('search', { ...SMALL, iterations: 10 });
  const ctx = { E, data: { train }, update() {}, tick: async () => {} };
  // a pool of two that finishes every batch last-first, and whose third trial's worker crashed
  const pool = {
    size: 2,
    parallel: true,
    engine: 'a fake pool',
    async map(specs, { onResult }) {
      const state = exp.prepare(ctx, settings);
      try {
        const out = [];
        for (let i = specs.length - 1; i >= 0; --i) {
          out[i] =
            i === 2
              ? { status: 'failed', message: 'the engine stopped', accuracy: 0, loss: NaN, iterations: 0, seconds: 0 }
              : await exp.trial(ctx, state, specs[i], settings);
          onResult(i, out[i]);
        }
        return out;
      } finally {
        exp.release(state);
      }
    },
  };
  const r = await exp.run({ ...ctx, pool }, settings);
  assert.equal(r.workers, 2);
  assert.deepEqual(
    r.rows.slice(0, 8).map((x) => x.index),
    [8, 7, 6, 5, 4, 3, 2, 1],
    'rows come as trials end; each keeps its number',
  );
  const failed = r.rows.find((x) => x.index === 3);
  assert.equal(failed.status, 'failed');
  assert.equal(r.claims.length, 2);
  await assert.rejects(exp.run(ctx, { ...settings, 'lr-min': 0.1, 'lr-max': 0.01 }), {
    message: /the learning rate's range needs lr-min below lr-max \(got 0.1 and 0.01\)/,
  });
});
