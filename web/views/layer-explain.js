// The network view's explanations (used by views/network.js, so by the app and the widget):
//   renderExplanation(layer, layers) -> an element: what the layer kind computes, its formula with the
//     layer's own numbers, its parameter count (texts: lib/layer-docs.js);
//   unitComputation(layer, index, acts, params, layers) -> how one value of an activation map was
//     produced, from the engine's activations and weights: for a convolution the F×F window(s) of its
//     input, the filter, the products, the bias and the sum (compared with the engine's value); for
//     pooling the window and its max or mean; for activations f(x); for others a sentence;
//   renderUnit(container, unit) draws it.
import { explainLayer, explainOutput, isOutputLayer } from '../lib/layer-docs.js';

const MAX_WINDOWS = 4; // input channels shown in full (the sum covers all of them)

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function renderExplanation(layer, layers) {
  const x = explainLayer(layer, layers);
  const box = el('section', 'explain');
  box.dataset.kind = layer.type;
  box.append(el('h4', 'explain-title', `What it computes — ${x.title}`), el('p', 'explain-text', x.text));
  const list = el('ul', 'formulas');
  for (const f of x.formulas) list.append(el('li', '', f));
  if (x.params && x.params.count !== undefined) {
    const li = el('li', 'param-formula', `parameters: ${x.params.formula}`);
    li.dataset.count = String(x.params.count);
    list.append(li);
  }
  if (list.children.length) box.append(list);
  if (isOutputLayer(layer, layers)) {
    const o = explainOutput(layer.shape.reduce((a, b) => a * b, 1));
    const ol = el('ul', 'formulas');
    for (const f of o.formulas) ol.append(el('li', '', f));
    box.append(el('h4', 'explain-title', o.title), el('p', 'explain-text', o.text), ol);
  }
  const hint = layer.shape.length === 3 && layer.shape[1] > 1 ? mapHint(layer.type) : '';
  if (hint) box.append(el('p', 'muted explain-hint', hint));
  return box;
}

function mapHint(kind) {
  if (kind === 'conv2d' || kind === 'depthwise_conv2d')
    return 'Click a pixel of an activation map below to see the sum that produced it.';
  if (kind === 'input') return '';
  return 'Click a pixel of an activation map below to see how it was computed.';
}

const fmt = (v) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.001 && v !== 0) ? v.toExponential(2) : v.toFixed(3));

