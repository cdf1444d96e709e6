#!/usr/bin/env python3
"""Writes the labelled secret-scanning corpus (tests/data/secrets/corpus).

Every credential here is FAKE: random characters in the documented format of the provider (see
README.md for the source of each format), generated with a fixed seed; private keys are fresh keys
made with openssl / ssh-keygen for this corpus and used nowhere. Directory = rule id;
tp-* files must be found by that rule (and no other), fp-* files must produce no finding at all.
Re-run:  python3 tests/data/secrets/make-corpus.py   (keys change; everything else is stable).
"""
import base64, os, random, shutil, string, subprocess, tempfile, json, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import fake_credentials  # noqa: E402  (tests/data/fake_credentials.py)

random.seed(20261124)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
ALNUM = string.ascii_letters + string.digits

def rnd(chars, n): return "".join(random.choice(chars) for _ in range(n))
def hexs(n): return rnd("0123456789abcdef", n)
def b64(n): return rnd(ALNUM + "+/", n)
def crc_token(prefix):
    return fake_credentials.crc_token(prefix, rnd(ALNUM, 30))
def jwt(header, payload):
    enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")
    return enc(header) + "." + enc(payload) + "." + rnd(ALNUM + "-_", 342)

cases = {}
def tp(rule, name, text): cases.setdefault(rule, []).append(("tp-" + name, text))
def fp(rule, name, text): cases.setdefault(rule, []).append(("fp-" + name, text))

def sh(*args, cwd=None):
    return subprocess.run(args, check=True, capture_output=True, text=True, cwd=cwd).stdout

tmp = tempfile.mkdtemp()
rsa_pem = sh("openssl", "genrsa", "2048")                                   # PKCS#1 on OpenSSL 1.x, PKCS#8 on 3.x
open(os.path.join(tmp, "k.pem"), "w").write(rsa_pem)
rsa_trad = sh("openssl", "pkey", "-in", os.path.join(tmp, "k.pem"), "-traditional")
ec_pem = sh("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout")
pkcs8_enc = sh("openssl", "pkcs8", "-topk8", "-in", os.path.join(tmp, "k.pem"), "-v2", "aes-256-cbc", "-passout", "pass:corpus")
sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "corpus", "-f", os.path.join(tmp, "id"))
openssh = open(os.path.join(tmp, "id")).read()
cert = sh("openssl", "req", "-x509", "-key", os.path.join(tmp, "k.pem"), "-subj", "/CN=corpus", "-days", "1")
pub = sh("openssl", "pkey", "-in", os.path.join(tmp, "k.pem"), "-pubout")
shutil.rmtree(tmp)
def indent(text, n): return "".join(" " * n + l + "\n" for l in text.strip().splitlines())

# --- AWS (GOS2101, GOS2102)
akid = "AKIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
asid = "ASIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
tp("GOS2101", "env.sh", f"export AWS_ACCESS_KEY_ID={akid}\nexport AWS_REGION=eu-west-1\n")
tp("GOS2101", "temporary.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s3-sync\ndata:\n  AWS_ACCESS_KEY_ID: \"{asid}\"\n")
fp("GOS2101", "aws-docs-example.md", "Example from the AWS docs: `AKIAIOSFODNN7EXAMPLE` with `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`.\n")
fp("GOS2101", "too-short.txt", "id: AKIA2345ABCD\n")
tp("GOS2102", "credentials.ini", f"[default]\nregion = eu-west-1\naws_secret_access_key = {b64(40)}\n")
fp("GOS2102", "credentials-template.ini", "[default]\naws_access_key_id = ${AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}\n")

# --- GCP
sa_key = rsa_pem.strip().replace("\n", "\\n") + "\\n"
tp("GOS2103", "service-account.json", json.dumps({"type": "service_account", "project_id": "corpus-prod", "private_key_id": hexs(40),
    "client_email": "deployer@corpus-prod.iam.gserviceaccount.com"}, indent=2)[:-2] + f',\n  "private_key": "{sa_key}"\n}}\n')
