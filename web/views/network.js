// The network view: the model drawn left to right, one column per layer (name, kind, output
// shape, parameters, MACs) with thumbnails of its activation maps for the current input; selecting
// a layer shows its maps large, its learned filters or weights, and a histogram of its activations.
import { viridis, diverging, paint, range, legend } from '../lib/colormap.js';
import { renderFilters, paintFilterTiles } from './filters.js';
import { fmtCompact, fmtInt } from '../lib/format.js';
import { renderExplanation, unitComputation, renderUnit } from './layer-explain.js';

const THUMBS = 6; // maps per column in the diagram
const DETAIL_MAPS = 64; // maps in the detail view

export class NetworkView {
  constructor({ diagram, detail, scaling }, engine) {
    this.diagram = diagram;
    this.detail = detail;
    this.scaling = scaling; // a <select>: "map" | "layer"
    this.engine = engine; // {activations(input, {params}), weights(layer)}
    this.info = null;
    this.acts = null;
    this.params = new Map(); // layer name -> its parameters, read with the activations
    this.unit = null; // the clicked unit of the selected layer: [c, y, x]
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
    this.params = new Map();
    this.unit = null;
    if (!info.layers.some((l) => l.name === this.selected)) this.selected = null;
    this.renderDiagram();
    this.renderDetail();
    if (this.input) this.setInput(this.input);
    else this.refresh();
  }

  // The first convolution: its filters are drawn in its column (they turn from noise into strokes
  // while the model trains).
  firstConv() {
    return this.info && this.info.layers.find((l) => /conv/.test(l.type) && l.params);
  }

  // The layers whose parameters are read with the activations: the selected one, the first conv.
  paramLayers() {
    const names = [];
    const sel = this.info && this.info.layers.find((l) => l.name === this.selected);
    if (sel && sel.params) names.push(sel.name);
    const fc = this.firstConv();
    if (fc && !names.includes(fc.name)) names.push(fc.name);
    return names;
  }

  // Reads the model again (it is training): activations for the current input, the weights of the
  // selected layer and of the first conv; redraws thumbnails, maps, histogram, filters and the
  // clicked unit. Resolves when drawn; one reading at a time.
  async refresh() {
    if (!this.info) return;
    if (this.input) return this.setInput(this.input);
    try {
      for (const name of this.paramLayers()) this.params.set(name, (await this.engine.weights(name)).params);
      this.renderLive();
    } catch (e) {
      /* the next refresh tries again */
    }
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
      return this.inFlight;
    }
    let done;
    this.inFlight = new Promise((r) => (done = r));
    try {
      const res = await this.engine.activations(image.slice(), { params: this.paramLayers() });
      this.acts = new Map(res.layers.map((l) => [l.name, l]));
      this.probs = res.probs || null;
      if (res.params) for (const [k, v] of Object.entries(res.params)) this.params.set(k, v);
      this.renderThumbs();
      this.renderDetail(true);
      this.renderLive();
    } catch (e) {
      this.detail.querySelector('.detail-msg')?.replaceChildren(e.message);
    } finally {
      this.inFlight = null;
      done();
      if (this.pending) {
        this.pending = false;
        this.setInput(this.input);
      }
    }
  }

  // What depends on the weights: the first conv's filters in its column, the selected layer's
  // filters and its clicked unit.
  renderLive() {
    const fc = this.firstConv();
    const strip = fc && this.diagram.querySelector(`.layer-col[data-layer="${CSS.escape(fc.name)}"] .col-filters`);
    const p = fc && this.params.get(fc.name);
    if (strip && p) paintFilterTiles(strip, p);
    const layer = this.info.layers.find((l) => l.name === this.selected);
    const d = this.detail;
    if (!layer || d.dataset.layer !== layer.name) return;
    const sp = this.params.get(layer.name);
    const filters = d.querySelector('.filters');
    if (sp && filters) renderFilters(filters, d.querySelector('.filters-note'), layer, sp);
    if (this.unit) this.showUnit(this.unit);
  }

  // A click on a map pixel of the selected layer: how that value was computed.
  showUnit(at) {
    const layer = this.info.layers.find((l) => l.name === this.selected);
    const box = this.detail.querySelector('.unit-calc');
    if (!layer || !box || !this.acts || !this.acts.get(layer.name)) return;
    this.unit = at;
    for (const fig of this.detail.querySelectorAll('.maps figure'))
      fig.classList.toggle('picked', fig.dataset.map === String(at[0]));
    const u = unitComputation(layer, at, this.acts, this.params.get(layer.name) || null, this.info.layers);
    renderUnit(box, u, u.input ? this.acts.get(u.input) : null);
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
      if (l === this.firstConv()) {
        const strip = document.createElement('span');
        strip.className = 'col-filters';
        strip.title = "This layer's first filters (its learned weights), redrawn while the model trains";
        col.append(strip);
      }
      col.addEventListener('click', () => this.select(l.name));
      return col;
    });
    this.diagram.replaceChildren(...cols);
    this.renderThumbs();
  }

  select(name) {
    if (name !== this.selected) this.unit = null;
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
    const explain = renderExplanation(layer, this.info.layers);
    const unitBox = document.createElement('div');
    unitBox.className = 'unit-calc';
    unitBox.hidden = true;
    unitBox.setAttribute('aria-live', 'polite');
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
    const filtersNote = textEl('p', '', 'muted filters-note');
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
      explain,
      legendRow,
      mapsH,
      mapsRange,
      maps,
      unitBox,
      histH,
      hist,
      filtersH,
      filtersNote,
      filters,
    );
    this.renderMaps(maps, hist, mapsRange, layer);
    if (this.unit) this.showUnit(this.unit);
    if (!layer.params) {
      filtersNote.textContent = 'This layer has no learned parameters.';
      return;
    }
    try {
      if (!this.params.has(layer.name)) this.params.set(layer.name, (await this.engine.weights(layer.name)).params);
      renderFilters(filters, filtersNote, layer, this.params.get(layer.name));
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
        fig.dataset.map = String(i);
        if (this.unit && this.unit[0] === i) fig.classList.add('picked');
        const cv = document.createElement('canvas');
        cv.title = 'Click a pixel: how was it computed?';
        cv.addEventListener('click', (e) => {
          const r = cv.getBoundingClientRect();
          const x = Math.min(w - 1, Math.max(0, Math.floor(((e.clientX - r.left) / r.width) * w)));
          const y = Math.min(h - 1, Math.max(0, Math.floor(((e.clientY - r.top) / r.height) * h)));
          this.showUnit([i, y, x]);
        });
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
