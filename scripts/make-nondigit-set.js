// Writes the training set of the verdict's "not a digit" detector (web/models/nondigit.cnn, see
// docs in README "Honest answers"): IDX files of 28×28 images labelled 0 (a digit) or 1 (not a
// digit), for `cnn train --images … --labels …`:
//   label 0: the 60,000 MNIST training images, and 30,000 of them drawn again with the pad's pen
//            (scripts/lib/scribbles.js redraw: thinned, then a round brush), so that the pen cannot
//            tell the detector a digit from a scribble;
//   label 1: 90,000 generated non-digits (scripts/lib/scribbles.js scribble, seed 1): walks,
//            polylines, polygons, star polygons, lines, dots, waves, hatching, rings, faces, letters
//            (A K R W X, the committed sets' tune half, and C F L P T U V Y), blobs.
// No MNIST test image and nothing of tests/fixtures/strokes/ is used. Shuffled (seed 2). Raw IDX (the
// CLI reads no gzip), 141 MB, not committed. The shipped detector was trained from it with
//   node scripts/make-nondigit-set.js
//   build/native/cnn train --model scripts/nondigit-model.json --images build/nondigit/images.idx \
//     --labels build/nondigit/labels.idx --epochs 1 --optimizer adam --lr 0.001 --threads 2 --out nd1.cnn
//   build/native/cnn train --from nd1.cnn --images build/nondigit/images.idx \
//     --labels build/nondigit/labels.idx --epochs 2 --optimizer adam --lr 0.0003 --threads 2 \
//     --out web/models/nondigit.cnn
'use strict';
const fs = require('fs');
const path = require('path');
const CnnIdx = require('../web/lib/idx.js');
const { rng } = require('../web/lib/lab/lab.js');
const { scribble, redraw } = require('./lib/scribbles.js');

const root = path.join(__dirname, '..');
const out = process.argv[2] || path.join(root, 'build', 'nondigit');
const REDRAWN = 30000;
const SCRIBBLES = 90000;

(async () => {
  const read = (f) => fs.readFileSync(path.join(root, 'build', 'data', f));
  const ds = await CnnIdx.dataset(read('mnist-train-images.idx.gz'), read('mnist-train-labels.idx.gz'));
  const n = ds.labels.length;
  const total = n + REDRAWN + SCRIBBLES;
  const images = new Uint8Array(total * 784);
  const labels = new Uint8Array(total);
  const order = Array.from({ length: total }, (_, i) => i);
  const shuffle = rng(2);
  for (let i = total - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let k = 0;
  const put = (img, label, scale = 255) => {
    const at = order[k++];
    for (let p = 0; p < 784; p++) images[at * 784 + p] = Math.round(Math.min(1, Math.max(0, img[p] / scale)) * 255);
    labels[at] = label;
  };
  for (let i = 0; i < n; i++) put(ds.pixels.subarray(i * 784, (i + 1) * 784), 0);
  const R = rng(11);
  for (let i = 0; i < REDRAWN; i++) {
    const j = Math.floor(R() * n);
    put(
      redraw(
        Float32Array.from(ds.pixels.subarray(j * 784, (j + 1) * 784), (v) => v / 255),
        R,
      ),
      0,
      1,
    );
  }
  const S = rng(1);
  for (let i = 0; i < SCRIBBLES; i++) put(scribble(i, S).image, 1, 1);
  const header = (magic, dims) => {
    const b = Buffer.alloc(4 + 4 * dims.length);
    b.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
    return b;
  };
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(
    path.join(out, 'images.idx'),
    Buffer.concat([header(0x803, [total, 28, 28]), Buffer.from(images.buffer)]),
  );
  fs.writeFileSync(path.join(out, 'labels.idx'), Buffer.concat([header(0x801, [total]), Buffer.from(labels)]));
  console.log(`make-nondigit-set: ${out}: ${total} images (${n + REDRAWN} digits, ${SCRIBBLES} non-digits)`);
})();
