// The view of the "gradcheck" experiment (lib/lab/gradcheck.js): per parameter tensor, the
// histogram of its entries' relative errors |a − n| / max(|a|, |n|) on a log scale against the
// thresholds (1e-7, 1e-4, 1e-2), entries with a kink within the step and those float32 cannot
// judge apart; a table per tensor (or per layer kind when every kind ran); what was broken.
// Every number is the engine's (the result).
import { el } from '../../lib/dom.js';
import { COLORS } from './charts.js';

const SVG = 'http://www.w3.org/2000/svg';
const LO = -10; // log10 of the histogram's range: 1e-10 … 10
const HI = 1;
const BINS = 22; // half decades
const KIND = { judged: COLORS[0], kink: COLORS[3], uncertain: '#999', broken: COLORS[1] };

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const sci = (x) => {
  if (!Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  return x.toExponential(1).replace('e', 'e');
};

// Stacked counts per half decade of the relative error; an exact 0 counts in the first bin.
function binned(all) {
  const entries = all.filter((e) => !(e.analytic === 0 && e.numeric === 0));
  const bins = Array.from({ length: BINS }, () => ({ judged: 0, broken: 0, kink: 0, uncertain: 0 }));
  for (const e of entries) {
    const lg = e.rel > 0 ? Math.log10(e.rel) : LO;
    const i = Math.max(0, Math.min(BINS - 1, Math.floor(((lg - LO) / (HI - LO)) * BINS)));
    bins[i][e.kink ? 'kink' : e.uncertain ? 'uncertain' : e.broken ? 'broken' : 'judged'] += 1;
  }
  return bins;
}

// A histogram of relative errors with the thresholds' lines.
function histogram(entries, { title, thresholds }) {
  const W = 300;
  const H = 110;
  const L = 16;
  const B = 26;
  const T = 14;
  const R = 14;
  const bins = binned(entries);
  const top = Math.max(1, ...bins.map((b) => b.judged + b.broken + b.kink + b.uncertain));
  const xs = (lg) => L + ((lg - LO) / (HI - LO)) * (W - L - R);
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'lab-chart gc-hist', role: 'img', 'aria-label': title });
  const bw = (W - L - R) / BINS;
  bins.forEach((b, i) => {
    let y = H - B;
    for (const [k, c] of [
      ['judged', KIND.judged],
      ['broken', KIND.broken],
      ['kink', KIND.kink],
      ['uncertain', KIND.uncertain],
    ]) {
      if (!b[k]) continue;
      const h = (b[k] / top) * (H - B - T);
      y -= h;
      s.append(
        svg('rect', {
          x: (L + i * bw + 0.5).toFixed(1),
          y: y.toFixed(1),
          width: (bw - 1).toFixed(1),
          height: h.toFixed(1),
          fill: c,
        }),
      );
    }
  });
  s.append(svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: 'currentColor', 'stroke-opacity': 0.4 }));
  for (let lg = LO; lg <= HI; lg += 2)
    s.append(
      svg(
        'text',
        { x: xs(lg), y: H - B + 11, 'text-anchor': 'middle', 'font-size': 9, fill: 'currentColor' },
        `1e${lg}`,
      ),
    );
  s.append(
    svg(
      'text',
      { x: W / 2, y: H - 3, 'text-anchor': 'middle', 'font-size': 9, fill: 'currentColor' },
      'relative error |a − n| / max(|a|, |n|)',
    ),
  );
  for (const [v, label] of [
    [thresholds.GREAT, 'great'],
    [thresholds.KINK_OK, 'kinks ok'],
    [thresholds.WRONG, 'wrong'],
  ]) {
    const x = xs(Math.log10(v));
    s.append(
      svg('line', {
        x1: x,
        x2: x,
        y1: T - 2,
        y2: H - B,
        stroke: 'currentColor',
        'stroke-dasharray': '3 2',
        'stroke-opacity': 0.6,
      }),
      svg('text', { x: x + 2, y: T - 4, 'font-size': 9, fill: 'currentColor' }, label),
    );
  }
  return s;
}

