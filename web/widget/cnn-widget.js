// <cnn-widget>: a live convolutional network for course pages, in one ES module.
//
//   <script type="module" src="https://<where the app is served>/widget/cnn-widget.js"></script>
//   <cnn-widget mode="classify" model="pretrained"></cnn-widget>
//
// Attributes (all optional; every value is data: it is checked and only ever shown as text):
//   mode        classify (draw pad + probabilities) | network (diagram + activations) | train
//   model       pretrained (default) | a zoo name of models/index.json (convnetjs, lenet5, ...)
//   data        mnist
//   panels      comma list of the parts to show (see PANELS below), or "-name,-name" to hide some
//   size        small | medium (default) | large;  width, height: CSS lengths (400, 100%, 30rem)
//   theme       light (default: white, as most course pages) | dark | auto (the visitor's light/dark)
//   optimizer, lr, schedule, batch, epochs, iterations, seed, augment, l1, l2, validation: training
//   experiment  a whole experiment, base64url (lib/experiment.js); the attributes above override it
//   mode="lab"  lab="<id>" (conv-arithmetic, ...: lib/lab/lab.js IDS) and that experiment's settings
//               as attributes; runLab(settings?) runs it and fires "lab-result" {lab, settings, claims}
//   A model description may also be a child <script type="application/json"> (getEmbedCode writes it).
// API: ready (promise), classify(imageData | Float32Array(784)), train(options), pause(), resume(),
//   stop(), exportOnnx(), getState() / setState(experiment) / experiment, getShareUrl(), getEmbedCode().
// Events (CustomEvent, bubbling, composed): ready, prediction, progress, epoch, done, error, lab-result.
// Several widgets on a page share one engine worker (one per widget origin), each with its own model
// in the worker (a protocol "slot"); one training runs at a time.
/* global CnnVerdict */
import '../lib/digitize.js'; // defines self.CnnDigitize (used by DrawView)
import { EngineClient, restartText } from '../engine-client.js';
import { DrawView } from '../views/draw.js';
import '../lib/verdict.js'; // defines self.CnnVerdict (the verdict of a prediction)
import { calibrateModel } from '../views/calibration.js';
import * as X from '../lib/experiment.js';
import { Session, TEXT } from '../lib/session.js';
import { renderSettings } from '../lib/settings.js';
import { fmtCompact, fmtInt } from '../lib/format.js';
import { Lab } from '../lib/lab/index.js';
import { LabView } from '../views/lab/lab-view.js';
import { LiveViews } from '../lib/live.js';
import { LearningView } from '../views/learning.js';

const ROOT = new URL('../', import.meta.url).href; // the app's folder on the widget's origin
const MODULE_URL = new URL(import.meta.url).href;
const TAG = 'cnn-widget';

export const PANELS = Object.freeze({
  classify: ['header', 'pad', 'input', 'probs', 'share'],
  network: ['header', 'pad', 'input', 'probs', 'diagram', 'detail', 'share'],
  train: ['header', 'controls', 'live', 'progress', 'loss', 'accuracy', 'results', 'share'],
});
const DEFAULT_PANELS = Object.freeze({
  classify: PANELS.classify,
  network: ['header', 'pad', 'input', 'diagram', 'detail', 'share'],
  train: PANELS.train,
});
const TITLES = { classify: 'Draw a digit', network: 'Inside the network', train: 'Train a network on MNIST' };
const SIZES = ['small', 'medium', 'large'];
const THEMES = ['light', 'dark', 'auto'];
// The settings the train form always shows; the others show when they differ from their default
// (an attribute or a shared experiment set them), and Iterations replaces Epochs when it is set.
const FORM_KEYS = ['optimizer', 'lr', 'batch', 'epochs', 'seed'];
const CSS_LENGTH = /^\s*(\d{1,5}(\.\d{1,3})?)\s*(px|%|rem|em|vw|vh|ch)?\s*$/;
// mode="lab": lab="<id>" and the experiment's settings as attributes (lib/lab/<id>.js)
const LAB_KEYS = [...new Set(Lab.IDS.flatMap((id) => Lab.get(id).settings.map((s) => s.key)))];
const ATTRS = [
  ...new Set(['mode', 'model', 'data', 'panels', 'size', 'theme', 'width', 'height', 'experiment', ...X.HYPER_KEYS]),
  ...new Set(['lab', ...LAB_KEYS]),
];

// A handwritten 2 of the MNIST test set (image 1), shown by the network view before anything is drawn.
const SAMPLE = Float32Array.from(
  atob(
    'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
      'AAAAAAAAAAAAAAAAAAAAAAAAAHR9q///ll0AAAAAAAAAAAAAAAAAAAAAAAAAAKn9/f39/f3aHgAAAAAAAAAAAAAAAAAAAAAAAKn9' +
      '/f39/f39/asAAAAAAAAAAAAAAAAAAAAAEOr9/fTXpP39/asAAAAAAAAAAAAAAAAAAAAAAADEy9L1Gh8A/f3XAAAAAAAAAAAAAAAA' +
      'AAAAAAAAAAAAAAAAEP397AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEPn9/XAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAL/39/QMAAAAA' +
      'AAAAAAAAAAAAAAAAAAAAAAAAAFD9/bUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAKD9/f2BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAJX9' +
      '/fIAAAAAAAAAAAAAAAAAAAAAAAAAAAAASP39/a4AAAAAAAAAAAAAAAAAAAAAAAAAAAAAEP390wAAAAAAAAAAAAAAAAAAAAAAAAAA' +
      'AAAAEP390AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA5b9/f3pAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAArP394QAAAAAAAAAAAAAA' +
      'AAAAAAAAAAAAAAAAGev9/WoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAG4P39DwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAADH9/f2q' +
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAKv9/f39y7CwsLCwsLCwsGUAAAAAAAAAAAAAAACv/f39/f39/f39/f39/f0AAAAAAAAAAAAA' +
      'AAAACbz9/f39/f39/f39/f39AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==',
  ),
  (c) => c.charCodeAt(0) / 255,
);

// ---- the shared engine: one worker per widget origin, for every widget of the page ----------
const REGISTRY = Symbol.for('cnn-widget.engines');
const engines = globalThis[REGISTRY] || (globalThis[REGISTRY] = new Map());
let slotCounter = 0;

function engineFor(base) {
  let e = engines.get(base);
  if (!e) {
    const client = new EngineClient(new URL('worker/engine-worker.js', base));
    e = { client, init: client.init(), base };
    e.init.catch(() => {});
    engines.set(base, e);
  }
  return e;
}

// ---- small DOM helpers: text only, never HTML -----------------------------------------------
function el(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids) if (kid) e.append(kid);
  return e;
}

// A model attribute that holds a description as JSON.
function parseModelJson(text) {
  if (text.length > 40000) throw new X.ExperimentError('the model description is too large');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new X.ExperimentError(`the model description is not valid JSON: ${e.message}`);
  }
}

