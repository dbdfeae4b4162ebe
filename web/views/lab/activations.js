// The view of the "activations" experiment (lib/lab/activations.js): the six functions and their
// derivatives (small panels, f solid and f' dashed, both the engine's), the loss curves of the same
// net trained with each activation (one chart, a moving average of the engine's per-iteration
// losses, and a table), and the dead ReLUs: their fraction during training at each learning rate,
// and the hidden units as squares, dead or alive, at the end. Every number is the engine's (the
// result); it draws partial results as they come.
import { el } from '../../lib/dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, text) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

// Okabe–Ito colours, one per activation; the learning rates from cool to hot.
const COLOR = {
  sigmoid: '#E69F00',
  tanh: '#56B4E9',
  relu: '#009E73',
  leaky_relu: '#0072B2',
  elu: '#CC79A7',
  gelu: '#D55E00',
};
const LR_COLORS = ['#009E73', '#0072B2', '#D55E00'];

const num = (v, d = 3) => {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(d)));
};
const pct = (x) => `${num(100 * x)} %`;

// Round tick values covering [lo, hi]: about `n` of them.
function ticks(lo, hi, n = 4) {
  const span = hi - lo || 1;
  const raw = span / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) || raw;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(6)));
  return out;
}

// A line chart: series [{label, color, dash, points: [[x, y]]}] on [x0, x1] × [y0, y1] (values
// outside are clipped), with round ticks and axis labels.
function lineChart({ series, x0, x1, y0, y1, xLabel, yLabel, title, width = 520, height = 240, zeroLines = false }) {
  const Lm = 44,
    R = 10,
    T = 8,
    B = 34;
  const pw = width - Lm - R,
    ph = height - T - B;
  const X = (v) => Lm + ((v - x0) / (x1 - x0 || 1)) * pw;
  const Y = (v) => T + (1 - (Math.min(y1, Math.max(y0, v)) - y0) / (y1 - y0 || 1)) * ph;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'lab-chart', role: 'img', 'aria-label': title });
  root.append(svg('rect', { x: Lm, y: T, width: pw, height: ph, class: 'plot-box' }));
  for (const t of ticks(x0, x1, width < 300 ? 4 : 6)) {
    root.append(svg('line', { x1: X(t), x2: X(t), y1: T, y2: T + ph, class: 'grid' }));
    root.append(svg('text', { x: X(t), y: T + ph + 13, 'text-anchor': 'middle', class: 'tick' }, String(t)));
  }
  for (const t of ticks(y0, y1, 4)) {
    root.append(svg('line', { x1: Lm, x2: Lm + pw, y1: Y(t), y2: Y(t), class: 'grid' }));
    root.append(svg('text', { x: Lm - 4, y: Y(t) + 3, 'text-anchor': 'end', class: 'tick' }, String(t)));
  }
  if (zeroLines) {
    if (y0 < 0 && y1 > 0) root.append(svg('line', { x1: Lm, x2: Lm + pw, y1: Y(0), y2: Y(0), class: 'axis-line' }));
    if (x0 < 0 && x1 > 0) root.append(svg('line', { x1: X(0), x2: X(0), y1: T, y2: T + ph, class: 'axis-line' }));
  }
  root.append(svg('text', { x: Lm + pw / 2, y: height - 4, 'text-anchor': 'middle', class: 'axis' }, xLabel));
  const yl = svg('text', { x: 11, y: T + ph / 2, 'text-anchor': 'middle', class: 'axis' }, yLabel);
  yl.setAttribute('transform', `rotate(-90 11 ${T + ph / 2})`);
  root.append(yl);
  for (const s of series) {
    if (!s.points.length) continue;
    const d = s.points.map(([x, y], i) => `${i ? 'L' : 'M'}${X(x).toFixed(1)} ${Y(y).toFixed(1)}`).join('');
    const path = svg('path', {
      d,
      class: 'series',
      stroke: s.color,
      'stroke-width': s.width || 2,
      ...(s.dash ? { 'stroke-dasharray': s.dash } : {}),
    });
    path.append(svg('title', {}, s.label));
    root.append(path);
    if (s.points.length === 1) {
      const [x, y] = s.points[0];
      root.append(svg('circle', { cx: X(x), cy: Y(y), r: 3, fill: s.color }));
    }
  }
  return root;
}

function legend(items) {
  return el(
    'ul',
    { class: 'lab-legend' },
    ...items.map(({ label, color, dash }) =>
      el(
        'li',
        {},
        el('span', {
          class: `swatch${dash ? ' dashed' : ''}`,
          style: `--swatch:${color}`,
          'aria-hidden': 'true',
        }),
        el('span', { text: label }),
      ),
    ),
  );
}

