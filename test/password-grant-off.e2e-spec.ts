import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

let testApp: TestApp;
beforeAll(async () => {
  testApp = await createTestApp({ PASSWORD_GRANT: 'false' });
});
afterAll(() => testApp.close());

it('PASSWORD_GRANT=false: the password grant is neither served nor advertised (RFC 9700 §2.4)', async () => {
  const { body } = await testApp.http().get('/.well-known/oauth-authorization-server').expect(200);
  expect(body.grant_types_supported).not.toContain('password');
  // Its second half (the MFA step) goes with it.
  expect(body.grant_types_supported).not.toContain('urn:gatehouse:params:oauth:grant-type:mfa-otp');
  expect(body.grant_types_supported).toContain('authorization_code');
  const refused = await testApp.http().post('/auth/token').type('form').send({ username: 'anyone', password: 'whatever-password' }).expect(400);
  expect(refused.body.error).toBe('unsupported_grant_type');
});
