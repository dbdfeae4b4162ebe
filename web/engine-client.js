// The page's side of the worker protocol (web/worker/protocol.js): one promise per request, and
// listeners for the worker's events (progress, epoch, checkpoint, done, data).
//
// It also keeps the engine alive. If the worker dies (a wasm trap, which the worker reports as a
// "fatal" event; an uncaught error, an 'error' event on the Worker; or it stops answering: a ping
// unanswered for `hangMs`), the client
//   1. terminates it and rejects every pending request with an EngineCrashError (nothing hangs);
//   2. emits {event: 'crash', reason, message, training: {slot, iteration} | null};
//   3. starts a new worker and replays what the page had given the old one: init, the data loads,
//      each slot's model (the latest weights it knows: the model loaded, or the one saved after a
//      training ended), and the running training from its last checkpoint event (from the start if
//      none came yet), paused again if it was paused;
//   4. emits {event: 'restarted', reason, message, resumed: {slot, iteration, paused} | null, problems}.
// Requests made while it restarts wait and go to the new worker. After `maxRestarts` crashes within
// `restartWindowMs` it gives up: {event: 'error', message} and every request rejects.
// The app (web/app.js) and the widget (web/widget/cnn-widget.js) both rely on this; they only show
// the messages (restartText) and roll their curves back to the checkpoint.
//
// Requests go through typed methods (client.classify(input, slot), client.train(config, {resume,
// slot}), ...), whose names are the protocol's (lib/protocol.js REQ); request() refuses any other
// name. Every request takes {signal} (an AbortSignal: the promise rejects with an AbortError at once,
// and a late reply is dropped) and {queue: "<key>"}: requests of one queue run one at a time, and a
// newer one replaces the one still waiting (which rejects with an AbortError) — classifying while
// the user draws sends only the latest drawing.
import { fmtInt } from './lib/format.js';
import { REQ, TYPES, transferables } from './lib/protocol.js';

export class EngineCrashError extends Error {
  constructor(message) {
    super(message);
    this.name = 'EngineCrashError';
  }
}

const slotKey = (slot) => (slot === undefined || slot === null ? '' : slot);
const copyBytes = (b) => (b instanceof Uint8Array ? b.slice() : b);

// The message a page shows after a restart, for the model in `slot` ('' = the app's).
export function restartText(ev, slot = '') {
  const head = `The engine stopped unexpectedly (${ev.reason}).`;
  const r = ev.resumed;
  if (r && slotKey(r.slot) === slotKey(slot)) {
    const at = r.iteration ? `iteration ${fmtInt(r.iteration)}` : 'the start (no checkpoint had been made yet)';
    return `${head} It has been restarted and your model restored; training ${r.paused ? 'is paused at' : 'resumes from'} ${at}.`;
  }
  return `${head} It has been restarted and your model restored.`;
}

export class EngineClient {
  // options: hangMs (a ping unanswered this long means the worker hangs), busyMs (the same after the
  // worker announced a long synchronous step, a test-set evaluation: a "busy" event), pingMs,
  // maxRestarts, restartWindowMs.
  constructor(workerUrl = new URL('./worker/engine-worker.js', import.meta.url), options = {}) {
    this.url = new URL(workerUrl, location.href);
    this.hangMs = options.hangMs || 60000;
    this.busyMs = options.busyMs || 15 * 60000;
    this.pingMs = options.pingMs || 5000;
    this.maxRestarts = options.maxRestarts || 3;
    this.restartWindowMs = options.restartWindowMs || 120000;
    this.nextId = 1;
    this.pending = new Map(); // id -> {resolve, reject, type, payload (a copy, for the memo)}
    this.listeners = new Map();
    this.state = 'running'; // 'running' | 'restarting' | 'failed'
    this.generation = 0; // workers started so far
    this.restarts = []; // times of the restarts within the window
    this.failure = null; // the error once it gave up
    // What the worker holds, to replay into a new one.
    this.memo = {
      init: false,
      data: [], // successful loadData requests, in order (the last non-MNIST one first)
      models: new Map(), // slot -> {req, seq}: the request that gives the slot's current model
      run: null, // {slot, config, checkpoint: {bytes, iteration, epoch} | null, paused, stopping}
    };
    this.start_();
    this.watchdog = setInterval(() => this.watch_(), Math.min(this.pingMs, 1000));
  }

