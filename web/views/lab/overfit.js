// The view of the "overfit" experiment (lib/lab/overfit.js): the gap opening without
// regularization (training and validation accuracy per epoch, the gap shaded), one small chart per
// regularizer with the unregularized validation curve for reference, and a table of every variant's
// final training and validation accuracy and gap (a bar against the unregularized gap). Every
// number is the engine's, from this run; while it runs the charts fill in epoch by epoch.
import { el } from '../../lib/dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, text) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};
const pct = (x) => `${(100 * x).toFixed(1)} %`;
const pts = (x) => `${(100 * x).toFixed(1)}`;
const int = (n) => Number(n).toLocaleString('en-US');

// Accuracy against epoch: lines for the training (solid) and validation (dashed) accuracy, the gap
// between them shaded, optionally a reference validation curve (grey) and a marker at an epoch.
function chart({ epochs, ref, yMin, xMax, title, big, marker }) {
  const W = big ? 380 : 260,
    H = big ? 200 : 150,
    Lm = 36,
    R = 10,
    T = 8,
    B = 28;
  const pw = W - Lm - R,
    ph = H - T - B;
  const x = (e) => Lm + ((e - 1) / Math.max(1, xMax - 1)) * pw;
  const y = (v) => T + (1 - (Math.max(v, yMin) - yMin) / (1 - yMin)) * ph;
  const last = epochs[epochs.length - 1];
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: `ovf-chart${big ? ' big' : ''}`,
    role: 'img',
    'aria-label': last
      ? `${title}: after epoch ${last.epoch}, training ${pct(last.train)}, validation ${pct(last.val)}`
      : `${title}: not trained yet`,
  });
  root.append(svg('rect', { x: Lm, y: T, width: pw, height: ph, class: 'frame' }));
  const step = 1 - yMin > 0.3 ? 0.1 : 0.05;
  for (let v = Math.ceil(yMin / step - 1e-9) * step; v <= 1 + 1e-9; v += step) {
    root.append(svg('line', { x1: Lm, x2: Lm + pw, y1: y(v), y2: y(v), class: 'grid' }));
    root.append(svg('text', { x: Lm - 4, y: y(v) + 3, 'text-anchor': 'end', class: 'tick' }, `${Math.round(100 * v)}`));
  }
  const xs = [1, xMax];
  if (xMax >= 10) xs.splice(1, 0, Math.round(xMax / 2));
  for (const e of xs)
    root.append(svg('text', { x: x(e), y: T + ph + 12, 'text-anchor': 'middle', class: 'tick' }, String(e)));
  root.append(svg('text', { x: Lm + pw / 2, y: H - 3, 'text-anchor': 'middle', class: 'axis' }, 'epoch'));
  const yl = svg('text', { x: 9, y: T + ph / 2, 'text-anchor': 'middle', class: 'axis' }, 'accuracy %');
  yl.setAttribute('transform', `rotate(-90 9 ${T + ph / 2})`);
  root.append(yl);
  const line = (pts, cls) =>
    pts.length &&
    root.append(svg('polyline', { points: pts.map(([a, b]) => `${x(a)},${y(b)}`).join(' '), class: cls }));
  if (epochs.length) {
    const top = epochs.map((e) => `${x(e.epoch)},${y(e.train)}`);
    const bottom = epochs.map((e) => `${x(e.epoch)},${y(e.val)}`).reverse();
    root.append(svg('polygon', { points: [...top, ...bottom].join(' '), class: 'gap' }));
  }
  if (ref)
    line(
      ref.map((e) => [e.epoch, e.val]),
      'ref',
    );
  line(
    epochs.map((e) => [e.epoch, e.train]),
    'train',
  );
  line(
    epochs.map((e) => [e.epoch, e.val]),
    'val',
  );
  if (marker) {
    root.append(svg('line', { x1: x(marker.epoch), x2: x(marker.epoch), y1: T, y2: T + ph, class: 'marker' }));
    root.append(
      svg(
        'text',
        {
          x: x(marker.epoch) + (marker.epoch > xMax / 2 ? -3 : 3),
          y: T + 11,
          class: 'mark-label',
          'text-anchor': marker.epoch > xMax / 2 ? 'end' : 'start',
        },
        marker.label,
      ),
    );
  }
  if (last && big) {
    // the gap at the last epoch, written beside it
    const gx = x(last.epoch) - 4;
    root.append(
      svg(
        'text',
        { x: gx, y: (y(last.train) + y(last.val)) / 2 + 4, 'text-anchor': 'end', class: 'gap-label' },
        `gap ${pts(last.train - last.val)} points`,
      ),
    );
  }
  return root;
}

