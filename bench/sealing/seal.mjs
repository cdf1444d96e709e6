// Seals N values with the two independent kubeseal-compatible encryptors on npm, for the sealing benchmark.
// Usage: node seal.mjs CERT.pem N   (run from a folder whose node_modules has both packages)
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [certPath, count, which] = process.argv.slice(2);
const n = Number(count);
const require = createRequire(path.join(process.cwd(), 'package.json'));
const cert = readFileSync(certPath, 'utf8');
const values = Object.fromEntries(Array.from({ length: n }, (_, i) => [`KEY_${i}`, `not-a-real-secret-value-${i}`]));
if (which === 'socialgouv') {
  const socialgouv = (await import(pathToFileURL(require.resolve('@socialgouv/aes-gcm-rsa-oaep')))).default;
  const manifest = await socialgouv.getSealedSecret({ pemKey: cert, scope: 'strict', namespace: 'apps', name: 'bench', values });
  console.log(Object.keys(manifest.spec.encryptedData).length);
} else {
  const { encryptSecretItem } = await import(pathToFileURL(require.resolve('@linode/kubeseal-encrypt')));
  const publicKeyPem = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'pem' });
  let sealed = 0;
  for (const v of Object.values(values)) {
    if ((await encryptSecretItem(publicKeyPem, 'apps', v)).length > 0) sealed++;
  }
  console.log(sealed);
}