  // Browsers start workers only from the page's origin: a worker on another origin (an embedded
  // widget served from elsewhere) is started through a same-origin blob that imports it.
  static createWorker(url) {
    if (url.origin === location.origin) return new Worker(url);
    const src = `self.CNN_WORKER_URL = ${JSON.stringify(url.href)};\nimportScripts(${JSON.stringify(url.href)});\n`;
    return new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, []);
    this.listeners.get(event).push(fn);
    return () =>
      this.listeners.set(
        event,
        this.listeners.get(event).filter((f) => f !== fn),
      );
  }

  // Typed arrays in the payload are transferred: pass copies of arrays you still need.
  request(type, payload = {}, { signal, queue } = {}) {
    if (!TYPES.includes(type)) return Promise.reject(new Error(`unknown engine request '${type}'`));
    if (signal && signal.aborted) return Promise.reject(abortError());
    if (queue) return this.queued_(queue, () => this.request(type, payload, { signal }));
    let p;
    if (this.state === 'failed') p = Promise.reject(this.failure);
    else if (this.state === 'restarting') p = this.restored.then(() => this.request(type, payload));
    else p = this.send_(type, payload);
    if (!signal) return p;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(abortError());
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  // One at a time per key; a newer request replaces the one waiting.
  queued_(key, run) {
    if (!this.queues) this.queues = new Map();
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = { busy: false, waiting: null }));
    return new Promise((resolve, reject) => {
      if (q.waiting) q.waiting.reject(abortError('replaced by a newer request'));
      q.waiting = { run, resolve, reject };
      const next = () => {
        if (q.busy || !q.waiting) return;
        const job = q.waiting;
        q.waiting = null;
        q.busy = true;
        job
          .run()
          .then(job.resolve, job.reject)
          .finally(() => {
            q.busy = false;
            next();
          });
      };
      next();
    });
  }

  terminate() {
    clearInterval(this.watchdog);
    this.state = 'failed';
    this.failure = new EngineCrashError('The engine was shut down.');
    if (this.worker) this.worker.terminate();
    this.rejectPending_(this.failure);
  }

  // For the end-to-end tests: 'terminate' kills the real worker without a word (the watchdog finds
  // out); 'trap' and 'error' ask the worker to fail as a trapping engine or a thrown error would
  // (protocol request crashForTest).
  _crashForTest(how = 'terminate') {
    if (how === 'terminate') {
      this.worker.terminate();
      return;
    }
    this.worker.postMessage({ id: 0, type: REQ.crashForTest, how });
  }

  // ---- internals ----
  emit_(msg) {
    for (const fn of this.listeners.get(msg.event) || []) {
      try {
        fn(msg);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
  }

  start_() {
    const gen = ++this.generation;
    this.heard = false; // the worker has answered at least once
    this.lastHeard = Date.now();
    this.pingSentAt = 0;
    this.busyUntil = 0;
    const w = EngineClient.createWorker(this.url);
    this.worker = w;
    w.onmessage = (ev) => {
      if (gen !== this.generation) return;
      this.lastHeard = Date.now();
      this.heard = true;
      const msg = ev.data || {};
      this.busyUntil = msg.event === 'busy' ? this.lastHeard + this.busyMs : 0;
      if (msg.event === 'busy') return;
      if (msg.event === 'fatal') {
        this.crash_(msg.message || 'the engine trapped');
        return;
      }
      if (msg.event) {
        this.observe_(msg);
        this.emit_(msg);
        return;
      }
      if (msg.id === -1) {
        // a ping's answer
        this.pingSentAt = 0;
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) {
        this.remember_(p, msg.id, msg.result);
        p.resolve(msg.result);
      } else {
        p.reject(new Error(msg.error));
      }
    };
    w.onerror = (ev) => {
      if (gen !== this.generation) return;
      ev.preventDefault();
      const what = ev.message || 'the worker failed';
      // A worker that never answered could not start (a missing file, a Content-Security-Policy):
      // starting another would fail the same way.
      if (!this.heard && gen === 1) {
        this.fail_(new Error(ev.message || 'The engine worker failed to start.'));
        return;
      }
      this.crash_(what);
    };
  }

  send_(type, payload = {}) {
    const id = this.nextId++;
    const msg = { id, type, ...payload };
    const memo = this.memoCopy_(type, payload); // before the typed arrays are transferred
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, type, memo, slot: payload.slot });
      this.worker.postMessage(msg, transferables(msg));
    });
  }

  watch_() {
    if (this.state === 'failed' || !this.worker) return;
    const now = Date.now();
    if (this.pingSentAt) {
      if (this.lastHeard < this.pingSentAt && now - this.pingSentAt > this.hangMs && now > this.busyUntil) {
        this.crash_(`it did not answer for ${Math.round((now - this.pingSentAt) / 1000)} s`);
      } else if (this.lastHeard >= this.pingSentAt) {
        this.pingSentAt = 0;
      }
      return;
    }
    if (now - this.lastHeard >= this.pingMs) {
      this.pingSentAt = now;
      this.worker.postMessage({ id: -1, type: REQ.ping });
    }
  }

  rejectPending_(err) {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  fail_(err) {
    this.state = 'failed';
    this.failure = err;
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.rejectPending_(err);
    if (this.restoredReject) this.restoredReject(err);
    this.emit_({ event: 'error', message: err.message });
  }

  // ---- what the worker holds ----
  memoCopy_(type, p) {
    if (type === REQ.loadData) {
      if (p.source === 'mnist') return { source: 'mnist', base: p.base, parts: [...(p.parts || ['train', 'test'])] };
      if (p.source === 'idx') {
        return {
          source: 'idx',
          trainImages: copyBytes(p.trainImages),
          trainLabels: copyBytes(p.trainLabels),
          testImages: copyBytes(p.testImages),
          testLabels: copyBytes(p.testLabels),
        };
      }
      return { ...p, files: [...(p.files || [])] }; // Files are cloned, not transferred
    }
    if (type === REQ.loadModel) {
      const { slot, ...req } = p;
      if (req.bytes) req.bytes = copyBytes(req.bytes);
      return req;
    }
    if (type === REQ.train) return { config: structuredClone(p.config), resume: copyBytes(p.resume) };
    return null;
  }

  // A request succeeded: what it changed in the worker.
  remember_(p, id, result) {
    const m = this.memo;
    switch (p.type) {
      case REQ.init:
        m.init = true;
        break;
      case REQ.loadData:
        if (p.memo.source !== 'mnist') m.data = [p.memo];
        else if (!m.data.some((d) => JSON.stringify(d) === JSON.stringify(p.memo))) m.data.push(p.memo);
        break;
      case REQ.loadModel:
        this.setModel_(p.slot, p.memo, id);
        break;
      case REQ.unloadModel:
        m.models.delete(slotKey(p.slot));
        break;
      case REQ.saveModel: {
        const old = m.models.get(slotKey(p.slot));
        this.setModel_(p.slot, { bytes: result.bytes.slice(), name: old ? old.req.name : undefined }, id);
        break;
      }
      case REQ.train: {
        const cp = p.memo.resume
          ? { bytes: p.memo.resume, iteration: result.iteration || 0, epoch: result.epoch || 0 }
          : null;
        m.run = { slot: slotKey(p.slot), config: p.memo.config, checkpoint: cp, paused: false, stopping: false };
        break;
      }
      case REQ.pause:
      case REQ.resume:
      case REQ.stop:
        if (m.run && (p.slot === undefined || slotKey(p.slot) === m.run.slot)) {
          if (p.type === REQ.stop && result.state !== 'idle') m.run.stopping = true;
          else m.run.paused = result.state === 'paused';
        }
        break;
      default:
        break;
    }
  }

  setModel_(slot, req, seq) {
    const key = slotKey(slot);
    const old = this.memo.models.get(key);
    if (old && old.seq > seq) return;
    this.memo.models.set(key, { req, seq });
  }

  // Events: the running training's checkpoints and end.
  observe_(msg) {
    const run = this.memo.run;
    if (!run || slotKey(msg.slot) !== run.slot) return;
    if (msg.event === 'checkpoint') {
      run.checkpoint = { bytes: msg.bytes, iteration: msg.iteration, epoch: msg.epoch };
    } else if (msg.event === 'done') {
      this.memo.run = null;
      // The trained weights: the last checkpoint at once, then the final model.
      if (run.checkpoint)
        this.setModel_(run.slot, { bytes: run.checkpoint.bytes, name: this.modelName_(run.slot) }, this.nextId);
      this.send_(REQ.saveModel, run.slot ? { slot: run.slot } : {}).catch(() => {});
    }
  }

  modelName_(slot) {
    const m = this.memo.models.get(slotKey(slot));
    return m ? m.req.name : undefined;
  }

  crash_(reason) {
    if (this.state === 'failed') return;
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.rejectPending_(new EngineCrashError(`The engine stopped unexpectedly (${reason}); it is being restarted.`));
    if (this.state === 'restarting') return; // the restore under way sees its request fail and starts again
    this.state = 'restarting';
    this.restored = new Promise((res, rej) => {
      this.restoredResolve = res;
      this.restoredReject = rej;
    });
    this.restored.catch(() => {});
    const run = this.memo.run;
    this.emit_({
      event: 'crash',
      reason,
      message: `The engine stopped unexpectedly (${reason}). It is being restarted…`,
      training:
        run && !run.stopping ? { slot: run.slot, iteration: run.checkpoint ? run.checkpoint.iteration : 0 } : null,
    });
    this.restore_(reason);
  }

  async restore_(reason) {
    for (;;) {
      const now = Date.now();
      this.restarts = this.restarts.filter((t) => now - t < this.restartWindowMs);
      if (this.restarts.length >= this.maxRestarts) {
        this.fail_(
          new EngineCrashError(
            `The engine stopped unexpectedly (${reason}) ${this.restarts.length + 1} times within ` +
              `${Math.round(this.restartWindowMs / 60000)} minutes, so it was not started again. Reload the page; your checkpoints are kept.`,
          ),
        );
        return;
      }
      this.restarts.push(now);
      this.start_();
      try {
        const done = await this.replay_();
        this.state = 'running';
        this.emit_({ event: 'restarted', reason, ...done });
        this.restoredResolve();
        return;
      } catch (e) {
        // The new worker failed too (its crash rejected the request), or could not start.
        if (this.state === 'failed') return;
        if (this.worker) this.worker.terminate();
        this.worker = null;
        this.rejectPending_(e);
        reason = e instanceof EngineCrashError ? reason : e.message;
      }
    }
  }

  // Sends the memo to the new worker. A crash (EngineCrashError) or a failed init aborts the replay;
  // other failures are collected as problems and the rest goes on.
  async replay_() {
    const m = this.memo;
    const problems = [];
    const soft = async (what, fn) => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof EngineCrashError) throw e;
        problems.push(`${what}: ${e.message}`);
        return null;
      }
    };
    if (m.init) await this.send_(REQ.init);
    for (const d of m.data) {
      const req =
        d.source === 'idx'
          ? {
              ...d,
              trainImages: copyBytes(d.trainImages),
              trainLabels: copyBytes(d.trainLabels),
              testImages: copyBytes(d.testImages),
              testLabels: copyBytes(d.testLabels),
            }
          : d;
      await soft('the data', () => this.send_(REQ.loadData, req));
    }
    const run = m.run;
    for (const [slot, { req }] of [...m.models]) {
      if (run && run.slot === slot && run.checkpoint && !run.stopping) continue; // the checkpoint brings the model
      const r = { ...req, bytes: copyBytes(req.bytes) };
      if (!r.bytes) delete r.bytes;
      await soft('the model', () => this.send_(REQ.loadModel, slot ? { ...r, slot } : r));
    }
    let resumed = null;
    if (run) {
      const slotArg = run.slot ? { slot: run.slot } : {};
      const ended = (status, message) => {
        m.run = null;
        this.emit_({ event: 'done', status, message, test: null, ...slotArg });
      };
      if (run.stopping) {
        // It was being stopped: the model keeps the weights of its last checkpoint.
        if (run.checkpoint) {
          await soft('the model', () =>
            this.send_(REQ.loadModel, {
              bytes: run.checkpoint.bytes.slice(),
              name: this.modelName_(run.slot),
              ...slotArg,
            }),
          );
        }
        ended('stopped', 'Training stopped; the model keeps the weights of its last checkpoint.');
      } else {
        const cp = run.checkpoint;
        if (cp) {
          // The slot's model, in case resuming fails.
          await soft('the model', () =>
            this.send_(REQ.loadModel, { bytes: cp.bytes.slice(), name: this.modelName_(run.slot), ...slotArg }),
          );
        }
        const ok = await soft('the training', () =>
          this.send_(REQ.train, { config: run.config, ...(cp ? { resume: cp.bytes.slice() } : {}), ...slotArg }),
        );
        if (ok) {
          if (run.paused) await soft('pausing', () => this.send_(REQ.pause, slotArg));
          resumed = { slot: run.slot, iteration: cp ? cp.iteration : 0, paused: run.paused };
        } else {
          ended(
            'failed',
            `The training could not be resumed after the engine restarted (${problems[problems.length - 1]}).`,
          );
        }
      }
    }
    return { resumed, problems };
  }
}

