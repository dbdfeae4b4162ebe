// The app's wiring: the page's elements to the views, the views to the session (lib/session.js),
// which owns the model, the data and the training flow shared with the widget. The settings form
// is rendered from the one settings table (lib/settings.js); only the EngineClient talks to the worker.
import { EngineClient, restartText } from './engine-client.js';
import { DrawView } from './views/draw.js';
import { NetworkView } from './views/network.js';
import { TrainView } from './views/train.js';
import { ModelPicker } from './views/model-picker.js';
import { CalibrationView, calibrateModel } from './views/calibration.js';
import { store } from './lib/store.js';
import { downloadBytes } from './lib/download.js';
import { fmtCompact, fmtInt, fmtPct, fmtBytes } from './lib/format.js';
import * as experiment from './lib/experiment.js';
import { renderAllSettings } from './lib/settings.js';
import { idxRequest, folderRequest } from './lib/uploads.js';
import { Session, TEXT } from './lib/session.js';
import { LiveViews } from './lib/live.js';
import { startTour } from './views/tour.js';
import { LayerEditor } from './views/layer-editor.js';
import { LabView } from './views/lab/lab-view.js';
import { Lab } from './lib/lab/index.js';

const $ = (sel) => document.querySelector(sel);
const base = new URL('./', import.meta.url).href;
renderAllSettings(document);
// window.CNN_ENGINE_OPTIONS: the watchdog's timings ({hangMs, pingMs}), set by the end-to-end tests.
const engine = new EngineClient(undefined, window.CNN_ENGINE_OPTIONS || {});
const session = new Session(engine, { base });
const api = {
  classify: (input) => engine.classify(input),
  activations: (input, opts) => engine.activations(input, undefined, opts),
  weights: (layer) => engine.weights(layer),
  testImages: (q) => engine.testImages(q),
};

const state = {
  data: null, // {source, train, test, classNames}
  dataKey: '', // the loaded data's source ('mnist' or a description of the upload)
  testIndex: -1,
  firstClassification: null,
  restarts: [], // engine restarts: {reason, resumedFrom, firstIteration}
  persisted: null, // navigator.storage.persist()'s answer once a training started
  engine,
  session,
  get info() {
    return session.info;
  },
  get training() {
    return session.training;
  },
  get lastProgress() {
    return session.lastProgress;
  },
  get checkpoint() {
    return session.checkpoint;
  },
};
window.cnnApp = state; // for the end-to-end tests and the curious

// ---- messages ---------------------------------------------------------------------------------
function say(el, text, kind = '') {
  el.textContent = text;
  el.classList.toggle('error', kind === 'error');
  el.classList.toggle('ok', kind === 'ok');
}

