// Colour maps for activations (viridis: perceptually uniform, for values >= 0) and weights (a
// diverging blue–white–red map centred on zero), as 256-entry RGB lookup tables.
function lut(stops) {
  const out = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) out[3 * i + c] = stops[k][c] + f * (stops[k + 1][c] - stops[k][c]);
  }
  return out;
}

export const viridis = lut([
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
]);
export const diverging = lut([
  [33, 102, 172],
  [103, 169, 207],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [239, 138, 98],
  [178, 24, 43],
]);

// Paints values (one map of w×h) into a canvas at its natural size. lo/hi: the value range mapped
// to the ends of the colour map (for a diverging map use a symmetric range).
export function paint(canvas, values, w, h, lo, hi, map = viridis, offset = 0) {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  const span = hi - lo || 1;
  for (let i = 0; i < w * h; i++) {
    const k = Math.max(0, Math.min(255, Math.round(((values[offset + i] - lo) / span) * 255)));
    img.data[4 * i] = map[3 * k];
    img.data[4 * i + 1] = map[3 * k + 1];
    img.data[4 * i + 2] = map[3 * k + 2];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export function range(values, offset = 0, count = values.length - offset) {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = offset; i < offset + count; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

// A horizontal legend of a colour map.
export function legend(canvas, map) {
  canvas.width = 256;
  canvas.height = 1;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(256, 1);
  for (let i = 0; i < 256; i++) {
    img.data.set([map[3 * i], map[3 * i + 1], map[3 * i + 2], 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}
