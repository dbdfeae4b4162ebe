// The view of the "architectures" experiment (lib/lab/architectures.js): the zoo's nets side by side
// (parameters, MACs, activation memory, measured inference and training time, accuracy where trained
// weights exist), time against MACs, the residual and Inception blocks drawn as graphs from the
// engine's layer list, batch-norm folding before and after, and the notes' case studies (LeNet-5,
// AlexNet) as diagrams and layer tables. Every number is the run's (the result).
import { el } from '../../lib/dom.js';
import { fmtBytes, fmtCompact, fmtInt } from '../../lib/format.js';
import { scatterChart, COLORS } from './charts.js';

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const msText = (x) => (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
// A per-sample shape {C, H, W} as the notes write volumes, W×H×D (a vector: its length).
const shapeText = (s) => (s.length === 3 && s[1] === 1 && s[2] === 1 ? String(s[0]) : [s[2], s[1], s[0]].join('×'));

// ---- the zoo's table ----
function zooTable(rows, pending) {
  const t = el('table', { class: 'lab-table arch-table' });
  t.append(
    el(
      'tr',
      {},
      ...[
        ['Model', ''],
        ['Parameters', ''],
        ['MACs', 'per image'],
        ['Activations', 'per image'],
        ['Inference', 'ms per image'],
        ['Training', 'ms per image'],
        ['Test accuracy', ''],
      ].map(([h, sub]) =>
        el('th', {}, el('span', { text: h }), sub ? el('span', { class: 'arch-sub', text: sub }) : null),
      ),
    ),
  );
  const maxInfer = Math.max(...rows.map((r) => r.inferMs), 1e-9);
  const maxTrain = Math.max(...rows.map((r) => r.trainMs), 1e-9);
  for (const r of rows) {
    t.append(
      el(
        'tr',
        { 'data-model': r.name },
        el('th', {}, el('span', { text: r.label }), el('span', { class: 'arch-sub', text: r.name })),
        el('td', { text: fmtInt(r.params) }),
        el('td', { text: fmtCompact(r.macs) }),
        el('td', { text: fmtBytes(r.activationBytes) }),
        el('td', {}, bar(r.inferMs / maxInfer), el('span', { text: msText(r.inferMs) })),
        el('td', {}, bar(r.trainMs / maxTrain), el('span', { text: msText(r.trainMs) })),
        el(
          'td',
          { class: r.trained ? 'arch-acc' : 'muted' },
          ...(r.trained
            ? [
                el('span', { text: `${(100 * r.accuracy).toFixed(2)} %` }),
                el('span', { class: 'arch-sub', text: `${fmtInt(r.accuracyImages)} test images` }),
              ]
            : ['— (untrained)']),
        ),
      ),
    );
  }
  if (pending)
    t.append(
      el('tr', { class: 'arch-pending' }, el('th', { text: pending }), el('td', { colspan: 6, text: 'measuring…' })),
    );
  return el('div', { class: 'arch-scroll' }, t);
}

function bar(f) {
  const b = el('span', { class: 'arch-bar', 'aria-hidden': 'true' });
  b.style.setProperty('--f', `${Math.max(2, Math.round(100 * f))}%`);
  return b;
}

// ---- graphs: a compact drawing of a model's layer DAG ----
// Element-wise layers (activations, batch norm, dropout) are drawn inside the layer before them
// when they are its only consumer: "conv 3×3 · bn · relu".
const ELEMENTWISE = new Set(['relu', 'sigmoid', 'tanh', 'leaky_relu', 'elu', 'gelu', 'prelu', 'batchnorm', 'dropout']);

function kindText(l) {
  const c = l.config || {};
  if (l.type === 'conv2d' || l.type === 'depthwise_conv2d') {
    const k = c.kernel ? `${c.kernel[0]}×${c.kernel[1]}` : '';
    const s = c.stride && c.stride[0] > 1 ? ` /${c.stride[0]}` : '';
    return `${l.type === 'conv2d' ? 'conv' : 'dw conv'} ${k}${s}`;
  }
  if (l.type === 'maxpool2d' || l.type === 'avgpool2d') return `${l.type.slice(0, 3)} pool ${c.size ? c.size[0] : ''}`;
  if (l.type === 'global_avgpool') return 'global avg pool';
  if (l.type === 'dense') return 'dense';
  if (l.type === 'batchnorm') return 'bn';
  if (l.type === 'lrn') return 'norm (LRN)';
  return l.type;
}

function groups(layers) {
  const consumers = new Map(layers.map((l) => [l.name, 0]));
  for (const l of layers) for (const i of l.inputs) consumers.set(i, (consumers.get(i) || 0) + 1);
  const groupOf = new Map(); // layer name -> group
  const out = [];
  for (const l of layers) {
    const src = l.inputs.length === 1 ? groupOf.get(l.inputs[0]) : null;
    if (ELEMENTWISE.has(l.type) && src && consumers.get(src.tail) === 1) {
      src.parts.push(kindText(l));
      src.tail = l.name;
      src.shape = l.shape;
      groupOf.set(l.name, src);
      continue;
    }
    const g = {
      name: l.name,
      type: l.type,
      parts: [l.type === 'input' ? 'input' : kindText(l)],
      tail: l.name,
      shape: l.shape,
      params: l.params,
      inputs: l.inputs.map((i) => groupOf.get(i)),
    };
    groupOf.set(l.name, g);
    out.push(g);
  }
  return out;
}

// Layout: rows by the longest path from the input; lanes: a node takes its first input's lane when
// it is that input's first consumer, else the next free lane (branches spread to the right).
function layout(gs) {
  const lanesUsed = new Map(); // group -> its consumers so far
  let lanes = 1;
  for (const g of gs) {
    g.row = g.inputs.length ? Math.max(...g.inputs.map((i) => i.row)) + 1 : 0;
    if (!g.inputs.length) g.lane = 0;
    else if (g.inputs.length > 1) g.lane = Math.min(...g.inputs.map((i) => i.lane));
    else {
      const src = g.inputs[0];
      const n = lanesUsed.get(src) || 0;
      g.lane = n === 0 ? src.lane : lanes;
      if (n > 0) lanes += 1;
    }
    for (const i of g.inputs) lanesUsed.set(i, (lanesUsed.get(i) || 0) + 1);
    lanes = Math.max(lanes, g.lane + 1);
  }
  return lanes;
}

function graph(layers, { title, highlight = () => false } = {}) {
  const gs = groups(layers);
  const lanes = layout(gs);
  const rows = Math.max(...gs.map((g) => g.row)) + 1;
  const NW = 172;
  const NH = 38;
  const GX = 26;
  const GY = 20;
  const SKIP = 22; // room on the right for shortcut edges
  const W = lanes * NW + (lanes - 1) * GX + SKIP + 4;
  const H = rows * NH + (rows - 1) * GY + 4;
  const x = (g) => 2 + g.lane * (NW + GX);
  const y = (g) => 2 + g.row * (NH + GY);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'arch-graph', role: 'img', 'aria-label': title });
  root.style.setProperty('--w', `${W}px`);
  const occupied = new Set(gs.map((g) => `${g.lane}:${g.row}`));
  for (const g of gs)
    for (const src of g.inputs) {
      const x1 = x(src) + NW / 2;
      const y1 = y(src) + NH;
      const x2 = x(g) + NW / 2;
      const y2 = y(g);
      let blocked = false;
      if (src.lane === g.lane) for (let r = src.row + 1; r < g.row; ++r) blocked ||= occupied.has(`${g.lane}:${r}`);
      let d;
      if (blocked) {
        // a shortcut around the nodes between: out on the right, down, back in
        const xr = x(g) + NW + SKIP - 6;
        d = `M${x(src) + NW},${y1 - NH / 2} C${xr},${y1 - NH / 2} ${xr},${y1} ${xr},${y1 + GY} L${xr},${y2 - GY} C${xr},${y2 + NH / 2} ${xr},${y2 + NH / 2} ${x(g) + NW},${y2 + NH / 2}`;
      } else if (x1 === x2) d = `M${x1},${y1} L${x2},${y2}`;
      else d = `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}`;
      root.append(svg('path', { d, class: `edge${blocked ? ' skip' : ''}`, 'marker-end': 'url(#arch-arrow)' }));
    }
  const defs = svg('defs');
  const marker = svg('marker', {
    id: 'arch-arrow',
    viewBox: '0 0 8 8',
    refX: 7,
    refY: 4,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse',
  });
  marker.append(svg('path', { d: 'M0,0 L8,4 L0,8 z', class: 'arrow' }));
  defs.append(marker);
  root.prepend(defs);
  for (const g of gs) {
    const merge = g.type === 'add' || g.type === 'concat';
    const node = svg('g', { class: `node${merge ? ` merge ${g.type}` : ''}${highlight(g) ? ' hl' : ''}` });
    node.append(svg('rect', { x: x(g), y: y(g), width: NW, height: NH, rx: merge ? NH / 2 : 5 }));
    const label = g.type === 'add' ? '+ add' : g.type === 'concat' ? '‖ concat' : g.parts.join(' · ');
    node.append(svg('text', { x: x(g) + NW / 2, y: y(g) + 15, class: 'label', 'text-anchor': 'middle' }, label));
    node.append(
      svg(
        'text',
        { x: x(g) + NW / 2, y: y(g) + 30, class: 'shape', 'text-anchor': 'middle' },
        `${g.type === 'input' ? '' : `${g.name} · `}${shapeText(g.shape)}${g.params ? ` · ${fmtCompact(g.params)} p` : ''}`,
      ),
    );
    node.append(svg('title', {}, `${g.name}: ${g.parts.join(', ')}; output ${g.shape.join('×')}`));
    root.append(node);
  }
  return el(
    'figure',
    { class: 'arch-fig' },
    el('figcaption', { text: title }),
    el('div', { class: 'arch-scroll' }, root),
  );
}