// One value of `layer`'s output: index = [c, y, x]. `acts`: Map name -> {shape, data}; `params`:
// [{name, shape, data}] of this layer (or null). Returns {kind, text, windows, sum, value, ...}.
export function unitComputation(layer, [c, y, x], acts, params, layers) {
  const a = acts.get(layer.name);
  const [, H, W] = a.shape;
  const value = a.data[(c * H + y) * W + x];
  const cfg = layer.config || {};
  const inName = (layer.inputs || [])[0];
  const inAct = inName ? acts.get(inName) : null;
  const base = { layer: layer.name, kind: layer.type, at: [c, y, x], value, input: inName };
  if (!inAct)
    return { ...base, text: `This is the input itself: pixel (${y}, ${x}) of channel ${c} is ${fmt(value)}.` };
  const [C, H1, W1] = inAct.shape.length === 3 ? inAct.shape : [inAct.shape[0], 1, 1];
  const inAt = (ch, i, j) => (i < 0 || j < 0 || i >= H1 || j >= W1 ? 0 : inAct.data[(ch * H1 + i) * W1 + j]);
  const pair = (v, d) => (Array.isArray(v) ? v : v === undefined ? [d, d] : [v, v]);
  if (layer.type === 'conv2d' || layer.type === 'depthwise_conv2d') {
    const weight = params && params.find((p) => p.name === 'weight');
    if (!weight) return { ...base, text: 'The weights of this layer are not loaded yet.' };
    const bias = params.find((p) => p.name === 'bias');
    const [, cin, fh, fw] = weight.shape;
    const [sh, sw] = pair(cfg.stride, 1);
    const [ph, pw] = pair(cfg.pad, 0);
    let first, group;
    if (layer.type === 'depthwise_conv2d') {
      const m = cfg.multiplier || 1;
      first = Math.floor(c / m);
      group = 1;
    } else {
      const g = cfg.groups || 1;
      const perGroup = layer.shape[0] / g;
      first = Math.floor(c / perGroup) * cin;
      group = cin;
    }
    const y0 = y * sh - ph,
      x0 = x * sw - pw;
    const windows = [];
    let sum = 0;
    for (let k = 0; k < group; k++) {
      const ch = first + k;
      const win = [],
        w = [],
        prod = [];
      let part = 0;
      for (let i = 0; i < fh; i++)
        for (let j = 0; j < fw; j++) {
          const xv = inAt(ch, y0 + i, x0 + j);
          const wv = weight.data[((c * cin + k) * fh + i) * fw + j];
          win.push(xv);
          w.push(wv);
          prod.push(xv * wv);
          part += xv * wv;
        }
      sum += part;
      windows.push({ channel: ch, window: win, weights: w, products: prod, sum: part });
    }
    const b = bias ? bias.data[c] : 0;
    const result = sum + b;
    return {
      ...base,
      conv: true,
      fh,
      fw,
      rows: [y0, y0 + fh - 1],
      cols: [x0, x0 + fw - 1],
      inputShape: [C, H1, W1],
      windows,
      bias: b,
      hasBias: !!bias,
      sum,
      result,
      text: `Filter ${c} on the ${fh}×${fw} window at rows ${y0}…${y0 + fh - 1}, columns ${x0}…${x0 + fw - 1} of ${inName}${group > 1 ? ` (all ${group} input channels)` : ''}: Σ window × filter${bias ? ' + bias' : ''} = ${fmt(sum)}${bias ? ` + ${fmt(b)}` : ''} = ${fmt(result)}; the engine computed ${fmt(value)}.`,
    };
  }
  if (layer.type === 'maxpool2d' || layer.type === 'avgpool2d') {
    const [fh, fw] = pair(cfg.size, 2);
    const [sh, sw] = pair(cfg.stride, fh);
    const win = [];
    for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) win.push(inAt(c, y * sh + i, x * sw + j));
    const max = layer.type === 'maxpool2d';
    const result = max ? Math.max(...win) : win.reduce((s, v) => s + v, 0) / win.length;
    return {
      ...base,
      pool: true,
      fh,
      fw,
      rows: [y * sh, y * sh + fh - 1],
      cols: [x * sw, x * sw + fw - 1],
      inputShape: [C, H1, W1],
      windows: [{ channel: c, window: win }],
      result,
      text: `The ${fh}×${fw} window at rows ${y * sh}…${y * sh + fh - 1}, columns ${x * sw}…${x * sw + fw - 1} of map ${c} of ${inName}: ${max ? 'max' : 'mean'}(${win.map(fmt).join(', ')}) = ${fmt(result)}; the engine computed ${fmt(value)}.`,
    };
  }
  const xin = inAt(c, y, x);
  const same = inAct.shape.join() === a.shape.join();
  const f = {
    relu: [(v) => Math.max(0, v), 'max(0, x)'],
    leaky_relu: [(v) => (v > 0 ? v : (cfg.slope ?? 0.01) * v), `max(${cfg.slope ?? 0.01}x, x)`],
    elu: [(v) => (v >= 0 ? v : (cfg.alpha ?? 1) * (Math.exp(v) - 1)), 'x ≥ 0 ? x : α(eˣ − 1)'],
    sigmoid: [(v) => 1 / (1 + Math.exp(-v)), '1/(1 + e⁻ˣ)'],
    tanh: [(v) => Math.tanh(v), 'tanh(x)'],
    dropout: [(v) => v, 'x (no dropout at inference)'],
  }[layer.type];
  if (f && same) {
    const result = f[0](xin);
    return {
      ...base,
      elementwise: true,
      result,
      text: `f(x) = ${f[1]} with x = ${fmt(xin)} (the same position of ${inName}): ${fmt(result)}; the engine computed ${fmt(value)}.`,
    };
  }
  const explain = explainLayer(layer, layers);
  return {
    ...base,
    text: `${explain.title}: ${explain.formulas[0] || ''}. Its value at map ${c}, row ${y}, column ${x} is ${fmt(value)}${same ? ` (input there: ${fmt(xin)})` : ''}.`,
  };
}

