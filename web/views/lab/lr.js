// The view of the "lr" experiment (lib/lab/lr.js): (1) the loss against the epoch at a very high, a
// high, a good and a low learning rate, the notes' figure, drawn from the engine's losses; (2) the
// range test's loss against the rate on a log axis with its suggestion, and the notes' grid against
// the suggestion on the validation images; (3) the rate of every iteration of each schedule as the
// engine set it, the losses it gave, and the final numbers side by side. Small SVG charts, sized to
// the width they have when drawn. Every number comes from the result.
import { el } from '../../lib/dom.js';

const SVG = 'http://www.w3.org/2000/svg';
// A custom property set through the CSSOM (a course page's CSP may forbid style attributes).
const withVar = (e, name, value) => {
  e.style.setProperty(name, value);
  return e;
};
const swatch = (color) => withVar(el('span', { class: 'lr-swatch', 'aria-hidden': 'true' }), '--c', color);
const svg = (tag, attrs = {}, text) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

const RATE_COLORS = { 'very-high': '#d62728', high: '#e07b39', good: '#2ca02c', low: '#1f77b4' };
const SCHEDULE_COLORS = {
  constant: '#7f7f7f',
  step: '#9467bd',
  exponential: '#e07b39',
  inverse_time: '#1f77b4',
  cosine: '#2ca02c',
};
const SUP = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };
const pow10 = (e) => (e === 0 ? '1' : e === 1 ? '10' : `10${String(e).replace(/./g, (c) => SUP[c])}`);

// A rate as a student writes it: 0.1, 0.025, 1e-4 as 10⁻⁴ (or 2.5·10⁻⁵).
export function fmtRate(x) {
  if (!Number.isFinite(x)) return String(x);
  if (x <= 0) return String(x);
  if (x >= 1e-3 && x < 1e4) return String(Number(x.toPrecision(2)));
  const e = Math.floor(Math.log10(x));
  const m = Number((x / 10 ** e).toPrecision(2));
  return m === 1 ? pow10(e) : `${m}·${pow10(e)}`;
}
// The mean of the last `w` losses at every iteration (the worker sends it when a run has ended).
function trailingMean(xs, w) {
  let sum = 0;
  return xs.map((x, i) => {
    sum += x - (i >= w ? xs[i - w] : 0);
    return sum / Math.min(i + 1, w);
  });
}
const fmtLoss = (x) => (Number.isFinite(x) ? (x >= 100 ? Math.round(x).toLocaleString('en') : x.toFixed(3)) : '—');
const pct = (x) => `${(100 * x).toFixed(1)} %`;

