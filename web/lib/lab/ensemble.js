// Lab experiment "ensemble": the notes' model ensembles and test-time augmentation on the engine.
// Several copies of one small net, each with its own seed (initial weights and batch order), learn
// the same MNIST training subset one after another in the worker; each then classifies the same
// test images, as they are and in the views of test-time augmentation (TTA). The ensemble's
// prediction is the average of the members' softmax probabilities (and, with TTA, of the views'):
//   p(x) = 1 / (M V) · Σ_m Σ_v softmax(f_m(view_v(x)))
// exactly as the engine's native ensembles do (src/train/ensemble.h, ensemble_probabilities; the
// engine's ensemble is not bound to wasm, so the views are applied here: TTA_VIEWS below mirrors its
// tta_views(true), and shift() its exact whole-pixel shift with zero fill, augment.cpp
// transform_image). Runs in the worker (see lab.js).
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);

  const BATCH = 50;
  const MOMENTUM = 0.9;
  const PREDICT_BATCH = 100;
  const SHOW = 12; // thumbnails of each kind sent to the page
  // The notes: "ensembles usually add about 2 %".
  const NOTES_GAIN = 0.02;

  // src/train/ensemble.h tta_views(true): the image and its shifts by one pixel left, right, up and
  // down, as (dx, dy) with +x right, +y down. Keep the two lists the same.
  const TTA_VIEWS = Object.freeze([
    [0, 0],
    [-1, 0],
    [1, 0],
    [0, -1],
    [0, 1],
  ]);

  const NETS = {
    small: {
      label: 'conv 5×5, 8 filters; max-pool; dense 10',
      layers: [
        { type: 'conv2d', name: 'conv1', filters: 8, kernel: 5, pad: 2 },
        { type: 'relu', name: 'relu1' },
        { type: 'maxpool2d', name: 'pool1', size: 2 },
        { type: 'dense', name: 'fc', units: 10 },
      ],
    },
    convnetjs: {
      label: 'the ConvNetJS net: conv 5×5×8, pool, conv 5×5×16, pool, dense 10 (slower)',
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

  // The image `src` (c × h × w floats) shifted by (dx, dy) whole pixels into `dst`, zero fill:
  // dst(y, x) = src(y − dy, x − dx), as transform_image's exact integer shift.
  function shift(src, dst, c, h, w, dx, dy) {
    for (let ch = 0; ch < c; ch++) {
      const o = ch * h * w;
      for (let y = 0; y < h; y++) {
        const yy = y - dy;
        for (let x = 0; x < w; x++) {
          const xx = x - dx;
          dst[o + y * w + x] = yy >= 0 && yy < h && xx >= 0 && xx < w ? src[o + yy * w + xx] : 0;
        }
      }
    }
  }

  // The model's probabilities for the n images of `pixels` (n × size floats) in view (dx, dy):
  // Float32Array(n × k). Yields between batches.
  async function predictView(ctx, model, pixels, n, shape, [dx, dy]) {
    const [c, h, w] = shape;
    const size = c * h * w;
    let out = null,
      k = 0;
    const input = new Float32Array(PREDICT_BATCH * size);
    for (let s = 0; s < n; s += PREDICT_BATCH) {
      const b = Math.min(PREDICT_BATCH, n - s);
      for (let i = 0; i < b; i++) {
        const src = pixels.subarray((s + i) * size, (s + i + 1) * size);
        if (dx === 0 && dy === 0) input.set(src, i * size);
        else shift(src, input.subarray(i * size, (i + 1) * size), c, h, w, dx, dy);
      }
      const p = model.predict(b === PREDICT_BATCH ? input : input.subarray(0, b * size), b);
      if (!out) out = new Float32Array(n * (k = p.length / b));
      out.set(p, s * k);
      await ctx.tick();
    }
    return { probs: out, k };
  }

  const argmax = (p, o, k) => {
    let b = 0;
    for (let j = 1; j < k; j++) if (p[o + j] > p[o + b]) b = j;
    return b;
  };

  // Top classes and the accuracy of probabilities (n × k) against labels.
  function score(probs, labels, k) {
    const n = labels.length;
    const top = new Uint8Array(n);
    let right = 0;
    for (let i = 0; i < n; i++) {
      top[i] = argmax(probs, i * k, k);
      if (top[i] === labels[i]) right++;
    }
    return { top, accuracy: right / n };
  }

  // The mean of several n × k probability arrays.
  function mean(list) {
    const out = new Float64Array(list[0].length);
    for (const p of list) for (let i = 0; i < out.length; i++) out[i] += p[i] / list.length;
    return out;
  }

  const pct = (x) => `${(100 * x).toFixed(1)} %`;
  const pts = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} points`;
  const avg = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

  // Everything the view and the claims need from the members' probabilities.
  function summarize(s, members, labels, pixels, size, k) {
    const n = labels.length;
    const single = members.map((m) => score(m.plain, labels, k));
    const singleTta = members.map((m) => score(m.tta, labels, k));
    const ensProbs = mean(members.map((m) => m.plain));
    const ens = score(ensProbs, labels, k);
    const ensTta = score(mean(members.map((m) => m.tta)), labels, k);
    const M = members.length;
    // per image: how many members get it right; the ensemble right where most members are wrong
    // ("rescued") and wrong where most are right ("lost")
    const rescued = [],
      lost = [];
    let someWrong = 0,
      allWrong = 0;
    for (let i = 0; i < n; i++) {
      let right = 0;
      for (const r of single) if (r.top[i] === labels[i]) right++;
      if (right < M) someWrong++;
      if (right === 0) allWrong++;
      const ok = ens.top[i] === labels[i];
      const entry = () => ({
        index: i,
        label: labels[i],
        predicted: ens.top[i],
        p: ensProbs[i * k + ens.top[i]],
        members: single.map((r) => r.top[i]),
        right,
        pixels: Array.from(pixels.subarray(i * size, (i + 1) * size), (v) => Math.round(v * 255)),
      });
      if (ok && 2 * right < M) rescued.push(entry());
      else if (!ok && 2 * right > M) lost.push(entry());
    }
    const acc = single.map((r) => r.accuracy);
    const accTta = singleTta.map((r) => r.accuracy);
    return {
      count: n,
      members: members.map((m, j) => ({
        seed: m.seed,
        params: m.params,
        seconds: m.seconds,
        loss: m.loss,
        accuracy: acc[j],
        tta: accTta[j],
      })),
      mean: avg(acc),
      best: Math.max(...acc),
      worst: Math.min(...acc),
      meanTta: avg(accTta),
      ensemble: ens.accuracy,
      ensembleTta: ensTta.accuracy,
      someWrong,
      allWrong,
      rescuedCount: rescued.length,
      lostCount: lost.length,
      rescued: rescued.slice(0, SHOW),
      lost: lost.slice(0, SHOW),
    };
  }

  function claims(s, r) {
    const M = r.members.length;
    const out = [];
    const gain = r.ensemble - r.mean;
    out.push(
      L.claim(
        'ensemble',
        `The average of the ${M} models' probabilities gets ${pct(r.ensemble)} of ${r.count} test images right; the models alone get ${pct(r.mean)} on average (from ${pct(r.worst)} to ${pct(r.best)}): the ensemble is ${pts(gain)} over the mean single model and ${pts(r.ensemble - r.best)} over the best one.`,
        gain,
        gain > 0,
      ),
    );
    const errBefore = 1 - r.mean,
      errAfter = 1 - r.ensemble;
    out.push(
      L.claim(
        'notes-gain',
        `The notes say an ensemble usually adds about ${L.num(100 * NOTES_GAIN)} %; here it adds ${pts(gain)} (less than ${L.num(100 * NOTES_GAIN)} points: ${gain < NOTES_GAIN ? 'yes' : 'no'}). A single model already errs on only ${pct(errBefore)} of these digits and an ensemble can only fix what some of its models get wrong: the error falls to ${pct(errAfter)}${errBefore > 0 ? `, ${Math.round((100 * (errBefore - errAfter)) / errBefore)} % fewer errors` : ''}.`,
        gain,
        gain < NOTES_GAIN,
      ),
    );
    const dTta = r.meanTta - r.mean;
    const better = r.members.filter((m) => m.tta > m.accuracy).length;
    out.push(
      L.claim(
        'tta',
        `Test-time augmentation (each image and its shifts by 1 pixel left, right, up and down: ${TTA_VIEWS.length} views, probabilities averaged) changes a single model's accuracy by ${pts(dTta)} on average (${better} of ${M} models gain) and the ensemble's by ${pts(r.ensembleTta - r.ensemble)} (${pct(r.ensemble)} → ${pct(r.ensembleTta)}).`,
        dTta,
        dTta > 0,
      ),
    );
    out.push(
      L.claim(
        'rescued',
        `The ensemble gets ${r.rescuedCount} test image${r.rescuedCount === 1 ? '' : 's'} right that most of its models get wrong, and ${r.lostCount} wrong that most of them get right (${r.someWrong} images are missed by at least one model, ${r.allWrong} by all ${M}: no average can fix those).`,
        r.rescuedCount - r.lostCount,
        r.rescuedCount > r.lostCount,
      ),
    );
    return out;
  }

  L.define({
    id: 'ensemble',
    views: TTA_VIEWS, // (the Node test checks them against src/train/ensemble.cpp)
    title: 'Ensembles and test-time augmentation',
    topic: 'Training: model ensembles (train several independent models, average their results at test time)',
    intro: [
      'The notes: "train multiple independent models; at test time average their results" — "enjoy 2 % extra performance". Press Run: the same small net learns the same 10,000 MNIST training images five times (3 epochs), each time with another seed (other initial weights, another order of the batches). Each model then classifies 5,000 MNIST test images; the ensemble averages the five models\' softmax probabilities and answers with the most probable class.',
      "Test-time augmentation (TTA) asks each model about several views of an image — the image itself and the image shifted by one pixel left, right, up and down — and averages those probabilities too (the engine's own ensembles do exactly this: src/train/ensemble.h). About 30 s at these settings (measured on a busy 2-core machine, with and without threads).",
      'How much an ensemble adds depends on how many images its models get wrong, and differently wrong: below are the test digits the ensemble gets right although most of its models miss them, and the ones it gets wrong although most get them right.',
    ],
    settings: [
      {
        key: 'members',
        label: 'Models',
        type: 'int',
        default: 5,
        min: 2,
        max: 10,
        help: 'how many copies of the net, each with its own seed',
      },
      {
        key: 'model',
        label: 'Net',
        type: 'select',
        default: 'small',
        options: Object.entries(NETS).map(([k, v]) => [k, v.label]),
        help: 'the net every member trains',
      },
      {
        key: 'train',
        label: 'Training images',
        type: 'int',
        default: 10000,
        min: 100,
        max: 30000,
        help: 'the MNIST training images every member learns (the same ones)',
      },
      { key: 'epochs', label: 'Epochs', type: 'int', default: 3, min: 1, max: 30, help: 'passes over them' },
      {
        key: 'test',
        label: 'Test images',
        type: 'int',
        default: 5000,
        min: 100,
        max: 10000,
        help: 'the first MNIST test images, classified by every model',
      },
      {
        key: 'lr',
        label: 'Learning rate',
        type: 'number',
        default: 0.02,
        min: 0.0001,
        max: 1,
        help: 'SGD with momentum 0.9, batches of 50',
      },
      {
        key: 'seed',
        label: 'Seed',
        type: 'int',
        default: 1,
        min: 1,
        max: 1000000,
        help: 'the subset; model m uses seed + m − 1',
      },
    ],
    needs: ['train', 'test'],

    async run(ctx, s) {
      const { E } = ctx;
      const t0 = Date.now();
      const testSet = ctx.data.test;
      if (s.test > testSet.size())
        throw new L.LabError(`Test images: ${s.test} asked for, the test set has ${testSet.size()}.`);
      const shape = testSet.shape();
      const size = shape[0] * shape[1] * shape[2];
      const n = s.test;
      const pixels = new Float32Array(n * size);
      const labels = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        pixels.set(testSet.image(i), i * size);
        labels[i] = testSet.label(i);
      }
      const sample = L.subset(ctx.data.train, s.train, s.seed);
      sample.rest.delete();
      const members = [];
      let k = 0;
      // every partial result is whole (the view draws each one alone): the models finished so far
      let sofar = null;
      const send = (status) => ctx.update({ status, progress: members.length / s.members, result: sofar });
      try {
        for (let m = 0; m < s.members; m++) {
          const seed = s.seed + m;
          const started = Date.now();
          const left = m ? ((Date.now() - t0) / m) * (s.members - m) : null;
          const status = `Training model ${m + 1} of ${s.members} (seed ${seed})…${left ? ` about ${Math.ceil(left / 1000)} s left` : ''}`;
          send(status);
          const model = new E.Model(
            JSON.stringify({
              name: `ensemble-${m + 1}`,
              input: shape,
              init: 'kaiming',
              seed,
              layers: NETS[s.model].layers,
            }),
          );
          try {
            const r = await L.train(ctx, {
              model,
              train: sample.part,
              config: {
                epochs: s.epochs,
                batch: BATCH,
                optimizer: { type: 'sgd', lr: s.lr, momentum: MOMENTUM },
                seed,
              },
            });
            if (r.status === 'diverged') throw new L.LabError(`Model ${m + 1} (seed ${seed}): ${r.message}`);
            send(`Model ${m + 1} of ${s.members}: classifying the test images in ${TTA_VIEWS.length} views…`);
            const views = [];
            for (const v of TTA_VIEWS) {
              const p = await predictView(ctx, model, pixels, n, shape, v);
              k = p.k;
              views.push(p.probs);
            }
            const tail = r.losses.slice(-20);
            members.push({
              seed,
              params: model.paramCount(),
              seconds: (Date.now() - started) / 1000,
              loss: tail.length ? avg(tail) : NaN,
              plain: views[0],
              tta: mean(views),
            });
            sofar = summarize(s, members, labels, pixels, size, k);
          } finally {
            model.delete();
          }
        }
      } finally {
        sample.part.delete();
      }
      const result = summarize(s, members, labels, pixels, size, k);
      return {
        claims: claims(s, result),
        result,
        views: TTA_VIEWS,
        settings: s,
        seconds: (Date.now() - t0) / 1000,
      };
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
