# Sourced by the bench scripts: installs the peer tools when they are missing and can be installed here
# (ripgrep and git-secrets from Debian, secretlint and the kubeseal-compatible encryptors from npm, into
# bench/.tools), then builds the solution. A peer that cannot be installed is reported as missing by the
# comparison, not skipped silently.
if ! command -v rg >/dev/null || ! command -v git-secrets >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then (apt-get update -q >/dev/null 2>&1; apt-get install -y -q ripgrep git-secrets >/dev/null 2>&1) || true; fi
fi
if [ ! -x bench/.tools/node_modules/.bin/secretlint ] && command -v npm >/dev/null; then
  mkdir -p bench/.tools && (cd bench/.tools && npm install --silent --no-audit --no-fund secretlint @secretlint/secretlint-rule-preset-recommend \
    @socialgouv/aes-gcm-rsa-oaep@1.1.4 @linode/kubeseal-encrypt@1.0.1 >/dev/null 2>&1) || true
fi
dotnet build GitOpsSec.sln -c Release -v quiet -nologo >/dev/null
mkdir -p bench/results
