#!/usr/bin/env python3
"""Agreement with Kubernetes' own Pod Security admission test data, per level and version.

The data is not part of this repository: export it from kubernetes/pod-security-admission yourself
(git archive HEAD test/testdata | tar -x -C /tmp/psa-upstream), then run
    python3 bench/pod-security/upstream-agreement.py /tmp/psa-upstream/test/testdata
Each pass/ file must get no Pod Security finding at its level and version, each fail/ file at least one.
It runs the `gitopssec` host (built by `dotnet build GitOpsSec.sln -c Release`) once per folder.
"""
import collections
import json
import os
import subprocess
import sys

root = sys.argv[1]
repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
host = ["dotnet", os.path.join(repo, "src/GitOpsSec.Cli/bin/Release/net10.0/GitOpsSec.Cli.dll"), "--format", "json"]
agree = collections.Counter()
total = collections.Counter()
wrong = []
for level in ("baseline", "restricted"):
    for version in sorted(os.listdir(os.path.join(root, level)), key=lambda v: int(v.split(".")[1])):
        for outcome in ("pass", "fail"):
            folder = os.path.join(root, level, version, outcome)
            if not os.path.isdir(folder):
                continue
            files = sorted(f for f in os.listdir(folder) if f.endswith(".yaml"))
            command = f"Test-GitOpsManifest -Path '{folder}' -NoRender -Level {level.capitalize()} -KubernetesVersion {version} -Rule GOS10*, GOS11*"
            out = subprocess.run(host + [command], capture_output=True, text=True, check=False).stdout.strip()
            findings = json.loads(out) if out else []
            findings = findings if isinstance(findings, list) else [findings]
            flagged = collections.defaultdict(set)
            for f in findings:
                flagged[f["Path"]].add(f["RuleId"])
            for name in files:
                ok = (not flagged[name]) if outcome == "pass" else bool(flagged[name])
                total[version] += 1
                agree[version] += ok
                if not ok:
                    wrong.append(f"{level} {version} {outcome}/{name}: {sorted(flagged[name])}")
print("version  agreement")
for version in sorted(total, key=lambda v: int(v.split(".")[1])):
    print(f"{version:<8} {agree[version]}/{total[version]}")
print(f"all      {sum(agree.values())}/{sum(total.values())}")
for line in wrong:
    print("disagrees:", line)
