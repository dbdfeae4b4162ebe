// The view of the "ensemble" experiment (lib/lab/ensemble.js): each model's test accuracy alone and
// with test-time augmentation, the mean single model, the ensemble with and without TTA (a bar each,
// on one zoomed scale), and thumbnails of the test digits the ensemble gets right although most of
// its models miss them (and the other way round), with every model's answer. Every number is the
// engine's, from this run; while it runs the table fills in model by model.
import { el } from '../../lib/dom.js';
import { paintInput } from '../draw.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, text) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};
const pct = (x) => `${(100 * x).toFixed(1)} %`;
const pts = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
const int = (n) => Number(n).toLocaleString('en-US');

// A bar of accuracy a on the scale [lo, hi] (SVG: the widget's CSP allows no inline styles).
function bar(a, lo, hi, cls) {
  const W = 160;
  const b = svg('svg', { viewBox: `0 0 ${W} 12`, class: `ens-bar ${cls}`, 'aria-hidden': 'true' });
  b.append(svg('rect', { x: 0, y: 1, width: Math.max(1, (W * (a - lo)) / (hi - lo || 1)), height: 10, class: 'fill' }));
  return b;
}

// A 28×28 test image sent as 0–255 values, painted as the Draw card paints its input.
export function thumb(pixels) {
  const c = el('canvas', { width: 28, height: 28, class: 'ens-thumb', 'aria-hidden': 'true' });
  if (c.getContext('2d'))
    paintInput(
      c,
      Float32Array.from(pixels, (v) => v / 255),
    );
  return c;
}

function table(r, running) {
  const rows = [
    ...r.members.map((m, j) => ({
      key: `m${j + 1}`,
      label: `Model ${j + 1}`,
      note: `seed ${m.seed}`,
      plain: m.accuracy,
      tta: m.tta,
      cls: 'single',
    })),
    {
      key: 'mean',
      label: 'Mean single model',
      note: `of ${r.members.length}`,
      plain: r.mean,
      tta: r.meanTta,
      cls: 'mean',
    },
  ];
  if (!running)
    rows.push({
      key: 'ensemble',
      label: 'Ensemble',
      note: `average of ${r.members.length} models' probabilities`,
      plain: r.ensemble,
      tta: r.ensembleTta,
      cls: 'ens',
    });
  // one zoomed scale for every bar: from 1 point below the lowest accuracy to 1 above the highest
  const all = rows.flatMap((x) => [x.plain, x.tta]);
  const lo = Math.max(0, Math.floor(Math.min(...all) * 100 - 1) / 100);
  const hi = Math.min(1, Math.ceil(Math.max(...all) * 100 + 1) / 100);
  const t = el('table', { class: 'lab-table ens-table' });
  t.append(
    el(
      'tr',
      {},
      el('th', { text: '' }),
      el('th', { text: 'Accuracy' }),
      el('th', { text: 'With TTA (5 views)' }),
      el('th', {
        class: 'ens-wide',
        text: `Bars from ${Math.round(100 * lo)} % to ${Math.round(100 * hi)} %: upper without, lower with TTA`,
      }),
    ),
  );
  for (const x of rows)
    t.append(
      el(
        'tr',
        { class: `ens-row ${x.cls}`, 'data-row': x.key },
        el('th', {}, el('span', { text: x.label }), el('span', { class: 'ens-note', text: x.note })),
        el('td', { text: pct(x.plain) }),
        el('td', { text: `${pct(x.tta)} (${pts(x.tta - x.plain)})` }),
        el(
          'td',
          { class: 'ens-wide' },
          el('div', { class: 'ens-bars' }, bar(x.plain, lo, hi, 'plain'), bar(x.tta, lo, hi, 'tta')),
        ),
      ),
    );
  return t;
}

function gallery(list, total, kind, r) {
  const box = el('div', { class: 'ens-gallery', 'data-kind': kind });
  for (const x of list) {
    const wrong = x.members.filter((p) => p !== x.label).length;
    box.append(
      el(
        'figure',
        {
          class: 'ens-item',
          title: `Test image ${x.index + 1}: a ${x.label}. The models say ${x.members.join(', ')}; the ensemble says ${x.predicted} (${pct(x.p)}).`,
        },
        thumb(x.pixels),
        el(
          'figcaption',
          {},
          el('span', { class: 'ens-label', text: `ensemble: ${x.predicted} (${pct(x.p)})` }),
          el('span', { class: 'ens-members', text: `models: ${x.members.join(' ')}` }),
          el('span', { class: 'ens-members', text: `a ${x.label}; ${wrong} of ${r.members.length} models wrong` }),
        ),
      ),
    );
  }
  if (!list.length) box.append(el('p', { class: 'muted', text: 'None in this run.' }));
  else if (total > list.length)
    box.append(el('p', { class: 'muted ens-more', text: `…and ${int(total - list.length)} more.` }));
  return box;
}

export function render(root, result, { settings = {} } = {}) {
  const s = result.settings || settings;
  const r = result.result;
  const running = !result.claims;
  if (!r) {
    root.replaceChildren(
      el('section', { class: 'lab-panel' }, el('p', { class: 'muted', text: 'The first model is training…' })),
    );
    return;
  }
  const first = el(
    'section',
    { class: 'lab-panel' },
    el('h4', {
      text: `1. ${r.members.length} model${r.members.length === 1 ? '' : 's'}${running ? ' so far' : ''} and their average, on ${int(r.count)} test images`,
    }),
    el('div', { class: 'ens-scroll' }, table(r, running)),
    el('p', {
      class: 'muted ens-note',
      text: running
        ? 'The ensemble is measured when every model has trained.'
        : `Each model learned the same ${int(s.train)} training images for ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} (${int(r.members[0].params)} parameters, counted by the engine); only the seed differs. TTA: each image and its shifts by one pixel left, right, up and down, probabilities averaged. ${int(r.someWrong)} test images are missed by at least one model, ${int(r.allWrong)} by all of them.`,
    }),
  );
  if (running) {
    root.replaceChildren(first);
    return;
  }
  const second = el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: `2. Right by the ensemble, wrong by most of its models: ${int(r.rescuedCount)}` }),
    gallery(r.rescued, r.rescuedCount, 'rescued', r),
    el('h4', { text: `3. Wrong by the ensemble, right by most of its models: ${int(r.lostCount)}` }),
    gallery(r.lost, r.lostCount, 'lost', r),
    el('p', {
      class: 'muted ens-note',
      text: 'Averaging helps where the models are wrong in different ways: one model’s confident right answer outweighs several hesitant wrong ones. Where they are all wrong the same way, no average can help.',
    }),
  );
  root.replaceChildren(first, second);
}
