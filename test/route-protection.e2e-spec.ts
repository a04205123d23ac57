import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

/**
 * Every route is authenticated unless it says @Public(). This walks every
 * operation of the OpenAPI document and checks that exactly the routes the
 * contract (API.md, "auth: none") lists as open are open, and that the
 * document's security agrees with the guard.
 */
const OPEN_ROUTES = [
  'POST /auth',
  'POST /auth/token',
  'POST /auth/revoke',
  'POST /auth/email/verify',
  'POST /auth/password/forgot',
  'POST /auth/password/reset',
  'POST /auth/passkeys/authentication/options',
  'GET /unprotected',
  'GET /health',
  'GET /health/ready',
  'GET /.well-known/jwks.json',
  'GET /.well-known/oauth-authorization-server',
  'GET /.well-known/openid-configuration',
];

/** RFC 7592: protected by the client's registration access token alone (a Bearer token that is no account's), so the 401 offers Bearer only. */
const REGISTRATION_TOKEN_ROUTES = ['GET /register/{client_id}', 'PUT /register/{client_id}', 'DELETE /register/{client_id}'];

/** Open to accounts (no security in the document) but authenticated as a client, as at the token endpoint: without one, 401 invalid_client (RFC 6749 §5.2). */
const CLIENT_AUTHENTICATED_ROUTES = ['POST /auth/device', 'POST /auth/par'];

type Operation = { security?: unknown[] };
let testApp: TestApp;
let operations: { route: string; method: string; path: string; operation: Operation }[];

beforeAll(async () => {
  testApp = await createTestApp();
  const document = (await testApp.http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, Operation>> };
  operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, method, path: path.replace(/\{[^}]+\}/g, '1'), operation })),
  );
});
afterAll(() => testApp.close());

describe('protected unless said otherwise', () => {
  it('documents every route the contract lists as open, and more', () => {
    expect(operations.map((operation) => operation.route)).toEqual(expect.arrayContaining(OPEN_ROUTES));
    expect(operations.length).toBeGreaterThan(OPEN_ROUTES.length);
  });

  it('answers 401 with both challenges, without credentials, on every route but the open ones', async () => {
    const open: string[] = [];
    for (const { route, method, path } of operations) {
      const response = await testApp.http()[method as 'get'](path).send({});
      if (CLIENT_AUTHENTICATED_ROUTES.includes(route)) expect([response.status, response.body.error], route).toEqual([401, 'invalid_client']);
      else if (response.status !== 401) open.push(route);
      else if (REGISTRATION_TOKEN_ROUTES.includes(route)) expect(response.headers['www-authenticate'], route).toBe('Bearer realm="gatehouse", error="invalid_token"');
      else expect(response.headers['www-authenticate'], route).toContain('Basic realm="gatehouse"');
    }
    expect(open.sort()).toEqual([...OPEN_ROUTES].sort());
  });

  it('declares security in the document on exactly the protected routes', () => {
    const undeclared = operations.filter(({ operation }) => !operation.security?.length).map(({ route }) => route);
    expect(undeclared.sort()).toEqual([...OPEN_ROUTES, ...CLIENT_AUTHENTICATED_ROUTES].sort());
  });
});
