// The page's side of the worker protocol (web/worker/protocol.js): one promise per request, and
// listeners for the worker's events (progress, epoch, checkpoint, done, data).
/* global CnnProtocol */
export class EngineClient {
  constructor(workerUrl = new URL('./worker/engine-worker.js', import.meta.url)) {
    this.worker = EngineClient.createWorker(new URL(workerUrl, location.href));
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    this.worker.onmessage = (ev) => {
      const msg = ev.data || {};
      if (msg.event) {
        for (const fn of this.listeners.get(msg.event) || []) fn(msg);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
    };
    this.worker.onerror = (ev) => {
      const err = new Error(ev.message || 'The engine worker failed to start.');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      for (const fn of this.listeners.get('error') || []) fn({ event: 'error', message: err.message });
    };
  }

  // Browsers start workers only from the page's origin: a worker on another origin (an embedded
  // widget served from elsewhere) is started through a same-origin blob that imports it.
  static createWorker(url) {
    if (url.origin === location.origin) return new Worker(url);
    const src = `self.CNN_WORKER_URL = ${JSON.stringify(url.href)};\nimportScripts(${JSON.stringify(url.href)});\n`;
    return new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, []);
    this.listeners.get(event).push(fn);
    return () => this.listeners.set(event, this.listeners.get(event).filter((f) => f !== fn));
  }

  // Typed arrays in the payload are transferred: pass copies of arrays you still need.
  request(type, payload = {}) {
    const id = this.nextId++;
    const msg = { id, type, ...payload };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(msg, CnnProtocol.transferables(msg));
    });
  }

  terminate() { this.worker.terminate(); }
}
