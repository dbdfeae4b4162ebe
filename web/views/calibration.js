/* global CnnVerdict */
// The calibration of the current model, as the engine measured it in this run (the worker's
// `calibrate`, lib/verdict.js): the temperature T, the expected calibration error before and after,
// and two reliability diagrams (accuracy against confidence in 15 bins; a calibrated model's bars
// reach the diagonal). Data in (show(result)), nothing out.
import { fmtInt } from '../lib/format.js';
import '../lib/verdict.js'; // defines self.CnnVerdict

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, text) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};
const pct = (x, d = 1) => `${(100 * x).toFixed(d)} %`;

// One reliability diagram: bars of accuracy per confidence bin, the diagonal of perfect calibration,
// and the gap to it (red) for each bin with images. (Also the Lab's calibration experiment's.)
export function diagram(rel, title) {
  const W = 220,
    H = 200,
    L = 34,
    B = 30,
    T = 8,
    R = 14;
  const pw = W - L - R,
    ph = H - T - B;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'reliability',
    role: 'img',
    'aria-label': `${title}: accuracy against confidence in ${rel.bins.length} bins`,
  });
  const x = (v) => L + v * pw,
    y = (v) => T + (1 - v) * ph;
  root.append(svg('rect', { x: L, y: T, width: pw, height: ph, class: 'frame' }));
  for (const t of [0, 0.5, 1]) {
    root.append(svg('text', { x: x(t), y: H - B + 13, 'text-anchor': 'middle', class: 'tick' }, t.toFixed(1)));
    root.append(svg('text', { x: L - 4, y: y(t) + 3, 'text-anchor': 'end', class: 'tick' }, t.toFixed(1)));
  }
  root.append(svg('text', { x: L + pw / 2, y: H - 3, 'text-anchor': 'middle', class: 'axis' }, 'confidence'));
  const yl = svg('text', { x: 10, y: T + ph / 2, 'text-anchor': 'middle', class: 'axis' }, 'accuracy');
  yl.setAttribute('transform', `rotate(-90 10 ${T + ph / 2})`);
  root.append(yl);
  for (const b of rel.bins) {
    if (!b.count) continue;
    const bw = (b.hi - b.lo) * pw;
    const bar = svg('rect', {
      x: x(b.lo) + 0.5,
      y: y(b.accuracy),
      width: Math.max(1, bw - 1),
      height: Math.max(0, y(0) - y(b.accuracy)),
      class: 'acc',
    });
    bar.append(
      svg(
        'title',
        {},
        `confidence ${pct(b.lo, 0)}–${pct(b.hi, 0)}: ${fmtInt(b.count)} images, accuracy ${pct(b.accuracy)}, mean confidence ${pct(b.confidence)}`,
      ),
    );
    root.append(bar);
    const lo = Math.min(b.accuracy, b.confidence),
      hi = Math.max(b.accuracy, b.confidence);
    if (hi - lo > 0.002)
      root.append(
        svg('rect', { x: x(b.lo) + 0.5, y: y(hi), width: Math.max(1, bw - 1), height: y(lo) - y(hi), class: 'gap' }),
      );
  }
  root.append(svg('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: 'diag' }));
  return root;
}

export class CalibrationView {
  constructor(root) {
    this.root = root;
  }

  clear() {
    this.root.hidden = true;
    this.root.replaceChildren();
  }

  // A status line while the engine calibrates, or an error.
  note(text, kind = '') {
    this.root.hidden = false;
    const p = document.createElement('p');
    p.className = `muted calib-note ${kind}`;
    p.textContent = text;
    this.root.replaceChildren(this.heading(), p);
  }

  heading() {
    const h = document.createElement('h3');
    h.className = 'sub';
    h.textContent = 'Calibration: can the confidence be trusted?';
    return h;
  }

  // r: the worker's calibrate answer.
  show(r) {
    this.root.hidden = false;
    const where =
      r.source === 'validation'
        ? `the ${fmtInt(r.fitCount)} validation images of this run`
        : `${fmtInt(r.fitCount)} test images (5,001–10,000)`;
    const p = document.createElement('p');
    p.className = 'calib-summary';
    const ece = document.createElement('strong');
    ece.className = 'calib-ece';
    ece.textContent = `Expected calibration error ${pct(r.before.ece, 2)} → ${pct(r.after.ece, 2)}`;
    p.append(
      ece,
      ` on ${fmtInt(r.heldCount)} test images, after dividing the logits by the temperature T = ${r.T.toFixed(2)} ` +
        `(fitted on ${where} by minimizing the cross-entropy). ` +
        `T > 1 softens an overconfident model, T < 1 sharpens a timid one; the ranking of the classes, ` +
        `and so the accuracy (${pct(r.before.accuracy, 2)}), does not change.`,
    );
    const help = document.createElement('p');
    help.className = 'muted calib-help';
    help.textContent =
      'Each bar: the images whose top probability fell in that range, and how often the top class was right. ' +
      'On the diagonal, "90 % sure" is right 90 % of the time; red shows the gap. ' +
      `ECE = Σ (images in bin / all) · |accuracy − confidence| over ${r.before.bins.length} bins.`;
    const figs = document.createElement('div');
    figs.className = 'calib-figs';
    for (const [rel, title] of [
      [r.before, 'Before (T = 1)'],
      [r.after, `After (T = ${r.T.toFixed(2)})`],
    ]) {
      const f = document.createElement('figure');
      const cap = document.createElement('figcaption');
      cap.textContent = `${title}: ECE ${pct(rel.ece, 2)}`;
      f.append(diagram(rel, title), cap);
      figs.append(f);
    }
    const verdict = document.createElement('p');
    verdict.className = 'muted calib-help';
    verdict.textContent =
      r.limit != null
        ? `The Draw card now uses this T, and calls a drawing "not a digit" when its features at ${r.layer} are${r.layer.includes(' and ') ? ', averaged over these layers,' : ''} farther from every digit class than ${CnnVerdict.LIMITS.distanceFactor} times the distance within which ${100 * CnnVerdict.LIMITS.distanceQuantile} % of held-out digits lie.`
        : 'The Draw card now uses this T.';
    this.root.replaceChildren(this.heading(), p, figs, help, verdict);
  }
}

// Calibrates the session's model in the engine: `validation`/`seed` of the run that trained it
// (its held-out split), or none (test images 5,001–10,000). Shows progress and the result in `view`
// while `current()` says this calibration is still the page's (the worker abandons a calibration
// whose model was replaced meanwhile: its answer is not shown over the new model's).
export async function calibrateModel(session, view, { validation = 0, seed = 1 } = {}, current = () => true) {
  if (view) view.note('Calibrating on held-out images…');
  try {
    const r = await session.client.calibrate({ validation, seed }, session.slot);
    if (!current()) return null;
    if (view) view.show(r);
    return r;
  } catch (e) {
    if (view && current()) view.note(`Could not calibrate: ${e.message}`, 'error');
    return null;
  }
}
