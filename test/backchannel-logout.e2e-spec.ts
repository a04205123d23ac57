import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from './helpers/app.js';
import { paramsOf, pkcePair, signInThroughPages } from './helpers/hosted-login.js';
import { createListeningApp, type ListeningApp } from './helpers/listening-app.js';
import { startLogoutReceiver, type LogoutReceiver } from './helpers/logout-receiver.js';
import { createSharedDatabase, onPostgres } from './helpers/postgres.js';
import { startServer, type RunningServer } from './helpers/server.js';

/**
 * OpenID Connect Back-Channel Logout 1.0 (issue 26, item 5): every way a
 * session ends sends each client that took part, and registered a
 * backchannel_logout_uri, one signed logout_token — to real HTTP servers the
 * suite runs. A slow client does not slow the logout; a client down for a
 * minute gets it when it comes back; two instances on one PostgreSQL database
 * send each once; a restart loses none. The minute-down client runs beside
 * the other tests, from the first to the last.
 */
const ADMIN = { username: 'bcl-admin', password: 'logout-everywhere-1' };
const asAdmin = basic(ADMIN.username, ADMIN.password);
const PASSWORD = 'backchannel-password-1';
const REDIRECT = 'https://app.example.com/callback';
const METRICS_TOKEN = 'metrics-token-of-the-backchannel-suite-0123456789abcdef';
const KEY_ENCRYPTION_SECRET = 'backchannel-suite-key-encryption-secret-0123456789';
/** Small waits between tries, and enough tries for a client down for a minute. */
const RETRY_SETTINGS = { BACKCHANNEL_LOGOUT_RETRY_BASE: '1s', BACKCHANNEL_LOGOUT_RETRY_MAX: '4s', BACKCHANNEL_LOGOUT_MAX_ATTEMPTS: '100', KEY_ENCRYPTION_SECRET };
const DOWN_FOR_MS = 60_000;
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface Client {
  client_id: string;
  client_secret: string;
}

let app: ListeningApp;
let shared: { url: string; drop: () => Promise<void> };
let issuer: string;
let jwks: ReturnType<typeof createRemoteJWKSet>;
let receiverA: LogoutReceiver;
let receiverB: LogoutReceiver;
let receiverSlow: LogoutReceiver;
let receiverDown: LogoutReceiver;
let clientA: Client;
let clientB: Client;
let clientSlow: Client;
let clientDown: Client;
let clientWithout: Client;
/** The minute-down scenario, started in beforeAll and checked by the last test. */
let down: { sid: string; userId: number; endedAt: number; backAt: Promise<number> };
/** Sessions whose client was rightly told twice (it signed in again after its first logout token). */
const toldAgain = new Set<string>();

const receivers = () => [receiverA, receiverB, receiverSlow, receiverDown];

async function registerClient(name: string, backchannelLogoutUri: string | null): Promise<Client> {
  const body = { client_name: name, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], skip_consent: true, backchannel_logout_uri: backchannelLogoutUri, backchannel_logout_session_required: true };
  return (await app.http().post('/clients').set('Authorization', asAdmin).send(body).expect(201)).body as Client;
}

let users = 0;
async function newUser(): Promise<{ id: number; username: string }> {
  const username = `leaver${++users}`;
  const { body } = await app.http().post('/auth').send({ username, password: PASSWORD }).expect(201);
  return { id: body.id, username };
}

const secretBasic = (client: Client) => basic(encodeURIComponent(client.client_id), encodeURIComponent(client.client_secret));

interface SignedIn {
  /** The browser session: every logout token's `sid`. */
  sid: string;
  /** Each client's token session, by client_id. */
  children: Map<string, string>;
  tokens: Map<string, { access_token: string; refresh_token: string; id_token?: string }>;
  /** The browser (its cookie holds the browser session). */
  browser: ReturnType<typeof request.agent>;
}

/** Where requests go: the in-process app, or a running server's URL. */
type Target = Parameters<typeof request>[0];
const mainApp = (): Target => app.app.getHttpServer();

/** The code flow for one client in this browser: through the login page when `login` is given, else by single sign-on; the code exchanged. */
async function codeFlow(browser: ReturnType<typeof request.agent>, client: Client, server: Target, login?: { username: string; password: string }) {
  const { verifier, challenge } = pkcePair();
  const query = new URLSearchParams({ response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's', scope: 'openid' });
  const location = login ? await signInThroughPages(browser, `/authorize?${query}`, login.username, login.password) : ((await browser.get(`/authorize?${query}`).expect(303)).headers.location as string);
  const exchange = await request(server).post('/auth/token').set('Authorization', secretBasic(client)).type('form').send({ grant_type: 'authorization_code', code: paramsOf(location).code, code_verifier: verifier, redirect_uri: REDIRECT });
  expect(exchange.status, JSON.stringify(exchange.body)).toBe(200);
  return exchange.body as { access_token: string; refresh_token: string; id_token?: string };
}

