#!/usr/bin/env bash
# Installs everything the build and the tests need on Debian 12, then creates .venv with the
# Python test packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake clang libclang-rt-14-dev clang-format
  nlohmann-json3-dev libgtest-dev googletest libcurl4-openssl-dev libssl-dev
  pkg-config libpcre2-dev libsimde-dev libicu-dev libzstd-dev zlib1g-dev zstd
  python3 python3-venv python3-pip
  chromium chromium-driver
  slurmctld slurmd slurm-client munge
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
"${pip[@]}" -r <(grep -v '# no-deps' requirements-test.txt)
"${pip[@]}" --no-deps -r <(grep '# no-deps' requirements-test.txt)
echo "setup: done"
