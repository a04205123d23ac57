import { createSecretKey } from 'node:crypto';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SignJWT } from 'jose';
import type { Repository } from 'typeorm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppConfiguration } from '../config/configuration.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AccessTokensService } from './access-tokens.service.js';
import type { RevokedAccessToken } from './entities/revoked-access-token.entity.js';
import type { AccessTokenRevokedEvent } from './events/token-events.js';
import type { SigningKeysService, UsableKey } from './signing-keys.service.js';

/** The cache of verified tokens: it saves the signature check, never a revocation, a key revocation or an expiry. */
function setUp() {
  const secret = createSecretKey(Buffer.from('a-secret-of-at-least-thirty-two-bytes!!'));
  let key: UsableKey | null = { kid: 'k1', generation: 0, algorithm: 'HS256', publicKey: secret, privateKey: secret, signsFrom: new Date(0), supersededAt: null, retiresAt: null };
  // A key set as SigningKeysService keeps it: revoking the key loads a new set (a new version) without it.
  const signingKeys = {
    keySetVersion: 1,
    signingKey: async () => key!,
    verificationKey: vi.fn(async (kid: string) => (key?.kid === kid ? key : null)),
    verifies: (kid: string) => key?.kid === kid,
  };
  // The revoked jtis' table: what insertRows (src/database/insert-rows.ts) calls of a repository.
  const insertion = { values: () => insertion, updateEntity: () => insertion, execute: vi.fn(async () => undefined) };
  const revoked = { createQueryBuilder: () => ({ insert: () => insertion }), existsBy: vi.fn(async () => false) };
  const config = { jwt: { issuer: 'https://auth.example', audience: 'gatehouse', accessTokenTtlSeconds: 60 } } as AppConfiguration;
  const events = new EventEmitter2();
  const service = new AccessTokensService(signingKeys as unknown as SigningKeysService, revoked as unknown as Repository<RevokedAccessToken>, config, events, new MetricsService({ metricsToken: null } as AppConfiguration));
  events.on('token.revoked', (event: AccessTokenRevokedEvent) => service.remember(event));
  const revokeKey = () => {
    key = null;
    signingKeys.keySetVersion++;
  };
  return { service, signingKeys, revokeKey };
}
const alice = { id: 7, username: 'alice', role: 'user' as const, credentialsVersion: 1 };
const SESSION_ID = '00000000-0000-4000-8000-000000000001';
const SESSION = { id: SESSION_ID, expiresAt: new Date(Date.now() + 30 * 86_400_000) };

afterEach(() => vi.useRealTimers());

describe('AccessTokensService', () => {
  it('checks a signature once: the next verification of the same token is served from the cache', async () => {
    const { service, signingKeys } = setUp();
    const { accessToken } = await service.sign(alice, SESSION);
    expect(await service.verify(accessToken)).toMatchObject({ sub: '7', username: 'alice', cv: 1, sid: SESSION_ID });
    expect(service.alreadyVerified(accessToken)).toMatchObject({ sub: '7' });
    await service.verify(accessToken);
    expect(signingKeys.verificationKey).toHaveBeenCalledTimes(1);
  });

  it('ends a token with its session: exp at most the session’s absolute end, and expiresIn what is left', async () => {
    const { service } = setUp();
    const endsSoon = { id: SESSION_ID, expiresAt: new Date((Math.floor(Date.now() / 1000) + 20) * 1000 + 500) };
    const { accessToken, expiresIn } = await service.sign(alice, endsSoon);
    const claims = (await service.verify(accessToken))!;
    expect(claims.exp).toBeLessThanOrEqual(endsSoon.expiresAt.getTime() / 1000);
    expect(expiresIn).toBe(claims.exp - claims.iat);
    expect(expiresIn).toBeGreaterThanOrEqual(19);
    expect(expiresIn).toBeLessThanOrEqual(20);
    // A session far from its end leaves ACCESS_TOKEN_TTL as it is.
    expect((await service.sign(alice, SESSION)).expiresIn).toBe(60);
  });

  it('refuses an id token or a logout token signed with the same key: one claim of theirs (nonce, at_hash, azp, events) makes it no access token', async () => {
    const { service, signingKeys } = setUp();
    const key = await signingKeys.signingKey();
    const grant = { clientId: 'client-1', scope: 'openid', resource: null };
    const { accessToken } = await service.sign(alice, SESSION, grant);
    const claims = (await service.verify(accessToken))!;
    expect(claims).toMatchObject({ client_id: 'client-1' });
    for (const extra of [{ nonce: 'n' }, { at_hash: 'h' }, { azp: 'client-1' }, { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }]) {
      const lookalike = await new SignJWT({ ...claims, ...extra }).setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
      expect(await service.verify(lookalike)).toBeNull();
    }
  });

  it('does not serve a cached token past its exp (and the clock tolerance)', async () => {
    const { service } = setUp();
    const { accessToken } = await service.sign(alice, SESSION);
    await service.verify(accessToken);
    vi.useFakeTimers({ now: Date.now() + 66_000, toFake: ['Date'] });
    expect(service.alreadyVerified(accessToken)).toBeUndefined();
    expect(await service.verify(accessToken)).toBeNull();
  });

  it('serves a cached token only while its key verifies in the key set loaded now: a revoked key’s tokens fail at once', async () => {
    const { service, revokeKey } = setUp();
    const { accessToken } = await service.sign(alice, SESSION);
    await service.verify(accessToken);
    revokeKey();
    expect(service.alreadyVerified(accessToken)).toBeUndefined();
    expect(await service.verify(accessToken)).toBeNull();
  });

  it('does not cache, nor accept, a verification that began before a reload dropped its key', async () => {
    const { service, signingKeys, revokeKey } = setUp();
    const { accessToken } = await service.sign(alice, SESSION);
    // The key is found in the old set; the reload that drops it lands while the signature is being checked.
    signingKeys.verificationKey.mockImplementationOnce(async (kid: string) => {
      const found = (await signingKeys.signingKey()).kid === kid ? await signingKeys.signingKey() : null;
      revokeKey();
      return found;
    });
    expect(await service.verify(accessToken)).toBeNull();
    expect(service.alreadyVerified(accessToken)).toBeUndefined();
  });

  it('does not cache a verification that began under an older key set, even when its key is still there', async () => {
    const { service, signingKeys } = setUp();
    const { accessToken } = await service.sign(alice, SESSION);
    signingKeys.verificationKey.mockImplementationOnce(async () => {
      signingKeys.keySetVersion++;
      return signingKeys.signingKey();
    });
    expect(await service.verify(accessToken)).toMatchObject({ sub: '7' });
    expect(service.alreadyVerified(accessToken)).toBeUndefined();
    // The next verification, under the set loaded now, is cached.
    await service.verify(accessToken);
    expect(service.alreadyVerified(accessToken)).toMatchObject({ sub: '7' });
  });

  it('reports a revoked jti, cached or not, and refuses to revoke what it did not sign', async () => {
    const { service } = setUp();
    const { accessToken } = await service.sign(alice, SESSION);
    const claims = (await service.verify(accessToken))!;
    expect(service.isRefused(claims)).toBe(false);
    expect(await service.revoke(accessToken)).toMatchObject({ jti: expect.any(String) });
    expect(service.isRefused(claims)).toBe(true);
    expect(await service.revoke('not.a.token')).toBeNull();
  });
});
