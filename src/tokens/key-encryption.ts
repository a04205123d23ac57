import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIGURATION, ConfigurationError, type AppConfiguration } from '../config/configuration.js';

const VERSION = 'v1';

/** What a secret at rest is encrypted for: each purpose has a key of its own, derived from KEY_ENCRYPTION_SECRET. */
export type EncryptionPurpose = 'signing-key-encryption' | 'totp-secret-encryption';

/** AES-256 key derived from KEY_ENCRYPTION_SECRET (HKDF-SHA-256), for one purpose. */
function keyFrom(secret: string, purpose: EncryptionPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'gatehouse', purpose, 32));
}

/** AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>`, base64url. */
function encryptAtRest(plaintext: string, secret: string, purpose: EncryptionPurpose): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret, purpose), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

/** The plaintext, or null when the secret (or the purpose) is not the one it was encrypted under, or the text was altered. */
function decryptAtRest(encrypted: string, secret: string, purpose: EncryptionPurpose): string | null {
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

/** Thrown when the secret is not the one the key was encrypted under: start-up stops with one line. */
export class KeyDecryptionError extends ConfigurationError {}

/**
 * Secrets at rest under KEY_ENCRYPTION_SECRET: the signing keys' private
 * halves and the TOTP secrets. Injected where they are stored, so the
 * deployment's secret is read in one place and never passed around.
 */
@Injectable()
export class KeyEncryption {
  private readonly secret: string;

  constructor(@Inject(APP_CONFIGURATION) config: Pick<AppConfiguration, 'keys'>) {
    this.secret = config.keys.encryptionSecret;
  }

  encrypt(plaintext: string, purpose: EncryptionPurpose): string {
    return encryptAtRest(plaintext, this.secret, purpose);
  }

  /** The plaintext, or null when it was not encrypted under this secret and purpose, or was altered. */
  decrypt(encrypted: string, purpose: EncryptionPurpose): string | null {
    return decryptAtRest(encrypted, this.secret, purpose);
  }

  /** A signing key's private half; a wrong secret stops start-up with one line (KeyDecryptionError). */
  decryptPrivateKey(encrypted: string): string {
    const pkcs8 = this.decrypt(encrypted, 'signing-key-encryption');
    if (pkcs8 === null) {
      throw new KeyDecryptionError(
        'KEY_ENCRYPTION_SECRET does not decrypt the signing keys in the database: give this instance the secret the others use',
      );
    }
    return pkcs8;
  }
}
