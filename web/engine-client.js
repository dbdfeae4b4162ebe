// The page's side of the worker protocol (web/worker/protocol.js): one promise per request.
export class EngineClient {
  constructor(workerUrl = new URL('./worker/engine-worker.js', import.meta.url)) {
    this.worker = new Worker(workerUrl);
    this.nextId = 1;
    this.pending = new Map();
    this.worker.onmessage = (ev) => {
      const { id, ok, result, error } = ev.data;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if (ok) p.resolve(result);
      else p.reject(new Error(error));
    };
    this.worker.onerror = (ev) => {
      const err = new Error(ev.message || 'the engine worker failed to start');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  request(type, payload = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, type, ...payload }, transfer);
    });
  }

  init() { return this.request('init'); }
  createModel(json) { return this.request('createModel', { json }); }
  forward(input, batch) { return this.request('forward', { input, batch }, [input.buffer]); }
  trainStep(input, labels, batch, opts) {
    return this.request('trainStep', { input, labels, batch, opts }, [input.buffer, labels.buffer]);
  }
  activation(name) { return this.request('activation', { name }); }
  terminate() { this.worker.terminate(); }
}
