// A whole experiment — model, data, hyperparameters, seed and mode — as one small JSON object that
// travels in a URL (`index.html#exp=<base64url of the JSON>`, `embed.html#exp=...`) or in the
// `experiment` attribute of <cnn-widget>. Used by the app (web/app.js) and the widget
// (web/widget/cnn-widget.js).
//
//   {
//     "v": 1,                                   format version (required)
//     "mode": "classify" | "train" | "network",
//     "model": "pretrained" | "<zoo name>" | {model description: name, input, init, seed, layers, ...},
//     "data": "mnist",
//     "optimizer": "adam", "lr": 0.002, "schedule": "cosine", "batch": 64, "epochs": 2,
//     "iterations": 0 (0: whole epochs; n > 0: exactly n mini-batches), "seed": 1,
//     "augment": "digits", "l1": 0, "l2": 0, "validation": 5000
//   }
//
// Everything decoded is checked strictly (known keys, types, ranges, sizes); anything else throws an
// ExperimentError whose message says what is wrong in plain words. Nothing here touches the DOM
// except readForm/applyToForm, which use form controls whose ids are the key names.

export const VERSION = 1;
export const MODES = ['classify', 'train', 'network'];
export const DATASETS = ['mnist'];
// The optimizers the page offers: name -> label and the engine's optimizer object for a learning
// rate (src/train/optim: make_optimizer). The only list of them in the front end.
export const OPTIMIZER_TABLE = Object.freeze({
  sgd: { label: 'SGD', make: (lr) => ({ type: 'sgd', lr }) },
  momentum: { label: 'SGD + momentum', make: (lr) => ({ type: 'sgd', lr, momentum: 0.9 }) },
  nesterov: { label: 'SGD + Nesterov momentum', make: (lr) => ({ type: 'sgd', lr, momentum: 0.9, nesterov: true }) },
  adagrad: { label: 'AdaGrad', make: (lr) => ({ type: 'adagrad', lr }) },
  adadelta: { label: 'AdaDelta', make: (lr) => ({ type: 'adadelta', lr }) },
  rmsprop: { label: 'RMSProp', make: (lr) => ({ type: 'rmsprop', lr }) },
  adam: { label: 'Adam', make: (lr) => ({ type: 'adam', lr }) },
  radam: { label: 'RAdam', make: (lr) => ({ type: 'radam', lr }) },
  lookahead: {
    label: 'Lookahead (Adam)',
    make: (lr) => ({ type: 'lookahead', k: 5, alpha: 0.5, inner: { type: 'adam', lr } }),
  },
});
export const OPTIMIZERS = Object.keys(OPTIMIZER_TABLE);
export const SCHEDULES = ['constant', 'step', 'exponential', 'inverse_time', 'cosine'];
export const AUGMENTS = ['none', 'digits', 'strong'];