function legend(withRef) {
  const item = (cls, text) =>
    el(
      'span',
      { class: 'ovf-key' },
      el('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }),
      el('span', { text }),
    );
  return el(
    'p',
    { class: 'ovf-legend' },
    item('train', 'training images'),
    item('val', 'validation images'),
    item('gap', 'the gap'),
    withRef ? item('ref', 'validation without regularization') : null,
  );
}

function table(runs, current) {
  const base = runs.find((r) => r.key === 'none');
  const maxGap = Math.max(0.01, ...runs.map((r) => r.gap));
  const t = el('table', { class: 'lab-table ovf-table' });
  t.append(
    el(
      'tr',
      {},
      el('th', { text: 'Variant' }),
      el('th', { text: 'Training' }),
      el('th', { text: 'Validation' }),
      el('th', { text: 'Gap (points)' }),
      el('th', { class: 'ovf-wide', text: 'Best validation (epoch)' }),
      el('th', { class: 'ovf-wide', text: 'Epochs (time)' }),
    ),
  );
  for (const r of runs) {
    const better = base && r !== base ? (base.gap - r.gap >= 0.01 ? 'narrower' : 'not-narrower') : '';
    // the gap as a bar (SVG: the widget's CSP allows no inline styles), the unregularized gap a tick
    const BW = 110;
    const bar = svg('svg', { viewBox: `0 0 ${BW} 12`, class: `ovf-bar ${better}`, 'aria-hidden': 'true' });
    bar.append(svg('rect', { x: 0, y: 1, width: Math.max(0, (BW * r.gap) / maxGap), height: 10, class: 'fill' }));
    if (base) {
      const bx = Math.min(BW - 1, (BW * base.gap) / maxGap);
      bar.append(svg('line', { x1: bx, x2: bx, y1: 0, y2: 12, class: 'tick' }));
    }
    t.append(
      el(
        'tr',
        { 'data-variant': r.key },
        el(
          'th',
          {},
          el('span', { text: r.label }),
          r.setting ? el('span', { class: 'ovf-setting', text: r.setting }) : null,
        ),
        el('td', { text: pct(r.train) }),
        el('td', { text: pct(r.val) }),
        el('td', { class: 'ovf-gapcell' }, el('span', { text: pts(r.gap) }), bar),
        el('td', { class: 'ovf-wide', text: `${pct(r.best.val)} (${r.best.epoch})` }),
        el('td', {
          class: 'ovf-wide',
          text: `${r.epochs.length}${r.status === 'early_stopped' ? ', stopped' : ''} (${r.seconds.toFixed(1)} s)`,
        }),
      ),
    );
  }
  if (current)
    t.append(
      el(
        'tr',
        { class: 'ovf-pending' },
        el('th', { text: current.label }),
        el('td', { colspan: 5, text: `training… epoch ${current.epochs.length}` }),
      ),
    );
  return t;
}

export function render(root, result, { settings = {} } = {}) {
  const s = result.settings || settings;
  const runs = result.runs || [];
  const current = result.current || null;
  const all = current ? [...runs, current] : runs;
  const epochs = s.epochs || Math.max(2, ...all.map((r) => r.epochs.length));
  let lo = 1;
  for (const r of all) for (const e of r.epochs) lo = Math.min(lo, e.val, e.train);
  const yMin = Math.max(0, Math.floor((all.some((r) => r.epochs.length) ? lo : 0.5) * 10 - 1e-9) / 10);
  const base = all.find((r) => r.key === 'none');
  const baseDone = runs.find((r) => r.key === 'none');

  const first = el(
    'section',
    { class: 'lab-panel ovf-first' },
    el('h4', { text: `1. The gap opens: no regularization, ${int(s.train)} training images` }),
    chart({ epochs: base ? base.epochs : [], yMin, xMax: epochs, title: 'No regularization', big: true }),
    legend(false),
    el('p', {
      class: 'muted ovf-note',
      text: baseDone
        ? `After ${baseDone.epochs.length} epochs the net (${int(baseDone.params)} parameters, counted by the engine) gets ${pct(baseDone.train)} of its ${int(s.train)} training images right and ${pct(baseDone.val)} of ${int(s.validation)} images it never saw: the gap is ${pts(baseDone.gap)} points.`
        : 'Training without regularization: the training accuracy (solid) climbs faster than the validation accuracy (dashed).',
    }),
  );

  const small = el('div', { class: 'ovf-grid' });
  for (const r of all) {
    if (r.key === 'none') continue;
    const done = runs.includes(r);
    const marker =
      done && r.key === 'early' ? { epoch: r.best.epoch, label: `best, restored (${r.best.epoch})` } : null;
    small.append(
      el(
        'figure',
        { class: 'ovf-fig', 'data-variant': r.key },
        chart({ epochs: r.epochs, ref: baseDone ? baseDone.epochs : null, yMin, xMax: epochs, title: r.label, marker }),
        el('figcaption', {
          text: done
            ? `${r.label}${r.setting ? ` (${r.setting})` : ''}: gap ${pts(r.gap)} points, validation ${pct(r.val)}`
            : `${r.label}: training…`,
        }),
      ),
    );
  }
  const second = el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: '2. Each regularizer alone' }),
    small.children.length
      ? small
      : el('p', { class: 'muted', text: 'The regularizers train after the unregularized net.' }),
    small.children.length ? legend(true) : null,
  );

  const third = el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: '3. The gap and the validation accuracy they give' }),
    el('div', { class: 'ovf-scroll' }, table(runs, current)),
    el('p', {
      class: 'muted ovf-note',
      text: 'The gap is the training accuracy minus the validation accuracy of the model as it ends (early stopping: the restored epoch). Green bars are at least 1 point narrower than the unregularized gap (the black tick).',
    }),
  );
  root.replaceChildren(first, second, third);
}