// A model description as JSON a teacher can read and edit: its fields in the usual order, one line
// per layer (type and name first).
function readableModel(model) {
  const value = (v) =>
    Array.isArray(v) && v.every((x) => typeof x === 'number') ? `[${v.join(', ')}]` : JSON.stringify(v);
  const order = ['name', 'description', 'input', 'init', 'seed'];
  const keys = [...order.filter((k) => k in model), ...Object.keys(model).filter((k) => !order.includes(k))];
  const layer = (l) => {
    const first = ['type', 'name'].filter((k) => k in l);
    const ks = [...first, ...Object.keys(l).filter((k) => !first.includes(k))];
    return `    {${ks.map((k) => `${JSON.stringify(k)}: ${value(l[k])}`).join(', ')}}`;
  };
  const lines = keys.map((k) =>
    k === 'layers' && Array.isArray(model.layers)
      ? `  "layers": [\n${model.layers.map(layer).join(',\n')}\n  ]`
      : `  ${JSON.stringify(k)}: ${value(model[k])}`,
  );
  return `{\n${lines.join(',\n')}\n}`;
}

// What Start will run, in words, from the settings table's labels.
function runText(exp) {
  const H = X.HYPER;
  const n = (v) => Number(v).toLocaleString('en-US');
  const length =
    exp.iterations > 0
      ? `${n(exp.iterations)} iterations (mini-batches of ${n(exp.batch)} images)`
      : `${n(exp.epochs)} epoch${exp.epochs === 1 ? '' : 's'} in mini-batches of ${n(exp.batch)} images`;
  const reg = [exp.l1 > 0 ? `L1 ${exp.l1}` : '', exp.l2 > 0 ? `L2 ${exp.l2}` : ''].filter(Boolean).join(', ');
  return (
    `Start runs ${length} with ${H.optimizer.options[exp.optimizer]}, learning rate ${exp.lr}, ` +
    `${H.schedule.options[exp.schedule]} schedule, augmentation “${exp.augment}”` +
    `${reg ? `, ${reg}` : ''}, ${n(exp.validation)} training images held out for validation, seed ${exp.seed}.`
  );
}

const escapeAttr = (s) =>
  String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// Pixels for the network: a Float32Array of 784 values in [0, 1] (ink = 1) is used as it is; an
// ImageData (any size) is turned into ink (dark-on-light or light-on-dark, alpha respected) and,
// unless it is 28×28 already, centred and scaled the way MNIST was made (lib/digitize.js).
function toInput(input) {
  if (input instanceof Float32Array || Array.isArray(input)) {
    if (input.length !== 784) throw new TypeError(`classify() needs 784 values (28×28), got ${input.length}.`);
    const out = Float32Array.from(input, Number);
    if (out.some((v) => !Number.isFinite(v)))
      throw new TypeError('classify(): every value must be a finite number in [0, 1].');
    return out.map((v) => Math.min(1, Math.max(0, v)));
  }
  if (typeof ImageData !== 'undefined' && input instanceof ImageData) {
    const { width: w, height: h, data } = input;
    const lum = (i) => (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255;
    let mean = 0,
      opaque = 0;
    for (let i = 0; i < w * h; i++) {
      if (data[4 * i + 3] < 128) continue;
      mean += lum(i);
      opaque++;
    }
    // Strokes on a transparent background: the ink is the alpha. An image with a background: the
    // ink is its darkness on a light background, its lightness on a dark one (MNIST).
    const background = opaque > (w * h) / 2;
    const light = background && mean / opaque > 0.5;
    const ink = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) {
      const a = data[4 * i + 3] / 255;
      ink[i] = background ? (light ? 1 - lum(i) : lum(i)) * a : a;
    }
    if (w === 28 && h === 28) return ink;
    return self.CnnDigitize.digitize(ink, w, h).image;
  }
  throw new TypeError('classify() takes an ImageData or a Float32Array of 784 values (28×28, ink = 1).');
}

// ---- the element ------------------------------------------------------------------------------
export class CnnWidget extends HTMLElement {
  static get observedAttributes() {
    return ATTRS;
  }

  constructor() {
    super();
    this.slot_ = `w${++slotCounter}-${Math.random().toString(36).slice(2, 8)}`;
    this.root = this.attachShadow({ mode: 'open' });
    this.exp = { ...X.DEFAULTS };
    this.edited = {}; // hyperparameters changed in the widget's own form
    this.valid = {}; // which attributes passed their checks
    this.views = {};
    this.info = null;
    this.init = null;
    this.loadToken = 0;
    this.loadChain = Promise.resolve();
    this.modelKey = null;
    this.modelReady = new Promise((res, rej) => {
      this.readyResolve = res;
      this.readyReject = rej;
    });
    this.modelReady.catch(() => {});
    this.unsubscribe = [];
    // The stylesheets load into the shadow root; the widget shows once they have (no unstyled flash).
    // The network view's shared rules first, then the widget's own (which override some sizes).
    const sheets = ['../views/network.css', './widget.css'].map((f) =>
      el('link', { rel: 'stylesheet', href: new URL(f, import.meta.url).href }),
    );
    this.frame = el('div', { class: 'frame', part: 'frame' });
    this.frame.style.visibility = 'hidden';
    let pending = sheets.length;
    const show = () => {
      if (--pending === 0) this.frame.style.visibility = '';
    };
    for (const s of sheets) {
      s.addEventListener('load', show);
      s.addEventListener('error', show);
    }
    this.root.append(...sheets, this.frame);
  }

  connectedCallback() {
    this.subscribe();
    if (!this.childWatch) {
      // a model description given as a child <script type="application/json"> may arrive later
      this.childWatch = new MutationObserver(() => this.schedule());
      this.childWatch.observe(this, { childList: true, subtree: true, characterData: true });
    }
    this.schedule();
  }

