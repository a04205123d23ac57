import { exportJWK, generateKeyPair, SignJWT, jwtVerify, type JWK } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OutboundHttpService } from '../../outbound-http/outbound-http.service.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { ClientKeysService } from './client-keys.service.js';

async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid };
  const sign = () => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
  return { jwk, sign };
}

/** A jwks_uri whose document the test changes, counting the fetches (what OutboundHttpService.getJson would give back). */
function publisher(initial: JWK[]) {
  const state = { keys: initial, fetches: 0 };
  const outbound = { getJson: async () => (state.fetches++, { keys: state.keys }) } as unknown as OutboundHttpService;
  return { state, outbound };
}

const client = { clientId: 'c1', jwks: null, jwksUri: 'https://app.example.com/jwks.json' } as OAuthClient;

afterEach(() => vi.useRealTimers());

describe('ClientKeysService with a jwks_uri', () => {
  it('caches the set, and fetches it again for an unknown kid — at most every 30 s', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-12-07T12:00:00Z'), toFake: ['Date'] });
    const first = await signingKey('one');
    const rotated = await signingKey('two');
    const { state, outbound } = publisher([first.jwk]);
    const keys = new ClientKeysService(outbound);

    await jwtVerify(await first.sign(), keys.resolverFor(client));
    await jwtVerify(await first.sign(), keys.resolverFor(client));
    expect(state.fetches).toBe(1);

    // The client rotates: its new kid is unknown until the set is fetched again, which waits 30 s after the last fetch.
    state.keys = [first.jwk, rotated.jwk];
    await expect(jwtVerify(await rotated.sign(), keys.resolverFor(client))).rejects.toThrow();
    expect(state.fetches).toBe(1);
    vi.setSystemTime(Date.now() + 31_000);
    await jwtVerify(await rotated.sign(), keys.resolverFor(client));
    expect(state.fetches).toBe(2);

    // A made-up kid right after: no new fetch.
    const stranger = await signingKey('three');
    await expect(jwtVerify(await stranger.sign(), keys.resolverFor(client))).rejects.toThrow();
    expect(state.fetches).toBe(2);
  });

  it('uses the registered jwks without fetching anything', async () => {
    const key = await signingKey('local');
    const { state, outbound } = publisher([]);
    await jwtVerify(await key.sign(), new ClientKeysService(outbound).resolverFor({ ...client, jwks: { keys: [key.jwk as Record<string, string>] }, jwksUri: null } as OAuthClient));
    expect(state.fetches).toBe(0);
  });
});
