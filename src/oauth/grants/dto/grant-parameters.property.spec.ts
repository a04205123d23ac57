import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClassConstructor } from 'class-transformer';
import { PasswordGrantDto } from './password-grant.dto.js';
import { RefreshTokenGrantDto } from './refresh-token-grant.dto.js';

async function errorsOf(body: Record<string, unknown>, type: ClassConstructor<object> = PasswordGrantDto): Promise<string[]> {
  const errors = await validate(plainToInstance(type, body), { whitelist: true, stopAtFirstError: true });
  return errors.map((error) => error.property);
}

const field = fc.string({ maxLength: 200 });
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { minLength: 1, maxLength: 3 }), fc.object({ maxDepth: 1 }));

describe('grant parameters (properties)', () => {
  it('accepts any password grant with string credentials, grant_type given or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(undefined, 'password'), field, field, async (grantType, username, password) => {
        expect(await errorsOf({ grant_type: grantType, username, password })).toEqual([]);
      }),
    );
  });

  it('refuses a password grant whose username or password is missing or not a string (a repeated form field is an array)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('username', 'password'), fc.option(notAString, { nil: undefined }), async (broken, value) => {
        const body: Record<string, unknown> = { username: 'alice', password: 'secret-password', [broken]: value };
        expect(await errorsOf(body)).toEqual([broken]);
      }),
    );
  });

  it('asks a refresh grant for refresh_token only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(field, { nil: undefined }), async (refreshToken) => {
        const errors = await errorsOf({ grant_type: 'refresh_token', refresh_token: refreshToken }, RefreshTokenGrantDto);
        expect(errors).toEqual(refreshToken === undefined ? ['refresh_token'] : []);
      }),
    );
  });

  it('ignores any extra parameter (RFC 6749 §3.2) rather than failing on it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter((key) => !['grant_type', 'username', 'password', 'refresh_token', 'scope', 'client_id', 'client_secret', '__proto__', 'constructor'].includes(key)), fc.string()), async (extra) => {
        expect(await errorsOf({ ...extra, username: 'alice', password: 'secret-password' })).toEqual([]);
      }),
    );
  });
});
