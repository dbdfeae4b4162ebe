// Lab experiment "architectures": the zoo's nets side by side on the engine. For every model of
// models/index.json and the trained model: parameters, MACs and the memory of one image's
// activations (the engine's summary), inference and training time measured in this run (a few
// steps at a small batch), and the test accuracy where trained weights exist (only the pretrained
// model: the zoo's descriptions are untrained). The residual and Inception blocks as graphs (the
// engine's layer list), batch-norm folding (Model.foldBatchnorm: outputs and time before and
// after), and the notes' case studies, LeNet-5 and AlexNet (227×227×3), built by the engine, their
// layer tables beside the notes' sizes. Runs in the worker (see lab.js; ctx.asset reads the zoo).
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);

  // Outputs of a model and its folded copy agree when |a − b| <= TOLERANCE · max(1, max |a|).
  const TOLERANCE = 1e-4;
  // Warm-up before timing a model: calls for at least this long (one at least).
  const WARM_MS = 40;
  // A timed sample runs a model this long at least (several calls of a fast one), at most MAX_REPS calls.
  const SAMPLE_MS = 5;
  const MAX_REPS = 50;

  // The notes' AlexNet ("Full (simplified) AlexNet architecture", the case study): the description
  // the engine builds, and the notes' output size of each named layer ([W, H, D] or [units]).
  const ALEXNET_NOTES = [
    ['input', [227, 227, 3], 'INPUT'],
    ['conv1', [55, 55, 96], 'CONV1: 96 11x11 filters at stride 4, pad 0'],
    ['pool1', [27, 27, 96], 'MAX POOL1: 3x3 filters at stride 2'],
    ['norm1', [27, 27, 96], 'NORM1: Normalization layer'],
    ['conv2', [27, 27, 256], 'CONV2: 256 5x5 filters at stride 1, pad 2'],
    ['pool2', [13, 13, 256], 'MAX POOL2: 3x3 filters at stride 2'],
    ['norm2', [13, 13, 256], 'NORM2: Normalization layer'],
    ['conv3', [13, 13, 384], 'CONV3: 384 3x3 filters at stride 1, pad 1'],
    ['conv4', [13, 13, 384], 'CONV4: 384 3x3 filters at stride 1, pad 1'],
    ['conv5', [13, 13, 256], 'CONV5: 256 3x3 filters at stride 1, pad 1'],
    ['pool3', [6, 6, 256], 'MAX POOL3: 3x3 filters at stride 2'],
    ['fc6', [4096], 'FC6: 4096 neurons'],
    ['fc7', [4096], 'FC7: 4096 neurons'],
    ['fc8', [1000], 'FC8: 1000 neurons (class scores)'],
  ];
  function alexnet(side) {
    return {
      name: 'alexnet',
      input: [3, side, side],
      layers: [
        { type: 'conv2d', name: 'conv1', filters: 96, kernel: 11, stride: 4, pad: 0 },
        { type: 'relu', name: 'relu1' },
        { type: 'maxpool2d', name: 'pool1', size: 3, stride: 2 },
        { type: 'lrn', name: 'norm1' },
        { type: 'conv2d', name: 'conv2', filters: 256, kernel: 5, stride: 1, pad: 2 },
        { type: 'relu', name: 'relu2' },
        { type: 'maxpool2d', name: 'pool2', size: 3, stride: 2 },
        { type: 'lrn', name: 'norm2' },
        { type: 'conv2d', name: 'conv3', filters: 384, kernel: 3, stride: 1, pad: 1 },
        { type: 'relu', name: 'relu3' },
        { type: 'conv2d', name: 'conv4', filters: 384, kernel: 3, stride: 1, pad: 1 },
        { type: 'relu', name: 'relu4' },
        { type: 'conv2d', name: 'conv5', filters: 256, kernel: 3, stride: 1, pad: 1 },
        { type: 'relu', name: 'relu5' },
        { type: 'maxpool2d', name: 'pool3', size: 3, stride: 2 },
        { type: 'dense', name: 'fc6', units: 4096 },
        { type: 'relu', name: 'relu6' },
        { type: 'dense', name: 'fc7', units: 4096 },
        { type: 'relu', name: 'relu7' },
        { type: 'dense', name: 'fc8', units: 1000 },
      ],
    };
  }

  const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
  const text = (bytes) => new TextDecoder().decode(bytes);
  const prod = (a) => a.reduce((p, x) => p * x, 1);
  const pct = (x) => `${(100 * x).toFixed(2)} %`;
  const fmtInt = (n) => n.toLocaleString('en');
  const ms = (x) => `${L.num(x)} ms`;
  // "12.3 % less" or "4.0 % more" time, after against before
  const change = (before, after) =>
    `${((100 * Math.abs(after - before)) / before).toFixed(1)} % ${after <= before ? 'less' : 'more'}`;

  // The parameters a layer of the summary should have by the notes' formulas (conv: F·F·C/groups·K
  // + K; dense: inputs·units + units), from its config and its input's shape; null for other kinds.
  function formulaParams(layer, inShape) {
    const c = layer.config || {};
    const bias = c.bias === false ? 0 : 1;
    if (layer.type === 'conv2d') {
      const [fh, fw] = c.kernel;
      const groups = c.groups || 1;
      return fh * fw * (inShape[0] / groups) * c.filters + bias * c.filters;
    }
    if (layer.type === 'dense') return prod(inShape) * c.units + bias * c.units;
    return null;
  }

  // The engine's summary of a model as the table's layers: name, type, inputs, shape, params, MACs.
  function layersOf(m) {
    const s = JSON.parse(m.summary());
    return {
      layers: s.layers.map((l) => ({
        name: l.name,
        type: l.type,
        inputs: l.inputs,
        shape: l.shape,
        params: l.params,
        macs: l.macs,
        config: l.config || null,
        note: l.note || '',
      })),
      params: s.total_params,
      macs: s.total_macs,
    };
  }

  // The first `batch` test images and their labels, as trainStep and forward take them.
  function batchOf(test, batch) {
    const [c, h, w] = test.shape();
    const per = c * h * w;
    const x = new Float32Array(batch * per);
    const y = new Int32Array(batch);
    for (let i = 0; i < batch; ++i) {
      x.set(test.image(i), i * per);
      y[i] = test.label(i);
    }
    return { x, y };
  }

  // Warm-up calls of f for at least WARM_MS (the engine's code and buffers settle: the first calls of
  // a model are slower); returns how many calls make one timed sample of at least SAMPLE_MS (a page
  // that is not cross-origin isolated reads the clock in steps of 0.1 ms).
  function warmUp(f) {
    const w0 = now();
    let n = 0;
    do {
      f();
      n += 1;
    } while (now() - w0 < WARM_MS);
    const perCall = (now() - w0) / n;
    return Math.max(1, Math.min(MAX_REPS, Math.ceil(SAMPLE_MS / Math.max(perCall, 1e-3))));
  }

  // One sample: ms per call of `reps` calls of f.
  function sample(f, reps) {
    const t = now();
    for (let i = 0; i < reps; ++i) f();
    return (now() - t) / reps;
  }

  // The fastest of `steps` samples of f, in ms per call, after a warm-up. Other programs on the
  // machine only ever add time, so the fastest sample is the least disturbed measure of its own cost.
  async function timeIt(ctx, steps, f) {
    const reps = warmUp(f);
    await ctx.tick();
    const times = [];
    for (let i = 0; i < steps; ++i) {
      times.push(sample(f, reps));
      await ctx.tick();
    }
    return Math.min(...times);
  }

  // Spearman's rank correlation of two lists.
  function spearman(a, b) {
    const rank = (v) => {
      const idx = v.map((x, i) => [x, i]).sort((p, q) => p[0] - q[0]);
      const r = new Array(v.length);
      for (let i = 0; i < idx.length;) {
        let j = i;
        while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) ++j;
        for (let k = i; k <= j; ++k) r[idx[k][1]] = (i + j) / 2;
        i = j + 1;
      }
      return r;
    };
    const ra = rank(a);
    const rb = rank(b);
    const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
    const ma = mean(ra);
    const mb = mean(rb);
    let num = 0;
    let da = 0;
    let db = 0;
    for (let i = 0; i < a.length; ++i) {
      num += (ra[i] - ma) * (rb[i] - mb);
      da += (ra[i] - ma) ** 2;
      db += (rb[i] - mb) ** 2;
    }
    return da && db ? num / Math.sqrt(da * db) : 0;
  }

  // Batch-norm folding of model m (its running statistics moved by the timed training steps):
  // the folded copy's outputs and inference time beside the original's, `repeats` samples each,
  // alternated so that both see the same load.
  async function fold(ctx, m, row, x, batch, repeats) {
    const f = m.foldBatchnorm();
    try {
      const after = layersOf(f);
      const a = m.forward(x, batch, false);
      const b = f.forward(x, batch, false);
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < a.length; ++i) {
        diff = Math.max(diff, Math.abs(a[i] - b[i]));
        scale = Math.max(scale, Math.abs(a[i]));
      }
      const original = () => m.forward(x, batch, false);
      const folded = () => f.forward(x, batch, false);
      const reps = warmUp(original);
      warmUp(folded);
      const tBefore = [];
      const tAfter = [];
      for (let r = 0; r < repeats; ++r) {
        tBefore.push(sample(original, reps));
        tAfter.push(sample(folded, reps));
        await ctx.tick();
      }
      const bn = (ls) => ls.filter((l) => l.type === 'batchnorm').length;
      return {
        name: row.name,
        label: row.label,
        bnBefore: bn(row.layers),
        bnAfter: bn(after.layers),
        layersBefore: row.layers.length,
        layersAfter: after.layers.length,
        paramsBefore: row.params,
        paramsAfter: after.params,
        maxDiff: diff,
        maxOut: scale,
        equal: diff <= TOLERANCE * Math.max(1, scale),
        msBefore: Math.min(...tBefore) / batch,
        msAfter: Math.min(...tAfter) / batch,
      };
    } finally {
      f.delete();
    }
  }

  // One model of the zoo (or the trained one): its summary, speeds, folding and accuracy.
  async function measure(ctx, s, entry, input) {
    const { E } = ctx;
    const m = entry.bytes ? E.loadModel(entry.bytes) : new E.Model(entry.json);
    try {
      const sum = layersOf(m);
      const row = {
        name: entry.name,
        label: entry.label,
        trained: !!entry.bytes,
        file: entry.file || `${entry.name}.json`,
        params: sum.params,
        macs: sum.macs,
        // every layer's output for one image, float32 (the input included): what a forward pass
        // writes and a training step keeps for its backward pass
        activationBytes: 4 * sum.layers.reduce((t, l) => t + prod(l.shape), 0),
        layers: sum.layers,
        description: JSON.parse(m.description()).layers,
        branches: sum.layers.some((l) => l.inputs.length > 1),
      };
      // accuracy first: the timed training steps change the weights
      if (row.trained) {
        const r = JSON.parse(m.evaluate(input.testSet, 100));
        row.accuracy = r.accuracy;
        row.accuracyImages = r.count;
        const h = JSON.parse(m.metrics() || 'null');
        const last = h && h.history && h.history[h.history.length - 1];
        row.recorded = last ? { epoch: last.epoch, val: last.val_accuracy } : null;
        await ctx.tick();
      }
      row.inferMs = (await timeIt(ctx, s.steps, () => m.forward(input.x, s.batch, false))) / s.batch;
      row.trainMs = (await timeIt(ctx, s.steps, () => m.trainStep(input.x, input.y, s.batch, {}))) / s.batch;
      row.fold = row.layers.some((l) => l.type === 'batchnorm')
        ? await fold(ctx, m, row, input.x, s.batch, s['fold-repeats'])
        : null;
      return row;
    } finally {
      m.delete();
    }
  }

  // The notes' AlexNet built by the engine; and conv1 on the paper's 224×224.
  function alexnetCase(E) {
    const t0 = now();
    const m = new E.Model(JSON.stringify(alexnet(227)));
    let sum;
    try {
      sum = layersOf(m);
    } finally {
      m.delete();
    }
    const buildMs = now() - t0;
    const byName = new Map(sum.layers.map((l, i) => [l.name, { l, i }]));
    const rows = ALEXNET_NOTES.map(([name, notes, what]) => {
      const { l, i } = byName.get(name);
      const prev = i > 0 ? sum.layers[i - 1].shape : null;
      const engine =
        l.shape[1] === 1 && l.shape[2] === 1 && notes.length === 1
          ? [l.shape[0]]
          : [l.shape[2], l.shape[1], l.shape[0]];
      const inShape = l.inputs.length ? sum.layers.find((x) => x.name === l.inputs[0]).shape : prev;
      return {
        name,
        what,
        type: l.type,
        notes,
        engine,
        agrees: notes.length === engine.length && notes.every((v, k) => v === engine[k]),
        params: l.params,
        formula: inShape ? formulaParams(l, inShape) : null,
        macs: l.macs,
        note: l.note,
      };
    });
    // the original paper's 224: conv1 alone
    const c = new E.Model(JSON.stringify({ input: [3, 224, 224], layers: [alexnet(224).layers[0]] }));
    let conv224;
    try {
      const l = JSON.parse(c.summary()).layers[1];
      conv224 = { shape: l.shape, note: l.note || '' };
    } finally {
      c.delete();
    }
    return {
      description: alexnet(227),
      layers: sum.layers,
      rows,
      params: sum.params,
      macs: sum.macs,
      buildMs,
      conv224,
    };
  }

  // MobileNet's depthwise-separable pairs (a depthwise convolution, then the first 1×1 convolution
  // after it) of a model's layers, each beside the full convolution with the same kernel and the same
  // input and output channels, built by the engine.
  function separable(E, row) {
    const byName = new Map(row.layers.map((l) => [l.name, l]));
    const pairs = [];
    row.layers.forEach((dw, i) => {
      if (dw.type !== 'depthwise_conv2d') return;
      const pw = row.layers.slice(i + 1).find((l) => l.type === 'conv2d' || l.type === 'depthwise_conv2d');
      if (!pw || pw.type !== 'conv2d' || pw.config.kernel[0] !== 1 || pw.config.kernel[1] !== 1) return;
      const inShape = byName.get(dw.inputs[0]).shape;
      const c = dw.config;
      const m = new E.Model(
        JSON.stringify({
          input: inShape,
          layers: [
            {
              type: 'conv2d',
              name: 'full',
              filters: pw.config.filters,
              kernel: c.kernel,
              stride: c.stride,
              pad: c.pad,
              bias: c.bias !== false,
            },
          ],
        }),
      );
      try {
        const full = JSON.parse(m.summary()).layers[1];
        pairs.push({
          dw: dw.name,
          pw: pw.name,
          input: inShape,
          kernel: c.kernel[0],
          filters: pw.config.filters,
          sepMacs: dw.macs + pw.macs,
          sepParams: dw.params + pw.params,
          fullMacs: full.macs,
          fullParams: full.params,
        });
      } finally {
        m.delete();
      }
    });
    return pairs.length ? { model: row.name, pairs } : null;
  }

  // LeNet-5 of the notes ([CONV-POOL-CONV-POOL-CONV-FC], 5×5 convolutions at stride 1, 2×2 pooling
  // at stride 2, "C5 is in fact also FC") against the zoo's lenet5; C5 both ways by the engine.
  function lenetCase(E, row) {
    const convs = row.layers.filter((l) => l.type === 'conv2d');
    const pools = row.layers.filter((l) => /pool2d$/.test(l.type));
    const f5 = row.layers.find((l) => l.name === 'f5');
    const s4 = row.layers.find((l) => l.name === 's4');
    let c5 = null;
    if (f5 && s4) {
      const m = new E.Model(
        JSON.stringify({ input: s4.shape, layers: [{ type: 'conv2d', name: 'c5', filters: 120, kernel: 5 }] }),
      );
      try {
        const l = JSON.parse(m.summary()).layers[1];
        c5 = { shape: l.shape, params: l.params, macs: l.macs };
      } finally {
        m.delete();
      }
    }
    return {
      layers: row.layers,
      convs5x5: convs.every((l) => l.config.kernel[0] === 5 && l.config.stride[0] === 1),
      pools2x2: pools.every((l) => l.config.size[0] === 2 && l.config.stride[0] === 2),
      order: row.layers
        .filter((l) => /conv2d|pool2d|dense/.test(l.type))
        .map((l) => (l.type === 'conv2d' ? 'CONV' : l.type === 'dense' ? 'FC' : 'POOL')),
      s4: s4 ? s4.shape : null,
      f5: f5 ? { shape: f5.shape, params: f5.params, macs: f5.macs } : null,
      c5,
    };
  }

  // AlexNet: the notes' sizes, parameters by formula, the 224 remark.
  function alexClaims(alex) {
    const out = [];
    const agree = alex.rows.filter((r) => r.agrees).length;
    const differ = alex.rows.filter((r) => !r.agrees).map((r) => `${r.name} (${r.engine.join('×')})`);
    out.push(
      L.claim(
        'alexnet-sizes',
        `The engine's shape inference of the notes' AlexNet (227×227×3 input) gives the notes' output size for ${agree} of its ${alex.rows.length} rows${differ.length ? `; it differs at ${differ.join(', ')}` : ''}: CONV1 ${alex.rows[1].engine.join('×')}, POOL3 ${alex.rows[10].engine.join('×')}, FC8 ${alex.rows[13].engine.join('×')}.`,
        agree,
        agree === alex.rows.length,
      ),
    );
    const withFormula = alex.rows.filter((r) => r.formula !== null);
    const formulaOk = withFormula.every((r) => r.formula === r.params);
    const fc = alex.rows.filter((r) => r.type === 'dense').reduce((t, r) => t + r.params, 0);
    out.push(
      L.claim(
        'alexnet-params',
        `AlexNet has ${alex.params.toLocaleString('en')} parameters by the engine's count (${withFormula.length} conv and FC layers, each equal to F·F·C·K + K or inputs·units + units: ${formulaOk ? 'all equal' : 'not all equal'}); ${((100 * fc) / alex.params).toFixed(1)} % of them are in FC6–FC8, while the convolutions do ${((100 * alex.rows.filter((r) => r.type === 'conv2d').reduce((t, r) => t + r.macs, 0)) / alex.macs).toFixed(1)} % of its ${(alex.macs / 1e9).toFixed(2)} billion MACs per image.`,
        alex.params,
        formulaOk,
      ),
    );
    out.push(
      L.claim(
        'alexnet-227',
        `Why 227: (227 − 11)/4 + 1 = 55 is whole, so CONV1 reads every pixel. On the 224×224 input of the original paper the engine gives ${alex.conv224.shape[2]}×${alex.conv224.shape[1]} and says this layer ${alex.conv224.note || 'fits'}.`,
        alex.conv224.shape[2],
        alex.rows[1].engine[0] === 55 && !alex.rows[1].note && alex.conv224.note.length > 0,
      ),
    );
    return out;
  }

  function claimsOf(s, rows, alex, lenet, sep) {
    const out = [];
    if (alex.error)
      out.push(
        L.claim(
          'alexnet-sizes',
          `The engine could not build the notes' AlexNet here (62 million weights and their gradients, about 500 MB): ${alex.error}`,
          0,
          false,
        ),
      );
    else out.push(...alexClaims(alex));
    if (lenet) {
      const ok = lenet.convs5x5 && lenet.pools2x2 && lenet.c5 && lenet.c5.params === lenet.f5.params;
      out.push(
        L.claim(
          'lenet-c5',
          `LeNet-5 as the notes give it: ${lenet.convs5x5 ? 'every' : 'not every'} convolution is 5×5 at stride 1 and ${lenet.pools2x2 ? 'every' : 'not every'} pooling 2×2 at stride 2 (${lenet.order.join('-')}). "C5 is in fact also FC": on S4's ${lenet.s4.join('×')} output, the zoo's dense f5 (120 units) has ${lenet.f5.params.toLocaleString('en')} parameters and a 5×5 convolution with 120 filters ${lenet.c5 ? `${lenet.c5.params.toLocaleString('en')}, output ${lenet.c5.shape.join('×')}` : '—'}: the same layer.`,
          lenet.f5.params,
          ok,
        ),
      );
    }
    if (sep) {
      const sm = sep.pairs.reduce((t, p) => t + p.sepMacs, 0);
      const fm = sep.pairs.reduce((t, p) => t + p.fullMacs, 0);
      const sp = sep.pairs.reduce((t, p) => t + p.sepParams, 0);
      const fp = sep.pairs.reduce((t, p) => t + p.fullParams, 0);
      const p0 = sep.pairs[0];
      out.push(
        L.claim(
          'separable',
          `MobileNet's depthwise-separable convolutions: ${sep.model}'s ${sep.pairs.length} pairs (${p0.kernel}×${p0.kernel} depthwise, then 1×1 pointwise) take ${fmtInt(sm)} MACs per image and have ${fmtInt(sp)} parameters; full ${p0.kernel}×${p0.kernel} convolutions with the same channels, built by the engine, would take ${fmtInt(fm)} MACs and have ${fmtInt(fp)} parameters: ${(fm / sm).toFixed(1)}× the MACs. (Per pair the ratio is 1/K + 1/F²: ${sep.pairs.map((p) => `${p.dw}+${p.pw} ${(p.sepMacs / p.fullMacs).toFixed(3)} against 1/${p.filters} + 1/${p.kernel * p.kernel} = ${(1 / p.filters + 1 / (p.kernel * p.kernel)).toFixed(3)}`).join(', ')}.)`,
          fm / sm,
          sep.pairs.every(
            (p) =>
              p.sepMacs < p.fullMacs &&
              p.sepParams < p.fullParams &&
              Math.abs(p.sepMacs / p.fullMacs - (1 / p.filters + 1 / (p.kernel * p.kernel))) < 1e-3,
          ),
        ),
      );
    }
    // speed: MACs or parameters?
    if (rows.length >= 3) {
      const rm = spearman(
        rows.map((r) => r.macs),
        rows.map((r) => r.inferMs),
      );
      const rp = spearman(
        rows.map((r) => r.params),
        rows.map((r) => r.inferMs),
      );
      out.push(
        L.claim(
          'macs-predict-time',
          `Across the ${rows.length} models the measured inference time follows the MACs more closely than the parameter count: rank correlation ${rm.toFixed(2)} with MACs, ${rp.toFixed(2)} with parameters (batch ${s.batch}, the fastest of ${s.steps} timed sample${s.steps > 1 ? 's' : ''} each).`,
          rm,
          rm > rp,
        ),
      );
      const ratios = rows.map((r) => r.trainMs / r.inferMs);
      const lo = Math.min(...ratios);
      const hi = Math.max(...ratios);
      out.push(
        L.claim(
          'train-costs-more',
          `A training step (forward, backward, update) costs more than an inference pass for every model: from ${L.num(lo)}× to ${L.num(hi)}× the time per image.`,
          lo,
          lo > 1,
        ),
      );
    }
    // the trained model and accuracy
    const trained = rows.filter((r) => r.trained);
    for (const t of trained) {
      const twin = rows.find((r) => !r.trained && JSON.stringify(r.description) === JSON.stringify(t.description));
      out.push(
        L.claim(
          'trained-model',
          `Only the pretrained model (models/${t.file}) has trained weights, so only its accuracy is measured: ${pct(t.accuracy)} of ${t.accuracyImages} test images${t.recorded ? ` (its file records ${pct(t.recorded.val)} validation accuracy after epoch ${t.recorded.epoch})` : ''}. Its architecture is ${twin ? `the zoo's ${twin.name} (${twin.params.toLocaleString('en')} parameters), layer for layer` : 'none of the zoo’s descriptions'}; the other ${rows.length - 1} nets are untrained descriptions (train one in the Train card to measure its accuracy).`,
          t.accuracy,
          !!twin,
        ),
      );
    }
    // folding
    const folds = rows.filter((r) => r.fold).map((r) => r.fold);
    if (folds.length) {
      const worst = folds.reduce((w, f) =>
        f.maxDiff / Math.max(1, f.maxOut) > w.maxDiff / Math.max(1, w.maxOut) ? f : w,
      );
      out.push(
        L.claim(
          'fold-equal',
          `Folding every batch norm into the convolution before it leaves the outputs equal within float tolerance: the largest difference is ${L.num(worst.maxDiff)} (${worst.name}, outputs up to ${L.num(worst.maxOut)}; tolerance ${L.num(TOLERANCE)} × max(1, |output|)) for ${folds.map((f) => `${f.name}: ${f.bnBefore} → ${f.bnAfter} batch norms`).join(', ')}.`,
          worst.maxDiff,
          folds.every((f) => f.equal) && folds.every((f) => f.bnAfter === 0),
        ),
      );
      const faster = folds.filter((f) => f.msAfter < f.msBefore);
      out.push(
        L.claim(
          'fold-faster',
          `The folded models ${faster.length === folds.length ? 'are all faster' : `are faster for ${faster.length} of ${folds.length}`} in this run: ${folds.map((f) => `${f.name} ${ms(f.msBefore)} → ${ms(f.msAfter)} per image (${change(f.msBefore, f.msAfter)})`).join(', ')}, ${s['fold-repeats']} alternated samples of batch ${s.batch} each (the fastest of each).`,
          folds.reduce((t, f) => t + f.msAfter / f.msBefore, 0) / folds.length,
          faster.length === folds.length,
        ),
      );
    }
    return out;
  }

  L.define({
    id: 'architectures',
    title: 'Architectures side by side',
    topic:
      'Case studies (LeNet-5, AlexNet) and CNN microarchitectures (MLPConv, Inception module, residual block, MobileNet)',
    intro: [
      "The notes walk from plain networks (LeNet-5, AlexNet, VGG: one path from input to output) to microarchitectures built of blocks: MLPConv (Network in Network), the Inception module (parallel branches concatenated), the residual block (a shortcut added to the block's output) and MobileNet's depthwise and pointwise convolutions.",
      "Press Run: every net of the model zoo is built by the engine, which counts its parameters, its multiply-adds (MACs) and the memory one image's activations take; then a few inference passes and training steps on MNIST test images are timed in this browser. Only the pretrained model has trained weights, so only its accuracy is measured; the zoo's nets are untrained descriptions.",
      "Batch norm at inference is a fixed scale and shift, so it can be folded into the convolution before it (w' = w·γ/√(var+ε), b' = (b − mean)·γ/√(var+ε) + β): fewer layers, the same outputs. The notes' AlexNet (227×227×3 input) is built by the engine too, no training needed, and its layer table is compared with the notes' (building its 62 million weights takes a few seconds and about 500 MB).",
    ],
    settings: [
      {
        key: 'batch',
        label: 'Batch',
        type: 'int',
        default: 8,
        min: 1,
        max: 64,
        help: 'images per timed inference pass and training step',
      },
      {
        key: 'steps',
        label: 'Timed samples',
        type: 'int',
        default: 5,
        min: 1,
        max: 50,
        help: 'timed samples of inference and of training per model, after a warm-up (a sample: at least 5 ms of calls; the fastest is shown)',
      },
      {
        key: 'fold-repeats',
        label: 'Folding samples',
        type: 'int',
        default: 10,
        min: 1,
        max: 200,
        help: 'timed samples of inference before and after folding batch norm (alternated; the fastest of each is shown)',
      },
      {
        key: 'test-images',
        label: 'Test images',
        type: 'int',
        default: 2000,
        min: 100,
        max: 10000,
        help: 'MNIST test images the trained model is evaluated on',
      },
    ],
    needs: ['test'],

    async run(ctx, s) {
      const { E } = ctx;
      const test = ctx.data.test;
      const index = JSON.parse(text(await ctx.asset('models/index.json')));
      const entries = [];
      for (const z of index.zoo)
        entries.push({ name: z.name, label: z.label, json: text(await ctx.asset(`models/${z.name}.json`)) });
      if (index.pretrained)
        entries.push({
          name: 'pretrained',
          // (the index's label quotes an accuracy; the table shows the one measured in this run)
          label: 'The pretrained model (trained weights)',
          file: index.pretrained.file,
          bytes: await ctx.asset(`models/${index.pretrained.file}`),
        });
      if (s.batch > test.size()) throw new L.LabError(`The batch (${s.batch}) is larger than the test set.`);
      const { x, y } = batchOf(test, s.batch);
      let sub = null;
      const testSet = s['test-images'] >= test.size() ? test : (sub = L.subset(test, s['test-images'], 1)).part;
      const rows = [];
      try {
        for (const entry of entries) {
          ctx.update({
            rows: rows.slice(),
            status: `Measuring ${entry.label} (${rows.length + 1} of ${entries.length})…`,
          });
          rows.push(await measure(ctx, s, entry, { x, y, testSet }));
          await ctx.tick();
        }
      } finally {
        if (sub) {
          sub.part.delete();
          sub.rest.delete();
        }
      }
      ctx.update({ rows: rows.slice(), status: 'Building the notes’ AlexNet (62 million weights)…' });
      await ctx.tick();
      // 62 million weights and their gradients: a page without the memory gets the engine's message,
      // and the zoo's results stay
      let alex;
      try {
        alex = alexnetCase(E);
      } catch (e) {
        alex = { error: e.message };
      }
      const lenetRow = rows.find((r) => r.name === 'lenet5');
      const lenet = lenetRow ? lenetCase(E, lenetRow) : null;
      const sep = rows.map((r) => separable(E, r)).find(Boolean) || null;
      const claims = claimsOf(s, rows, alex, lenet, sep);
      return { claims, rows, alexnet: alex, lenet, separable: sep, tolerance: TOLERANCE };
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
