#!/usr/bin/env bash
# The project's habits, checked: clang-format (the repository's .clang-format) on every C++ file,
# eslint (eslint.config.js) and prettier (.prettierrc.json) on every JS file. Run by `npm run lint`
# and by `npm test`. `scripts/lint.sh --fix` rewrites what the tools can fix.
set -euo pipefail
cd "$(dirname "$0")/.."
cpp=$(git ls-files '*.cpp' '*.h')
js_dirs=(web e2e scripts bench tests/js wasm_build eslint.config.js playwright.config.js)
if [ "${1:-}" = "--fix" ]; then
  echo "$cpp" | xargs clang-format -i
  npx prettier --log-level warn --write "${js_dirs[@]}"
  npx eslint --fix .
  exit 0
fi
rc=0
echo "$cpp" | xargs clang-format --dry-run --Werror 2>&1 | head -n 40 || rc=1
npx prettier --log-level warn --check "${js_dirs[@]}" || rc=1
npx eslint --max-warnings 0 . || rc=1
if [ $rc != 0 ]; then echo "lint: the tree is not clean; scripts/lint.sh --fix rewrites what it can"; exit 1; fi
echo "lint: clean ($(echo "$cpp" | wc -l) C++ files, eslint and prettier on the JS)"
