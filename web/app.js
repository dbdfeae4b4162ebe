// Wires the page to the engine worker. The views take plain data; only the EngineClient talks to
// the worker. Nothing here waits on the engine synchronously: every request is a promise.
import { EngineClient, restartText } from './engine-client.js';
import { DrawView } from './views/draw.js';
import { NetworkView } from './views/network.js';
import { TrainView } from './views/train.js';
import { store } from './lib/store.js';
import { fmtCompact, fmtInt, fmtPct, fmtBytes } from './lib/format.js';
import * as experiment from './lib/experiment.js';

const $ = (sel) => document.querySelector(sel);
const base = new URL('./', import.meta.url).href;
// window.CNN_ENGINE_OPTIONS: the watchdog's timings ({hangMs, pingMs}), set by the end-to-end tests.
const engine = new EngineClient(undefined, window.CNN_ENGINE_OPTIONS || {});
const api = {
  classify: (input) => engine.request('classify', { input }).then((r) => r.probs),
  activations: (input) => engine.request('activations', { input }),
  weights: (layer) => engine.request('weights', { layer }),
  testImages: (q) => engine.request('testImages', q),
};

const state = {
  info: null, // the current model's info (worker's modelInfo)
  modelKey: '', // what the model picker shows
  training: false,
  paused: false,
  data: null, // {source, train, test, classNames}
  dataKey: '', // the loaded data's source ('mnist' or a description of the upload)
  zoo: null,
  testIndex: -1,
  runConfig: null,
  firstClassification: null,
  checkpoint: null, // {iteration, history}: the curves at the running training's last checkpoint
  restarts: [], // engine restarts: {reason, resumedFrom, firstIteration}
  persisted: null, // navigator.storage.persist()'s answer once a training started
  engine,
};
window.cnnApp = state; // for the end-to-end tests and the curious

// ---- messages ---------------------------------------------------------------------------------
function say(el, text, kind = '') {
  el.textContent = text;
  el.classList.toggle('error', kind === 'error');
  el.classList.toggle('ok', kind === 'ok');
}

function banner(text, actions = [], kind = 'info') {
  const b = $('#banner');
  b.hidden = !text;
  b.className = `banner ${kind}`;
  $('#banner-text').textContent = text || '';
  $('#banner-actions').replaceChildren(
    ...actions.map(([label, fn]) => {
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = label;
      btn.addEventListener('click', fn);
      return btn;
    }),
  );
}

// ---- views --------------------------------------------------------------------------------------
const draw = new DrawView(
  {
    pad: $('#pad'),
    preview: $('#input28'),
    clear: $('#clear'),
    bars: $('#probs'),
    top: $('#top-class'),
    topConf: $('#top-conf'),
    hint: $('#pad-hint'),
  },
  async (input) => {
    const probs = await api.classify(input);
    if (!state.firstClassification) {
      state.firstClassification = performance.now();
      document.documentElement.dataset.firstClassification = String(Math.round(state.firstClassification));
    }
    return probs;
  },
);
const network = new NetworkView(
  { diagram: $('#net-diagram'), detail: $('#layer-detail'), scaling: $('#scaling') },
  api,
);
const train = new TrainView(
  {
    lossChart: $('#loss-chart'),
    accChart: $('#acc-chart'),
    progress: $('#train-progress'),
    progressText: $('#progress-text'),
    results: $('#results'),
    testAcc: $('#test-acc'),
    testNote: $('#test-note'),
    confusion: $('#confusion'),
    perClass: $('#per-class'),
    wrong: $('#wrong'),
    wrongNote: $('#wrong-note'),
  },
  api,
);
state.trainView = train;
train.onPick = (idx) => {
  $('#net-input').value = 'test';
  showTestImage(idx);
  $('#net-card').scrollIntoView({ behavior: 'smooth', block: 'start' });
};

draw.onInput((image) => {
  if ($('#net-input').value === 'draw') network.setInput(image);
});

