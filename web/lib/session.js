// A session: one model in the engine (a slot of the worker) and its training — the flow the app
// (web/app.js) and the widget (web/widget/cnn-widget.js) share, written once: loading a model by
// reference, loading MNIST (once per engine), train / pause / resume / stop, the status text of
// each step, checkpoints, and what an engine restart means for the running training.
//
// It talks to the engine only through the client's typed methods, touches no DOM, and says what
// happens through events (on(name, fn) returns an unsubscribe function):
//   status   {text, kind: ''|'ok'|'error'}           the line to show under the controls
//   state    {training, paused, stopping}            for the buttons and the form
//   model    {info, label, trained}                  the slot's model changed
//   progress, epoch, evaluation, evaluating, checkpoint, done   the worker's events for this slot
//   crash    {message, iteration}                    the engine stopped; the training goes on from
//                                                    `iteration` (views roll their curves back)
import * as X from './experiment.js';
import { fmtBytes, fmtInt, fmtPct } from './format.js';
import { restartText } from '../engine-client.js';

// What all sessions of one engine client share: the zoo's index, model files, the MNIST parts.
const shared = new WeakMap();
function sharedOf(client, base) {
  let s = shared.get(client);
  if (!s) shared.set(client, (s = { base, zoo: null, files: new Map(), mnist: new Map() }));
  return s;
}

// The status texts, in one place.
export const TEXT = {
  downloading: 'Downloading MNIST…',
  training: 'Training…',
  resuming: (iteration) => `Resuming from iteration ${fmtInt(iteration)}…`,
  paused: 'Paused. Resume continues exactly where it stopped.',
  stopping: 'Stopping… (the test set is evaluated with the weights learned so far)',
  evaluating: ({ done, total }) =>
    `Evaluating on the test set… ${Math.floor((100 * done) / total)} % (${fmtInt(done)} of ${fmtInt(total)} images)`,
  epoch: ({ record, test }) =>
    `Epoch ${record.epoch}: validation accuracy ${record.has_validation === false ? '–' : fmtPct(record.val_accuracy)}${test ? `, test accuracy ${fmtPct(test.accuracy)}` : ''}`,
  done: ({ status, message, test }) =>
    status === 'diverged' || status === 'failed'
      ? `${message} Lower the learning rate and start again.`
      : `${status === 'early_stopped' ? 'Stopped early (validation accuracy stopped improving)' : status === 'stopped' ? 'Stopped' : 'Finished'}${test ? `: test accuracy ${fmtPct(test.accuracy)}` : ''}.`,
  untrained: 'untrained (random weights)',
  // The engine gave up restarting (engine-client.js 'error'): `extra` says what is kept.
  engineStopped: (message, extra = '') =>
    /^The engine/.test(message) ? message : `The engine stopped: ${message}. Reload the page${extra}.`,
};

export class Session {
  // client: an EngineClient; slot: the worker's model slot ('' = the default one); base: the URL of
  // the app's folder (models/, data/).
  constructor(client, { slot = '', base }) {
    this.client = client;
    this.slot = slot;
    this.shared = sharedOf(client, base);
    this.base = base;
    this.listeners = new Map();
    this.info = null;
    this.label = '';
    this.trained = false;
    this.training = false;
    this.paused = false;
    this.stopping = false;
    this.lastProgress = null;
    this.checkpoint = null; // {iteration, epoch, total}: the running training's last checkpoint
    this.waitingData = false;
    this.resumingFrom = null;
    const mine = (fn) => (m) => {
      if ((m.slot || '') === (this.slot || '')) fn(m);
    };
    this.off = [
      client.on(
        'progress',
        mine((p) => this.onProgress(p)),
      ),
      client.on(
        'epoch',
        mine((m) => this.onEpoch(m)),
      ),
      client.on(
        'evaluation',
        mine((m) => this.emit('evaluation', m)),
      ),
      client.on(
        'evaluating',
        mine((m) => this.onEvaluating(m)),
      ),
      client.on(
        'checkpoint',
        mine((m) => this.onCheckpoint(m)),
      ),
      client.on(
        'done',
        mine((m) => this.onDone(m)),
      ),
      client.on('data', ({ what, loaded, total }) => {
        if (this.waitingData) this.say(`Downloading ${what}: ${fmtBytes(loaded)} of ${fmtBytes(total)}`);
      }),
      client.on('crash', ({ message, training }) => {
        if (!training || (training.slot || '') !== (this.slot || '') || !this.training) return;
        this.emit('crash', { message, iteration: training.iteration });
        this.say(message, 'error');
      }),
      client.on('restarted', (ev) => {
        if (this.training) this.say(restartText(ev, this.slot), ev.problems.length ? 'error' : '');
      }),
      client.on('error', ({ message }) => {
        const was = this.training;
        this.setState({ training: false, paused: false, stopping: false });
        if (was) this.say(TEXT.engineStopped(message), 'error');
      }),
    ];
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(fn);
    return () => this.listeners.get(event).delete(fn);
  }

