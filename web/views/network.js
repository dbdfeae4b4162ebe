// The network view: the model drawn left to right, one column per layer (name, kind, output
// shape, parameters, MACs) with thumbnails of its activation maps for the current input; selecting
// a layer shows its maps large, its learned filters or weights, and a histogram of its activations.
import { viridis, diverging, paint, range, legend } from '../lib/colormap.js';
import { fmtCompact, fmtInt } from '../lib/format.js';

const THUMBS = 6; // maps per column in the diagram
const DETAIL_MAPS = 64; // maps in the detail view

export class NetworkView {
  constructor({ diagram, detail, scaling }, engine) {
    this.diagram = diagram;
    this.detail = detail;
    this.scaling = scaling; // a <select>: "map" | "layer"
    this.engine = engine; // {activations(input), weights(layer)}
    this.info = null;
    this.acts = null;
    this.selected = null;
    this.input = null;
    this.inFlight = false;
    this.pending = false;
    scaling.addEventListener('change', () => {
      this.renderThumbs();
      this.renderDetail();
    });
  }

  setModel(info) {
    this.info = info;
    this.acts = null;
    if (!info.layers.some((l) => l.name === this.selected)) this.selected = null;
    this.renderDiagram();
    this.renderDetail();
    if (this.input) this.setInput(this.input);
  }

  async setInput(image) {
    this.input = image;
    if (!image || !this.info) {
      this.acts = null;
      this.renderThumbs();
      this.renderDetail();
      return;
    }
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    this.inFlight = true;
    try {
      const res = await this.engine.activations(image.slice());
      this.acts = new Map(res.layers.map((l) => [l.name, l]));
      this.renderThumbs();
      this.renderDetail(true);
    } catch (e) {
      this.detail.querySelector('.detail-msg')?.replaceChildren(e.message);
    } finally {
      this.inFlight = false;
      if (this.pending) {
        this.pending = false;
        this.setInput(this.input);
      }
    }
  }

  renderDiagram() {
    const cols = this.info.layers.map((l) => {
      const col = document.createElement('button');
      col.type = 'button';
      col.className = 'layer-col';
      col.dataset.layer = l.name;
      col.setAttribute('aria-pressed', String(l.name === this.selected));
      col.title = `${l.name} (${l.type}): output ${l.shape.join('×')}, ${fmtInt(l.params)} parameters, ${fmtInt(l.macs)} MACs per image${l.inputs && l.inputs.length ? `; inputs: ${l.inputs.join(', ')}` : ''}${l.note ? `; ${l.note}` : ''}`;
      if (l.note) col.classList.add('untiled');
      const head = document.createElement('span');
      head.className = 'layer-head';
      const name = document.createElement('strong');
      name.textContent = l.name;
      const kind = document.createElement('span');
      kind.className = `kind kind-${l.type}`;
      kind.textContent = l.type;
      const shape = document.createElement('span');
      shape.className = 'shape';
      shape.textContent = l.shape.join('×');
      const cost = document.createElement('span');
      cost.className = 'cost';
      cost.textContent = l.params || l.macs ? `${fmtCompact(l.params)} p · ${fmtCompact(l.macs)} MAC` : '\u00a0';
      head.append(name, kind, shape, cost);
      const thumbs = document.createElement('span');
      thumbs.className = 'thumbs';
      const [c, h, w] = mapShape(l.shape);
      const n = h > 1 ? Math.min(c, THUMBS) : 1;
      for (let i = 0; i < n; i++) {
        const cv = document.createElement('canvas');
        cv.className = h > 1 ? 'thumb' : 'strip';
        cv.width = h > 1 ? w : Math.min(c, 128);
        cv.height = h > 1 ? h : 1;
        thumbs.append(cv);
      }
      col.append(head, thumbs);
      col.addEventListener('click', () => this.select(l.name));
      return col;
    });
    this.diagram.replaceChildren(...cols);
    this.renderThumbs();
  }

  select(name) {
    this.selected = name;
    for (const col of this.diagram.children) col.setAttribute('aria-pressed', String(col.dataset.layer === name));
    this.renderDetail();
  }

  renderThumbs() {
    if (!this.info) return;
    for (const col of this.diagram.children) {
      const a = this.acts && this.acts.get(col.dataset.layer);
      const canvases = col.querySelectorAll('canvas');
      canvases.forEach((cv, i) => {
        if (!a) {
          cv.getContext('2d').clearRect(0, 0, cv.width, cv.height);
          return;
        }
        const [c, h, w] = mapShape(a.shape);
        if (h > 1) {
          const [lo, hi] = this.scaling.value === 'layer' ? range(a.data) : range(a.data, i * h * w, h * w);
          const map = lo < 0 ? diverging : viridis;
          const m = Math.max(Math.abs(lo), Math.abs(hi));
          paint(cv, a.data, w, h, lo < 0 ? -m : lo, lo < 0 ? m : hi, map, i * h * w);
        } else {
          const n = Math.min(c, 128);
          const [lo, hi] = range(a.data, 0, n);
          const m = Math.max(Math.abs(lo), Math.abs(hi));
          paint(cv, a.data, n, 1, lo < 0 ? -m : lo, lo < 0 ? m : hi, lo < 0 ? diverging : viridis);
        }
      });
    }
  }

