// The Lab's transfer experiment through the widget (<cnn-widget mode="lab" lab="transfer">, runLab()):
// on the demonstration set of generated letters, frozen features and fine-tuning the top beat
// training from scratch (claims asserted, numbers printed); the best model then classifies what is
// drawn on the pad; drawings made with the mouse are added, undone, deleted, held out and trained
// on. Screenshots at 1280 and 390 px. (Project "widget": the page on one origin, the widget from
// another.)
const { test, expect } = require('@playwright/test');

async function runLab(page, settings) {
  return page.evaluate(async (settings) => {
    const w = document.getElementById('transfer');
    await w.ready;
    const events = [];
    w.addEventListener('lab-result', (e) => events.push(e.detail));
    const t0 = performance.now();
    const r = await w.runLab(settings);
    return {
      claims: r.claims,
      settings: r.settings,
      source: r.source,
      counts: r.counts,
      classes: r.classes,
      runs: r.runs.map((m) => ({ key: m.key, accuracy: m.accuracy, seconds: m.seconds })),
      best: r.best,
      seconds: (performance.now() - t0) / 1000,
      events,
    };
  }, settings);
}

function report(name, r) {
  console.log(
    `[lab transfer ${name}] ${r.seconds.toFixed(1)} s, ${r.source}: ${r.classes.join(', ')}, ${JSON.stringify(r.counts)}`,
  );
  for (const m of r.runs)
    console.log(`  ${m.key}: held-out ${(100 * m.accuracy).toFixed(1)} %, ${m.seconds.toFixed(2)} s`);
  for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
}

// Strokes on the pad with the mouse: each stroke a list of points in [0, 1] of the pad's box.
async function draw(page, pad, strokes) {
  await pad.scrollIntoViewIfNeeded();
  const b = await pad.boundingBox();
  for (const st of strokes) {
    await page.mouse.move(b.x + st[0][0] * b.width, b.y + st[0][1] * b.height);
    await page.mouse.down();
    for (const [x, y] of st.slice(1)) await page.mouse.move(b.x + x * b.width, b.y + y * b.height, { steps: 4 });
    await page.mouse.up();
  }
}
const SHAPES = {
  X: (j) => [
    [
      [0.25 + j, 0.2],
      [0.75 - j, 0.8],
    ],
    [
      [0.75 + j, 0.2],
      [0.25, 0.8 - j],
    ],
  ],
  O: (j) => [Array.from({ length: 13 }, (_, i) => [0.5 + (0.28 - j) * Math.cos(i / 2), 0.5 + 0.32 * Math.sin(i / 2)])],
  L: (j) => [
    [
      [0.35 + j, 0.2],
      [0.35, 0.8],
      [0.7 - j, 0.8],
    ],
  ],
};

