// What each layer kind computes, in the lecture notes' words and formulas, with a layer's own
// numbers filled in: the one place these texts live (the network view's detail panel in the app
// and the widget shows them). Pure data in, data out; no DOM.
//
//   explainLayer(layer, layers) -> {kind, title, text, formulas: [string], params: {formula, count}|null,
//                                    input: [c,h,w]|null, output: [c,h,w], numbers: {...}}
// `layer` is one entry of the engine's model info (modelInfo().layers: name, type, shape, params,
// config, inputs, param_shapes); `layers` all of them (to find the layer's input shapes). The
// parameter count is computed by the kind's formula; the tests check it equals the engine's.

const mul = '·';
const fmt = (x) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));
const shapeText = (s) => (s ? s.join('×') : '?');
const prod = (s) => s.reduce((a, b) => a * b, 1);
const pair = (v, d) => (Array.isArray(v) ? v : v === undefined ? [d, d] : [v, v]);

function windowSides(input, f, s, p) {
  const [, h1, w1] = input;
  // The floor bracket closes after the division: ⌊(W₁ − F + 2P)/S⌋ + 1.
  const side = (sym, x1, ff, pp, ss) => {
    const x2 = Math.floor((x1 - ff + 2 * pp) / ss) + 1;
    const whole = (x1 - ff + 2 * pp) % ss === 0;
    const o = whole ? '' : '⌊';
    const c = whole ? '' : '⌋';
    return {
      value: x2,
      text: `${sym}₂ = ${o}(${sym}₁ − F + 2P)/S${c} + 1 = ${o}(${x1} − ${ff} + 2${mul}${pp})/${ss}${c} + 1 = ${x2}`,
    };
  };
  const w = side('W', w1, f[1], p[1], s[1]);
  const h = side('H', h1, f[0], p[0], s[0]);
  return { w, h };
}

const ACTIVATIONS = {
  relu: {
    title: 'ReLU (rectified linear unit)',
    formula: () => 'f(x) = max(0, x)',
    text: 'Keeps positive values and sets negative ones to zero, value by value: the non-linearity that lets stacked layers compute more than one linear map. It does not saturate for positive inputs and is cheap, so networks with it train fast; a unit whose input stays negative gets no gradient (a "dead ReLU").',
  },
  leaky_relu: {
    title: 'Leaky ReLU',
    formula: (c) => `f(x) = max(${fmt(c.slope ?? 0.01)}x, x)`,
    text: 'Like ReLU, but negative values are multiplied by a small slope instead of being set to zero, so a unit never "dies": its gradient is never exactly zero.',
  },
  elu: {
    title: 'ELU (exponential linear unit)',
    formula: (c) => `f(x) = x if x ≥ 0, ${fmt(c.alpha ?? 1)}${mul}(eˣ − 1) if x < 0`,
    text: 'Linear for positive values, a smooth exponential curve towards −α for negative ones: outputs closer to zero mean than ReLU, and no dead units.',
  },
  gelu: {
    title: 'GELU (Gaussian error linear unit)',
    formula: () => 'f(x) = x' + mul + 'Φ(x), Φ = the standard normal CDF',
    text: 'Scales each value by the probability that a standard normal variable is below it: close to ReLU for large |x|, smooth around zero. It costs more to compute than ReLU.',
  },
  sigmoid: {
    title: 'Sigmoid',
    formula: () => 'σ(x) = 1 / (1 + e⁻ˣ)',
    text: 'Squashes each value into (0, 1). It saturates: for large |x| its gradient is almost zero, which slows learning in deep networks, and its outputs are not zero-centred.',
  },
  tanh: {
    title: 'Tanh (hyperbolic tangent)',
    formula: () => 'f(x) = tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)',
    text: 'Squashes each value into (−1, 1); zero-centred, unlike the sigmoid, but it saturates the same way.',
  },
};

