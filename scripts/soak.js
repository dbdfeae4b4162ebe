// Soak test of the page in Chromium: trains for a long time and classifies many times through the
// engine worker, and watches memory.
//
//   node scripts/soak.js [--minutes 30] [--classify 100000] [--ci] [--no-isolation] [--engine-dir build/wasm]
//   npm run soak -- --minutes 5
//
// 1. Serves the app (scripts/serve.js on a free port; cross-origin isolated, so the threaded build,
//    unless --no-isolation) and opens it in Debian's Chromium with the end-to-end tests' flags.
// 2. Trains the ConvNetJS net on MNIST (Adam, batch 32, digit augmentation, 5,000 validation images,
//    an epoch every few seconds to a minute) for --minutes, and every 30 s prints the wasm heap (the
//    worker's WebAssembly memory, protocol request "stats"), the page's JS heap after a forced
//    garbage collection (CDP Runtime.getHeapUsage), the worker's JS heap (the same, in the worker's
//    target), and the number of workers (CDP Target.getTargets: the engine worker and, threaded,
//    its pthreads).
// 3. Classifies --classify times in a loop through the worker (4 requests in flight), one request
//    in 10 a bad one: an input with a wrong length, a NaN, an Infinity, an empty array or a plain
//    Array (the worker refuses these), or a model description the engine itself refuses (loaded into
//    a spare slot: the C++ error path). Every bad request must be refused with an error message,
//    every good one answered with 10 probabilities, and the worker must still classify a known
//    digit right afterwards.
//
// It exits 1 when an answer is wrong, the engine had to be restarted, or memory grows after the
// warm-up (the first 45 s of training, which include the first epochs' ends and checkpoints, and the
// first 2,000 classifications) beyond these tolerances. --ci: the same with 2 minutes of training
// and 30 s of classifying (scripts/test.sh runs it: about 2 min 40 s). The tolerances:
//   - wasm heap: 0 bytes. WebAssembly memory never shrinks and Emscripten grows it in steps of at
//     least 20 %, so a steady run whose allocations repeat every epoch must not grow it at all; any
//     growth means the working set kept rising. (The memory's size hides a leak until it outgrows
//     the free room inside the heap; the 30-minute run is the sensitive one.)
//   - the page's JS heap (after a full GC): 1 MB. The page keeps bounded state only: the loss curve
//     fills to 4,000 points and is thinned to 2,000 (with the checkpoint's copy of it, a saw-tooth
//     of up to ~300 kB; measured +215 kB between samples), the rest moves by tens of kB. 1 MB is
//     three times that and still catches a leak of 20 bytes per classification in the CI loop
//     (~55,000 in 30 s) or of 100 bytes per training iteration (~10,000 after the warm-up).
//   - the worker's JS heap (after a full GC): 512 kB. The worker keeps nothing per request or per
//     slice; it moves by tens of kB. It catches the leak it found: every error the engine threw
//     through the bindings leaked ~550 bytes of it (the JS exception crossed the wasm frames and
//     left their Embind handles behind) — ~1,100 engine errors in the CI loop, +600 kB.
//   - the engine's allocations (dlmalloc's in-use bytes, Module.heapStats): 64 kB. Unlike the memory's
//     size this moves with every byte the engine keeps; a training step allocates nothing after the
//     first and a classification frees all it takes. During training it moves between two levels
//     about 1.3 MB apart (an epoch's test evaluation and a checkpoint's bytes come and go), and for a
//     moment ~16 MB higher while the trainer validates at batch 256 (a CI run sampled one such moment),
//     so each sample is the lowest of six readings over a second, and training is checked peak to peak: the highest sample up to the warm-up against the highest after it
//     (measured: +5 to +9 kB; tolerance 256 kB, which catches 15 bytes per training iteration after
//     the warm-up in the CI run). Classifying is flat (measured: +0; tolerance 64 kB, which catches a
//     leak of one byte per classification in the CI loop).
//   - workers: the same number at the end as after the warm-up.
'use strict';
const { spawn } = require('child_process');
const path = require('path');
const { chromium } = require('@playwright/test');
const { testDigit } = require('../e2e/helpers');
const config = require('../playwright.config.js');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const ci = args.includes('--ci');
const minutes = Number(opt('--minutes', ci ? 2 : 30));
const classifyCount = Number(opt('--classify', ci ? 0 : 100000)); // 0: for classifySeconds
const classifySeconds = Number(opt('--classify-seconds', 30));
const isolated = !args.includes('--no-isolation');
const engineDir = opt('--engine-dir', null);
const SAMPLE_S = 30;
const WARMUP_S = 45;
const WARMUP_CLASSIFY = 2000;
const TOL = { wasm: 0, malloc: 64 * 1024, mallocTraining: 256 * 1024, pageJs: 1024 * 1024, workerJs: 512 * 1024 };
const root = path.join(__dirname, '..');

