// Shared experiments (web/lib/experiment.js) under Node: encode/decode round trips, and strict
// refusal of damaged or hostile state with a plain message. The module is an ES module of the page;
// this package is CommonJS, so it is imported from a copy with the .mjs extension.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');

let X;
test.before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-exp-'));
  const copy = path.join(dir, 'experiment.mjs');
  fs.copyFileSync(path.join(__dirname, '..', '..', 'web', 'lib', 'experiment.js'), copy);
  X = await import(pathToFileURL(copy).href);
});

const lenet = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'web', 'models', 'lenet5.json'), 'utf8'));
const b64 = (obj) => Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj)).toString('base64url');

test('an experiment survives encode/decode exactly, and missing keys take the defaults', () => {
  const exp = X.validate({
    v: 1,
    mode: 'train',
    model: lenet,
    optimizer: 'sgd',
    lr: 0.05,
    batch: 16,
    epochs: 3,
    seed: 7,
    augment: 'strong',
    schedule: 'step',
    l2: 0.0005,
    validation: 2000,
  });
  assert.deepEqual(X.decode(X.encode(exp)), exp);
  assert.deepEqual(X.fromHash(`#exp=${X.encode(exp)}`), exp);
  assert.equal(X.fromHash('#something-else'), null);
  const url = X.toUrl(exp, 'https://example.org/cnn/index.html?x=1');
  assert.ok(url.startsWith('https://example.org/cnn/index.html?x=1#exp='));
  assert.deepEqual(X.validate({ v: 1 }), { ...X.DEFAULTS });
  // Unicode in the model's text survives.
  const named = X.validate({ v: 1, model: { ...lenet, description: 'Filtre 5×5 — über' } });
  assert.equal(X.decode(X.encode(named)).model.description, 'Filtre 5×5 — über');
});

test('attribute and URL strings are parsed strictly', () => {
  assert.equal(X.checkHyper('lr', '0.05'), 0.05);
  assert.equal(X.checkHyper('lr', '1e-3'), 0.001);
  assert.equal(X.checkHyper('batch', ' 32 '), 32);
  assert.throws(() => X.checkHyper('batch', '32.5'), /batch size must be a whole number/);
  assert.throws(() => X.checkHyper('lr', '0x10'), /learning rate must be a number/);
  assert.throws(() => X.checkHyper('lr', ''), /learning rate must be a number/);
  assert.throws(() => X.checkHyper('lr', 'Infinity'), /learning rate must be a number/);
  assert.throws(() => X.checkHyper('epochs', '0'), /epochs must be from 1 to 1000/);
  assert.throws(() => X.checkHyper('optimizer', 'Adam'), /optimizer must be one of/);
  assert.throws(() => X.checkHyper('constructor', '1'), /unknown setting/);
  assert.throws(() => X.checkMode('<b>'), /mode must be one of classify, train, network \(got '<b>'\)/);
  assert.throws(() => X.checkModel('<img src=x onerror=alert(1)>'), /model must be "pretrained"/);
});

test('damaged, hostile or oversized state is refused with a plain message', () => {
  const bad = {
    '!!!': /not base64url/,
    a: /cut short/,
    [b64('{"v":1,')]: /not valid JSON/,
    [Buffer.from([0xff, 0xfe, 0x80]).toString('base64url')]: /not valid text/,
    [b64([1, 2])]: /must be a JSON object/,
    [b64({ v: 2 })]: /format version is '2'/,
    [b64({ v: 1, extra: 1 })]: /unknown key 'extra'/,
    [b64('{"v":1,"__proto__":{"polluted":1}}')]: /unknown key '__proto__'/,
    [b64({ v: 1, lr: '0.1' })]: /learning rate must be a number/,
    [b64({ v: 1, lr: -1 })]: /learning rate must be from/,
    [b64({ v: 1, batch: 1e9 })]: /batch size must be from 1 to 4096/,
    [b64({ v: 1, seed: 1.5 })]: /seed must be a whole number/,
    [b64({ v: 1, data: 'cifar' })]: /data must be mnist/,
    [b64({ v: 1, model: 42 })]: /model must be/,
    [b64({ v: 1, model: { ...lenet, script: 'x' } })]: /unknown key 'script'/,
    [b64({ v: 1, model: { ...lenet, input: [1, 28] } })]: /input must be \[channels, height, width\]/,
    [b64({ v: 1, model: { ...lenet, layers: [] } })]: /list of 1 to 256 layers/,
    [b64({ v: 1, model: { ...lenet, layers: [{ type: 'conv2d', x: { a: { b: 1 } } }] } })]: /the value of 'x' is not/,
    [b64({ v: 1, model: { ...lenet, layers: [{ type: '<script>' }] } })]: /needs a "type"/,
    [b64({ v: 1, model: { ...lenet, layers: Array.from({ length: 300 }, () => ({ type: 'relu' })) } })]:
      /1 to 256 layers/,
    [b64({ v: 1, model: { ...lenet, description: 'x'.repeat(40000) } })]: /too (large|long)/,
    ['A'.repeat(50000)]: /too long/,
  };
  for (const [text, re] of Object.entries(bad)) {
    assert.throws(
      () => X.decode(text),
      (e) => e instanceof X.ExperimentError && re.test(e.message),
      `${text.slice(0, 40)} -> ${re}`,
    );
  }
  assert.equal({}.polluted, undefined);
});

test("the training configuration is the same mapping as the app's Train card", () => {
  const exp = X.validate({
    v: 1,
    optimizer: 'nesterov',
    lr: 0.1,
    batch: 100,
    epochs: 2,
    schedule: 'cosine',
    validation: 10000,
    augment: 'none',
    seed: 3,
  });
  const c = X.trainConfig(exp);
  assert.deepEqual(c.optimizer, { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true });
  // Sizes and presets are resolved by the engine (src/train/optim/schedule.h, src/data/augment.h).
  assert.deepEqual(c.schedule, { type: 'cosine' });
  assert.equal(c.augment, 'none');
  assert.equal(c.iterations, undefined);
  assert.equal(X.trainConfig({ ...exp, iterations: 300 }).iterations, 300);
  assert.deepEqual(X.trainConfig({ ...exp, optimizer: 'lookahead' }).optimizer, {
    type: 'lookahead',
    k: 5,
    alpha: 0.5,
    inner: { type: 'adam', lr: 0.1 },
  });
});
