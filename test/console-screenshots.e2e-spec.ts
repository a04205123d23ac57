import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from './helpers/app.js';
import { apiOf, chromiumSkipReason, freshPage, launchChromium } from './helpers/browser.js';
import { signInOnLoginPage } from './helpers/console.js';
import { createListeningApp, type ListeningApp } from './helpers/listening-app.js';

/**
 * The pictures of the consoles in docs/sign-in-your-app.md (docs/images/console-*.png): this
 * file checks they are there, embedded and small, and, with
 * UPDATE_DOCS_SCREENSHOTS=1, takes them again from a running Gatehouse in
 * Chromium, at a phone's width and a desktop's:
 *
 *     UPDATE_DOCS_SCREENSHOTS=1 npx vitest run test/console-screenshots.e2e-spec.ts
 */
const IMAGES = 'docs/images';
const SHOTS = [
  { file: 'console-account-phone.png', path: '/account', viewport: { width: 390, height: 844 }, who: 'person' },
  { file: 'console-admin-users.png', path: '/admin/users', viewport: { width: 1280, height: 720 }, who: 'admin' },
  { file: 'console-admin-client.png', path: '/admin/clients/:clientId', viewport: { width: 1280, height: 720 }, who: 'admin' },
] as const;
/** Each picture stays light enough for the README (and the repository). */
const MAX_BYTES = 150 * 1024;

const ADMIN = { username: 'operator', password: 'keeper-of-the-gate-7' };
const PERSON = { username: 'ada', password: 'analytical-engine-password-1' };

describe.runIf(process.env.UPDATE_DOCS_SCREENSHOTS === '1' && !chromiumSkipReason())('taking the consoles’ screenshots again', () => {
  let gatehouse: ListeningApp;
  let browser: Browser;
  let clientId: string;
  const api = apiOf(() => gatehouse.baseUrl);

  beforeAll(async () => {
    gatehouse = await createListeningApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, BRAND_NAME: 'Gatehouse' });
    browser = await launchChromium();
    // A few accounts and an application, so the pages have something to show.
    for (const [username, email] of [[PERSON.username, 'ada@example.com'], ['grace', 'grace@example.com'], ['linus', 'linus@example.org'], ['barbara', 'barbara@example.net']])
      expect((await api('/auth', { method: 'POST', json: { username, email, password: PERSON.password } })).status).toBe(201);
    const client = await api('/clients', {
      method: 'POST',
      headers: { authorization: basic(ADMIN.username, ADMIN.password) },
      json: { client_name: 'Example Shop', redirect_uris: ['https://shop.example.com/callback'], grant_types: ['authorization_code', 'refresh_token'] },
    });
    clientId = ((await client.json()) as { client_id: string }).client_id;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gatehouse?.close();
  });

  it('takes each picture at its width, under 150 KB', async () => {
    for (const shot of SHOTS) {
      const { context, page } = await freshPage(browser);
      try {
        await page.setViewportSize(shot.viewport);
        const path = shot.path.replace(':clientId', encodeURIComponent(clientId));
        await page.goto(`${gatehouse.baseUrl}${path}`);
        const { username, password } = shot.who === 'admin' ? ADMIN : PERSON;
        await signInOnLoginPage(page, username, password, new RegExp(`${path.replace(/[?]/g, '\\$&')}$`));
        await page.screenshot({ path: join(IMAGES, shot.file) });
        expect(statSync(join(IMAGES, shot.file)).size, shot.file).toBeLessThanOrEqual(MAX_BYTES);
      } finally {
        await context.close();
      }
    }
  });
});

describe('the consoles’ screenshots in the docs', () => {
  it('are committed, each under 150 KB, and embedded in docs/sign-in-your-app.md', () => {
    const page = readFileSync('docs/sign-in-your-app.md', 'utf8');
    for (const { file } of SHOTS) {
      expect(statSync(join(IMAGES, file)).size, file).toBeLessThanOrEqual(MAX_BYTES);
      expect(page, file).toContain(`](images/${file})`);
    }
  });
});
