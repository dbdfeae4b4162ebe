// Every layer explained (web/lib/layer-docs.js through views/layer-explain.js): the detail panel of
// each layer kind of the zoo names its formula with the layer's own numbers and the parameter count
// the engine reports; a click on a pixel of a conv layer's map shows the window, the filter, the
// products, the bias and the sum, equal to the engine's activation; the "Start here" tour appears
// once, can be skipped, and does not come back.
const { test, expect } = require('@playwright/test');
const { ready, testDigit, drawDigit } = require('./helpers');

test('the detail panel of every layer kind in the zoo explains it with its numbers', async ({ page }) => {
  test.setTimeout(240000);
  await page.goto('/');
  await ready(page);
  const zoo = await page.evaluate(() => window.cnnApp.session.zoo().then((z) => z.zoo.map((m) => m.name)));
  const seen = new Map();
  for (const name of zoo) {
    await page.evaluate((n) => window.cnnApp.session.loadModel(n), name);
    const layers = await page.evaluate(() =>
      window.cnnApp.info.layers.map((l) => ({ name: l.name, type: l.type, params: l.params, shape: l.shape })),
    );
    for (const l of layers) {
      if (seen.has(l.type)) continue;
      await page.locator(`.layer-col[data-layer="${l.name}"]`).click();
      await expect(page.locator('#layer-detail')).toHaveAttribute('data-layer', l.name);
      const box = page.locator('#layer-detail .explain');
      await expect(box).toHaveAttribute('data-kind', l.type);
      const text = await box.innerText();
      const count = (await box.locator('.param-formula').count())
        ? await box.locator('.param-formula').getAttribute('data-count')
        : null;
      if (count !== null) expect(Number(count), `${name} ${l.name}: ${text}`).toBe(l.params);
      if (/conv|pool2d/.test(l.type)) {
        // W₂ = (W₁ − F + 2P)/S + 1 with the numbers, ending in the engine's output width.
        expect(text).toMatch(new RegExp(`W₂ = .*\\(W₁ − F \\+ 2P\\)/S.* = ${l.shape[2]}\\n`));
      }
      if (l.type === 'conv2d') expect(text).toMatch(/parameters: F·F·C·K weights( \+ K biases)? = \d+·\d+·\d+·\d+/);
      if (l.type === 'dense') expect(text).toMatch(/y = W·x \+ b/);
      if (l.type === 'relu') expect(text).toContain('f(x) = max(0, x)');
      if (l.type === 'batchnorm') expect(text).toContain('x̂_i,j = (x_i,j − μ_j) / √(σ_j² + ε)');
      const formula = (await box.locator('.formulas li').allInnerTexts()).join(' | ');
      seen.set(l.type, `${name}/${l.name}: ${formula}`);
    }
  }
  // The last layer also explains softmax and cross-entropy.
  const last = await page.evaluate(() => window.cnnApp.info.layers.at(-1).name);
  await page.locator(`.layer-col[data-layer="${last}"]`).click();
  await expect(page.locator('#layer-detail .explain')).toContainText('L = −log p_y');
  console.log(`layer kinds explained (${seen.size}):`);
  for (const [k, v] of seen) console.log(`  ${k.padEnd(17)} ${v}`);
  for (const k of [
    'input',
    'conv2d',
    'relu',
    'maxpool2d',
    'avgpool2d',
    'dense',
    'dropout',
    'batchnorm',
    'add',
    'concat',
    'global_avgpool',
    'depthwise_conv2d',
  ])
    expect(seen.has(k), k).toBe(true);
});

