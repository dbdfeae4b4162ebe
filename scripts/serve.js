// Serves the app on 127.0.0.1: web/ at /, the wasm build at /engine/.
// By default with the cross-origin-isolation headers (COOP/COEP), so the page can use the
// pthreads build; --no-isolation serves without them (the single-threaded build is used).
//   node scripts/serve.js [--port 8080] [--no-isolation]
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

const app = express();
app.use((req, res, next) => {
  if (isolated) {
    res.set('Cross-Origin-Opener-Policy', 'same-origin');
    res.set('Cross-Origin-Embedder-Policy', 'require-corp');
  }
  res.set('Cross-Origin-Resource-Policy', 'cross-origin');
  res.set('Cache-Control', 'no-cache');
  next();
});
// Only the engine's own files from the build folder.
app.use('/engine', (req, res, next) => (/^\/cnn_engine_(st|mt)\.(js|wasm|worker\.js)$/.test(req.path) ? next() : res.sendStatus(404)));
app.use('/engine', express.static(path.join(root, 'build', 'wasm'), {
  index: false,
  setHeaders: (res, file) => { if (file.endsWith('.wasm')) res.type('application/wasm'); },
}));
app.use(express.static(path.join(root, 'web')));

const server = app.listen(port, '127.0.0.1', () => {
  const mode = isolated ? 'cross-origin isolated (threads)' : 'not isolated (single-threaded)';
  console.log(`serving http://127.0.0.1:${server.address().port}/  [${mode}]`);
});
server.on('error', (e) => {
  console.error(`serve: ${e.code === 'EADDRINUSE' ? `port ${port} is in use; try --port <n>` : e.message}`);
  process.exit(1);
});