// Draws a unit's computation: the receptive field on the network's input, the window(s), the
// filter, the products and the sum.
export function renderUnit(container, u, inputAct) {
  container.replaceChildren();
  container.hidden = false;
  container.append(el('h4', '', `How ${u.layer}[map ${u.at[0]}, row ${u.at[1]}, column ${u.at[2]}] was computed`));
  const text = el('p', 'unit-text', u.text);
  container.append(text);
  if (!u.windows) return;
  const row = el('div', 'unit-row');
  // Where the window lies on the layer's input (the whole map, the window outlined).
  if (inputAct && u.rows) {
    const [, H1, W1] = u.inputShape;
    const ch = u.windows[0].channel;
    const cv = el('canvas', 'unit-field');
    const scale = Math.max(2, Math.floor(112 / Math.max(H1, W1)));
    cv.width = W1 * scale;
    cv.height = H1 * scale;
    const ctx = cv.getContext('2d');
    let lo = Infinity,
      hi = -Infinity;
    for (let i = 0; i < H1 * W1; i++) {
      const v = inputAct.data[ch * H1 * W1 + i];
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    for (let i = 0; i < H1; i++)
      for (let j = 0; j < W1; j++) {
        const v = (inputAct.data[(ch * H1 + i) * W1 + j] - lo) / (hi - lo || 1);
        const g = Math.round(255 * v);
        ctx.fillStyle = `rgb(${g},${g},${g})`;
        ctx.fillRect(j * scale, i * scale, scale, scale);
      }
    ctx.strokeStyle = '#ff3b30';
    ctx.lineWidth = 2;
    ctx.strokeRect(
      u.cols[0] * scale + 1,
      u.rows[0] * scale + 1,
      (u.cols[1] - u.cols[0] + 1) * scale - 2,
      (u.rows[1] - u.rows[0] + 1) * scale - 2,
    );
    const fig = el('figure', 'unit-fig');
    fig.append(cv, el('figcaption', '', `receptive field on ${u.input} (map ${ch})`));
    row.append(fig);
  }
  for (const w of u.windows.slice(0, MAX_WINDOWS)) {
    row.append(grid('window', w.window, u.fw, `${u.input} map ${w.channel}`));
    if (w.weights) {
      row.append(el('span', 'op', '×'), grid('filter', w.weights, u.fw, 'filter'));
      row.append(el('span', 'op', '='), grid('products', w.products, u.fw, `products, Σ = ${fmt(w.sum)}`));
    }
  }
  container.append(row);
  if (u.conv) {
    const more = u.windows.length > MAX_WINDOWS ? ` (${u.windows.length} channels; ${MAX_WINDOWS} shown)` : '';
    const eq = el(
      'p',
      'unit-sum',
      `Σ products${more} = ${fmt(u.sum)}${u.hasBias ? `;  + bias ${fmt(u.bias)}` : ' (no bias)'}  =  ${fmt(u.result)}`,
    );
    eq.dataset.result = String(u.result);
    eq.dataset.value = String(u.value);
    const check = el(
      'p',
      Math.abs(u.result - u.value) <= 1e-3 * Math.max(1, Math.abs(u.value))
        ? 'muted unit-check ok'
        : 'unit-check error',
      `The engine's activation for this unit: ${fmt(u.value)}${Math.abs(u.result - u.value) <= 1e-3 * Math.max(1, Math.abs(u.value)) ? ' — the same.' : ' — different (the model changed between the two readings?).'}`,
    );
    container.append(eq, check);
  }
}

function grid(cls, values, w, caption) {
  const fig = el('figure', `unit-grid ${cls}`);
  const t = el('div', 'cells');
  t.style.gridTemplateColumns = `repeat(${w}, auto)`;
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v));
  for (const v of values) {
    const c = el('span', 'cell', fmtCell(v));
    const a = m ? Math.abs(v) / m : 0;
    c.style.background = v >= 0 ? `rgba(214, 96, 77, ${a * 0.55})` : `rgba(67, 147, 195, ${a * 0.55})`;
    t.append(c);
  }
  fig.append(t, el('figcaption', '', caption));
  return fig;
}

function fmtCell(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}
