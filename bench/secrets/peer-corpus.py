#!/usr/bin/env python3
"""Recall and false positives on an independent corpus: the literal test inputs of two peer scanners.

The inputs are read at run time from local clones of gitleaks (cmd/generate/config/rules/*.go: the
literal strings of each rule's `tps` and `fps` lists) and trufflehog (pkg/detectors/*/*_test.go: pattern
tests' literal `input:` with a non-empty `want:` is a credential, with `want: nil` or an empty list a
near-miss). Nothing from them is stored in this repository; randomly generated samples
(GenerateSampleSecrets, fmt.Sprintf) are skipped, only literals written by the peers' authors count.

Usage: peer-corpus.py GITOPSSEC_HOST GITLEAKS_CLONE TRUFFLEHOG_CLONE [--out report.md] [--misses N]
  (clones: `git clone https://github.com/gitleaks/gitleaks`, `.../trufflesecurity/trufflehog`; bare
  repositories work too: files are read with `git show HEAD:path`)
A credential counts as found when gitopssec reports anything in its input; a near-miss counts as a false
positive when gitopssec reports anything in it.
"""
import argparse, collections, json, os, re, shutil, subprocess, sys, tempfile

def git_files(repo, prefix, suffix):
    out = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD", prefix], capture_output=True, text=True, check=True).stdout
    return [p for p in out.splitlines() if p.endswith(suffix)]

def git_show(repo, path):
    return subprocess.run(["git", "-C", repo, "show", "HEAD:" + path], capture_output=True, check=True).stdout.decode("utf-8", "replace")

GO_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}

def go_literals(src, start, end):
    """The Go string literals in src[start:end] that stand alone (not inside a call), skipping // comments."""
    out, i, depth = [], start, 0
    while i < end:
        c = src[i]
        if src.startswith("//", i):
            i = src.find("\n", i) if src.find("\n", i) != -1 else end
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "`":
            j = src.find("`", i + 1)
            if depth == 0 and standalone(src, i, j + 1): out.append(src[i + 1:j])
            i = j + 1
            continue
        elif c == '"':
            j, buf = i + 1, []
            while j < len(src) and src[j] != '"':
                if src[j] == "\\" and j + 1 < len(src):
                    nxt = src[j + 1]
                    if nxt == "x":
                        buf.append(chr(int(src[j + 2:j + 4], 16))); j += 4; continue
                    buf.append(GO_ESCAPES.get(nxt, nxt)); j += 2; continue
                buf.append(src[j]); j += 1
            if depth == 0 and standalone(src, i, j + 1): out.append("".join(buf))
            i = j + 1
            continue
        i += 1
    return out

def standalone(src, start, end):
    """A literal that is a whole list element: not one piece of a concatenation or an argument of a call."""
    before = src[:start].rstrip()
    after = src[end:].lstrip()
    return (not before or before[-1] in ",{(") and (not after or after[0] in ",})")

def block_end(src, open_at):
    """Index of the bracket closing the one at open_at (strings and comments skipped)."""
    depth, i = 0, open_at
    while i < len(src):
        c = src[i]
        if src.startswith("//", i):
            i = src.find("\n", i); continue
        if c == "`":
            i = src.find("`", i + 1) + 1; continue
        if c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            i = j + 1; continue
        if c in "([{": depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0: return i
        i += 1
    return len(src)

def gitleaks_cases(repo):
    for path in git_files(repo, "cmd/generate/config/rules", ".go"):
        provider = os.path.basename(path)[:-3]
        src = git_show(repo, path)
        for m in re.finditer(r"\b(tps|fps)\s*(?::=|=)\s*(append\(\s*(?:tps|fps)\s*,|\[\]string\s*\{)", src):
            open_at = src.rfind("(", m.start(), m.end()) if m.group(2).startswith("append") else m.end() - 1
            body_start = m.end()
            for lit in go_literals(src, body_start, block_end(src, open_at)):
                if lit.strip():
                    yield ("gitleaks", provider, m.group(1) == "tps", lit)