function legend(broken) {
  const item = (c, t) => {
    const i = el('span', { text: t });
    i.style.setProperty('--c', c);
    return i;
  };
  return el(
    'div',
    { class: 'lab-legend' },
    item(KIND.judged, 'judged'),
    broken ? item(KIND.broken, 'the broken tensor') : null,
    item(KIND.kink, 'kink within ±h (not judged)'),
    item(KIND.uncertain, 'unsure: above 1e-2 but within the quotient’s own uncertainty'),
  );
}

const verdict = (p, broken) => (p.passes ? 'passes' : `${p.fails} wrong${broken ? ' (broken)' : ''}`);

function tensorTable(rows, head = ['Tensor', 'Shape']) {
  const t = el('table', { class: 'lab-table gc-table' });
  t.append(
    el(
      'tr',
      {},
      ...[...head, 'Entries', 'Kinks', 'Unsure', 'Median', 'Verdict'].map((h, i) =>
        el('th', { class: i === 1 || i === 2 ? 'gc-wide' : '', text: h }),
      ),
    ),
  );
  for (const { label, p, broken } of rows)
    t.append(
      el(
        'tr',
        { class: p.passes ? 'ok' : 'bad' },
        el('th', { text: label }),
        el('td', { class: 'gc-wide', text: p.shape.join('×') }),
        el('td', { class: 'gc-wide', text: String(p.entries.length) }),
        el('td', { text: String(p.kinks) }),
        el('td', { text: String(p.uncertain) }),
        el('td', { text: sci(p.median) }),
        el('td', { class: `gc-verdict ${p.passes ? 'ok' : 'error'}`, text: verdict(p, broken) }),
      ),
    );
  return el('div', { class: 'gc-scroll' }, t);
}

// The entries on a kink: the slope left of θ and right of θ (the one-sided quotients) differ, the
// central difference is about their mean, and the analytic gradient is the slope at θ (one side's
// when one unit switches, between them when several do).
function kinkTable(params) {
  const rows = params.flatMap((p) => p.entries.filter((e) => e.kink).map((e) => ({ p, e }))).slice(0, 8);
  if (!rows.length) return null;
  const f = (v) => v.toExponential(3);
  const t = el('table', { class: 'lab-table gc-table' });
  t.append(
    el(
      'tr',
      {},
      ...['Entry', 'left slope', 'right slope', 'central n', 'analytic a', 'rel. error'].map((h) =>
        el('th', { text: h }),
      ),
    ),
  );
  for (const { p, e } of rows)
    t.append(
      el(
        'tr',
        {},
        el('th', { text: `${p.name}[${e.index}]` }),
        el('td', { text: f(e.left) }),
        el('td', { text: f(e.right) }),
        el('td', { text: f(e.numeric) }),
        el('td', { text: f(e.analytic) }),
        el('td', { text: sci(e.rel) }),
      ),
    );
  return el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: 'Kinks: where the slope changes within ±h' }),
    el('p', {
      class: 'gc-floor',
      text: 'A ReLU whose input crosses 0, or a max-pooling window whose largest value changes hands (a tie), between θ − h and θ + h: the loss bends there. The slope left of θ, (L(θ) − L(θ − h))/h, and right of it, (L(θ + h) − L(θ))/h, then differ; the central difference is about their mean, while back-propagation gives the slope at θ itself: one side’s slope when a single unit switches, somewhere between the two when several do. Neither is wrong, and the check cannot judge such an entry.',
    }),
    el('div', { class: 'gc-scroll' }, t),
  );
}

function notes(res) {
  const lines = [];
  if (res.training) lines.push('Batch normalization is checked in training mode (batch statistics), as it trains.');
  if (res.dropout)
    lines.push(
      'Dropout draws a new mask in every forward pass, so this net is checked in inference mode (dropout is the identity; batch norm, if any, uses its running statistics).',
    );
  return lines;
}

