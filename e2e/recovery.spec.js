// Nothing lost: the engine worker dies mid-training and the page restarts it, restores the model and
// the data and resumes the training from its last checkpoint (web/engine-client.js); a worker that
// throws gets the same; closing the tab mid-training and opening the page again resumes from the
// checkpoint in IndexedDB, with the offer in view (also after a reload scrolled to the Train card).
const { test, expect } = require('@playwright/test');
const { ready, testDigit, drawDigit } = require('./helpers');

test.describe.configure({ mode: 'serial' });

// The watchdog's timings for these tests: a worker silent for 4 s counts as dead (the page's
// default is a minute, for the slowest synchronous step of a large model).
const FAST_WATCHDOG = () => {
  window.CNN_ENGINE_OPTIONS = { hangMs: 4000, pingMs: 1000 };
};

async function startConvnetjs(page, epochs = '1') {
  await page.selectOption('#optimizer', 'adam');
  await page.fill('#lr', '0.002');
  await page.fill('#batch', '32');
  await page.fill('#epochs', epochs);
  await page.selectOption('#augment', 'none');
  await page.click('#start');
  await expect(page.locator('#pause')).toBeEnabled();
}

const checkpointIteration = (page) =>
  page.evaluate(() => Number(document.documentElement.dataset.checkpointIteration || 0));
const lastIteration = (page) =>
  page.evaluate(() => (window.cnnApp.lastProgress ? window.cnnApp.lastProgress.iteration : 0));
const storedCheckpoint = (page) =>
  page.evaluate(() =>
    import('/lib/store.js')
      .then((m) => m.store.get('checkpoint'))
      .then((cp) => cp && { iteration: cp.iteration, savedAt: cp.savedAt }),
  );

test('the engine worker is killed mid-training: the page says so, a new worker resumes from the checkpoint', async ({
  page,
}, info) => {
  test.setTimeout(180000);
  await page.addInitScript(FAST_WATCHDOG);
  const workers = [];
  page.on('worker', (w) => {
    if (!/engine-worker\.js/.test(w.url())) return;
    const rec = { url: w.url(), closed: false };
    workers.push(rec);
    w.on('close', () => {
      rec.closed = true;
    });
  });
  await page.goto('/');
  await ready(page);
  expect(workers.length).toBe(1);
  // Three epochs (about 5,000 iterations): the run must still be going when the test stops it, on a
  // quiet machine too (one epoch ended before the Stop there).
  await startConvnetjs(page, '3');
  await page.waitForFunction(() => Number(document.documentElement.dataset.checkpointIteration) > 0, null, {
    timeout: 60000,
  });
  const cp = await checkpointIteration(page);
  await page.waitForFunction((c) => window.cnnApp.lastProgress.iteration > c + 20, cp, { timeout: 30000 });

  // Kill the real worker without a word, and ask it something right after: that request must fail
  // with a clear error once the page finds out, not hang.
  const before = await page.evaluate(() => {
    const { engine } = window.cnnApp;
    const at = { checkpoint: window.cnnApp.checkpoint.iteration, progress: window.cnnApp.lastProgress.iteration };
    engine._crashForTest('terminate');
    window.__pending = engine.request('modelInfo').then(
      () => 'answered',
      (e) => `${e.name}: ${e.message}`,
    );
    return at;
  });
  console.log(`killed the worker at iteration ${before.progress}; last checkpoint at ${before.checkpoint}`);
  expect(before.progress).toBeGreaterThan(before.checkpoint);
  // The page says so where the user is (the Train card) and in the banner.
  await expect(page.locator('#train-msg')).toContainText('The engine stopped unexpectedly', { timeout: 15000 });
  expect(await page.evaluate(() => window.__pending)).toMatch(
    /^EngineCrashError: The engine stopped unexpectedly \(it did not answer for \d+ s\)/,
  );
  await page.waitForFunction(() => document.documentElement.dataset.engineRestarts === '1', null, { timeout: 60000 });
  const restart = await page.evaluate(() => window.cnnApp.restarts[0]);
  expect(restart.resumedFrom).toBeGreaterThanOrEqual(before.checkpoint);
  const resumedText = `training resumes from iteration ${restart.resumedFrom.toLocaleString('en-US')}`;
  await expect(page.locator('#banner')).toContainText('The engine stopped unexpectedly (it did not answer for');
  await expect(page.locator('#banner')).toContainText(`It has been restarted and your model restored; ${resumedText}.`);
  await expect(page.locator('#train-msg')).toContainText(resumedText);

  // A new worker runs, the old one is gone; the training continues from the checkpoint, not from 0.
  await page.waitForFunction(
    (c) => window.cnnApp.lastProgress && window.cnnApp.lastProgress.iteration > c + 50,
    restart.resumedFrom,
    { timeout: 60000 },
  );
  const after = await page.evaluate(() => window.cnnApp.restarts[0]);
  expect(after.firstIteration).toBe(restart.resumedFrom + 1);
  expect(workers.length).toBe(2);
  expect(workers[0].closed).toBe(true);
  expect(workers[1].closed).toBe(false);
  expect(page.workers().filter((w) => /engine-worker\.js/.test(w.url())).length).toBe(1);
  // The loss curve was rolled back to the checkpoint: its iterations still only increase.
  const xs = await page.evaluate(() => window.cnnApp.trainView.loss.x);
  expect(xs.every((x, i) => i === 0 || x > xs[i - 1])).toBe(true);
  expect(xs[0]).toBe(1);
  // The checkpoints of the resumed run go on to IndexedDB.
  await page.waitForFunction(
    (c) => Number(document.documentElement.dataset.checkpointIteration) > c,
    restart.resumedFrom,
    { timeout: 30000 },
  );
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: info.outputPath('engine-restarted.png') });
  await page.click('#stop');
  await page.waitForFunction(() => document.documentElement.dataset.trainingDone, null, { timeout: 60000 });
  expect(await page.evaluate(() => document.documentElement.dataset.trainingDone)).toBe('stopped');
  console.log(`resumed from iteration ${restart.resumedFrom}; next iteration ${after.firstIteration}`);
});

