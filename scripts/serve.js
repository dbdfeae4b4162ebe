// Serves the app on 127.0.0.1: web/ at /, the wasm build at /engine/, uPlot at /vendor/uplot/,
// the packed MNIST at /data/.
// By default with the cross-origin-isolation headers (COOP/COEP), so the page can use the
// pthreads build; --no-isolation serves without them (the single-threaded build is used).
//   node scripts/serve.js [--port 8080] [--no-isolation] [--engine-dir build/wasm]
// It is a static server and answers like one: GET and HEAD only, no request bodies (413), URLs up
// to 2,048 characters (414), at most 100 headers of at most 16 kB in all (431), malformed URLs 400;
// every error (a Range it cannot satisfy 416, a failed If-Match 412, ...) is a short plain-text
// message with no stack trace and no file path, and there is no X-Powered-By header.
'use strict';
const http = require('http');
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

const MAX_URL = 2048;
const MAX_HEADERS = 100;
const MAX_HEADER_BYTES = 16 * 1024;

// A short plain-text answer: "<status> <reason>".
function plain(res, status, headers = {}) {
  res
    .status(status)
    .set(headers)
    .type('text/plain')
    .send(`${status} ${http.STATUS_CODES[status] || 'Error'}\n`);
}

const app = express();
app.disable('x-powered-by');
app.set('env', 'production'); // never a stack trace from Express's own handler either
app.use((req, res, next) => {
  // A static server reads no bodies: refuse one without reading it, and close the connection.
  const length = req.headers['content-length'];
  if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) {
    return plain(res, 413, { Connection: 'close' });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, { Allow: 'GET, HEAD' });
  if (req.originalUrl.length > MAX_URL) return plain(res, 414);
  if (req.rawHeaders.length / 2 > MAX_HEADERS) return plain(res, 431, { Connection: 'close' });
  let decoded;
  try {
    decoded = decodeURIComponent(req.path);
  } catch (e) {
    return plain(res, 400);
  }
  if (decoded.includes('\0')) return plain(res, 400);
  next();
});
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
app.use('/engine', (req, res, next) =>
  /^\/cnn_engine_(st|mt)\.(js|wasm|worker\.js)$/.test(req.path) ? next() : plain(res, 404),
);
app.use(
  '/engine',
  express.static(engineDir, {
    index: false,
    setHeaders: (res, file) => {
      if (file.endsWith('.wasm')) res.type('application/wasm');
    },
  }),
);
// The charting library, from node_modules; the packed MNIST (scripts/pack-mnist.js), from the build.
app.use('/vendor/uplot', express.static(path.join(root, 'node_modules', 'uplot', 'dist'), { index: false }));
app.use('/data', express.static(path.join(root, 'build', 'data'), { index: false }));
app.use(express.static(path.join(root, 'web')));
app.use((req, res) => plain(res, 404));
// Errors of the static middleware (send's 416 with its Content-Range, 412, 400, ...) and any other.
app.use((err, req, res, next) => {
  if (res.headersSent) return req.socket.destroy();
  const status = Number(err.status || err.statusCode);
  const headers = {};
  if (err.headers && typeof err.headers === 'object') {
    for (const [k, v] of Object.entries(err.headers)) if (/^content-range$/i.test(k)) headers[k] = v;
  }
  plain(res, status >= 400 && status < 600 ? status : 500, headers);
});

const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
// Node would drop the headers past its count (the Host header with them, then refuse the request
// as 400): keep them all, the 16 kB bound holds, and count them above (431).
server.maxHeadersCount = 0;
// Requests Node's parser refuses itself (headers over 16 kB, malformed request lines): a plain
// answer, then the connection is closed.
server.on('clientError', (err, socket) => {
  if (!socket.writable || err.code === 'ECONNRESET') return socket.destroy();
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_URI_TOO_LONG' ? 414 : 400;
  const body = `${status} ${http.STATUS_CODES[status]}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
});
server.listen(port, '127.0.0.1', () => {
  const mode = isolated ? 'cross-origin isolated (threads)' : 'not isolated (single-threaded)';
  console.log(`serving http://127.0.0.1:${server.address().port}/  [${mode}]`);
});
server.on('error', (e) => {
  console.error(`serve: ${e.code === 'EADDRINUSE' ? `port ${port} is in use; try --port <n>` : e.message}`);
  process.exit(1);
});
