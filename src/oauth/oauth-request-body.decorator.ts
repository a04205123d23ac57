import { createParamDecorator, ValidationPipe, type ExecutionContext, type Type } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { oauthError, type OAuthErrorCode } from './oauth-error.exception.js';

const requestBody = createParamDecorator((_data: unknown, context: ExecutionContext): unknown => {
  return context.switchToHttp().getRequest<{ body?: unknown }>().body ?? {};
});

function messagesOf(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}

/**
 * The rules of RFC 6749 rather than the app's: unknown parameters are
 * ignored, not refused (§3.2), and errors come as `invalid_request` (§5.2).
 */
function oauthValidation(type: Type, errorCode: OAuthErrorCode = 'invalid_request'): ValidationPipe {
  return new ValidationPipe({
    expectedType: type,
    validateCustomDecorators: true,
    whitelist: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => oauthError(errorCode, messagesOf(errors)),
  });
}

/**
 * The body of an OAuth2 endpoint, validated against `type` (being a custom parameter decorator, the global ValidationPipe leaves it to this one).
 * `errorCode`: what a bad body is (RFC 7591 §3.2.2: `invalid_client_metadata` at the registration endpoint).
 */
export function OAuthRequestBody(type: Type, errorCode?: OAuthErrorCode): ParameterDecorator {
  return requestBody(undefined, oauthValidation(type, errorCode));
}

/** The same validation after a dispatch: the token endpoint knows the grant's parameters only once it has read grant_type. */
export async function validateOAuthParameters<T extends object>(type: Type<T>, body: unknown): Promise<T> {
  return (await oauthValidation(type).transform(body ?? {}, { type: 'body', metatype: type })) as T;
}