// ---- batch-norm folding ----
function foldTable(rows) {
  const folds = rows.filter((r) => r.fold).map((r) => r.fold);
  const t = el('table', { class: 'lab-table arch-table' });
  t.append(
    el(
      'tr',
      {},
      ...['Model', 'Layers', 'Batch norms', 'Parameters', 'Largest output difference', 'Inference ms / image'].map(
        (h) => el('th', { text: h }),
      ),
    ),
  );
  for (const f of folds)
    t.append(
      el(
        'tr',
        { 'data-fold': f.name },
        el('th', { text: f.name }),
        el('td', { text: `${f.layersBefore - 1} → ${f.layersAfter - 1}` }),
        el('td', { text: `${f.bnBefore} → ${f.bnAfter}` }),
        el('td', { text: `${fmtInt(f.paramsBefore)} → ${fmtInt(f.paramsAfter)}` }),
        el('td', {
          class: f.equal ? 'ok' : 'error',
          text: `${f.maxDiff.toExponential(1)} (outputs up to ${f.maxOut.toFixed(2)})`,
        }),
        el('td', {
          class: f.msAfter < f.msBefore ? 'ok' : 'warn',
          text: `${msText(f.msBefore)} → ${msText(f.msAfter)}`,
        }),
      ),
    );
  return el('div', { class: 'arch-scroll' }, t);
}