  async renderDetail(activationsOnly = false) {
    const d = this.detail;
    const layer = this.info && this.info.layers.find((l) => l.name === this.selected);
    if (!layer) {
      d.replaceChildren(
        textEl(
          'p',
          'Select a layer above to see its activation maps, its filters and a histogram of its activations.',
          'muted detail-msg',
        ),
      );
      return;
    }
    if (activationsOnly && d.dataset.layer === layer.name) {
      this.renderMaps(d.querySelector('.maps'), d.querySelector('.hist'), d.querySelector('.maps-range'), layer);
      return;
    }
    d.dataset.layer = layer.name;
    const title = textEl('h3', `${layer.name} — ${layer.type}, output ${layer.shape.join('×')}`);
    const facts = textEl(
      'p',
      `${fmtInt(layer.params)} parameters · ${fmtInt(layer.macs)} multiply-adds per image${layer.inputs && layer.inputs.length ? ` · inputs: ${layer.inputs.join(', ')}` : ''}`,
      'muted',
    );
    // The engine's remark on how the layer fits its input: windows that leave rows or columns unread.
    const fit = layer.note ? textEl('p', `This layer ${layer.note}.`, 'untiled-note') : null;
    const mapsH = textEl('h4', 'Activation maps');
    const mapsRange = textEl('p', '', 'muted maps-range');
    const maps = document.createElement('div');
    maps.className = 'maps';
    const histH = textEl('h4', 'Histogram of activations');
    const hist = document.createElement('canvas');
    hist.className = 'hist';
    hist.width = 320;
    hist.height = 90;
    const filtersH = textEl('h4', 'Learned filters / weights');
    const filters = document.createElement('div');
    filters.className = 'filters';
    const filtersNote = textEl('p', '', 'muted');
    const legendRow = document.createElement('div');
    legendRow.className = 'legend';
    for (const [map, label] of [
      [viridis, 'activation: low → high'],
      [diverging, 'signed values: − 0 +'],
    ]) {
      const cv = document.createElement('canvas');
      legend(cv, map);
      legendRow.append(cv, textEl('span', label, 'muted'));
    }
    d.replaceChildren(
      title,
      facts,
      ...(fit ? [fit] : []),
      legendRow,
      mapsH,
      mapsRange,
      maps,
      histH,
      hist,
      filtersH,
      filtersNote,
      filters,
    );
    this.renderMaps(maps, hist, mapsRange, layer);
    if (!layer.params) {
      filtersNote.textContent = 'This layer has no learned parameters.';
      return;
    }
    try {
      const { params } = await this.engine.weights(layer.name);
      renderFilters(filters, filtersNote, layer, params);
    } catch (e) {
      filtersNote.textContent = e.message;
    }
  }

  renderMaps(maps, hist, rangeEl, layer) {
    const a = this.acts && this.acts.get(layer.name);
    if (!a) {
      maps.replaceChildren(
        textEl('p', "Draw a digit or choose a test image to see this layer's activations.", 'muted detail-msg'),
      );
      drawHistogram(hist, null);
      rangeEl.textContent = '';
      return;
    }
    const [c, h, w] = mapShape(a.shape);
    const [lo, hi] = range(a.data);
    rangeEl.textContent = `${c} map${c > 1 ? 's' : ''} of ${h}×${w}; values from ${lo.toPrecision(3)} to ${hi.toPrecision(3)}`;
    const els = [];
    if (h > 1) {
      for (let i = 0; i < Math.min(c, DETAIL_MAPS); i++) {
        const fig = document.createElement('figure');
        const cv = document.createElement('canvas');
        const [l2, h2] = this.scaling.value === 'layer' ? [lo, hi] : range(a.data, i * h * w, h * w);
        const m = Math.max(Math.abs(l2), Math.abs(h2));
        paint(cv, a.data, w, h, l2 < 0 ? -m : l2, l2 < 0 ? m : h2, l2 < 0 ? diverging : viridis, i * h * w);
        fig.append(cv, textEl('figcaption', `#${i}`));
        els.push(fig);
      }
      if (c > DETAIL_MAPS) els.push(textEl('p', `… and ${c - DETAIL_MAPS} more`, 'muted'));
    } else {
      const cv = document.createElement('canvas');
      cv.className = 'vector';
      const m = Math.max(Math.abs(lo), Math.abs(hi));
      paint(cv, a.data, c, 1, lo < 0 ? -m : lo, lo < 0 ? m : hi, lo < 0 ? diverging : viridis);
      els.push(cv);
    }
    maps.replaceChildren(...els);
    drawHistogram(hist, a.data);
  }
}

function mapShape(shape) {
  if (shape.length === 3) return shape;
  if (shape.length === 2) return [shape[0], shape[1], 1];
  return [shape.reduce((a, b) => a * b, 1), 1, 1];
}

function textEl(tag, text, cls) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

function renderFilters(container, note, layer, params) {
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

function drawHistogram(canvas, data) {
  const ctx = canvas.getContext('2d');
  const { width: W, height: H } = canvas;
  ctx.clearRect(0, 0, W, H);
  if (!data || !data.length) return;
  const [lo, hi] = range(data);
  const bins = new Array(40).fill(0);
  for (const v of data) bins[Math.min(39, Math.floor(((v - lo) / (hi - lo || 1)) * 40))]++;
  const max = Math.max(...bins);
  const style = getComputedStyle(canvas);
  ctx.fillStyle = style.getPropertyValue('--accent') || '#2f6fde';
  const bw = W / 40;
  bins.forEach((b, i) => {
    const bh = max ? Math.max(b ? 1 : 0, (Math.log1p(b) / Math.log1p(max)) * (H - 14)) : 0;
    ctx.fillRect(i * bw + 1, H - 14 - bh, bw - 2, bh);
  });
  ctx.fillStyle = style.color;
  ctx.font = '10px system-ui, sans-serif';
  ctx.fillText(lo.toPrecision(3), 0, H - 2);
  const t = hi.toPrecision(3);
  ctx.fillText(t, W - ctx.measureText(t).width, H - 2);
  ctx.fillText('count (log scale)', W / 2 - 40, 10);
}