// ---- the model ----------------------------------------------------------------------------------
function setModel(info, key, label) {
  state.info = info;
  state.modelKey = key;
  network.setModel(info);
  const arch = { ...info.architecture };
  $('#model-json').value = JSON.stringify(arch, null, 2);
  $('#save-name').value = info.name; // the name it is saved under unless the user changes it
  $('#net-summary').textContent =
    `${info.layers.length - 1} layers · ${fmtInt(info.total_params)} parameters · ${fmtCompact(info.total_macs)} MACs per image`;
  const sel = $('#model-select');
  if (![...sel.options].some((o) => o.value === key)) {
    const opt = new Option(label || key, key);
    sel.append(opt);
  }
  sel.value = key;
  if (draw.image) draw.show(draw.image);
  syncUrlless();
}

function syncUrlless() {
  // The architecture picker of the Train card offers the current model first.
  const arch = $('#arch-select');
  const current = arch.options[0];
  current.textContent = `the current model (${state.info ? state.info.name : '–'})`;
}

async function loadModel(key) {
  const zoo = state.zoo;
  let req;
  let label;
  if (key === 'pretrained') {
    req = { url: base + 'models/' + zoo.pretrained.file, name: 'pretrained' };
    label = zoo.pretrained.label;
  } else if (key.startsWith('zoo:')) {
    const name = key.slice(4);
    const res = await fetch(`${base}models/${name}.json`);
    if (!res.ok) throw new Error(`Could not load the zoo model '${name}' (${res.status}).`);
    req = { json: await res.text(), name };
    label = `${zoo.zoo.find((z) => z.name === name)?.label || name} (untrained)`;
  } else if (key.startsWith('model:')) {
    const rec = await store.get(key);
    if (!rec) throw new Error("This saved model is no longer in the browser's storage.");
    req = { bytes: rec.bytes.slice(), name: rec.name };
    label = `${rec.name} (saved)`;
  } else {
    throw new Error(`unknown model '${key}'`);
  }
  const info = await engine.request('loadModel', req);
  setModel(info, key, label);
  return info;
}

async function fillModelPicker() {
  const sel = $('#model-select');
  const arch = $('#arch-select');
  sel.replaceChildren();
  arch.replaceChildren(new Option('the current model', 'current'));
  if (state.zoo.pretrained) sel.append(new Option(`${state.zoo.pretrained.label} (trained)`, 'pretrained'));
  const g = document.createElement('optgroup');
  g.label = 'Model zoo (untrained)';
  for (const z of state.zoo.zoo) {
    g.append(new Option(z.label, `zoo:${z.name}`));
    arch.append(new Option(`${z.label} (new, untrained)`, `zoo:${z.name}`));
  }
  sel.append(g);
  try {
    const keys = (await store.keys()).filter((k) => String(k).startsWith('model:'));
    if (keys.length) {
      const saved = document.createElement('optgroup');
      saved.label = 'Saved in this browser';
      saved.id = 'saved-group';
      for (const k of keys) saved.append(new Option(`${k.slice(6)} (saved)`, k));
      sel.append(saved);
    }
  } catch (e) {
    /* storage unavailable: said when saving */
  }
}

$('#model-select').addEventListener('change', async (e) => {
  const key = e.target.value;
  if (state.training) {
    e.target.value = state.modelKey;
    say($('#train-msg'), 'Stop the training before switching models.', 'error');
    return;
  }
  try {
    await loadModel(key);
  } catch (err) {
    e.target.value = state.modelKey;
    banner(err.message, [['Dismiss', () => banner('')]], 'error');
  }
});

$('#apply-json').addEventListener('click', async () => {
  const msg = $('#json-msg');
  if (state.training) return say(msg, 'Stop the training first.', 'error');
  try {
    const text = $('#model-json').value;
    const info = await engine.request('loadModel', {
      json: text,
      name: (() => {
        try {
          return JSON.parse(text).name || 'custom';
        } catch (e) {
          return 'custom';
        }
      })(),
    });
    setModel(info, `custom:${Date.now()}`, `${info.name} (edited, untrained)`);
    say(msg, `Built: ${fmtInt(info.total_params)} parameters, ${fmtCompact(info.total_macs)} MACs per image.`, 'ok');
  } catch (err) {
    say(msg, err.message, 'error');
  }
});

// ---- data ---------------------------------------------------------------------------------------
$('#data-select').addEventListener('change', (e) => {
  $('#idx-inputs').hidden = e.target.value !== 'idx';
  $('#folder-input').hidden = e.target.value !== 'images';
});

