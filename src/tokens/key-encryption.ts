import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigurationError } from '../config/configuration.js';

const VERSION = 'v1';

/** What a secret at rest is encrypted for: each purpose has a key of its own, derived from KEY_ENCRYPTION_SECRET. */
export type EncryptionPurpose = 'signing-key-encryption' | 'totp-secret-encryption';

/** AES-256 key derived from KEY_ENCRYPTION_SECRET (HKDF-SHA-256), for one purpose. */
function keyFrom(secret: string, purpose: EncryptionPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'gatehouse', purpose, 32));
}

/** AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>`, base64url. */
export function encryptAtRest(plaintext: string, secret: string, purpose: EncryptionPurpose): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret, purpose), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/** The plaintext, or null when the secret (or the purpose) is not the one it was encrypted under, or the text was altered. */
export function decryptAtRest(encrypted: string, secret: string, purpose: EncryptionPurpose): string | null {
  const [version, iv, tag, ciphertext] = encrypted.split('.');
  try {
    if (version !== VERSION) return null;
    const decipher = createDecipheriv('aes-256-gcm', keyFrom(secret, purpose), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

export function encryptPrivateKey(pkcs8: string, secret: string): string {
  return encryptAtRest(pkcs8, secret, 'signing-key-encryption');
}

/** Thrown when the secret is not the one the key was encrypted under: start-up stops with one line. */
export class KeyDecryptionError extends ConfigurationError {}

export function decryptPrivateKey(encrypted: string, secret: string): string {
  const pkcs8 = decryptAtRest(encrypted, secret, 'signing-key-encryption');
  if (pkcs8 === null) {
    throw new KeyDecryptionError(
      'KEY_ENCRYPTION_SECRET does not decrypt the signing keys in the database: give this instance the secret the others use',
    );
  }
  return pkcs8;
}