// The settings table: every hyperparameter once — its key (also the form control's id), type,
// range, default, label (`title` in forms, `label` in messages), the tooltip in the lecture notes'
// terms, and the labels of an enum's values. It validates shared links and widget attributes,
// renders the settings form of the app and of the widget (lib/settings.js), and is the only place
// a default lives.
export const HYPER = {
  optimizer: {
    kind: 'enum',
    values: OPTIMIZERS,
    def: 'adam',
    label: 'optimizer',
    title: 'Optimizer',
    tip: 'The update rule of mini-batch gradient descent',
    options: Object.fromEntries(OPTIMIZERS.map((k) => [k, OPTIMIZER_TABLE[k].label])),
  },
  lr: {
    kind: 'number',
    min: 1e-9,
    max: 1e6,
    def: 0.002,
    label: 'learning rate',
    title: 'Learning rate',
    tip: 'Step size of each update (η)',
  },
  schedule: {
    kind: 'enum',
    values: SCHEDULES,
    def: 'cosine',
    label: 'schedule',
    title: 'Schedule',
    tip: 'How the learning rate changes during training',
    options: {
      constant: 'constant',
      step: 'step decay (×0.1 every third)',
      exponential: 'exponential decay (to 1 %)',
      inverse_time: '1/t decay',
      cosine: 'cosine, with warm-up',
    },
  },
  batch: {
    kind: 'int',
    min: 1,
    max: 4096,
    def: 64,
    label: 'batch size',
    title: 'Batch size',
    tip: 'Images per mini-batch',
  },
  epochs: {
    kind: 'int',
    min: 1,
    max: 1000,
    def: 2,
    label: 'epochs',
    title: 'Epochs',
    tip: 'Passes over the training set',
  },
  iterations: {
    kind: 'int',
    min: 0,
    max: 1e7,
    def: 0,
    label: 'iterations',
    title: 'Iterations',
    tip: 'Mini-batches to train (0: whole epochs)',
  },
  seed: {
    kind: 'int',
    min: 0,
    max: 2 ** 31 - 1,
    def: 1,
    label: 'seed',
    title: 'Seed',
    tip: 'Seed of the shuffling and augmentation: the same seed gives the same run',
  },
  augment: {
    kind: 'enum',
    values: AUGMENTS,
    def: 'digits',
    label: 'augmentation',
    title: 'Augmentation',
    tip: 'Random changes to each training image, so the network learns what does not matter',
    options: {
      none: 'none',
      digits: 'digits: shift ±2 px, rotate ±10°, scale ±10 %',
      strong: 'strong: + brightness/contrast, cutout',
    },
  },
  l1: {
    kind: 'number',
    min: 0,
    max: 10,
    def: 0,
    label: 'L1 regularization',
    title: 'L1 regularization',
    tip: 'λ of the weight penalty λ‖W‖₁ added to the loss (with L2: elastic net)',
  },
  l2: {
    kind: 'number',
    min: 0,
    max: 10,
    def: 0,
    label: 'L2 regularization',
    title: 'L2 regularization',
    tip: 'λ of the weight penalty ½λ‖W‖² added to the loss',
  },
  validation: {
    kind: 'int',
    min: 0,
    max: 1e7,
    def: 5000,
    step: 100,
    label: 'validation images',
    title: 'Validation images',
    tip: 'Images held out of the training set to measure generalisation after each epoch',
  },
};
export const HYPER_KEYS = Object.keys(HYPER);
const TOP = new Set(['v', 'mode', 'model', 'data', ...HYPER_KEYS]);
const MODEL_KEYS = new Set(['name', 'description', 'input', 'init', 'seed', 'layers']);

export const DEFAULTS = Object.freeze({
  v: VERSION,
  mode: 'classify',
  model: 'pretrained',
  data: 'mnist',
  ...Object.fromEntries(HYPER_KEYS.map((k) => [k, HYPER[k].def])),
});
// What a training starts from when nothing else is said (a train-mode experiment without a model,
// the app's Start with its defaults): a fresh, untrained LeNet-5 — of the small zoo nets the one
// that learns most per second (measured with these defaults on one thread: 96.5 % on 1,000 test
// images after 10 s and 99.0 % after 20 s, against 95.9 % and 97.0 % for the ConvNetJS net).
// Never the shipped trained model: fine-tuning it is an explicit choice.
export const FIRST_MODEL = 'lenet5';

const MAX_ENCODED = 48000; // characters of base64url in a URL
const MAX_MODEL_JSON = 32000; // characters of the model description
const MAX_LAYERS = 256;
const NAME = /^[A-Za-z0-9_.-]{1,40}$/; // zoo model names
const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;
// Names that would reach an object's prototype when copied with Object.assign or obj[k] = v.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export class ExperimentError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ExperimentError';
  }
}

