import { randomInt } from 'node:crypto';
import { hashOpaqueToken as sha256, mintOpaqueToken } from '../tokens/opaque-token.js';
import { ConflictException, Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { IsNull, LessThan, MoreThan, MoreThanOrEqual, Not, Repository } from 'typeorm';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { isUniqueViolation } from '../database/database-errors.js';
import { KeyEncryption } from '../tokens/key-encryption.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { MfaChallenge } from './entities/mfa-challenge.entity.js';
import { RecoveryCode } from './entities/recovery-code.entity.js';
import { TotpFactor } from './entities/totp-factor.entity.js';

/** How long the `mfa_token` of a right password waits for its code. */
export const MFA_TOKEN_TTL_SECONDS = 300;
/** RFC 6238 §5.2: one time step of clock drift either way (30 s steps). */
const TOTP_TOLERANCE_SECONDS = 30;
const RECOVERY_CODE_COUNT = 10;
/**
 * Codes a pending enrolment is checked against; the last one wrong discards
 * it (NIST SP 800-63B §5.2.2 limits failed attempts per authenticator). A
 * stolen access token cannot start a new one: that takes the password.
 */
export const CONFIRMATION_ATTEMPTS = 5;
/** Recovery codes: 12 characters of a 32-letter alphabet without look-alikes (60 bits), shown as xxxx-xxxx-xxxx. */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const TOTP_CODE = /^\d{6}$/;

export const ALREADY_ON = 'Two-factor authentication is already on; turn it off first.';

export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  qrCode: string;
}

/**
 * What a confirmation code did: turned two-factor on (with the recovery
 * codes), was wrong, was wrong for the last time (the enrolment is gone), or
 * found no enrolment to check (none started, two-factor already on, or its
 * attempts spent): then no code was checked.
 */
export type EnrolmentConfirmation = { outcome: 'confirmed'; recoveryCodes: string[] } | { outcome: 'wrong-code' | 'discarded' | 'no-enrolment' };

/** What a live, unspent mfa_token stands for. */
export interface PendingChallenge {
  userId: number;
  credentialsVersion: number;
}

/** Recovery codes are compared without case, spaces or dashes, as people type them. */
const normaliseRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');

/**
 * TOTP two-factor (RFC 6238) and what goes with it: the secret (encrypted at
 * rest), recovery codes (hashed, spent by use) and the challenges between a
 * right password and its code. Every acceptance is one conditional UPDATE,
 * so a code, a recovery code or an mfa_token is accepted once, however
 * requests and instances interleave.
 */
