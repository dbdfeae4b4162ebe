// The Lab for the page (the app's Lab section and the widget's mode="lab"): the experiments'
// definitions (lab.js and one file per experiment, shared with the worker, which runs them) and the
// one flow that runs an experiment: the MNIST parts it needs, the worker's runLab request, its
// partial results. Data in, events out; no DOM.
import './lab.js';
import './conv-arithmetic.js';
import './activations.js';
import './babysit.js';
import './overfit.js';
import './lr.js';
import './init.js';
import './optimizers.js';
import './gradcheck.js';
import './transfer.js';
import './architectures.js';
import './ensemble.js';
import './calibration.js';

export const Lab = globalThis.CnnLab;

// Runs experiment `id` with `settings` (attribute strings or form values; checked against its
// table) in the session's engine (input: the experiment's own data, e.g. drawings). onUpdate(partial) receives the partial results while it runs.
// Resolves to {lab, settings, claims: [{id, text, value, holds}], ...data}; rejects with the
// engine's or the settings' message.
export async function runLab(session, id, settings = {}, { onUpdate, signal, input } = {}) {
  const exp = Lab.get(id);
  const { problems } = Lab.resolveSettings(id, settings);
  if (problems.length) throw new Lab.LabError(`${exp.title}: ${problems.join('; ')}.`);
  if (exp.needs.length) await session.ensureMnist(exp.needs);
  const off = session.client.on('labUpdate', (ev) => {
    if (ev.lab === id && onUpdate) onUpdate(ev.partial);
  });
  try {
    return await session.client.runLab(id, settings, { signal, input });
  } finally {
    off();
  }
}

export function stopLab(session) {
  return session.client.stopLab();
}