const fail = (msg) => {
  throw new ExperimentError(msg);
};
// A value as JSON-like text for a message: only its first levels and items (a link can hold an
// array nested 10,000 deep, which JSON.stringify cannot write: it overflows the stack).
function preview(v, depth = 0) {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'bigint' || typeof v === 'symbol' || typeof v === 'function') return String(v);
    return JSON.stringify(v) ?? String(v);
  }
  const more = (n) => (n > 4 ? ',...' : '');
  if (Array.isArray(v)) {
    if (depth >= 3) return v.length ? '[...]' : '[]';
    return `[${v
      .slice(0, 4)
      .map((x) => preview(x, depth + 1))
      .join(',')}${more(v.length)}]`;
  }
  const keys = Object.keys(v);
  if (depth >= 3) return keys.length ? '{...}' : '{}';
  return `{${keys
    .slice(0, 4)
    .map((k) => `${JSON.stringify(k)}:${preview(v[k], depth + 1)}`)
    .join(',')}${more(keys.length)}}`;
}
// Values quoted in messages: shortened, and always shown as text by the callers.
export const quote = (v) => {
  const s = typeof v === 'string' ? v : preview(v);
  return `'${s.length > 60 ? `${s.slice(0, 57)}...` : s}'`;
};
// True when `v` (parsed JSON) has no more than `max` levels of arrays and objects. Iterative: a
// value nested too deeply for the recursive JSON.stringify is answered here without recursion.
function shallow(v, max) {
  const stack = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop();
    if (x === null || typeof x !== 'object') continue;
    if (d >= max) return false;
    for (const y of Object.values(x)) stack.push([y, d + 1]);
  }
  return true;
}
const isPlain = (o) =>
  o !== null && typeof o === 'object' && !Array.isArray(o) && Object.getPrototypeOf(o) === Object.prototype;

