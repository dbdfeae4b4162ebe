// The bench page: starts one fresh Web Worker (bench-worker.js) per library configuration and
// collects its rows. bench/run.js calls window.runConfig(cfg, opts) through Playwright.
'use strict';

// cfg {lib, backend, threads, variant?}; opts {nets, batches, seconds, timeoutMs}.
// Resolves {info, rows, layers, error?}; never rejects.
window.runConfig = (cfg, opts) =>
  new Promise((resolve) => {
    const w = new Worker('bench-worker.js');
    const res = { info: null, rows: [], layers: [] };
    const finish = (error) => {
      clearTimeout(timer);
      w.terminate();
      if (error) res.error = error;
      resolve(res);
    };
    const timer = setTimeout(() => finish(`timed out after ${opts.timeoutMs / 1000} s`), opts.timeoutMs);
    w.onmessage = (ev) => {
      const m = ev.data;
      if (m.type === 'info') res.info = m.info;
      else if (m.type === 'row') {
        res.rows.push(m.row);
        if (window.benchProgress) window.benchProgress(cfg, m.row);
      } else if (m.type === 'layers') res.layers.push(m.layers);
      else if (m.type === 'done') finish(m.error);
    };
    w.onerror = (e) => {
      e.preventDefault();
      finish(`worker error: ${e.message || 'unknown'}`);
    };
    w.postMessage({ cfg, nets: opts.nets, batches: opts.batches, seconds: opts.seconds });
  });

window.defaultConfigs = [
  { lib: 'ours', backend: 'wasm-simd', variant: 'st', threads: 1 },
  { lib: 'ours', backend: 'wasm-simd', variant: 'mt', threads: 2 },
  { lib: 'tfjs', backend: 'wasm', threads: 1 },
  { lib: 'tfjs', backend: 'wasm', threads: 2 },
  { lib: 'tfjs', backend: 'cpu', threads: 1 },
  { lib: 'tfjs', backend: 'webgl', threads: 1 },
  { lib: 'convnetjs', backend: 'js', threads: 1 },
  { lib: 'ort', backend: 'wasm', threads: 1 },
  { lib: 'ort', backend: 'wasm', threads: 2 },
];

document.getElementById('run').addEventListener('click', async () => {
  const out = document.getElementById('out');
  out.textContent = `crossOriginIsolated: ${self.crossOriginIsolated}\n`;
  const opts = {
    nets: [
      { name: 'NetA', file: 'neta' },
      { name: 'NetB', file: 'netb' },
    ],
    batches: [64, 32],
    seconds: 2,
    timeoutMs: 240000,
  };
  for (const cfg of window.defaultConfigs) {
    const r = await window.runConfig(cfg, opts);
    out.textContent += `${JSON.stringify(cfg)}\n${JSON.stringify(r, null, 1)}\n`;
  }
});
