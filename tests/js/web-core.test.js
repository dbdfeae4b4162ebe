// The page's front-end core under Node (web/lib/session.js, web/engine-client.js, the settings
// table of web/lib/experiment.js, web/worker/protocol.js): the session's flow and status texts
// against a fake engine, the client's name check, queue and cancel against a fake worker, and the
// table's completeness. The modules are ES modules of the page; this package is CommonJS, so they
// are imported from a copy of web/ marked "type": "module".
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');

let X, S, C, P;
test.before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-core-'));
  fs.cpSync(path.join(__dirname, '..', '..', 'web'), dir, {
    recursive: true,
    filter: (src) => !/(models|vendor|data|engine)$/.test(src),
  });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}');
  globalThis.location = { href: 'http://page.test/', origin: 'http://page.test' };
  const url = (f) => pathToFileURL(path.join(dir, f)).href;
  X = await import(url('lib/experiment.js'));
  S = await import(url('lib/session.js'));
  C = await import(url('engine-client.js'));
  P = await import(url('lib/protocol.js'));
});

test('the settings table: every hyperparameter once, with a label, a tooltip, a default and option labels', () => {
  for (const [k, h] of Object.entries(X.HYPER)) {
    assert.ok(h.title && h.tip && h.label, `${k}: title, tip and label`);
    assert.equal(X.checkHyper(k, h.def, false), h.def, `${k}: its default passes its own checks`);
    if (h.kind === 'enum') for (const v of h.values) assert.ok(!h.options || h.options[v], `${k}: a label for ${v}`);
  }
  // One list of optimizers: the table's keys, each with its engine object.
  assert.deepEqual(X.OPTIMIZERS, Object.keys(X.OPTIMIZER_TABLE));
  for (const o of X.OPTIMIZERS) assert.equal(typeof X.trainConfig({ ...X.DEFAULTS, optimizer: o }).optimizer, 'object');
  // A configuration shows again as the settings it was made from (a resumed checkpoint).
  const exp = { ...X.DEFAULTS, optimizer: 'nesterov', lr: 0.05, schedule: 'step', iterations: 300, l2: 0.001 };
  const back = X.fromTrainConfig(X.trainConfig(exp));
  for (const k of Object.keys(back)) assert.equal(back[k], exp[k], k);
  assert.equal(Object.keys(back).length, X.HYPER_KEYS.length);
  // A train-mode experiment without a model trains a new small net, never the shipped model.
  assert.equal(X.validate({ v: 1, mode: 'train' }).model, X.FIRST_MODEL);
  assert.equal(X.validate({ v: 1 }).model, 'pretrained');
  assert.equal(X.FIRST_MODEL, 'lenet5');
});

test('the protocol as constants: request and event names from one list', () => {
  assert.equal(P.REQ.classify, 'classify');
  assert.equal(P.EVENT.evaluating, 'evaluating');
  assert.equal(P.REQ.nonsense, undefined);
  assert.ok(P.TYPES.includes('train') && Object.isFrozen(P.REQ));
});

// A fake engine client: records requests, answers them, and lets the test send events.
function fakeClient() {
  const listeners = new Map();
  const calls = [];
  const client = {
    calls,
    on(ev, fn) {
      if (!listeners.has(ev)) listeners.set(ev, []);
      listeners.get(ev).push(fn);
      return () => {};
    },
    send(ev, msg = {}) {
      for (const fn of listeners.get(ev) || []) fn({ event: ev, ...msg });
    },
    async loadModel(req, slot) {
      calls.push(['loadModel', req.name, slot]);
      return { name: req.name, architecture: {}, layers: [], input: [1, 28, 28] };
    },
    async loadData(req) {
      calls.push(['loadData', req.parts.join(',')]);
      return { train: { n: 60000 }, test: { n: 10000 } };
    },
    async train(config, o) {
      calls.push(['train', config.optimizer.type, !!o.resume]);
      return { started: true };
    },
    async pause() {
      return { state: 'paused' };
    },
    async resume() {
      return { state: 'running' };
    },
    async stop() {
      return { state: 'stopped' };
    },
    async modelInfo() {
      return { name: 'lenet5', architecture: {}, layers: [] };
    },
  };
  return client;
}

