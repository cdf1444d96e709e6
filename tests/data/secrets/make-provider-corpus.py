#!/usr/bin/env python3
"""Writes the provider part of the labelled corpus: tests/data/secrets/corpus/GOS24xx..GOS26xx.

Provenance. For every compact detector of detectors.yaml (a `token`, or `near` words + `value`) this script
draws fake credentials at random (seeded) from the detector's own format, the format having been written from
the providers' documentation and the peers' public rule definitions (see the README). So these files test
that each format is found where people put it (a .env file, a ConfigMap, a JSON config, Helm values) and
that references, placeholders and obvious fakes in the same places are not; they cannot show that a format
is right. That independent check is bench/secrets/peer-corpus.py, which runs the scanner over the literal
test inputs of gitleaks and trufflehog.

tp-* files must be found by the folder's detector and no other; fp-* files must produce no finding at all.
Re-run: python3 tests/data/secrets/make-provider-corpus.py   (stable: same seed, same files)
"""
import json, os, random, re, shutil, string
try:  # Python 3.11+: the regex parser moved
    import re._parser as sre_parse, re._constants as C
except ImportError:
    import sre_parse, sre_constants as C
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "corpus")
CATALOG = os.path.join(HERE, "..", "..", "..", "src", "GitOpsSec.Engine", "Secrets", "detectors.yaml")
random.seed(20261202)

CATEGORIES = {
    C.CATEGORY_DIGIT: string.digits,
    C.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    C.CATEGORY_SPACE: " ",
}

def sample(pattern):
    """A random string the regex matches (the subset of regex syntax the catalog uses)."""
    def one(items):
        return "".join(node(op, av) for op, av in items)
    def charset(av):
        chars = []
        negate = False
        for op, a in av:
            if op == C.NEGATE:
                negate = True
            elif op == C.LITERAL:
                chars.append(chr(a))
            elif op == C.RANGE:
                chars.extend(chr(c) for c in range(a[0], a[1] + 1))
            elif op == C.CATEGORY:
                chars.extend(CATEGORIES[a])
        if negate:
            chars = [c for c in string.ascii_letters + string.digits if c not in chars]
        return chars
    def node(op, av):
        if op == C.LITERAL:
            return chr(av)
        if op == C.IN:
            return random.choice(charset(av))
        if op == C.ANY:
            return random.choice(string.ascii_letters)
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, items = av
            hi = min(hi, lo + 12) if hi != C.MAXREPEAT else lo + 12
            return "".join(one(items) for _ in range(random.randint(lo, hi)))
        if op == C.SUBPATTERN:
            return one(av[-1])
        if op == C.BRANCH:
            return one(random.choice(av[1]))
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            return ""
        raise ValueError(f"unsupported regex node {op}")
    return one(sre_parse.parse(pattern))

def is_made_up(v):
    """Values the scanner rightly treats as typed-in fakes (sequences, one character dominating, long runs)."""
    low = v.lower()
    if any(q in low for q in ("abcdefghijklmnop", "1234567890", "a1b2c3d4e5", "qwertyuiop", "0123456789abcdef")):
        return True
    if len(v) >= 12 and max(v.count(c) for c in set(v)) * 2 >= len(v):
        return True
    return re.search(r"([^A])\1{6}", v) is not None

def value_for(d):
    spec = d.get("token") or d.get("value")
    for _ in range(200):
        v = sample(spec)
        looks_random = "near" not in d or (any(c.isdigit() for c in v) and any(c.isalpha() for c in v))
        if re.fullmatch(spec, v) and not is_made_up(v) and looks_random and v not in d.get("allow", []):
            return v
    raise RuntimeError(f"no usable sample for {d['name']}")

def key_word(d):
    words = d.get("near", [])
    for w in words:
        if re.fullmatch(r"[a-z0-9_-]+", w) and not w.endswith("_") and not w.endswith("-"):
            return w
    for w in words:
        if not w.startswith(".") and re.fullmatch(r"[a-z0-9_.-]+", w.strip("_-. ")):
            return w.strip("_-. ")
    return None

def env_key(word, suffix):
    return re.sub(r"[^A-Z0-9]", "_", word.upper()) + suffix

