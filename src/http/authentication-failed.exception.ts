import { UnauthorizedException } from '@nestjs/common';

/** A 401 that says which WWW-Authenticate challenge(s) go with it; HttpErrorsFilter writes the header. */
export class AuthenticationFailedException extends UnauthorizedException {
  constructor(
    message: string,
    readonly challenges: string[],
    body?: Record<string, unknown>,
  ) {
    super(body ?? { statusCode: 401, message, error: 'Unauthorized' });
  }
}
