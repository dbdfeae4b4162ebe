// Playwright drives Debian's Chromium (/usr/bin/chromium); nothing downloads a browser.
// Servers: the app with cross-origin isolation (threads) and without (single-threaded), and a course
// site on a third port whose pages embed the widget from the second (e2e/host-server.js).
const { defineConfig } = require('@playwright/test');

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
    { name: 'isolated', testIgnore: /widget\.spec\.js/, use: { baseURL: 'http://127.0.0.1:8181' } },
    { name: 'not-isolated', testIgnore: /widget\.spec\.js/, use: { baseURL: 'http://127.0.0.1:8182' } },
    // The embeddable widget: course pages on one origin (8184), the widget from another (8182).
    { name: 'widget', testMatch: /widget\.spec\.js/, use: { baseURL: 'http://127.0.0.1:8184' } },
  ],
  webServer: [
    {
      command: 'node scripts/serve.js --port 8181',
      url: 'http://127.0.0.1:8181/',
      reuseExistingServer: false,
      timeout: 30000,
    },
    {
      command: 'node scripts/serve.js --port 8182 --no-isolation',
      url: 'http://127.0.0.1:8182/',
      reuseExistingServer: false,
      timeout: 30000,
    },
    {
      command: 'node e2e/host-server.js --port 8184 --widget-origin http://127.0.0.1:8182',
      url: 'http://127.0.0.1:8184/',
      reuseExistingServer: false,
      timeout: 30000,
    },
  ],
});
