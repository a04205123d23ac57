import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporaryDatabase, onPostgres, type TemporaryDatabase } from './helpers/postgres.js';
import { startServer, type RunningServer } from './helpers/server.js';

/**
 * examples/resource-server (built by `npm run build`) beside the built
 * Gatehouse: the example trusts Gatehouse through its discovery metadata and
 * key set alone, and asks introspection on its strict route as the
 * confidential client it registered as (client_secret_basic).
 */
const run = promisify(execFile);
const ADMIN = { username: 'rs-admin', password: 'upstream-gatekeeper' };
/** The legacy way to introspect, kept for existing installs: an account with role `service`. */
const SERVICE = { username: 'resource-server', password: 'introspects-for-a-living' };
const basic = ({ username, password }: { username: string; password: string }) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

interface Client {
  client_id: string;
  client_secret: string;
}
/** The example's client, registered through the admin API as its README says (or npm run client:create). */
let introspector: Client;
/** client_secret_basic (RFC 6749 §2.3.1): the id and secret form-urlencoded, then Basic. */
const clientBasic = (client: Client) => basic({ username: encodeURIComponent(client.client_id), password: encodeURIComponent(client.client_secret) });

let database: TemporaryDatabase | null;
let env: Record<string, string>;
let gatehouse: RunningServer;
let example: { baseUrl: string; process: ChildProcess };

