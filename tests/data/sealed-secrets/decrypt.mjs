// An independent sealed-secrets decryptor, written from the documented format with node's own
// crypto (no GitOpsSec code): uint16 BE length || RSA-OAEP(SHA-256, label) session key || AES-256-GCM
// (zero nonce) ciphertext+tag. Usage: node decrypt.mjs <private-key.pem> <label> <base64>
// Prints the plaintext; exits 1 when it does not decrypt. The tests use it to check GitOpsSec's output.
import { readFileSync } from 'node:fs';
import { createDecipheriv, createPrivateKey, privateDecrypt, constants } from 'node:crypto';

const [keyPath, label, base64] = process.argv.slice(2);
try {
  const data = Buffer.from(base64, 'base64');
  const rsaLength = data.readUInt16BE(0);
  const sessionKey = privateDecrypt({
    key: createPrivateKey(readFileSync(keyPath)),
    padding: constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: 'sha256',
    oaepLabel: Buffer.from(label, 'utf8'),
  }, data.subarray(2, 2 + rsaLength));
  const body = data.subarray(2 + rsaLength);
  const decipher = createDecipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12, 0));
  decipher.setAuthTag(body.subarray(body.length - 16));
  process.stdout.write(Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]));
} catch (e) {
  process.stderr.write(`does not decrypt: ${e.message}\n`);
  process.exit(1);
}
