// The Lab's "architectures" experiment through the widget (<cnn-widget mode="lab"
// lab="architectures">, runLab() and its "lab-result" event) on e2e/fixtures/lab.html, at a small
// setting (the fixture's attributes: 2 timed steps, 4 folding passes, 500 test images): the zoo's
// nets counted and timed, batch-norm folding, the notes' AlexNet table by the engine. The claims
// that do not depend on the machine's speed hold; all are printed with their numbers. Screenshots at
// 1280 and 390 px. (Project "widget": the page on one origin, the widget and the zoo from another.)
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
      return {
        claims: r.claims,
        settings: r.settings,
        rows: r.rows.map((x) => ({
          name: x.name,
          params: x.params,
          macs: x.macs,
          activationBytes: x.activationBytes,
          inferMs: x.inferMs,
          trainMs: x.trainMs,
          accuracy: x.accuracy,
          fold: x.fold,
        })),
        alexnet: r.alexnet.rows.map((x) => ({ name: x.name, engine: x.engine, agrees: x.agrees, params: x.params })),
        seconds: (performance.now() - t0) / 1000,
        events: events.length,
      };
    },
    { id, settings },
  );
}

test('architectures: the zoo side by side, batch-norm folding and the notes’ AlexNet, by the engine', async ({
  page,
}) => {
  test.setTimeout(240000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/lab.html');
  const r = await runLab(page, 'architectures', {});
  console.log(`[lab architectures] ${r.seconds.toFixed(1)} s, settings ${JSON.stringify(r.settings)}`);
  for (const x of r.rows)
    console.log(
      `  ${x.name.padEnd(16)} params ${x.params}  MACs ${x.macs}  infer ${x.inferMs.toFixed(3)} ms/img  train ${x.trainMs.toFixed(3)} ms/img${x.accuracy !== undefined ? `  accuracy ${x.accuracy}` : ''}${x.fold ? `  fold ${x.fold.msBefore.toFixed(3)} -> ${x.fold.msAfter.toFixed(3)} ms/img, diff ${x.fold.maxDiff.toExponential(2)}` : ''}`,
    );
  for (const c of r.claims) console.log(`  ${c.holds ? 'holds' : 'FAILS'}  ${c.id}: ${c.text}`);
  expect(r.events).toBe(1);
  expect(r.settings).toEqual({ batch: 8, steps: 2, 'fold-repeats': 4, 'test-images': 500 });
  expect(r.rows.map((x) => x.name)).toEqual([
    'convnetjs',
    'lenet5',
    'keras_mnist',
    'vgg_small',
    'resnet_small',
    'inception_small',
    'nin_small',
    'mobilenet_small',
    'pretrained',
  ]);
  expect(r.rows.find((x) => x.name === 'lenet5').params).toBe(61706);
  expect(r.rows.filter((x) => x.accuracy !== undefined).map((x) => x.name)).toEqual(['pretrained']);
  expect(r.rows.filter((x) => x.fold).map((x) => x.name)).toEqual(['vgg_small', 'resnet_small', 'mobilenet_small']);
  const byId = Object.fromEntries(r.claims.map((c) => [c.id, c]));
  for (const id of [
    'alexnet-sizes',
    'alexnet-params',
    'alexnet-227',
    'lenet-c5',
    'separable',
    'trained-model',
    'fold-equal',
  ])
    expect(byId[id].holds, byId[id].text).toBe(true);
  // speed is printed, not asserted; its claims carry the measured numbers
  expect(byId['fold-faster'].text).toMatch(/resnet_small [\d.]+ ms → [\d.]+ ms per image/);
  expect(byId['macs-predict-time'].text).toMatch(/rank correlation -?[\d.]+ with MACs, -?[\d.]+ with parameters/);
  expect(byId['alexnet-params'].value).toBe(62378344);
  expect(r.alexnet.every((x) => x.agrees)).toBe(true);
  expect(byId['alexnet-227'].text).toContain('54×54');

  const w = page.locator('#architectures');
  await expect(w.locator('.lab-claims li')).toHaveCount(r.claims.length);
  await expect(w.locator('tr[data-model]')).toHaveCount(9);
  await expect(w.locator('tr[data-model="pretrained"] .arch-acc')).toContainText('%');
  await expect(w.locator('tr[data-fold]')).toHaveCount(3);
  await expect(w.locator('tr[data-pair]')).toHaveCount(3);
  await expect(w.locator('tr[data-layer]')).toHaveCount(14);
  // the graphs: resnet's two adds with their shortcuts, inception's concat, LeNet-5, AlexNet
  await expect(w.locator('svg.arch-graph')).toHaveCount(4);
  await expect(w.locator('svg.arch-graph .node.add')).toHaveCount(2);
  await expect(w.locator('svg.arch-graph .edge.skip')).toHaveCount(2);
  await expect(w.locator('svg.arch-graph .node.concat')).toHaveCount(1);
  await w.screenshot({ path: test.info().outputPath('lab-architectures-1280.png') });

  // a bad setting is refused with the experiment's message, and nothing runs
  const bad = await page.evaluate(() =>
    document
      .getElementById('architectures')
      .runLab({ batch: 0 })
      .then(
        () => 'ran',
        (e) => e.message,
      ),
  );
  expect(bad).toBe('Architectures side by side: batch: must be at least 1, got 0.');

  await page.setViewportSize({ width: 390, height: 844 });
  await w.scrollIntoViewIfNeeded();
  await w.screenshot({ path: test.info().outputPath('lab-architectures-390.png') });
});
