// Generated non-digits: the negatives of the verdict's "not a digit" detector (web/models/nondigit.cnn,
// trained on scripts/make-nondigit-set.js's set). Each drawing is random strokes drawn with a round
// brush on a square canvas and digitized as the Draw pad's drawings are (web/lib/digitize.js).
//
// This generator is deliberately separate from the one that made the committed evaluation sets
// (scripts/make-strokes.js): no code is shared with it, and none of the letters of those sets' "test"
// half (B, H, M, E, N) is drawn here. Its kinds:
//   walk      a smooth random walk of 2–6 turns (a curve that keeps bending one way, then the other)
//   polyline  5–9 random points joined by straight segments
//   polygon   a closed polygon of 3–8 corners, regular or irregular, sometimes with a diagonal
//   star      a star polygon {n/k} (n = 5–9 points on a circle, each joined to the k-th next)
//   lines     2–5 straight strokes at random angles and places (crossings, fans, grids)
//   dots      1–6 dots, or short dashes, scattered
//   wave      a sine wave or a zig-zag, horizontal or vertical, of 2–6 periods
//   hatch     a back-and-forth filling of a region
//   ring      an ellipse with 1–3 marks inside or across it (an ellipse alone would be a 0)
//   face      a ring with two dots and a mouth
//   letter    a letter from A K R W X (the committed sets' "tune" half) or C F L P T U V Y (in no
//             committed set), with random proportions; letters that are digits' shapes (O, I, S, Z,
//             G, D, Q, J) are not drawn
//   blob      a filled patch of tight scribbling
// Drawings that would be a digit's shape — one straight stroke within 35° of vertical (a 1), a lone
// ellipse (a 0) — are never made. Deterministic for a given `rand` (a generator of [0, 1), e.g.
// CnnLab.rng(seed)).
'use strict';
const { digitize } = require('../../web/lib/digitize.js');
const { thin } = require('../../web/lib/verdict.js');

const SIZE = 112; // the canvas (the pad is 280 px: its 21 px brush is 8.4 px here)

const KINDS = [
  'walk',
  'polyline',
  'polygon',
  'star',
  'lines',
  'dots',
  'wave',
  'hatch',
  'ring',
  'face',
  'letter',
  'blob',
];

// ---- strokes in a unit box (x right, y down) ----------------------------------------------------
const seg = (a, b) => [a, b];
const ellipse = (cx, cy, rx, ry, a0 = 0, a1 = 2 * Math.PI, n = 28) =>
  Array.from({ length: n + 1 }, (_, i) => {
    const a = a0 + ((a1 - a0) * i) / n;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)];
  });

// Letter skeletons, as lists of polylines; p: a proportion parameter in [0, 1].
const LETTERS = {
  A: (p) => [
    [
      [0.05, 1],
      [0.5, 0],
      [0.95, 1],
    ],
    seg([0.2 + 0.1 * p, 0.55 + 0.1 * p], [0.8 - 0.1 * p, 0.55 + 0.1 * p]),
  ],
  K: (p) => [
    seg([0.2, 0], [0.2, 1]),
    [
      [0.85, 0],
      [0.2, 0.45 + 0.15 * p],
      [0.9, 1],
    ],
  ],
  R: (p) => [
    seg([0.2, 0], [0.2, 1]),
    [[0.2, 0], ...ellipse(0.45, 0.25, 0.35, 0.25, -Math.PI / 2, Math.PI / 2, 12), [0.2, 0.5], [0.85, 1 - 0.1 * p]],
  ],
  W: (p) => [
    [
      [0, 0],
      [0.22, 1],
      [0.5, 0.25 + 0.3 * p],
      [0.78, 1],
      [1, 0],
    ],
  ],
  X: (p) => [seg([0.1, 0], [0.9, 1]), seg([0.9 - 0.2 * p, 0], [0.1 + 0.2 * p, 1])],
  C: (p) => [ellipse(0.55, 0.5, 0.45, 0.5, 0.25 * Math.PI + 0.2 * p, 1.75 * Math.PI - 0.2 * p, 20)],
  F: (p) => [
    [
      [0.9, 0],
      [0.2, 0],
      [0.2, 1],
    ],
    seg([0.2, 0.45 + 0.1 * p], [0.7, 0.45 + 0.1 * p]),
  ],
  L: (p) => [
    [
      [0.2, 0],
      [0.2, 1],
      [0.6 + 0.35 * p, 1],
    ],
  ],
  P: (p) => [
    seg([0.2, 0], [0.2, 1]),
    [[0.2, 0], ...ellipse(0.45, 0.25 + 0.05 * p, 0.35, 0.25 + 0.05 * p, -Math.PI / 2, Math.PI / 2, 12), [0.2, 0.55]],
  ],
  T: (p) => [seg([0, 0], [1, 0]), seg([0.5 + 0.1 * (p - 0.5), 0], [0.5, 1])],
  U: (p) => [[[0.1, 0], ...ellipse(0.5, 0.6, 0.4, 0.4 - 0.1 * p, Math.PI, 0, 12), [0.9, 0]]],
  V: (p) => [
    [
      [0.05 + 0.1 * p, 0],
      [0.5, 1],
      [0.95 - 0.1 * p, 0],
    ],
  ],
  Y: (p) => [
    [
      [0.05, 0],
      [0.5, 0.45 + 0.1 * p],
      [0.95, 0],
    ],
    seg([0.5, 0.45 + 0.1 * p], [0.5, 1]),
  ],
};
const LETTER_NAMES = Object.keys(LETTERS);

