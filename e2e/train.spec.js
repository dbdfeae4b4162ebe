// Training in the browser: the default first net (a new LeNet-5) on the real MNIST. The loss falls, the curves and the
// progress bar update, pause and resume work, a reload resumes from the IndexedDB checkpoint, the
// main thread has no long task over 200 ms, and a diverging run is reported.
const { test, expect } = require('@playwright/test');
const { ready } = require('./helpers');

test.describe.configure({ mode: 'serial' });

async function watchLongTasks(page) {
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
}

const iteration = (page) =>
  page.evaluate(() => (window.cnnApp.lastProgress ? window.cnnApp.lastProgress.iteration : 0));

test('trains the default first net (a new LeNet-5): loss falls, curves and progress update, pause/resume, reload resumes', async ({
  page,
}, info) => {
  test.setTimeout(240000);
  await watchLongTasks(page);
  await page.goto('/');
  await ready(page);
  await page.selectOption('#optimizer', 'adam');
  await page.fill('#lr', '0.002');
  await page.fill('#batch', '32');
  await page.fill('#epochs', '1');
  await page.selectOption('#augment', 'none');
  // Long tasks before training (page start, wasm compile) do not count.
  await page.evaluate(() => {
    window.__longTasks = [];
  });
  await page.click('#start');
  await expect(page.locator('#pause')).toBeEnabled();
  await page.waitForFunction(() => window.cnnApp.lastProgress && window.cnnApp.lastProgress.iteration >= 300, null, {
    timeout: 90000,
  });

  // Pause: the iteration count stops; resume: it moves again.
  await page.click('#pause');
  await expect(page.locator('#resume')).toBeEnabled();
  await page.waitForTimeout(300);
  const paused = await iteration(page);
  await page.waitForTimeout(1000);
  expect(await iteration(page)).toBe(paused);
  await expect(page.locator('#train-msg')).toContainText('Paused');
  await page.screenshot({ path: info.outputPath('train-paused.png'), fullPage: true });
  await page.click('#resume');
  await page.waitForFunction((p) => window.cnnApp.lastProgress.iteration > p + 50, paused, { timeout: 30000 });

  // The loss fell: the smoothed curve's last value is well below its first.
  const curve = await page.evaluate(() => window.cnnApp.trainView.loss);
  expect(curve.x.length).toBeGreaterThan(100);
  const firstLoss = curve.raw.slice(0, 20).reduce((a, b) => a + b, 0) / 20;
  const lastLoss = curve.raw.slice(-20).reduce((a, b) => a + b, 0) / 20;
  console.log(`loss: first 20 iterations ${firstLoss.toFixed(3)}, last 20 ${lastLoss.toFixed(3)}`);
  expect(lastLoss).toBeLessThan(firstLoss * 0.5);
  // The progress bar and its text.
  expect(await page.locator('#train-progress').evaluate((p) => p.value)).toBeGreaterThan(0);
  await expect(page.locator('#progress-text')).toContainText('img/s');
  await expect(page.locator('#progress-text')).toContainText('left');
  const plotted = await page.locator('#loss-chart canvas').count();
  expect(plotted).toBeGreaterThan(0);

  // A checkpoint is in IndexedDB; reload mid-training and resume from it.
  await page.waitForFunction(() => Number(document.documentElement.dataset.checkpointIteration) > 0, null, {
    timeout: 30000,
  });
  const saved = await page.evaluate(() => Number(document.documentElement.dataset.checkpointIteration));
  const longTasks = await page.evaluate(() => window.__longTasks);
  console.log(
    `main-thread long tasks while training: ${longTasks.length}, longest ${Math.round(Math.max(0, ...longTasks))} ms`,
  );
  expect(Math.max(0, ...longTasks)).toBeLessThan(200);

  await page.reload();
  await ready(page);
  await expect(page.locator('#banner')).toContainText('A training was interrupted');
  await page.click('#banner button:has-text("Resume training")');
  await page.waitForFunction(() => window.cnnApp.lastProgress, null, { timeout: 60000 });
  const resumedAt = await page.evaluate(
    () => window.cnnApp.lastProgress.iteration - window.cnnApp.lastProgress.losses.length,
  );
  expect(resumedAt).toBe(saved);
  // The curves were restored with the checkpoint.
  expect(await page.evaluate(() => window.cnnApp.trainView.loss.x.length)).toBeGreaterThan(50);

  // Let it finish: test results, confusion matrix, misclassified images.
  await page.waitForFunction(() => document.documentElement.dataset.trainingDone, null, { timeout: 180000 });
  await expect(page.locator('#train-msg')).toContainText('test accuracy');
  const acc = parseFloat(await page.locator('#test-acc').textContent());
  console.log(`LeNet-5, 1 epoch in the browser: test accuracy ${acc} %`);
  expect(acc).toBeGreaterThan(90);
  await expect(page.locator('#wrong .wrong-item').first()).toBeVisible();
  await page.screenshot({ path: info.outputPath('train-done.png'), fullPage: true });
  // The trained model is now the current one, and the checkpoint is gone.
  await expect(page.locator('#model-select option:checked')).toContainText('trained here');
  expect(await page.evaluate(() => import('/lib/store.js').then((m) => m.store.get('checkpoint')))).toBeUndefined();
});

test('a diverging run stops with a clear message and the page keeps working', async ({ page }, info) => {
  await page.goto('/');
  await ready(page);
  await page.selectOption('#optimizer', 'momentum');
  await page.fill('#lr', '1000000');
  await page.fill('#l2', '0.01');
  await page.fill('#epochs', '1');
  await page.click('#start');
  await page.waitForFunction(() => document.documentElement.dataset.trainingDone, null, { timeout: 90000 });
  expect(await page.evaluate(() => document.documentElement.dataset.trainingDone)).toBe('diverged');
  await expect(page.locator('#train-msg')).toHaveClass(/error/);
  await expect(page.locator('#train-msg')).toContainText('Lower the learning rate');
  await expect(page.locator('#start')).toBeEnabled();
});
