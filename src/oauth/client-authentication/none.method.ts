import { Injectable } from '@nestjs/common';
import { bodyParameter, type ClientAuthenticationMethod, type PresentedClient, type RequestBody } from './client-authentication-method.js';

/**
 * `none`: a public client (RFC 6749 §2.1) names itself with `client_id` in
 * the body and proves nothing. Accepted only for clients registered with
 * `none` (the dispatch checks that), whose grants protect themselves (PKCE,
 * refresh tokens bound to the client).
 */
@Injectable()
export class NoneMethod implements ClientAuthenticationMethod {
  readonly name = 'none';
  readonly proves = false;

  read(_request: unknown, body: RequestBody): PresentedClient | null {
    const clientId = bodyParameter(body, 'client_id');
    return clientId === undefined ? null : { clientId };
  }

  verify(): boolean {
    return true;
  }
}
