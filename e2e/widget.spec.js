// The embeddable widget (web/widget/cnn-widget.js) on a course site: the pages come from one origin
// (e2e/host-server.js, port 8184, no isolation headers) and the widget from another (the app's
// server on 8182). Each widget loads and works, the API and events work, a shared link restores an
// experiment exactly, hostile attribute values stay text, a page with the documented
// Content-Security-Policy works, and so does the iframe embed.
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const path = require('path');
const { testDigit, drawDigit, ready } = require('./helpers');

// The widget's origin: the app's server without isolation (playwright.config.js, CNN_E2E_PORT).
const PORT = Number(process.env.CNN_E2E_PORT || 8181);
const WIDGET = `http://127.0.0.1:${PORT + 1}`;

test.describe.configure({ mode: 'serial' });

async function widgetsReady(page, frame = page) {
  await frame.waitForFunction(
    () => {
      const ws = [...document.querySelectorAll('cnn-widget')];
      return ws.length && ws.every((w) => w.dataset.state && w.dataset.state !== 'loading');
    },
    null,
    { timeout: 60000 },
  );
  const states = await frame.evaluate(() =>
    [...document.querySelectorAll('cnn-widget')].map(
      (w) =>
        `${w.id}: ${w.dataset.state} ${w.shadowRoot.querySelector('.msg').textContent} ${w.shadowRoot.querySelector('.problems').textContent}`,
    ),
  );
  for (const s of states) expect(s, s).toMatch(/: ready/);
}

// The widget's part `sel` inside its shadow root (Playwright's CSS locators pierce open shadow roots).
const part = (page, id, sel) => page.locator(`#${id}`).locator(sel);

async function drawAndRead(page, id, k) {
  const { pixels, label } = testDigit(k);
  await part(page, id, 'button:has-text("Clear")').click();
  await drawDigit(page, pixels, { pad: part(page, id, 'canvas.pad') });
  await expect(part(page, id, '.top-conf')).toContainText('% sure');
  await page.waitForTimeout(150); // the classification of the finished drawing
  return { label, got: (await part(page, id, '.top-class').textContent()).trim() };
}

function noOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

