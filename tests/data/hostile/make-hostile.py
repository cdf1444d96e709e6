#!/usr/bin/env python3
"""Writes the hostile-input corpus GitOpsSec's hardening tests run every file- and repo-reading cmdlet over.

Usage: make-hostile.py OUT_DIR

OUT_DIR/files   a folder tree: good manifests next to YAML bombs, bad encodings, NUL bytes, CR/CRLF line
                endings, a 12 MB file, a 9 MB single-line file, symlink loops, symlinks out of the tree,
                a dangling symlink, a named pipe, an unreadable file, odd file names, LFS pointers
OUT_DIR/outside a folder the symlinks in files/ point into; nothing in it may be read through them
OUT_DIR/repos   git repositories: corrupt (a damaged object), shallow, bare, with a submodule, with LFS pointers

Large and special files (pipes, symlinks, permissions, repositories) cannot live in git, so the corpus is
generated; the small samples of the same kinds are written here too so that one script describes it all.
Every credential below is fake: made-up tokens with valid shapes, for scanner tests only.
"""
import os, subprocess, sys, stat
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import fake_credentials  # noqa: E402  (tests/data/fake_credentials.py)

out = os.path.abspath(sys.argv[1])
files = os.path.join(out, "files")
outside = os.path.join(out, "outside")
repos = os.path.join(out, "repos")
for d in (files, outside, repos):
    os.makedirs(d, exist_ok=True)

# A fake GitHub token with a valid CRC32 checksum (the scanner validates it), built, not pasted.
def fake_github_token(seed):
    alphabet = fake_credentials.ALNUM
    picks = iter(alphabet[(seed * 7 + i * 13) % len(alphabet)] for i in range(30))
    return fake_credentials.github_token(lambda _: next(picks))

def write(rel, data, mode="w", newline=None):
    path = os.path.join(files, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, bytes):
        with open(path, "wb") as f:
            f.write(data)
    else:
        with open(path, "w", encoding="utf-8", newline=newline) as f:
            f.write(data)
    return path

def deployment(name, privileged=True):
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: hostile
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/{name}:1.0
          securityContext:
            privileged: {"true" if privileged else "false"}
"""

# ---- good items next to the bad ones: each must still be read ----
write("good/deployment.yaml", deployment("good-app"))
write("good/config.yaml", f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: good-config
  namespace: hostile
data:
  GITHUB_TOKEN: {fake_github_token(1)}
""")
write("good/rbac.yaml", """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secret-reader
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ci-reads-secrets
subjects:
  - kind: ServiceAccount
    name: ci
    namespace: hostile
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: secret-reader
""")
write("good/netpol.yaml", """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: hostile
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
""")

# ---- YAML bombs ----
laughs = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
for i in range(1, 10):
    laughs.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 9) + "]")
write("bombs/billion-laughs.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: laughs}\ndata:\n" +
      "\n".join("  " + l for l in laughs) + "\n")
write("bombs/deep-nesting.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: " + "[" * 5000 + "]" * 5000 + "\n")
write("bombs/deep-block-nesting.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep-block}\nx:\n" +
      "".join("  " * (i + 1) + f"k{i}:\n" for i in range(400)) + "  " * 401 + "end: 1\n")
write("bombs/many-documents.yaml", "---\n{}\n" * 20000)

# ---- sizes ----
write("large/over-limit.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: " + b"A" * (12 * 1024 * 1024) + b"\n")
write("large/nine-mb-one-line.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: long-line}\ndata: {blob: \"" + b"x" * (9 * 1024 * 1024) + b"\"}\n")
write("large/one-line-json.json", b"[" + b",".join(b"{\"k\":%d}" % i for i in range(400000)) + b"]")

# ---- encodings and bytes ----
write("encoding/invalid-utf8.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad-bytes}\ndata: {k: \"\xff\xfe\xc3\x28\"}\n")
write("encoding/utf16-bom.yaml", "\ufeff" .encode("utf-16-le") + deployment("utf16-app", privileged=True).encode("utf-16-le"))
write("encoding/utf8-bom.yaml", b"\xef\xbb\xbf" + deployment("bom-app", privileged=True).encode())
write("encoding/nul-bytes.yaml", b"apiVersion: v1\nkind: ConfigMap\x00\x00\x00\nmetadata: {name: nul}\n")
write("encoding/random-binary.bin", bytes((i * 131 + 7) % 256 for i in range(65536)))
write("encoding/crlf.yaml", deployment("crlf-app").replace("\n", "\r\n"))
write("encoding/cr-only.yaml", deployment("cr-app").replace("\n", "\r"))
write("encoding/tabs-and-junk.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabbed\n")
write("encoding/duplicate-keys.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\ndata: {a: 1, a: 2}\n")
write("encoding/empty.yaml", "")
write("encoding/only-separators.yaml", "---\n---\n...\n---\n")
write("encoding/scalar-document.yaml", "just a string\n---\n- a\n- list\n")

