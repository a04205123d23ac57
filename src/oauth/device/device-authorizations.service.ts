import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, MoreThan, Repository } from 'typeorm';
import type { Session } from '../../sessions/entities/session.entity.js';
import { hashOpaqueToken, mintOpaqueToken } from '../../tokens/opaque-token.js';
import { DeviceAuthorization } from './entities/device-authorization.entity.js';

/** RFC 8628 §6.1: consonants only, no vowels (no words) and none that look alike; 20^8 ≈ 2^34.6 codes. */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
/** How long the person has to enter the code (RFC 8628 §3.2 `expires_in`). */
export const DEVICE_CODE_TTL_SECONDS = 600;
/** The polling interval the device starts with (RFC 8628 §3.2 `interval`, its default). */
export const DEVICE_POLL_INTERVAL_SECONDS = 5;

/** The user code as entered: case and dashes (and spaces) ignored (RFC 8628 §6.1); null when it cannot be one. */
export function normalizeUserCode(entered: string): string | null {
  const code = entered.toUpperCase().replace(/[\s-]/g, '');
  return code.length === USER_CODE_LENGTH && [...code].every((letter) => USER_CODE_ALPHABET.includes(letter)) ? code : null;
}

/** How the code is shown (RFC 8628 §6.1): two groups of four, `XXXX-XXXX`. */
export function displayUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What a poll of the token endpoint finds (RFC 8628 §3.5). */
export type Poll =
  | { state: 'unknown' | 'expired' | 'pending' | 'denied' }
  | { state: 'slow_down'; interval: number }
  | { state: 'approved'; authorization: DeviceAuthorization };

/**
 * The device authorization requests: issued to a client, answered on the
 * verification page, polled and spent at the token endpoint. Every change of
 * state is one conditional UPDATE, so two instances (or two polls at once)
 * never both spend one.
 */
@Injectable()
export class DeviceAuthorizationsService {
  constructor(@InjectRepository(DeviceAuthorization) private readonly authorizations: Repository<DeviceAuthorization>) {}

  /** A new request for the client and scope: the device code (256 bits) and the user code, shown `XXXX-XXXX`. */
  async issue(clientId: string, scope: string[]): Promise<{ deviceCode: string; userCode: string }> {
    await this.authorizations.delete({ expiresAt: LessThan(new Date(Date.now() - 3600_000)) });
    const deviceCode = mintOpaqueToken();
    const expiresAt = new Date(Date.now() + DEVICE_CODE_TTL_SECONDS * 1000);
    // A clash of user codes among the live ones is rare (2^34.6 of them) but would make one unreachable: draw again.
    for (let attempt = 0; ; attempt++) {
      const userCode = Array.from({ length: USER_CODE_LENGTH }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]).join('');
      const row = { polls: 0, deviceCodeHash: hashOpaqueToken(deviceCode), userCodeHash: hashOpaqueToken(userCode), clientId, scope: scope.join(' '), status: 'pending' as const, pollInterval: DEVICE_POLL_INTERVAL_SECONDS, expiresAt };
      try {
        await this.authorizations.insert(row);
        return { deviceCode, userCode: displayUserCode(userCode) };
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  }

  /** The live, unanswered request a person's user code names, or null (unknown, expired or already answered). */
  async findPending(entered: string): Promise<DeviceAuthorization | null> {
    const code = normalizeUserCode(entered);
    if (!code) return null;
    return this.authorizations.findOneBy({ userCodeHash: hashOpaqueToken(code), status: 'pending', expiresAt: MoreThan(new Date()) });
  }

  /** The person's answer, within the browser session they signed in with; false when it was already answered or expired. */
  async answer(authorization: DeviceAuthorization, session: Session, allow: boolean): Promise<boolean> {
    const answer = allow ? { status: 'approved' as const, userId: session.userId, browserSessionId: session.id, amr: session.amr, authTime: session.authTime ?? session.createdAt } : { status: 'denied' as const };
    const result = await this.authorizations.update({ deviceCodeHash: authorization.deviceCodeHash, status: 'pending', expiresAt: MoreThan(new Date()) }, answer);
    return result.affected === 1;
  }

  /**
   * A poll by the client the device code was issued to (another client's poll
   * finds nothing). Polled sooner than the interval after the last poll:
   * slow_down, and the interval grows by 5 s (RFC 8628 §3.5). The poll time
   * is taken by a conditional UPDATE on the previous one, so of polls sent
   * at once only one goes further.
   */
  async poll(deviceCode: string, clientId: string): Promise<Poll> {
    const found = await this.authorizations.findOneBy({ deviceCodeHash: hashOpaqueToken(deviceCode) });
    if (!found || found.clientId !== clientId || found.status === 'issued') return { state: 'unknown' };
    const now = new Date();
    if (found.expiresAt.getTime() <= now.getTime()) return { state: 'expired' };
    const since = found.lastPolledAt ? now.getTime() - found.lastPolledAt.getTime() : Infinity;
    const tooSoon = since < found.pollInterval * 1000;
    const interval = tooSoon ? found.pollInterval + 5 : found.pollInterval;
    const claimed = await this.authorizations.update({ deviceCodeHash: found.deviceCodeHash, polls: found.polls }, { polls: found.polls + 1, lastPolledAt: now, pollInterval: interval });
    // Another poll moved it first: this one came too soon after it.
    if (tooSoon || claimed.affected !== 1) return { state: 'slow_down', interval };
    if (found.status === 'pending') return { state: 'pending' };
    if (found.status === 'denied') return { state: 'denied' };
    return { state: 'approved', authorization: found };
  }

  /** Spends an approved request for the tokens: one conditional UPDATE, so exactly one poll gets them. */
  async spend(authorization: DeviceAuthorization): Promise<boolean> {
    const result = await this.authorizations.update({ deviceCodeHash: authorization.deviceCodeHash, status: 'approved', expiresAt: MoreThan(new Date()) }, { status: 'issued' });
    return result.affected === 1;
  }
}
