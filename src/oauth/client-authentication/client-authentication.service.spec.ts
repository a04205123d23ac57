import { HttpException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfiguration } from '../../config/configuration.js';
import { migrations } from '../../database/migrations/index.js';
import { AuthenticationFailedException } from '../../http/authentication-failed.exception.js';
import { TooManyRequestsException } from '../../http/too-many-requests.exception.js';
import type { RedisService } from '../../redis/redis.service.js';
import type { SecurityEvent } from '../../security-events/security-event.js';
import { RateLimitsService } from '../../throttle/rate-limits.service.js';
import { hashOpaqueToken } from '../../tokens/opaque-token.js';
import type { ClientMetadata } from '../clients/client-metadata.js';
import { ClientsService } from '../clients/clients.service.js';
import { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import type { ClientAuthenticationRequest } from './client-authentication-method.js';
import { ClientAuthenticationService } from './client-authentication.service.js';
import { ClientSecretBasicMethod } from './client-secret-basic.method.js';
import { ClientSecretPostMethod } from './client-secret-post.method.js';
import { NoneMethod } from './none.method.js';

const ADMIN = { actorId: 1, request: null };
const WEB_APP = { clientName: 'Web app', redirectUris: ['https://app.example.com/cb'] };
const dataSources: DataSource[] = [];

/** The real service over a fresh in-memory database, with in-memory throttle counters. */
async function setUp(failuresPerAddress = 1000) {
  const dataSource = await new DataSource({ type: 'sqlite', database: ':memory:', entities: [OAuthClient], migrations, logging: false }).initialize();
  dataSources.push(dataSource);
  await dataSource.runMigrations();
  const events = new EventEmitter2({ wildcard: true });
  const audited: SecurityEvent[] = [];
  events.on('audit.**', (event: SecurityEvent) => audited.push(event));
  const config = { clients: { secretGraceSeconds: 60 }, throttle: { failuresPerAddress, windowSeconds: 60 } } as AppConfiguration;
  const clients = new ClientsService(dataSource.getRepository(OAuthClient), events, config);
  const limits = new RateLimitsService(config, { commands: null, keyPrefix: 'test:' } as unknown as RedisService, events);
  const methods = [new ClientSecretBasicMethod(clients), new ClientSecretPostMethod(clients), new NoneMethod()];
  const service = new ClientAuthenticationService(methods, clients, limits, events, config);
  const register = (metadata: Partial<ClientMetadata> = {}) => clients.create({ ...WEB_APP, ...metadata }, ADMIN);
  return { service, clients, audited, register, repository: dataSource.getRepository(OAuthClient) };
}

afterEach(async () => {
  await Promise.all(dataSources.splice(0).map((dataSource) => dataSource.destroy()));
});

/** Basic credentials as RFC 6749 §2.3.1 makes them: each part form-urlencoded, then Base64. */
const basic = (clientId: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const request = (authorization?: string, ip = '198.51.100.4'): ClientAuthenticationRequest => ({ headers: authorization === undefined ? {} : { authorization }, ip, id: 'request-1' });

/** The 401 the call fails with: its body and challenges. */
async function refusal(attempt: Promise<unknown>): Promise<{ body: Record<string, unknown>; challenges: string[] }> {
  const error = await attempt.then(
    () => expect.fail('authenticated'),
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(AuthenticationFailedException);
  const exception = error as AuthenticationFailedException;
  expect(exception.getStatus()).toBe(401);
  return { body: exception.getResponse() as Record<string, unknown>, challenges: exception.challenges };
}

describe('ClientAuthenticationService', () => {
  it('answers null when the request presents no client authentication', async () => {
    const { service } = await setUp();
    expect(await service.authenticate(request(), {})).toBeNull();
    expect(await service.authenticate(request('Bearer abc'), { grant_type: 'password' })).toBeNull();
    // What Swagger UI's password flow sends when no client is entered.
    expect(await service.authenticate(request('Basic Og=='), { client_id: '', client_secret: '' })).toBeNull();
  });

  it('client_secret_basic: the id and secret form-urlencoded inside Basic (RFC 6749 §2.3.1)', async () => {
    const { service, register, repository } = await setUp();
    const { client, clientSecret } = await register();
    expect((await service.authenticate(request(basic(client.clientId, clientSecret!)), {}))?.clientId).toBe(client.clientId);
    // A secret with a colon, a plus and a percent sign survives its encoding; "+" is a space.
    const odd = 'pa ss:w%rd+';
    await repository.update({ clientId: client.clientId }, { secretHash: hashOpaqueToken(odd) });
    const encoded = `Basic ${Buffer.from(`${client.clientId}:pa+ss%3Aw%25rd%2B`).toString('base64')}`;
    expect((await service.authenticate(request(encoded), {}))?.clientId).toBe(client.clientId);
    // With a client_id in the body naming the same client.
    expect((await service.authenticate(request(encoded), { client_id: client.clientId }))?.clientId).toBe(client.clientId);
  });

  it('client_secret_post: client_id and client_secret in the body', async () => {
    const { service, register } = await setUp();
    const { client, clientSecret } = await register({ tokenEndpointAuthMethod: 'client_secret_post' });
    expect((await service.authenticate(request(), { client_id: client.clientId, client_secret: clientSecret }))?.clientId).toBe(client.clientId);
  });

  it('none: a client_id alone, only for a client registered as public', async () => {
    const { service, register } = await setUp();
    const { client } = await register({ tokenEndpointAuthMethod: 'none' });
    expect((await service.authenticate(request(), { client_id: client.clientId }))?.clientId).toBe(client.clientId);
    const confidential = await register();
    const { body } = await refusal(service.authenticate(request(), { client_id: confidential.client.clientId }));
    expect(body.error_description).toBe('The client is registered for client_secret_basic, not none.');
  });

  it('none: a public client_id in Basic with an empty password (Swagger UI\'s password form) is taken as none; with a password it is refused', async () => {
    const { service, register } = await setUp();
    const { client } = await register({ tokenEndpointAuthMethod: 'none' });
    expect((await service.authenticate(request(basic(client.clientId, '')), {}))?.clientId).toBe(client.clientId);
    const { body } = await refusal(service.authenticate(request(basic(client.clientId, 'a-secret-it-cannot-have')), {}));
    expect(body.error_description).toBe('The client is registered for none, not client_secret_basic.');
    // A confidential client's empty password is a wrong secret, as ever.
    const confidential = await register();
    expect((await refusal(service.authenticate(request(basic(confidential.client.clientId, '')), {}))).body.error).toBe('invalid_client');
    // Where only confidential clients may come (introspection), it is refused like none.
    expect((await refusal(service.authenticate(request(basic(client.clientId, '')), {}, { confidentialOnly: true }))).body.error_description).toContain('A public client cannot use this endpoint');
  });

  it('confidentialOnly (introspection): a public client is refused, since anyone can send its client_id; a confidential one passes', async () => {
    const { service, register, audited } = await setUp();
    const { client } = await register({ tokenEndpointAuthMethod: 'none' });
    const { body } = await refusal(service.authenticate(request(), { client_id: client.clientId }, { confidentialOnly: true }));
    expect(body).toMatchObject({ error: 'invalid_client', error_description: 'A public client cannot use this endpoint: it needs a confidential client with its secret.' });
    expect(audited.at(-1)).toMatchObject({ type: 'client.authentication-failed', details: { clientId: client.clientId, reason: 'public-client' } });
    const confidential = await register();
    expect((await service.authenticate(request(basic(confidential.client.clientId, confidential.clientSecret!)), {}, { confidentialOnly: true }))?.clientId).toBe(confidential.client.clientId);
  });

  it('refuses with 401 invalid_client, the Basic challenge when Basic was sent, and audits without the secret', async () => {
    const { service, register, audited } = await setUp();
    const { client, clientSecret } = await register();
    const wrong = `${clientSecret}-wrong`;
    const { body, challenges } = await refusal(service.authenticate(request(basic(client.clientId, wrong)), {}));
    expect(body).toEqual({
      statusCode: 401,
      error: 'invalid_client',
      error_description: 'Client authentication failed: unknown client or wrong secret.',
      message: 'Client authentication failed: unknown client or wrong secret.',
    });
    expect(challenges).toEqual(['Basic realm="gatehouse", charset="UTF-8"']);
    expect(audited.at(-1)).toMatchObject({ type: 'client.authentication-failed', outcome: 'failure', clientAddress: '198.51.100.4', details: { clientId: client.clientId, reason: 'wrong-secret' } });
    expect(JSON.stringify(audited)).not.toContain(wrong);
    // Without Basic, no Basic challenge.
    const post = await refusal(service.authenticate(request(), { client_id: client.clientId, client_secret: wrong }));
    expect(post.challenges.join()).not.toContain('Basic');
  });

  it.each([
    ['an unknown client', () => request(basic('no-such-client', 'secret')), {}, 'unknown-client'],
    ['Basic that is not Base64', () => request('Basic %%%'), {}, 'malformed'],
    ['Basic that is not form-urlencoded', () => request(`Basic ${Buffer.from('%zz:secret').toString('base64')}`), {}, 'malformed'],
    ['client_secret without client_id', () => request(), { client_secret: 'secret' }, 'malformed'],
  ])('refuses %s', async (_, makeRequest, body, reason) => {
    const { service, audited } = await setUp();
    await refusal(service.authenticate(makeRequest(), body));
    expect(audited.at(-1)?.details.reason).toBe(reason);
  });

  it('refuses two methods at once (RFC 6749 §2.3), and a body client_id naming another client', async () => {
    const { service, register, audited } = await setUp();
    const { client, clientSecret } = await register();
    const both = await refusal(service.authenticate(request(basic(client.clientId, clientSecret!)), { client_id: client.clientId, client_secret: clientSecret }));
    expect(both.body.error_description).toMatch(/more than one client authentication method \(client_secret_basic, client_secret_post\)/);
    expect(audited.at(-1)?.details.reason).toBe('multiple-methods');
    const other = await register();
    await refusal(service.authenticate(request(basic(client.clientId, clientSecret!)), { client_id: other.client.clientId }));
    expect(audited.at(-1)?.details.reason).toBe('client-id-mismatch');
  });

  it('refuses a method the client is not registered for, even with the right secret', async () => {
    const { service, register } = await setUp();
    const { client, clientSecret } = await register({ tokenEndpointAuthMethod: 'client_secret_post' });
    const { body } = await refusal(service.authenticate(request(basic(client.clientId, clientSecret!)), {}));
    expect(body.error_description).toBe('The client is registered for client_secret_post, not client_secret_basic.');
  });

  it('takes the previous secret within its grace period', async () => {
    const { service, clients, register } = await setUp();
    const { client, clientSecret } = await register();
    const { clientSecret: next } = await clients.rotateSecret(client.clientId, ADMIN);
    expect(await service.authenticate(request(basic(client.clientId, clientSecret!)), {})).not.toBeNull();
    expect(await service.authenticate(request(basic(client.clientId, next)), {})).not.toBeNull();
  });

  it('with basicMayBeUser, leaves Basic credentials that are no client’s to the caller (a user at /auth/introspect)', async () => {
    const { service, register, audited } = await setUp();
    const options = { basicMayBeUser: true };
    expect(await service.authenticate(request(basic('resource-server', 'its-password')), {}, options)).toBeNull();
    expect(await service.authenticate(request('Basic %%%'), {}, options)).toBeNull();
    expect(audited).toEqual([]);
    // A client's Basic credentials are still checked as such…
    const { client, clientSecret } = await register();
    expect((await service.authenticate(request(basic(client.clientId, clientSecret!)), {}, options))?.clientId).toBe(client.clientId);
    await refusal(service.authenticate(request(basic(client.clientId, 'wrong')), {}, options));
    // …and Basic beside other client parameters is client authentication.
    await refusal(service.authenticate(request(basic('resource-server', 'its-password')), { client_id: 'resource-server' }, options));
  });

  it('counts failures per client address before checking, answers 429 beyond the limit (even the right secret), and lets successes cost nothing', async () => {
    const { service, register, audited } = await setUp(3);
    const { client, clientSecret } = await register();
    const right = () => service.authenticate(request(basic(client.clientId, clientSecret!)), {});
    for (let success = 0; success < 5; success++) expect(await right()).not.toBeNull();
    // Three wrong ones at once: all counted, all refused with 401.
    const wrong = await Promise.allSettled([1, 2, 3].map(() => service.authenticate(request(basic(client.clientId, 'wrong')), {})));
    expect(wrong.map((result) => ((result as PromiseRejectedResult).reason as HttpException).getStatus())).toEqual([401, 401, 401]);
    await expect(right()).rejects.toThrow(TooManyRequestsException);
    await expect(service.authenticate(request(basic('no-such-client', 'x')), {})).rejects.toThrow(TooManyRequestsException);
    expect(audited.filter((event) => event.type === 'throttle.blocked')).toMatchObject([{ details: { limiter: 'client-address' } }]);
    // Another address is not blocked.
    expect(await service.authenticate(request(basic(client.clientId, clientSecret!), '198.51.100.99'), {})).not.toBeNull();
  });
});
