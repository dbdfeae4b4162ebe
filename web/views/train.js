// The training view: live curves (uPlot), the progress bar with images/s and time left, and after
// each epoch the test-set results: accuracy, confusion matrix as a heat map, per-class accuracy and
// a grid of misclassified images with their true and predicted labels.
import uPlot from '../vendor/uplot/uPlot.esm.js';
import { viridis } from '../lib/colormap.js';
import { fmtCompact, fmtDuration, fmtInt, fmtPct } from '../lib/format.js';

const SMOOTH = 0.98; // exponential smoothing of the loss curve
const MAX_POINTS = 4000; // the loss curve keeps every k-th point beyond this

export class TrainView {
  constructor(els, engine) {
    this.els = els;
    this.engine = engine; // {testImages({indices})}
    this.classNames = null;
    this.reset();
    const ro = new ResizeObserver(() => this.resize());
    ro.observe(els.lossChart);
  }

  reset() {
    this.loss = { x: [], raw: [], smooth: [] };
    this.acc = { x: [], train: [], val: [], test: [] };
    this.smoothed = null;
    this.stride = 1;
    this.count = 0;
    this.makeCharts();
    this.els.progress.value = 0;
    this.els.progressText.textContent = 'Not started';
    this.els.results.hidden = true;
  }

  makeCharts() {
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue('--muted').trim() || '#666';
    const grid = css.getPropertyValue('--line').trim() || '#ddd';
    const axis = (label) => ({ label, stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } });
    const width = Math.max(240, this.els.lossChart.clientWidth);
    const lossOpts = {
      width,
      height: 220,
      title: 'Loss per iteration',
      scales: { x: { time: false } },
      axes: [axis('iteration'), axis('loss')],
      series: [
        { label: 'iteration' },
        { label: 'raw', stroke: 'rgba(120,140,170,0.55)', width: 1, points: { show: false } },
        { label: 'smoothed', stroke: '#2f6fde', width: 2, points: { show: false } },
      ],
      legend: { live: false },
    };
    const accOpts = {
      width,
      height: 220,
      title: 'Accuracy per epoch',
      scales: { x: { time: false }, y: { range: (u, lo, hi) => [Math.max(0, Math.min(lo, 0.9) - 0.01), 1] } },
      axes: [
        axis('epoch'),
        { ...axis('accuracy'), values: (u, v) => v.map((x) => `${(100 * x).toFixed(1)} %`), size: 60 },
      ],
      series: [
        { label: 'epoch' },
        { label: 'training', stroke: '#e07b39', width: 2 },
        { label: 'validation', stroke: '#2f6fde', width: 2 },
        { label: 'test', stroke: '#3aa860', width: 2, dash: [6, 4] },
      ],
      legend: { live: false },
    };
    if (this.lossPlot) this.lossPlot.destroy();
    if (this.accPlot) this.accPlot.destroy();
    this.lossPlot = new uPlot(lossOpts, [[], [], []], this.els.lossChart);
    this.accPlot = new uPlot(accOpts, [[], [], [], []], this.els.accChart);
  }

  resize() {
    const w = Math.max(240, this.els.lossChart.clientWidth);
    if (this.lossPlot && Math.abs(this.lossPlot.width - w) > 2) {
      this.lossPlot.setSize({ width: w, height: 220 });
      this.accPlot.setSize({ width: Math.max(240, this.els.accChart.clientWidth), height: 220 });
    }
  }

  // Restores the curves from a saved history (on resume).
  restore(saved) {
    if (!saved) return;
    this.loss = saved.loss;
    this.acc = saved.acc;
    this.smoothed = saved.smoothed;
    this.stride = saved.stride || 1;
    this.count = saved.count || 0;
    this.redraw();
  }

  snapshot() {
    return { loss: this.loss, acc: this.acc, smoothed: this.smoothed, stride: this.stride, count: this.count };
  }

  progress(p) {
    const first = p.iteration - p.losses.length + 1;
    p.losses.forEach((l, i) => {
      if (!Number.isFinite(l)) return;
      this.smoothed = this.smoothed === null ? l : SMOOTH * this.smoothed + (1 - SMOOTH) * l;
      this.count++;
      if (this.count % this.stride !== 0) return;
      this.loss.x.push(first + i);
      this.loss.raw.push(l);
      this.loss.smooth.push(this.smoothed);
    });
    if (this.loss.x.length > MAX_POINTS) {
      // Keep every other point: the curve's shape stays, the cost stays bounded.
      for (const k of ['x', 'raw', 'smooth']) this.loss[k] = this.loss[k].filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
    this.lossPlot.setData([this.loss.x, this.loss.raw, this.loss.smooth]);
    const frac = p.total_iterations ? p.iteration / p.total_iterations : 0;
    this.els.progress.value = frac;
    this.els.progress.setAttribute('aria-valuetext', `${(100 * frac).toFixed(0)} percent`);
    this.els.progressText.textContent =
      `Epoch ${p.epoch} of ${p.epochs} · iteration ${fmtInt(p.iteration)} of ${fmtInt(p.total_iterations)} · ` +
      `loss ${p.smoothed_loss.toFixed(4)} · ${fmtCompact(p.images_per_s)} img/s · ${fmtDuration(p.eta_seconds)} left`;
  }

  epoch(record, test) {
    this.acc.x.push(record.epoch);
    this.acc.train.push(record.train_accuracy);
    this.acc.val.push(record.has_validation === false ? null : record.val_accuracy);
    this.acc.test.push(test ? test.accuracy : null);
    this.accPlot.setData([this.acc.x, this.acc.train, this.acc.val, this.acc.test]);
    if (test) this.results(test);
  }

  redraw() {
    this.lossPlot.setData([this.loss.x, this.loss.raw, this.loss.smooth]);
    this.accPlot.setData([this.acc.x, this.acc.train, this.acc.val, this.acc.test]);
  }

  async results(ev) {
    const { els } = this;
    els.results.hidden = false;
    els.testAcc.textContent = fmtPct(ev.accuracy);
    els.testNote.textContent = `${fmtInt(ev.count - ev.wrong.length)} of ${fmtInt(ev.count)} test images right; test loss ${ev.loss.toFixed(4)}`;
    // A model may have more outputs than the data has classes: show the data's classes.
    const n = this.classNames ? Math.min(this.classNames.length, ev.per_class.length) : ev.per_class.length;
    const names = Array.from(
      { length: ev.per_class.length },
      (_, i) => (this.classNames && this.classNames[i]) || String(i),
    );
    drawConfusion(
      els.confusion,
      ev.confusion.slice(0, n).map((row) => row.slice(0, n)),
      names,
    );
    els.perClass.classList.toggle('named', !!this.classNames);
    els.perClass.replaceChildren(
      ...ev.per_class.slice(0, n).map((a, i) => {
        const li = document.createElement('li');
        const lbl = document.createElement('span');
        lbl.className = 'lbl';
        lbl.textContent = names[i];
        const track = document.createElement('span');
        track.className = 'track';
        const bar = document.createElement('span');
        bar.className = 'bar';
        bar.style.width = `${(100 * a).toFixed(1)}%`;
        track.append(bar);
        const val = document.createElement('span');
        val.className = 'val';
        val.textContent = fmtPct(a, 1);
        li.append(lbl, track, val);
        return li;
      }),
    );
    const shown = ev.wrong.slice(0, 48);
    els.wrongNote.textContent = ev.wrong.length
      ? `${fmtInt(ev.wrong.length)} misclassified${ev.wrong.length > shown.length ? `; the first ${shown.length}` : ''}. Click one to see it in the network view.`
      : 'No test image is misclassified.';
    if (!shown.length) {
      els.wrong.replaceChildren();
      return;
    }
    try {
      const imgs = await this.engine.testImages({ indices: shown });
      const [c, h, w] = imgs.shape;
      els.wrong.replaceChildren(
        ...shown.map((idx, i) => {
          const fig = document.createElement('button');
          fig.type = 'button';
          fig.className = 'wrong-item';
          fig.title = `test image ${idx}: true ${names[imgs.labels[i]]}, predicted ${names[ev.predicted[idx]]}`;
          const cv = document.createElement('canvas');
          cv.width = w;
          cv.height = h;
          const ctx = cv.getContext('2d');
          const id = ctx.createImageData(w, h);
          for (let j = 0; j < w * h; j++) {
            const v = imgs.pixels[i * c * h * w + j];
            id.data.set([v, v, v, 255], 4 * j);
          }
          ctx.putImageData(id, 0, 0);
          const cap = document.createElement('span');
          cap.innerHTML = '';
          const t = document.createElement('b');
          t.textContent = names[ev.predicted[idx]];
          cap.append(t, document.createTextNode(` (true ${names[imgs.labels[i]]})`));
          fig.append(cv, cap);
          fig.addEventListener('click', () => this.onPick && this.onPick(idx));
          return fig;
        }),
      );
    } catch (e) {
      els.wrongNote.textContent = e.message;
    }
  }
}

