// The phone (390×844): the pad, the top class and the ten probability bars are on one screen,
// without scrolling, when the page opens and after a digit is drawn.
const { test, expect } = require('@playwright/test');
const { testDigit, drawDigit, ready } = require('./helpers');

const boxes = (page) =>
  page.evaluate(() => {
    const box = (el) => {
      const b = el.getBoundingClientRect();
      return { top: Math.round(b.top), bottom: Math.round(b.bottom), height: Math.round(b.height) };
    };
    return {
      scrollY: Math.round(scrollY),
      pad: box(document.getElementById('pad')),
      top: box(document.getElementById('top-class')),
      bars: [...document.querySelectorAll('#probs li')].map(box),
    };
  });

test('at 390×844 the pad, the answer and the ten bars are visible together', async ({ page }) => {
  test.setTimeout(150000);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  await ready(page);
  const inView = (b) => b.top >= 0 && b.bottom <= 844 && b.height > 0;
  const atLoad = await boxes(page);
  expect(atLoad.bars).toHaveLength(10);
  for (const b of [atLoad.pad, atLoad.top, ...atLoad.bars]) expect(inView(b)).toBe(true);
  await page.screenshot({ path: '/tmp/shots-w4/phone-draw-390-load.png' });
  // the model's calibration redraws the input when it ends: draw after it, as a student would
  await page
    .waitForFunction(() => document.documentElement.dataset.calibrated, null, { timeout: 60000 })
    .catch(() => {});
  await drawDigit(page, testDigit(3).pixels);
  await expect(page.locator('#top-class')).not.toHaveText('?', { timeout: 30000 });
  const drawn = await boxes(page);
  for (const b of [drawn.pad, drawn.top, ...drawn.bars]) expect(inView(b)).toBe(true);
  expect(drawn.scrollY).toBe(0);
  const answer = `${await page.locator('#top-class').textContent()} ${await page.locator('#top-conf').textContent()}`;
  console.log(
    `[phone] 390×844, scrolled ${drawn.scrollY} px: pad ${drawn.pad.top}–${drawn.pad.bottom}, top class ` +
      `${drawn.top.top}–${drawn.top.bottom} (“${answer.trim()}”), bars ${drawn.bars[0].top}–${drawn.bars[9].bottom} px`,
  );
  await page.screenshot({ path: '/tmp/shots-w4/phone-draw-390-drawn.png' });
});
