import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigurationError } from '../config/configuration.js';

const VERSION = 'v1';

/** AES-256 key derived from KEY_ENCRYPTION_SECRET (HKDF-SHA-256), for this one purpose. */
function keyFrom(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'gatehouse', 'signing-key-encryption', 32));
}

/** AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>`, base64url. */
export function encryptPrivateKey(pkcs8: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret), iv);
  const ciphertext = Buffer.concat([cipher.update(pkcs8, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/** Thrown when the secret is not the one the key was encrypted under: start-up stops with one line. */
export class KeyDecryptionError extends ConfigurationError {}

export function decryptPrivateKey(encrypted: string, secret: string): string {
  const [version, iv, tag, ciphertext] = encrypted.split('.');
  try {
    if (version !== VERSION) throw new Error(`unknown format ${version}`);
    const decipher = createDecipheriv('aes-256-gcm', keyFrom(secret), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new KeyDecryptionError(
      'KEY_ENCRYPTION_SECRET does not decrypt the signing keys in the database: give this instance the secret the others use',
    );
  }
}