// ---- MobileNet: depthwise-separable pairs against full convolutions ----
function separableTable(sep) {
  const t = el('table', { class: 'lab-table arch-table' });
  t.append(
    el(
      'tr',
      {},
      ...['Pair', 'Input', 'Depthwise + pointwise', 'Full convolution', 'MACs ratio', '1/K + 1/F²'].map((h) =>
        el('th', { text: h }),
      ),
    ),
  );
  for (const p of sep.pairs)
    t.append(
      el(
        'tr',
        { 'data-pair': p.dw },
        el('th', { text: `${p.dw} + ${p.pw}` }),
        el('td', { text: `${shapeText(p.input)} → ${p.filters} maps` }),
        el('td', { text: `${fmtCompact(p.sepMacs)} MACs · ${fmtInt(p.sepParams)} p` }),
        el('td', { text: `${fmtCompact(p.fullMacs)} MACs · ${fmtInt(p.fullParams)} p` }),
        el('td', { text: (p.sepMacs / p.fullMacs).toFixed(3) }),
        el('td', { text: (1 / p.filters + 1 / (p.kernel * p.kernel)).toFixed(3) }),
      ),
    );
  return el(
    'section',
    { class: 'lab-panel' },
    el('h4', { text: `MobileNet: depthwise and pointwise convolutions (${sep.model})` }),
    el('div', { class: 'arch-scroll' }, t),
    el('p', {
      class: 'muted lab-note',
      text: 'A depthwise convolution filters each channel on its own (F·F MACs per value), a 1×1 pointwise convolution then mixes the channels into K maps; a full F×F convolution does both at once. The full layers are built by the engine for the comparison, with the same input and the same K.',
    }),
  );
}

// ---- case studies ----
function alexTable(a) {
  const t = el('table', { class: 'lab-table arch-table' });
  t.append(
    el(
      'tr',
      {},
      ...['Layer (the notes)', 'Notes (W×H×D)', 'Engine', 'Parameters', 'By the formula', 'MACs'].map((h) =>
        el('th', { text: h }),
      ),
    ),
  );
  for (const r of a.rows)
    t.append(
      el(
        'tr',
        { 'data-layer': r.name, class: r.agrees ? '' : 'differs' },
        el('th', { text: r.what }),
        el('td', { text: `[${r.notes.join('×')}]` }),
        el('td', { class: r.agrees ? 'ok' : 'error', text: `[${r.engine.join('×')}]` }),
        el('td', { text: r.params ? fmtInt(r.params) : '0' }),
        el('td', { text: r.formula === null ? '' : fmtInt(r.formula) }),
        el('td', { text: r.macs ? fmtCompact(r.macs) : '0' }),
      ),
    );
  t.append(
    el(
      'tr',
      { class: 'arch-total' },
      el('th', { text: 'Total' }),
      el('td'),
      el('td'),
      el('td', { text: fmtInt(a.params) }),
      el('td'),
      el('td', { text: fmtCompact(a.macs) }),
    ),
  );
  return el('div', { class: 'arch-scroll' }, t);
}

