// The layer explanations (web/lib/layer-docs.js) against the engine: for every layer of every zoo
// model, and for a model with every kind of the engine's registry, the parameter count computed by
// the kind's formula equals the engine's, and the output size in the formula is the engine's shape.
// The module is an ES module of the page; this package is CommonJS, so it is imported from a copy.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
let D, E;
test.before(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-docs-'));
  fs.copyFileSync(path.join(root, 'web', 'lib', 'layer-docs.js'), path.join(tmp, 'layer-docs.js'));
  fs.writeFileSync(path.join(tmp, 'package.json'), '{"type": "module"}');
  D = await import(pathToFileURL(path.join(tmp, 'layer-docs.js')).href);
  E = await require(path.join(dir, 'cnn_engine_st.js'))({
    wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')),
  });
});

function check(layers, where) {
  const kinds = new Set();
  for (const l of layers) {
    const x = D.explainLayer(l, layers);
    kinds.add(l.type);
    assert.notEqual(x.title, l.type === 'input' ? '' : l.type, `${where} ${l.name}: a title of its own`);
    assert.ok(x.text.length > 60, `${where} ${l.name}: a few sentences`);
    if (x.params) assert.equal(x.params.count, l.params, `${where} ${l.name} (${l.type}): ${x.params.formula}`);
    // The formula's output size is the engine's.
    for (const f of x.formulas) {
      const m = /^W₂ = .* = (\d+)$/.exec(f);
      if (m) assert.equal(Number(m[1]), l.shape[2], `${where} ${l.name}: ${f}`);
      const h = /^H₂ = .* = (\d+)$/.exec(f);
      if (h) assert.equal(Number(h[1]), l.shape[1], `${where} ${l.name}: ${f}`);
    }
  }
  return kinds;
}

test('every zoo layer: the formula gives the engine parameter count and output size', () => {
  const models = path.join(root, 'web', 'models');
  let n = 0;
  for (const f of fs.readdirSync(models).filter((f) => f.endsWith('.json') && f !== 'index.json')) {
    const m = new E.Model(fs.readFileSync(path.join(models, f), 'utf8'));
    n += JSON.parse(m.layerInfo()).length;
    check(JSON.parse(m.layerInfo()), f);
    m.delete();
  }
  assert.ok(n > 50);
});

test('every kind of the registry is explained with its numbers', () => {
  const m = new E.Model(
    JSON.stringify({
      input: [2, 9, 9],
      layers: [
        { type: 'conv2d', name: 'c', filters: 6, kernel: 3, stride: 2, pad: 1, groups: 2 },
        { type: 'leaky_relu', name: 'lr' },
        { type: 'elu', name: 'elu' },
        { type: 'gelu', name: 'g' },
        { type: 'sigmoid', name: 's' },
        { type: 'tanh', name: 't' },
        { type: 'prelu', name: 'p' },
        { type: 'maxout', name: 'mo', k: 2 },
        { type: 'layernorm', name: 'ln' },
        { type: 'groupnorm', name: 'gn', groups: 3 },
        { type: 'lrn', name: 'lrn', size: 3 },
        { type: 'depthwise_conv2d', name: 'dw', kernel: 3, pad: 1, multiplier: 2 },
        { type: 'batchnorm', name: 'bn' },
        { type: 'relu', name: 'r' },
        { type: 'maxpool2d', name: 'mp', size: 2, stride: 1 },
        { type: 'avgpool2d', name: 'ap', size: 2, stride: 1 },
        { type: 'dropout', name: 'dr', p: 0.3 },
        { type: 'conv2d', name: 'c2', filters: 6, kernel: 1, bias: false },
        { type: 'add', name: 'sum', inputs: ['dr', 'c2'] },
        { type: 'global_avgpool', name: 'gap', inputs: ['sum'] },
        { type: 'concat', name: 'cat', inputs: ['gap', 'gap'] },
        { type: 'flatten', name: 'f' },
        { type: 'dense', name: 'd', units: 4 },
      ],
    }),
  );
  const layers = JSON.parse(m.layerInfo());
  m.delete();
  const kinds = check(layers, 'all-kinds');
  const registry = fs.readFileSync(path.join(root, 'src', 'nn', 'layers', 'registry.cpp'), 'utf8');
  const names = [...registry.matchAll(/^\s*\{"(\w+)",\s+make</gm)].map((x) => x[1]);
  assert.ok(names.length >= 20);
  for (const k of names) {
    assert.ok(kinds.has(k), `the test model has a ${k} layer`);
    const l = layers.find((x) => x.type === k);
    const x = D.explainLayer(l, layers);
    assert.notEqual(x.title, k, `${k} has an explanation of its own`);
    assert.ok(x.formulas.length > 0, `${k} has a formula`);
  }
  const conv = D.explainLayer(
    layers.find((l) => l.name === 'c'),
    layers,
  );
  assert.match(conv.params.formula, /= 3·3·1·6 \+ 6 = 60$/);
  assert.ok(conv.formulas.includes('W₂ = (W₁ − F + 2P)/S + 1 = (9 − 3 + 2·1)/2 + 1 = 5'), conv.formulas.join('\n'));
  assert.match(D.explainOutput(10).formulas.join(' '), /log p_y/);
});
