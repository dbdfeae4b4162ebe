// Lab experiment "gradcheck": the gradient check on the engine. For a layer kind (in a small net
// built around it) or a zoo model, the engine's analytic gradients (one backward) beside central
// differences of its float32 loss, entry by entry, for every parameter tensor (Model.gradientCheck,
// src/train/gradcheck.h gradient_entries): the relative error |a − n| / max(|a|, |n|) of each
// entry, whether a kink lies within the step, and a deliberately broken backward ("break it": one
// tensor's analytic gradient sign-flipped or halved before the comparison, in the engine) that the
// check must catch. Runs in the worker (see lab.js).
/* global require */
(function (root) {
  'use strict';
  const L = root.CnnLab || (typeof require === 'function' ? require('./lab.js') : null);

  // Thresholds (the usual ones of the gradient check; the notes list "gradient checking" without
  // numbers): < 1e-7 great (double precision), < 1e-4 fine for kinks, > 1e-2 probably wrong.
  const GREAT = 1e-7;
  const KINK_OK = 1e-4;
  const WRONG = 1e-2;
  // The difference quotient's own uncertainty at an entry: the largest of the engine's measured
  // float32 noise of the central difference, half the gap between the entry's one-sided quotients,
  // and that gap's rms over the tensor's entries (the slope changing within ±h: curvature, or many
  // small kinks, the ReLUs of a whole layer switching; the engine's own gradient_check adds the
  // same rms to its tolerance, src/train/gradcheck.h). An entry above the 1e-2 line whose |a − n|
  // is within NOISE times that is "uncertain": not judged, and counted.
  const NOISE = 3;

  // Every layer kind of the engine's registry (src/nn/layers/registry.cpp), in a small net around
  // it: the trainable ones checked directly, the parameter-free ones through the gradient they pass
  // to the layer before them. (name, label, net(s) -> layers, trainable)
  const conv = (s, name = 'conv', filters = s.filters) => ({
    type: 'conv2d',
    name,
    filters,
    kernel: s.kernel,
    pad: Math.floor(s.kernel / 2),
  });
  const head = { type: 'dense', name: 'out', units: 3 };
  const after = (layer) => (s) => [conv(s), { name: 'tested', ...layer(s) }, head];
  const smallestDivisor = (k) => {
    for (let d = 2; d <= k; ++d) if (k % d === 0) return d;
    return 1;
  };
  const KINDS = [
    ['conv2d', 'convolution (conv2d)', (s) => [{ ...conv(s), name: 'tested' }, head], true],
    [
      'depthwise_conv2d',
      'depthwise convolution',
      (s) => [{ type: 'depthwise_conv2d', name: 'tested', kernel: s.kernel, pad: Math.floor(s.kernel / 2) }, head],
      true,
    ],
    ['dense', 'fully connected (dense)', (s) => [{ type: 'dense', name: 'tested', units: s.filters }, head], true],
    ['batchnorm', 'batch normalization', after(() => ({ type: 'batchnorm' })), true],
    ['layernorm', 'layer normalization', after(() => ({ type: 'layernorm' })), true],
    [
      'groupnorm',
      'group normalization',
      after((s) => ({ type: 'groupnorm', groups: smallestDivisor(s.filters) })),
      true,
    ],
    ['prelu', 'PReLU (learned slope)', after(() => ({ type: 'prelu' })), true],
    ['relu', 'ReLU', after(() => ({ type: 'relu' })), false],
    ['leaky_relu', 'leaky ReLU', after(() => ({ type: 'leaky_relu' })), false],
    ['elu', 'ELU', after(() => ({ type: 'elu' })), false],
    ['gelu', 'GELU', after(() => ({ type: 'gelu' })), false],
    ['sigmoid', 'sigmoid', after(() => ({ type: 'sigmoid' })), false],
    ['tanh', 'tanh', after(() => ({ type: 'tanh' })), false],
    [
      'maxout',
      'maxout (k = 2)',
      (s) => [conv(s, 'conv', 2 * s.filters), { type: 'maxout', name: 'tested', k: 2 }, head],
      false,
    ],
    ['maxpool2d', 'max pooling 2×2', after(() => ({ type: 'maxpool2d', size: 2 })), false],
    ['avgpool2d', 'average pooling 2×2', after(() => ({ type: 'avgpool2d', size: 2 })), false],
    ['global_avgpool', 'global average pooling', after(() => ({ type: 'global_avgpool' })), false],
    ['lrn', 'local response normalization', after(() => ({ type: 'lrn', size: 3 })), false],
    ['dropout', 'dropout (inference mode)', after(() => ({ type: 'dropout', p: 0.5 })), false],
    ['flatten', 'flatten', after(() => ({ type: 'flatten' })), false],
    [
      'add',
      'add (a residual sum)',
      (s) => [
        conv(s, 'conv'),
        { ...conv(s, 'conv_b'), inputs: ['input'] },
        { type: 'add', name: 'tested', inputs: ['conv', 'conv_b'] },
        head,
      ],
      false,
    ],
    [
      'concat',
      'concat (channels)',
      (s) => [
        conv(s, 'conv'),
        { ...conv(s, 'conv_b'), inputs: ['input'] },
        { type: 'concat', name: 'tested', inputs: ['conv', 'conv_b'] },
        head,
      ],
      false,
    ],
  ];
  // The zoo (web/models/index.json; tests/js/lab-gradcheck.test.js checks that the lists agree).
  const ZOO = [
    ['convnetjs', 'ConvNetJS MNIST net'],
    ['lenet5', 'LeNet-5'],
    ['keras_mnist', 'Keras mnist_cnn'],
    ['vgg_small', 'small VGG-style net'],
    ['resnet_small', 'small ResNet (batch norm)'],
    ['inception_small', 'Inception-style net'],
    ['nin_small', 'Network in Network'],
    ['mobilenet_small', 'MobileNet-style'],
  ];

  // A zoo model's description: ctx.zoo(name) when given (Node tests), else the worker's fetch of
  // models/<name>.json next to its own folder (its real address: CNN_WORKER_URL in a widget on
  // another origin, see engine-worker.js).
  async function zooModel(ctx, name) {
    if (ctx.zoo) return ctx.zoo(name);
    const url = new URL(`../models/${name}.json`, root.CNN_WORKER_URL || root.location.href);
    const res = await fetch(url);
    if (!res.ok) throw new L.LabError(`Could not download the ${name} model (${res.status}).`);
    return res.json();
  }

  const median = (v) => {
    if (!v.length) return NaN;
    const s = [...v].sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) / 2)];
  };

  // Seeded inputs: values around 0 (a fresh net's input after preprocessing), labels among 3 (or
  // the model's own classes).
  function batchOf(shape, n, classes, seed) {
    const r = L.rng(seed);
    const size = shape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(n * size);
    for (let i = 0; i < x.length; ++i) x[i] = 2 * r() - 1;
    const y = Array.from({ length: n }, () => Math.floor(r() * classes));
    return { x, y };
  }

  // One check: a model (description), its tensors' entries and their judgement, tensor by tensor
  // (progress and Stop between them). breakParam: the tensor whose analytic gradient is multiplied
  // by factor, or null. onTensor(done, total) after each. Returns {params: [{name, shape, entries,
  // ...stats}], loss, h, lossNoise, training, dropout, input}.
  async function check(ctx, desc, s, breakParam, factor, onTensor) {
    const m = new ctx.E.Model(JSON.stringify(desc));
    try {
      const info = JSON.parse(m.description());
      const shape = info.input;
      const outUnits = JSON.parse(m.summary()).layers.slice(-1)[0].shape.slice(-1)[0];
      const types = (info.layers || desc.layers).map((l) => l.type);
      // batch statistics make batch norm's backward the interesting one; dropout draws a new mask
      // per pass, so a net with dropout is checked in inference mode (dropout is the identity)
      const training = types.includes('batchnorm') && !types.includes('dropout');
      const { x, y } = batchOf(shape, s.batch, outUnits, s.seed);
      const names = JSON.parse(m.paramNames()).map((p) => p.name);
      const params = [];
      let loss = 0;
      let h = s.step;
      let lossNoise = 0;
      for (const name of names) {
        const opts = { entries: s.entries, h: s.step, training, param: name };
        if (breakParam) opts.scale = { param: breakParam, factor };
        const r = JSON.parse(m.gradientCheck(x, y, s.batch, opts));
        loss = r.loss;
        h = r.h;
        lossNoise = Math.max(lossNoise, r.loss_noise);
        params.push(stats(r.params[0], r.quotient_noise));
        if (onTensor) onTensor(params.length, names.length, params);
        await ctx.tick();
      }
      return { params, loss, h, lossNoise, training, dropout: types.includes('dropout'), input: shape };
    } finally {
      m.delete();
    }
  }

  // A tensor's entries judged against the 1e-2 line: "kink" (the engine's flag: the one-sided
  // quotients disagree by much) and "uncertain" (see NOISE) apart. `noise`: the engine's quotient
  // noise for this tensor.
  function stats(p, noise) {
    const spread = Math.sqrt(
      p.entries.reduce((a, e) => a + ((e.right - e.left) / 2) ** 2, 0) / Math.max(1, p.entries.length),
    );
    const entries = p.entries.map((e) => ({
      ...e,
      uncertain:
        !e.kink &&
        e.rel >= WRONG &&
        Math.abs(e.analytic - e.numeric) <= NOISE * Math.max(noise, spread, Math.abs(e.right - e.left) / 2),
    }));
    // judged: away from kinks and not both exactly 0 (a unit that is off: no signal either way)
    const judged = entries.filter((e) => !e.kink && !(e.analytic === 0 && e.numeric === 0));
    const fails = judged.filter((e) => e.rel >= WRONG && !e.uncertain);
    return {
      name: p.name,
      shape: p.shape,
      entries,
      noise,
      spread,
      checked: judged.length,
      kinks: entries.filter((e) => e.kink).length,
      zeros: entries.length - judged.length - entries.filter((e) => e.kink).length,
      uncertain: judged.filter((e) => e.uncertain).length,
      fails: fails.length,
      median: median(judged.map((e) => e.rel)),
      max: fails.length ? Math.max(...fails.map((e) => e.rel)) : NaN,
      passes: fails.length === 0,
    };
  }

  const kindOf = (id) => KINDS.find((k) => k[0] === id);
  const zooOf = (id) => ZOO.find((k) => k[0] === id);

  L.define({
    id: 'gradcheck',
    title: 'Gradient check',
    topic: 'One-time setup: gradient checking (analytic gradients against numerical ones)',
    intro: [
      'Back-propagation is code, and code has bugs. The gradient check compares each analytic gradient a (from the backward pass) with the numerical one n = (L(θ + h) − L(θ − h)) / 2h (a central difference: two forward passes per entry), by the relative error |a − n| / max(|a|, |n|).',
      'The usual thresholds: below 1e-7 great, below 1e-4 fine where the loss has kinks, above 1e-2 probably wrong. They assume double precision. The engine computes in float32, where the loss itself is known to about 1e-7 of its value, so a difference quotient has noise of about 1e-7·|L|/h: relative errors of 1e-5 to 1e-3 are the best float32 gives, and this experiment judges against the 1e-2 line.',
      'Kinks: a ReLU at 0 or a tie in a max-pooling window makes the loss piecewise smooth; when a kink lies between θ − h and θ + h the difference quotient averages two slopes and disagrees with the gradient at θ. The engine flags such entries (the one-sided quotients disagree) and they are shown apart.',
      'Break it: multiply one tensor’s analytic gradient by −1 (a sign error) or ½ (a missing factor of 2) before the comparison, and watch the check catch it.',
    ],
    settings: [
      {
        key: 'layer',
        label: 'Layer kind or model',
        type: 'select',
        default: 'all',
        options: [
          ['all', 'every layer kind, one after another'],
          ...KINDS.map(([id, label, , trainable]) => [
            id,
            `${label}${trainable ? '' : ' (through the conv before it)'}`,
          ]),
          ...ZOO.map(([id, label]) => [id, `zoo: ${label}`]),
        ],
        help: 'a layer kind in a small net (input → [conv →] the layer → dense 3), or a whole zoo model at 28×28',
      },
      { key: 'channels', label: 'Input depth C', type: 'int', default: 2, min: 1, max: 16 },
      { key: 'input-size', label: 'Input W = H', type: 'int', default: 6, min: 2, max: 16 },
      { key: 'filters', label: 'Filters / units K', type: 'int', default: 3, min: 1, max: 16 },
      { key: 'kernel', label: 'Filter size F', type: 'int', default: 3, min: 1, max: 5 },
      { key: 'batch', label: 'Batch', type: 'int', default: 2, min: 1, max: 16 },
      {
        key: 'entries',
        label: 'Entries per tensor',
        type: 'int',
        default: 40,
        min: 1,
        max: 500,
        help: 'evenly spaced entries of each parameter tensor (all of a smaller one); two forward passes each',
      },
      {
        key: 'step',
        label: 'Step h',
        type: 'select',
        default: 0.001,
        options: [
          [0.01, '1e-2'],
          [0.001, '1e-3'],
          [0.0001, '1e-4'],
          [0.00001, '1e-5'],
        ],
        help: 'a large step averages over curvature and kinks; a small one drowns in float32 rounding',
      },
      {
        key: 'break',
        label: 'Break it',
        type: 'select',
        default: 'none',
        options: [
          ['none', 'no: the engine’s backward as it is'],
          ['sign', 'sign flip: −1 × one tensor’s gradient'],
          ['half', 'missing factor: ½ × one tensor’s gradient'],
        ],
        help: 'the analytic gradient of the first tensor of the layer under test (of the model’s first layer for a zoo model), changed before the comparison',
      },
      { key: 'seed', label: 'Seed', type: 'int', default: 1, min: 0, max: 1e6, help: 'the inputs, labels and weights' },
    ],
    needs: [],

    async run(ctx, s) {
      const { E } = ctx;
      const factor = { none: 1, sign: -1, half: 0.5 }[s.break];
      const targets = s.layer === 'all' ? KINDS.map((k) => k[0]) : [s.layer];
      const results = [];
      const t0 = Date.now();
      for (const id of targets) {
        const kind = kindOf(id);
        let desc;
        let label;
        if (kind) {
          label = kind[1];
          desc = {
            input: [s.channels, s['input-size'], s['input-size']],
            init: 'kaiming',
            seed: s.seed,
            layers: kind[2](s),
          };
        } else {
          label = `zoo: ${zooOf(id)[1]}`;
          desc = { ...(await zooModel(ctx, id)), seed: s.seed };
        }
        let res;
        try {
          // the tensor broken: the tested layer's first (a trainable kind), else the model's first
          const names = (() => {
            const m = new E.Model(JSON.stringify(desc));
            try {
              return JSON.parse(m.paramNames()).map((p) => p.name);
            } finally {
              m.delete();
            }
          })();
          const broken = factor === 1 ? null : names.find((n) => n.startsWith('tested.')) || names[0];
          const onTensor =
            targets.length > 1
              ? null
              : (done, total, params) => {
                  const spent = (Date.now() - t0) / 1000;
                  ctx.update({
                    status: `${label}: ${done} of ${total} tensors checked in ${spent.toFixed(1)} s${done < total ? `, about ${Math.ceil((spent / done) * (total - done))} s to go` : ''}`,
                    results: [{ id, label, broken, params, partial: true }],
                  });
                };
          const net = kind
            ? `input ${desc.input.join('×')} → ${desc.layers.map((l) => `${l.name} (${l.type})`).join(' → ')}`
            : '';
          res = { id, label, broken, net, ...(await check(ctx, desc, s, broken, factor, onTensor)) };
        } catch (e) {
          if (e instanceof L.Stopped) throw e;
          res = { id, label, error: e.message };
        }
        results.push(res);
        ctx.update({
          status: `Checked ${results.length} of ${targets.length}: ${label} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
          results,
        });
        await ctx.tick();
      }
      return { claims: claims(results, s), results, thresholds: { GREAT, KINK_OK, WRONG }, factor };
    },
  });

  function claims(results, s) {
    const out = [];
    const ok = results.filter((r) => !r.error);
    const failed = results.filter((r) => r.error);
    if (failed.length)
      out.push(
        L.claim(
          'built',
          `The engine could not check ${failed.map((r) => `${r.label} (${r.error})`).join('; ')}.`,
          failed.length,
          false,
        ),
      );
    const healthy = ok.flatMap((r) => r.params.filter((p) => p.name !== r.broken).map((p) => ({ r, p })));
    const bad = healthy.filter(({ p }) => !p.passes);
    const judged = healthy.reduce((a, { p }) => a + p.checked, 0);
    const uncertain = healthy.reduce((a, { p }) => a + p.uncertain, 0);
    const healthyRel = healthy.flatMap(({ p }) =>
      p.entries.filter((e) => !e.kink && !(e.analytic === 0 && e.numeric === 0)).map((e) => e.rel),
    );
    const healthyMed = median(healthyRel);
    const below = healthyRel.filter((x) => x < WRONG).length;
    const kinds = ok.length === 1 ? ok[0].label : `${ok.length} layer kinds`;
    if (healthy.length)
      out.push(
        L.claim(
          'passes',
          bad.length === 0
            ? `Every ${factor(s) === 1 ? '' : 'unbroken '}parameter tensor of ${kinds} passes (float32, step ${s.step}): ${below} of its ${judged} entries away from kinks have a relative error below the 1e-2 line (median ${L.num(healthyMed)})${uncertain ? `, and the ${uncertain} above it differ by less than ${NOISE}× the difference quotient's own uncertainty (float32 noise, or the slope changing within ±h)` : ''}.`
            : `${bad.length} of ${healthy.length} tensors fail: ${bad
                .slice(0, 4)
                .map(
                  ({ r, p }) =>
                    `${r.label} ${p.name} (${p.fails} of ${p.checked} entries above 1e-2 beyond the quotient's uncertainty, largest ${L.num(p.max)})`,
                )
                .join(
                  '; ',
                )}.${s.step >= 0.01 ? ' A step this large averages the slope over curvature and kinks: try h = 1e-3.' : ''}`,
          healthyMed,
          bad.length === 0 && judged > 0,
        ),
      );
    const kinks = ok.reduce((a, r) => a + r.params.reduce((b, p) => b + p.kinks, 0), 0);
    if (kinks)
      out.push(
        L.claim(
          'kinks',
          `${kinks} entries had a kink within ±h (a ReLU at 0, a tie in a max-pooling window): their one-sided quotients disagree, so they are shown apart and not judged.`,
          kinks,
          true,
        ),
      );
    const broken = ok.filter((r) => r.broken);
    if (broken.length) {
      const tensors = broken.map((r) => r.params.find((p) => p.name === r.broken));
      const brokenMed = median(
        tensors.flatMap((p) =>
          p.entries.filter((e) => !e.kink && !(e.analytic === 0 && e.numeric === 0)).map((e) => e.rel),
        ),
      );
      const ratio = brokenMed / healthyMed;
      out.push(
        L.claim(
          'broken-caught',
          `The broken backward (${s.break === 'sign' ? 'the sign of' : 'half of'} ${broken.length === 1 ? broken[0].broken : `one tensor in each of ${broken.length} nets`}) fails by orders of magnitude: its median relative error is ${L.num(brokenMed)}, against ${L.num(healthyMed)} for the unbroken tensors (${L.num(ratio)}×), and above the 1e-2 line.`,
          ratio,
          brokenMed > WRONG && ratio >= 100,
        ),
      );
    }
    return out;
  }
  const factor = (s) => ({ none: 1, sign: -1, half: 0.5 })[s.break];
})(typeof self !== 'undefined' ? self : globalThis);
