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

median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.2f}")' "$@"; }
time_runs() { # command...
  local t=()
  for _ in $(seq "$runs"); do
    local s=$(date +%s.%N); "$@" >/dev/null; local e=$(date +%s.%N)
    t+=("$(python3 -c "print($e-$s)")")
  done
  median "${t[@]}"
}
count() { "$@" | grep -c GOS1 || true; }

printf '%-34s %8s %9s\n' "command (10,000 pods)" "seconds" "findings"
base=$(time_runs $old "Test-GitOpsManifest -Path '$work/pods' -NoRender")
printf '%-34s %8s %9s\n' "reference $ref (one snapshot)" "$base" "$(count $old "Test-GitOpsManifest -Path '$work/pods' -NoRender")"
for v in v1.25 v1.30 latest; do
  t=$(time_runs $new "Test-GitOpsManifest -Path '$work/pods' -NoRender -KubernetesVersion $v")
  n=$(count $new "Test-GitOpsManifest -Path '$work/pods' -NoRender -KubernetesVersion $v")
  printf '%-34s %8s %9s   ratio %s\n' "this tree, -KubernetesVersion $v" "$t" "$n" "$(python3 -c "print(f'{$t/$base:.2f}')")"
done
