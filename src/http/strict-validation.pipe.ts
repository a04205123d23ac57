import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';

/** Keys class-transformer drops without a word: refused like any unknown field, not ignored. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * Nest's ValidationPipe with `transform` also coerces path and query values
 * to the parameter's type, so `/users/1e3` would become user 1000 and
 * `/users/0x10` user 16. Input is refused, not repaired: primitives are left as
 * sent, for a dedicated pipe (such as UserIdPipe) to check. DTOs are still
 * transformed and validated as usual. Prototype keys in a body are refused.
 */
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, transform: true, stopAtFirstError: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && typeof value === 'object' && value !== null) {
      const forbidden = PROTOTYPE_KEYS.filter((key) => Object.hasOwn(value, key));
      if (forbidden.length) throw new BadRequestException(forbidden.map((key) => `property ${key} should not exist`));
    }
    return super.transform(value, metadata);
  }

  protected override transformPrimitive(value: unknown, _metadata: ArgumentMetadata): unknown {
    return value;
  }
}
