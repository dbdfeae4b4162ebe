#!/usr/bin/env bash
# One line per crashing input: the kind of finding and the top frames in the project's sources.
#   fuzz/triage.sh [--bin-dir build/fuzz] <input> ...   (the target is taken from the file name,
#   <target>-crash-<sha1> as scripts/fuzz.sh saves them in fuzz/findings/)
# For an exception that escaped instead of cnn::Error, the throw site is found with gdb (catch throw).
set -uo pipefail
bindir=build/fuzz
if [ "${1:-}" = "--bin-dir" ]; then
  bindir=$2
  shift 2
fi
for f in "$@"; do
  base=$(basename "$f")
  target=${base%%-*}
  bin=$bindir/$target
  [ -x "$bin" ] || { echo "$base: no $bin"; continue; }
  out=$("$bin" -runs=1 -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 "$f" 2>&1)
  what=$(grep -m1 -oE "fuzz finding: .*|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [^ ]*( [^ ]*)?|runtime error: .*" <<<"$out")
  [ -n "$what" ] || what="no failure reproduced"
  frames=$(grep -E "^ *#[0-9]+ 0x[0-9a-f]+ in .* /[^ ]*/(src|fuzz|tools)/" <<<"$out" | grep -v fuzz_util.h |
    sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ in (.*) (\/[^ ]*\/)((src|fuzz|tools)\/[^ ]*)$/\3 \1/' | head -n 3 | cut -c1-160)
  if grep -q "escaped instead of cnn::Error" <<<"$what"; then
    frames=$(gdb -batch -ex 'catch throw' -ex run -ex bt --args "$bin" -runs=1 "$f" 2>/dev/null |
      grep -E "^#[0-9]+ .* at /[^ ]*/(src|tools)/" | grep -v "fuzz/" | head -n 3 | sed -E 's/^#[0-9]+ +(0x[0-9a-f]+ in )?//' |
      sed -E 's/ \(.*\) at / at /' | cut -c1-160)
  fi
  echo "$base ($(wc -c <"$f") bytes): $what"
  [ -n "$frames" ] && sed 's/^/    /' <<<"$frames"
done
