import { applyDecorators, type Type } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { OAuthErrorDto, oauthErrorExample } from '../dto/token-response.dto.js';

/**
 * The Swagger description every endpoint that authenticates its client as
 * the token endpoint does shares (the pushed authorization request endpoint,
 * RFC 9126 §2; the device authorization endpoint, RFC 8628 §3.1): a form or
 * JSON body, OAuth errors as JSON, invalid_client as 401, and the throttle of
 * failed client authentications.
 */
export function ClientAuthenticatedEndpoint(body: Type, badRequest: string): MethodDecorator {
  return applyDecorators(
    ApiConsumes('application/x-www-form-urlencoded', 'application/json'),
    ApiBody({ type: body }),
    ApiBadRequestResponse({ type: OAuthErrorDto, description: badRequest, example: oauthErrorExample(400, 'invalid_request', badRequest) }),
    ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'invalid_client: no or bad client authentication', example: oauthErrorExample(401, 'invalid_client', 'Client authentication failed.') }),
    ApiTooManyRequestsResponse({ description: 'Too many failed client authentications from this address (Retry-After says when to retry).' }),
  );
}
