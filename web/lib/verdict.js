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
// The verdict combines four measured signals:
// 1. the input's own statistics, from the 28×28 image the digitizer made (web/lib/digitize.js):
//    several separate pieces of ink, more than two closed holes, a shape much wider than tall
//    (digitize scales the larger side to 20 px, so a digit is 20 px tall), a filled blob (a dot);
// 2. how far the model's features lie from the digits it saw, at two depths (Lee et al. 2018): the
//    input of its last dense layer, and the channel means of the last pooling layer before it; at
//    each, the Mahalanobis distance to the nearest class mean with one covariance shared by the
//    classes, fitted on held-out digits, in units of that layer's 99th percentile of held-out
//    digits' distances; the input's distance is the mean of the two, and the limit a quantile of
//    held-out digits' distances (fitReference);
// 3. the "not a digit" detector: a second, small network (web/models/nondigit.cnn: two conv layers,
//    two dense) trained to tell digits from generated non-digits (scripts/make-nondigit-set.js: the
//    MNIST training digits, 30,000 of them drawn again with the pad's pen, against 90,000 scribbles,
//    shapes and letters of scripts/lib/scribbles.js); the worker runs it on every input of a digit
//    model, and its probability of "not a digit" above `notDigitP` flags the input;
// 4. the calibrated confidence: below UNSURE_P the answer is "unsure".
// The limits were chosen on the "tune" half of the committed stroke sets (tests/fixtures/strokes/,
// scripts/make-strokes.js) and MNIST; tests/js/verdict.test.js reports them on the "test" half.
// Defines self.CnnVerdict (or module.exports under Node).
/* global module */
(function (root) {
  'use strict';

  const LIMITS = Object.freeze({
    unsureP: 0.7, // calibrated top probability below this: "unsure"
    distanceQuantile: 0.99, // the distance limit: this quantile of the held-out digits' distances…
    // …times this: the pad's strokes are not MNIST's pens. Chosen on the tune half and MNIST test
    // images 1,001–5,000: at 1.1 all signals together flag 92.3 % of the tune non-digits, none of the
    // tune digits and 2.9 % of those MNIST digits (at 1.0: 100 %, none, 4.7 %; at 1.15: 86.5 %, none, 2.4 %)
    distanceFactor: 1.1,
    blobFill: 0.7, // a dot: the ink fills more than this share of its box…
    blobInk: 200, // …and there is more than this much ink (sum of the 784 values)
    pieces: 3, // this many separate pieces of ink (each ≥ 4 pixels) or more (MNIST has broken 2-piece strokes)
    ends: 6, // this many stroke ends or more (a # has 8; of MNIST test digits 1–2,000 none has more than 5)
    holes: 3, // this many closed holes or more
    minHeight: 10, // the ink's box is less tall than this (px of 28)
    // the detector's probability of "not a digit" above this: not a digit. Chosen on the tune half and
    // MNIST test images 1,001–5,000: at 0.9, 0.95, 0.98, 0.99, 0.995 it flags 52 of 52 tune non-digits
    // (48 without it), none of the tune digits (the highest: a 0 at 0.86), and of those MNIST digits
    // 17, 9, 4, 1, 0 that nothing else flags
    notDigitP: 0.99,
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

  // (a step of the fits: about ROW_WORK multiply-adds, a few images of a covariance or rows of its factor)
  const ROW_WORK = 1 << 20;

  // ---- the distance of features to the digits seen --------------------------------------------
  // One layer's Gaussian model of the digits: features n × D (flat), labels n; the class means and
  // one covariance shared by the classes (with a little ridge so that it inverts), as its Cholesky
  // factor, from the first `n` images. Returns null when there is too little data for D.
  function* fitGaussianSteps(features, labels, k, D, n) {
    if (n < 2 * D || n < 10 * k) return null;
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
    return { k, D, means: means.map((m) => Array.from(m)), chol: L, counts };
  }

  const quantileOf = (values, q) => {
    const a = Float64Array.from(values).sort();
    return a[Math.min(a.length - 1, Math.floor(q * a.length))];
  };

  // The reference of the digits at one or more layers (parts: [{layer, mean, D, features (n × D)}]):
  // each layer's Gaussian from the first 80 % of the images; on the other 20 % (distances of the
  // images a covariance was fitted on are smaller than new digits' distances) each layer's
  // distances are divided by their `distanceQuantile` (so 1 is as far as the farthest 1 % of
  // held-out digits at that layer), and the input's distance is the mean of these over the layers;
  // the limit is the same quantile of the held-out images' distances times `distanceFactor`.
  // Returns {parts: [{layer, mean, ref, scale}], layer (their names), quantile, limit} or null.
  function fitReference(parts, labels, k) {
    return run(fitReferenceSteps(parts, labels, k));
  }

  function* fitReferenceSteps(parts, labels, k) {
    const all = labels.length;
    const n = Math.floor(0.8 * all);
    if (all - n < 50) return null;
    const fitted = [];
    for (const p of parts) {
      const ref = yield* fitGaussianSteps(p.features, labels, k, p.D, n);
      if (!ref) continue;
      const dist = [];
      const per = Math.max(1, Math.floor(ROW_WORK / (k * p.D * p.D)));
      for (let i = n; i < all; i++) {
        if ((i - n) % per === per - 1) yield;
        dist.push(distance(ref, p.features.subarray(i * p.D, (i + 1) * p.D)));
      }
      fitted.push({ layer: p.layer, mean: p.mean, ref, scale: quantileOf(dist, LIMITS.distanceQuantile), dist });
    }
    if (!fitted.length) return null;
    const combined = [];
    for (let i = 0; i < all - n; i++) {
      let s = 0;
      for (const f of fitted) s += f.dist[i] / f.scale;
      combined.push(s / fitted.length);
    }
    const quantile = quantileOf(combined, LIMITS.distanceQuantile);
    return {
      parts: fitted.map(({ layer, mean, ref, scale }) => ({ layer, mean, ref, scale })),
      layer: fitted.map((f) => (f.mean ? `${f.layer} (channel means)` : f.layer)).join(' and '),
      quantile,
      limit: quantile * LIMITS.distanceFactor,
    };
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
  const POOLS = new Set(['maxpool2d', 'avgpool2d']);

  // The layer whose output the classifier (the last dense layer) reads: the model's features.
  function featureLayer(model, layers = JSON.parse(model.layerInfo())) {
    let last = layers[layers.length - 1];
    if (last.type === 'softmax' && last.inputs && last.inputs.length)
      last = layers.find((l) => l.name === last.inputs[0]) || last;
    return last.inputs && last.inputs.length === 1 ? last.inputs[0] : null;
  }

  // The layers whose features are compared with the digits' (Lee et al. 2018 use every block's):
  // the model's features as they are, and the output of the last pooling layer before them (the
  // end of the block before the last), averaged over each channel's map. Earlier blocks are left
  // out: they see the pen (stroke width, edges), which differs between the pad and MNIST, more than
  // the shape. [{layer, mean}]; a pooling layer that feeds the feature layer directly (so that its
  // channel means are the features again) is skipped.
  function featureLayers(model) {
    const layers = JSON.parse(model.layerInfo());
    const feat = featureLayer(model, layers);
    if (!feat) return [];
    const out = [{ layer: feat, mean: false }];
    const at = layers.findIndex((l) => l.name === feat);
    const feeds = new Set(layers[at].inputs || []);
    for (let i = at - 1; i >= 0; i--) {
      const l = layers[i];
      const spatial = l.shape && l.shape.length === 3 && l.shape[1] * l.shape[2] > 1;
      if (POOLS.has(l.type) && spatial && !feeds.has(l.name) && l.shape[0] <= MAX_FEATURES) {
        out.push({ layer: l.name, mean: true });
        break;
      }
    }
    return out;
  }

  // One layer's features of b images from its activation {shape: [b, C, H, W], data}: as they are,
  // or each channel's mean.
  function pooled(a, b, mean) {
    if (!mean) return a.data;
    const per = a.data.length / b;
    const C = a.shape[1];
    const HW = per / C;
    const out = new Float32Array(b * C);
    for (let i = 0; i < b * C; i++) {
      let s = 0;
      for (let p = i * HW, e = p + HW; p < e; p++) s += a.data[p];
      out[i] = s / HW;
    }
    return out;
  }

  // Probabilities (n × k) and, unless `features` is false, each feature layer's features (parts:
  // [{layer, mean, D, features (n × D)}]) of n images; get(i) → the image's floats.
  // (A batch of 25 costs per image what a batch of 100 does, and is a step of ~20 ms for the shipped
  // model on one thread.)
  function measure(model, get, n, { batch = 25, features = true } = {}) {
    return run(measureSteps(model, get, n, { batch, features }));
  }

  // One step per batch, after its features were read (predict and activation are one step: another
  // request's predict in between would replace the activations).
  function* measureSteps(model, get, n, { batch = 25, features = true } = {}) {
    const wanted = features ? featureLayers(model) : [];
    const parts = [];
    let probs = null,
      k = 0,
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
      wanted.forEach((w, j) => {
        const f = pooled(model.activation(w.layer), b, w.mean);
        if (s === 0) parts[j] = { ...w, D: f.length / b, features: null };
        const part = parts[j];
        if (part.D > MAX_FEATURES) return;
        if (!part.features) part.features = new Float32Array(n * part.D);
        part.features.set(f, s * part.D);
      });
      yield;
    }
    return { probs, k, parts: parts.filter((p) => p.features) };
  }

  // Temperature scaling and the features' reference, fitted on `fit` ({get, labels, n}); the
  // reliability before and after is measured on `held` (other images). Plain data out (the
  // reference's Cholesky factors stay Float64Arrays).
  function calibrate(model, fit, held) {
    return run(calibrateSteps(model, fit, held));
  }

  // The same as steps: every yield is a point where the caller may answer other requests (the model
  // is used only between two yields, so a caller that stops at a yield leaves nothing half done).
  function* calibrateSteps(model, fit, held) {
    const f = yield* measureSteps(model, fit.get, fit.n);
    const T = yield* fitTemperatureSteps(f.probs, fit.labels, f.k);
    const h = yield* measureSteps(model, held.get, held.n, { features: false });
    const reference = f.parts.length ? yield* fitReferenceSteps(f.parts, fit.labels, f.k) : null;
    const before = reliability(h.probs, held.labels, h.k, 1);
    const after = reliability(h.probs, held.labels, h.k, T);
    yield;
    return {
      T,
      before,
      after,
      nllBefore: nll(h.probs, held.labels, h.k, 1),
      nllAfter: nll(h.probs, held.labels, h.k, T),
      fitCount: fit.n,
      heldCount: held.n,
      layer: reference ? reference.layer : null,
      reference,
    };
  }

  // The distance of one input's features, right after model.predict of that input (null without a
  // reference): the mean over the reference's layers of the distance divided by its scale.
  function lastDistance(model, reference) {
    if (!reference || !reference.parts) return null;
    let s = 0;
    for (const p of reference.parts) s += distance(p.ref, pooled(model.activation(p.layer), 1, p.mean)) / p.scale;
    return s / reference.parts.length;
  }

  // ---- the input's statistics -----------------------------------------------------------------
  // From the 28×28 input (values in [0, 1]): ink (sum), pieces (8-connected groups of pixels > 0.35
  // with ≥ 4 pixels), holes (4-connected background groups of ≥ 2 pixels not touching the border),
  // the ink's box (width, height) and fill (share of the box's pixels that are ink).
  // The stroke ends of the ink `on` (0/1, size × size): thinned to one-pixel lines (Zhang and Suen
  // 1984), then the pixels with exactly one neighbour. A digit has at most five (a crossed 7, a 4
  // with a tail), a # eight, a star five to ten.
  function strokeEnds(on, size) {
    const g = thin(on, size);
    const at = (x, y) => (x < 0 || y < 0 || x >= size || y >= size ? 0 : g[y * size + x]);
    let ends = 0;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        if (!g[y * size + x]) continue;
        let b = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (dx || dy) b += at(x + dx, y + dy);
        if (b === 1) ends++;
      }
    return ends;
  }

  // The ink `on` (0/1, size × size) thinned to one-pixel lines (Zhang and Suen 1984): a new 0/1 array.
  function thin(on, size) {
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
    return g;
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
    detector: 'a network trained on scribbles and shapes says so',
    confidence: 'the network hesitates between classes',
  };

  // judge({probs, image, distance, notDigit, calibration: {T, reference: {limit}}}) →
  //   {verdict, top, confidence (calibrated), probs (calibrated), reason, stats, distance, notDigit}
  // `distance` and `notDigit` (from the worker) and `calibration` may be missing: the other signals
  // still work.
  function judge({ probs, image, distance: dist = null, notDigit = null, calibration = null, limits = LIMITS }) {
    const T = calibration && calibration.T > 0 ? calibration.T : 1;
    const p = temper(probs, T);
    let top = 0;
    for (let j = 1; j < p.length; j++) if (p[j] > p[top]) top = j;
    const out = {
      verdict: 'digit',
      top,
      confidence: p[top],
      probs: p,
      reason: '',
      stats: null,
      distance: dist,
      notDigit,
    };
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
    if (!reason && notDigit !== null && notDigit > limits.notDigitP) reason = 'detector';
    if (reason) {
      out.verdict = 'not-a-digit';
    } else if (p[top] < limits.unsureP) {
      out.verdict = 'unsure';
      reason = 'confidence';
    }
    out.reason = reason;
    return out;
  }

  // The verdict on an engine answer ({probs, distance, notDigit, calibration: {T, limit}} from the
  // worker's judge, or bare probabilities): the input statistics, the distance and the detector only
  // for a model of the ten digits (`labels` '0'…'9' or none); other class names get the calibrated confidence alone.
  function judgeAnswer(answer, image, labels = null) {
    const probs = answer && answer.probs ? answer.probs : answer;
    const c = answer && answer.probs ? answer.calibration : null;
    const digits = probs.length === 10 && (!labels || labels.every((l, i) => String(l) === String(i)));
    return judge({
      probs,
      image: digits ? image : null,
      distance: digits && answer && answer.probs ? answer.distance : null,
      notDigit: digits && answer && answer.probs ? (answer.notDigit ?? null) : null,
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
    featureLayers,
    measure,
    calibrate,
    calibrateSteps,
    lastDistance,
    inputStats,
    thin,
    judge,
    judgeAnswer,
    words,
  };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.CnnVerdict = api;
})(typeof self !== 'undefined' ? self : globalThis);
