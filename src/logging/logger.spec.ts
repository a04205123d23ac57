import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { createLogger, logRequests, requestLogLevel } from './logger.js';
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

describe('redaction', () => {
  it('censors passwords and tokens in the application’s log lines', () => {
    const { logger, lines } = capture();
    logger.info({ body: { password: 'hunter2-secret', refresh_token: 'rt-secret' }, req: { headers: { authorization: 'Bearer abc.def' } } }, 'something');
    expect(lines[0]).not.toMatch(/hunter2-secret|rt-secret|abc\.def/);
    expect(JSON.parse(lines[0]).body.password).toBe('[redacted]');
  });
});

describe('request log lines', () => {
  it('carry id, method, path, address, user agent, status and time — never headers, credentials or the query string', async () => {
    const { logger, lines } = capture();
    const fastify = Fastify();
    logRequests(fastify, logger);
    fastify.get('/hello', async () => ({ ok: true }));
    await fastify.inject({ method: 'GET', url: '/hello?access_token=query-secret', headers: { authorization: 'Bearer header-secret', 'user-agent': 'spec-agent' } });
    await fastify.close();
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({ level: 30, msg: 'request completed', req: { method: 'GET', path: '/hello', userAgent: 'spec-agent' }, res: { statusCode: 200 } });
    expect(Object.keys(line.req).sort()).toEqual(['id', 'method', 'path', 'remoteAddress', 'userAgent']);
    expect(lines[0]).not.toMatch(/query-secret|header-secret/);
  });
});

describe('request log levels', () => {
  it('a 401 is info (clients meet it in their ordinary course); other client errors warn; server errors error', () => {
    expect([200, 302, 401, 400, 403, 404, 429, 500, 503].map(requestLogLevel)).toEqual(['info', 'info', 'info', 'warn', 'warn', 'warn', 'warn', 'error', 'error']);
  });
});

describe("Nest's own lines", () => {
  it('module and route lines are debug, the started line info, and a failed listen is left to listen()', () => {
    const { logger, lines } = capture();
    const nest = new PinoLoggerService(logger);
    nest.log('Starting Nest application...', 'NestFactory');
    nest.log('AppModule dependencies initialized', 'InstanceLoader');
    nest.log('HealthController {/health}:', 'RoutesResolver');
    nest.log('Mapped {/health, GET} route', 'RouterExplorer');
    nest.log('Nest application successfully started', 'NestApplication');
    nest.error('Error: listen EADDRINUSE: address already in use 127.0.0.1:3000', 'NestApplication');
    nest.error('Error: something else', 'NestApplication');
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['Nest application successfully started', 'Error: something else']);
  });
});
