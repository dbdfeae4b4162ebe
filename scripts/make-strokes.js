// Generates the committed evaluation sets of the verdict ("digit" / "unsure" / "not-a-digit"):
// hand-drawn-like stroke drawings, rendered at the Draw pad's size (280×280, a round brush as the
// pad draws it) and digitized exactly as the pad is (web/lib/digitize.js).
//   node scripts/make-strokes.js [--seed 15] [--out tests/fixtures/strokes]
// Deterministic from the seed. Writes digits.json (240 digits, 24 per class, in varied styles:
// stroke widths, slants, sizes, positions, European 1s with flag and base, crossed 7s, open and
// closed 4s, looped and plain 2s, …) and nondigits.json (100 drawings: dots, two dots, lines,
// scribbles, #, letters, shapes, specks). Each item: {id, label (0-9 or the kind), style, part
// ("tune" | "test": thresholds are chosen on "tune" only), width, strokes: [[[x, y], …], …] in pad
// pixels, image: base64 of the 28×28 input as bytes (pixel × 255)}.
'use strict';
const fs = require('fs');
const path = require('path');
const { digitize } = require('../web/lib/digitize.js');

const PAD = 280;
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const SEED = Number(opt('--seed', 15));
const OUT = path.resolve(__dirname, '..', opt('--out', 'tests/fixtures/strokes'));

const { mulberry32: rng } = require('./lib/mulberry32.js');
const R = rng(SEED);
const uni = (a, b) => a + (b - a) * R();
const pick = (list) => list[Math.floor(R() * list.length)];

// ---- shapes in a unit box (x right, y down), as lists of strokes (polylines) ----
const line = (x0, y0, x1, y1, n = 8) =>
  Array.from({ length: n + 1 }, (_, i) => [x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * i) / n]);
// An arc of an ellipse from angle a0 to a1 (degrees; 0 = right, 90 = down).
const arc = (cx, cy, rx, ry, a0, a1, n = 24) =>
  Array.from({ length: n + 1 }, (_, i) => {
    const a = ((a0 + ((a1 - a0) * i) / n) * Math.PI) / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)];
  });
const join = (...parts) => parts.flatMap((p, i) => (i ? p.slice(1) : p));

const DIGITS = {
  0: [
    ['oval', () => [arc(0.5, 0.5, 0.32, 0.48, -90, 275)]],
    ['round', () => [arc(0.5, 0.5, 0.42, 0.47, -100, 265)]],
    ['overlap', () => [arc(0.5, 0.5, 0.3, 0.48, -60, 320)]],
  ],
  1: [
    ['plain', () => [line(0.5, 0, 0.5, 1)]],
    ['flag', () => [join(line(0.25, 0.25, 0.55, 0), line(0.55, 0, 0.55, 1))]],
    ['european', () => [join(line(0.2, 0.3, 0.55, 0), line(0.55, 0, 0.55, 1)), line(0.25, 1, 0.85, 1)]],
    ['base', () => [line(0.5, 0, 0.5, 1), line(0.2, 1, 0.8, 1)]],
  ],
  2: [
    ['plain', () => [join(arc(0.5, 0.28, 0.36, 0.28, 190, 380), line(0.84, 0.38, 0.1, 1), line(0.1, 1, 0.95, 1))]],
    [
      'looped',
      () => [
        join(
          arc(0.5, 0.28, 0.36, 0.28, 190, 380),
          line(0.84, 0.38, 0.2, 0.88),
          arc(0.2, 0.93, 0.1, 0.07, 0, 360, 12),
          line(0.2, 0.93, 0.95, 0.96),
        ),
      ],
    ],
    [
      'curvy',
      () => [join(arc(0.5, 0.3, 0.38, 0.3, 200, 400), arc(0.5, 1.05, 0.4, 0.55, -50, -180), line(0.1, 1, 0.9, 0.98))],
    ],
  ],
  3: [
    ['round', () => [join(arc(0.48, 0.26, 0.34, 0.25, 200, 450), arc(0.48, 0.74, 0.38, 0.26, -90, 160))]],
    ['flat-top', () => [join(line(0.1, 0, 0.85, 0), line(0.85, 0, 0.4, 0.42), arc(0.45, 0.7, 0.4, 0.3, -80, 160))]],
    ['two-strokes', () => [arc(0.48, 0.26, 0.34, 0.25, 200, 450), arc(0.48, 0.74, 0.38, 0.26, -90, 160)]],
  ],
  4: [
    ['open', () => [join(line(0.3, 0, 0.08, 0.62), line(0.08, 0.62, 0.95, 0.62)), line(0.7, 0.1, 0.7, 1)]],
    ['closed', () => [join(line(0.68, 1, 0.68, 0), line(0.68, 0, 0.05, 0.66), line(0.05, 0.66, 0.95, 0.66))]],
    ['closed-2', () => [join(line(0.68, 0, 0.05, 0.66), line(0.05, 0.66, 0.95, 0.66)), line(0.68, 0, 0.68, 1)]],
  ],
  5: [
    ['one-stroke', () => [join(line(0.85, 0, 0.2, 0), line(0.2, 0, 0.17, 0.45), arc(0.45, 0.7, 0.4, 0.3, 215, 510))]],
    ['flag-apart', () => [join(line(0.22, 0, 0.17, 0.45), arc(0.45, 0.7, 0.4, 0.3, 215, 510)), line(0.22, 0, 0.88, 0)]],
  ],
  6: [
    ['loop', () => [join(arc(0.62, 0.55, 0.45, 0.55, 250, 160), arc(0.5, 0.72, 0.32, 0.27, 170, 530))]],
    ['straight', () => [join(line(0.75, 0, 0.22, 0.62), arc(0.5, 0.72, 0.3, 0.27, 190, 550))]],
  ],
  7: [
    ['plain', () => [join(line(0.05, 0, 0.95, 0), line(0.95, 0, 0.35, 1))]],
    ['crossed', () => [join(line(0.05, 0, 0.95, 0), line(0.95, 0, 0.35, 1)), line(0.35, 0.5, 0.9, 0.5)]],
    ['hook', () => [join(line(0.05, 0.15, 0.05, 0), line(0.05, 0, 0.95, 0), line(0.95, 0, 0.45, 1))]],
  ],
  8: [
    ['two-loops', () => [arc(0.5, 0.25, 0.24, 0.24, 0, 362), arc(0.5, 0.73, 0.3, 0.26, -90, 272)]],
    [
      'figure',
      () => [
        Array.from({ length: 49 }, (_, i) => {
          const t = (2 * Math.PI * i) / 48;
          return [0.5 + 0.34 * Math.sin(2 * t) * (t < Math.PI ? 0.8 : 1), 0.5 - 0.49 * Math.cos(t)];
        }),
      ],
    ],
  ],
  9: [
    ['straight', () => [join(arc(0.48, 0.28, 0.3, 0.27, -10, 360), line(0.78, 0.25, 0.72, 1))]],
    ['curved', () => [join(arc(0.48, 0.28, 0.3, 0.27, -10, 360), arc(0.3, 0.3, 0.48, 0.7, 0, 100))]],
    ['two-strokes', () => [arc(0.48, 0.28, 0.3, 0.27, 0, 362), line(0.78, 0.2, 0.78, 1)]],
  ],
};