/** Signs the person in through the hosted pages for the first client, then (single sign-on) gets a code for each other one; every code is exchanged. */
async function signIn(username: string, clients: Client[], server: Target = mainApp(), password = PASSWORD): Promise<SignedIn> {
  const target = { http: () => request(server) };
  const browser = request.agent(server);
  const tokens = new Map<string, { access_token: string; refresh_token: string; id_token?: string }>();
  for (const [index, client] of clients.entries()) {
    tokens.set(client.client_id, await codeFlow(browser, client, server, index === 0 ? { username, password } : undefined));
  }
  const sessions = (await target.http().get('/auth/sessions').set('Authorization', basic(username, password)).expect(200)).body as { id: string; kind: string; clientId: string }[];
  const sid = sessions.find((session) => session.kind === 'browser')!.id;
  const children = new Map(sessions.filter((session) => session.kind === 'token').map((session) => [session.clientId, session.id]));
  return { sid, children, tokens, browser };
}

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The logout tokens a receiver got for this session. */
const tokensFor = (receiver: LogoutReceiver, sid: string) => receiver.received.filter(({ logoutToken }) => decodeJwt(logoutToken).sid === sid);

/** Who signed the logout tokens: the issuer and its jwks_uri. */
interface Signer {
  issuer: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}
const signerAt = (baseUrl: string, issuer = baseUrl): Signer => ({ issuer, jwks: createRemoteJWKSet(new URL(`${baseUrl}/.well-known/jwks.json`)) });

/** Waits for the receiver's logout token for `sid`, and checks it as a relying party must (§2.6), against the signer's jwks_uri. */
async function logoutTokenFor(receiver: LogoutReceiver, client: Client, sid: string, timeoutMs = 10_000, signer: Signer = { issuer, jwks }): Promise<JWTPayload> {
  const { logoutToken, contentType } = await waitFor(`a logout token for ${sid}`, () => tokensFor(receiver, sid)[0], timeoutMs);
  expect(contentType).toBe('application/x-www-form-urlencoded');
  const { payload, protectedHeader } = await jwtVerify(logoutToken, signer.jwks, { issuer: signer.issuer, audience: client.client_id, typ: 'logout+jwt', maxTokenAge: '2m' });
  expect(protectedHeader).toMatchObject({ typ: 'logout+jwt', kid: expect.any(String), alg: expect.stringMatching(/^(RS256|ES256|EdDSA)$/) });
  expect(payload).toEqual({ iss: signer.issuer, aud: client.client_id, sub: expect.any(String), sid, iat: expect.any(Number), exp: expect.any(Number), jti: expect.any(String), events: { [EVENT]: {} } });
  expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(120);
  expect(payload).not.toHaveProperty('nonce');
  return payload;
}

/** Waits past the next deliveries, then: nothing more came for `sid` than one token per listed receiver, and nothing to the others. */
async function expectExactlyOnce(sid: string, told: LogoutReceiver[], settleMs = 2_500): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  for (const receiver of receivers()) expect(tokensFor(receiver, sid).length, receiver.uri).toBe(told.includes(receiver) ? 1 : 0);
}

function database(): DataSource {
  return app.app.get(DataSource);
}

