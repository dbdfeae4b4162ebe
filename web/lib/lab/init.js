// Lab experiment "init": the notes' weight-initialization experiment on the engine — a deep stack of
// dense layers with tanh or ReLU, initialized with σ = 0.01, 0.05, 1.0, Xavier or Kaiming, fed a batch
// of real (standardized) MNIST images: the mean, standard deviation and histogram of every layer's
// activations on the way forward and of the gradients flowing back (the engine's own dL/d(output)
// of each layer after one backward pass). Runs in the worker (see lab.js).
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);

  // The configurations the notes compare, in the order the view lists them.
  const CONFIGS = [
    { act: 'tanh', init: 'small', label: 'tanh, σ = 0.01' },
    { act: 'tanh', init: 'medium', label: 'tanh, σ = 0.05' },
    { act: 'tanh', init: 'large', label: 'tanh, σ = 1.0' },
    { act: 'tanh', init: 'xavier', label: 'tanh, Xavier' },
    { act: 'relu', init: 'small', label: 'ReLU, σ = 0.01' },
    { act: 'relu', init: 'xavier', label: 'ReLU, Xavier' },
    { act: 'relu', init: 'kaiming', label: 'ReLU, Kaiming' },
  ];
  const SIGMA = { small: 0.01, medium: 0.05, large: 1.0 };
  const BINS = 30;

  function stats(data) {
    const n = data.length;
    let s = 0;
    let s2 = 0;
    let sat = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; ++i) {
      const v = data[i];
      s += v;
      s2 += v * v;
      if (Math.abs(v) > 0.99) ++sat;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const mean = s / n;
    return { mean, std: Math.sqrt(Math.max(0, s2 / n - mean * mean)), saturated: sat / n, min: lo, max: hi };
  }

  // A histogram over [lo, hi] in BINS bins (counts as fractions).
  function histogram(data, lo, hi) {
    const counts = new Array(BINS).fill(0);
    const w = (hi - lo) / BINS || 1;
    for (let i = 0; i < data.length; ++i) {
      const b = Math.min(BINS - 1, Math.max(0, Math.floor((data[i] - lo) / w)));
      counts[b] += 1;
    }
    return { lo, hi, counts: counts.map((c) => c / data.length) };
  }

  const description = (c, s) => ({
    name: 'init-stack',
    input: [1, 28, 28],
    init: SIGMA[c.init] ? { scheme: 'normal', std: SIGMA[c.init] } : c.init,
    seed: s.seed,
    layers: [
      ...Array.from({ length: s.layers }, (_, k) => [
        { type: 'dense', name: `fc${k + 1}`, units: s.units, bias: false },
        { type: c.act, name: `act${k + 1}` },
      ]).flat(),
      { type: 'dense', name: 'out', units: 10 },
    ],
  });

  const ratio = (a, b) => (b > 0 ? a / b : Infinity);

  L.define({
    id: 'init',
    title: 'Initialization and activation statistics',
    topic: 'Training neural networks: weight initialization (activation and gradient statistics in a deep net)',
    intro: [
      'The notes feed data through a deep stack of fully connected layers and look at every layer’s activations: with weights drawn from N(0, 0.01²) and tanh they shrink towards zero layer after layer, so the gradients vanish too; with N(0, 1) the tanh units saturate at ±1 and their gradients are zero; Xavier initialization (σ = 1/√fan-in) keeps them alive for tanh, and Kaiming (σ = √(2/fan-in)) for ReLU.',
      'Here the engine builds that stack (its width and depth are yours; the notes use ten layers of 500), feeds a batch of real MNIST images, and measures each layer’s activations and, after one backward pass of the softmax loss, the gradient flowing into each layer. The seven configurations run one after another in the engine’s worker.',
    ],
    settings: [
      { key: 'layers', label: 'Hidden layers', type: 'int', default: 10, min: 2, max: 20 },
      { key: 'units', label: 'Units per layer', type: 'int', default: 500, min: 16, max: 2048 },
      { key: 'batch', label: 'Images', type: 'int', default: 200, min: 16, max: 1000 },
      {
        key: 'show',
        label: 'Histograms of',
        type: 'select',
        default: 'tanh-small',
        options: CONFIGS.map((c) => [`${c.act}-${c.init}`, c.label]),
        help: 'the configuration whose per-layer histograms are drawn (all are measured)',
      },
      { key: 'seed', label: 'Seed', type: 'int', default: 1, min: 0, max: 1e9 },
    ],
    needs: ['test'],

    async run(ctx, s) {
      const { E } = ctx;
      const test = ctx.data.test;
      const n = Math.min(s.batch, test.size());
      // standardized pixels (the mean and standard deviation of these images), as training would
      const x = new Float32Array(n * 784);
      const labels = [];
      for (let i = 0; i < n; ++i) {
        x.set(test.image(i), i * 784);
        labels.push(test.label(i));
      }
      let m0 = 0;
      for (const v of x) m0 += v;
      m0 /= x.length;
      let v0 = 0;
      for (const v of x) v0 += (v - m0) * (v - m0);
      const sd0 = Math.sqrt(v0 / x.length) || 1;
      for (let i = 0; i < x.length; ++i) x[i] = (x[i] - m0) / sd0;

      const results = [];
      for (const c of CONFIGS) {
        const m = new E.Model(JSON.stringify(description(c, s)));
        try {
          // forward, the softmax loss and backward, without an update: every layer's activation and
          // the gradient flowing into it stay readable
          m.backward(x, labels, n, { training: false });
          const layers = [];
          const show = s.show === `${c.act}-${c.init}`;
          for (let k = 1; k <= s.layers; ++k) {
            const a = m.activation(`act${k}`).data;
            const g = m.gradient(`act${k}`).data;
            const as = stats(a);
            const gs = stats(g);
            // what the activation lets through: dL/dz (into the dense layer's output) against dL/da
            const gz = m.gradient(`fc${k}`).data;
            let stopped = 0;
            for (let i = 0; i < gz.length; ++i) if (Math.abs(gz[i]) < 0.01 * Math.abs(g[i]) || g[i] === 0) ++stopped;
            const row = { layer: k, act: as, grad: gs, stopped: stopped / gz.length };
            if (show) {
              const span = c.act === 'tanh' ? [-1, 1] : [0, Math.max(as.max, 1e-12)];
              const gmax = Math.max(Math.abs(gs.min), Math.abs(gs.max), 1e-30);
              row.actHist = histogram(a, span[0], span[1]);
              row.gradHist = histogram(g, -gmax, gmax);
            }
            layers.push(row);
          }
          results.push({ ...c, key: `${c.act}-${c.init}`, layers });
        } finally {
          m.delete();
        }
        ctx.update({ status: `Measured ${c.label} (${results.length} of ${CONFIGS.length})…`, results });
        await ctx.tick();
      }

      const get = (act, init) => results.find((r) => r.act === act && r.init === init);
      const first = (r, what) => r.layers[0][what].std;
      const last = (r, what) => r.layers[r.layers.length - 1][what].std;
      const claims = [];
      const small = get('tanh', 'small');
      const fall = ratio(first(small, 'act'), last(small, 'act'));
      claims.push(
        L.claim(
          'tanh-small-vanishes',
          `tanh with σ = 0.01: the activations’ standard deviation falls from ${L.num(first(small, 'act'))} in layer 1 to ${L.num(last(small, 'act'))} in layer ${s.layers}, ${L.num(fall)}-fold (the notes: they collapse to zero).`,
          fall,
          fall > 100,
        ),
      );
      const gfall = ratio(last(small, 'grad'), first(small, 'grad'));
      claims.push(
        L.claim(
          'tanh-small-grad-vanishes',
          `…and the gradients flowing back: their standard deviation is ${L.num(last(small, 'grad'))} into layer ${s.layers} and ${L.num(first(small, 'grad'))} into layer 1, ${L.num(gfall)}-fold smaller by the time they reach the first layer.`,
          gfall,
          gfall > 100,
        ),
      );
      const large = get('tanh', 'large');
      const satAll = large.layers.map((l) => l.act.saturated);
      const satMin = Math.min(...satAll.slice(1));
      claims.push(
        L.claim(
          'tanh-large-saturates',
          `tanh with σ = 1.0: from layer 2 on at least ${(100 * satMin).toFixed(1)} % of the units are saturated (|a| > 0.99) in every layer (layer ${s.layers}: ${(100 * satAll[satAll.length - 1]).toFixed(1)} %).`,
          satMin,
          satMin > 0.5,
        ),
      );
      // saturated units pass almost no gradient: tanh'(a) = 1 − a² ≈ 0
      const stoppedMin = Math.min(...large.layers.map((l) => l.stopped));
      const stoppedX = Math.max(...get('tanh', 'xavier').layers.map((l) => l.stopped));
      claims.push(
        L.claim(
          'tanh-large-grad',
          `…and their gradients: in every layer at least ${(100 * stoppedMin).toFixed(1)} % of the gradient values the engine passes back through tanh are below 1 % of what arrived (tanh′(a) = 1 − a² ≈ 0 for a saturated unit, so its weights learn nothing); with Xavier at most ${(100 * stoppedX).toFixed(1)} % are.`,
          stoppedMin,
          stoppedMin > 0.5,
        ),
      );
      const xav = get('tanh', 'xavier');
      const gx = ratio(last(xav, 'grad'), first(xav, 'grad'));
      const within2 = (r, what) => {
        const ss = r.layers.map((l) => l[what].std);
        return Math.max(...ss) / Math.min(...ss);
      };
      const xa = ratio(first(xav, 'act'), last(xav, 'act'));
      claims.push(
        L.claim(
          'xavier-tanh',
          `tanh with Xavier: the activations’ standard deviation goes from ${L.num(first(xav, 'act'))} in layer 1 to ${L.num(last(xav, 'act'))} in layer ${s.layers} (a factor of ${L.num(Math.max(xa, 1 / xa))}; within 2 is the claim), and the gradients’ from ${L.num(last(xav, 'grad'))} to ${L.num(first(xav, 'grad'))} (${L.num(Math.max(gx, 1 / gx))}). Against σ = 0.01’s ${L.num(fall)}-fold, the scale survives; Xavier’s derivation assumes linear units, and tanh′ < 1 shrinks the variance a little per layer (the notes’ own figure: 0.63 to 0.22 over ten layers).`,
          Math.max(xa, 1 / xa),
          Math.max(xa, 1 / xa) < 2 && Math.max(gx, 1 / gx) < 2,
        ),
      );
      const kai = get('relu', 'kaiming');
      const ka = ratio(first(kai, 'act'), last(kai, 'act'));
      const kg = ratio(last(kai, 'grad'), first(kai, 'grad'));
      claims.push(
        L.claim(
          'kaiming-relu',
          `ReLU with Kaiming: the activations’ standard deviation goes from ${L.num(first(kai, 'act'))} to ${L.num(last(kai, 'act'))} (a factor of ${L.num(Math.max(ka, 1 / ka))}), the gradients’ from ${L.num(last(kai, 'grad'))} to ${L.num(first(kai, 'grad'))} (${L.num(Math.max(kg, 1 / kg))}); the largest spread over all layers is ${L.num(within2(kai, 'act'))} for the activations.`,
          Math.max(ka, 1 / ka),
          Math.max(ka, 1 / ka) < 2 && Math.max(kg, 1 / kg) < 2,
        ),
      );
      const rx = get('relu', 'xavier');
      const rxa = ratio(first(rx, 'act'), last(rx, 'act'));
      claims.push(
        L.claim(
          'xavier-relu',
          `ReLU with Xavier instead: ReLU zeroes half of each layer, so the activations’ standard deviation halves about every two layers: ${L.num(first(rx, 'act'))} in layer 1, ${L.num(last(rx, 'act'))} in layer ${s.layers} (${L.num(rxa)}-fold); this is why Kaiming multiplies by √2.`,
          rxa,
          rxa > 2,
        ),
      );
      return { claims, results, layers: s.layers, width: s.units, batch: n };
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
