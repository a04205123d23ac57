import { STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, HttpException, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { BEARER_CHALLENGE } from './authentication-challenges.js';
import { isDatabaseUnavailable, isUniqueViolation } from '../database/database-errors.js';
import { AuthenticationFailedException } from './authentication-failed.exception.js';
import { TooManyRequestsException } from './too-many-requests.exception.js';
import { INSUFFICIENT_SCOPE_CHALLENGE, InsufficientScopeException } from './insufficient-scope.exception.js';

/** Gives every error Nest's full shape, {statusCode, message, error}, also those raised with a bare message. */
export function toHttpException(exception: unknown): unknown {
  if (exception instanceof HttpException) {
    const body = exception.getResponse();
    if (typeof body !== 'string') return exception;
    const status = exception.getStatus();
    return new HttpException({ statusCode: status, message: body, error: STATUS_CODES[status] ?? 'Error' }, status);
  }
  if (isDatabaseUnavailable(exception)) {
    return new HttpException({ statusCode: 503, message: 'The database is unavailable; try again shortly.', error: 'Service Unavailable' }, 503);
  }
  // A safety net: services map the races they expect, this catches the rest.
  if (isUniqueViolation(exception)) {
    return new HttpException({ statusCode: 409, message: 'The request conflicts with an existing record.', error: 'Conflict' }, 409);
  }
  return exception;
}

/** An error that names headers of its own for the response (the `DPoP-Nonce` of RFC 9449 §8 with `use_dpop_nonce`). */
const RESPONSE_HEADERS = Symbol('responseHeaders');

export function withResponseHeaders<T extends object>(error: T, headers: Record<string, string>): T {
  return Object.assign(error, { [RESPONSE_HEADERS]: headers });
}

/** The headers an error response carries: a challenge with every 401, Retry-After with every 429 and 503, and any the error names itself. */
export function errorHeaders(original: unknown, translated: unknown): Record<string, string> {
  const own = original !== null && typeof original === 'object' ? (original as { [RESPONSE_HEADERS]?: Record<string, string> })[RESPONSE_HEADERS] : undefined;
  return { ...standardErrorHeaders(original, translated), ...own };
}

function standardErrorHeaders(original: unknown, translated: unknown): Record<string, string> {
  if (translated instanceof HttpException && translated.getStatus() === HttpStatus.UNAUTHORIZED) {
    const challenges = original instanceof AuthenticationFailedException ? original.challenges : [BEARER_CHALLENGE];
    return { 'WWW-Authenticate': challenges.join(', ') };
  }
  if (original instanceof InsufficientScopeException) return { 'WWW-Authenticate': INSUFFICIENT_SCOPE_CHALLENGE };
  if (original instanceof TooManyRequestsException) return { 'Retry-After': String(original.retryAfterSeconds) };
  if (translated instanceof HttpException && translated.getStatus() === HttpStatus.SERVICE_UNAVAILABLE) return { 'Retry-After': '5' };
  return {};
}

/**
 * Every error leaves in Nest's JSON shape; every 401 carries WWW-Authenticate,
 * every 429 and 503 Retry-After; anything unexpected is a bare 500 (logged,
 * as type, message and stack only, never shown).
 */
@Catch()
export class HttpErrorsFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const translated = toHttpException(exception);
    const adapter = this.applicationRef ?? this.httpAdapterHost!.httpAdapter;
    const response = host.switchToHttp().getResponse();
    for (const [name, value] of Object.entries(errorHeaders(exception, translated))) adapter.setHeader(response, name, value);
    super.catch(translated, host);
  }
}
