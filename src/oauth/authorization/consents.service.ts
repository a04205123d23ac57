import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { scopesOf } from '../../access/principal.js';
import type { RequestContext } from '../../http/request-context.js';
import { raiseSecurityEvent } from '../../security-events/security-event.js';
import { SessionsService } from '../../sessions/sessions.service.js';
import { Consent } from './entities/consent.entity.js';

/**
 * What users allowed clients that are not first-party (OAUTH.md, "Consent"):
 * asked the first time a user grants a client a set of scopes, remembered,
 * listed and withdrawn; withdrawing ends that client's sessions of the user.
 */
@Injectable()
export class ConsentsService {
  constructor(
    @InjectRepository(Consent) private readonly consents: Repository<Consent>,
    private readonly sessions: SessionsService,
    private readonly events: EventEmitter2,
  ) {}

  /** Whether the user already allowed the client every one of these scopes. */
  async covers(userId: number, clientId: string, scopes: string[]): Promise<boolean> {
    const consent = await this.consents.findOneBy({ userId, clientId });
    const granted = new Set(scopesOf(consent?.scope));
    return consent !== null && scopes.every((scope) => granted.has(scope));
  }

  /** Remembers the scopes, added to what was granted before (one row per user and client). */
  async grant(userId: number, clientId: string, scopes: string[], request: RequestContext): Promise<void> {
    const existing = await this.consents.findOneBy({ userId, clientId });
    const scope = [...new Set([...scopesOf(existing?.scope), ...scopes])].join(' ');
    await this.consents.upsert({ userId, clientId, scope }, { conflictPaths: ['userId', 'clientId'] });
    raiseSecurityEvent(this.events, { type: 'consent.granted', actorId: userId, subjectId: userId, request, details: { clientId, scope: scopes.join(' ') } });
  }

  async list(userId: number): Promise<Consent[]> {
    return this.consents.find({ where: { userId }, order: { updatedAt: 'DESC', id: 'DESC' } });
  }

  /** Withdrawn: the row goes, and so does every session the client holds for the user (its tokens with them). False: there was none. */
  async withdraw(userId: number, clientId: string, request: RequestContext): Promise<boolean> {
    const deleted = await this.consents.delete({ userId, clientId });
    if (!deleted.affected) return false;
    await this.sessions.endForClient(clientId, userId);
    raiseSecurityEvent(this.events, { type: 'consent.withdrawn', actorId: userId, subjectId: userId, request, details: { clientId } });
    return true;
  }
}
