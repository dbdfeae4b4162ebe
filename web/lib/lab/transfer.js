// Lab experiment "transfer": transfer learning from the student's own drawings. A small data set of
// drawings (3–10 classes, a few drawings each, drawn on the experiment's pad and digitized as the
// Draw card's are; without drawings, a demonstration set of generated letters, lib/strokes.js) is
// split into training drawings and held-out drawings (each class's last `holdout`), and three ways of
// learning it are compared on the held-out drawings, with the same number of passes and batches:
//   frozen    the shipped model's features (the layer its classifier reads, lib/verdict.js
//             featureLayer), computed once, and a linear classifier (a dense layer) trained on them
//   finetune  the shipped model with a new output layer of K classes; its last `top` layers with
//             weights and the new one train, the others stay frozen (the trainer's "freeze")
//   scratch   the same architecture with random weights, every layer trained
// Each gives a whole model of the shipped architecture (the frozen features' classifier becomes its
// new output layer); the best one's file comes back for live classification. Runs in the worker
// (see lab.js), and in Node for the tests.
//   ctx.input      {classes: [names], drawings: [{label, image: 784 bytes}]} or nothing (the demo set)
//   ctx.pretrained  async () => the shipped model's file (web/models/pretrained.cnn)
/* global module, require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);
  // The shared libraries it uses, looked up when used (the worker and the page load them beside it):
  // lib/strokes.js (the demonstration set), lib/verdict.js (the feature layer), lib/idx.js (export).
  const lib = (name, file) => root[name] || require(file);
  const S = () => lib('CnnStrokes', '../strokes.js');
  const V = () => lib('CnnVerdict', '../verdict.js');
  const X = () => lib('CnnIdx', '../idx.js');

  const SIDE = 28;
  const PIXELS = SIDE * SIDE;
  const MIN_CLASSES = 2;
  const MAX_CLASSES = 10;
  const MAX_PER_CLASS = 50;
  const BATCH = 8;
  const DEMOS = {
    AXN: ['A', 'X', 'N'],
    EHK: ['E', 'H', 'K'],
    MWR: ['M', 'W', 'R'],
    BEHKR: ['B', 'E', 'H', 'K', 'R'],
  };
  const METHODS = [
    { key: 'frozen', label: 'Frozen features + linear classifier' },
    { key: 'finetune', label: 'Fine-tuning the top' },
    { key: 'scratch', label: 'From scratch' },
  ];

  // The held-out drawings: each class's last `holdout` (in the order drawn); the view shows the same.
  function split(drawings, holdout) {
    const seen = new Map();
    const count = new Map();
    for (const d of drawings) count.set(d.label, (count.get(d.label) || 0) + 1);
    return drawings.map((d) => {
      const i = seen.get(d.label) || 0;
      seen.set(d.label, i + 1);
      return i >= count.get(d.label) - holdout;
    });
  }

  // The student's drawings checked, or a LabError saying what is missing.
  function checkInput(input, holdout) {
    const classes = input && Array.isArray(input.classes) ? input.classes.map((c) => String(c).slice(0, 40)) : [];
    const drawings = input && Array.isArray(input.drawings) ? input.drawings : [];
    if (classes.length < MIN_CLASSES || classes.length > MAX_CLASSES)
      throw new L.LabError(`Your drawings need ${MIN_CLASSES} to ${MAX_CLASSES} classes; there are ${classes.length}.`);
    const per = classes.map(() => 0);
    const out = [];
    for (const d of drawings) {
      if (!Number.isInteger(d.label) || d.label < 0 || d.label >= classes.length)
        throw new L.LabError(
          `A drawing has the label ${JSON.stringify(d.label)}, not one of the ${classes.length} classes.`,
        );
      const img = d.image;
      if (!img || img.length !== PIXELS)
        throw new L.LabError(`A drawing is not a 28×28 image (${img ? img.length : 0} values).`);
      per[d.label]++;
      out.push({ label: d.label, image: Uint8Array.from(img, (v) => Math.max(0, Math.min(255, Math.round(v)))) });
    }
    classes.forEach((c, k) => {
      if (per[k] < holdout + 1)
        throw new L.LabError(
          `The class “${c}” has ${per[k]} drawing${per[k] === 1 ? '' : 's'}; with ${holdout} held out per class it needs at least ${holdout + 1} (draw more, or hold out fewer).`,
        );
      if (per[k] > MAX_PER_CLASS)
        throw new L.LabError(`The class “${c}” has ${per[k]} drawings; at most ${MAX_PER_CLASS} are used.`);
    });
    return { classes, drawings: out };
  }

  // The shipped model's description with a new output layer of k units (its other layers unchanged).
  function withOutputs(desc, k) {
    const d = JSON.parse(JSON.stringify(desc));
    const last = d.layers[d.layers.length - 1];
    if (last.type !== 'dense')
      throw new L.LabError(`The shipped model ends with a ${last.type} layer, not a dense one.`);
    last.units = k;
    return d;
  }

  // The names of the layers with weights, in order (the model's layerInfo).
  const weighted = (model) =>
    JSON.parse(model.layerInfo())
      .filter((l) => l.param_shapes && l.param_shapes.length)
      .map((l) => l.name);

  function copyWeights(from, to, skip) {
    for (const p of JSON.parse(from.paramNames())) {
      if (skip.has(p.name.slice(0, p.name.lastIndexOf('.')))) continue;
      to.setParam(p.name, from.getParam(p.name));
    }
  }

  function dataset(E, items, k) {
    const px = new Uint8Array(items.length * PIXELS);
    const labels = new Uint8Array(items.length);
    items.forEach((d, i) => {
      px.set(d.image, i * PIXELS);
      labels[i] = d.label;
    });
    return new E.Dataset(px, labels, items.length, 1, SIDE, SIDE, k);
  }

  const floats = (items) => {
    const x = new Float32Array(items.length * PIXELS);
    items.forEach((d, i) => {
      for (let j = 0; j < PIXELS; j++) x[i * PIXELS + j] = d.image[j] / 255;
    });
    return x;
  };

  // Predicted classes of a batch of probabilities (n × k).
  const argmaxes = (probs, n, k) =>
    Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
      return best;
    });

  const accuracy = (pred, items) => pred.filter((p, i) => p === items[i].label).length / Math.max(1, items.length);

  // Trains a whole model with the engine's trainer (held-out drawings as its validation set): an
  // accuracy per epoch; resolves to {accuracy, train, predicted, curve, seconds, bytes}.
  async function trainWhole(ctx, model, sets, config, onEpoch) {
    const t0 = Date.now();
    const curve = [];
    const r = await L.train(ctx, {
      model,
      train: sets.trainDs,
      validation: sets.heldDs,
      config,
      onSlice: (p) => {
        for (const e of p.epochs_done) curve.push({ epoch: e.epoch, val: e.val_accuracy, loss: e.train_loss });
        if (p.epochs_done.length) onEpoch(curve);
      },
    });
    const seconds = (Date.now() - t0) / 1000;
    if (r.status === 'diverged') throw new L.LabError(`The training diverged: ${r.message} (a smaller learning rate?)`);
    const k = sets.k;
    const heldPred = argmaxes(model.predict(floats(sets.held), sets.held.length), sets.held.length, k);
    const trainPred = argmaxes(model.predict(floats(sets.train), sets.train.length), sets.train.length, k);
    return {
      accuracy: accuracy(heldPred, sets.held),
      train: accuracy(trainPred, sets.train),
      predicted: heldPred,
      curve,
      seconds,
    };
  }

  // Frozen features: the shipped model's feature layer for every drawing (one pass), then a dense
  // layer trained on them with the same batches, passes and optimizer as the others.
  async function frozen(ctx, s, shipped, sets, featName, onEpoch) {
    const { E } = ctx;
    const t0 = Date.now();
    const feats = (items) => {
      shipped.predict(floats(items), items.length);
      return shipped.activation(featName).data;
    };
    const fTrain = feats(sets.train);
    const fHeld = feats(sets.held);
    const D = fTrain.length / sets.train.length;
    const k = sets.k;
    // each feature standardized with the training drawings' mean and spread (as a linear probe's
    // features are; folded into the output layer's weights at the end)
    const mean = new Float64Array(D);
    const sd = new Float64Array(D);
    const n0 = sets.train.length;
    for (let i = 0; i < n0; i++) for (let j = 0; j < D; j++) mean[j] += fTrain[i * D + j] / n0;
    for (let i = 0; i < n0; i++) for (let j = 0; j < D; j++) sd[j] += (fTrain[i * D + j] - mean[j]) ** 2 / n0;
    for (let j = 0; j < D; j++) sd[j] = Math.sqrt(sd[j]) + 1e-3;
    const standardize = (f) => f.map((v, i) => (v - mean[i % D]) / sd[i % D]);
    const zTrain = standardize(fTrain);
    const zHeld = standardize(fHeld);
    const probe = new E.Model(
      JSON.stringify({
        name: 'linear',
        input: [D, 1, 1],
        init: 'kaiming',
        seed: s.seed,
        layers: [{ type: 'dense', name: 'fc', units: k }],
      }),
    );
    try {
      const r = L.rng(s.seed);
      const n = sets.train.length;
      const order = Array.from({ length: n }, (_, i) => i);
      const curve = [];
      const opt = { optimizer: { type: 'adam', lr: s.lr } };
      for (let epoch = 1; epoch <= s.epochs; epoch++) {
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(r() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
        let loss = 0;
        const b = Math.min(BATCH, n);
        for (let at = 0; at + b <= n; at += b) {
          const x = new Float32Array(b * D);
          const y = new Float32Array(b);
          for (let i = 0; i < b; i++) {
            x.set(zTrain.subarray(order[at + i] * D, (order[at + i] + 1) * D), i * D);
            y[i] = sets.train[order[at + i]].label;
          }
          loss = probe.trainStep(x, y, b, opt);
          if (!Number.isFinite(loss))
            throw new L.LabError('The linear classifier diverged (a smaller learning rate?).');
        }
        const pred = argmaxes(probe.predict(zHeld, sets.held.length), sets.held.length, k);
        curve.push({ epoch, val: accuracy(pred, sets.held), loss });
        onEpoch(curve);
        await ctx.tick();
      }
      const seconds = (Date.now() - t0) / 1000;
      const heldPred = argmaxes(probe.predict(zHeld, sets.held.length), sets.held.length, k);
      const trainPred = argmaxes(probe.predict(zTrain, n), n, k);
      // the classifier as the shipped model's new output layer: a whole model to classify with
      const whole = new E.Model(JSON.stringify(withOutputs(JSON.parse(shipped.description()), k)));
      const out = sets.outName;
      copyWeights(shipped, whole, new Set([out]));
      // W·(f − mean)/sd + b = (W/sd)·f + (b − W·mean/sd)
      const W = probe.getParam('fc.weight');
      const bias = probe.getParam('fc.bias');
      for (let c = 0; c < k; c++)
        for (let j = 0; j < D; j++) {
          W[c * D + j] /= sd[j];
          bias[c] -= W[c * D + j] * mean[j];
        }
      whole.setParam(`${out}.weight`, W);
      whole.setParam(`${out}.bias`, bias);
      whole.setPreprocess(shipped.preprocess());
      return {
        model: whole,
        accuracy: accuracy(heldPred, sets.held),
        train: accuracy(trainPred, sets.train),
        predicted: heldPred,
        curve,
        seconds,
        trained: probe.paramCount(),
        features: { layer: featName, size: D },
      };
    } finally {
      probe.delete();
    }
  }

  const pct = (x) => `${(100 * x).toFixed(0)} %`;

  function claims(s, sets, runs) {
    const by = Object.fromEntries(runs.map((r) => [r.key, r]));
    const out = [];
    const few = `${sets.train.length} training drawings (${sets.perClassText}), ${sets.held.length} held out`;
    if (by.frozen && by.scratch)
      out.push(
        L.claim(
          'frozen-beats-scratch',
          `With few drawings, frozen features beat training from scratch: the linear classifier on the shipped model's features gets ${pct(by.frozen.accuracy)} of the held-out drawings right, the same network trained from scratch ${pct(by.scratch.accuracy)} (${few}; ${s.epochs} passes each).`,
          by.frozen.accuracy - by.scratch.accuracy,
          by.frozen.accuracy > by.scratch.accuracy,
        ),
      );
    if (by.finetune && by.scratch)
      out.push(
        L.claim(
          'finetune-beats-scratch',
          `Fine-tuning the top (${by.finetune.tuned.join(', ')} and the new output layer; the rest frozen) gets ${pct(by.finetune.accuracy)}, from scratch ${pct(by.scratch.accuracy)}.`,
          by.finetune.accuracy - by.scratch.accuracy,
          by.finetune.accuracy > by.scratch.accuracy,
        ),
      );
    if (by.frozen && by.scratch)
      out.push(
        L.claim(
          'frozen-quicker',
          `The frozen features are quicker to train on: ${L.num(by.frozen.seconds)} s (one pass of the shipped model over the drawings, then ${by.frozen.trained} weights) against ${L.num(by.scratch.seconds)} s from scratch (${by.scratch.trained.toLocaleString('en-US')} weights), measured in this run.`,
          by.frozen.seconds,
          by.frozen.seconds < by.scratch.seconds,
        ),
      );
    return out;
  }

  // The drawings as IDX files (what `cnn train --images --labels` and the app's IDX upload read):
  // the training drawings and the held-out ones, images n×28×28 and labels n, and the class names
  // (label i is classes[i]). {name: bytes | text}.
  function exportIdx(input, holdout) {
    const { classes, drawings } = checkInput(input, holdout);
    const held = split(drawings, holdout);
    const files = {};
    for (const [part, want] of [
      ['train', false],
      ['test', true],
    ]) {
      const items = drawings.filter((_, i) => held[i] === want);
      const px = new Uint8Array(items.length * PIXELS);
      items.forEach((d, i) => px.set(d.image, i * PIXELS));
      files[`${part}-images.idx`] = X().write([items.length, SIDE, SIDE], px);
      files[`${part}-labels.idx`] = X().write(
        [items.length],
        items.map((d) => d.label),
      );
    }
    files['classes.txt'] = `${classes.map((c, i) => `${i} ${c}`).join('\n')}\n`;
    return files;
  }

  // A run without its engine handle (for the page).
  function strip(r) {
    const { model, ...rest } = r;
    return rest;
  }

  L.define({
    id: 'transfer',
    title: 'Transfer learning from your own drawings',
    topic:
      'Transfer learning (a network trained on a big data set reused for a small one: frozen features, fine-tuning)',
    intro: [
      'The notes: with a small data set, do not train a big network from scratch: take one trained on a big data set, use it "as a fixed feature extractor" and train only a linear classifier on top, or fine-tune its last layers; the more data you have, the more layers you can fine-tune.',
      'Draw your own small data set below (letters or symbols: 3 to 10 classes, 5 to 20 drawings each; the pad digitizes them as the Draw card does). The last drawings of each class are held out and never trained on. Run compares, on those held-out drawings: a linear classifier on the frozen features of the shipped MNIST model (the values its own classifier reads), fine-tuning its top (its last layers and a new output layer, the rest frozen), and the same network trained from scratch. The best model then classifies what you draw next. Without drawings, Run uses a demonstration set of generated letters.',
    ],
    split, // the held-out drawings (the view marks them)
    exportIdx,
    checkInput,
    maxClasses: MAX_CLASSES,
    settings: [
      {
        key: 'demo',
        label: 'Demonstration letters',
        type: 'select',
        default: 'BEHKR',
        options: Object.entries(DEMOS).map(([k, v]) => [k, v.join(', ')]),
        help: 'the generated set Run uses while there are no drawings of yours',
      },
      {
        key: 'demo-train',
        label: 'Demo: training drawings per letter',
        type: 'int',
        default: 4,
        min: 1,
        max: 40,
        help: 'generated drawings of each letter the three learn from',
      },
      {
        key: 'demo-held',
        label: 'Demo: held out per letter',
        type: 'int',
        default: 12,
        min: 1,
        max: 40,
        help: 'generated drawings of each letter never trained on: the accuracies are measured on them',
      },
      {
        key: 'holdout',
        label: 'Your drawings: held out per class',
        type: 'int',
        default: 3,
        min: 1,
        max: 20,
        help: "each class's last drawings, never trained on: the accuracies are measured on them",
      },
      {
        key: 'top',
        label: 'Layers fine-tuned',
        type: 'int',
        default: 1,
        min: 0,
        max: 6,
        help: "fine-tuning: how many of the shipped model's last layers with weights train with the new output layer",
      },
      {
        key: 'epochs',
        label: 'Passes',
        type: 'int',
        default: 30,
        min: 1,
        max: 500,
        help: 'passes over the training drawings, for each of the three',
      },
      {
        key: 'lr',
        label: 'Learning rate',
        type: 'number',
        default: 0.003,
        min: 0.00001,
        max: 1,
        help: 'Adam, batches of 8, the same for the three',
      },
      {
        key: 'seed',
        label: 'Seed',
        type: 'int',
        default: 1,
        min: 1,
        max: 1000000,
        help: 'the demonstration set, the new weights and the batches',
      },
    ],

    async run(ctx, s) {
      const { E } = ctx;
      const t0 = Date.now();
      let classes, drawings, source;
      if (ctx.input && Array.isArray(ctx.input.drawings) && ctx.input.drawings.length) {
        ({ classes, drawings } = checkInput(ctx.input, s.holdout));
        source = 'yours';
      } else {
        classes = DEMOS[s.demo];
        drawings = S()
          .letterSet(classes, s['demo-train'] + s['demo-held'], L.rng(s.seed))
          .map((d) => ({
            label: d.label,
            image: d.image,
          }));
        source = 'demo';
      }
      const k = classes.length;
      const held = split(drawings, source === 'demo' ? s['demo-held'] : s.holdout);
      const sets = {
        k,
        train: drawings.filter((_, i) => !held[i]),
        held: drawings.filter((_, i) => held[i]),
      };
      const perClass = classes.map((_, c) => sets.train.filter((d) => d.label === c).length);
      sets.perClassText = perClass.every((n) => n === perClass[0])
        ? `${perClass[0]} per class`
        : `${perClass.join('/')} per class`;
      const base = {
        classes,
        source,
        drawings, // as used (the view shows the held-out ones with each way's answers)
        heldOut: held,
        heldLabels: sets.held.map((d) => d.label),
        counts: { train: sets.train.length, held: sets.held.length },
      };
      const shipped = E.loadModel(await ctx.pretrained());
      const runs = [];
      const made = [];
      try {
        const desc = JSON.parse(shipped.description());
        const featName = V().featureLayer(shipped);
        if (!featName) throw new L.LabError('The shipped model has no single feature layer before its classifier.');
        const names = weighted(shipped);
        sets.outName = names[names.length - 1];
        if (s.top > names.length - 1)
          throw new L.LabError(
            `The shipped model has ${names.length - 1} layers with weights below its output layer; top must be at most that.`,
          );
        sets.trainDs = dataset(E, sets.train, k);
        sets.heldDs = dataset(E, sets.held, k);
        const pre = JSON.parse(shipped.preprocess());
        let lastSent = 0;
        const send = (current, force) => {
          const now = Date.now();
          if (!force && now - lastSent < 150) return;
          lastSent = now;
          ctx.update({
            ...base,
            runs: runs.map(strip),
            current,
            status: current ? progress(current) : '',
          });
        };
        // what runs, pass by pass, with the time left for it (from the passes so far)
        let began = Date.now();
        const progress = (c) => {
          const done = c.curve.length;
          const left = done ? (((Date.now() - began) / done) * (s.epochs - done)) / 1000 : null;
          const n = METHODS.findIndex((m) => m.key === c.key) + 1;
          return `Training ${n} of 3: ${c.label.toLowerCase()}, pass ${done} of ${s.epochs}${left !== null && left >= 1 ? ` (about ${Math.ceil(left)} s left for it)` : ''}…`;
        };
        const start = (m) => {
          began = Date.now();
          send({ key: m.key, label: m.label, curve: [] }, true);
        };
        const onEpoch = (m) => (curve) => send({ key: m.key, label: m.label, curve: curve.slice() });

        // 1. frozen features + a linear classifier
        start(METHODS[0]);
        const f = await frozen(ctx, s, shipped, sets, featName, onEpoch(METHODS[0]));
        made.push(f.model);
        runs.push({ ...METHODS[0], ...f, tuned: [] });

        // 2. fine-tuning the top: the shipped weights, a new output layer; the lower layers frozen
        start(METHODS[1]);
        const cfg = {
          epochs: s.epochs,
          batch: BATCH,
          optimizer: { type: 'adam', lr: s.lr },
          seed: s.seed,
          preprocess: pre,
        };
        const tuned = names.slice(names.length - 1 - s.top, names.length - 1);
        const ft = new E.Model(JSON.stringify({ ...withOutputs(desc, k), seed: s.seed }));
        made.push(ft);
        copyWeights(shipped, ft, new Set([sets.outName]));
        const freeze = names.filter((n) => n !== sets.outName && !tuned.includes(n));
        const ftParams = JSON.parse(ft.layerInfo())
          .filter((l) => !freeze.includes(l.name))
          .reduce((a, l) => a + l.params, 0);
        const r2 = await trainWhole(ctx, ft, sets, { ...cfg, freeze }, onEpoch(METHODS[1]));
        runs.push({ ...METHODS[1], ...r2, model: ft, tuned, trained: ftParams });

        // 3. from scratch: the same architecture, new random weights, everything trained
        start(METHODS[2]);
        const sc = new E.Model(JSON.stringify({ ...withOutputs(desc, k), seed: s.seed }));
        made.push(sc);
        const r3 = await trainWhole(ctx, sc, sets, cfg, onEpoch(METHODS[2]));
        runs.push({ ...METHODS[2], ...r3, model: sc, tuned: [], trained: sc.paramCount() });

        // the best on the held-out drawings (a tie: the first, the cheapest) classifies new drawings
        let best = runs[0];
        for (const r of runs) if (r.accuracy > best.accuracy) best = r;
        const bytes = best.model.save('');
        return {
          ...base,
          claims: claims(s, sets, runs),
          runs: runs.map(strip),
          best: best.key,
          model: bytes,
          features: runs[0].features,
          seconds: (Date.now() - t0) / 1000,
        };
      } finally {
        for (const m of made) m.delete();
        if (sets.trainDs) sets.trainDs.delete();
        if (sets.heldDs) sets.heldDs.delete();
        shipped.delete();
      }
    },
  });

  if (typeof module !== 'undefined' && module.exports)
    module.exports = { split, exportIdx, checkInput, DEMOS, METHODS };
})(typeof self !== 'undefined' ? self : globalThis);
