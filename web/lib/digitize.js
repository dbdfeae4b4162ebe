// Turns a drawing into an MNIST-style 28×28 input, the way MNIST itself was made (LeCun et al.):
// the digit's bounding box is scaled, keeping its aspect ratio, so that its larger side is 20 px,
// with anti-aliased grey levels (each output pixel is the exact area average of the drawing under
// it); then it is placed in a 28×28 field so that its centre of mass is the field's centre.
// Defines self.CnnDigitize (or module.exports under Node).
(function (root) {
  'use strict';

  // ink: Float32Array (or any array) of w×h values in [0, 1], row-major, 0 = background.
  // Returns {image: Float32Array(28*28) in [0, 1], empty: boolean}.
  function digitize(ink, w, h, { box = 20, size = 28, threshold = 0.02 } = {}) {
    let x0 = w,
      y0 = h,
      x1 = -1,
      y1 = -1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (ink[y * w + x] > threshold) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
    const image = new Float32Array(size * size);
    if (x1 < 0) return { image, empty: true };
    const bw = x1 - x0 + 1,
      bh = y1 - y0 + 1;
    const scale = box / Math.max(bw, bh); // output pixels per input pixel
    const ow = Math.max(1, Math.round(bw * scale)),
      oh = Math.max(1, Math.round(bh * scale));
    // Area-average resampling of the box [x0, x0+bw) × [y0, y0+bh) onto ow × oh pixels.
    const small = new Float32Array(ow * oh);
    const sx = bw / ow,
      sy = bh / oh;
    for (let oy = 0; oy < oh; oy++) {
      const ya = y0 + oy * sy,
        yb = ya + sy;
      for (let ox = 0; ox < ow; ox++) {
        const xa = x0 + ox * sx,
          xb = xa + sx;
        let sum = 0;
        for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
          const wy = Math.min(yb, y + 1) - Math.max(ya, y);
          if (wy <= 0 || y >= h) continue;
          for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
            const wx = Math.min(xb, x + 1) - Math.max(xa, x);
            if (wx <= 0 || x >= w) continue;
            sum += wx * wy * ink[y * w + x];
          }
        }
        small[oy * ow + ox] = sum / (sx * sy);
      }
    }
    // Centre of mass of the scaled digit, moved to the centre of the field.
    let m = 0,
      mx = 0,
      my = 0;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const v = small[y * ow + x];
        m += v;
        mx += v * (x + 0.5);
        my += v * (y + 0.5);
      }
    }
    const cx = m > 0 ? mx / m : ow / 2,
      cy = m > 0 ? my / m : oh / 2;
    const dx = Math.round(size / 2 - cx),
      dy = Math.round(size / 2 - cy);
    for (let y = 0; y < oh; y++) {
      const ty = y + dy;
      if (ty < 0 || ty >= size) continue;
      for (let x = 0; x < ow; x++) {
        const tx = x + dx;
        if (tx < 0 || tx >= size) continue;
        image[ty * size + tx] = Math.min(1, small[y * ow + x]);
      }
    }
    return { image, empty: false };
  }

  const api = { digitize };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.CnnDigitize = api;
})(typeof self !== 'undefined' ? self : globalThis);
