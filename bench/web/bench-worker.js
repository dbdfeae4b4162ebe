// The benchmark's Web Worker: one fresh worker per library configuration (bench-page.js starts it).
// It measures the wasm SIMD128 f32 peak first (peak_probe), then loads ONE library, builds each net
// and measures training images/s, batch inference images/s and single-image latency on real MNIST
// images, posting one row per (net, batch):
//   -> {cfg: {lib, backend, threads, variant?}, nets: [{name, file}], batches: [64, 32], seconds}
//   <- {type: 'info', info}   <- {type: 'row', row}   <- {type: 'done', error?}
//   and for our single-threaded build, per net: <- {type: 'layers', layers: Model.profile's result}
/* global createPeakProbe, createCnnEngine, tf, convnetjs, ort */
'use strict';

const abs = (p) => new URL(p, self.location.origin).href;

async function fetchBuffer(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

// ---- timing ---------------------------------------------------------------------------------------

const now = () => performance.now();

// Calls step(k) (which returns the number of images it processed, or a promise of it) after a
// short warm-up, for at least `seconds`; returns images per second.
async function rate(step, seconds) {
  let k = 0;
  const w0 = now();
  await step(k++); // the first call compiles / allocates
  const first = now() - w0;
  if (first < seconds * 250) {
    const w1 = now();
    while (now() - w1 < Math.min(400, seconds * 200)) await step(k++);
  }
  let images = 0;
  const t0 = now();
  let t = t0;
  do {
    images += await step(k++);
    t = now();
  } while (t - t0 < seconds * 1000);
  return images / ((t - t0) / 1000);
}

// Median of up to `runs` single-image calls (stopping after maxMs); 5 warm-up calls first.
async function latency(step, runs = 200, maxMs = 3000) {
  let k = 0;
  const w0 = now();
  for (let i = 0; i < 5 && now() - w0 < 1000; i++) await step(k++);
  const times = [];
  const t0 = now();
  while (times.length < runs && now() - t0 < maxMs) {
    const t = now();
    const r = step(k++);
    if (r && typeof r.then === 'function') await r;
    times.push(now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[times.length >> 1], runs: times.length };
}

// ---- the peak probe -------------------------------------------------------------------------------

async function measurePeak(ms = 700) {
  importScripts(abs('/engine/peak_probe.js'));
  const P = await createPeakProbe({ locateFile: (f) => abs(`/engine/${f}`) });
  const fpi = P._peak_probe_flops_per_iter();
  let iters = 1e5;
  // Calibrate to ~10 ms per call (the loop must be re-entered often for V8 to tier it up).
  for (;;) {
    const t = now();
    P._peak_probe(iters, 0.5);
    const dt = now() - t;
    if (dt > 5 || iters > 1e8) {
      iters = Math.max(1e4, Math.round((iters * 10) / Math.max(dt, 0.01)));
      break;
    }
    iters *= 4;
  }
  let best = 0;
  const end = now() + ms;
  while (now() < end) {
    const t = now();
    P._peak_probe(iters, 0.5);
    const dt = now() - t;
    best = Math.max(best, (fpi * iters) / (dt * 1e6)); // GFLOP/s
  }
  return best;
}

// ---- the data -------------------------------------------------------------------------------------

let images = null;
let labels = null;
let count = 0;

async function loadData() {
  images = new Float32Array(await fetchBuffer(abs('/data/images.f32')));
  labels = new Int32Array(await fetchBuffer(abs('/data/labels.i32')));
  count = labels.length;
}

// Consecutive batches of b images: [{x: Float32Array (b*784), y: Int32Array (b), b}].
function batchesOf(b) {
  const out = [];
  for (let i = 0; (i + 1) * b <= count; i++)
    out.push({ x: images.subarray(i * b * 784, (i + 1) * b * 784), y: labels.subarray(i * b, (i + 1) * b), b });
  return out;
}

// ---- the libraries --------------------------------------------------------------------------------
// Each adapter: init(cfg) -> info; build(net) -> {train(b) -> step | null, infer(b) -> step,
// single() -> step, dispose()}, where a step is k -> images processed (or a promise of it).

const adapters = {};

adapters.ours = {
  E: null,
  async init(cfg) {
    const url = abs(`/engine/cnn_engine_${cfg.variant}.js`);
    importScripts(url);
    this.E = await createCnnEngine({ locateFile: (f) => abs(`/engine/${f}`), mainScriptUrlOrBlob: url });
    const bi = JSON.parse(this.E.buildInfo());
    return {
      version: bi.version,
      buildInfo: bi,
      threads: bi.threads ? bi.hardware_concurrency || navigator.hardwareConcurrency : 1,
    };
  },
  async build(net) {
    const desc = await (await fetch(abs(`/nets/${net.file}.json`))).text();
    const m = new this.E.Model(desc);
    return {
      train: (b) => {
        const B = batchesOf(b);
        const opts = { lr: 0.01 };
        return (k) => {
          const t = B[k % B.length];
          m.trainStep(t.x, t.y, t.b, opts);
          return t.b;
        };
      },
      infer: (b) => {
        const B = batchesOf(b);
        return (k) => {
          const t = B[k % B.length];
          m.forward(t.x, t.b, false);
          return t.b;
        };
      },
      single: () => {
        const B = batchesOf(1);
        return (k) => {
          m.forward(B[k % B.length].x, 1, false);
          return 1;
        };
      },
      // Where a training step's time goes, layer by layer (Model.profile), on the first batch.
      profile: (b, seconds) => {
        const t = batchesOf(b)[0];
        return JSON.parse(m.profile(t.x, t.y, t.b, seconds));
      },
      dispose: () => m.delete(),
    };
  },
};

// TF.js layers models (NHWC; with one channel the MNIST pixels are laid out as in NCHW).
function tfNet(name) {
  const m = tf.sequential();
  if (name === 'NetA') {
    m.add(
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, padding: 'same', activation: 'relu' }),
    );
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    m.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 3 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 10 }));
  } else if (name === 'NetB') {
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }));
    m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 128, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 10 }));
  } else {
    throw new Error(`no TF.js definition of ${name}`);
  }
  return m;
}