// 1. Each function and its derivative.
function functions(list) {
  const panels = list.map((c) => {
    const all = [...c.f, ...c.df];
    const lo = Math.min(0, ...all);
    const hi = Math.max(1, ...all);
    const pad = (hi - lo) * 0.06;
    const at = (x) => c.df[c.x.indexOf(x)];
    const chart = lineChart({
      title: `${c.label}: f(x) and f'(x) for x from −5 to 5`,
      series: [
        { label: `${c.label} f(x)`, color: COLOR[c.kind], points: c.x.map((x, i) => [x, c.f[i]]) },
        {
          label: `${c.label} f'(x)`,
          color: 'currentColor',
          dash: '5 3',
          width: 1.6,
          points: c.x.map((x, i) => [x, c.df[i]]),
        },
      ],
      x0: -5,
      x1: 5,
      y0: lo - pad,
      y1: hi + pad,
      xLabel: 'x',
      yLabel: '',
      width: 260,
      height: 180,
      zeroLines: true,
    });
    return el(
      'figure',
      { class: 'lab-fn' },
      el(
        'figcaption',
        {},
        el('strong', { text: c.label }),
        el('span', { class: 'muted', text: ` ${c.formula || ''}` }),
      ),
      chart,
      el('p', {
        class: 'lab-note',
        text: `f'(−5) = ${num(at(-5))}, f'(0) = ${num(at(0))}, f'(5) = ${num(at(5))}`,
      }),
    );
  });
  return el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: '1. Each function and its derivative, computed by the engine' }),
    legend([
      { label: 'f(x), solid: the layer’s forward pass on x = −5…5', color: '#888' },
      { label: 'f′(x), dashed: its backward pass', color: 'currentColor', dash: true },
    ]),
    el('div', { class: 'lab-fns' }, ...panels),
    el('p', {
      class: 'muted lab-note',
      text: 'Where f′ is near 0 the unit is saturated: almost no gradient flows back through it. At the kink x = 0 the engine takes the left side’s slope (ReLU′(0) = 0), as PyTorch does.',
    }),
  );
}

// A moving average of a run's per-iteration losses.
function smooth(losses, w) {
  const out = [];
  let sum = 0;
  for (let i = 0; i < losses.length; ++i) {
    sum += losses[i];
    if (i >= w) sum -= losses[i - w];
    out.push([i + 1, sum / Math.min(i + 1, w)]);
  }
  return out;
}

// 2. The six activations trained.
function comparison(runs, s, partial, width) {
  const r0 = runs[0];
  const w = Math.max(1, Math.round(s.iterations / 30));
  const series = runs.map((r) => ({
    label: r.label,
    color: COLOR[r.kind],
    points: smooth(
      r.losses.filter((v) => Number.isFinite(v)),
      w,
    ),
  }));
  const firsts = series.filter((x) => x.points.length).map((x) => x.points[0][1]);
  const yMax = Math.min(4, Math.max(2.5, ...firsts));
  const chart = lineChart({
    title: 'Training loss against iteration for each activation',
    series,
    x0: 0,
    x1: s.iterations,
    y0: 0,
    y1: yMax,
    xLabel: 'iteration',
    yLabel: 'training loss',
    width,
  });
  const table = el('table', { class: 'lab-table' });
  table.append(
    el(
      'tr',
      {},
      ...['Activation', 'Loss, last fifth', 'Validation accuracy', 'Time'].map((t) => el('th', { text: t })),
    ),
  );
  for (const r of runs) {
    const done = r.status !== 'running';
    table.append(
      el(
        'tr',
        {},
        el(
          'td',
          {},
          el('span', { class: 'swatch', style: `--swatch:${COLOR[r.kind]}`, 'aria-hidden': 'true' }),
          ` ${r.label}`,
        ),
        el('td', {
          text: !done ? 'training…' : r.status === 'diverged' ? `diverged: ${r.message}` : num(r.final),
        }),
        el('td', { text: done ? pct(r.accuracy) : '' }),
        el('td', { text: `${r.seconds.toFixed(1)} s` }),
      ),
    );
  }
  return el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: '2. The same net trained with each activation' }),
    el('p', {
      class: 'lab-note',
      text: `${r0.inputs}-${s.hidden}-${s.hidden}-${r0.classes}, ${s.init} initialization, plain SGD at learning rate ${s.lr}, batch ${s.batch}, ${s.iterations} iterations on the same ${s.subset} images, seed ${s.seed}: one run after another. Curves: the loss averaged over ${w} iteration${w > 1 ? 's' : ''}. The lower, the further it got.`,
    }),
    legend(series.map((x) => ({ label: x.label, color: x.color }))),
    chart,
    table,
    partial && runs.length < 6 ? el('p', { class: 'muted', text: `${6 - runs.length} more to train…` }) : null,
  );
}