beforeAll(async () => {
  shared = await createSharedDatabase();
  app = await createListeningApp({ DATABASE_URL: shared.url, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, METRICS_TOKEN, ...RETRY_SETTINGS });
  issuer = (await app.http().get('/.well-known/openid-configuration').expect(200)).body.issuer;
  jwks = createRemoteJWKSet(new URL(`${app.baseUrl}/.well-known/jwks.json`));
  [receiverA, receiverB, receiverSlow, receiverDown] = await Promise.all([startLogoutReceiver(), startLogoutReceiver(), startLogoutReceiver(), startLogoutReceiver()]);
  clientA = await registerClient('App A', receiverA.uri);
  clientB = await registerClient('App B', receiverB.uri);
  clientSlow = await registerClient('Slow app', receiverSlow.uri);
  clientDown = await registerClient('Down app', receiverDown.uri);
  clientWithout = await registerClient('App without back-channel logout', null);

  // The client that is down for a minute: its session ends now, the last test sees it delivered once it is back.
  const person = await newUser();
  const { sid } = await signIn(person.username, [clientDown, clientA]);
  await receiverDown.stop();
  await app.http().delete(`/auth/sessions/${sid}`).set('Authorization', basic(person.username, PASSWORD)).expect(204);
  const endedAt = Date.now();
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  // Refused connections for the first half, 500s for the second, then it works.
  const backAt = (async () => {
    await wait(DOWN_FOR_MS / 2);
    receiverDown.mode = { kind: 'error', status: 500 };
    await receiverDown.start();
    await wait(DOWN_FOR_MS / 2);
    receiverDown.mode = { kind: 'ok' };
    return Date.now();
  })();
  down = { sid, userId: person.id, endedAt, backAt };
}, 60_000);

afterAll(async () => {
  await app?.close();
  await Promise.all(receivers().map((receiver) => receiver?.stop()));
  await shared?.drop();
});

describe('client metadata', () => {
  it('registers, shows, changes and removes backchannel_logout_uri; discovery says back-channel logout (with sid) is supported', async () => {
    const { body: created } = await app.http().post('/clients').set('Authorization', asAdmin).send({ client_name: 'Meta', redirect_uris: [REDIRECT], backchannel_logout_uri: 'https://rp.example.com/bcl' }).expect(201);
    expect(created).toMatchObject({ backchannel_logout_uri: 'https://rp.example.com/bcl', backchannel_logout_session_required: false });
    const patched = await app.http().patch(`/clients/${created.client_id}`).set('Authorization', asAdmin).send({ backchannel_logout_session_required: true }).expect(200);
    expect(patched.body).toMatchObject({ backchannel_logout_uri: 'https://rp.example.com/bcl', backchannel_logout_session_required: true });
    const cleared = await app.http().patch(`/clients/${created.client_id}`).set('Authorization', asAdmin).send({ backchannel_logout_uri: null }).expect(200);
    expect(cleared.body.backchannel_logout_uri).toBeNull();
    const metadata = (await app.http().get('/.well-known/openid-configuration').expect(200)).body;
    expect(metadata).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
  });

  it.each([
    ['a fragment', 'https://rp.example.com/bcl#x', /fragment/],
    ['http on a public host', 'http://rp.example.com/bcl', /must use https/],
    ['a relative URI', '/bcl', /absolute URI/],
    ['the cloud metadata address', 'https://169.254.169.254/latest/meta-data', /must not name a loopback, private/],
    ['a private address', 'https://10.0.0.8/bcl', /must not name a loopback, private/],
  ])('refuses %s with 400 invalid_client_metadata', async (_, uri, problem) => {
    const response = await app.http().post('/clients').set('Authorization', asAdmin).send({ client_name: 'Bad', redirect_uris: [REDIRECT], backchannel_logout_uri: uri }).expect(400);
    expect(response.body.message).toMatch(/^invalid_client_metadata: backchannel_logout_uri /);
    expect(response.body.message).toMatch(problem);
  });

  it('refuses a backchannel_logout_uri that is not a string, and a session_required that is not a boolean', async () => {
    await app.http().post('/clients').set('Authorization', asAdmin).send({ client_name: 'Bad', redirect_uris: [REDIRECT], backchannel_logout_uri: 42 }).expect(400);
    await app.http().post('/clients').set('Authorization', asAdmin).send({ client_name: 'Bad', redirect_uris: [REDIRECT], backchannel_logout_session_required: 'yes' }).expect(400);
  });
});

