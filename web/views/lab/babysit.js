// The view of the "babysit" experiment (lib/lab/babysit.js): the notes' checklist as numbered steps,
// each with what the engine measured, filled in as the run goes; curves of the tiny-sample overfit
// and of the two bad learning rates, and the coarse search's trials (validation accuracy against the
// learning rate, on a log axis) with a table sorted by accuracy.
import { el } from '../../lib/dom.js';
import { lineChart, scatterChart } from './charts.js';

const pct = (x) => `${(100 * x).toFixed(1)} %`;

function step(n, title, body) {
  return el('section', { class: 'lab-panel lab-step' }, el('h4', { text: `${n}. ${title}` }), ...body);
}

export function render(root, r) {
  const s = r.steps || {};
  const parts = [];
  if (s.initial)
    parts.push(
      step(1, 'The initial loss', [
        el('p', {
          text: `Measured ${s.initial.loss.toFixed(4)} with small weights; expected ln 10 = ${s.initial.expected.toFixed(4)}.`,
        }),
      ]),
    );
  if (s.regularization)
    parts.push(
      step(2, 'Regularization raises it', [
        el('p', {
          text: `First loss ${s.regularization.plain.toFixed(4)} without L2, ${s.regularization.withReg.toFixed(4)} with L2 = ${s.regularization.l2}.`,
        }),
      ]),
    );
  if (s.overfit)
    parts.push(
      step(3, 'Overfit a tiny sample', [
        el('p', {
          text: `Training accuracy ${pct(s.overfit.trainAccuracy)} (loss ${s.overfit.trainLoss.toFixed(4)}) on the tiny sample; ${pct(s.overfit.heldAccuracy)} on other images: it memorized, it did not learn digits.`,
        }),
        lineChart([{ label: 'loss on the tiny sample', values: s.overfit.losses }], {
          xLabel: 'iteration',
          yLabel: 'loss',
          logY: true,
        }),
      ]),
    );
  if (s.low || s.high) {
    const series = [];
    if (s.low) series.push({ label: `learning rate ${s.low.lr} (too small)`, values: s.low.losses });
    if (s.high) series.push({ label: `learning rate ${s.high.lr} (too large)`, values: s.high.losses });
    parts.push(
      step(4, 'Learning rates far too small and far too large', [
        s.low
          ? el('p', {
              text: `Too small: the loss goes from ${s.low.first.toFixed(4)} to ${s.low.last.toFixed(4)} in 100 iterations.`,
            })
          : null,
        s.high
          ? el('p', {
              class: s.high.status === 'diverged' ? 'error' : '',
              text: `Too large: ${s.high.status === 'diverged' ? `the engine stopped the run: ${s.high.message}` : `the run ended ${s.high.status}.`}`,
            })
          : null,
        lineChart(series, { xLabel: 'iteration', yLabel: 'loss', logY: true, yMax: 1e6 }),
      ]),
    );
  }
  if (s.search) {
    const trials = s.search.trials;
    const best = trials.reduce((a, b) => (b.accuracy > a.accuracy ? b : a), trials[0]);
    const table = el('table', { class: 'lab-table' });
    table.append(
      el(
        'tr',
        {},
        el('th', { text: 'learning rate' }),
        el('th', { text: 'L2' }),
        el('th', { text: 'validation accuracy' }),
      ),
    );
    for (const t of trials.slice().sort((a, b) => b.accuracy - a.accuracy))
      table.append(
        el(
          'tr',
          { class: t === best ? 'best' : '' },
          el('td', { text: t.lr.toExponential(2) }),
          el('td', { text: t.l2.toExponential(2) }),
          el('td', { text: t.status === 'diverged' ? 'diverged' : pct(t.accuracy) }),
        ),
      );
    parts.push(
      step(5, 'A coarse random search', [
        el('p', {
          text: 'Short runs with random learning rates and L2 strengths on log scales; the best region is where a finer search goes next.',
        }),
        scatterChart(
          trials.map((t) => ({
            x: t.lr,
            y: t.accuracy,
            label: `lr ${t.lr.toExponential(2)}, L2 ${t.l2.toExponential(2)}: ${pct(t.accuracy)}`,
          })),
          { xLabel: 'learning rate', yLabel: 'validation accuracy', logX: true },
        ),
        table,
      ]),
    );
  }
  root.replaceChildren(...parts);
}
