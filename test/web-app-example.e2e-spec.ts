import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from './helpers/app.js';
import { apiOf, chromiumSkipReason, freshPage, launchChromium, screenshot } from './helpers/browser.js';
import { startExample, type RunningExample } from './helpers/example-app.js';
import { createListeningApp, freePort, type ListeningApp } from './helpers/listening-app.js';
import { SigningKeysService } from '../src/tokens/signing-keys.service.js';

/**
 * examples/web-app, the README's sign-in example, as a person uses it in
 * Chromium: "Sign in with Gatehouse", Gatehouse's login and consent pages,
 * back in the application with their name and e-mail address (openid-client:
 * the id_token, then userinfo). Then the two ways out: the Gatehouse session
 * ended in Gatehouse (DELETE /auth/sessions/{id}), which reaches the
 * application by back-channel logout within seconds; and the application's
 * "Sign out" button (RP-initiated logout), which ends the Gatehouse session
 * and comes back to the application. Before those, the application's
 * back-channel endpoint alone, with logout tokens signed here by Gatehouse's
 * key store: what it accepts and what it refuses.
 */
const ADMIN = { username: 'web-app-admin', password: 'web-app-keeper-of-clients-1' };
const PASSWORD = 'web-app-person-password-1';
const APP = 'examples/web-app/app.mjs';
/** How long the application may take to hear of a session ended in Gatehouse (a back-channel delivery, with a retry or two). */
const SIGNED_OUT_WITHIN_MS = 15_000;

let gatehouse: ListeningApp;
let application: RunningExample | undefined;
let appUrl: string;
let clientId: string;
let browser: Browser;

const api = apiOf(() => gatehouse.baseUrl);
const asAdmin = basic(ADMIN.username, ADMIN.password);
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

async function newPerson(username: string): Promise<void> {
  const response = await api('/auth', { method: 'POST', json: { username, password: PASSWORD, email: `${username}@example.com` } });
  expect(response.status).toBe(201);
}