test('the course page: three widgets from another origin work and share one engine worker', async ({ page }, info) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => {
    window.__predictions = [];
    document.addEventListener('prediction', (e) => window.__predictions.push(e.detail));
  });
  await page.goto('/course.html');
  await widgetsReady(page);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
  expect(await page.evaluate(() => document.querySelector('script[type=module]').src)).toBe(
    `${WIDGET}/widget/cnn-widget.js`,
  );
  expect(page.workers()).toHaveLength(1); // one engine for the three widgets
  await expect(part(page, 'classify', '.badge')).toHaveText('1 thread');

  // Draw real MNIST test digits into the classify widget's pad.
  const seen = [];
  let right = 0;
  for (const k of [0, 1, 2, 3]) {
    const { label, got } = await drawAndRead(page, 'classify', k);
    seen.push(`${label}->${got}`);
    if (got === String(label)) right++;
  }
  console.log(`[widget] drawn digits: ${seen.join(' ')} (${right}/4 right)`);
  expect(right).toBeGreaterThanOrEqual(3);
  const preds = await page.evaluate(() => window.__predictions.filter((p) => p.source === 'draw'));
  expect(preds.length).toBeGreaterThan(0);
  expect(preds[0].probabilities).toHaveLength(10);
  expect(preds.map((p) => p.verdict)).toContain('digit');
  // A star (tests/fixtures/strokes, tune half) through classify(): ten probabilities, and the
  // prediction event's verdict from the "not a digit" detector the worker fetched from the widget's
  // origin (the model is not calibrated here: the detector alone flags it)
  const star = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', 'tests', 'fixtures', 'strokes', 'nondigits.json'), 'utf8'),
  ).items.find((it) => it.id === 'n-star-0');
  const starProbs = await page.evaluate(
    (px) => document.getElementById('classify').classify(Float32Array.from(px, (v) => v / 255)),
    Array.from(Buffer.from(star.image, 'base64')),
  );
  expect(starProbs).toHaveLength(10);
  const starEvent = await page.evaluate(() => window.__predictions.filter((p) => p.source === 'api').pop());
  console.log(`[widget] a star through classify(): ${starEvent.verdict} (top ${starEvent.top})`);
  expect(starEvent.verdict).toBe('not-a-digit');

  // The network widget: a column per layer, painted feature maps, a conv layer's filters.
  const cols = part(page, 'network', '.layer-col');
  expect(await cols.count()).toBeGreaterThan(5);
  await expect(part(page, 'network', '.layer-detail .filters canvas').first()).toBeVisible();
  const painted = await page.evaluate(() => {
    const c = document.getElementById('network').shadowRoot.querySelector('.layer-col:nth-child(2) canvas');
    return c
      .getContext('2d')
      .getImageData(0, 0, c.width, c.height)
      .data.some((v, j) => j % 4 === 3 && v > 0);
  });
  expect(painted).toBe(true);
  await cols.nth(3).click();
  await expect(cols.nth(3)).toHaveAttribute('aria-pressed', 'true');
  await part(page, 'network', 'button:has-text("Test image")').click();
  await expect(part(page, 'network', '.caption')).toContainText('Test image', { timeout: 30000 });
  const { label, got } = await drawAndRead(page, 'network', 0);
  expect(got).toBe(String(label));
  expect(errors).toEqual([]);
  await page.screenshot({ path: info.outputPath('course-1280.png'), fullPage: true });

  // Phone width: nothing overflows, the classify pad fills the width.
  await page.setViewportSize({ width: 375, height: 800 });
  await page.waitForTimeout(300);
  expect(await noOverflow(page)).toBeLessThanOrEqual(0);
  expect((await part(page, 'classify', 'canvas.pad').boundingBox()).width).toBeGreaterThan(300);
  await page.screenshot({ path: info.outputPath('course-375.png'), fullPage: true });
});

