#!/usr/bin/env bash
# Every test: native GoogleTest (ctest), the same suite as wasm under Node, the Node tests of the
# wasm API, and the Playwright tests in real Chromium. Run through `npm test` (which builds first).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== native tests (ctest)"
ctest --test-dir build/native --output-on-failure -j"$(nproc)" | tail -n 4
echo "== the same tests compiled to wasm, under Node"
node build/wasm/cnn_tests.js >build/wasm-tests.log 2>&1 || { tail -c 4000 build/wasm-tests.log; exit 1; }
tail -n 1 build/wasm-tests.log
echo "== wasm API (Node)"
node --test tests/js/
echo "== Playwright (Chromium)"
npx playwright test
