// Smoke test: the page loads the wasm engine in a Web Worker and gets answers from it, with the
// threaded build on a cross-origin-isolated page and the single-threaded build otherwise.
const { test, expect } = require('@playwright/test');

test('the worker loads the engine and runs the model', async ({ page }, info) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.locator('body[data-ready="true"]')).toBeAttached({ timeout: 60000 });
  await expect(page.locator('#status')).toHaveText('Engine ready.');
  const isolated = await page.evaluate(() => self.crossOriginIsolated);
  expect(isolated).toBe(info.project.name === 'isolated');
  await expect(page.locator('#build-info')).toContainText(isolated ? 'threads' : 'single-threaded');
  // The summary table comes from the engine: the ConvNetJS net has 208 + 3,216 + 2,570 parameters.
  await expect(page.locator('#summary tbody tr')).toHaveCount(8);
  await expect(page.locator('#summary tfoot')).toContainText('5,994');
  // Ten probabilities that sum to 100 %.
  const vals = await page.locator('#probs .val').allTextContents();
  expect(vals).toHaveLength(10);
  const sum = vals.map((v) => parseFloat(v)).reduce((a, b) => a + b, 0);
  expect(Math.abs(sum - 100)).toBeLessThan(1);
  expect(errors).toEqual([]);
  await page.screenshot({ path: info.outputPath(`engine-${info.project.name}.png`), fullPage: true });
});

test('engine errors reach the page as messages and the worker stays usable', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('body[data-ready="true"]')).toBeAttached({ timeout: 60000 });
  const result = await page.evaluate(async () => {
    const { EngineClient } = await import('/engine-client.js');
    const c = new EngineClient();
    await c.init();
    let message = null;
    try {
      await c.createModel('{"input":[1,7,7],"layers":[{"type":"conv2d","name":"c","filters":1,"kernel":3,"stride":3}]}');
    } catch (e) {
      message = e.message;
    }
    const ok = await c.createModel('{"input":[1,4,4],"layers":[{"type":"dense","units":3}]}');
    const { output } = await c.forward(new Float32Array(16).fill(1), 1);
    c.terminate();
    return { message, params: ok.summary.total_params, n: output.length };
  });
  expect(result.message).toContain("conv2d layer 'c'");
  expect(result.message).toContain('not a whole number');
  expect(result.params).toBe(51);
  expect(result.n).toBe(3);
});
