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