test("a click on a conv map's pixel shows the sum that produced it, equal to the engine's activation", async ({
  page,
}) => {
  test.setTimeout(180000);
  await page.goto('/');
  await ready(page);
  await drawDigit(page, testDigit(0).pixels);
  await page.waitForFunction(() => window.cnnApp && document.querySelector('.layer-col'));
  const rows = [];
  for (const model of ['pretrained', 'lenet5']) {
    if (model !== 'pretrained') await page.evaluate((n) => window.cnnApp.session.loadModel(n), model);
    const convs = await page.evaluate(() =>
      window.cnnApp.info.layers.filter((l) => l.type === 'conv2d').map((l) => l.name),
    );
    for (const name of convs.slice(0, 2)) {
      await page.locator(`.layer-col[data-layer="${name}"]`).click();
      await expect(page.locator('#layer-detail')).toHaveAttribute('data-layer', name);
      const canvas = page.locator('#layer-detail .maps figure canvas').nth(1);
      await expect(canvas).toBeVisible();
      await canvas.scrollIntoViewIfNeeded();
      const b = await canvas.boundingBox();
      await page.mouse.click(b.x + b.width * 0.55, b.y + b.height * 0.4);
      const sum = page.locator('#layer-detail .unit-sum');
      await expect(sum).toBeVisible();
      // (the drawing's last stroke may still be on its way: the view settles first)
      await page.waitForFunction(() => !window.cnnApp.network.inFlight && !window.cnnApp.network.pending);
      // The shown result and the engine's activation for that unit, read independently of the view.
      const engine = await page.evaluate(async (layer) => {
        const net = window.cnnApp.network;
        const [c, y, x] = net.unit;
        const shown = Number(document.querySelector('#layer-detail .unit-sum').dataset.result);
        const r = await window.cnnApp.engine.activations(net.input.slice());
        const a = r.layers.find((l) => l.name === layer);
        const [, h, w] = a.shape;
        return { value: a.data[(c * h + y) * w + x], at: [c, y, x], shown };
      }, name);
      const shown = engine.shown;
      const text = await page.locator('#layer-detail .unit-calc').innerText();
      expect(text).toContain('filter');
      expect(text).toMatch(/bias|no bias/);
      expect(Math.abs(shown - engine.value)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(engine.value)));
      await expect(page.locator('#layer-detail .unit-check')).toHaveClass(/ok/);
      rows.push(
        `${model}/${name}[${engine.at.join(',')}]: shown ${shown.toFixed(6)}, engine ${engine.value.toFixed(6)}`,
      );
    }
  }
  // A pooling unit: the window and its max.
  const pool = await page.evaluate(() => window.cnnApp.info.layers.find((l) => /pool2d/.test(l.type)).name);
  await page.locator(`.layer-col[data-layer="${pool}"]`).click();
  await expect(page.locator('#layer-detail')).toHaveAttribute('data-layer', pool);
  const c2 = page.locator('#layer-detail .maps figure canvas').first();
  await c2.scrollIntoViewIfNeeded();
  const b2 = await c2.boundingBox();
  await page.mouse.click(b2.x + b2.width / 2, b2.y + b2.height / 2);
  await expect(page.locator('#layer-detail .unit-calc')).toContainText(/(max|mean)\(/);
  console.log(`unit computations:\n  ${rows.join('\n  ')}`);
});

test('the Start-here tour appears on the first visit, can be skipped, and does not come back', async ({ page }) => {
  await page.addInitScript(() => {
    window.CNN_TOUR = true; // automated browsers get no tour unless asked (app.js)
  });
  await page.goto('/');
  await ready(page);
  const tour = page.locator('.tour');
  await expect(tour).toBeVisible();
  await expect(tour).toContainText('1 of 5');
  await page.locator('.tour .tour-next').click();
  await expect(tour).toContainText('2 of 5');
  await page.locator('.tour .tour-skip').click();
  await expect(tour).toHaveCount(0);
  expect(await page.evaluate(() => localStorage.getItem('cnn-tour-done'))).toBe('1');
  await page.reload();
  await ready(page);
  await page.waitForTimeout(1500);
  await expect(tour).toHaveCount(0);
  // "Start here" replays it; its last step links to the sample lesson.
  await page.click('#tour-start');
  await expect(tour).toBeVisible();
  for (let i = 0; i < 4; i++) await page.locator('.tour .tour-next').click();
  await expect(tour.locator('a[href="course.html"]')).toBeVisible();
  await page.locator('.tour .tour-skip').click();
  await expect(page.locator('a[href="course.html"]').first()).toBeVisible();
  console.log('tour: shown on the first visit, skipped at step 2, not shown after a reload, replayed by Start here');
});
