import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMINS_ONLY } from '../src/console-session/console-access.js';
import { CSRF_REFUSED } from '../src/pages/csrf.js';
import { SigningKeysService } from '../src/tokens/signing-keys.service.js';
import { basic } from './helpers/app.js';
import { apiOf, chromiumSkipReason, freshPage, launchChromium } from './helpers/browser.js';
import { expectAccessible, signInOnLoginPage } from './helpers/console.js';
import { createListeningApp, type ListeningApp } from './helpers/listening-app.js';

/**
 * Every console route, walked anonymously, as a plain user and without the
 * form's CSRF token (issue 31: "nothing the console does is possible without
 * the admin role"). The routes are not listed by hand: they are read from the
 * metadata of every controller the application holds (Nest's @Controller and
 * @Get/@Post paths), every route under /account or /admin, so a route added
 * later, even in a controller that forgot @Console(), is walked too; each is
 * checked against Fastify's router, so the list is the one that serves.
 */
const ADMIN = { username: 'access-walker-admin', password: 'walks-every-console-route-1' };
const PASSWORD = 'access-walker-person-1';
/** What only an admin may read: the admin's name is on the users page, the client's on the clients page. */
const CLIENT_NAME = 'Access Walk Secret App';
let gatehouse: ListeningApp;
let browser: Browser;
const api = apiOf(() => gatehouse.baseUrl);

interface ConsoleRoute {
  method: 'GET' | 'POST';
  /** As declared: /admin/users/:id/role. */
  path: string;
  admin: boolean;
}

