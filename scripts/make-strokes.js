// Generates the committed evaluation sets of the verdict ("digit" / "unsure" / "not-a-digit"):
// hand-drawn-like stroke drawings, rendered at the Draw pad's size (280×280, a round brush as the
// pad draws it) and digitized exactly as the pad is (web/lib/digitize.js).
//   node scripts/make-strokes.js [--seed 15] [--out tests/fixtures/strokes]
// Deterministic from the seed. Writes digits.json (240 digits, 24 per class, in varied styles:
// stroke widths, slants, sizes, positions, European 1s with flag and base, crossed 7s, open and
// closed 4s, looped and plain 2s, …) and nondigits.json (100 drawings: dots, two dots, lines,
// scribbles, #, letters, shapes, specks). Each item: {id, label (0-9 or the kind), style, part
// ("tune" | "test": thresholds are chosen on "tune" only), width, strokes: [[[x, y], …], …] in pad
// pixels, image: base64 of the 28×28 input as bytes (pixel × 255)}. The letters' shapes, the placement
// and the brush are web/lib/strokes.js's (shared with the Lab's transfer experiment).
'use strict';
const fs = require('fs');
const path = require('path');
const S = require('../web/lib/strokes.js'); // the shapes, their placement and the pad's brush

const PAD = S.PAD;
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

const { line, arc, join, LETTERS } = S;

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

const place = (strokes, opts) => S.place(strokes, opts, uni);

function item(id, label, style, strokes, width, part) {
  const bytes = Buffer.from(S.imageBytes(strokes, width));
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
