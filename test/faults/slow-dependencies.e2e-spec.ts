import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from '../helpers/app.js';
import { createListeningApp, type ListeningApp } from '../helpers/listening-app.js';
import { mailSettled } from '../helpers/smtp-server.js';
import { OUTBOUND_TIMEOUT_MS } from '../../src/outbound-http/outbound-http.service.js';

const ADMIN = { username: 'slow-admin', password: 'patient-keeper-of-keys' };
const PASSWORD = 'unhurried-password-1';
/** HIBP_TIMEOUT for the test (the default is 2 s). */
const HIBP_TIMEOUT_MS = 3000;
/** nodemailer's greetingTimeout in src/mail (a server that accepts and says nothing). */
const SMTP_GREETING_TIMEOUT_MS = 10_000;
/** An unrelated request, while a dependency hangs, is answered as fast as ever: under this (half the shortest hang, HIBP's: a request held by a hang would take it all; a loaded CI machine is given room). */
const UNRELATED_BOUND_MS = 1500;

/** A server that accepts every connection and never says a word: the worst a dependency can do. */
interface BlackHole {
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}

async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * SMTP, a client's jwks_uri and the Pwned Passwords API that accept the
 * connection and never answer (issue 29, item 5): each is bounded by its
 * timeout, and none holds up anything else: while each hangs, Bearer calls
 * and password logins of other accounts are answered as fast as ever.
 */
