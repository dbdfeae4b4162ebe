// Small SVG charts for the Lab's views (they work the same in the app and in the widget's shadow
// root, and scale with their box): lines and a table-like scatter. Data in, an <svg> out.
//   lineChart([{label, values: [y...] | points: [[x, y]...], color}], {xLabel, yLabel, logX, logY, height})
//   scatterChart([{x, y, label, text, color}], {xLabel, yLabel, logX, logY, labels, xDomain, yDomain: [lo, hi] (else the
//                points'), bands: [{lo, hi, color, label}] (shaded ranges of x)})
const SVG = 'http://www.w3.org/2000/svg';
export const COLORS = ['#2f6fde', '#d1495b', '#2a9d8f', '#e9a03b', '#7b5ea7', '#8c564b', '#17becf', '#ef476f'];

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const fmt = (v) => {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-2)) return v.toExponential(0).replace('e', 'e');
  return String(Number(v.toPrecision(3)));
};

function scale(lo, hi, log, a, b) {
  if (log) {
    const l0 = Math.log10(lo);
    const l1 = Math.log10(hi);
    return (v) => a + ((Math.log10(v) - l0) / (l1 - l0 || 1)) * (b - a);
  }
  return (v) => a + ((v - lo) / (hi - lo || 1)) * (b - a);
}

function ticks(lo, hi, log) {
  if (log) {
    const out = [];
    for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); ++e) out.push(10 ** e);
    if (out.length < 2) return [lo, hi]; // a narrow range: its ends
    return out.length > 6 ? out.filter((_, i) => i % Math.ceil(out.length / 6) === 0) : out;
  }
  return [lo, (lo + hi) / 2, hi];
}

function frame(root, { W, H, L, B, T, R, xs, ys, xLabel, yLabel, logX, logY, x0, x1, y0, y1 }) {
  root.append(
    svg('rect', {
      x: L,
      y: T,
      width: W - L - R,
      height: H - T - B,
      class: 'frame',
      fill: 'none',
      stroke: 'currentColor',
      'stroke-opacity': 0.25,
    }),
  );
  for (const t of ticks(x0, x1, logX))
    root.append(
      svg(
        'text',
        { x: xs(t), y: H - B + 14, 'text-anchor': 'middle', class: 'tick', 'font-size': 10, fill: 'currentColor' },
        fmt(t),
      ),
    );
  for (const t of ticks(y0, y1, logY))
    root.append(
      svg(
        'text',
        { x: L - 4, y: ys(t) + 3, 'text-anchor': 'end', class: 'tick', 'font-size': 10, fill: 'currentColor' },
        fmt(t),
      ),
    );
  if (xLabel)
    root.append(
      svg(
        'text',
        { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle', 'font-size': 11, fill: 'currentColor' },
        xLabel,
      ),
    );
  if (yLabel)
    root.append(
      svg(
        'text',
        {
          x: 10,
          y: (T + H - B) / 2,
          'text-anchor': 'middle',
          'font-size': 11,
          fill: 'currentColor',
          transform: `rotate(-90 10 ${(T + H - B) / 2})`,
        },
        yLabel,
      ),
    );
}

function extent(vals, log) {
  const v = vals.filter((x) => Number.isFinite(x) && (!log || x > 0));
  if (!v.length) return [log ? 1 : 0, log ? 10 : 1];
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (lo === hi) {
    lo = log ? lo / 2 : lo - 1;
    hi = log ? hi * 2 : hi + 1;
  }
  return [lo, hi];
}

// An <svg> with its frame, ticks and labels for values xv, yv; the scales xs, ys and the y range.
function axes(xv, yv, { xLabel, yLabel, logX, logY, height, yMax, xDomain, yDomain }) {
  const W = 480;
  const H = height;
  const L = 44;
  const B = 32;
  const T = 8;
  const R = 10;
  const [x0, x1] = xDomain || extent(xv, logX);
  let [y0, y1] = yDomain || extent(yv, logY);
  if (yMax !== undefined) y1 = Math.min(y1, yMax);
  const xs = scale(x0, x1, logX, L, W - R);
  const ys = scale(y0, y1, logY, H - B, T);
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'lab-chart',
    role: 'img',
    'aria-label': `${yLabel} against ${xLabel}`,
  });
  frame(root, { W, H, L, B, T, R, xs, ys, xLabel, yLabel, logX, logY, x0, x1, y0, y1 });
  return { root, xs, ys, y0, y1 };
}

