#!/usr/bin/env bash
# Builds and runs every test: the release build, the same tests under ASan/UBSan, and each
# fuzz target for FUZZ_SECONDS (default 60). Ends with one summary line over all test runs.
set -euo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

scripts/build.sh release
ctest --preset release -j"$(nproc)" 2>&1 | tee "$logs/release.log"
scripts/build.sh asan
ctest --preset asan -j"$(nproc)" 2>&1 | tee "$logs/asan.log"
scripts/fuzz.sh "${FUZZ_SECONDS:-60}"

# "100% tests passed, 0 tests failed out of 63" from each ctest run.
passed=0
failed=0
for log in "$logs"/*.log; do
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
done
echo "summary: $passed passed, $failed failed"
