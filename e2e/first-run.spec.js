// The first run with the defaults: Start trains a NEW small network from random weights (never the
// shipped trained model), and within 60 s the loss has fallen, an accuracy point is on the chart and
// a confusion matrix exists. The status says what happens: paused (no time left), stopping, the
// test set's evaluation with its progress, resumed; after a reload scrolled to the bottom, the
// resume offer is in view.
const { test, expect } = require('@playwright/test');
const { ready } = require('./helpers');

test.describe.configure({ mode: 'serial' });

// Every text the status line (#train-msg) and the progress line (#progress-text) show, in order.
async function recordStatus(page) {
  await page.evaluate(() => {
    window.__status = [];
    window.__progressText = [];
    const watch = (id, list) =>
      new MutationObserver(() => {
        const t = document.getElementById(id).textContent;
        if (list[list.length - 1] !== t) list.push(t);
      }).observe(document.getElementById(id), { childList: true, characterData: true, subtree: true });
    watch('train-msg', window.__status);
    watch('progress-text', window.__progressText);
  });
}

test('the first run with the defaults learns visibly within a minute; the status tells the truth', async ({
  page,
}, info) => {
  test.setTimeout(300000);
  await page.goto('/');
  await ready(page);
  // The Draw card works with the shipped model; Start is labelled with what it trains.
  await expect(page.locator('#model-select option:checked')).toContainText('99.47 %');
  await expect(page.locator('#train-from option:checked')).toContainText('new LeNet-5 — untrained (random weights)');
  await recordStatus(page);
  const t0 = Date.now();
  await page.click('#start');
  // A fresh, untrained network is trained, and named so.
  await expect(page.locator('#model-select option:checked')).toContainText('LeNet-5 — untrained (random weights)');
  await expect(page.locator('#net-summary')).toContainText('untrained (random weights)');

  // Within 60 s: an accuracy point (the 1,000-image subset) and a confusion matrix.
  await page.waitForFunction(
    () =>
      [...window.cnnApp.trainView.acc.quick, ...window.cnnApp.trainView.acc.test].some((v) => v !== null) &&
      !document.getElementById('results').hidden,
    null,
    { timeout: 60000 },
  );
  const seconds = (Date.now() - t0) / 1000;
  const figures = await page.evaluate(() => {
    const v = window.cnnApp.trainView;
    const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
    const quick = [...v.acc.quick, ...v.acc.test].filter((x) => x !== null);
    return {
      iteration: window.cnnApp.lastProgress.iteration,
      first: mean(v.loss.raw.slice(0, 20)),
      last: mean(v.loss.raw.slice(-20)),
      accuracy: quick[0],
      confusion: document.getElementById('confusion').getAttribute('aria-label'),
      note: document.getElementById('test-note').textContent,
    };
  });
  console.log(
    `first run: accuracy point ${(100 * figures.accuracy).toFixed(1)} % (${figures.note}) and a confusion matrix after ${seconds.toFixed(1)} s ` +
      `(iteration ${figures.iteration}); loss: first 20 iterations ${figures.first.toFixed(3)}, last 20 ${figures.last.toFixed(3)}`,
  );
  expect(seconds).toBeLessThan(60);
  expect(figures.last).toBeLessThan(figures.first * 0.5);
  expect(figures.accuracy).toBeGreaterThan(0.8);
  expect(figures.confusion).toContain('Confusion matrix');
  expect(figures.note).toMatch(/of (1,000|10,000) test images right/);
  await page.locator('#train-card').scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/shots/app-first-run-1280.png', fullPage: false });

  // The end: the whole test set is evaluated, with its progress said, and the model is named.
  await page.waitForFunction(() => document.documentElement.dataset.trainingDone, null, { timeout: 120000 });
  await expect(page.locator('#train-msg')).toContainText('Finished: test accuracy');
  const status = await page.evaluate(() => window.__status);
  console.log(
    `status texts: ${status
      .filter((s) => !s.startsWith('Downloading MNIST '))
      .map((s) => JSON.stringify(s))
      .join(' → ')}`,
  );
  const evaluating = status.filter((s) => s.startsWith('Evaluating on the test set…'));
  expect(evaluating.length).toBeGreaterThan(1); // progress: several steps
  expect(evaluating[evaluating.length - 1]).toContain('100 % (10,000 of 10,000 images)');
  expect(await page.locator('#test-note').textContent()).toContain('of 10,000 test images right');
  await expect(page.locator('#model-select option:checked')).toContainText('LeNet-5 — trained here');
  // The trained model can be kept in the browser and picked again from the one picker.
  await page.fill('#save-name', 'my-lenet');
  await page.click('#save-model');
  await expect(page.locator('#io-msg')).toContainText('Saved “my-lenet”');
  await expect(page.locator('#model-select option:checked')).toHaveText('my-lenet (saved)');
  await page.selectOption('#model-select', 'pretrained');
  await expect(page.locator('#net-summary')).toContainText('99.47 %');
  await expect(page.locator('#train-from option:checked')).toContainText('new LeNet-5');
  await page.selectOption('#model-select', 'model:my-lenet');
  await expect(page.locator('#net-summary')).toContainText('my-lenet (saved)');
  await expect(page.locator('#train-from')).toContainText('fine-tune the trained my-lenet');
  console.log(
    `first run finished after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${await page.locator('#train-msg').textContent()}`,
  );
});