function webglRenderer() {
  if (typeof OffscreenCanvas === 'undefined') return null;
  const c = new OffscreenCanvas(1, 1);
  const gl = c.getContext('webgl2') || c.getContext('webgl');
  if (!gl) return null;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
}

adapters.tfjs = {
  async init(cfg) {
    importScripts(abs('/tfjs/tf.min.js'));
    const info = { version: tf.version.tfjs };
    if (cfg.backend === 'wasm') {
      importScripts(abs('/tfjs-wasm/tf-backend-wasm.min.js'));
      tf.wasm.setWasmPaths(abs('/tfjs-wasm/'));
      if (cfg.threads > 1) tf.wasm.setThreadsCount(cfg.threads);
      else tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    }
    if (cfg.backend === 'webgl') {
      const r = webglRenderer();
      if (!r)
        throw new Error(
          'this browser offers no WebGL in a worker (OffscreenCanvas.getContext("webgl2") returned null)',
        );
      info.renderer = r;
      info.software = /swiftshader|llvmpipe|software|softpipe/i.test(r);
    }
    const ok = await tf.setBackend(cfg.backend);
    if (!ok) throw new Error(`tf.setBackend('${cfg.backend}') returned false`);
    await tf.ready();
    info.backend = tf.getBackend();
    if (cfg.backend === 'wasm') {
      info.threads = tf.wasm.getThreadsCount();
      info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    } else {
      info.threads = 1;
    }
    this.sync = cfg.backend !== 'webgl';
    return info;
  },
  async build(net) {
    const m = tfNet(net.name);
    const opt = tf.train.sgd(0.01);
    const read = async (t) => {
      const v = this.sync ? t.dataSync() : await t.data();
      t.dispose();
      return v;
    };
    return {
      train: (b) => {
        const B = batchesOf(b);
        return async (k) => {
          const t = B[k % B.length];
          const loss = tf.tidy(() => {
            const xs = tf.tensor4d(t.x, [t.b, 28, 28, 1]);
            const ys = tf.oneHot(tf.tensor1d(t.y, 'int32'), 10);
            return opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, m.apply(xs, { training: true })), true);
          });
          await read(loss);
          return t.b;
        };
      },
      infer: (b) => {
        const B = batchesOf(b);
        return async (k) => {
          const t = B[k % B.length];
          await read(tf.tidy(() => m.predict(tf.tensor4d(t.x, [t.b, 28, 28, 1]))));
          return t.b;
        };
      },
      single: () => {
        const B = batchesOf(1);
        return async (k) => {
          await read(tf.tidy(() => m.predict(tf.tensor4d(B[k % B.length].x, [1, 28, 28, 1]))));
          return 1;
        };
      },
      dispose: () => {
        m.dispose();
        opt.dispose();
      },
    };
  },
};

// ConvNetJS works on one image (a Vol) at a time: a "batch" only sets how often the trainer
// updates the weights, and batch inference is a loop of single forwards.
function cnjsLayers(name) {
  const input = { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 };
  if (name === 'NetA')
    return [
      input,
      { type: 'conv', sx: 5, filters: 8, stride: 1, pad: 2, activation: 'relu' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 2, activation: 'relu' },
      { type: 'pool', sx: 3, stride: 3 },
      { type: 'softmax', num_classes: 10 },
    ];
  if (name === 'NetB')
    return [
      input,
      { type: 'conv', sx: 3, filters: 32, stride: 1, pad: 0, activation: 'relu' },
      { type: 'conv', sx: 3, filters: 64, stride: 1, pad: 0, activation: 'relu' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'fc', num_neurons: 128, activation: 'relu' },
      { type: 'softmax', num_classes: 10 },
    ];
  throw new Error(`no ConvNetJS definition of ${name}`);
}

