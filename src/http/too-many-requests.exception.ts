import { HttpException, HttpStatus } from '@nestjs/common';

/** A 429 that says when to come back; HttpErrorsFilter writes it as Retry-After (seconds). */
export class TooManyRequestsException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super({ statusCode: HttpStatus.TOO_MANY_REQUESTS, message, error: 'Too Many Requests' }, HttpStatus.TOO_MANY_REQUESTS);
  }
}