// The banner; `sticky` keeps it in view wherever the page is scrolled (an offer to act on).
function banner(text, actions = [], kind = 'info', sticky = false) {
  const b = $('#banner');
  b.hidden = !text;
  b.className = `banner ${kind}${sticky ? ' sticky' : ''}`;
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
const dismiss = ['Dismiss', () => banner('')];

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
    const answer = await engine.judge(input); // the probabilities and what the verdict needs (lib/verdict.js)
    if (!state.firstClassification) {
      state.firstClassification = performance.now();
      document.documentElement.dataset.firstClassification = String(Math.round(state.firstClassification));
    }
    return answer;
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
train.follow(session);
// Honest answers: a trained model is calibrated in the engine (views/calibration.js): after a
// training on its validation split, otherwise (a loaded model) on test images 5,001–10,000.
const calibration = new CalibrationView($('#calibration'));
let calibrateAfter = null; // {validation, seed} of the training that just ended
let calibrateTimer = 0;
let calibrationOf = 0; // counts the models: a calibration of an older one is not shown
function scheduleCalibration(trained) {
  clearTimeout(calibrateTimer);
  calibration.clear();
  const run = calibrateAfter;
  calibrateAfter = null;
  const root = document.documentElement;
  const mine = ++calibrationOf;
  const current = () => mine === calibrationOf;
  if (!trained) {
    delete root.dataset.calibrating;
    return;
  }
  root.dataset.calibrating = '1'; // until this model's calibration ended (tests wait for it)
  // a loaded model waits a moment, so that the first drawing is answered first
  calibrateTimer = setTimeout(
    async () => {
      const done = () => {
        if (current()) delete root.dataset.calibrating;
      };
      if (session.training) return done();
      if (!run) {
        if ($('#data-select').value !== 'mnist') return done();
        await ensureData(['test']).catch(() => {});
      }
      const r = await calibrateModel(session, calibration, run || {}, current);
      if (!current()) return;
      state.calibration = r;
      if (r) root.dataset.calibrated = r.T.toFixed(3);
      done();
      // the bars again, calibrated, unless the user is drawing (their next answer will be)
      if (r && draw.image && !draw.inFlight && !draw.dirty) draw.show(draw.image);
    },
    run ? 0 : 1500,
  );
}
// Watch it learn: while training, the network view and the Draw card's probabilities are read
// again from the model being trained about once a second (lib/live.js).
const live = new LiveViews(session, async () => {
  await network.refresh();
  if (!draw.image || draw.inFlight || draw.dirty) return;
  const answer = await draw.classify(draw.image.slice()); // the Draw card's own request (and verdict)
  if (draw.image && !draw.inFlight && !draw.dirty) (draw.showAnswer || draw.showProbs).call(draw, answer);
});
state.network = network;
state.live = live;
$('#tour-start').addEventListener('click', () => startTour({ force: true }));
$('#live-views').addEventListener('change', (e) => (live.enabled = e.target.checked));
state.trainView = train;
train.onPick = (idx) => {
  $('#net-input').value = 'test';
  showTestImage(idx);
  $('#net-card').scrollIntoView({ behavior: 'smooth', block: 'start' });
};
draw.onInput((image) => {
  if (image) $('#input-note').textContent = '';
  if ($('#net-input').value === 'draw') network.setInput(image);
});

// ---- the model: one picker; the Train card says what Start trains (views/model-picker.js) -----
let picker = null; // made once the zoo's index is known
// The layer editor (views/layer-editor.js): each valid edit becomes the current model, untrained,
// a moment after the last keystroke, so the Network card previews it and Start trains it.
let editedLoad = 0; // the editor's load in flight: its 'model' event must not reset the editor
let previewTimer = 0;
const editor = new LayerEditor($('#layer-editor'), {
  inspect: (desc) => engine.inspectModel(JSON.stringify(desc), { queue: 'inspect' }),
  onValid: (desc) => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => previewEdit(desc), 350);
  },
});
state.editor = editor;
async function previewEdit(desc) {
  if (session.training) return;
  const name = desc.name || 'custom';
  const seq = ++editedLoad;
  try {
    await session.loadModel({
      json: JSON.stringify(desc),
      name,
      label: `${name} (edited) — ${TEXT.untrained}`,
      trained: false,
      fromEditor: seq,
    });
  } catch (err) {
    say($('#train-msg'), err.message, 'error');
  }
}
function layersSummary(info, label) {
  $('#layers-summary').textContent =
    `Change the layers of ${label.replace(/ — .*$/, '')}: ${info.layers.length - 1} layers, ${fmtInt(info.total_params)} parameters — add, remove, reorder, set filters, sizes, units`;
}

session.on('model', ({ info, label, trained, ref }) => {
  network.setModel(info);
  $('#model-json').value = JSON.stringify(info.architecture, null, 2);
  if (!(ref && ref.fromEditor)) editor.setModel(info.architecture, { trained });
  layersSummary(info, label);
  $('#save-name').value = info.name;
  $('#net-summary').textContent =
    `${label} · ${info.layers.length - 1} layers · ${fmtInt(info.total_params)} parameters · ${fmtCompact(info.total_macs)} MACs per image`;
  if (picker) picker.show(label, trained);
  if (draw.image) draw.show(draw.image);
  scheduleCalibration(trained);
});

