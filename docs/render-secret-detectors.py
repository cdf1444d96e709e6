#!/usr/bin/env python3
"""Rewrites the "# Secret detectors" section of docs/rules.md from src/GitOpsSec.Engine/Secrets/detectors.yaml.

Run after changing the catalog: python3 docs/render-secret-detectors.py
(tests/GitOpsSec.Engine.Tests DocumentationTests fail when a detector has no entry.)
"""
import os, re
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "rules.md")
CATALOG = os.path.join(HERE, "..", "src", "GitOpsSec.Engine", "Secrets", "detectors.yaml")

INTRO = """# Secret detectors

Used by `Find-GitOpsSecret` (and the secret scan of `Test-GitOpsRepo`); category `Secrets`. A detector's
regex runs only on files that contain one of its keywords (and all of its context words); the match must
pass the detector's entropy floor and format check and must not be a placeholder, a reference to a secret
store (op://, ref+vault://, <path:…>, ENC[…], ${{VAR}}) or ciphertext. Where two detectors match the same
text, the more specific (earlier) one wins. Confidence: High = the format proves it (checksum, fixed prefix
and length), Medium = a format that is usually a secret, or a random value next to the provider's name,
Low = keyword plus entropy.

Shapes: `token` = a self-identifying credential (its own prefix and length); `near` = a random value at most
40 characters after one of the provider's words (any case, any separator: `azure_openai`, `AzureOpenAI`).

{count} detectors, {providers} providers. `Get-GitOpsRule -Category Secrets` lists them; this page is
generated from the catalog by `docs/render-secret-detectors.py`.

| id | name | provider | severity | confidence | shape | keywords or words | check |
|---|---|---|---|---|---|---|---|
"""

def cell(text):
    return text.replace("|", "\\|")

def main():
    detectors = yaml.safe_load(open(CATALOG))["detectors"]
    rows, entries = [], []
    for d in detectors:
        near = d.get("near")
        shape = "near" if near else "token" if "token" in d else "pattern" if d.get("pattern") else "structural"
        confidence = d.get("confidence") or ("Medium" if near else "High")
        words = near or d.get("keywords") or []
        checks = []
        if d.get("entropy") or near:
            checks.append(f"entropy ≥ {d.get('entropy', 3.0)}")
        if d.get("validate"):
            checks.append(d["validate"])
        if d.get("public-near"):
            checks.append("public next to " + ", ".join(d["public-near"]))
        rows.append(f"| {d['id']} | `{d['name']}` | {cell(d['provider'])} | {d.get('severity', 'High')} | {confidence} | {shape} | "
                    f"{', '.join('`' + cell(w) + '`' for w in words) or '(structural)'} | {'; '.join(checks)} |")
        description = d.get("description") or f"A {d['title']} ({d['provider']}): whoever reads the repository can use it until it is revoked."
        entry = f"## {d['id']} {d['name']}\n\n{description}\n"
        if d.get("references"):
            entry += "\nReference: " + ", ".join(d["references"]) + "\n"
        entries.append(entry)
    section = INTRO.format(count=len(detectors), providers=len({d["provider"] for d in detectors})) + "\n".join(rows) + "\n\n" + "\n".join(entries) + "\n"
    doc = open(DOC, encoding="utf-8").read()
    start = doc.index("# Secret detectors\n")
    end = doc.index("\n# ", start + 1) + 1
    open(DOC, "w", encoding="utf-8").write(doc[:start] + section + doc[end:])
    print(f"{len(detectors)} detectors written to {DOC}")

if __name__ == "__main__":
    main()
