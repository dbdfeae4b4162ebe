// The widget on a white course page (e2e/fixtures/widget-look.html): theme="light" (the default)
// stays light for a visitor in dark mode, "dark" is dark, "auto" follows the visitor; size="large"
// is visibly larger; a hidden pad takes Clear and "draw your own digit" with it; the train form
// shows what Start runs (iterations="300": Iterations 300, no Epochs); "Copy embed code" gives
// readable attributes (a model description as a <script type="application/json"> child), and that
// code pasted in a new page restores the same experiment.
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const path = require('path');

const allReady = (page) =>
  page.waitForFunction(
    () => [...document.querySelectorAll('cnn-widget')].every((w) => ['ready', 'error'].includes(w.dataset.state)),
    null,
    { timeout: 90000 },
  );
const frameBg = (page, id) =>
  page.evaluate(
    (i) => getComputedStyle(document.getElementById(i).shadowRoot.querySelector('.frame')).backgroundColor,
    id,
  );

test('theme: light by default, dark, and auto following the visitor', async ({ page }) => {
  test.setTimeout(150000);
  const shots = '/tmp/shots-w4';
  fs.mkdirSync(shots, { recursive: true });
  const seen = {};
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto('/widget-look.html');
    await allReady(page);
    seen[scheme] = {};
    for (const id of ['light', 'dark', 'auto']) seen[scheme][id] = await frameBg(page, id);
    await page.locator('#light').screenshot({ path: `${shots}/widget-light-visitor-${scheme}.png` });
    await page.locator('#dark').screenshot({ path: `${shots}/widget-dark-visitor-${scheme}.png` });
  }
  console.log(`[widget look] frame background by the visitor's scheme: ${JSON.stringify(seen)}`);
  const white = 'rgb(255, 255, 255)';
  const dark = 'rgb(24, 29, 35)';
  expect(seen.dark.light).toBe(white); // a visitor in dark mode still sees a light widget by default
  expect(seen.light.light).toBe(white);
  expect(seen.light.dark).toBe(dark);
  expect(seen.dark.dark).toBe(dark);
  expect(seen.light.auto).toBe(white);
  expect(seen.dark.auto).toBe(dark);
  // a bad value is a message, the widget stays light
  await page.evaluate(() => document.getElementById('light').setAttribute('theme', 'purple'));
  await expect(page.locator('#light .problems')).toContainText('theme must be one of light, dark, auto');
  expect(await frameBg(page, 'light')).toBe(white);
});

test('size="large" is visibly larger; a hidden pad hides its controls; the form shows what runs', async ({ page }) => {
  test.setTimeout(120000);
  await page.goto('/widget-look.html');
  await allReady(page);
  const sizes = await page.evaluate(() =>
    Object.fromEntries(
      ['light', 'large'].map((id) => {
        const r = document.getElementById(id).shadowRoot;
        return [
          id,
          {
            pad: r.querySelector('.pad').getBoundingClientRect().width,
            top: parseFloat(getComputedStyle(r.querySelector('.top-class')).fontSize),
            text: parseFloat(getComputedStyle(r.querySelector('.frame')).fontSize),
            height: r.querySelector('.frame').getBoundingClientRect().height,
          },
        ];
      }),
    ),
  );
  console.log(`[widget look] medium ${JSON.stringify(sizes.light)}; large ${JSON.stringify(sizes.large)}`);
  expect(sizes.large.pad).toBeGreaterThan(sizes.light.pad * 1.3);
  expect(sizes.large.top).toBeGreaterThan(sizes.light.top * 1.2);
  expect(sizes.large.text).toBeGreaterThan(sizes.light.text);
  await page.locator('#large').screenshot({ path: '/tmp/shots-w4/widget-large-1280.png' });

  // panels="-pad": no Clear, no invitation to draw
  const nopad = page.locator('#nopad');
  await expect(nopad.locator('.pad')).toBeHidden();
  await expect(nopad.getByRole('button', { name: 'Clear' })).toBeHidden();
  const shown = (id) =>
    page.evaluate((i) => document.getElementById(i).shadowRoot.querySelector('.frame').innerText, id);
  expect(await shown('nopad')).not.toMatch(/draw/i);
  const net = page.locator('#netnopad');
  await expect(net.locator('.caption')).toContainText('A handwritten 2 from the MNIST test set');
  await expect(net.getByRole('button', { name: 'Clear' })).toBeHidden();
  expect(await shown('netnopad')).not.toMatch(/draw your own/i);
  console.log(`[widget look] network widget without the pad: “${await net.locator('.caption').textContent()}”`);
  // the same widget with its pad: Clear and the invitation are back
  await page.evaluate(() => document.getElementById('netnopad').removeAttribute('panels'));
  await expect(net.getByRole('button', { name: 'Clear' })).toBeVisible();
  await expect(net.locator('.caption')).toContainText('Draw your own digit');

  // iterations="300": the form shows Iterations 300 (not Epochs 2) and the other settings it runs
  const it = page.locator('#iters');
  await expect(it.locator('#iterations')).toBeVisible();
  await expect(it.locator('#iterations')).toHaveValue('300');
  await expect(it.locator('#epochs')).toBeHidden();
  await expect(it.locator('#schedule')).toHaveValue('step');
  await expect(it.locator('#l2')).toHaveValue('0.0005');
  await expect(it.locator('#augment')).toBeHidden(); // a default: not in the way
  await expect(it.locator('.runs')).toContainText('Start runs 300 iterations (mini-batches of 64 images)');
  console.log(`[widget look] iterations="300": ${await it.locator('.runs').textContent()}`);
  await it.screenshot({ path: '/tmp/shots-w4/widget-train-iterations-1280.png' });
  // back to whole epochs in the form: Epochs appears
  await it.locator('#iterations').fill('0');
  await it.locator('#iterations').dispatchEvent('change');
  await expect(it.locator('#epochs')).toBeVisible();
  await expect(it.locator('.runs')).toContainText('Start runs 2 epochs');
});

