// Lab experiment "optimizers": the engine's optimizers (the same code that trains the networks, on a
// vector of two numbers: E.Optimizer) stepping over two loss surfaces of the notes — a long narrow
// ravine and a saddle point — and the same optimizers training a small CNN on MNIST, curves side by
// side. The surfaces are closed-form functions (their gradients too); every step is the engine's.
// Runs in the worker (see lab.js).
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);

  // The optimizers, with the options the notes use; the learning rate and momentum are the student's.
  const KINDS = [
    { id: 'sgd', label: 'SGD', config: (s) => ({ type: 'sgd', lr: s.lr }) },
    { id: 'momentum', label: 'Momentum', config: (s) => ({ type: 'sgd', lr: s.lr, momentum: s.momentum }) },
    {
      id: 'nesterov',
      label: 'Nesterov',
      config: (s) => ({ type: 'sgd', lr: s.lr, momentum: s.momentum, nesterov: true }),
    },
    { id: 'adagrad', label: 'AdaGrad', config: (s) => ({ type: 'adagrad', lr: s.adaptiveLr }) },
    { id: 'rmsprop', label: 'RMSProp', config: (s) => ({ type: 'rmsprop', lr: s.adaptiveLr }) },
    { id: 'adam', label: 'Adam', config: (s) => ({ type: 'adam', lr: s.adaptiveLr }) },
  ];

  // The surfaces: f, its gradient, the start, and the region drawn.
  const SURFACES = {
    ravine: {
      label: 'a long narrow ravine: f(x, y) = 0.05·x² + 2·y²',
      f: ([x, y]) => 0.05 * x * x + 2 * y * y,
      grad: ([x, y]) => [0.1 * x, 4 * y],
      start: [-9, 1.2],
      box: [-10, 2, -2, 2],
    },
    saddle: {
      label: 'a saddle point: f(x, y) = x² − y² (started on the ridge, y = 0.001)',
      f: ([x, y]) => x * x - y * y,
      grad: ([x, y]) => [2 * x, -2 * y],
      start: [-1.5, 0.001],
      box: [-2, 2, -2, 2],
    },
  };

  // The path of one optimizer over a surface: `steps` engine steps from the start.
  function path(E, kind, surface, s, steps) {
    const opt = new E.Optimizer(JSON.stringify(kind.config(s)));
    try {
      const pts = [surface.start.slice()];
      let p = Float32Array.from(surface.start);
      for (let t = 0; t < steps; ++t) {
        p = opt.step(p, Float32Array.from(surface.grad(p)));
        pts.push([p[0], p[1]]);
        if (!Number.isFinite(p[0]) || !Number.isFinite(p[1]) || Math.abs(p[0]) > 1e6 || Math.abs(p[1]) > 1e6) break;
      }
      return pts;
    } finally {
      opt.delete();
    }
  }

  const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  // The length of the path until the loss first falls below `target` (null: it never does).
  function lengthTo(pts, f, target) {
    let len = 0;
    for (let i = 1; i < pts.length; ++i) {
      len += dist(pts[i - 1], pts[i]);
      if (f(pts[i]) < target) return { length: len, steps: i };
    }
    return null;
  }

  L.define({
    id: 'optimizers',
    title: 'Optimizers',
    topic: 'Training neural networks: parameter updates (SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam)',
    intro: [
      'Plain SGD steps against the gradient. In a long narrow ravine the gradient points mostly across it, so SGD zig-zags from wall to wall and crawls along the floor; momentum accumulates a velocity that cancels the zig-zag and builds up speed along the floor. At a saddle point the gradient is almost zero: SGD started on the ridge stays there, momentum and the adaptive methods (AdaGrad, RMSProp, Adam scale each parameter’s step by its gradients’ history) get away.',
      'The paths below are the engine’s own optimizers (the code that trains every network here) stepping a two-number “model” over closed-form surfaces. Then the same optimizers train a small CNN on MNIST, one after another in the engine’s worker.',
    ],
    settings: [
      {
        key: 'lr',
        label: 'Learning rate (SGD, momentum)',
        type: 'number',
        default: 0.4,
        min: 1e-5,
        max: 10,
        slider: { min: 0.01, max: 0.5, step: 0.01 },
      },
      {
        key: 'momentum',
        label: 'Momentum',
        type: 'number',
        default: 0.9,
        min: 0,
        max: 0.999,
        slider: { min: 0, max: 0.99, step: 0.01 },
      },
      {
        key: 'adaptiveLr',
        label: 'Learning rate (adaptive)',
        type: 'number',
        default: 0.3,
        min: 1e-5,
        max: 10,
        slider: { min: 0.01, max: 1, step: 0.01 },
      },
      { key: 'steps', label: 'Steps on the surfaces', type: 'int', default: 120, min: 10, max: 2000 },
      { key: 'iterations', label: 'MNIST iterations', type: 'int', default: 150, min: 0, max: 5000 },
      { key: 'mnistLr', label: 'MNIST learning rate (SGD family)', type: 'number', default: 0.01, min: 1e-6, max: 10 },
      { key: 'seed', label: 'Seed', type: 'int', default: 1, min: 0, max: 1e9 },
    ],
    needs: ['train'],
    quick: { iterations: 0 }, // the sliders redraw the paths only

    async run(ctx, s) {
      const { E } = ctx;
      const claims = [];
      const surfaces = {};
      for (const [name, surface] of Object.entries(SURFACES)) {
        surfaces[name] = {
          label: surface.label,
          box: surface.box,
          start: surface.start,
          paths: KINDS.map((k) => ({ id: k.id, label: k.label, points: path(E, k, surface, s, s.steps) })),
        };
        ctx.update({ status: `Paths on ${name}…`, surfaces });
        await ctx.tick();
      }

      // The ravine: path length to the same loss.
      const ravine = SURFACES.ravine;
      const target = 0.01 * ravine.f(ravine.start);
      const byId = (name, id) => surfaces[name].paths.find((p) => p.id === id).points;
      const sgd = lengthTo(byId('ravine', 'sgd'), ravine.f, target);
      const mom = lengthTo(byId('ravine', 'momentum'), ravine.f, target);
      const lenText = (r, steps) =>
        r ? `${r.length.toFixed(1)} long (${r.steps} steps)` : `not there after ${steps} steps`;
      claims.push(
        L.claim(
          'ravine-zigzag',
          `In the ravine, to reach 1 % of the starting loss, plain SGD’s path is ${lenText(sgd, s.steps)}, momentum’s ${lenText(mom, s.steps)}${sgd && mom ? `: ${(sgd.length / mom.length).toFixed(2)} times as long` : ''}.`,
          sgd && mom ? sgd.length / mom.length : null,
          (!sgd && mom) || (sgd && mom && sgd.length > 2 * mom.length),
        ),
      );
      // The saddle: who gets away from the ridge (|y| > 1) within the steps.
      const escaped = (id) => {
        const pts = byId('saddle', id);
        const k = pts.findIndex((p) => Math.abs(p[1]) > 1);
        return k < 0 ? null : k;
      };
      const esc = Object.fromEntries(KINDS.map((k) => [k.id, escaped(k.id)]));
      const yEnd = (id) => Math.abs(byId('saddle', id).at(-1)[1]);
      claims.push(
        L.claim(
          'saddle',
          `At the saddle, started on the ridge: ${KINDS.map((k) => `${k.label} ${esc[k.id] === null ? `still on it after ${s.steps} steps (|y| = ${L.num(yEnd(k.id))})` : `away after ${esc[k.id]} steps`}`).join('; ')}.`,
          esc.sgd,
          esc.sgd === null && esc.momentum !== null && esc.adam !== null,
        ),
      );

      // The same optimizers on MNIST: a small CNN, the same seed and images for each.
      const curves = [];
      if (s.iterations > 0) {
        const sub = L.subset(ctx.data.train, 5000, s.seed);
        try {
          for (const k of KINDS) {
            const adaptive = ['adagrad', 'rmsprop', 'adam'].includes(k.id);
            const cfg = k.config({ ...s, lr: s.mnistLr, adaptiveLr: k.id === 'adagrad' ? 0.01 : 0.001 });
            if (!adaptive) cfg.lr = s.mnistLr;
            const m = new E.Model(
              JSON.stringify({
                input: [1, 28, 28],
                init: 'kaiming',
                seed: s.seed,
                layers: [
                  { type: 'conv2d', name: 'conv1', filters: 8, kernel: 5, pad: 2 },
                  { type: 'relu', name: 'relu1' },
                  { type: 'maxpool2d', name: 'pool1', size: 2 },
                  { type: 'dense', name: 'out', units: 10 },
                ],
              }),
            );
            try {
              const r = await L.train(ctx, {
                model: m,
                train: sub.part,
                config: {
                  iterations: s.iterations,
                  batch: 32,
                  optimizer: cfg,
                  seed: s.seed,
                  preprocess: 'standardize',
                },
              });
              curves.push({ id: k.id, label: `${k.label} (lr ${cfg.lr})`, losses: r.losses, status: r.status });
            } finally {
              m.delete();
            }
            ctx.update({
              status: `MNIST: ${k.label} trained (${curves.length} of ${KINDS.length})…`,
              surfaces,
              curves,
            });
          }
        } finally {
          sub.part.delete();
          sub.rest.delete();
        }
        const tail = (c) => {
          const t = c.losses.slice(-20);
          return t.reduce((a, b) => a + b, 0) / t.length;
        };
        const ranked = curves.slice().sort((a, b) => tail(a) - tail(b));
        claims.push(
          L.claim(
            'mnist',
            `On MNIST after ${s.iterations} iterations (mean loss of the last 20): ${ranked.map((c) => `${c.label} ${tail(c).toFixed(3)}`).join(', ')}; plain SGD at this rate is ${ranked.findIndex((c) => c.id === 'sgd') === KINDS.length - 1 ? 'the slowest' : 'not the slowest'}.`,
            tail(curves.find((c) => c.id === 'sgd')),
            tail(curves.find((c) => c.id === 'sgd')) > Math.min(...curves.filter((c) => c.id !== 'sgd').map(tail)),
          ),
        );
      }
      return { claims, surfaces, curves };
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
