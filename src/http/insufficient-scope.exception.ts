import { ForbiddenException } from '@nestjs/common';
import { REALM } from './authentication-challenges.js';

/** RFC 6750 §3.1: the token is good but does not reach this route; HttpErrorsFilter writes the challenge. */
export const INSUFFICIENT_SCOPE_CHALLENGE = `Bearer realm="${REALM}", error="insufficient_scope"`;

export class InsufficientScopeException extends ForbiddenException {
  constructor(message: string) {
    super({ statusCode: 403, message, error: 'insufficient_scope' });
  }
}
