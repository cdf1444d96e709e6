#!/usr/bin/env python3
"""Synthetic GitOps repositories for the secret-scanning benchmark.

  generate.py tree DIR [--files 20000] [--secrets 200]    working tree of Kubernetes manifests, values and env files
  generate.py history DIR [--commits 5000]               a git repository (made with git fast-import) whose history
                                                          adds, edits and removes such files, with leaks along the way
Fake credentials only (random characters in provider formats). Deterministic (seeded).
"""
import argparse, os, random, string, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data"))
import fake_credentials  # noqa: E402  (tests/data/fake_credentials.py)

ALNUM = string.ascii_letters + string.digits

def rnd(r, chars, n): return "".join(r.choice(chars) for _ in range(n))

def github(r): return fake_credentials.github_token(r.choice)

def leak(r):
    kind = r.randrange(5)
    if kind == 0: return f"AWS_ACCESS_KEY_ID: AKIA{rnd(r, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}"
    if kind == 1: return f"GH_TOKEN: {github(r)}"
    if kind == 2: return f"SLACK_WEBHOOK: https://hooks.slack.com/services/T{rnd(r, string.ascii_uppercase + string.digits, 8)}/B{rnd(r, string.ascii_uppercase + string.digits, 10)}/{rnd(r, ALNUM, 24)}"
    if kind == 3: return f"DATABASE_URL: postgresql://app:{rnd(r, ALNUM, 18)}@db:5432/app"
    return f"STRIPE_KEY: sk_live_{rnd(r, ALNUM, 32)}"

def deployment(r, i, ns):
    name = f"svc-{i}"
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}, team: team-{i % 17}}}
spec:
  replicas: {1 + i % 4}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      serviceAccountName: {name}
      securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}
      containers:
        - name: app
          image: registry.example.internal/{name}:1.{i % 50}.{i % 7}
          ports: [{{containerPort: 8080}}]
          env:
            - name: LOG_LEVEL
              value: info
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {{name: {name}-db, key: password}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 500m, memory: 256Mi}}
          securityContext: {{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {{drop: [ALL]}}}}
"""

def configmap(r, i, ns, secret):
    lines = "\n".join(f"  KEY_{k}: value-{rnd(r, string.ascii_lowercase, 8)}" for k in range(8))
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg-{i}
  namespace: {ns}
data:
{lines}
""" + (f"  {secret}\n" if secret else "")

def values(r, i, secret):
    return f"""replicaCount: {1 + i % 3}
image:
  repository: registry.example.internal/chart-{i}
  tag: "2.{i % 9}.0"
service:
  type: ClusterIP
  port: 80
existingSecret: chart-{i}-credentials
auth:
  passwordSecretRef: chart-{i}-db
ingress:
  enabled: true
  hosts: [chart-{i}.example.internal]
""" + (f"extra:\n  {secret}\n" if secret else "")

def service(r, i, ns):
    return f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  namespace: {ns}\nspec:\n  selector: {{app: svc-{i}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"

def file_for(r, i, secret):
    ns = f"ns-{i % 200}"
    kind = i % 4
    if kind == 0: return f"apps/{ns}/svc-{i}/deployment.yaml", deployment(r, i, ns)
    if kind == 1: return f"apps/{ns}/svc-{i}/configmap.yaml", configmap(r, i, ns, secret)
    if kind == 2: return f"charts/chart-{i}/values.yaml", values(r, i, secret)
    return f"apps/{ns}/svc-{i}/service.yaml", service(r, i, ns)

def tree(args):
    r = random.Random(1)
    leaks = set(r.sample([i for i in range(args.files) if i % 4 in (1, 2)], args.secrets))  # ConfigMaps and values files
    for i in range(args.files):
        secret = leak(r) if i in leaks else None
        path, text = file_for(r, i, secret)
        full = os.path.join(args.dir, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f: f.write(text)
    print(f"{args.files} files, {args.secrets} planted leaks in {args.dir}")

def history(args):
    r = random.Random(2)
    os.makedirs(args.dir, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", args.dir], check=True)
    p = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=args.dir, stdin=subprocess.PIPE)
    w = p.stdin.write
    live = []
    t = 1700000000
    for c in range(args.commits):
        ops = []
        for _ in range(r.randint(1, 4)):
            if live and r.random() < 0.15:
                ops.append(("D", live.pop(r.randrange(len(live))), None))
            else:
                i = r.randrange(args.commits * 2)
                secret = leak(r) if r.random() < 0.02 else None
                path, text = file_for(r, i, secret)
                live.append(path)
                ops.append(("M", path, text))
        msg = f"OPS-{c}: change {len(ops)} file(s)\n".encode()
        t += 600
        w(f"commit refs/heads/main\ncommitter Bench <bench@example.com> {t} +0000\ndata {len(msg)}\n".encode() + msg)
        for op, path, text in ops:
            if op == "D": w(f"D {path}\n".encode())
            else:
                data = text.encode(); w(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        w(b"\n")
    p.stdin.close(); p.wait()
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=args.dir, check=True)
    print(f"{args.commits} commits in {args.dir}")

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("tree"); a.add_argument("dir"); a.add_argument("--files", type=int, default=20000); a.add_argument("--secrets", type=int, default=200)
    b = sub.add_parser("history"); b.add_argument("dir"); b.add_argument("--commits", type=int, default=5000)
    args = ap.parse_args()
    tree(args) if args.cmd == "tree" else history(args)