describe('every way a session ends tells each client that took part, once', () => {
  it('DELETE /auth/sessions/{browser session}: both clients get a valid logout token with the browser session as sid; the client without a URI gets none', async () => {
    const person = await newUser();
    const { sid, tokens } = await signIn(person.username, [clientA, clientB, clientWithout]);
    await app.http().delete(`/auth/sessions/${sid}`).set('Authorization', basic(person.username, PASSWORD)).expect(204);
    const payloadA = await logoutTokenFor(receiverA, clientA, sid);
    const payloadB = await logoutTokenFor(receiverB, clientB, sid);
    expect([payloadA.sub, payloadB.sub]).toEqual([String(person.id), String(person.id)]);
    expect(payloadA.jti).not.toBe(payloadB.jti);
    // A logout token is no access token (its typ is logout+jwt), and the access tokens of the session are dead.
    const logoutToken = tokensFor(receiverA, sid)[0].logoutToken;
    await app.http().get('/').set('Authorization', `Bearer ${logoutToken}`).expect(401);
    await app.http().get('/').set('Authorization', `Bearer ${tokens.get(clientA.client_id)!.access_token}`).expect(401);
    await expectExactlyOnce(sid, [receiverA, receiverB]);
  });

  it('RP-initiated logout (GET /logout with the id_token as hint, whose sid the logout tokens carry): both clients are told', async () => {
    const person = await newUser();
    const { sid, tokens, browser } = await signIn(person.username, [clientA, clientB]);
    const idToken = tokens.get(clientA.client_id)!.id_token!;
    expect(decodeJwt(idToken).sid).toBe(sid);
    const response = await browser.get(`/logout?${new URLSearchParams({ id_token_hint: idToken })}`);
    expect(response.status).toBe(200);
    await logoutTokenFor(receiverA, clientA, sid);
    await logoutTokenFor(receiverB, clientB, sid);
    await expectExactlyOnce(sid, [receiverA, receiverB]);
  });

  it("DELETE /auth/sessions/{a client's session}: that client alone, with its browser session as sid", async () => {
    const person = await newUser();
    const { sid, children } = await signIn(person.username, [clientA, clientB]);
    await app.http().delete(`/auth/sessions/${children.get(clientB.client_id)}`).set('Authorization', basic(person.username, PASSWORD)).expect(204);
    await logoutTokenFor(receiverB, clientB, sid);
    await expectExactlyOnce(sid, [receiverB]);
  });

  it('refresh token revocation (RFC 7009) ends that client’s session: that client is told', async () => {
    const person = await newUser();
    const { sid, tokens } = await signIn(person.username, [clientA, clientB]);
    await app.http().post('/auth/revoke').set('Authorization', secretBasic(clientA)).type('form').send({ token: tokens.get(clientA.client_id)!.refresh_token }).expect(200);
    await logoutTokenFor(receiverA, clientA, sid);
    await expectExactlyOnce(sid, [receiverA]);
  });

  it('a client that signed in again (single sign-on) after its logout token is told again when the browser session ends; the other client once', async () => {
    const person = await newUser();
    const { sid, children, browser } = await signIn(person.username, [clientA, clientB]);
    await app.http().delete(`/auth/sessions/${children.get(clientA.client_id)}`).set('Authorization', basic(person.username, PASSWORD)).expect(204);
    await logoutTokenFor(receiverA, clientA, sid);
    await codeFlow(browser, clientA, mainApp());
    await app.http().delete(`/auth/sessions/${sid}`).set('Authorization', basic(person.username, PASSWORD)).expect(204);
    await waitFor('a second logout token for the new session', () => tokensFor(receiverA, sid).length === 2);
    await logoutTokenFor(receiverB, clientB, sid);
    toldAgain.add(sid);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect([tokensFor(receiverA, sid).length, tokensFor(receiverB, sid).length]).toEqual([2, 1]);
  });

  it('DELETE /auth/sessions (all of them): every client of every browser session', async () => {
    const person = await newUser();
    const first = await signIn(person.username, [clientA]);
    const second = await signIn(person.username, [clientB, clientA]);
    await app.http().delete('/auth/sessions').query({ all: true }).set('Authorization', basic(person.username, PASSWORD)).expect(204);
    await logoutTokenFor(receiverA, clientA, first.sid);
    await logoutTokenFor(receiverA, clientA, second.sid);
    await logoutTokenFor(receiverB, clientB, second.sid);
    await expectExactlyOnce(first.sid, [receiverA], 0);
    await expectExactlyOnce(second.sid, [receiverA, receiverB]);
  });

  it.each([
    ['a password change ends every session', (person: { id: number; username: string }) => app.http().put('/auth/password').set('Authorization', basic(person.username, PASSWORD)).send({ currentPassword: PASSWORD, newPassword: 'a-new-backchannel-password-2' })],
    ['an admin ends every session of the account (DELETE /users/{id}/sessions)', (person: { id: number }) => app.http().delete(`/users/${person.id}/sessions`).set('Authorization', asAdmin)],
    ['an admin deletes the account (its sessions go with it, ON DELETE CASCADE)', (person: { id: number }) => app.http().delete(`/users/${person.id}`).set('Authorization', asAdmin)],
  ])('%s: both clients are told, with the account as sub', async (_, end) => {
    const person = await newUser();
    const { sid } = await signIn(person.username, [clientA, clientB]);
    await end(person).expect(204);
    expect((await logoutTokenFor(receiverA, clientA, sid)).sub).toBe(String(person.id));
    expect((await logoutTokenFor(receiverB, clientB, sid)).sub).toBe(String(person.id));
    await expectExactlyOnce(sid, [receiverA, receiverB]);
  });

  it('a refused deletion (the last admin) records nothing, and the admin stays signed in everywhere', async () => {
    const admin = (await app.http().get('/auth/me').set('Authorization', asAdmin).expect(200)).body as { id: number };
    const { sid } = await signIn(ADMIN.username, [clientA], mainApp(), ADMIN.password);
    await app.http().delete(`/users/${admin.id}`).set('Authorization', asAdmin).expect(409);
    expect(await database().query(`SELECT id FROM logout_notifications WHERE sid = '${sid}'`)).toEqual([]);
    const sessions = (await app.http().get('/auth/sessions').set('Authorization', asAdmin).expect(200)).body as { id: string }[];
    expect(sessions.map(({ id }) => id)).toContain(sid);
    await expectExactlyOnce(sid, []);
  });

  it('a logout does not wait for a slow client (10 s): answered at once, and the other client is told meanwhile', async () => {
    receiverSlow.mode = { kind: 'slow', slowMs: 10_000 };
    const person = await newUser();
    const { sid } = await signIn(person.username, [clientSlow, clientA]);
    const started = Date.now();
    await app.http().delete(`/auth/sessions/${sid}`).set('Authorization', basic(person.username, PASSWORD)).expect(204);
    expect(Date.now() - started).toBeLessThan(500);
    await logoutTokenFor(receiverA, clientA, sid, 3_000);
    // Once the slow client answers in time again, a retry reaches it.
    await waitFor('the slow client to be tried', () => receiverSlow.attempts > 0);
    receiverSlow.mode = { kind: 'ok' };
    await logoutTokenFor(receiverSlow, clientSlow, sid, 15_000);
    await expectExactlyOnce(sid, [receiverA, receiverSlow]);
  });
});