// A picker key as a model reference for the session.
async function modelRef(key) {
  if (key === 'pretrained') return 'pretrained';
  if (key.startsWith('zoo:')) return key.slice(4);
  if (key.startsWith('model:')) {
    const rec = await store.get(key);
    if (!rec) throw new Error("This saved model is no longer in the browser's storage.");
    return { bytes: rec.bytes.slice(), name: rec.name, label: `${rec.name} (saved)`, trained: true };
  }
  throw new Error('This model is no longer loaded: save it in the browser to keep it.');
}

async function loadModel(key) {
  const ref = await modelRef(key);
  picker.expect(key);
  try {
    return await session.loadModel(ref);
  } catch (e) {
    picker.expect(null);
    throw e;
  }
}

async function savedKeys() {
  try {
    return (await store.keys()).filter((k) => String(k).startsWith('model:'));
  } catch (e) {
    return []; // storage unavailable: said when saving
  }
}

function makePicker(zoo) {
  const first = zoo.zoo.find((z) => z.name === experiment.FIRST_MODEL) || { label: experiment.FIRST_MODEL };
  picker = new ModelPicker(
    { select: $('#model-select'), trainFrom: $('#train-from'), note: $('#train-from-note') },
    { name: experiment.FIRST_MODEL, label: first.label },
  );
  picker.onPick(async (key) => {
    if (session.training) {
      picker.revert();
      say($('#train-msg'), 'Stop the training before switching models.', 'error');
      return;
    }
    try {
      await loadModel(key);
    } catch (err) {
      picker.revert();
      banner(err.message, [dismiss], 'error');
    }
  });
}

