#!/usr/bin/env bash
# Builds and runs every test: the release build, the same tests under ASan/UBSan, and each
# fuzz target for FUZZ_SECONDS (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release
ctest --preset release -j"$(nproc)"
scripts/build.sh asan
ctest --preset asan -j"$(nproc)"
scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