function drawConfusion(canvas, m, names) {
  const n = m.length;
  const cell = 26,
    pad = 34;
  const dpr = window.devicePixelRatio || 1;
  const W = pad + n * cell,
    H = pad + n * cell;
  canvas.width = W * dpr;
  canvas.height = H * dpr;
  canvas.style.width = `${W}px`;
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, W, H);
  const style = getComputedStyle(canvas);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let t = 0; t < n; t++) {
    const rowSum = m[t].reduce((a, b) => a + b, 0) || 1;
    for (let p = 0; p < n; p++) {
      const frac = m[t][p] / rowSum;
      const k = Math.round(255 * Math.sqrt(frac));
      ctx.fillStyle = `rgb(${viridis[3 * k]},${viridis[3 * k + 1]},${viridis[3 * k + 2]})`;
      ctx.fillRect(pad + p * cell, pad + t * cell, cell - 1, cell - 1);
      if (m[t][p]) {
        ctx.fillStyle = k > 150 ? '#000' : '#fff';
        ctx.fillText(
          m[t][p] > 999 ? `${(m[t][p] / 1000).toFixed(1)}k` : String(m[t][p]),
          pad + p * cell + cell / 2,
          pad + t * cell + cell / 2,
        );
      }
    }
  }
  ctx.fillStyle = style.color;
  for (let i = 0; i < n; i++) {
    ctx.fillText(names[i].slice(0, 3), pad + i * cell + cell / 2, pad - 8);
    ctx.fillText(names[i].slice(0, 3), pad - 10, pad + i * cell + cell / 2);
  }
  ctx.textAlign = 'left';
  ctx.fillText('predicted →', pad, 8);
  ctx.save();
  ctx.translate(8, pad);
  ctx.rotate(Math.PI / 2);
  ctx.fillText('true →', 0, 0);
  ctx.restore();
  canvas.setAttribute(
    'aria-label',
    `Confusion matrix: rows are true classes, columns predicted classes. ${m.map((r, t) => `${names[t]}: ${r[t]} right of ${r.reduce((a, b) => a + b, 0)}`).join('; ')}`,
  );
}
