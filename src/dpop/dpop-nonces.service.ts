import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';

/** A nonce is made for a period of this many seconds and accepted during it and the next one (5 to 10 minutes). */
const NONCE_PERIOD_SECONDS = 300;

/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9), when DPOP_NONCE=true:
 * stateless, so every instance makes and accepts the same ones without
 * sharing anything but the configuration. A nonce is the period it was made
 * in and an HMAC of it under a key derived from KEY_ENCRYPTION_SECRET (which
 * every instance of a deployment has); a proof's nonce is good for its
 * period and the next, which bounds how long a proof made in advance can be
 * used (§11.2, pre-generated proofs).
 */
@Injectable()
export class DpopNoncesService {
  readonly required: boolean;
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIGURATION) config: AppConfiguration) {
    this.required = config.oauth.dpopNonce;
    this.key = createHmac('sha256', config.keys.encryptionSecret).update('gatehouse dpop nonce').digest();
  }

  /** The nonce of now, for the `DPoP-Nonce` header. */
  current(now = Date.now()): string {
    return this.nonceOf(Math.floor(now / 1000 / NONCE_PERIOD_SECONDS));
  }

  /** Whether `nonce` was made by this deployment in this period or the previous one. */
  isValid(nonce: unknown, now = Date.now()): boolean {
    if (typeof nonce !== 'string' || nonce.length > 64) return false;
    const period = Math.floor(now / 1000 / NONCE_PERIOD_SECONDS);
    return [period, period - 1].some((candidate) => {
      const expected = Buffer.from(this.nonceOf(candidate));
      const given = Buffer.from(nonce);
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private nonceOf(period: number): string {
    const mac = createHmac('sha256', this.key).update(String(period)).digest('base64url').slice(0, 32);
    return `${period.toString(36)}.${mac}`;
  }
}
