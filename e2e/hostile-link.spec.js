// Shared links a hostile or careless sender could make. Each must open the page with a plain message
// and the default model, never a broken engine: sizes that wrapped at 2^32 in the 32-bit wasm build
// used to pass validation and trap the threaded page ("The engine stopped: Uncaught RuntimeError").
const { test, expect } = require('@playwright/test');
const { ready } = require('./helpers');

const link = (exp) =>
  `/index.html#exp=${Buffer.from(JSON.stringify({ v: 1, mode: 'network', ...exp })).toString('base64url')}`;
const model = (input, layers) => ({ name: 'hostile', input, layers });

const cases = [
  [
    'a conv of 65,536 filters into a dense layer of 65,536',
    model(
      [1, 28, 28],
      [
        { type: 'conv2d', filters: 65536, kernel: 1 },
        { type: 'dense', units: 65536 },
      ],
    ),
    /this engine holds at most/,
  ],
  [
    'a conv whose output has 2^32 elements',
    model([1, 2, 2], [{ type: 'conv2d', filters: 65536, kernel: 1, pad: 32767 }]),
    /this engine holds at most/,
  ],
  [
    '4294967306 units (once taken as 10)',
    model([1, 28, 28], [{ type: 'dense', units: 4294967306 }]),
    /must be an integer from 1 to 65536/,
  ],
  [
    'a pad of 2^32 (once taken as 0)',
    model(
      [1, 28, 28],
      [
        { type: 'conv2d', filters: 2, kernel: 3, pad: 4294967296 },
        { type: 'dense', units: 10 },
      ],
    ),
    /'pad' must be an integer from 0 to 65536/,
  ],
];

for (const [what, m, message] of cases) {
  test(`a link with ${what} is refused in plain words and the page keeps working`, async ({ page }) => {
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(link({ model: m }));
    await ready(page);
    const banner = page.locator('#banner');
    await expect(banner).toContainText('could not be opened');
    await expect(banner).toContainText(message);
    await expect(banner).not.toContainText('engine stopped');
    // The engine still answers: the default model classifies.
    const probs = await page.evaluate(async () => {
      const r = await window.cnnApp.engine.request('classify', { input: new Float32Array(784) });
      return r.probs.length;
    });
    expect(probs).toBe(10);
    expect(errors).toEqual([]);
  });
}