/** A separate deployment (its own database) for the tests that stop and start it or make sessions short. */
async function registerClientOn(server: Target, admin: string, name: string, backchannelLogoutUri: string): Promise<Client> {
  const body = { client_name: name, redirect_uris: [REDIRECT], grant_types: ['authorization_code'], skip_consent: true, backchannel_logout_uri: backchannelLogoutUri };
  return (await request(server).post('/clients').set('Authorization', admin).send(body).expect(201)).body as Client;
}

describe('session lifetime', () => {
  let short: RunningServer;
  let receiver: LogoutReceiver;
  afterAll(async () => {
    await short?.stop();
    await receiver?.stop();
  });

  it('a session that reaches SESSION_MAX_LIFETIME, ended by nobody, is found by the sweep and its clients told', async () => {
    // A process of its own (passport's strategies are global to this one): sessions that live two seconds.
    short = await startServer({ SESSION_MAX_LIFETIME: '2s', ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, ...RETRY_SETTINGS });
    receiver = await startLogoutReceiver();
    const client = await registerClientOn(short.baseUrl, asAdmin, 'Short app', receiver.uri);
    const { body: person } = await request(short.baseUrl).post('/auth').send({ username: 'short-lived', password: PASSWORD }).expect(201);
    const { sid } = await signIn('short-lived', [client], short.baseUrl);
    const signer = signerAt(short.baseUrl, (await request(short.baseUrl).get('/.well-known/openid-configuration').expect(200)).body.issuer);
    // Nobody ends it: it passes its end, and the sweep (every 10 s) finds it.
    expect((await logoutTokenFor(receiver, client, sid, 20_000, signer)).sub).toBe(String(person.id));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(tokensFor(receiver, sid)).toHaveLength(1);
  }, 40_000);
});