export function render(root, r, { partial } = {}) {
  const results = r.results || [];
  if (!results.length) return;
  const thresholds = r.thresholds || { GREAT: 1e-7, KINK_OK: 1e-4, WRONG: 1e-2 };
  const parts = [];
  const first = results.find((x) => !x.error && Number.isFinite(x.loss));
  if (first) {
    const noise = Math.max(...first.params.map((p) => p.noise));
    parts.push(
      el('p', {
        class: 'muted gc-floor',
        text: `float32: the engine measured the loss (${first.loss.toPrecision(4)}) to carry rounding noise of ${sci(first.lossNoise)}, so a central difference with h = ${first.h} is uncertain by about ${sci(noise)} (the double precision of the usual 1e-7 would be some 1e-9 times smaller). Entries above the 1e-2 line whose |a − n| is within 3× that uncertainty, or within 3× the gap between the one-sided quotients (the slope changing within ±h), are grey: float32 cannot judge them. Entries with both gradients exactly 0 (a unit that is off) are left out.`,
      }),
    );
  }
  const brokenOne = results.find((x) => x.broken);
  if (brokenOne)
    parts.push(
      el('p', {
        class: 'warn gc-broken',
        text: `Broken on purpose: the analytic gradient of ${results.length === 1 ? brokenOne.broken : 'the first tensor of each tested layer'} was multiplied by ${r.factor === -1 ? '−1 (a sign flip)' : r.factor === 0.5 ? '½ (a missing factor of 2)' : 'the factor'} before the comparison. The numerical gradient is the loss’s own and cannot be broken.`,
      }),
    );
  if (results.length === 1 && !results[0].error) {
    const res = results[0];
    if (res.net) parts.push(el('p', { class: 'muted gc-net', text: `The net: ${res.net}.` }));
    for (const line of notes(res)) parts.push(el('p', { class: 'muted', text: line }));
    parts.push(
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: `${res.label}: every parameter tensor` }),
        tensorTable(res.params.map((p) => ({ label: p.name, p, broken: p.name === res.broken }))),
      ),
    );
    const grid = el('div', { class: 'gc-grid' });
    for (const p of res.params)
      grid.append(
        el(
          'figure',
          { class: 'gc-cell' },
          el('figcaption', {
            text: `${p.name}${p.name === res.broken ? ' (broken)' : ''}: ${p.entries.length} entries, median ${sci(p.median)}`,
          }),
          histogram(
            p.entries.map((e) => ({ ...e, broken: p.name === res.broken })),
            { title: `relative errors of ${p.name}`, thresholds },
          ),
        ),
      );
    parts.push(
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: 'Relative errors, per tensor' }),
        grid,
        legend(!!res.broken),
      ),
    );
    const kinks = kinkTable(res.params);
    if (kinks) parts.push(kinks);
  } else {
    const rows = [];
    for (const res of results) {
      if (res.error) continue;
      // one row per layer kind: its tensors' entries together
      const entries = res.params.flatMap((p) => p.entries);
      const judged = entries.filter((e) => !e.kink && !(e.analytic === 0 && e.numeric === 0)).map((e) => e.rel);
      const fails = res.params.reduce((a, p) => a + p.fails, 0);
      rows.push({
        label: res.label,
        broken: !!res.broken,
        p: {
          shape: [`${res.params.length} tensors`],
          entries,
          kinks: res.params.reduce((a, p) => a + p.kinks, 0),
          uncertain: res.params.reduce((a, p) => a + p.uncertain, 0),
          median: judged.length ? judged.sort((a, b) => a - b)[Math.floor((judged.length - 1) / 2)] : NaN,
          fails,
          passes: fails === 0,
        },
      });
    }
    const grid = el('div', { class: 'gc-grid' });
    for (const res of results)
      grid.append(
        el(
          'figure',
          { class: 'gc-cell' },
          el('figcaption', {
            text: res.error
              ? `${res.label}: ${res.error}`
              : `${res.label}${res.training ? ' (training mode)' : ''}: ${res.params.length} tensors, ${res.params.every((p) => p.passes || p.name === res.broken) ? 'all pass' : 'some fail'}`,
          }),
          res.error
            ? el('p', { class: 'error', text: res.error })
            : histogram(
                res.params.flatMap((p) => p.entries.map((e) => ({ ...e, broken: p.name === res.broken }))),
                { title: `relative errors of ${res.label}`, thresholds },
              ),
        ),
      );
    parts.push(
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: `Relative errors, per layer kind (${results.length}${partial ? ' so far' : ''})` }),
        grid,
        legend(!!brokenOne),
      ),
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: 'Every layer kind, its tensors together' }),
        tensorTable(rows, ['Layer kind', 'Tensors']),
      ),
    );
  }
  root.replaceChildren(...parts);
}
