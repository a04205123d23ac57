import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

let testApp: TestApp;
let document: {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; summary?: string; security?: object[]; responses: Record<string, unknown>; requestBody?: { content: Record<string, unknown> } }>>;
  components: { securitySchemes: Record<string, unknown> };
};

beforeAll(async () => {
  testApp = await createTestApp();
  document = (await testApp.http().get('/docs-json').expect(200)).body;
});
afterAll(() => testApp.close());

describe('Swagger', () => {
  it('serves Swagger UI at /docs', async () => {
    const response = await testApp.http().get('/docs').redirects(1).expect(200);
    expect(response.text).toContain('swagger-ui');
  });

  it('declares bearer, basic and the OAuth2 password flow on /auth/token', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.components.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      basic: { type: 'http', scheme: 'basic' },
      oauth2: { type: 'oauth2', flows: { password: { tokenUrl: '/auth/token', refreshUrl: '/auth/token', scopes: {} } } },
    });
  });

  it.each([
    ['post', '/auth', ['201', '400', '409'], false],
    ['post', '/auth/token', ['200', '400', '401'], false],
    ['post', '/auth/revoke', ['200', '400'], false],
    ['get', '/auth/me', ['200', '401'], true],
    ['put', '/auth/password', ['204', '400', '401'], true],
    ['get', '/users', ['200', '400', '401', '403'], true],
    ['patch', '/users/{id}', ['200', '400', '401', '403', '404', '409'], true],
    ['delete', '/users/{id}', ['204', '400', '401', '403', '404', '409'], true],
    ['get', '/', ['200', '401'], true],
    ['get', '/unprotected', ['200'], false],
    ['get', '/protected', ['200', '401'], true],
    ['get', '/protected-admin', ['200', '401', '403'], true],
    ['get', '/health', ['200', '503'], false],
  ])('documents %s %s with its summary, responses and security', (method, path, codes, secured) => {
    const operation = document.paths[path]?.[method];
    expect(operation, `${method} ${path}`).toBeDefined();
    expect(operation.summary).toBeTruthy();
    expect(operation.operationId).toBeTruthy();
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(codes));
    if (secured) expect(operation.security).toEqual([{ bearer: [] }, { basic: [] }, { oauth2: [] }]);
    else expect(operation.security).toBeUndefined();
  });

  it('documents the grant types of the token endpoint', () => {
    const schema = JSON.stringify(document);
    expect(schema).toContain('"enum":["password","refresh_token","urn:gatehouse:params:oauth:grant-type:mfa-otp"]');
  });

  it('lets the token endpoint take a form, as the OAuth2 password flow sends it', () => {
    expect(Object.keys(document.paths['/auth/token'].post.requestBody!.content)).toEqual(['application/x-www-form-urlencoded', 'application/json']);
  });
});
