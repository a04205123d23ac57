import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { isUniqueViolation } from '../database/database-errors.js';
import { RedisService } from '../redis/redis.service.js';
import { UsedIdentifier } from './entities/used-identifier.entity.js';
import { insertRows } from '../database/insert-rows.js';

/** Scopes longer than the column are hashed into it. */
const MAX_SCOPE_LENGTH = 128;

/**
 * Single use of an identifier across every instance, until it expires: the
 * `jti` of a client assertion (RFC 7523 §3 item 7, OIDC Core §9) or of a DPoP
 * proof (RFC 9449 §11.1). With Redis (REDIS_URL), one `SET NX` with the
 * expiry: atomic, no table to purge. Without it, or while Redis is away, the
 * database: the insert of a pair already there violates the primary key.
 * (While Redis is away an identifier first seen by Redis is not in the table:
 * a replay in that window is refused only by its short lifetime.)
 */
@Injectable()
export class SingleUseService {
  private readonly logger = new Logger(SingleUseService.name);

  constructor(
    @InjectRepository(UsedIdentifier) private readonly used: Repository<UsedIdentifier>,
    private readonly redis: RedisService,
  ) {}

  /** True the first time `id` is seen in `scope`; false for a replay. */
  async firstUse(scope: string, id: string, expiresAt: Date): Promise<boolean> {
    const idHash = createHash('sha256').update(id, 'utf8').digest('hex');
    const key = scope.length > MAX_SCOPE_LENGTH ? `h:${createHash('sha256').update(scope, 'utf8').digest('hex')}` : scope;
    const commands = this.redis.commands;
    if (commands) {
      const ttl = Math.max(1000, expiresAt.getTime() - Date.now());
      try {
        return (await commands.set(`${this.redis.keyPrefix}used:${key}:${idHash}`, '1', 'PX', ttl, 'NX')) === 'OK';
      } catch (error) {
        this.logger.warn(`Redis unavailable for single-use identifiers, using the database: ${(error as Error).message}`);
      }
    }
    await this.used.delete({ expiresAt: LessThan(new Date()) });
    try {
      await insertRows(this.used, { scope: key, idHash, expiresAt });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}