  disconnectedCallback() {
    setTimeout(() => {
      if (this.isConnected) return;
      if (this.training) {
        this.stop().catch(() => {}); // unloaded when the training ends
        return;
      }
      this.release();
    }, 0);
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (oldValue === newValue) return;
    if (Object.hasOwn(X.HYPER, name)) delete this.edited[name];
    if (name === 'experiment') this.edited = {};
    this.schedule();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.isConnected) this.update();
    });
  }

  // ---- public API ----
  get ready() {
    return this.modelReady;
  }
  get state() {
    return this.dataset.state || 'loading';
  }
  get experiment() {
    return this.getState();
  }
  set experiment(exp) {
    this.setState(exp);
  }

  // The experiment as it is now (attributes, the widget's form, the loaded model's description).
  getState() {
    const exp = { ...this.exp, ...this.edited };
    if (exp.model === null) throw new X.ExperimentError('This widget has no valid model (see its message).');
    // A loaded zoo or custom model is shared by its full description, so the link does not depend
    // on the zoo files.
    if (exp.model !== 'pretrained' && this.info && this.loadedKey === JSON.stringify(this.exp.model)) {
      try {
        return X.validate({ ...exp, model: this.info.architecture });
      } catch (e) {
        /* fall back to the reference */
      }
    }
    return X.validate(exp);
  }

  // Replaces the experiment: it becomes the `experiment` attribute, and the attributes that would
  // override it are removed.
  setState(exp) {
    const e = X.validate(typeof exp === 'string' ? X.decode(exp) : exp);
    for (const a of ['mode', 'model', 'data', ...X.HYPER_KEYS]) this.removeAttribute(a);
    this.setAttribute('experiment', X.encode(e));
    return e;
  }

  // A link that opens this experiment: in the full-page widget (embed.html) or in the app.
  getShareUrl(target = 'embed') {
    return X.toUrl(this.getState(), `${ROOT}${target === 'app' ? 'index.html' : 'embed.html'}`);
  }

  // The HTML that embeds this widget: the script and the element with readable attributes
  // (mode="train" model="lenet5" optimizer="adam" lr="0.01" …; a model description as a child
  // <script type="application/json">), or an <iframe> of embed.html.
  getEmbedCode(form = 'script') {
    const exp = this.getState();
    const keep = ['panels', 'size', 'theme', 'width', 'height'].filter((a) => this.hasAttribute(a) && this.valid[a]);
    if (form === 'iframe') {
      const q = new URLSearchParams(
        keep.filter((a) => ['panels', 'size', 'theme'].includes(a)).map((a) => [a, this.getAttribute(a)]),
      );
      const src = `${ROOT}embed.html${q.toString() ? `?${q}` : ''}#exp=${X.encode(exp)}`;
      const height = { classify: 560, network: 820, train: 980 }[exp.mode];
      return (
        `<iframe src="${escapeAttr(src)}" title="${escapeAttr(`${TITLES[exp.mode]} — a live convolutional network`)}" ` +
        `width="100%" height="${height}" style="border:0" loading="lazy" allow="clipboard-write"></iframe>`
      );
    }
    // The model as it was asked for: a name (pretrained or the zoo's) stays a name.
    const asked = { ...this.exp, ...this.edited }.model;
    const model = typeof asked === 'string' ? asked : exp.model;
    const attrs = [['mode', exp.mode]];
    if (typeof model === 'string') attrs.push(['model', model]);
    if (exp.data !== X.DEFAULTS.data) attrs.push(['data', exp.data]);
    // A train widget lists every setting (what Start runs, whatever the defaults of later versions);
    // the others only those that differ from the defaults (used by train()).
    for (const k of X.HYPER_KEYS) if (exp.mode === 'train' || exp[k] !== X.DEFAULTS[k]) attrs.push([k, String(exp[k])]);
    for (const a of keep) attrs.push([a, this.getAttribute(a)]);
    const open = `<cnn-widget ${attrs.map(([k, v]) => `${k}="${escapeAttr(v)}"`).join(' ')}>`;
    const child =
      typeof model === 'string'
        ? ''
        : `\n  <script type="application/json">\n${readableModel(model)
            .replace(/</g, '\\u003c')
            .replace(/^/gm, '    ')}\n  </script>\n`;
    return `<script type="module" src="${escapeAttr(MODULE_URL)}"></script>\n${open}${child}</cnn-widget>`;
  }

  // The model description of a child <script type="application/json">, or undefined.
  childModel() {
    const script = this.querySelector(':scope > script[type="application/json"]');
    if (!script) return undefined;
    try {
      return JSON.parse(script.textContent);
    } catch (e) {
      throw new X.ExperimentError(
        `the model description in the <script type="application/json"> is not valid JSON: ${e.message}`,
      );
    }
  }

  async classify(input) {
    const image = toInput(input);
    await this.modelReady;
    const answer = await this.predict(image, 'api');
    if (this.views.draw) this.views.draw.show(image, answer);
    if (this.views.network) this.views.network.setInput(image);
    return Array.from(answer.probs);
  }

  // Trains on MNIST from fresh weights (the model description's initialisation) with the widget's
  // hyperparameters, overridden by `options` ({lr: 0.01, iterations: 200, ...}). The model is the
  // widget's when one was given (model="pretrained" fine-tunes the shipped model: an explicit
  // choice); otherwise a new, untrained ConvNetJS net (experiment.FIRST_MODEL), never silently the
  // shipped trained one. Resolves when the training ends, with {status, message, test}.
  async train(options = {}) {
    if (this.session_ && this.session_.training) throw new Error('This widget is already training.');
    const exp = this.getState();
    for (const [k, v] of Object.entries(options || {})) exp[k] = X.checkHyper(k, v);
    const model = this.modelGiven ? this.exp.model : X.FIRST_MODEL;
    let session;
    try {
      session = this.session;
      await this.modelReady.catch(() => {});
      await this.loadChain;
      this.loadToken++; // a load still under way does not replace the model being trained
      this.setState_('training');
      const done = new Promise((resolve) => {
        this.doneResolve = resolve;
      });
      await session.train(exp, { model });
      return await done;
    } catch (e) {
      this.doneResolve = null;
      this.setState_(this.info ? 'ready' : 'error');
      this.report(e);
      throw e;
    }
  }

  async pause() {
    return this.entry_ ? this.session.pause() : 'idle';
  }
  async resume() {
    return this.entry_ ? this.session.resume() : 'idle';
  }
  async stop() {
    return this.entry_ ? this.session.stop() : 'idle';
  }

  // The widget's model (trained in the page or not) as an ONNX file, for PyTorch or ONNX Runtime:
  // input "input" [N, C, H, W] of pixels in [0, 1], output "logits". Resolves to a Uint8Array.
  async exportOnnx({ foldBatchnorm = false } = {}) {
    await this.modelReady;
    const { bytes } = await this.entry.client.exportOnnx(foldBatchnorm, this.slot_);
    return bytes;
  }

  // ---- internals ----
  get entry() {
    if (!this.entry_) this.entry_ = engineFor(ROOT);
    return this.entry_;
  }

  get session() {
    if (!this.session_) this.session_ = new Session(this.entry.client, { slot: this.slot_, base: ROOT });
    return this.session_;
  }

  get training() {
    return !!(this.session_ && this.session_.training);
  }

  subscribe() {
    if (this.unsubscribe.length) return;
    let session;
    try {
      session = this.session;
    } catch (e) {
      return;
    }
    const strip = ({ event, slot, ...detail }) => detail;
    this.unsubscribe = [
      session.on('progress', (p) => this.emit('progress', strip(p))),
      session.on('epoch', ({ record, test }) => this.emit('epoch', { record, test })),
      session.on('done', (m) => this.onDone(m)),
      session.on('status', ({ text, kind }) => this.say(text, kind)),
      session.on('state', () => this.controls()),
      session.on('model', ({ info, label }) => {
        this.info = info;
        if (this.views.network) this.views.network.setModel(info);
        if (this.views.learning) {
          this.views.learning.setModel(info);
          this.refreshLearning();
        }
        if (this.views.draw && this.views.draw.image) this.views.draw.show(this.views.draw.image);
        if (this.ui) this.ui.modelName.textContent = label;
      }),
      // The engine restarted (the shared client restores every widget's model and the running
      // training; the session and the training view roll back): the drawing is classified again.
      this.entry.client.on('restarted', (ev) => {
        if (!this.info || this.training) return;
        this.say(restartText(ev, this.slot_), ev.problems.length ? 'error' : '');
        this.refreshLearning();
        const d = this.views.draw;
        if (d && d.image)
          this.predict(d.image, 'restart').then(
            (p) => d.showAnswer(p),
            () => {},
          );
      }),
      this.entry.client.on('error', ({ message }) => this.report(new Error(TEXT.engineStopped(message)))),
    ];
    // Watch it learn: the live panel reads the model being trained again about once a second.
    this.live = new LiveViews(session, () => this.refreshLearning());
    this.live.enabled = this.showsLive();
    this.unsubscribe.push(() => this.live.dispose());
    if (this.views.train && !this.views.train.following) this.views.train.following = this.views.train.follow(session);
  }

  release() {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    if (this.views.train && this.views.train.following) {
      this.views.train.following();
      this.views.train.following = null;
    }
    if (this.entry_) this.entry_.client.unloadModel(this.slot_).catch(() => {});
    this.modelKey = null;
    this.loadedKey = null;
  }

  // The live panel is shown (train mode, not hidden by `panels`): the live views read the model.
  showsLive() {
    return this.builtMode === 'train' && (this.panels || DEFAULT_PANELS.train).includes('live');
  }

  // The live panel read from the model again (a LiveViews tick, or the model changed).
  refreshLearning() {
    const v = this.views.learning;
    if (!v || !this.showsLive()) return null;
    const s = this.session_;
    const p = s && s.lastProgress;
    const state =
      s && s.training
        ? p
          ? `iteration ${fmtInt(p.iteration)} of ${fmtInt(p.total_iterations)}`
          : 'starting'
        : s && s.trained
          ? 'trained weights'
          : 'random weights';
    return v.refresh(state).catch(() => {}); // (read again at the next tick)
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  setState_(s) {
    this.dataset.state = s;
  }

  say(text, kind = '') {
    // in the Lab, what happens (MNIST downloading, the engine restarting) is said on the experiment's line
    if (this.builtMode === 'lab' && this.views.lab) return this.views.lab.running && this.views.lab.say(text, kind);
    const m = this.ui && this.ui.msg;
    if (!m) return;
    m.textContent = text;
    m.classList.toggle('error', kind === 'error');
    m.classList.toggle('ok', kind === 'ok');
  }

  report(e) {
    let text = e && e.message ? e.message : String(e);
    if (/Content Security Policy|unsafe-eval|Refused to|Failed to construct 'Worker'/i.test(text)) {
      text += ' — The page\'s Content-Security-Policy must allow the widget: see "Embedding the widget" in the README.';
    }
    this.say(text, 'error');
    this.emit('error', { message: text });
  }

  // Attributes -> a checked experiment, plus the problems found (shown, never fatal on their own).
  resolve() {
    const problems = [];
    const valid = {};
    let base = { ...X.DEFAULTS };
    if (this.hasAttribute('experiment')) {
      try {
        base = X.decode(this.getAttribute('experiment').trim());
      } catch (e) {
        problems.push(`experiment: ${e.message}`);
      }
    }
    const exp = { ...base };
    const attr = (name, check) => {
      if (!this.hasAttribute(name)) return;
      try {
        exp[name] = check(this.getAttribute(name).trim());
        valid[name] = true;
      } catch (e) {
        problems.push(e.message);
        if (name === 'model') exp.model = null; // no model rather than another one
      }
    };
    attr('mode', X.checkMode);
    // A train widget given no model trains a new small net (experiment.FIRST_MODEL), never the
    // shipped trained one; model="pretrained" (fine-tuning it) must be asked for.
    let child;
    try {
      child = this.childModel();
    } catch (e) {
      problems.push(e.message);
      exp.model = null;
    }
    this.modelGiven = this.hasAttribute('model') || this.hasAttribute('experiment') || child !== undefined;
    if (!this.modelGiven && exp.mode === 'train') exp.model = X.FIRST_MODEL;
    if (child !== undefined && !this.hasAttribute('model')) {
      try {
        exp.model = X.checkModel(child);
      } catch (e) {
        problems.push(e.message);
        exp.model = null;
      }
    }
    // model="lenet5", or a model description as JSON
    attr('model', (v) => X.checkModel(v.startsWith('{') ? parseModelJson(v) : v));
    attr('data', X.checkData);
    for (const k of X.HYPER_KEYS) attr(k, (v) => X.checkHyper(k, v));
    for (const a of ['size', 'theme', 'width', 'height', 'panels']) valid[a] = this.hasAttribute(a);
    if (this.hasAttribute('theme') && !THEMES.includes(this.getAttribute('theme').trim())) {
      problems.push(`theme must be one of ${THEMES.join(', ')} (got ${X.quote(this.getAttribute('theme'))})`);
      valid.theme = false;
    }
    if (this.hasAttribute('size') && !SIZES.includes(this.getAttribute('size').trim())) {
      problems.push(`size must be one of ${SIZES.join(', ')} (got ${X.quote(this.getAttribute('size'))})`);
      valid.size = false;
    }
    for (const a of ['width', 'height']) {
      if (this.hasAttribute(a) && !CSS_LENGTH.test(this.getAttribute(a))) {
        problems.push(`${a} must be a length such as 480, 480px, 100% or 30rem (got ${X.quote(this.getAttribute(a))})`);
        valid[a] = false;
      }
    }
    const panels = this.panelList(exp.mode, problems);
    if (panels === null) valid.panels = false;
    return { exp, problems, valid, panels: panels || DEFAULT_PANELS[exp.mode] };
  }

  panelList(mode, problems) {
    if (!this.hasAttribute('panels')) return DEFAULT_PANELS[mode];
    const items = this.getAttribute('panels')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const known = PANELS[mode];
    const bad = items.map((s) => s.replace(/^-/, '')).filter((s) => !known.includes(s));
    if (bad.length) {
      problems.push(
        `panels: ${bad.map(X.quote).join(', ')} ${bad.length > 1 ? 'are' : 'is'} not a panel of the ${mode} mode (its panels: ${known.join(', ')})`,
      );
      return null;
    }
    if (items.length && items.every((s) => s.startsWith('-'))) {
      const hide = items.map((s) => s.slice(1));
      return DEFAULT_PANELS[mode].filter((p) => !hide.includes(p));
    }
    return items.filter((s) => !s.startsWith('-'));
  }

  update() {
    if ((this.getAttribute('mode') || '').trim() === 'lab') return this.updateLab();
    const { exp, problems, valid, panels } = this.resolve();
    this.exp = exp;
    this.valid = valid;
    this.applySize(valid);
    if (this.builtMode !== exp.mode) this.build(exp.mode);
    for (const p of this.root.querySelectorAll('[data-panel]')) p.hidden = !panels.includes(p.dataset.panel);
    this.frame.classList.toggle('no-header', !panels.includes('header'));
    const wasLive = this.live && this.live.enabled;
    this.panels = panels;
    if (this.live) this.live.enabled = this.showsLive();
    if (this.live && this.live.enabled && !wasLive) this.refreshLearning();
    this.panelControls();
    X.applyToForm(this.root, { ...exp, ...this.edited });
    this.formFields();
    this.ui.problems.replaceChildren(...problems.map((p) => el('li', { text: p })));
    this.ui.problems.hidden = !problems.length;
    const said = problems.join('\n');
    if (problems.length && said !== this.lastProblems) this.emit('error', { message: said, problems });
    this.lastProblems = said;
    if (exp.model === null) {
      this.modelKey = null;
      this.loadToken++;
      this.info = null;
      this.setState_('error');
      this.readyReject(new X.ExperimentError(problems.find((p) => p.startsWith('model')) || 'No model.'));
      this.modelReady = Promise.reject(new X.ExperimentError(problems.join(' ')));
      this.modelReady.catch(() => {});
      this.ui.modelName.textContent = 'no model';
      this.ui.engine.hidden = true;
      return;
    }
    const key = JSON.stringify(exp.model);
    if (key !== this.modelKey && !this.training) {
      this.modelKey = key;
      this.modelReady = this.load(exp);
      this.modelReady.catch(() => {});
    }
  }

  applySize(valid) {
    const size = valid.size ? this.getAttribute('size').trim() : 'medium';
    this.frame.dataset.size = size;
    this.frame.dataset.theme = valid.theme ? this.getAttribute('theme').trim() : 'light';
    for (const a of ['width', 'height']) {
      if (!valid[a]) {
        this.style.removeProperty(a);
        continue;
      }
      const m = CSS_LENGTH.exec(this.getAttribute(a));
      this.style.setProperty(a, `${m[1]}${m[3] || 'px'}`);
    }
    this.frame.classList.toggle('fixed-height', !!valid.height);
  }

  // A hidden panel takes its controls with it: no Clear, and no "draw your own digit", without the pad.
  panelControls() {
    const u = this.ui;
    if (!u) return;
    const pad = (this.panels || []).includes('pad');
    if (u.clear) u.clear.hidden = !pad;
    if (this.builtMode === 'classify') u.title.textContent = pad ? TITLES.classify : 'What the network says';
    if (this.views.draw) {
      this.views.draw.prompt = pad ? '' : 'No image yet';
      if (!this.views.draw.image) this.views.draw.showProbs(null);
    }
    if (u.caption && u.caption.dataset.sample) u.caption.textContent = this.sampleCaption();
  }

  sampleCaption() {
    const pad = (this.panels || []).includes('pad');
    return `A handwritten 2 from the MNIST test set. ${pad ? 'Draw your own digit, or pick' : 'Pick'} another test image.`;
  }

  // The train form shows what Start will run: the usual five settings, every other one that an
  // attribute or a shared experiment set, Iterations instead of Epochs when it is set, and a sentence.
  formFields() {
    const u = this.ui;
    if (!u || !u.form) return;
    const exp = { ...this.exp, ...this.edited };
    const byIterations = exp.iterations > 0;
    for (const k of X.HYPER_KEYS) {
      const f = u.form.querySelector(`#${k}`);
      if (!f) continue;
      let show = FORM_KEYS.includes(k) || exp[k] !== X.DEFAULTS[k];
      if (k === 'epochs') show = !byIterations;
      if (k === 'iterations') show = byIterations;
      f.closest('label').hidden = !show;
    }
    u.runs.textContent = runText(exp);
  }

  // Loads the experiment's model into this widget's slot of the shared worker (loads run one
  // after the other; only the newest one updates the view).
  load(exp, fresh = false) {
    const token = ++this.loadToken;
    const key = JSON.stringify(exp.model);
    const run = async () => {
      if (!fresh) {
        this.setState_('loading');
        this.say('Loading the engine and the model…');
      }
      let entry;
      try {
        entry = this.entry;
      } catch (e) {
        throw new Error(`The engine could not start: ${e.message}`);
      }
      this.subscribe();
      let init;
      try {
        init = await entry.init;
      } catch (e) {
        throw new Error(`The engine could not start: ${e.message}`);
      }
      const { req, label, trained } = await this.session.modelRequest(exp.model);
      const info = await entry.client.loadModel(req, this.slot_);
      return { init, info, label, trained };
    };
    const p = this.loadChain.then(run, run);
    this.loadChain = p.catch(() => {});
    return p.then(
      ({ init, info, label, trained }) => {
        if (token !== this.loadToken) return;
        this.loadedKey = key;
        this.session.setModel(info, label, trained);
        this.onModel(info, init, label, fresh);
        this.readyResolve();
      },
      (e) => {
        if (token === this.loadToken && !fresh) {
          this.info = null;
          this.setState_('error');
          this.ui.modelName.textContent = 'no model';
          this.ui.engine.hidden = true;
          this.report(e);
          this.readyReject(e);
        }
        throw e;
      },
    );
  }

  onModel(info, init, label, fresh) {
    this.info = info;
    this.init = init;
    if (fresh) return;
    // A trained model in a train widget is fine-tuned by Start (model="pretrained" asks for that): said.
    const fineTune = this.exp.mode === 'train' && this.session.trained ? ' — Start fine-tunes its trained weights' : '';
    this.ui.modelName.textContent = `${label}${fineTune}`;
    this.ui.modelName.title = `${info.name}: ${fmtInt(info.total_params)} parameters, ${fmtCompact(info.total_macs)} multiply-adds per image`;
    this.ui.engine.hidden = false;
    this.ui.engine.textContent = init.variant === 'mt' ? `${init.threads} threads` : '1 thread';
    this.ui.engine.title = `WebAssembly SIMD engine ${init.buildInfo.version}, ${init.variant === 'mt' ? 'threaded' : 'single-threaded'} build`;
    this.setState_('ready');
    this.say(this.exp.mode === 'train' ? 'Ready: press Start to train on MNIST in your browser.' : '');
    const { draw, network } = this.views;
    if (network) {
      network.setModel(info);
      const first = info.layers.find((l) => /conv/.test(l.type)) || info.layers[1];
      if (first) network.select(first.name);
    }
    if (draw && this.session.trained) setTimeout(() => this.calibrate(null), 1500);
    if (draw) {
      if (draw.image) draw.show(draw.image);
      else if (this.exp.mode === 'network') this.showImage(SAMPLE, this.sampleCaption(), true);
    }
    this.emit('ready', {
      model: info.name,
      parameters: info.total_params,
      layers: info.layers.length,
      engine: init.variant,
    });
  }

  // Resolves to the engine's answer {probs, distance, notDigit, calibration}; the 'prediction' event carries
  // the ten probabilities and the verdict (lib/verdict.js).
  async predict(image, source) {
    await this.modelReady;
    const answer = await this.entry.client.judge(image.slice(), this.slot_);
    const probs = answer.probs;
    let top = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i] > probs[top]) top = i;
    const v = CnnVerdict.judgeAnswer(answer, image);
    this.emit('prediction', {
      probabilities: Array.from(probs),
      top,
      confidence: probs[top],
      verdict: v.verdict,
      calibratedConfidence: v.confidence,
      source,
    });
    return answer;
  }

  // Calibrates a trained model in the engine (views/calibration.js): after a training on its
  // validation split, otherwise on MNIST test images 5,001–10,000 (downloaded once, 1.6 MB).
  async calibrate(run) {
    if (!this.session_ || this.session_.training || (!run && !this.session_.trained)) return null;
    try {
      if (!run) await this.session_.ensureMnist(['test']);
      const r = await calibrateModel(this.session_, null, run || {});
      const d = this.views.draw;
      if (r && d && d.image && !d.inFlight && !d.dirty) d.show(d.image);
      return r;
    } catch (e) {
      return null;
    }
  }

  showImage(image, caption, sample = false) {
    const { draw, network } = this.views;
    if (draw) draw.show(image);
    if (network) network.setInput(image);
    if (this.ui.caption) {
      this.ui.caption.textContent = caption;
      this.ui.caption.dataset.sample = sample ? '1' : '';
    }
  }

  async testImage() {
    try {
      this.ui.caption.textContent = 'Downloading the MNIST test set…';
      const d = await this.session.ensureMnist(['test']);
      this.say('');
      const k = Math.floor(Math.random() * d.test.n);
      const r = await this.entry.client.testImages({ indices: [k] });
      this.showImage(
        Float32Array.from(r.pixels, (v) => v / 255),
        `Test image ${fmtInt(k)} of MNIST, labelled ${r.labels[0]}.`,
      );
    } catch (e) {
      this.ui.caption.textContent = e.message;
      this.say('');
    }
  }

  // The training ended (the session said so and shows the results): the promise of train().
  onDone({ status, message, test }) {
    this.setState_('ready');
    const detail = { status, message, test };
    this.emit('done', detail);
    if (this.doneResolve) this.doneResolve(detail);
    this.doneResolve = null;
    if (!this.isConnected) {
      this.release();
      return;
    }
    this.schedule(); // attributes changed during the training take effect now
    const cfg = this.session_ && this.session_.config;
    if (status !== 'failed' && status !== 'diverged' && cfg)
      setTimeout(() => this.calibrate({ validation: cfg.validation || 0, seed: cfg.seed || 1 }), 0);
  }

  controls() {
    const u = this.ui;
    if (!u || !u.start) return;
    const { training = false, paused = false, stopping = false } = this.session_ || {};
    u.start.disabled = training;
    u.pause.disabled = !training || paused || stopping;
    u.resume.disabled = !training || !paused || stopping;
    u.stop.disabled = !training || stopping;
    for (const f of u.form.querySelectorAll('input, select')) f.disabled = training;
  }

  async copy(kind) {
    const u = this.ui;
    let text, what;
    try {
      if (kind === 'link') {
        text = this.getShareUrl();
        what = 'Link';
      } else {
        text = this.getEmbedCode(location.href.startsWith(`${ROOT}embed.html`) ? 'iframe' : 'script');
        what = 'Embed code';
      }
    } catch (e) {
      u.shareMsg.textContent = e.message;
      return;
    }
    u.shareOut.value = text;
    u.shareOut.hidden = false;
    u.shareOut.rows = kind === 'link' ? 2 : 3;
    try {
      await navigator.clipboard.writeText(text);
      u.shareMsg.textContent = `${what} copied to the clipboard.`;
    } catch (e) {
      u.shareMsg.textContent = `Select the ${what.toLowerCase()} below and copy it.`;
      u.shareOut.focus();
      u.shareOut.select();
    }
  }

  // ---- mode="lab": one experiment of the Lab (views/lab/lab-view.js), no model of its own ----
  updateLab() {
    const valid = {};
    for (const a of ['size', 'theme', 'width', 'height']) valid[a] = this.hasAttribute(a);
    if (valid.theme && !THEMES.includes(this.getAttribute('theme').trim())) valid.theme = false;
    if (valid.size && !SIZES.includes(this.getAttribute('size').trim())) valid.size = false;
    for (const a of ['width', 'height']) if (valid[a] && !CSS_LENGTH.test(this.getAttribute(a))) valid[a] = false;
    this.applySize(valid);
    const id = (this.getAttribute('lab') || '').trim();
    const problems = [];
    let exp = null;
    try {
      exp = Lab.get(id);
    } catch (e) {
      problems.push(`lab: ${e.message}`);
    }
    const given = {};
    if (exp) for (const s of exp.settings) if (this.hasAttribute(s.key)) given[s.key] = this.getAttribute(s.key);
    const resolved = exp ? Lab.resolveSettings(id, given) : { settings: {}, problems: [] };
    problems.push(...resolved.problems);
    if (this.builtMode !== 'lab' || this.labId !== id) {
      this.builtMode = 'lab';
      this.labId = id;
      this.views = {};
      const ui = (this.ui = {});
      ui.problems = el('ul', { class: 'problems', role: 'alert', hidden: true });
      ui.msg = el('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
      ui.modelName = el('span', { class: 'model-name', text: exp ? 'Lab' : '' });
      ui.engine = el('span', { class: 'badge', text: 'the engine runs it in your browser' });
      const body = el('div', { class: 'body lab' });
      this.frame.replaceChildren(
        el(
          'div',
          { class: 'head', 'data-panel': 'header' },
          (ui.title = el('strong', { class: 'title', text: exp ? `Lab: ${exp.title}` : 'Lab' })),
          ui.engine,
        ),
        ui.problems,
        body,
        ui.msg,
      );
      this.views.lab = exp
        ? new LabView(body, id, {
            session: this.session,
            settings: resolved.settings,
            onResult: (r) => this.emit('lab-result', { lab: r.lab, settings: r.settings, claims: r.claims }),
            onError: (message) => this.emit('error', { message, problems: [message] }),
          })
        : null;
      if (!this.labSheet) {
        this.labSheet = el('link', { rel: 'stylesheet', href: new URL('../views/lab/lab.css', import.meta.url).href });
        this.root.prepend(this.labSheet);
      }
    } else if (this.views.lab) {
      Object.assign(this.views.lab.values, resolved.settings);
      this.views.lab.sync();
    }
    this.ui.problems.replaceChildren(...problems.map((p) => el('li', { text: p })));
    this.ui.problems.hidden = !problems.length;
    const said = problems.join('\n');
    if (problems.length && said !== this.lastProblems) this.emit('error', { message: said, problems });
    this.lastProblems = said;
    this.setState_(exp ? 'ready' : 'error');
    if (exp) this.readyResolve();
    else this.readyReject(new X.ExperimentError(problems[0]));
  }

  // Runs the widget's Lab experiment (mode="lab") with its settings, overridden by `settings`;
  // resolves to {lab, settings, claims: [{id, text, value, holds}], ...data} (also the "lab-result"
  // event's detail, without the data).
  async runLab(settings = {}) {
    if (this.builtMode !== 'lab' || !this.views.lab)
      throw new Error('runLab() needs mode="lab" and a valid lab="<id>".');
    const { problems } = Lab.resolveSettings(this.labId, settings);
    if (problems.length) throw new X.ExperimentError(`${Lab.get(this.labId).title}: ${problems.join('; ')}.`);
    return this.views.lab.run(settings);
  }

  // ---- building the views of a mode ----
  build(mode) {
    this.builtMode = mode;
    this.views = {};
    const ui = (this.ui = {});
    ui.modelName = el('span', { class: 'model-name', text: '…' });
    ui.engine = el('span', { class: 'badge', text: 'loading…' });
    const header = el(
      'div',
      { class: 'head', 'data-panel': 'header' },
      (ui.title = el('strong', { class: 'title', text: TITLES[mode] })),
      ui.modelName,
      ui.engine,
    );
    ui.problems = el('ul', { class: 'problems', role: 'alert', hidden: true });
    ui.msg = el('p', { class: 'msg', role: 'status', 'aria-live': 'polite' });
    const body = el('div', { class: `body ${mode}` });
    if (mode === 'train') this.buildTrain(body);
    else this.buildDraw(body, mode);
    ui.shareMsg = el('span', { class: 'muted share-msg', role: 'status' });
    ui.shareOut = el('textarea', {
      class: 'share-out',
      readonly: true,
      rows: 2,
      hidden: true,
      spellcheck: 'false',
      'aria-label': 'Link or embed code to copy',
    });
    const share = el(
      'div',
      { class: 'share', 'data-panel': 'share' },
      el(
        'div',
        { class: 'row' },
        el('button', {
          type: 'button',
          text: 'Copy link',
          title: 'A link that opens exactly this experiment (model, settings, seed)',
          onclick: () => this.copy('link'),
        }),
        el('button', {
          type: 'button',
          text: 'Copy embed code',
          title: 'HTML that puts this widget, with these settings, on another page',
          onclick: () => this.copy('embed'),
        }),
        ui.shareMsg,
      ),
      ui.shareOut,
    );
    this.frame.replaceChildren(header, ui.problems, body, ui.msg, share);
    this.frame.dataset.mode = mode;
    this.controls();
    if (this.info) this.modelKey = null; // the new views need the model
  }

  buildDraw(body, mode) {
    const ui = this.ui;
    const pad = el('canvas', {
      class: 'pad',
      width: 280,
      height: 280,
      tabindex: 0,
      role: 'img',
      'aria-label': 'Drawing pad: draw one digit with the mouse, a finger or a pen. Delete clears it.',
    });
    const hint = el('p', { class: 'pad-hint', text: 'Draw a digit here' });
    const clear = el('button', { type: 'button', text: 'Clear', title: 'Erase the drawing (Delete key on the pad)' });
    ui.clear = clear;
    const padPanel = el(
      'div',
      { class: 'pad-panel', 'data-panel': 'pad' },
      el('div', { class: 'pad-wrap' }, pad, hint),
    );
    const preview = el('canvas', {
      class: 'input28',
      width: 28,
      height: 28,
      role: 'img',
      'aria-label': 'The 28×28 input the network sees',
    });
    const top = el('span', { class: 'top-class', text: '?' });
    const topConf = el('span', { class: 'muted top-conf', text: 'Draw a digit in the box' });
    const bars = el('ol', { class: 'bars', 'aria-label': 'Probability of each class' });
    const inputPanel = el(
      'div',
      { class: 'input-panel', 'data-panel': 'input' },
      el('figure', {}, preview, el('figcaption', { text: 'What the network sees: 28×28' })),
    );
    const side = el(
      'div',
      { class: 'side' },
      inputPanel,
      el('div', { class: 'verdict', 'aria-live': 'polite' }, top, topConf),
      el(
        'div',
        { class: 'row' },
        clear,
        mode === 'network'
          ? el('button', {
              type: 'button',
              text: 'Test image',
              title: 'Show a random image of the MNIST test set (downloads it once, 1.6 MB)',
              onclick: () => this.testImage(),
            })
          : null,
      ),
    );
    const probsPanel = el(
      'div',
      { class: 'probs-panel', 'data-panel': 'probs' },
      el('p', { class: 'sub', text: 'Class probabilities' }),
      bars,
    );
    const top3 = el('div', { class: 'draw-row' }, padPanel, side, probsPanel);
    body.append(top3);
    this.views.draw = new DrawView({ pad, preview, clear, bars, top, topConf, hint }, (input) =>
      this.predict(input, 'draw'),
    );
    this.views.draw.clear();
    this.panelControls();
    if (mode !== 'network') return;
    ui.caption = el('p', { class: 'muted caption' });
    const scaling = el(
      'select',
      { title: "Scale each map to its own range, or all maps of a layer to the layer's range" },
      el('option', { value: 'map', text: 'per map' }),
      el('option', { value: 'layer', text: 'per layer' }),
    );
    const diagram = el('div', {
      class: 'net-diagram',
      role: 'group',
      'aria-label': 'Layers of the model; select one to inspect it',
    });
    const detail = el('div', { class: 'layer-detail', 'aria-live': 'polite', 'data-panel': 'detail' });
    body.append(
      ui.caption,
      el(
        'div',
        { class: 'diagram-panel', 'data-panel': 'diagram' },
        el(
          'div',
          { class: 'toolbar' },
          el('label', { class: 'field' }, 'Colour scale ', scaling),
          el('span', {
            class: 'muted',
            text: 'Columns are layers, left to right; each small square is one feature map for this input. Select a layer.',
          }),
        ),
        diagram,
      ),
      detail,
    );
    const api = {
      activations: (input) => this.entry.client.activations(input, this.slot_),
      weights: (layer) => this.entry.client.weights(layer, this.slot_),
    };
    const pending = import('../views/network.js').then(({ NetworkView }) => {
      if (this.builtMode !== mode || this.ui !== ui) return;
      this.views.network = new NetworkView({ diagram, detail, scaling }, api);
      this.views.draw.onInput((image) => {
        this.views.network.setInput(image);
        ui.caption.textContent = image ? 'Your drawing.' : '';
        ui.caption.dataset.sample = '';
      });
      if (this.info) {
        this.views.network.setModel(this.info);
        const first = this.info.layers.find((l) => /conv/.test(l.type));
        if (first) this.views.network.select(first.name);
        this.views.network.setInput(this.views.draw.image || SAMPLE);
      }
    });
    pending.catch((e) => this.report(e));
  }

  buildTrain(body) {
    const ui = this.ui;
    ui.form = renderSettings(
      el('form', { class: 'train-form', novalidate: true, onsubmit: (e) => e.preventDefault() }),
      X.HYPER_KEYS,
    );
    ui.runs = el('p', { class: 'muted runs', 'aria-live': 'polite' });
    ui.form.addEventListener('change', (e) => {
      const k = e.target.id;
      if (!Object.hasOwn(X.HYPER, k)) return;
      try {
        this.edited[k] = X.checkHyper(k, e.target.value);
        e.target.removeAttribute('aria-invalid');
        this.say('');
        this.formFields();
      } catch (err) {
        e.target.setAttribute('aria-invalid', 'true');
        this.say(err.message, 'error');
      }
    });
    const btn = (text, title, fn, cls) => el('button', { type: 'button', text, title, class: cls, onclick: fn });
    ui.start = btn(
      'Start',
      'Train on MNIST with these settings: a new network from random weights, or the trained model named above when one was chosen (fine-tuning)',
      () => this.train().catch(() => {}),
      'primary',
    );
    ui.pause = btn('Pause', 'Pause after the current mini-batch', () => this.pause().catch((e) => this.report(e)));
    ui.resume = btn('Resume', 'Continue from where it paused', () => this.resume().catch((e) => this.report(e)));
    ui.stop = btn('Stop', 'End the training and keep the weights learned so far', () =>
      this.stop().catch((e) => this.report(e)),
    );
    const controls = el(
      'div',
      { class: 'controls', 'data-panel': 'controls' },
      ui.form,
      ui.runs,
      el('div', { class: 'row run' }, ui.start, ui.pause, ui.resume, ui.stop),
    );
    const progress = el('progress', { max: 1, value: 0, 'aria-label': 'Training progress' });
    const progressText = el('span', { class: 'muted', text: 'Not started' });
    const lossChart = el('div', { class: 'chart', 'aria-label': 'Loss per iteration, raw and smoothed' });
    const accChart = el('div', { class: 'chart', 'aria-label': 'Training, validation and test accuracy per epoch' });
    const e = {
      testAcc: el('p', { class: 'big' }),
      testNote: el('p', { class: 'muted' }),
      confusion: el('canvas', { class: 'confusion', role: 'img' }),
      perClass: el('ol', { class: 'bars small' }),
      wrong: el('div', { class: 'wrong-grid' }),
      wrongNote: el('p', { class: 'muted' }),
    };
    const results = el(
      'div',
      { class: 'results' },
      el(
        'div',
        { class: 'result-block' },
        el('p', { class: 'sub', text: 'Test set' }),
        e.testAcc,
        e.testNote,
        el('p', { class: 'sub', text: 'Per-class accuracy' }),
        e.perClass,
      ),
      el('div', { class: 'result-block' }, el('p', { class: 'sub', text: 'Confusion matrix' }), e.confusion),
      el(
        'div',
        { class: 'result-block grow' },
        el('p', { class: 'sub', text: 'Misclassified test images' }),
        e.wrongNote,
        e.wrong,
      ),
    );
    // Watch it learn: the first layer's filters and a test image's probabilities, from the model as
    // it trains (views/learning.js); beside the controls and the progress in a wide widget, below
    // them in a narrow one.
    const learning = {
      filters: el('div', { class: 'filter-tiles', role: 'img', 'aria-label': "The first layer's filters" }),
      filtersNote: el('figcaption', { class: 'muted' }),
      preview: el('canvas', {
        class: 'input28',
        width: 28,
        height: 28,
        role: 'img',
        'aria-label': 'A handwritten 2 from the MNIST test set',
      }),
      bars: el('ol', { class: 'bars', 'aria-label': 'Probability of each class for this test image' }),
      state: el('span', { class: 'badge live-state', 'aria-live': 'off' }),
      caption: el('p', { class: 'muted live-caption' }),
    };
    const live = el(
      'section',
      { class: 'live-panel', 'data-panel': 'live', 'aria-label': 'Watch it learn' },
      el('div', { class: 'live-head' }, el('p', { class: 'sub', text: 'Watch it learn' }), learning.state),
      el(
        'div',
        { class: 'live-body' },
        el('figure', { class: 'live-filters' }, learning.filters, learning.filtersNote),
        el(
          'div',
          { class: 'live-answer' },
          el(
            'figure',
            { class: 'live-input' },
            learning.preview,
            el('figcaption', { class: 'muted', text: 'Test image' }),
          ),
          learning.bars,
        ),
      ),
      learning.caption,
    );
    this.views.learning = new LearningView(
      learning,
      {
        weights: (layer) => this.entry.client.weights(layer, this.slot_),
        classify: (input) => this.entry.client.classify(input, this.slot_),
      },
      { input: SAMPLE, what: 'a handwritten 2 from the MNIST test set' },
    );
    body.append(
      el(
        'div',
        { class: 'train-top' },
        el(
          'div',
          { class: 'train-main' },
          controls,
          el('div', { class: 'progress-row', 'data-panel': 'progress' }, progress, progressText),
        ),
        live,
      ),
      el(
        'div',
        { class: 'charts' },
        el('div', { class: 'chart-panel', 'data-panel': 'loss' }, lossChart),
        el('div', { class: 'chart-panel', 'data-panel': 'accuracy' }, accChart),
      ),
      el('div', { 'data-panel': 'results' }, results),
    );
    if (!this.root.querySelector('link.uplot')) {
      this.root.insertBefore(
        el('link', { rel: 'stylesheet', class: 'uplot', href: `${ROOT}vendor/uplot/uPlot.min.css` }),
        this.frame,
      );
    }
    const api = { testImages: (q) => this.entry.client.testImages(q) };
    import('../views/train.js')
      .then(({ TrainView }) => {
        if (this.ui !== ui) return;
        this.views.train = new TrainView({ lossChart, accChart, progress, progressText, results, ...e }, api);
        if (this.session_) this.views.train.following = this.views.train.follow(this.session_);
      })
      .catch((err) => this.report(err));
  }
}

if (!customElements.get(TAG)) customElements.define(TAG, CnnWidget);