test('"Copy embed code" gives readable attributes that restore the same experiment in another page', async ({
  page,
}) => {
  test.setTimeout(150000);
  await page.goto('/widget-look.html');
  await allReady(page);
  const it = page.locator('#iters');
  await it.getByRole('button', { name: 'Copy embed code' }).click();
  const code = await it.locator('.share-out').inputValue();
  console.log(`[widget look] embed code:\n${code}`);
  expect(code).not.toContain('experiment=');
  const zooState = await page.evaluate(() => document.getElementById('iters').getState());
  for (const a of [
    'mode="train"',
    'model="lenet5"',
    'lr="0.01"',
    'optimizer="adam"',
    'iterations="300"',
    'schedule="step"',
  ])
    expect(code).toContain(a);

  // A custom model (not in the zoo) goes in a <script type="application/json"> child.
  const lenet = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'web', 'models', 'lenet5.json'), 'utf8'));
  lenet.name = 'my_lenet';
  lenet.layers.find((l) => l.name === 'f5').units = 100;
  await page.evaluate(
    (model) =>
      document
        .getElementById('iters')
        .setState({ v: 1, mode: 'train', model, lr: 0.05, batch: 32, seed: 7, epochs: 3 }),
    lenet,
  );
  await page.waitForFunction(() => document.getElementById('iters').dataset.state === 'ready', null, {
    timeout: 60000,
  });
  await expect(it.locator('.model-name')).toContainText('my_lenet');
  const custom = await page.evaluate(() => document.getElementById('iters').getEmbedCode());
  console.log(`[widget look] with a custom model (first lines):\n${custom.split('\n').slice(0, 12).join('\n')}\n  …`);
  expect(custom).toContain('<script type="application/json">');
  expect(custom).toMatch(/"name": "f5", .*"units": 100/);
  expect(custom).not.toContain('experiment=');

  const states = {};
  for (const [name, snippet] of [
    ['zoo', code],
    ['custom', custom],
  ]) {
    const original = name === 'zoo' ? zooState : await page.evaluate(() => document.getElementById('iters').getState());
    // A teacher's page on the course site with the code pasted into it (written into the page as
    // its HTML, so the <script> runs as it would from a file).
    const html = `<!doctype html><html lang="en"><meta charset="utf-8"><title>pasted</title><body><h1>A teacher's page</h1>\n${snippet}\n</body></html>`;
    const p2 = await page.context().newPage();
    await p2.goto('/');
    await p2.evaluate((h) => {
      document.open();
      document.write(h);
      document.close();
    }, html);
    await p2.waitForFunction(() => document.querySelector('cnn-widget').dataset.state === 'ready', null, {
      timeout: 60000,
    });
    states[name] = await p2.evaluate(() => document.querySelector('cnn-widget').getState());
    await expect(p2.locator('cnn-widget .problems')).toBeHidden();
    expect(states[name]).toEqual(original);
    await p2.close();
  }
  expect(states.zoo).toMatchObject({ mode: 'train', lr: 0.01, iterations: 300, schedule: 'step', l2: 0.0005 });
  expect(states.custom).toMatchObject({ mode: 'train', lr: 0.05, batch: 32, seed: 7, epochs: 3 });
  expect(states.custom.model.layers.find((l) => l.name === 'f5').units).toBe(100);
  console.log(
    `[widget look] pasted: zoo → lr ${states.zoo.lr}, iterations ${states.zoo.iterations}; custom → ${states.custom.model.name}, f5 ${states.custom.model.layers.find((l) => l.name === 'f5').units} units, lr ${states.custom.lr}`,
  );
});
