// Watch it learn in the train widget (its "live" panel, views/learning.js driven by lib/live.js):
// before a training it shows the untrained model (noise filters, flat-ish probabilities); while
// the widget trains, the first layer's filters and the probabilities for a fixed MNIST test image
// are read again from the model being trained, and they differ between two moments of the
// training; panels="-live" hides the panel, stops its readings and survives "Copy embed code". The
// second test measures the training's throughput with the panel and without (same run length), and
// what one reading costs the worker.
// (The Playwright project "widget": the page on 8184, the widget from 8182.)
const { test, expect } = require('@playwright/test');

test.describe.configure({ mode: 'serial' });

const widgetReady = (page, id) =>
  page.waitForFunction((i) => document.getElementById(i).dataset.state === 'ready', id, { timeout: 90000 });

// The live panel's filter tiles (RGBA values), its ten probabilities, its state line and readings.
function snapshot(page) {
  return page.evaluate(() => {
    const w = document.getElementById('train');
    const panel = w.shadowRoot.querySelector('[data-panel="live"]');
    const pix = (cv) => Array.from(cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data);
    return {
      filters: [...panel.querySelectorAll('.filter-tiles canvas')].flatMap(pix),
      tiles: panel.querySelectorAll('.filter-tiles canvas').length,
      probs: [...panel.querySelectorAll('.bars .val')].map((e) => parseFloat(e.textContent) / 100),
      state: panel.querySelector('.live-state').textContent,
      readings: Number(panel.dataset.readings || 0),
      refreshes: w.live.stats.refreshes,
      iteration: window.__it,
      t: performance.now(),
    };
  });
}
const differ = (a, b) => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);
const fmt = (p) => p.map((x) => (100 * x).toFixed(1)).join(' ');

