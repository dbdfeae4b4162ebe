// The wasm API the Lab's experiments build on, against numbers computed here in JS:
//   Model.gradient   each layer's dL/d(output) after trainStep or backward: the softmax loss gradient,
//                    the transpose product through a dense layer, a central finite difference
//   Model.trainStep  with opts.optimizer: another optimizer, kept while its configuration is the same
//   Optimizer        the engine's optimizers on a raw vector: a 2-D quadratic, the update formulas by hand
// and the errors of all three (JS Errors with the engine's message, nothing left behind).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

// CNN_WASM_DIR: another build directory (relative to the repository), e.g. build/helper-wasm.
const dir = path.resolve(__dirname, '..', '..', process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const createCnnEngine = require(path.join(dir, 'cnn_engine_st.js'));
const enginePromise = createCnnEngine({ wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')) });

const near = (got, want, tol, what) =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want} (tolerance ${tol})`);

// ---------------------------------------------------------------------------------------- gradient

// x (3 features) -> dense h (4) -> tanh t -> dense out (3 classes), everything computed here in double.
const MLP = JSON.stringify({
  input: [1, 1, 3],
  seed: 6,
  layers: [
    { type: 'dense', name: 'h', units: 4 },
    { type: 'tanh', name: 't' },
    { type: 'dense', name: 'out', units: 3 },
  ],
});
const B = 2;
const X = Float32Array.from([0.5, -1.0, 0.25, -0.3, 0.8, 1.2]);
const LABELS = Int32Array.from([2, 0]);

// dense: w is [units][inputs] row-major, as the engine stores it.
const dense = (w, b, v, units) =>
  Array.from({ length: units }, (_, o) => b[o] + v.reduce((s, vi, i) => s + w[o * v.length + i] * vi, 0));
const softmax = (z) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
// Mean cross-entropy of the outputs of t (one row per sample).
const lossFromT = (P, tRows) =>
  tRows.reduce((s, t, n) => s - Math.log(softmax(dense(P.w2, P.b2, t, 3))[LABELS[n]]), 0) / tRows.length;

function mlpByHand(P) {
  const rows = [];
  for (let n = 0; n < B; n++) {
    const x = Array.from(X.subarray(n * 3, n * 3 + 3));
    const h = dense(P.w1, P.b1, x, 4);
    const t = h.map(Math.tanh);
    const p = softmax(dense(P.w2, P.b2, t, 3));
    const dz = p.map((v, c) => (v - (c === LABELS[n] ? 1 : 0)) / B); // (softmax - one-hot) / batch
    const dt = t.map((_, j) => dz.reduce((s, g, o) => s + P.w2[o * 4 + j] * g, 0)); // out.weight^T dz
    const dh = dt.map((g, j) => g * (1 - t[j] * t[j]));
    rows.push({ t, dz, dt, dh });
  }
  return rows;
}

const params = (m) => ({
  w1: Array.from(m.getParam('h.weight')),
  b1: Array.from(m.getParam('h.bias')),
  w2: Array.from(m.getParam('out.weight')),
  b2: Array.from(m.getParam('out.bias')),
});

test("gradient(): each layer's output gradient of trainStep's backward, against JS", async () => {
  const E = await enginePromise;
  const m = new E.Model(MLP);
  // Non-zero biases, so that they take part.
  m.setParam('h.bias', [0.1, -0.2, 0.05, 0.3]);
  m.setParam('out.bias', [0.2, 0, -0.1]);
  const before = params(m); // backward runs on the weights before the update
  const rows = mlpByHand(before);
  const loss = m.trainStep(X, LABELS, B, { lr: 0.5 });
  near(
    loss,
    lossFromT(
      before,
      rows.map((r) => r.t),
    ),
    1e-6,
    'loss',
  );
  assert.notDeepEqual(params(m).w2, before.w2, 'the step updated the weights');

  const out = m.gradient('out');
  assert.deepEqual(out.shape, [B, 3, 1, 1]);
  assert.ok(out.data instanceof Float32Array);
  rows.forEach((r, n) => r.dz.forEach((v, c) => near(out.data[n * 3 + c], v, 1e-7, `out[${n}][${c}]`)));
  const t = m.gradient('t');
  assert.deepEqual(t.shape, [B, 4, 1, 1]);
  rows.forEach((r, n) => r.dt.forEach((v, j) => near(t.data[n * 4 + j], v, 1e-7, `t[${n}][${j}]`)));
  const h = m.gradient('h');
  rows.forEach((r, n) => r.dh.forEach((v, j) => near(h.data[n * 4 + j], v, 1e-7, `h[${n}][${j}]`)));

  // A central finite difference of the loss w.r.t. the tanh layer's output.
  const tRows = rows.map((r) => r.t);
  const step = 1e-5;
  for (let n = 0; n < B; n++)
    for (let j = 0; j < 4; j++) {
      const at = (d) =>
        lossFromT(
          before,
          tRows.map((row, k) => row.map((v, i) => (k === n && i === j ? v + d : v))),
        );
      near(t.data[n * 4 + j], (at(step) - at(-step)) / (2 * step), 1e-6, `finite difference t[${n}][${j}]`);
    }
  // A forward afterwards leaves them; the copies are the caller's.
  m.forward(new Float32Array(9), 3, false);
  assert.deepEqual(m.gradient('out').shape, [B, 3, 1, 1]);
  out.data[0] = 42;
  assert.notEqual(m.gradient('out').data[0], 42);
  m.delete();
});

test('backward(): the same gradients without an update; its options', async () => {
  const E = await enginePromise;
  const m = new E.Model(MLP);
  const before = params(m);
  const rows = mlpByHand(before);
  const loss = m.backward(X, LABELS, B, {});
  assert.deepEqual(params(m), before, 'the weights stay');
  near(
    loss,
    lossFromT(
      before,
      rows.map((r) => r.t),
    ),
    1e-6,
    'loss',
  );
  const dt = m.gradient('t').data;
  rows.forEach((r, n) => r.dt.forEach((v, j) => near(dt[n * 4 + j], v, 1e-7, `t[${n}][${j}]`)));
  // The same as the next trainStep's backward, bit for bit.
  const other = new E.Model(MLP);
  assert.equal(other.trainStep(X, LABELS, B, { lr: 0.1 }), loss);
  assert.deepEqual(other.gradient('h').data, m.gradient('h').data);
  other.delete();
  // l2 adds its penalty; training: false runs the forward in inference mode (the same here).
  const w = [...before.w1, ...before.w2];
  const penalty = (0.1 / 2) * w.reduce((s, v) => s + v * v, 0);
  near(m.backward(X, LABELS, B, { l2: 0.1, training: false }), loss + penalty, 1e-5, 'loss with l2');
  assert.throws(
    () => m.backward(X, LABELS, B, { training: 'yes' }),
    /backward: option 'training' must be true or false/,
  );
  assert.throws(
    () => m.backward(X, LABELS, B, { l2: -1 }),
    /backward: option 'l2' must be a finite number >= 0, got -1/,
  );
  m.delete();
});

test('gradient() and activation() refuse with the engine message, never a trap', async () => {
  const E = await enginePromise;
  const m = new E.Model(MLP);
  assert.throws(() => m.activation('out'), /layer 'out' has no activation yet: run forward first/);
  assert.throws(() => m.gradient('out'), /layer 'out' has no gradient yet: run a backward pass first/);
  m.forward(X, B, false);
  assert.throws(() => m.gradient('out'), /no gradient yet/); // a forward is not a backward
  m.trainStep(X, LABELS, B, { lr: 0.1 });
  assert.throws(() => m.gradient('nope'), /no layer named 'nope'/);
  assert.throws(() => m.gradient('input'), /'input' is the model input: no gradient flows back to the data/);
  const side = new E.Model(
    JSON.stringify({
      input: [1, 1, 3],
      layers: [
        { type: 'dense', name: 'side', units: 2, inputs: ['input'] },
        { type: 'dense', name: 'out', units: 2, inputs: ['input'] },
      ],
    }),
  );
  side.trainStep(
    X,
    LABELS.map(() => 1),
    B,
    { lr: 0.1 },
  );
  assert.throws(() => side.gradient('side'), /does not lead to the output/);
  assert.equal(side.gradient('out').data.length, 4);
  side.delete();
  assert.equal(m.gradient('out').data.length, 6); // still works
  m.delete();
});

// --------------------------------------------------------------------------- trainStep's optimizer

const CONV = JSON.stringify({
  input: [1, 6, 6],
  seed: 3,
  layers: [
    { type: 'conv2d', name: 'conv', filters: 4, kernel: 3, pad: 1 },
    { type: 'relu' },
    { type: 'maxpool2d', size: 2 },
    { type: 'dense', name: 'fc', units: 3 },
  ],
});
const CX = new Float32Array(4 * 36).map((_, i) => Math.sin(i * i * 0.37));
const CY = Int32Array.from([0, 1, 2, 1]);
const NAMES = ['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias'];

// The losses of `steps` trainSteps; opts() gives each call's options (a fresh object every call).
const run = (m, steps, opts) => Array.from({ length: steps }, () => m.trainStep(CX, CY, 4, opts()));
const weights = (m) => NAMES.map((n) => m.getParam(n));
// A fresh model holding m's weights (and a fresh optimizer).
function copyOf(E, m) {
  const c = new E.Model(CONV);
  weights(m).forEach((w, i) => c.setParam(NAMES[i], w));
  return c;
}

test('trainStep with opts.optimizer: Adam takes another, lower path than SGD, the same each time', async () => {
  const E = await enginePromise;
  const sgd = new E.Model(CONV),
    adam = new E.Model(CONV),
    again = new E.Model(CONV);
  const ls = run(sgd, 20, () => ({ lr: 0.01 }));
  const la = run(adam, 20, () => ({ lr: 0.01, optimizer: { type: 'adam' } }));
  assert.equal(la[0], ls[0], 'the same start (the loss is before the update)');
  assert.notEqual(la[1], ls[1]);
  assert.ok(la[19] < 0.5 * ls[19], `adam ${la[19]} vs sgd ${ls[19]}`);
  assert.deepEqual(
    run(again, 20, () => ({ lr: 0.01, optimizer: { type: 'adam' } })),
    la,
    'deterministic',
  );
  // Without opts.lr the configuration's lr is the rate: the same path.
  const own = new E.Model(CONV);
  assert.deepEqual(
    run(own, 20, () => ({ optimizer: { type: 'adam', lr: 0.01 } })),
    la,
  );
  // Plain SGD is the default, and an explicit {type: 'sgd'} is the same.
  const plain = new E.Model(CONV);
  assert.deepEqual(
    run(plain, 20, () => ({ lr: 0.01, optimizer: { type: 'sgd' } })),
    ls,
  );
  for (const m of [sgd, adam, again, own, plain]) m.delete();
});

test("trainStep keeps the optimizer's state while its configuration is the same, rebuilds it when it changes", async () => {
  const E = await enginePromise;
  const adam = () => ({ lr: 0.01, optimizer: { type: 'adam' } });
  const ten = new E.Model(CONV);
  const path10 = run(ten, 10, adam);
  // 5 steps, then 5 with the same configuration written another way (defaults spelled out, other
  // key order): the moments are kept, the same path as 10 steps.
  const m = new E.Model(CONV);
  run(m, 5, adam);
  const fresh = copyOf(E, m); // the weights after 5 steps, with a new optimizer
  const kept = run(m, 5, () => ({ optimizer: { beta2: 0.999, type: 'adam', beta1: 0.9 }, lr: 0.01 }));
  assert.deepEqual(kept, path10.slice(5));
  // A new Adam from those weights goes elsewhere: the state mattered.
  const restarted = run(fresh, 5, adam);
  assert.equal(restarted[0], kept[0]);
  assert.notDeepEqual(restarted, kept);
  // A changed configuration starts a new optimizer: the same path as a fresh model with these weights.
  const rms = () => ({ lr: 0.005, optimizer: { type: 'rmsprop', momentum: 0.5 } });
  const from = copyOf(E, m);
  assert.deepEqual(run(m, 5, rms), run(from, 5, rms));
  // opts.lr still sets the rate on every call (a learning-rate range test).
  const a = copyOf(E, m),
    b = copyOf(E, m);
  run(a, 3, () => ({ lr: 0.001, optimizer: { type: 'sgd', momentum: 0.9 } }));
  const rates = [0.001, 0.01, 0.1];
  let k = 0;
  run(b, 3, () => ({ lr: rates[k++], optimizer: { type: 'sgd', momentum: 0.9 } }));
  assert.notDeepEqual(weights(a), weights(b));
  for (const x of [ten, m, fresh, from, a, b]) x.delete();
});

test("trainStep's options are checked with clear errors", async () => {
  const E = await enginePromise;
  const m = new E.Model(CONV);
  const w = weights(m);
  const bad = (opts, re) => assert.throws(() => m.trainStep(CX, CY, 4, opts), re);
  bad({ lr: NaN }, /trainStep: option 'lr' must be a positive finite number, got NaN/);
  bad({ lr: 0 }, /option 'lr' must be a positive finite number, got 0/);
  bad({ lr: '0.1' }, /trainStep: option 'lr' must be a number, got \[object String\]/);
  bad({ optimizer: { type: 'adamw' } }, /unknown optimizer type 'adamw' \(known: sgd, adagrad/);
  bad({ optimizer: { type: 'adam', beta1: 1.5 } }, /optimizer 'adam': option 'beta1' must be in \[0, 1\), got 1.5/);
  bad({ optimizer: { type: 'sgd', momentum: NaN } }, /option 'momentum' must be a finite number, got nan/);
  bad({ optimizer: { type: 'sgd', nesterov: true } }, /option 'nesterov' needs a momentum > 0/);
  bad({ optimizer: { lr: 0.1 } }, /optimizer configuration needs a "type"/);
  bad({ loss: 'l2' }, /l2/);
  bad(null, /trainStep: opts must be an object/);
  assert.deepEqual(weights(m), w, 'nothing changed');
  assert.ok(Number.isFinite(m.trainStep(CX, CY, 4, { optimizer: 'adam' }))); // a bare type, as the trainer's
  m.delete();
});

// ------------------------------------------------------------------------------------ Optimizer

// f(x, y) = x^2 + 10 y^2, from (-4, 1).
const grad = ([x, y]) => [2 * x, 20 * y];
const norm = ([a, b]) => Math.hypot(a, b);

// Steps until |grad f| < tol (at most max); returns the count and the point.
function descend(opt, max, tol = 1e-3) {
  let p = Float32Array.from([-4, 1]);
  for (let k = 1; k <= max; k++) {
    p = opt.step(p, grad(p));
    if (norm(grad(p)) < tol) return { steps: k, p };
  }
  return { steps: Infinity, p };
}

test('Optimizer: SGD and momentum minimize x^2 + 10y^2 from (-4, 1)', async () => {
  const E = await enginePromise;
  const sgd = new E.Optimizer('{"type": "sgd", "lr": 0.05}');
  const a = descend(sgd, 500);
  assert.ok(a.steps <= 100, `sgd: ${a.steps} steps`);
  const mom = new E.Optimizer('{"type": "sgd", "lr": 0.05, "momentum": 0.9}');
  const b = descend(mom, 1000);
  assert.ok(b.steps < Infinity, `momentum: not below 1e-3 in 1000 steps, at ${b.p}`);
  assert.ok(Math.abs(b.p[0]) < 1e-3 && Math.abs(b.p[1]) < 1e-4);
  sgd.delete();
  mom.delete();
});

// The first steps against the update formulas of src/train/optim/optimizer.h, in double.
test('Optimizer: the first steps are the update formulas of sgd, momentum, nesterov and adam', async () => {
  const E = await enginePromise;
  const byHand = {
    sgd: { cfg: { type: 'sgd', lr: 0.05 }, init: () => ({}), step: (w, g, s, lr) => w.map((v, i) => v - lr * g[i]) },
    momentum: {
      cfg: { type: 'sgd', lr: 0.05, momentum: 0.9 },
      init: () => ({ b: null }),
      step: (w, g, s, lr) => {
        s.b = s.b ? s.b.map((b, i) => 0.9 * b + g[i]) : g.slice(); // b = g at the first step
        return w.map((v, i) => v - lr * s.b[i]);
      },
    },
    nesterov: {
      cfg: { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
      init: () => ({ b: null }),
      step: (w, g, s, lr) => {
        s.b = s.b ? s.b.map((b, i) => 0.9 * b + g[i]) : g.slice();
        return w.map((v, i) => v - lr * (g[i] + 0.9 * s.b[i]));
      },
    },
    adam: {
      cfg: { type: 'adam', lr: 0.1, beta1: 0.8, beta2: 0.99, eps: 1e-8 },
      init: () => ({ m: [0, 0], v: [0, 0], t: 0 }),
      step: (w, g, s, lr) => {
        s.t++;
        s.m = s.m.map((m, i) => 0.8 * m + 0.2 * g[i]);
        s.v = s.v.map((v, i) => 0.99 * v + 0.01 * g[i] * g[i]);
        const bc1 = 1 - 0.8 ** s.t,
          bc2 = 1 - 0.99 ** s.t;
        return w.map((x, i) => x - (lr / bc1) * (s.m[i] / (Math.sqrt(s.v[i]) / Math.sqrt(bc2) + 1e-8)));
      },
    },
  };
  for (const [name, h] of Object.entries(byHand)) {
    const opt = new E.Optimizer(JSON.stringify(h.cfg));
    const s = h.init();
    let got = Float32Array.from([-4, 1]);
    let want = [-4, 1];
    for (let k = 1; k <= 6; k++) {
      const lr = k <= 3 ? h.cfg.lr : h.cfg.lr / 2; // a rate change halfway
      if (k === 4) opt.setLr(lr);
      assert.equal(opt.lr(), Math.fround(lr));
      // Both take the gradient at the engine's (float32) point, so only the update's rounding differs.
      const g = grad(got);
      want = h.step(Array.from(got), g, s, lr);
      got = opt.step(got, g);
      assert.ok(got instanceof Float32Array && got.length === 2);
      want.forEach((v, i) => near(got[i], v, 1e-6, `${name} step ${k} [${i}]`));
    }
    opt.delete();
  }
});

test('Optimizer: every kind of the engine runs, keeps its state and its configuration', async () => {
  const E = await enginePromise;
  const kinds = [
    [{ type: 'sgd', lr: 0.05 }, 200],
    [{ type: 'sgd', lr: 0.02, momentum: 0.9, nesterov: true }, 300],
    [{ type: 'adagrad', lr: 1 }, 300],
    [{ type: 'adadelta', lr: 1 }, 1000], // starts with steps of about sqrt(eps)
    [{ type: 'rmsprop', lr: 0.05 }, 300],
    [{ type: 'adam', lr: 0.1 }, 300],
    [{ type: 'radam', lr: 0.1 }, 300],
    [{ type: 'lookahead', inner: { type: 'adam', lr: 0.1 } }, 300],
  ];
  const f = ([x, y]) => x * x + 10 * y * y;
  for (const [cfg, steps] of kinds) {
    const opt = new E.Optimizer(JSON.stringify(cfg));
    const config = JSON.parse(opt.config());
    assert.equal(config.type, cfg.type);
    assert.equal(opt.lr(), Math.fround(cfg.lr ?? cfg.inner.lr));
    let p = [-4, 1];
    for (let k = 0; k < steps; k++) p = opt.step(p, grad(p));
    assert.ok(f(p) < 0.01 * f([-4, 1]), `${JSON.stringify(cfg)}: f = ${f(p)} after ${steps} steps`);
    // The same configuration again takes the same path; its state persists between calls.
    const twin = new E.Optimizer(opt.config());
    let q = [-4, 1];
    for (let k = 0; k < steps; k++) q = twin.step(q, grad(q));
    assert.deepEqual(q, p);
    opt.delete();
    twin.delete();
  }
  // The defaults are filled in; the configured lr stays in config() when setLr changes the rate.
  const adam = new E.Optimizer('{"type": "adam"}');
  assert.deepEqual(JSON.parse(adam.config()), {
    type: 'adam',
    lr: 0.001,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weight_decay: 0,
  });
  adam.setLr(0.5);
  assert.equal(adam.lr(), 0.5);
  assert.equal(JSON.parse(adam.config()).lr, 0.001);
  // weight_decay applies to the vector: a zero gradient still shrinks it.
  const wd = new E.Optimizer('{"type": "sgd", "lr": 0.1, "weight_decay": 0.5}');
  assert.deepEqual(Array.from(wd.step([2, -4], [0, 0])), [1.899999976158142, -3.799999952316284]);
  adam.delete();
  wd.delete();
});

test('Optimizer: bad input is a clear error, not a trap, and leaves it as it was', async () => {
  const E = await enginePromise;
  assert.throws(() => new E.Optimizer('{"type": "adamw"}'), /unknown optimizer type 'adamw' \(known: sgd, adagrad/);
  assert.throws(
    () => new E.Optimizer('{"type": "sgd", "lr": -1}'),
    /optimizer 'sgd': option 'lr' must be a number >= 0/,
  );
  assert.throws(() => new E.Optimizer('{"type": "rmsprop", "centered": true}'), /unknown option 'centered'/);
  assert.throws(() => new E.Optimizer('{"type": '), /Optimizer: the configuration.*not valid JSON/);
  const opt = new E.Optimizer('{"type": "sgd", "lr": 0.1, "momentum": 0.9}');
  assert.throws(() => opt.step([1, 2], [1]), /sgd optimizer: step got 2 params and 1 gradients/);
  assert.throws(() => opt.step([], []), /at least one value/);
  assert.throws(() => opt.step(null, [1]), /expected a Float32Array, got nothing/);
  const p = opt.step([1, 2], [1, 1]);
  assert.throws(() => opt.step([1, 2, 3], [1, 1, 1]), /step got 3 values, but its state is for 2/);
  for (const lr of [NaN, -0.1, Infinity, 1e300])
    assert.throws(() => opt.setLr(lr), /sgd optimizer: option 'lr' must be a finite number >= 0/);
  assert.equal(opt.lr(), Math.fround(0.1));
  // The state went on as if the bad calls had not been made.
  const twin = new E.Optimizer(opt.config());
  twin.step([1, 2], [1, 1]);
  assert.deepEqual(opt.step(p, [1, 1]), twin.step(p, [1, 1]));
  twin.delete();

  // Errors leave no wasm stack and no Embind handles behind (bindings.test.js has the reason).
  const m = new E.Model(MLP);
  const sp0 = E.stackSave(),
    handles0 = E.count_emval_handles();
  let caught = 0;
  for (let i = 0; i < 500; i++)
    for (const f of [
      () => opt.step([1, 2], [1]),
      () => opt.setLr(NaN),
      () => new E.Optimizer('{"type": "nope"}'),
      () => m.gradient('nope'),
      () => m.trainStep(X, LABELS, B, { lr: 0.1, optimizer: { type: 'adam', eps: -1 } }),
    ]) {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof Error && e.message.length > 0);
        caught++;
      }
    }
  assert.equal(caught, 2500);
  assert.equal(E.stackSave(), sp0, 'the wasm stack pointer moved');
  assert.equal(E.count_emval_handles(), handles0, 'Embind handles leaked');
  assert.equal(opt.step([0, 0], [0, 0]).length, 2); // still works
  opt.delete();
  m.delete();
});