const star = (n, inner) =>
  Array.from({ length: 2 * n + 1 }, (_, i) => {
    const a = -Math.PI / 2 + (Math.PI * i) / n;
    const r = i % 2 ? 0.5 * inner : 0.5;
    return [0.5 + r * Math.cos(a), 0.5 + r * Math.sin(a)];
  });
const LETTERS = {
  A: () => [join(line(0.05, 1, 0.5, 0), line(0.5, 0, 0.95, 1)), line(0.25, 0.6, 0.75, 0.6)],
  B: () => [
    line(0.15, 0, 0.15, 1),
    join(line(0.15, 0, 0.55, 0), arc(0.55, 0.24, 0.3, 0.24, -90, 90), line(0.55, 0.48, 0.15, 0.48)),
    join(line(0.15, 0.48, 0.6, 0.48), arc(0.6, 0.74, 0.33, 0.26, -90, 90), line(0.6, 1, 0.15, 1)),
  ],
  X: () => [line(0.05, 0, 0.95, 1), line(0.95, 0, 0.05, 1)],
  H: () => [line(0.1, 0, 0.1, 1), line(0.9, 0, 0.9, 1), line(0.1, 0.5, 0.9, 0.5)],
  K: () => [line(0.15, 0, 0.15, 1), join(line(0.85, 0, 0.15, 0.55), line(0.15, 0.55, 0.9, 1))],
  M: () => [join(line(0.05, 1, 0.1, 0), line(0.1, 0, 0.5, 0.6), line(0.5, 0.6, 0.9, 0), line(0.9, 0, 0.95, 1))],
  W: () => [join(line(0, 0, 0.25, 1), line(0.25, 1, 0.5, 0.3), line(0.5, 0.3, 0.75, 1), line(0.75, 1, 1, 0))],
  E: () => [join(line(0.85, 0, 0.15, 0), line(0.15, 0, 0.15, 1), line(0.15, 1, 0.85, 1)), line(0.15, 0.5, 0.7, 0.5)],
  R: () => [
    line(0.15, 0, 0.15, 1),
    join(
      line(0.15, 0, 0.55, 0),
      arc(0.55, 0.25, 0.3, 0.25, -90, 90),
      line(0.55, 0.5, 0.15, 0.5),
      line(0.4, 0.5, 0.9, 1),
    ),
  ],
  N: () => [join(line(0.1, 1, 0.1, 0), line(0.1, 0, 0.9, 1), line(0.9, 1, 0.9, 0))],
};

