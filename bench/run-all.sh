#!/usr/bin/env bash
# The whole benchmark suite in one command: builds, runs every side-by-side comparison (bench/suite.py) and
# writes one Markdown report to bench/results/suite.md. Takes about 10 minutes on 2 cores; --quick for a smoke run.
# Usage: bench/run-all.sh [--quick] [--no-scale] [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v rg >/dev/null || ! command -v git-secrets >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then (apt-get update -q >/dev/null 2>&1; apt-get install -y -q ripgrep git-secrets >/dev/null 2>&1) || true; fi
fi
if [ ! -x bench/.tools/node_modules/.bin/secretlint ] && command -v npm >/dev/null; then
  mkdir -p bench/.tools && (cd bench/.tools && npm install --silent --no-audit --no-fund secretlint @secretlint/secretlint-rule-preset-recommend >/dev/null 2>&1) || true
fi
dotnet build GitOpsSec.sln -c Release -v quiet -nologo >/dev/null
mkdir -p bench/results
python3 bench/suite.py bench/results/suite.md "$@"
