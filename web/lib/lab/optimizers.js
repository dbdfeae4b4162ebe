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
    { id: 'sgd', label: 'SGD', config: (s) => ({ type: 'sgd', lr: s['sgd-lr'] }) },
    // (with momentum 0 these two are plain SGD: the engine refuses Nesterov without momentum)
    {
      id: 'momentum',
      label: 'Momentum',
      config: (s) =>
        s.momentum > 0
          ? { type: 'sgd', lr: s['momentum-lr'], momentum: s.momentum }
          : { type: 'sgd', lr: s['momentum-lr'] },
    },
    {
      id: 'nesterov',
      label: 'Nesterov',
      config: (s) =>
        s.momentum > 0
          ? { type: 'sgd', lr: s['momentum-lr'], momentum: s.momentum, nesterov: true }
          : { type: 'sgd', lr: s['momentum-lr'] },
    },
    { id: 'adagrad', label: 'AdaGrad', config: (s) => ({ type: 'adagrad', lr: s['adaptive-lr'] }) },
    { id: 'rmsprop', label: 'RMSProp', config: (s) => ({ type: 'rmsprop', lr: s['adaptive-lr'] }) },
    { id: 'adam', label: 'Adam', config: (s) => ({ type: 'adam', lr: s['adaptive-lr'] }) },
    // AdaDelta needs no learning rate (1 scales its update, as in PyTorch); RAdam is Adam with its
    // early variance rectified
    { id: 'adadelta', label: 'AdaDelta', config: () => ({ type: 'adadelta', lr: 1 }) },
    { id: 'radam', label: 'RAdam', config: (s) => ({ type: 'radam', lr: s['adaptive-lr'] }) },
  ];

  // The surfaces: f, its gradient, the start, and the region drawn.
  const SURFACES = {
    ravine: {
      label: 'a long narrow ravine: f(x, y) = 0.01·x² + y²',
      f: ([x, y]) => 0.01 * x * x + y * y,
      grad: ([x, y]) => [0.02 * x, 2 * y],
      start: [-9, 1],
      box: [-10, 2, -1.5, 1.5],
      rates: () => ({}),
    },
    saddle: {
      label: 'a saddle point: f(x, y) = x² − y², started on the ridge (y = 0.000001)',
      f: ([x, y]) => x * x - y * y,
      grad: ([x, y]) => [2 * x, -2 * y],
      start: [-1.5, 1e-6],
      box: [-2, 2, -2, 2],
      rates: (s) => ({ 'sgd-lr': s['saddle-lr'], 'momentum-lr': s['saddle-lr'], 'adaptive-lr': s['saddle-lr'] }),
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

  L.define({
    id: 'optimizers',
    title: 'Optimizers',
    topic:
      'Training neural networks: parameter updates (SGD, momentum, Nesterov, AdaGrad, RMSProp, Adam, and AdaDelta and RAdam)',
    intro: [
      'Plain SGD steps against the gradient. In a long narrow ravine the gradient points mostly across it, so SGD zig-zags from wall to wall and crawls along the floor; momentum accumulates a velocity that cancels the zig-zag and builds up speed along the floor. At a saddle point the gradient is almost zero: SGD started on the ridge stays there, momentum and the adaptive methods (AdaGrad, RMSProp, Adam scale each parameter’s step by its gradients’ history) get away.',
      'The paths below are the engine’s own optimizers (the code that trains every network here) stepping a two-number “model” over closed-form surfaces. Then the same optimizers train a small CNN on MNIST, one after another in the engine’s worker.',
    ],
    settings: [
      {
        key: 'sgd-lr',
        label: 'Ravine: learning rate of SGD',
        type: 'number',
        default: 0.9,
        min: 1e-5,
        max: 10,
        slider: { min: 0.01, max: 0.99, step: 0.01 },
        help: 'near 1 the steps across the ravine (curvature 2) overshoot: the zig-zag',
      },
      {
        key: 'momentum-lr',
        label: 'Ravine: learning rate of momentum and Nesterov',
        type: 'number',
        default: 0.3,
        min: 1e-5,
        max: 10,
        slider: { min: 0.01, max: 0.99, step: 0.01 },
        help: 'momentum multiplies the step by up to 1/(1 − momentum): it needs a smaller rate',
      },
      {
        key: 'adaptive-lr',
        label: 'Ravine: learning rate (AdaGrad, RMSProp, Adam)',
        type: 'number',
        default: 0.3,
        min: 1e-5,
        max: 10,
        slider: { min: 0.01, max: 1, step: 0.01 },
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
        key: 'saddle-lr',
        label: 'Saddle: learning rate (all)',
        type: 'number',
        default: 0.02,
        min: 1e-5,
        max: 10,
        slider: { min: 0.005, max: 0.2, step: 0.005 },
      },
      { key: 'steps', label: 'Steps on the surfaces', type: 'int', default: 200, min: 10, max: 2000 },
      { key: 'iterations', label: 'MNIST iterations', type: 'int', default: 150, min: 0, max: 5000 },
      { key: 'mnist-lr', label: 'MNIST learning rate (SGD family)', type: 'number', default: 0.01, min: 1e-6, max: 10 },
      { key: 'seed', label: 'Seed', type: 'int', default: 1, min: 0, max: 1e9 },
    ],
    needs: ['train'],
    quick: { iterations: 0 }, // the sliders redraw the paths only

    async run(ctx, s) {
      const { E } = ctx;
      const claims = [];
      const surfaces = {};
      for (const [name, surface] of Object.entries(SURFACES)) {
        // the surface's values on a grid, for the view's contour lines
        const [x0, x1, y0, y1] = surface.box;
        const N = 60;
        const grid = [];
        for (let j = 0; j <= N; ++j)
          for (let i = 0; i <= N; ++i) grid.push(surface.f([x0 + ((x1 - x0) * i) / N, y0 + ((y1 - y0) * j) / N]));
        surfaces[name] = {
          label: surface.label,
          box: surface.box,
          start: surface.start,
          grid: { n: N, values: grid },
          paths: KINDS.map((k) => ({
            id: k.id,
            label: k.label,
            points: path(E, k, surface, { ...s, ...surface.rates(s) }, s.steps),
          })),
        };
        ctx.update({ status: `Paths on ${name}…`, surfaces });
        await ctx.tick();
      }

      // The ravine: the steps to the same loss, and how often the path turns back across the ravine.
      const ravine = SURFACES.ravine;
      const target = 0.01 * ravine.f(ravine.start);
      const byId = (name, id) => surfaces[name].paths.find((p) => p.id === id).points;
      const walk = (pts) => {
        let turns = 0;
        for (let i = 2; i < pts.length; ++i) {
          const reach = ravine.f(pts[i]) < target;
          if (Math.sign(pts[i][1] - pts[i - 1][1]) !== Math.sign(pts[i - 1][1] - pts[i - 2][1])) ++turns;
          if (reach) return { steps: i, turns };
        }
        return { steps: null, turns };
      };
      const sgd = walk(byId('ravine', 'sgd'));
      const mom = walk(byId('ravine', 'momentum'));
      const stepsText = (w) => (w.steps ? `${w.steps} steps` : `more than ${s.steps} steps`);
      claims.push(
        L.claim(
          'ravine-zigzag',
          `In the ravine plain SGD (learning rate ${s['sgd-lr']}) zig-zags: to reach 1 % of the starting loss it needs ${stepsText(sgd)}, turning back across the ravine ${sgd.turns} times; momentum ${s.momentum} (learning rate ${s['momentum-lr']}) needs ${stepsText(mom)} (${mom.turns} turns)${sgd.steps && mom.steps ? `: SGD’s path is ${(sgd.steps / mom.steps).toFixed(1)} times as long, counted in steps` : ''}.`,
          sgd.steps && mom.steps ? sgd.steps / mom.steps : null,
          mom.steps !== null &&
            (sgd.steps === null || sgd.steps > 2 * mom.steps) &&
            sgd.turns > (sgd.steps || s.steps) / 2,
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
            const cfg = k.config({
              ...s,
              'sgd-lr': s['mnist-lr'],
              'momentum-lr': s['mnist-lr'],
              'adaptive-lr': k.id === 'adagrad' ? 0.01 : 0.001,
            });
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
        const sgdTail = tail(curves.find((c) => c.id === 'sgd'));
        const momTail = tail(curves.find((c) => c.id === 'momentum'));
        claims.push(
          L.claim(
            'mnist',
            `On MNIST after ${s.iterations} iterations momentum ends below plain SGD at the same learning rate: ${momTail.toFixed(3)} against ${sgdTail.toFixed(3)} (mean loss of the last 20 iterations). All of them: ${ranked.map((c) => `${c.label} ${tail(c).toFixed(3)}`).join(', ')}.`,
            sgdTail - momTail,
            momTail < sgdTail,
          ),
        );
      }
      return { claims, surfaces, curves };
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