const joinPath = (...parts: string[]) => `/${parts.map((part) => part.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;

/** Every GET and POST route of every controller under /account or /admin, from the controllers' metadata. */
function consoleRoutes(): ConsoleRoute[] {
  const routes: ConsoleRoute[] = [];
  for (const module of gatehouse.app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function') continue;
      const prefixes = [Reflect.getMetadata(PATH_METADATA, metatype) as string | string[]].flat();
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as object | undefined;
        if (name === 'constructor' || typeof handler !== 'function' || !Reflect.hasMetadata(PATH_METADATA, handler)) continue;
        const verb = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
        for (const prefix of prefixes)
          for (const path of [Reflect.getMetadata(PATH_METADATA, handler) as string | string[]].flat()) {
            const full = joinPath(prefix ?? '', path);
            if (!/^\/(account|admin)(\/|\.|$)/.test(full)) continue;
            // A console takes GET pages and POST forms, nothing else: another verb is a route this walk does not know how to try.
            expect([RequestMethod.GET, RequestMethod.POST], `${full}: a console route is GET or POST`).toContain(verb);
            routes.push({ method: verb === RequestMethod.GET ? 'GET' : 'POST', path: full, admin: full.startsWith('/admin') });
          }
      }
    }
  }
  return routes;
}

describe.skipIf(chromiumSkipReason())('every console route, walked without the right to it', () => {
  let routes: ConsoleRoute[];
  let params: Record<string, string>;

  beforeAll(async () => {
    gatehouse = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
    browser = await launchChromium();
    routes = consoleRoutes();
    const client = await api('/clients', {
      method: 'POST',
      headers: { authorization: basic(ADMIN.username, ADMIN.password) },
      json: { client_name: CLIENT_NAME, redirect_uris: ['https://walk.example.com/cb'], grant_types: ['authorization_code'] },
    });
    expect(client.status).toBe(201);
    const [key] = await gatehouse.app.get(SigningKeysService).describe();
    // Real ids, so a route that let the visitor through would find what it looks for.
    params = { id: '1', clientId: ((await client.json()) as { client_id: string }).client_id, kid: key.kid };
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.close();
  });

  /** The route with its parameters filled (an account's session id is a UUID; nothing checks it before the guard). */
  const urlOf = (route: ConsoleRoute) => `${gatehouse.baseUrl}${route.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(name === 'id' && !route.admin ? randomUUID() : params[name]))}`;

  it('finds the routes from the controllers, and each is one Fastify serves', () => {
    const fastify = gatehouse.app.getHttpAdapter().getInstance() as FastifyInstance;
    for (const route of routes) expect(fastify.hasRoute({ method: route.method, url: route.path }), `${route.method} ${route.path}`).toBe(true);
    // The walk is only as good as its list: the pages and changes known today are in it.
    const names = routes.map((route) => `${route.method} ${route.path}`);
    for (const known of ['GET /account', 'POST /account/passkeys/:id/remove', 'GET /admin/users', 'POST /admin/users/:id/role', 'GET /admin/audit.csv', 'POST /admin/keys/:kid/revoke', 'POST /admin/clients/:clientId/rotate-secret'])
      expect(names).toContain(known);
    expect(routes.filter((route) => route.admin).length).toBeGreaterThanOrEqual(18);
    expect(routes.filter((route) => !route.admin).length).toBeGreaterThanOrEqual(12);
  });

  it('sends an anonymous visitor to the hosted login for every route, GET or POST, and shows nothing', async () => {
    for (const route of routes) {
      const response = await fetch(urlOf(route), { method: route.method, redirect: 'manual', ...(route.method === 'POST' ? { body: new URLSearchParams({ confirm: 'yes', role: 'user' }) } : {}) });
      const label = `${route.method} ${route.path}`;
      expect(response.status, label).toBe(303);
      const location = new URL(response.headers.get('location')!, gatehouse.baseUrl);
      expect(location.pathname, label).toBe('/authorize');
      expect(location.searchParams.get('client_id'), label).toBe('gatehouse-console');
      const body = await response.text();
      expect(body, label).not.toContain(ADMIN.username);
      expect(body, label).not.toContain(CLIENT_NAME);
    }
  });

  describe('signed in', () => {
    let page: Page;
    let close: () => Promise<void>;
    let csrf: string;

    beforeAll(async () => {
      expect((await api('/auth', { method: 'POST', json: { username: 'walking-wanda', password: PASSWORD } })).status).toBe(201);
      const fresh = await freshPage(browser);
      page = fresh.page;
      close = () => fresh.context.close();
      await page.goto(`${gatehouse.baseUrl}/account`);
      await signInOnLoginPage(page, 'walking-wanda', PASSWORD, /\/account$/);
      csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    }, 30_000);

    afterAll(async () => {
      await close?.();
    });

    it('refuses a plain user every /admin route with the 403 page, even with a valid CSRF token, and changes nothing', async () => {
      const adminRoutes = routes.filter((route) => route.admin);
      for (const route of adminRoutes) {
        const label = `${route.method} ${route.path}`;
        const response =
          route.method === 'GET'
            ? await page.request.get(urlOf(route), { maxRedirects: 0 })
            : await page.request.post(urlOf(route), { form: { _csrf: csrf, confirm: 'yes', role: 'admin', redirect_uris: 'https://evil.example/cb', grant_types: 'authorization_code', client_name: 'Evil' }, maxRedirects: 0 });
        expect(response.status(), label).toBe(403);
        expect(response.headers()['content-type'], label).toContain('text/html');
        const body = await response.text();
        expect(body, label).toContain(ADMINS_ONLY.slice(0, 40));
        expect(body, label).not.toContain(ADMIN.username);
        expect(body, label).not.toContain(CLIENT_NAME);
      }
      // Nothing was done: still a plain user, the client and the key still there.
      const me = await api('/auth/token', { method: 'POST', body: new URLSearchParams({ username: 'walking-wanda', password: PASSWORD }) });
      const { access_token: token } = (await me.json()) as { access_token: string };
      expect(((await (await api('/auth/me', { headers: { authorization: `Bearer ${token}` } })).json()) as { role: string }).role).toBe('user');
      expect((await api(`/clients/${encodeURIComponent(params.clientId)}`, { headers: { authorization: basic(ADMIN.username, ADMIN.password) } })).status).toBe(200);
      expect((await gatehouse.app.get(SigningKeysService).describe()).find((key) => key.kid === params.kid)?.revokedAt).toBeNull();
    });

    it('refuses every account form without its CSRF token with the 403 page', async () => {
      for (const route of routes.filter((candidate) => !candidate.admin && candidate.method === 'POST')) {
        const response = await page.request.post(urlOf(route), { form: { name: 'x', code: '123456', password: PASSWORD, currentPassword: PASSWORD, email: 'x@example.com' }, maxRedirects: 0 });
        expect(response.status(), route.path).toBe(403);
        expect(await response.text(), route.path).toContain(CSRF_REFUSED.slice(0, 40));
      }
    });

    it('the 403 page passes axe-core', async () => {
      const answer = await page.goto(`${gatehouse.baseUrl}/admin/clients`);
      expect(answer?.status()).toBe(403);
      await expectAccessible(page);
    });
  });

  it('refuses an admin every /admin form without its CSRF token with the 403 page', async () => {
    const { context, page } = await freshPage(browser);
    try {
      await page.goto(`${gatehouse.baseUrl}/admin/users`);
      await signInOnLoginPage(page, ADMIN.username, ADMIN.password, /\/admin\/users$/);
      for (const route of routes.filter((candidate) => candidate.admin && candidate.method === 'POST')) {
        const response = await page.request.post(urlOf(route), { form: { confirm: 'yes', role: 'user' }, maxRedirects: 0 });
        expect(response.status(), route.path).toBe(403);
        expect(await response.text(), route.path).toContain(CSRF_REFUSED.slice(0, 40));
      }
      expect((await api(`/clients/${encodeURIComponent(params.clientId)}`, { headers: { authorization: basic(ADMIN.username, ADMIN.password) } })).status).toBe(200);
    } finally {
      await context.close();
    }
  });
});
