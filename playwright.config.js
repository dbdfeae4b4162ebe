// Playwright drives Debian's Chromium (/usr/bin/chromium); nothing downloads a browser.
// Servers: the app with cross-origin isolation (threads) and without (single-threaded), and a course
// site on a third port whose pages embed the widget from the second (e2e/host-server.js).
const { defineConfig } = require('@playwright/test');

// CNN_E2E_PORT moves the three servers (default 8181, 8182, 8184 = base, base + 1, base + 3), so that
// two checkouts can run their page tests at once; e2e/widget.spec.js reads the same variable.
const base = Number(process.env.CNN_E2E_PORT || 8181);
const APP = `http://127.0.0.1:${base}`;
const APP_NOT_ISOLATED = `http://127.0.0.1:${base + 1}`;
const COURSE = `http://127.0.0.1:${base + 3}`;

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

module.exports = defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 120000,
  globalTimeout: 20 * 60 * 1000,
  workers: 1,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs },
    viewport: { width: 1280, height: 800 },
  },
  projects: [
    { name: 'isolated', testIgnore: /widget\.spec\.js/, use: { baseURL: APP } },
    // Without cross-origin isolation the page runs the single-threaded engine: the flows whose code
    // differs between the two builds (loading, training, restart after a crash, the first run, hostile
    // links) run here too; views that do not depend on the build (explanations, editor, phone layout,
    // verdict, live views, Lab, ONNX) run once, above, to keep npm test under its time budget.
    {
      name: 'not-isolated',
      testMatch: /\/(app|data|first-run|hostile-link|recovery|train|lab-app)\.spec\.js$/,
      use: { baseURL: APP_NOT_ISOLATED },
    },
    // The embeddable widget: course pages on one origin (8184), the widget from another (8182).
    { name: 'widget', testMatch: /widget\.spec\.js/, use: { baseURL: COURSE } },
  ],
  webServer: [
    {
      command: `node scripts/serve.js --port ${base}`,
      url: `${APP}/`,
      reuseExistingServer: false,
      timeout: 30000,
    },
    {
      command: `node scripts/serve.js --port ${base + 1} --no-isolation`,
      url: `${APP_NOT_ISOLATED}/`,
      reuseExistingServer: false,
      timeout: 30000,
    },
    {
      command: `node e2e/host-server.js --port ${base + 3} --widget-origin ${APP_NOT_ISOLATED}`,
      url: `${COURSE}/`,
      reuseExistingServer: false,
      timeout: 30000,
    },
  ],
});
