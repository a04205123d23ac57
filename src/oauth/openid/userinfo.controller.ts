import { applyDecorators, Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../../access/decorators/auth.decorator.js';
import { ClientsAllowed } from '../../access/decorators/clients-allowed.decorator.js';
import { CurrentPrincipal } from '../../access/decorators/current-user.decorator.js';
import type { Principal } from '../../access/principal.js';
import { UserinfoResponseDto } from './dto/userinfo-response.dto.js';
import { UserinfoService } from './userinfo.service.js';

const DESCRIPTION =
  'OIDC Core §5.3, with an access token issued to a client with `openid` (Authorization: Bearer). `sub`; with `profile` `preferred_username`; ' +
  'with `email` `email` and `email_verified`. A bad or expired token: 401 with `WWW-Authenticate: Bearer error="invalid_token"`; ' +
  'a token without `openid`, or a client_credentials token: 403 with `error="insufficient_scope"`.';

/** What GET and POST share: the answer, its documentation, and no-store (claims about a person: no cache along the way keeps them, RFC 9111 §5.2.2.5). */
const UserinfoOperation = (operationId: string, summary: string) =>
  applyDecorators(
    Header('Cache-Control', 'no-store'),
    ApiOperation({ operationId, summary, description: DESCRIPTION }),
    ApiOkResponse({ type: UserinfoResponseDto, description: 'The claims the token’s scopes release' }),
    ApiForbiddenResponse({ description: 'insufficient_scope: the token was not issued with `openid`, or to no person (client_credentials)' }),
  );

/** The UserInfo endpoint (OIDC Core §5.3): GET and POST (§5.3.1), the token in the Authorization header (RFC 6750 §2.1). */
@ApiTags('openid')
@Controller('auth/userinfo')
@Auth()
@ClientsAllowed()
export class UserinfoController {
  constructor(private readonly userinfo: UserinfoService) {}

  @Get()
  @UserinfoOperation('userinfo', 'The signed-in person’s claims (OpenID Connect UserInfo)')
  get(@CurrentPrincipal() principal: Principal): UserinfoResponseDto {
    return this.userinfo.claimsOf(principal);
  }

  @Post()
  @HttpCode(200)
  @UserinfoOperation('userinfoPost', 'The same claims, by POST (OIDC Core §5.3.1)')
  post(@CurrentPrincipal() principal: Principal): UserinfoResponseDto {
    return this.userinfo.claimsOf(principal);
  }
}
