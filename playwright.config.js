// Playwright drives Debian's Chromium (/usr/bin/chromium); nothing downloads a browser.
// Two servers: the app with cross-origin isolation (threads) and without (single-threaded).
const { defineConfig } = require('@playwright/test');

const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

module.exports = defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 120000,
  workers: 1,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs },
    viewport: { width: 1280, height: 800 },
  },
  projects: [
    { name: 'isolated', use: { baseURL: 'http://127.0.0.1:8181' } },
    { name: 'not-isolated', use: { baseURL: 'http://127.0.0.1:8182' } },
  ],
  webServer: [
    { command: 'node scripts/serve.js --port 8181', url: 'http://127.0.0.1:8181/', reuseExistingServer: false, timeout: 30000 },
    { command: 'node scripts/serve.js --port 8182 --no-isolation', url: 'http://127.0.0.1:8182/', reuseExistingServer: false, timeout: 30000 },
  ],
});