  emit(event, detail) {
    for (const fn of this.listeners.get(event) || []) {
      try {
        fn(detail);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
  }

  say(text, kind = '') {
    this.statusText = { text, kind };
    this.emit('status', this.statusText);
  }

  setState(s) {
    Object.assign(this, s);
    this.emit('state', { training: this.training, paused: this.paused, stopping: this.stopping });
  }

  dispose() {
    for (const off of this.off) off();
    this.off = [];
    this.listeners.clear();
  }

  // ---- models ----
  zoo() {
    const s = this.shared;
    if (!s.zoo) {
      s.zoo = fetch(`${this.base}models/index.json`).then((r) => {
        if (!r.ok) throw new Error(`Could not load the list of models (${r.status}).`);
        return r.json();
      });
      s.zoo.catch(() => {
        s.zoo = null;
      });
    }
    return s.zoo;
  }

  fetchOnce(url, what) {
    const files = this.shared.files;
    if (!files.has(url)) {
      const p = fetch(url).then((r) => {
        if (!r.ok) throw new Error(`Could not download ${what} (${r.status}).`);
        return r.arrayBuffer();
      });
      files.set(url, p);
      p.catch(() => files.delete(url));
    }
    return files.get(url);
  }

  // A model reference as an engine request and the name it is shown under:
  //   "pretrained" | a zoo name | a model description | {bytes|json, name, label, trained}
  async modelRequest(ref) {
    if (ref && typeof ref === 'object' && (ref.bytes || ref.json)) {
      const { label, trained, fromEditor, ...req } = ref;
      return { req, label: label || req.name, trained: trained ?? !!ref.bytes };
    }
    const z = await this.zoo();
    if (ref === 'pretrained') {
      if (!z.pretrained) throw new X.ExperimentError('This site has no pretrained model.');
      const buf = await this.fetchOnce(`${this.base}models/${z.pretrained.file}`, 'the pretrained model');
      return {
        req: { bytes: new Uint8Array(buf.slice(0)), name: 'pretrained' },
        label: z.pretrained.label,
        trained: true,
      };
    }
    if (typeof ref === 'string') {
      const entry = z.zoo.find((m) => m.name === ref);
      if (!entry)
        throw new X.ExperimentError(
          `There is no model named ${X.quote(ref)}. Known models: pretrained, ${z.zoo.map((m) => m.name).join(', ')}.`,
        );
      const buf = await this.fetchOnce(`${this.base}models/${entry.name}.json`, `the model ${entry.name}`);
      return {
        req: { json: new TextDecoder().decode(buf), name: entry.name },
        label: `${entry.label} — ${TEXT.untrained}`,
        trained: false,
      };
    }
    return {
      req: { json: JSON.stringify(ref), name: ref.name || 'custom' },
      label: `${ref.name || 'custom model'} — ${TEXT.untrained}`,
      trained: false,
    };
  }

  // Loads a model into the slot (refused while training); emits 'model'.
  async loadModel(ref) {
    if (this.training) throw new Error('Stop the training before switching models.');
    return this.load_(ref);
  }

  async load_(ref) {
    const { req, label, trained } = await this.modelRequest(ref);
    const info = await this.client.loadModel(req, this.slot);
    this.setModel(info, label, trained, ref);
    return info;
  }

  // ref: what was asked for (listeners can tell who asked, e.g. the layer editor's own loads)
  setModel(info, label, trained, ref = null) {
    this.info = info;
    this.label = label;
    this.trained = trained;
    this.emit('model', { info, label, trained, ref });
  }

  // ---- data ----
  // The MNIST parts, loaded once per engine whichever session asks first; resolves to the
  // worker's description of the data.
  async ensureMnist(parts = ['train', 'test']) {
    const cache = this.shared.mnist;
    const request = (p) => this.client.loadData({ source: 'mnist', base: `${this.base}data/`, parts: p });
    for (const part of parts) {
      if (!cache.has(part)) {
        const p = request([part]);
        cache.set(part, p);
        p.catch(() => cache.delete(part));
      }
    }
    this.waitingData = true;
    try {
      let desc = null;
      for (const part of parts) desc = await cache.get(part);
      // The last answer describes everything loaded so far; ask again if a part is missing from it.
      if (parts.some((p) => !desc[p])) desc = await request(parts);
      return desc;
    } finally {
      this.waitingData = false;
    }
  }

  // Other data replaced MNIST in the worker (the app's uploads): load it again when asked.
  forgetMnist() {
    this.shared.mnist.clear();
  }

  // ---- training ----
  // Trains the slot's model with the experiment's hyperparameters. `model`: a reference to load
  // first (fresh weights), or undefined to train the model as it is; `data`: the worker's data
  // description when the caller loaded other data (MNIST is loaded otherwise); `resume`: checkpoint
  // bytes to continue from, with `from` its iteration. Resolves once the worker started.
  async train(exp, { model, data, resume, from = 0, config } = {}) {
    if (this.training) throw new Error('A training is already running: stop it first.');
    this.setState({ training: true, paused: false, stopping: false });
    try {
      if (model !== undefined) await this.load_(model);
      let d = data;
      if (!d) {
        this.say(TEXT.downloading);
        d = await this.ensureMnist(['train', 'test']);
      }
      const cfg = config || X.trainConfig(exp);
      if (cfg.validation >= d.train.n)
        throw new X.ExperimentError(
          `Validation images (${fmtInt(cfg.validation)}) must be fewer than the training images (${fmtInt(d.train.n)}).`,
        );
      this.config = cfg;
      this.checkpoint = null;
      this.lastProgress = null;
      this.resumingFrom = resume ? from : null;
      this.emit('start', { config: cfg, resume: !!resume });
      this.say(resume ? TEXT.resuming(from) : TEXT.training);
      return await this.client.train(cfg, { resume, slot: this.slot });
    } catch (e) {
      this.setState({ training: false, paused: false, stopping: false });
      this.say(e.message, 'error');
      throw e;
    }
  }

  async pause() {
    const r = await this.client.pause(this.slot);
    if (this.training && !this.stopping) {
      this.setState({ paused: r.state === 'paused' });
      if (this.paused) this.say(TEXT.paused);
    }
    return r.state;
  }

  async resume() {
    const r = await this.client.resume(this.slot);
    if (this.training && !this.stopping) {
      this.setState({ paused: r.state === 'paused' });
      if (!this.paused) this.say(TEXT.training);
    }
    return r.state;
  }

  async stop() {
    if (this.training) {
      this.setState({ stopping: true, paused: false });
      this.say(TEXT.stopping);
    }
    const r = await this.client.stop(this.slot);
    return r.state;
  }

  // ---- the worker's events ----
  onProgress(p) {
    this.lastProgress = p;
    // "Resuming from…" (or a restart's message) gives way to the normal status once it runs.
    if (this.resumingFrom !== null && !this.paused && !this.stopping) {
      this.resumingFrom = null;
      this.say(TEXT.training);
    }
    this.emit('progress', p);
  }

  onEpoch(m) {
    if (!this.stopping) this.say(TEXT.epoch(m));
    this.emit('epoch', m);
  }

  onEvaluating(m) {
    if (m.what === 'final' || !this.stopping) this.say(TEXT.evaluating(m));
    this.emit('evaluating', m);
  }

  onCheckpoint(m) {
    this.checkpoint = { iteration: m.iteration, epoch: m.epoch, total: m.total_iterations };
    this.emit('checkpoint', m);
  }

  async onDone(m) {
    this.setState({ training: false, paused: false, stopping: false });
    this.resumingFrom = null;
    const bad = m.status === 'diverged' || m.status === 'failed';
    this.say(TEXT.done(m), bad ? 'error' : 'ok');
    this.emit('done', m);
    try {
      const info = await this.client.modelInfo(this.slot);
      const name = this.label.replace(/ — .*$/, '') || info.name;
      this.setModel(info, `${name} — trained here${m.test ? ` (${fmtPct(m.test.accuracy)})` : ''}`, true);
    } catch (e) {
      /* the model stays as it was */
    }
  }
}
