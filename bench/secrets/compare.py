#!/usr/bin/env python3
"""Secret scanning, side by side with peer tools in one run (whole processes, wall time, median of N).

Usage: compare.py GITOPSSEC_HOST OUT.md [--runs 3] [--files 20000] [--commits 5000] [--secretlint-files 1000]
Needs: python3, git; optional peers: rg (floor: the same keyword set), git-secrets, secretlint (npx, in
bench/.tools). Missing peers are reported as such, not skipped silently.
"""
import argparse, json, os, platform, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

def run(cmd, cwd=None, env=None):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - t, p

def timed(cmd, runs, cwd=None, env=None):
    times, last = [], None
    for _ in range(runs):
        t, last = run(cmd, cwd, env)
        times.append(t)
    return statistics.median(times), last

COMMON_PARTS = set("api key keys secret token app access account storage auth client http https login cloud data user pass "
                   "password times service server admin system windows com".split())

def keywords(path):
    """The detectors' prefilter words, derived as SecretDetectorCatalog derives them (keywords, else the distinctive
    part of each provider word, else a token's literal start): the floor searches for exactly what the scanner does."""
    import re, yaml
    words = set()
    for d in yaml.safe_load(open(os.path.join(ROOT, "src/GitOpsSec.Engine/Secrets/detectors.yaml")))["detectors"]:
        found = [k.lower() for k in d.get("keywords", []) + d.get("context", [])]
        if not d.get("keywords") and d.get("near"):
            for w in d["near"]:
                parts = [p for p in re.split(r"[_\-. ]", w.lower()) if p]
                good = [p for p in parts if len(p) >= 4 and p not in COMMON_PARTS]
                found.append(max(good, key=len) if good else w.strip().lower())
        elif not d.get("keywords") and d.get("token"):
            m = re.match(r"(?:\\[._~-]|[A-Za-z0-9_~:-])+", d["token"])
            if m:
                lit = m.group(0).replace("\\", "")
                if len(d["token"]) > len(m.group(0)) and d["token"][len(m.group(0))] in "{?*+":
                    lit = lit[:-1]
                if len(lit) >= 3: found.append(lit.lower())
        words.update(w for w in found if w)
    with open(path, "w") as f: f.write("\n".join(sorted(words)) + "\n")
    return len(words)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host"); ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=3); ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--commits", type=int, default=5000); ap.add_argument("--secretlint-files", type=int, default=1000)
    a = ap.parse_args()
    host = os.path.abspath(a.host)
    work = tempfile.mkdtemp(prefix="gos-bench-")
    tree, small, hist = os.path.join(work, "tree"), os.path.join(work, "small"), os.path.join(work, "history")
    gen = [sys.executable, os.path.join(HERE, "generate.py")]
    subprocess.run(gen + ["tree", tree, "--files", str(a.files), "--secrets", str(a.files // 100)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(gen + ["tree", small, "--files", str(a.secretlint_files), "--secrets", str(a.secretlint_files // 100)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(gen + ["history", hist, "--commits", str(a.commits)], check=True, stdout=subprocess.DEVNULL)
    kw = os.path.join(work, "keywords.txt"); nkw = keywords(kw)
    rows = []   # (scenario, tool, seconds, findings/notes)

    def add(scenario, tool, cmd, count, cwd=None, ok=(0,)):
        t, p = timed(cmd, a.runs, cwd)
        if p.returncode not in ok:
            rows.append((scenario, tool, None, f"failed (exit {p.returncode}): {p.stderr.strip()[:120]}")); return None
        rows.append((scenario, tool, t, count(p)))
        return t

    lines = lambda p: f"{len([l for l in p.stdout.splitlines() if l.strip()])} findings"
    for scenario, d, n in (("working tree", tree, a.files), ("working tree (small)", small, a.secretlint_files)):
        label = f"{scenario}, {n:,} files"
        # As users scan: a git working tree with a .gitignore (every tool here that honours one, honours it).
        if not os.path.isdir(os.path.join(d, ".git")):
            subprocess.run(["git", "init", "-q", d], check=True)
            with open(os.path.join(d, ".gitignore"), "w") as f: f.write("bin/\nobj/\nnode_modules/\n*.log\n.cache/\ndist/\n")
        if shutil.which("rg"):
            add(label, f"rg, {nkw} keywords (floor)", ["rg", "-i", "-F", "-l", "-f", kw, d], lambda p: f"{len(p.stdout.splitlines())} files with a keyword", ok=(0, 1))
        else:
            rows.append((label, "rg", None, "not installed (apt-get install ripgrep)"))
        add(label, "gitopssec secrets", [host, "secrets", "--json", d], lines)
        add(label, "gitopssec Find-GitOpsSecret (PowerShell host)", [host, "--json", f"Find-GitOpsSecret -Path '{d}'"], lines)
        if shutil.which("git-secrets"):
            if not subprocess.run(["git", "config", "--get-all", "secrets.patterns"], cwd=d, capture_output=True).stdout:
                subprocess.run(["git", "secrets", "--register-aws"], cwd=d, check=True, stdout=subprocess.DEVNULL)
            add(label, "git-secrets --scan -r (AWS patterns only)", ["git", "secrets", "--scan", "-r", "."],
                lambda p: f"{sum(1 for l in p.stderr.splitlines() if ':' in l and 'AKIA' in l)} AWS findings", cwd=d, ok=(0, 1))
        else:
            rows.append((label, "git-secrets", None, "not installed (apt-get install git-secrets)"))
        sl = os.path.join(HERE, "..", ".tools", "node_modules", ".bin", "secretlint")
        if n <= a.secretlint_files and os.path.exists(sl):
            with open(os.path.join(d, ".secretlintrc.json"), "w") as f: f.write('{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}')
            report = os.path.join(work, "secretlint.json")  # node cuts long stdout at exit: write a file instead
            add(label, "secretlint (preset-recommend)", [sl, "--format", "json", "--output", report, "**/*"],
                lambda p: f"{sum(len(x['messages']) for x in json.load(open(report)))} findings", cwd=d, ok=(0, 1))
        elif n <= a.secretlint_files:
            rows.append((label, "secretlint", None, "not installed (bench/run-secrets.sh installs it)"))
    label = f"history, {a.commits:,} commits"
    add(label, "git log -p piped to rg, same keywords (floor)", ["sh", "-c", f"git log --all -p --no-renames | rg -i -F -c -f '{kw}'"], lambda p: f"{p.stdout.strip()} lines with a keyword", cwd=hist, ok=(0, 1))
    add(label, "gitopssec secrets --history", [host, "secrets", "--history", "--json", hist], lines)
    if shutil.which("git-secrets"):
        subprocess.run(["git", "secrets", "--register-aws"], cwd=hist, check=True, stdout=subprocess.DEVNULL)
        add(label, "git-secrets --scan-history (AWS patterns only)", ["git", "secrets", "--scan-history"],
            lambda p: f"{sum(1 for l in p.stderr.splitlines() if 'AKIA' in l)} AWS findings", cwd=hist, ok=(0, 1))

    # Detection on the labelled corpus (tests/data/secrets/corpus): which tool flags which true positive (tp-*)
    # and which false positive (fp-*), per provider folder.
    corpus = os.path.join(work, "corpus")
    shutil.copytree(os.path.join(ROOT, "tests", "data", "secrets", "corpus"), corpus)
    files = sorted(os.path.relpath(os.path.join(dp, f), corpus) for dp, _, fs in os.walk(corpus) for f in fs)
    flagged = {}
    _, p = run([host, "secrets", "--json", corpus])
    flagged["gitopssec"] = {json.loads(l)["Path"] for l in p.stdout.splitlines() if l.strip()}
    sl = os.path.join(HERE, "..", ".tools", "node_modules", ".bin", "secretlint")
    if os.path.exists(sl):
        with open(os.path.join(corpus, ".secretlintrc.json"), "w") as f: f.write('{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}')
        report = os.path.join(work, "secretlint-corpus.json")
        run([sl, "--format", "json", "--output", report, "GOS*/*"], cwd=corpus)
        flagged["secretlint"] = {os.path.relpath(x["filePath"], corpus) for x in json.load(open(report)) if x["messages"]}
    if shutil.which("git-secrets"):
        subprocess.run(["git", "init", "-q", corpus], check=True); subprocess.run(["git", "secrets", "--register-aws"], cwd=corpus, check=True, stdout=subprocess.DEVNULL)
        flagged["git-secrets"] = {f for f in files if run(["git", "secrets", "--scan", "--no-index", f], cwd=corpus)[1].returncode != 0}
    tools = list(flagged)
    tp = [f for f in files if os.path.basename(f).startswith("tp-")]
    fp = [f for f in files if os.path.basename(f).startswith("fp-")]
    out_corpus = ["**labelled corpus** (tests/data/secrets/corpus: " + f"{len(tp)} true-positive and {len(fp)} false-positive files)", "",
                  "| tool | true positives found | false positives flagged |", "|---|---:|---:|"]
    for t in tools:
        out_corpus.append(f"| {t} | {sum(f in flagged[t] for f in tp)} / {len(tp)} | {sum(f in flagged[t] for f in fp)} / {len(fp)} |")
    out_corpus.append("")
    missed = {t: sorted(f for f in tp if f not in flagged[t]) for t in tools}
    extra = {t: sorted(f for f in fp if f in flagged[t]) for t in tools}
    for t in tools:
        if extra[t]:
            out_corpus.append(f"- {t} flags false positives: {', '.join(extra[t])}")
    out_corpus.append("")

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    out = [f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; median of {a.runs} runs, wall time of whole processes (start included).", ""]
    for scenario in dict.fromkeys(r[0] for r in rows):
        group = [r for r in rows if r[0] == scenario]
        ours = next((r[2] for r in group if r[1].startswith("gitopssec secrets")), None)
        out += [f"**{scenario}**", "", "| tool | seconds | vs `gitopssec secrets` | result |", "|---|---:|---:|---|"]
        for _, tool, t, note in group:
            ratio = "-" if t is None or not ours else f"{t / ours:.2f}x"
            out.append(f"| {tool} | {'-' if t is None else f'{t:.2f}'} | {ratio} | {note} |")
        out.append("")
    out += out_corpus
    with open(a.out, "w") as f: f.write("\n".join(out))
    print("\n".join(out))
    shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    main()
