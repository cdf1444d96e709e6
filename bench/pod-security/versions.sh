#!/usr/bin/env bash
# Pod Security per version costs nothing measurable: Test-GitOpsManifest over 10,000 pods at three
# Kubernetes versions, side by side in one run with the same command of a reference revision of GitOpsSec
# that had one snapshot of the standard (default e149b82, before per-version checks). Whole processes,
# median of N runs; prints the ratios.
# Usage: bench/pod-security/versions.sh [reference-revision] [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
ref=${1:-e149b82}
runs=${2:-5}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/ref" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

python3 - "$work/pods" <<'PY'
import os, sys
root = sys.argv[1]
for i in range(10000):
    d = os.path.join(root, f"ns{i % 50}")
    os.makedirs(d, exist_ok=True)
    extra = ["    securityContext: {privileged: true}", "    securityContext: {runAsUser: 0}", "    ports: [{containerPort: 80, hostPort: 80}]", ""][i % 4]
    with open(os.path.join(d, f"pod{i}.yaml"), "w") as f:
        f.write(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: ns{i % 50}}}\nspec:\n  securityContext:\n"
                f"    sysctls: [{{name: net.ipv4.tcp_rmem, value: '4096'}}]\n  containers:\n  - name: c\n    image: nginx:1.27\n{extra}\n")
PY

dotnet build GitOpsSec.sln -c Release -v q >/dev/null
git worktree add -q "$work/ref" "$ref"
(cd "$work/ref" && dotnet build src/GitOpsSec.Cli -c Release -v q >/dev/null)
new="dotnet src/GitOpsSec.Cli/bin/Release/net10.0/GitOpsSec.Cli.dll"
old="dotnet $work/ref/src/GitOpsSec.Cli/bin/Release/net10.0/GitOpsSec.Cli.dll"

# Interleaved rounds (each command once per round, in turn), so that a slow moment of the machine falls on all
# of them alike; the median of the rounds per command.
labels=("reference $ref (one snapshot)" "this tree, -KubernetesVersion v1.25" "this tree, -KubernetesVersion v1.30" "this tree, -KubernetesVersion latest")
commands=("$old|Test-GitOpsManifest -Path '$work/pods' -NoRender"
          "$new|Test-GitOpsManifest -Path '$work/pods' -NoRender -KubernetesVersion v1.25"
          "$new|Test-GitOpsManifest -Path '$work/pods' -NoRender -KubernetesVersion v1.30"
          "$new|Test-GitOpsManifest -Path '$work/pods' -NoRender -KubernetesVersion latest")
declare -A times
for round in $(seq "$runs"); do
  for i in "${!commands[@]}"; do
    exe=${commands[$i]%%|*}; arg=${commands[$i]#*|}
    s=$(date +%s.%N); $exe "$arg" >/dev/null; e=$(date +%s.%N)
    times[$i]="${times[$i]:-} $(python3 -c "print($e-$s)")"
  done
done
median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.2f}")' "$@"; }
base=$(median ${times[0]})
printf '%-38s %8s %9s %7s\n' "Test-GitOpsManifest, 10,000 pods" "seconds" "findings" "ratio"
for i in "${!commands[@]}"; do
  exe=${commands[$i]%%|*}; arg=${commands[$i]#*|}
  t=$(median ${times[$i]})
  n=$($exe "$arg" | grep -c GOS1 || true)
  printf '%-38s %8s %9s %7s\n' "${labels[$i]}" "$t" "$n" "$(python3 -c "print(f'{$t/$base:.2f}')")"
done