adapters.convnetjs = {
  vols: null,
  async init() {
    self.window = self; // ConvNetJS 0.3 refers to window
    importScripts(abs('/convnetjs/convnet-min.js'));
    return { version: '0.3', threads: 1 };
  },
  async build(net) {
    if (!this.vols) {
      this.vols = [];
      for (let i = 0; i < Math.min(count, 1024); i++) {
        const v = new convnetjs.Vol(28, 28, 1, 0.0);
        v.w.set(images.subarray(i * 784, (i + 1) * 784));
        this.vols.push(v);
      }
    }
    const vols = this.vols;
    const n = vols.length;
    const cn = new convnetjs.Net();
    cn.makeLayers(cnjsLayers(net.name));
    return {
      train: (b) => {
        const tr = new convnetjs.Trainer(cn, {
          method: 'sgd',
          learning_rate: 0.01,
          momentum: 0,
          batch_size: b,
          l2_decay: 0,
        });
        return (k) => {
          tr.train(vols[k % n], labels[k % n]);
          return 1;
        };
      },
      infer: () => (k) => {
        cn.forward(vols[k % n], false);
        return 1;
      },
      single: () => (k) => {
        cn.forward(vols[k % n], false);
        return 1;
      },
      dispose: () => {},
    };
  },
};

adapters.ort = {
  async init(cfg) {
    importScripts(abs('/ort/ort.wasm.min.js'));
    ort.env.wasm.wasmPaths = abs('/ort/');
    ort.env.wasm.numThreads = cfg.threads;
    ort.env.wasm.proxy = false;
    return { version: ort.env.versions ? ort.env.versions.web : undefined, threads: cfg.threads };
  },
  async build(net) {
    const buf = await fetchBuffer(abs(`/onnx/${net.file}.onnx`));
    const s = await ort.InferenceSession.create(buf, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const run = async (x, b) => {
      const r = await s.run({ x: new ort.Tensor('float32', x, [b, 1, 28, 28]) });
      r.y.dispose && r.y.dispose();
    };
    return {
      train: null, // inference only
      infer: (b) => {
        const B = batchesOf(b);
        return async (k) => {
          const t = B[k % B.length];
          await run(t.x, t.b);
          return t.b;
        };
      },
      single: () => {
        const B = batchesOf(1);
        return async (k) => {
          await run(B[k % B.length].x, 1);
          return 1;
        };
      },
      dispose: () => s.release(),
    };
  },
};

// ---- the run --------------------------------------------------------------------------------------

const errText = (e) => (e && e.message ? e.message : String(e));

self.onmessage = async (ev) => {
  const { cfg, nets, batches, seconds } = ev.data;
  try {
    await loadData();
    const peak = await measurePeak();
    const ad = adapters[cfg.lib];
    if (!ad) throw new Error(`unknown library '${cfg.lib}'`);
    let info;
    try {
      info = await ad.init(cfg);
    } catch (e) {
      self.postMessage({ type: 'info', info: { peak_gflops: peak, crossOriginIsolated: self.crossOriginIsolated } });
      throw e;
    }
    info.peak_gflops = peak;
    info.crossOriginIsolated = self.crossOriginIsolated;
    info.hardwareConcurrency = navigator.hardwareConcurrency;
    self.postMessage({ type: 'info', info });
    for (const net of nets) {
      let model;
      try {
        model = await ad.build(net);
      } catch (e) {
        for (const b of batches)
          self.postMessage({ type: 'row', row: { net: net.name, batch: b, error: `build: ${errText(e)}` } });
        continue;
      }
      let lat = null;
      let latErr = null;
      for (const b of batches) {
        const row = { net: net.name, batch: b, train_img_s: null, infer_img_s: null, latency_ms: null };
        const errors = [];
        if (model.train) {
          try {
            row.train_img_s = await rate(model.train(b), seconds);
          } catch (e) {
            errors.push(`train: ${errText(e)}`);
          }
        } else {
          row.train_note = 'inference only';
        }
        try {
          row.infer_img_s = await rate(model.infer(b), seconds * 0.75);
        } catch (e) {
          errors.push(`inference: ${errText(e)}`);
        }
        if (!lat && !latErr) {
          try {
            lat = await latency(model.single());
          } catch (e) {
            latErr = `latency: ${errText(e)}`;
          }
        }
        if (lat) {
          row.latency_ms = lat.ms;
          row.latency_runs = lat.runs;
        }
        if (latErr) errors.push(latErr);
        if (errors.length) row.error = errors.join('; ');
        self.postMessage({ type: 'row', row });
      }
      if (model.profile && cfg.threads === 1) {
        try {
          self.postMessage({
            type: 'layers',
            layers: { net: net.name, threads: 1, ...model.profile(batches[0], seconds) },
          });
        } catch (e) {
          self.postMessage({ type: 'layers', layers: { net: net.name, threads: 1, error: errText(e) } });
        }
      }
      try {
        model.dispose();
      } catch (e) {
        /* ignore */
      }
    }
    self.postMessage({ type: 'done' });
  } catch (e) {
    self.postMessage({ type: 'done', error: errText(e) });
  }
};