// One drawing's strokes in the unit box, and whether it keeps its own aspect (`square`).
function shape(kind, R) {
  const uni = (a, b) => a + (b - a) * R();
  const int = (a, b) => Math.floor(uni(a, b + 1));
  const pt = () => [R(), R()];
  switch (kind) {
    case 'walk': {
      const pts = [];
      let x = uni(0.2, 0.8),
        y = uni(0.2, 0.8),
        a = uni(0, 2 * Math.PI),
        turn = uni(-0.5, 0.5);
      const n = int(2, 6) * 12;
      for (let i = 0; i < n; i++) {
        if (R() < 0.1) turn = uni(-0.6, 0.6);
        a += turn + uni(-0.2, 0.2);
        x = Math.min(1, Math.max(0, x + 0.06 * Math.cos(a)));
        y = Math.min(1, Math.max(0, y + 0.06 * Math.sin(a)));
        pts.push([x, y]);
      }
      return { strokes: [pts], square: true };
    }
    case 'polyline':
      return { strokes: [Array.from({ length: int(5, 9) }, pt)], square: R() < 0.5 };
    case 'polygon': {
      const n = int(3, 8);
      const a0 = uni(0, 2 * Math.PI);
      const irregular = R() < 0.5;
      const pts = Array.from({ length: n }, (_, i) => {
        const a = a0 + (2 * Math.PI * (i + (irregular ? uni(-0.3, 0.3) : 0))) / n;
        const r = irregular ? uni(0.3, 0.5) : 0.5;
        return [0.5 + r * Math.cos(a), 0.5 + r * Math.sin(a)];
      });
      const strokes = [[...pts, pts[0]]];
      if (n > 3 && R() < 0.3) strokes.push(seg(pts[0], pts[2]));
      return { strokes, square: R() < 0.6 };
    }
    case 'star': {
      // a star polygon {n/k}: n points on a circle, each joined to the k-th next, in one stroke
      const n = int(5, 9);
      const k = n === 6 ? 2 : int(2, Math.floor((n - 1) / 2));
      const a0 = uni(0, 2 * Math.PI);
      const pts = [];
      for (let i = 0, j = 0; i <= n; i++, j = (j + k) % n) {
        const a = a0 + (2 * Math.PI * j) / n;
        pts.push([0.5 + 0.5 * Math.cos(a), 0.5 + 0.5 * Math.sin(a)]);
      }
      return { strokes: [pts], square: true };
    }
    case 'lines': {
      const n = int(2, 5);
      const strokes = [];
      for (let i = 0; i < n; i++) strokes.push(seg(pt(), pt()));
      return { strokes, square: true };
    }
    case 'dots': {
      const n = int(1, 6);
      const dash = R() < 0.4;
      const strokes = [];
      for (let i = 0; i < n; i++) {
        const [x, y] = pt();
        strokes.push(dash ? seg([x, y], [x + uni(-0.12, 0.12), y + uni(-0.12, 0.12)]) : [[x, y]]);
      }
      return { strokes, square: true, small: true };
    }
    case 'wave': {
      const periods = uni(2, 6);
      const zig = R() < 0.5;
      const amp = uni(0.15, 0.5);
      const n = zig ? Math.round(2 * periods) + 1 : 48;
      const pts = Array.from({ length: n }, (_, i) => {
        const t = i / (n - 1);
        const w = zig ? (i % 2 ? amp : -amp) : amp * Math.sin(2 * Math.PI * periods * t);
        return [t, 0.5 + w];
      });
      const vertical = R() < 0.35;
      return { strokes: [vertical ? pts.map(([x, y]) => [y, x]) : pts], square: true };
    }
    case 'hatch': {
      const n = int(4, 9);
      const pts = [];
      const tilt = uni(-0.3, 0.3);
      for (let i = 0; i < n; i++) pts.push([i % 2 ? 1 : 0, i / (n - 1) + (i % 2 ? tilt : 0)]);
      return { strokes: [pts], square: true };
    }
    case 'ring': {
      const rx = uni(0.3, 0.5),
        ry = uni(0.3, 0.5);
      const strokes = [ellipse(0.5, 0.5, rx, ry, 0, 2 * Math.PI + uni(0, 0.4))];
      const marks = int(1, 3);
      for (let i = 0; i < marks; i++) strokes.push(seg(pt(), pt()));
      return { strokes, square: true };
    }
    case 'face': {
      const strokes = [ellipse(0.5, 0.5, 0.5, 0.5, 0, 2 * Math.PI + 0.2)];
      strokes.push([[0.33, 0.35 + uni(-0.05, 0.05)]], [[0.67, 0.35 + uni(-0.05, 0.05)]]);
      const smile = R() < 0.7;
      strokes.push(
        ellipse(
          0.5,
          smile ? 0.55 : 0.85,
          0.22,
          0.15,
          smile ? 0.15 * Math.PI : 1.15 * Math.PI,
          smile ? 0.85 * Math.PI : 1.85 * Math.PI,
          10,
        ),
      );
      return { strokes, square: true };
    }
    case 'letter': {
      const name = LETTER_NAMES[int(0, LETTER_NAMES.length - 1)];
      return { strokes: LETTERS[name](R()), square: false, letter: name };
    }
    case 'blob': {
      const pts = [];
      for (let i = 0; i < 30; i++) pts.push([0.5 + uni(-0.5, 0.5), 0.5 + uni(-0.5, 0.5)]);
      return { strokes: [pts], square: true, small: true };
    }
    default:
      throw new Error(`scribbles: unknown kind ${kind}`);
  }
}

