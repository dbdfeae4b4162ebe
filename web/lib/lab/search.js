// Lab experiment "search": hyperparameter search as the notes teach it — random against grid with the
// same number of trials, coarse then fine, over the learning rate and the L2 strength on log scales.
// The rules (log scales, grid steps with both ends, the coarse→fine narrowing around the best K) are
// the engine's own search's (src/train/search.h, `cnn search`), in CnnLab.gridPoints, sampleRandom and
// refineSpace. Every trial trains a fresh small CNN (CnnLab.smallCnn, the same initial weights for all)
// on 1,000 MNIST training images and is scored on 1,000 others (never the test set); a trial that
// diverges is a row of the table. The trials run through CnnLab.trialPool: in the page, several
// engine workers at once (web/lib/lab/pool.js); in the worker's runLab and in Node, one after another.
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);

  const TRAIN = 1000;
  const VALID = 1000;
  const NAMES = { lr: 'learning rate', l2: 'L2 strength' };
  const pct = (x) => `${(100 * x).toFixed(1)} %`;
  const dim = (dims, name) => dims.find((d) => d.name === name);
  const range = (d) => `${L.num(d.lo)}…${L.num(d.hi)}`;

  // The spread of the mean accuracy over a grid's values of `name` (the other parameter averaged):
  // how much that parameter matters.
  function spread(rows, name) {
    const by = new Map();
    for (const r of rows) {
      if (!by.has(r.params[name])) by.set(r.params[name], []);
      by.get(r.params[name]).push(r.accuracy);
    }
    const means = [...by.values()].map((a) => a.reduce((x, y) => x + y, 0) / a.length);
    return Math.max(...means) - Math.min(...means);
  }

  const distinct = (rows, name) => new Set(rows.map((r) => r.params[name])).size;
  const bestOf = (rows) => L.ranked(rows)[0];

  L.define({
    id: 'search',
    title: 'Hyperparameter search',
    topic: 'Training neural networks: hyperparameter optimization (random search vs. grid search, coarse to fine)',
    intro: [
      'The notes choose hyperparameters by a coarse search with short runs, then a finer one around the best. Both the learning rate and the regularization strength vary over orders of magnitude, so they are searched on log scales.',
      'Grid search tries every combination of a few values per parameter; random search draws each trial’s values at random in the same ranges. When one parameter matters much more than the other (here the learning rate), a grid of 3 × 3 trials tries only 3 of its values while 9 random trials try 9: the same budget explores the important parameter more (Bergstra and Bengio, 2012).',
      'Each trial trains the same small CNN (conv 8 × 5×5, max pool, 32 units) from the same initial weights for a few iterations on 1,000 MNIST images and measures its accuracy on 1,000 others. The fine round draws as many random trials in the range narrowed around the best coarse trials (the engine’s own rule, as in cnn search --refine). In the page the trials run in several engine workers at once.',
    ],
    settings: [
      {
        key: 'steps',
        label: 'Grid values per parameter',
        type: 'int',
        default: 3,
        min: 2,
        max: 6,
        help: 'each round has steps × steps trials: the grid, the random coarse round and the fine round alike',
      },
      {
        key: 'iterations',
        label: 'Iterations per trial',
        type: 'int',
        default: 150,
        min: 10,
        max: 3000,
        help: 'a short run per trial (batch 32, SGD with momentum 0.9)',
      },
      { key: 'lr-min', label: 'Learning rate from', type: 'number', default: 1e-4, min: 1e-7, max: 10 },
      { key: 'lr-max', label: 'Learning rate to', type: 'number', default: 1, min: 1e-7, max: 10 },
      { key: 'l2-min', label: 'L2 strength from', type: 'number', default: 1e-5, min: 1e-9, max: 10 },
      { key: 'l2-max', label: 'L2 strength to', type: 'number', default: 0.1, min: 1e-9, max: 10 },
      {
        key: 'keep',
        label: 'Refine around the best',
        type: 'int',
        default: 2,
        min: 1,
        max: 20,
        help: 'the fine round’s ranges span the best K coarse trials, a quarter of the coarse range beyond them',
      },
      {
        key: 'workers',
        label: 'Workers (0: one per core)',
        type: 'int',
        default: 0,
        min: 0,
        max: 8,
        help: 'engine workers that run trials at once in the page (0: one per core, at most 4)',
      },
      {
        key: 'timing',
        label: 'Measure the speed-up',
        type: 'bool',
        default: false,
        help: 'after the search, run the coarse trials again on every worker, then on one, and compare the wall times',
      },
      { key: 'seed', label: 'Seed', type: 'int', default: 1, min: 0, max: 1e9 },
    ],
    needs: ['train'],

    // The trials' data, made once per run (and once per pool worker): 1,000 training images and
    // 1,000 validation images from MNIST's training set.
    prepare(ctx, s) {
      const a = L.subset(ctx.data.train, TRAIN, s.seed);
      let v;
      try {
        v = L.subset(a.rest, VALID, s.seed + 1);
      } catch (e) {
        a.part.delete();
        a.rest.delete();
        throw e;
      }
      a.rest.delete();
      v.rest.delete();
      return { train: a.part, validation: v.part };
    },
    release(state) {
      state.train.delete();
      state.validation.delete();
    },
    // spec: {params: {lr, l2}} -> {status, message, accuracy, loss, iterations, seconds}
    async trial(ctx, state, spec, s) {
      const model = new ctx.E.Model(JSON.stringify(L.smallCnn('search', 'kaiming', s.seed)));
      try {
        return await L.trial(ctx, {
          model,
          train: state.train,
          validation: state.validation,
          config: {
            iterations: s.iterations,
            batch: 32,
            optimizer: { type: 'sgd', lr: spec.params.lr, momentum: 0.9 },
            l2: spec.params.l2,
            seed: s.seed,
            preprocess: 'standardize',
          },
        });
      } finally {
        model.delete();
      }
    },

    // What the settings' table cannot say alone (the page asks before it starts the workers).
    check(s) {
      for (const p of ['lr', 'l2'])
        if (!(s[`${p}-min`] < s[`${p}-max`]))
          throw new L.LabError(
            `${L.get('search').title}: the ${NAMES[p]}'s range needs ${p}-min below ${p}-max (got ${L.num(s[`${p}-min`])} and ${L.num(s[`${p}-max`])}).`,
          );
    },

    async run(ctx, s) {
      L.get('search').check(s);
      const pool = L.trialPool(ctx, L.get('search'), s);
      const dims = L.space([
        { name: 'lr', kind: 'log', lo: s['lr-min'], hi: s['lr-max'] },
        { name: 'l2', kind: 'log', lo: s['l2-min'], hi: s['l2-max'] },
      ]);
      const n = s.steps * s.steps;
      const rand = L.rng((s.seed * 2654435761) >>> 0 || 1);
      const rows = [];
      const total = 3 * n + (s.timing && pool.size > 1 ? 4 * n : 0);
      let done = 0;
      let fineDims = null; // the narrowed space, once the coarse round has ended
      const result = (extra = {}) => ({
        rows,
        space: dims,
        workers: pool.size,
        parallel: !!pool.parallel,
        engine: pool.engine || 'the experiment’s own worker',
        total,
        trials: 3 * n,
        fineSpace: fineDims,
        ...extra,
      });
      // Runs a round's points; each result becomes a row as it comes (the table and the scatter fill in).
      const round = async (name, specs, { workers, record = true } = {}) => {
        const out = [];
        const t = Date.now();
        const base = rows.length;
        await pool.map(specs, {
          workers,
          onResult: (i, r) => {
            done += 1;
            const row = { index: base + i + 1, round: specs[i].round, params: specs[i].params, ...r };
            if (record) rows.push(row);
            out[i] = row;
            const elapsed = (Date.now() - t0) / 1000;
            const left = (elapsed / done) * (total - done);
            ctx.update(
              result({
                status: `Trial ${done} of ${total} (${name}) on ${workers || pool.size} worker${(workers || pool.size) > 1 ? 's' : ''}: ${elapsed.toFixed(0)} s so far, about ${Math.ceil(left)} s left…`,
              }),
            );
          },
        });
        return { rows: out, seconds: (Date.now() - t) / 1000 };
      };

      ctx.update(
        result({
          status: `Starting ${pool.size} worker${pool.size > 1 ? 's' : ''} for ${total} trials (engine, MNIST)…`,
        }),
      );
      if (pool.ready) await pool.ready; // the workers' start is not the trials' time
      const t0 = Date.now();
      // The coarse round: the grid and as many random trials, in the same ranges, in one batch.
      const spec = (round) => (params) => ({ round, params });
      const coarseSpecs = [
        ...L.gridPoints(dims, s.steps).map(spec('grid')),
        ...L.sampleRandom(dims, n, rand).map(spec('random')),
      ];
      const coarse = await round('coarse round', coarseSpecs);
      const grid = coarse.rows.filter((r) => r.round === 'grid');
      const random = coarse.rows.filter((r) => r.round === 'random');
      const coarseBest = bestOf(coarse.rows);
      // The fine round: random trials in the space narrowed around the best `keep` coarse trials.
      fineDims = L.refineSpace(dims, coarse.rows, s.keep);
      const fine = await round('fine round', L.sampleRandom(fineDims, n, rand).map(spec('fine')));
      const fineBest = bestOf(fine.rows);
      const seconds = (Date.now() - t0) / 1000; // the search's wall time (the timing's is apart)

      // The wall time the pool saves: the coarse trials again, on every worker, then on one (both
      // after the search, so that every worker's engine is as warmed up as the other's).
      let timing = null;
      if (s.timing && pool.size > 1) {
        const all = await round('timing', coarseSpecs, { record: false });
        const one = await round('timing', coarseSpecs, { workers: 1, record: false });
        timing = {
          trials: 2 * n,
          workers: pool.size,
          seconds: all.seconds,
          oneSeconds: one.seconds,
          speedup: one.seconds / all.seconds,
        };
      }

      // Which parameter matters: the spread of the grid's mean accuracy over each one's values.
      const spreads = { lr: spread(grid, 'lr'), l2: spread(grid, 'l2') };
      const important = spreads.lr >= spreads.l2 ? 'lr' : 'l2';
      const other = important === 'lr' ? 'l2' : 'lr';
      const nGrid = distinct(grid, important);
      const nRandom = distinct(random, important);
      const gridBest = bestOf(grid);
      const randomBest = bestOf(random);
      const claims = [
        L.claim(
          'random-explores',
          `The ${NAMES[important]} matters most here: over the grid its ${s.steps} values move the mean validation accuracy by ${(100 * spreads[important]).toFixed(1)} points, the ${NAMES[other]}'s by ${(100 * spreads[other]).toFixed(1)}. With the same ${n} trials, random search tried ${nRandom} distinct ${NAMES[important]}s, the grid ${nGrid} (best trial: random ${pct(randomBest.accuracy)}, grid ${pct(gridBest.accuracy)}).`,
          nRandom - nGrid,
          nRandom > nGrid,
        ),
        L.claim(
          'fine-beats-coarse',
          `The fine round's ${n} random trials in the narrowed ranges (learning rate ${range(dim(fineDims, 'lr'))}, L2 ${range(dim(fineDims, 'l2'))}, around the best ${s.keep} of the ${coarse.rows.length} coarse trials) reach ${pct(fineBest.accuracy)} at best (learning rate ${L.num(fineBest.params.lr)}, L2 ${L.num(fineBest.params.l2)}); the coarse round's best is ${pct(coarseBest.accuracy)} (learning rate ${L.num(coarseBest.params.lr)}, L2 ${L.num(coarseBest.params.l2)}).`,
          fineBest.accuracy - coarseBest.accuracy,
          fineBest.status === 'ok' && fineBest.accuracy > coarseBest.accuracy,
        ),
      ];
      return result({
        claims,
        important,
        spreads,
        best: { coarse: coarseBest.index, fine: fineBest.index },
        seconds,
        timing,
      });
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
