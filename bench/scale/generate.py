#!/usr/bin/env python3
"""A synthetic GitOps monorepo for the scale measurements of Test-GitOpsRepo.

  generate.py DIR [--manifests 100000] [--namespaces 200] [--commits 20000] [--kustomize 20] [--units] [--seed 7]

DIR becomes a git repository (written with git fast-import, so 20,000 commits take seconds) whose HEAD
holds --manifests manifest files spread over --namespaces namespaces: per namespace a Namespace, a
default-deny NetworkPolicy (for three namespaces in four), a Role and RoleBinding, and apps made of a
Deployment, a Service and a ConfigMap. The history adds the files a few per commit and, along the way,
bumps image tags, so every commit changes something. About one workload in 50 is privileged, one in 20
uses :latest, one ConfigMap in 500 carries a fake credential (a made-up token with a valid checksum) and
the first --kustomize apps are built from a kustomize base and a prod overlay. With --units the tree is a
GitOps repository: an Argo CD app-of-apps (argocd/root.yaml) with one Application per even namespace
(apps/<ns>, recursive), a Flux Kustomization per odd namespace (targetNamespace), the flux bootstrap folder,
and the app manifests without metadata.namespace, so the namespace comes from their unit. Deterministic for a seed.
"""
import argparse, os, random, string, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data"))
import fake_credentials  # noqa: E402  (tests/data/fake_credentials.py)

p = argparse.ArgumentParser()
p.add_argument("dir")
p.add_argument("--manifests", type=int, default=100000)
p.add_argument("--namespaces", type=int, default=200)
p.add_argument("--commits", type=int, default=20000)
p.add_argument("--kustomize", type=int, default=20)
p.add_argument("--units", action="store_true")
p.add_argument("--seed", type=int, default=7)
a = p.parse_args()
r = random.Random(a.seed)
ALNUM = string.ascii_letters + string.digits

def github(): return fake_credentials.github_token(r.choice)

def ns_line(ns): return "" if a.units else f"  namespace: {ns}\n"

def deployment(ns, app, tag):
    privileged = r.random() < 0.02
    image = f"registry.example.com/{ns}/{app}:" + ("latest" if r.random() < 0.05 else tag)
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
{ns_line(ns)}  labels: {{app: {app}, team: {ns}}}
spec:
  replicas: {r.choice([1, 2, 3])}
  selector:
    matchLabels: {{app: {app}}}
  template:
    metadata:
      labels: {{app: {app}, team: {ns}}}
    spec:
      automountServiceAccountToken: false
      securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}
      containers:
        - name: {app}
          image: {image}
          ports: [{{containerPort: 8080}}]
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 500m, memory: 256Mi}}
          readinessProbe: {{httpGet: {{path: /ready, port: 8080}}}}
          livenessProbe: {{httpGet: {{path: /alive, port: 8080}}}}
          securityContext:
            allowPrivilegeEscalation: {"true" if privileged else "false"}
            privileged: {"true" if privileged else "false"}
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
"""

def service(ns, app):
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {app}
{ns_line(ns)}spec:
  selector: {{app: {app}}}
  ports: [{{port: 80, targetPort: 8080}}]
"""

def configmap(ns, app):
    extra = f"\n  GITHUB_TOKEN: {github()}" if r.random() < 0.002 else ""
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config
{ns_line(ns)}data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "a,b,c"{extra}
"""

def namespace_files(i, ns):
    files = {f"namespaces/{ns}/namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels: {{pod-security.kubernetes.io/enforce: restricted}}\n"}
    if i % 4 != 0:
        files[f"namespaces/{ns}/default-deny.yaml"] = f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n"
    files[f"namespaces/{ns}/rbac.yaml"] = f"""apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: deployer
  namespace: {ns}
rules:
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get, list, watch, update, patch]
  - apiGroups: [""]
    resources: [{"secrets" if i % 10 == 0 else "configmaps"}]
    verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: deployer
  namespace: {ns}
subjects:
  - kind: ServiceAccount
    name: ci
    namespace: {ns}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: deployer
