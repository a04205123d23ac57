import { Injectable } from '@nestjs/common';
import type { Principal } from '../../access/principal.js';
import { InsufficientScopeException } from '../../http/insufficient-scope.exception.js';
import type { UserinfoResponseDto } from './dto/userinfo-response.dto.js';
import { OPENID_SCOPE } from './id-tokens.service.js';
import { scopeClaims } from './scope-claims.js';

/**
 * The UserInfo endpoint's answer (OIDC Core §5.3): the claims about the
 * person that the access token's scopes release. Only a token issued to a
 * client with `openid` reaches them (§5.3.1); anything else that
 * authenticated (a client_credentials token, no person; a first-party token
 * or Basic, no scope) is refused with insufficient_scope (RFC 6750 §3.1).
 */
@Injectable()
export class UserinfoService {
  claimsOf(principal: Principal): UserinfoResponseDto {
    if (principal.kind !== 'person' || principal.clientId === undefined || !principal.scopes?.includes(OPENID_SCOPE)) {
      throw new InsufficientScopeException(`The UserInfo endpoint needs an access token of a person issued with the "${OPENID_SCOPE}" scope.`);
    }
    return { sub: String(principal.user.id), ...scopeClaims(principal.user, principal.scopes) };
  }
}
