// ONNX from the page: "Download ONNX" beside "Download .cnn" gives a file that ONNX Runtime
// (onnxruntime-web, under Node) runs to the same answer as the page: the top class of a digit drawn
// on the pad, and the probabilities of MNIST test digits (the page's engine against the file).
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const ort = require('onnxruntime-web');
const { testDigit, drawDigit, ready } = require('./helpers');

ort.env.wasm.numThreads = 1;

const softmax = (logits) => {
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const argmax = (a) => a.indexOf(Math.max(...a));

test('Download ONNX gives a model that ONNX Runtime runs to the page’s answers', async ({ page }) => {
  test.setTimeout(180000);
  await page.goto('/');
  await ready(page);
  await expect(page.locator('#download-onnx')).toBeVisible();

  // A digit drawn on the pad: the page's top class and the exact input it classified.
  const digit = testDigit(1);
  await drawDigit(page, digit.pixels);
  await expect(page.locator('#top-class')).not.toHaveText('?', { timeout: 30000 });
  // The page's answer: its top class (or its verdict, when it says the drawing is not a digit) and
  // the bar it marks; the probabilities are those of the engine in the page.
  const pageTop = (await page.locator('#top-class').textContent()).trim();
  const pageSays = (await page.locator('#top-conf').textContent()).trim();
  const drawn = await page.evaluate(() => {
    const pad = document.getElementById('pad');
    const rgba = pad.getContext('2d').getImageData(0, 0, pad.width, pad.height).data;
    const ink = new Float32Array(pad.width * pad.height);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i + 3] / 255;
    return Array.from(self.CnnDigitize.digitize(ink, pad.width, pad.height).image);
  });

  // Four MNIST test digits classified by the page's engine.
  const X = new Float32Array(5 * 784);
  X.set(drawn, 0);
  for (let k = 1; k < 5; k++)
    X.set(
      Array.from(testDigit(k + 1).pixels, (v) => v / 255),
      k * 784,
    );
  const enginePs = await page.evaluate(async (x) => {
    const out = [];
    for (let k = 0; k < 5; k++)
      out.push(Array.from(await window.cnnApp.engine.classify(new Float32Array(x.slice(k * 784, (k + 1) * 784)))));
    return out;
  }, Array.from(X));

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-onnx').click()]);
  const file = await download.path();
  const bytes = fs.readFileSync(file);
  await expect(page.locator('#io-msg')).toContainText('.onnx');
  const name = download.suggestedFilename();
  expect(name).toMatch(/\.onnx$/);

  const sess = await ort.InferenceSession.create(new Uint8Array(bytes));
  const out = await sess.run({ input: new ort.Tensor('float32', X, [5, 1, 28, 28]) });
  const logits = out.logits.data;
  let maxDiff = 0;
  const tops = [];
  for (let k = 0; k < 5; k++) {
    const p = softmax(Array.from(logits.slice(k * 10, (k + 1) * 10)));
    tops.push(argmax(p));
    for (let c = 0; c < 10; c++) maxDiff = Math.max(maxDiff, Math.abs(p[c] - enginePs[k][c]));
    expect(argmax(p)).toBe(argmax(enginePs[k]));
  }
  console.log(
    `[onnx] ${name}: ${bytes.length} bytes; drawn ${digit.label}: the page shows ${pageTop} (“${pageSays}”), its ` +
      `engine's top class ${argmax(enginePs[0])}, ONNX Runtime's ${tops[0]}; ` +
      `test digits ${[2, 3, 4, 5].map((k) => testDigit(k).label).join(',')} -> ONNX ${tops.slice(1).join(',')}; ` +
      `largest probability difference page vs ONNX Runtime ${maxDiff.toExponential(2)}`,
  );
  if (/^\d$/.test(pageTop)) expect(String(tops[0])).toBe(pageTop);
  expect(maxDiff).toBeLessThan(1e-4);
});
