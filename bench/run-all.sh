#!/usr/bin/env bash
# The whole benchmark suite in one command: builds, runs every side-by-side comparison (bench/suite.py) and
# writes one Markdown report to bench/results/suite.md. Takes about 10 minutes on 2 cores; --quick for a smoke run.
# Usage: bench/run-all.sh [--quick] [--no-scale] [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/peers.sh
python3 bench/suite.py bench/results/suite.md "$@"
