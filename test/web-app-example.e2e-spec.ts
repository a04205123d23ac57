import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from './helpers/app.js';
import { apiOf, chromiumSkipReason, freshPage, launchChromium, screenshot } from './helpers/browser.js';
import { startExample, type RunningExample } from './helpers/example-app.js';
import { createListeningApp, freePort, type ListeningApp } from './helpers/listening-app.js';

/**
 * examples/web-app, the README's sign-in example, as a person uses it in
 * Chromium: "Sign in with Gatehouse", Gatehouse's login and consent pages,
 * back in the application with their name and e-mail address (openid-client:
 * the id_token, then userinfo). Then the two ways out: the Gatehouse session
 * ended in Gatehouse (DELETE /auth/sessions/{id}), which reaches the
 * application by back-channel logout within seconds; and the application's
 * "Sign out" button (RP-initiated logout), which ends the Gatehouse session
 * and comes back to the application.
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
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.origin === appUrl || url.pathname === '/authorize/login');
  if (new URL(page.url()).origin !== appUrl) {
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    await expect(page.locator('main').textContent()).resolves.toContain('My web app');
    await page.getByRole('button', { name: 'Allow' }).click();
  }
  await page.waitForURL(`${appUrl}/`);
}

describe.skipIf(chromiumSkipReason())('the web-app example in Chromium', () => {
  beforeAll(async () => {
    gatehouse = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
    appUrl = `http://127.0.0.1:${await freePort()}`;
    // A confidential web application, registered as README's step 1 says, with both ways of hearing about a logout.
    const registered = await api('/clients', {
      method: 'POST',
      headers: { authorization: basic(ADMIN.username, ADMIN.password) },
      json: {
        client_name: 'My web app',
        redirect_uris: [`${appUrl}/callback`],
        post_logout_redirect_uris: [`${appUrl}/`],
        backchannel_logout_uri: `${appUrl}/backchannel-logout`,
        grant_types: ['authorization_code'],
      },
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const client = (await registered.json()) as { client_id: string; client_secret: string };
    clientId = client.client_id;
    application = await startExample(APP, { GATEHOUSE_URL: gatehouse.baseUrl, CLIENT_ID: client.client_id, CLIENT_SECRET: client.client_secret, PORT: new URL(appUrl).port });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    application?.stop();
    await gatehouse?.close();
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
