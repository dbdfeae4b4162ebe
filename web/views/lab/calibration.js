// The view of the "calibration" experiment (lib/lab/calibration.js): the reliability diagrams
// before and after temperature scaling (views/calibration.js draws them, as for the app's
// calibration card) with the ECE, then the model's answers on generated non-digits: per kind how
// often it is more than 90 % sure, before and after scaling, and what the page's verdict says, with
// thumbnails of the surest ones; and the ten probabilities of its surest non-digit. Every number is
// the engine's, from this run.
import { el } from '../../lib/dom.js';
import { diagram } from '../calibration.js';
import { thumb } from './ensemble.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, text) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};
const pct = (x, d = 1) => `${(100 * x).toFixed(d)} %`;
const int = (n) => Number(n).toLocaleString('en-US');

const VERDICT = { digit: 'a digit', unsure: 'unsure', 'not-a-digit': 'not a digit' };
const REASON = {
  empty: 'empty',
  blob: 'a blob',
  pieces: 'pieces',
  holes: 'holes',
  ends: 'stroke ends',
  flat: 'flat',
  distance: 'features far from digits',
  confidence: 'low confidence',
};

// The ten probabilities of one input as bars (0–9), the top one marked.
function probBars(probs) {
  const W = 300,
    H = 130,
    L = 30,
    B = 20,
    T = 14;
  const bw = (W - L) / probs.length;
  const y = (v) => T + (1 - v) * (H - T - B);
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'cal-probs',
    role: 'img',
    'aria-label': `its ten probabilities: ${probs.map((p, i) => `${i}: ${pct(p)}`).join(', ')}`,
  });
  let top = 0;
  probs.forEach((p, i) => {
    if (p > probs[top]) top = i;
  });
  for (const t of [0, 0.5, 1])
    root.append(svg('text', { x: L - 4, y: y(t) + 3, 'text-anchor': 'end', class: 'tick' }, `${100 * t}`));
  root.append(svg('line', { x1: L, x2: W, y1: y(0), y2: y(0), class: 'axis-line' }));
  probs.forEach((p, i) => {
    const x = L + i * bw;
    root.append(
      svg('rect', {
        x: x + 3,
        y: y(p),
        width: bw - 6,
        height: Math.max(0.5, y(0) - y(p)),
        class: i === top ? 'bar top' : 'bar',
      }),
    );
    root.append(svg('text', { x: x + bw / 2, y: H - 5, 'text-anchor': 'middle', class: 'tick' }, String(i)));
    if (i === top) {
      // beside the first and last bars the label runs inward (it would cross the axis or the edge)
      const [lx, anchor] =
        i < 2 ? [x + 3, 'start'] : i > probs.length - 3 ? [x + bw - 3, 'end'] : [x + bw / 2, 'middle'];
      root.append(svg('text', { x: lx, y: y(p) - 3, 'text-anchor': anchor, class: 'val' }, pct(p, 2)));
    }
  });
  return root;
}

function kindsTable(kinds, sure) {
  const t = el('table', { class: 'lab-table cal-table' });
  t.append(
    el(
      'tr',
      {},
      el('th', { text: 'Input' }),
      el('th', { text: `> ${pct(sure, 0)} sure` }),
      el('th', { text: 'after T' }),
      el('th', { text: 'Mean top prob.' }),
      el('th', { text: 'Verdict: not a digit' }),
    ),
  );
  for (const k of kinds)
    t.append(
      el(
        'tr',
        { 'data-kind': k.key },
        el('th', { text: k.count === 1 ? k.label : `${k.label} ×${k.count}` }),
        el('td', { text: `${k.sure} of ${k.count}` }),
        el('td', { text: `${k.sureAfter} of ${k.count}` }),
        el('td', { text: pct(k.mean) }),
        el('td', { text: `${k.flagged} of ${k.count}` }),
      ),
    );
  return t;
}