engine.on('data', ({ what, loaded, total }) => {
  say($('#train-msg'), `Downloading ${what}: ${fmtBytes(loaded)} of ${fmtBytes(total)}`);
});

async function ensureData(parts = ['train', 'test']) {
  const source = $('#data-select').value;
  if (source === 'mnist') {
    if (state.dataKey === 'mnist' && parts.every((p) => state.data[p])) return state.data;
    const d = await engine.request('loadData', { source: 'mnist', base: `${base}data/`, parts });
    state.data = {
      ...(state.dataKey === 'mnist' ? state.data : {}),
      ...Object.fromEntries(Object.entries(d).filter(([, v]) => v)),
    };
    state.dataKey = 'mnist';
    useClassNames(null);
    return state.data;
  }
  if (source === 'idx') {
    const f = (id) => $(id).files[0];
    if (!f('#idx-train-images') || !f('#idx-train-labels'))
      throw new Error('Choose the training image and label files (IDX, optionally gzipped).');
    const key = ['#idx-train-images', '#idx-train-labels', '#idx-test-images', '#idx-test-labels']
      .map((id) => (f(id) ? `${f(id).name}:${f(id).size}:${f(id).lastModified}` : ''))
      .join('|');
    if (state.dataKey === key) return state.data;
    const bytes = async (id) => (f(id) ? new Uint8Array(await f(id).arrayBuffer()) : undefined);
    const d = await engine.request('loadData', {
      source: 'idx',
      trainImages: await bytes('#idx-train-images'),
      trainLabels: await bytes('#idx-train-labels'),
      testImages: await bytes('#idx-test-images'),
      testLabels: await bytes('#idx-test-labels'),
    });
    state.data = d;
    state.dataKey = key;
    useClassNames(null);
    return d;
  }
  const files = [...$('#image-folder').files].filter((f) => /\.(png|jpe?g|gif|bmp|webp)$/i.test(f.name));
  if (!files.length) throw new Error('Choose a folder that contains one sub-folder of images (PNG, JPEG) per class.');
  const key = `images:${files.length}:${files[0].webkitRelativePath}`;
  if (state.dataKey === key) return state.data;
  const entries = files.map((file) => {
    const parts = file.webkitRelativePath.split('/');
    const dirs = parts.slice(0, -1);
    const test = dirs.some((d) => /^(test|testing)$/i.test(d));
    return { file, label: dirs[dirs.length - 1] || '?', test };
  });
  const d = await engine.request('loadData', { source: 'images', files: entries });
  state.data = d;
  state.dataKey = key;
  useClassNames(d.classNames);
  return d;
}

// Class names of uploaded image folders label the bars and results; digits otherwise.
function useClassNames(names) {
  if (train.classNames === names) return;
  train.classNames = names;
  draw.setLabels(names || Array.from({ length: 10 }, (_, i) => String(i)));
}

// ---- the network view's input ---------------------------------------------------------------
async function showTestImage(idx) {
  try {
    await ensureTestSet();
    const n = state.data.test.n;
    state.testIndex = idx ?? Math.floor(Math.random() * n);
    const r = await api.testImages({ indices: [state.testIndex] });
    const img = Float32Array.from(r.pixels, (v) => v / 255);
    $('#net-summary').textContent =
      `test image ${state.testIndex} (label ${r.labels[0]}) · ${fmtInt(state.info.total_params)} parameters`;
    network.setInput(img);
  } catch (e) {
    $('#net-summary').textContent = e.message;
  }
}

async function ensureTestSet() {
  if (state.data && state.data.test) return;
  const sel = $('#data-select');
  if (sel.value !== 'mnist') throw new Error('Load the test data in the Train card first.');
  say($('#train-msg'), 'Downloading the MNIST test set…');
  await ensureData(['test']);
  say($('#train-msg'), '');
}

$('#net-input').addEventListener('change', (e) => {
  if (e.target.value === 'test') showTestImage(state.testIndex >= 0 ? state.testIndex : undefined);
  else network.setInput(draw.image);
});
$('#next-test').addEventListener('click', () => {
  $('#net-input').value = 'test';
  showTestImage();
});

