// The app's Lab card: every experiment of the Lab is listed (from lib/lab/lab.js), one runs in the
// page's engine worker with its settings from the form, its claims show with their numbers, and
// switching experiments shows the other's intro and settings.
const { test, expect } = require('@playwright/test');
const { ready } = require('./helpers');

test('the Lab card lists every experiment; one runs in the engine and states its claims', async ({ page }) => {
  test.setTimeout(120000);
  await page.goto('/');
  await ready(page);
  await page.evaluate(() => localStorage.setItem('cnn-tour-done', '1'));
  const card = page.locator('#lab-card');
  await expect(card.locator('#lab-list button')).toHaveText([
    'Initialization and activation statistics',
    'Activation functions',
    'The learning rate',
    'Optimizers',
    'Overfitting and regularization',
    'Babysitting the learning process',
    'Convolution arithmetic',
    'Gradient check',
    'Hyperparameter search',
    'Transfer learning from your own drawings',
    'Architectures side by side',
    'Ensembles and test-time augmentation',
    'Calibration and confidence',
  ]);
  // the header links to it
  await page.click('a[href="#lab-card"]');
  await card.getByRole('button', { name: 'Convolution arithmetic' }).click();
  await expect(card.locator('.lab-head h3')).toHaveText('Convolution arithmetic');
  await card.locator('[data-key="stride"]').fill('3');
  await card.locator('[data-key="stride"]').dispatchEvent('change');
  await card.locator('[data-key="input-width"]').fill('7');
  await card.locator('[data-key="input-width"]').dispatchEvent('change');
  await card.locator('[data-key="input-height"]').fill('7');
  await card.locator('[data-key="input-height"]').dispatchEvent('change');
  await card.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(card.locator('.lab-status')).toContainText('claims hold in this run', { timeout: 60000 });
  const fits = await card.locator('[data-claim="fits"]').innerText();
  console.log(`[lab app] ${await card.locator('.lab-status').innerText()} — ${fits.replace(/\s+/g, ' ')}`);
  expect(fits).toContain("It doesn't fit: W₂ = (7 − 3 + 2·0)/3 + 1 = 2.33 is not whole");
  await expect(card.locator('[data-claim="fits"]')).toHaveClass(/holds/);
  // another experiment: its own intro and settings
  await card.getByRole('button', { name: 'Optimizers' }).click();
  await expect(card.locator('.lab-head h3')).toHaveText('Optimizers');
  await expect(card.locator('input[type=range][data-key="momentum"]')).toHaveValue('0.9');
  await expect(card.locator('.lab-claims li')).toHaveCount(0);
});