export function lineChart(series, { xLabel = '', yLabel = '', logX = false, logY = false, height = 200, yMax } = {}) {
  const pts = series.map((s) => s.points || s.values.map((y, i) => [i + 1, y]));
  const { root, xs, ys, y0, y1 } = axes(
    pts.flat().map((p) => p[0]),
    pts.flat().map((p) => p[1]),
    { xLabel, yLabel, logX, logY, height, yMax },
  );
  series.forEach((s, k) => {
    const color = s.color || COLORS[k % COLORS.length];
    const d = pts[k]
      .filter(([x, y]) => Number.isFinite(y) && (!logY || y > 0) && (!logX || x > 0))
      .map(([x, y]) => `${xs(x).toFixed(1)},${ys(Math.min(Math.max(y, y0), y1)).toFixed(1)}`)
      .join(' ');
    if (d) root.append(svg('polyline', { points: d, fill: 'none', stroke: color, 'stroke-width': 1.6 }));
  });
  const legend = document.createElement('div');
  legend.className = 'lab-legend';
  series.forEach((s, k) => {
    const item = document.createElement('span');
    item.style.setProperty('--c', s.color || COLORS[k % COLORS.length]);
    item.textContent = s.label;
    legend.append(item);
  });
  const box = document.createElement('figure');
  box.className = 'lab-figure';
  box.append(root, legend);
  return box;
}

// labels: each point's `text` (a short name) is written beside it.
export function scatterChart(
  points,
  {
    xLabel = '',
    yLabel = '',
    logX = false,
    logY = false,
    height = 200,
    labels = false,
    xDomain,
    yDomain,
    bands = [],
  } = {},
) {
  const { root, xs, ys, y0, y1 } = axes(
    points.map((p) => p.x),
    points.map((p) => p.y),
    { xLabel, yLabel, logX, logY, height, xDomain, yDomain },
  );
  for (const b of bands) {
    const a = xs(b.lo);
    const r = svg('rect', {
      x: a,
      y: ys(y1),
      width: Math.max(1, xs(b.hi) - a),
      height: ys(y0) - ys(y1),
      fill: b.color || COLORS[0],
      'fill-opacity': 0.12,
      class: 'band',
    });
    if (b.label) r.append(svg('title', {}, b.label));
    root.append(r);
  }
  const placed = []; // the labels' boxes so far
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    const c = svg('circle', { cx: xs(p.x), cy: ys(p.y), r: 5, fill: p.color || COLORS[0], 'fill-opacity': 0.8 });
    if (p.label) c.append(svg('title', {}, p.label));
    root.append(c);
    if (labels && p.text) {
      // beside the point; on its left in the right third of the chart, where the text would not fit;
      // moved down a line while it would overlap a label already placed (points at the same spot)
      const left = xs(p.x) > (2 * Number(root.getAttribute('viewBox').split(' ')[2])) / 3;
      const w = 6 * p.text.length;
      const x0 = left ? xs(p.x) - 7 - w : xs(p.x) + 7;
      let y = ys(p.y) + 3;
      while (placed.some((b) => x0 < b.x + b.w && b.x < x0 + w && Math.abs(b.y - y) < 11)) y += 11;
      placed.push({ x: x0, y, w });
      root.append(
        svg(
          'text',
          {
            x: xs(p.x) + (left ? -7 : 7),
            y,
            'text-anchor': left ? 'end' : 'start',
            'font-size': 10,
            fill: 'currentColor',
            class: 'point-label',
          },
          p.text,
        ),
      );
    }
  }
  const box = document.createElement('figure');
  box.className = 'lab-figure';
  box.append(root);
  return box;
}
