import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { SessionsService } from '../sessions/sessions.service.js';
import { AccessTokensService } from '../tokens/access-tokens.service.js';
import { AuthorizationCode } from './authorization/entities/authorization-code.entity.js';
import { Consent } from './authorization/entities/consent.entity.js';
import { CLIENT_DELETED, ClientDeletedEvent } from './clients/events/client-events.js';

/**
 * OAUTH.md: "Deleting a client revokes every token issued to it." Its
 * sessions end (their refresh tokens and the access tokens issued in them
 * with them, on every instance), its client_credentials tokens are refused
 * by client (AccessTokensService.revokeClient), and its codes and consents go.
 */
@Injectable()
export class ClientTokensListener {
  constructor(
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokensService,
    @InjectRepository(AuthorizationCode) private readonly codes: Repository<AuthorizationCode>,
    @InjectRepository(Consent) private readonly consents: Repository<Consent>,
  ) {}

  @OnEvent(CLIENT_DELETED, { promisify: true, suppressErrors: false })
  async clientDeleted({ clientId }: ClientDeletedEvent): Promise<void> {
    await this.codes.delete({ clientId });
    await this.consents.delete({ clientId });
    await this.sessions.endForClient(clientId);
    await this.accessTokens.revokeClient(clientId);
  }
}
