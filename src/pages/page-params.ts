import { createParamDecorator, ValidationPipe, type ArgumentMetadata, type ExecutionContext, type Type } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Keys that would reach an object's prototype when class-transformer copies them: dropped like any unknown parameter. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Validation for hosted pages: the DTO's rules (class-validator), but unknown
 * parameters are dropped, not refused. The authorization endpoint MUST ignore
 * parameters it does not recognise (RFC 6749 §3.1), a form carries `_csrf`,
 * and a link may gain tracking parameters on its way through a mail. A
 * repeated parameter arrives as an array and fails its @IsString (RFC 6749
 * §3.1: parameters MUST NOT be included more than once). A refusal is a 400,
 * rendered as a page; the global StrictValidationPipe leaves these parameters
 * alone (custom decorators are not its business).
 */
export class PageValidationPipe extends ValidationPipe {
  constructor(dto: Type<object>) {
    super({
      expectedType: dto,
      validateCustomDecorators: true,
      whitelist: true,
      forbidNonWhitelisted: false,
      forbidUnknownValues: true,
      transform: true,
      stopAtFirstError: true,
    });
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const fields = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.entries(value) : [];
    const plain = Object.fromEntries(fields.filter(([key]) => !PROTOTYPE_KEYS.has(key)));
    return super.transform(plain, metadata);
  }
}

/** A page's query or form as named parameters, read one by one by its service: anything but an object (an array, nothing) has none. */
export const fieldsOf = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

const queryOf = createParamDecorator((_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<FastifyRequest>().query);
const bodyOf = createParamDecorator((_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<FastifyRequest>().body);

/** A hosted page's query, validated by `dto` with unknown parameters ignored (see PageValidationPipe). */
export const PageQuery = (dto: Type<object>): ParameterDecorator => queryOf(undefined, new PageValidationPipe(dto));

/** A hosted page's form, validated by `dto` with unknown fields (`_csrf` among them) ignored. */
export const PageBody = (dto: Type<object>): ParameterDecorator => bodyOf(undefined, new PageValidationPipe(dto));

/** A hosted page's form as posted, unvalidated: for a form that shows its refusal on itself (form-problem.ts validates it there). */
export const PageForm = (): ParameterDecorator => bodyOf();
