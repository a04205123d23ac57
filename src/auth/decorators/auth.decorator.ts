import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiForbiddenResponse, ApiOAuth2, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Role } from '../../account-rules/account-rules.js';
import { AuthenticatedGuard } from '../guards/authenticated.guard.js';
import { FORBIDDEN_MESSAGE, RolesGuard } from '../guards/roles.guard.js';
import { Roles } from './roles.decorator.js';

/**
 * Who may call a route, in one line: `@Auth()` for any signed-in user,
 * `@Auth('admin')` for admins. It applies the guards and the Swagger security
 * together, so the docs cannot disagree with the guard.
 */
export function Auth(...roles: Role[]) {
  const decorators = [
    UseGuards(AuthenticatedGuard, RolesGuard),
    ApiBearerAuth('bearer'),
    ApiBasicAuth('basic'),
    ApiOAuth2([], 'oauth2'),
    ApiUnauthorizedResponse({ description: 'No credentials, or bad ones (WWW-Authenticate says which schemes).' }),
  ];
  if (roles.length) {
    decorators.push(Roles(...roles), ApiForbiddenResponse({ description: FORBIDDEN_MESSAGE }));
  }
  return applyDecorators(...decorators);
}
