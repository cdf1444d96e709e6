#!/usr/bin/env bash
# Signature verification: Test-CommitSignature next to `git log --format=%G?` on the same history of
# SSH-signed commits (made by bench/GitOpsSec.Bench --signed-history), same trust, one run.
# Usage: bench/run-signatures.sh [COMMITS]   (default 10000; git needs about 3 minutes for 10,000 here)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
dotnet build GitOpsSec.sln -c Release -v quiet -nologo >/dev/null
dotnet build bench/GitOpsSec.Bench -c Release -v quiet -nologo >/dev/null
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
dotnet bench/GitOpsSec.Bench/bin/Release/net10.0/GitOpsSec.Bench.dll --signed-history "$work/repo" "$n"
host="$PWD/src/GitOpsSec.Cli/bin/Release/net10.0/gitopssec"
now() { date +%s.%N; }
t0=$(now); ours=$("$host" "(Test-CommitSignature -Path '$work/repo' -AllowedSignersFile '$work/repo/.allowed_signers' | Where-Object Status -eq Good).Count"); t1=$(now)
git_good=$(cd "$work/repo" && git -c gpg.ssh.allowedSignersFile="$work/repo/.allowed_signers" log --format=%G? | grep -c '^G$'); t2=$(now)
mkdir -p bench/results
python3 - "$n" "$ours" "$git_good" "$t0" "$t1" "$t2" > bench/results/signatures.md <<'PY'
import sys, os, platform
n, ours, git, t0, t1, t2 = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), *map(float, sys.argv[4:])
a, b = t1 - t0, t2 - t1
print(f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}; {n:,} SSH-signed commits, whole processes.\n")
print("| tool | seconds | commits/s | Good | ratio |\n|---|---:|---:|---:|---:|")
print(f"| gitopssec Test-CommitSignature (in-process SSHSIG) | {a:.2f} | {n/a:,.0f} | {ours:,} | 1.00x |")
print(f"| git log --format=%G? (ssh-keygen per commit) | {b:.2f} | {n/b:,.0f} | {git:,} | {b/a:.1f}x slower |")
PY
cat bench/results/signatures.md
[ "$ours" = "$n" ] && [ "$git_good" = "$n" ] || { echo "verdicts differ: gitopssec $ours, git $git_good, of $n" >&2; exit 1; }
