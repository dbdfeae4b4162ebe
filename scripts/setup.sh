#!/usr/bin/env bash
# Installs what is missing and builds what is out of date; `npm start`, `npm test` and the other
# npm scripts run it first. On a fresh Debian 12 machine:
#   - Debian packages with apt-get when run as root; otherwise it stops and prints the command;
#   - npm packages with `npm ci` when node_modules is missing or older than package-lock.json;
#   - the native build (build/native) and the wasm build (build/wasm), incrementally;
#   - the packed MNIST the page fetches (build/data, scripts/pack-mnist.js);
#   - then it prints the embeddable widget's download size (scripts/widget-size.js).
# --quiet: print nothing unless something fails (used by `npm run cnn`).
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=0
[ "${1:-}" = "--quiet" ] && quiet=1
say() { [ $quiet = 1 ] || echo "setup: $*"; }

# What the build, the tests and the page need (docs/TOOLCHAIN.md).
packages=(cmake g++ make emscripten libxtensor-dev xtl-dev libxsimd-dev nlohmann-json3-dev
  googletest libgtest-dev libbenchmark-dev chromium nodejs clang libclang-rt-14-dev python3-onnx)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get update && apt-get install -y ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}") >/tmp/cnn-apt.log 2>&1 ||
      { cat /tmp/cnn-apt.log; echo "setup: apt-get failed (log above)"; exit 1; }
  else
    echo "setup: these Debian packages are missing: ${missing[*]}"
    echo "setup: install them, then run this again:"
    echo "  sudo sh -c '$cmd'"
    exit 1
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/tmp/cnn-npm.log 2>&1 ||
    { cat /tmp/cnn-npm.log; echo "setup: npm ci failed (log above)"; exit 1; }
fi

# em++ runs a JS optimizer that needs Debian's acorn (docs/TOOLCHAIN.md, quirk 1).
export NODE_PATH=/usr/share/nodejs
jobs=$(nproc)
build() {  # name, configure command...
  local dir=$1
  shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    "$@" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; echo "setup: configuring $dir failed"; exit 1; }
  fi
  say "building $dir"
  cmake --build "$dir" -j"$jobs" >"$dir.log" 2>&1 || { tail -n 60 "$dir.log"; echo "setup: building $dir failed (full log: $dir.log)"; exit 1; }
}
mkdir -p build
build build/native cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release
build build/wasm emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release
node scripts/pack-mnist.js >/dev/null || exit 1
# The embeddable widget's download size (JS + wasm + model, gzipped; the MNIST data apart).
[ $quiet = 1 ] || node scripts/widget-size.js
say "ready"
