// The Lab's pool of trial workers (the page side): N engine workers of their own, each a plain Web
// Worker with the single-threaded engine (engine-worker.js?engine=st), started and spoken to through
// the same EngineClient and protocol as the page's engine (its restarts after a crash included),
// each holding the MNIST part the experiment needs. An experiment with trials (exp.prepare/trial/
// release, e.g. lib/lab/search.js) gets the pool as ctx.pool (CnnLab.trialPool's interface) and its
// trials run N at a time, one per core. Why single-threaded workers: trials are independent, so N
// one-thread engines use N cores with no synchronization inside a trial, they work in every page
// (the multi-threaded build needs cross-origin isolation), and N multi-threaded engines would start
// N × cores threads on N cores.
import { EngineClient } from '../../engine-client.js';

// How many workers "0: one per core" means: the browser's count of logical cores, at most MAX (each
// worker holds the MNIST training set, 47 MB, and an engine).
export const MAX_WORKERS = 4;
export function autoWorkers() {
  const n = (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 2;
  return Math.max(1, Math.min(MAX_WORKERS, n));
}

export class TrialPool {
  // workerUrl: the engine worker's URL (the page's client.url); dataBase: where MNIST's files are;
  // size: workers; lab, settings: the experiment and its resolved settings (every trial's).
  constructor({ workerUrl, dataBase, size, lab, settings, needs = ['train'] }) {
    const url = new URL(workerUrl);
    url.searchParams.set('engine', 'st');
    this.size = size;
    this.parallel = true;
    this.variants = new Set(); // what the workers' init answered: "st" (or "mt", which would be a bug)
    this.lab = lab;
    this.settings = settings;
    this.stopped = false;
    this.clients = Array.from({ length: size }, () => new EngineClient(url));
    this.ready = Promise.all(
      this.clients.map(async (c) => {
        this.variants.add((await c.init()).variant);
        if (needs.length) await c.loadData({ source: 'mnist', base: dataBase, parts: needs });
        await c.labTrial(lab, settings, null); // the trials' data, before the first is timed
      }),
    ).catch((e) => {
      throw this.stopped ? new globalThis.CnnLab.Stopped() : e;
    });
    this.ready.catch(() => {});
  }

  // In words, from what the workers said they run.
  get engine() {
    const threads = [...this.variants].map((v) => (v === 'st' ? 'single-threaded' : 'multi-threaded')).join(' and ');
    return `${this.size} worker${this.size > 1 ? 's' : ''}${threads ? ` with the ${threads} engine` : ''}`;
  }

  // Runs the trial specs on the first `workers` workers (all by default), each taking the next spec
  // when it is free; onResult(index, result) as each ends. A trial whose request fails (the engine
  // refused it, or its worker crashed) is a result {status: "failed", message}; after stop() the
  // promise rejects with CnnLab.Stopped.
  async map(specs, { workers = this.size, onResult } = {}) {
    const Lab = globalThis.CnnLab;
    await this.ready;
    const out = new Array(specs.length);
    let next = 0;
    const work = async (client) => {
      while (next < specs.length && !this.stopped) {
        const i = next++;
        let r;
        try {
          r = await client.labTrial(this.lab, this.settings, specs[i]);
        } catch (e) {
          if (this.stopped) break;
          r = { status: 'failed', message: e.message, accuracy: 0, loss: NaN, iterations: 0, seconds: 0 };
        }
        out[i] = r;
        if (onResult) onResult(i, r);
      }
    };
    await Promise.all(this.clients.slice(0, Math.max(1, Math.min(workers, this.size))).map(work));
    if (this.stopped) throw new Lab.Stopped();
    return out;
  }

  // Stops every worker at once (a running trial is abandoned); map() rejects with CnnLab.Stopped.
  stop() {
    this.stopped = true;
    this.terminate();
  }

  terminate() {
    for (const c of this.clients) c.terminate();
  }
}
