// Drawings made of strokes, rendered the way the Draw pad draws them (a round brush, anti-aliased)
// and digitized as the pad's drawings are (lib/digitize.js): the shapes of a few letters in a unit
// box, their placement on the pad (size, aspect, slant, rotation, position, a smooth wobble), the
// pad's sampling of pointer events, and the brush. Used by scripts/make-strokes.js (the committed
// test drawings) and by the Lab's transfer experiment (its demonstration set of generated letters,
// in the worker). Defines self.CnnStrokes (module.exports under Node).
/* global module, require */
(function (root) {
  'use strict';
  const D = root.CnnDigitize || (typeof require === 'function' ? require('./digitize.js') : null);

  const PAD = 280; // the Draw pad's canvas, in pixels

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

  // ---- from unit strokes to pad strokes: size, aspect, slant, rotation, position, wobble ----
  // uni(a, b): the caller's seeded uniform numbers (the order of the calls is part of the output).
  function place(strokes, { size, square = false, slant = 0, rot = 0, aspect = 0.62, wobble = 0.02 }, uni) {
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
  // Returns the ink (PAD×PAD values in [0, 1]).
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

  // Pad strokes as the network's 28×28 input, in bytes (pixel × 255), as the pad digitizes them.
  function imageBytes(strokes, width) {
    const { image } = D.digitize(render(strokes, width), PAD, PAD);
    return Uint8Array.from(image, (v) => Math.round(v * 255));
  }

  // A set of generated letter drawings: `perClass` of each letter in `letters`, each in its own
  // style (brush width, size, aspect, slant, rotation, wobble, position) from the seeded `rand`
  // (numbers in [0, 1)). [{label (index in letters), letter, image: Uint8Array(784)}], class by class.
  function letterSet(letters, perClass, rand) {
    const uni = (a, b) => a + (b - a) * rand();
    const out = [];
    letters.forEach((letter, label) => {
      const make = LETTERS[letter];
      if (!make)
        throw new Error(`no strokes for the letter ${JSON.stringify(letter)} (${Object.keys(LETTERS).join(', ')})`);
      for (let i = 0; i < perClass; i++) {
        const width = rand() < 0.6 ? 21 : uni(12, 30); // the pad's mouse brush is 21 px
        const strokes = place(
          make(),
          {
            size: uni(110, 250),
            slant: uni(-0.15, 0.35),
            rot: uni(-0.2, 0.2),
            aspect: uni(0.55, 0.95),
            wobble: uni(0.005, 0.03),
          },
          uni,
        );
        out.push({ label, letter, image: imageBytes(strokes, width) });
      }
    });
    return out;
  }

  const api = Object.freeze({ PAD, line, arc, join, LETTERS, place, resample, render, imageBytes, letterSet });
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.CnnStrokes = api;
})(typeof self !== 'undefined' ? self : globalThis);
