import { generateKeyPairSync } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { Repository } from 'typeorm';
import { describe, expect, it, vi } from 'vitest';
import type { AppConfiguration } from '../../config/configuration.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { AccessTokensService } from '../../tokens/access-tokens.service.js';
import type { RevokedAccessToken } from '../../tokens/entities/revoked-access-token.entity.js';
import type { SigningKeysService, UsableKey } from '../../tokens/signing-keys.service.js';
import { BACKCHANNEL_LOGOUT_EVENT, LogoutTokenService } from './logout-token.service.js';

const SID = '00000000-0000-4000-8000-000000000001';

/** One RS256 key, as the key store would hand it out, behind both services. */
function setUp() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key: UsableKey = { kid: 'k1', generation: 0, algorithm: 'RS256', publicKey, privateKey, signsFrom: new Date(0), supersededAt: null, retiresAt: null };
  const signingKeys = { keySetVersion: 1, signingKey: async () => key, asymmetricSigningKey: async () => key, verificationKey: async (kid: string) => (kid === 'k1' ? key : null), verifies: (kid: string) => kid === 'k1' };
  const config = { jwt: { issuer: 'https://auth.example', audience: 'gatehouse', accessTokenTtlSeconds: 60 } } as AppConfiguration;
  const revoked = { insert: vi.fn(async () => undefined), existsBy: vi.fn(async () => false) };
  const accessTokens = new AccessTokensService(signingKeys as unknown as SigningKeysService, revoked as unknown as Repository<RevokedAccessToken>, config, new EventEmitter2(), new MetricsService({ metricsToken: null } as AppConfiguration));
  return { logoutTokens: new LogoutTokenService(signingKeys as unknown as SigningKeysService, config), accessTokens, key };
}

describe('LogoutTokenService', () => {
  it('signs OIDC Back-Channel Logout §2.4’s claims, typ logout+jwt, and no nonce', async () => {
    const { logoutTokens, key } = setUp();
    const token = await logoutTokens.sign({ clientId: 'client-1', sub: '7', sid: SID });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: 'k1', typ: 'logout+jwt' });
    const { payload } = await jwtVerify(token, key.publicKey, { issuer: 'https://auth.example', audience: 'client-1', typ: 'logout+jwt' });
    expect(payload).toEqual({ iss: 'https://auth.example', sub: '7', aud: 'client-1', sid: SID, iat: expect.any(Number), exp: payload.iat! + 120, jti: expect.any(String), events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } });
    expect(decodeJwt(await logoutTokens.sign({ clientId: 'client-1', sub: '7', sid: SID })).jti).not.toBe(payload.jti);
  });

  it('is refused as an access token, even when it carries an access token’s very claims', async () => {
    const { logoutTokens, accessTokens, key } = setUp();
    expect(await accessTokens.verify(await logoutTokens.sign({ clientId: 'client-1', sub: '7', sid: SID }))).toBeNull();
    const { accessToken } = await accessTokens.sign({ id: 7, username: 'alice', role: 'user', credentialsVersion: 1 }, { id: SID, expiresAt: new Date(Date.now() + 86_400_000) });
    const retyped = await new SignJWT(decodeJwt(accessToken)).setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'logout+jwt' }).sign(key.privateKey);
    expect(await accessTokens.verify(retyped)).toBeNull();
    expect(await accessTokens.verify(accessToken)).not.toBeNull();
  });
});
