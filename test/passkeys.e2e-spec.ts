import { decodeJwt } from 'jose';
import { generate } from 'otplib';
import type { Browser } from 'playwright-core';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Session } from '../src/sessions/entities/session.entity.js';
import { basic, createTestApp, type TestApp } from './helpers/app.js';
import { apiOf, chromiumSkipReason, launchChromium, screenshot, tabWithVirtualAuthenticator, type AuthenticatorTab } from './helpers/browser.js';
import { startClientApp, type ClientApp } from './helpers/client-app.js';
import { pkcePair } from './helpers/hosted-login.js';
import { freePort } from './helpers/listening-app.js';

/**
 * Passkeys with a real browser's authenticator: Chromium's virtual
 * authenticator (CDP WebAuthn domain: CTAP2, built in, resident keys, user
 * verification) makes and uses the credentials, so every answer Gatehouse
 * verifies is one a browser produced. The service's PUBLIC_URL is
 * http://localhost:<port> (WebAuthn treats localhost as a secure context;
 * an IP address cannot be an RP ID), and the browser is on that origin.
 */
const ADMIN = { username: 'passkey-admin', password: 'passkey-keeper-of-keys-1' };
const PASSWORD = 'passkey-person-password-1';
const PASSKEY_GRANT = 'urn:gatehouse:params:oauth:grant-type:passkey';

let gatehouse: TestApp & { baseUrl: string };
let clientApp: ClientApp;
let browser: Browser;
let firstParty: { client_id: string; client_secret: string };

const api = apiOf(() => gatehouse.baseUrl);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const adminAuth = { authorization: basic(ADMIN.username, ADMIN.password) };

/** The browser's WebAuthn API, as far as these tests use it (the test code is compiled without the DOM's types). */
interface BrowserWebAuthn {
  navigator: { credentials: { create(options: { publicKey: unknown }): Promise<{ toJSON(): Record<string, unknown> }>; get(options: { publicKey: unknown }): Promise<{ toJSON(): Record<string, unknown> }> } };
  PublicKeyCredential: { parseCreationOptionsFromJSON(json: unknown): unknown; parseRequestOptionsFromJSON(json: unknown): unknown };
}

const tabWithAuthenticator = () => tabWithVirtualAuthenticator(browser, gatehouse.baseUrl);

async function newPerson(username: string): Promise<string> {
  expect((await api('/auth', { method: 'POST', json: { username, password: PASSWORD } })).status).toBe(201);
  return passwordToken(username);
}

async function passwordToken(username: string): Promise<string> {
  const response = await api('/auth/token', { method: 'POST', body: new URLSearchParams({ username, password: PASSWORD }) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function registrationOptions(token: string, body: object = {}): Promise<Response> {
  return api('/auth/passkeys/registration/options', { method: 'POST', headers: bearer(token), json: body });
}

/** navigator.credentials.create() in the tab with these options: the credential's JSON, or the error's name. */
function create(tab: AuthenticatorTab, options: unknown): Promise<Record<string, unknown> | string> {
  return tab.page.evaluate(async (json) => {
    const { navigator, PublicKeyCredential } = globalThis as unknown as BrowserWebAuthn;
    try {
      const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(json) });
      return credential.toJSON();
    } catch (error) {
      return (error as Error).name;
    }
  }, options);
}

/** Options, the authenticator's credential, POST /auth/passkeys/registration: the new passkey. */
async function registerPasskey(tab: AuthenticatorTab, token: string, name: string): Promise<{ id: string; name: string; createdAt: string }> {
  const options = await registrationOptions(token);
  expect(options.status).toBe(200);
  const credential = await create(tab, await options.json());
  expect(typeof credential).toBe('object');
  const registered = await api('/auth/passkeys/registration', { method: 'POST', headers: bearer(token), json: { name, response: credential } });
  expect(registered.status).toBe(201);
  return (await registered.json()) as { id: string; name: string; createdAt: string };
}

/** Sign-in options and navigator.credentials.get() in the tab: the challenge id and the answer's JSON text. */
async function assertion(tab: AuthenticatorTab): Promise<{ challengeId: string; response: string }> {
  const options = await api('/auth/passkeys/authentication/options', { method: 'POST' });
  expect(options.status).toBe(200);
  const json = (await options.json()) as { challengeId: string; allowCredentials?: unknown[] };
  expect(json.allowCredentials ?? []).toEqual([]);
  const response = await tab.page.evaluate(async (requestOptions) => {
    const { navigator, PublicKeyCredential } = globalThis as unknown as BrowserWebAuthn;
    const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(requestOptions) });
    return JSON.stringify(credential.toJSON());
  }, json);
  return { challengeId: json.challengeId, response };
}