fp("GOS2103", "service-account-redacted.json", '{\n  "type": "service_account",\n  "private_key_id": "",\n  "private_key": "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n"\n}\n')
tp("GOS2104", "maps.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  MAPS_API_KEY: AIza{rnd(ALNUM + '-_', 35)}\n")
fp("GOS2104", "placeholder.yaml", "maps:\n  apiKey: AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n")

# --- Azure
tp("GOS2105", "connection-string.env", f"STORAGE=DefaultEndpointsProtocol=https;AccountName=corpusprod;AccountKey={b64(86)}==;EndpointSuffix=core.windows.net\n")
fp("GOS2105", "azurite-dev-key.env", "STORAGE=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;\n")
sig = b64(43).replace("+", "%2B").replace("/", "%2F") + "%3D"
tp("GOS2106", "sas-url.yaml", f"backup:\n  url: \"https://corpusprod.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2027-01-01T00:00:00Z&spr=https&sig={sig}\"\n")
fp("GOS2106", "sas-docs.md", "Append `?sv=2022-11-02&sp=r&sig=<signature>` to the blob URL.\n")
tp("GOS2107", "app-settings.json", json.dumps({"AzureAd": {"ClientId": "3f0e8a52-2b7c-4d1e-9a6f-0c5d4e3b2a19", "ClientSecret": rnd(ALNUM, 3) + "8Q~" + rnd(ALNUM + "_~.-", 34)}}, indent=2) + "\n")
fp("GOS2107", "app-settings-ref.json", json.dumps({"AzureAd": {"ClientSecret": "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/client)"}}, indent=2) + "\n")