// The explanation of one layer with its numbers.
export function explainLayer(layer, layers = []) {
  const cfg = layer.config || {};
  const kind = layer.type;
  const byName = new Map(layers.map((l) => [l.name, l]));
  const inputShapes = (layer.inputs || []).map((n) => (byName.get(n) ? byName.get(n).shape : null));
  const input = inputShapes[0] || null;
  const output = layer.shape;
  const out = {
    kind,
    name: layer.name,
    title: kind,
    text: '',
    formulas: [],
    params: { formula: 'no learned parameters', count: 0 },
    input,
    output,
    numbers: {},
  };
  const [C, H1, W1] = input || [0, 0, 0];
  const [K, H2, W2] = output;
  const bias = cfg.bias !== false;

  if (kind === 'input') {
    out.title = 'Input';
    out.text = `The image the network sees: ${shapeText(output)} (channels × height × width), pixel values after the model's preprocessing. Every later layer computes from these numbers.`;
    out.params = null;
  } else if (kind === 'conv2d') {
    const f = pair(cfg.kernel, 3),
      s = pair(cfg.stride, 1),
      p = pair(cfg.pad, 0);
    const g = cfg.groups || 1;
    const sides = windowSides(input, f, s, p);
    const F = f[0] === f[1] ? `${f[0]}` : `${f[0]}×${f[1]}`;
    out.title = 'Convolution';
    out.text = `Each of its K = ${K} filters slides over the input with stride S and zero padding P; at each position it multiplies the ${f[0]}×${f[1]}${C / g > 1 ? `×${C / g}` : ''} window of the input by its weights, adds the products and a bias, and writes one number into its activation map. The same filter is used at every position (weight sharing), so it finds the same pattern — an edge, a stroke — anywhere in the image. K filters give K maps.${g > 1 ? ` The ${C} input channels are split into ${g} groups; each filter sees only the ${C / g} channels of its group.` : ''}`;
    out.formulas = [
      `input W₁×H₁×C = ${W1}×${H1}×${C}; F = ${F}, S = ${s[0] === s[1] ? s[0] : `${s[0]}×${s[1]}`}, P = ${p[0] === p[1] ? p[0] : `${p[0]}×${p[1]}`}, K = ${K}`,
      sides.w.text,
      sides.h.text,
      `output W₂×H₂×K = ${W2}×${H2}×${K}`,
    ];
    const perFilter = f[0] * f[1] * (C / g);
    const count = perFilter * K + (bias ? K : 0);
    out.params = {
      formula: `F${mul}F${mul}C${g > 1 ? '/groups' : ''}${mul}K weights${bias ? ' + K biases' : ''} = ${f[0]}${mul}${f[1]}${mul}${C / g}${mul}${K}${bias ? ` + ${K}` : ''} = ${count}`,
      count,
    };
    Object.assign(out.numbers, { F: f, S: s, P: p, K, C, groups: g });
  } else if (kind === 'depthwise_conv2d') {
    const f = pair(cfg.kernel, 3),
      s = pair(cfg.stride, 1),
      p = pair(cfg.pad, 0);
    const m = cfg.multiplier || 1;
    const sides = windowSides(input, f, s, p);
    out.title = 'Depthwise convolution';
    out.text = `A convolution in which each input channel has its own ${f[0]}×${f[1]} filter${m > 1 ? `s (${m} per channel)` : ''} and sees only that channel: it filters space, not channels. Followed by a 1×1 convolution that mixes the channels, it makes a "depthwise separable" convolution (MobileNet), with far fewer weights and multiply-adds than a full convolution.`;
    out.formulas = [
      `input W₁×H₁×C = ${W1}×${H1}×${C}; F = ${f[0]}, S = ${s[0]}, P = ${p[0]}, multiplier = ${m}`,
      sides.w.text,
      sides.h.text,
      `output W₂×H₂×(C${mul}multiplier) = ${W2}×${H2}×${K}`,
    ];
    const count = f[0] * f[1] * C * m + (bias ? C * m : 0);
    out.params = {
      formula: `F${mul}F${mul}C${mul}multiplier weights${bias ? ' + C' + mul + 'multiplier biases' : ''} = ${f[0]}${mul}${f[1]}${mul}${C}${mul}${m}${bias ? ` + ${C * m}` : ''} = ${count}`,
      count,
    };
    Object.assign(out.numbers, { F: f, S: s, P: p, K, C, multiplier: m });
  } else if (kind === 'maxpool2d' || kind === 'avgpool2d') {
    const f = pair(cfg.size, 2);
    const s = pair(cfg.stride, f[0]);
    const p = pair(cfg.pad, 0);
    const sides = windowSides(input, f, s, p);
    const max = kind === 'maxpool2d';
    out.title = max ? 'Max pooling' : 'Average pooling';
    out.text = `Makes the representation smaller and more manageable: each activation map is processed on its own, and every ${f[0]}×${f[1]} window (stride ${s[0]}) is replaced by its ${max ? 'largest value' : 'mean'}. The number of maps stays ${C}; nothing is learned.`;
    out.formulas = [
      `y = ${max ? 'max' : 'mean'} of the ${f[0]}×${f[1]} window`,
      `F = ${f[0]}, S = ${s[0]}${p[0] ? `, P = ${p[0]}` : ''}`,
      sides.w.text,
      sides.h.text,
      `output ${W2}×${H2}×${C} (depth unchanged)`,
    ];
    out.params = { formula: 'no learned parameters (0)', count: 0 };
    Object.assign(out.numbers, { F: f, S: s, P: p, C });
  } else if (kind === 'global_avgpool') {
    out.title = 'Global average pooling';
    out.text = `Replaces each whole ${H1}×${W1} activation map by its mean: ${C} maps become ${C} numbers, whatever the image size. Used instead of a large fully-connected layer at the end of a network (Network in Network, ResNet).`;
    out.formulas = [
      `y_c = (1/(H${mul}W)) Σ x_c,i,j = sum of map c / ${H1 * W1}`,
      `${shapeText(input)} → ${shapeText(output)}`,
    ];
    out.params = { formula: 'no learned parameters (0)', count: 0 };
  } else if (kind === 'dense') {
    const n = input ? prod(input) : 0;
    out.title = 'Fully connected (dense)';
    out.text = `Each of its ${K} units (neurons) is connected to the entire input volume (${shapeText(input)} = ${n} values): it computes a weighted sum of all of them plus a bias, as in an ordinary neural network.`;
    out.formulas = [`y = W${mul}x + b, W: ${K}×${n}, x: ${n} values, b: ${K}`];
    const count = n * K + (bias ? K : 0);
    out.params = {
      formula: `inputs${mul}units${bias ? ' + units biases' : ''} = ${n}${mul}${K}${bias ? ` + ${K}` : ''} = ${count}`,
      count,
    };
    Object.assign(out.numbers, { inputs: n, units: K });
  } else if (kind === 'flatten') {
    out.title = 'Flatten';
    out.text = `Lays the ${shapeText(input)} volume out as one long vector of ${prod(input || [0])} numbers, so that a fully-connected layer can take it. Nothing is computed or learned; only the shape changes.`;
    out.formulas = [`${shapeText(input)} → ${prod(input || [0])}`];
  } else if (ACTIVATIONS[kind]) {
    const a = ACTIVATIONS[kind];
    out.title = a.title;
    out.text = `${a.text} The shape stays ${shapeText(output)}.`;
    out.formulas = [a.formula(cfg), 'applied to each value on its own'];
  } else if (kind === 'prelu') {
    out.title = 'PReLU (parametric ReLU)';
    out.text = `A leaky ReLU whose negative slope a is learned, one per channel (${C} slopes here).`;
    out.formulas = ['f(x) = max(0, x) + a_c' + mul + 'min(0, x)'];
    const ch = input ? input[0] : K;
    out.params = { formula: `one slope per channel: C = ${ch}`, count: ch };
  } else if (kind === 'maxout') {
    const k = cfg.k || 2;
    out.title = 'Maxout';
    out.text = `Takes the maximum of k = ${k} linear pieces: the previous layer computes ${k} times as many channels, and each output channel is the largest of ${k} consecutive ones (${C} → ${K} channels). It generalizes ReLU and leaky ReLU, but doubles (k-folds) the number of parameters of the layer before it.`;
    out.formulas = [`max(w₁ᵀx + b₁, …, w_kᵀx + b_k): y_j = max(x_${k}j, …, x_${k}j+${k - 1}), k = ${k}`];
  } else if (kind === 'batchnorm') {
    out.title = 'Batch normalization';
    out.text = `Makes each channel zero-mean and unit-variance over the mini-batch, then scales and shifts it with learned γ and β. During training μ and σ² come from the batch; at test time (and in this view) they are running averages of the values seen during training. It lets deeper networks train faster and with larger learning rates.`;
    out.formulas = [
      'μ_j = (1/N) Σᵢ x_i,j,   σ_j² = (1/N) Σᵢ (x_i,j − μ_j)²',
      'x̂_i,j = (x_i,j − μ_j) / √(σ_j² + ε)',
      `y_i,j = γ_j${mul}x̂_i,j + β_j   (ε = ${fmt(cfg.eps ?? 1e-5)})`,
    ];
    out.params = {
      formula: `γ and β per channel: 2${mul}C = 2${mul}${C} = ${2 * C} (plus ${2 * C} running averages, not learned)`,
      count: 2 * C,
    };
  } else if (kind === 'layernorm') {
    const n = input ? prod(input) : 0;
    out.title = 'Layer normalization';
    out.text = `Normalizes each image on its own over all its ${n} values (all channels and positions), then scales and shifts every value with its own learned γ and β. Unlike batch norm it does not depend on the batch, so training and testing compute the same thing.`;
    out.formulas = ['μ, σ² over the C×H×W values of one image', `y = γ${mul}(x − μ)/√(σ² + ε) + β`];
    out.params = { formula: `γ and β per value: 2${mul}C${mul}H${mul}W = 2${mul}${n} = ${2 * n}`, count: 2 * n };
  } else if (kind === 'groupnorm') {
    const g = cfg.groups || 1;
    out.title = 'Group normalization';
    out.text = `Splits the ${C} channels of each image into ${g} groups of ${C / g} and normalizes each group over its channels and positions, then scales and shifts each channel with learned γ and β. It does not depend on the batch size.`;
    out.formulas = [`μ, σ² over each group: ${C / g} channels × H×W`, `y = γ_c${mul}(x − μ)/√(σ² + ε) + β_c`];
    out.params = { formula: `γ and β per channel: 2${mul}C = 2${mul}${C} = ${2 * C}`, count: 2 * C };
  } else if (kind === 'lrn') {
    const n = cfg.size || 5;
    out.title = 'Local response normalization';
    out.text = `Divides each value by a measure of the activity of the ${n} neighbouring channels at the same position (AlexNet's normalization): strong responses damp their neighbours.`;
    out.formulas = [
      `b_c = a_c / (k + α/n ${mul} Σ a_c'²)^β over the ${n} channels around c`,
      `n = ${n}, α = ${fmt(cfg.alpha ?? 1e-4)}, β = ${fmt(cfg.beta ?? 0.75)}, k = ${fmt(cfg.k ?? 1)}`,
    ];
  } else if (kind === 'dropout') {
    const p = cfg.p ?? 0.5;
    out.title = 'Dropout';
    out.text = `A regularizer: during training each value is set to zero with probability p = ${fmt(p)} (a new random mask for every image), and the kept ones are scaled by 1/(1 − p) ("inverted dropout"), so nothing changes at test time. It is like training a large ensemble of networks that share their weights. In this view (inference) it passes its input through unchanged.`;
    out.formulas = [
      `training: y = x${mul}m/(1 − p), m = 1 with probability 1 − p = ${fmt(1 - p)}, else 0`,
      'test: y = x',
    ];
  } else if (kind === 'add') {
    out.title = 'Add (residual connection)';
    out.text = `Adds its ${inputShapes.length} inputs value by value (${(layer.inputs || []).join(' + ')}). In a ResNet block the block's input skips the convolutions and is added to their output, so the block only has to learn a correction, and gradients flow straight back through the sum.`;
    out.formulas = [
      `y = ${(layer.inputs || []).map((n) => `x_${n}`).join(' + ')}`,
      `shapes ${inputShapes.map(shapeText).join(' + ')} → ${shapeText(output)}`,
    ];
  } else if (kind === 'concat') {
    out.title = 'Concatenation';
    out.text = `Stacks the maps of its ${inputShapes.length} inputs along the channel axis (Inception: branches with different filter sizes side by side). Heights and widths must match; the channels add up.`;
    out.formulas = [
      `C = ${inputShapes.map((s) => (s ? s[0] : '?')).join(' + ')} = ${K}`,
      `${inputShapes.map(shapeText).join(', ')} → ${shapeText(output)}`,
    ];
  } else {
    out.text = `A ${kind} layer: output ${shapeText(output)}.`;
    out.params = null;
  }
  return out;
}

// The last layer's outputs are scores (logits); the probabilities the page shows are their softmax,
// and training minimizes the cross-entropy of the true class.
export function explainOutput(classes) {
  return {
    title: 'Softmax and cross-entropy',
    text: `This is the last layer: its ${classes} outputs are scores (logits), one per class. Softmax turns them into probabilities that are positive and add up to 1 — the bars of the Draw card. Training minimizes the cross-entropy loss: minus the log of the probability given to the true class.`,
    formulas: ['p_k = e^(s_k) / Σ_j e^(s_j)', 'L = −log p_y   (y = the true class)'],
  };
}

// Is `layer` the model's output (no other layer takes it as input)?
export function isOutputLayer(layer, layers) {
  return layers.length > 0 && layers[layers.length - 1].name === layer.name;
}
