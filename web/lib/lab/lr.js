// Lab experiment "lr": the learning rate, on one small net, one seed and a few thousand MNIST
// training images, with plain SGD (no momentum, so that a rate too high really diverges).
//   1. The notes' figure of loss against epoch: the same net trained at a very high, a high, a good
//      and a low rate, side by side.
//   2. A learning-rate range test: one training whose rate grows by a constant factor every iteration
//      (the engine's exponential schedule, from 1e-5 to 10), stopped when the loss explodes; its
//      suggestion (one tenth of the rate at the smoothed loss's minimum, or where the smoothed loss
//      falls fastest) trained against the notes' grid 1e-1, 1e-2, 1e-3, 1e-4.
//   3. The schedules (constant, step, exponential, 1/t, cosine with warm-up), each as the engine sets
//      the rate at every iteration (Training.run's `lr`, one iteration per call), trained from the high
//      rate.
// Every training is an E.Training run in slices, one after another (ctx.tick between slices).
// Runs in the worker (see lab.js).
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);

  const LN10 = Math.log(10);
  // "near ln 10": the loss of a uniform guess among the 10 digits, give or take this much
  const NEAR = 0.5;
  const WINDOW = 20; // the curves and the claims use the mean of the last 20 iterations' losses
  const RANGE = { from: 1e-5, to: 10, steps: 300, beta: 0.98, explode: 4 };
  // The notes (Choosing hyperparameters, step 3): "Good learning rates to try: 1e-1, 1e-2, 1e-3, 1e-4".
  const GRID = [1e-1, 1e-2, 1e-3, 1e-4];
  const SCHEDULES = [
    ['constant', 'constant'],
    ['step', 'step decay'],
    ['exponential', 'exponential decay'],
    ['inverse_time', '1/t decay'],
    ['cosine', 'cosine with warm-up'],
  ];
  const SLICE_MS = 40;
  const UPDATE_MS = 250;

  const NETS = {
    mlp: {
      label: 'a small MLP: 784 → 64 ReLU → 10',
      layers: [
        { type: 'flatten', name: 'flat' },
        { type: 'dense', name: 'fc1', units: 64 },
        { type: 'relu', name: 'relu1' },
        { type: 'dense', name: 'fc2', units: 10 },
      ],
    },
    convnetjs: {
      label: 'the ConvNetJS demo net (conv 5×5×8, pool, conv 5×5×16, pool, dense 10)',
      layers: [
        { type: 'conv2d', name: 'conv1', filters: 8, kernel: 5, pad: 2 },
        { type: 'relu', name: 'relu1' },
        { type: 'maxpool2d', name: 'pool1', size: 2 },
        { type: 'conv2d', name: 'conv2', filters: 16, kernel: 5, pad: 2 },
        { type: 'relu', name: 'relu2' },
        { type: 'maxpool2d', name: 'pool2', size: 3 },
        { type: 'dense', name: 'fc', units: 10 },
      ],
    },
  };

  // The mean of the last `w` values at every index (fewer at the start).
  function trailingMean(xs, w = WINDOW) {
    const out = [];
    let s = 0;
    xs.forEach((x, i) => {
      s += x;
      if (i >= w) s -= xs[i - w];
      out.push(s / Math.min(i + 1, w));
    });
    return out;
  }
  const tailMean = (xs, w = WINDOW) => (xs.length ? trailingMean(xs, w)[xs.length - 1] : NaN);

  // The first `n` images of `ds` from index `start` as a new E.Dataset (delete it).
  function subset(E, ds, start, n) {
    const [c, h, w] = ds.shape();
    const per = c * h * w;
    const pixels = new Uint8Array(n * per);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; ++i) {
      const img = ds.image(start + i);
      for (let k = 0; k < per; ++k) pixels[i * per + k] = Math.round(img[k] * 255);
      labels[i] = ds.label(start + i);
    }
    return new E.Dataset(pixels, labels, n, c, h, w, ds.numClasses());
  }

  // One training run: the net from its seed, plain SGD at `lr` with `schedule` for `iterations`.
  // perIteration: one iteration per run() call, so that the rate of every iteration is the engine's.
  // stop(losses, lrs) -> reason | null ends it early (the range test). Resolves to
  // {lr, losses, lrs, status, message, stopped, val: {loss, accuracy}}.
  async function train(ctx, job, { lr, schedule, perIteration, stop, onSlice }) {
    const { E } = ctx;
    let model = null;
    let t = null;
    try {
      model = new E.Model(JSON.stringify(job.net));
      t = new E.Training(
        model,
        job.train,
        null,
        JSON.stringify({
          iterations: job.iterations,
          batch: job.batch,
          seed: job.seed,
          optimizer: { type: 'sgd', lr },
          schedule: schedule || { type: 'constant' },
        }),
      );
      const losses = [];
      const lrs = [];
      let status = 'running';
      let message = '';
      let stopped = null;
      let last = Date.now();
      while (status === 'running' && !stopped) {
        const t0 = Date.now();
        do {
          const p = JSON.parse(perIteration ? t.run(1, 0) : t.run(0, SLICE_MS));
          for (const l of p.losses) losses.push(l);
          if (perIteration && p.losses.length) lrs.push(p.lr);
          status = p.status;
          message = p.message;
          if (stop) stopped = stop(losses, lrs, status);
        } while (perIteration && status === 'running' && !stopped && Date.now() - t0 < SLICE_MS);
        if (onSlice && Date.now() - last > UPDATE_MS) {
          last = Date.now();
          onSlice(losses, lrs);
        }
        await ctx.tick();
      }
      const ev = JSON.parse(t.evaluate(job.validation));
      return { lr, losses, lrs, status, message, stopped, val: { loss: ev.loss, accuracy: ev.accuracy } };
    } finally {
      if (t) t.delete();
      if (model) model.delete();
    }
  }

  // The range test's smoothed loss (exponential moving average with bias correction, as fast.ai's).
  function smoothLosses(losses, beta = RANGE.beta) {
    let avg = 0;
    return losses.map((l, i) => {
      avg = beta * avg + (1 - beta) * l;
      return avg / (1 - Math.pow(beta, i + 1));
    });
  }

  // The suggestions of a range test: {min: {i, lr, loss}, min10, steepest: {i, lr, slope}}.
  function suggest(lrs, smoothed) {
    let iMin = 0;
    smoothed.forEach((s, i) => {
      if (s < smoothed[iMin]) iMin = i;
    });
    // fastest fall: the smoothed loss's slope per decade of the rate over a quarter of a decade,
    // before the minimum (the first steps, where the average has seen few losses, are left out)
    const span = Math.max(2, Math.round(RANGE.steps / Math.log10(RANGE.to / RANGE.from) / 4));
    let steep = null;
    for (let i = Math.max(span, 10); i <= iMin; ++i) {
      const slope = (smoothed[i] - smoothed[i - span]) / Math.log10(lrs[i] / lrs[i - span]);
      if (!steep || slope < steep.slope) steep = { i: i - Math.floor(span / 2), slope };
    }
    if (steep) steep.lr = lrs[steep.i];
    return {
      min: { i: iMin, lr: lrs[iMin], loss: smoothed[iMin] },
      min10: lrs[iMin] / 10,
      steepest: steep,
    };
  }

  // A rate as the notes write it: 0.1, 0.025, 1e-4, 2.5e-5.
  function fmtLr(x) {
    if (!(x > 0) || x >= 1e-3) return L.num(x, 2);
    const e = Math.floor(Math.log10(x));
    const m = Number((x / 10 ** e).toPrecision(2));
    return m === 10 ? `1e${e + 1}` : `${m}e${e}`;
  }
  // What the engine said when it stopped a diverging run, without its advice.
  function divergedWords(message, of) {
    const m = /the loss (.*?) at iteration (\d+)/.exec(message || '');
    return m ? `its loss ${m[1]} at iteration ${m[2]}${of ? ` of ${of}` : ''}` : message;
  }

  L.define({
    id: 'lr',
    title: 'The learning rate',
    topic: 'Training: the learning rate (too high, too low, good), finding it, and its decay over time',
    intro: [
      'The learning rate ε scales every step of gradient descent, θ ← θ − ε·g. The notes: too strong, and the gradients overshoot and bounce; too weak, and the too small steps make training slow. "A small learning rate requires many updates before reaching the minimum point. The optimal learning rate swiftly reaches the minimum point. Too large of a learning rate causes drastic updates which lead to divergent behaviors."',
      'First the notes’ figure of the loss against the epoch for a very high, a high, a good and a low learning rate: the same net, with the same initial weights and the same batches (one seed), trained on the first MNIST training images with plain SGD (no momentum). A net that guesses among the 10 digits has the loss ln 10 ≈ 2.30.',
      'Then the notes’ step 3, "find a learning rate that makes the loss go down", with a learning-rate range test: one training whose rate grows by the same factor every iteration, from 10⁻⁵ to 10, stopped when the loss explodes. Its suggestion is trained against the notes’ grid, "Good learning rates to try: 1e-1, 1e-2, 1e-3, 1e-4".',
      'Last, "learning rate decay over time": step decay, exponential decay α = α₀e^(−kt), 1/t decay α = α₀/(1 + kt) and cosine with a warm-up, each drawn as the engine sets the rate at every iteration, and each trained from the high rate of the first figure. Every training runs in the engine in your browser, one after another.',
    ],
    settings: [
      {
        key: 'very-high',
        label: 'Very high rate',
        type: 'number',
        default: 5,
        min: 1e-7,
        max: 1000,
        help: 'the notes’ figure: a rate that makes the loss explode',
      },
      {
        key: 'high',
        label: 'High rate',
        type: 'number',
        default: 0.5,
        min: 1e-7,
        max: 1000,
        help: 'the notes’ figure: the loss falls fast, then stays above the good rate’s',
      },
      { key: 'good', label: 'Good rate', type: 'number', default: 0.1, min: 1e-7, max: 1000 },
      {
        key: 'low',
        label: 'Low rate',
        type: 'number',
        default: 1e-4,
        min: 1e-7,
        max: 1000,
        help: 'the notes’ figure: the loss falls slowly',
      },
      {
        key: 'target',
        label: 'Good loss',
        type: 'number',
        default: 0.5,
        min: 0.01,
        max: 2.3,
        help: 'the claim: when the good rate’s loss is below this, the low rate’s is still near ln 10',
      },
      {
        key: 'iterations',
        label: 'Iterations per run',
        type: 'int',
        default: 600,
        min: 20,
        max: 5000,
        help: 'every training but the range test runs this many mini-batches',
      },
      { key: 'batch', label: 'Batch', type: 'int', default: 32, min: 1, max: 512 },
      {
        key: 'images',
        label: 'Training images',
        type: 'int',
        default: 3000,
        min: 100,
        max: 50000,
        help: 'the first images of the MNIST training set',
      },
      {
        key: 'validation',
        label: 'Validation images',
        type: 'int',
        default: 1000,
        min: 100,
        max: 10000,
        help: 'the MNIST training images after those: the grid and the schedules are compared on them',
      },
      {
        key: 'seed',
        label: 'Seed',
        type: 'int',
        default: 1,
        min: 0,
        max: 2147483647,
        help: 'the initial weights and the order of the batches, the same for every run',
      },
      {
        key: 'rule',
        label: 'Range test’s suggestion',
        type: 'select',
        default: 'steepest',
        options: [
          ['steepest', 'the rate where the loss falls fastest'],
          ['min10', 'one tenth of the rate at the lowest loss'],
        ],
      },
      {
        key: 'margin',
        label: 'Margin (points)',
        type: 'number',
        default: 3,
        min: 0,
        max: 100,
        help: 'the claim: the suggestion’s validation accuracy is within this many percentage points of the best grid rate’s',
      },
      {
        key: 'net',
        label: 'Network',
        type: 'select',
        default: 'mlp',
        options: [
          ['mlp', NETS.mlp.label],
          ['convnetjs', 'the ConvNetJS net (about 20 times slower: fewer iterations)'],
        ],
      },
    ],
    needs: ['train'],

    async run(ctx, s) {
      const { E } = ctx;
      const all = ctx.data.train;
      if (s.images + s.validation > all.size())
        throw new L.LabError(
          `The training set has ${all.size()} images: ${s.images} training and ${s.validation} validation images do not fit.`,
        );
      const claims = [];
      const timing = {};
      const net = { name: s.net, input: all.shape(), init: 'xavier', seed: s.seed, layers: NETS[s.net].layers };
      const job = { net, iterations: s.iterations, batch: s.batch, seed: s.seed, train: null, validation: null };
      const result = {
        net: { name: s.net, label: NETS[s.net].label },
        perEpoch: Math.floor(s.images / Math.min(s.batch, s.images)),
        window: WINDOW,
        ln10: LN10,
        rates: [],
        range: null,
        grid: [],
        schedules: [],
      };
      const send = (status) => ctx.update({ status, ...result });
      try {
        job.train = subset(E, all, 0, s.images);
        job.validation = subset(E, all, s.images, s.validation);
        {
          const m = new E.Model(JSON.stringify(net));
          try {
            result.net.params = m.paramCount();
          } finally {
            m.delete();
          }
        }

        // 1. Four rates, side by side.
        let t0 = Date.now();
        const RATES = [
          ['very-high', 'very high'],
          ['high', 'high'],
          ['good', 'good'],
          ['low', 'low'],
        ];
        for (const [key, label] of RATES) {
          const entry = { key, label, lr: s[key], losses: [] };
          result.rates.push(entry);
          const r = await train(ctx, job, {
            lr: s[key],
            onSlice: (losses) => {
              entry.losses = losses.slice();
              send(`Training at the ${label} rate ${fmtLr(s[key])}: iteration ${losses.length} of ${s.iterations}…`);
            },
          });
          Object.assign(entry, r, { smoothed: trailingMean(r.losses) });
          send(`Trained at the ${label} rate ${fmtLr(s[key])}.`);
        }
        timing.rates = (Date.now() - t0) / 1000;
        const rate = Object.fromEntries(result.rates.map((r) => [r.key, r]));
        const end = (r) => tailMean(r.losses);
        const diverged = (r) => r.status === 'diverged';
        {
          const r = rate['very-high'];
          const e = end(r);
          const text = diverged(r)
            ? `The very high rate ${fmtLr(r.lr)} diverges: ${divergedWords(r.message, s.iterations)}, and the engine stopped it there.`
            : `The very high rate ${fmtLr(r.lr)} ${e >= LN10 - NEAR ? 'plateaus high' : 'does not plateau high'}: its loss over the last ${WINDOW} iterations is ${L.num(e)}, ${e >= LN10 - NEAR ? 'no better than guessing' : 'below'} (ln 10 ≈ 2.30).`;
          claims.push(
            L.claim('very-high', text, diverged(r) ? r.losses.length + 1 : e, diverged(r) || e >= LN10 - NEAR),
          );
        }
        {
          const r = rate.high;
          const g = rate.good;
          const e = end(r);
          const ge = end(g);
          let text;
          if (diverged(r))
            text = `The high rate ${fmtLr(r.lr)} diverges too (at iteration ${r.losses.length + 1}): for this net it is very high.`;
          else if (diverged(g)) text = `The good rate ${fmtLr(g.lr)} diverges: it is not a good rate for this net.`;
          else
            text = `The high rate ${fmtLr(r.lr)} ends ${e > ge ? 'above' : 'below'} the good rate ${fmtLr(g.lr)}: a loss of ${L.num(e)} against ${L.num(ge)} over the last ${WINDOW} iterations${e > ge ? ' (its steps overshoot and bounce around the minimum)' : ''}.`;
          claims.push(L.claim('high', text, e, !diverged(r) && !diverged(g) && e > ge));
        }
        {
          const g = rate.good;
          const lo = rate.low;
          const k = g.smoothed.findIndex((v) => v < s.target);
          let text;
          let holds = false;
          let value = NaN;
          if (k < 0)
            text = `The good rate ${fmtLr(g.lr)} never gets below a loss of ${L.num(s.target)} in ${g.losses.length} iterations (it ends at ${L.num(end(g))}): try more iterations or another good rate.`;
          else if (k >= lo.smoothed.length)
            text = `The low rate ${fmtLr(lo.lr)} stopped at iteration ${lo.losses.length}, before the good rate reached ${L.num(s.target)} (${lo.message}).`;
          else {
            value = lo.smoothed[k];
            holds = Math.abs(value - LN10) <= NEAR;
            text = `When the good rate ${fmtLr(g.lr)} is below a loss of ${L.num(s.target)} (iteration ${k + 1}, epoch ${L.num((k + 1) / result.perEpoch, 2)}), the low rate ${fmtLr(lo.lr)} is at ${L.num(value)}: ${holds ? 'still near' : 'no longer near'} ln 10 ≈ 2.30 (within ${NEAR}).`;
          }
          claims.push(L.claim('low', text, value, holds));
        }
        send('The four rates are trained; now the range test…');

        // 2. The range test: an exponential schedule from RANGE.from to RANGE.to.
        t0 = Date.now();
        const gamma = Math.pow(RANGE.to / RANGE.from, 1 / RANGE.steps);
        const range = { from: RANGE.from, to: RANGE.to, steps: RANGE.steps, gamma, lrs: [], losses: [], smoothed: [] };
        result.range = range;
        let best = Infinity;
        const r = await train(
          ctx,
          { ...job, iterations: RANGE.steps + 1 },
          {
            lr: RANGE.from,
            schedule: { type: 'exponential', gamma },
            perIteration: true,
            // it stops when a batch's loss explodes: over 4 times the lowest smoothed loss so far
            stop: (losses) => {
              const raw = losses[losses.length - 1];
              if (!Number.isFinite(raw)) return 'the loss is not finite';
              if (losses.length > 10 && raw > RANGE.explode * best)
                return `the loss exploded: ${L.num(raw)}, over ${RANGE.explode} times the lowest smoothed loss ${L.num(best)}`;
              best = Math.min(best, smoothLosses(losses).pop());
              return null;
            },
            onSlice: (losses, lrs) => {
              Object.assign(range, { losses: losses.slice(), lrs: lrs.slice(), smoothed: smoothLosses(losses) });
              send(`Range test: rate ${fmtLr(lrs[lrs.length - 1])}, loss ${L.num(losses[losses.length - 1])}…`);
            },
          },
        );
        Object.assign(range, {
          losses: r.losses,
          lrs: r.lrs,
          smoothed: smoothLosses(r.losses),
          stop:
            r.stopped ||
            (r.status === 'diverged'
              ? `the engine stopped it: ${divergedWords(r.message)}`
              : `the rate reached ${fmtLr(RANGE.to)}`),
        });
        Object.assign(range, suggest(range.lrs, range.smoothed));
        range.rule = s.rule;
        range.suggested = s.rule === 'steepest' && range.steepest ? range.steepest.lr : range.min10;
        timing.range = (Date.now() - t0) / 1000;
        send(`Range test: suggests ${fmtLr(range.suggested)}; now the grid…`);

        // The notes' grid and the suggestion, trained alike, compared on the validation images.
        t0 = Date.now();
        for (const lr of [...GRID, range.suggested]) {
          const isSuggestion = result.grid.length === GRID.length;
          const g = await train(ctx, job, { lr });
          result.grid.push({
            lr,
            suggestion: isSuggestion,
            status: g.status,
            message: g.message,
            loss: tailMean(g.losses),
            val: g.val,
          });
          send(`Grid: trained ${fmtLr(lr)}${isSuggestion ? ' (the suggestion)' : ''}.`);
        }
        timing.grid = (Date.now() - t0) / 1000;
        {
          const grid = result.grid.filter((g) => !g.suggestion);
          const sug = result.grid[GRID.length];
          const top = grid.reduce((a, b) => (b.val.accuracy > a.val.accuracy ? b : a));
          const gap = 100 * (top.val.accuracy - sug.val.accuracy);
          const pct = (x) => `${(100 * x).toFixed(1)} %`;
          const ruleText =
            s.rule === 'steepest'
              ? `where its smoothed loss falls fastest${range.steepest ? '' : ' (none found: one tenth of the lowest loss’s rate)'}`
              : `one tenth of ${fmtLr(range.min.lr)}, where its smoothed loss is lowest`;
          claims.push(
            L.claim(
              'range-test',
              `The range test suggests ${fmtLr(sug.lr)} (${ruleText}). Trained ${s.iterations} iterations, it reaches ${pct(sug.val.accuracy)} validation accuracy (loss ${L.num(sug.val.loss)}); the best of the notes’ grid, ${fmtLr(top.lr)}, reaches ${pct(top.val.accuracy)} (loss ${L.num(top.val.loss)}): ${gap <= 0 ? `the suggestion is ${L.num(-gap, 2)} points better` : `${L.num(gap, 2)} points behind`}, ${gap <= s.margin ? 'within' : 'outside'} the margin of ${L.num(s.margin)} points.`,
              gap,
              sug.status !== 'diverged' && gap <= s.margin,
            ),
          );
        }

        // 3. The schedules from the high rate; the rate of every iteration as the engine reports it.
        t0 = Date.now();
        for (const [type, label] of SCHEDULES) {
          const entry = { type, label, lrs: [], losses: [] };
          result.schedules.push(entry);
          const sr = await train(ctx, job, {
            lr: s.high,
            schedule: { type },
            perIteration: true,
            onSlice: (losses, lrs) => {
              Object.assign(entry, { losses: losses.slice(), lrs: lrs.slice() });
              send(`Schedule ${label}: iteration ${losses.length} of ${s.iterations}…`);
            },
          });
          Object.assign(entry, sr, { smoothed: trailingMean(sr.losses), loss: tailMean(sr.losses) });
          send(`Trained with ${label}.`);
        }
        timing.schedules = (Date.now() - t0) / 1000;
        {
          const [constant, ...decays] = result.schedules;
          const fine = decays.filter((d) => d.status !== 'diverged');
          const top = fine.length ? fine.reduce((a, b) => (b.val.loss < a.val.loss ? b : a)) : null;
          const list = result.schedules
            .map((d) => `${d.label} ${d.status === 'diverged' ? 'diverged' : L.num(d.val.loss)}`)
            .join(', ');
          const holds = top && (constant.status === 'diverged' || top.val.loss < constant.val.loss);
          const acc = (d) => `${(100 * d.val.accuracy).toFixed(1)} %`;
          claims.push(
            L.claim(
              'schedules',
              top
                ? `Started at the high rate ${fmtLr(s.high)}, decay over time helps: the best decaying schedule, ${top.label}, ends at a validation loss of ${L.num(top.val.loss)} (accuracy ${acc(top)}), ${constant.status === 'diverged' ? 'while the constant rate diverged' : `${holds ? 'below' : 'not below'} the constant rate’s ${L.num(constant.val.loss)} (${acc(constant)})`}. All: ${list}.`
                : `Started at the high rate ${fmtLr(s.high)}, every decaying schedule diverges: ${list}.`,
              top ? top.val.loss : NaN,
              holds,
            ),
          );
        }
      } finally {
        if (job.train) job.train.delete();
        if (job.validation) job.validation.delete();
      }
      // the curves the view draws: no need for the raw per-iteration losses of the grid
      return { claims, timing, ...result };
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
