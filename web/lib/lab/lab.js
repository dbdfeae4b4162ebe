// The Lab: experiments that make the lecture notes' claims happen on the engine, on real data. This
// file is the core shared by the worker (which runs them: importScripts), the app's Lab section and
// the widget's mode="lab" (which show them: imported for its side effect, see lab/index.js) and the
// Node tests. It defines self.CnnLab (module.exports under Node).
//
// An experiment is one file, web/lib/lab/<id>.js, calling CnnLab.define({...}):
//   id        the `lab` attribute's value ("conv-arithmetic")
//   title     a short title; topic: the notes' topic it belongs to; intro: [sentences] shown beside it
//   settings  [{key, label, type: "int"|"number"|"select"|"bool", default, min, max, options: [[value,
//              label]], help}]: what the notes vary; each key is also the widget's attribute name
//   needs     [] or ["train", "test"]: the MNIST parts the worker must hold before run()
//   run(ctx, settings) -> {claims: [claim(...)], ...data for its view}   (in the worker)
//       ctx.E        the engine module (new ctx.E.Model(json) etc.; delete what you create)
//       ctx.data     {train, test}: the worker's E.Dataset objects (MNIST)
//       ctx.update(partial)   sends a partial result to the page (a "labUpdate" event)
//       await ctx.tick()      yields to the worker's message loop (stop requests, other requests);
//                             throws CnnLab.Stopped when the page asked to stop
//       await ctx.asset(path) a file of the site as bytes (a Uint8Array), path relative to web/
//                             ("models/index.json"); rejects with the status when it is missing
// The page draws the result with the experiment's view (web/views/lab/<id>.js).
//
// A claim is {id, text, value, holds}: the statement in words with the number measured in this run,
// the number itself, and whether it holds in this run (a claim can fail for a student's settings).
/* global module */
(function (root) {
  'use strict';

  // The experiments of the Lab, in the order the Lab lists them (each has web/lib/lab/<id>.js).
  const IDS = Object.freeze([
    'init',
    'activations',
    'lr',
    'optimizers',
    'overfit',
    'babysit',
    'conv-arithmetic',
    'gradcheck',
    'search',
    'transfer',
    'architectures',
    'ensemble',
    'calibration',
  ]);
  const experiments = {};

  class Stopped extends Error {
    constructor() {
      super('The experiment was stopped.');
      this.name = 'Stopped';
    }
  }

  class LabError extends Error {}

  function define(exp) {
    if (!IDS.includes(exp.id)) throw new Error(`lab: '${exp.id}' is not in CnnLab.IDS`);
    for (const s of exp.settings || []) {
      if (!['int', 'number', 'select', 'bool'].includes(s.type)) throw new Error(`lab ${exp.id}: ${s.key} has no type`);
      if (!('default' in s)) throw new Error(`lab ${exp.id}: ${s.key} has no default`);
    }
    experiments[exp.id] = Object.freeze({ needs: [], intro: [], settings: [], ...exp });
    return experiments[exp.id];
  }

  function get(id) {
    const exp = experiments[id];
    if (!exp)
      throw new LabError(
        `There is no experiment ${JSON.stringify(String(id)).slice(0, 80)} in the Lab. Experiments: ${IDS.join(', ')}.`,
      );
    return exp;
  }

  const claim = (id, text, value, holds) => ({ id, text, value, holds: !!holds });

  // The settings of an experiment from given values (attributes are strings; a form gives numbers):
  // every key of its table, defaults for what is not given. Returns {settings, problems: [text]}; a
  // value that is out of range or not one of the options is a problem and its default is used.
  function resolveSettings(id, given = {}) {
    const exp = get(id);
    const settings = {};
    const problems = [];
    for (const s of exp.settings) {
      const raw = given[s.key];
      if (raw === undefined || raw === null || raw === '') {
        settings[s.key] = s.default;
        continue;
      }
      const v = parseValue(s, raw);
      if (v.error) {
        problems.push(`${s.key}: ${v.error}`);
        settings[s.key] = s.default;
      } else settings[s.key] = v.value;
    }
    for (const k of Object.keys(given))
      if (!exp.settings.some((s) => s.key === k)) problems.push(`${k} is not a setting of the ${id} experiment`);
    return { settings, problems };
  }

  function parseValue(s, raw) {
    if (s.type === 'bool') {
      if (raw === true || raw === 'true' || raw === '' || raw === 1) return { value: true };
      if (raw === false || raw === 'false' || raw === 0) return { value: false };
      return { error: `must be true or false, got ${JSON.stringify(String(raw)).slice(0, 40)}` };
    }
    if (s.type === 'select') {
      const hit = s.options.find(([v]) => String(v) === String(raw));
      if (!hit)
        return {
          error: `must be one of ${s.options.map(([v]) => v).join(', ')}, got ${JSON.stringify(String(raw)).slice(0, 40)}`,
        };
      return { value: hit[0] };
    }
    const x = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (!Number.isFinite(x)) return { error: `must be a number, got ${JSON.stringify(String(raw)).slice(0, 40)}` };
    if (s.type === 'int' && !Number.isInteger(x)) return { error: `must be a whole number, got ${x}` };
    if (s.min !== undefined && x < s.min) return { error: `must be at least ${s.min}, got ${x}` };
    if (s.max !== undefined && x > s.max) return { error: `must be at most ${s.max}, got ${x}` };
    return { value: x };
  }

  // Numbers in claims: a few significant digits, as a student reads them.
  function num(x, digits = 3) {
    if (!Number.isFinite(x)) return String(x);
    if (x === 0) return '0';
    const a = Math.abs(x);
    if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1).replace('e', '×10^');
    return String(Number(x.toPrecision(digits)));
  }

  // Trains `model` (an E.Model) on the E.Dataset `train` (and `validation`, or null) with the
  // trainer's configuration `config` (epochs or iterations, batch, optimizer, schedule, l1, l2,
  // augment, seed, patience...) in slices of `sliceMs`, yielding between them (ctx.tick: Stop works).
  // onSlice(progress) sees each slice's progress (losses of its iterations, epochs_done records).
  // Resolves to {status, message, losses: [every iteration's loss], epochs: [records], history}.
  async function train(ctx, { model, train: data, validation = null, config, sliceMs = 60, onSlice }) {
    const t = new ctx.E.Training(model, data, validation, JSON.stringify(config));
    const losses = [];
    const epochs = [];
    try {
      for (;;) {
        const p = JSON.parse(t.run(0, sliceMs));
        losses.push(...p.losses);
        epochs.push(...p.epochs_done);
        if (onSlice) onSlice(p);
        if (p.status !== 'running') return { status: p.status, message: p.message, losses, epochs };
        await ctx.tick();
      }
    } finally {
      t.delete();
    }
  }

  // The first `n` images of a data set shuffled with `seed`, as a new E.Dataset (delete it), and the
  // rest of it, also new (split's two halves; the caller deletes both).
  function subset(ds, n, seed = 1) {
    if (n >= ds.size()) throw new LabError(`a subset of ${n} images needs more than the ${ds.size()} there are`);
    const s = ds.split(n, seed);
    return { part: s.validation, rest: s.train };
  }

  // A seeded generator of numbers in [0, 1) (mulberry32, as scripts/lib/mulberry32.js for the
  // scripts): the experiments' random choices (subsets, search trials), the same in every build.
  function rng(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // A small CNN for MNIST (conv 8 × 5×5, ReLU, 2×2 max pool, 32 units, ReLU, 10 classes): small
  // enough to overfit 20 images in a second and to train a search's trial in one, a real CNN all
  // the same (babysit, search).
  const smallCnn = (name, init, seed) => ({
    name,
    input: [1, 28, 28],
    init,
    seed,
    layers: [
      { type: 'conv2d', name: 'conv1', filters: 8, kernel: 5, pad: 2 },
      { type: 'relu', name: 'relu1' },
      { type: 'maxpool2d', name: 'pool1', size: 2 },
      { type: 'dense', name: 'fc1', units: 32 },
      { type: 'relu', name: 'relu2' },
      { type: 'dense', name: 'out', units: 10 },
    ],
  });

  // One trial of a search: trains `model` (an E.Model; the caller deletes it) with `config` on
  // `data` and scores it on `validation`. A run that diverges, or whose configuration the engine
  // refuses, is a result (status "diverged" or "failed", with the engine's message), not an error.
  // Resolves to {status, message, accuracy, loss, iterations, seconds} (accuracy 0 and loss NaN
  // when it did not finish).
  async function trial(ctx, { model, train: data, validation, config }) {
    const t0 = Date.now();
    let r;
    try {
      r = await train(ctx, { model, train: data, config });
    } catch (e) {
      if (e instanceof Stopped) throw e;
      return { status: 'failed', message: e.message, accuracy: 0, loss: NaN, iterations: 0, seconds: 0 };
    }
    const ok = r.status === 'finished' || r.status === 'early_stopped';
    const ev = ok ? JSON.parse(model.evaluate(validation, 250)) : { accuracy: 0, loss: NaN };
    return {
      status: ok ? 'ok' : r.status,
      message: ok ? '' : r.message,
      accuracy: ev.accuracy,
      loss: ev.loss,
      iterations: r.losses.length,
      seconds: (Date.now() - t0) / 1000,
    };
  }

  // Search spaces, with the rules of the engine's own search (src/train/search.h, `cnn search`; one
  // definition of what "log scale", "grid" and "coarse then fine" mean). A space is a list of
  // numeric dimensions {name, kind: "log" | "uniform" | "int", lo, hi}, in name order; a point is
  // {name: value}. Only the random generator differs (mulberry32 here, cnn::Rng there).
  const toScale = (d, v) => (d.kind === 'log' ? Math.log10(v) : v);
  const fromScale = (d, v) => (d.kind === 'log' ? 10 ** v : v);
  const clampValue = (d, v) => (d.kind === 'int' ? Math.round(v) : Math.min(d.hi, Math.max(d.lo, v)));
  const space = (dims) => dims.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // `n` points, every dimension drawn in turn (in name order) from rand(): uniform in the
  // dimension's scale (log10 for "log"), or an integer uniform over lo..hi.
  function sampleRandom(dims, n, rand) {
    const out = [];
    for (let i = 0; i < n; ++i) {
      const p = {};
      for (const d of dims) {
        if (d.kind === 'int') p[d.name] = d.lo + Math.floor(rand() * (d.hi - d.lo + 1));
        else {
          const a = toScale(d, d.lo);
          p[d.name] = clampValue(d, fromScale(d, a + (toScale(d, d.hi) - a) * rand()));
        }
      }
      out.push(p);
    }
    return out;
  }

  // `steps` values spanning [lo, hi] in the dimension's scale, both ends included (geometric spacing
  // for "log"; rounded and deduplicated for "int"; 1 step: the middle).
  function gridValues(d, steps) {
    if (d.lo === d.hi) return [clampValue(d, d.lo)];
    const a = toScale(d, d.lo);
    const b = toScale(d, d.hi);
    const out = [];
    for (let i = 0; i < steps; ++i) {
      const t = steps === 1 ? 0.5 : i / (steps - 1);
      let v = clampValue(d, fromScale(d, a + (b - a) * t));
      if (steps > 1 && i === 0) v = clampValue(d, d.lo);
      if (steps > 1 && i === steps - 1) v = clampValue(d, d.hi);
      if (!out.includes(v)) out.push(v);
    }
    return out;
  }

  // Every combination of the dimensions' grid values; the first name varies slowest.
  function gridPoints(dims, steps) {
    if (!(steps >= 1)) throw new LabError('grid search: steps must be at least 1');
    let out = [{}];
    for (const d of dims) out = out.flatMap((p) => gridValues(d, steps).map((v) => ({ ...p, [d.name]: v })));
    return out;
  }

  // Best first: trials with status "ok" by accuracy (descending), then loss, then their order; the
  // others after them.
  function ranked(trials) {
    return trials
      .map((t, i) => ({ t, i }))
      .sort((a, b) => {
        const ao = a.t.status === 'ok';
        const bo = b.t.status === 'ok';
        if (ao !== bo) return ao ? -1 : 1;
        if (!ao) return a.i - b.i;
        if (a.t.accuracy !== b.t.accuracy) return b.t.accuracy - a.t.accuracy;
        if (a.t.loss !== b.t.loss) return a.t.loss - b.t.loss;
        return a.i - b.i;
      })
      .map((x) => x.t);
  }

  // Coarse then fine: the space narrowed around the best k trials ({params, status, accuracy, loss}):
  // in each dimension's scale, [min − w/4, max + w/4] of their values, w the width of the coarse
  // range, clipped to it ("int" rounds outward). With no trial ok, the space unchanged.
  function refineSpace(dims, trials, k) {
    if (!(k >= 1)) throw new LabError('refine: K must be at least 1');
    const best = ranked(trials)
      .filter((t) => t.status === 'ok')
      .slice(0, k);
    if (!best.length) return dims.map((d) => ({ ...d }));
    return dims.map((d) => {
      const vals = best.map((t) => t.params[d.name]).filter(Number.isFinite);
      if (!vals.length) return { ...d };
      const a = Math.min(...vals.map((v) => toScale(d, v)));
      const b = Math.max(...vals.map((v) => toScale(d, v)));
      const lo = toScale(d, d.lo);
      const hi = toScale(d, d.hi);
      const m = (hi - lo) / 4;
      let nlo = fromScale(d, Math.max(lo, a - m));
      let nhi = fromScale(d, Math.min(hi, b + m));
      if (d.kind === 'int') [nlo, nhi] = [Math.floor(nlo + 1e-9), Math.ceil(nhi - 1e-9)];
      return { ...d, lo: Math.max(d.lo, Math.min(nlo, nhi)), hi: Math.min(d.hi, Math.max(nlo, nhi)) };
    });
  }

  // Runs the trials of an experiment that has them (exp.prepare(ctx, settings) -> state,
  // exp.trial(ctx, state, spec, settings) -> result, exp.release(state)). The page can give
  // ctx.pool, several engine workers (web/lib/lab/pool.js): the same interface, trials in parallel.
  // Without it (the worker's runLab, Node) they run one after another here.
  //   pool.size     how many run at once
  //   pool.ready    (a pool of workers) resolves when every worker holds the trials' data
  //   pool.map(specs, {workers, onResult(index, result)}) -> results in the order of specs
  function trialPool(ctx, exp, settings) {
    if (ctx.pool) return ctx.pool;
    return {
      size: 1,
      parallel: false,
      async map(specs, { onResult } = {}) {
        const state = exp.prepare(ctx, settings);
        try {
          const out = [];
          for (let i = 0; i < specs.length; ++i) {
            out.push(await exp.trial(ctx, state, specs[i], settings));
            if (onResult) onResult(i, out[i]);
            await ctx.tick();
          }
          return out;
        } finally {
          exp.release(state);
        }
      },
    };
  }

  const api = Object.freeze({
    IDS,
    experiments,
    define,
    get,
    claim,
    resolveSettings,
    Stopped,
    LabError,
    num,
    train,
    subset,
    rng,
    smallCnn,
    trial,
    space,
    sampleRandom,
    gridValues,
    gridPoints,
    ranked,
    refineSpace,
    trialPool,
  });
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.CnnLab = api;
})(typeof self !== 'undefined' ? self : globalThis);
