// The view of the "init" experiment (lib/lab/init.js): for every configuration, the standard
// deviation of each layer's activations and of the gradients flowing back (log scale), and the mean
// of the activations; for the configuration the student picked, the histogram of every layer's
// activations and gradients, as the notes draw them.
import { el } from '../../lib/dom.js';
import { lineChart, COLORS } from './charts.js';

const SVG = 'http://www.w3.org/2000/svg';

// A small histogram: bars of fractions over [lo, hi].
function bars(h, title, color) {
  const W = 120;
  const H = 56;
  const s = document.createElementNS(SVG, 'svg');
  s.setAttribute('viewBox', `0 0 ${W} ${H + 12}`);
  s.setAttribute('class', 'lab-hist');
  s.setAttribute('role', 'img');
  s.setAttribute('aria-label', title);
  const top = Math.max(...h.counts, 1e-9);
  const bw = W / h.counts.length;
  h.counts.forEach((c, i) => {
    const r = document.createElementNS(SVG, 'rect');
    const bh = (c / top) * H;
    r.setAttribute('x', (i * bw).toFixed(2));
    r.setAttribute('y', (H - bh).toFixed(2));
    r.setAttribute('width', Math.max(0.5, bw - 0.6).toFixed(2));
    r.setAttribute('height', bh.toFixed(2));
    r.setAttribute('fill', color);
    s.append(r);
  });
  const t = document.createElementNS(SVG, 'text');
  t.setAttribute('x', 0);
  t.setAttribute('y', H + 11);
  t.setAttribute('font-size', 9);
  t.setAttribute('fill', 'currentColor');
  t.textContent = `${Number(h.lo.toPrecision(2))} … ${Number(h.hi.toPrecision(2))}`;
  s.append(t);
  return s;
}

export function render(root, r, { settings } = {}) {
  const results = r.results || [];
  if (!results.length) return;
  const series = (what) =>
    results.map((c, k) => ({
      label: c.label,
      points: c.layers.map((l) => [l.layer, l[what].std]),
      color: COLORS[k % COLORS.length],
    }));
  const parts = [
    el(
      'section',
      { class: 'lab-panel' },
      el('h4', { text: 'Standard deviation of each layer’s activations (forward)' }),
      lineChart(series('act'), { xLabel: 'layer', yLabel: 'std of activations', logY: true }),
    ),
    el(
      'section',
      { class: 'lab-panel' },
      el('h4', { text: 'Standard deviation of the gradient flowing into each layer (backward)' }),
      lineChart(series('grad'), { xLabel: 'layer', yLabel: 'std of dL/da', logY: true }),
    ),
  ];
  const shown = results.find((c) => c.layers[0].actHist) || null;
  if (shown) {
    const grid = el('div', { class: 'lab-hists' });
    for (const l of shown.layers)
      grid.append(
        el(
          'figure',
          { class: 'lab-hist-cell' },
          el('figcaption', {
            text: `layer ${l.layer}: mean ${l.act.mean.toFixed(3)}, std ${Number(l.act.std.toPrecision(3))}`,
          }),
          bars(l.actHist, `activations of layer ${l.layer}`, COLORS[0]),
          bars(l.gradHist, `gradients into layer ${l.layer}`, COLORS[1]),
        ),
      );
    parts.push(
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: `Histograms, ${shown.label}: activations (blue) and gradients (red) of every layer` }),
        grid,
      ),
    );
  } else if (settings) {
    parts.push(el('p', { class: 'muted', text: 'The histograms come when the chosen configuration has run.' }));
  }
  root.replaceChildren(...parts);
}
