// The Lab's "gradcheck" through the widget (<cnn-widget mode="lab" lab="gradcheck">, runLab()):
// every layer kind passes the gradient check at a small setting, a zoo model passes, and the
// "break it" toggle (a sign flip of one tensor's gradient) fails by orders of magnitude; the numbers
// are printed, screenshots at 1280 and 390 px. (Project "widget".)
const { test, expect } = require('@playwright/test');

async function runLab(page, id, settings) {
  return page.evaluate(
    async ({ id, settings }) => {
      const w = document.getElementById(id);
      await w.ready;
      const t0 = performance.now();
      const r = await w.runLab(settings);
      return { claims: r.claims, settings: r.settings, seconds: (performance.now() - t0) / 1000 };
    },
    { id, settings },
  );
}

function report(name, r) {
  console.log(`[lab gradcheck ${name}] ${r.seconds.toFixed(1)} s, settings ${JSON.stringify(r.settings)}`);
  for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
}

test('gradcheck: every layer kind passes, a zoo model passes, a broken backward fails by orders of magnitude', async ({
  page,
}) => {
  test.setTimeout(180000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  const w = page.locator('#gradcheck');

  const all = await runLab(page, 'gradcheck', {});
  report('every kind', all);
  const byId = Object.fromEntries(all.claims.map((c) => [c.id, c]));
  expect(byId.passes.holds, byId.passes.text).toBe(true);
  expect(byId.passes.text).toContain('22 layer kinds');
  expect(byId.passes.value).toBeLessThan(1e-2);
  await expect(w.locator('.gc-cell')).toHaveCount(22);
  await expect(w.locator('.lab-status')).toContainText('claims hold in this run');
  await w.screenshot({ path: test.info().outputPath('lab-gradcheck-all-1280.png') });

  const zoo = await runLab(page, 'gradcheck', { layer: 'lenet5', entries: 6, batch: 1 });
  report('lenet5', zoo);
  expect(zoo.claims.find((c) => c.id === 'passes').holds).toBe(true);
  await expect(w.locator('.gc-cell')).toHaveCount(10);

  const broken = await runLab(page, 'gradcheck', { layer: 'conv2d', break: 'sign' });
  report('conv2d, sign flipped', broken);
  const caught = broken.claims.find((c) => c.id === 'broken-caught');
  expect(caught.holds, caught.text).toBe(true);
  expect(caught.value).toBeGreaterThanOrEqual(100);
  expect(caught.text).toContain('the sign of tested.weight');
  await expect(w.locator('.gc-broken')).toContainText('tested.weight was multiplied by −1');
  await expect(w.locator('.gc-table tr.bad')).toHaveCount(1);
  await w.screenshot({ path: test.info().outputPath('lab-gradcheck-broken-1280.png') });

  // A bad setting is refused with the experiment's message.
  const bad = await page.evaluate(() =>
    document
      .getElementById('gradcheck')
      .runLab({ layer: 'softmax' })
      .then(
        () => 'ran',
        (e) => e.message,
      ),
  );
  expect(bad).toContain('Gradient check: layer: must be one of all, conv2d');

  await page.setViewportSize({ width: 390, height: 844 });
  await w.screenshot({ path: test.info().outputPath('lab-gradcheck-broken-390.png') });
});