const MB = (b) => (b === null || b === undefined ? 'n/a' : `${(b / 1048576).toFixed(1)} MB`);
const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
const log = (...a) => console.log('soak:', ...a);

// The app's server on a free port (scripts/serve.js prints the address it listens on).
function serve() {
  const a = [path.join(root, 'scripts', 'serve.js'), '--port', '0'];
  if (!isolated) a.push('--no-isolation');
  if (engineDir) a.push('--engine-dir', engineDir);
  const child = spawn(process.execPath, a, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the server did not start within 30 s')), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /serving (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
}

async function main() {
  const t0 = Date.now();
  const server = await serve();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: config.use.launchOptions.args });
  const failures = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 120000 });
    if ((await page.evaluate(() => document.documentElement.dataset.ready)) !== '1') {
      throw new Error(`the page did not start: ${await page.locator('#banner').textContent()}`);
    }
    const variant = await page.evaluate(() => window.cnnApp.variant);
    const pageCdp = await context.newCDPSession(page);
    const browserCdp = await browser.newBrowserCDPSession();
    const worker = await workerHeap(browserCdp);

    const sample = async () => {
      await pageCdp.send('HeapProfiler.collectGarbage');
      const { usedSize } = await pageCdp.send('Runtime.getHeapUsage');
      // The engine's allocations: the lowest of a few readings over about a second. A reading that
      // falls inside a validation pass at batch 256 (the layers' buffers grow for it, ~16 MB for the
      // ConvNetJS net, and shrink back for the next training batch) is a moment, not a level; a leak
      // raises every reading.
      const stats = await page.evaluate(() => window.cnnApp.engine.request('stats'));
      for (let k = 0; k < 5; ++k) {
        await new Promise((r) => setTimeout(r, 200));
        const again = await page.evaluate(() => window.cnnApp.engine.request('stats'));
        stats.mallocBytes = Math.min(stats.mallocBytes, again.mallocBytes);
      }
      const { targetInfos } = await browserCdp.send('Target.getTargets');
      const p = await page.evaluate(
        () =>
          window.cnnApp.lastProgress && {
            iteration: window.cnnApp.lastProgress.iteration,
            epoch: window.cnnApp.lastProgress.epoch,
          },
      );
      return {
        s: (Date.now() - t0) / 1000,
        wasm: stats.wasmHeapBytes,
        malloc: stats.mallocBytes,
        pageJs: usedSize,
        workerJs: await worker.heap(),
        workers: targetInfos.filter((t) => t.type === 'worker').length,
        iteration: p ? p.iteration : 0,
        epoch: p ? p.epoch : 0,
      };
    };
    const show = (tag, x) =>
      log(
        `[${clock(x.s)}] ${tag.padEnd(9)} iteration ${String(x.iteration).padStart(7)} · epoch ${String(x.epoch).padStart(3)} · ` +
          `wasm heap ${MB(x.wasm)} (allocated ${MB(x.malloc)}) · page JS heap ${MB(x.pageJs)} · worker JS heap ${MB(x.workerJs)} · workers ${x.workers}`,
      );

    log(`Chromium ${browser.version()}, ${variant === 'mt' ? 'threaded' : 'single-threaded'} engine, ${server.url}`);
    const start = await sample();
    show('start', start);

    // ---- training ----
    // The header's picker loads the untrained ConvNetJS net; Start then trains it from its random weights.
    await page.selectOption('#model-select', 'zoo:convnetjs');
    await page.waitForFunction(() => window.cnnApp.info && /convnetjs/i.test(window.cnnApp.info.name), null, {
      timeout: 60000,
    });
    await page.selectOption('#optimizer', 'adam');
    await page.fill('#lr', '0.002');
    await page.fill('#batch', '32');
    await page.fill('#epochs', '1000');
    await page.selectOption('#augment', 'digits');
    await page.fill('#validation', '5000');
    await page.click('#start');
    await page.waitForFunction(
      () => window.cnnApp.lastProgress || /error/.test(document.getElementById('train-msg').className),
      null,
      { timeout: 120000 },
    );
    const trainStart = Date.now();
    // Samples every 30 s, one at the end of the warm-up (if the run is longer) and one at the end.
    const times = [];
    for (let t = SAMPLE_S; t < minutes * 60; t += SAMPLE_S) times.push({ t, tag: 'training' });
    if (WARMUP_S < minutes * 60) times.push({ t: WARMUP_S, tag: 'warm-up' });
    times.push({ t: minutes * 60, tag: 'end' });
    times.sort((a, b) => a.t - b.t);
    let warm = null;
    let last = null;
    // The engine's allocations move between two levels within an epoch (about 1.3 MB, the test set's
    // evaluation and the checkpoint's bytes come and go), so they are compared peak to peak: the
    // highest sample up to the warm-up against the highest after it.
    let peakWarm = 0;
    let peakAfter = 0;
    for (const { t, tag } of times) {
      const wait = trainStart + t * 1000 - Date.now();
      if (wait > 0) await page.waitForTimeout(wait);
      const done = await page.evaluate(() => document.documentElement.dataset.trainingDone);
      if (done)
        throw new Error(`the training ended early (${done}): ${await page.locator('#train-msg').textContent()}`);
      last = await sample();
      show(tag, last);
      if (!warm) peakWarm = Math.max(peakWarm, last.malloc);
      else peakAfter = Math.max(peakAfter, last.malloc);
      if (tag === 'warm-up') warm = last;
    }
    const restarts = await page.evaluate(() => window.cnnApp.restarts.length);
    await page.click('#stop');
    await page.waitForFunction(() => document.documentElement.dataset.trainingDone, null, { timeout: 120000 });
    const trained = last.iteration;
    log(
      `trained ${trained} iterations in ${((Date.now() - trainStart) / 1000).toFixed(0)} s; engine restarts: ${restarts}`,
    );
    if (restarts) failures.push(`the engine was restarted ${restarts} times during the soak`);
    if (warm) {
      check(failures, 'training: wasm heap', warm.wasm, last.wasm, TOL.wasm);
      check(failures, 'training: engine allocations (peaks)', peakWarm, peakAfter, TOL.mallocTraining);
      check(failures, 'training: page JS heap', warm.pageJs, last.pageJs, TOL.pageJs);
      if (warm.workerJs !== null)
        check(failures, 'training: worker JS heap', warm.workerJs, last.workerJs, TOL.workerJs);
      if (last.workers !== warm.workers)
        failures.push(`training: ${warm.workers} workers after the warm-up, ${last.workers} at the end`);
    } else {
      log('no warm-up sample (training shorter than the warm-up): no growth check for training');
    }

    // ---- classify loop (the pretrained model) ----
    await page.selectOption('#model-select', 'pretrained');
    await page.waitForFunction(() => window.cnnApp.info && window.cnnApp.info.name === 'pretrained', null, {
      timeout: 60000,
    });
    // A loaded model is calibrated in the worker a moment later (its statistics stay with the model):
    // the loop is measured after that.
    await page.waitForFunction(() => !document.documentElement.dataset.calibrating, null, { timeout: 120000 });
    const digits = Array.from({ length: 20 }, (_, k) => testDigit(k)).map((d) => ({
      pixels: Array.from(d.pixels),
      label: d.label,
    }));
    await page.evaluate((ds) => {
      window.__digits = ds;
    }, digits);
    const loop = (count, seconds) => page.evaluate(runLoop, { count, seconds });
    const warmLoop = await loop(WARMUP_CLASSIFY, 0);
    const before = await sample();
    show('classify', before);
    const res = await loop(classifyCount, classifyCount ? 0 : classifySeconds);
    const after = await sample();
    show('classify', after);
    for (const r of [warmLoop, res]) failures.push(...r.failures);
    log(
      `classified ${res.count} times in ${res.seconds.toFixed(1)} s (${Math.round(res.count / res.seconds)}/s): ` +
        `${res.good} good inputs answered, ${res.bad} bad inputs refused (${Object.entries(res.badKinds)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}); ` +
        `warm-up ${warmLoop.count} in ${warmLoop.seconds.toFixed(1)} s`,
    );
    log(
      `refusals, e.g.: ${Object.entries(res.examples)
        .map(([k, v]) => `${k}: "${v}"`)
        .join('; ')}`,
    );
    check(failures, 'classify: wasm heap', before.wasm, after.wasm, TOL.wasm);
    check(failures, 'classify: engine allocations', before.malloc, after.malloc, TOL.malloc);
    check(failures, 'classify: page JS heap', before.pageJs, after.pageJs, TOL.pageJs);
    if (before.workerJs !== null)
      check(failures, 'classify: worker JS heap', before.workerJs, after.workerJs, TOL.workerJs);
    // The worker still works: a known digit, classified right.
    const final = await page.evaluate(async (d) => {
      const probs = await window.cnnApp.engine.request('classify', {
        input: Float32Array.from(d.pixels, (v) => v / 255),
      });
      return { top: probs.probs.indexOf(Math.max(...probs.probs)), label: d.label };
    }, digits[0]);
    if (final.top !== final.label) failures.push(`after the loop, a ${final.label} was classified as ${final.top}`);
    if (pageErrors.length) failures.push(`uncaught errors in the page: ${pageErrors.slice(0, 3).join(' | ')}`);

    log(
      `summary: wasm heap ${MB(start.wasm)} at start, ${MB(warm ? warm.wasm : null)} after warm-up, ${MB(last.wasm)} at the end of training, ` +
        `${MB(after.wasm)} after classifying; engine allocations ${MB(start.malloc)} / ${MB(warm ? warm.malloc : null)} / ${MB(last.malloc)} / ${MB(after.malloc)}; page JS heap ${MB(start.pageJs)} / ${MB(warm ? warm.pageJs : null)} / ${MB(last.pageJs)} / ${MB(after.pageJs)}; ` +
        `worker JS heap ${MB(start.workerJs)} / ${MB(warm ? warm.workerJs : null)} / ${MB(last.workerJs)} / ${MB(after.workerJs)}; ` +
        `workers ${start.workers} / ${warm ? warm.workers : 'n/a'} / ${last.workers} / ${after.workers}`,
    );
    await worker.close();
  } finally {
    await browser.close();
    server.child.kill();
  }
  if (failures.length) {
    for (const f of failures) console.error(`soak: FAILED: ${f}`);
    process.exit(1);
  }
  log(`passed (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

function check(failures, what, base, end, tol) {
  const grew = end - base;
  const ok = grew <= tol;
  log(
    `${what}: ${MB(base)} after warm-up, ${MB(end)} at the end (${grew >= 0 ? '+' : ''}${(grew / 1024).toFixed(0)} kB; tolerance ${(tol / 1024).toFixed(0)} kB) ${ok ? 'ok' : 'GREW'}`,
  );
  if (!ok)
    failures.push(
      `${what} grew by ${(grew / 1024).toFixed(0)} kB after the warm-up (tolerance ${(tol / 1024).toFixed(0)} kB)`,
    );
}

// The engine worker's JS heap, through the browser's CDP session attached to the worker's target
// (messages relayed with Target.sendMessageToTarget). Returns null heaps when that is not possible.
async function workerHeap(cdp) {
  let sessionId = null;
  let targetId = null;
  let nextId = 1;
  const waiting = new Map();
  cdp.on('Target.receivedMessageFromTarget', (ev) => {
    if (ev.sessionId !== sessionId) return;
    const msg = JSON.parse(ev.message);
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(msg.error.message));
    else w.resolve(msg.result);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      cdp
        .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
        .catch(reject);
      setTimeout(() => {
        if (waiting.delete(id)) reject(new Error(`${method}: no answer`));
      }, 30000).unref();
    });
  const attach = async () => {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const t = targetInfos.find((x) => x.type === 'worker' && /engine-worker\.js/.test(x.url));
    if (!t) return false;
    if (t.targetId !== targetId) {
      targetId = t.targetId;
      ({ sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: false }));
    }
    return true;
  };
  return {
    async heap() {
      try {
        if (!(await attach())) return null;
        await send('HeapProfiler.collectGarbage');
        return (await send('Runtime.getHeapUsage')).usedSize;
      } catch (e) {
        return null;
      }
    },
    async close() {
      if (sessionId) await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => {});
    },
  };
}

// In the page: `count` classifications (or as many as fit in `seconds`), 4 in flight, one in 10 a
// bad input. Checks every answer.
async function runLoop({ count, seconds }) {
  const { engine } = window.cnnApp;
  const digits = window.__digits;
  const kinds = ['wrong length', 'NaN', 'Infinity', 'empty', 'plain Array', 'invalid model'];
  const expect = {
    'wrong length': /values/,
    NaN: /finite/,
    Infinity: /finite/,
    empty: /empty/,
    'plain Array': /Float32Array/,
    'invalid model': /units/,
  };
  const badModel = JSON.stringify({ name: 'bad', input: [1, 28, 28], layers: [{ type: 'dense', units: -3 }] });
  const out = { count: 0, good: 0, bad: 0, badKinds: {}, examples: {}, failures: [], seconds: 0 };
  const t0 = performance.now();
  const deadline = seconds ? t0 + seconds * 1000 : Infinity;
  let i = 0;
  const fail = (m) => {
    if (out.failures.length < 10) out.failures.push(m);
  };
  const one = async (k) => {
    if (k % 10 === 9) {
      const kind = kinds[((k / 10) | 0) % kinds.length];
      let input;
      if (kind === 'wrong length') input = new Float32Array(783);
      else if (kind === 'NaN') {
        input = new Float32Array(784);
        input[k % 784] = NaN;
      } else if (kind === 'Infinity') {
        input = new Float32Array(784).fill(0.5);
        input[(k * 7) % 784] = Infinity;
      } else if (kind === 'empty') input = new Float32Array(0);
      else input = new Array(784).fill(0);
      try {
        if (kind === 'invalid model') await engine.request('loadModel', { json: badModel, slot: 'soak-spare' });
        else await engine.request('classify', { input });
        fail(`a bad input (${kind}) was answered`);
      } catch (e) {
        if (!e.message || !expect[kind].test(e.message))
          fail(`a bad input (${kind}) got an unclear error: ${e.message}`);
        out.bad++;
        out.badKinds[kind] = (out.badKinds[kind] || 0) + 1;
        if (!out.examples[kind]) out.examples[kind] = e.message;
      }
      return;
    }
    const d = digits[k % digits.length];
    try {
      const { probs } = await engine.request('classify', { input: Float32Array.from(d.pixels, (v) => v / 255) });
      let sum = 0;
      for (const p of probs) sum += p;
      if (probs.length !== 10 || !(Math.abs(sum - 1) < 1e-3))
        fail(`a good input got ${probs.length} probabilities summing to ${sum}`);
      out.good++;
    } catch (e) {
      fail(`a good input was refused: ${e.message}`);
    }
  };
  const lane = async () => {
    while (count ? i < count : performance.now() < deadline) {
      const k = i++;
      await one(k);
      out.count++;
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  out.seconds = (performance.now() - t0) / 1000;
  return out;
}

main().catch((e) => {
  console.error(`soak: ${e.stack || e.message}`);
  process.exit(1);
});