// ---- training -----------------------------------------------------------------------------------
function controls() {
  $('#start').disabled = state.training;
  $('#pause').disabled = !state.training || state.paused;
  $('#resume').disabled = !state.training || !state.paused;
  $('#stop').disabled = !state.training;
  for (const el of document.querySelectorAll(
    '#train-form select, #train-form input, #train-form textarea, #apply-json, #model-select, #upload-model-btn',
  )) {
    el.disabled = state.training;
  }
}

// The Train card's settings as the engine's training configuration: checked and mapped by the
// same code as shared links and the widget (lib/experiment.js).
function readConfig(ntrain) {
  const exp = { ...experiment.DEFAULTS, ...experiment.readForm(document) };
  return experiment.trainConfig(exp);
}

async function startTraining() {
  const msg = $('#train-msg');
  try {
    state.training = true;
    state.paused = false;
    controls();
    const arch = $('#arch-select').value;
    if (arch !== 'current') await loadModel(arch);
    const d = await ensureData();
    const config = readConfig(d.train.n);
    if (config.validation >= d.train.n)
      throw new Error(
        `Validation images (${config.validation}) must be fewer than the training images (${fmtInt(d.train.n)}).`,
      );
    train.reset();
    state.runConfig = config;
    state.checkpoint = null;
    keepStorage();
    say(msg, 'Training…');
    await engine.request('train', { config });
  } catch (e) {
    state.training = false;
    controls();
    say(msg, e.message, 'error');
  }
}

engine.on('progress', (p) => {
  train.progress(p);
  state.lastProgress = p;
  const last = state.restarts[state.restarts.length - 1];
  if (last && last.firstIteration === null) last.firstIteration = p.iteration - p.losses.length + 1;
});
engine.on('epoch', ({ record, test }) => {
  train.epoch(record, test);
  say(
    $('#train-msg'),
    `Epoch ${record.epoch}: validation accuracy ${record.has_validation === false ? '–' : fmtPct(record.val_accuracy)}${test ? `, test accuracy ${fmtPct(test.accuracy)}` : ''}`,
  );
});
engine.on('checkpoint', async ({ bytes, iteration, epoch, total_iterations: total }) => {
  if (!state.training) return;
  const history = structuredClone(train.snapshot());
  state.checkpoint = { iteration, history };
  try {
    await store.put('checkpoint', {
      bytes,
      iteration,
      epoch,
      total,
      config: state.runConfig,
      data: state.dataKey === 'mnist' ? 'mnist' : 'upload',
      model: state.info.name,
      modelKey: state.modelKey,
      history,
      savedAt: Date.now(),
    });
    document.documentElement.dataset.checkpointIteration = String(iteration);
  } catch (e) {
    say($('#train-msg'), `Could not keep a checkpoint in the browser: ${e.message}`, 'error');
  }
});
engine.on('done', async ({ status, message, test }) => {
  state.training = false;
  state.paused = false;
  controls();
  const msg = $('#train-msg');
  if (status === 'diverged' || status === 'failed')
    say(msg, `${message} Lower the learning rate and start again.`, 'error');
  else
    say(
      msg,
      `${status === 'early_stopped' ? 'Stopped early (validation accuracy stopped improving)' : status === 'stopped' ? 'Stopped' : 'Finished'}${test ? `: test accuracy ${fmtPct(test.accuracy)}` : ''}.`,
      'ok',
    );
  if (test) train.results(test);
  // A failed run (an error, or a resume after an engine restart that did not work) keeps its
  // checkpoint: the next visit offers it again.
  if (status !== 'failed') {
    try {
      await store.delete('checkpoint');
    } catch (e) {
      /* nothing to delete */
    }
  }
  try {
    const info = await engine.request('modelInfo');
    const key = `trained:${Date.now()}`;
    setModel(info, key, `${info.name} — trained here${test ? ` (${fmtPct(test.accuracy)})` : ''}`);
  } catch (e) {
    /* the model stays as it was */
  }
  document.documentElement.dataset.trainingDone = status;
});