describe('slow dependencies', () => {
  let hole: BlackHole;
  let app: ListeningApp;
  let bearer: string;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${app.baseUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const form = (path: string, fields: Record<string, string>) =>
    fetch(`${app.baseUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields), signal: AbortSignal.timeout(30_000) });

  /** Runs `slow` while a loop of unrelated requests (Bearer call, password login) goes on; the slowest unrelated one, and how many. */
  async function beside<T>(slow: () => Promise<T>): Promise<{ result: T; slowMs: number; unrelated: number; slowestUnrelatedMs: number }> {
    let done = false;
    let unrelated = 0;
    let slowestUnrelatedMs = 0;
    const loop = (async () => {
      // Give the slow request a head start, so it is in its wait when these come.
      await new Promise((resolve) => setTimeout(resolve, 100));
      while (!done) {
        for (const request of [
          () => fetch(`${app.baseUrl}/protected`, { headers: { Authorization: `Bearer ${bearer}` } }),
          () => form('/auth/token', { username: 'bystander', password: PASSWORD }),
        ]) {
          const started = performance.now();
          const response = await request();
          expect(response.status).toBe(200);
          slowestUnrelatedMs = Math.max(slowestUnrelatedMs, performance.now() - started);
          unrelated++;
        }
      }
    })();
    const started = performance.now();
    try {
      const result = await slow();
      return { result, slowMs: performance.now() - started, unrelated, slowestUnrelatedMs };
    } finally {
      done = true;
      await loop;
    }
  }

  beforeAll(async () => {
    hole = await startBlackHole();
    app = await createListeningApp({
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      SMTP_URL: `smtp://127.0.0.1:${hole.port}`,
      MAIL_FROM: 'gatehouse@example.test',
      MAIL_SEND_ATTEMPTS: '1',
      PASSWORD_BREACH_CHECK: 'hibp',
      HIBP_API_URL: `http://127.0.0.1:${hole.port}`,
      HIBP_TIMEOUT: `${HIBP_TIMEOUT_MS / 1000}s`,
    });
    // The bystander registers while the HIBP check hangs too: that is the first thing measured below, not here.
    expect((await post('/auth', { username: 'bystander', password: PASSWORD })).status).toBe(201);
    bearer = ((await (await form('/auth/token', { username: 'bystander', password: PASSWORD })).json()) as { access_token: string }).access_token;
    // Warm: the first requests of a path pay for compiling it, which is not what is measured.
    for (let round = 0; round < 5; round++) {
      await fetch(`${app.baseUrl}/protected`, { headers: { Authorization: `Bearer ${bearer}` } });
      await form('/auth/token', { username: 'bystander', password: PASSWORD });
    }
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await hole?.close();
  });

  it('HIBP that hangs: the registration waits HIBP_TIMEOUT, then goes on unchecked; nothing else waits', async () => {
    const before = hole.connections();
    const { result, slowMs, unrelated, slowestUnrelatedMs } = await beside(() => post('/auth', { username: 'hibp-hang', password: 'another-unhurried-pw' }));
    console.log(`HIBP hangs: registration answered ${result.status} after ${slowMs.toFixed(0)} ms (HIBP_TIMEOUT ${HIBP_TIMEOUT_MS} ms); ${unrelated} unrelated requests meanwhile, slowest ${slowestUnrelatedMs.toFixed(0)} ms`);
    expect(result.status).toBe(201);
    expect(hole.connections()).toBeGreaterThan(before);
    expect(slowMs).toBeGreaterThanOrEqual(HIBP_TIMEOUT_MS - 50);
    expect(slowMs).toBeLessThan(HIBP_TIMEOUT_MS + 1000);
    expect(unrelated).toBeGreaterThan(2);
    expect(slowestUnrelatedMs).toBeLessThan(UNRELATED_BOUND_MS);
  });

  it('a jwks_uri that hangs: the private_key_jwt client gets invalid_client after the outbound timeout; nothing else waits', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const registered = await post(
      '/clients',
      { client_name: 'Hanging keys', grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `http://127.0.0.1:${hole.port}/jwks.json` },
      { Authorization: basic(ADMIN.username, ADMIN.password) },
    );
    expect(registered.status).toBe(201);
    const clientId = ((await registered.json()) as { client_id: string }).client_id;
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(`${app.baseUrl}/auth/token`)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    const grant = {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    };
    const { result, slowMs, unrelated, slowestUnrelatedMs } = await beside(() => form('/auth/token', grant));
    const body = (await result.json()) as { error?: string };
    console.log(`jwks_uri hangs: the token request answered ${result.status} ${body.error} after ${slowMs.toFixed(0)} ms (outbound timeout ${OUTBOUND_TIMEOUT_MS} ms); ${unrelated} unrelated requests meanwhile, slowest ${slowestUnrelatedMs.toFixed(0)} ms`);
    expect(result.status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expect(slowMs).toBeLessThan(OUTBOUND_TIMEOUT_MS + 1000);
    expect(unrelated).toBeGreaterThan(10);
    expect(slowestUnrelatedMs).toBeLessThan(UNRELATED_BOUND_MS);
  }, 20_000);

  it('SMTP that hangs: the request that sends mail is answered at once; the delivery gives up after the greeting timeout; nothing else waits', async () => {
    const before = hole.connections();
    // An account with an address: its verification mail and then its reset mail go to the black hole.
    expect((await post('/auth', { username: 'mailed', password: PASSWORD, email: 'mailed@example.test' })).status).toBe(201);
    const asked = performance.now();
    const reset = await post('/auth/password/forgot', { username: 'mailed' });
    const resetMs = performance.now() - asked;
    expect(reset.status).toBe(202);
    // While the deliveries hang, until they give up: unrelated requests go on.
    const { slowMs, unrelated, slowestUnrelatedMs } = await beside(() => mailSettled(app));
    console.log(
      `SMTP hangs: forgot-password answered in ${resetMs.toFixed(0)} ms; the deliveries gave up ${(performance.now() - asked).toFixed(0)} ms after it ` +
        `(greeting timeout ${SMTP_GREETING_TIMEOUT_MS} ms); ${unrelated} unrelated requests meanwhile, slowest ${slowestUnrelatedMs.toFixed(0)} ms`,
    );
    expect(hole.connections()).toBeGreaterThan(before);
    expect(resetMs).toBeLessThan(UNRELATED_BOUND_MS);
    expect(slowMs).toBeLessThan(SMTP_GREETING_TIMEOUT_MS + 2000);
    expect(unrelated).toBeGreaterThan(10);
    expect(slowestUnrelatedMs).toBeLessThan(UNRELATED_BOUND_MS);
  }, 30_000);
});
