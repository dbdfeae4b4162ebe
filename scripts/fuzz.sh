#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*.cpp; clang++ with ASan and UBSan, in build/fuzz, incrementally)
# and runs each for a bounded time on its corpus:
#   fuzz_model_json  model descriptions (JSON)      fuzz_idx  IDX files
#   fuzz_cnn_file    .cnn models and checkpoints    fuzz_npy  .npy files
# Any crash, leak, undefined behaviour, timeout (-timeout=10 s per input), out-of-memory
# (-rss_limit_mb=2048, -malloc_limit_mb=1024) or escaped non-cnn::Error exception fails the run;
# libFuzzer saves the input as fuzz/findings/<target>-<kind>-<sha1> (not committed). Reproduce
# one with: build/fuzz/<target> fuzz/findings/<file>
#
#   scripts/fuzz.sh [seconds-per-target (60)] [target ...] [-- extra libFuzzer flags, e.g. -max_len=512]
#
# Each target starts from its committed seeds (fuzz/corpus/<target>, see fuzz/make_seeds.sh) and what
# earlier runs found (build/fuzz/corpus/<target>). Targets run side by side, one per core. Prints per
# target: executions, corpus size (inputs) and new inputs found.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=60
if [[ ${1:-} =~ ^[0-9]+$ ]]; then
  secs=$1
  shift
fi
all=(fuzz_model_json fuzz_cnn_file fuzz_idx fuzz_npy)
targets=()
extra=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then
    shift
    extra=("$@")
    break
  fi
  [[ " ${all[*]} " == *" $1 "* ]] || { echo "fuzz: unknown target '$1' (targets: ${all[*]})" >&2; exit 2; }
  targets+=("$1")
  shift
done
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

dir=build/fuzz
mkdir -p build fuzz/findings
t0=$(date +%s)
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCNN_FUZZ=ON >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; echo "fuzz: configuring $dir failed" >&2; exit 1; }
fi
cmake --build "$dir" -j"$(nproc)" --target "${targets[@]}" >"$dir.log" 2>&1 ||
  { tail -n 60 "$dir.log"; echo "fuzz: building $dir failed (full log: $dir.log)" >&2; exit 1; }
echo "fuzz: build $(($(date +%s) - t0)) s; running ${#targets[@]} target(s) for $secs s each"

run() {  # target
  local t=$1 dict=()
  mkdir -p "$dir/corpus/$t"
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  # -close_fd_mask=1: the engine's own prints (none expected) do not flood the log.
  "$dir/$t" -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1 \
    -close_fd_mask=1 -artifact_prefix="fuzz/findings/$t-" "${dict[@]}" "${extra[@]}" \
    "$dir/corpus/$t" "fuzz/corpus/$t" >"$dir/$t.log" 2>&1 && echo 0 >"$dir/$t.rc" || echo $? >"$dir/$t.rc"
}

jobs=$(nproc)
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  rm -f "$dir/$t.rc"
  run "$t" &
done
wait
failed=0
printf '%-16s %12s %8s %8s  %s\n' target executions corpus new result
for t in "${targets[@]}"; do
  rc=$(cat "$dir/$t.rc" 2>/dev/null || echo "?")
  log=$dir/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  new=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
  if [ $rc = 0 ]; then
    result=ok
  else
    failed=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    result="FAILED (exit $rc) ${artifact:-no input saved}"
  fi
  printf '%-16s %12s %8s %8s  %s\n' "$t" "${execs:-?}" "${corp:-?}" "${new:-?}" "$result"
done
if [ $failed = 1 ]; then
  # What each failure is and where (fuzz/triage.sh: the kind, and the top frames in src/ or the
  # throw site of an escaped exception); the whole report is in the log.
  for t in "${targets[@]}"; do
    [ "$(cat "$dir/$t.rc" 2>/dev/null)" = 0 ] && continue
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$dir/$t.log" | tail -n 1)
    echo "---- $t (full report: $dir/$t.log)"
    if [ -n "$artifact" ] && [ -f "$artifact" ]; then fuzz/triage.sh --bin-dir "$dir" "$artifact"; else tail -n 20 "$dir/$t.log"; fi
  done
  exit 1
fi