// Is this one straight stroke within 35° of vertical (a 1)?
function looksLikeOne(strokes) {
  if (strokes.length !== 1 || strokes[0].length !== 2) return false;
  const [[x0, y0], [x1, y1]] = strokes[0];
  return Math.abs(x1 - x0) < Math.tan((35 * Math.PI) / 180) * Math.abs(y1 - y0);
}

// Place the strokes on the canvas (size, aspect, rotation, wobble), draw them with a round brush
// and digitize: a 28×28 Float32Array in [0, 1].
function draw(strokes, R, { square = false, small = false } = {}) {
  const uni = (a, b) => a + (b - a) * R();
  const size = small ? uni(0.15, 0.9) * SIZE : uni(0.4, 0.85) * SIZE;
  const sx = square ? 1 : uni(0.55, 0.95);
  const rot = uni(-0.3, 0.3),
    c = Math.cos(rot),
    s = Math.sin(rot);
  const wob = uni(0, 0.025);
  const ph = [uni(0, 6.3), uni(0, 6.3), uni(1, 4)];
  const cx = uni(0.4, 0.6) * SIZE,
    cy = uni(0.4, 0.6) * SIZE;
  const placed = strokes.map((st) =>
    st.map(([x, y], i) => {
      const t = i / Math.max(1, st.length - 1);
      const u = (x - 0.5 + wob * Math.sin(ph[2] * 6.28 * t + ph[0])) * sx,
        v = y - 0.5 + wob * Math.sin(ph[2] * 6.28 * t + ph[1]);
      return [cx + size * (c * u - s * v), cy + size * (s * u + c * v)];
    }),
  );
  const width = R() < 0.5 ? 8.4 : uni(4.5, 12); // the pad's mouse brush (21 px of 280), or another pen
  return digitize(brush(placed, width), SIZE, SIZE).image;
}

