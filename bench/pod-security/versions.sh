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
# of them alike; per command the median wall time and the median CPU time (user + system, of the whole process
# tree: less sensitive to what else the machine does).
python3 - "$runs" "$ref" "$old" "$new" "$work/pods" <<'PY'
import os, shlex, statistics, subprocess, sys, time
runs, ref, old, new, pods = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
commands = [
    (f"reference {ref} (one snapshot)", old, f"Test-GitOpsManifest -Path '{pods}' -NoRender"),
    ("this tree, -KubernetesVersion v1.25", new, f"Test-GitOpsManifest -Path '{pods}' -NoRender -KubernetesVersion v1.25"),
    ("this tree, -KubernetesVersion v1.30", new, f"Test-GitOpsManifest -Path '{pods}' -NoRender -KubernetesVersion v1.30"),
    ("this tree, -KubernetesVersion latest", new, f"Test-GitOpsManifest -Path '{pods}' -NoRender -KubernetesVersion latest"),
]
wall = {c[0]: [] for c in commands}
cpu = {c[0]: [] for c in commands}
for _ in range(runs):
    for label, exe, arg in commands:
        before = os.times()
        start = time.monotonic()
        subprocess.run(shlex.split(exe) + [arg], stdout=subprocess.DEVNULL, check=True)
        wall[label].append(time.monotonic() - start)
        after = os.times()
        cpu[label].append((after.children_user - before.children_user) + (after.children_system - before.children_system))
findings = {label: subprocess.run(shlex.split(exe) + [arg], capture_output=True, text=True).stdout.count("GOS1") for label, exe, arg in commands}
base_wall, base_cpu = statistics.median(wall[commands[0][0]]), statistics.median(cpu[commands[0][0]])
print(f"{'Test-GitOpsManifest, 10,000 pods':<38} {'wall s':>7} {'ratio':>6} {'cpu s':>7} {'ratio':>6} {'findings':>9}")
for label, _, _ in commands:
    w, c = statistics.median(wall[label]), statistics.median(cpu[label])
    print(f"{label:<38} {w:7.2f} {w / base_wall:6.2f} {c:7.2f} {c / base_cpu:6.2f} {findings[label]:9}")
PY