$('#start').addEventListener('click', startTraining);
$('#pause').addEventListener('click', async () => {
  const r = await engine.request('pause');
  state.paused = r.state === 'paused';
  controls();
  if (state.paused) say($('#train-msg'), 'Paused. Resume continues exactly where it stopped.');
});
$('#resume').addEventListener('click', async () => {
  const r = await engine.request('resume');
  state.paused = r.state === 'paused';
  controls();
  say($('#train-msg'), 'Training…');
});
$('#stop').addEventListener('click', () => engine.request('stop'));

// ---- resuming an interrupted training ----------------------------------------------------------
async function offerResume() {
  let cp;
  try {
    cp = await store.get('checkpoint');
  } catch (e) {
    return;
  }
  if (!cp) return;
  const when = new Date(cp.savedAt).toLocaleString();
  const where = `${cp.model}, epoch ${cp.epoch}, iteration ${fmtInt(cp.iteration)} of ${fmtInt(cp.total)}`;
  if (cp.data !== 'mnist') {
    banner(
      `A training on your own data was interrupted (${where}, ${when}). Its weights can be kept as a model; to continue training, load the data again.`,
      [
        [
          'Keep the weights',
          async () => {
            banner('');
            await useCheckpointAsModel(cp);
          },
        ],
        [
          'Discard',
          async () => {
            banner('');
            await store.delete('checkpoint');
          },
        ],
      ],
    );
    revealBanner();
    return;
  }
  banner(`A training was interrupted: ${where} (saved ${when}).`, [
    ['Resume training', () => resumeFrom(cp)],
    [
      'Discard',
      async () => {
        banner('');
        await store.delete('checkpoint');
      },
    ],
  ]);
  revealBanner();
}

// After a reload the browser restores the scroll position (often the Train card, far below the
// banner): bring the banner into view so that the offer is seen.
function revealBanner() {
  const b = $('#banner');
  const r = b.getBoundingClientRect();
  if (r.top < 0 || r.bottom > innerHeight) scrollTo({ top: Math.max(0, scrollY + r.top - 12) });
}

async function useCheckpointAsModel(cp) {
  const info = await engine.request('loadModel', { bytes: cp.bytes.slice(), name: cp.model });
  setModel(info, `trained:${cp.savedAt}`, `${cp.model} — interrupted at iteration ${cp.iteration}`);
  await store.delete('checkpoint');
}

async function resumeFrom(cp) {
  banner('');
  const msg = $('#train-msg');
  try {
    state.training = true;
    state.paused = false;
    controls();
    $('#data-select').value = 'mnist';
    $('#arch-select').value = 'current';
    await ensureData();
    train.reset();
    train.restore(cp.history);
    state.runConfig = cp.config;
    state.checkpoint = { iteration: cp.iteration, history: structuredClone(cp.history) }; // the view's copy changes
    keepStorage();
    applyConfigToForm(cp.config);
    say(msg, `Resuming from iteration ${fmtInt(cp.iteration)}…`);
    await engine.request('train', { config: cp.config, resume: cp.bytes.slice() });
    const info = await engine.request('modelInfo');
    setModel(info, `trained:${cp.savedAt}`, `${cp.model} — training (resumed)`);
    $('#train-card').scrollIntoView({ block: 'start' });
  } catch (e) {
    state.training = false;
    controls();
    say(msg, `Could not resume: ${e.message}`, 'error');
  }
}

// Checkpoints must survive the browser's storage pressure: ask for persistent storage (granted
// or not as the browser decides; without it the checkpoint is still kept, only evictable).
function keepStorage() {
  if (!(navigator.storage && navigator.storage.persist)) return;
  navigator.storage.persist().then(
    (granted) => {
      state.persisted = granted;
    },
    () => {
      state.persisted = false;
    },
  );
}

function applyConfigToForm(c) {
  if (!c) return;
  $('#epochs').value = c.epochs;
  $('#batch').value = c.batch;
  $('#lr').value = c.optimizer.lr ?? c.optimizer.inner?.lr;
  $('#l2').value = c.l2 || 0;
  $('#l1').value = c.l1 || 0;
  $('#seed').value = c.seed;
  $('#validation').value = c.validation;
}

