// The Lab's "ensemble" and "calibration" experiments through the widget (<cnn-widget mode="lab">,
// runLab() and the "lab-result" event) at a small setting: their claims hold, with the numbers
// printed; what the views draw; screenshots at 1280 and 390 px. (Project "widget".)
const { test, expect } = require('@playwright/test');

async function runLab(page, id, settings) {
  return page.evaluate(
    async ({ id, settings }) => {
      const w = document.getElementById(id);
      await w.ready;
      const events = [];
      w.addEventListener('lab-result', (e) => events.push(e.detail));
      const t0 = performance.now();
      const r = await w.runLab(settings);
      return { claims: r.claims, settings: r.settings, seconds: (performance.now() - t0) / 1000, events };
    },
    { id, settings },
  );
}

function report(id, r) {
  console.log(`[lab ${id}] ${r.seconds.toFixed(1)} s, settings ${JSON.stringify(r.settings)}`);
  for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
}

test('ensemble: the average of 3 seeds beats the mean single model; TTA; the digits it rescues', async ({ page }) => {
  test.setTimeout(120000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab-ensemble.html');
  const r = await runLab(page, 'ensemble', { members: 3, train: 2000, epochs: 2, test: 1000 });
  report('ensemble', r);
  expect(r.events.length).toBe(1);
  expect(r.events[0].claims).toEqual(r.claims);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  expect(Object.keys(byId)).toEqual(['ensemble', 'notes-gain', 'tta', 'rescued']);
  for (const id of ['ensemble', 'tta', 'rescued']) expect(byId[id].holds, byId[id].text).toBe(true);
  const w = page.locator('#ensemble');
  await expect(w.locator('.lab-claims li')).toHaveCount(4);
  // three models, the mean, the ensemble; the rescued digits drawn
  await expect(w.locator('.ens-table tr.ens-row')).toHaveCount(5);
  const rescued = Number(byId.rescued.text.match(/gets (\d+) test images? right/)[1]);
  await expect(w.locator('.ens-gallery[data-kind="rescued"] canvas')).toHaveCount(Math.min(12, rescued));
  await expect(w.locator('.ens-table tr[data-row="ensemble"]')).toContainText(
    byId.ensemble.text.match(/gets (\d+\.\d %)/)[1],
  );
  await w.screenshot({ path: test.info().outputPath('lab-ensemble-1280.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await w.screenshot({ path: test.info().outputPath('lab-ensemble-390.png') });

  // Stop while the models train: the run ends with the experiment's message, Run works again
  await page.evaluate(() => {
    document
      .getElementById('ensemble')
      .runLab({ members: 6, train: 5000, epochs: 3, test: 1000 })
      .catch(() => {});
  });
  await expect(w.locator('.lab-status')).toContainText('Training model 2 of 6', { timeout: 60000 });
  await w.getByRole('button', { name: 'Stop' }).click();
  await expect(w.locator('.lab-status')).toHaveText('The experiment was stopped.');
  await expect(w.getByRole('button', { name: 'Run' })).toBeEnabled();
});

test('calibration: temperature scaling lowers the ECE; softmax is sure of non-digits', async ({ page }) => {
  test.setTimeout(120000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab-ensemble.html');
  const given = { model: 'small', train: 2000, epochs: 10, validation: 1000, test: 1000, nondigits: 10 };
  const r = await runLab(page, 'calibration', given);
  report('calibration', r);
  expect(r.events.length).toBe(1);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  expect(Object.keys(byId)).toEqual(['ece', 'overconfident', 'nondigits', 'softmax', 'verdict']);
  for (const id of ['ece', 'nondigits', 'softmax']) expect(byId[id].holds, byId[id].text).toBe(true);
  const w = page.locator('#calibration');
  await expect(w.locator('.lab-claims li')).toHaveCount(5);
  // the two reliability diagrams (views/calibration.js), their ECE as the claim says
  await expect(w.locator('svg.reliability')).toHaveCount(2);
  const [before, after] = byId.ece.text.match(/from (\d+\.\d\d %) to (\d+\.\d\d %)/).slice(1);
  await expect(w.locator('.cal-figs figcaption').first()).toContainText(`ECE ${before}`);
  await expect(w.locator('.cal-figs figcaption').nth(1)).toContainText(`ECE ${after}`);
  // six kinds of non-digits in the table; thumbnails of the surest; the surest one's ten bars
  await expect(w.locator('.cal-table tr[data-kind]')).toHaveCount(6);
  expect(await w.locator('.cal-item').count()).toBeGreaterThanOrEqual(6);
  await expect(w.locator('svg.cal-probs rect.bar')).toHaveCount(10);
  await w.screenshot({ path: test.info().outputPath('lab-calibration-1280.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await w.screenshot({ path: test.info().outputPath('lab-calibration-390.png') });
});
