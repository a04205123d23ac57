import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { PinoLoggerService } from './pino-logger.service.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

describe('error log lines', () => {
  it('carry the error type, message, code and stack, never the SQL, its parameters or the driver’s row values', () => {
    const { logger, lines } = capture();
    const tokenHash = 'a'.repeat(64);
    const driverError = Object.assign(new Error('insert or update on table "refresh_tokens" violates foreign key constraint'), {
      code: '23503',
      detail: `Key (user_id)=(42) is not present in table "users".`,
    });
    const error = new QueryFailedError('INSERT INTO "refresh_tokens"("token_hash") VALUES ($1)', [tokenHash, '$2b$12$bcrypt-hash-of-someone'], driverError);
    // As Nest's exception handler logs an unexpected error.
    new PinoLoggerService(logger).error(error);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line.err).toMatchObject({ type: 'QueryFailedError', code: '23503', message: expect.stringContaining('violates foreign key constraint') });
    for (const secret of [tokenHash, 'INSERT INTO', '$2b$12$', 'Key (user_id)', 'parameters', 'driverError']) expect(lines[0]).not.toContain(secret);
  });
});