// ---- models: save, download, upload -----------------------------------------------------------
$('#save-model').addEventListener('click', async () => {
  const msg = $('#io-msg');
  try {
    const name = ($('#save-name').value.trim() || state.info.name || 'model').slice(0, 60);
    const { bytes } = await engine.request('saveModel');
    await store.put(`model:${name}`, { name, bytes, savedAt: Date.now() });
    await fillModelPicker();
    $('#model-select').value = `model:${name}`;
    state.modelKey = `model:${name}`;
    say(msg, `Saved “${name}” in this browser (${fmtBytes(bytes.length)}).`, 'ok');
  } catch (e) {
    say(msg, `Could not save: ${e.message}`, 'error');
  }
});

$('#download-model').addEventListener('click', async () => {
  const msg = $('#io-msg');
  try {
    const { bytes } = await engine.request('saveModel');
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    a.download = `${state.info.name || 'model'}.cnn`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    say(msg, `Downloaded ${a.download} (${fmtBytes(bytes.length)}).`, 'ok');
  } catch (e) {
    say(msg, `Could not download: ${e.message}`, 'error');
  }
});

$('#upload-model-btn').addEventListener('click', () => $('#upload-model').click());
$('#upload-model').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  const msg = $('#io-msg');
  try {
    if (file.size > 200e6) throw new Error('the file is larger than 200 MB');
    const bytes = new Uint8Array(await file.arrayBuffer());
    const info = await engine.request('loadModel', { bytes, name: file.name.replace(/\.cnn$/i, '') });
    setModel(info, `upload:${file.name}:${Date.now()}`, `${file.name} (uploaded)`);
    say(msg, `Loaded ${file.name}: ${fmtInt(info.total_params)} parameters.`, 'ok');
  } catch (err) {
    say(msg, `Could not load ${file.name}: ${err.message}`, 'error');
  }
});

// ---- start --------------------------------------------------------------------------------------
async function main() {
  controls();
  const badge = $('#engine-badge');
  try {
    const [init, zoo] = await Promise.all([
      engine.request('init'),
      fetch(`${base}models/index.json`).then((r) => r.json()),
    ]);
    state.zoo = zoo;
    state.variant = init.variant;
    badge.textContent =
      init.variant === 'mt' ? `WebAssembly SIMD · ${init.threads} threads` : 'WebAssembly SIMD · 1 thread';
    badge.title =
      init.variant === 'mt'
        ? 'The page is cross-origin isolated: the engine uses threads.'
        : 'The page is not cross-origin isolated: the engine runs single-threaded.';
    $('#build-info').textContent =
      `Engine ${init.buildInfo.version} · ${init.variant === 'mt' ? 'threaded' : 'single-threaded'} WebAssembly build · ${self.crossOriginIsolated ? 'cross-origin isolated' : 'not isolated'}`;
    await fillModelPicker();
    try {
      if (!(await restoreSharedExperiment())) await loadModel(zoo.pretrained ? 'pretrained' : `zoo:${zoo.zoo[0].name}`);
    } catch (e) {
      banner(
        `The pretrained model could not be loaded (${e.message}); an untrained LeNet-5 is used instead.`,
        [['Dismiss', () => banner('')]],
        'error',
      );
      await loadModel('zoo:lenet5');
    }
    // The pretrained model is loaded and has answered once: a visitor's drawing is classified at once.
    await api.classify(new Float32Array(state.info.input.reduce((a, b) => a * b, 1)));
    document.documentElement.dataset.readyAt = String(Math.round(performance.now()));
    document.documentElement.dataset.ready = '1';
    draw.clear();
    await offerResume();
  } catch (e) {
    badge.textContent = 'Engine failed';
    badge.classList.add('error');
    banner(e.message, [], 'error');
    document.documentElement.dataset.ready = 'error';
  }
}
// ---- shared experiments: index.html#exp=<base64url JSON> (lib/experiment.js) -------------------
// Restores the experiment of the URL, if there is one: its model and the Train card's settings.
// Returns false when there is none; a bad one is reported and the default model is used.
async function restoreSharedExperiment() {
  let exp;
  try {
    exp = experiment.fromHash(location.hash);
    if (!exp) return false;
    const m = exp.model;
    if (m === 'pretrained' || typeof m === 'string') {
      if (m !== 'pretrained' && !state.zoo.zoo.some((z) => z.name === m))
        throw new Error(`there is no model named ${experiment.quote(m)}`);
      await loadModel(m === 'pretrained' ? 'pretrained' : `zoo:${m}`);
    } else {
      const info = await engine.request('loadModel', { json: JSON.stringify(m), name: m.name || 'shared' });
      setModel(info, `shared:${Date.now()}`, `${info.name} (shared, untrained)`);
    }
  } catch (e) {
    banner(
      `The shared experiment in this link could not be opened: ${e.message}. The default model is used instead.`,
      [['Dismiss', () => banner('')]],
      'error',
    );
    return false;
  }
  state.experiment = exp;
  experiment.applyToForm(document, exp);
  $('#data-select').value = exp.data;
  $('#arch-select').value = 'current';
  if (exp.mode !== 'classify') $(exp.mode === 'train' ? '#train-card' : '#net-card').scrollIntoView({ block: 'start' });
  return true;
}

