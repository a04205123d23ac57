import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAUTHENTICATION_REFUSED } from '../src/console-session/console-access.js';
import { CSRF_REFUSED } from '../src/pages/csrf.js';
import { Session } from '../src/sessions/entities/session.entity.js';
import { User } from '../src/users/entities/user.entity.js';
import { basic } from './helpers/app.js';
import { apiOf, chromiumSkipReason, freshPage, launchChromium, screenshot } from './helpers/browser.js';
import { startClientApp, type ClientApp } from './helpers/client-app.js';
import { expectAccessible, signInOnLoginPage } from './helpers/console.js';
import { pkcePair } from './helpers/hosted-login.js';
import { createListeningApp, type ListeningApp } from './helpers/listening-app.js';

/**
 * The admin console (/admin) in Chromium: only for the admin role, every
 * change a CSRF-protected form that needs a recent sign-in, the CSV export
 * safe for spreadsheets, the configuration with its secrets masked, axe-core
 * on every page.
 */
const ADMIN = { username: 'console-admin', password: 'keeper-of-the-gate-password-1' };
const PASSWORD = 'console-person-password-1';
const METRICS_TOKEN = 'console-metrics-token-that-must-never-show-4f1e9a';
let gatehouse: ListeningApp;
let clientApp: ClientApp;
let browser: Browser;
const api = apiOf(() => gatehouse.baseUrl);

async function newPerson(username: string): Promise<number> {
  const response = await api('/auth', { method: 'POST', json: { username, password: PASSWORD } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: number }).id;
}

