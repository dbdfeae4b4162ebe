// The engine's Web Worker: loads the wasm module and answers the messages of protocol.js.
// Cross-origin-isolated pages get the pthreads build; others the single-threaded one.
// Training runs in slices of about 100 ms so that pause, stop and other requests are answered
// between slices; the page never waits on the engine.
/* global CnnProtocol, CnnIdx, CnnVerdict, CnnLab, createCnnEngine */
'use strict';
// A page on another origin starts this worker through a blob that sets CNN_WORKER_URL first
// (engine-client.js): relative URLs resolve against the worker's real address, and the
// single-threaded build is used (pthreads cannot start cross-origin workers).
const workerUrl = self.CNN_WORKER_URL || self.location.href;
importScripts(
  new URL('protocol.js', workerUrl).href,
  new URL('../lib/idx.js', workerUrl).href,
  new URL('../lib/verdict.js', workerUrl).href,
  new URL('../lib/digitize.js', workerUrl).href,
  new URL('../lib/strokes.js', workerUrl).href,
  new URL('../lib/lab/lab.js', workerUrl).href,
);
importScripts(...CnnLab.IDS.map((id) => new URL(`../lib/lab/${id}.js`, workerUrl).href));

// A worker started as engine-worker.js?engine=st (the Lab's pool of trial workers, lib/lab/pool.js:
// one thread each) always takes the single-threaded build.
const forceSt = new URL(workerUrl).searchParams.get('engine') === 'st';
const variant = self.crossOriginIsolated && !self.CNN_WORKER_URL && !forceSt ? 'mt' : 'st';
const engineBase = new URL('../engine/', workerUrl).href;
const engineUrl = `${engineBase}cnn_engine_${variant}.js`;
const SLICE_MS = 100; // training time per slice before the worker looks at its messages
const CHECKPOINT_MS = 5000; // a checkpoint event at least this often while training
// The test set is evaluated in chunks of this many images, one per slice, with an "evaluating"
// event after each (a whole test set at once froze the worker for seconds, with no word).
const EVAL_CHUNK = 1000;
// During training, the first chunk (a fixed subset of 1,000 test images) is evaluated after this
// much training time and then every QUICK_EVAL_MS: an accuracy point and a confusion matrix within
// the first minute, not only at the end of an epoch.
const FIRST_QUICK_EVAL_MS = 8000;
const QUICK_EVAL_MS = 12000;
// A calibration (lib/verdict.js, seconds of work) runs in slices of about this long, between which
// the worker answers the requests that came meanwhile: a drawing's answer waits one slice at most.
const CALIBRATE_SLICE_MS = 30;

let E = null; // the engine module
// The models, one per slot: requests without a slot (the app) use the default slot; each embedded
// widget sends its own slot id, so several widgets share this worker with a model each.
const slots = new Map(); // slot id ('' = default) -> {model: E.Model, name}
let data = { train: null, test: null, classNames: null }; // E.Dataset objects
let run = null; // {training, state, config, lastCheckpoint, validation, slot}
let lab = null; // the running Lab experiment: {id, stop}
let trialData = null; // a Lab experiment's data for its trials (labTrial): {key, exp, state}
const calibrating = new Map(); // slot id -> the token of its running calibration (a newer one replaces it)

function post(msg) {
  self.postMessage(msg, CnnProtocol.transferables(msg));
}

function slotKey(slot) {
  if (slot === undefined || slot === null || slot === '') return '';
  if (typeof slot !== 'string' || slot.length > 64) throw new Error('slot must be a short string');
  return slot;
}

// The events of a training carry the slot of the model being trained (when it has one).
function runEvent(r, msg) {
  return r.slot ? { ...msg, slot: r.slot } : msg;
}

function simdSupported() {
  // A module with one v128 instruction: it validates only where WebAssembly SIMD is supported.
  const bytes = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
  ]);
  return WebAssembly.validate(bytes);
}

async function engine() {
  if (E) return E;
  if (!simdSupported()) {
    throw new Error(
      'This browser does not support WebAssembly SIMD, which the engine needs. Use a current Chrome, Edge, Firefox or Safari.',
    );
  }
  importScripts(engineUrl);
  E = await createCnnEngine({
    locateFile: (f) => engineBase + f,
    mainScriptUrlOrBlob: engineUrl, // pthreads started from inside a worker (TOOLCHAIN quirk 5)
  });
  loadDetector();
  return E;
}

// The verdict's "not a digit" detector (lib/verdict.js; web/models/nondigit.cnn, 150 kB), loaded once
// in the background: until it is there (or if it cannot be fetched) the verdict goes without it.
let detector = null;
function loadDetector() {
  fetchBytes(new URL('../models/nondigit.cnn', workerUrl).href, 'the not-a-digit detector', false).then(
    (bytes) => (detector = E.loadModel(bytes)),
    (err) => console.warn(`The verdict goes without its detector: ${err.message}`),
  );
}

// The detector's probability that a 28×28 input is not a digit (null without the detector).
function notDigit(input) {
  return detector && input.length === 784 ? detector.predict(input, 1)[1] : null;
}