// One hyperparameter from a string (an attribute, a URL query, a form field) or, with
// fromText = false, from a typed JSON value (a number must then be a JSON number).
export function checkHyper(key, value, fromText = true) {
  const h = Object.hasOwn(HYPER, key) ? HYPER[key] : null;
  if (!h) fail(`unknown setting ${quote(key)}`);
  let v = value;
  if (h.kind !== 'enum' && typeof v === 'string' && fromText) {
    if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v))
      fail(`${h.label} must be a number (got ${quote(value)})`);
    v = Number(v);
  }
  if (h.kind === 'enum') {
    if (typeof v !== 'string' || !h.values.includes(v))
      fail(`${h.label} must be one of ${h.values.join(', ')} (got ${quote(value)})`);
    return v;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${h.label} must be a number (got ${quote(value)})`);
  if (h.kind === 'int' && !Number.isInteger(v)) fail(`${h.label} must be a whole number (got ${quote(value)})`);
  if (v < h.min || v > h.max) fail(`${h.label} must be from ${h.min} to ${h.max} (got ${quote(value)})`);
  return v === 0 ? 0 : v; // -0 (JSON.parse('-0')) as 0
}

export function checkMode(v) {
  if (typeof v !== 'string' || !MODES.includes(v)) fail(`mode must be one of ${MODES.join(', ')} (got ${quote(v)})`);
  return v;
}

export function checkData(v) {
  if (typeof v !== 'string' || !DATASETS.includes(v)) fail(`data must be ${DATASETS.join(' or ')} (got ${quote(v)})`);
  return v;
}

// A model reference: "pretrained", a zoo name (its existence is checked by whoever loads it), or a
// model description, checked for shape here and for meaning by the engine.
export function checkModel(v) {
  if (typeof v === 'string') {
    if (!NAME.test(v))
      fail(`model must be "pretrained", a model name of the zoo or a model description (got ${quote(v)})`);
    return v;
  }
  if (!isPlain(v)) fail(`model must be "pretrained", a model name of the zoo or a model description (got ${quote(v)})`);
  // A valid description has 4 levels of arrays and objects (model, layers, a layer, a setting's
  // list or object); one more is left for the layer checks below to name the setting.
  if (!shallow(v, 5))
    fail(
      "the model description is nested too deeply (a layer's setting is a number, a text, true/false or a short list of them)",
    );
  if (JSON.stringify(v).length > MAX_MODEL_JSON)
    fail(`the model description is too large (over ${MAX_MODEL_JSON} characters)`);
  for (const k of Object.keys(v)) if (!MODEL_KEYS.has(k)) fail(`the model description has an unknown key ${quote(k)}`);
  if (v.name !== undefined && (typeof v.name !== 'string' || v.name.length > 80))
    fail("the model's name must be a text of at most 80 characters");
  if (v.description !== undefined && (typeof v.description !== 'string' || v.description.length > 2000))
    fail("the model's description must be a text of at most 2000 characters");
  if (
    !Array.isArray(v.input) ||
    v.input.length !== 3 ||
    !v.input.every((d) => Number.isInteger(d) && d >= 1 && d <= 1024)
  ) {
    fail("the model's input must be [channels, height, width], whole numbers from 1 to 1024");
  }
  if (v.seed !== undefined && !(Number.isInteger(v.seed) && v.seed >= 0 && v.seed <= 2 ** 32 - 1))
    fail("the model's seed must be a whole number from 0 to 4294967295");
  if (v.init !== undefined) {
    const okInit =
      typeof v.init === 'string'
        ? /^[a-z_]{1,20}$/.test(v.init)
        : isPlain(v.init) &&
          Object.keys(v.init).every((k) => k === 'scheme' || k === 'std') &&
          (v.init.scheme === undefined ||
            (typeof v.init.scheme === 'string' && /^[a-z_]{1,20}$/.test(v.init.scheme))) &&
          (v.init.std === undefined || (typeof v.init.std === 'number' && Number.isFinite(v.init.std)));
    if (!okInit) fail('the model\'s init must be a scheme name or {"scheme": ..., "std": ...}');
  }
  if (!Array.isArray(v.layers) || v.layers.length < 1 || v.layers.length > MAX_LAYERS)
    fail(`the model's layers must be a list of 1 to ${MAX_LAYERS} layers`);
  v.layers.forEach((l, i) => {
    const where = `layer ${i + 1} of the model`;
    if (!isPlain(l)) fail(`${where} must be an object`);
    if (typeof l.type !== 'string' || !/^[a-z0-9_]{1,40}$/.test(l.type))
      fail(`${where} needs a "type" such as "conv2d"`);
    const keys = Object.keys(l);
    if (keys.length > 40) fail(`${where} has too many settings`);
    for (const k of keys) {
      if (!KEY.test(k) || UNSAFE_KEYS.has(k)) fail(`${where} has a setting with an odd name ${quote(k)}`);
      const x = l[k];
      const scalar = (y) =>
        (typeof y === 'number' && Number.isFinite(y)) ||
        typeof y === 'boolean' ||
        (typeof y === 'string' && y.length <= 80);
      const ok =
        scalar(x) ||
        (Array.isArray(x) && x.length <= 64 && x.every(scalar)) ||
        (isPlain(x) &&
          Object.keys(x).length <= 8 &&
          Object.entries(x).every(([kk, y]) => KEY.test(kk) && !UNSAFE_KEYS.has(kk) && scalar(y)));
      if (!ok) fail(`${where}: the value of ${quote(k)} is not a number, text, true/false or a short list of them`);
    }
  });
  return v;
}

// A full, checked experiment from a partial one: missing keys take the defaults.
export function validate(obj) {
  if (!isPlain(obj)) fail('the experiment must be a JSON object');
  for (const k of Object.keys(obj)) if (!TOP.has(k)) fail(`the experiment has an unknown key ${quote(k)}`);
  if (obj.v !== VERSION)
    fail(`this experiment's format version is ${quote(obj.v)}; this page reads version ${VERSION}`);
  const out = { v: VERSION };
  out.mode = obj.mode === undefined ? DEFAULTS.mode : checkMode(obj.mode);
  out.model = obj.model === undefined ? (out.mode === 'train' ? FIRST_MODEL : DEFAULTS.model) : checkModel(obj.model);
  out.data = obj.data === undefined ? DEFAULTS.data : checkData(obj.data);
  for (const k of HYPER_KEYS) out[k] = obj[k] === undefined ? HYPER[k].def : checkHyper(k, obj[k], false);
  return out;
}

