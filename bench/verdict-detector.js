// The "not a digit" detector experiment (issue 15, item 5): does a logistic regression trained on the
// shipped model's frozen features, digits against generated non-digits (scripts/lib/scribbles.js),
// flag more of the committed non-digits (tests/fixtures/strokes/) than the page's verdict does without
// it? Calibrates the shipped model as tests/js/verdict.test.js does (MNIST test images 5,001–10,000),
// trains the detector (web/lib/verdict.js fitDetectorSteps) on those digits against
// LIMITS.nonDigits scribbles (seed 1), and prints, without and with the detector: digits right,
// digits flagged, non-digits flagged on the tune and test halves, and MNIST test images 1–1,000 and
// 1,001–5,000 flagged; the calibration's time and its longest step.
//   node bench/verdict-detector.js [--margins 0,1,2,3]   (the margins: the tune half and MNIST 1,001–5,000 only)
'use strict';
const fs = require('fs');
const path = require('path');
const CnnIdx = require('../web/lib/idx.js');
const V = require('../web/lib/verdict.js');
const CnnLab = require('../web/lib/lab/lab.js');
const CnnScribbles = require('../scripts/lib/scribbles.js');

const root = path.resolve(__dirname, '..');
const dir = path.join(root, 'build', 'wasm');
const args = process.argv.slice(2);
const margins = args.includes('--margins') ? args[args.indexOf('--margins') + 1].split(',').map(Number) : [];
const pct = (a, b) => `${((100 * a) / Math.max(1, b)).toFixed(1)} %`;
const loadSet = (name) =>
  JSON.parse(fs.readFileSync(path.join(root, 'tests', 'fixtures', 'strokes', `${name}.json`), 'utf8')).items.map(
    (it) => ({ ...it, x: Float32Array.from(Buffer.from(it.image, 'base64'), (v) => v / 255) }),
  );

(async () => {
  const createCnnEngine = require(path.join(dir, 'cnn_engine_st.js'));
  const E = await createCnnEngine({ wasmBinary: fs.readFileSync(path.join(dir, 'cnn_engine_st.wasm')) });
  const model = E.loadModel(fs.readFileSync(path.join(root, 'web', 'models', 'pretrained.cnn')));
  const read = (f) => fs.readFileSync(path.join(root, 'build', 'data', f));
  const ds = await CnnIdx.dataset(read('mnist-test-images.idx.gz'), read('mnist-test-labels.idx.gz'));
  const img = (i) => Float32Array.from(ds.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255);
  const half = 5000;
  const rand = CnnLab.rng(1);
  const steps = V.calibrateSteps(
    model,
    { get: (i) => img(half + i), labels: ds.labels.subarray(half, 2 * half), n: half },
    { get: img, labels: ds.labels.subarray(0, half), n: half },
    { make: (i) => CnnScribbles.scribble(i, rand).image, n: V.LIMITS.nonDigits },
  );
  const t0 = performance.now();
  let cal,
    longest = 0,
    count = 0;
  for (let t = t0; ; t = performance.now()) {
    const s = steps.next();
    longest = Math.max(longest, performance.now() - t);
    if (s.done) {
      cal = s.value;
      break;
    }
    count++;
  }
  const det = cal.reference.detector;
  console.log(
    `calibration with the detector: ${(performance.now() - t0).toFixed(0)} ms in ${count} steps, the longest ${longest.toFixed(0)} ms; ` +
      `detector trained on ${det.trainedOn.digits} digits against ${det.trainedOn.nonDigits} generated non-digits ` +
      `(of ${det.trainedOn.generated}; the others the input's statistics already flag); held-out digits' ` +
      `${V.LIMITS.detectorQuantile} quantile of the logit ${det.quantile.toFixed(2)}, limit ${det.limit.toFixed(2)}`,
  );
  const calibration = { T: cal.T, reference: cal.reference };
  const score = (x) => {
    const probs = model.predict(x, 1);
    const { distance, detector } = V.lastScores(model, cal.reference, probs);
    return { without: V.judge({ probs, image: x, distance, calibration }), detector };
  };
  const flagged = (r, limit) => r.without.verdict !== 'digit' || (limit !== null && r.detector > limit);
  const mnist = (a, b) => Array.from({ length: b - a }, (_, i) => score(img(a + i)));
  const m1 = mnist(0, 1000),
    m2 = mnist(1000, 5000);
  const digits = loadSet('digits'),
    non = loadSet('nondigits');
  const sets = {};
  for (const part of ['tune', 'test'])
    sets[part] = {
      d: digits.filter((x) => x.part === part).map((it) => ({ it, ...score(it.x) })),
      n: non.filter((x) => x.part === part).map((it) => ({ it, ...score(it.x) })),
    };
  const row = (name, limit, parts) => {
    const out = [name];
    for (const part of parts) {
      const { d, n } = sets[part];
      const fl = d.filter((r) => flagged(r, limit)).length;
      const right = d.filter((r) => !flagged(r, limit) && r.without.top === r.it.label).length;
      const nf = n.filter((r) => flagged(r, limit)).length;
      out.push(
        `${part}: digits right ${right}/${d.length}, flagged ${fl} (${pct(fl, d.length)}); non-digits flagged ${nf}/${n.length} (${pct(nf, n.length)})`,
      );
    }
    const f1 = m1.filter((r) => flagged(r, limit)).length,
      f2 = m2.filter((r) => flagged(r, limit)).length;
    out.push(
      `MNIST ${parts.includes('test') ? `1–1,000 ${f1} (${pct(f1, 1000)}), ` : ''}1,001–5,000 ${f2} (${pct(f2, 4000)})`,
    );
    console.log(out.join(' | '));
  };
  for (const m of margins) row(`margin ${m}:`, det.quantile + m, ['tune']);
  row('without the detector:', null, ['tune', 'test']);
  row(`with it (margin ${V.LIMITS.detectorMargin}):`, det.limit, ['tune', 'test']);
  for (const r of sets.test.n)
    if (!flagged(r, det.limit)) console.log(`  test non-digit ${r.it.id} (${r.it.style}) passes as ${r.without.top}`);
  model.delete();
})();
