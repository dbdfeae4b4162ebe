// The layer editor's edits (web/lib/model-edit.js) against the engine: every kind the editor adds
// builds where it is inserted into LeNet-5 (the engine's summary then has the layer, in order), every
// setting the engine describes for a kind has a label, the kinds the editor adds and the branch kinds
// are the registry's, and the edits keep the rest of the description as it was.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(root, process.env.CNN_WASM_DIR || path.join('build', 'wasm'));
const lenet = JSON.parse(fs.readFileSync(path.join(root, 'web', 'models', 'lenet5.json'), 'utf8'));
let M, E;
test.before(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-edit-'));
  fs.copyFileSync(path.join(root, 'web', 'lib', 'model-edit.js'), path.join(tmp, 'model-edit.js'));
  fs.writeFileSync(path.join(tmp, 'package.json'), '{"type": "module"}');
  M = await import(pathToFileURL(path.join(tmp, 'model-edit.js')).href);
  E = await require(path.join(dir, 'cnn_engine_st.js'))({
    wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')),
  });
});

function summary(desc) {
  const m = new E.Model(JSON.stringify(desc));
  try {
    return JSON.parse(m.summary());
  } finally {
    m.delete();
  }
}

test('the kinds the editor adds, and the branch kinds, are the registry', () => {
  const registry = fs.readFileSync(path.join(root, 'src', 'nn', 'layers', 'registry.cpp'), 'utf8');
  const names = [...registry.matchAll(/^\s*\{"(\w+)",\s+make</gm)].map((x) => x[1]).sort();
  const added = M.ADD_GROUPS.flatMap((g) => g.types);
  assert.deepEqual([...added, 'add', 'concat'].sort(), names);
});

test('each kind inserted builds, and every setting of it has a label', () => {
  const seen = [];
  for (const type of M.ADD_GROUPS.flatMap((g) => g.types)) {
    // windows where the maps are 14×14 (after s2), the rest before the last dense layer
    const at = ['conv2d', 'depthwise_conv2d', 'maxpool2d', 'avgpool2d'].includes(type) ? 3 : lenet.layers.length - 1;
    const d = M.insertLayer(lenet, at, type);
    assert.equal(d.layers.length, lenet.layers.length + 1);
    assert.equal(d.layers[at].type, type);
    assert.ok(!lenet.layers.some((l) => l.name === d.layers[at].name), `${type}: a new name (${d.layers[at].name})`);
    const s = summary(d);
    const rows = s.layers.filter((l) => l.type !== 'input');
    assert.deepEqual(
      rows.map((l) => l.name),
      d.layers.map((l) => l.name),
      `${type}: the engine's layers are the description's, in order`,
    );
    const fields = M.layerFields(d.layers[at], rows[at].config);
    for (const key of Object.keys(rows[at].config).filter((k) => k !== 'type'))
      assert.ok(
        fields.some((f) => f.key === key && f.label !== key),
        `${type}: the engine's setting '${key}' is a labelled field`,
      );
    seen.push(`${type} ${rows[at].shape.join('×')} (${fields.map((f) => f.key).join(', ') || 'no settings'})`);
  }
  console.log(`[editor] each kind inserted into LeNet-5:\n  ${seen.join('\n  ')}`);
});

test('settings of every zoo layer are labelled fields of the right kind', () => {
  const models = path.join(root, 'web', 'models');
  for (const f of fs.readdirSync(models).filter((f) => f.endsWith('.json') && f !== 'index.json')) {
    const desc = JSON.parse(fs.readFileSync(path.join(models, f), 'utf8'));
    const rows = summary(desc).layers.filter((l) => l.type !== 'input');
    rows.forEach((l, i) => {
      for (const x of M.layerFields(desc.layers[i], l.config)) {
        assert.notEqual(x.label, x.key, `${f} ${l.name}: '${x.key}' has a label`);
        if (x.kind === 'pair') assert.equal(x.value.length, 2);
        if (x.kind === 'int') assert.ok(Number.isInteger(x.value), `${f} ${l.name} ${x.key}`);
      }
    });
  }
});

test('edits: set, move, remove, rename keep the rest; the engine reports a window that does not fit', () => {
  const wide = M.setField(lenet, 0, 'filters', 8);
  assert.equal(wide.layers[0].filters, 8);
  assert.equal(lenet.layers[0].filters, 6, 'the original is unchanged');
  const s = summary(wide);
  assert.deepEqual(s.layers[1].shape, [8, 28, 28]);
  assert.equal(s.layers[1].params, 8 * 5 * 5 + 8);

  const moved = M.moveLayer(lenet, 1, 1); // relu1 after s2
  assert.deepEqual(
    moved.layers.slice(0, 3).map((l) => l.name),
    ['c1', 's2', 'relu1'],
  );
  assert.deepEqual(M.moveLayer(lenet, 0, -1), lenet, 'the first layer does not move up');
  assert.equal(M.removeLayer(lenet, 1).layers.length, lenet.layers.length - 1);

  const big = M.setField(lenet, 3, 'kernel', [15, 5]);
  assert.throws(() => summary(big), /larger than the padded input/);

  const graph = {
    input: [1, 8, 8],
    layers: [
      { type: 'conv2d', name: 'a', filters: 2, kernel: 3, pad: 1 },
      { type: 'relu', name: 'r' },
      { type: 'add', name: 's', inputs: ['a', 'r'] },
    ],
  };
  assert.ok(M.hasBranches(graph));
  assert.ok(!M.hasBranches(lenet));
  const renamed = M.renameLayer(graph, 0, 'first');
  assert.deepEqual(renamed.layers[2].inputs, ['first', 'r'], 'inputs follow a rename');
  summary(renamed);
});
