// Regenerates the interoperability fixtures with two kubeseal-compatible encryptors written by
// other people (npm: @socialgouv/aes-gcm-rsa-oaep, @linode/kubeseal-encrypt):
//   cd tests/data/sealed-secrets && npm install && node generate-fixtures.mjs
// The tests decrypt these files with test-key.pem; the values are in expected-values.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import socialgouv from '@socialgouv/aes-gcm-rsa-oaep';
import { encryptSecretItem } from '@linode/kubeseal-encrypt';

const cert = readFileSync(new URL('./test-cert.pem', import.meta.url), 'utf8');
const publicKeyPem = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'pem' });
const expected = JSON.parse(readFileSync(new URL('./expected-values.json', import.meta.url), 'utf8'));

for (const scope of ['strict', 'namespace', 'cluster']) {
  const manifest = await socialgouv.getSealedSecret({
    pemKey: cert, scope, namespace: 'payments', name: 'db-credentials', values: expected.values,
  });
  writeFileSync(new URL(`./socialgouv-${scope}.json`, import.meta.url), JSON.stringify(manifest, null, 2) + '\n');
}

// @linode/kubeseal-encrypt seals for a namespace (namespace-wide scope): one raw value.
const raw = await encryptSecretItem(publicKeyPem, 'payments', expected.raw);
writeFileSync(new URL('./linode-namespace-wide.txt', import.meta.url), raw + '\n');
console.log('fixtures written');
