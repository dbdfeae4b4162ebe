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
    this.acc = { x: [], train: [], val: [], test: [], quick: [] };
    this.last = null; // the last progress event
    this.phase = ''; // '' | 'paused' | 'stopping' | 'evaluating'
    this.saved = null; // {iteration, history}: the curves at the training's last checkpoint
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
        { label: 'training', stroke: '#e07b39', width: 2, spanGaps: true },
        { label: 'validation', stroke: '#2f6fde', width: 2, spanGaps: true },
        { label: 'test', stroke: '#3aa860', width: 2, dash: [6, 4], spanGaps: true },
        {
          label: 'test, 1,000 images (during training)',
          stroke: '#3aa860',
          width: 0,
          points: { show: true, size: 7, fill: '#3aa860' },
          spanGaps: false,
        },
      ],
      legend: { live: false },
    };
    if (this.lossPlot) this.lossPlot.destroy();
    if (this.accPlot) this.accPlot.destroy();
    this.lossPlot = new uPlot(lossOpts, [[], [], []], this.els.lossChart);
    this.accPlot = new uPlot(accOpts, [[], [], [], [], []], this.els.accChart);
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
    this.acc = { quick: saved.acc.x.map(() => null), ...saved.acc };
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
    this.last = p;
    if (this.phase === 'evaluating') this.phase = '';
    this.showProgress();
  }

  // The line beside the progress bar: where the training is, and what it is doing now. Paused,
  // there is no time left to show; stopping or evaluating, it says so.
  showProgress(extra) {
    const p = this.last;
    const where = p
      ? `epoch ${p.epoch} of ${p.epochs} · iteration ${fmtInt(p.iteration)} of ${fmtInt(p.total_iterations)} · loss ${p.smoothed_loss.toFixed(4)}`
      : '';
    let text;
    if (this.phase === 'paused') text = `Paused · ${where}`;
    else if (this.phase === 'stopping') text = `Stopping… · ${where}`;
    else if (this.phase === 'evaluating') text = extra || 'Evaluating on the test set…';
    else if (p)
      text = `Epoch ${p.epoch} of ${p.epochs} · iteration ${fmtInt(p.iteration)} of ${fmtInt(p.total_iterations)} · loss ${p.smoothed_loss.toFixed(4)} · ${fmtCompact(p.images_per_s)} img/s · ${fmtDuration(p.eta_seconds)} left`;
    else text = extra || 'Starting…';
    this.els.progressText.textContent = text;
  }

  setPhase(phase, extra) {
    this.phase = phase;
    this.showProgress(extra);
  }

  epoch(record, test) {
    this.acc.x.push(record.epoch);
    this.acc.train.push(record.train_accuracy);
    this.acc.val.push(record.has_validation === false ? null : record.val_accuracy);
    this.acc.test.push(test ? test.accuracy : null);
    this.acc.quick.push(null);
    this.redrawAcc();
    if (test) this.results(test);
  }

  // An evaluation on the fixed 1,000-image subset during training: a point at its fractional epoch,
  // and the results (confusion matrix, misclassified images) of that subset.
  evaluation({ epoch, test }) {
    let i = this.acc.x.length;
    while (i > 0 && this.acc.x[i - 1] > epoch) i--;
    for (const [k, v] of [
      ['x', epoch],
      ['train', null],
      ['val', null],
      ['test', null],
      ['quick', test.accuracy],
    ])
      this.acc[k].splice(i, 0, v);
    this.redrawAcc();
    this.results(test, true);
  }

  // The end of a training: the whole test set's results, also as the last epoch's test point.
  final(test) {
    if (!test) return;
    const n = this.acc.test.length;
    let last = n - 1;
    while (last >= 0 && this.acc.quick[last] !== null) last--;
    if (last >= 0 && this.acc.test[last] === null) {
      this.acc.test[last] = test.accuracy;
      this.redrawAcc();
    }
    this.results(test);
  }

  redrawAcc() {
    this.accPlot.setData([this.acc.x, this.acc.train, this.acc.val, this.acc.test, this.acc.quick]);
  }

  redraw() {
    this.lossPlot.setData([this.loss.x, this.loss.raw, this.loss.smooth]);
    this.redrawAcc();
  }

  // Follows a session (lib/session.js): its events drive this view.
  follow(session) {
    const offs = [
      session.on('start', ({ resume }) => {
        if (!resume) this.reset();
        this.setPhase('', resume ? 'Resuming…' : 'Starting…');
      }),
      session.on('progress', (p) => this.progress(p)),
      session.on('epoch', ({ record, test }) => this.epoch(record, test)),
      session.on('evaluation', (m) => this.evaluation(m)),
      session.on('evaluating', (m) =>
        this.setPhase(
          'evaluating',
          `Evaluating on the test set… ${Math.floor((100 * m.done) / m.total)} % (${fmtInt(m.done)} of ${fmtInt(m.total)} images)`,
        ),
      ),
      session.on('state', ({ training, paused, stopping }) => {
        if (!training) this.phase = '';
        else if (stopping) this.setPhase('stopping');
        else if (paused) this.setPhase('paused');
        else if (this.phase === 'paused') this.setPhase('');
      }),
      session.on('checkpoint', ({ iteration }) => {
        this.saved = { iteration, history: structuredClone(this.snapshot()) };
      }),
      session.on('crash', ({ iteration }) => {
        // The engine restarts and the training goes on from its last checkpoint: roll back to it.
        const bar = this.els.progress.value;
        const saved = this.saved;
        this.reset();
        if (saved && saved.iteration === iteration) this.restore(structuredClone(saved.history));
        this.saved = saved;
        this.els.progress.value = bar;
        this.els.progressText.textContent = `Restarting the engine; the training goes on from iteration ${fmtInt(iteration)}…`;
      }),
      session.on('done', ({ test, status }) => {
        this.phase = '';
        const p = this.last;
        const head = { stopped: 'Stopped', early_stopped: 'Stopped early', finished: 'Finished' }[status] || 'Ended';
        if (p)
          this.els.progressText.textContent = `${head} · epoch ${p.epoch} of ${p.epochs} · iteration ${fmtInt(p.iteration)} of ${fmtInt(p.total_iterations)} · loss ${p.smoothed_loss.toFixed(4)}`;
        this.final(test);
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  async results(ev, subset = false) {
    const { els } = this;
    els.results.hidden = false;
    els.testAcc.textContent = fmtPct(ev.accuracy);
    els.testNote.textContent = `${fmtInt(ev.count - ev.wrong.length)} of ${fmtInt(ev.count)} test images right; test loss ${ev.loss.toFixed(4)}${subset ? ' (a fixed subset of the test set, evaluated during training; the whole test set is evaluated at the end of each epoch)' : ''}`;
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
      ? `${fmtInt(ev.wrong.length)} misclassified${ev.wrong.length > shown.length ? `; the first ${shown.length}` : ''}.${this.onPick ? ' Click one to see it and its prediction.' : ''}`
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