async function passwordToken(username: string): Promise<string> {
  const response = await api('/auth/token', { method: 'POST', body: new URLSearchParams({ username, password: PASSWORD }) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The page's CSRF token, for a form the page does not offer (a button it disables, say). */
const csrfOf = (page: Page) => page.locator('input[name="_csrf"]').first().inputValue();

/** Ticks the confirmation box of the form posting to `action`, and sends that form. */
async function confirmAndSend(page: Page, action: string, button: string): Promise<void> {
  const form = page.locator(`form[action="${action}"]`);
  await form.locator('input[name="confirm"]').check();
  await form.getByRole('button', { name: button }).click();
}

/** The admin signed in 10 minutes ago, as far as their browser sessions know: no longer fresh for a sensitive change. */
async function ageAdminSignIn(): Promise<User> {
  const data = gatehouse.app.get(DataSource);
  const admin = await data.getRepository(User).findOneByOrFail({ username: ADMIN.username });
  await data.getRepository(Session).update({ kind: 'browser', userId: admin.id }, { authTime: new Date(Date.now() - 600_000) });
  return admin;
}

async function adminPage(): Promise<{ page: Page; close: () => Promise<void>; blocked: string[] }> {
  const { context, page, blocked } = await freshPage(browser);
  await page.goto(`${gatehouse.baseUrl}/admin/users`);
  await signInOnLoginPage(page, ADMIN.username, ADMIN.password, /\/admin\/users$/);
  return { page, blocked, close: () => context.close() };
}

describe.skipIf(chromiumSkipReason())('the admin console in Chromium', () => {
  beforeAll(async () => {
    clientApp = await startClientApp();
    gatehouse = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, METRICS_TOKEN });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.close();
    await clientApp?.close();
  });

  it('refuses a plain user with a 403 page, and sends a visitor to the login page, never showing the data', async () => {
    await newPerson('plain-person');
    const anonymous = await fetch(`${gatehouse.baseUrl}/admin/users`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toMatch(/^\/authorize\?/);
    const { context, page } = await freshPage(browser);
    try {
      await page.goto(`${gatehouse.baseUrl}/account`);
      await signInOnLoginPage(page, 'plain-person', PASSWORD, /\/account$/);
      for (const path of ['/admin', '/admin/users', '/admin/clients', '/admin/keys', '/admin/audit', '/admin/audit.csv', '/admin/config']) {
        const response = await page.request.get(`${gatehouse.baseUrl}${path}`, { maxRedirects: 0 });
        expect(response.status(), path).toBe(403);
        const text = await response.text();
        expect(text, path).toContain('for accounts with the admin role');
        expect(text, path).not.toContain(ADMIN.username);
      }
      const posted = await page.request.post(`${gatehouse.baseUrl}/admin/keys/rotate`, { form: {}, maxRedirects: 0 });
      expect(posted.status()).toBe(403);
      await page.goto(`${gatehouse.baseUrl}/admin/users`);
      await expectAccessible(page);
    } finally {
      await context.close();
    }
  });

  it('finds users by name or e-mail, shows the last-admin rule, and passes axe-core on every page', async () => {
    await newPerson('searchable-sam');
    const { page, close, blocked } = await adminPage();
    try {
      await page.getByLabel('Search by username or e-mail address').fill('SEARCHABLE');
      await page.getByRole('button', { name: 'Search' }).click();
      await expect(page.locator('tbody tr').count()).resolves.toBe(1);
      await expect(page.locator('tbody').textContent()).resolves.toContain('searchable-sam');
      await screenshot(page, 'admin-users');
      await expectAccessible(page);
      await page.goto(`${gatehouse.baseUrl}/admin/users?q=${ADMIN.username}`);
      await page.getByRole('link', { name: ADMIN.username }).click();
      await expect(page.locator('#last-admin').textContent()).resolves.toContain('The last admin');
      await expect(page.getByRole('button', { name: 'Delete the account' }).isDisabled()).resolves.toBe(true);
      await expectAccessible(page);
      for (const path of ['/admin/clients', '/admin/keys', '/admin/audit', '/admin/config']) {
        await page.goto(`${gatehouse.baseUrl}${path}`);
        await screenshot(page, `admin-${path.split('/')[2]}`);
        await expectAccessible(page);
      }
      expect(blocked).toEqual([]);
    } finally {
      await close();
    }
  });

  it('registers a client (secret shown once) that a person then signs in to through the hosted login', async () => {
    await newPerson('client-user');
    const redirectUri = `${clientApp.baseUrl}/console/callback`;
    const { page, close } = await adminPage();
    let clientId: string;
    let clientSecret: string;
    try {
      await page.goto(`${gatehouse.baseUrl}/admin/clients`);
      // A refusal comes back on the form, as typed: a redirect URI over plain http to another host.
      await page.getByLabel('Name').fill('Console Made App');
      await page.getByLabel('Redirect URIs').fill('http://plain.example.com/cb');
      await page.getByLabel('client_credentials').check();
      await page.getByLabel('Client authentication').selectOption('client_secret_post');
      const [refused] = await Promise.all([page.waitForResponse((answer) => answer.url().endsWith('/admin/clients/new')), page.getByRole('button', { name: 'Register' }).click()]);
      expect(refused.status()).toBe(400);
      await page.waitForLoadState();
      await expect(page.title()).resolves.toMatch(/^Applications/);
      await expect(page.locator('form[action="/admin/clients/new"] [role="alert"]').textContent()).resolves.toMatch(/redirect/i);
      await expect(page.getByLabel('Name').inputValue()).resolves.toBe('Console Made App');
      await expect(page.getByLabel('Redirect URIs').inputValue()).resolves.toBe('http://plain.example.com/cb');
      await expect(page.getByLabel('client_credentials').isChecked()).resolves.toBe(true);
      await expect(page.getByLabel('Client authentication').inputValue()).resolves.toBe('client_secret_post');
      await expectAccessible(page);
      await page.getByLabel('client_credentials').uncheck();
      await page.getByLabel('Client authentication').selectOption('client_secret_basic');
      await page.getByLabel('Redirect URIs').fill(redirectUri);
      await page.getByRole('button', { name: 'Register' }).click();
      await expect(page.title()).resolves.toMatch(/^Application registered/);
      clientId = (await page.locator('#client-id').textContent())!.trim();
      clientSecret = (await page.locator('#client-secret').textContent())!.trim();
      expect(clientSecret.length).toBeGreaterThan(20);
      await expectAccessible(page);
      await page.goto(`${gatehouse.baseUrl}/admin/clients/${encodeURIComponent(clientId)}`);
      expect(await page.content()).not.toContain(clientSecret);
    } finally {
      await close();
    }
    const { verifier, challenge } = pkcePair();
    const { context, page: person } = await freshPage(browser);
    try {
      const query = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', state: 's1' });
      await person.goto(`${gatehouse.baseUrl}/authorize?${query}`);
      await person.getByLabel('Username').fill('client-user');
      await person.getByLabel('Password').fill(PASSWORD);
      await person.getByRole('button', { name: 'Sign in', exact: true }).click();
      await person.getByRole('button', { name: /allow/i }).click();
      await person.waitForURL((url) => url.href.startsWith(redirectUri));
      const code = new URL(person.url()).searchParams.get('code')!;
      const token = await api('/auth/token', {
        method: 'POST',
        headers: { authorization: basic(encodeURIComponent(clientId), encodeURIComponent(clientSecret)) },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }),
      });
      expect(token.status).toBe(200);
    } finally {
      await context.close();
    }
  });

  it('asks for a fresh sign-in before a sensitive change, then ends the user’s sessions so their tokens stop working', async () => {
    const id = await newPerson('ended-eve');
    const token = await api('/auth/token', { method: 'POST', body: new URLSearchParams({ username: 'ended-eve', password: PASSWORD }) });
    const { access_token: accessToken } = (await token.json()) as { access_token: string };
    const { page, close } = await adminPage();
    try {
      await ageAdminSignIn();
      await page.goto(`${gatehouse.baseUrl}/admin/users/${id}`);
      await page.getByRole('button', { name: 'End every session' }).click();
      // max_age=0: the login page again, even though the session is live.
      expect(new URL(page.url()).searchParams.get('max_age')).toBe('0');
      await signInOnLoginPage(page, ADMIN.username, ADMIN.password, new RegExp(`/admin/users/${id}$`));
      expect((await api('/auth/me', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);
      await page.getByRole('button', { name: 'End every session' }).click();
      await page.waitForURL(/done=sessions-ended/);
      expect((await api('/auth/me', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
      const forged = await page.request.post(`${gatehouse.baseUrl}/admin/users/${id}/end-sessions`, { form: {}, maxRedirects: 0 });
      expect(forged.status()).toBe(403);
    } finally {
      await close();
    }
  });

  it('takes the password typed again instead of a fresh sign-in: a wrong one changes nothing, a forged form never reaches the check', async () => {
    const id = await newPerson('reauth-rita');
    const token = await passwordToken('reauth-rita');
    const { page, close } = await adminPage();
    try {
      const admin = await ageAdminSignIn();
      await page.goto(`${gatehouse.baseUrl}/admin/users/${id}`);
      const form = page.locator(`form[action="/admin/users/${id}/end-sessions"]`);
      await expect(form.getByLabel('Your password').count()).resolves.toBe(1);
      await expectAccessible(page);

      // A form without its CSRF token is refused before the password is looked at.
      const forged = await page.request.post(`${gatehouse.baseUrl}/admin/users/${id}/end-sessions`, { form: { currentPassword: 'a-guess-1' }, maxRedirects: 0 });
      expect(forged.status()).toBe(403);
      expect(await forged.text()).toContain(CSRF_REFUSED.slice(0, 40));
      const guesses = await api(`/audit?type=login&outcome=failure&account=${admin.id}`, { headers: { authorization: basic(ADMIN.username, ADMIN.password) } });
      expect(((await guesses.json()) as { total: number }).total).toBe(0);

      await form.getByLabel('Your password').fill('not-the-admin-password-1');
      const [refused] = await Promise.all([page.waitForResponse((answer) => answer.url().endsWith('/end-sessions')), form.getByRole('button', { name: 'End every session' }).click()]);
      expect(refused.status()).toBe(403);
      await expect(page.locator('main').textContent()).resolves.toContain(REAUTHENTICATION_REFUSED.slice(0, 40));
      expect((await api('/auth/me', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

      await page.goto(`${gatehouse.baseUrl}/admin/users/${id}`);
      await form.getByLabel('Your password').fill(ADMIN.password);
      await form.getByRole('button', { name: 'End every session' }).click();
      await page.waitForURL(/done=sessions-ended/);
      expect((await api('/auth/me', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
      // The check is a login with the current password, in the trail like the account page's.
      const checks = await api(`/audit?type=login&account=${admin.id}`, { headers: { authorization: basic(ADMIN.username, ADMIN.password) } });
      const { items } = (await checks.json()) as { items: { outcome: string; details: { method?: string } }[] };
      expect(items.filter((event) => event.details.method === 'current-password').map((event) => event.outcome).sort()).toEqual(['failure', 'success']);
    } finally {
      await close();
    }
  });

  it('changes a role, refuses demoting the last admin (the page disables it, the server refuses it), resets two-factor and deletes an account', async () => {
    const id = await newPerson('promoted-pat');
    const token = await passwordToken('promoted-pat');
    const bearer = { authorization: `Bearer ${token}` };
    const enrolment = await api('/auth/mfa/totp', { method: 'POST', headers: bearer, json: { password: PASSWORD } });
    const { secret } = (await enrolment.json()) as { secret: string };
    expect((await api('/auth/mfa/totp/confirm', { method: 'POST', headers: bearer, json: { code: await generate({ secret }) } })).status).toBe(200);
    const { page, close } = await adminPage();
    try {
      const data = gatehouse.app.get(DataSource);
      const admin = await data.getRepository(User).findOneByOrFail({ username: ADMIN.username });
      // The last admin: the page disables the change, and a hand-made form is refused by the service's rule.
      await page.goto(`${gatehouse.baseUrl}/admin/users/${admin.id}`);
      await expect(page.locator('#role').isDisabled()).resolves.toBe(true);
      const demoted = await page.request.post(`${gatehouse.baseUrl}/admin/users/${admin.id}/role`, { form: { _csrf: await csrfOf(page), role: 'user' }, maxRedirects: 0 });
      expect(demoted.status()).toBe(409);
      expect(await demoted.text()).toContain('The last admin cannot be demoted');
      expect((await data.getRepository(User).findOneByOrFail({ id: admin.id })).role).toBe('admin');

      await page.goto(`${gatehouse.baseUrl}/admin/users/${id}`);
      await page.locator('#role').selectOption('admin');
      await page.getByRole('button', { name: 'Change the role' }).click();
      await page.waitForURL(/done=role-changed/);
      await expect(page.locator('dl.facts').textContent()).resolves.toMatch(/Roleadmin/);
      expect((await data.getRepository(User).findOneByOrFail({ id })).role).toBe('admin');
      // Two admins now: the first may be demoted, so the page no longer disables it.
      await page.goto(`${gatehouse.baseUrl}/admin/users/${admin.id}`);
      await expect(page.locator('#last-admin').count()).resolves.toBe(0);
      await page.goto(`${gatehouse.baseUrl}/admin/users/${id}`);
      await page.locator('#role').selectOption('user');
      await page.getByRole('button', { name: 'Change the role' }).click();
      await page.waitForURL(/done=role-changed/);

      // Reset two-factor: the person signs in with the password alone again.
      await confirmAndSend(page, `/admin/users/${id}/reset-two-factor`, 'Reset two-factor');
      await page.waitForURL(/done=two-factor-reset/);
      await expect(page.locator('[role="status"]').first().textContent()).resolves.toContain('Two-factor is off');
      expect((await data.getRepository(User).findOneByOrFail({ id })).totpEnabled).toBe(false);
      await expect(page.getByRole('button', { name: 'Reset two-factor' }).count()).resolves.toBe(0);

      // Without the box ticked the browser does not send; a hand-made form without it is a 400 page.
      const unconfirmed = await page.request.post(`${gatehouse.baseUrl}/admin/users/${id}/delete`, { form: { _csrf: await csrfOf(page) }, maxRedirects: 0 });
      expect(unconfirmed.status()).toBe(400);
      expect(await unconfirmed.text()).toContain('Tick the confirmation box');
      await confirmAndSend(page, `/admin/users/${id}/delete`, 'Delete the account');
      await page.waitForURL(/\/admin\/users\?done=user-deleted/);
      expect(await data.getRepository(User).findOneBy({ id })).toBeNull();
      expect((await api('/auth/me', { headers: bearer })).status).toBe(401);
      const gone = await page.request.get(`${gatehouse.baseUrl}/admin/users/${id}`);
      expect(gone.status()).toBe(404);
    } finally {
      await close();
    }
  });

  it('edits a client’s redirect URIs and grants, rotates its secret (shown once), deletes it; the client page passes axe-core', async () => {
    const created = await api('/clients', {
      method: 'POST',
      headers: { authorization: basic(ADMIN.username, ADMIN.password) },
      json: { client_name: 'Editable App', redirect_uris: ['https://app.example.com/cb'], grant_types: ['authorization_code', 'refresh_token'] },
    });
    expect(created.status).toBe(201);
    const { client_id: clientId, client_secret: firstSecret } = (await created.json()) as { client_id: string; client_secret: string };
    const clientPath = `/admin/clients/${encodeURIComponent(clientId)}`;
    const { page, close } = await adminPage();
    try {
      await page.goto(`${gatehouse.baseUrl}${clientPath}`);
      await screenshot(page, 'admin-client');
      await expectAccessible(page);
      // A refused change: the form again with the message, as typed, and nothing changed.
      await page.getByLabel('Redirect URIs').fill('https://app.example.com/cb#fragment');
      await page.getByLabel('refresh_token').uncheck();
      const [editRefused] = await Promise.all([page.waitForResponse((answer) => answer.url().endsWith('/edit')), page.getByRole('button', { name: 'Save' }).click()]);
      expect(editRefused.status()).toBe(400);
      await page.waitForLoadState();
      await expect(page.locator(`form[action="${clientPath}/edit"] [role="alert"]`).textContent()).resolves.toMatch(/fragment|redirect/i);
      await expect(page.getByLabel('Redirect URIs').inputValue()).resolves.toBe('https://app.example.com/cb#fragment');
      await expect(page.getByLabel('refresh_token').isChecked()).resolves.toBe(false);
      await expectAccessible(page);
      await page.getByLabel('refresh_token').check();
      await page.getByLabel('Redirect URIs').fill('https://app.example.com/cb\nhttps://app.example.com/other');
      await page.getByLabel('refresh_token').uncheck();
      await page.getByLabel('client_credentials').check();
      await page.getByRole('button', { name: 'Save' }).click();
      await page.waitForURL(/done=client-updated/);
      const stored = (await (await api(`/clients/${encodeURIComponent(clientId)}`, { headers: { authorization: basic(ADMIN.username, ADMIN.password) } })).json()) as { redirect_uris: string[]; grant_types: string[] };
      expect(stored.redirect_uris).toEqual(['https://app.example.com/cb', 'https://app.example.com/other']);
      expect([...stored.grant_types].sort()).toEqual(['authorization_code', 'client_credentials']);
      await expect(page.getByLabel('Redirect URIs').inputValue()).resolves.toContain('https://app.example.com/other');

      await page.getByRole('button', { name: 'Rotate the secret' }).click();
      await expect(page.title()).resolves.toMatch(/^New client secret/);
      const secret = (await page.locator('#client-secret').textContent())!.trim();
      expect(secret.length).toBeGreaterThan(20);
      expect(secret).not.toBe(firstSecret);
      await expectAccessible(page);
      const granted = await api('/auth/token', { method: 'POST', headers: { authorization: basic(encodeURIComponent(clientId), encodeURIComponent(secret)) }, body: new URLSearchParams({ grant_type: 'client_credentials' }) });
      expect(granted.status).toBe(200);
      await page.goto(`${gatehouse.baseUrl}${clientPath}`);
      expect(await page.content()).not.toContain(secret);

      await confirmAndSend(page, `${clientPath}/delete`, 'Delete the application');
      await page.waitForURL(/\/admin\/clients\?done=client-deleted/);
      expect(await page.content()).not.toContain(clientId);
      expect((await page.request.get(`${gatehouse.baseUrl}${clientPath}`)).status()).toBe(404);
      const refused = await api('/auth/token', { method: 'POST', headers: { authorization: basic(encodeURIComponent(clientId), encodeURIComponent(secret)) }, body: new URLSearchParams({ grant_type: 'client_credentials' }) });
      expect(refused.status).toBe(401);
    } finally {
      await close();
    }
  });

  it('rotates the signing keys, and revokes a key after its confirmation page (which passes axe-core)', async () => {
    const { page, close } = await adminPage();
    try {
      await page.goto(`${gatehouse.baseUrl}/admin/keys`);
      const before = await page.locator('tbody tr').count();
      await page.getByRole('button', { name: 'Rotate: add the next key' }).click();
      await page.waitForURL(/done=key-rotated/);
      await expect(page.locator('tbody tr').count()).resolves.toBe(before + 1);
      // The newest key (published, not signing yet) is the first row: revoking it leaves the signing key alone.
      const kid = (await page.locator('tbody tr').first().locator('code').textContent())!.trim();
      await page.getByRole('link', { name: `Revoke the key ${kid}` }).click();
      await expect(page.title()).resolves.toMatch(/^Revoke a signing key/);
      await screenshot(page, 'admin-key');
      await expectAccessible(page);
      // Keeping it changes nothing.
      await page.getByRole('link', { name: /Keep it/ }).click();
      await page.waitForURL(/\/admin\/keys$/);
      await expect(page.locator('tbody tr').first().textContent()).resolves.not.toContain('revoked');
      await page.goto(`${gatehouse.baseUrl}/admin/keys/${encodeURIComponent(kid)}`);
      await confirmAndSend(page, `/admin/keys/${encodeURIComponent(kid)}/revoke`, 'Revoke the key');
      await page.waitForURL(/done=key-revoked/);
      await expect(page.locator('tbody tr').first().textContent()).resolves.toContain('revoked');
      const jwks = (await (await api('/.well-known/jwks.json')).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((key) => key.kid)).not.toContain(kid);
      expect((await page.request.get(`${gatehouse.baseUrl}/admin/keys/no-such-key`)).status()).toBe(404);
      // Tokens signed before go on working: the signing key was not the one revoked.
      expect((await api('/auth/token', { method: 'POST', body: new URLSearchParams({ username: ADMIN.username, password: ADMIN.password }) })).status).toBe(200);
    } finally {
      await close();
    }
  });

  it('exports the audit trail as CSV with formula injection neutralised, and shows the configuration with secrets masked', async () => {
    // A failed login whose user agent is a spreadsheet formula: the trail keeps it as sent.
    await api('/auth/token', { method: 'POST', headers: { 'user-agent': '=HYPERLINK("https://evil.example","x")' }, body: new URLSearchParams({ username: 'nobody', password: 'wrong-password-1' }) });
    const { page, close } = await adminPage();
    try {
      await page.goto(`${gatehouse.baseUrl}/admin/audit?type=login&outcome=failure`);
      await expect(page.locator('tbody tr').count()).resolves.toBeGreaterThanOrEqual(1);
      const csv = await page.request.get(`${gatehouse.baseUrl}/admin/audit.csv?type=login&outcome=failure`);
      expect(csv.status()).toBe(200);
      expect(csv.headers()['content-type']).toContain('text/csv');
      const text = await csv.text();
      expect(text).toContain(`"'=HYPERLINK(""https://evil.example"",""x"")"`);
      for (const line of text.split('\r\n').filter(Boolean)) for (const cell of line.slice(1, -1).split('","')) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      const bad = await page.request.get(`${gatehouse.baseUrl}/admin/audit?account=abc`);
      expect(bad.status()).toBe(400);
      expect(await bad.text()).toMatch(/account must/);

      await page.goto(`${gatehouse.baseUrl}/admin/config`);
      const config = await page.content();
      expect(config).toContain('(set, hidden)');
      expect(config).not.toContain(METRICS_TOKEN);
      expect(config).not.toContain(ADMIN.password);
    } finally {
      await close();
    }
  });
});
