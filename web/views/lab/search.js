// The view of the "search" experiment (lib/lab/search.js): how many workers run the trials, the
// validation accuracy of every trial against the learning rate and against the L2 strength (log
// scales; grid, random and fine trials in three colours), filling in as the trials end, the
// measured speed-up when asked for, and a table of every trial, sortable by any column and
// downloadable as CSV.
import { el } from '../../lib/dom.js';
import { Lab } from '../../lib/lab/index.js';
import { downloadBytes } from '../../lib/download.js';
import { scatterChart, COLORS } from './charts.js';

const ROUNDS = [
  ['grid', 'grid (coarse)', COLORS[0]],
  ['random', 'random (coarse)', COLORS[1]],
  ['fine', 'random (fine)', COLORS[2]],
];
const colorOf = (round) => (ROUNDS.find((r) => r[0] === round) || ROUNDS[0])[2];
const pct = (x) => `${(100 * x).toFixed(1)} %`;
const sci = (x) => (Number.isFinite(x) ? x.toExponential(2) : '–');
const ok = (t) => t.status === 'ok';

// The table's columns (the accuracy first after the round: what a narrow screen shows without
// scrolling): header, value for sorting, text shown.
const COLUMNS = [
  { key: 'index', label: '#', value: (t) => t.index, text: (t) => String(t.index) },
  { key: 'round', label: 'round', value: (t) => t.round, text: (t) => t.round },
  {
    key: 'accuracy',
    label: 'validation accuracy',
    value: (t) => (ok(t) ? t.accuracy : -1),
    text: (t) => (ok(t) ? pct(t.accuracy) : '–'),
  },
  { key: 'lr', label: 'learning rate', value: (t) => t.params.lr, text: (t) => sci(t.params.lr) },
  { key: 'l2', label: 'L2', value: (t) => t.params.l2, text: (t) => sci(t.params.l2) },
  { key: 'status', label: 'status', value: (t) => t.status, text: (t) => t.status },
  {
    key: 'loss',
    label: 'validation loss',
    value: (t) => (ok(t) ? t.loss : Infinity),
    text: (t) => (ok(t) ? t.loss.toFixed(4) : '–'),
  },
  {
    key: 'seconds',
    label: 'seconds',
    value: (t) => t.seconds,
    text: (t) => t.seconds.toFixed(2),
  },
];

const sortOf = new WeakMap(); // root -> {key, dir}: the table's order survives the redraws