// Random smooth curves: a tangle of `turns` loops.
function tangle(turns) {
  const pts = [];
  let x = uni(0.3, 0.7),
    y = uni(0.3, 0.7),
    a = uni(0, 2 * Math.PI);
  for (let i = 0; i < turns * 14; i++) {
    a += uni(-0.9, 0.9);
    x += 0.07 * Math.cos(a);
    y += 0.07 * Math.sin(a);
    if (x < 0 || x > 1) a = Math.PI - a;
    if (y < 0 || y > 1) a = -a;
    x = Math.min(1, Math.max(0, x));
    y = Math.min(1, Math.max(0, y));
    pts.push([x, y]);
  }
  return [pts];
}

const NONDIGITS = [
  ['dot', 8, () => ({ strokes: [[[0.5, 0.5]]], size: uni(0, 20) })],
  [
    'two-dots',
    8,
    () => {
      const d = uni(0.3, 1);
      const vertical = R() < 0.5;
      return {
        strokes: vertical ? [[[0.5, 0]], [[0.5, d]]] : [[[0, 0.5]], [[d, 0.5]]],
        size: uni(40, 140),
      };
    },
  ],
  ['line', 8, () => ({ strokes: [line(0, 0.5, 1, 0.5 + uni(-0.4, 0.4))], size: uni(100, 240), square: true })],
  ['tangle', 16, () => ({ strokes: tangle(Math.floor(uni(3, 9))), size: uni(120, 240) })],
  [
    'hash',
    8,
    () => ({
      strokes: [line(0.35, 0, 0.3, 1), line(0.7, 0, 0.65, 1), line(0, 0.33, 1, 0.33), line(0, 0.67, 1, 0.67)],
      size: uni(120, 230),
    }),
  ],
  [
    'letter',
    20,
    (i) => ({ strokes: Object.values(LETTERS)[i % 10](), size: uni(120, 230), style: Object.keys(LETTERS)[i % 10] }),
  ],
  [
    'circle-cross',
    5,
    () => ({
      strokes: [arc(0.5, 0.5, 0.5, 0.5, 0, 362), line(0.15, 0.15, 0.85, 0.85), line(0.85, 0.15, 0.15, 0.85)],
      size: uni(120, 230),
      square: true,
    }),
  ],
  [
    'square',
    5,
    () => ({
      strokes: [join(line(0, 0, 1, 0), line(1, 0, 1, 1), line(1, 1, 0, 1), line(0, 1, 0, 0))],
      size: uni(110, 220),
      square: true,
    }),
  ],
  [
    'triangle',
    5,
    () => ({
      strokes: [join(line(0.5, 0, 1, 0.9), line(1, 0.9, 0, 0.9), line(0, 0.9, 0.5, 0))],
      size: uni(110, 220),
      square: true,
    }),
  ],
  ['star', 5, () => ({ strokes: [star(5, 0.4)], size: uni(120, 230), square: true })],
  [
    'spiral',
    4,
    () => ({
      strokes: [
        Array.from({ length: 80 }, (_, i) => [
          0.5 + (0.5 * i * Math.cos(i / 5)) / 80,
          0.5 + (0.5 * i * Math.sin(i / 5)) / 80,
        ]),
      ],
      size: uni(130, 230),
      square: true,
    }),
  ],
  ['speck', 4, () => ({ strokes: tangle(1), size: uni(15, 35) })],
  [
    'zigzag',
    4,
    () => ({
      strokes: [Array.from({ length: 7 }, (_, i) => [i / 6, i % 2 ? 0.35 : 0.65])],
      size: uni(150, 240),
      square: true,
    }),
  ],
];

// ---- from unit strokes to pad strokes: size, aspect, slant, rotation, position, wobble ----
function place(strokes, { size, square = false, slant = 0, rot = 0, aspect = 0.62, wobble = 0.02 }) {
  const sx = square ? 1 : aspect;
  // smooth wobble: two sinusoids per stroke
  const waves = strokes.map(() => [uni(0, 6.3), uni(0, 6.3), uni(2, 5), uni(2, 5)]);
  const c = Math.cos(rot),
    s = Math.sin(rot);
  let pts = strokes.map((st, k) =>
    st.map(([x, y], i) => {
      const [p1, p2, f1, f2] = waves[k];
      const t = i / Math.max(1, st.length - 1);
      const wx = x + wobble * Math.sin(f1 * t * 6.28 + p1);
      const wy = y + wobble * Math.sin(f2 * t * 6.28 + p2);
      let u = (wx - 0.5) * sx,
        v = wy - 0.5;
      u -= slant * v; // slant: the top leans right for slant > 0
      return [size * (c * u - s * v), size * (s * u + c * v)];
    }),
  );
  // position: the drawing anywhere on the pad where it fits (with a margin)
  const all = pts.flat();
  const minX = Math.min(...all.map((p) => p[0])),
    maxX = Math.max(...all.map((p) => p[0]));
  const minY = Math.min(...all.map((p) => p[1])),
    maxY = Math.max(...all.map((p) => p[1]));
  const m = 18;
  const ox = uni(m - minX, Math.max(m - minX, PAD - m - maxX));
  const oy = uni(m - minY, Math.max(m - minY, PAD - m - maxY));
  pts = pts.map((st) => st.map(([x, y]) => [x + ox, y + oy]));
  return pts.map(resample);
}