describe('a restart', () => {
  it('delivers what one process recorded and could not deliver, from the next process on the same database', async () => {
    const restartDatabase = await createSharedDatabase();
    const receiver = await startLogoutReceiver();
    const env = { DATABASE_URL: restartDatabase.url, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, ...RETRY_SETTINGS, BACKCHANNEL_LOGOUT_RETRY_BASE: '3s' };
    let server: RunningServer | null = await startServer(env);
    try {
      const client = await registerClientOn(server.baseUrl, asAdmin, 'Restarted app', receiver.uri);
      await request(server.baseUrl).post('/auth').send({ username: 'restarted', password: PASSWORD }).expect(201);
      const { sid } = await signIn('restarted', [client], server.baseUrl);
      await receiver.stop();
      await request(server.baseUrl).delete(`/auth/sessions/${sid}`).set('Authorization', basic('restarted', PASSWORD)).expect(204);
      // The first try is refused; the process stops with the notification waiting for its retry.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await server.stop()).toBe(0);
      server = null;
      await receiver.start();
      server = await startServer(env);
      const signer = signerAt(server.baseUrl, (await request(server.baseUrl).get('/.well-known/openid-configuration').expect(200)).body.issuer);
      await logoutTokenFor(receiver, client, sid, 15_000, signer);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(tokensFor(receiver, sid)).toHaveLength(1);
    } finally {
      await server?.stop();
      await receiver.stop();
      await restartDatabase.drop();
    }
  }, 60_000);
});

describe.skipIf(!onPostgres())('two instances on one PostgreSQL database', () => {
  let second: RunningServer;
  beforeAll(async () => {
    // The same deployment: one database, one key encryption secret, one issuer (the address in front of both).
    second = await startServer({ DATABASE_URL: shared.url, PUBLIC_URL: app.baseUrl, ...RETRY_SETTINGS });
  }, 30_000);
  afterAll(() => second?.stop());

  it('deliver each notification once over 20 session ends made on both at once', async () => {
    const people = [];
    for (let round = 0; round < 20; round++) {
      const person = await newUser();
      people.push({ ...person, ...(await signIn(person.username, [clientA, clientB])) });
    }
    // All at once, half on each instance: both record, both are kicked, both poll the same rows.
    await Promise.all(people.map(({ username, sid }, round) => request(round % 2 ? second.baseUrl : mainApp()).delete(`/auth/sessions/${sid}`).set('Authorization', basic(username, PASSWORD)).expect(204)));
    for (const { sid } of people) {
      await logoutTokenFor(receiverA, clientA, sid);
      await logoutTokenFor(receiverB, clientB, sid);
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const { sid } of people) await expectExactlyOnce(sid, [receiverA, receiverB], 0);
    const deliverers = await database().query(`SELECT DISTINCT claimed_by FROM logout_notifications WHERE sid IN (${people.map(({ sid }) => `'${sid}'`).join(', ')})`);
    expect(deliverers.length).toBe(2);
  }, 60_000);
});

describe('a client down for a minute', () => {
  it('gets its logout token by retry once it is back, never twice; the failed tries are in the audit trail and in /metrics', async () => {
    const backAt = await down.backAt;
    expect(backAt - down.endedAt).toBeGreaterThanOrEqual(DOWN_FOR_MS - 100);
    await logoutTokenFor(receiverDown, clientDown, down.sid, 10_000);
    // Nothing got through while it was down (refused connections, then 500s).
    expect(tokensFor(receiverDown, down.sid)[0].at).toBeGreaterThanOrEqual(backAt);
    await expectExactlyOnce(down.sid, [receiverDown, receiverA]);

    const audit = (await app.http().get('/audit').query({ type: 'backchannel-logout.failed', pageSize: 100 }).set('Authorization', asAdmin).expect(200)).body.items as { outcome: string; subjectId: number; details: Record<string, unknown> }[];
    const failures = audit.filter(({ details }) => details.clientId === clientDown.client_id);
    expect(failures.length).toBeGreaterThanOrEqual(5);
    expect(failures.every(({ outcome, subjectId, details }) => outcome === 'failure' && subjectId === down.userId && details.gaveUp === false)).toBe(true);
    expect(failures.map(({ details }) => details.error)).toEqual(expect.arrayContaining(['network', 'http-500']));
    expect(failures.find(({ details }) => details.error === 'http-500')?.details.status).toBe(500);

    const metrics = (await app.http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200)).text;
    const count = (outcome: string) => Number(new RegExp(`^gatehouse_backchannel_logout_deliveries_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
    expect(count('retry')).toBeGreaterThanOrEqual(failures.length);
    expect(count('delivered')).toBeGreaterThanOrEqual(10);
    expect(metrics).toMatch(/^gatehouse_backchannel_logout_pending \d+$/m);
  }, 90_000);

  it('every token any client received was for a different (client, session): none was sent twice', () => {
    for (const receiver of receivers()) {
      const sids = receiver.received.map(({ logoutToken }) => decodeJwt(logoutToken).sid).filter((sid) => !toldAgain.has(sid as string));
      expect(new Set(sids).size, receiver.uri).toBe(sids.length);
    }
  });
});