test('a worker that throws or traps is replaced; the drawing is classified by the new one', async ({ page }) => {
  test.setTimeout(120000);
  await page.goto('/');
  await ready(page);
  const { pixels, label } = testDigit(0);
  await drawDigit(page, pixels);
  await expect(page.locator('#top-class')).toHaveText(String(label));
  // An uncaught error in the worker: an 'error' event on the Worker.
  await page.evaluate(() => window.cnnApp.engine._crashForTest('error'));
  await page.waitForFunction(() => document.documentElement.dataset.engineRestarts === '1', null, { timeout: 60000 });
  await expect(page.locator('#banner')).toContainText(
    'The engine stopped unexpectedly (Uncaught Error: crashForTest: an uncaught error in the engine worker). It has been restarted and your model restored.',
  );
  // A trap in the engine: the worker's "fatal" event.
  await page.evaluate(() => window.cnnApp.engine._crashForTest('trap'));
  await page.waitForFunction(() => document.documentElement.dataset.engineRestarts === '2', null, { timeout: 60000 });
  await expect(page.locator('#banner')).toContainText(
    'The engine stopped unexpectedly (a WebAssembly trap: unreachable executed (crashForTest)). It has been restarted and your model restored.',
  );
  // The restored pretrained model answers: the page's classification and a fresh one.
  await expect(page.locator('#top-class')).toHaveText(String(label));
  const { pixels: p2, label: l2 } = testDigit(1);
  await page.click('#clear');
  await drawDigit(page, p2);
  await expect(page.locator('#top-class')).toHaveText(String(l2));
  expect(await page.evaluate(() => window.cnnApp.info.name)).toBe('pretrained');
});

test('closing the tab mid-training and opening the page again resumes from the last checkpoint', async ({
  page,
  context,
}, info) => {
  test.setTimeout(240000);
  await page.goto('/');
  await ready(page);
  await startConvnetjs(page, '4'); // still running at the reload below, however fast the machine
  await page.locator('#train-card').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => Number(document.documentElement.dataset.checkpointIteration) > 0, null, {
    timeout: 60000,
  });
  // The page asked for persistent storage when the training started (the browser decides).
  await page.waitForFunction(() => window.cnnApp.persisted !== null, null, { timeout: 10000 });
  const persisted = await page.evaluate(() => window.cnnApp.persisted);
  expect(typeof persisted).toBe('boolean');
  await page.waitForTimeout(3000);
  const atClose = await lastIteration(page);
  const closedAt = Date.now();
  await page.close();

  const page2 = await context.newPage();
  await page2.goto('/');
  await ready(page2);
  const cp = await storedCheckpoint(page2);
  expect(cp.iteration).toBeGreaterThan(0);
  expect(cp.iteration).toBeLessThanOrEqual(atClose);
  // Checkpoints come every 5 s of training: the last one is seconds older than the close.
  console.log(
    `closed at iteration ${atClose}; checkpoint at ${cp.iteration}, ${((closedAt - cp.savedAt) / 1000).toFixed(1)} s before the close; persistent storage granted: ${persisted}`,
  );
  expect(closedAt - cp.savedAt).toBeLessThan(30000);
  const banner = page2.locator('#banner');
  await expect(banner).toContainText('A training was interrupted');
  await expect(banner).toContainText(`iteration ${cp.iteration.toLocaleString('en-US')}`);
  await expect(banner).toBeInViewport();
  await page2.click('#banner button:has-text("Resume training")');
  await page2.waitForFunction(() => window.cnnApp.lastProgress, null, { timeout: 60000 });
  const resumedAt = await page2.evaluate(
    () => window.cnnApp.lastProgress.iteration - window.cnnApp.lastProgress.losses.length,
  );
  expect(resumedAt).toBe(cp.iteration);

  // A reload while the Train card is in view: the offer is brought into view.
  await page2.waitForFunction((c) => Number(document.documentElement.dataset.checkpointIteration) > c, cp.iteration, {
    timeout: 30000,
  });
  await page2.locator('#train-card').scrollIntoViewIfNeeded();
  await page2.evaluate(() => document.getElementById('progress-text').scrollIntoView({ block: 'center' }));
  await page2.reload();
  await ready(page2);
  await expect(banner).toContainText('A training was interrupted');
  await expect(banner).toBeInViewport();
  await page2.screenshot({ path: info.outputPath('resume-offer-after-reload.png') });
  await page2.click('#banner button:has-text("Discard")');
  await expect(banner).toBeHidden();
  expect(await storedCheckpoint(page2)).toBeUndefined();
});
