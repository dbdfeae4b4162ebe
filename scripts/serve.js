// Serves the app on 127.0.0.1: web/ at /, the wasm build at /engine/, uPlot at /vendor/uplot/,
// the packed MNIST at /data/.
// By default with the cross-origin-isolation headers (COOP/COEP), so the page can use the
// pthreads build; --no-isolation serves without them (the single-threaded build is used).
//   node scripts/serve.js [--port 8080] [--no-isolation] [--engine-dir build/wasm]
'use strict';
const path = require('path');
const express = require('express');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const port = Number(opt('--port', process.env.PORT || 8080));
const isolated = !args.includes('--no-isolation');
const root = path.join(__dirname, '..');
const engineDir = path.resolve(root, opt('--engine-dir', path.join('build', 'wasm')));

const app = express();
app.use((req, res, next) => {
  if (isolated) {
    res.set('Cross-Origin-Opener-Policy', 'same-origin');
    res.set('Cross-Origin-Embedder-Policy', 'require-corp');
  }
  // Any page may embed the widget: its scripts, engine, models and data load cross-origin.
  res.set('Cross-Origin-Resource-Policy', 'cross-origin');
  res.set('Access-Control-Allow-Origin', '*');
  res.set('Cache-Control', 'no-cache');
  next();
});
// Only the engine's own files from the build folder.
app.use('/engine', (req, res, next) => (/^\/cnn_engine_(st|mt)\.(js|wasm|worker\.js)$/.test(req.path) ? next() : res.sendStatus(404)));
app.use('/engine', express.static(engineDir, {
  index: false,
  setHeaders: (res, file) => { if (file.endsWith('.wasm')) res.type('application/wasm'); },
}));
// The charting library, from node_modules; the packed MNIST (scripts/pack-mnist.js), from the build.
app.use('/vendor/uplot', express.static(path.join(root, 'node_modules', 'uplot', 'dist'), { index: false }));
app.use('/data', express.static(path.join(root, 'build', 'data'), { index: false }));
app.use(express.static(path.join(root, 'web')));

const server = app.listen(port, '127.0.0.1', () => {
  const mode = isolated ? 'cross-origin isolated (threads)' : 'not isolated (single-threaded)';
  console.log(`serving http://127.0.0.1:${server.address().port}/  [${mode}]`);
});
server.on('error', (e) => {
  console.error(`serve: ${e.code === 'EADDRINUSE' ? `port ${port} is in use; try --port <n>` : e.message}`);
  process.exit(1);
});