function unitMap(dead, label) {
  const n = dead.length;
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const c = 9;
  const root = svg('svg', {
    viewBox: `0 0 ${cols * c} ${rows * c}`,
    class: 'lab-units',
    width: cols * c,
    height: rows * c,
    role: 'img',
    'aria-label': label,
  });
  dead.forEach((d, i) =>
    root.append(
      svg('rect', {
        x: (i % cols) * c + 0.5,
        y: Math.floor(i / cols) * c + 0.5,
        width: c - 1,
        height: c - 1,
        class: d ? 'dead' : 'alive',
      }),
    ),
  );
  return root;
}

// 3. Dead ReLUs at the learning rates.
function deadReLUs(dead, s, width) {
  // colours by rank: the lowest learning rate the coolest
  const rank = (lr) => dead.filter((d) => d.lr < lr).length;
  const sorted = dead.map((d) => ({ ...d, color: LR_COLORS[Math.min(rank(d.lr), LR_COLORS.length - 1)] }));
  const chart = lineChart({
    title: 'Dead ReLUs (percent of the hidden units) against iteration for each learning rate',
    series: sorted.map((d) => ({
      label: `learning rate ${d.lr}`,
      color: d.color,
      points: d.points.map((p) => [p.iteration, 100 * p.dead]),
    })),
    x0: 0,
    x1: s.iterations,
    y0: 0,
    y1: 100,
    xLabel: 'iteration',
    yLabel: 'dead ReLUs (%)',
    width,
  });
  const maps = sorted.map((d) => {
    const last = d.points[d.points.length - 1];
    const [l1, l2] = d.units;
    const count = (u) => u.filter(Boolean).length;
    const state =
      d.status === 'running'
        ? `training, iteration ${last.iteration}`
        : d.status === 'diverged'
          ? `diverged at iteration ${d.iterations}: ${d.message}`
          : `loss ${num(d.final)}, validation accuracy ${pct(d.accuracy)}`;
    return el(
      'figure',
      { class: 'lab-unitfig' },
      el(
        'figcaption',
        {},
        el('span', { class: 'swatch', style: `--swatch:${d.color}`, 'aria-hidden': 'true' }),
        el('strong', { text: ` learning rate ${d.lr}: ${pct(last.dead)} dead` }),
      ),
      el(
        'div',
        { class: 'lab-unitmaps' },
        el(
          'div',
          {},
          unitMap(l1, `layer 1 at learning rate ${d.lr}: ${count(l1)} of ${l1.length} units dead`),
          el('span', { class: 'lab-note', text: `layer 1: ${count(l1)} of ${l1.length} dead` }),
        ),
        el(
          'div',
          {},
          unitMap(l2, `layer 2 at learning rate ${d.lr}: ${count(l2)} of ${l2.length} units dead`),
          el('span', { class: 'lab-note', text: `layer 2: ${count(l2)} of ${l2.length} dead` }),
        ),
      ),
      el('p', { class: 'muted lab-note', text: state }),
    );
  });
  return el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: '3. Dead ReLUs: too high a learning rate kills them' }),
    el('p', {
      class: 'lab-note',
      text: `The ReLU net, plain SGD, ${s.iterations} iterations at each learning rate. Every ${Math.max(1, Math.round(s.iterations / 30))} iterations the engine forwards the same ${s.probe} held-out images; a unit is dead when it outputs 0 for every one of them (its gradient is then 0 for them all: it cannot learn its way back).`,
    }),
    legend(
      sorted.map((d) => ({
        label: `learning rate ${d.lr}: ${pct(d.points[d.points.length - 1].dead)} dead`,
        color: d.color,
      })),
    ),
    chart,
    el(
      'p',
      { class: 'lab-note' },
      'Each square is a hidden unit at the end of training: ',
      el('span', { class: 'unit-key dead', 'aria-hidden': 'true' }),
      ' dead, ',
      el('span', { class: 'unit-key alive', 'aria-hidden': 'true' }),
      ' alive.',
    ),
    el('div', { class: 'lab-unitfigs' }, ...maps),
  );
}

export function render(root, r, { settings, partial } = {}) {
  const s = { ...settings, ...(r.settings || {}) };
  // The wide charts' drawing width follows the space they get (their text stays readable on a phone).
  const width = Math.round(Math.min(640, Math.max(300, root.clientWidth || 520)));
  const parts = [];
  if (r.functions && r.functions.length) parts.push(functions(r.functions));
  if (r.runs && r.runs.length) parts.push(comparison(r.runs, s, partial, width));
  if (r.dead && r.dead.length) parts.push(deadReLUs(r.dead, s, width));
  root.replaceChildren(...parts);
}