test('the train widget shows its first-layer filters and a test image’s probabilities change while it trains', async ({
  page,
}) => {
  test.setTimeout(240000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/first-run.html');
  await widgetReady(page, 'train');
  const w = page.locator('#train');
  const panel = w.locator('[data-panel="live"]');
  await expect(panel).toBeVisible();
  await expect(panel.locator('.live-caption')).toContainText("The first layer's 6 filters (5×5 weights");
  // Before the training: the untrained model as it is.
  await expect(panel).toHaveAttribute('data-readings', /^[1-9]/);
  const a = await snapshot(page);
  expect(a.state).toBe('random weights');
  expect(a.tiles).toBe(6); // LeNet-5's c1
  expect(Math.max(...a.probs)).toBeLessThan(0.6); // a guess: no class stands out much

  await page.evaluate(() => {
    const el = document.getElementById('train');
    window.__it = 0;
    el.addEventListener('progress', (e) => (window.__it = e.detail.iteration));
    window.__run = el.train({ iterations: 700 });
  });
  await page.waitForFunction(() => window.__it >= 30, null, { timeout: 120000 });
  // (the fresh model's first reading during the training: it says the iteration)
  await expect(panel.locator('.live-state')).toContainText('iteration', { timeout: 10000 });
  const b = await snapshot(page);
  await page.waitForFunction((i) => window.__it >= i + 300, b.iteration, { timeout: 120000 });
  await page.waitForTimeout(1000); // a reading after that moment
  const c = await snapshot(page);
  const done = await page.evaluate(() => window.__run.then((d) => d.status));
  await expect(panel.locator('.live-state')).toHaveText('trained weights'); // the trained model's reading
  const d = await snapshot(page);
  const seconds = (c.t - b.t) / 1000;
  const rate = (c.refreshes - b.refreshes) / seconds;
  console.log(
    `[widget live] before training: probabilities ${fmt(a.probs)} % (${a.state})\n` +
      `  iteration ${b.iteration} → ${c.iteration} (${seconds.toFixed(1)} s): ${differ(b.filters, c.filters)} of ${b.filters.length} ` +
      `filter RGBA values changed; probabilities ${fmt(b.probs)} → ${fmt(c.probs)} %; ` +
      `${c.refreshes - b.refreshes} readings, ${rate.toFixed(2)} per second (state “${c.state}”)\n` +
      `  after the training (${done}): ${fmt(d.probs)} % (${d.state}); ${differ(a.filters, d.filters)} of ${a.filters.length} filter values differ from the untrained model's`,
  );
  expect(differ(b.filters, c.filters)).toBeGreaterThan(0);
  expect(differ(b.probs, c.probs)).toBeGreaterThan(0);
  expect(c.refreshes - b.refreshes).toBeGreaterThanOrEqual(2);
  expect(Math.max(...d.probs)).toBeGreaterThan(Math.max(...a.probs)); // the answer sharpened
  expect(d.state).toBe('trained weights');

  // panels="-live": the panel is hidden, the live views stop reading, and the embed code keeps it.
  await page.evaluate(() => document.getElementById('train').setAttribute('panels', '-live'));
  await expect(panel).toBeHidden();
  expect(await page.evaluate(() => document.getElementById('train').live.enabled)).toBe(false);
  const code = await page.evaluate(() => document.getElementById('train').getEmbedCode());
  expect(code).toContain('panels="-live"');
  await expect(w.locator('.problems')).toBeHidden();
  await page.evaluate(() => document.getElementById('train').removeAttribute('panels'));
  await expect(panel).toBeVisible();
  expect(await page.evaluate(() => document.getElementById('train').live.enabled)).toBe(true);
  expect(errors).toEqual([]);
});

test('training throughput with the live panel and without it (panels="-live"), same run length', async ({ page }) => {
  test.setTimeout(600000);
  await page.goto('/first-run.html');
  await widgetReady(page, 'train');
  const N = Number(process.env.LIVE_ITERATIONS || 1200);
  const runs = [];
  // A first short training, not counted: the data loads and the engine warms up.
  await page.evaluate(() => document.getElementById('train').train({ iterations: 200 }));
  // Alternate, so that a slower or busier moment of the machine hits both.
  for (const liveOn of [false, true, false, true]) {
    runs.push(
      await page.evaluate(
        async ({ N, liveOn }) => {
          const el = document.getElementById('train');
          if (liveOn) el.removeAttribute('panels');
          else el.setAttribute('panels', '-live');
          await new Promise((r) => setTimeout(r, 50));
          const ticks = [];
          const on = (e) => ticks.push({ t: performance.now(), it: e.detail.iteration });
          el.addEventListener('progress', on);
          const before = el.live.stats.refreshes;
          await el.train({ iterations: N });
          el.removeEventListener('progress', on);
          const first = ticks[0],
            last = ticks[ticks.length - 1];
          const seconds = (last.t - first.t) / 1000;
          const refreshes = el.live.stats.refreshes - before;
          return {
            liveOn,
            iterations: last.it,
            seconds,
            ips: ((last.it - first.it) * 64) / seconds,
            refreshes,
            perSecond: refreshes / seconds,
          };
        },
        { N, liveOn },
      ),
    );
  }
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  for (const r of runs)
    console.log(
      `  live ${r.liveOn ? 'on ' : 'off'}: ${r.iterations} iterations in ${r.seconds.toFixed(1)} s, ` +
        `${r.ips.toFixed(0)} img/s (wall clock), ${r.refreshes} readings (${r.perSecond.toFixed(2)}/s)`,
    );
  const off = mean(runs.filter((r) => !r.liveOn).map((r) => r.ips));
  const on = mean(runs.filter((r) => r.liveOn).map((r) => r.ips));
  console.log(
    `[widget live] throughput: without the panel ${off.toFixed(0)} img/s, with it ${on.toFixed(0)} img/s: ` +
      `${(100 * (1 - on / off)).toFixed(1)} % lower; ${mean(runs.filter((r) => r.liveOn).map((r) => r.perSecond)).toFixed(2)} readings per second`,
  );
  // What one reading costs the worker (the first conv's weights and one classification, measured
  // while it is idle): a bound on the panel's share of the training time that the machine's load does
  // not blur as much as the wall clock above.
  const cost = await page.evaluate(async () => {
    const v = document.getElementById('train').views.learning;
    const t0 = performance.now();
    for (let i = 0; i < 40; i++)
      await Promise.all([v.engine.weights(v.layer.name), v.engine.classify(v.input.slice())]);
    return (performance.now() - t0) / 40;
  });
  const perSecond = mean(runs.filter((r) => r.liveOn).map((r) => r.perSecond));
  console.log(
    `[widget live] a reading takes ${cost.toFixed(1)} ms of the worker (idle, round trip included): ` +
      `${((100 * cost * perSecond) / 1000).toFixed(2)} % of its time at ${perSecond.toFixed(2)} readings per second`,
  );
  for (const r of runs) expect(r.liveOn ? r.refreshes > 0 : r.refreshes === 0).toBe(true);
  // (no tight timing assertion on a shared machine: the figures are printed)
});