// ---- encoding -----------------------------------------------------------------------------------
function b64urlFromBytes(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function bytesFromB64url(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s))
    fail('the shared experiment is damaged: it has characters that are not base64url (was the link cut or edited?)');
  if (s.length % 4 === 1) fail('the shared experiment is damaged: it is cut short (copy the whole link)');
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function encode(exp) {
  const e = validate(exp);
  return b64urlFromBytes(new TextEncoder().encode(JSON.stringify(e)));
}

export function decode(text) {
  if (typeof text !== 'string' || !text) fail('the shared experiment is empty');
  if (text.length > MAX_ENCODED)
    fail(`the shared experiment is too long (${text.length} characters; at most ${MAX_ENCODED})`);
  let json;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(bytesFromB64url(text));
  } catch (e) {
    if (e instanceof ExperimentError) throw e;
    fail('the shared experiment is damaged: it is not valid text (was the link cut or edited?)');
  }
  let obj;
  try {
    obj = JSON.parse(json);
  } catch (e) {
    fail('the shared experiment is damaged: it is not valid JSON (was the link cut or edited?)');
  }
  return validate(obj);
}

// The experiment of a URL's hash (`#exp=...`, possibly among other `&`-separated parts), or null
// when there is none. Throws an ExperimentError when there is one and it is bad.
export function fromHash(hash) {
  const h = String(hash || '').replace(/^#/, '');
  for (const part of h.split('&')) {
    if (part.startsWith('exp=')) return decode(part.slice(4));
  }
  return null;
}

// `page` with the experiment in its hash.
export function toUrl(exp, page) {
  const u = new URL(page);
  u.hash = `exp=${encode(exp)}`;
  return u.href;
}

// ---- the engine's training configuration ------------------------------------------------------
// The same mapping as the app's Train card: optimizer names to the engine's optimizer objects; the
// schedule and the augmentation by name (the engine sizes and resolves them).
export function trainConfig(exp) {
  const optimizer = OPTIMIZER_TABLE[exp.optimizer].make(exp.lr);
  // The schedule's sizes (from the run's length) and the augmentation presets are the engine's
  // (src/train/optim/schedule.h resolve_schedule, src/data/augment.h): only their names go from here.
  const schedule = { type: exp.schedule };
  const augment = exp.augment;
  const config = {
    epochs: exp.epochs,
    batch: exp.batch,
    optimizer,
    schedule,
    l1: exp.l1,
    l2: exp.l2,
    augment,
    seed: exp.seed,
    validation: exp.validation,
  };
  if (exp.iterations > 0) config.iterations = exp.iterations;
  return config;
}

// The settings of an engine configuration made by trainConfig (a checkpoint keeps the
// configuration; resuming shows its settings in the form). Only what the configuration says.
export function fromTrainConfig(c) {
  const out = {
    epochs: c.epochs,
    batch: c.batch,
    seed: c.seed,
    validation: c.validation,
    l1: c.l1 || 0,
    l2: c.l2 || 0,
  };
  out.lr = c.optimizer.lr ?? c.optimizer.inner?.lr;
  const o = c.optimizer;
  const name = OPTIMIZERS.find((k) => JSON.stringify(OPTIMIZER_TABLE[k].make(out.lr)) === JSON.stringify(o));
  if (name) out.optimizer = name;
  if (typeof c.augment === 'string') out.augment = c.augment;
  if (c.schedule && c.schedule.type) out.schedule = c.schedule.type;
  if (c.iterations) out.iterations = c.iterations;
  return out;
}

// ---- forms whose control ids are the hyperparameter names (the app's Train card, the widget's) --
export function applyToForm(root, exp) {
  for (const k of HYPER_KEYS) {
    const el = root.querySelector(`#${k}`);
    if (el) el.value = String(exp[k]);
  }
}

// The hyperparameters of a form, checked; controls that are missing keep `base`'s values.
export function readForm(root, base = DEFAULTS) {
  const out = {};
  for (const k of HYPER_KEYS) {
    const el = root.querySelector(`#${k}`);
    out[k] = el ? checkHyper(k, el.value) : base[k];
  }
  return out;
}
