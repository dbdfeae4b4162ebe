// Lab experiment "activations": the notes' activation functions on the engine. (1) Each function
// and its derivative, both the engine's: a one-layer model of each kind forwards x = −5…5 for f(x),
// and one step of plain SGD (learning rate 1) on a per-point bias gives f'(x) from the engine's
// backward pass, checked against the central difference of the engine's own f. (2) The same small
// net (784-H-H-10) trained with sigmoid, tanh, ReLU, Leaky ReLU, ELU and GELU on the same subset,
// seed and iterations, one run after another, loss curves side by side. (3) Dead ReLUs: the ReLU net
// trained with plain SGD at three learning rates, and the fraction of its hidden units that output 0
// for every image of a fixed probe batch, measured during training with the engine's
// predict + activation. Runs in the worker (see lab.js).
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);

  // The six kinds of the engine's registry, in the notes' order, with the notes' formulas.
  const KINDS = [
    { kind: 'sigmoid', label: 'Sigmoid', formula: 'σ(x) = 1 / (1 + e^−x)' },
    { kind: 'tanh', label: 'tanh', formula: 'tanh(x)' },
    { kind: 'relu', label: 'ReLU', formula: 'max(0, x)' },
    { kind: 'leaky_relu', label: 'Leaky ReLU', formula: 'max(0.01x, x)' },
    { kind: 'elu', label: 'ELU', formula: 'x if x ≥ 0, else α(e^x − 1), α = 1' },
    { kind: 'gelu', label: 'GELU', formula: 'x · Φ(x)' },
  ];
  const BY_KIND = Object.fromEntries(KINDS.map((k) => [k.kind, k]));

  // The x values: −5…5 in steps of 0.05 (201 points, x = 0 exactly among them).
  const XS = Array.from({ length: 201 }, (_, i) => (i - 100) / 20);
  const H = 0.01; // the central difference's step

  // f(x) and f'(x) of one activation kind, by the engine. The model: the x values as the channels of
  // one 1×1 image, a 1×1 depthwise convolution (one weight and one bias per x, set to 1 and 0: z = x),
  // then the activation. Its outputs are the scores of a hinge loss whose true class is an extra
  // channel at x = −1000, far below every other score: every margin is positive, so dLoss/dscore is
  // exactly 1 for each x, and the gradient reaching x's bias is f'(x), by the engine's backward. One
  // step of plain SGD with learning rate 1 moves the bias from 0 to −f'(x).
  function curve(E, kind) {
    const n = XS.length;
    const m = new E.Model(
      JSON.stringify({
        input: [n + 1, 1, 1],
        layers: [
          { type: 'depthwise_conv2d', name: 'z', kernel: 1 },
          { type: kind, name: 'f' },
        ],
      }),
    );
    try {
      const reset = () => {
        m.setParam('z.weight', new Float32Array(n + 1).fill(1));
        m.setParam('z.bias', new Float32Array(n + 1));
      };
      reset();
      const at = (dx) => Float32Array.from([...XS.map((x) => x + dx), -1000]);
      const f = Array.from(m.forward(at(0), 1, false).subarray(0, n));
      const plus = m.forward(at(H), 1, false);
      const minus = m.forward(at(-H), 1, false);
      const slope = XS.map((_, i) => (plus[i] - minus[i]) / (2 * H));
      m.trainStep(at(0), [n], 1, { lr: 1, loss: 'hinge' });
      const df = Array.from(m.getParam('z.bias').subarray(0, n), (b) => (b === 0 ? 0 : -b));
      return { ...BY_KIND[kind], x: XS, f, df, slope };
    } finally {
      m.delete();
    }
  }

  // The small net of the comparison: 784-H-H-10 (for MNIST) with the activation after each hidden
  // layer. shape: the images' [c, h, w]; classes: how many.
  function net(kind, s, shape, classes) {
    return {
      name: `mlp-${kind}`,
      input: shape,
      init: s.init,
      seed: s.seed,
      layers: [
        { type: 'flatten', name: 'flat' },
        { type: 'dense', name: 'fc1', units: s.hidden },
        { type: kind, name: 'act1' },
        { type: 'dense', name: 'fc2', units: s.hidden },
        { type: kind, name: 'act2' },
        { type: 'dense', name: 'out', units: classes },
      ],
    };
  }

  const config = (s, lr) =>
    JSON.stringify({
      iterations: s.iterations,
      batch: s.batch,
      optimizer: { type: 'sgd', lr },
      seed: s.seed,
      preprocess: 'standardize',
    });

  // The training loss of the last fifth of the iterations (the mean of their losses): how far a run
  // got. Infinity when the run diverged.
  function finalLoss(losses, status) {
    if (status === 'diverged' || !losses.length) return Infinity;
    const from = Math.floor(losses.length * 0.8);
    const tail = losses.slice(Math.min(from, losses.length - 1));
    return tail.reduce((a, b) => a + b, 0) / tail.length;
  }

  // Dead units: for each unit of a hidden layer, whether it output 0 for every probe image.
  function deadUnits(m, probe, count) {
    m.predict(probe, count);
    return ['act1', 'act2'].map((name) => {
      const a = m.activation(name).data;
      const units = a.length / count;
      const dead = [];
      for (let j = 0; j < units; ++j) {
        let alive = false;
        for (let i = 0; i < count && !alive; ++i) alive = a[i * units + j] > 0;
        dead.push(!alive);
      }
      return dead;
    });
  }
  const fraction = (flags) => flags.filter(Boolean).length / flags.length;

  const pct = (x) => `${L.num(100 * x, 3)} %`;
  const lossText = (r) => (r.status === 'diverged' ? 'diverged' : L.num(r.final, 3));

  L.define({
    id: 'activations',
    title: 'Activation functions',
    topic: 'Activation functions in neural networks (sigmoid, tanh, ReLU, Leaky ReLU, ELU, GELU; dead ReLUs)',
    intro: [
      'A network is a sequence of layers interspersed with activation functions. Sigmoid squashes numbers to [0, 1] and tanh to [−1, 1]; both "kill" the gradients when saturated, because their derivative is near 0 for large |x|. ReLU, max(0, x), does not saturate in the + region and "converges much faster than sigmoid/tanh in practice", but its derivative is 0 for x < 0: a unit whose input is negative for every image never learns again, a dead ReLU. Leaky ReLU, max(0.01x, x), "will not die"; ELU and GELU are smooth versions.',
      "First the engine draws each function and its derivative: f(x) is the layer's forward pass on x = −5…5, f'(x) its backward pass (one plain SGD step on a bias per x), checked against the slope of the engine's own f.",
      'Then the same small net, 784 inputs, two hidden layers and 10 classes, trains once with each activation on the same images, seed, initialization and iterations (plain SGD), one run after another in the engine: the loss curves side by side.',
      'Last, the ReLU net trains at three learning rates, and after every few iterations the engine forwards a fixed batch of held-out probe images: a unit counts as dead when it outputs 0 for every one of them. The notes\' advice: "Use ReLU. Be careful with your learning rates."',
    ],
    settings: [
      {
        key: 'iterations',
        label: 'Iterations per run',
        type: 'int',
        default: 500,
        min: 10,
        max: 5000,
        help: 'mini-batches of training in each run (the six activations and the three learning rates)',
      },
      {
        key: 'lr',
        label: 'Learning rate (six runs)',
        type: 'number',
        default: 0.1,
        min: 0.0001,
        max: 10,
        help: 'plain SGD, no momentum, for the comparison of the six activations',
      },
      {
        key: 'subset',
        label: 'Training images',
        type: 'int',
        default: 2000,
        min: 100,
        max: 50000,
        help: 'the MNIST training images every run trains on (chosen by the seed)',
      },
      { key: 'batch', label: 'Batch size', type: 'int', default: 32, min: 1, max: 512 },
      {
        key: 'hidden',
        label: 'Hidden units per layer',
        type: 'int',
        default: 100,
        min: 4,
        max: 512,
        help: 'the net is 784-H-H-10',
      },
      {
        key: 'init',
        label: 'Initialization',
        type: 'select',
        default: 'kaiming',
        options: [
          ['kaiming', 'Kaiming (std √(2/fan_in))'],
          ['xavier', 'Xavier (std 1/√fan_in)'],
        ],
        help: 'the same for every activation',
      },
      {
        key: 'dead-lr-1',
        label: 'Dead ReLUs: learning rate 1',
        type: 'number',
        default: 0.01,
        min: 0.0001,
        max: 10,
      },
      { key: 'dead-lr-2', label: 'learning rate 2', type: 'number', default: 0.1, min: 0.0001, max: 10 },
      {
        key: 'dead-lr-3',
        label: 'learning rate 3',
        type: 'number',
        default: 0.5,
        min: 0.0001,
        max: 10,
        help: 'try 1 too: the net diverges within a few iterations, and the units it killed stay dead',
      },
      {
        key: 'probe',
        label: 'Probe images',
        type: 'int',
        default: 500,
        min: 10,
        max: 5000,
        help: 'held-out images: a unit is dead when it outputs 0 for all of them; also the validation set',
      },
      {
        key: 'seed',
        label: 'Seed',
        type: 'int',
        default: 1,
        min: 0,
        max: 1000000000,
        help: 'the images chosen, the initial weights and the order of the batches',
      },
    ],
    needs: ['train'],

    async run(ctx, s) {
      const { E } = ctx;
      const claims = [];
      const result = { functions: [], runs: [], dead: [] };
      const send = (status) => ctx.update({ status, ...result });
      const train = ctx.data.train;
      if (s.subset + s.probe >= train.size())
        throw new L.LabError(
          `Training images (${s.subset}) and probe images (${s.probe}) must be fewer together than the ${train.size()} training images loaded.`,
        );

      // 1. The functions and their derivatives.
      for (const k of KINDS) {
        result.functions.push(curve(E, k.kind));
        await ctx.tick();
      }
      send('The engine drew the six functions and their derivatives; training the six nets…');
      let worst = 0;
      let worstAt = null;
      for (const c of result.functions)
        c.x.forEach((x, i) => {
          if (Math.abs(x) <= H) return; // the kink of ReLU and Leaky ReLU at 0
          const d = Math.abs(c.df[i] - c.slope[i]);
          if (d > worst) {
            worst = d;
            worstAt = `${c.label} at x = ${x}`;
          }
        });
      claims.push(
        L.claim(
          'derivatives',
          `The engine's backward pass gives each derivative: at all ${XS.length - 1} points x ≠ 0 of the six functions, f'(x) equals the slope of the engine's own f, (f(x + ${H}) − f(x − ${H}))/${2 * H}, within ${L.num(worst, 2)}${worstAt ? ` (largest: ${worstAt})` : ''}.`,
          worst,
          worst < 2e-3,
        ),
      );
      const fn = Object.fromEntries(result.functions.map((c) => [c.kind, c]));
      const at = (kind, x) => fn[kind].df[XS.indexOf(x)];
      const sigMax = Math.max(...fn.sigmoid.df);
      const reluOk = XS.every((x, i) => fn.relu.df[i] === (x > 0 ? 1 : 0));
      claims.push(
        L.claim(
          'saturation',
          `Saturated neurons kill the gradient: sigmoid's derivative is at most ${L.num(sigMax)} (at x = 0) and ${L.num(at('sigmoid', 5))} at x = 5, tanh's ${L.num(at('tanh', 5))} at x = 5; ReLU's is ${at('relu', 5)} for every x > 0 and ${at('relu', -0.05)} for every x < 0, Leaky ReLU's ${L.num(at('leaky_relu', -5))} for x < 0.`,
          sigMax,
          Math.abs(sigMax - 0.25) < 1e-4 && at('sigmoid', 5) < 0.01 && at('tanh', 5) < 0.001 && reluOk,
        ),
      );

      // 2. The six activations, one run after another.
      const owned = [];
      try {
        {
          const a = train.split(s.subset + s.probe, s.seed);
          owned.push(a.validation);
          a.train.delete();
          const b = a.validation.split(s.probe, s.seed);
          owned.push(b.train, b.validation);
        }
        const [, images, probeSet] = owned;
        const shape = train.shape();
        const size = shape[0] * shape[1] * shape[2];
        const classes = train.numClasses();
        const probe = new Float32Array(s.probe * size);
        for (let i = 0; i < s.probe; ++i) probe.set(probeSet.image(i), i * size);

        for (const k of KINDS) {
          const r = {
            kind: k.kind,
            label: k.label,
            inputs: size,
            classes,
            losses: [],
            status: 'running',
            message: '',
            seconds: 0,
          };
          result.runs.push(r);
          const m = new E.Model(JSON.stringify(net(k.kind, s, shape, classes)));
          let tr = null;
          try {
            tr = new E.Training(m, images, null, config(s, s.lr));
            const t0 = Date.now();
            let said = 0;
            for (;;) {
              const p = JSON.parse(tr.run(0, 100));
              r.losses.push(...p.losses);
              r.status = p.status;
              r.message = p.message;
              r.seconds = (Date.now() - t0) / 1000;
              if (p.status !== 'running') break;
              await ctx.tick();
              if (Date.now() - said > 250) {
                said = Date.now();
                send(`Training with ${k.label}: iteration ${p.iteration} of ${s.iterations}…`);
              }
            }
            r.final = finalLoss(r.losses, r.status);
            r.accuracy = JSON.parse(tr.evaluate(probeSet)).accuracy;
          } finally {
            if (tr) tr.delete();
            m.delete();
          }
          send(`${k.label} done (${r.seconds.toFixed(1)} s).`);
          await ctx.tick();
        }
        const bySlowness = [...result.runs].sort((a, b) => b.final - a.final);
        const others = result.runs.filter((r) => r.kind !== 'sigmoid');
        const sig = result.runs.find((r) => r.kind === 'sigmoid');
        claims.push(
          L.claim(
            'sigmoid-slowest',
            `Over the same ${s.iterations} iterations, sigmoid trains slowest: its training loss over the last fifth of them is ${lossText(sig)}, the highest of the six (${others.map((r) => `${r.label} ${lossText(r)}`).join(', ')}); validation accuracy ${pct(sig.accuracy)} against ${pct(Math.min(...others.map((r) => r.accuracy)))}–${pct(Math.max(...others.map((r) => r.accuracy)))}.`,
            sig.final,
            bySlowness[0].kind === 'sigmoid' && Number.isFinite(sig.final) && bySlowness[1].final < sig.final,
          ),
        );

        // 3. Dead ReLUs at three learning rates.
        const lrs = [s['dead-lr-1'], s['dead-lr-2'], s['dead-lr-3']];
        const every = Math.max(1, Math.round(s.iterations / 30));
        for (const lr of lrs) {
          const d = { lr, points: [], losses: [], status: 'running', message: '', units: [] };
          result.dead.push(d);
          const m = new E.Model(JSON.stringify(net('relu', s, shape, classes)));
          let tr = null;
          try {
            tr = new E.Training(m, images, null, config(s, lr));
            const probeNow = (iteration) => {
              const units = deadUnits(m, probe, s.probe);
              d.units = units;
              d.points.push({ iteration, dead: fraction(units.flat()), layers: units.map(fraction) });
            };
            probeNow(0);
            let done = 0;
            for (;;) {
              const p = JSON.parse(tr.run(Math.min(every, s.iterations - done), 150));
              d.losses.push(...p.losses);
              done = p.iteration;
              d.status = p.status;
              d.message = p.message;
              probeNow(done);
              if (p.status !== 'running') break;
              await ctx.tick();
              send(`Dead ReLUs at learning rate ${lr}: iteration ${done} of ${s.iterations}…`);
            }
            d.final = finalLoss(d.losses, d.status);
            d.iterations = done;
            d.accuracy = JSON.parse(tr.evaluate(probeSet)).accuracy;
          } finally {
            if (tr) tr.delete();
            m.delete();
          }
          send(`Dead ReLUs at learning rate ${lr}: ${pct(d.points[d.points.length - 1].dead)}.`);
          await ctx.tick();
        }
        const order = [...result.dead].sort((a, b) => a.lr - b.lr);
        const last = (d) => d.points[d.points.length - 1].dead;
        const rises = order.every((d, i) => i === 0 || last(d) >= last(order[i - 1]));
        const top = order[order.length - 1];
        const units = 2 * s.hidden;
        claims.push(
          L.claim(
            'dead-rises',
            `The fraction of dead ReLUs (of the ${units} hidden units, those that output 0 for all ${s.probe} probe images) ${rises ? 'rises with the learning rate' : 'does not rise steadily with the learning rate'}: ${order.map((d) => `${pct(last(d))} at ${d.lr}${d.status === 'diverged' ? ` (diverged at iteration ${d.iterations})` : ''}`).join(', ')}; it was ${pct(order[0].points[0].dead)} before training. ${order.slice(0, -1).every((d) => last(d) < last(top)) ? `The highest learning rate, ${top.lr}, kills the most.` : `The highest learning rate, ${top.lr}, does not kill the most.`}`,
            last(top),
            order.slice(0, -1).every((d) => last(d) < last(top)),
          ),
        );
      } finally {
        for (const d of owned) d.delete();
      }
      return { claims, ...result, status: 'Done.' };
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
