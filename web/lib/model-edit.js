// Editing a model description without JSON (the Train card's layer editor, views/layer-editor.js):
// pure functions on the description object, and the labels of each layer setting. Pure data in,
// data out; no DOM, no engine. The engine is the judge of what is valid: the editor sends every
// edit to it (worker request inspectModel) and shows its shapes, counts, notes and messages.
//
//   insertLayer(desc, at, type) -> desc with a new layer of `type` at index `at` (a unique name)
//   removeLayer(desc, at), moveLayer(desc, at, by), setField(desc, at, key, value) -> desc
//   layerFields(layer, config) -> [{key, label, kind: 'int'|'num'|'pair'|'bool', value, min, help}]
//   ADD_GROUPS -> [{label, types: [type]}]   the kinds a student can add, grouped
//
// A description is {name, input, init, seed, layers: [{type, name, ...settings, inputs?}], ...};
// every function returns a new object and leaves its argument unchanged.

// Starting values of a new layer: the settings the engine requires (filters, kernel, units...),
// chosen so that the layer fits most places of a small MNIST network. Everything else is the
// engine's default, which the editor shows from the engine's own description of the layer.
const NEW_LAYER = {
  conv2d: { filters: 8, kernel: [3, 3], pad: [1, 1] },
  depthwise_conv2d: { kernel: [3, 3], pad: [1, 1] },
  maxpool2d: { size: [2, 2] },
  avgpool2d: { size: [2, 2] },
  global_avgpool: {},
  dense: { units: 64 },
  flatten: {},
  relu: {},
  leaky_relu: {},
  elu: {},
  gelu: {},
  sigmoid: {},
  tanh: {},
  prelu: {},
  maxout: { k: 2 },
  batchnorm: {},
  layernorm: {},
  groupnorm: { groups: 2 },
  lrn: { size: 5 },
  dropout: { p: 0.5 },
};

