import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp();
});
afterAll(() => testApp.close());

describe('HTTP hygiene', () => {
  it('sends security headers (helmet) with a CSP, and no X-Powered-By', async () => {
    const response = await testApp.http().get('/unprotected').expect(200);
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('sends every helmet header on every kind of answer: success, 401, 404, a bad body', async () => {
    const helmetHeaders = [
      'content-security-policy',
      'cross-origin-opener-policy',
      'cross-origin-resource-policy',
      'origin-agent-cluster',
      'referrer-policy',
      'strict-transport-security',
      'x-content-type-options',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-frame-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
    ];
    const answers = [
      await testApp.http().get('/unprotected').expect(200),
      await testApp.http().get('/').expect(401),
      await testApp.http().get('/nowhere').expect(404),
      await testApp.http().post('/auth').set('Content-Type', 'application/json').send('{"username":').expect(400),
    ];
    for (const answer of answers) {
      for (const header of helmetHeaders) expect(answer.headers[header], `${header} on ${answer.status}`).toBeTruthy();
      expect(answer.headers['x-xss-protection']).toBe('0');
      expect(answer.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    }
  });

  it('gives every response an X-Request-Id, keeping a sane one the caller sent', async () => {
    const generated = await testApp.http().get('/unprotected').expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await testApp.http().get('/nowhere').set('X-Request-Id', 'trace-42.a:b_c').expect(404);
    expect(kept.headers['x-request-id']).toBe('trace-42.a:b_c');
    const replaced = await testApp.http().get('/unprotected').set('X-Request-Id', 'bad id\twith "quotes"').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends no CORS headers when CORS_ORIGINS is not set', async () => {
    const response = await testApp.http().get('/unprotected').set('Origin', 'https://evil.example').expect(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
