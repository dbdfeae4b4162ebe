#!/usr/bin/env bash
# Every test: native GoogleTest (ctest), the same suite as wasm under Node, the Node tests of the
# wasm API, and the Playwright tests in real Chromium. Run through `npm test` (which builds first).
# Each phase has a time limit far above its normal duration (seconds to a few minutes on 2 cores),
# so that a hang fails the run at once, naming the phase, instead of using up CI's time.
set -euo pipefail
cd "$(dirname "$0")/.."
limit() {  # seconds, phase name, command...
  local secs=$1 name=$2 rc=0
  shift 2
  timeout --kill-after=10 "$secs" "$@" || rc=$?
  if [ $rc = 124 ] || [ $rc = 137 ]; then echo "test: '$name' did not finish within $secs s" >&2; fi
  return $rc
}
echo "== native tests (ctest)"
limit 600 ctest ctest --test-dir build/native --output-on-failure --timeout 300 -j"$(nproc)" | tail -n 4
echo "== the same tests compiled to wasm, under Node"
limit 600 "wasm tests" node build/wasm/cnn_tests.js >build/wasm-tests.log 2>&1 || { tail -c 4000 build/wasm-tests.log; exit 1; }
tail -n 1 build/wasm-tests.log
echo "== wasm API (Node)"
limit 900 "node --test" node --test --test-timeout=300000 tests/js/
echo "== fuzzing (libFuzzer with ASan + UBSan, 60 s per parser of outside data)"
# scripts/fuzz.sh builds build/fuzz incrementally (clang++; a full build is about 180 s of CPU, 1.5-2 min
# on 2 idle cores) and runs the four fuzz/ targets two at a time; a crash, leak, timeout, OOM or an
# exception other than cnn::Error fails the phase, the input saved in fuzz/findings/.
limit 900 fuzzing bash scripts/fuzz.sh 60
echo "== Playwright (Chromium)"
limit 1500 playwright npx playwright test
echo "== soak (2 min of training and 30 s of classifying in Chromium; memory must not grow)"
limit 300 soak node scripts/soak.js --ci