def trufflehog_cases(repo):
    for path in git_files(repo, "pkg/detectors", "_test.go"):
        if "integration" in path or path.count("/") != 3:
            continue
        provider = path.split("/")[2]
        src = git_show(repo, path)
        for m in re.finditer(r"\binput:\s*(`[^`]*`|\"(?:[^\"\\\n]|\\.)*\")\s*,\s*\n\s*want:\s*([^\n]*)", src):
            lit = go_literals(m.group(1), 0, len(m.group(1)))
            if not lit or not lit[0].strip():
                continue
            want = m.group(2).strip()
            positive = not (want.startswith("nil") or re.match(r"\[\]string\{\s*\}", want))
            yield ("trufflehog", provider, positive, lit[0])

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host"); ap.add_argument("gitleaks"); ap.add_argument("trufflehog")
    ap.add_argument("--out"); ap.add_argument("--misses", type=int, default=0)
    a = ap.parse_args()
    cases = list(gitleaks_cases(a.gitleaks)) + list(trufflehog_cases(a.trufflehog))
    work = tempfile.mkdtemp(prefix="gos-peer-corpus-")
    names = {}
    for n, (peer, provider, positive, text) in enumerate(cases):
        rel = f"{peer}/{provider}/{'tp' if positive else 'fp'}-{n}.txt"
        os.makedirs(os.path.dirname(os.path.join(work, rel)), exist_ok=True)
        with open(os.path.join(work, rel), "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(text + "\n")
        names[rel] = (peer, provider, positive)
    p = subprocess.run([os.path.abspath(a.host), "secrets", "--json", "--no-ignore", work], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        p = subprocess.run([os.path.abspath(a.host), "secrets", "--json", work], capture_output=True, text=True)
    hit = collections.defaultdict(list)
    for line in p.stdout.splitlines():
        try:
            o = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "Path" in o: hit[o["Path"].replace("\\", "/")].append(o["RuleName"])
    rows = collections.defaultdict(lambda: [0, 0, 0, 0])   # (peer, provider) -> tp, found, fp, flagged
    misses, flagged = [], []
    for rel, (peer, provider, positive) in names.items():
        r = rows[(peer, provider)]
        if positive:
            r[0] += 1
            if hit.get(rel): r[1] += 1
            else: misses.append(rel)
        else:
            r[2] += 1
            if hit.get(rel):
                r[3] += 1; flagged.append((rel, hit[rel]))
    lines = []
    for peer in ("gitleaks", "trufflehog"):
        tp = sum(r[0] for (p_, _), r in rows.items() if p_ == peer); found = sum(r[1] for (p_, _), r in rows.items() if p_ == peer)
        fp = sum(r[2] for (p_, _), r in rows.items() if p_ == peer); fl = sum(r[3] for (p_, _), r in rows.items() if p_ == peer)
        provs = len({pr for (p_, pr), r in rows.items() if p_ == peer and r[0]})
        lines.append(f"| {peer} | {provs} | {found} / {tp} ({100 * found / max(tp, 1):.1f}%) | {fl} / {fp} ({100 * fl / max(fp, 1):.1f}%) |")
    report = ["| peer test inputs | providers with credentials | credentials found (recall) | near-misses flagged (FP rate) |",
              "|---|---:|---:|---:|"] + lines
    report += ["", "| peer | provider | credentials | found | near-misses | flagged |", "|---|---|---:|---:|---:|---:|"]
    for (peer, provider), r in sorted(rows.items()):
        report.append(f"| {peer} | {provider} | {r[0]} | {r[1]} | {r[2]} | {r[3]} |")
    text = "\n".join(report) + "\n"
    if a.out:
        with open(a.out, "w") as f: f.write(text)
    print("\n".join(report[:4]))
    for rel in misses[:a.misses]:
        print("MISS", rel, open(os.path.join(work, rel), encoding="utf-8", errors="replace").read()[:160].replace("\n", "⏎"))
    for rel, rules in flagged[:a.misses]:
        print("FP", rel, rules, open(os.path.join(work, rel), encoding="utf-8", errors="replace").read()[:160].replace("\n", "⏎"))
    shutil.rmtree(work)

if __name__ == "__main__":
    main()