// Branches (add, concat) take named inputs: they are made in the JSON view.
export const ADD_GROUPS = Object.freeze([
  {
    label: 'Convolution and pooling',
    types: ['conv2d', 'depthwise_conv2d', 'maxpool2d', 'avgpool2d', 'global_avgpool'],
  },
  { label: 'Fully connected', types: ['dense', 'flatten'] },
  { label: 'Activation', types: ['relu', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh', 'prelu', 'maxout'] },
  { label: 'Normalization and regularization', types: ['batchnorm', 'layernorm', 'groupnorm', 'lrn', 'dropout'] },
]);

// The label of a setting, by layer kind where the same key means different things.
const LABELS = {
  filters: ['Filters K', 'the number of filters, which is the depth of the output'],
  kernel: ['Filter size F', 'the height and width of each filter'],
  stride: ['Stride S', 'how far the window moves between two outputs'],
  pad: ['Padding P', 'zeros added around the input on each side'],
  bias: ['Bias', 'one learned number added to each output channel'],
  groups: ['Groups', 'channels are split into this many groups (each filter sees one group)'],
  multiplier: ['Depth multiplier', 'filters per input channel'],
  units: ['Units', 'the number of outputs (neurons)'],
  size: ['Window F', 'the height and width of the pooling window'],
  k: ['Pieces k', 'each output is the maximum of k channels'],
  p: ['Drop probability p', 'the fraction of values set to zero while training'],
  slope: ['Negative slope', 'the slope for negative inputs'],
  alpha: ['α', 'the scale of the negative part'],
  momentum: ['Momentum', 'how fast the running mean and variance follow the batches'],
  eps: ['ε', 'added to the variance before the square root'],
  init: ['Initial slope', 'the learned slope for negative inputs starts here'],
  beta: ['β', 'the exponent of the normalization'],
};
const BY_KIND = {
  lrn: {
    size: ['Size n', 'the number of neighbouring channels summed'],
    alpha: ['α', 'the scale of the sum of squares'],
    k: ['Constant k', 'the constant added before the exponent'],
  },
  groupnorm: { groups: ['Groups', 'channels are normalized in this many groups'] },
};
// Whole numbers (the engine refuses fractions for these).
const INTEGER = new Set(['filters', 'groups', 'multiplier', 'units', 'k', 'size']);
const MIN = { filters: 1, kernel: 1, stride: 1, pad: 0, groups: 1, multiplier: 1, units: 1, size: 1, k: 1, p: 0 };

// The order settings are shown in: what defines the layer first, switches last.
const ORDER = [
  'filters',
  'units',
  'multiplier',
  'kernel',
  'size',
  'stride',
  'pad',
  'groups',
  'k',
  'p',
  'slope',
  'alpha',
  'beta',
  'init',
  'momentum',
  'eps',
  'bias',
];
const order = (key) => (ORDER.includes(key) ? ORDER.indexOf(key) : ORDER.length);

const copy = (desc) => JSON.parse(JSON.stringify(desc));

// The settings of a layer as form fields: its own keys and the engine's completed description of it
// (`config`, from the engine's summary: every default filled in), in the engine's order.
export function layerFields(layer, config = {}) {
  const merged = { ...config, ...layer };
  const keys = Object.keys(merged).sort((a, b) => order(a) - order(b));
  const out = [];
  for (const key of keys) {
    const value = merged[key];
    if (key === 'type' || key === 'name' || key === 'inputs') continue;
    const pairLike = Array.isArray(value) && value.length === 2;
    let kind;
    if (typeof value === 'boolean') kind = 'bool';
    else if (pairLike || (typeof value === 'number' && Array.isArray(config[key]))) kind = 'pair';
    else if (typeof value === 'number')
      kind = INTEGER.has(key) && !(layer.type === 'lrn' && key === 'k') ? 'int' : 'num';
    else continue; // nothing else is a setting a form can hold
    const [label, help] = (BY_KIND[layer.type] || {})[key] || LABELS[key] || [key, ''];
    const v = kind === 'pair' ? (Array.isArray(value) ? value.slice() : [value, value]) : value;
    out.push({ key, label, kind, value: v, min: MIN[key], help });
  }
  return out;
}

function usedNames(desc) {
  return new Set((desc.layers || []).map((l) => l && l.name).filter(Boolean));
}

// A name not used yet: the type's short name and a number ("conv3", "relu4").
function freshName(desc, type) {
  const stem =
    { conv2d: 'conv', depthwise_conv2d: 'dw', maxpool2d: 'pool', avgpool2d: 'pool', dense: 'fc' }[type] || type;
  const used = usedNames(desc);
  for (let k = 1; ; ++k) if (!used.has(`${stem}${k}`)) return `${stem}${k}`;
}

export function insertLayer(desc, at, type) {
  if (!(type in NEW_LAYER)) throw new Error(`'${type}' is not a layer kind the editor adds`);
  const d = copy(desc);
  d.layers = d.layers || [];
  const i = Math.max(0, Math.min(at, d.layers.length));
  d.layers.splice(i, 0, { type, name: freshName(d, type), ...copy(NEW_LAYER[type]) });
  return d;
}

export function removeLayer(desc, at) {
  const d = copy(desc);
  d.layers.splice(at, 1);
  return d;
}

export function moveLayer(desc, at, by) {
  const d = copy(desc);
  const to = at + by;
  if (to < 0 || to >= d.layers.length) return d;
  const [l] = d.layers.splice(at, 1);
  d.layers.splice(to, 0, l);
  return d;
}

// value: a number, [h, w] or a boolean. A pair whose two numbers are equal is written as one number
// only if the layer already wrote it so; otherwise [h, w], as the engine's description does.
export function setField(desc, at, key, value) {
  const d = copy(desc);
  d.layers[at][key] = Array.isArray(value) ? value.slice() : value;
  return d;
}

// Renaming keeps the names that other layers use as inputs pointing at the layer.
export function renameLayer(desc, at, name) {
  const d = copy(desc);
  const old = d.layers[at].name;
  d.layers[at].name = name;
  if (old)
    for (const l of d.layers) if (Array.isArray(l.inputs)) l.inputs = l.inputs.map((x) => (x === old ? name : x));
  return d;
}

// True when some layer names its inputs (a network with branches: ResNet, Inception): moving or
// removing layers there can cut a branch, which the engine then reports.
export function hasBranches(desc) {
  return (desc.layers || []).some((l) => l && Array.isArray(l.inputs));
}