"""
    return files

# Plan the final tree: namespace files first, then apps (3 files each) round-robin over namespaces.
plan = []  # (path, content function)
namespaces = [f"ns-{i:03d}" for i in range(a.namespaces)]
for i, ns in enumerate(namespaces):
    for path, text in namespace_files(i, ns).items():
        plan.append((path, (lambda t: lambda tag: t)(text)))
def units(i, ns):
    if i % 2 == 0:
        return {f"argocd/apps/{ns}.yaml": f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {ns}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/platform/fleet.git
    targetRevision: HEAD
    path: apps/{ns}
    directory: {{recurse: true}}
  destination: {{server: https://kubernetes.default.svc, namespace: {ns}}}
  syncPolicy: {{automated: {{prune: true, selfHeal: true}}}}
"""}
    return {f"clusters/prod/{ns}.yaml": f"""apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {ns}
  namespace: flux-system
spec:
  path: ./apps/{ns}
  targetNamespace: {ns}
  serviceAccountName: {ns}-reconciler
  prune: true
  sourceRef: {{kind: GitRepository, name: flux-system}}
"""}

if a.units:
    plan.append(("argocd/root.yaml", lambda tag: """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: root, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://git.example.com/platform/fleet.git, targetRevision: HEAD, path: argocd/apps}
  destination: {server: https://kubernetes.default.svc, namespace: argocd}
"""))
    plan.append(("clusters/prod/flux-system/gotk-components.yaml", lambda tag: "# written by flux bootstrap\n"))
    for i, ns in enumerate(namespaces):
        for path, text in units(i, ns).items():
            plan.append((path, (lambda t: lambda tag: t)(text)))
app = 0
while len(plan) < a.manifests:
    ns = namespaces[app % len(namespaces)]
    name = f"app-{app:05d}"
    kustomized = app < a.kustomize
    base = f"apps/{ns}/{name}/base" if kustomized else f"apps/{ns}/{name}"
    plan.append((f"{base}/deployment.yaml", (lambda ns, n: lambda tag: deployment(ns, n, tag))(ns, name)))
    plan.append((f"{base}/service.yaml", (lambda ns, n: lambda tag: service(ns, n))(ns, name)))
    plan.append((f"{base}/configmap.yaml", (lambda ns, n: lambda tag: configmap(ns, n))(ns, name)))
    if kustomized:
        plan.append((f"{base}/kustomization.yaml", lambda tag: "resources: [deployment.yaml, service.yaml, configmap.yaml]\n"))
        plan.append((f"apps/{ns}/{name}/overlays/prod/kustomization.yaml", lambda tag: "resources: [../../base]\nlabels:\n  - pairs: {env: prod}\n"))
    app += 1
plan = plan[:max(a.manifests, 1)]
deployments = [path for path, _ in plan if path.endswith("deployment.yaml")]

os.makedirs(a.dir, exist_ok=True)
subprocess.run(["git", "init", "-q", "-b", "main", a.dir], check=True)
fi = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=a.dir, stdin=subprocess.PIPE)
out = fi.stdin
def data(text):
    b = text.encode()
    out.write(b"data %d\n" % len(b)); out.write(b); out.write(b"\n")

per_commit = max(1, -(-len(plan) // max(1, a.commits)))
added = 0
t = 1767225600  # 2026-01-01
for c in range(a.commits):
    out.write(b"commit refs/heads/main\n")
    out.write(f"mark :{c + 1}\n".encode())
    who = f"dev{c % 37} <dev{c % 37}@example.com>"
    out.write(f"author {who} {t + c * 60} +0000\ncommitter {who} {t + c * 60} +0000\n".encode())
    data(f"{'feat' if added < len(plan) else 'chore'}: change {c} (OPS-{1000 + c % 900})\n")
    if c > 0:
        out.write(f"from :{c}\n".encode())
    if added < len(plan):
        for path, make in plan[added:added + per_commit]:
            out.write(f"M 644 inline {path}\n".encode()); data(make("1.0.0"))
        added += per_commit
    elif deployments:
        path = deployments[r.randrange(len(deployments))]
        ns, name = path.split("/")[1], path.split("/")[2]
        out.write(f"M 644 inline {path}\n".encode()); data(deployment(ns, name, f"1.{c % 100}.0"))
# anything not yet added lands in one last commit
if added < len(plan):
    out.write(b"commit refs/heads/main\n")
    out.write(f"author gen <gen@example.com> {t} +0000\ncommitter gen <gen@example.com> {t} +0000\n".encode())
    data("chore: rest of the tree\n")
    out.write(f"from :{a.commits}\n".encode())
    for path, make in plan[added:]:
        out.write(f"M 644 inline {path}\n".encode()); data(make("1.0.0"))
out.write(b"done\n")
out.close()
if fi.wait() != 0:
    sys.exit("git fast-import failed")
subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=a.dir, check=True)
if a.units:
    subprocess.run(["git", "remote", "add", "origin", "https://git.example.com/platform/fleet.git"], cwd=a.dir, check=True)
print(f"{a.dir}: {len(plan):,} manifest files, {a.namespaces} namespaces, {a.commits:,} commits")
