// Lab experiment "calibration": the notes' confidence on the engine. A small net learns a subset of
// MNIST; the page's own calibration (lib/verdict.js calibrateSteps: the temperature T fitted on
// held-out images by minimizing the cross-entropy, the reliability diagrams and the expected
// calibration error before and after, measured on test images) runs on it. Then the model is shown
// things that are not digits, generated here with CnnLab.rng and drawn as on the Draw pad
// (web/lib/strokes.js: the pad's field and round brush, then its digitization): dots, flat lines,
// scribbles, a #, random noise, a blank field; its confidence on them, at T = 1 and after
// temperature scaling, and what the page's verdict (lib/verdict.js judge: the input's shape and the
// distance of the model's features from the digits it saw) says. Runs in the worker (see lab.js).
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);
  const V = root.CnnVerdict || (typeof require === 'function' ? require('../verdict.js') : null);
  const S = root.CnnStrokes || (typeof require === 'function' ? require('../strokes.js') : null);

  const BATCH = 50;
  const MOMENTUM = 0.9;
  const STEP_MS = 30; // calibration work between two ticks
  const SURE = 0.9; // "sure": a top probability above this
  const SHOW = 4; // thumbnails of each kind sent to the page

  const NETS = {
    small: {
      label: 'conv 5×5, 8 filters; max-pool; dense 10 (faster)',
      layers: [
        { type: 'conv2d', name: 'conv1', filters: 8, kernel: 5, pad: 2 },
        { type: 'relu', name: 'relu1' },
        { type: 'maxpool2d', name: 'pool1', size: 2 },
        { type: 'dense', name: 'fc', units: 10 },
      ],
    },
    convnetjs: {
      label: 'the ConvNetJS net: conv 5×5×8, pool, conv 5×5×16, pool, dense 10',
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

  // ---- non-digits ----
  const KINDS = [
    { key: 'dot', label: 'a dot' },
    { key: 'line', label: 'a flat line' },
    { key: 'scribble', label: 'a scribble' },
    { key: 'hash', label: 'a # sign' },
    { key: 'noise', label: 'random noise' },
    { key: 'blank', label: 'a blank field' },
  ];

  // One non-digit of `kind` as the model's 28×28 input (Float32Array, values in [0, 1]): strokes
  // on the Draw pad (lib/strokes.js: its PAD×PAD field, pointer sampling and round brush, the
  // brush's width as letterSet draws letters), digitized as the pad's drawings are.
  function nonDigit(kind, r) {
    const between = (a, b) => a + (b - a) * r();
    if (kind === 'blank') return new Float32Array(784);
    if (kind === 'noise') {
      // random pixels in the digits' 20×20 box (not drawn: digitize would average them to grey)
      const img = new Float32Array(784);
      const density = between(0.15, 0.5);
      for (let y = 4; y < 24; y++) for (let x = 4; x < 24; x++) if (r() < density) img[y * 28 + x] = between(0.3, 1);
      return img;
    }
    const P = S.PAD;
    const c = P / 2;
    const width = r() < 0.6 ? 21 : between(12, 30); // the pad's mouse brush is 21 px
    let strokes;
    if (kind === 'dot') strokes = [[[between(0.3 * P, 0.7 * P), between(0.3 * P, 0.7 * P)]]];
    else if (kind === 'line') {
      // within 35° of the horizontal: a steep line would be a fair "1"
      const a = between(-35, 35) * (Math.PI / 180),
        len = between(0.27 * P, 0.45 * P);
      strokes = [
        [
          [c - len * Math.cos(a), c - len * Math.sin(a)],
          [c + len * Math.cos(a), c + len * Math.sin(a)],
        ],
      ];
    } else if (kind === 'scribble') {
      const pts = [[between(0.18 * P, 0.82 * P), between(0.18 * P, 0.82 * P)]];
      const n = 6 + Math.floor(r() * 10);
      for (let i = 0; i < n; i++) pts.push([between(0.1 * P, 0.9 * P), between(0.1 * P, 0.9 * P)]);
      strokes = [pts];
    } else if (kind === 'hash') {
      const j = () => between(-0.05 * P, 0.05 * P);
      const lo = 0.18 * P,
        hi = 0.82 * P;
      strokes = [];
      for (const o of [-0.13 * P, 0.13 * P])
        strokes.push(
          [
            [lo + j(), c + o + j()],
            [hi + j(), c + o + j()],
          ],
          [
            [c + o + j(), lo + j()],
            [c + o + j(), hi + j()],
          ],
        );
    }
    return Float32Array.from(S.imageBytes(strokes.map(S.resample), width), (v) => v / 255);
  }

  // ---- the run ----------------------------------------------------------------------------------
  // Runs a generator of lib/verdict.js to its end, ticking every STEP_MS (Stop works meanwhile).
  async function drive(ctx, steps) {
    let t = Date.now();
    for (;;) {
      const s = steps.next();
      if (s.done) return s.value;
      if (Date.now() - t >= STEP_MS) {
        await ctx.tick();
        t = Date.now();
      }
    }
  }

  const top2 = (p) => {
    let a = 0,
      b = -1;
    for (let j = 1; j < p.length; j++) if (p[j] > p[a]) a = j;
    for (let j = 0; j < p.length; j++) if (j !== a && (b < 0 || p[j] > p[b])) b = j;
    return [a, b];
  };

  // The model's answers on the non-digits: per kind {count, sure, sureAfter, mean, items}.
  async function askNonDigits(ctx, model, s, cal) {
    const r = L.rng(s.seed * 7919 + 17);
    const kinds = [];
    for (const k of KINDS) {
      const count = k.key === 'blank' ? 1 : s.nondigits; // every blank field is the same input
      const items = [];
      for (let i = 0; i < count; i++) {
        const image = nonDigit(k.key, r);
        const probs = model.predict(image, 1);
        const distance = V.lastDistance(model, cal.reference); // right after this input's predict
        const v = V.judge({ probs, image, distance, calibration: { T: cal.T, reference: cal.reference } });
        const [a, b] = top2(probs);
        const lead = Math.log(Math.max(probs[a], 1e-45)) - Math.log(Math.max(probs[b], 1e-45));
        items.push({
          top: a,
          p: probs[a],
          pAfter: v.confidence,
          lead, // the top logit minus the runner-up's: log p_a − log p_b
          probs: Array.from(probs),
          second: b,
          verdict: v.verdict,
          reason: v.reason,
          pixels: Array.from(image, (x) => Math.round(x * 255)),
        });
        if (i % 10 === 9) await ctx.tick();
      }
      const sure = items.filter((x) => x.p > SURE).length;
      const sureAfter = items.filter((x) => x.pAfter > SURE).length;
      // the most confident first (what the view shows)
      const shown = items.slice().sort((x, y) => y.p - x.p);
      kinds.push({
        key: k.key,
        label: k.label,
        count,
        sure,
        sureAfter,
        flagged: items.filter((x) => x.verdict === 'not-a-digit').length,
        mean: items.reduce((t, x) => t + x.p, 0) / count,
        max: shown[0],
        items: shown.slice(0, SHOW),
      });
    }
    return kinds;
  }

  const pct = (x, d = 1) => `${(100 * x).toFixed(d)} %`;

  function claims(s, r) {
    const out = [];
    const { before, after, T } = r.calibration;
    out.push(
      L.claim(
        'ece',
        `Temperature scaling lowers the expected calibration error on ${r.calibration.heldCount} test images from ${pct(before.ece, 2)} to ${pct(after.ece, 2)}, with T = ${T.toFixed(2)} fitted on ${r.calibration.fitCount} other held-out images (the accuracy stays ${pct(before.accuracy, 2)}: dividing every logit by T keeps their order).`,
        after.ece - before.ece,
        after.ece < before.ece,
      ),
    );
    const conf = before.bins.reduce((t, b) => t + b.count * b.confidence, 0) / Math.max(1, before.count);
    out.push(
      L.claim(
        'overconfident',
        T > 1
          ? `Before scaling the model is over-confident: its mean confidence on the test images is ${pct(conf, 2)} while it is right on ${pct(before.accuracy, 2)}; T = ${T.toFixed(2)} > 1 softens its probabilities.`
          : `Here the model is not over-confident: its mean confidence is ${pct(conf, 2)} and it is right on ${pct(before.accuracy, 2)}; T = ${T.toFixed(2)} ≤ 1 sharpens its probabilities (longer training makes nets over-confident).`,
        T,
        T > 1,
      ),
    );
    const nd = r.kinds.filter((k) => k.key !== 'blank');
    const n = nd.reduce((t, k) => t + k.count, 0);
    const sure = nd.reduce((t, k) => t + k.sure, 0);
    const sureAfter = nd.reduce((t, k) => t + k.sureAfter, 0);
    const byKind = nd.map((k) => `${k.label.replace(/^an? /, '')}s ${k.sure}/${k.count}`).join(', ');
    const meanTop = nd.reduce((t, k) => t + k.mean * k.count, 0) / n;
    out.push(
      L.claim(
        'nondigits',
        `On the ${n} non-digits the model's top probability is ${pct(meanTop)} on average — not the 10 % of "none of these ten" (all ten equal): it puts more on one digit than on the nine others together (over 50 %). It is more than ${pct(SURE, 0)} sure of a digit on ${sure} of them (${pct(sure / n)}; ${byKind.replace('random noises', 'noise')}); after temperature scaling on ${sureAfter} (${pct(sureAfter / n)}).`,
        meanTop,
        meanTop > 0.5,
      ),
    );
    let most = null;
    for (const k of r.kinds) if (!most || k.max.p > most.item.p) most = { kind: k, item: k.max };
    const m = most.item;
    out.push(
      L.claim(
        'softmax',
        `Its surest non-digit, ${most.kind.label}, is "${m.top}" with ${pct(m.p, 2)}: its score for ${m.top} is ${m.lead.toFixed(1)} above the next one's (${m.second}), and softmax makes a lead of d about e^d times as probable (e^${m.lead.toFixed(1)} ≈ ${Number(Math.exp(m.lead).toPrecision(3)).toLocaleString('en-US')}). The ten probabilities always add up to 1 — there is no "none of these" — so a high probability says which score won, not that the input is a digit.`,
        m.p,
        m.p >= 0.99,
      ),
    );
    const flagged = r.kinds.reduce((t, k) => t + k.flagged, 0);
    const all = r.kinds.reduce((t, k) => t + k.count, 0);
    out.push(
      L.claim(
        'verdict',
        `The page's verdict, which looks at the input's shape${r.calibration.layer ? " and at how far the model's features lie from the digits it saw" : " (this net's features are too wide for the distance: the shape alone)"}, not at the confidence alone, calls ${flagged} of these ${all} inputs "not a digit"${r.digitsFlagged !== null ? ` (and ${r.digitsFlagged.flagged} of ${r.digitsFlagged.count} test digits)` : ''}.`,
        flagged / all,
        flagged / all > 0.5,
      ),
    );
    return out;
  }

  L.define({
    id: 'calibration',
    title: 'Calibration and confidence',
    topic:
      'Softmax classifier (scores as probabilities); evaluation: can the confidence be trusted (calibration, temperature scaling)',
    intro: [
      'A classifier with softmax gives ten probabilities that add up to 1. Is "90 % sure" right 90 % of the time? Press Run: the ConvNetJS demo net learns 5,000 MNIST training images for 5 epochs; then, as the app does for every model, the temperature T that makes its probabilities most honest is fitted on 2,000 other training images it never saw (softmax of the scores divided by T), and its reliability is measured on 5,000 test images before and after: the reliability diagram and the expected calibration error (ECE).',
      "Then the model is shown things that are not digits, drawn here like a pen on the pad and digitized as the Draw card does: dots, flat lines, scribbles, # signs, random noise and a blank field. It has only ten answers and softmax has no \"none of these\", so it picks a digit — often with high confidence. The page's verdict answers this with other measurements (the input's shape, and how far the model's features are from the digits it learned). About 20 to 30 s at these settings (measured on a busy 2-core machine).",
    ],
    settings: [
      {
        key: 'model',
        label: 'Net',
        type: 'select',
        default: 'convnetjs',
        options: Object.entries(NETS).map(([k, v]) => [k, v.label]),
        help: "the net that learns (the small one's features are too wide for the verdict's distance)",
      },
      {
        key: 'train',
        label: 'Training images',
        type: 'int',
        default: 5000,
        min: 200,
        max: 50000,
        help: 'MNIST training images it learns',
      },
      {
        key: 'epochs',
        label: 'Epochs',
        type: 'int',
        default: 5,
        min: 1,
        max: 50,
        help: 'more epochs, a more over-confident model',
      },
      {
        key: 'validation',
        label: 'Calibration images',
        type: 'int',
        default: 2000,
        min: 250,
        max: 10000,
        help: 'other training images, never learned: T is fitted on them',
      },
      {
        key: 'test',
        label: 'Test images',
        type: 'int',
        default: 5000,
        min: 100,
        max: 10000,
        help: 'the first MNIST test images: the reliability is measured on them',
      },
      {
        key: 'nondigits',
        label: 'Non-digits of each kind',
        type: 'int',
        default: 20,
        min: 1,
        max: 200,
        help: 'how many dots, lines, scribbles, # signs and noise fields (one blank field)',
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
        help: 'the subsets, the weights, the batches and the non-digits',
      },
    ],
    needs: ['train', 'test'],

    async run(ctx, s) {
      const { E } = ctx;
      const t0 = Date.now();
      const test = ctx.data.test;
      if (s.test > test.size())
        throw new L.LabError(`Test images: ${s.test} asked for, the test set has ${test.size()}.`);
      if (s.train + s.validation >= ctx.data.train.size())
        throw new L.LabError(
          `Training images (${s.train}) and calibration images (${s.validation}) must be fewer together than the ${ctx.data.train.size()} training images loaded.`,
        );
      const a = L.subset(ctx.data.train, s.train, s.seed);
      let b = null,
        model = null;
      try {
        b = L.subset(a.rest, s.validation, s.seed + 1);
        b.rest.delete();
        ctx.update({ status: `Training the net on ${s.train} images for ${s.epochs} epochs…` });
        model = new E.Model(
          JSON.stringify({
            name: 'calibration',
            input: test.shape(),
            init: 'kaiming',
            seed: s.seed,
            layers: NETS[s.model].layers,
          }),
        );
        const steps = Math.ceil(s.train / BATCH) * s.epochs;
        let lastSent = 0;
        const tr = await L.train(ctx, {
          model,
          train: a.part,
          config: {
            epochs: s.epochs,
            batch: BATCH,
            optimizer: { type: 'sgd', lr: s.lr, momentum: MOMENTUM },
            seed: s.seed,
          },
          onSlice: (p) => {
            const now = Date.now();
            if (now - lastSent < 250) return;
            lastSent = now;
            const done = p.iteration / steps;
            const left = done > 0.05 ? ((now - t0) / done) * (1 - done) : null;
            ctx.update({
              status: `Training: ${Math.round(100 * done)} %${left ? `, about ${Math.ceil(left / 1000)} s left` : ''}…`,
            });
          },
        });
        if (tr.status === 'diverged') throw new L.LabError(`Training the net: ${tr.message}`);
        const val = b.part;
        const fit = {
          n: val.size(),
          get: (i) => val.image(i),
          labels: Int32Array.from({ length: val.size() }, (_, i) => val.label(i)),
        };
        const held = {
          n: s.test,
          get: (i) => test.image(i),
          labels: Int32Array.from({ length: s.test }, (_, i) => test.label(i)),
        };
        ctx.update({ status: 'Calibrating: fitting T on the calibration images, measuring on the test images…' });
        const cal = await drive(ctx, V.calibrateSteps(model, fit, held));
        ctx.update({ status: 'Showing the model things that are not digits…' });
        const kinds = await askNonDigits(ctx, model, s, cal);
        // the verdict on test digits, for comparison (the first 500)
        let digitsFlagged = null;
        if (cal.reference) {
          const count = Math.min(500, s.test);
          let flagged = 0;
          for (let i = 0; i < count; i++) {
            const image = test.image(i);
            const probs = model.predict(image, 1);
            const distance = V.lastDistance(model, cal.reference);
            if (V.judge({ probs, image, distance, calibration: cal }).verdict === 'not-a-digit') flagged++;
            if (i % 50 === 49) await ctx.tick();
          }
          digitsFlagged = { flagged, count };
        }
        const calibration = {
          T: cal.T,
          before: cal.before,
          after: cal.after,
          nllBefore: cal.nllBefore,
          nllAfter: cal.nllAfter,
          fitCount: cal.fitCount,
          heldCount: cal.heldCount,
          layer: cal.layer,
          limit: cal.reference ? cal.reference.limit : null,
        };
        const result = { calibration, kinds, digitsFlagged, params: model.paramCount(), sure: SURE };
        return {
          claims: claims(s, result),
          ...result,
          settings: s,
          seconds: (Date.now() - t0) / 1000,
        };
      } finally {
        if (model) model.delete();
        if (b) b.part.delete();
        a.part.delete();
        a.rest.delete();
      }
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