test('the session: a fresh model, MNIST once, and a status text for every step', async () => {
  const client = fakeClient();
  globalThis.fetch = async (url) => ({
    ok: true,
    json: async () => ({
      pretrained: { file: 'p.cnn', label: 'Pretrained' },
      zoo: [{ name: 'lenet5', label: 'LeNet-5' }],
    }),
    arrayBuffer: async () => new TextEncoder().encode(`{"url": "${url}"}`).buffer,
  });
  const s = new S.Session(client, { base: 'http://page.test/' });
  const status = [];
  const models = [];
  s.on('status', ({ text }) => status.push(text));
  s.on('model', ({ label, trained }) => models.push([label, trained]));
  await s.train({ ...X.DEFAULTS }, { model: X.FIRST_MODEL });
  assert.deepEqual(models[0], ['LeNet-5 — untrained (random weights)', false]);
  assert.equal(s.training, true);
  client.send('progress', { iteration: 1, losses: [2.3] });
  await s.pause();
  assert.equal(s.paused, true);
  await s.resume();
  client.send('evaluation', { iteration: 300, epoch: 0.3, test: { accuracy: 0.9 } });
  client.send('evaluating', { what: 'epoch', done: 4000, total: 10000 });
  await s.stop();
  assert.equal(s.stopping, true);
  client.send('evaluating', { what: 'final', done: 10000, total: 10000 });
  client.send('done', { status: 'stopped', message: '', test: { accuracy: 0.91 } });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(s.training, false);
  assert.deepEqual(status, [
    'Downloading MNIST…',
    'Training…',
    'Paused. Resume continues exactly where it stopped.',
    'Training…',
    'Evaluating on the test set… 40 % (4,000 of 10,000 images)',
    'Stopping… (the test set is evaluated with the weights learned so far)',
    'Evaluating on the test set… 100 % (10,000 of 10,000 images)',
    'Stopped: test accuracy 91.00 %.',
  ]);
  assert.deepEqual(models[models.length - 1], ['LeNet-5 — trained here (91.00 %)', true]);

  // MNIST is loaded once per engine, whichever session asks.
  const s2 = new S.Session(client, { slot: 'w1', base: 'http://page.test/' });
  await s2.ensureMnist(['train', 'test']);
  assert.equal(client.calls.filter((c) => c[0] === 'loadData').length, 2); // train, test: once each

  // "Resuming from iteration N…" gives way to the normal status once it runs.
  const st2 = [];
  s.on('status', ({ text }) => st2.push(text));
  await s.train(null, { config: X.trainConfig(X.DEFAULTS), resume: new Uint8Array(4), from: 582 });
  client.send('progress', { iteration: 583, losses: [0.1] });
  assert.deepEqual(st2.slice(-2), ['Resuming from iteration 582…', 'Training…']);
  // A validation split as large as the training set is refused in plain words, nothing is started.
  client.send('done', { status: 'stopped', message: '' });
  await assert.rejects(s.train({ ...X.DEFAULTS, validation: 60000 }), /must be fewer than the training images/);
  assert.equal(s.training, false);
});

test('the client: unknown names are refused, a queue keeps only the newest waiting request, a signal cancels', async () => {
  const posted = [];
  globalThis.Worker = class {
    constructor() {
      setTimeout(() => {}, 0);
    }
    postMessage(msg) {
      if (msg.id === -1) return;
      posted.push(msg.type + (msg.input ? `:${msg.input[0]}` : ''));
      setTimeout(() => this.onmessage({ data: { id: msg.id, ok: true, result: { probs: msg.input || [] } } }), 5);
    }
    terminate() {}
  };
  const c = new C.EngineClient('http://page.test/worker/engine-worker.js', { pingMs: 60000 });
  try {
    await assert.rejects(c.request('nonsense'), /unknown engine request 'nonsense'/);
    const q = (v) => c.classify(new Float32Array([v]), '', { queue: 'draw' });
    const [a, b, d] = [q(1), q(2), q(3)];
    const replaced = assert.rejects(b, (e) => e.name === 'AbortError');
    await a;
    await replaced;
    assert.equal((await d)[0], 3);
    assert.deepEqual(posted, ['classify:1', 'classify:3']); // the replaced request was never sent
    const ac = new AbortController();
    const p = assert.rejects(
      c.classify(new Float32Array([4]), '', { signal: ac.signal }),
      (e) => e.name === 'AbortError',
    );
    ac.abort();
    await p;
  } finally {
    c.terminate();
  }
});