def fake(value, d):
    """The same shape with every random character replaced: what a README shows."""
    spec = d.get("token") or d.get("value")
    prefix = re.match(r"[A-Za-z0-9_~:-]{3,}", spec)
    keep = len(prefix.group(0)) if prefix and value.startswith(prefix.group(0)) else 0
    return value[:keep] + "".join("x" if c.isalnum() else c for c in value[keep:])

REFERENCES = [
    lambda n: f"op://platform/{n}/credential",
    lambda n: f"ref+vault://secret/data/{n}#token",
    lambda n: f"<path:kv/data/{n}#token>",
    lambda n: "ENC[AES256_GCM,data:" + "".join(random.choice(string.ascii_letters) for _ in range(40)) + ",iv:abc=,tag:def=,type:str]",
    lambda n: "${" + n.upper().replace("-", "_") + "}",
    lambda n: "{{ .Values." + n.replace("-", "_") + " }}",
]

def cases_for(d):
    v = value_for(d)
    name = d["name"]
    word = key_word(d)
    key = env_key(word, "_API_KEY") if word else env_key(name, "")
    yaml_key = (word or name).replace(".", "-")
    camel = re.sub(r"[-_.](\w)", lambda m: m.group(1).upper(), (word or name)) + ("ApiKey" if word else "")
    near_text = d["near"][0] if "near" in d else None
    tp = [
        ("tp-app.env", f"# {d['title']}\n{key}={v}\nLOG_LEVEL=info\n"),
        ("tp-configmap.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\n  namespace: apps\ndata:\n  {key}: \"{v}\"\n"),
        ("tp-settings.json", json.dumps({"service": name, camel: v, "timeoutSeconds": 30}, indent=2) + "\n"),
        ("tp-values.yaml", f"{yaml_key}:\n  enabled: true\n  token: {v}\n" if word else f"integrations:\n  {yaml_key}:\n    token: {v}\n"),
    ]
    if near_text and near_text.startswith(".") and word is None:
        # a word such as ".openai.azure.com" is an endpoint: the key comes on the next line
        tp[3] = ("tp-values.yaml", f"endpoint: https://corpus{near_text}\napiKey: {v}\n")
    ref = random.choice(REFERENCES)(name)
    fp = [
        ("fp-placeholder.env", f"# {d['title']}: set it in the pipeline, never here\n{key}=${{{key}}}\n"),
        ("fp-docs-example.md", f"Set `{key}` to your {d['title']}, for example `{fake(v, d)}`.\n"),
        ("fp-reference.yaml", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: apps\nstringData:\n  {key}: \"{ref}\"\n"),
    ]
    return tp, fp

def rnd(chars, n):
    return "".join(random.choice(chars) for _ in range(n))

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"

def uuid():
    h = lambda n: rnd("0123456789abcdef", n)
    return f"{h(8)}-{h(4)}-{h(4)}-{h(4)}-{h(12)}"

