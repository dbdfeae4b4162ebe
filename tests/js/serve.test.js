// The static server (scripts/serve.js), started on a free port: what it serves, and how it refuses.
// Errors are short plain text (no stack trace, no file path), there is no X-Powered-By header, and
// requests are bounded: no bodies (413), URLs up to 2,048 characters (414), at most 100 headers or
// 16 kB of them (431), malformed URLs 400, methods other than GET and HEAD 405.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');

const root = path.join(__dirname, '..', '..');
let server;
let port;

test.before(async () => {
  server = spawn(process.execPath, [path.join(root, 'scripts', 'serve.js'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  port = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /serving http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server.on('exit', (code) => reject(new Error(`serve.js exited with ${code}: ${out}`)));
  });
});
test.after(() => server.kill());

function request(urlPath, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

// A raw request (for what http.request will not send); resolves with the response's status line
// and the whole response text once the server closes the connection or answers.
function raw(text) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => {
      got += d;
      if (/\r\n\r\n/.test(got)) {
        const len = /content-length: (\d+)/i.exec(got);
        if (!len || got.split('\r\n\r\n')[1].length >= Number(len[1])) s.end();
      }
    });
    s.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(got)?.[1]), text: got }));
    s.on('error', (e) =>
      e.code === 'ECONNRESET' || e.code === 'EPIPE'
        ? resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(got)?.[1]), text: got })
        : reject(e),
    );
    s.write(text);
  });
}

// A refusal: the status, a short plain-text body, nothing about the server's files or code.
function assertPlain(r, status) {
  assert.equal(r.status, status, r.text.slice(0, 300));
  const body = r.text.includes('\r\n\r\n') ? r.text.split('\r\n\r\n').slice(1).join('') : r.text;
  assert.equal(body, `${status} ${http.STATUS_CODES[status]}\n`);
  if (r.headers) {
    assert.match(r.headers['content-type'], /^text\/plain/);
    assert.equal(r.headers['x-powered-by'], undefined);
  }
  assert.doesNotMatch(r.text, /node_modules|\/work\/|at [A-Za-z.]+ \(|Error:|<html/i);
}

test('serves the app without X-Powered-By', async () => {
  const r = await request('/index.html');
  assert.equal(r.status, 200);
  assert.equal(r.text, fs.readFileSync(path.join(root, 'web', 'index.html'), 'utf8'));
  assert.equal(r.headers['x-powered-by'], undefined);
  assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
  const head = await request('/index.html', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['x-powered-by'], undefined);
  const part = await request('/index.html', { headers: { Range: 'bytes=0-9' } });
  assert.equal(part.status, 206);
  assert.equal(part.text.length, 10);
});

test('an unsatisfiable Range is 416 and a failed If-Match 412, in plain words', async () => {
  const size = fs.statSync(path.join(root, 'web', 'index.html')).size;
  const r416 = await request('/index.html', { headers: { Range: 'bytes=99999999-' } });
  assertPlain(r416, 416);
  assert.equal(r416.headers['content-range'], `bytes */${size}`);
  assertPlain(await request('/index.html', { headers: { 'If-Match': '"nope"' } }), 412);
  assertPlain(
    await request('/index.html', { headers: { 'If-Unmodified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' } }),
    412,
  );
});

test('malformed and unknown URLs: 400 and 404 without echoing the path', async () => {
  assertPlain(await request('/%E0%A4%A'), 400);
  assertPlain(await request('/lib/%'), 400);
  assertPlain(await request('/%00'), 400);
  assertPlain(await request('/engine/%ff'), 400);
  const missing = await request('/no-such-file-x1y2.js');
  assertPlain(missing, 404);
  assert.doesNotMatch(missing.text, /x1y2/);
  assertPlain(await request('/..%2f..%2fpackage.json'), 404);
  assertPlain(await request('/engine/cnn_tests.js'), 404);
  assertPlain(await raw('GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'), 400);
  assertPlain(await raw('NOT A REQUEST\r\n\r\n'), 400);
});

test('bounded requests: bodies 413, long URLs 414, too many or too large headers 431, other methods 405', async () => {
  assertPlain(await request('/index.html', { method: 'POST', body: 'x=1' }), 413);
  assertPlain(await request('/index.html', { method: 'GET', headers: { 'Content-Length': 1 }, body: 'x' }), 413);
  assertPlain(await request('/', { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' }, body: 'abc' }), 413);
  // A large body is refused without being read: the answer comes while most of it is unsent.
  const big = await raw(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${1e9}\r\n\r\n${'x'.repeat(1000)}`);
  assertPlain(big, 413);
  assertPlain(await request('/', { method: 'DELETE' }), 405);
  assertPlain(await request('/', { method: 'OPTIONS' }), 405);
  assertPlain(await request(`/${'a'.repeat(3000)}`), 414);
  assertPlain(await request(`/?q=${'a'.repeat(3000)}`), 414);
  assert.equal((await request(`/index.html?q=${'a'.repeat(1500)}`)).status, 200);
  const many = {};
  for (let i = 0; i < 120; i++) many[`x-h${i}`] = '1';
  assertPlain(await request('/', { headers: many }), 431);
  const fewer = {};
  for (let i = 0; i < 60; i++) fewer[`x-h${i}`] = '1';
  assert.equal((await request('/', { headers: fewer })).status, 200);
  assertPlain(await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`), 431);
  assertPlain(await raw(`GET /${'a'.repeat(40000)} HTTP/1.1\r\nHost: x\r\n\r\n`), 431);
  // Still serving.
  assert.equal((await request('/')).status, 200);
});