# ---- odd file names (valid manifests: they must be read) ----
write("names/with spaces.yaml", deployment("spaced-app"))
write("names/d\u00e9ploiement-\u65e5\u672c.yaml", deployment("unicode-app"))
write("names/new\nline.yaml", deployment("newline-app"))
write("names/-starts-with-dash.yaml", deployment("dash-app"))
write("names/.hidden.yaml", deployment("hidden-app"))

# ---- Git LFS pointer files: text, not manifests; never a finding ----
write("lfs/model.bin", "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
write("lfs/values.yaml", "version https://git-lfs.github.com/spec/v1\noid sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\nsize 87\n")

# ---- symlinks, pipes, permissions ----
with open(os.path.join(outside, "outside-secret.yaml"), "w") as f:
    f.write(f"apiVersion: v1\nkind: Secret\nmetadata: {{name: outside-secret}}\nstringData:\n  token: {fake_github_token(2)}\n")
os.makedirs(os.path.join(outside, "dir"), exist_ok=True)
with open(os.path.join(outside, "dir", "outside-deploy.yaml"), "w") as f:
    f.write(deployment("outside-app"))
links = os.path.join(files, "links")
os.makedirs(links, exist_ok=True)
def link(target, name):
    path = os.path.join(links, name)
    if os.path.lexists(path):
        os.remove(path)
    os.symlink(target, path)
link(os.path.join(outside, "outside-secret.yaml"), "to-outside-file.yaml")
link("../../outside/outside-secret.yaml", "relative-escape.yaml")
link(os.path.join(outside, "dir"), "to-outside-dir")
link("loop-b.yaml", "loop-a.yaml")
link("loop-a.yaml", "loop-b.yaml")
link(".", "self-dir")
link("..", "parent-dir")
link("does-not-exist.yaml", "dangling.yaml")
link("../good/deployment.yaml", "inside.yaml")
fifo = os.path.join(files, "special", "pipe.yaml")
os.makedirs(os.path.dirname(fifo), exist_ok=True)
if not os.path.exists(fifo):
    os.mkfifo(fifo)
unreadable = write("special/unreadable.yaml", deployment("unreadable-app"))
os.chmod(unreadable, 0)

# ---- kustomizations that point out of the tree or at nothing ----
write("kustomize/escape/kustomization.yaml", "resources:\n  - ../../../outside/dir/outside-deploy.yaml\n")
write("kustomize/missing/kustomization.yaml", "resources:\n  - nothing-here.yaml\n")

# ---- repositories ----
def git(cwd, *args, env=None):
    e = dict(os.environ, GIT_AUTHOR_NAME="Hostile", GIT_AUTHOR_EMAIL="hostile@example.com",
             GIT_COMMITTER_NAME="Hostile", GIT_COMMITTER_EMAIL="hostile@example.com",
             GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    return subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always", *args],
                          cwd=cwd, env=e, check=True, capture_output=True, text=True).stdout

def make_repo(name, commits):
    path = os.path.join(repos, name)
    os.makedirs(path, exist_ok=True)
    git(path, "init", "-q")
    for i in range(commits):
        with open(os.path.join(path, f"app-{i}.yaml"), "w") as f:
            f.write(deployment(f"{name}-app-{i}"))
        if i == 1:
            with open(os.path.join(path, "leak.yaml"), "w") as f:
                f.write(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: leak}}\ndata:\n  GITHUB_TOKEN: {fake_github_token(3)}\n")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", f"{name}: change {i} (OPS-{i + 1})")
    return path

origin = make_repo("origin", 6)
git(repos, "clone", "-q", "--depth", "2", "file://" + origin, "shallow")
git(repos, "clone", "-q", "--bare", origin, "bare.git")

# corrupt: damage the loose object of the blob app-0.yaml holds (its first version)
corrupt = make_repo("corrupt", 4)
blob = git(corrupt, "rev-parse", "HEAD~3:app-0.yaml").strip()
obj = os.path.join(corrupt, ".git", "objects", blob[:2], blob[2:])
os.chmod(obj, stat.S_IWUSR | stat.S_IRUSR)
with open(obj, "r+b") as f:
    f.seek(10)
    f.write(b"\x00garbage\x00garbage")

# submodule: a gitlink to origin
sub = make_repo("with-submodule", 2)
git(sub, "submodule", "add", "-q", "file://" + origin, "vendor/origin")
git(sub, "commit", "-q", "-m", "vendor origin as a submodule")

# LFS pointers committed with their .gitattributes, no git-lfs needed
lfs = make_repo("with-lfs", 1)
with open(os.path.join(lfs, ".gitattributes"), "w") as f:
    f.write("*.bin filter=lfs diff=lfs merge=lfs -text\n")
with open(os.path.join(lfs, "model.bin"), "w") as f:
    f.write("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
git(lfs, "add", "-A")
git(lfs, "commit", "-q", "-m", "model weights via LFS")
print(out)