// Points about 5 px apart, as pointer events come in; rounded to 0.1 px.
function resample(st) {
  const out = [st[0]];
  for (let i = 1; i < st.length; i++) {
    const [x0, y0] = st[i - 1],
      [x1, y1] = st[i];
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 5));
    for (let k = 1; k <= n; k++) out.push([x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n]);
  }
  return out.map(([x, y]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10]);
}

// The pad's round brush of diameter `width`: each segment a capsule, anti-aliased over one pixel.
function render(strokes, width) {
  const ink = new Float32Array(PAD * PAD);
  const r = width / 2;
  const capsule = (ax, ay, bx, by) => {
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r - 1)),
      x1 = Math.min(PAD - 1, Math.ceil(Math.max(ax, bx) + r + 1));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r - 1)),
      y1 = Math.min(PAD - 1, Math.ceil(Math.max(ay, by) + r + 1));
    const dx = bx - ax,
      dy = by - ay,
      len2 = dx * dx + dy * dy;
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5 - ax,
          py = y + 0.5 - ay;
        const t = len2 ? Math.max(0, Math.min(1, (px * dx + py * dy) / len2)) : 0;
        const d = Math.hypot(px - t * dx, py - t * dy);
        const v = Math.max(0, Math.min(1, r + 0.5 - d));
        if (v > ink[y * PAD + x]) ink[y * PAD + x] = v;
      }
  };
  for (const st of strokes) {
    if (st.length === 1) capsule(st[0][0], st[0][1], st[0][0], st[0][1]);
    for (let i = 1; i < st.length; i++) capsule(st[i - 1][0], st[i - 1][1], st[i][0], st[i][1]);
  }
  return ink;
}

function item(id, label, style, strokes, width, part) {
  const { image } = digitize(render(strokes, width), PAD, PAD);
  const bytes = Buffer.from(Array.from(image, (v) => Math.round(v * 255)));
  return { id, label, style, part, width: Math.round(width * 10) / 10, strokes, image: bytes.toString('base64') };
}

const digits = [];
for (let d = 0; d < 10; d++) {
  const styles = DIGITS[d];
  for (let i = 0; i < 24; i++) {
    const [style, make] = styles[i % styles.length];
    const width = pick([21, 21, uni(12, 30)]); // the pad's mouse brush is 21 px
    const strokes = place(make(), {
      size: uni(110, 250),
      slant: uni(-0.15, 0.35),
      rot: uni(-0.15, 0.15),
      aspect: d === 1 && style === 'plain' ? 0.3 : uni(0.5, 0.8),
      wobble: uni(0.005, 0.03),
    });
    digits.push(item(`d${d}-${i}`, d, style, strokes, width, i % 2 ? 'test' : 'tune'));
  }
}

const nondigits = [];
for (const [kind, count, make] of NONDIGITS) {
  for (let i = 0; i < count; i++) {
    const g = make(i);
    const width = pick([21, 21, uni(12, 30)]);
    const strokes = place(g.strokes, {
      size: g.size,
      square: g.square || kind === 'tangle' || kind === 'dot' || kind === 'speck' || kind === 'two-dots',
      slant: uni(-0.1, 0.2),
      rot: uni(-0.2, 0.2),
      aspect: uni(0.6, 0.9),
      wobble: kind === 'dot' ? 0 : uni(0.005, 0.025),
    });
    nondigits.push(item(`n-${kind}-${i}`, kind, g.style || kind, strokes, width, i % 2 ? 'test' : 'tune'));
  }
}

fs.mkdirSync(OUT, { recursive: true });
const header = { seed: SEED, pad: PAD, generator: 'scripts/make-strokes.js' };
const write = (name, items) => {
  const text = `{"about":${JSON.stringify(header)},"items":[\n${items.map((x) => JSON.stringify(x)).join(',\n')}\n]}\n`;
  fs.writeFileSync(path.join(OUT, name), text);
  console.log(`${name}: ${items.length} drawings, ${(text.length / 1024).toFixed(0)} KB`);
};
write('digits.json', digits);
write('nondigits.json', nondigits);