test('the API and events: classify(), train() with progress and done, pause and resume', async ({ page }, info) => {
  test.setTimeout(150000);
  await page.goto('/course.html');
  await widgetsReady(page);

  // classify() with 784 values, and with an ImageData; a prediction event for each.
  const { pixels, label } = testDigit(0);
  const r = await page.evaluate(async (px) => {
    const w = document.getElementById('classify');
    const events = [];
    w.addEventListener('prediction', (e) => events.push(e.detail));
    const probs = await w.classify(Float32Array.from(px, (v) => v / 255));
    const img = new ImageData(28, 28);
    px.forEach((v, i) => img.data.set([v, v, v, 255], 4 * i));
    const probs2 = await w.classify(img);
    let bad = '';
    try {
      await w.classify(new Float32Array(10));
    } catch (e) {
      bad = e.message;
    }
    return { probs, probs2, events, bad };
  }, Array.from(pixels));
  expect(r.probs).toHaveLength(10);
  expect(Math.abs(r.probs.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
  const argmax = (p) => p.indexOf(Math.max(...p));
  expect(argmax(r.probs)).toBe(label);
  expect(argmax(r.probs2)).toBe(label);
  expect(r.events.map((e) => [e.source, e.top])).toEqual([
    ['api', label],
    ['api', label],
  ]);
  expect(r.bad).toContain('784 values');
  await expect(part(page, 'classify', '.top-class')).toHaveText(String(label));

  // train() on the ConvNetJS net: progress events, pause (the iteration stops), resume, done.
  await page.evaluate(() => {
    const w = document.getElementById('train');
    window.__t = { progress: 0, last: null, done: null, epochs: 0 };
    w.addEventListener('progress', (e) => {
      window.__t.progress++;
      window.__t.last = e.detail;
    });
    w.addEventListener('epoch', () => {
      window.__t.epochs++;
    });
    w.addEventListener('done', (e) => {
      window.__t.done = e.detail;
    });
    window.__run = w.train({ iterations: 300, validation: 0 });
    window.__run.catch((e) => {
      window.__t.error = e.message;
    });
  });
  await page.waitForFunction(() => window.__t.progress > 0 || window.__t.error, null, { timeout: 90000 });
  expect(await page.evaluate(() => window.__t.error)).toBeUndefined();
  expect(await page.evaluate(() => document.getElementById('train').pause())).toBe('paused');
  await page.waitForTimeout(300);
  const at = await page.evaluate(() => window.__t.last.iteration);
  await page.waitForTimeout(700);
  expect(await page.evaluate(() => window.__t.last.iteration)).toBe(at);
  // While it is paused (or training), the other widgets keep classifying in the same worker, and a
  // second training is refused with a clear message.
  const during = await page.evaluate(async (px) => {
    const probs = await document.getElementById('classify').classify(Float32Array.from(px, (v) => v / 255));
    let refused = '';
    try {
      await document.getElementById('network').train({ iterations: 5 });
    } catch (e) {
      refused = e.message;
    }
    return { n: probs.length, refused };
  }, Array.from(pixels));
  expect(during.n).toBe(10);
  expect(during.refused).toContain('Another model is training');
  expect(await page.evaluate(() => document.getElementById('train').resume())).toBe('running');
  const result = await page.evaluate(() => window.__run.then((d) => ({ status: d.status, accuracy: d.test.accuracy })));
  const t = await page.evaluate(() => window.__t);
  console.log(
    `[widget] train(): ${t.progress} progress events, status ${result.status}, test accuracy ${(100 * result.accuracy).toFixed(2)} % after 300 iterations`,
  );
  expect(result.status).toBe('finished');
  expect(t.done.status).toBe('finished');
  expect(t.last.iteration).toBe(300);
  expect(result.accuracy).toBeGreaterThan(0.6);
  await expect(part(page, 'train', '.msg')).toContainText('test accuracy');
  await part(page, 'train', '.results').scrollIntoViewIfNeeded();
  await page.locator('#train').screenshot({ path: info.outputPath('train-widget.png') });
});

test('a shared link restores the experiment exactly, in embed.html and in the app', async ({ page, context }) => {
  await page.goto('/course.html');
  await widgetsReady(page);
  await page.evaluate(() => {
    const el = document.getElementById('train');
    for (const [k, v] of Object.entries({
      model: 'lenet5',
      optimizer: 'sgd',
      lr: '0.05',
      batch: '16',
      epochs: '3',
      seed: '7',
      augment: 'strong',
      schedule: 'step',
      l2: '0.0005',
      validation: '2000',
    }))
      el.setAttribute(k, v);
  });
  await page.waitForFunction(
    () => {
      const s = document.getElementById('train').getState();
      return typeof s.model === 'object' && s.model.name === 'lenet5';
    },
    null,
    { timeout: 30000 },
  );
  // An edit in the widget's own form is part of the experiment too.
  await part(page, 'train', '#seed').fill('9');
  await part(page, 'train', '#seed').dispatchEvent('change');
  const state = await page.evaluate(() => document.getElementById('train').getState());
  expect(state).toMatchObject({
    mode: 'train',
    optimizer: 'sgd',
    lr: 0.05,
    batch: 16,
    epochs: 3,
    seed: 9,
    augment: 'strong',
    schedule: 'step',
    l2: 0.0005,
    validation: 2000,
    data: 'mnist',
  });
  expect(state.model.layers.map((l) => l.name)).toEqual([
    'c1',
    'relu1',
    's2',
    'c3',
    'relu3',
    's4',
    'f5',
    'relu5',
    'f6',
    'relu6',
    'out',
  ]);

  // "Copy link" (the clipboard may be refused here: the link is shown to copy by hand as well).
  await context
    .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${PORT + 3}` })
    .catch(() => {});
  await part(page, 'train', 'button:has-text("Copy link")').click();
  const link = await part(page, 'train', '.share-out').inputValue();
  expect(link.startsWith(`${WIDGET}/embed.html#exp=`)).toBe(true);
  await part(page, 'train', 'button:has-text("Copy embed code")').click();
  const code = await part(page, 'train', '.share-out').inputValue();
  expect(code).toContain(`<script type="module" src="${WIDGET}/widget/cnn-widget.js"></script>`);
  // readable attributes, not the base64 of the link (e2e/look-widget.spec.js pastes it in a page)
  expect(code).not.toContain('experiment=');
  for (const a of ['mode="train"', 'optimizer="sgd"', 'lr="0.05"', 'batch="16"', 'seed="9"', 'schedule="step"'])
    expect(code).toContain(a);
  const appLink = await page.evaluate(() => document.getElementById('train').getShareUrl('app'));

  // embed.html#exp=...: the same experiment, and the engine built exactly that model.
  const embed = await context.newPage();
  await embed.goto(link);
  await widgetsReady(embed);
  const restored = await embed.evaluate(() => {
    const el = document.querySelector('cnn-widget');
    return {
      state: el.getState(),
      arch: el.info.architecture,
      lr: el.shadowRoot.querySelector('#lr').value,
      seed: el.shadowRoot.querySelector('#seed').value,
    };
  });
  expect(restored.state).toEqual(state);
  expect(restored.arch).toEqual(state.model);
  expect([restored.lr, restored.seed]).toEqual(['0.05', '9']);

  // The app: index.html#exp=... restores the model and the Train card.
  await embed.goto(appLink);
  await ready(embed);
  await expect(embed.locator('#banner')).toBeHidden();
  expect(await embed.evaluate(() => window.cnnApp.info.architecture)).toEqual(state.model);
  expect(JSON.parse(await embed.locator('#model-json').inputValue())).toEqual(state.model);
  for (const [id, v] of Object.entries({
    optimizer: 'sgd',
    lr: '0.05',
    batch: '16',
    epochs: '3',
    seed: '9',
    augment: 'strong',
    schedule: 'step',
    l2: '0.0005',
    validation: '2000',
  })) {
    expect(await embed.locator(`#${id}`).inputValue(), id).toBe(v);
  }
  // The app's own "Copy link" gives back the same experiment.
  await embed.click('#copy-link');
  await expect(embed.locator('#copy-link')).toHaveAttribute('data-url', /#exp=/);
  const again = await embed.evaluate(async () => {
    const x = await import('./lib/experiment.js');
    return x.fromHash(new URL(document.getElementById('copy-link').dataset.url).hash);
  });
  expect(again).toEqual(state);

  // Damaged or hostile links: a clear message, the page keeps working, nothing runs.
  await embed.goto(`${WIDGET}/index.html#exp=eyJ2IjoxLCJscis6`);
  await ready(embed);
  await expect(embed.locator('#banner')).toContainText('could not be opened');
  const hostile = Buffer.from(JSON.stringify({ v: 1, model: '<img src=x onerror=window.__pwned=1>' })).toString(
    'base64url',
  );
  await embed.goto(`${WIDGET}/embed.html#exp=${hostile}`);
  // The widget says what is wrong with the link and falls back to the default experiment.
  await widgetsReady(embed);
  const shown = await embed.evaluate(
    () => document.querySelector('cnn-widget').shadowRoot.querySelector('.problems').textContent,
  );
  expect(shown).toContain('<img src=x onerror=window.__pwned=1>');
  expect(
    await embed.evaluate(() => document.querySelector('cnn-widget').shadowRoot.querySelectorAll('img').length),
  ).toBe(0);
  expect(await embed.evaluate(() => window.__pwned === undefined)).toBe(true);
  await embed.close();
});

test('hostile attribute values are shown as text, and no script runs', async ({ page }, info) => {
  await page.addInitScript(() => {
    window.__errors = [];
    document.addEventListener('error', (e) => {
      if (e.detail) window.__errors.push(e.detail.message);
    });
  });
  await page.goto('/hostile.html');
  await page.waitForFunction(
    () => [...document.querySelectorAll('cnn-widget')].every((w) => w.dataset.state && w.dataset.state !== 'loading'),
    null,
    { timeout: 60000 },
  );
  await page.waitForTimeout(500);
  const r = await page.evaluate(() =>
    [...document.querySelectorAll('cnn-widget')].map((w) => ({
      id: w.id,
      state: w.dataset.state,
      problems: w.shadowRoot.querySelector('.problems').textContent,
      elements: w.shadowRoot.querySelectorAll('img, svg, script, b, iframe').length,
      style: w.getAttribute('style'),
    })),
  );
  const [model, values] = r;
  expect(model.state).toBe('error');
  expect(model.problems).toContain('model must be "pretrained"');
  expect(model.problems).toContain("'<img src=x onerror=window.__pwned=1>'");
  expect(values.problems).toContain('learning rate must be a number');
  expect(values.problems).toContain("'<b>bold</b>'");
  expect(values.problems).toContain('width must be a length');
  expect(values.problems).toContain('experiment: the shared experiment is damaged');
  expect(values.state).toBe('ready'); // the rest is valid: the widget works with the defaults
  for (const w of r) {
    expect(w.elements, w.id).toBe(0);
    expect(w.style, w.id).toBeNull();
  }
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
  expect(await page.evaluate(() => window.__errors.length)).toBeGreaterThan(0);
  await page.screenshot({ path: info.outputPath('hostile.png'), fullPage: true });
});

test('under the documented Content-Security-Policy the widgets work, and without wasm-unsafe-eval they say why', async ({
  page,
}) => {
  const violations = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text().slice(0, 200));
  });
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const res = await page.goto('/csp/course.html');
  expect(res.headers()['content-security-policy']).toContain("'wasm-unsafe-eval'");
  expect(res.headers()['content-security-policy']).not.toContain("'unsafe-eval'");
  await widgetsReady(page);
  const { pixels, label } = testDigit(1);
  const probs = await page.evaluate(
    (px) => document.getElementById('classify').classify(Float32Array.from(px, (v) => v / 255)),
    Array.from(pixels),
  );
  expect(probs.indexOf(Math.max(...probs))).toBe(label);
  const { got } = await drawAndRead(page, 'classify', 2);
  expect(got).toBe(String(testDigit(2).label));
  expect(await part(page, 'network', '.layer-col').count()).toBeGreaterThan(5);
  expect(await page.evaluate(() => window.__violations)).toEqual([]);
  expect(violations).toEqual([]);

  // The same page with a policy that lacks 'wasm-unsafe-eval': the engine cannot compile, and the
  // widget says so in plain words.
  await page.goto('/csp-no-wasm/course.html');
  await page.waitForFunction(() => document.getElementById('classify').dataset.state === 'error', null, {
    timeout: 60000,
  });
  await expect(part(page, 'classify', '.msg')).toContainText('Content-Security-Policy');
});

test('the iframe embed works on a page without scripts of its own', async ({ page }, info) => {
  await page.goto('/iframe.html');
  const frame = page.frame({ url: /embed\.html/ });
  expect(frame).toBeTruthy();
  await widgetsReady(page, frame);
  const inFrame = page.frameLocator('#frame').locator('cnn-widget');
  await expect(inFrame.locator('.share')).toBeHidden(); // panels=pad,input,probs
  const { pixels, label } = testDigit(3);
  await drawDigit(page, pixels, { pad: inFrame.locator('canvas.pad') });
  await expect(inFrame.locator('.top-conf')).toContainText('% sure');
  await page.waitForTimeout(150);
  await expect(inFrame.locator('.top-class')).toHaveText(String(label));
  await page.screenshot({ path: info.outputPath('iframe.png'), fullPage: true });
});