function abortError(why = 'cancelled') {
  return new DOMException(`The request was ${why}.`, 'AbortError');
}

// The typed methods: one per request of the protocol, with its payload's fields as arguments.
// `slot` (a widget's model slot) and `opts` ({signal, queue}) are optional everywhere.
const withSlot = (payload, slot) =>
  slot === undefined || slot === null || slot === '' ? payload : { ...payload, slot };
Object.assign(EngineClient.prototype, {
  init(opts) {
    return this.request(REQ.init, {}, opts);
  },
  stats(opts) {
    return this.request(REQ.stats, {}, opts);
  },
  // req: {json} | {bytes} | {url}, with a name
  loadModel(req, slot, opts) {
    return this.request(REQ.loadModel, withSlot(req, slot), opts);
  },
  unloadModel(slot, opts) {
    return this.request(REQ.unloadModel, { slot }, opts);
  },
  saveModel(slot, opts) {
    return this.request(REQ.saveModel, withSlot({}, slot), opts);
  },
  modelInfo(slot, opts) {
    return this.request(REQ.modelInfo, withSlot({}, slot), opts);
  },
  // -> {bytes: Uint8Array}: the slot's model as an ONNX file
  exportOnnx(foldBatchnorm, slot, opts) {
    return this.request(REQ.exportOnnx, withSlot({ foldBatchnorm: !!foldBatchnorm }, slot), opts);
  },
  // -> the engine's summary of a description, or its message and layer (see protocol.js)
  inspectModel(json, opts) {
    return this.request(REQ.inspectModel, { json }, opts);
  },
  classify(input, slot, opts) {
    return this.request(REQ.classify, withSlot({ input }, slot), opts).then((r) => r.probs);
  },
  // classify plus what the verdict needs (lib/verdict.js): {probs, distance, calibration}
  judge(input, slot, opts) {
    return this.request(REQ.judge, withSlot({ input }, slot), opts);
  },
  // {validation, seed}: the run's validation split to fit on (see protocol.js)
  calibrate(req, slot, opts) {
    return this.request(REQ.calibrate, withSlot(req || {}, slot), opts);
  },
  // opts.params: names of layers whose parameters come in the same reply (the same weights as the
  // activations, even while the model trains)
  activations(input, slot, { params, ...opts } = {}) {
    return this.request(REQ.activations, withSlot(params ? { input, params } : { input }, slot), opts);
  },
  weights(layer, slot, opts) {
    return this.request(REQ.weights, withSlot({ layer }, slot), opts);
  },
  loadData(req, opts) {
    return this.request(REQ.loadData, req, opts);
  },
  testImages(query, opts) {
    return this.request(REQ.testImages, query, opts);
  },
  train(config, { resume, slot } = {}, opts) {
    return this.request(REQ.train, withSlot(resume ? { config, resume } : { config }, slot), opts);
  },
  pause(slot, opts) {
    return this.request(REQ.pause, withSlot({}, slot), opts);
  },
  resume(slot, opts) {
    return this.request(REQ.resume, withSlot({}, slot), opts);
  },
  stop(slot, opts) {
    return this.request(REQ.stop, withSlot({}, slot), opts);
  },
  evaluate(slot, opts) {
    return this.request(REQ.evaluate, withSlot({}, slot), opts);
  },
  // The Lab (lib/lab/): runs experiment `lab` with `settings`; partial results come as "labUpdate"
  // events -> {lab, settings, claims, ...data}
  runLab(lab, settings, opts = {}) {
    const { input, ...rest } = opts;
    return this.request(
      REQ.runLab,
      input ? { lab, settings: settings || {}, input } : { lab, settings: settings || {} },
      rest,
    );
  },
  stopLab(opts) {
    return this.request(REQ.stopLab, {}, opts);
  },
  // One trial of an experiment's search (lib/lab/pool.js: a worker of the Lab's trial pool)
  labTrial(lab, settings, trial, opts) {
    return this.request(REQ.labTrial, { lab, settings: settings || {}, trial }, opts);
  },
});
