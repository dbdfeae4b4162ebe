// Lab experiment "overfit": the notes' overfitting and its regularizers on the engine. A small
// training subset of MNIST (500 images by default) and a held-out validation set; a net trained on it
// without regularization, then with each regularizer alone (L2, dropout, data augmentation, batch
// norm, early stopping), one after another in the worker. After every epoch: the accuracy on the
// training images (inference mode: no dropout, no augmentation) and on the validation images (the
// engine's epoch record); their difference is the gap. Runs in the worker (see lab.js).
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);

  const BATCH = 50;
  const MOMENTUM = 0.9;
  // A regularizer "narrows the gap" when its gap is at least this much smaller than the baseline's
  // (in accuracy, 0.01 = 1 point); "far below" is a gap of at least FAR.
  const NARROWER = 0.01;
  const FAR = 0.05;

  const VARIANTS = [
    { key: 'none', label: 'No regularization' },
    { key: 'l2', label: 'L2' },
    { key: 'dropout', label: 'Dropout' },
    { key: 'augment', label: 'Augmentation' },
    { key: 'batchnorm', label: 'Batch norm' },
    { key: 'early', label: 'Early stopping' },
  ];

  // The model of a variant: dropout and batch norm are layers of the description.
  function description(s, variant, shape) {
    const layers = [];
    if (s.model === 'mlp') {
      layers.push({ type: 'dense', name: 'fc1', units: 256 });
      if (variant === 'batchnorm') layers.push({ type: 'batchnorm', name: 'bn1' });
      layers.push({ type: 'relu', name: 'relu1' });
    } else {
      layers.push({ type: 'conv2d', name: 'conv1', filters: 8, kernel: 5, pad: 2 });
      if (variant === 'batchnorm') layers.push({ type: 'batchnorm', name: 'bn1' });
      layers.push({ type: 'relu', name: 'relu1' }, { type: 'maxpool2d', name: 'pool1', size: 2 });
    }
    if (variant === 'dropout') layers.push({ type: 'dropout', name: 'drop1', p: s.dropout });
    layers.push({ type: 'dense', name: 'fc', units: 10 });
    return { name: `overfit-${variant}`, input: shape, init: 'kaiming', seed: s.seed, layers };
  }

  // The training configuration of a variant (src/train/trainer.h TrainConfig).
  function config(s, variant) {
    const c = {
      epochs: s.epochs,
      batch: BATCH,
      optimizer: { type: 'sgd', lr: s.lr, momentum: MOMENTUM },
      seed: s.seed,
    };
    if (variant === 'l2') c.l2 = s.l2;
    if (variant === 'augment') c.augment = s.augment;
    if (variant === 'early') c.patience = s.patience;
    return c;
  }

  // What each variant changes, in words.
  function setting(s, variant) {
    if (variant === 'l2') return `λ = ${s.l2}`;
    if (variant === 'dropout') return `p = ${s.dropout} before the classifier`;
    if (variant === 'augment') return `"${s.augment}" preset`;
    if (variant === 'batchnorm') return `after ${s.model === 'mlp' ? 'fc1' : 'conv1'}`;
    if (variant === 'early') return `patience ${s.patience} epochs`;
    return '';
  }

  // `train` and `validation` distinct images of ds chosen by seed, as two new E.Datasets (copies of
  // just these images: a split of the whole set would copy the rest too).
  async function subsets(ctx, ds, nTrain, nVal, seed) {
    const { E } = ctx;
    const n = ds.size();
    if (nTrain + nVal > n)
      throw new L.LabError(
        `The training subset (${nTrain}) and the validation set (${nVal}) need ${nTrain + nVal} images; the training set has ${n}.`,
      );
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; ++i) idx[i] = i;
    const r = L.rng(seed);
    for (let i = 0; i < nTrain + nVal; ++i) {
      const j = i + Math.floor(r() * (n - i));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    const [c, h, w] = ds.shape();
    const make = async (from, count) => {
      const px = new Uint8Array(count * c * h * w);
      const labels = new Uint8Array(count);
      for (let i = 0; i < count; ++i) {
        const img = ds.image(idx[from + i]);
        for (let j = 0; j < img.length; ++j) px[i * img.length + j] = Math.round(img[j] * 255);
        labels[i] = ds.label(idx[from + i]);
        if (i % 1000 === 999) await ctx.tick();
      }
      return new E.Dataset(px, labels, count, c, h, w, ds.numClasses());
    };
    const train = await make(0, nTrain);
    try {
      return { train, validation: await make(nTrain, nVal), shape: [c, h, w] };
    } catch (e) {
      train.delete();
      throw e;
    }
  }

  // Trains one variant epoch by epoch; after each epoch the training images' accuracy in inference
  // mode beside the engine's epoch record. onEpoch(rows) after each epoch.
  async function trainVariant(ctx, s, variant, sets, onEpoch) {
    const { E } = ctx;
    let model = null,
      training = null;
    const t0 = Date.now();
    try {
      model = new E.Model(JSON.stringify(description(s, variant, sets.shape)));
      const params = model.paramCount();
      training = new E.Training(model, sets.train, sets.validation, JSON.stringify(config(s, variant)));
      const perEpoch = Math.max(1, Math.floor(sets.train.size() / Math.min(BATCH, sets.train.size())));
      const epochs = [];
      let status = 'running',
        message = '',
        iteration = 0;
      while (status === 'running') {
        // up to the end of this epoch, so that the training images are measured with its weights
        const p = JSON.parse(training.run(perEpoch - (iteration % perEpoch), 0));
        iteration = p.iteration;
        status = p.status;
        message = p.message || '';
        for (const r of p.epochs_done) {
          const tr = JSON.parse(training.evaluate(sets.train));
          epochs.push({
            epoch: r.epoch,
            train: tr.accuracy,
            trainLoss: tr.loss,
            running: r.train_accuracy, // the engine's, during the epoch (dropout on, augmented images)
            val: r.val_accuracy,
            valLoss: r.val_loss,
          });
        }
        if (p.epochs_done.length) onEpoch(epochs);
        await ctx.tick();
      }
      if (status === 'diverged') throw new L.LabError(`${VARIANTS.find((v) => v.key === variant).label}: ${message}`);
      // the model as it ends (early stopping: the restored best weights)
      const finalTrain = JSON.parse(training.evaluate(sets.train)).accuracy;
      const finalVal = JSON.parse(training.evaluate(sets.validation)).accuracy;
      let best = epochs[0];
      for (const e of epochs) if (e.val > best.val) best = e;
      return {
        key: variant,
        label: VARIANTS.find((v) => v.key === variant).label,
        setting: setting(s, variant),
        params,
        epochs,
        status,
        message,
        train: finalTrain,
        val: finalVal,
        gap: finalTrain - finalVal,
        best: { epoch: best.epoch, val: best.val, train: best.train },
        seconds: (Date.now() - t0) / 1000,
      };
    } finally {
      if (training) training.delete();
      if (model) model.delete();
    }
  }

  const pct = (x) => `${(100 * x).toFixed(1)} %`;
  const pts = (x) => `${(100 * x).toFixed(1)} points`;

  function claims(s, runs) {
    const out = [];
    const base = runs.find((r) => r.key === 'none');
    if (!base) return out;
    const full = base.epochs.find((e) => e.train >= 0.999);
    out.push(
      L.claim(
        'overfits',
        `Without regularization the training accuracy reaches ${pct(base.train)}${full ? ` (100 % from epoch ${full.epoch})` : ''} while the validation accuracy stays at ${pct(base.val)}: a gap of ${pts(base.gap)} after ${base.epochs.length} epochs on ${s.train} images (far below: at least ${L.num(100 * FAR)} points).`,
        base.gap,
        base.train >= 0.99 && base.gap >= FAR,
      ),
    );
    for (const r of runs) {
      if (r.key === 'none') continue;
      const d = base.gap - r.gap;
      const vs = `validation ${pct(r.val)} (without: ${pct(base.val)})`;
      let why = '';
      if (d < NARROWER && r.key === 'early' && r.best.train >= 0.999)
        why = ` The training images were already learned (${pct(r.best.train)}) at its best validation epoch, ${r.best.epoch}, so stopping there leaves the gap.`;
      if (d < NARROWER && r.key === 'batchnorm')
        why =
          ' (The notes: batch norm "acts as a form of regularization in a funny way, and slightly reduces the need for dropout, maybe".)';
      if (d >= NARROWER && r.val < base.val)
        why = ` But the validation accuracy fell: the gap closed because the training accuracy fell more${r.key === 'l2' ? ' (a smaller λ may do better)' : ''}.`;
      const text =
        d >= NARROWER
          ? `${r.label} (${r.setting}) narrows the gap from ${pts(base.gap)} to ${pts(r.gap)}; training ${pct(r.train)}, ${vs}.${why}`
          : `${r.label} (${r.setting}) does not narrow the gap by at least ${L.num(100 * NARROWER)} point${NARROWER === 0.01 ? '' : 's'} here: ${pts(r.gap)} against ${pts(base.gap)} without; training ${pct(r.train)}, ${vs}.${why}`;
      out.push(L.claim(r.key, text, r.gap, d >= NARROWER));
    }
    const early = runs.find((r) => r.key === 'early');
    if (early) {
      const stopped = early.status === 'early_stopped';
      const restored = Math.abs(early.val - early.best.val) < 1e-9;
      const last = early.epochs[early.epochs.length - 1];
      out.push(
        L.claim(
          'early-restores',
          stopped
            ? `Early stopping ended training after epoch ${last.epoch} (${s.patience} epochs without a better validation accuracy) and restored the best validation epoch, ${early.best.epoch}: the model's validation accuracy is ${pct(early.val)}, epoch ${early.best.epoch}'s was ${pct(early.best.val)} (the last epoch's ${pct(last.val)}).`
            : `Early stopping never stopped: the validation accuracy improved within every ${s.patience} epochs until the last (${s.epochs}). The engine restores the best weights only when it stops early, so the model is the last epoch's: validation ${pct(early.val)}, the best epoch (${early.best.epoch}) had ${pct(early.best.val)}.`,
          early.val,
          stopped && restored,
        ),
      );
    }
    return out;
  }

  L.define({
    id: 'overfit',
    title: 'Overfitting and regularization',
    topic:
      'Training: regularization (problem of overfitting; early stop, L1/L2 regularization term, dropout, batch normalization, data augmentation)',
    intro: [
      'The notes: "too complex CNN models with too small training dataset causes overfitting": the training accuracy climbs to 100 % while the accuracy on new images stays behind. The difference is the gap, and "big gap = overfitting => increase regularization strength?".',
      'Press Run: a small net (a 5×5 convolution with 8 filters, max-pooling and a dense layer) learns 500 randomly chosen MNIST training images for 15 epochs (SGD with momentum 0.9, batches of 50) while 2,000 other MNIST images, never trained on, validate it after every epoch. Then the same net on the same images five more times, each with one regularizer of the notes alone: an L2 term (weight decay), dropout ("randomly set some neurons to zero"; p = 0.7 here, where the notes call 0.5 common), data augmentation (shifted, rotated and scaled digits), batch normalization, and early stopping ("stop training before overfitting": the engine stops after "patience" epochs without a better validation accuracy and restores the best epoch\'s weights). The six trainings run one after another in the worker, about 10 to 20 s at these settings (measured on a 2-core machine).',
      'The training accuracy is measured on the training images after each epoch with dropout off and no augmentation (the engine\'s running accuracy during an epoch sees dropped units and transformed digits). A regularizer "narrows the gap" here when its gap is at least 1 point smaller than the gap without regularization.',
    ],
    settings: [
      {
        key: 'model',
        label: 'Net',
        type: 'select',
        default: 'conv',
        options: [
          ['conv', 'conv 5×5, 8 filters; max-pool; dense 10'],
          ['mlp', 'dense 256; dense 10 (an MLP)'],
        ],
        help: 'the net every variant trains',
      },
      {
        key: 'train',
        label: 'Training images',
        type: 'int',
        default: 500,
        min: 50,
        max: 10000,
        help: 'the small subset the net learns; more images, smaller gap',
      },
      {
        key: 'validation',
        label: 'Validation images',
        type: 'int',
        default: 2000,
        min: 200,
        max: 10000,
        help: 'other MNIST training images, never trained on',
      },
      { key: 'epochs', label: 'Epochs', type: 'int', default: 15, min: 2, max: 200, help: 'passes over the subset' },
      {
        key: 'lr',
        label: 'Learning rate',
        type: 'number',
        default: 0.02,
        min: 0.0001,
        max: 1,
        help: 'SGD with momentum 0.9',
      },
      {
        key: 'l2',
        label: 'L2 λ',
        type: 'number',
        default: 0.1,
        min: 0,
        max: 1,
        help: 'the L2 variant: loss + λ/2·Σw²',
      },
      {
        key: 'dropout',
        label: 'Dropout p',
        type: 'number',
        default: 0.7,
        min: 0.05,
        max: 0.95,
        help: 'the dropout variant: the probability of dropping a unit before the classifier',
      },
      {
        key: 'augment',
        label: 'Augmentation',
        type: 'select',
        default: 'digits',
        options: [
          ['digits', 'digits: shift 2 px, rotate 10°, scale 10 %'],
          ['strong', 'strong: also brightness, contrast, cutout'],
        ],
        help: "the augmentation variant: the trainer's preset",
      },
      {
        key: 'patience',
        label: 'Patience',
        type: 'int',
        default: 3,
        min: 1,
        max: 50,
        help: 'the early-stopping variant: epochs without a better validation accuracy before it stops',
      },
      {
        key: 'seed',
        label: 'Seed',
        type: 'int',
        default: 1,
        min: 1,
        max: 1000000,
        help: 'the subsets, the initial weights and the batches',
      },
    ],
    needs: ['train'],

    async run(ctx, s) {
      const t0 = Date.now();
      const sets = await subsets(ctx, ctx.data.train, s.train, s.validation, s.seed);
      const runs = [];
      try {
        let lastSent = 0;
        for (const v of VARIANTS) {
          const status = `Training ${VARIANTS.indexOf(v) + 1} of ${VARIANTS.length}: ${v.label.toLowerCase()}…`;
          ctx.update({ runs: runs.slice(), current: { key: v.key, label: v.label, epochs: [] }, status });
          const r = await trainVariant(ctx, s, v.key, sets, (epochs) => {
            const now = Date.now();
            if (now - lastSent < 150) return;
            lastSent = now;
            ctx.update({ runs: runs.slice(), current: { key: v.key, label: v.label, epochs: epochs.slice() }, status });
          });
          runs.push(r);
          ctx.update({ runs: runs.slice(), current: null, status });
        }
      } finally {
        sets.train.delete();
        sets.validation.delete();
      }
      return { claims: claims(s, runs), runs, settings: s, seconds: (Date.now() - t0) / 1000 };
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