@Injectable()
export class MfaService {
  constructor(
    @InjectRepository(TotpFactor) private readonly factors: Repository<TotpFactor>,
    @InjectRepository(RecoveryCode) private readonly recoveryCodes: Repository<RecoveryCode>,
    @InjectRepository(MfaChallenge) private readonly challenges: Repository<MfaChallenge>,
    private readonly usersService: UsersService,
    private readonly keyEncryption: KeyEncryption,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  /** A new secret awaiting its first code (replacing an earlier enrolment not confirmed); 409 when two-factor is on. */
  async beginEnrolment(user: User): Promise<TotpEnrolment> {
    if (user.totpEnabled) throw new ConflictException(ALREADY_ON);
    const secret = generateSecret();
    const encryptedSecret = this.keyEncryption.encrypt(secret, 'totp-secret-encryption');
    const replaced = await this.factors.update({ userId: user.id, confirmedAt: IsNull() }, { encryptedSecret, lastTimeStep: null, confirmationAttempts: 0, createdAt: new Date() });
    if (!replaced.affected) {
      try {
        await this.factors.insert({ userId: user.id, encryptedSecret });
      } catch (error) {
        // A confirmed factor (or a concurrent enrolment) holds the row.
        if (isUniqueViolation(error)) throw new ConflictException(ALREADY_ON);
        throw error;
      }
    }
    const otpauthUri = generateURI({ issuer: this.issuerName(), label: user.username, secret });
    return { secret, otpauthUri, qrCode: await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2 }) };
  }

  /**
   * The first code turns two-factor on and gives the recovery codes (shown
   * once). Each try is counted on the pending enrolment before its code is
   * checked, by one conditional UPDATE, so however tries interleave (requests,
   * instances) no more than CONFIRMATION_ATTEMPTS codes are ever checked; the
   * last of them wrong discards the enrolment.
   */
  async confirmEnrolment(userId: number, code: string): Promise<EnrolmentConfirmation> {
    if (!(await this.countConfirmationAttempt(userId))) return { outcome: 'no-enrolment' };
    if (!(await this.acceptTotp(userId, code, false))) {
      const discarded = await this.factors.delete({ userId, confirmedAt: IsNull(), confirmationAttempts: MoreThanOrEqual(CONFIRMATION_ATTEMPTS) });
      return { outcome: discarded.affected ? 'discarded' : 'wrong-code' };
    }
    const confirmed = await this.factors.update({ userId, confirmedAt: IsNull() }, { confirmedAt: new Date() });
    if (!confirmed.affected) return { outcome: 'no-enrolment' };
    const recoveryCodes = await this.replaceRecoveryCodes(userId);
    await this.usersService.setTotpEnabled(userId, true);
    return { outcome: 'confirmed', recoveryCodes };
  }

  /** A TOTP code (accepted once) or a recovery code (spent) of the account's confirmed factor. */
  async verifyCode(userId: number, code: string): Promise<'totp' | 'recovery' | null> {
    if (TOTP_CODE.test(code)) return (await this.acceptTotp(userId, code, true)) ? 'totp' : null;
    const spent = await this.recoveryCodes.update({ userId, codeHash: sha256(normaliseRecoveryCode(code)), usedAt: IsNull() }, { usedAt: new Date() });
    return spent.affected ? 'recovery' : null;
  }

  /** New recovery codes for an account with two-factor on: the old ones, used or not, stop working (shown once, like the first). */
  async regenerateRecoveryCodes(userId: number): Promise<string[]> {
    return this.replaceRecoveryCodes(userId);
  }

  /** Two-factor off: the secret and the recovery codes are deleted. */
  async disable(userId: number): Promise<void> {
    await this.factors.delete({ userId });
    await this.recoveryCodes.delete({ userId });
    await this.usersService.setTotpEnabled(userId, false);
  }

  /** The mfa_token for a right password; only its hash is stored. Expired challenges are purged on the way. */
  async createChallenge(user: Pick<User, 'id' | 'credentialsVersion'>): Promise<string> {
    await this.challenges.delete({ expiresAt: LessThan(new Date()) });
    const token = mintOpaqueToken();
    await this.challenges.insert({ tokenHash: sha256(token), userId: user.id, credentialsVersion: user.credentialsVersion, expiresAt: new Date(Date.now() + MFA_TOKEN_TTL_SECONDS * 1000) });
    return token;
  }

  /** What a live, unspent mfa_token stands for, or null. */
  async findChallenge(token: string): Promise<PendingChallenge | null> {
    const challenge = await this.challenges.findOneBy({ tokenHash: sha256(token), usedAt: IsNull(), expiresAt: MoreThan(new Date()) });
    return challenge && { userId: challenge.userId, credentialsVersion: challenge.credentialsVersion };
  }

  /** Spends the mfa_token: true for exactly one caller, on any instance. */
  async spendChallenge(token: string): Promise<boolean> {
    const spent = await this.challenges.update({ tokenHash: sha256(token), usedAt: IsNull(), expiresAt: MoreThan(new Date()) }, { usedAt: new Date() });
    return spent.affected === 1;
  }

  /**
   * A TOTP code of the pending (`confirmed` false) or confirmed secret, within
   * one step of drift, and of a later time step than any accepted before: the
   * step is recorded by a conditional UPDATE, so a replay, even a concurrent
   * one, is refused.
   */
  private async acceptTotp(userId: number, code: string, confirmed: boolean): Promise<boolean> {
    if (!TOTP_CODE.test(code)) return false;
    const factor = await this.factors.findOneBy({ userId, confirmedAt: confirmed ? Not(IsNull()) : IsNull() });
    const secret = factor && this.keyEncryption.decrypt(factor.encryptedSecret, 'totp-secret-encryption');
    if (!factor || !secret) return false;
    const result = await verify({ secret, token: code, epochTolerance: TOTP_TOLERANCE_SECONDS });
    // The result of a TOTP verification names its time step (an HOTP one would not).
    if (!result.valid || !('timeStep' in result)) return false;
    if (factor.lastTimeStep !== null && result.timeStep <= factor.lastTimeStep) return false;
    const recorded = await this.factors
      .createQueryBuilder()
      .update()
      .set({ lastTimeStep: result.timeStep })
      .where('user_id = :userId AND (last_time_step IS NULL OR last_time_step < :step)', { userId, step: result.timeStep })
      .execute();
    return recorded.affected === 1;
  }

  /**
   * One try of the pending enrolment, taken while any is left: the UPDATE
   * re-checks the count on the row it writes (PostgreSQL re-reads a row a
   * concurrent write changed; SQLite writes one at a time), so concurrent tries
   * cannot all pass a count read before any of them was written.
   */
  private async countConfirmationAttempt(userId: number): Promise<boolean> {
    const counted = await this.factors
      .createQueryBuilder()
      .update()
      .set({ confirmationAttempts: () => 'confirmation_attempts + 1' })
      .where('user_id = :userId AND confirmed_at IS NULL AND confirmation_attempts < :limit', { userId, limit: CONFIRMATION_ATTEMPTS })
      .execute();
    return counted.affected === 1;
  }

  private async replaceRecoveryCodes(userId: number): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
      const characters = Array.from({ length: 12 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
      return `${characters.slice(0, 4)}-${characters.slice(4, 8)}-${characters.slice(8)}`;
    });
    await this.recoveryCodes.delete({ userId });
    await this.recoveryCodes.insert(codes.map((code) => ({ userId, codeHash: sha256(normaliseRecoveryCode(code)) })));
    return codes;
  }

  /** What authenticator apps show above the code: this deployment, by its issuer's host. */
  private issuerName(): string {
    try {
      return `Gatehouse (${new URL(this.config.jwt.issuer).host})`;
    } catch {
      return 'Gatehouse';
    }
  }
}
