// A user's own data: IDX files (gzipped), and PNG images sorted into one folder per class. Each is
// loaded in the worker, trained on, and evaluated; bad files get a clear message.
const fs = require('fs');
const path = require('path');
const { test, expect } = require('@playwright/test');
const { ready, testDigit, pngGrey, idxSubset } = require('./helpers');

async function trainQuick(page) {
  await page.fill('#validation', '100');
  await page.fill('#batch', '32');
  await page.selectOption('#augment', 'none');
  await page.click('#start');
  await page.waitForFunction(() => document.documentElement.dataset.trainingDone, null, { timeout: 120000 });
  return parseFloat(await page.locator('#test-acc').textContent());
}

test('trains on uploaded IDX files (gzipped) and refuses a broken one', async ({ page }, info) => {
  await page.goto('/');
  await ready(page);
  await page.selectOption('#data-select', 'idx');
  const train = idxSubset(0, 4000);
  const held = idxSubset(4000, 1000);
  // A label file that does not match the images first.
  await page.setInputFiles('#idx-train-images', {
    name: 'train-images.gz',
    mimeType: 'application/gzip',
    buffer: train.images,
  });
  await page.setInputFiles('#idx-train-labels', {
    name: 'bad-labels.gz',
    mimeType: 'application/gzip',
    buffer: held.labels.subarray(0, 40),
  });
  await page.click('#start');
  await expect(page.locator('#train-msg')).toHaveClass(/error/);
  console.log(`broken label file: ${await page.locator('#train-msg').textContent()}`);
  await expect(page.locator('#start')).toBeEnabled();
  await page.setInputFiles('#idx-train-labels', {
    name: 'train-labels.gz',
    mimeType: 'application/gzip',
    buffer: train.labels,
  });
  await page.setInputFiles('#idx-test-images', {
    name: 'test-images.gz',
    mimeType: 'application/gzip',
    buffer: held.images,
  });
  await page.setInputFiles('#idx-test-labels', {
    name: 'test-labels.gz',
    mimeType: 'application/gzip',
    buffer: held.labels,
  });
  await page.fill('#epochs', '3');
  const acc = await trainQuick(page);
  console.log(`IDX upload (4,000 training images, 3 epochs): test accuracy ${acc} % on 1,000 images`);
  expect(acc).toBeGreaterThan(85);
  await expect(page.locator('#test-note')).toContainText('of 1,000 test images');
});

test('trains on a folder of PNG images, one sub-folder per class', async ({ page }, info) => {
  const root = info.outputPath('digits');
  const names = ['zero', 'one', 'seven'];
  const wanted = { 0: 'zero', 1: 'one', 7: 'seven' };
  const count = { train: 0, test: 0 };
  for (let k = 0; k < 4000; k++) {
    const { pixels, label } = testDigit(k);
    if (!(label in wanted)) continue;
    const part = k % 5 === 0 ? 'test' : 'train';
    const dir = path.join(root, part, wanted[label]);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${k}.png`), pngGrey(pixels, 28, 28));
    count[part]++;
  }
  await page.goto('/');
  await ready(page);
  await page.selectOption('#data-select', 'images');
  await page.setInputFiles('#image-folder', root);
  await page.fill('#epochs', '4');
  const acc = await trainQuick(page);
  console.log(`PNG folders (${count.train} training, ${count.test} test images, 3 classes): test accuracy ${acc} %`);
  expect(acc).toBeGreaterThan(90);
  // The class names label the results and the probability bars.
  await expect(page.locator('#per-class .lbl')).toHaveText(names.slice().sort());
  await expect(page.locator('#probs .lbl')).toHaveText(names.slice().sort());
  await page.screenshot({ path: info.outputPath('png-folders.png'), fullPage: true });
});
