// The wasm API from Node (the single-threaded build, as a worker would use it): building a model
// from JSON, forward, a training step, parameters, activations, and errors as JS exceptions.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

// CNN_WASM_DIR: another build directory (relative to the repository), e.g. build/helper-wasm.
const dir = path.resolve(__dirname, '..', '..', process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const createCnnEngine = require(path.join(dir, 'cnn_engine_st.js'));
// Node 20: hand the binary over; the loader's fetch() of a file path fails (TOOLCHAIN quirk 4).
const enginePromise = createCnnEngine({ wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')) });

const tiny = JSON.stringify({
  input: [1, 6, 6],
  seed: 3,
  layers: [
    { type: 'conv2d', name: 'conv', filters: 4, kernel: 3, pad: 1 },
    { type: 'relu', name: 'relu' },
    { type: 'maxpool2d', name: 'pool', size: 2 },
    { type: 'dense', name: 'fc', units: 3 },
  ],
});

test('builds a model and reports its summary', async () => {
  const E = await enginePromise;
  const m = new E.Model(tiny);
  const s = JSON.parse(m.summary());
  assert.equal(s.layers.length, 5);
  assert.deepEqual(s.layers[1].shape, [4, 6, 6]);
  assert.equal(s.total_params, 4 * 9 + 4 + 3 * 36 + 3);
  assert.equal(m.paramCount(), s.total_params);
  assert.equal(JSON.parse(E.buildInfo()).threads, false);
  m.delete();
});

test('forward gives the output for each sample; activations are readable', async () => {
  const E = await enginePromise;
  const m = new E.Model(tiny);
  const x = new Float32Array(2 * 36).map((_, i) => Math.sin(i));
  const y = m.forward(x, 2, false);
  assert.ok(y instanceof Float32Array);
  assert.equal(y.length, 6);
  const a = m.activation('pool');
  assert.deepEqual(a.shape, [2, 4, 3, 3]);
  assert.equal(a.data.length, 72);
  assert.ok(a.data.every((v) => v >= 0)); // after ReLU
  m.delete();
});

test('training steps lower the loss on a fixed batch', async () => {
  const E = await enginePromise;
  const m = new E.Model(tiny);
  const x = new Float32Array(4 * 36).map((_, i) => Math.sin(i * i * 0.37));
  const labels = new Int32Array([0, 1, 2, 1]);
  const first = m.trainStep(x, labels, 4, { lr: 0.1 });
  let last = first;
  for (let i = 0; i < 30; i++) last = m.trainStep(x, labels, 4, { lr: 0.1 });
  assert.ok(Number.isFinite(first));
  assert.ok(last < first * 0.5, `loss ${first} -> ${last}`);
  const hinge = m.trainStep(x, labels, 4, { lr: 0.01, loss: 'hinge', l2: 1e-3 });
  assert.ok(Number.isFinite(hinge));
  m.delete();
});

test('parameters can be read and written', async () => {
  const E = await enginePromise;
  const m = new E.Model(tiny);
  const names = JSON.parse(m.paramNames());
  assert.deepEqual(
    names.map((p) => p.name),
    ['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias'],
  );
  const w = new Float32Array(3 * 36).fill(0.5);
  m.setParam('fc.weight', w);
  assert.deepEqual(Array.from(m.getParam('fc.weight')), Array.from(w));
  assert.throws(() => m.setParam('fc.weight', new Float32Array(5)), /has 108 values, got 5/);
  m.delete();
});

test('errors cross as JS Errors with the C++ message, and the module stays usable', async () => {
  const E = await enginePromise;
  assert.throws(
    () => new E.Model('{"input":[1,7,7],"layers":[{"type":"conv2d","name":"c","filters":1,"kernel":9}]}'),
    (e) => e instanceof Error && /conv2d layer 'c'.*larger than the padded input/.test(e.message),
  );
  assert.throws(() => new E.Model('not json'), /not valid JSON/);
  const m = new E.Model(tiny);
  assert.throws(() => m.forward(new Float32Array(10), 1, false), /input has 10 values/);
  assert.throws(() => m.trainStep(new Float32Array(36), new Int32Array([7]), 1, { lr: 0.1 }), /label 7 is outside/);
  assert.throws(() => m.activation('nope'), /no layer named 'nope'/);
  // Still works afterwards.
  assert.equal(m.forward(new Float32Array(36), 1, false).length, 3);
  m.delete();
});

test('the same seed gives the same weights as the native build', async () => {
  const E = await enginePromise;
  const m = new E.Model(
    JSON.stringify({ input: [1, 4, 4], seed: 42, init: 'kaiming', layers: [{ type: 'dense', units: 3 }] }),
  );
  const w = m.getParam('dense_1.weight');
  // Rng(42)'s first normals (tests/nn/test_model.cpp) scaled by sqrt(2 / fan_in = 16).
  const want = [0.922699571, -0.295231521, -1.32086897, -0.94276005].map((v) => v * Math.sqrt(2 / 16));
  want.forEach((v, i) => assert.ok(Math.abs(w[i] - v) < 1e-6, `${w[i]} vs ${v}`));
  m.delete();
});

// Errors used to be thrown as JS exceptions through the wasm frames, which left 16 bytes of wasm
// stack and the thrown Embind handle behind per error: after ~330,000 errors the module broke.
test('errors leave no wasm stack and no Embind handles behind', async () => {
  const E = await enginePromise;
  const m = new E.Model(tiny);
  const sp0 = E.stackSave(),
    handles0 = E.count_emval_handles();
  let caught = 0;
  for (let i = 0; i < 3000; i++) {
    for (const f of [
      () => m.predict(new Float32Array(3), 1),
      () => new E.Model('{"layers": 1'),
      () => E.loadModel(new Uint8Array(5)),
      () => m.getParam('nope'),
      () => m.activation('nope'),
    ]) {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof Error && e.message.length > 0);
        caught++;
      }
    }
  }
  assert.equal(caught, 15000);
  assert.equal(E.stackSave(), sp0, 'the wasm stack pointer moved');
  assert.equal(E.count_emval_handles(), handles0, 'Embind handles leaked');
  assert.equal(E.takeError(), '');
  assert.equal(m.predict(new Float32Array(36), 1).length, 3); // still works
  m.delete();
});

test('sizes a shared link could carry are refused, not wrapped at 2^32', async () => {
  const E = await enginePromise;
  const model = (input, layers) => JSON.stringify({ input, layers });
  assert.throws(
    () =>
      new E.Model(
        model(
          [1, 28, 28],
          [
            { type: 'conv2d', filters: 65536, kernel: 1 },
            { type: 'dense', units: 65536 },
          ],
        ),
      ),
    /dense layer 'dense_2': a tensor of shape .* this engine holds at most/,
  );
  assert.throws(
    () => new E.Model(model([1, 28, 28], [{ type: 'dense', units: 4294967306 }])),
    /'units' must be an integer from 1 to 65536/,
  );
  assert.throws(
    () => new E.Model(model([1, 2, 2], [{ type: 'conv2d', filters: 65536, kernel: 1, pad: 32767 }])),
    /at most/,
  );
  assert.throws(() => new E.Model('['.repeat(100000)), /nests deeper than 64/);
  const m = new E.Model(model([1, 64, 64], [{ type: 'conv2d', filters: 256, kernel: 3, pad: 1 }]));
  assert.throws(() => m.predict(new Float32Array(64 * 64 * 2048), 2048), /for a batch of 2048.*at most 2\.1 GB/);
  m.delete();
});
