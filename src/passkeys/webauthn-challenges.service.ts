import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, MoreThan, Repository } from 'typeorm';
import { WebAuthnChallenge, type ChallengePurpose } from './entities/webauthn-challenge.entity.js';

/** OAUTH.md: a challenge is good for 5 minutes, once. The options' `timeout` says the same to the browser. */
export const CHALLENGE_TTL_SECONDS = 300;

/** A challenge just made: the value for the options, and the id a sign-in sends back with its answer. */
export interface IssuedChallenge {
  id: string;
  challenge: string;
}

/**
 * The challenges of ceremonies under way (WebAuthn §13.4.3), in the database
 * every instance shares, as the MFA challenges and client assertions are
 * kept: an answer may reach any instance. Spending one is a single DELETE
 * of a live row: of two requests answering the same challenge, on one
 * instance or two, the database lets exactly one delete it, and only that one
 * goes on to verify a signature. With REDIS_URL too: the database is the one
 * store every instance already shares transactionally, and a challenge is
 * written once per ceremony, not per request.
 */
@Injectable()
export class WebAuthnChallengesService {
  constructor(@InjectRepository(WebAuthnChallenge) private readonly challenges: Repository<WebAuthnChallenge>) {}

  /** A new random challenge (256 bits) for `purpose`; expired ones are purged on the way, so the table holds at most five minutes of them. */
  async issue(purpose: ChallengePurpose, userId: number | null): Promise<IssuedChallenge> {
    await this.challenges.delete({ expiresAt: LessThan(new Date()) });
    const issued = { id: randomBytes(16).toString('base64url'), challenge: randomBytes(32).toString('base64url') };
    await this.challenges.insert({ ...issued, purpose, userId, expiresAt: new Date(Date.now() + CHALLENGE_TTL_SECONDS * 1000) });
    return issued;
  }

  /** Spends the sign-in challenge `id`: its value, or null when it is unknown, expired, or another request spent it first. */
  async spendById(id: string, purpose: ChallengePurpose): Promise<string | null> {
    const row = await this.challenges.findOneBy({ id, purpose, expiresAt: MoreThan(new Date()) });
    return row && (await this.spend(row.id)) ? row.challenge : null;
  }

  /** Spends the registration challenge an answer echoes (clientDataJSON.challenge), if it was issued to this account: its value, or null. */
  async spendForUser(challenge: string, userId: number, purpose: ChallengePurpose): Promise<string | null> {
    const row = await this.challenges.findOneBy({ challenge, userId, purpose, expiresAt: MoreThan(new Date()) });
    return row && (await this.spend(row.id)) ? row.challenge : null;
  }

  /** The one conditional write: true for the request whose DELETE removed the row. */
  private async spend(id: string): Promise<boolean> {
    return (await this.challenges.delete({ id, expiresAt: MoreThan(new Date()) })).affected === 1;
  }
}
