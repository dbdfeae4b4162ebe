// eslint (flat config) for every JS file of the project: the page and the widget (ES modules in the
// browser; web/lib/idx.js and web/worker/protocol.js are classic scripts loaded by both the page
// and Node), the worker, the Node tests, the Playwright tests, the scripts and the benchmark.
// `npm run lint` runs it with prettier's check and clang-format's; `npm test` runs `npm run lint`.
'use strict';
const js = require('@eslint/js');
const globals = require('globals');

module.exports = [
  { ignores: ['build/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'fuzz/corpus/**'] },
  js.configs.recommended,
  {
    rules: {
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none', ignoreRestSiblings: true }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['web/**/*.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.browser, ...globals.worker } },
  },
  {
    files: ['web/lib/idx.js', 'web/worker/protocol.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, ...globals.worker, module: 'writable' } },
  },
  {
    files: ['bench/web/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, ...globals.worker } },
  },
  {
    files: [
      '*.js',
      'e2e/**/*.js',
      'scripts/**/*.js',
      'tests/js/**/*.js',
      'bench/*.js',
      'wasm_build/**/*.js',
      'tests/*.js',
    ],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    // Playwright's page.evaluate callbacks run in the page.
    files: ['e2e/**/*.js', 'scripts/soak.js', 'bench/run.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['web/lib/digitize.js'], // an ES module that also exports itself to Node's require
    languageOptions: { globals: { module: 'writable' } },
  },
  {
    // Linked into the Emscripten module (--pre-js / --post-js): its scope provides these.
    files: ['wasm_build/post.js', 'tests/wasm_pre.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { Module: 'writable', addOnPostRun: 'readonly', ...globals.node },
    },
  },
];
