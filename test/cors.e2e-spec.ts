import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp({ CORS_ORIGINS: 'https://app.example, http://localhost:5173' });
});
afterAll(() => testApp.close());

describe('CORS (CORS_ORIGINS)', () => {
  it('allows a listed origin and exposes the headers a client needs', async () => {
    const response = await testApp.http().get('/unprotected').set('Origin', 'http://localhost:5173').expect(200);
    expect(response.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(response.headers['access-control-expose-headers'].split(/,\s*/)).toEqual(['X-Request-Id', 'WWW-Authenticate', 'Retry-After']);
  });

  it('answers a preflight for an authenticated request from a listed origin', async () => {
    const response = await testApp
      .http()
      .options('/auth/me')
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(response.headers['access-control-allow-headers']).toContain('authorization');
  });

  it.each([
    ['PUT', '/auth/password'],
    ['PATCH', '/users/1'],
    ['DELETE', '/users/1'],
    ['GET', '/users'],
  ])('allows %s (as on %s) in a preflight from a listed origin', async (method, path) => {
    const response = await testApp
      .http()
      .options(path)
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', method)
      .set('Access-Control-Request-Headers', 'authorization, content-type');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(response.headers['access-control-allow-methods'].split(/,\s*/)).toContain(method);
  });

  it('answers the routes open to any origin (the token endpoint) with *, listed origin or not', async () => {
    for (const origin of ['https://app.example', 'https://agent.example']) {
      const response = await testApp.http().options('/auth/token').set('Origin', origin).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization, content-type');
      expect(response.status).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe('*');
      expect(response.headers['access-control-allow-methods'].split(/,\s*/)).toContain('POST');
    }
  });

  it('does not allow any other origin', async () => {
    const response = await testApp.http().get('/unprotected').set('Origin', 'https://evil.example').expect(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
