// The embedded widgets (course page on one origin, the widget from another) share one engine worker;
// when it traps mid-training the shared client (web/engine-client.js) restarts it: every widget's
// model is restored, the training widget says so and resumes from its last checkpoint.
const { test, expect } = require('@playwright/test');
const { testDigit } = require('./helpers');

test('the shared worker traps mid-training: every widget is restored, the training resumes from its checkpoint', async ({
  page,
}) => {
  test.setTimeout(180000);
  await page.goto('/course.html');
  await page.waitForFunction(
    () => {
      const ws = [...document.querySelectorAll('cnn-widget')];
      return ws.length === 3 && ws.every((w) => w.dataset.state === 'ready');
    },
    null,
    { timeout: 90000 },
  );
  await page.evaluate(() => {
    const w = document.getElementById('train');
    const client = [...globalThis[Symbol.for('cnn-widget.engines')].values()][0].client;
    window.__t = { last: null, checkpoint: 0, done: null, crashed: false, restarted: null, afterRestart: null };
    client.on('crash', () => {
      window.__t.crashed = true;
    });
    client.on('checkpoint', (m) => {
      if (m.slot === w.slot_) window.__t.checkpoint = m.iteration;
    });
    client.on('restarted', (ev) => {
      window.__t.restarted = ev;
    });
    w.addEventListener('progress', (e) => {
      window.__t.last = e.detail;
      // The first progress of the new worker (it may come before the 'restarted' event).
      if (window.__t.crashed && !window.__t.afterRestart)
        window.__t.afterRestart = e.detail.iteration - e.detail.losses.length + 1;
    });
    w.addEventListener('done', (e) => {
      window.__t.done = e.detail;
    });
    window.__run = w.train({ validation: 0, epochs: 1 });
    window.__run.catch((e) => {
      window.__t.error = e.message;
    });
  });
  await page.waitForFunction(() => window.__t.checkpoint > 0 || window.__t.error, null, { timeout: 90000 });
  expect(await page.evaluate(() => window.__t.error)).toBeUndefined();
  const cp = await page.evaluate(() => {
    const at = window.__t.checkpoint;
    [...globalThis[Symbol.for('cnn-widget.engines')].values()][0].client._crashForTest('trap');
    return at;
  });
  await page.waitForFunction(() => window.__t.restarted, null, { timeout: 60000 });
  const ev = await page.evaluate(() => window.__t.restarted);
  expect(ev.resumed.iteration).toBeGreaterThanOrEqual(cp);
  expect(ev.problems).toEqual([]);
  const msg = page.locator('#train').locator('.msg');
  await expect(msg).toContainText(
    'The engine stopped unexpectedly (a WebAssembly trap: unreachable executed (crashForTest)). ' +
      `It has been restarted and your model restored; training resumes from iteration ${ev.resumed.iteration.toLocaleString('en-US')}.`,
  );
  await page.waitForFunction((c) => window.__t.last && window.__t.last.iteration > c + 30, ev.resumed.iteration, {
    timeout: 60000,
  });
  expect(await page.evaluate(() => window.__t.afterRestart)).toBe(ev.resumed.iteration + 1);
  // The other widgets' models came back: the classify widget answers from the new worker.
  const { pixels, label } = testDigit(0);
  const probs = await page.evaluate(
    (px) => document.getElementById('classify').classify(Float32Array.from(px, (v) => v / 255)),
    Array.from(pixels),
  );
  expect(probs.indexOf(Math.max(...probs))).toBe(label);
  await expect(page.locator('#classify').locator('.msg')).toContainText(
    'It has been restarted and your model restored.',
  );
  expect(await page.evaluate(() => document.getElementById('train').stop())).toBe('stopped');
  await page.waitForFunction(() => window.__t.done, null, { timeout: 60000 });
  expect(await page.evaluate(() => window.__t.done.status)).toBe('stopped');
});
