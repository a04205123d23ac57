import { applyDecorators } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiForbiddenResponse, ApiOAuth2, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Role } from '../../account-rules/account-rules.js';
import { FORBIDDEN_MESSAGE } from '../guards/roles.guard.js';
import { Roles } from './roles.decorator.js';

/**
 * Who may call a route, in one line: `@Auth()` for any signed-in user,
 * `@Auth('admin')` for admins. Every route is authenticated anyway (the guards
 * are global; open ones say @Public()): this carries the roles and the Swagger
 * security together, so the docs cannot disagree with the guards.
 */
export function Auth(...roles: Role[]) {
  const decorators = [
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
