// Lab experiment "babysit": the notes' checklist for babysitting the learning process, as a guided
// run on the engine — the initial loss with small weights against ln 10, regularization raising it,
// overfitting a tiny sample to 100 %, a learning rate too small to move the loss and one so large the
// loss explodes (the engine stops with its message), then a coarse random search over the learning
// rate and the regularization. Runs in the worker (see lab.js).
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);
  const LN10 = Math.log(10);

  // The net of every step (CnnLab.smallCnn): small enough to overfit 20 images in a second.
  const net = (std, seed) => L.smallCnn('babysit', std > 0 ? { scheme: 'normal', std } : 'kaiming', seed);

  const mean = (a) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);

  L.define({
    id: 'babysit',
    title: 'Babysitting the learning process',
    topic: 'Training neural networks: babysitting the learning process (sanity checks before a search)',
    intro: [
      'Before a long training or a search, the notes check that the loss and the network behave as they must. Each step below is measured on this engine with a small CNN (conv 8 × 5×5, max pool, 32 units, 10 classes) on MNIST.',
      'With small random weights every class gets about the same score, so the softmax loss starts at −ln(1/10) = ln 10 ≈ 2.303. Adding regularization must raise it. The net must be able to overfit a tiny sample (20 images) to 100 % training accuracy. A learning rate far too small barely moves the loss; one far too large makes it explode (NaN). Then a coarse random search over the learning rate and the regularization, on a log scale, finds the region for a finer one.',
      'The steps run one after another in the engine’s worker.',
    ],
    settings: [
      {
        key: 'reg',
        label: 'L2 strength for the sanity check',
        type: 'number',
        default: 1,
        min: 0,
        max: 1e6,
        help: 'the first loss with this much L2 must be higher than without',
      },
      { key: 'tiny', label: 'Tiny sample (images)', type: 'int', default: 20, min: 5, max: 200 },
      { key: 'low-lr', label: 'Too small a learning rate', type: 'number', default: 1e-6, min: 1e-12, max: 1 },
      { key: 'high-lr', label: 'Too large a learning rate', type: 'number', default: 1e6, min: 1e-3, max: 1e12 },
      { key: 'trials', label: 'Coarse search trials', type: 'int', default: 6, min: 2, max: 20 },
      { key: 'seed', label: 'Seed', type: 'int', default: 1, min: 0, max: 1e9 },
    ],
    needs: ['train'],

    async run(ctx, s) {
      const { E } = ctx;
      const claims = [];
      const steps = {};
      const owned = [];
      const keep = (x) => (owned.push(x), x);
      const model = (std) => keep(new E.Model(JSON.stringify(net(std, s.seed))));
      try {
        const sample = L.subset(ctx.data.train, 1000, s.seed);
        keep(sample.part);
        keep(sample.rest);
        // 1. The initial loss with small weights.
        const m0 = model(1e-4);
        // the inputs standardized as training will (a Training fits the preprocessing on its data
        // and gives it to the model; this one is never run)
        new E.Training(m0, sample.part, null, JSON.stringify({ iterations: 1, preprocess: 'standardize' })).delete();
        const first = JSON.parse(m0.evaluate(sample.part, 250));
        steps.initial = { loss: first.loss, expected: LN10 };
        claims.push(
          L.claim(
            'initial-loss',
            `With small random weights (σ = 0.0001) and standardized inputs the loss on 1,000 images is ${first.loss.toFixed(4)}; the notes expect −ln(1/10) = ${LN10.toFixed(4)} for ten classes (difference ${Math.abs(first.loss - LN10).toFixed(4)}).`,
            first.loss,
            Math.abs(first.loss - LN10) < 0.02,
          ),
        );
        ctx.update({ status: 'The initial loss…', steps });
        await ctx.tick();

        // 2. Regularization raises it: the same weights, one step's loss with and without L2 (the
        // step's learning rate is so small that it changes nothing).
        const x = new Float32Array(64 * 784);
        const y = [];
        for (let i = 0; i < 64; ++i) {
          x.set(sample.part.image(i), i * 784);
          y.push(sample.part.label(i));
        }
        const mA = model(0.01);
        const mB = model(0.01);
        const plain = mA.trainStep(x, y, 64, { lr: 1e-12 });
        const withReg = mB.trainStep(x, y, 64, { lr: 1e-12, l2: s.reg });
        steps.regularization = { plain, withReg, l2: s.reg };
        claims.push(
          L.claim(
            'reg-raises',
            `Adding L2 = ${L.num(s.reg)} raises the first loss from ${plain.toFixed(4)} to ${withReg.toFixed(4)} (σ = 0.01 weights).`,
            withReg - plain,
            withReg > plain,
          ),
        );
        ctx.update({ status: 'Regularization…', steps });
        await ctx.tick();

        // 3. Overfit a tiny sample: no regularization, many passes over it.
        const tiny = L.subset(sample.part, s.tiny, s.seed + 1);
        keep(tiny.part);
        keep(tiny.rest);
        const mT = model(0);
        const t0 = Date.now();
        const over = await L.train(ctx, {
          model: mT,
          train: tiny.part,
          config: {
            iterations: 300,
            batch: Math.min(20, s.tiny),
            optimizer: { type: 'adam', lr: 0.003 },
            seed: s.seed,
            preprocess: 'standardize',
          },
          onSlice: (p) =>
            ctx.update({ status: `Overfitting ${s.tiny} images: iteration ${p.iteration} of 300…`, steps }),
        });
        const overEval = JSON.parse(mT.evaluate(tiny.part, 250));
        const heldEval = JSON.parse(mT.evaluate(tiny.rest, 250));
        steps.overfit = {
          losses: over.losses,
          trainAccuracy: overEval.accuracy,
          trainLoss: overEval.loss,
          heldAccuracy: heldEval.accuracy,
          seconds: (Date.now() - t0) / 1000,
        };
        claims.push(
          L.claim(
            'overfit-tiny',
            `The net overfits ${s.tiny} images: after 300 iterations its training accuracy is ${(100 * overEval.accuracy).toFixed(1)} % (loss ${overEval.loss.toFixed(4)}), while on ${tiny.rest.size()} other images it is ${(100 * heldEval.accuracy).toFixed(1)} %.`,
            overEval.accuracy,
            overEval.accuracy >= 0.999,
          ),
        );
        ctx.update({ status: 'Learning rates…', steps });
        await ctx.tick();

        // 4. Learning rates far too small and far too large (plain SGD, 100 iterations).
        const lrRun = async (lr) => {
          const m = model(0);
          return L.train(ctx, {
            model: m,
            train: sample.part,
            config: {
              iterations: 100,
              batch: 32,
              optimizer: { type: 'sgd', lr },
              seed: s.seed,
              preprocess: 'standardize',
            },
          });
        };
        const low = await lrRun(s['low-lr']);
        const lowFirst = mean(low.losses.slice(0, 10));
        const lowLast = mean(low.losses.slice(-10));
        steps.low = { lr: s['low-lr'], losses: low.losses, first: lowFirst, last: lowLast };
        claims.push(
          L.claim(
            'low-lr',
            `With a learning rate of ${L.num(s['low-lr'])} the loss barely moves: ${lowFirst.toFixed(4)} over the first 10 iterations, ${lowLast.toFixed(4)} over the last 10 of 100 (${((100 * (lowFirst - lowLast)) / lowFirst).toFixed(2)} %).`,
            lowLast,
            Math.abs(lowFirst - lowLast) / lowFirst < 0.02,
          ),
        );
        ctx.update({ status: 'A learning rate far too large…', steps });
        const high = await lrRun(s['high-lr']);
        steps.high = { lr: s['high-lr'], losses: high.losses, status: high.status, message: high.message };
        claims.push(
          L.claim(
            'high-lr',
            high.status === 'diverged'
              ? `With a learning rate of ${L.num(s['high-lr'])} the loss explodes and the engine stops the run: "${high.message}"`
              : `With a learning rate of ${L.num(s['high-lr'])} the run ended "${high.status}" (last loss ${L.num(high.losses[high.losses.length - 1])}): it did not explode.`,
            high.losses.length,
            high.status === 'diverged',
          ),
        );
        ctx.update({ status: 'A coarse search…', steps });
        await ctx.tick();

        // 5. A coarse random search: log-uniform learning rate and L2, short runs, validation accuracy.
        const valid = L.subset(sample.rest, 500, s.seed + 2);
        keep(valid.part);
        keep(valid.rest);
        const rand = L.rng((s.seed * 2654435761) >>> 0 || 1);
        const trials = [];
        for (let k = 0; k < s.trials; ++k) {
          const lr = 10 ** (-4 + 4 * rand()); // 1e-4 … 1
          const l2 = 10 ** (-5 + 4 * rand()); // 1e-5 … 0.1
          const r = await L.trial(ctx, {
            model: model(0),
            train: sample.part,
            validation: valid.part,
            config: {
              iterations: 150,
              batch: 32,
              optimizer: { type: 'sgd', lr, momentum: 0.9 },
              l2,
              seed: s.seed,
              preprocess: 'standardize',
            },
          });
          trials.push({ lr, l2, status: r.status, accuracy: r.accuracy, loss: r.loss });
          steps.search = { trials };
          ctx.update({ status: `Coarse search: trial ${k + 1} of ${s.trials}…`, steps });
        }
        const sorted = trials.slice().sort((a, b) => b.accuracy - a.accuracy);
        const best = sorted[0];
        const worst = sorted[sorted.length - 1];
        steps.search = { trials, best };
        claims.push(
          L.claim(
            'coarse-search',
            `A coarse search of ${trials.length} random trials (learning rate 10⁻⁴…1 and L2 10⁻⁵…0.1, log scales, 150 iterations each) spans validation accuracies from ${(100 * worst.accuracy).toFixed(1)} % to ${(100 * best.accuracy).toFixed(1)} %; the best (learning rate ${L.num(best.lr)}, L2 ${L.num(best.l2)}) is where a finer search goes next.`,
            best.accuracy,
            best.accuracy - worst.accuracy > 0.05,
          ),
        );
        return { claims, steps };
      } finally {
        for (const o of owned.reverse()) o.delete();
      }
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