async function startExample(gatehouseUrl: string): Promise<{ baseUrl: string; process: ChildProcess }> {
  const child = spawn(process.execPath, ['examples/resource-server/dist/main.js'], {
    env: {
      ...process.env,
      GATEHOUSE_URL: gatehouseUrl,
      PORT: '0',
      INTROSPECTION_CLIENT_ID: introspector.client_id,
      INTROSPECTION_CLIENT_SECRET: introspector.client_secret,
      JWKS_COOLDOWN_MS: '0',
      CLOCK_TOLERANCE_SECONDS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ baseUrl: match[1], process: child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the example exited with ${code}:\n${output}`)));
  });
}

const post = (server: { baseUrl: string }, path: string, body: Record<string, string>, authorization?: string, json = false) =>
  fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': json ? 'application/json' : 'application/x-www-form-urlencoded', ...(authorization ? { Authorization: authorization } : {}) },
    body: json ? JSON.stringify(body) : new URLSearchParams(body),
  });
const tokenFrom = async (server: { baseUrl: string }, username: string, password: string) =>
  ((await (await post(server, '/auth/token', { username, password })).json()) as { access_token: string }).access_token;
async function registerClient(metadata: object): Promise<Client> {
  const response = await fetch(`${gatehouse.baseUrl}/clients`, { method: 'POST', headers: { Authorization: basic(ADMIN), 'Content-Type': 'application/json' }, body: JSON.stringify(metadata) });
  expect(response.status).toBe(201);
  return (await response.json()) as Client;
}
const clientToken = async (client: Client) =>
  ((await (await post(gatehouse, '/auth/token', { grant_type: 'client_credentials' }, clientBasic(client))).json()) as { access_token: string }).access_token;
const hello = (token: string, path = '/hello') => fetch(`${example.baseUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;

beforeAll(async () => {
  database = onPostgres() ? await createTemporaryDatabase() : null;
  env = {
    DATABASE_URL: database?.url ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'gatehouse-rs-')), 'app.sqlite')}`,
    KEY_ENCRYPTION_SECRET: 'the-deployment-key-encryption-secret-32+',
    KEY_PUBLISH_AHEAD: '0',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
  };
  gatehouse = await startServer(env);
  introspector = await registerClient({ client_name: 'Resource server', grant_types: ['client_credentials'] });
  const service = (await (await post(gatehouse, '/auth', SERVICE, undefined, true)).json()) as { id: number };
  const promoted = await fetch(`${gatehouse.baseUrl}/users/${service.id}`, {
    method: 'PATCH',
    headers: { Authorization: basic(ADMIN), 'Content-Type': 'application/json' },
    body: JSON.stringify({ role: 'service' }),
  });
  expect(promoted.status).toBe(200);
  expect((await post(gatehouse, '/auth', { username: 'reader', password: 'reads-between-lines' }, undefined, true)).status).toBe(201);
  example = await startExample(gatehouse.baseUrl);
}, 60_000);
afterAll(async () => {
  example?.process.kill();
  await gatehouse?.stop();
  await database?.drop();
});

describe('the resource-server example', () => {
  it('accepts a Gatehouse token, verified with the published keys', async () => {
    const response = await hello(await tokenFrom(gatehouse, 'reader', 'reads-between-lines'));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { message: string }).message).toMatch(/^Hello, reader \(user \d+, user\): your token was verified with Gatehouse's public keys\.$/);
  });

  it('after keys:rotate and a rotation by the admin route, accepts old and new tokens without a restart', async () => {
    const old = await tokenFrom(gatehouse, 'reader', 'reads-between-lines');
    const rotated = await run(process.execPath, ['dist/src/cli/rotate-keys.js'], { env: { ...process.env, ...env } });
    expect(rotated.stdout).toMatch(/^Published signing key \S+ \(RS256, generation 2\); it signs from /);
    const byRoute = await fetch(`${gatehouse.baseUrl}/keys/rotate`, { method: 'POST', headers: { Authorization: basic(ADMIN) } });
    expect(byRoute.status).toBe(201);
    const newer = await tokenFrom(gatehouse, 'reader', 'reads-between-lines');
    expect(kidOf(newer)).toBe(((await byRoute.json()) as { kid: string }).kid);
    expect(kidOf(newer)).not.toBe(kidOf(old));
    expect((await hello(old)).status).toBe(200);
    expect((await hello(newer)).status).toBe(200);
  });

  it('refuses a tampered token, no token, a token of another issuer and an expired one', async () => {
    const token = await tokenFrom(gatehouse, 'reader', 'reads-between-lines');
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${signature}`;
    expect((await hello(tampered)).status).toBe(401);
    expect((await fetch(`${example.baseUrl}/hello`)).status).toBe(401);

    // Another Gatehouse on the same keys: signed by a trusted key, but another issuer.
    const elsewhere = await startServer({ ...env, JWT_ISSUER: 'https://someone-else.example' });
    try {
      expect((await hello(await tokenFrom(elsewhere, 'reader', 'reads-between-lines'))).status).toBe(401);
    } finally {
      await elsewhere.stop();
    }
    // The same issuer, tokens that live three seconds (one second was sometimes spent before the first call, under CI's load).
    const shortLived = await startServer({ ...env, JWT_ISSUER: claims.iss, ACCESS_TOKEN_TTL: '3s' });
    try {
      const expiring = await tokenFrom(shortLived, 'reader', 'reads-between-lines');
      expect((await hello(expiring)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 4100));
      expect((await hello(expiring)).status).toBe(401);
      // Expired past Gatehouse's own 5 s of clock tolerance: introspection says inactive too.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      const introspected = await post(gatehouse, '/auth/introspect', { token: expiring }, clientBasic(introspector));
      expect(await introspected.json()).toEqual({ active: false });
    } finally {
      await shortLived.stop();
    }
  }, 60_000);

  it('refuses a revoked token on its strict route, through introspection as its client', async () => {
    const token = await tokenFrom(gatehouse, 'reader', 'reads-between-lines');
    const strict = await hello(token, '/hello/strict');
    expect(strict.status).toBe(200);
    expect(((await strict.json()) as { message: string }).message).toBe('Hello, reader: Gatehouse confirms your token is active.');
    expect((await post(gatehouse, '/auth/revoke', { token, token_type_hint: 'access_token' })).status).toBe(200);
    expect((await hello(token, '/hello/strict')).status).toBe(401);
    // Local verification alone cannot know: that is what the strict route is for.
    expect((await hello(token)).status).toBe(200);
  });

  it('introspects with its client credentials; a wrong secret is invalid_client, and the legacy service account still works', async () => {
    const token = await tokenFrom(gatehouse, 'reader', 'reads-between-lines');
    const asClient = await post(gatehouse, '/auth/introspect', { token }, clientBasic(introspector));
    expect(await asClient.json()).toMatchObject({ active: true, username: 'reader', role: 'user' });
    const wrong = await post(gatehouse, '/auth/introspect', { token }, clientBasic({ ...introspector, client_secret: `${introspector.client_secret}x` }));
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_client');
    // Installs from before clients keep their resource servers' service accounts.
    const asService = await post(gatehouse, '/auth/introspect', { token }, basic(SERVICE));
    expect(await asService.json()).toMatchObject({ active: true, username: 'reader' });
  });

  it('accepts tokens issued to clients (RFC 9068, typ at+jwt): a client_credentials token names the client', async () => {
    const job = await registerClient({ client_name: 'Reports job', grant_types: ['client_credentials'], scope: 'reports:read' });
    const token = await clientToken(job);
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).typ).toBe('at+jwt');
    const response = await hello(token);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { message: string }).message).toBe(`Hello, client ${job.client_id}: your token was verified with Gatehouse's public keys.`);
    expect((await hello(token, '/hello/strict')).status).toBe(200);
    // Deleting the client ends its tokens: introspection knows at once.
    expect((await fetch(`${gatehouse.baseUrl}/clients/${job.client_id}`, { method: 'DELETE', headers: { Authorization: basic(ADMIN) } })).status).toBe(204);
    expect((await hello(token, '/hello/strict')).status).toBe(401);
  });

  describe('DPoP-bound tokens (RFC 9449)', () => {
    let key: { privateKey: CryptoKey; jwk: JWK };
    let token: string;
    const proof = async (signer: { privateKey: CryptoKey; jwk: JWK }, htm: string, htu: string, claims: Record<string, unknown> = {}) =>
      new SignJWT({ jti: randomUUID(), htm, htu, ...claims }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: signer.jwk }).setIssuedAt().sign(signer.privateKey);
    const ath = (value: string) => createHash('sha256').update(value).digest('base64url');
    const newKey = async () => {
      const pair = await generateKeyPair('ES256', { extractable: true });
      return { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
    };
    const helloWith = (authorization: string, dpop?: string) => fetch(`${example.baseUrl}/hello`, { headers: { authorization, ...(dpop ? { dpop } : {}) } });

    beforeAll(async () => {
      key = await newKey();
      const job = await registerClient({ client_name: 'DPoP job', grant_types: ['client_credentials'] });
      const response = await fetch(`${gatehouse.baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: clientBasic(job), DPoP: await proof(key, 'POST', `${gatehouse.baseUrl}/auth/token`) },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      const body = (await response.json()) as { access_token: string; token_type: string };
      expect(body.token_type).toBe('DPoP');
      token = body.access_token;
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { cnf: { jkt: string } };
      expect(claims.cnf.jkt).toBe(await calculateJwkThumbprint(key.jwk, 'sha256'));
    });

    it('accepts the token with Authorization: DPoP and a proof of its key for this request', async () => {
      const response = await helloWith(`DPoP ${token}`, await proof(key, 'GET', `${example.baseUrl}/hello`, { ath: ath(token) }));
      expect(response.status).toBe(200);
      expect(((await response.json()) as { message: string }).message).toMatch(/^Hello, client /);
    });

    it('refuses it as Bearer, without a proof, with a replayed proof, another key, another token’s ath, another method or URL', async () => {
      const asBearer = await helloWith(`Bearer ${token}`);
      expect(asBearer.status).toBe(401);
      expect(asBearer.headers.get('www-authenticate')).toContain('DPoP error="invalid_token" algs="ES256');
      expect((await helloWith(`DPoP ${token}`)).status).toBe(401);
      const once = await proof(key, 'GET', `${example.baseUrl}/hello`, { ath: ath(token) });
      expect((await helloWith(`DPoP ${token}`, once)).status).toBe(200);
      const replay = await helloWith(`DPoP ${token}`, once);
      expect(replay.status).toBe(401);
      expect(replay.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
      const url = `${example.baseUrl}/hello`;
      for (const bad of [
        await proof(await newKey(), 'GET', url, { ath: ath(token) }),
        await proof(key, 'GET', url, { ath: ath(`${token}x`) }),
        await proof(key, 'POST', url, { ath: ath(token) }),
        await proof(key, 'GET', `${example.baseUrl}/hello/strict`, { ath: ath(token) }),
      ]) {
        expect((await helloWith(`DPoP ${token}`, bad)).status).toBe(401);
      }
    });

    it('refuses a plain Bearer token sent as DPoP', async () => {
      const plain = await tokenFrom(gatehouse, 'reader', 'reads-between-lines');
      expect((await helloWith(`DPoP ${plain}`, await proof(key, 'GET', `${example.baseUrl}/hello`, { ath: ath(plain) }))).status).toBe(401);
    });
  });
});
