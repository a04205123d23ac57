import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { ClientAssertion } from './entities/client-assertion.entity.js';

/**
 * The jti of every client assertion accepted, until it expires (RFC 7523
 * §3 item 7: "MAY ensure that JWTs are not replayed"; OIDC Core §9 asks for
 * single use). In the database, so a replay to another instance fails too:
 * the insert of a pair already there violates the primary key.
 */
@Injectable()
export class ClientAssertionReplayService {
  constructor(@InjectRepository(ClientAssertion) private readonly assertions: Repository<ClientAssertion>) {}

  /** True the first time this client's jti is seen; false for a replay. Expired rows are purged on the way. */
  async firstUse(clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
    await this.assertions.delete({ expiresAt: LessThan(new Date()) });
    const jtiHash = createHash('sha256').update(jti, 'utf8').digest('hex');
    try {
      await this.assertions.insert({ clientId, jtiHash, expiresAt });
      return true;
    } catch {
      // A unique violation (SQLite SQLITE_CONSTRAINT, PostgreSQL 23505): seen before.
      return false;
    }
  }
}
