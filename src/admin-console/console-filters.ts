import { createParamDecorator, type ExecutionContext, type Type } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { PageValidationPipe } from '../pages/page-params.js';

/** The query of a console's GET form, its empty fields dropped (a filter left blank is sent as `type=`), as named text. */
export function filledQuery(http: FastifyRequest): Record<string, string> {
  const query = (http.query ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
}

const filledQueryOf = createParamDecorator((_data: unknown, context: ExecutionContext) => filledQuery(context.switchToHttp().getRequest<FastifyRequest>()));

/** A GET form's filters, validated by `dto` (a 400 page naming the field) with blank ones left out. */
export const ConsoleFilters = (dto: Type<object>): ParameterDecorator => filledQueryOf(undefined, new PageValidationPipe(dto));
