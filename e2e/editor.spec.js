// Changing the architecture without JSON (views/layer-editor.js): the layer list shows every layer's
// output shape, parameters and MACs as the engine computes them while a setting is typed; a window
// that does not fit gets the engine's message on its layer and the notes' rule; add, remove and move
// change the network, which the Network card previews at once and Start trains.
const { test, expect } = require('@playwright/test');
const { ready } = require('./helpers');

const row = (page, i) => page.locator(`.layer-row[data-index="${i}"]`);
const numbers = async (page, i) =>
  (await row(page, i).locator('.layer-numbers').innerText()).replace(/\s+/g, ' ').trim();

test('the layer editor: live shapes and counts, the engine message where a layer does not fit, add, remove, move, then Start trains the edited network', async ({
  page,
}) => {
  test.setTimeout(180000);
  await page.goto('/');
  await ready(page);
  await page.evaluate(() => localStorage.setItem('cnn-tour-done', '1'));
  await page.selectOption('#model-select', 'zoo:lenet5');
  await expect(page.locator('#model-select option:checked')).toContainText('LeNet-5 — untrained');
  await page.click('#layers-summary');
  await expect(page.locator('#layers-summary')).toContainText('11 layers, 61,706 parameters');
  await expect(page.locator('.editor-totals')).toHaveText('61,706 parameters · 422.8 k MACs per image');
  expect(await numbers(page, 0)).toBe('6×28×28 156 params 117.6 k MACs');

  // Typing a setting: c1's filters 6 -> 8 changes c1 and c3's counts; the network view shows it.
  await row(page, 0).locator('[data-key="filters"] input').fill('8');
  await expect(row(page, 0).locator('.layer-shape')).toHaveText('8×28×28');
  expect(await numbers(page, 0)).toBe('8×28×28 208 params 156.8 k MACs');
  await expect(row(page, 3).locator('.layer-params')).toHaveText('3,216 params'); // 16·(8·5·5) + 16
  await expect(page.locator('#model-select option:checked')).toContainText('(edited) — untrained (random weights)');
  const c1 = await page.evaluate(() => window.cnnApp.info.layers.find((l) => l.name === 'c1').shape);
  expect(c1).toEqual([8, 28, 28]);
  console.log(`[editor] c1 filters 6 -> 8: ${await numbers(page, 0)}; c3 ${await numbers(page, 3)}`);

  // A filter that does not fit: the engine's message on c3, the notes' rule, no preview.
  const before = await page.evaluate(() => window.cnnApp.info.total_params);
  await row(page, 3).locator('[data-key="kernel"] input').first().fill('15');
  await expect(row(page, 3)).toHaveClass(/bad/);
  const err = await row(page, 3).locator('.layer-error').innerText();
  expect(err).toContain("conv2d layer 'c3': the 15 filter height is larger than the padded input height 14");
  expect(err).toContain('(W − F + 2P)/S + 1');
  await expect(row(page, 6).locator('.layer-shape')).toHaveText('—');
  console.log(`[editor] kernel 15×5 on 14×14: ${err}`);
  await row(page, 3).locator('[data-key="kernel"] input').first().fill('5');
  await expect(row(page, 3)).not.toHaveClass(/bad/);
  await expect(row(page, 6).locator('.layer-shape')).toHaveText('120×1×1');
  expect(await page.evaluate(() => window.cnnApp.info.total_params)).toBe(before);

  // A stride that does not tile: the engine's note on the layer.
  await row(page, 2).locator('[data-key="size"] input').first().fill('3');
  await row(page, 2).locator('[data-key="size"] input').last().fill('3');
  await expect(row(page, 2).locator('.layer-note')).toContainText('Note: this layer does not tile its 28x28 input');
  console.log(`[editor] pool 3×3 stride 2 on 28×28: ${await row(page, 2).locator('.layer-note').innerText()}`);
  await row(page, 2).locator('[data-key="size"] input').first().fill('2');
  await row(page, 2).locator('[data-key="size"] input').last().fill('2');
  await expect(row(page, 2).locator('.layer-note')).toBeEmpty();

  // Add a dropout after f5, move it, remove relu6: 11 layers -> 12 -> 11.
  await page.selectOption('.add-row select >> nth=0', 'dropout');
  await page.selectOption('.add-row select >> nth=1', '6'); // after "7 f5"
  await page.click('.add-row button');
  await expect(page.locator('.layer-row[data-index]')).toHaveCount(12);
  await expect(row(page, 7).locator('.layer-name')).toHaveValue('dropout1');
  await expect(page.locator('#net-summary')).toContainText('12 layers');
  await row(page, 7).getByRole('button', { name: 'Move down: layer 8' }).click();
  await expect(row(page, 8).locator('.layer-name')).toHaveValue('dropout1');
  await row(page, 10).getByRole('button', { name: 'Remove: layer 11' }).click(); // relu6
  await expect(page.locator('.layer-row[data-index]')).toHaveCount(11);
  await expect(page.locator('#net-summary')).toContainText('11 layers');
  const types = await page.evaluate(() => window.cnnApp.info.layers.map((l) => l.type).join(' '));
  expect(types).toBe('input conv2d relu avgpool2d conv2d relu avgpool2d dense relu dropout dense dense');
  console.log(`[editor] after add, move, remove: ${types}`);

  // Start trains the edited network; the editor is locked while it trains.
  await page.fill('#epochs', '1');
  await page.click('#start');
  await expect(page.locator('.layer-row[data-index="0"] input').first()).toBeDisabled();
  await page.waitForFunction(() => window.cnnApp.lastProgress && window.cnnApp.lastProgress.iteration >= 30, null, {
    timeout: 60000,
  });
  const trainedTypes = await page.evaluate(() => window.cnnApp.info.layers.map((l) => l.type).join(' '));
  expect(trainedTypes).toBe(types);
  await page.click('#stop');
  await page.waitForFunction(() => document.documentElement.dataset.trainingDone, null, { timeout: 60000 });
  await expect(page.locator('.layer-row[data-index="0"] input').first()).toBeEnabled();
});
