// Lab experiment "conv-arithmetic": the notes' convolution arithmetic on the engine. The student's
// input W×H×C and K, F, S, P give the output size, the parameters F·F·C·K + K and the MACs, computed
// by the formula and by the engine (which builds the layer), with the notes' "doesn't fit" case; then
// a filter slides over a real input step by step, each output value computed by the engine's
// convolution (the view shows the window's products and sum beside it), and the same for max and
// average pooling on the notes' 4×4 example. Runs in the worker (see lab.js).
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);

  // The notes' examples (lecture on convolutions: the 5×5 binary image and the 3×3 "X" filter whose
  // feature map is [[4, 3, 4], [2, 4, 3], [2, 3, 4]]; pooling: the 4×4 slice → [[6, 8], [3, 4]]).
  const NOTES_IMAGE = [
    [1, 1, 1, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 1, 1, 1],
    [0, 0, 1, 1, 0],
    [0, 1, 1, 0, 0],
  ];
  const NOTES_FILTER = [
    [1, 0, 1],
    [0, 1, 0],
    [1, 0, 1],
  ];
  const NOTES_MAP = [
    [4, 3, 4],
    [2, 4, 3],
    [2, 3, 4],
  ];
  const POOL_SLICE = [
    [1, 1, 2, 4],
    [5, 6, 7, 8],
    [3, 2, 1, 0],
    [1, 2, 3, 4],
  ];
  const POOL_MAX = [
    [6, 8],
    [3, 4],
  ];
  // A vertical-edge filter for the digit (Sobel): positive where ink starts on the left.
  const EDGE_FILTER = [
    [1, 0, -1],
    [2, 0, -2],
    [1, 0, -1],
  ];

  // One convolution or pooling layer on one single-channel image, by the engine. Returns the output
  // as rows, or throws the engine's message.
  function engineLayer(E, image, layer, filter) {
    const n = image.length;
    const m = new E.Model(JSON.stringify({ input: [1, n, image[0].length], layers: [{ name: 'l', ...layer }] }));
    try {
      if (filter) {
        m.setParam('l.weight', Float32Array.from(filter.flat()));
        m.setParam('l.bias', new Float32Array([0]));
      }
      const out = m.forward(Float32Array.from(image.flat()), 1, false);
      const shape = JSON.parse(m.summary()).layers[1].shape;
      const rows = [];
      for (let i = 0; i < shape[1]; ++i) rows.push(Array.from(out.subarray(i * shape[2], (i + 1) * shape[2])));
      return { rows, shape };
    } finally {
      m.delete();
    }
  }

  // A test digit at 14×14 (2×2 means of the 28×28 image), values in [0, 1] rounded to tenths so that
  // a student can follow the products.
  function smallDigit(test, index) {
    const px = test.image(index); // 784 values, 0–255 or 0–1 as the data set stores them
    const scale = Math.max(...px) > 1.5 ? 255 : 1;
    const rows = [];
    for (let i = 0; i < 14; ++i) {
      const r = [];
      for (let j = 0; j < 14; ++j) {
        const s =
          px[2 * i * 28 + 2 * j] +
          px[2 * i * 28 + 2 * j + 1] +
          px[(2 * i + 1) * 28 + 2 * j] +
          px[(2 * i + 1) * 28 + 2 * j + 1];
        r.push(Math.round((s / 4 / scale) * 10) / 10);
      }
      rows.push(r);
    }
    return rows;
  }

  const same = (a, b) =>
    a.length === b.length &&
    a.every((r, i) => r.length === b[i].length && r.every((v, j) => Math.abs(v - b[i][j]) < 1e-5));

  L.define({
    id: 'conv-arithmetic',
    title: 'Convolution arithmetic',
    topic: 'Convolutional layers: spatial arrangement (output size, stride, padding, parameter sharing)',
    intro: [
      'A convolutional layer slides F×F×C filters over a W×H×C input with stride S after padding it with P zeros on each side. Each of its K filters gives one output map of size W₂ × H₂ with W₂ = (W − F + 2P)/S + 1.',
      'Every filter has F·F·C weights and one bias, so the layer has F·F·C·K + K parameters, shared by all positions; each output value costs F·F·C multiply-adds (MACs).',
      'When (W − F + 2P)/S is not whole the filter "doesn\'t fit": the notes\' example is a 3×3 filter on a 7×7 input with stride 3. Frameworks then round down and never read the last rows and columns; the engine does the same and says which.',
    ],
    settings: [
      {
        key: 'input-width',
        label: 'Input width W',
        type: 'int',
        default: 5,
        min: 1,
        max: 512,
        help: 'the input volume W×H×C',
      },
      { key: 'input-height', label: 'Input height H', type: 'int', default: 5, min: 1, max: 512 },
      { key: 'channels', label: 'Input depth C', type: 'int', default: 1, min: 1, max: 512 },
      { key: 'filters', label: 'Filters K', type: 'int', default: 1, min: 1, max: 1024 },
      { key: 'kernel', label: 'Filter size F', type: 'int', default: 3, min: 1, max: 64 },
      { key: 'stride', label: 'Stride S', type: 'int', default: 1, min: 1, max: 16 },
      { key: 'pad', label: 'Padding P', type: 'int', default: 0, min: 0, max: 16 },
      {
        key: 'example',
        label: 'Step through',
        type: 'select',
        default: 'notes',
        options: [
          ['notes', "the notes' 5×5 image and 3×3 filter"],
          ['digit', 'an MNIST digit (14×14) and an edge filter'],
        ],
        help: 'the input the filter slides over, step by step, with the stride and padding above',
      },
    ],
    needs: ['test'],

    async run(ctx, s) {
      const { E } = ctx;
      const claims = [];
      // 1. The arithmetic: the formula and the engine's layer.
      const span = (n) => n - s.kernel + 2 * s.pad;
      const exact = (n) => span(n) / s.stride + 1;
      const formula = {
        w2: exact(s['input-width']),
        h2: exact(s['input-height']),
        params: s.kernel * s.kernel * s.channels * s.filters + s.filters,
      };
      let engine;
      {
        let m = null;
        try {
          m = new E.Model(
            JSON.stringify({
              input: [s.channels, s['input-height'], s['input-width']],
              layers: [
                { type: 'conv2d', name: 'conv', filters: s.filters, kernel: s.kernel, stride: s.stride, pad: s.pad },
              ],
            }),
          );
          const l = JSON.parse(m.summary()).layers[1];
          engine = { shape: l.shape, params: l.params, macs: l.macs, note: l.note || '' };
        } catch (e) {
          engine = { error: e.message };
        } finally {
          if (m) m.delete();
        }
      }
      const fits =
        span(s['input-width']) >= 0 &&
        span(s['input-height']) >= 0 &&
        span(s['input-width']) % s.stride === 0 &&
        span(s['input-height']) % s.stride === 0;
      const W2 = Math.floor(span(s['input-width']) / s.stride) + 1;
      const H2 = Math.floor(span(s['input-height']) / s.stride) + 1;
      const expr = (n, n2) => `(${n} − ${s.kernel} + 2·${s.pad})/${s.stride} + 1 = ${L.num(n2)}`;
      if (engine.error) {
        claims.push(
          L.claim(
            'fits',
            `A ${s.kernel}×${s.kernel} filter does not fit a ${s['input-width']}×${s['input-height']} input with padding ${s.pad}: W − F + 2P < 0. The engine refuses the layer: "${engine.error}"`,
            span(Math.min(s['input-width'], s['input-height'])),
            span(s['input-width']) < 0 || span(s['input-height']) < 0,
          ),
        );
      } else {
        if (fits)
          claims.push(
            L.claim(
              'fits',
              `The filter fits: W₂ = ${expr(s['input-width'], formula.w2)} and H₂ = ${expr(s['input-height'], formula.h2)} are whole, and the engine's output is ${engine.shape.join('×')}.`,
              formula.w2,
              engine.shape[1] === formula.h2 && engine.shape[2] === formula.w2 && !engine.note,
            ),
          );
        else
          claims.push(
            L.claim(
              'fits',
              `It doesn't fit: W₂ = ${expr(s['input-width'], formula.w2)}${formula.h2 !== formula.w2 ? `, H₂ = ${expr(s['input-height'], formula.h2)}` : ''} is not whole. The engine rounds down to ${engine.shape[2]}×${engine.shape[1]} and says: this layer ${engine.note}`,
              formula.w2,
              engine.shape[2] === W2 && engine.shape[1] === H2 && engine.note.length > 0,
            ),
          );
        claims.push(
          L.claim(
            'params',
            `Parameters: F·F·C·K + K = ${s.kernel}·${s.kernel}·${s.channels}·${s.filters} + ${s.filters} = ${formula.params}; the engine's layer has ${engine.params}.`,
            engine.params,
            engine.params === formula.params,
          ),
        );
        const macs = W2 * H2 * s.filters * s.kernel * s.kernel * s.channels;
        claims.push(
          L.claim(
            'macs',
            `MACs per image: W₂·H₂·K·(F·F·C) = ${W2}·${H2}·${s.filters}·${s.kernel * s.kernel * s.channels} = ${macs}; the engine counts ${engine.macs}.`,
            engine.macs,
            engine.macs === macs,
          ),
        );
      }
      // The notes' case, whatever the settings: a 3×3 filter fits a 7×7 input with stride 2, not 3.
      const notesCase = [1, 2, 3].map((stride) => {
        const m = new E.Model(
          JSON.stringify({ input: [1, 7, 7], layers: [{ type: 'conv2d', name: 'c', filters: 1, kernel: 3, stride }] }),
        );
        try {
          const l = JSON.parse(m.summary()).layers[1];
          return { stride, out: l.shape[2], note: l.note || '' };
        } finally {
          m.delete();
        }
      });
      claims.push(
        L.claim(
          'notes-doesnt-fit',
          `The notes' case: a 3×3 filter on a 7×7 input gives ${notesCase[0].out}×${notesCase[0].out} with stride 1 and ${notesCase[1].out}×${notesCase[1].out} with stride 2, but with stride 3 it doesn't fit ((7 − 3)/3 + 1 = 2.33): the engine's layer ${notesCase[2].note || 'reads every row'}.`,
          notesCase[2].out,
          !notesCase[0].note &&
            !notesCase[1].note &&
            notesCase[2].note.length > 0 &&
            notesCase[0].out === 5 &&
            notesCase[1].out === 3,
        ),
      );
      await ctx.tick();

      // 2. Step by step: the filter slides over an input; the output values are the engine's.
      const image = s.example === 'digit' ? smallDigit(ctx.data.test, 0) : NOTES_IMAGE;
      const filter = s.example === 'digit' ? EDGE_FILTER : NOTES_FILTER;
      const f = filter.length;
      let steps = null;
      try {
        const out = engineLayer(
          E,
          image,
          { type: 'conv2d', filters: 1, kernel: f, stride: s.stride, pad: s.pad },
          filter,
        );
        steps = { image, filter, bias: 0, stride: s.stride, pad: s.pad, output: out.rows };
        // the products and sums, position by position, against the engine's values
        let worst = 0;
        out.rows.forEach((row, i) =>
          row.forEach((v, j) => {
            let sum = 0;
            for (let a = 0; a < f; ++a)
              for (let b = 0; b < f; ++b) {
                const y = i * s.stride + a - s.pad;
                const x = j * s.stride + b - s.pad;
                if (y >= 0 && y < image.length && x >= 0 && x < image[0].length) sum += image[y][x] * filter[a][b];
              }
            worst = Math.max(worst, Math.abs(sum - v));
          }),
        );
        claims.push(
          L.claim(
            'sums',
            `Each of the ${out.rows.length * out.rows[0].length} output values the engine computed equals the sum of its window's products (largest difference ${L.num(worst)}).`,
            worst,
            worst < 1e-4,
          ),
        );
        if (s.example === 'notes' && s.stride === 1 && s.pad === 0)
          claims.push(
            L.claim(
              'notes-map',
              `The engine's feature map is the notes' [[4, 3, 4], [2, 4, 3], [2, 3, 4]]: ${JSON.stringify(out.rows)}.`,
              out.rows[0][0],
              same(out.rows, NOTES_MAP),
            ),
          );
      } catch (e) {
        steps = { image, filter, bias: 0, stride: s.stride, pad: s.pad, output: null, error: e.message };
      }
      await ctx.tick();

      // 3. Pooling on the notes' 4×4 slice, 2×2 windows, stride 2.
      const max = engineLayer(E, POOL_SLICE, { type: 'maxpool2d', size: 2, stride: 2 }).rows;
      const avg = engineLayer(E, POOL_SLICE, { type: 'avgpool2d', size: 2, stride: 2 }).rows;
      claims.push(
        L.claim(
          'maxpool',
          `Max pooling (2×2, stride 2) of the notes' 4×4 slice gives the notes' [[6, 8], [3, 4]]: the engine gives ${JSON.stringify(max)}.`,
          max[0][0],
          same(max, POOL_MAX),
        ),
      );
      const avgByHand = [0, 1].map((i) =>
        [0, 1].map(
          (j) =>
            (POOL_SLICE[2 * i][2 * j] +
              POOL_SLICE[2 * i][2 * j + 1] +
              POOL_SLICE[2 * i + 1][2 * j] +
              POOL_SLICE[2 * i + 1][2 * j + 1]) /
            4,
        ),
      );
      claims.push(
        L.claim(
          'avgpool',
          `Average pooling of the same slice gives the windows' means ${JSON.stringify(avgByHand)}: the engine gives ${JSON.stringify(avg)}. Pooling has no parameters.`,
          avg[0][0],
          same(avg, avgByHand),
        ),
      );
      return {
        claims,
        arithmetic: { ...s, formula, engine, fits, W2, H2 },
        steps,
        pooling: { input: POOL_SLICE, size: 2, stride: 2, max, avg },
      };
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
