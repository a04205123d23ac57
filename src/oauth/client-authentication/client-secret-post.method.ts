import { Injectable } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { bodyParameter, type ClientAuthenticationMethod, type ClientCredentials, type PresentedClient, type RequestBody } from './client-authentication-method.js';

/** `client_secret_post` (RFC 6749 §2.3.1): `client_id` and `client_secret` in the request body. */
@Injectable()
export class ClientSecretPostMethod implements ClientAuthenticationMethod {
  readonly name = 'client_secret_post';
  readonly proves = true;

  constructor(private readonly clients: ClientsService) {}

  read(_request: unknown, body: RequestBody): PresentedClient | null {
    const secret = bodyParameter(body, 'client_secret');
    if (secret === undefined) return null;
    const clientId = bodyParameter(body, 'client_id');
    return clientId === undefined ? { malformed: 'client_secret was sent without client_id' } : { clientId, secret };
  }

  verify(client: OAuthClient, { secret }: ClientCredentials): boolean {
    return this.clients.verifySecret(client, secret ?? '');
  }
}