test('pause shows no time left, resume goes back to training, stop says "Stopping…" until stopped', async ({
  page,
}) => {
  test.setTimeout(240000);
  await page.goto('/');
  await ready(page);
  await page.fill('#epochs', '20');
  await recordStatus(page);
  await page.click('#start');
  await page.waitForFunction(() => window.cnnApp.lastProgress && window.cnnApp.lastProgress.iteration > 50, null, {
    timeout: 60000,
  });
  await page.click('#pause');
  await expect(page.locator('#train-msg')).toContainText('Paused');
  await expect(page.locator('#progress-text')).toContainText('Paused');
  await expect(page.locator('#progress-text')).not.toContainText('left');
  console.log(`paused: ${await page.locator('#progress-text').textContent()}`);
  await page.click('#resume');
  await expect(page.locator('#train-msg')).toHaveText('Training…');
  await expect(page.locator('#progress-text')).toContainText('left');
  await page.waitForTimeout(1000);
  await page.click('#stop');
  await expect(page.locator('#train-msg')).toContainText('Stopping…');
  await expect(page.locator('#stop')).toBeDisabled();
  await expect(page.locator('#pause')).toBeDisabled();
  await page.waitForFunction(() => document.documentElement.dataset.trainingDone, null, { timeout: 60000 });
  await expect(page.locator('#train-msg')).toContainText('Stopped: test accuracy');
  await expect(page.locator('#progress-text')).toContainText('Stopped · epoch');
  const status = await page.evaluate(() => window.__status);
  console.log(
    `status texts: ${status
      .filter((s) => !s.startsWith('Downloading MNIST '))
      .map((s) => JSON.stringify(s))
      .join(' → ')}`,
  );
  const stopAt = status.findIndex((s) => s.startsWith('Stopping…'));
  const evalAt = status.findIndex((s) => s.startsWith('Evaluating on the test set…'));
  expect(stopAt).toBeGreaterThanOrEqual(0);
  expect(evalAt).toBeGreaterThan(stopAt);
});

test('after a reload scrolled to the bottom, the resume offer is in view; resuming goes back to normal status', async ({
  page,
}) => {
  test.setTimeout(240000);
  await page.goto('/');
  await ready(page);
  await page.fill('#epochs', '20');
  await page.click('#start');
  await page.waitForFunction(() => Number(document.documentElement.dataset.checkpointIteration) > 0, null, {
    timeout: 60000,
  });
  const saved = await page.evaluate(() => Number(document.documentElement.dataset.checkpointIteration));
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await page.reload();
  await ready(page);
  // Wherever the browser restored the scroll to, the offer is in view.
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const banner = page.locator('#banner');
  await expect(banner).toContainText('A training was interrupted');
  await expect(banner).toBeInViewport();
  const scrollY = await page.evaluate(() => Math.round(window.scrollY));
  console.log(
    `resume offer in view at scrollY ${scrollY} (the page scrolled to the bottom); checkpoint at iteration ${saved}`,
  );
  expect(scrollY).toBeGreaterThan(500);
  await page.screenshot({ path: '/tmp/shots/app-resume-offer-1280.png' });
  await recordStatus(page);
  await page.click('#banner button:has-text("Resume training")');
  await expect(page.locator('#train-msg')).toHaveText('Training…', { timeout: 60000 });
  const status = await page.evaluate(() => window.__status);
  console.log(
    `status texts on resume: ${status
      .filter((s) => !s.startsWith('Downloading MNIST '))
      .map((s) => JSON.stringify(s))
      .join(' → ')}`,
  );
  expect(status.some((s) => s.startsWith(`Resuming from iteration ${saved.toLocaleString('en-US')}`))).toBe(true);
  await page.click('#stop');
  await page.waitForFunction(() => document.documentElement.dataset.trainingDone, null, { timeout: 60000 });
});
