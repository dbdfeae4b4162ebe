// Prints the embeddable widget's download size: everything a page with <cnn-widget> elements
// fetches, gzipped (zlib, level 6, as a typical server compresses), with the MNIST data apart (it
// is downloaded only when a widget trains or shows a test image). Run by scripts/setup.sh after
// the wasm build.
//   node scripts/widget-size.js [--engine-dir build/wasm] [--verbose]
// The JavaScript is the widget module's import graph (static and dynamic imports, followed from
// web/widget/cnn-widget.js), the engine worker and what it loads, and the single-threaded engine
// (course pages are not cross-origin isolated); the CSS is what the widget links into its shadow
// root; the model is the default one (the pretrained model) and the zoo list.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const engineDir = path.resolve(
  root,
  args.includes('--engine-dir') ? args[args.indexOf('--engine-dir') + 1] : path.join('build', 'wasm'),
);
const web = path.join(root, 'web');

// The server's URL layout (scripts/serve.js): /vendor/uplot/ is node_modules/uplot/dist.
function onDisk(file) {
  const rel = path.relative(web, file);
  if (rel.startsWith(`vendor${path.sep}uplot${path.sep}`))
    return path.join(root, 'node_modules', 'uplot', 'dist', rel.slice('vendor/uplot/'.length));
  return file;
}

function importGraph(entry, { dynamic = true } = {}) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = fs.readFileSync(onDisk(file), 'utf8');
    const specs = [
      ...src.matchAll(/\bimport\s+(?:[\w*{}\s,]+\s+from\s+)?['"]([^'"]+)['"]/g),
      ...(dynamic ? src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g) : []),
    ]
      .map((m) => m[1])
      .filter((s) => s.startsWith('.'));
    for (const s of specs) visit(path.resolve(path.dirname(file), s));
  };
  visit(entry);
  return [...seen];
}

function workerFiles() {
  const worker = path.join(web, 'worker', 'engine-worker.js');
  const src = fs.readFileSync(worker, 'utf8');
  const deps = [...src.matchAll(/new URL\('([^']+\.js)', workerUrl\)/g)].map((m) =>
    path.resolve(path.dirname(worker), m[1]),
  );
  return [worker, ...deps];
}

const gz = (file) => zlib.gzipSync(fs.readFileSync(onDisk(file)), { level: 6 }).length;
const kB = (n) => `${Math.round(n / 1000)} kB`;
const MB = (n) => `${(n / 1e6).toFixed(1)} MB`;

function main() {
  const stEngine = path.join(engineDir, 'cnn_engine_st.js');
  const wasm = path.join(engineDir, 'cnn_engine_st.wasm');
  for (const f of [stEngine, wasm]) {
    if (!fs.existsSync(f)) {
      console.error(`widget-size: ${path.relative(root, f)} is missing: build the wasm engine first`);
      process.exit(1);
    }
  }
  const zoo = JSON.parse(fs.readFileSync(path.join(web, 'models', 'index.json'), 'utf8'));
  const groups = {
    JS: [...new Set([...importGraph(path.join(web, 'widget', 'cnn-widget.js')), ...workerFiles()]), stEngine],
    CSS: [
      path.join(web, 'widget', 'widget.css'),
      path.join(web, 'views', 'network.css'),
      path.join(web, 'vendor', 'uplot', 'uPlot.min.css'),
    ],
    wasm: [wasm],
    model: [
      path.join(web, 'models', 'index.json'),
      ...(zoo.pretrained ? [path.join(web, 'models', zoo.pretrained.file)] : []),
    ],
  };
  const sizes = {};
  let total = 0;
  for (const [name, files] of Object.entries(groups)) {
    sizes[name] = 0;
    for (const f of files) {
      const n = gz(f);
      sizes[name] += n;
      if (verbose) console.log(`  ${kB(n).padStart(7)}  ${path.relative(root, onDisk(f))}`);
    }
    total += sizes[name];
  }
  // A page without a training widget loads neither the training view nor uPlot (dynamic imports).
  const trainOnly = new Set(importGraph(path.join(web, 'views', 'train.js')));
  for (const f of importGraph(path.join(web, 'widget', 'cnn-widget.js'), { dynamic: false })) trainOnly.delete(f);
  for (const f of importGraph(path.join(web, 'views', 'network.js'))) trainOnly.delete(f);
  trainOnly.add(path.join(web, 'vendor', 'uplot', 'uPlot.min.css'));
  const withoutTrain = total - [...trainOnly].reduce((s, f) => s + gz(f), 0);
  const data = path.join(root, 'build', 'data');
  const part = (p) =>
    ['images', 'labels'].reduce((s, k) => {
      const f = path.join(data, `mnist-${p}-${k}.idx.gz`);
      return s + (fs.existsSync(f) ? fs.statSync(f).size : 0);
    }, 0);
  const dataNote = fs.existsSync(data)
    ? `; MNIST data apart: ${MB(part('test'))} test set, ${MB(part('train'))} training set (already gzipped)`
    : '';
  console.log(
    `widget: ${kB(total)} gzipped (JS ${kB(sizes.JS)}, CSS ${kB(sizes.CSS)}, wasm ${kB(sizes.wasm)}, model ${kB(sizes.model)}; ${kB(withoutTrain)} on a page without a training widget)${dataNote}`,
  );
}

main();