function niceTicks(lo, hi, n = 5) {
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

// A line chart. opts: {width, height, title, x: {min, max, log, label, fmt}, y: {min, max, label},
// series: [{points: [[x, y]], color, width, opacity, dash, label}], hlines: [{y, label}],
// vlines: [{x, label, color, strong}], marks: [{x, y, label, color}]}. Values above y.max are drawn
// at the top edge.
function lineChart(o) {
  const W = o.width;
  const H = o.height || 230;
  const M = { l: 44, r: 12, t: 10, b: 38 };
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const lx = (v) => (o.x.log ? Math.log10(v) : v);
  const ly = (v) => (o.y.log ? Math.log10(v) : v);
  const x0 = lx(o.x.min);
  const x1 = lx(o.x.max);
  const y0 = ly(o.y.min);
  const y1 = ly(o.y.max);
  const X = (v) => M.l + ((lx(v) - x0) / (x1 - x0 || 1)) * pw;
  const Y = (v) => M.t + (1 - (ly(Math.max(o.y.min, Math.min(v, o.y.max))) - y0) / (y1 - y0 || 1)) * ph;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    width: W,
    height: H,
    class: 'lr-chart',
    role: 'img',
    'aria-label': o.aria || o.title,
  });
  root.append(svg('rect', { x: M.l, y: M.t, width: pw, height: ph, class: 'frame' }));
  const xt = o.x.log
    ? Array.from({ length: Math.floor(x1) - Math.ceil(x0) + 1 }, (_, i) => 10 ** (Math.ceil(x0) + i))
    : niceTicks(o.x.min, o.x.max, Math.max(3, Math.round(pw / 80)));
  for (const t of xt) {
    root.append(svg('line', { x1: X(t), x2: X(t), y1: M.t, y2: M.t + ph, class: 'grid' }));
    const label = o.x.log ? pow10(Math.round(Math.log10(t))) : (o.x.fmt || String)(t);
    root.append(svg('text', { x: X(t), y: M.t + ph + 13, 'text-anchor': 'middle', class: 'tick' }, label));
  }
  const yt = o.y.log
    ? [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10].filter((t) => t >= o.y.min && t <= o.y.max)
    : niceTicks(o.y.min, o.y.max, 4);
  for (const t of yt) {
    root.append(svg('line', { x1: M.l, x2: M.l + pw, y1: Y(t), y2: Y(t), class: 'grid' }));
    root.append(svg('text', { x: M.l - 4, y: Y(t) + 3, 'text-anchor': 'end', class: 'tick' }, (o.y.fmt || String)(t)));
  }
  root.append(svg('text', { x: M.l + pw / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis' }, o.x.label));
  const yl = svg('text', { x: 11, y: M.t + ph / 2, 'text-anchor': 'middle', class: 'axis' }, o.y.label);
  yl.setAttribute('transform', `rotate(-90 11 ${M.t + ph / 2})`);
  root.append(yl);
  for (const h of o.hlines || []) {
    root.append(svg('line', { x1: M.l, x2: M.l + pw, y1: Y(h.y), y2: Y(h.y), class: 'hline' }));
    root.append(svg('text', { x: M.l + pw - 4, y: Y(h.y) - 4, 'text-anchor': 'end', class: 'note' }, h.label));
  }
  const plot = svg('g');
  for (const s of o.series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && x >= o.x.min && x <= o.x.max);
    if (!pts.length) continue;
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join('');
    plot.append(
      svg('path', {
        d,
        fill: 'none',
        stroke: s.color,
        'stroke-width': s.width || 2,
        'stroke-opacity': s.opacity === undefined ? 1 : s.opacity,
        'stroke-dasharray': s.dash,
        'stroke-linejoin': 'round',
      }),
    );
  }
  root.append(plot);
  for (const v of o.vlines || []) {
    if (!(v.x >= o.x.min && v.x <= o.x.max)) continue;
    root.append(
      svg('line', {
        x1: X(v.x),
        x2: X(v.x),
        y1: M.t,
        y2: M.t + ph,
        class: v.strong ? 'vline strong' : 'vline',
        stroke: v.color,
      }),
    );
    const right = X(v.x) < M.l + pw * 0.6;
    root.append(
      svg(
        'text',
        {
          x: X(v.x) + (right ? 4 : -4),
          y: v.bottom ? M.t + ph - 6 - (v.row || 0) * 12 : M.t + 11 + (v.row || 0) * 12,
          'text-anchor': right ? 'start' : 'end',
          class: v.strong ? 'note strong' : 'note',
          fill: v.color,
        },
        v.label,
      ),
    );
  }
  for (const m of o.marks || []) {
    if (!(m.x >= o.x.min && m.x <= o.x.max)) continue;
    const cx = X(m.x);
    const cy = Y(m.y);
    root.append(
      svg('path', {
        d: `M${cx - 4},${cy - 4}L${cx + 4},${cy + 4}M${cx - 4},${cy + 4}L${cx + 4},${cy - 4}`,
        stroke: m.color,
        'stroke-width': 2,
      }),
    );
    const right = cx < M.l + pw * 0.6;
    root.append(
      svg(
        'text',
        {
          x: cx + (right ? 7 : -7),
          y: cy + (cy < M.t + 14 ? 12 : -5),
          'text-anchor': right ? 'start' : 'end',
          class: 'note',
          fill: m.color,
        },
        m.label,
      ),
    );
  }
  return el('figure', { class: 'lr-fig' }, o.title ? el('figcaption', { text: o.title }) : null, root);
}

function legend(items) {
  return el(
    'ul',
    { class: 'lr-legend' },
    ...items.map((it) => el('li', {}, swatch(it.color), el('span', { text: it.text }))),
  );
}

const chartWidth = (root) => Math.max(300, Math.min(960, (root.clientWidth || 640) - 4));

// 1. The four rates.
function ratesPanel(r, width, s) {
  const box = el(
    'section',
    { class: 'lab-panel lr-panel' },
    el('h4', { text: '1. Very high, high, good and low: the loss against the epoch' }),
    el('p', {
      class: 'muted lr-note',
      text: 'The notes’ figure: at a very high rate the loss explodes at once; at a high rate it falls fast, then bounces at a higher loss; at a low rate it creeps down from ln 10; at a good rate it falls fast and keeps falling.',
    }),
  );
  const per = r.perEpoch || 1;
  const iters = s.iterations;
  const series = [];
  const marks = [];
  const items = [];
  for (const x of r.rates) {
    const color = RATE_COLORS[x.key];
    const raw = x.losses.map((l, i) => [(i + 1) / per, l]);
    series.push({ points: raw, color, width: 1, opacity: 0.22 });
    const sm = x.smoothed || trailingMean(x.losses, r.window);
    series.push({ points: sm.map((l, i) => [(i + 1) / per, l]), color, width: 2.2 });
    let what;
    if (x.status === 'diverged') {
      const m = /exploded to ([\d.e+]+)|became (\S+)/.exec(x.message || '');
      const at = x.losses.length + 1;
      what = `diverged at iteration ${at}${m ? ` (loss ${m[1] ? fmtLoss(Number(m[1])) : m[2]})` : ''}`;
      marks.push({ x: at / per, y: Infinity, color, label: `✕ ${x.label}: diverged` });
    } else if (x.status === 'running' || x.status === undefined) what = `iteration ${x.losses.length} of ${iters}…`;
    else what = `ends at ${fmtLoss(sm[sm.length - 1])}`;
    items.push({ color, text: `${x.label} rate ${fmtRate(x.lr)}: ${what}` });
  }
  const good = r.rates.find((x) => x.key === 'good');
  const low = r.rates.find((x) => x.key === 'low');
  const vlines = [];
  if (good && good.smoothed && low && low.smoothed) {
    const k = good.smoothed.findIndex((v) => v < s.target);
    if (k >= 0 && k < low.smoothed.length)
      vlines.push({
        x: (k + 1) / per,
        color: 'currentColor',
        bottom: true,
        label: `good < ${s.target}: low still at ${low.smoothed[k].toFixed(2)}`,
      });
  }
  const yMax = 3.2;
  for (const m of marks) m.y = yMax;
  box.append(
    lineChart({
      width,
      title: `Training loss (bold: mean of the last ${r.window} iterations; faint: each batch)`,
      aria: 'Training loss against the epoch for the four learning rates',
      x: {
        min: 0,
        max: Math.max(iters / per, 1e-9),
        label: `epoch (${per} iterations of ${s.batch} images each)`,
        fmt: (v) => String(v),
      },
      y: { min: 0, max: yMax, label: 'loss' },
      series,
      hlines: [{ y: r.ln10, label: 'ln 10 ≈ 2.30: guessing' }],
      vlines,
      marks,
    }),
    legend(items),
  );
  return box;
}

// 2. The range test and the grid.
function rangePanel(r, width, s) {
  const g = r.range;
  const box = el(
    'section',
    { class: 'lab-panel lr-panel' },
    el('h4', { text: '2. The range test: the loss while the rate grows' }),
    el('p', {
      class: 'muted lr-note',
      text: 'One training, the rate a little larger at every iteration: while the rate is too small the loss stays flat; then it falls, fastest where the rate learns quickly and is still stable; past its lowest point the rate is too high, and the loss turns up and explodes.',
    }),
  );
  if (!g || !g.lrs.length) {
    box.append(el('p', { class: 'muted', text: 'Waiting for the four rates…' }));
    return box;
  }
  const top = Math.max(3, ...g.smoothed.slice(0, 20));
  const vlines = [];
  if (g.min) vlines.push({ x: g.min.lr, color: '#7f7f7f', label: `lowest ${fmtRate(g.min.lr)}`, row: 0 });
  if (g.min10 !== undefined)
    vlines.push({
      x: g.min10,
      color: '#9467bd',
      label: `÷10: ${fmtRate(g.min10)}`,
      row: 1,
      strong: g.rule === 'min10',
    });
  if (g.steepest)
    vlines.push({
      x: g.steepest.lr,
      color: '#2ca02c',
      label: `fastest fall: ${fmtRate(g.steepest.lr)}`,
      row: 2,
      strong: g.rule === 'steepest',
    });
  box.append(
    lineChart({
      width,
      title: `Loss per batch (faint) and smoothed (bold), one training of ${g.lrs.length} iterations`,
      aria: 'The range test: loss against the learning rate on a log axis',
      x: {
        min: g.from,
        max: g.to,
        log: true,
        label: 'learning rate (log scale; ×' + g.gamma.toFixed(3) + ' every iteration)',
      },
      y: { min: 0, max: top, label: 'loss' },
      series: [
        { points: g.lrs.map((x, i) => [x, g.losses[i]]), color: '#7f7f7f', width: 1, opacity: 0.45 },
        { points: g.lrs.map((x, i) => [x, g.smoothed[i]]), color: '#1f77b4', width: 2.2 },
      ],
      vlines,
    }),
  );
  if (g.suggested !== undefined)
    box.append(
      el('p', {
        class: 'lr-note',
        text: `It stopped at the rate ${fmtRate(g.lrs[g.lrs.length - 1])}: ${g.stop}. Suggestion (${g.rule === 'steepest' ? 'where the smoothed loss falls fastest' : 'one tenth of the rate at the lowest smoothed loss'}): ${fmtRate(g.suggested)}.`,
      }),
    );
  if (r.grid && r.grid.length) {
    const grid = r.grid.filter((x) => !x.suggestion);
    const best = grid.length ? grid.reduce((a, b) => (b.val.accuracy > a.val.accuracy ? b : a)) : null;
    const t = el('table', { class: 'lab-table lr-table lr-grid' });
    t.append(
      el(
        'tr',
        {},
        el('th', { text: 'Rate' }),
        el('th', { text: 'From' }),
        el('th', { text: 'Train loss', title: `training loss, mean of the last ${r.window} iterations` }),
        el('th', { text: 'Val. loss', title: 'validation loss' }),
        el('th', { text: 'Val. accuracy', title: 'validation accuracy' }),
      ),
    );
    for (const x of r.grid) {
      const bar = withVar(el('span', { class: 'bar' }), '--w', `${(100 * x.val.accuracy).toFixed(1)}%`);
      t.append(
        el(
          'tr',
          { class: x.suggestion ? 'suggestion' : x === best ? 'best' : '' },
          el('td', { text: fmtRate(x.lr) }),
          el('td', { text: x.suggestion ? 'range test' : x === best ? 'grid (best)' : 'grid' }),
          el('td', { text: x.status === 'diverged' ? 'diverged' : fmtLoss(x.loss) }),
          el('td', { text: fmtLoss(x.val.loss) }),
          el(
            'td',
            { class: 'nowrap' },
            el('span', { class: 'acc', text: pct(x.val.accuracy) }),
            el('span', { class: 'barbox' }, bar),
          ),
        ),
      );
    }
    box.append(
      el('h5', {
        text: `The notes’ grid and the suggestion, ${s.iterations} iterations each, on ${s.validation} validation images`,
      }),
      el('div', { class: 'lr-scroll' }, t),
    );
  }
  return box;
}

const SCHEDULE_WORDS = {
  constant: 'α = α₀',
  step: 'α₀ × 0.1 every third of the run',
  exponential: 'α₀e^(−kt): 100 times smaller at the end',
  inverse_time: 'α₀/(1 + kt), k = 10 / iterations',
  cosine: 'up from 0 over the first tenth, then half a cosine down to 0',
};

// 3. The schedules.
function schedulesPanel(r, width, s) {
  const box = el(
    'section',
    { class: 'lab-panel lr-panel' },
    el('h4', { text: `3. Decay over time: five schedules from the high rate ${fmtRate(s.high)}` }),
    el('p', {
      class: 'muted lr-note',
      text: 'Each schedule starts at the high rate of the first figure (cosine after a warm-up from 0) and lowers it: big steps early, small steps late, so the loss settles where the constant high rate keeps bouncing.',
    }),
  );
  if (!r.schedules || !r.schedules.length) {
    box.append(el('p', { class: 'muted', text: 'Waiting for the range test and the grid…' }));
    return box;
  }
  const per = r.perEpoch || 1;
  const half = width >= 640 ? Math.floor((width - 12) / 2) : width;
  const rateSeries = r.schedules.map((x) => ({
    points: x.lrs.map((v, i) => [i + 1, v]),
    color: SCHEDULE_COLORS[x.type],
    width: 2,
    dash: x.type === 'constant' ? '5 3' : undefined,
  }));
  const lossSeries = r.schedules.map((x) => ({
    points: (x.smoothed || trailingMean(x.losses, r.window)).map((v, i) => [i + 1, v]),
    color: SCHEDULE_COLORS[x.type],
    width: 2,
    dash: x.type === 'constant' ? '5 3' : undefined,
  }));
  const lrMax = Math.max(s.high, ...r.schedules.flatMap((x) => x.lrs)) * 1.05;
  box.append(
    el(
      'div',
      { class: 'lr-charts' },
      lineChart({
        width: half,
        title: 'The rate at every iteration, as the engine set it',
        x: { min: 0, max: s.iterations, label: 'iteration' },
        y: { min: 0, max: lrMax, label: 'learning rate', fmt: (v) => String(Number(v.toPrecision(3))) },
        series: rateSeries,
      }),
      lineChart({
        width: half,
        title: `Training loss (mean of the last ${r.window} iterations; log scale)`,
        x: { min: 0, max: s.iterations, label: `iteration (${per} per epoch)` },
        y: { min: 0.01, max: 3, log: true, label: 'loss', fmt: (v) => String(v) },
        series: lossSeries,
      }),
    ),
  );
  box.append(legend(r.schedules.map((x) => ({ color: SCHEDULE_COLORS[x.type], text: x.label }))));
  const done = r.schedules.filter((x) => x.val);
  const best = done.length ? done.reduce((a, b) => (b.val.loss < a.val.loss ? b : a)) : null;
  const t = el('table', { class: 'lab-table lr-table lr-schedules' });
  t.append(
    el(
      'tr',
      {},
      el('th', { text: 'Schedule (the engine’s preset)' }),
      el('th', { text: 'Rate: first → last' }),
      el('th', { text: 'Train loss', title: `training loss, mean of the last ${r.window} iterations` }),
      el('th', { text: 'Val. loss', title: 'validation loss' }),
      el('th', { text: 'Val. accuracy', title: 'validation accuracy' }),
    ),
  );
  for (const x of r.schedules) {
    const first = x.lrs[0];
    const last = x.lrs[x.lrs.length - 1];
    t.append(
      el(
        'tr',
        { class: x === best ? 'best' : '' },
        el(
          'td',
          {},
          swatch(SCHEDULE_COLORS[x.type]),
          el('span', { text: ` ${x.label}` }),
          el('div', { class: 'muted small', text: SCHEDULE_WORDS[x.type] }),
        ),
        el('td', { class: 'nowrap', text: x.lrs.length ? `${fmtRate(first)} → ${fmtRate(last)}` : '…' }),
        el('td', { text: x.val ? (x.status === 'diverged' ? 'diverged' : fmtLoss(x.loss)) : '…' }),
        el('td', { text: x.val ? fmtLoss(x.val.loss) : '…' }),
        el('td', { text: x.val ? pct(x.val.accuracy) : '…' }),
      ),
    );
  }
  box.append(el('div', { class: 'lr-scroll' }, t));
  return box;
}

export function render(root, r, { settings } = {}) {
  if (!r || !r.rates) return;
  const s = settings || r.settings;
  const width = chartWidth(root);
  root.replaceChildren(
    el('p', {
      class: 'lr-note',
      text: `The net: ${r.net.label} (${(r.net.params || 0).toLocaleString('en')} parameters), trained on MNIST training images 1–${s.images} with plain SGD, batches of ${s.batch}, seed ${s.seed}.${r.timing ? ` Times: rates ${r.timing.rates.toFixed(1)} s, range test ${r.timing.range.toFixed(1)} s, grid ${r.timing.grid.toFixed(1)} s, schedules ${r.timing.schedules.toFixed(1)} s.` : ''}`,
    }),
    ratesPanel(r, width, s),
    rangePanel(r, width, s),
    schedulesPanel(r, width, s),
  );
}
