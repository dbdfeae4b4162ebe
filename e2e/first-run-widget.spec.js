// The widget's first run: a train widget with no attributes but its mode, and a widget with none
// at all, train() with no options: a NEW LeNet-5 from random weights (never the shipped trained
// model), and within 60 s the loss has fallen, an accuracy point is on the chart and a confusion
// matrix exists. (The Playwright project "widget": the page on 8184, the widget from 8182.)
const { test, expect } = require('@playwright/test');

test('train() with no options trains a new untrained LeNet-5 that learns visibly within a minute', async ({
  page,
}, info) => {
  test.setTimeout(180000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/first-run.html');
  const w = page.locator('#train');
  await page.waitForFunction(() => document.getElementById('train').dataset.state === 'ready', null, {
    timeout: 60000,
  });
  // The train widget names what it will train: untrained, random weights.
  await expect(w.locator('.model-name')).toContainText('LeNet-5 — untrained (random weights)');
  // The form is the settings table's: the same labels and defaults as the app.
  await expect(w.locator('#epochs')).toHaveValue('2');
  await expect(w.locator('#optimizer option:checked')).toHaveText('Adam');
  const t0 = Date.now();
  await page.evaluate(() => {
    const el = document.getElementById('train');
    window.__t = { losses: [], epochs: 0 };
    el.addEventListener('progress', (e) => window.__t.losses.push(...e.detail.losses));
    el.addEventListener('epoch', () => window.__t.epochs++);
    window.__run = el.train();
    window.__run.then(
      (d) => (window.__t.done = d.status),
      (e) => (window.__t.error = e.message),
    );
  });
  const within = await page.waitForFunction(
    () => {
      const r = document.getElementById('train').shadowRoot;
      const confusion = r.querySelector('canvas.confusion');
      return (
        window.__t.error ||
        (confusion &&
          confusion.getAttribute('aria-label') &&
          r.querySelector('.acc, .chart') &&
          window.__t.losses.length > 40)
      );
    },
    null,
    { timeout: 60000 },
  );
  expect(await page.evaluate(() => window.__t.error)).toBeUndefined();
  const seconds = (Date.now() - t0) / 1000;
  const f = await page.evaluate(() => {
    const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
    const r = document.getElementById('train').shadowRoot;
    return {
      n: window.__t.losses.length,
      first: mean(window.__t.losses.slice(0, 20)),
      last: mean(window.__t.losses.slice(-20)),
      acc: r.querySelector('.big').textContent,
      note: r.querySelector('.big + .muted').textContent,
    };
  });
  console.log(
    `[widget] first run: accuracy ${f.acc} (${f.note}) and a confusion matrix after ${seconds.toFixed(1)} s; ` +
      `loss: first 20 iterations ${f.first.toFixed(3)}, last 20 ${f.last.toFixed(3)} (${f.n} iterations)`,
  );
  expect(within).toBeTruthy();
  expect(seconds).toBeLessThan(60);
  expect(f.last).toBeLessThan(f.first * 0.5);
  await expect(w.locator('.model-name')).toContainText('LeNet-5');
  await w.screenshot({ path: '/tmp/shots/widget-first-run-1280.png' });
  await page.evaluate(() => document.getElementById('train').stop());
  const status = await page.evaluate(() => window.__run.then((d) => d.status));
  expect(['stopped', 'finished']).toContain(status);
  await expect(w.locator('.model-name')).toContainText('LeNet-5 — trained here');
  await page.setViewportSize({ width: 390, height: 844 });
  await w.screenshot({ path: '/tmp/shots/widget-first-run-390.png' });
  await page.setViewportSize({ width: 1280, height: 900 });

  // A widget with no attributes at all: train() trains a new LeNet-5, not the shipped model it shows.
  const plain = page.locator('#plain');
  await expect(plain.locator('.model-name')).toContainText('99.47 %');
  await page.evaluate(() => {
    window.__plain = document.getElementById('plain').train({ iterations: 30, validation: 0 });
  });
  const done = await page.evaluate(() => window.__plain.then((d) => d.status));
  expect(done).toBe('finished');
  await expect(plain.locator('.model-name')).toContainText('LeNet-5 — trained here');
  console.log(`[widget] a widget with no attributes: train() -> ${await plain.locator('.model-name').textContent()}`);
});