function needModel(slot) {
  const s = slots.get(slotKey(slot));
  if (!s) throw new Error('No model is loaded yet.');
  return s.model;
}

function modelInfo(slot) {
  const m = needModel(slot);
  const modelName = slots.get(slotKey(slot)).name;
  const summary = JSON.parse(m.summary());
  const layers = JSON.parse(m.layerInfo());
  const arch = JSON.parse(m.description());
  const last = summary.layers[summary.layers.length - 1];
  return {
    name: modelName || arch.name || 'model',
    architecture: arch,
    layers,
    total_params: summary.total_params,
    total_macs: summary.total_macs,
    input: arch.input,
    classes: last.shape.reduce((a, b) => a * b, 1),
    preprocess: JSON.parse(m.preprocess()),
    metrics: m.metrics ? JSON.parse(m.metrics()) : null,
  };
}

// Builds a description with the engine: {ok: true, layers, total_params, total_macs} or
// {ok: false, error, layer}, where layer is the index (in desc.layers) of the layer the message is
// about: the one it names, or else, for a sequential description, the first whose prefix fails.
function inspectDescription(e, json) {
  const text = typeof json === 'string' ? json : JSON.stringify(json);
  let desc;
  try {
    desc = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `The model description is not valid JSON: ${err.message}`, layer: null };
  }
  const build = (t) => {
    let m = null;
    try {
      m = new e.Model(t);
      const s = JSON.parse(m.summary());
      return { ok: true, layers: s.layers, total_params: s.total_params, total_macs: s.total_macs };
    } catch (err) {
      return { ok: false, error: err.message };
    } finally {
      if (m) m.delete();
    }
  };
  const r = build(text);
  if (r.ok) return r;
  const layers = desc && Array.isArray(desc.layers) ? desc.layers : [];
  const named = /layer '([^']+)'/.exec(r.error);
  let at = named ? layers.findIndex((l) => l && l.name === named[1]) : -1;
  if (at < 0 && layers.length > 1 && layers.length <= 200 && !layers.some((l) => l && l.inputs)) {
    for (let k = 1; k <= layers.length && at < 0; ++k)
      if (!build(JSON.stringify({ ...desc, layers: layers.slice(0, k) })).ok) at = k - 1;
  }
  return { ok: false, error: r.error, layer: at >= 0 ? at : null };
}

function replaceModel(m, name, slot) {
  const key = slotKey(slot);
  if (run && run.state !== 'idle' && run.slot === key) {
    m.delete();
    throw new Error('Stop the training before loading another model.');
  }
  const old = slots.get(key);
  if (old) old.model.delete();
  // The input's shape, to check inputs here: an input the engine refuses costs a C++ exception
  // rethrown as a JS Error by the bindings, and each of those leaks ~600 bytes of this worker's JS
  // heap (measured by scripts/soak.js: the JS exception unwinds the wasm frames without running
  // their destructors, so the Error's emval handle is never released).
  let input = null;
  try {
    input = JSON.parse(m.description()).input;
  } catch (e) {
    /* the engine checks */
  }
  slots.set(key, { model: m, name: name || '', input });
}

