import { Injectable } from '@nestjs/common';
import { parseBasicCredentials } from '../../access/basic-credentials.js';
import { ClientsService } from '../clients/clients.service.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import type { ClientAuthenticationMethod, ClientAuthenticationRequest, ClientCredentials, PresentedClient } from './client-authentication-method.js';

/** application/x-www-form-urlencoded decoding of one component: `+` is a space, then percent-decoding. Null when it is not valid. */
function formDecoded(component: string): string | null {
  try {
    return decodeURIComponent(component.replace(/\+/g, '%20'));
  } catch {
    return null;
  }
}

/**
 * `client_secret_basic` (RFC 6749 §2.3.1): HTTP Basic whose user name and
 * password are the client_id and secret, each form-urlencoded first (so a
 * colon in either survives). Split at the first colon, then decoded. Basic
 * with an empty user name (`Basic Og==`, Swagger UI with no client entered)
 * names no client.
 */
@Injectable()
export class ClientSecretBasicMethod implements ClientAuthenticationMethod {
  readonly name = 'client_secret_basic';
  readonly proves = true;

  constructor(private readonly clients: ClientsService) {}

  read(request: ClientAuthenticationRequest): PresentedClient | null {
    const header = request.headers.authorization;
    if (!header || !/^basic(\s|$)/i.test(header)) return null;
    const credentials = parseBasicCredentials(header);
    if (!credentials.ok) return { malformed: `Basic client credentials: ${credentials.reason}` };
    const [clientId, secret] = [formDecoded(credentials.username), formDecoded(credentials.password)];
    if (clientId === null || secret === null) return { malformed: 'Basic client credentials: the client_id and secret must be form-urlencoded (RFC 6749 §2.3.1)' };
    return clientId === '' ? null : { clientId, secret };
  }

  verify(client: OAuthClient, { secret }: ClientCredentials): boolean {
    return this.clients.verifySecret(client, secret ?? '');
  }
}
