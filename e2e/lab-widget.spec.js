// The Lab through the widget (<cnn-widget mode="lab" lab="<id>">, runLab() and the "lab-result"
// event): each experiment runs at a small setting in the engine and its claims hold, with their
// numbers printed; a screenshot at 1280 and 390 px of each. (Project "widget": the page on one
// origin, the widget from another.)
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

test('conv-arithmetic: the notes’ output sizes, parameters, MACs, feature map and pooling, by the engine', async ({
  page,
}) => {
  test.setTimeout(120000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  const r = await runLab(page, 'conv-arithmetic', {});
  report('conv-arithmetic', r);
  expect(r.events.length).toBe(1);
  expect(r.events[0].claims).toEqual(r.claims);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  for (const c of r.claims) expect(c.holds, c.text).toBe(true);
  expect(byId['notes-map'].text).toContain('[[4,3,4],[2,4,3],[2,3,4]]');
  expect(byId.maxpool.text).toContain('the engine gives [[6,8],[3,4]]');
  expect(byId.params.value).toBe(10);
  const w = page.locator('#conv-arithmetic');
  await expect(w.locator('.lab-claims li.holds')).toHaveCount(r.claims.length);
  // step through: the third output of the notes' map is 4, the window's sum says so
  await w.getByRole('button', { name: 'One step forward' }).click();
  await w.getByRole('button', { name: 'One step forward' }).click();
  await expect(w.locator('.lab-sum')).toContainText('Output (0, 2): 1·1 + 0·0 + 0·1');
  await expect(w.locator('.lab-sum')).toContainText('= 4; the engine computed 4.');
  await w.screenshot({ path: test.info().outputPath('lab-conv-arithmetic-1280.png') });

  // The notes' "doesn't fit" case with the student's own settings (7×7, 3×3, stride 3), and a
  // layer the engine refuses (a 9×9 filter on 7×7 without padding).
  const nofit = await runLab(page, 'conv-arithmetic', {
    'input-width': 7,
    'input-height': 7,
    channels: 3,
    filters: 10,
    stride: 3,
  });
  report('conv-arithmetic 7x7 stride 3', nofit);
  const fits = nofit.claims.find((c) => c.id === 'fits');
  expect(fits.text).toContain("It doesn't fit: W₂ = (7 − 3 + 2·0)/3 + 1 = 2.33 is not whole");
  expect(fits.holds).toBe(true);
  expect(nofit.claims.find((c) => c.id === 'params').text).toContain('3·3·3·10 + 10 = 280');
  const refused = await runLab(page, 'conv-arithmetic', { 'input-width': 7, 'input-height': 7, kernel: 9 });
  expect(refused.claims.find((c) => c.id === 'fits').text).toContain('The engine refuses the layer');

  // A bad setting is refused with the experiment's message, and nothing runs.
  const bad = await page.evaluate(() =>
    document
      .getElementById('conv-arithmetic')
      .runLab({ stride: 0 })
      .then(
        () => 'ran',
        (e) => e.message,
      ),
  );
  expect(bad).toBe('Convolution arithmetic: stride: must be at least 1, got 0.');

  await page.setViewportSize({ width: 390, height: 844 });
  await runLab(page, 'conv-arithmetic', {});
  await w.screenshot({ path: test.info().outputPath('lab-conv-arithmetic-390.png') });
});

test('babysit: ln 10 at the start, regularization raises it, a tiny sample overfits, bad rates are caught, a coarse search', async ({
  page,
}) => {
  test.setTimeout(180000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  const r = await runLab(page, 'babysit', {});
  report('babysit', r);
  for (const c of r.claims) expect(c.holds, c.text).toBe(true);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  expect(Math.abs(byId['initial-loss'].value - Math.log(10))).toBeLessThan(0.02);
  expect(byId['high-lr'].text).toContain('training diverged');
  const w = page.locator('#babysit');
  await expect(w.locator('.lab-step')).toHaveCount(5);
  await w.screenshot({ path: test.info().outputPath('lab-babysit-1280.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await w.screenshot({ path: test.info().outputPath('lab-babysit-390.png') });
});

test('activations: the engine’s functions and derivatives, six activations trained, dead ReLUs by learning rate', async ({
  page,
}) => {
  test.setTimeout(240000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  const w = page.locator('#activations');
  // Before a run: the intro, the settings and "Run"; the MNIST training set is loaded by the first run.
  await expect(w.getByRole('button', { name: 'Run' })).toBeEnabled();
  await expect(w.locator('.lab-intro')).toContainText('dead ReLU');
  await w.screenshot({ path: test.info().outputPath('lab-activations-before-1280.png') });

  // The defaults, timed (the first run also loads MNIST's training set: timed apart).
  const t0 = Date.now();
  await page.evaluate(() => document.getElementById('activations').session.ensureMnist(['train']));
  const loadSeconds = (Date.now() - t0) / 1000;
  const r = await runLab(page, 'activations', {});
  report('activations (defaults)', r);
  console.log(`[lab activations] MNIST training set loaded in ${loadSeconds.toFixed(1)} s before the run`);
  expect(r.seconds).toBeLessThan(30);
  expect(r.events.length).toBe(1);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  for (const c of r.claims) expect(c.holds, c.text).toBe(true);
  expect(byId.saturation.text).toContain("sigmoid's derivative is at most 0.25 (at x = 0)");
  expect(byId['sigmoid-slowest'].text).toContain('Over the same 500 iterations, sigmoid trains slowest');
  expect(byId['dead-rises'].text).toMatch(/0 % at 0\.01, 0 % at 0\.1, [\d.]+ % at 0\.5/);
  await expect(w.locator('.lab-claims li.holds')).toHaveCount(r.claims.length);
  await expect(w.locator('.lab-fn')).toHaveCount(6);
  await expect(w.locator('.lab-fn svg path.series')).toHaveCount(12);
  await expect(w.locator('.lab-unitfig')).toHaveCount(3);
  await expect(w.locator('.lab-status')).toContainText('claims hold in this run');
  await w.screenshot({ path: test.info().outputPath('lab-activations-1280.png') });

  // While it runs, the view shows what is done so far (partial results), and Stop stops it.
  await page.evaluate(() => {
    window.activationsRun = document
      .getElementById('activations')
      .runLab({ iterations: 2000 })
      .then(
        () => 'finished',
        (e) => e.message,
      );
  });
  await expect(w.locator('.lab-status')).toContainText('Training with', { timeout: 60000 });
  await expect(w.locator('.lab-fn')).toHaveCount(6);
  await expect(w.locator('.lab-claims li')).toHaveCount(0); // the last run's claims are gone
  await w.screenshot({ path: test.info().outputPath('lab-activations-partial-1280.png') });
  await w.getByRole('button', { name: 'Stop' }).click();
  expect(await page.evaluate(() => window.activationsRun)).toBe('The experiment was stopped.');

  // A bad setting is refused with the experiment's message.
  const bad = await page.evaluate(() =>
    document
      .getElementById('activations')
      .runLab({ 'dead-lr-3': 0 })
      .then(
        () => 'ran',
        (e) => e.message,
      ),
  );
  expect(bad).toBe('Activation functions: dead-lr-3: must be at least 0.0001, got 0.');

  // A small run on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  const small = await runLab(page, 'activations', { iterations: 100, subset: 1000, probe: 200 });
  report('activations (small)', small);
  for (const c of small.claims) expect(c.holds, c.text).toBe(true);
  await w.screenshot({ path: test.info().outputPath('lab-activations-390.png') });
});

test('overfit: the gap opens on 500 images; each regularizer alone; early stopping restores the best epoch', async ({
  page,
}) => {
  test.setTimeout(240000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  const w = page.locator('#overfit');
  // the defaults, as a student first runs them: under 30 s, the page filling in as it goes
  const r = await runLab(page, 'overfit', {});
  report('overfit (defaults)', r);
  expect(r.seconds).toBeLessThan(30);
  expect(r.settings).toMatchObject({ train: 500, validation: 2000, epochs: 15 });
  expect(r.events.length).toBe(1);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  expect(Object.keys(byId)).toEqual(['overfits', 'l2', 'dropout', 'augment', 'batchnorm', 'early', 'early-restores']);
  for (const id of ['overfits', 'augment', 'early-restores']) expect(byId[id].holds, byId[id].text).toBe(true);
  expect(byId.overfits.text).toMatch(
    /training accuracy reaches 100\.0 %.*a gap of \d+\.\d points after 15 epochs on 500 images/,
  );
  await expect(w.locator('.ovf-fig')).toHaveCount(5);
  await expect(w.locator('.ovf-table tr[data-variant]')).toHaveCount(6);
  await expect(w.locator('.lab-claims li')).toHaveCount(7);
  await expect(w.locator('.lab-status')).toContainText('claims hold in this run');
  await w.screenshot({ path: test.info().outputPath('lab-overfit-1280.png') });

  // Stop: the run ends with the experiment's message, and the next run works.
  await page.evaluate(() => {
    document
      .getElementById('overfit')
      .runLab({ train: 300, validation: 1000, epochs: 12 })
      .catch(() => {});
  });
  await expect(w.locator('.ovf-fig').first()).toBeVisible();
  await w.getByRole('button', { name: 'Stop' }).click();
  await expect(w.locator('.lab-status')).toHaveText('The experiment was stopped.');
  await expect(w.getByRole('button', { name: 'Run' })).toBeEnabled();

  await page.setViewportSize({ width: 390, height: 844 });
  const small = await runLab(page, 'overfit', { train: 300, validation: 1000, epochs: 12 });
  report('overfit (300 images, 12 epochs)', small);
  const s = Object.fromEntries(small.claims.map((c) => [c.id, c]));
  for (const id of ['overfits', 'augment', 'early-restores']) expect(s[id].holds, s[id].text).toBe(true);
  await w.screenshot({ path: test.info().outputPath('lab-overfit-390.png') });
  await w.locator('.lab-out').screenshot({ path: test.info().outputPath('lab-overfit-390-results.png') });
});

test('lr: too high, too low and good; the range test against the notes’ grid; the schedules, by the engine', async ({
  page,
}) => {
  test.setTimeout(180000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  const w = page.locator('#lr');
  // The defaults, timed: every claim holds in under 30 s.
  const r = await runLab(page, 'lr', {});
  report('lr', r);
  expect(r.seconds).toBeLessThan(30);
  expect(r.events.length).toBe(1);
  expect(r.claims.map((c) => c.id)).toEqual(['very-high', 'high', 'low', 'range-test', 'schedules']);
  for (const c of r.claims) expect(c.holds, c.text).toBe(true);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  expect(byId['very-high'].text).toContain('The very high rate 5 diverges');
  expect(byId.low.text).toContain('still near ln 10');
  expect(byId['range-test'].text).toContain('within the margin of 3 points');
  await expect(w.locator('.lab-claims li.holds')).toHaveCount(r.claims.length);
  await expect(w.locator('.lab-status')).toContainText('5 of 5 claims hold');
  await expect(w.locator('svg.lr-chart')).toHaveCount(4);
  await expect(w.locator('.lr-grid tr')).toHaveCount(6);
  await expect(w.locator('.lr-grid tr.suggestion')).toContainText('range test');
  await expect(w.locator('.lr-schedules tr')).toHaveCount(6);
  await w.screenshot({ path: test.info().outputPath('lab-lr-1280.png') });
  for (const [i, name] of ['rates', 'range', 'schedules'].entries())
    await w
      .locator('.lab-out .lab-panel')
      .nth(i)
      .screenshot({ path: test.info().outputPath(`lab-lr-${name}.png`) });

  // Stop: the run ends at once with the experiment's message, and Run works again.
  const stopped = await page.evaluate(async () => {
    const el = document.getElementById('lr');
    const p = el.runLab({}).then(
      () => 'finished',
      (e) => e.message,
    );
    await new Promise((res) => setTimeout(res, 800));
    el.shadowRoot.querySelector('.lab-run button:not(.primary)').click();
    return p;
  });
  expect(stopped).toBe('The experiment was stopped.');
  await expect(w.locator('.lab-status')).toContainText('The experiment was stopped.');

  // A bad setting is refused with the experiment's message, and nothing runs.
  const bad = await page.evaluate(() =>
    document
      .getElementById('lr')
      .runLab({ iterations: 5 })
      .then(
        () => 'ran',
        (e) => e.message,
      ),
  );
  expect(bad).toBe('The learning rate: iterations: must be at least 20, got 5.');

  // A phone: the defaults again, drawn at 390 px.
  await page.setViewportSize({ width: 390, height: 844 });
  const phone = await runLab(page, 'lr', {});
  for (const c of phone.claims) expect(c.holds, c.text).toBe(true);
  await w.screenshot({ path: test.info().outputPath('lab-lr-390.png') });
  for (const [i, name] of ['rates', 'range', 'schedules'].entries())
    await w
      .locator('.lab-out .lab-panel')
      .nth(i)
      .screenshot({ path: test.info().outputPath(`lab-lr-390-${name}.png`) });
});

test('init: activations and gradients per layer for σ = 0.01, 0.05, 1.0, Xavier and Kaiming, by the engine', async ({
  page,
}) => {
  test.setTimeout(180000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  // the widget's attributes are the settings: ten layers of 256 units
  const r = await runLab(page, 'init', {});
  report('init (layers="10" units="256")', r);
  expect(r.settings).toMatchObject({ layers: 10, units: 256 });
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  for (const id of [
    'tanh-small-vanishes',
    'tanh-small-grad-vanishes',
    'tanh-large-saturates',
    'tanh-large-grad',
    'kaiming-relu',
    'xavier-relu',
  ])
    expect(byId[id].holds, byId[id].text).toBe(true);
  expect(byId['tanh-small-vanishes'].value).toBeGreaterThan(100);
  expect(byId['tanh-large-saturates'].value).toBeGreaterThan(0.5);
  expect(byId['kaiming-relu'].value).toBeLessThan(2);
  // Xavier with tanh: within a factor of 2 is the claim; the notes' own figure shrinks 2.9-fold over ten layers
  expect(byId['xavier-tanh'].text).toContain('the notes’ own figure: 0.63 to 0.22');
  const w = page.locator('#init');
  await expect(w.locator('.lab-hist-cell')).toHaveCount(10);
  await w.screenshot({ path: test.info().outputPath('lab-init-1280.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await w.screenshot({ path: test.info().outputPath('lab-init-390.png') });
});

test('optimizers: the engine’s optimizers on a ravine and a saddle (sliders redraw the paths), and on MNIST', async ({
  page,
}) => {
  test.setTimeout(180000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  const r = await runLab(page, 'optimizers', {});
  report('optimizers (iterations="60")', r);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  expect(byId['ravine-zigzag'].holds, byId['ravine-zigzag'].text).toBe(true);
  expect(byId.saddle.holds, byId.saddle.text).toBe(true);
  expect(byId.saddle.text).toMatch(/SGD still on it after 200 steps/);
  const w = page.locator('#optimizers');
  await expect(w.locator('.lab-surface')).toHaveCount(2);
  await expect(w.locator('.lab-surface polyline')).toHaveCount(16); // eight optimizers, two surfaces
  await page.waitForTimeout(7000); // the paths animate
  await w.screenshot({ path: test.info().outputPath('lab-optimizers-1280.png') });
  // A slider: momentum 0 makes "momentum" plain SGD; the paths are redrawn by the engine at once
  const before = await w.locator('.lab-surface polyline >> nth=1').getAttribute('points');
  await w.locator('input[type=range][data-key=momentum]').fill('0');
  await expect(w.locator('.lab-status')).toContainText('Updated with the slider', { timeout: 30000 });
  await expect(w.locator('[data-claim="ravine-zigzag"]')).toHaveClass(/fails/);
  console.log(
    `[lab optimizers] momentum 0: ${await w.locator('[data-claim="ravine-zigzag"] .claim-text').innerText()}`,
  );
  await page.waitForTimeout(7000);
  expect(await w.locator('.lab-surface polyline >> nth=1').getAttribute('points')).not.toBe(before);
  await page.setViewportSize({ width: 390, height: 844 });
  await w.screenshot({ path: test.info().outputPath('lab-optimizers-390.png') });
});