def handwritten():
    """Detectors written as full patterns: their inputs are written here, one by one."""
    pw = rnd(ALNUM, 14) + "!" + rnd(string.digits, 3)
    tok = rnd(ALNUM, 36)
    return {
        "proxmox-api-token": (
            [("tp-terraform.tfvars", f'pm_api_token = "PVEAPIToken=terraform@pve!provider={uuid()}"\n'),
             ("tp-curl-header.sh", f"curl -k -H 'Authorization: PVEAPIToken=root@pam!monitoring={uuid()}' https://pve.corpus.lan:8006/api2/json/nodes\n")],
            [("fp-docs.md", "Send `Authorization: PVEAPIToken=USER@REALM!TOKENID=UUID` with each request.\n")]),
        "azure-service-bus-key": (
            [("tp-appsettings.json", json.dumps({"ServiceBus": f"Endpoint=sb://corpus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={rnd(B64, 43)}="}, indent=2) + "\n"),
             ("tp-keda-trigger.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: queue\ndata:\n  connection: Endpoint=sb://orders.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey={rnd(B64, 43)}=;EntityPath=orders\n")],
            [("fp-template.env", "SERVICEBUS=Endpoint=sb://${NAMESPACE}.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=${SAS_KEY}\n")]),
        "azure-app-configuration": (
            [("tp-appconfig.env", f"APP_CONFIG=Endpoint=https://corpus-config.azconfig.io;Id=Ab12-l9-s0:{rnd(ALNUM, 20)};Secret={rnd(B64, 43)}=\n"),
             ("tp-values.yaml", f"appConfiguration:\n  connectionString: \"Endpoint=https://settings.azconfig.io;Id=xY9z-l0-s0:{rnd(ALNUM, 20)};Secret={rnd(B64, 43)}=\"\n")],
            [("fp-docs.md", "Use `Endpoint=https://<store>.azconfig.io;Id=<id>;Secret=<secret>` as the connection string.\n")]),
        "nuget-config-password": (
            [("tp-NuGet.config", f'<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <packageSourceCredentials>\n    <corpus>\n      <add key="Username" value="ci" />\n      <add key="ClearTextPassword" value="{pw}" />\n    </corpus>\n  </packageSourceCredentials>\n</configuration>\n'),
             ("tp-nuget-password.config", f'<configuration>\n  <packageSourceCredentials>\n    <feed>\n      <add key="Password" value="{rnd(ALNUM, 24)}" />\n    </feed>\n  </packageSourceCredentials>\n</configuration>\n')],
            [("fp-env-reference.config", '<configuration>\n  <packageSourceCredentials>\n    <feed>\n      <add key="ClearTextPassword" value="%FEED_PASSWORD%" />\n    </feed>\n  </packageSourceCredentials>\n</configuration>\n')]),
        "cloudinary-url": (
            [("tp-app.env", f"CLOUDINARY_URL=cloudinary://{rnd(string.digits, 15)}:{rnd(ALNUM + '_-', 27)}@corpus-media\n"),
             ("tp-configmap.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: media\ndata:\n  CLOUDINARY_URL: cloudinary://{rnd(string.digits, 15)}:{rnd(ALNUM + '_-', 27)}@shop\n")],
            [("fp-docs.md", "Set CLOUDINARY_URL=cloudinary://<api_key>:<api_secret>@<cloud_name>\n")]),
        "curl-credentials": (
            [("tp-user.sh", f"curl -fsS -u deploy:{pw} https://registry.corpus.internal/v2/_catalog\n"),
             ("tp-bearer.sh", f'curl -X POST -H "Authorization: Bearer {tok}" https://api.corpus.internal/v1/deploy\n'),
             ("tp-continued.sh", f"curl -X PUT \\\n  --header 'X-Api-Key: {rnd(ALNUM, 32)}' \\\n  https://status.corpus.internal/api/incidents\n"),
             ("tp-wget.sh", f"wget --user=ci --password={pw} https://artifacts.corpus.internal/app.tar.gz\n")],
            [("fp-env.sh", 'curl -u "$REGISTRY_USER:$REGISTRY_PASSWORD" https://registry.corpus.internal/v2/\n'),
             ("fp-header-template.sh", 'curl -H "Authorization: Bearer ${TOKEN}" https://api.corpus.internal/v1/\n')]),
        "jdbc-password": (
            [("tp-application.properties", f"spring.datasource.url=jdbc:postgresql://db.corpus.internal:5432/orders?user=orders&password={pw}\n"),
             ("tp-sqlserver.env", f"DB_URL=jdbc:sqlserver://sql.corpus.internal:1433;databaseName=app;user=app;password={rnd(ALNUM, 20)};encrypt=true\n")],
            [("fp-template.properties", "spring.datasource.url=jdbc:postgresql://db:5432/orders?user=orders&password=${DB_PASSWORD}\n")]),
    }

def write(folder, files):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    for fname, text in files:
        with open(os.path.join(folder, fname), "w", newline="\n") as f:
            f.write(text)

def main():
    catalog = yaml.safe_load(open(CATALOG))["detectors"]
    by_name = {d["name"]: d for d in catalog}
    inputs = [(d["id"], *cases_for(d)) for d in catalog if ("token" in d or "value" in d)]
    inputs += [(by_name[name]["id"], tp, fp) for name, (tp, fp) in handwritten().items()]
    for rule, tp, fp in inputs:
        write(os.path.join(ROOT, rule), tp + fp)
    print(f"{sum(len(tp) for _, tp, _ in inputs)} true and {sum(len(fp) for _, _, fp in inputs)} false inputs for {len(inputs)} detectors")

if __name__ == "__main__":
    main()
