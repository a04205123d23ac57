import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';

/**
 * Nest's ValidationPipe with `transform` also coerces path and query values
 * to the parameter's type, so `/users/1e3` would become user 1000 and
 * `/users/0x10` user 16. Input is refused, not repaired: primitives are left as
 * sent, for a dedicated pipe (such as UserIdPipe) to check. DTOs are still
 * transformed and validated as usual.
 */
export class StrictValidationPipe extends ValidationPipe {
  protected override transformPrimitive(value: unknown, _metadata: ArgumentMetadata): unknown {
    return value;
  }
}