# --- DigitalOcean, GitHub, GitLab, Atlassian
tp("GOS2108", "terraform.tfvars", f'do_token = "dop_v1_{hexs(64)}"\n')
fp("GOS2108", "docs.md", 'Set `do_token = "dop_v1_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`.\n')
tp("GOS2110", "argocd-repo.yaml", f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ci\ndata:\n  GH_TOKEN: {crc_token('ghp_')}\n")
tp("GOS2110", "workflow.sh", f"curl -H 'Authorization: token {crc_token('gho_')}' https://api.github.com/user\n")
bad = crc_token("ghp_"); bad = bad[:-6] + ("A" if bad[-6] != "A" else "B") + bad[-5:]
fp("GOS2110", "bad-checksum.txt", f"token={bad}\n")
fp("GOS2110", "docs-example.md", "For example `ghp_abcdefghijklmnopqrstuvwxyzABCD012345` is a personal access token.\n")
tp("GOS2111", "fine-grained.env", f"GITHUB_TOKEN=github_pat_{rnd(ALNUM, 22)}_{rnd(ALNUM, 59)}\n")
fp("GOS2111", "prefix-only.md", "Fine-grained tokens start with `github_pat_`.\n")
tp("GOS2112", "gitlab.yaml", f"gitlab:\n  token: glpat-{rnd(ALNUM + '-_', 20)}\n")
tp("GOS2112", "runner.toml", f'[[runners]]\n  token = "GR1348941{rnd(ALNUM + "-_", 20)}"\n')
fp("GOS2112", "placeholder.yaml", "gitlab:\n  token: glpat-xxxxxxxxxxxxxxxxxxxx\n")
tp("GOS2113", "bitbucket.env", f"BITBUCKET_APP_PASSWORD=ATBB{rnd(ALNUM, 32)}\n")
fp("GOS2113", "prose.md", "Bitbucket app passwords start with ATBB.\n")

# --- chat and webhooks
tp("GOS2115", "slack-bot.yaml", f"slack:\n  botToken: xoxb-{rnd(string.digits, 11)}-{rnd(string.digits, 13)}-{rnd(ALNUM, 24)}\n")
fp("GOS2115", "slack-docs.md", "Bot tokens look like `xoxb-` followed by numbers.\n")
tp("GOS2116", "alertmanager.yaml", f"receivers:\n  - name: slack\n    slack_configs:\n      - api_url: https://hooks.slack.com/services/T{rnd(string.ascii_uppercase + string.digits, 8)}/B{rnd(string.ascii_uppercase + string.digits, 10)}/{rnd(ALNUM, 24)}\n")
fp("GOS2116", "alertmanager-docs.yaml", "receivers:\n  - name: slack\n    slack_configs:\n      - api_url: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\n")
tp("GOS2117", "discord.env", f"DISCORD_WEBHOOK=https://discord.com/api/webhooks/{rnd(string.digits, 18)}/{rnd(ALNUM + '-_', 68)}\n")
fp("GOS2117", "discord-docs.md", "POST to https://discord.com/api/webhooks/{webhook.id}/{webhook.token}\n")
tp("GOS2118", "teams.yaml", f"notify:\n  teams: https://corpus.webhook.office.com/webhookb2/{hexs(8)}-{hexs(4)}-{hexs(4)}-{hexs(4)}-{hexs(12)}@{hexs(8)}-{hexs(4)}-{hexs(4)}-{hexs(4)}-{hexs(12)}/IncomingWebhook/{hexs(32)}/{hexs(8)}-{hexs(4)}-{hexs(4)}-{hexs(4)}-{hexs(12)}\n")
fp("GOS2118", "teams-docs.md", "Paste the URL (https://<tenant>.webhook.office.com/webhookb2/...) into the config.\n")

# --- payment and SaaS
tp("GOS2119", "billing.env", f"STRIPE_SECRET_KEY=sk_live_{rnd(ALNUM, 99)[:51]}\n")
fp("GOS2119", "stripe-docs.md", "Live keys start with `sk_live_` and test keys with `sk_test_`.\n")
tp("GOS2121", "billing-test.env", f"STRIPE_SECRET_KEY=sk_test_{rnd(ALNUM, 24)}\n")
fp("GOS2121", "stripe-docs-key.md", "curl https://api.stripe.com/v1/charges -u sk_test_4eC39HqLyjWDarjtT1zdp7dc:\n")
tp("GOS2122", "twilio.env", f"TWILIO_ACCOUNT_SID=AC{hexs(32)}\nTWILIO_API_KEY=SK{hexs(32)}\n")
fp("GOS2122", "hash-without-twilio.txt", f"checksum: SK{hexs(32)}\n")
tp("GOS2123", "sendgrid.env", f"SENDGRID_API_KEY=SG.{rnd(ALNUM + '-_', 22)}.{rnd(ALNUM + '-_', 43)}\n")
fp("GOS2123", "sendgrid-docs.md", "Keys look like SG.xxxxxxxx.yyyyyyyy\n")
tp("GOS2124", "npmrc", f"//registry.npmjs.org/:_authToken={crc_token('npm_')}\n")
fp("GOS2124", "npmrc-env", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n")
tp("GOS2125", "pypirc", f"[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc{rnd(ALNUM + '-_', 120)}\n")
fp("GOS2125", "pypirc-docs", "[pypi]\nusername = __token__\npassword = pypi-<your token>\n")
tp("GOS2126", "docker-login.sh", f"echo dckr_pat_{rnd(ALNUM + '-_', 27)} | docker login -u corpus --password-stdin\n")
fp("GOS2126", "docker-docs.md", "Personal access tokens start with dckr_pat_.\n")
dauth = base64.b64encode(b"corpus-bot:" + rnd(ALNUM, 20).encode()).decode()
tp("GOS2127", "config.json", json.dumps({"auths": {"registry.corpus.io": {"auth": dauth}}}, indent=2) + "\n")
fp("GOS2127", "config-helper.json", json.dumps({"auths": {"registry.corpus.io": {}}, "credsStore": "desktop"}, indent=2) + "\n")
tp("GOS2128", "sops-age.txt", "# created: 2026-11-24T00:00:00Z\n# public key: age1" + rnd("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58) + "\nAGE-SECRET-KEY-1" + rnd("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58) + "\n")
fp("GOS2128", "sops-recipient.yaml", "creation_rules:\n  - path_regex: .*.yaml\n    age: age1" + rnd("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58) + "\n")
tp("GOS2129", "vault.env", f"VAULT_TOKEN=hvs.{rnd(ALNUM + '-_', 90)}\n")
fp("GOS2129", "vault-docs.md", "Service tokens start with hvs. and batch tokens with hvb.\n")
tp("GOS2130", "terraformrc", f'credentials "app.terraform.io" {{\n  token = "{rnd(ALNUM, 14)}.atlasv1.{rnd(ALNUM + "_=-", 67)}"\n}}\n')
fp("GOS2130", "terraformrc-docs", 'credentials "app.terraform.io" {\n  token = "xxxxxx.atlasv1.zzzzzzzzzzzzzzzzz"\n}\n')
tp("GOS2131", "grafana.env", f"GRAFANA_TOKEN=glsa_{rnd(ALNUM, 32)}_{hexs(8)}\n")
fp("GOS2131", "grafana-docs.md", "Service account tokens start with glsa_.\n")
tp("GOS2132", "openai.env", f"OPENAI_API_KEY=sk-proj-{rnd(ALNUM + '-_', 74)}T3BlbkFJ{rnd(ALNUM + '-_', 74)}\n")
fp("GOS2132", "openai-docs.md", "export OPENAI_API_KEY=\"sk-...\"\n")
tp("GOS2133", "datadog-values.yaml", f"datadog:\n  dd_api_key: {hexs(32)}\n")
fp("GOS2133", "datadog-existing.yaml", "datadog:\n  apiKeyExistingSecret: datadog-secret\n")
tp("GOS2134", "shopify.env", f"SHOPIFY_ACCESS_TOKEN=shpat_{hexs(32)}\n")
fp("GOS2134", "shopify-docs.md", "Admin API access tokens start with shpat_.\n")

# --- Kubernetes: kubeconfig, Secrets
ckd = base64.b64encode(ec_pem.encode()).decode()
ccd = base64.b64encode(cert.encode()).decode()
tp("GOS2140", "kubeconfig.yaml", f"apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://10.0.0.1:6443\nusers:\n- name: admin\n  user:\n    client-certificate-data: {ccd}\n    client-key-data: {ckd}\ncontexts:\n- name: prod\n  context: {{cluster: prod, user: admin}}\ncurrent-context: prod\n")
fp("GOS2140", "kubeconfig-files.yaml", "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://10.0.0.1:6443\nusers:\n- name: admin\n  user:\n    client-certificate: /home/admin/.kube/admin.crt\n    client-key: /home/admin/.kube/admin.key\n")
sa_jwt = jwt({"alg": "RS256", "kid": rnd(ALNUM, 43)}, {"iss": "kubernetes/serviceaccount", "kubernetes.io/serviceaccount/namespace": "ci",
              "kubernetes.io/serviceaccount/service-account.name": "deployer", "sub": "system:serviceaccount:ci:deployer"})
tp("GOS2141", "kubeconfig-token.yaml", f"apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://10.0.0.1:6443\nusers:\n- name: deployer\n  user:\n    token: {sa_jwt}\n")
tp("GOS2141", "kubeconfig-opaque-token.yaml", f"apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://10.0.0.1:6443\nusers:\n- name: deployer\n  user:\n    token: {rnd(ALNUM, 6)}.{rnd('abcdefghijklmnopqrstuvwxyz0123456789', 16)}\n")
fp("GOS2141", "kubeconfig-exec.yaml", "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://10.0.0.1:6443\nusers:\n- name: eks\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [eks, get-token, --cluster-name, prod]\n")
tp("GOS2142", "id_rsa", rsa_trad)
tp("GOS2142", "pkcs8.pem", rsa_pem)
tp("GOS2142", "ec.pem", ec_pem)
tp("GOS2142", "id_ed25519", openssh)
tp("GOS2142", "encrypted-pkcs8.pem", pkcs8_enc)
tp("GOS2142", "tls-values.yaml", "ingress:\n  tls:\n    key: |\n" + indent(ec_pem, 6))
tp("GOS2142", "pgp-private.asc", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: corpus key\n\n" + "\n".join(b64(64) for _ in range(12)) + "\n=" + b64(4) + "\n-----END PGP PRIVATE KEY BLOCK-----\n")
fp("GOS2142", "docs-placeholder.md", "```\n-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n```\n")
fp("GOS2142", "certificate.pem", cert)
fp("GOS2142", "public.pem", pub)
fp("GOS2142", "ssh-public.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + rnd(ALNUM, 43) + " corpus\n")
tp("GOS2143", "job.yaml", f"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: sync\nspec:\n  template:\n    spec:\n      containers:\n        - name: sync\n          image: curlimages/curl:8.10.1\n          args: [\"-H\", \"Authorization: Bearer {sa_jwt}\", \"https://kubernetes.default.svc/api\"]\n")
fp("GOS2143", "not-json.txt", "value: eyJub3QganNvbiBhdCBhbGw.eyJzdGlsbCBub3QganNvbg.c2lnbmF0dXJl\n")
tp("GOS2144", "database.env", f"DATABASE_URL=postgresql://app:{rnd(ALNUM, 18)}@db.corpus.internal:5432/app?sslmode=require\n")
tp("GOS2144", "mongo.yaml", f"mongo:\n  uri: mongodb+srv://reporting:{rnd(ALNUM, 22)}@cluster0.corpus.mongodb.net/reports\n")
fp("GOS2144", "database-template.env", "DATABASE_URL=postgresql://${DB_USER}:${DB_PASSWORD}@db:5432/app\n")
fp("GOS2144", "database-docs.md", "Connect with postgresql://user:password@localhost:5432/mydb\n")
tp("GOS2145", "git-remote.txt", f"url = https://deploy-bot:{rnd(ALNUM, 24)}@git.corpus.internal/platform/gitops.git\n")
fp("GOS2145", "git-remote-user-only.txt", "url = https://deploy-bot@git.corpus.internal/platform/gitops.git\n")
pw = rnd(ALNUM + "!#%&", 16)
tp("GOS2150", "secret-data.yaml", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\ntype: Opaque\ndata:\n  password: {base64.b64encode(pw.encode()).decode()}\n")
tp("GOS2150", "secret-stringdata.yaml", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n  namespace: prod\nstringData:\n  api-key: {rnd(ALNUM, 16)}\n")
fp("GOS2150", "secret-templated.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${DB_PASSWORD}\n  username: \"\"\n")
fp("GOS2150", "sealed-secret.yaml", "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace: prod\nspec:\n  encryptedData:\n    password: Ag" + b64(680) + "==\n  template:\n    metadata:\n      name: db\n")
fp("GOS2150", "tls-cert-only.yaml", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: ca\ndata:\n  ca.crt: {ccd}\n")
tp("GOS2160", "values.yaml", f"postgresql:\n  auth:\n    adminPassword: \"{rnd(ALNUM, 6)}#{rnd(ALNUM, 5)}!{rnd(string.digits, 3)}\"\n")
tp("GOS2160", "app.env", f"API_TOKEN={hexs(8)}{rnd(ALNUM, 24)}\n")
fp("GOS2160", "values-refs.yaml", "postgresql:\n  auth:\n    existingSecret: db-credentials\n    secretKeys:\n      adminPasswordKey: postgres-password\n    passwordSecretRef: db-credentials-v2\n    password: changeme\n  tokenPath: /var/run/secrets/kubernetes.io/serviceaccount/token\n")
fp("GOS2160", "deployment-env.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: corpus/api:1.4.2\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: db\n                  key: password\n            - name: TOKEN_TTL\n              value: \"3600\"\n")
fp("GOS2160", "python.py", "def login(password):\n    token = session.get_token(password)\n    return token\n")

for rule, files in cases.items():
    # Only this script's folders: GOS24xx-GOS26xx are make-provider-corpus.py's.
    if os.path.isdir(os.path.join(ROOT, rule)):
        shutil.rmtree(os.path.join(ROOT, rule))
    os.makedirs(os.path.join(ROOT, rule))
    for name, text in files:
        with open(os.path.join(ROOT, rule, name), "w", newline="\n") as f:
            f.write(text)
print(sum(len(v) for v in cases.values()), "files in", len(cases), "rules")
