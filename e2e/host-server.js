// A course site on its own origin for the widget tests (e2e/widget.spec.js): it serves the sample
// course page (web/course.html) and the pages of e2e/fixtures/, with the widget's script taken from
// ANOTHER origin (--widget-origin, the app's server on another port), without the isolation headers.
// Under /csp/ the same pages come with the Content-Security-Policy that README documents; under
// /csp-no-wasm/ with that policy minus 'wasm-unsafe-eval'.
//   node e2e/host-server.js --port 8184 --widget-origin http://127.0.0.1:8182
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const port = Number(opt('--port', 8184));
const widget = opt('--widget-origin', 'http://127.0.0.1:8182').replace(/\/$/, '');
const web = path.join(__dirname, '..', 'web');
const fixtures = path.join(__dirname, 'fixtures');

// The policy a page needs for widgets from `widget` (README, "Embedding the widget"), plus 'self'
// for the page's own files.
const csp =
  `default-src 'self'; script-src 'self' ${widget} 'wasm-unsafe-eval'; worker-src 'self' blob:; ` +
  `connect-src 'self' ${widget}; style-src 'self' ${widget}; frame-src ${widget}`;

function page(file) {
  return fs
    .readFileSync(file, 'utf8')
    .replace('src="widget/cnn-widget.js"', `src="${widget}/widget/cnn-widget.js"`)
    .replace(/\{\{WIDGET\}\}/g, widget);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  let p = url.pathname;
  let policy = null;
  if (p.startsWith('/csp/')) {
    policy = csp;
    p = p.slice(4);
  } else if (p.startsWith('/csp-no-wasm/')) {
    // the same policy without 'wasm-unsafe-eval': must fail clearly
    policy = csp.replace(" 'wasm-unsafe-eval'", '');
    p = p.slice(12);
  }
  let body = null;
  let type = 'text/html; charset=utf-8';
  if (p === '/' || p === '/index.html') body = '<!doctype html><title>course site</title><p>A course site.</p>';
  else if (p === '/course.html') body = page(path.join(web, 'course.html'));
  else if (p === '/course.css') {
    body = fs.readFileSync(path.join(web, 'course.css'), 'utf8');
    type = 'text/css';
  } else if (/^\/[a-z0-9-]+\.html$/.test(p) && fs.existsSync(path.join(fixtures, p)))
    body = page(path.join(fixtures, p));
  if (body === null) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
    return;
  }
  const headers = { 'Content-Type': type, 'Cache-Control': 'no-cache' };
  if (policy) headers['Content-Security-Policy'] = policy;
  res.writeHead(200, headers);
  res.end(body);
});
server.listen(port, '127.0.0.1', () =>
  console.log(`course site on http://127.0.0.1:${port}/ (widgets from ${widget})`),
);
server.on('error', (e) => {
  console.error(`host-server: ${e.message}`);
  process.exit(1);
});
