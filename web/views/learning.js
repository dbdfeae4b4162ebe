// Watch it learn, in the train widget (its "live" panel): what the model has learned so far, read
// from the engine again while it trains — the first convolution's filters, and the ten probabilities
// for one fixed MNIST test image. lib/live.js decides when (after a progress event, at most every
// 0.7 s, between two training slices); before a training the panel shows the model as it is, so
// random weights show as noise and give flat-ish probabilities. The tiles are drawn by
// views/filters.js (as the network view's), the image and the bars by views/draw.js (as the Draw card's).
import { paintFilterTiles } from './filters.js';
import { buildBars, paintBars, paintInput } from './draw.js';

const MAX_FILTERS = 32;

export class LearningView {
  // els: {filters (box for the tiles), filtersNote, preview (28×28 canvas), bars (<ol>), state, caption};
  // engine: {weights(layer) → {params}, classify(input) → probabilities}; input: the fixed image
  // (784 values in [0, 1]) and `what`, its description ("a handwritten 2 from the MNIST test set").
  constructor(els, engine, { input, what }) {
    this.els = els;
    this.engine = engine;
    this.input = input;
    this.what = what;
    this.info = null;
    this.layer = null;
    this.stamp = 0; // a reading of an older model is not drawn
    this.readings = 0;
    this.rows = buildBars(
      els.bars,
      Array.from({ length: 10 }, (_, i) => String(i)),
    );
    paintInput(els.preview, input);
    this.caption();
  }

  // The slot's model changed (loaded, fresh weights for a training, trained): its first conv.
  // The tiles and bars stay until the new model's reading replaces them (no flicker when a training
  // ends), unless the model has another first conv or other classes.
  setModel(info) {
    const layer = info.layers.find((l) => /conv/.test(l.type) && l.params) || null;
    const same = this.layer && layer && this.layer.name === layer.name && this.info.classes === info.classes;
    this.info = info;
    this.layer = layer;
    this.stamp++;
    if (same) return;
    this.els.filters.replaceChildren();
    this.els.filtersNote.textContent = '';
    if (info.classes !== this.rows.length)
      this.rows = buildBars(
        this.els.bars,
        Array.from({ length: info.classes }, (_, i) => String(i)),
      );
    paintBars(this.rows, null);
    this.caption();
  }

  caption(tiles = null) {
    const f = !this.layer
      ? 'This network has no convolution: here is'
      : tiles
        ? `The first layer's ${tiles.count} filters (${tiles.kh}×${tiles.kw} weights, blue − red +) and`
        : "The first layer's filters (its weights, blue − red +) and";
    this.els.caption.textContent = `${f} the answer for ${this.what}, read from the model as it trains.`;
    this.els.filters.parentElement.hidden = !this.layer;
  }

  // Reads the model again and redraws; `state` is the line of its state ("iteration 340 of 1,876").
  // Resolves when drawn (a reading of a model replaced meanwhile is dropped).
  async refresh(state) {
    if (!this.info) return;
    const stamp = this.stamp;
    const layer = this.layer;
    const [w, c] = await Promise.allSettled([
      layer ? this.engine.weights(layer.name) : null,
      this.engine.classify(this.input.slice()),
    ]);
    if (stamp !== this.stamp) return;
    if (layer && w.status === 'fulfilled') {
      const tiles = paintFilterTiles(this.els.filters, w.value.params, MAX_FILTERS);
      if (tiles) {
        this.caption(tiles);
        this.els.filtersNote.textContent =
          `${tiles.shown < tiles.count ? `${tiles.shown} of ` : ''}${tiles.count} filters of ${layer.name}` +
          `${tiles.channels > 1 ? ' (first input channel)' : ''}, ±${tiles.range.toPrecision(2)}`;
        this.els.filters.style.setProperty('--cols', String(columns(tiles.shown)));
      }
    }
    if (c.status === 'fulfilled') {
      const p = c.value;
      let best = 0;
      for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
      paintBars(this.rows, p, best);
    }
    this.els.state.textContent = state || '';
    this.readings++;
    this.els.filters.closest('[data-panel]')?.setAttribute('data-readings', String(this.readings));
    if (w.status === 'rejected' && c.status === 'rejected') throw c.reason;
  }
}

// Tiles per row: two rows up to 16 filters (6 → 3 × 2, 8 → 4 × 2), then rows of 8.
function columns(n) {
  return n <= 16 ? Math.max(1, Math.ceil(n / 2)) : 8;
}
