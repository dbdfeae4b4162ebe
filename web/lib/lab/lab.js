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
  });
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.CnnLab = api;
})(typeof self !== 'undefined' ? self : globalThis);