// The app's state as a shared experiment: the model (the Train card's architecture when one is
// picked), the Train card's settings, MNIST.
async function currentExperiment() {
  const arch = $('#arch-select').value;
  let model;
  if (arch !== 'current') model = await (await fetch(`${base}models/${arch.slice(4)}.json`)).json();
  else model = state.modelKey === 'pretrained' ? 'pretrained' : state.info.architecture;
  const exp = {
    ...(state.experiment || experiment.DEFAULTS),
    ...experiment.readForm(document, state.experiment || experiment.DEFAULTS),
  };
  return { ...exp, model, data: 'mnist', mode: model === 'pretrained' ? 'classify' : 'train' };
}

$('#copy-link').addEventListener('click', async () => {
  const btn = $('#copy-link');
  try {
    const url = experiment.toUrl(await currentExperiment(), new URL('index.html', base).href);
    btn.dataset.url = url;
    const own = $('#data-select').value !== 'mnist' ? ' Your own data is not in the link: it opens with MNIST.' : '';
    try {
      await navigator.clipboard.writeText(url);
      say($('#link-msg'), `Link copied.${own}`, 'ok');
    } catch (e) {
      banner(`Copy this link: ${url}${own}`, [['Dismiss', () => banner('')]]);
    }
  } catch (e) {
    say($('#link-msg'), `No link: ${e.message}`, 'error');
  }
});
addEventListener('hashchange', () => {
  if (location.hash.startsWith('#exp=')) location.reload();
});

// ---- the engine stopped: engine-client.js restarts it and restores the data, the model and the
// running training; the page says so and rolls its curves back to the checkpoint it resumes from.
engine.on('crash', ({ message, training }) => {
  if (training && !training.slot && state.training) {
    const bar = $('#train-progress').value;
    train.reset();
    const cp = state.checkpoint;
    if (cp && cp.iteration === training.iteration) train.restore(structuredClone(cp.history));
    $('#train-progress').value = bar;
    $('#progress-text').textContent =
      `Restarting the engine; the training goes on from iteration ${fmtInt(training.iteration)}…`;
    say($('#train-msg'), message, 'error');
  }
  state.restarts.push({ reason: message, resumedFrom: null, firstIteration: null });
  banner(message, [], 'error');
});
engine.on('restarted', (ev) => {
  const text = `${restartText(ev)}${ev.problems.length ? ` Not restored: ${ev.problems.join('; ')}.` : ''}`;
  const last = state.restarts[state.restarts.length - 1];
  last.reason = ev.reason;
  last.resumedFrom = ev.resumed && !ev.resumed.slot ? ev.resumed.iteration : null;
  banner(text, [['Dismiss', () => banner('')]], ev.problems.length ? 'error' : 'info');
  if (state.training) say($('#train-msg'), text, ev.problems.length ? 'error' : '');
  document.documentElement.dataset.engineRestarts = String(state.restarts.length);
  if (draw.image)
    api.classify(draw.image.slice()).then(
      (p) => draw.showProbs(p),
      () => {},
    );
});
engine.on('error', ({ message }) => {
  const wasTraining = state.training;
  state.training = false;
  controls();
  const text = /^The engine/.test(message)
    ? message
    : `The engine stopped: ${message}. Reload the page; your checkpoints are kept.`;
  banner(text, [['Reload', () => location.reload()]], 'error');
  if (wasTraining) say($('#train-msg'), text, 'error');
});
main();
