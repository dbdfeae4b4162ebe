// The Lab for the page (the app's Lab section and the widget's mode="lab"): the experiments'
// definitions (lab.js and one file per experiment, shared with the worker, which runs them) and the
// one flow that runs an experiment: the MNIST parts it needs, the worker's runLab request, its
// partial results. An experiment with trials (search) runs its trials in a pool of engine workers
// of its own (pool.js), its steps here. Data in, events out; no DOM.
import './lab.js';
import './conv-arithmetic.js';
import './activations.js';
import './babysit.js';
import './overfit.js';
import './lr.js';
import './init.js';
import './optimizers.js';
import './gradcheck.js';
import './search.js';
import './transfer.js';
import './architectures.js';
import './ensemble.js';
import './calibration.js';
import { TrialPool, autoWorkers } from './pool.js';

export const Lab = globalThis.CnnLab;

// Runs experiment `id` with `settings` (attribute strings or form values; checked against its
// table) in the session's engine (input: the experiment's own data, e.g. drawings). onUpdate(partial) receives the partial results while it runs.
// Resolves to {lab, settings, claims: [{id, text, value, holds}], ...data}; rejects with the
// engine's or the settings' message.
export async function runLab(session, id, settings = {}, { onUpdate, signal, input } = {}) {
  const exp = Lab.get(id);
  const { problems } = Lab.resolveSettings(id, settings);
  if (problems.length) throw new Lab.LabError(`${exp.title}: ${problems.join('; ')}.`);
  if (exp.trial && typeof Worker === 'function') return runWithPool(session, exp, settings, onUpdate);
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
  const mine = pooled.get(session.client);
  if (mine) {
    mine.pool.stop();
    return Promise.resolve({ stopped: true });
  }
  return session.client.stopLab();
}

// The experiments running with a pool, by engine client: {id, pool}.
const pooled = new WeakMap();

// Runs an experiment with trials: its steps here (exp.run: no engine calls of its own), its trials
// in a pool of `workers` engine workers (0: one per core), which it ends when it ends.
async function runWithPool(session, exp, given, onUpdate) {
  const { settings } = Lab.resolveSettings(exp.id, given);
  if (exp.check) exp.check(settings);
  const running = pooled.get(session.client);
  if (running) throw new Lab.LabError(`The ${running.id} experiment is running: stop it first.`);
  const pool = new TrialPool({
    workerUrl: session.client.url,
    dataBase: `${session.base}data/`,
    size: settings.workers || autoWorkers(),
    lab: exp.id,
    settings,
    needs: exp.needs,
  });
  pooled.set(session.client, { id: exp.id, pool });
  const ctx = {
    E: null,
    data: null,
    pool,
    update: (partial) => onUpdate && onUpdate(partial),
    tick: async () => {
      if (pool.stopped) throw new Lab.Stopped();
    },
  };
  try {
    return { lab: exp.id, settings, ...(await exp.run(ctx, settings)) };
  } finally {
    pool.terminate();
    pooled.delete(session.client);
  }
}
