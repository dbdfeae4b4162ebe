// The view of the "conv-arithmetic" experiment (lib/lab/conv-arithmetic.js): the output size,
// parameters and MACs by the formula beside the engine's, then the filter sliding over the input
// step by step (play, pause, step, back): the window on the padded input, its products and sum, and
// the engine's output value filling the map; and the notes' pooling example. Every output number
// shown is the engine's (the result); the products are the input and filter values the view shows.
import { el } from '../../lib/dom.js';

const fmt = (v) => (Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2))));
const PLAY_MS = 700;

// A grid of numbers as a table; cls(i, j) -> class names of a cell.
function grid(rows, { cls = () => '', label, caption } = {}) {
  const t = el('table', { class: 'lab-grid', 'aria-label': label });
  if (caption) t.append(el('caption', { text: caption }));
  rows.forEach((r, i) => {
    const tr = el('tr');
    r.forEach((v, j) => tr.append(el('td', { class: cls(i, j), text: v === null ? '' : fmt(v) })));
    t.append(tr);
  });
  return t;
}

function arithmetic(a) {
  const e = a.engine;
  const rows = [
    ['Input W×H×C', `${a['input-width']}×${a['input-height']}×${a.channels}`, ''],
    [
      'Output W₂',
      `(${a['input-width']} − ${a.kernel} + 2·${a.pad})/${a.stride} + 1 = ${fmt(a.formula.w2)}`,
      e.error ? '—' : String(e.shape[2]),
    ],
    [
      'Output H₂',
      `(${a['input-height']} − ${a.kernel} + 2·${a.pad})/${a.stride} + 1 = ${fmt(a.formula.h2)}`,
      e.error ? '—' : String(e.shape[1]),
    ],
    ['Output depth', `K = ${a.filters}`, e.error ? '—' : String(e.shape[0])],
    ['Parameters', `F·F·C·K + K = ${a.formula.params}`, e.error ? '—' : String(e.params)],
    [
      'MACs per image',
      `W₂·H₂·K·F·F·C = ${a.W2 * a.H2 * a.filters * a.kernel * a.kernel * a.channels}`,
      e.error ? '—' : String(e.macs),
    ],
  ];
  const t = el('table', { class: 'lab-table' });
  t.append(
    el('tr', {}, el('th', { text: '' }), el('th', { text: 'The notes’ formula' }), el('th', { text: 'The engine' })),
  );
  for (const [k, f, v] of rows)
    t.append(el('tr', {}, el('th', { text: k }), el('td', { text: f }), el('td', { text: v })));
  const verdict = e.error
    ? el('p', { class: 'error', text: `The engine refuses this layer: ${e.error}` })
    : a.fits
      ? el('p', { class: 'ok', text: 'The filter fits: every input row and column is read.' })
      : el('p', {
          class: 'warn',
          text: `Doesn’t fit: (W − F + 2P)/S is not whole. The engine rounds down; this layer ${e.note}`,
        });
  return el('section', { class: 'lab-panel' }, el('h4', { text: 'Output size, parameters, MACs' }), t, verdict);
}