function passkeyGrant(answer: { challengeId: string; response: string }): Promise<Response> {
  return api('/auth/token', { method: 'POST', body: new URLSearchParams({ grant_type: PASSKEY_GRANT, ...answer }) });
}

async function auditOf(type: string): Promise<{ outcome: string; subjectId: number | null; details: Record<string, unknown> }[]> {
  const response = await api(`/audit?type=${type}`, { headers: adminAuth });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: { outcome: string; subjectId: number | null; details: Record<string, unknown> }[] }).items;
}

const sql = (query: string, parameters: unknown[] = []) => gatehouse.app.get(DataSource).query(query, parameters) as Promise<unknown>;
const placeholder = (n: number) => (gatehouse.app.get(DataSource).options.type === 'postgres' ? `$${n}` : '?');

describe.skipIf(chromiumSkipReason())('passkeys with Chromium’s virtual authenticator', () => {
  beforeAll(async () => {
    clientApp = await startClientApp();
    const port = await freePort();
    const baseUrl = `http://localhost:${port}`;
    gatehouse = { ...(await createTestApp({ PUBLIC_URL: baseUrl, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password })), baseUrl };
    await gatehouse.app.listen(port, '127.0.0.1');
    const client = await api('/clients', {
      method: 'POST',
      headers: adminAuth,
      json: { client_name: 'Acme Dashboard', redirect_uris: [`${clientApp.baseUrl}/callback`], grant_types: ['authorization_code', 'refresh_token'], skip_consent: true },
    });
    expect(client.status).toBe(201);
    firstParty = (await client.json()) as { client_id: string; client_secret: string };
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.close();
    await clientApp?.close();
  });

  it('registers a passkey (resident key required, UV preferred, RP = PUBLIC_URL’s host), lists and renames it, and records it', async () => {
    const token = await newPerson('ada');
    const tab = await tabWithAuthenticator();
    try {
      const options = (await (await registrationOptions(token)).json()) as Record<string, any>;
      expect(options).toMatchObject({ rp: { id: 'localhost', name: 'Gatehouse' }, user: { name: 'ada' }, authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' }, excludeCredentials: [] });
      const passkey = await registerPasskey(tab, token, 'Laptop');
      expect(passkey).toMatchObject({ name: 'Laptop', id: expect.any(String), createdAt: expect.any(String) });
      const list = (await (await api('/auth/passkeys', { headers: bearer(token) })).json()) as Record<string, unknown>[];
      expect(list).toEqual([expect.objectContaining({ id: passkey.id, name: 'Laptop', deviceType: 'singleDevice', backedUp: false, lastUsedAt: null })]);
      const renamed = await api(`/auth/passkeys/${passkey.id}`, { method: 'PATCH', headers: bearer(token), json: { name: 'Work laptop' } });
      expect(await renamed.json()).toMatchObject({ id: passkey.id, name: 'Work laptop' });
      const { credentials } = await tab.cdp.send('WebAuthn.getCredentials', { authenticatorId: tab.authenticatorId });
      expect(credentials).toHaveLength(1);
      expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
      await vi.waitFor(async () => expect(await auditOf('passkey.registered')).toEqual([expect.objectContaining({ outcome: 'success', details: expect.objectContaining({ passkeyId: passkey.id }) })]));
    } finally {
      await tab.context.close();
    }
  });

  it('signs in through the passkey grant: amr hwk and user, no TOTP step even with two-factor on, the counter moves on; a challenge works once', async () => {
    const token = await newPerson('bea');
    const tab = await tabWithAuthenticator();
    try {
      await registerPasskey(tab, token, 'Phone');
      // Two-factor on: a passkey is both factors, so no code is asked for.
      const enrolment = await api('/auth/mfa/totp', { method: 'POST', headers: bearer(token), json: { password: PASSWORD } });
      const { secret } = (await enrolment.json()) as { secret: string };
      expect((await api('/auth/mfa/totp/confirm', { method: 'POST', headers: bearer(token), json: { code: await generate({ secret }) } })).status).toBe(200);

      const answer = await assertion(tab);
      const granted = await passkeyGrant(answer);
      expect(granted.status).toBe(200);
      const tokens = (await granted.json()) as { access_token: string; refresh_token: string };
      expect(decodeJwt(tokens.access_token)).toMatchObject({ username: 'bea', amr: ['hwk', 'user'], auth_time: expect.any(Number) });
      expect(tokens.refresh_token).toEqual(expect.any(String));
      expect((await api('/auth/me', { headers: bearer(tokens.access_token) })).status).toBe(200);

      // The same challenge (and answer) again: refused.
      const replay = await passkeyGrant(answer);
      expect(replay.status).toBe(401);
      expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });

      // One fresh answer sent twice at once: exactly one wins the challenge.
      for (let round = 0; round < 5; round++) {
        const fresh = await assertion(tab);
        const statuses = (await Promise.all([passkeyGrant(fresh), passkeyGrant(fresh)])).map((response) => response.status).sort();
        expect(statuses).toEqual([200, 401]);
      }
      const [listed] = (await (await api('/auth/passkeys', { headers: bearer(token) })).json()) as { lastUsedAt: string | null }[];
      expect(listed.lastUsedAt).not.toBeNull();
      await vi.waitFor(async () => expect((await auditOf('login')).filter((event) => event.details.method === 'passkey' && event.outcome === 'success').length).toBeGreaterThanOrEqual(6));
    } finally {
      await tab.context.close();
    }
  });

  it('signs in on the hosted login page with “Sign in with a passkey”: the client gets a code whose tokens say hwk', async () => {
    const token = await newPerson('cleo');
    const tab = await tabWithAuthenticator();
    try {
      await registerPasskey(tab, token, 'Laptop');
      const { verifier, challenge } = pkcePair();
      const redirectUri = `${clientApp.baseUrl}/callback`;
      const query = new URLSearchParams({ response_type: 'code', client_id: firstParty.client_id, redirect_uri: redirectUri, scope: 'openid profile', code_challenge: challenge, code_challenge_method: 'S256', state: 'state-cleo' });
      const login = await tab.page.goto(`${gatehouse.baseUrl}/authorize?${query}`);
      const policy = login!.headers()['content-security-policy'];
      expect(policy).toContain("script-src 'self'");
      expect(policy).not.toMatch(/unsafe-inline|unsafe-eval/);
      const button = tab.page.getByRole('button', { name: 'Sign in with a passkey' });
      await button.waitFor();
      await screenshot(tab.page, 'login-with-passkey');
      await Promise.all([tab.page.waitForURL((url) => url.href.startsWith(redirectUri)), button.click()]);
      const received = new URL(tab.page.url());
      expect(received.searchParams.get('state')).toBe('state-cleo');
      const code = received.searchParams.get('code')!;
      const exchanged = await api('/auth/token', {
        method: 'POST',
        headers: { authorization: basic(encodeURIComponent(firstParty.client_id), encodeURIComponent(firstParty.client_secret)) },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }),
      });
      expect(exchanged.status).toBe(200);
      const tokens = (await exchanged.json()) as { access_token: string; id_token: string };
      expect(decodeJwt(tokens.access_token)).toMatchObject({ client_id: firstParty.client_id, amr: ['hwk', 'user'] });
      expect(decodeJwt(tokens.id_token)).toMatchObject({ amr: ['hwk', 'user'] });
      expect(tab.blocked).toEqual([]);
    } finally {
      await tab.context.close();
    }
  });

  it('the login page without JavaScript: the passkey form stays hidden and the password form signs in', async () => {
    await newPerson('dina');
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const redirectUri = `${clientApp.baseUrl}/callback`;
      const { challenge } = pkcePair();
      const query = new URLSearchParams({ response_type: 'code', client_id: firstParty.client_id, redirect_uri: redirectUri, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', state: 's' });
      await page.goto(`${gatehouse.baseUrl}/authorize?${query}`);
      await expect(page.getByRole('button', { name: 'Sign in with a passkey' }).isVisible()).resolves.toBe(false);
      await page.getByLabel('Username').fill('dina');
      await page.getByLabel('Password').fill(PASSWORD);
      await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
      expect(new URL(page.url()).searchParams.get('code')).toEqual(expect.any(String));
    } finally {
      await context.close();
    }
  });

  it('a second authenticator: excludeCredentials keeps the first from registering twice, the second adds its own, both listed and both sign in', async () => {
    const token = await newPerson('edda');
    const first = await tabWithAuthenticator();
    const second = await tabWithAuthenticator();
    try {
      const laptop = await registerPasskey(first, token, 'Laptop');
      const options = (await (await registrationOptions(token)).json()) as { excludeCredentials: { id: string }[] };
      const { credentials } = await first.cdp.send('WebAuthn.getCredentials', { authenticatorId: first.authenticatorId });
      expect(options.excludeCredentials.map((credential) => credential.id)).toEqual([credentials[0].credentialId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')]);
      // The authenticator that holds an excluded credential refuses to make another (WebAuthn §6.3.2 step 3).
      await expect(create(first, options)).resolves.toBe('InvalidStateError');
      const phone = await registerPasskey(second, token, 'Phone');
      const list = (await (await api('/auth/passkeys', { headers: bearer(token) })).json()) as { id: string }[];
      expect(list.map((passkey) => passkey.id).sort()).toEqual([laptop.id, phone.id].sort());
      for (const tab of [first, second]) {
        const granted = await passkeyGrant(await assertion(tab));
        expect(decodeJwt(((await granted.json()) as { access_token: string }).access_token)).toMatchObject({ username: 'edda' });
      }
    } finally {
      await first.context.close();
      await second.context.close();
    }
  });

  it('a cloned credential (its signature counter behind) is refused and recorded; the original goes on working', async () => {
    const token = await newPerson('fay');
    const original = await tabWithAuthenticator();
    const clone = await tabWithAuthenticator();
    try {
      const passkey = await registerPasskey(original, token, 'Key');
      for (let i = 0; i < 3; i++) expect((await passkeyGrant(await assertion(original))).status).toBe(200);
      const { credentials } = await original.cdp.send('WebAuthn.getCredentials', { authenticatorId: original.authenticatorId });
      expect(credentials[0].signCount).toBeGreaterThanOrEqual(3);
      // The same private key in another authenticator, its counter behind the original's.
      await clone.cdp.send('WebAuthn.addCredential', { authenticatorId: clone.authenticatorId, credential: { ...credentials[0], signCount: 1 } });
      const refused = await passkeyGrant(await assertion(clone));
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: 'invalid_grant' });
      await vi.waitFor(async () =>
        expect(await auditOf('passkey.counter-regressed')).toEqual([expect.objectContaining({ outcome: 'failure', details: expect.objectContaining({ passkeyId: passkey.id, presentedCounter: 2 }) })]),
      );
      expect((await passkeyGrant(await assertion(original))).status).toBe(200);
    } finally {
      await original.context.close();
      await clone.context.close();
    }
  });

  it('deleting: another user’s passkey is 404; the last one goes only while the account has a password; admins list and remove', async () => {
    const gwen = await newPerson('gwen');
    const hal = await newPerson('hal');
    const tab = await tabWithAuthenticator();
    try {
      const gwensKey = await registerPasskey(tab, gwen, 'Key');
      expect((await api(`/auth/passkeys/${gwensKey.id}`, { method: 'DELETE', headers: bearer(hal) })).status).toBe(404);
      expect((await api(`/auth/passkeys/${gwensKey.id}`, { method: 'PATCH', headers: bearer(hal), json: { name: 'mine' } })).status).toBe(404);

      // An account without a usable password (as a passkey-only account would be) keeps its last passkey.
      const [{ id: gwenId }] = (await sql(`SELECT id FROM users WHERE username = ${placeholder(1)}`, ['gwen'])) as { id: number }[];
      const [{ password_hash: hash }] = (await sql(`SELECT password_hash FROM users WHERE id = ${placeholder(1)}`, [gwenId])) as { password_hash: string }[];
      await sql(`UPDATE users SET password_hash = '!' WHERE id = ${placeholder(1)}`, [gwenId]);
      const last = await api(`/auth/passkeys/${gwensKey.id}`, { method: 'DELETE', headers: bearer(gwen) });
      expect(last.status).toBe(409);
      await sql(`UPDATE users SET password_hash = ${placeholder(1)} WHERE id = ${placeholder(2)}`, [hash, gwenId]);
      expect((await api(`/auth/passkeys/${gwensKey.id}`, { method: 'DELETE', headers: bearer(gwen) })).status).toBe(204);
      expect(await (await api('/auth/passkeys', { headers: bearer(gwen) })).json()).toEqual([]);
      // Gone: it signs in no more.
      expect((await passkeyGrant(await assertion(tab))).status).toBe(401);

      const again = await registerPasskey(tab, gwen, 'Key again');
      const listed = (await (await api(`/users/${gwenId}/passkeys`, { headers: adminAuth })).json()) as { id: string }[];
      expect(listed.map((passkey) => passkey.id)).toEqual([again.id]);
      expect((await api(`/users/${gwenId}/passkeys/${gwensKey.id}`, { method: 'DELETE', headers: adminAuth })).status).toBe(404);
      expect((await api(`/users/${gwenId}/passkeys/${again.id}`, { method: 'DELETE', headers: adminAuth })).status).toBe(204);
      expect((await api(`/users/${gwenId}/passkeys`, { headers: bearer(hal) })).status).toBe(403);
      await vi.waitFor(async () => expect((await auditOf('passkey.deleted')).filter((event) => event.subjectId === gwenId)).toHaveLength(2));
    } finally {
      await tab.context.close();
    }
  });

  it('adding a passkey needs a sign-in within 5 minutes, or the password', async () => {
    const token = await newPerson('ivy');
    const sessionId = decodeJwt(token).sid as string;
    const tenMinutesAgo = new Date(Date.now() - 10 * 60 * 1000);
    await gatehouse.app.get(DataSource).getRepository(Session).update(sessionId, { authTime: tenMinutesAgo, createdAt: tenMinutesAgo });
    expect((await registrationOptions(token)).status).toBe(403);
    expect((await registrationOptions(token, { password: 'not-the-password-1' })).status).toBe(401);
    expect((await registrationOptions(token, { password: PASSWORD })).status).toBe(200);
    const viaBasic = await api('/auth/passkeys/registration/options', { method: 'POST', headers: { authorization: basic('ivy', PASSWORD) }, json: {} });
    expect(viaBasic.status).toBe(200);
    expect((await api('/auth/passkeys/registration/options', { method: 'POST', json: {} })).status).toBe(401);
  });

  it('discovery lists the passkey grant', async () => {
    const metadata = (await (await api('/.well-known/oauth-authorization-server')).json()) as { grant_types_supported: string[] };
    expect(metadata.grant_types_supported).toContain(PASSKEY_GRANT);
  });

  it('refuses answers that are not passkey answers, with a 4xx', async () => {
    const options = (await (await api('/auth/passkeys/authentication/options', { method: 'POST' })).json()) as { challengeId: string };
    const notJson = await passkeyGrant({ challengeId: options.challengeId, response: '{not json' });
    expect(notJson.status).toBe(400);
    const garbage = await passkeyGrant({ challengeId: options.challengeId, response: JSON.stringify({ id: 'x', rawId: 'x', response: {} }) });
    expect(garbage.status).toBe(401);
    expect((await passkeyGrant({ challengeId: 'nope', response: '{}' })).status).toBe(401);
    const token = await newPerson('joan');
    const bad = await api('/auth/passkeys/registration', { method: 'POST', headers: bearer(token), json: { name: 'x', response: { id: 'x', response: { clientDataJSON: 'e30' } } } });
    expect(bad.status).toBe(400);
  });
});
