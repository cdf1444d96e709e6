#!/usr/bin/env bash
# Secret-scanning benchmark against rg, git-secrets and secretlint, side by side in one run.
# Usage: bench/run-secrets.sh [--runs N] [--files N] [--commits N]     (writes bench/results/secrets.md)
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
python3 bench/secrets/compare.py src/GitOpsSec.Cli/bin/Release/net10.0/gitopssec bench/results/secrets.md "$@"
