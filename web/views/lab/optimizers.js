// The view of the "optimizers" experiment (lib/lab/optimizers.js): each surface as contour lines with
// the engine's paths of the optimizers drawn step by step (Replay animates them again), and the MNIST
// loss curves side by side.
import { el } from '../../lib/dom.js';
import { lineChart, COLORS } from './charts.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};
const FRAME_MS = 30;

// Contours by marching squares on the experiment's grid of f values ((n + 1) × (n + 1) over the
// box, row by row from y0): line segments where f crosses each level.
function contours({ n, values }, [x0, x1, y0, y1], levels, X, Y) {
  const segs = [];
  const at = (i, j) => [x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * j) / n];
  const f = (i, j) => values[j * (n + 1) + i];
  for (const lv of levels)
    for (let i = 0; i < n; ++i)
      for (let j = 0; j < n; ++j) {
        const c = [
          [i, j],
          [i + 1, j],
          [i + 1, j + 1],
          [i, j + 1],
        ];
        const v = c.map(([a, b]) => f(a, b) - lv);
        const pts = [];
        for (let k = 0; k < 4; ++k) {
          const a = v[k];
          const b = v[(k + 1) % 4];
          if (a < 0 !== b < 0) {
            const t = a / (a - b);
            const p = at(...c[k]);
            const q = at(...c[(k + 1) % 4]);
            pts.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
          }
        }
        if (pts.length >= 2)
          segs.push(
            `M${X(pts[0][0]).toFixed(1)},${Y(pts[0][1]).toFixed(1)}L${X(pts[1][0]).toFixed(1)},${Y(pts[1][1]).toFixed(1)}`,
          );
      }
  return segs.join('');
}

// Contour levels spread over the surface's values (quantiles, so a ravine gets lines near its floor).
function levelsOf(values, count = 9) {
  const v = Float64Array.from(values).sort();
  return Array.from({ length: count }, (_, k) => v[Math.floor(((k + 0.5) / count) ** 2 * (v.length - 1))]);
}

function surfacePanel(name, s) {
  const [x0, x1, y0, y1] = s.box;
  const W = 460;
  const H = Math.round(Math.min(300, Math.max(160, ((W * (y1 - y0)) / (x1 - x0)) * (name === 'ravine' ? 2.5 : 1))));
  const X = (x) => ((x - x0) / (x1 - x0)) * W;
  const Y = (y) => H - ((y - y0) / (y1 - y0)) * H;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'lab-surface',
    role: 'img',
    'aria-label': `Paths on ${s.label}`,
  });
  root.append(
    svg('path', {
      d: contours(s.grid, s.box, levelsOf(s.grid.values), X, Y),
      fill: 'none',
      stroke: 'currentColor',
      'stroke-opacity': 0.25,
    }),
  );
  root.append(svg('circle', { cx: X(s.start[0]), cy: Y(s.start[1]), r: 4, fill: 'currentColor' }));
  const lines = s.paths.map((p, k) => {
    const line = svg('polyline', {
      fill: 'none',
      stroke: COLORS[k % COLORS.length],
      'stroke-width': 1.8,
      'stroke-linejoin': 'round',
    });
    root.append(line);
    return {
      line,
      pts: p.points.map(([x, y]) => [
        X(Math.max(x0 - 1, Math.min(x1 + 1, x))),
        Y(Math.max(y0 - 1, Math.min(y1 + 1, y))),
      ]),
    };
  });
  let frame = 0;
  let timer = 0;
  const total = Math.max(...lines.map((l) => l.pts.length));
  const draw = (upTo) => {
    for (const l of lines)
      l.line.setAttribute(
        'points',
        l.pts
          .slice(0, upTo + 1)
          .map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`)
          .join(' '),
      );
  };
  const play = () => {
    clearInterval(timer);
    frame = 0;
    timer = setInterval(() => {
      if (!root.isConnected || frame >= total) return clearInterval(timer);
      frame += 1;
      draw(frame);
    }, FRAME_MS);
  };
  const legend = el('div', { class: 'lab-legend' });
  s.paths.forEach((p, k) => {
    const item = el('span', { text: p.label });
    item.style.setProperty('--c', COLORS[k % COLORS.length]);
    legend.append(item);
  });
  draw(0);
  queueMicrotask(play);
  return el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: `On ${s.label}` }),
    root,
    legend,
    el('div', { class: 'row lab-controls' }, el('button', { type: 'button', text: 'Replay', onclick: play })),
  );
}

export function render(root, r, { partial } = {}) {
  // partial results while MNIST trains: the paths are drawn (and animating) already, only the curves change
  let paths = root.querySelector(':scope > .lab-paths');
  let curves = root.querySelector(':scope > .lab-curves');
  if (!paths || !partial || paths.childElementCount !== Object.keys(r.surfaces || {}).length) {
    paths = el('div', { class: 'lab-paths' });
    for (const [name, s] of Object.entries(r.surfaces || {})) paths.append(surfacePanel(name, s));
    curves = el('div', { class: 'lab-curves' });
    root.replaceChildren(paths, curves);
  }
  if (r.curves && r.curves.length)
    curves.replaceChildren(
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: 'The same optimizers training a small CNN on MNIST' }),
        lineChart(
          r.curves.map((c) => ({ label: c.label, values: c.losses })),
          { xLabel: 'iteration', yLabel: 'loss', logY: true },
        ),
      ),
    );
}
