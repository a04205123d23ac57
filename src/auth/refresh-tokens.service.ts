import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, Repository } from 'typeorm';
import { appConfiguration, type AppConfig } from '../config/configuration.js';
import { RefreshToken } from './entities/refresh-token.entity.js';

/** Why a refresh token was refused: the caller answers all of them with the same invalid_grant. */
export type RefreshRefusal = 'unknown' | 'expired' | 'revoked' | 'reused';

export type RotationResult = { ok: true; userId: number; next: string } | { ok: false; reason: RefreshRefusal };

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Opaque refresh tokens with rotation and reuse detection (OAuth 2.0 Security
 * BCP §4.14). Every state change is one conditional statement, so concurrent
 * requests cannot both win, on SQLite or PostgreSQL, on one instance or many.
 */
@Injectable()
export class RefreshTokensService {
  constructor(
    @InjectRepository(RefreshToken) private readonly refreshTokens: Repository<RefreshToken>,
    @Inject(appConfiguration.KEY) private readonly config: AppConfig,
  ) {}

  /** Starts a new family (a login) for the user. Expired tokens are purged on the way, so the table stays bounded. */
  async issue(userId: number): Promise<string> {
    await this.purgeExpired();
    return this.insert(userId, randomUUID(), null);
  }

  /**
   * Spends `token` and returns its successor. A token that was already spent
   * (replayed, or lost a race for the same token) revokes its whole family.
   */
  async rotate(token: string): Promise<RotationResult> {
    const current = await this.refreshTokens.findOneBy({ tokenHash: hashToken(token) });
    if (!current) return { ok: false, reason: 'unknown' };
    if (current.revokedAt) return { ok: false, reason: 'revoked' };
    if (current.spentAt) {
      await this.revokeFamily(current.familyId);
      return { ok: false, reason: 'reused' };
    }
    const now = new Date();
    if (current.expiresAt <= now) return { ok: false, reason: 'expired' };

    const spent = await this.refreshTokens
      .createQueryBuilder()
      .update()
      .set({ spentAt: now })
      .where({ id: current.id, spentAt: IsNull(), revokedAt: IsNull() })
      .execute();
    if (spent.affected !== 1) {
      await this.revokeFamily(current.familyId);
      return { ok: false, reason: 'reused' };
    }
    const next = await this.insert(current.userId, current.familyId, current.id);
    return { ok: true, userId: current.userId, next };
  }

  /** RFC 7009: revokes the token's family (that login); an unknown token is no error. */
  async revoke(token: string): Promise<void> {
    const current = await this.refreshTokens.findOneBy({ tokenHash: hashToken(token) });
    if (current) await this.revokeFamily(current.familyId);
  }

  async revokeAllForUser(userId: number): Promise<void> {
    await this.refreshTokens.update({ userId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.refreshTokens.update({ familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  private async purgeExpired(): Promise<void> {
    await this.refreshTokens.delete({ expiresAt: LessThan(new Date()) });
  }

  private async insert(userId: number, familyId: string, parentId: number | null): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000);
    await this.refreshTokens.insert({ userId, familyId, parentId, tokenHash: hashToken(token), expiresAt });
    return token;
  }
}