export function csv(rows) {
  const cell = (v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const head = ['trial', 'round', 'lr', 'l2', 'status', 'val_accuracy', 'val_loss', 'seconds', 'message'];
  const lines = rows.map((t) =>
    [
      t.index,
      t.round,
      String(t.params.lr),
      String(t.params.l2),
      t.status,
      ok(t) ? String(t.accuracy) : '',
      ok(t) ? String(t.loss) : '',
      String(t.seconds),
      t.message || '',
    ]
      .map((v) => cell(String(v)))
      .join(','),
  );
  return [head.join(','), ...lines].join('\n') + '\n';
}

function table(root, r, draw) {
  const sort = sortOf.get(root) || { key: 'accuracy', dir: -1 };
  const col = COLUMNS.find((c) => c.key === sort.key);
  // ties in the order of the search's ranking (accuracy, then loss: CnnLab.ranked, as search.h)
  const ranked = Lab.ranked(r.rows);
  const rank = new Map(ranked.map((t, i) => [t, i]));
  const best = ok(ranked[0] || {}) ? ranked[0] : null;
  const rows = r.rows.slice().sort((a, b) => {
    const x = col.value(a);
    const y = col.value(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sort.dir || rank.get(a) - rank.get(b);
  });
  const head = el(
    'tr',
    {},
    ...COLUMNS.map((c) =>
      el(
        'th',
        { 'aria-sort': c.key === sort.key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none' },
        el('button', {
          type: 'button',
          class: 'lab-sort',
          text: `${c.label}${c.key === sort.key ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''}`,
          title: `Sort by ${c.label}`,
          onclick: () => {
            sortOf.set(root, { key: c.key, dir: c.key === sort.key ? -sort.dir : c.key === 'accuracy' ? -1 : 1 });
            draw();
          },
        }),
      ),
    ),
  );
  const t = el('table', { class: 'lab-table search-table' }, el('thead', {}, head));
  const body = el('tbody');
  for (const row of rows)
    body.append(
      el(
        'tr',
        { class: row === best ? 'best' : ok(row) ? '' : 'failed', title: row.message || '' },
        ...COLUMNS.map((c) => el('td', { text: c.text(row) })),
      ),
    );
  t.append(body);
  return el('div', { class: 'search-table-box' }, t);
}

export function render(root, r, { partial } = {}) {
  if (!r || !r.rows) return;
  const draw = () => render(root, r, { partial });
  const done = r.rows.filter(ok);
  const failed = r.rows.length - done.length;
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency;
  const parts = [];
  parts.push(
    el('p', {
      class: 'lab-note search-workers',
      text: r.parallel
        ? `Trials run on ${r.engine}${cores ? ` (this browser reports ${cores} logical cores)` : ''}: ${r.rows.length} of ${r.trials} trials done${r.seconds ? ` in ${r.seconds.toFixed(1)} s` : ''}.`
        : `Trials run one after another in ${r.engine}: ${r.rows.length} of ${r.trials} done.`,
    }),
  );
  if (r.timing)
    parts.push(
      el('p', {
        class: 'lab-note search-speedup',
        text: `Speed-up measured: the same ${r.timing.trials} coarse trials took ${r.timing.oneSeconds.toFixed(1)} s on 1 worker and ${r.timing.seconds.toFixed(1)} s on ${r.timing.workers} (wall time, both run again after the search): a speed-up of ${r.timing.speedup.toFixed(2)}×.`,
      }),
    );
  const points = (key) =>
    done.map((t) => ({
      x: t.params[key],
      y: t.accuracy,
      color: colorOf(t.round),
      label: `#${t.index} ${t.round}: learning rate ${sci(t.params.lr)}, L2 ${sci(t.params.l2)}: ${pct(t.accuracy)}`,
    }));
  // the axes span the coarse search's ranges and accuracies 0…1: they stay put while trials come in
  const domain = (name) => {
    const d = r.space.find((x) => x.name === name);
    return [d.lo, d.hi];
  };
  // the fine round's narrowed range, shaded once the coarse round has ended
  const band = (name) => {
    const d = r.fineSpace && r.fineSpace.find((x) => x.name === name);
    return d ? [{ lo: d.lo, hi: d.hi, color: colorOf('fine'), label: `fine round: ${sci(d.lo)}…${sci(d.hi)}` }] : [];
  };
  const legend = el(
    'div',
    { class: 'lab-legend' },
    ...ROUNDS.map(([, label, c]) => el('span', { style: `--c: ${c}`, text: label })),
    r.fineSpace
      ? el('span', { class: 'band-key', style: `--c: ${colorOf('fine')}`, text: 'the fine round’s range' })
      : null,
  );
  parts.push(
    el(
      'div',
      { class: 'search-plots' },
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: 'Validation accuracy against the learning rate' }),
        scatterChart(points('lr'), {
          xLabel: 'learning rate (log scale)',
          yLabel: 'validation accuracy',
          logX: true,
          xDomain: domain('lr'),
          yDomain: [0, 1],
          bands: band('lr'),
        }),
      ),
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: 'Validation accuracy against the L2 strength' }),
        scatterChart(points('l2'), {
          xLabel: 'L2 strength (log scale)',
          yLabel: 'validation accuracy',
          logX: true,
          xDomain: domain('l2'),
          yDomain: [0, 1],
          bands: band('l2'),
        }),
      ),
    ),
    legend,
  );
  if (failed)
    parts.push(
      el('p', {
        class: 'lab-note',
        text: `${failed} trial${failed > 1 ? 's' : ''} did not finish (${[...new Set(r.rows.filter((t) => !ok(t)).map((t) => t.status))].join(', ')}): not plotted, in the table with the engine’s message (hover the row).`,
      }),
    );
  if (r.fineSpace) {
    const d = (name) => r.fineSpace.find((x) => x.name === name);
    parts.push(
      el('p', {
        class: 'lab-note',
        text: `Fine round’s ranges: learning rate ${sci(d('lr').lo)}…${sci(d('lr').hi)}, L2 ${sci(d('l2').lo)}…${sci(d('l2').hi)}.`,
      }),
    );
  }
  const download = el('button', {
    type: 'button',
    class: 'search-csv',
    text: 'Download CSV',
    disabled: !r.rows.length,
    onclick: () => downloadBytes(new TextEncoder().encode(csv(r.rows)), 'search-trials.csv', 'text/csv'),
  });
  parts.push(
    el(
      'section',
      { class: 'lab-panel' },
      el(
        'div',
        { class: 'row search-table-head' },
        el('h4', { text: `Every trial (${r.rows.length}${partial ? ` of ${r.trials}` : ''})` }),
        download,
      ),
      table(root, r, draw),
    ),
  );
  root.replaceChildren(...parts);
}