// The stepper: position k of the output, row-major.
function stepper(st) {
  const box = el('section', { class: 'lab-panel' }, el('h4', { text: 'The filter slides, step by step' }));
  if (!st.output) {
    box.append(el('p', { class: 'error', text: `This stride and padding do not fit the example: ${st.error}` }));
    return box;
  }
  const n = st.image.length;
  const m = st.image[0].length;
  const f = st.filter.length;
  const P = st.pad;
  const oh = st.output.length;
  const ow = st.output[0].length;
  const total = oh * ow;
  const padded = Array.from({ length: n + 2 * P }, (_, i) =>
    Array.from({ length: m + 2 * P }, (_, j) => {
      const y = i - P;
      const x = j - P;
      return y >= 0 && y < n && x >= 0 && x < m ? st.image[y][x] : 0;
    }),
  );
  let k = 0;
  let timer = 0;
  const view = el('div', { class: 'stepper' });
  const sum = el('p', { class: 'lab-sum', 'aria-live': 'polite' });
  const pos = el('span', { class: 'muted' });
  const draw = () => {
    const oi = Math.floor(k / ow);
    const oj = k % ow;
    const y0 = oi * st.stride;
    const x0 = oj * st.stride;
    const inWin = (i, j) => i >= y0 && i < y0 + f && j >= x0 && j < x0 + f;
    view.replaceChildren(
      grid(padded, {
        label: 'The padded input',
        caption: P ? `Input, padded with ${P} zero${P > 1 ? 's' : ''}` : 'Input',
        cls: (i, j) =>
          [
            inWin(i, j) ? 'win' : '',
            i < P || j < P || i >= n + P || j >= m + P ? 'pad' : '',
            padded[i][j] > 0 ? 'ink' : '',
          ]
            .join(' ')
            .trim(),
      }),
      el('span', { class: 'op', text: '∗' }),
      grid(st.filter, { label: 'The filter', caption: 'Filter' }),
      el('span', { class: 'op', text: '=' }),
      grid(
        st.output.map((r, i) => r.map((v, j) => (i * ow + j <= k ? v : null))),
        {
          label: 'The output map (the engine’s values)',
          caption: 'Output (engine)',
          cls: (i, j) => (i === oi && j === oj ? 'win' : ''),
        },
      ),
    );
    const terms = [];
    let s = 0;
    for (let a = 0; a < f; ++a)
      for (let b = 0; b < f; ++b) {
        const v = padded[y0 + a][x0 + b];
        s += v * st.filter[a][b];
        terms.push(`${fmt(v)}·${fmt(st.filter[a][b])}`);
      }
    sum.textContent = `Output (${oi}, ${oj}): ${terms.join(' + ')} + bias ${st.bias} = ${fmt(Number(s.toFixed(4)))}; the engine computed ${fmt(st.output[oi][oj])}.`;
    pos.textContent = `step ${k + 1} of ${total}`;
  };
  const stop = () => {
    clearInterval(timer);
    timer = 0;
    play.textContent = 'Play';
  };
  const play = el('button', {
    type: 'button',
    text: 'Play',
    onclick: () => {
      if (timer) return stop();
      play.textContent = 'Pause';
      timer = setInterval(() => {
        if (!view.isConnected || k >= total - 1) return stop();
        k += 1;
        draw();
      }, PLAY_MS);
    },
  });
  const step = (d) => () => {
    stop();
    k = Math.max(0, Math.min(total - 1, k + d));
    draw();
  };
  box.append(
    el(
      'div',
      { class: 'row lab-controls' },
      el('button', { type: 'button', text: '◀ Back', onclick: step(-1), 'aria-label': 'One step back' }),
      play,
      el('button', { type: 'button', text: 'Step ▶', onclick: step(1), 'aria-label': 'One step forward' }),
      pos,
    ),
    view,
    sum,
  );
  draw();
  return box;
}

function pooling(p) {
  const win = (i, j) => `w${Math.floor(i / p.size)}${Math.floor(j / p.size)}`;
  return el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: 'Pooling: the notes’ 4×4 slice, 2×2 windows, stride 2' }),
    el(
      'div',
      { class: 'stepper' },
      grid(p.input, { label: 'The 4×4 slice', caption: 'Input', cls: (i, j) => win(i, j) }),
      el('span', { class: 'op', text: '→' }),
      grid(p.max, { label: 'Max pooling (engine)', caption: 'Max (engine)', cls: (i, j) => `w${i}${j}` }),
      grid(p.avg, { label: 'Average pooling (engine)', caption: 'Average (engine)', cls: (i, j) => `w${i}${j}` }),
    ),
  );
}

export function render(root, r, { partial } = {}) {
  if (partial) return;
  root.replaceChildren(arithmetic(r.arithmetic), stepper(r.steps), pooling(r.pooling));
}
