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
echo "== lint (clang-format, prettier, eslint)"
limit 300 lint bash scripts/lint.sh
echo "== native tests (ctest)"
limit 600 ctest ctest --test-dir build/native --output-on-failure --timeout 300 -j"$(nproc)" | tail -n 4
echo "== native tests with AddressSanitizer + UBSan"
# The same suite built with -DCNN_SANITIZE=ON (CMakeLists.txt: -fsanitize=address,undefined and
# float-cast-overflow, -O2 -g) in build/asan, incrementally. Out-of-bounds accesses, use after free or
# return, leaks, alloc/dealloc mismatches, signed overflow, bad shifts, misaligned loads, float->int
# overflow... each stops the test that triggers it and fails the phase. No suppressions, and no test
# is left out: a full build takes about 6 minutes on 2 idle cores (a few seconds when little changed),
# the whole suite about a minute.
[ -f build/asan/CMakeCache.txt ] || cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCNN_SANITIZE=ON \
  >build/asan.configure.log 2>&1 || { cat build/asan.configure.log; echo "test: configuring build/asan failed"; exit 1; }
limit 1500 "asan build" cmake --build build/asan --target cnn_tests -j"$(nproc)" >build/asan.log 2>&1 ||
  { tail -n 60 build/asan.log; echo "test: building build/asan failed (full log: build/asan.log)"; exit 1; }
limit 900 "asan ctest" env ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:strict_init_order=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build/asan --output-on-failure --timeout 600 -j"$(nproc)" >build/asan-tests.log 2>&1 ||
  { grep -A40 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" build/asan-tests.log | head -n 200
    tail -n 20 build/asan-tests.log; echo "test: sanitized tests failed (full log: build/asan-tests.log)"; exit 1; }
grep -E "tests passed" build/asan-tests.log
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