/** The person's own access token (the password grant), as their account page would hold it. */
async function tokenOf(username: string): Promise<string> {
  const response = await api('/auth/token', { method: 'POST', body: new URLSearchParams({ username, password: PASSWORD }) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

interface ListedSession {
  id: string;
  kind: string;
  clientId: string | null;
}
async function browserSessionsOf(username: string): Promise<ListedSession[]> {
  const response = await api('/auth/sessions', { headers: { authorization: basic(username, PASSWORD) } });
  expect(response.status).toBe(200);
  return ((await response.json()) as ListedSession[]).filter((session) => session.kind === 'browser');
}

/** From the application's home page through Gatehouse's login (and consent, the first time) back to the home page, signed in. */
async function signIn(page: Page, username: string): Promise<void> {
  await page.goto(`${appUrl}/`);
  await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => url.origin === appUrl || url.pathname === '/authorize/login');
  if (new URL(page.url()).origin !== appUrl) {
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    await expect(page.locator('main').textContent()).resolves.toContain('My web app');
    await page.getByRole('button', { name: 'Allow' }).click();
  }
  await page.waitForURL(`${appUrl}/`);
}

beforeAll(async () => {
  gatehouse = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
  appUrl = `http://127.0.0.1:${await freePort()}`;
  // A confidential web application, registered as the README's step 1 says.
  const registered = await api('/clients', {
    method: 'POST',
    headers: { authorization: asAdmin },
    json: { client_name: 'My web app', redirect_uris: [`${appUrl}/callback`], post_logout_redirect_uris: [`${appUrl}/`], grant_types: ['authorization_code'] },
  });
  expect(registered.status, await registered.clone().text()).toBe(201);
  const client = (await registered.json()) as { client_id: string; client_secret: string };
  clientId = client.client_id;
  application = await startExample(APP, { GATEHOUSE_URL: gatehouse.baseUrl, CLIENT_ID: client.client_id, CLIENT_SECRET: client.client_secret, PORT: new URL(appUrl).port });
}, 60_000);

afterAll(async () => {
  application?.stop();
  await gatehouse?.close();
});

/** A logout token as Back-Channel Logout 1.0 §2.4 has it, signed by Gatehouse's key store unless `key` says otherwise; `claims` override, or remove (undefined). */
async function logoutToken(claims: Record<string, unknown> = {}, { typ = 'logout+jwt', key }: { typ?: string; key?: KeyObject } = {}): Promise<string> {
  const signing = await gatehouse.app.get(SigningKeysService).asymmetricSigningKey();
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iss: gatehouse.baseUrl, aud: clientId, iat: now, exp: now + 120, jti: randomUUID(), sid: randomUUID(), events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, ...claims };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: signing.algorithm, kid: signing.kid, typ }).sign(key ?? signing.privateKey);
}
const deliver = (token: string) =>
  fetch(`${appUrl}/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: token }) });

describe("the application's back-channel logout endpoint (its checks, with tokens signed by Gatehouse's keys)", () => {
  it('takes a valid logout token (200), once: the same jti again is refused', async () => {
    const token = await logoutToken();
    expect((await deliver(token)).status).toBe(200);
    expect((await deliver(token)).status).toBe(400);
    expect((await deliver(await logoutToken({ sid: undefined, sub: '42' }))).status).toBe(200);
  });

  it.each([
    ['another audience', () => logoutToken({ aud: 'another-client' })],
    ['another issuer', () => logoutToken({ iss: 'https://elsewhere.example' })],
    ['an expiry passed', () => logoutToken({ iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 300 })],
    ['a nonce (an id_token, not a logout token)', () => logoutToken({ nonce: 'n' })],
    ['no events', () => logoutToken({ events: undefined })],
    ['another event', () => logoutToken({ events: { 'http://schemas.openid.net/event/other': {} } })],
    ['neither sid nor sub', () => logoutToken({ sid: undefined })],
    ['no jti', () => logoutToken({ jti: undefined })],
    ['the typ of an id_token', () => logoutToken({}, { typ: 'JWT' })],
    ['another key under the same kid', () => logoutToken({}, { key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey })],
  ])('refuses a token with %s (400)', async (_case, make) => {
    expect((await deliver(await make())).status).toBe(400);
  });
});

describe.skipIf(chromiumSkipReason())('the web-app example in Chromium', () => {
  beforeAll(async () => {
    // Back-channel logout on (as the README says, with PATCH): Gatehouse tells the application when a session it took part in ends.
    const patched = await api(`/clients/${clientId}`, { method: 'PATCH', headers: { authorization: asAdmin }, json: { backchannel_logout_uri: `${appUrl}/backchannel-logout` } });
    expect(patched.status, await patched.clone().text()).toBe(200);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("signs in through Gatehouse's pages and shows the name and e-mail; a session ended in Gatehouse signs the application out within seconds (back-channel logout)", async () => {
    await newPerson('ada');
    const { context, page, blocked } = await freshPage(browser);
    try {
      await signIn(page, 'ada');
      await expect(page.locator('#name').textContent()).resolves.toBe('ada');
      await expect(page.locator('#email').textContent()).resolves.toBe('ada@example.com');
      await screenshot(page, 'web-app-signed-in');

      // The person ends the browser session from their account, with their own token, as on another device.
      const token = await tokenOf('ada');
      const listed = await api('/auth/sessions', { headers: { authorization: `Bearer ${token}` } });
      const browserSession = ((await listed.json()) as ListedSession[]).find((session) => session.kind === 'browser' && session.clientId === clientId);
      expect(browserSession).toBeDefined();
      expect((await api(`/auth/sessions/${browserSession!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status).toBe(204);

      // Gatehouse tells the application (a logout_token to its backchannel_logout_uri), which drops its session: reloading shows the sign-in link.
      const deadline = Date.now() + SIGNED_OUT_WITHIN_MS;
      let signedOut = false;
      while (!signedOut && Date.now() < deadline) {
        await page.reload();
        signedOut = await page.getByRole('link', { name: 'Sign in with Gatehouse' }).isVisible();
        if (!signedOut) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(signedOut, `still signed in after ${SIGNED_OUT_WITHIN_MS} ms; the web app said:\n${application!.output()}`).toBe(true);
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("the application's Sign out button ends the Gatehouse session (RP-initiated logout, no question asked) and comes back to the application", async () => {
    await newPerson('grace');
    const { context, page, blocked } = await freshPage(browser);
    try {
      await signIn(page, 'grace');
      await expect(page.locator('#name').textContent()).resolves.toBe('grace');
      expect(await browserSessionsOf('grace')).toHaveLength(1);

      const ended = page.waitForRequest((request) => request.url().startsWith(`${gatehouse.baseUrl}/logout?`));
      await page.getByRole('button', { name: 'Sign out' }).click();
      const endSession = new URL((await ended).url());
      expect(Object.fromEntries(endSession.searchParams)).toMatchObject({ id_token_hint: expect.any(String), post_logout_redirect_uri: `${appUrl}/`, client_id: clientId });
      await page.waitForURL(`${appUrl}/`);
      await page.getByRole('link', { name: 'Sign in with Gatehouse' }).waitFor();
      expect(await browserSessionsOf('grace')).toEqual([]);

      // Gatehouse's cookie is gone with its session: signing in again asks for the password.
      await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();
      await page.getByLabel('Password').waitFor();
      expect(new URL(page.url()).origin).toBe(gatehouse.baseUrl);
      expect(blocked).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