// A round brush of diameter `width` along each polyline, anti-aliased over one pixel.
function brush(strokes, width) {
  const ink = new Float32Array(SIZE * SIZE);
  const r = width / 2;
  const capsule = (ax, ay, bx, by) => {
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r - 1)),
      x1 = Math.min(SIZE - 1, Math.ceil(Math.max(ax, bx) + r + 1));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r - 1)),
      y1 = Math.min(SIZE - 1, Math.ceil(Math.max(ay, by) + r + 1));
    const dx = bx - ax,
      dy = by - ay,
      len2 = dx * dx + dy * dy;
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5 - ax,
          py = y + 0.5 - ay;
        const t = len2 ? Math.max(0, Math.min(1, (px * dx + py * dy) / len2)) : 0;
        const v = Math.max(0, Math.min(1, r + 0.5 - Math.hypot(px - t * dx, py - t * dy)));
        if (v > ink[y * SIZE + x]) ink[y * SIZE + x] = v;
      }
  };
  for (const st of strokes) {
    if (st.length === 1) capsule(st[0][0], st[0][1], st[0][0], st[0][1]);
    for (let i = 1; i < st.length; i++) capsule(st[i - 1][0], st[i - 1][1], st[i][0], st[i][1]);
  }
  return ink;
}

// One generated non-digit: {kind, letter?, image (28×28 Float32Array)}; the kind cycles with i so
// that every kind is equally common.
function scribble(i, R) {
  const kind = KINDS[i % KINDS.length];
  let g;
  do g = shape(kind, R);
  while (looksLikeOne(g.strokes));
  return { kind, letter: g.letter, image: draw(g.strokes, R, g) };
}

// A digit drawn again with the generator's pen: an MNIST image (28×28, [0, 1]) thinned to its
// skeleton (lib/verdict.js thin), each skeleton pixel joined to its neighbours by the round brush
// on the canvas (slightly wobbled, the pen's width random as for the scribbles) and digitized. The
// detector's positives include these, so that the pen (MNIST's varying strokes against the brush's
// even ones) cannot tell it a digit from a scribble: only the shape can.
function redraw(image, R) {
  const uni = (a, b) => a + (b - a) * R();
  const on = new Uint8Array(784);
  for (let i = 0; i < 784; i++) on[i] = image[i] > 0.35 ? 1 : 0;
  const g = thin(on, 28);
  const k = SIZE / 28;
  const wob = [uni(0, 6.3), uni(0, 6.3), uni(0, 0.5)];
  const at = (x, y) => [
    (x + 0.5) * k + wob[2] * k * Math.sin(y / 3 + wob[0]),
    (y + 0.5) * k + wob[2] * k * Math.sin(x / 3 + wob[1]),
  ];
  const strokes = [];
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      if (!g[y * 28 + x]) continue;
      let joined = false;
      for (const [dx, dy] of [
        [1, 0],
        [0, 1],
        [1, 1],
        [-1, 1],
      ]) {
        const xx = x + dx,
          yy = y + dy;
        if (xx < 0 || xx >= 28 || yy >= 28 || !g[yy * 28 + xx]) continue;
        strokes.push([at(x, y), at(xx, yy)]);
        joined = true;
      }
      if (!joined) strokes.push([at(x, y)]);
    }
  const width = R() < 0.5 ? 8.4 : uni(4.5, 12);
  return digitize(brush(strokes, width), SIZE, SIZE).image;
}

module.exports = { KINDS, LETTERS: LETTER_NAMES, SIZE, scribble, redraw };
