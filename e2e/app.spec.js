// The app in real Chromium: drawing digits for the shipped model, the network view, and the
// data/model errors a user can cause. Training is in train.spec.js.
const { test, expect } = require('@playwright/test');
const { testDigit, drawDigit, ready } = require('./helpers');

test('a new visitor draws ten MNIST test digits and the shipped model classifies at least nine', async ({
  page,
}, info) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  let bytes = 0;
  page.on('requestfinished', async (req) => {
    const s = await req.sizes().catch(() => null);
    if (s) bytes += s.responseBodySize + s.responseHeadersSize;
  });
  await page.goto('/');
  await ready(page);
  const isolated = await page.evaluate(() => self.crossOriginIsolated);
  expect(isolated).toBe(info.project.name === 'isolated');
  await expect(page.locator('#engine-badge')).toContainText(isolated ? 'threads' : '1 thread');

  let right = 0;
  const seen = [];
  for (let k = 0; k < 10; k++) {
    const { pixels, label } = testDigit(k);
    await page.click('#clear');
    await drawDigit(page, pixels);
    // An answer: a digit ("% sure") or the honest verdict ("Not sure", "does not look like a digit").
    await expect(page.locator('#top-conf')).toContainText(/% sure|Not sure|does not look like/);
    // The classification of the finished drawing (the pad sends the newest drawing when idle; a
    // model being calibrated just after loading answers it at once, and again, calibrated, when the
    // calibration ends): the answer that stays the same for 600 ms.
    let last = '';
    await expect
      .poll(
        async () => {
          const now = `${await page.locator('#top-class').textContent()}|${await page.locator('#top-conf').textContent()}`;
          const same = now === last;
          last = now;
          return same;
        },
        { intervals: [600], timeout: 20000 },
      )
      .toBe(true);
    const got = (await page.locator('#top-class').textContent()).trim();
    const sure = (await page.locator('#top-conf').textContent()).includes('% sure');
    seen.push(`${label}->${got}${sure ? '' : ` (${(await page.locator('#top-conf').textContent()).trim()})`}`);
    // Right: the top class, stated as a digit.
    if (sure && got === String(label)) right++;
    if (k === 0) {
      const first = await page.evaluate(() => Number(document.documentElement.dataset.firstClassification));
      // Reported, not asserted: the page is ready long before the test's first stroke ends.
      const readyMs = await page.evaluate(() => Number(document.documentElement.dataset.readyAt));
      console.log(
        `[${info.project.name}] ready to classify ${readyMs} ms after navigation ` +
          `(first classification at ${Math.round(first)} ms, after the test's strokes); ` +
          `${(bytes / 1e6).toFixed(2)} MB downloaded by then (page, engine, model)`,
      );
      await page.screenshot({ path: info.outputPath(`draw-${info.project.name}.png`), fullPage: true });
    }
  }
  console.log(`[${info.project.name}] drawn digits: ${seen.join(' ')} (${right}/10 right)`);
  expect(right).toBeGreaterThanOrEqual(9);
  // Ten probabilities that sum to 100 %.
  const vals = (await page.locator('#probs .val').allTextContents()).map((v) => parseFloat(v));
  expect(vals).toHaveLength(10);
  expect(Math.abs(vals.reduce((a, b) => a + b, 0) - 100)).toBeLessThan(1);
  expect(errors).toEqual([]);
});

test('the network view shows every layer, its activation maps and its filters', async ({ page }, info) => {
  await page.goto('/');
  await ready(page);
  const { pixels } = testDigit(1);
  await drawDigit(page, pixels);
  const cols = page.locator('#net-diagram .layer-col');
  const n = await cols.count();
  expect(n).toBeGreaterThan(5);
  for (let i = 0; i < n; i++) {
    await cols.nth(i).click();
    await expect(cols.nth(i)).toHaveAttribute('aria-pressed', 'true');
    const name = await cols.nth(i).getAttribute('data-layer');
    await expect(page.locator('#layer-detail h3')).toContainText(name);
    // Maps (or a vector strip) painted from the activations of this input.
    await expect(page.locator('#layer-detail .maps canvas').first()).toBeVisible();
    const painted = await page.evaluate(() => {
      const c = document.querySelector('#layer-detail .maps canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      return d.some((v, j) => j % 4 === 3 && v > 0);
    });
    expect(painted, `layer ${name} has painted maps`).toBe(true);
  }
  // A convolution's filters.
  await cols.filter({ hasText: 'conv2d' }).first().click();
  await expect(page.locator('#layer-detail .filters canvas').first()).toBeVisible();
  await page.screenshot({ path: info.outputPath(`network-${info.project.name}.png`), fullPage: true });
  // A test image as input.
  // A test image as input: its prediction is said beside the network and in the Draw card.
  await page.click('#next-test');
  await expect(page.locator('#net-prediction')).toContainText(
    /Test image [\d,]+, labelled \d: the network says \d, [\d.]+ % sure/,
  );
  console.log(`test image: ${await page.locator('#net-prediction').textContent()}`);
  await expect(page.locator('#top-conf')).toContainText('% sure');
  await expect(page.locator('#input-note')).toContainText('Test image');
});

test('bad input gets a clear message and the page keeps working', async ({ page }) => {
  await page.goto('/');
  await ready(page);
  // A malformed model file.
  await page.setInputFiles('#upload-model', {
    name: 'broken.cnn',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('CNNMODEL garbage'),
  });
  await expect(page.locator('#io-msg')).toContainText('Could not load broken.cnn');
  // A model description that is not JSON, and one whose layers do not fit.
  await page.click('#json-details summary');
  await page.fill('#model-json', '{"input": [1, 28, 28], "layers": [');
  await page.click('#apply-json');
  await expect(page.locator('#json-msg')).toContainText('not valid JSON');
  await page.fill(
    '#model-json',
    '{"input": [1, 7, 7], "layers": [{"type": "conv2d", "name": "c", "filters": 1, "kernel": 9}]}',
  );
  await page.click('#apply-json');
  await expect(page.locator('#json-msg')).toContainText("conv2d layer 'c'");
  // The shipped model still answers.
  const { pixels, label } = testDigit(0);
  await drawDigit(page, pixels);
  await expect(page.locator('#top-conf')).toContainText('% sure');
  await expect(page.locator('#top-class')).toHaveText(String(label));
});

test('phone width: the cards stack and nothing overflows', async ({ page }, info) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto('/');
  await ready(page);
  const { pixels } = testDigit(2);
  await drawDigit(page, pixels);
  await expect(page.locator('#top-conf')).toContainText(/% sure|Not sure|does not look like/);
  // The pad fills most of the width, leaving room for the answer and the bars below it (phone.spec.js).
  const pad = await page.locator('#pad').boundingBox();
  expect(pad.width).toBeGreaterThanOrEqual(240);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: info.outputPath('phone.png'), fullPage: true });
});