export function render(root, r) {
  const rows = r.rows || [];
  const out = [];
  const measuring = !r.claims && r.status ? /^Measuring (.*) \(\d+ of \d+\)…$/.exec(r.status) : null;
  const pending = measuring ? measuring[1] : '';
  out.push(
    el(
      'section',
      { class: 'lab-panel' },
      el('h4', { text: 'The zoo side by side (measured in this browser)' }),
      rows.length || pending ? zooTable(rows, pending) : null,
      el('p', {
        class: 'muted lab-note',
        text: 'Parameters and MACs (multiply-adds per image) are the engine’s counts; activations: every layer’s output for one image (float32), what a training step keeps for its backward pass. Times: the fastest of the timed samples (each at least 5 ms of passes or steps) at the run’s batch, divided by the batch. Only the pretrained model has trained weights: the zoo’s nets are untrained, so they have no accuracy to show.',
      }),
    ),
  );
  if (rows.length >= 2) {
    const pts = rows.map((row, i) => ({
      x: row.macs,
      y: row.inferMs,
      label: `${row.name}: ${fmtCompact(row.macs)} MACs, ${msText(row.inferMs)} ms`,
      text: row.name,
      color: COLORS[i % COLORS.length],
    }));
    out.push(
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: 'Time follows the multiply-adds' }),
        scatterChart(pts, {
          xLabel: 'MACs per image (log)',
          yLabel: 'inference ms / image (log)',
          logX: true,
          logY: true,
          height: 240,
          labels: true,
        }),
      ),
    );
  }
  const resnet = rows.find((row) => row.name === 'resnet_small');
  const inception = rows.find((row) => row.name === 'inception_small');
  if (resnet || inception)
    out.push(
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: 'Blocks as graphs: the residual shortcut and the Inception branches' }),
        el(
          'div',
          { class: 'arch-graphs' },
          resnet ? graph(resnet.layers, { title: 'resnet_small: x + F(x), two residual blocks' }) : null,
          inception
            ? graph(inception.layers, { title: 'inception_small: 1×1, 3×3 and 5×5 branches concatenated' })
            : null,
        ),
        el('p', {
          class: 'muted lab-note',
          text: 'Drawn from the engine’s layer list (each box: its kind, then the layer’s name, its output W×H×D and parameters); activations and batch norms are drawn inside the layer before them. The add layer sums its inputs (same shape); concat stacks their channels.',
        }),
      ),
    );
  if (r.separable) out.push(separableTable(r.separable));
  if (rows.some((row) => row.fold))
    out.push(
      el('section', { class: 'lab-panel' }, el('h4', { text: 'Batch-norm folding: before → after' }), foldTable(rows)),
    );
  if (r.alexnet) {
    const a = r.alexnet;
    const lenetRow = rows.find((row) => row.name === 'lenet5');
    out.push(
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: 'The notes’ case studies, built by the engine' }),
        a.error
          ? el('p', { class: 'error', text: `The engine could not build the notes’ AlexNet here: ${a.error}` })
          : alexTable(a),
        a.error
          ? null
          : el('p', {
              class: 'muted lab-note',
              text: `By the formula: F·F·C·K + K for a convolution, inputs·units + units for an FC layer. Built in ${(a.buildMs / 1000).toFixed(1)} s (62 million weights drawn at random: no training needed for shapes). On 224×224 the engine's CONV1 gives ${shapeText(a.conv224.shape)}: ${a.conv224.note}.`,
            }),
        el(
          'div',
          { class: 'arch-graphs' },
          lenetRow ? graph(lenetRow.layers, { title: 'LeNet-5 (the zoo’s, 28×28)' }) : null,
          a.error ? null : graph(a.layers, { title: 'AlexNet (the notes’, 227×227×3)' }),
        ),
      ),
    );
  }
  const sections = out.filter(Boolean);
  // numbered as they appear (a partial result has only some of them)
  sections.forEach((sec, i) => {
    const h = sec.querySelector('h4');
    h.textContent = `${i + 1}. ${h.textContent}`;
  });
  root.replaceChildren(...sections);
}