async function fetchBytes(url, what, report = true) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Could not download ${what} (${res.status} ${res.statusText}).`);
  const total = Number(res.headers.get('Content-Length')) || 0;
  if (!res.body || !total) return new Uint8Array(await res.arrayBuffer());
  const out = new Uint8Array(total);
  const reader = res.body.getReader();
  let loaded = 0;
  let lastPost = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.length > total) throw new Error(`${what}: more bytes than announced`);
    out.set(value, loaded);
    loaded += value.length;
    if (report && (loaded - lastPost > total / 50 || loaded === total)) {
      post({ event: 'data', what, loaded, total });
      lastPost = loaded;
    }
  }
  return out.subarray(0, loaded);
}

function makeDataset(d) {
  return new E.Dataset(d.pixels, d.labels, d.n, d.c, d.h, d.w, d.numClasses);
}

function describe(ds) {
  if (!ds) return null;
  const [c, h, w] = ds.shape();
  return { n: ds.size(), c, h, w, numClasses: ds.numClasses() };
}

// Without a test set, one image in six of the training set is held out as the test set.
function setHeldOut(train, test, classNames) {
  if (test) return setData(train, test, classNames);
  if (train.size() < 2) throw new Error('The data has a single image: it needs at least two, one for testing.');
  const s = train.split(Math.max(1, Math.floor(train.size() / 6)), 1);
  train.delete();
  return setData(s.train, s.validation, classNames);
}

function setData(train, test, classNames) {
  if (run && run.state !== 'idle') throw new Error('Stop the training before loading other data.');
  if (train) {
    if (data.train) data.train.delete();
    data.train = train;
  }
  if (test) {
    if (data.test) data.test.delete();
    data.test = test;
    dropChunks();
  }
  data.classNames = classNames || null;
  return { train: describe(data.train), test: describe(data.test), classNames: data.classNames };
}

// Images sorted into one folder per class: decoded here (OffscreenCanvas), converted to grey
// levels (ink = dark on light is inverted so that digits look like MNIST) and resized to the size
// of the first image.
async function decodeImages(files) {
  if (!files.length)
    throw new Error('No images found: choose a folder with one sub-folder of PNG/JPEG images per class.');
  const names = [...new Set(files.map((f) => f.label))].sort();
  if (names.length < 2)
    throw new Error(`Found only one class ('${names[0]}'): put the images in one sub-folder per class.`);
  const index = new Map(names.map((n, i) => [n, i]));
  let w = 0,
    h = 0;
  const parts = { train: [], test: [] };
  for (const f of files) {
    let bmp;
    try {
      bmp = await createImageBitmap(f.file);
    } catch (e) {
      throw new Error(`'${f.file.name || 'an image'}' is not an image the browser can read.`);
    }
    if (!w) {
      w = Math.min(bmp.width, 64);
      h = Math.min(bmp.height, 64);
    }
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    ctx.drawImage(bmp, 0, 0, w, h);
    bmp.close();
    const rgba = ctx.getImageData(0, 0, w, h).data;
    const grey = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++)
      grey[i] = Math.round(rgba[4 * i] * 0.299 + rgba[4 * i + 1] * 0.587 + rgba[4 * i + 2] * 0.114);
    parts[f.test ? 'test' : 'train'].push({ grey, label: index.get(f.label) });
  }
  // Light backgrounds (the usual for drawings and scans) are inverted: the engine's data is ink on black.
  const all = [...parts.train, ...parts.test];
  let mean = 0;
  for (const p of all) for (const v of p.grey) mean += v;
  mean /= all.length * w * h;
  const invert = mean > 127;
  const pack = (list) => {
    if (!list.length) return null;
    const pixels = new Uint8Array(list.length * w * h);
    const labels = new Uint8Array(list.length);
    list.forEach((p, i) => {
      for (let j = 0; j < w * h; j++) pixels[i * w * h + j] = invert ? 255 - p.grey[j] : p.grey[j];
      labels[i] = p.label;
    });
    return { pixels, labels, n: list.length, c: 1, h, w, numClasses: names.length };
  };
  return { train: pack(parts.train), test: pack(parts.test), classNames: names };
}

function checkFit(ds, what, slot) {
  const info = modelInfo(slot);
  const [c, h, w] = ds.shape();
  const [mc, mh, mw] = info.input;
  if (c !== mc || h !== mh || w !== mw) {
    throw new Error(
      `The model expects ${mc}×${mh}×${mw} inputs, but the ${what} images are ${c}×${h}×${w}. ` +
        'Choose a model for this data, or edit the model\'s "input".',
    );
  }
  if (ds.numClasses() > info.classes) {
    throw new Error(
      `The ${what} data has ${ds.numClasses()} classes but the model has only ${info.classes} outputs. ` +
        'Edit the last dense layer\'s "units".',
    );
  }
}

// The test set's evaluation is the one long synchronous step (a minute and more for a large model
// on one thread): the page's watchdog is told, so that it waits longer than usual for an answer.
function evaluation(slot) {
  if (!data.test) return null;
  checkFit(data.test, 'test', slot);
  post({ event: 'busy', what: 'evaluating the test set' });
  return JSON.parse(needModel(slot).evaluate(data.test, 256));
}

// The test set in chunks of EVAL_CHUNK images (datasets of their own, made once per test set).
function testChunks() {
  if (data.chunks) return data.chunks;
  const ds = data.test;
  const [c, h, w] = ds.shape();
  const size = c * h * w;
  const n = ds.size();
  const chunks = [];
  for (let start = 0; start < n; start += EVAL_CHUNK) {
    const count = Math.min(EVAL_CHUNK, n - start);
    const pixels = new Uint8Array(count * size);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const img = ds.image(start + i);
      for (let j = 0; j < size; j++) pixels[i * size + j] = Math.round(img[j] * 255);
      labels[i] = ds.label(start + i);
    }
    chunks.push({ start, count, ds: new E.Dataset(pixels, labels, count, c, h, w, ds.numClasses()) });
  }
  data.chunks = chunks;
  return chunks;
}

function dropChunks() {
  for (const ch of data.chunks || []) ch.ds.delete();
  data.chunks = null;
}

// Evaluations of consecutive chunks as one: counts and confusions add up, the losses are weighted,
// the indices of the wrong images are the test set's.
function mergeEvaluations(parts) {
  const count = parts.reduce((a, p) => a + p.ev.count, 0);
  const k = parts[0].ev.confusion.length;
  const confusion = Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j) => parts.reduce((a, p) => a + p.ev.confusion[i][j], 0)),
  );
  const right = confusion.reduce((a, row, i) => a + row[i], 0);
  return {
    count,
    loss: parts.reduce((a, p) => a + p.ev.loss * p.ev.count, 0) / Math.max(1, count),
    accuracy: right / Math.max(1, count),
    confusion,
    per_class: confusion.map((row, i) => {
      const n = row.reduce((a, b) => a + b, 0);
      return n ? row[i] / n : 0;
    }),
    wrong: parts.flatMap((p) => p.ev.wrong.map((x) => x + p.start)),
    predicted: parts.flatMap((p) => p.ev.predicted),
  };
}

// The test set's evaluation, one chunk per turn of the event loop with an "evaluating" event after
// each, so that pause and stop are answered and the page can say how far it is. `quit()` true
// abandons it (null). `chunks`: how many chunks (all by default).
async function evaluationInSlices(r, what, quit = () => false, chunks = Infinity) {
  if (!data.test) return null;
  checkFit(data.test, 'test', r.slot);
  const list = testChunks().slice(0, chunks);
  const total = list.reduce((a, ch) => a + ch.count, 0);
  const parts = [];
  let done = 0;
  for (const ch of list) {
    if (quit()) return null;
    parts.push({ start: ch.start, ev: JSON.parse(needModel(r.slot).evaluate(ch.ds, 256)) });
    done += ch.count;
    if (what) post(runEvent(r, { event: 'evaluating', what, done, total }));
    await sleep0();
  }
  return mergeEvaluations(parts);
}

// ---- training -------------------------------------------------------------------------------

function sleep0() {
  return new Promise((r) => setTimeout(r, 0));
}

// A new task of the event loop, after the messages queued before it (the page's requests): a
// message to ourselves, which, unlike a nested setTimeout, is not delayed to 4 ms.
const nextTaskChannel = new MessageChannel();
const nextTaskWaiters = [];
nextTaskChannel.port1.onmessage = () => nextTaskWaiters.shift()();
function nextTask() {
  return new Promise((r) => {
    nextTaskWaiters.push(r);
    nextTaskChannel.port2.postMessage(0);
  });
}

// A WebAssembly trap (out-of-bounds access, unreachable, Emscripten's abort) leaves the engine's
// memory in an unknown state: the worker says so (a "fatal" event) and answers nothing more; the
// page (engine-client.js) starts a new worker. Errors the engine throws on purpose (bad input, a
// model that does not fit) are ordinary Errors and only fail their request.
let broken = null; // the reason, once the engine trapped

function isFatal(e) {
  return e instanceof WebAssembly.RuntimeError;
}

function fatal(e) {
  if (broken) return;
  broken = `a WebAssembly trap: ${e && e.message ? e.message : String(e)}`;
  run = null;
  post({ event: 'fatal', message: broken });
}

async function trainLoop() {
  const r = run;
  try {
    await trainSlices(r);
  } catch (e) {
    // Anything a slice, an evaluation or a checkpoint threw ends this training with a message.
    if (isFatal(e)) fatal(e);
    else if (run === r) {
      try {
        await finish(r, 'failed', e && e.message ? e.message : String(e));
      } catch (e2) {
        if (isFatal(e2)) fatal(e2);
      }
    }
  }
}

async function trainSlices(r) {
  while (r.state === 'running' || r.state === 'paused') {
    if (r.state === 'paused') {
      await new Promise((res) => {
        r.wake = res;
      });
      continue;
    }
    let p;
    const t0 = Date.now();
    try {
      p = JSON.parse(r.training.run(0, SLICE_MS));
    } catch (e) {
      if (isFatal(e)) throw e;
      await finish(r, 'failed', e.message || String(e));
      return;
    }
    r.trainedMs += Date.now() - t0;
    const { losses, epochs_done: epochsDone, status, message, ...progress } = p;
    post(runEvent(r, { event: 'progress', ...progress, losses }));
    for (const record of epochsDone) {
      let test = null;
      if (status === 'running') {
        // (the last epoch's test results come with the end of the training)
        try {
          test = await evaluationInSlices(r, 'epoch', () => r.state === 'stopping');
        } catch (e) {
          if (isFatal(e)) throw e; /* otherwise reported at the end */
        }
      }
      post(runEvent(r, { event: 'epoch', record, test }));
      r.nextQuickMs = r.trainedMs + QUICK_EVAL_MS;
    }
    if (epochsDone.length || Date.now() - r.lastCheckpoint > CHECKPOINT_MS) checkpoint(r, progress);
    if (status !== 'running') {
      await finish(r, status, message);
      return;
    }
    if (r.trainedMs >= r.nextQuickMs && r.state === 'running') {
      r.nextQuickMs = r.trainedMs + QUICK_EVAL_MS;
      let test = null;
      try {
        test = await evaluationInSlices(r, null, () => r.state === 'stopping', 1);
      } catch (e) {
        if (isFatal(e)) throw e;
      }
      const perEpoch = progress.iterations_per_epoch || progress.total_iterations || 1;
      if (test)
        post(
          runEvent(r, {
            event: 'evaluation',
            iteration: progress.iteration,
            epoch: progress.iteration / perEpoch,
            test,
          }),
        );
    }
    await sleep0();
  }
  if (r.state === 'stopping')
    await finish(r, 'stopped', 'Training stopped; the model keeps the weights it has learned so far.');
}

function checkpoint(r, progress) {
  r.lastCheckpoint = Date.now();
  post(
    runEvent(r, {
      event: 'checkpoint',
      bytes: r.training.checkpoint(),
      iteration: progress.iteration,
      epoch: progress.epoch,
      total_iterations: progress.total_iterations,
    }),
  );
}

async function finish(r, status, message) {
  let test = null;
  let error = null;
  r.state = 'finishing';
  try {
    test = await evaluationInSlices(r, 'final');
  } catch (e) {
    if (isFatal(e)) throw e;
    error = e.message;
  }
  r.state = 'idle';
  r.training.delete();
  for (const d of r.owned) d.delete();
  run = null;
  post(runEvent(r, { event: 'done', status, message: message || error || '', test }));
}

function ownRun(slot) {
  return run && (slot === undefined || run.slot === slotKey(slot)) ? run : null;
}

// An image to classify: a Float32Array of finite values, as many as the model's input takes.
function checkInput(input, slot) {
  if (!(input instanceof Float32Array)) {
    throw new Error(
      `The input must be a Float32Array of pixel values, got ${input === null ? 'null' : Array.isArray(input) ? 'an Array' : typeof input}.`,
    );
  }
  if (!input.length) throw new Error('The input is empty: it needs one value per pixel.');
  const shape = slots.get(slotKey(slot)).input;
  const n = Array.isArray(shape) ? shape.reduce((a, b) => a * b, 1) : 0;
  if (n && input.length !== n)
    throw new Error(`The input has ${input.length} values; the model takes ${shape.join('×')} = ${n} values.`);
  for (let i = 0; i < input.length; i++) {
    if (!Number.isFinite(input[i]))
      throw new Error(`The input's value ${i} is ${input[i]}: every pixel must be a finite number.`);
  }
  return input;
}

