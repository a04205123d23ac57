import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';

/** EMAIL_ENABLED=false: no addresses, no verification, no password reset; everything else as before. */
const OFF = 'E-mail addresses, verification and password reset are turned off on this service (EMAIL_ENABLED=false).';
let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp({ EMAIL_ENABLED: 'false' });
});
afterAll(() => testApp.close());

describe('with e-mail turned off', () => {
  it('answers 404 on the e-mail routes, saying why, and refuses an address at registration', async () => {
    const { user, password } = await registerAndLogin(testApp, 'no-mail');
    const auth = basic(user.username, password);
    for (const [method, path, body] of [
      ['put', '/auth/email', { email: 'no-mail@example.test', currentPassword: password }],
      ['post', '/auth/email/resend', {}],
      ['post', '/auth/email/verify', { email: 'no-mail@example.test', code: '123456' }],
      ['post', '/auth/password/forgot', { username: 'no-mail' }],
      ['post', '/auth/password/reset', { token: 'x'.repeat(43), newPassword: 'violet-tangerine-kayak' }],
    ] as const) {
      const answer = await testApp.http()[method](path).set('Authorization', auth).send(body).expect(404);
      expect(answer.body, `${method} ${path}`).toEqual({ statusCode: 404, error: 'Not Found', message: OFF });
    }
    // The pages the mails link to, too: as pages.
    for (const path of ['/verify-email', `/reset-password?token=${'x'.repeat(43)}`]) {
      const page = await testApp.http().get(path).expect(404);
      expect(page.headers['content-type'], path).toBe('text/html; charset=utf-8');
      expect(page.text).toContain(OFF);
    }
    const refused = await testApp.http().post('/auth').send({ username: 'with-mail', password, email: 'with-mail@example.test' }).expect(400);
    expect(refused.body.message).toBe(`email: ${OFF}`);
    expect((await testApp.http().get('/auth/me').set('Authorization', auth).expect(200)).body).toMatchObject({ email: null, emailVerified: false });
  });
});
