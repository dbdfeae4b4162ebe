// The widget's exportOnnx(): a model trained in the page (train() with 30 iterations) comes out as
// an ONNX file that ONNX Runtime (onnxruntime-web, under Node) runs to the widget's own answers.
// (The Playwright project "widget": the course page on one origin, the widget from another.)
const { test, expect } = require('@playwright/test');
const ort = require('onnxruntime-web');
const { testDigit } = require('./helpers');

ort.env.wasm.numThreads = 1;
const argmax = (a) => a.indexOf(Math.max(...a));

test('exportOnnx() resolves to an ONNX file of the model trained in the page', async ({ page }) => {
  test.setTimeout(180000);
  await page.goto('/first-run.html');
  await page.waitForFunction(() => document.getElementById('plain').dataset.state === 'ready', null, {
    timeout: 60000,
  });
  const status = await page.evaluate(() =>
    document
      .getElementById('plain')
      .train({ iterations: 30, validation: 0 })
      .then((d) => d.status),
  );
  expect(status).toBe('finished');
  await expect(page.locator('#plain .model-name')).toContainText('trained here');

  const X = new Float32Array(6 * 784);
  for (let k = 0; k < 6; k++)
    X.set(
      Array.from(testDigit(k).pixels, (v) => v / 255),
      k * 784,
    );
  const r = await page.evaluate(async (x) => {
    const w = document.getElementById('plain');
    const bytes = await w.exportOnnx();
    const probs = [];
    for (let k = 0; k < 6; k++) probs.push(await w.classify(new Float32Array(x.slice(k * 784, (k + 1) * 784))));
    return { isU8: bytes instanceof Uint8Array, bytes: Array.from(bytes), probs };
  }, Array.from(X));
  expect(r.isU8).toBe(true);
  const sess = await ort.InferenceSession.create(new Uint8Array(r.bytes));
  const out = await sess.run({ input: new ort.Tensor('float32', X, [6, 1, 28, 28]) });
  const tops = [];
  for (let k = 0; k < 6; k++) {
    const logits = Array.from(out.logits.data.slice(k * 10, (k + 1) * 10));
    tops.push(argmax(logits));
    expect(argmax(logits)).toBe(argmax(r.probs[k]));
  }
  console.log(
    `[widget onnx] after 30 iterations in the page: ${r.bytes.length} bytes; labels ` +
      `${[0, 1, 2, 3, 4, 5].map((k) => testDigit(k).label).join(',')}; widget classify() ` +
      `${r.probs.map(argmax).join(',')}; ONNX Runtime ${tops.join(',')}`,
  );
});
