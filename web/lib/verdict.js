// Honest answers: the calibration of a model's probabilities and the verdict on one input —
// "digit" (the top class is the answer), "unsure" (a digit, perhaps, but the model cannot tell
// which) or "not-a-digit". One module for the worker (which fits the statistics), the app and the
// widget (which show the verdict) and the Node test (tests/js/verdict.test.js, which measures it).
//
// Calibration (temperature scaling, Guo et al. 2017): the calibrated probabilities are
// softmax(z / T) with z the logits; since log p = z − logsumexp(z), softmax(log p / T) is the same
// thing, so the ten probabilities the engine returns are enough. T is the value that minimizes the
// negative log-likelihood on held-out images; the expected calibration error (ECE, 15 equal-width
// confidence bins) is Σ_b (n_b / n) · |accuracy_b − confidence_b|.
//
// The verdict combines three measured signals:
// 1. the input's own statistics, from the 28×28 image the digitizer made (web/lib/digitize.js):
//    several separate pieces of ink, more than two closed holes, a shape much wider than tall
//    (digitize scales the larger side to 20 px, so a digit is 20 px tall), a filled blob (a dot);
// 2. how far the model's features (the input of its last dense layer) lie from the digits it saw:
//    the Mahalanobis distance to the nearest class mean, with one covariance shared by the classes
//    (Lee et al. 2018), fitted on held-out digits; the limit is a quantile of their distances;
// 3. the calibrated confidence: below UNSURE_P the answer is "unsure".
// The limits were chosen on the "tune" half of the committed stroke sets (tests/fixtures/strokes/,
// scripts/make-strokes.js) and MNIST; tests/js/verdict.test.js reports them on the "test" half.
// The calibration is written as steps (generators that yield between small pieces of work: a batch
// of images, one temperature tried, a few rows of the covariance): `calibrate` runs them in one go,
// the worker runs `calibrateSteps` in slices between which it answers other requests.
// Defines self.CnnVerdict (or module.exports under Node).
/* global module */
(function (root) {
  'use strict';

  const LIMITS = Object.freeze({
    unsureP: 0.7, // calibrated top probability below this: "unsure"
    distanceQuantile: 0.99, // the distance limit: this quantile of the held-out digits' distances…
    distanceFactor: 1.15, // …times this (1.0 flagged 2.3 % of held-out MNIST digits drawn in the page)
    blobFill: 0.7, // a dot: the ink fills more than this share of its box…
    blobInk: 200, // …and there is more than this much ink (sum of the 784 values)
    pieces: 3, // this many separate pieces of ink (each ≥ 4 pixels) or more (MNIST has broken 2-piece strokes)
    ends: 6, // this many stroke ends or more (a # has 8; of MNIST test digits 1–2,000 none has more than 5)
    holes: 3, // this many closed holes or more
    minHeight: 10, // the ink's box is less tall than this (px of 28)
    shrink: 1e-3, // the covariance's ridge: this × its mean variance
  });
  const BINS = 15;

  // ---- calibration ------------------------------------------------------------------------------
  const LOG_FLOOR = -80; // log of a probability that underflowed in float32

  function logProbs(probs, k) {
    const out = new Float64Array(k);
    for (let j = 0; j < k; j++) out[j] = probs[j] > 0 ? Math.max(LOG_FLOOR, Math.log(probs[j])) : LOG_FLOOR;
    return out;
  }

  // The probabilities at temperature T from probabilities at T = 1 (Float32Array or array of k).
  function temper(probs, T = 1) {
    const k = probs.length;
    const z = logProbs(probs, k);
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, z[j] / T);
    let sum = 0;
    const out = new Float64Array(k);
    for (let j = 0; j < k; j++) sum += out[j] = Math.exp(z[j] / T - max);
    for (let j = 0; j < k; j++) out[j] /= sum;
    return out;
  }

  // Mean negative log-likelihood of `labels` under probabilities (n × k, flat) at temperature T.
  function nll(probs, labels, k, T = 1) {
    let total = 0;
    const n = labels.length;
    for (let i = 0; i < n; i++) {
      const p = temper(probs.subarray(i * k, (i + 1) * k), T);
      total -= Math.log(Math.max(1e-300, p[labels[i]]));
    }
    return total / n;
  }

  // Runs steps (a generator of the calibration's, below) to their end in one go: their result.
  function run(steps) {
    for (;;) {
      const s = steps.next();
      if (s.done) return s.value;
    }
  }

  // T in [0.05, 20] minimizing the NLL: golden-section search on log T (the NLL is unimodal in T).
  function fitTemperature(probs, labels, k) {
    return run(fitTemperatureSteps(probs, labels, k));
  }

  function* fitTemperatureSteps(probs, labels, k) {
    let a = Math.log(0.05),
      b = Math.log(20);
    const g = (Math.sqrt(5) - 1) / 2;
    let c = b - g * (b - a),
      d = a + g * (b - a);
    let fc = nll(probs, labels, k, Math.exp(c));
    yield;
    let fd = nll(probs, labels, k, Math.exp(d));
    for (let it = 0; it < 40; it++) {
      yield;
      if (fc < fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - g * (b - a);
        fc = nll(probs, labels, k, Math.exp(c));
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + g * (b - a);
        fd = nll(probs, labels, k, Math.exp(d));
      }
    }
    return Math.exp((a + b) / 2);
  }

  // The reliability diagram's bins and the ECE: {ece, bins: [{lo, hi, count, confidence, accuracy}]}.
  function reliability(probs, labels, k, T = 1, nbins = BINS) {
    const bins = Array.from({ length: nbins }, (_, b) => ({
      lo: b / nbins,
      hi: (b + 1) / nbins,
      count: 0,
      confidence: 0,
      accuracy: 0,
    }));
    const n = labels.length;
    let right = 0;
    for (let i = 0; i < n; i++) {
      const p = temper(probs.subarray(i * k, (i + 1) * k), T);
      let top = 0;
      for (let j = 1; j < k; j++) if (p[j] > p[top]) top = j;
      const bin = bins[Math.min(nbins - 1, Math.floor(p[top] * nbins))];
      bin.count++;
      bin.confidence += p[top];
      bin.accuracy += top === labels[i] ? 1 : 0;
      right += top === labels[i] ? 1 : 0;
    }
    let ece = 0;
    for (const bin of bins) {
      if (!bin.count) continue;
      ece += Math.abs(bin.accuracy - bin.confidence) / n;
      bin.confidence /= bin.count;
      bin.accuracy /= bin.count;
    }
    return { ece, accuracy: right / Math.max(1, n), count: n, bins };
  }

  // ---- the distance of features to the digits seen --------------------------------------------
  // features: n × D (flat), labels: n. Class means, one covariance shared by the classes (with a
  // little ridge so that it inverts), its Cholesky factor, and the limit: a quantile of held-out
  // digits' distances. Returns null when there is too little data for D.
  function fitReference(features, labels, k, D) {
    return run(fitReferenceSteps(features, labels, k, D));
  }

  // (a step: about ROW_WORK multiply-adds, a few images of the covariance or rows of its factor)
  const ROW_WORK = 1 << 20;

  function* fitReferenceSteps(features, labels, k, D) {
    // The means and the covariance from the first 80 % of the images, the limit from the other 20 %
    // (distances of the images the covariance was fitted on are smaller than new digits' distances).
    const all = labels.length;
    const n = Math.floor(0.8 * all);
    if (n < 2 * D || n < 10 * k || all - n < 50) return null;
    const means = Array.from({ length: k }, () => new Float64Array(D));
    const counts = new Array(k).fill(0);
    for (let i = 0; i < n; i++) {
      counts[labels[i]]++;
      const m = means[labels[i]];
      for (let d = 0; d < D; d++) m[d] += features[i * D + d];
    }
    means.forEach((m, c) => {
      for (let d = 0; d < D; d++) m[d] /= Math.max(1, counts[c]);
    });
    const S = new Float64Array(D * D);
    const diff = new Float64Array(D);
    const every = Math.max(1, Math.floor(ROW_WORK / (D * D)));
    for (let i = 0; i < n; i++) {
      if (i % every === every - 1) yield;
      const m = means[labels[i]];
      for (let d = 0; d < D; d++) diff[d] = features[i * D + d] - m[d];
      for (let a = 0; a < D; a++) {
        const da = diff[a];
        if (da === 0) continue;
        const row = a * D;
        for (let b = 0; b <= a; b++) S[row + b] += da * diff[b];
      }
    }
    let trace = 0;
    for (let a = 0; a < D; a++) trace += S[a * D + a];
    const ridge = (LIMITS.shrink * trace) / n / D + 1e-9; // shrinks the covariance toward a sphere
    for (let a = 0; a < D; a++) for (let b = 0; b <= a; b++) S[a * D + b] /= n;
    for (let a = 0; a < D; a++) S[a * D + a] += ridge;
    const L = new Float64Array(D * D); // lower triangle, S = L Lᵀ
    for (let i = 0, work = 0; i < D; i++) {
      if ((work += (i * i) / 2) > ROW_WORK) {
        work = 0;
        yield;
      }
      for (let j = 0; j <= i; j++) {
        let s = S[i * D + j];
        for (let q = 0; q < j; q++) s -= L[i * D + q] * L[j * D + q];
        L[i * D + j] = i === j ? Math.sqrt(Math.max(s, ridge)) : s / L[j * D + j];
      }
    }
    const ref = { k, D, means: means.map((m) => Array.from(m)), chol: L, counts, limit: 0 };
    const dist = [];
    const per = Math.max(1, Math.floor(ROW_WORK / (k * D * D)));
    for (let i = n; i < all; i++) {
      if ((i - n) % per === per - 1) yield;
      dist.push(distance(ref, features.subarray(i * D, (i + 1) * D)));
    }
    dist.sort((a, b) => a - b);
    ref.quantile = dist[Math.min(dist.length - 1, Math.floor(LIMITS.distanceQuantile * dist.length))];
    ref.limit = ref.quantile * LIMITS.distanceFactor;
    return ref;
  }

  // The squared Mahalanobis distance of one feature vector to the nearest class mean.
  function distance(ref, f) {
    const { D, chol: L } = ref;
    const v = new Float64Array(D);
    let best = Infinity;
    for (const m of ref.means) {
      let q = 0;
      for (let i = 0; i < D; i++) {
        let s = f[i] - m[i];
        const row = i * D;
        for (let j = 0; j < i; j++) s -= L[row + j] * v[j];
        v[i] = s / L[row + i];
        q += v[i] * v[i];
      }
      if (q < best) best = q;
    }
    return best;
  }

  // ---- measuring a model (an engine Model: predict, activation, layerInfo) ----------------------
  const MAX_FEATURES = 1024; // a wider feature layer gets no distance (its covariance is too big)

  // The layer whose output the classifier (the last dense layer) reads: the model's features.
  function featureLayer(model) {
    const layers = JSON.parse(model.layerInfo());
    let last = layers[layers.length - 1];
    if (last.type === 'softmax' && last.inputs && last.inputs.length)
      last = layers.find((l) => l.name === last.inputs[0]) || last;
    return last.inputs && last.inputs.length === 1 ? last.inputs[0] : null;
  }

  // Probabilities (n × k) and features (n × D, or null) of n images; get(i) → the image's floats.
  // (A batch of 25 costs per image what a batch of 100 does, and is a step of ~20 ms for the shipped
  // model on one thread.)
  function measure(model, get, n, { batch = 25 } = {}) {
    return run(measureSteps(model, get, n, { batch }));
  }

  // One step per batch, after its features were read (predict and activation are one step: another
  // request's predict in between would replace the activations).
  function* measureSteps(model, get, n, { batch = 25 } = {}) {
    const layer = featureLayer(model);
    let probs = null,
      features = null,
      k = 0,
      D = 0,
      size = 0;
    for (let s = 0; s < n; s += batch) {
      const b = Math.min(batch, n - s);
      let input = null;
      for (let i = 0; i < b; i++) {
        const img = get(s + i);
        if (!input) input = new Float32Array(batch * (size = img.length));
        input.set(img, i * size);
      }
      const p = model.predict(b === batch ? input : input.subarray(0, b * size), b);
      if (!probs) probs = new Float32Array(n * (k = p.length / b));
      probs.set(p, s * k);
      if (layer) {
        const a = model.activation(layer).data;
        if (!features) {
          D = a.length / b;
          if (D <= MAX_FEATURES) features = new Float32Array(n * D);
        }
        if (features) features.set(a, s * D);
      }
      yield;
    }
    return { probs, features, k, D: features ? D : 0, layer: features ? layer : null };
  }

  // Temperature scaling and the features' reference, fitted on `fit` ({get, labels, n}); the
  // reliability before and after is measured on `held` (other images). Plain data out (the
  // reference's Cholesky factor stays a Float64Array).
  function calibrate(model, fit, held) {
    return run(calibrateSteps(model, fit, held));
  }

  // The same as steps: every yield is a point where the caller may answer other requests (the model
  // is used only between two yields, so a caller that stops at a yield leaves nothing half done).
  function* calibrateSteps(model, fit, held) {
    const f = yield* measureSteps(model, fit.get, fit.n);
    const T = yield* fitTemperatureSteps(f.probs, fit.labels, f.k);
    const h = yield* measureSteps(model, held.get, held.n);
    const reference = f.features ? yield* fitReferenceSteps(f.features, fit.labels, f.k, f.D) : null;
    const before = reliability(h.probs, held.labels, h.k, 1);
    const after = reliability(h.probs, held.labels, h.k, T);
    yield;
    const nllBefore = nll(h.probs, held.labels, h.k, 1);
    const nllAfter = nll(h.probs, held.labels, h.k, T);
    return {
      T,
      before,
      after,
      nllBefore,
      nllAfter,
      fitCount: fit.n,
      heldCount: held.n,
      layer: reference ? f.layer : null,
      reference,
    };
  }

  // The distance of one input's features, right after model.predict of that input (null without a reference).
  function lastDistance(model, reference, layer) {
    if (!reference || !layer) return null;
    return distance(reference, model.activation(layer).data);
  }

  // ---- the input's statistics -----------------------------------------------------------------
  // From the 28×28 input (values in [0, 1]): ink (sum), pieces (8-connected groups of pixels > 0.35
  // with ≥ 4 pixels), holes (4-connected background groups of ≥ 2 pixels not touching the border),
  // the ink's box (width, height) and fill (share of the box's pixels that are ink).
  // The stroke ends of the ink `on` (0/1, size × size): thinned to one-pixel lines (Zhang and Suen
  // 1984), then the pixels with exactly one neighbour. A digit has at most five (a crossed 7, a 4
  // with a tail), a # eight, a star five to ten.
  function strokeEnds(on, size) {
    const g = Uint8Array.from(on);
    const at = (x, y) => (x < 0 || y < 0 || x >= size || y >= size ? 0 : g[y * size + x]);
    const ring = (x, y) => [
      at(x, y - 1),
      at(x + 1, y - 1),
      at(x + 1, y),
      at(x + 1, y + 1),
      at(x, y + 1),
      at(x - 1, y + 1),
      at(x - 1, y),
      at(x - 1, y - 1),
    ];
    for (let changed = true; changed;) {
      changed = false;
      for (const pass of [0, 1]) {
        const drop = [];
        for (let y = 0; y < size; y++)
          for (let x = 0; x < size; x++) {
            if (!g[y * size + x]) continue;
            const p = ring(x, y);
            const b = p.reduce((a, v) => a + v, 0);
            let a = 0;
            for (let i = 0; i < 8; i++) if (!p[i] && p[(i + 1) % 8]) a++;
            if (b < 2 || b > 6 || a !== 1) continue;
            if (pass === 0 ? p[0] * p[2] * p[4] || p[2] * p[4] * p[6] : p[0] * p[2] * p[6] || p[0] * p[4] * p[6])
              continue;
            drop.push(y * size + x);
          }
        for (const i of drop) g[i] = 0;
        if (drop.length) changed = true;
      }
    }
    let ends = 0;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) if (g[y * size + x] && ring(x, y).reduce((a, v) => a + v, 0) === 1) ends++;
    return ends;
  }

  function inputStats(img, size = 28) {
    const n = size * size;
    let ink = 0;
    for (let i = 0; i < n; i++) ink += img[i];
    const on = new Uint8Array(n);
    for (let i = 0; i < n; i++) on[i] = img[i] > 0.35 ? 1 : 0;
    const seen = new Uint8Array(n);
    const flood = (start, isMember, nbrs) => {
      const stack = [start];
      seen[start] = 1;
      let count = 0,
        border = false;
      while (stack.length) {
        const p = stack.pop();
        count++;
        const x = p % size,
          y = (p - x) / size;
        if (x === 0 || y === 0 || x === size - 1 || y === size - 1) border = true;
        for (const [dx, dy] of nbrs) {
          const xx = x + dx,
            yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= size || yy >= size) continue;
          const q = yy * size + xx;
          if (!seen[q] && isMember(q)) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
      return { count, border };
    };
    const N8 = [];
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (dx || dy) N8.push([dx, dy]);
    const N4 = [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ];
    let pieces = 0,
      holes = 0,
      count = 0,
      x0 = size,
      y0 = size,
      x1 = -1,
      y1 = -1;
    for (let i = 0; i < n; i++) {
      if (!on[i]) continue;
      count++;
      const x = i % size,
        y = (i - x) / size;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
      if (!seen[i] && flood(i, (q) => on[q] === 1, N8).count >= 4) pieces++;
    }
    for (let i = 0; i < n; i++) {
      if (on[i] || seen[i]) continue;
      const r = flood(i, (q) => on[q] === 0, N4);
      if (!r.border && r.count >= 2) holes++;
    }
    const width = x1 >= 0 ? x1 - x0 + 1 : 0,
      height = y1 >= 0 ? y1 - y0 + 1 : 0;
    return {
      ink,
      pieces,
      holes,
      ends: strokeEnds(on, size),
      width,
      height,
      fill: width ? count / (width * height) : 0,
    };
  }

  // ---- the verdict ----------------------------------------------------------------------------
  const WORDS = {
    digit: (label, p) => `${(100 * p).toFixed(1)} % sure`,
    unsure: (label) => `Not sure — perhaps ${label}`,
    'not-a-digit': () => 'That does not look like a digit',
  };
  const REASONS = {
    empty: 'nothing drawn',
    blob: 'a filled blob, like a dot',
    pieces: 'several separate pieces',
    holes: 'more closed loops than a digit has',
    ends: 'more stroke ends than a digit has, like a # or a star',
    flat: 'much wider than tall',
    distance: 'unlike every digit the network has seen',
    confidence: 'the network hesitates between classes',
  };

  // judge({probs, image, distance, calibration: {T, reference: {limit}}}) →
  //   {verdict, top, confidence (calibrated), probs (calibrated), reason, stats, distance}
  // `distance` (from the worker) and `calibration` may be missing: the other signals still work.
  function judge({ probs, image, distance: dist = null, calibration = null, limits = LIMITS }) {
    const T = calibration && calibration.T > 0 ? calibration.T : 1;
    const p = temper(probs, T);
    let top = 0;
    for (let j = 1; j < p.length; j++) if (p[j] > p[top]) top = j;
    const out = { verdict: 'digit', top, confidence: p[top], probs: p, reason: '', stats: null, distance: dist };
    let reason = '';
    if (image && image.length === 784) {
      const s = (out.stats = inputStats(image));
      if (s.ink <= 0) reason = 'empty';
      else if (s.fill > limits.blobFill && s.ink > limits.blobInk) reason = 'blob';
      else if (s.pieces >= limits.pieces) reason = 'pieces';
      else if (s.holes >= limits.holes) reason = 'holes';
      else if (s.ends >= limits.ends) reason = 'ends';
      else if (s.height < limits.minHeight) reason = 'flat';
    }
    const limit = calibration && calibration.reference ? calibration.reference.limit : 0;
    if (!reason && dist !== null && limit > 0 && dist > limit) reason = 'distance';
    if (reason) {
      out.verdict = 'not-a-digit';
    } else if (p[top] < limits.unsureP) {
      out.verdict = 'unsure';
      reason = 'confidence';
    }
    out.reason = reason;
    return out;
  }

  // The verdict on an engine answer ({probs, distance, calibration: {T, limit}} from the worker's
  // judge, or bare probabilities): the input statistics and the distance only for a model of the ten
  // digits (`labels` '0'…'9' or none); other class names get the calibrated confidence alone.
  function judgeAnswer(answer, image, labels = null) {
    const probs = answer && answer.probs ? answer.probs : answer;
    const c = answer && answer.probs ? answer.calibration : null;
    const digits = probs.length === 10 && (!labels || labels.every((l, i) => String(l) === String(i)));
    return judge({
      probs,
      image: digits ? image : null,
      distance: digits && answer && answer.probs ? answer.distance : null,
      calibration: c ? { T: c.T, reference: { limit: c.limit } } : null,
    });
  }

  // The verdict in plain words: {headline, detail}.
  function words(v, labels) {
    const label = (labels && labels[v.top]) ?? String(v.top);
    return {
      headline: WORDS[v.verdict](label, v.confidence),
      detail: v.reason ? REASONS[v.reason] : '',
    };
  }

  const api = {
    LIMITS,
    BINS,
    temper,
    nll,
    fitTemperature,
    reliability,
    fitReference,
    distance,
    featureLayer,
    measure,
    calibrate,
    calibrateSteps,
    lastDistance,
    inputStats,
    judge,
    judgeAnswer,
    words,
  };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.CnnVerdict = api;
})(typeof self !== 'undefined' ? self : globalThis);