test('transfer: frozen features and fine-tuning beat training from scratch on few drawings; the model classifies new drawings', async ({
  page,
}) => {
  test.setTimeout(180000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  await page.evaluate(() => indexedDB.deleteDatabase('cnn-trainer'));
  const w = page.locator('#transfer');
  const pad = w.locator('canvas.tl-pad');
  await expect(w.locator('.tl-summary')).toContainText('No drawings yet: Run uses the demonstration set');

  const r = await runLab(page, { 'demo-train': 4, 'demo-held': 8, epochs: 25 });
  report('demo', r);
  expect(r.source).toBe('demo');
  expect(r.counts).toEqual({ train: 20, held: 40 });
  expect(r.events.length).toBe(1);
  expect(r.events[0].claims).toEqual(r.claims);
  const by = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  expect(by['frozen-beats-scratch'].holds, by['frozen-beats-scratch'].text).toBe(true);
  expect(by['finetune-beats-scratch'].holds, by['finetune-beats-scratch'].text).toBe(true);
  await expect(w.locator('.tl-table tr[data-method]')).toHaveCount(3);
  await expect(w.locator('.tl-helditem')).toHaveCount(40);
  await expect(w.locator('.tl-best')).toContainText('now classifies what you draw');

  // the best model classifies a drawing on the pad, live
  await draw(page, pad, [
    [
      [0.3, 0.15],
      [0.3, 0.85],
    ],
    [
      [0.3, 0.15],
      [0.7, 0.15],
    ],
    [
      [0.3, 0.5],
      [0.6, 0.5],
    ],
    [
      [0.3, 0.85],
      [0.7, 0.85],
    ],
  ]);
  await expect(w.locator('.tl-answer')).toContainText('The model says');
  await expect(w.locator('.tl-bars li')).toHaveCount(5);
  const guess = await w.locator('.tl-guess').textContent();
  console.log(`  the pad's E-like drawing: the model says ${guess}`);
  expect(['B', 'E', 'H', 'K', 'R']).toContain(guess);
  await w.screenshot({ path: test.info().outputPath('lab-transfer-1280.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await w.screenshot({ path: test.info().outputPath('lab-transfer-390.png') });
});

test('transfer: drawings made with the mouse are added, undone, deleted, held out, trained on and exported', async ({
  page,
}) => {
  test.setTimeout(180000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  await page.evaluate(() => indexedDB.deleteDatabase('cnn-trainer'));
  await page.reload();
  const w = page.locator('#transfer');
  const pad = w.locator('canvas.tl-pad');
  await expect(w.locator('.tl-summary')).toContainText('No drawings yet');
  // three classes of their own: remove A, B, C and add X, O, L
  for (let i = 0; i < 3; i++)
    await w
      .getByRole('button', { name: /^Remove the class/ })
      .first()
      .click();
  for (const name of ['X', 'O', 'L']) {
    await w.getByLabel('New class name').fill(name);
    await w.getByRole('button', { name: 'Add class' }).click();
  }
  await expect(w.locator('.tl-class [role=radio]')).toHaveText(['X (0)', 'O (0)', 'L (0)']);
  for (const [k, name] of ['X', 'O', 'L'].entries()) {
    await w.locator('.tl-class [role=radio]').nth(k).click();
    for (let i = 0; i < 4; i++) {
      await draw(page, pad, SHAPES[name](0.03 * i));
      await expect(w.getByRole('button', { name: 'Add drawing' })).toBeEnabled();
      await w.getByRole('button', { name: 'Add drawing' }).click();
    }
  }
  await expect(w.locator('.tl-class [role=radio]')).toHaveText(['X (4)', 'O (4)', 'L (4)']);
  await expect(w.locator('.tl-item')).toHaveCount(12);
  // the last 3 of each class are held out at the default; a fifth L, undone; one X deleted, undone
  await expect(w.locator('.tl-item.held')).toHaveCount(9);
  await expect(w.locator('.tl-summary')).toContainText('12 drawings in 3 classes: 3 to train on, 9 held out');
  await w.getByRole('button', { name: 'Undo' }).click();
  await expect(w.locator('.tl-class [role=radio]')).toHaveText(['X (4)', 'O (4)', 'L (3)']);
  await w.getByRole('button', { name: 'Undo' }).click();
  await expect(w.locator('.tl-class [role=radio]')).toHaveText(['X (4)', 'O (4)', 'L (2)']);
  // too few drawings in L for 3 held out: Run says so, nothing crashes
  const refused = await page.evaluate(() =>
    document
      .getElementById('transfer')
      .runLab({})
      .then(
        () => 'ran',
        (e) => e.message,
      ),
  );
  expect(refused).toContain('The class “L” has 2 drawings; with 3 held out per class it needs at least 4');
  await w
    .getByRole('button', { name: /^Delete this drawing of X/ })
    .first()
    .click();
  await expect(w.locator('.tl-class [role=radio]')).toHaveText(['X (3)', 'O (4)', 'L (2)']);
  await w.getByRole('button', { name: 'Undo' }).click();
  await expect(w.locator('.tl-class [role=radio]')).toHaveText(['X (4)', 'O (4)', 'L (2)']);

  // saved in the browser: a reload brings them back (once the last save has ended: an Undo's put
  // is still in flight for a few milliseconds)
  await expect(w.locator('[data-saving]')).toHaveCount(0);
  await page.reload();
  await expect(w.locator('.tl-class [role=radio]')).toHaveText(['X (4)', 'O (4)', 'L (2)']);
  await expect(w.locator('.tl-msg')).toContainText('Your 10 saved drawings are back');

  const r = await runLab(page, { holdout: 1, epochs: 10 });
  report('mouse drawings', r);
  expect(r.source).toBe('yours');
  expect(r.classes).toEqual(['X', 'O', 'L']);
  expect(r.counts).toEqual({ train: 7, held: 3 });
  expect(r.claims.length).toBe(3);
  await expect(w.locator('.tl-helditem')).toHaveCount(3);
  await expect(w.locator('.tl-item.held')).toHaveCount(3);
  // the best model of this run classifies a new O, live
  await draw(page, pad, SHAPES.O(0.05));
  await expect(w.locator('.tl-answer')).toContainText('The model says');
  await expect(w.locator('.tl-bars li')).toHaveCount(3);
  const guess = await w.locator('.tl-guess').textContent();
  console.log(`  a new O on the pad: the ${r.best} model says ${guess}`);
  expect(guess).toBe('O');

  // Export IDX: five downloads; the image file is an IDX header for 7 training drawings of 28×28
  const downloads = [];
  page.on('download', (d) => downloads.push(d));
  await w.getByRole('button', { name: 'Export IDX' }).click();
  await expect.poll(() => downloads.length).toBe(5);
  const names = downloads.map((d) => d.suggestedFilename()).sort();
  expect(names).toEqual([
    'drawings-classes.txt',
    'drawings-test-images.idx',
    'drawings-test-labels.idx',
    'drawings-train-images.idx',
    'drawings-train-labels.idx',
  ]);
  const fs = require('fs');
  const img = fs.readFileSync(
    await downloads.find((d) => d.suggestedFilename() === 'drawings-train-images.idx').path(),
  );
  expect([...img.subarray(0, 16)]).toEqual([0, 0, 8, 3, 0, 0, 0, 7, 0, 0, 0, 28, 0, 0, 0, 28]);
  expect(img.length).toBe(16 + 7 * 784);
  await w.screenshot({ path: test.info().outputPath('lab-transfer-yours-1280.png') });
});