$('#apply-json').addEventListener('click', async () => {
  const msg = $('#json-msg');
  if (session.training) return say(msg, 'Stop the training first.', 'error');
  try {
    const text = $('#model-json').value;
    let name = 'custom';
    try {
      name = JSON.parse(text).name || 'custom';
    } catch (e) {
      /* the engine says what is wrong */
    }
    const info = await session.loadModel({
      json: text,
      name,
      label: `${name} (edited) — ${TEXT.untrained}`,
      trained: false,
    });
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

async function ensureData(parts = ['train', 'test']) {
  const source = $('#data-select').value;
  if (source === 'mnist') {
    const d = await session.ensureMnist(parts);
    state.data = d;
    state.dataKey = 'mnist';
    useClassNames(null);
    return d;
  }
  const f = (id) => $(id).files[0];
  const { key, req } =
    source === 'idx'
      ? await idxRequest({
          trainImages: f('#idx-train-images'),
          trainLabels: f('#idx-train-labels'),
          testImages: f('#idx-test-images'),
          testLabels: f('#idx-test-labels'),
        })
      : folderRequest($('#image-folder').files);
  if (state.dataKey === key) return state.data;
  const d = await engine.loadData(req);
  session.forgetMnist();
  state.data = d;
  state.dataKey = key;
  useClassNames(d.classNames || null);
  return d;
}

// Class names of uploaded image folders label the bars and results; digits otherwise.
function useClassNames(names) {
  if (train.classNames === names) return;
  train.classNames = names;
  draw.setLabels(names || Array.from({ length: 10 }, (_, i) => String(i)));
}

// ---- the network view's input: a test image shows in the Draw card too, with its prediction ----
async function showTestImage(idx) {
  try {
    if (!(state.data && state.data.test)) {
      if ($('#data-select').value !== 'mnist') throw new Error('Load the test data in the Train card first.');
      await ensureData(['test']);
    }
    state.testIndex = idx ?? Math.floor(Math.random() * state.data.test.n);
    const r = await api.testImages({ indices: [state.testIndex] });
    const img = Float32Array.from(r.pixels, (v) => v / 255);
    network.setInput(img);
    const probs = await draw.show(img);
    const label = draw.labels[r.labels[0]] ?? r.labels[0];
    let text = `Test image ${fmtInt(state.testIndex)}, labelled ${label}`;
    if (probs) {
      let best = 0;
      for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
      const says = draw.labels[best] ?? best;
      text += `: the network says ${says}, ${fmtPct(probs[best])} sure${best === r.labels[0] ? '' : ' — wrong'}`;
    }
    $('#net-prediction').textContent = `${text}.`;
    $('#input-note').textContent = `Test image ${fmtInt(state.testIndex)} (labelled ${label}); draw to replace it.`;
  } catch (e) {
    $('#net-prediction').textContent = e.message;
  }
}

$('#net-input').addEventListener('change', (e) => {
  if (e.target.value === 'test') showTestImage(state.testIndex >= 0 ? state.testIndex : undefined);
  else {
    $('#net-prediction').textContent = '';
    network.setInput(draw.image);
  }
});
$('#next-test').addEventListener('click', () => {
  $('#net-input').value = 'test';
  showTestImage();
});

// ---- training -----------------------------------------------------------------------------------
function controls() {
  const { training, paused, stopping } = session;
  $('#start').disabled = training;
  $('#pause').disabled = !training || paused || stopping;
  $('#resume').disabled = !training || !paused || stopping;
  $('#stop').disabled = !training || stopping;
  for (const el of document.querySelectorAll(
    '#train-form select, #train-form input, #train-form textarea, #apply-json, #model-select, #upload-model-btn',
  ))
    el.disabled = training;
  editor.setEnabled(!training);
}
session.on('state', controls);
session.on('status', ({ text, kind }) => say($('#train-msg'), text, kind));

async function startTraining() {
  try {
    const { model: m } = picker.start;
    let model;
    if (m === 'fresh') {
      const { info } = session;
      model = {
        json: JSON.stringify(info.architecture),
        name: info.name,
        label: `${info.name} — ${TEXT.untrained}`,
        trained: false,
      };
    } else if (m) {
      model = m;
      picker.expect(`zoo:${m}`);
    }
    const data = $('#data-select').value === 'mnist' ? undefined : await ensureData();
    const exp = { ...experiment.DEFAULTS, ...experiment.readForm(document) };
    keepStorage();
    await session.train(exp, { model, data });
    if (!data) state.dataKey = 'mnist';
  } catch (e) {
    picker.expect(null);
    say($('#train-msg'), e.message, 'error');
  }
}

engine.on('progress', (p) => {
  const last = state.restarts[state.restarts.length - 1];
  if (!p.slot && last && last.firstIteration === null) last.firstIteration = p.iteration - p.losses.length + 1;
});
session.on('checkpoint', async ({ bytes, iteration, epoch, total_iterations: total }) => {
  if (!session.training) return;
  try {
    await store.put('checkpoint', {
      bytes,
      iteration,
      epoch,
      total,
      config: session.config,
      data: state.dataKey === 'mnist' ? 'mnist' : 'upload',
      model: session.info.name,
      label: session.label,
      history: train.saved.history,
      savedAt: Date.now(),
    });
    document.documentElement.dataset.checkpointIteration = String(iteration);
  } catch (e) {
    say($('#train-msg'), `Could not keep a checkpoint in the browser: ${e.message}`, 'error');
  }
});
session.on('done', async ({ status }) => {
  if (status !== 'failed' && status !== 'diverged' && session.config)
    calibrateAfter = { validation: session.config.validation || 0, seed: session.config.seed || 1 };
  picker.expect(`trained:${Date.now()}`);
  // A failed run (an error, or a resume after an engine restart that did not work) keeps its
  // checkpoint: the next visit offers it again.
  if (status !== 'failed') await store.delete('checkpoint').catch(() => {});
  document.documentElement.dataset.trainingDone = status;
});

$('#start').addEventListener('click', startTraining);
$('#pause').addEventListener('click', () => session.pause().catch((e) => say($('#train-msg'), e.message, 'error')));
$('#resume').addEventListener('click', () => session.resume().catch((e) => say($('#train-msg'), e.message, 'error')));
$('#stop').addEventListener('click', () => session.stop().catch((e) => say($('#train-msg'), e.message, 'error')));

// ---- resuming an interrupted training: the offer stays in view (a sticky banner) -------------
async function offerResume() {
  const cp = await store.get('checkpoint').catch(() => null);
  if (!cp) return;
  const when = new Date(cp.savedAt).toLocaleString();
  const where = `${cp.model}, epoch ${cp.epoch}, iteration ${fmtInt(cp.iteration)} of ${fmtInt(cp.total)}`;
  const discard = [
    'Discard',
    async () => {
      banner('');
      await store.delete('checkpoint');
    },
  ];
  if (cp.data !== 'mnist') {
    const keep = async () => {
      banner('');
      await session.loadModel({
        bytes: cp.bytes.slice(),
        name: cp.model,
        label: `${cp.model} — interrupted at iteration ${cp.iteration}`,
        trained: true,
      });
      await store.delete('checkpoint');
    };
    banner(
      `A training on your own data was interrupted (${where}, ${when}). Its weights can be kept as a model; to continue training, load the data again.`,
      [['Keep the weights', keep], discard],
      'info',
      true,
    );
    return;
  }
  banner(
    `A training was interrupted: ${where} (saved ${when}).`,
    [['Resume training', () => resumeFrom(cp)], discard],
    'info',
    true,
  );
}

async function resumeFrom(cp) {
  banner('');
  try {
    $('#data-select').value = 'mnist';
    keepStorage();
    experiment.applyToForm(document, { ...experiment.DEFAULTS, ...experiment.fromTrainConfig(cp.config) });
    train.reset();
    train.restore(cp.history);
    picker.expect(`trained:${cp.savedAt}`);
    const model = {
      bytes: cp.bytes.slice(),
      name: cp.model,
      label: cp.label || `${cp.model} — training (resumed)`,
      trained: true,
    };
    await session.train(null, { model, config: cp.config, resume: cp.bytes.slice(), from: cp.iteration });
    state.dataKey = 'mnist';
    $('#train-card').scrollIntoView({ block: 'start' });
  } catch (e) {
    say($('#train-msg'), `Could not resume: ${e.message}`, 'error');
  }
}

// Checkpoints must survive the browser's storage pressure: ask for persistent storage (granted
// or not as the browser decides; without it the checkpoint is still kept, only evictable).
function keepStorage() {
  if (!(navigator.storage && navigator.storage.persist)) return;
  navigator.storage.persist().then(
    (granted) => (state.persisted = granted),
    () => (state.persisted = false),
  );
}

// ---- models: save, download, upload -----------------------------------------------------------
$('#save-model').addEventListener('click', async () => {
  const msg = $('#io-msg');
  try {
    const name = ($('#save-name').value.trim() || session.info.name || 'model').slice(0, 60);
    const { bytes } = await engine.saveModel();
    await store.put(`model:${name}`, { name, bytes, savedAt: Date.now() });
    picker.fill(await session.zoo(), await savedKeys());
    picker.expect(`model:${name}`);
    picker.show(`${name} (saved)`, true);
    say(msg, `Saved “${name}” in this browser (${fmtBytes(bytes.length)}).`, 'ok');
  } catch (e) {
    say(msg, `Could not save: ${e.message}`, 'error');
  }
});

$('#download-model').addEventListener('click', async () => {
  const msg = $('#io-msg');
  try {
    const { bytes } = await engine.saveModel();
    const file = downloadBytes(bytes, `${session.info.name || 'model'}.cnn`);
    say(msg, `Downloaded ${file} (${fmtBytes(bytes.length)}).`, 'ok');
  } catch (e) {
    say(msg, `Could not download: ${e.message}`, 'error');
  }
});

// The model as ONNX (raw [0, 1] pixels in, the preprocessing in the graph, logits out): for PyTorch
// (onnx2torch) or ONNX Runtime.
$('#download-onnx').addEventListener('click', async () => {
  const msg = $('#io-msg');
  try {
    const { bytes } = await engine.exportOnnx(false);
    const file = downloadBytes(bytes, `${session.info.name || 'model'}.onnx`);
    say(
      msg,
      `Downloaded ${file} (${fmtBytes(bytes.length)}): input "input" [N, ${(session.info.input || []).join(', ')}] of pixels in [0, 1], output "logits".`,
      'ok',
    );
  } catch (e) {
    say(msg, `Could not export ONNX: ${e.message}`, 'error');
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
    const name = file.name.replace(/\.cnn$/i, '');
    const info = await session.loadModel({ bytes, name, label: `${file.name} (uploaded)`, trained: true });
    say(msg, `Loaded ${file.name}: ${fmtInt(info.total_params)} parameters.`, 'ok');
  } catch (err) {
    say(msg, `Could not load ${file.name}: ${err.message}`, 'error');
  }
});

// ---- shared experiments: index.html#exp=<base64url JSON> (lib/experiment.js) -------------------
// Restores the experiment of the URL, if there is one: its model and the Train card's settings.
// Returns false when there is none; a bad one is reported and the default model is used.
async function restoreSharedExperiment(zoo) {
  let exp;
  try {
    exp = experiment.fromHash(location.hash);
    if (!exp) return false;
    const m = exp.model;
    if (typeof m === 'string' && m !== 'pretrained' && !zoo.zoo.some((z) => z.name === m))
      throw new Error(`there is no model named ${experiment.quote(m)}`);
    if (typeof m === 'string') await loadModel(m === 'pretrained' ? 'pretrained' : `zoo:${m}`);
    else await session.loadModel(m);
  } catch (e) {
    banner(
      `The shared experiment in this link could not be opened: ${e.message}. The default model is used instead.`,
      [dismiss],
      'error',
    );
    return false;
  }
  state.experiment = exp;
  experiment.applyToForm(document, exp);
  $('#data-select').value = exp.data;
  if (exp.mode !== 'classify') $(exp.mode === 'train' ? '#train-card' : '#net-card').scrollIntoView({ block: 'start' });
  return true;
}

// The app's state as a shared experiment: what Start would train, the Train card's settings, MNIST.
function currentExperiment() {
  const { model: m } = picker.start;
  const model = m && m !== 'fresh' ? m : picker.key === 'pretrained' ? 'pretrained' : session.info.architecture;
  const exp = {
    ...(state.experiment || experiment.DEFAULTS),
    ...experiment.readForm(document, state.experiment || experiment.DEFAULTS),
  };
  return { ...exp, model, data: 'mnist', mode: model === 'pretrained' ? 'classify' : 'train' };
}

$('#copy-link').addEventListener('click', async () => {
  const btn = $('#copy-link');
  try {
    const url = experiment.toUrl(currentExperiment(), new URL('index.html', base).href);
    btn.dataset.url = url;
    const own = $('#data-select').value !== 'mnist' ? ' Your own data is not in the link: it opens with MNIST.' : '';
    try {
      await navigator.clipboard.writeText(url);
      say($('#link-msg'), `Link copied.${own}`, 'ok');
    } catch (e) {
      banner(`Copy this link: ${url}${own}`, [dismiss]);
    }
  } catch (e) {
    say($('#link-msg'), `No link: ${e.message}`, 'error');
  }
});
addEventListener('hashchange', () => {
  if (location.hash.startsWith('#exp=')) location.reload();
});

// ---- the engine stopped: engine-client.js restarts it and restores the data, the model and the
// running training; the session rolls the curves back, the page says so in the banner.
engine.on('crash', ({ message }) => {
  state.restarts.push({ reason: message, resumedFrom: null, firstIteration: null });
  banner(message, [], 'error');
});
engine.on('restarted', (ev) => {
  const text = `${restartText(ev)}${ev.problems.length ? ` Not restored: ${ev.problems.join('; ')}.` : ''}`;
  const last = state.restarts[state.restarts.length - 1];
  last.reason = ev.reason;
  last.resumedFrom = ev.resumed && !ev.resumed.slot ? ev.resumed.iteration : null;
  banner(text, [dismiss], ev.problems.length ? 'error' : 'info');
  if (session.training && ev.problems.length) say($('#train-msg'), text, 'error');
  document.documentElement.dataset.engineRestarts = String(state.restarts.length);
  if (draw.image)
    api.classify(draw.image.slice()).then(
      (p) => draw.showProbs(p),
      () => {},
    );
});
engine.on('error', ({ message }) => {
  banner(TEXT.engineStopped(message, '; your checkpoints are kept'), [['Reload', () => location.reload()]], 'error');
});

// ---- start --------------------------------------------------------------------------------------
async function main() {
  controls();
  const badge = $('#engine-badge');
  try {
    const [init, zoo] = await Promise.all([engine.init(), session.zoo()]);
    state.variant = init.variant;
    const mt = init.variant === 'mt';
    badge.textContent = mt ? `WebAssembly SIMD · ${init.threads} threads` : 'WebAssembly SIMD · 1 thread';
    badge.title = mt
      ? 'The page is cross-origin isolated: the engine uses threads.'
      : 'The page is not cross-origin isolated: the engine runs single-threaded.';
    $('#build-info').textContent =
      `Engine ${init.buildInfo.version} · ${mt ? 'threaded' : 'single-threaded'} WebAssembly build · ${self.crossOriginIsolated ? 'cross-origin isolated' : 'not isolated'}`;
    makePicker(zoo);
    picker.fill(zoo, await savedKeys());
    try {
      if (!(await restoreSharedExperiment(zoo)))
        await loadModel(zoo.pretrained ? 'pretrained' : `zoo:${zoo.zoo[0].name}`);
    } catch (e) {
      banner(
        `The pretrained model could not be loaded (${e.message}); LeNet-5 — ${TEXT.untrained} is used instead.`,
        [dismiss],
        'error',
      );
      await loadModel('zoo:lenet5');
    }
    // The model is loaded and has answered once: a visitor's drawing is classified at once.
    await api.classify(new Float32Array(session.info.input.reduce((a, b) => a * b, 1)));
    document.documentElement.dataset.readyAt = String(Math.round(performance.now()));
    document.documentElement.dataset.ready = '1';
    draw.clear();
    await offerResume();
    // The "Start here" tour on the first visit (not over a shared experiment or a resume offer; not
    // in automated browsers unless a test asks for it with window.CNN_TOUR, so that it covers nothing
    // the other page tests click).
    const automated = navigator.webdriver && !window.CNN_TOUR;
    if (!automated && !location.hash.startsWith('#exp=') && $('#banner').hidden) startTour();
  } catch (e) {
    badge.textContent = 'Engine failed';
    badge.classList.add('error');
    banner(e.message, [], 'error');
    document.documentElement.dataset.ready = 'error';
  }
}
main();

// ---- the Lab: one experiment at a time, chosen from the list (views/lab/lab-view.js) -------------
function showLab(id) {
  for (const b of document.querySelectorAll('#lab-list button'))
    b.setAttribute('aria-current', String(b.dataset.lab === id));
  state.lab = new LabView($('#lab-view'), id, {
    session,
    onResult: (r) => {
      state.labResult = r;
    },
  });
}
for (const id of Lab.IDS) {
  const b = document.createElement('button');
  b.type = 'button';
  b.dataset.lab = id;
  b.textContent = Lab.get(id).title;
  b.addEventListener('click', () => {
    if (state.lab && state.lab.running) return;
    showLab(id);
  });
  const li = document.createElement('li');
  li.append(b);
  $('#lab-list').append(li);
}
showLab(Lab.IDS[0]);