// The engine's memory: the wasm heap (it only grows) and, where the browser tells, the worker's JS heap.
function memoryStats() {
  let wasmHeapBytes = null,
    mallocBytes = null;
  if (E) {
    // The memory can grow from another thread (the pthreads build): a call that returns a string
    // makes Emscripten refresh its views of the memory (HEAP8) first.
    E.buildInfo();
    wasmHeapBytes = E.HEAP8.buffer.byteLength;
    if (E.heapStats) mallocBytes = JSON.parse(E.heapStats()).in_use;
  }
  const mem = self.performance && self.performance.memory;
  return {
    wasmHeapBytes,
    mallocBytes,
    jsHeapBytes: mem ? mem.usedJSHeapSize : null,
    models: slots.size,
    training: !!run,
  };
}

// A layer's parameters: [{name, shape, data}].
function layerParams(m, layer, info) {
  const l = info.find((x) => x.name === layer);
  if (!l) throw new Error(`The model has no layer '${layer}'.`);
  return (l.param_shapes || []).map((p) => ({ name: p.name, shape: p.shape, data: m.getParam(`${layer}.${p.name}`) }));
}

const handlers = {
  ping() {
    return {};
  },

  stats() {
    return memoryStats();
  },

  // For the end-to-end tests of the page's crash recovery: 'trap' fails as a trapping engine does
  // (a WebAssembly.RuntimeError), 'error' throws an uncaught error out of the worker.
  crashForTest({ how }) {
    if (how === 'trap') throw new WebAssembly.RuntimeError('unreachable executed (crashForTest)');
    if (how === 'error') {
      setTimeout(() => {
        throw new Error('crashForTest: an uncaught error in the engine worker');
      }, 0);
      return {};
    }
    throw new Error(`crashForTest: unknown way '${how}'`);
  },

  async init() {
    const e = await engine();
    return {
      variant,
      simd: true,
      threads: variant === 'mt' ? navigator.hardwareConcurrency || 1 : 1,
      buildInfo: JSON.parse(e.buildInfo()),
    };
  },

  async loadModel({ json, bytes, url, name, slot }) {
    const e = await engine();
    if (url) bytes = await fetchBytes(url, name || 'the model', false);
    let m;
    if (bytes) {
      m = e.loadModel(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
    } else if (json !== undefined) {
      const text = typeof json === 'string' ? json : JSON.stringify(json);
      try {
        JSON.parse(text);
      } catch (err) {
        throw new Error(`The model description is not valid JSON: ${err.message}`);
      }
      m = new e.Model(text);
    } else {
      throw new Error('loadModel needs json, bytes or url');
    }
    replaceModel(m, name, slot);
    return modelInfo(slot);
  },

  // Frees a slot's model (an embedded widget removed from its page).
  unloadModel({ slot }) {
    const key = slotKey(slot);
    if (run && run.slot === key) throw new Error('Stop the training before unloading its model.');
    const s = slots.get(key);
    if (s) s.model.delete();
    slots.delete(key);
    return { unloaded: !!s };
  },

  saveModel({ slot }) {
    return { bytes: needModel(slot).save('{}') };
  },

  modelInfo({ slot }) {
    return modelInfo(slot);
  },

  exportOnnx({ slot, foldBatchnorm }) {
    return { bytes: needModel(slot).exportOnnx(!!foldBatchnorm) };
  },

  // The summary of a description the engine builds (and frees): the layer editor's live shapes,
  // parameters and MACs, or the engine's message and the layer it names.
  async inspectModel({ json }) {
    return inspectDescription(await engine(), json);
  },

  // classify, plus the distance of the input's features (lib/verdict.js) when the slot's model is
  // calibrated, and the detector's probability that the input is not a digit
  judge({ input, slot }) {
    const m = needModel(slot);
    const x = checkInput(input, slot);
    const probs = m.predict(x, 1);
    const c = slots.get(slotKey(slot)).calib;
    const distance = c ? CnnVerdict.lastDistance(m, c.reference) : null; // (before the detector's predict)
    return {
      probs,
      distance,
      notDigit: notDigit(x),
      calibration: c ? { T: c.T, limit: c.reference ? c.reference.limit : 0 } : null,
    };
  },

  // Temperature scaling and the features' reference for the slot's model (kept with it until the model
  // changes or trains): fitted on the run's validation split when `validation` > 0 (the same images
  // the training held out, split with the same seed), otherwise on test images 5,000–9,999; the
  // reliability before and after is measured on test images 0–4,999. It runs in slices of
  // CALIBRATE_SLICE_MS (lib/verdict.js calibrateSteps), answering other requests in between, and is
  // abandoned (an error saying why) when the slot's model is replaced, unloaded or starts training,
  // the test set changes or a newer calibration of the slot starts.
  async calibrate({ validation = 0, seed = 1, slot }) {
    const key = slotKey(slot);
    const m = needModel(slot);
    if (run && run.slot === key) throw new Error('The model is training: calibrate it when it is done.');
    if (!data.test || data.test.size() < 200) throw new Error('Calibration needs the test set (at least 200 images).');
    checkFit(data.test, 'test', slot);
    const test = data.test;
    const half = Math.floor(test.size() / 2);
    const from = (ds, start) => ({ get: (i) => ds.image(start + i), labels: null, n: 0 });
    let split = null;
    let fit;
    let source;
    if (validation > 0 && data.train && validation < data.train.size()) {
      split = data.train.split(validation, seed || 1);
      fit = from(split.validation, 0);
      fit.n = split.validation.size();
      source = 'validation';
    } else {
      fit = from(test, half);
      fit.n = test.size() - half;
      source = 'test';
    }
    const fitDs = split ? split.validation : test;
    const fitStart = split ? 0 : half;
    fit.labels = Int32Array.from({ length: fit.n }, (_, i) => fitDs.label(fitStart + i));
    const held = from(test, 0);
    held.n = Math.min(half, 5000);
    held.labels = Int32Array.from({ length: held.n }, (_, i) => test.label(i));
    const token = {};
    calibrating.set(key, token);
    // Why this calibration no longer belongs to the slot's model ('' while it does).
    const abandoned = () => {
      const s = slots.get(key);
      if (broken) return 'the engine stopped';
      if (!s || s.model !== m) return 'another model replaced this one';
      if (run && run.slot === key) return 'the model started training';
      if (data.test !== test) return 'the test set changed';
      if (calibrating.get(key) !== token) return 'a newer calibration of this model started';
      return '';
    };
    try {
      const steps = CnnVerdict.calibrateSteps(m, fit, held);
      let r;
      let slices = 1;
      let pausedMs = 0; // between the slices: other requests, and the way back
      let sliceStart = performance.now();
      for (;;) {
        const step = steps.next();
        if (step.done) {
          r = step.value;
          break;
        }
        if (performance.now() - sliceStart < CALIBRATE_SLICE_MS) continue;
        const pause = performance.now();
        await nextTask(); // the requests that came meanwhile are answered now
        const why = abandoned();
        if (why) throw new Error(`The calibration stopped: ${why}.`);
        sliceStart = performance.now();
        pausedMs += sliceStart - pause;
        slices++;
      }
      slots.get(key).calib = { T: r.T, reference: r.reference };
      const { reference, ...out } = r;
      return { ...out, source, limit: reference ? reference.limit : null, slices, pausedMs };
    } finally {
      if (calibrating.get(key) === token) calibrating.delete(key);
      if (split) {
        split.train.delete();
        split.validation.delete();
      }
    }
  },

  classify({ input, slot }) {
    const m = needModel(slot);
    return { probs: m.predict(checkInput(input, slot), 1) };
  },

  // `params`: layer names whose parameters come with the activations (one reply between two training
  // slices, so the weights are those that computed the activations).
  activations({ input, slot, params }) {
    const m = needModel(slot);
    checkInput(input, slot);
    const probs = m.predict(input, 1);
    const info = JSON.parse(m.layerInfo());
    const layers = info.map((l) => {
      const a = m.activation(l.name);
      return { name: l.name, type: l.type, shape: a.shape.slice(1), data: a.data };
    });
    if (!Array.isArray(params)) return { layers, probs };
    return { layers, probs, params: Object.fromEntries(params.slice(0, 8).map((n) => [n, layerParams(m, n, info)])) };
  },

  weights({ layer, slot }) {
    const m = needModel(slot);
    return { params: layerParams(m, layer, JSON.parse(m.layerInfo())) };
  },

  async loadData(msg) {
    await engine();
    if (msg.source === 'mnist') {
      const base = msg.base;
      const parts = msg.parts || ['train', 'test'];
      const out = {};
      for (const part of parts) {
        if (part === 'train' && data.train && data.mnistTrain) continue;
        if (part === 'test' && data.test && data.mnistTest) continue;
        const images = await fetchBytes(`${base}mnist-${part}-images.idx.gz`, `MNIST ${part} images`);
        const labels = await fetchBytes(`${base}mnist-${part}-labels.idx.gz`, `MNIST ${part} labels`);
        out[part] = makeDataset(
          await CnnIdx.dataset(images, labels, { images: `MNIST ${part} images`, labels: `MNIST ${part} labels` }),
        );
      }
      // Everything asked for is loaded already (several widgets share the data): nothing changes,
      // even while a training runs.
      if (!out.train && !out.test)
        return { train: describe(data.train), test: describe(data.test), classNames: data.classNames };
      const res = setData(out.train, out.test, null);
      if (out.train) data.mnistTrain = true;
      if (out.test) data.mnistTest = true;
      return res;
    }
    if (msg.source === 'idx') {
      const train = await CnnIdx.dataset(msg.trainImages, msg.trainLabels, {
        images: 'the training image file',
        labels: 'the training label file',
      });
      const test =
        msg.testImages && msg.testLabels
          ? await CnnIdx.dataset(msg.testImages, msg.testLabels, {
              images: 'the test image file',
              labels: 'the test label file',
            })
          : null;
      if (test && (test.c !== train.c || test.h !== train.h || test.w !== train.w)) {
        throw new Error(
          `The test images are ${test.c}×${test.h}×${test.w} but the training images ${train.c}×${train.h}×${train.w}.`,
        );
      }
      data.mnistTrain = data.mnistTest = false;
      return setHeldOut(makeDataset(train), test ? makeDataset(test) : null, null);
    }
    if (msg.source === 'images') {
      const d = await decodeImages(msg.files || []);
      data.mnistTrain = data.mnistTest = false;
      return setHeldOut(makeDataset(d.train || d.test), d.train && d.test ? makeDataset(d.test) : null, d.classNames);
    }
    throw new Error(`unknown data source '${msg.source}'`);
  },

  testImages({ start, count, indices }) {
    const ds = data.test;
    if (!ds) throw new Error('No test data is loaded.');
    const idx =
      indices || Array.from({ length: Math.min(count || 1, ds.size() - (start || 0)) }, (_, i) => (start || 0) + i);
    const [c, h, w] = ds.shape();
    const pixels = new Uint8Array(idx.length * c * h * w);
    const labels = new Uint8Array(idx.length);
    idx.forEach((k, i) => {
      if (k < 0 || k >= ds.size()) throw new Error(`test image ${k} does not exist (there are ${ds.size()})`);
      const img = ds.image(k);
      for (let j = 0; j < img.length; j++) pixels[i * c * h * w + j] = Math.round(img[j] * 255);
      labels[i] = ds.label(k);
    });
    return { pixels, labels, shape: [c, h, w], indices: idx };
  },

  async train({ config, resume, slot }) {
    const e = await engine();
    const key = slotKey(slot);
    if (lab) throw new Error(`The Lab's ${lab.id} experiment is running: training starts when it has ended.`);
    if (run)
      throw new Error(
        run.slot === key
          ? 'A training is already running: stop it first.'
          : 'Another model is training in this engine (one training at a time): wait for it to finish or stop it.',
      );
    if (!data.train) throw new Error('Load training data first.');
    if (resume) replaceModel(e.loadModel(resume), slots.has(key) ? slots.get(key).name : '', key);
    const model = needModel(key);
    checkFit(data.train, 'training', key);
    const cfg = { ...config };
    const owned = [];
    let train = data.train,
      val = null;
    if (cfg.validation > 0) {
      if (cfg.validation >= train.size())
        throw new Error(
          `The validation split (${cfg.validation}) must be smaller than the training set (${train.size()}).`,
        );
      const s = train.split(cfg.validation, cfg.seed || 1);
      train = s.train;
      val = s.validation;
      owned.push(train, val);
    }
    delete cfg.validation;
    if (resume) cfg.preprocess = JSON.parse(model.preprocess()) || 'standardize';
    const training = new e.Training(model, train, val, JSON.stringify(cfg));
    slots.get(key).calib = null; // the weights change: the calibration is the old model's
    if (resume) training.restore(resume);
    let from = { iteration: 0, epoch: 0 };
    if (resume) {
      try {
        const t = JSON.parse(e.modelFileInfo(resume)).training || {};
        from = { iteration: t.iteration || 0, epoch: t.epoch || 0 };
      } catch (err) {
        /* restore() accepted it: only the numbers are missing */
      }
    }
    run = {
      training,
      state: 'running',
      config,
      lastCheckpoint: Date.now(),
      owned,
      wake: null,
      slot: key,
      trainedMs: 0,
      nextQuickMs: FIRST_QUICK_EVAL_MS,
    };
    trainLoop();
    return { started: true, ...from };
  },

  // pause, resume and stop act on the training; with a slot, only on that slot's training.
  pause({ slot }) {
    const r = ownRun(slot);
    if (r && r.state === 'running') r.state = 'paused';
    return { state: r ? r.state : 'idle' };
  },

  resume({ slot }) {
    const r = ownRun(slot);
    if (r && r.state === 'paused') {
      r.state = 'running';
      if (r.wake) r.wake();
    }
    return { state: r ? r.state : 'idle' };
  },

  stop({ slot }) {
    const r = ownRun(slot);
    if (r && r.state !== 'finishing') {
      const wasPaused = r.state === 'paused';
      r.state = 'stopping';
      if (wasPaused && r.wake) r.wake();
    }
    return { state: r ? 'stopped' : 'idle' };
  },

  evaluate({ slot }) {
    return evaluation(slot);
  },

  // The Lab: one experiment at a time, while no training runs; it yields to the message loop between
  // its steps (ctx.tick), so stopLab, classify and the watchdog's pings are answered meanwhile.
  async runLab({ lab: id, settings = {}, input = null }) {
    const exp = CnnLab.get(id);
    if (lab) throw new Error(`The ${lab.id} experiment is running: stop it first.`);
    if (run) throw new Error('A training is running: the Lab runs when it has ended.');
    const { settings: s, problems } = CnnLab.resolveSettings(id, settings);
    if (problems.length) throw new Error(`${exp.title}: ${problems.join('; ')}.`);
    for (const part of exp.needs)
      if (!data[part]) throw new Error(`The ${id} experiment needs the MNIST ${part} set: load it first (loadData).`);
    const me = { id, stop: false };
    lab = me;
    const ctx = {
      E: await engine(),
      data,
      input, // the experiment's own data from the page (the transfer experiment: the drawings), or null
      pretrained: () => fetchBytes(new URL('../models/pretrained.cnn', workerUrl).href, 'the pretrained model', false),
      update: (partial) => post({ event: 'labUpdate', lab: id, partial }),
      // a file of the site as bytes, its path relative to web/ (the architectures experiment: the zoo)
      asset: (p) => fetchBytes(new URL(`../${p}`, workerUrl).href, p, false),
      tick: async () => {
        await sleep0();
        if (me.stop) throw new CnnLab.Stopped();
      },
    };
    try {
      const r = await exp.run(ctx, s);
      return { lab: id, settings: s, ...r };
    } finally {
      if (lab === me) lab = null;
    }
  },

  stopLab() {
    if (!lab) return { stopped: false };
    lab.stop = true;
    return { stopped: true };
  },

  // One trial of an experiment's search (a worker of the page's trial pool): the experiment's data
  // is prepared on the first trial of a settings and kept for the next ones (without a trial: only
  // that). A trial that diverges is a result, not an error.
  async labTrial({ lab: id, settings = {}, trial }) {
    const exp = CnnLab.get(id);
    if (!exp.trial) throw new Error(`The ${id} experiment has no trials to run.`);
    if (run) throw new Error('A training is running: the Lab runs when it has ended.');
    const { settings: s, problems } = CnnLab.resolveSettings(id, settings);
    if (problems.length) throw new Error(`${exp.title}: ${problems.join('; ')}.`);
    for (const part of exp.needs)
      if (!data[part]) throw new Error(`The ${id} experiment needs the MNIST ${part} set: load it first (loadData).`);
    const ctx = { E: await engine(), data, update: () => {}, tick: sleep0 };
    const key = JSON.stringify([id, s, data.mnistTrain, data.mnistTest]);
    if (!trialData || trialData.key !== key) {
      if (trialData) trialData.exp.release(trialData.state);
      trialData = null;
      trialData = { key, exp, state: exp.prepare(ctx, s) };
    }
    if (trial === undefined || trial === null) return { prepared: true };
    return exp.trial(ctx, trialData.state, trial, s);
  },
};

// Every handler is a request of the protocol, and every request has a handler.
for (const t of CnnProtocol.types) if (!handlers[t] && t !== 'crashForTest') throw new Error(`no handler for '${t}'`);
for (const t of Object.keys(handlers))
  if (!CnnProtocol.types.includes(t)) throw new Error(`'${t}' is not a request of protocol.js`);

self.onmessage = async (ev) => {
  const { id, type, ...payload } = ev.data || {};
  try {
    if (broken && type !== 'ping' && type !== 'stats') throw new Error(`The engine has stopped (${broken}).`);
    const h = handlers[type];
    if (!h) throw new Error(`unknown message type '${type}'`);
    const result = await h(payload);
    post({ id, ok: true, result });
  } catch (e) {
    if (isFatal(e)) fatal(e); // first: the page restarts the engine and rejects this request itself
    post({ id, ok: false, error: e && e.message ? e.message : String(e) });
  }
};
