// Learned filters and weights on the diverging colour map (blue negative, white zero, red positive),
// one symmetric range per layer: the network view's detail panel and its first conv's column
// (views/network.js, in the app and the network widget), and the train widget's "Watch it learn"
// panel (views/learning.js), where the first layer's filters turn from noise into strokes.
import { diverging, paint, range } from '../lib/colormap.js';

// A layer's parameters in `container`, with a line about them in `note`: a conv's filters (one tile
// per output and input channel, up to 32 × 8), a dense layer's units as images when its input is a
// square, otherwise the weight matrix or vector.
export function renderFilters(container, note, layer, params) {
  const weight = params.find((p) => p.name === 'weight') || params[0];
  const els = [];
  const s = weight.shape;
  const [lo, hi] = range(weight.data);
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  if (s.length === 4) {
    // conv: [out, in/groups, kh, kw]: one tile per (output, input) pair, up to 32 outputs × 8 inputs.
    const [co, ci, kh, kw] = s;
    const showO = Math.min(co, 32),
      showI = Math.min(ci, 8);
    note.textContent = `${co} filters of ${ci}×${kh}×${kw}${co > showO || ci > showI ? ` (showing ${showO} × ${showI} input channels)` : ''}; blue negative, red positive, range ±${m.toPrecision(3)}`;
    for (let o = 0; o < showO; o++) {
      const row = document.createElement('div');
      row.className = 'filter-row';
      for (let i = 0; i < showI; i++) {
        const cv = document.createElement('canvas');
        paint(cv, weight.data, kw, kh, -m, m, diverging, (o * ci + i) * kh * kw);
        row.append(cv);
      }
      els.push(row);
    }
  } else if (s.length === 2) {
    // dense: [units, inputs]; a unit's weights over a square-ish input are shown as images.
    const [units, inputs] = s;
    const side = Math.sqrt(inputs);
    if (Number.isInteger(side) && side >= 8) {
      note.textContent = `${units} units, each with ${inputs} weights shown as a ${side}×${side} image; range ±${m.toPrecision(3)}`;
      for (let u = 0; u < Math.min(units, 64); u++) {
        const cv = document.createElement('canvas');
        cv.className = 'unit';
        paint(cv, weight.data, side, side, -m, m, diverging, u * inputs);
        els.push(cv);
      }
    } else {
      note.textContent = `weight matrix ${units}×${inputs} (rows: units); range ±${m.toPrecision(3)}`;
      const cv = document.createElement('canvas');
      cv.className = 'matrix';
      paint(cv, weight.data, inputs, units, -m, m, diverging);
      els.push(cv);
    }
  } else {
    note.textContent = `${params.map((p) => `${p.name} ${p.shape.join('×')}`).join(', ')}; range ±${m.toPrecision(3)}`;
    const cv = document.createElement('canvas');
    cv.className = 'vector';
    paint(cv, weight.data, weight.data.length, 1, -m, m, diverging);
    els.push(cv);
  }
  container.replaceChildren(...els);
}

// A conv layer's filters as tiles (each filter's first input channel: the only one of a grey
// image), one canvas per filter in `box`, up to `max`. Returns {shown, count, channels, kh, kw,
// range}, or null when the parameters are not a convolution's.
export function paintFilterTiles(box, params, max = 8) {
  const weight = params.find((p) => p.name === 'weight');
  if (!weight || weight.shape.length !== 4) return null;
  const [co, ci, kh, kw] = weight.shape;
  const n = Math.min(co, max);
  while (box.children.length > n) box.lastChild.remove();
  while (box.children.length < n) box.append(document.createElement('canvas'));
  const [lo, hi] = range(weight.data);
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  for (let o = 0; o < n; o++) paint(box.children[o], weight.data, kw, kh, -m, m, diverging, o * ci * kh * kw);
  return { shown: n, count: co, channels: ci, kh, kw, range: m };
}