function gallery(kinds) {
  const box = el('div', { class: 'cal-gallery' });
  for (const k of kinds)
    for (const x of k.items) {
      const v =
        x.verdict === 'digit' || !x.reason
          ? VERDICT[x.verdict]
          : `${VERDICT[x.verdict]} (${REASON[x.reason] || x.reason})`;
      box.append(
        el(
          'figure',
          {
            class: 'ens-item cal-item',
            'data-kind': k.key,
            title: `${k.label}: the model answers ${x.top} with ${pct(x.p, 2)} (${pct(x.pAfter, 2)} after temperature scaling); the verdict: ${v}.`,
          },
          thumb(x.pixels),
          el(
            'figcaption',
            {},
            el('span', { class: 'ens-label', text: `“${x.top}”, ${pct(x.p, 2)}` }),
            el('span', { class: 'ens-members', text: `${k.label.replace(/^an? /, '')}; after T ${pct(x.pAfter)}` }),
            el('span', { class: `ens-members cal-verdict ${x.verdict}`, text: `verdict: ${v}` }),
          ),
        ),
      );
    }
  return box;
}

export function render(root, result) {
  if (!result.calibration) {
    root.replaceChildren(
      el('section', { class: 'lab-panel' }, el('p', { class: 'muted', text: result.status || 'Training…' })),
    );
    return;
  }
  const c = result.calibration;
  const figs = el('div', { class: 'calib-figs cal-figs' });
  for (const [rel, title] of [
    [c.before, 'Before (T = 1)'],
    [c.after, `After (T = ${c.T.toFixed(2)})`],
  ])
    figs.append(el('figure', {}, diagram(rel, title), el('figcaption', { text: `${title}: ECE ${pct(rel.ece, 2)}` })));
  const first = el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: `1. Reliability on ${int(c.heldCount)} test images, before and after temperature scaling` }),
    figs,
    el('p', {
      class: 'muted cal-note',
      text: `Each bar: the test images whose top probability fell in that range, and how often the top class was right; on the dashed diagonal "90 % sure" is right 90 % of the time, red shows the gap. ECE = Σ (images in bin / all) · |accuracy − confidence| over ${c.before.bins.length} bins. T = ${c.T.toFixed(2)} was fitted on ${int(c.fitCount)} other images by minimizing the cross-entropy (${c.nllBefore.toFixed(3)} → ${c.nllAfter.toFixed(3)} on the test images); the accuracy, ${pct(c.before.accuracy, 2)}, does not change.`,
    }),
  );
  let most = null;
  for (const k of result.kinds) if (!most || k.max.p > most.item.p) most = { kind: k, item: k.max };
  const m = most.item;
  const second = el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: '2. Things that are not digits' }),
    el('div', { class: 'cal-scroll' }, kindsTable(result.kinds, result.sure)),
    el('p', {
      class: 'muted cal-note',
      text: `The surest of each kind (drawn with the Draw pad's round brush on its 280×280 field and digitized as the pad does; the noise directly in 28×28). The verdict is the page's (the Draw card's): the input's shape${c.layer ? ` and how far the model's features at ${c.layer} lie from the digits it saw` : ''}.${result.digitsFlagged ? ` It calls ${result.digitsFlagged.flagged} of the first ${result.digitsFlagged.count} test digits "not a digit" too.` : ''}`,
    }),
    gallery(result.kinds),
  );
  const third = el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: `3. Why “${pct(m.p, 2)} sure” of ${most.kind.label} is softmax, not knowledge` }),
    el(
      'div',
      { class: 'cal-why' },
      thumb(m.pixels),
      probBars(m.probs),
      el('p', {
        class: 'cal-note',
        text: `Softmax turns the net's ten scores into ten probabilities that add up to 1: p_i = e^(s_i) / Σ_j e^(s_j). Only the differences of the scores count: this input's score for ${m.top} is ${m.lead.toFixed(1)} above the one for ${m.second}, so ${m.top} is e^${m.lead.toFixed(1)} ≈ ${Number(Math.exp(m.lead).toPrecision(3)).toLocaleString('en-US')} times as probable. There is no output for "none of these": whatever the input, one score is the largest, and a clear lead reads as confidence.`,
      }),
    ),
  );
  root.replaceChildren(first, second, third);
}
