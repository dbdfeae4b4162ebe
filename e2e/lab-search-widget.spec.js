// The Lab's "search" experiment through the widget (<cnn-widget mode="lab" lab="search">, runLab()):
// at a small setting (2 × 2 grid, 100 iterations) on a pool of 2 engine workers, its claims hold with
// their numbers printed; the same coarse trials are timed on 1 worker and on 2 (the speed-up is
// printed, never asserted: a shared machine); the table sorts by a column and downloads as CSV; Stop
// stops every worker. Screenshots at 1280 and 390 px. (Project "widget": the page on one origin, the
// widget and its workers from another.)
const { test, expect } = require('@playwright/test');
const fs = require('fs');

const SMALL = { steps: 2, iterations: 100, seed: 1, workers: 2 };

test('search: random against grid, coarse then fine, on a pool of workers; sortable table, CSV, Stop', async ({
  page,
}) => {
  test.setTimeout(180000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  const w = page.locator('#search');
  const r = await page.evaluate(
    async (settings) => {
      const el = document.getElementById('search');
      await el.ready;
      const seen = [];
      const table = () => el.shadowRoot.querySelectorAll('.search-table tbody tr').length;
      const watch = setInterval(() => seen.push(table()), 100);
      const t0 = performance.now();
      try {
        const r = await el.runLab(settings);
        return {
          ...r,
          seconds: (performance.now() - t0) / 1000,
          seen: [...new Set(seen)],
          cores: navigator.hardwareConcurrency,
        };
      } finally {
        clearInterval(watch);
      }
    },
    { ...SMALL, timing: true },
  );
  console.log(
    `[lab search] ${r.seconds.toFixed(1)} s in the widget, ${r.workers} workers (${r.engine}; ${r.cores} logical cores reported), settings ${JSON.stringify(r.settings)}`,
  );
  for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
  // The speed-up, with the machine's load: a saturated shared machine gives each session (autogroup)
  // its share of the cores, however many threads it runs.
  const load = fs.existsSync('/proc/loadavg')
    ? fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
    : '?';
  console.log(
    `[lab search] load average ${load}; speed-up: the same ${r.timing.trials} coarse trials took ${r.timing.oneSeconds.toFixed(2)} s on 1 worker, ${r.timing.seconds.toFixed(2)} s on ${r.timing.workers}: ${r.timing.speedup.toFixed(2)}×`,
  );
  expect(r.workers).toBe(2);
  expect(r.parallel).toBe(true);
  expect(r.rows.length).toBe(12);
  for (const c of r.claims) expect(c.holds, c.text).toBe(true);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  expect(byId['random-explores'].text).toContain('random search tried 4 distinct learning rates, the grid 2');
  // the same trials as in Node (the single-threaded engine, the same seeds): tests/js/lab-search.test.js
  expect(byId['fine-beats-coarse'].text).toContain('reach 88.1 % at best');
  expect(r.rows.filter((x) => x.status === 'diverged').length).toBe(2);
  expect(r.timing.trials).toBe(8);
  expect(r.timing.oneSeconds).toBeGreaterThan(0);
  // the table filled in as trials ended (not all at once at the end)
  expect(r.seen.filter((n) => n > 0 && n < 12).length).toBeGreaterThan(1);

  await expect(w.locator('.lab-claims li.holds')).toHaveCount(2);
  await expect(w.locator('.search-workers')).toContainText('Trials run on 2 workers with the single-threaded engine');
  await expect(w.locator('.search-speedup')).toContainText('Speed-up measured: the same 8 coarse trials took');
  await expect(w.locator('.search-plots svg circle')).toHaveCount(2 * 10); // two scatters, the 10 trials that finished
  const rows = w.locator('.search-table tbody tr');
  await expect(rows).toHaveCount(12);
  await expect(rows.first()).toHaveClass(/best/); // sorted by accuracy, best first
  await expect(w.locator('.search-table tr.failed')).toHaveCount(2);
  // sort by the learning rate: smallest first, then largest first
  await w.getByRole('button', { name: 'learning rate' }).click();
  const lrs = async () => (await rows.locator('td:nth-child(4)').allTextContents()).map(Number);
  const up = await lrs();
  expect(up).toEqual([...up].sort((a, b) => a - b));
  await w.getByRole('button', { name: /learning rate/ }).click();
  const down = await lrs();
  expect(down).toEqual([...up].reverse());
  // Download CSV: every trial, with the engine's message for the diverged ones
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    w.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('search-trials.csv');
  const text = fs.readFileSync(await download.path(), 'utf8');
  const lines = text.trim().split('\n');
  expect(lines[0]).toBe('trial,round,lr,l2,status,val_accuracy,val_loss,seconds,message');
  expect(lines.length).toBe(13);
  expect(lines.filter((l) => l.includes(',diverged,')).every((l) => l.includes('training diverged'))).toBe(true);
  await w.screenshot({ path: test.info().outputPath('lab-search-1280.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await w.screenshot({ path: test.info().outputPath('lab-search-390.png') });
  await w.locator('.lab-claims').screenshot({ path: test.info().outputPath('lab-search-390-claims.png') });
  await w.locator('.search-plots').screenshot({ path: test.info().outputPath('lab-search-390-plots.png') });
  await w.locator('.search-table-box').screenshot({ path: test.info().outputPath('lab-search-390-table.png') });
  await page.setViewportSize({ width: 1280, height: 900 });

  // A range the wrong way round: the experiment's message, nothing lost
  const bad = await page.evaluate(() =>
    document
      .getElementById('search')
      .runLab({ 'lr-min': 0.1, 'lr-max': 0.01 })
      .then(
        () => 'ran',
        (e) => e.message,
      ),
  );
  expect(bad).toBe("Hyperparameter search: the learning rate's range needs lr-min below lr-max (got 0.1 and 0.01).");
  await expect(w.locator('.lab-status')).toContainText('lr-min below lr-max');
  await expect(w.getByRole('button', { name: 'Run' })).toBeEnabled();

  // Stop while the trials run: every worker stops, the run ends with the Lab's message, and the
  // next run works.
  const stopped = await page.evaluate(async () => {
    const el = document.getElementById('search');
    const p = el.runLab({ steps: 3, iterations: 400, workers: 2, timing: false, 'lr-min': 1e-4, 'lr-max': 1 }).then(
      () => 'finished',
      (e) => e.message,
    );
    const root = el.shadowRoot;
    // a trial of this run has ended
    while (!/^Trial \d+ of 27/.test(root.querySelector('.lab-status').textContent))
      await new Promise((r) => setTimeout(r, 50));
    root.querySelector('.lab-run button:not(.primary)').click();
    return p;
  });
  expect(stopped).toBe('The experiment was stopped.');
  await expect(w.locator('.lab-status')).toContainText('The experiment was stopped.');
  await expect(w.getByRole('button', { name: 'Run' })).toBeEnabled();
});
