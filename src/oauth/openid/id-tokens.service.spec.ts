import { createHash, generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AppConfiguration } from '../../config/configuration.js';
import type { SigningKeysService, UsableKey } from '../../tokens/signing-keys.service.js';
import type { User } from '../../users/entities/user.entity.js';
import { accessTokenHash, IdTokensService } from './id-tokens.service.js';

const ISSUER = 'https://gatehouse.example';
const config = { jwt: { issuer: ISSUER } } as AppConfiguration;
const user = { id: 7, username: 'ada', email: 'ada@example.com', emailVerifiedAt: null } as User;
const session = { id: 'token-session', clientId: 'client-1', parentId: 'browser-session', authTime: new Date(1_700_000_000_000), amr: 'pwd otp mfa' };

/** The key store's current key, as asymmetricSigningKey() gives it, of one algorithm. */
function keyStore(algorithm: 'RS256' | 'ES256' | 'EdDSA'): { keys: SigningKeysService; key: UsableKey } {
  const pair = algorithm === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const key: UsableKey = { kid: `kid-${algorithm}`, generation: 1, algorithm, ...pair, signsFrom: new Date(0), supersededAt: null, retiresAt: null };
  return { keys: { asymmetricSigningKey: async () => key } as unknown as SigningKeysService, key };
}

describe('IdTokensService', () => {
  it.each([
    ['RS256', 'sha256'],
    ['ES256', 'sha256'],
    ['EdDSA', 'sha512'],
  ] as const)('%s: signed by the store key (typ JWT, kid), at_hash from %s (OIDC Core §3.1.3.6), the claims of the session and scope', async (algorithm, digest) => {
    const { keys, key } = keyStore(algorithm);
    const idToken = await new IdTokensService(keys, config).sign({ user, session, scope: 'openid email', accessToken: 'an-access-token', expiresIn: 600, nonce: 'n-0S6_WzA2Mj' });
    expect(decodeProtectedHeader(idToken)).toEqual({ alg: algorithm, kid: key.kid, typ: 'JWT' });
    const { payload } = await jwtVerify(idToken, key.publicKey, { issuer: ISSUER, audience: 'client-1', algorithms: [algorithm] });
    const hash = createHash(digest).update('an-access-token').digest();
    expect(payload).toEqual({
      iss: ISSUER,
      sub: '7',
      aud: 'client-1',
      azp: 'client-1',
      iat: expect.any(Number),
      exp: payload.iat! + 600,
      auth_time: 1_700_000_000,
      nonce: 'n-0S6_WzA2Mj',
      at_hash: hash.subarray(0, hash.length / 2).toString('base64url'),
      sid: 'browser-session',
      amr: ['pwd', 'otp', 'mfa'],
      email: 'ada@example.com',
      email_verified: false,
    });
  });

  it('a refresh: no nonce; a session without a browser session names itself as sid', async () => {
    const { keys, key } = keyStore('RS256');
    const idToken = await new IdTokensService(keys, config).sign({ user, session: { ...session, parentId: null }, scope: 'openid profile', accessToken: 'x', expiresIn: 60 });
    const { payload } = await jwtVerify(idToken, key.publicKey);
    expect(payload).not.toHaveProperty('nonce');
    expect(payload).toMatchObject({ sid: 'token-session', preferred_username: 'ada' });
    expect(payload).not.toHaveProperty('email');
  });

  it('is due for a client session granted openid only', () => {
    const service = new IdTokensService(keyStore('RS256').keys, config);
    expect(service.isDue({ clientId: 'c' }, 'openid profile')).toBe(true);
    expect(service.isDue({ clientId: 'c' }, 'profile openidish')).toBe(false);
    expect(service.isDue({ clientId: null }, 'openid')).toBe(false);
    expect(() => accessTokenHash('x', 'HS256')).toThrow();
  });
});
