#!/usr/bin/env bash
# Secret-scanning benchmark against rg, git-secrets and secretlint, side by side in one run.
# Usage: bench/run-secrets.sh [--runs N] [--files N] [--commits N]     (writes bench/results/secrets.md)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/peers.sh
python3 bench/secrets/compare.py src/GitOpsSec.Cli/bin/Release/net10.0/gitopssec bench/results/secrets.md "$@"
