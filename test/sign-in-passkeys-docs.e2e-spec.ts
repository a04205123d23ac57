import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium, tabWithVirtualAuthenticator, type AuthenticatorTab } from './helpers/browser.js';
import { expectShown, runAsWritten, shellBlocks, withNewlines } from './helpers/docs-commands.js';
import { freePort } from './helpers/listening-app.js';
import { startServer, type RunningServer } from './helpers/server.js';

/**
 * docs/sign-in-your-app.md's "Passkeys", followed as written: the browser
 * code that adds a passkey runs in Chromium with its virtual authenticator,
 * and the sign-in command is run with the answer the same authenticator gave
 * to `navigator.credentials.get()` (the person's browser, here the test's
 * tab). A server of its own: passkeys need PUBLIC_URL on localhost (an IP
 * address cannot be an RP ID), as the page's `http://localhost:3000` says.
 */
const PAGE = 'docs/sign-in-your-app.md';
const PAGE_URL = 'http://localhost:3000';
const PASSKEY = { username: 'grace', password: 'passkey-person-password-1' };
let server: RunningServer;
let publicUrl: string;
let browser: Browser;
let tab: AuthenticatorTab;

/** The browser's WebAuthn API, as far as this test uses it (the test code is compiled without the DOM's types). */
interface BrowserWebAuthn {
  navigator: { credentials: { get(options: { publicKey: unknown }): Promise<{ toJSON(): unknown }> } };
  PublicKeyCredential: { parseRequestOptionsFromJSON(json: unknown): unknown };
}

const api = (path: string, init: RequestInit = {}) => fetch(`${publicUrl}${path}`, init);

describe.skipIf(chromiumSkipReason())(`${PAGE}, "Passkeys", followed as written`, () => {
  beforeAll(async () => {
    const port = await freePort();
    publicUrl = `http://localhost:${port}`;
    server = await startServer({ PORT: String(port), PUBLIC_URL: publicUrl });
    browser = await launchChromium();
    tab = await tabWithVirtualAuthenticator(browser, publicUrl);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('"Adding one": the page’s browser code, with a fresh login’s token, adds "Work laptop"', async () => {
    const [adding] = [...readFileSync(PAGE, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]).filter((block) => block.includes('/auth/passkeys/registration'));
    expect((await api('/auth', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(PASSKEY) })).status).toBe(201);
    const login = await api('/auth/token', { method: 'POST', body: new URLSearchParams(PASSKEY) });
    const { access_token: token } = (await login.json()) as { access_token: string };
    // The page's `token` is the person's access token; its code runs as a page of Gatehouse's origin runs it.
    await tab.page.evaluate(`(async (token) => {\n${adding}\n})(${JSON.stringify(token)})`);
    const passkeys = await api('/auth/passkeys', { headers: { authorization: `Bearer ${token}` } });
    expect(await passkeys.json()).toEqual([expect.objectContaining({ name: 'Work laptop', deviceType: 'singleDevice' })]);
  });

  it('"Signing in": the options, the authenticator’s answer, then the page’s command gets the tokens', async () => {
    const [block] = shellBlocks(PAGE, '## Passkeys');
    const options = (await (await api('/auth/passkeys/authentication/options', { method: 'POST' })).json()) as { challengeId: string };
    const answer = await tab.page.evaluate(async (requestOptions) => {
      const { navigator, PublicKeyCredential } = globalThis as unknown as BrowserWebAuthn;
      const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(requestOptions) });
      return JSON.stringify(credential.toJSON());
    }, options);
    // The person's browser sends what it was given and what it answered, where the page shows examples.
    const script = withNewlines(block).replace('challengeId=Vq2x…', `challengeId=${options.challengeId}`).replace(`'response={"id":"…","response":{…},…}'`, `'response=${answer}'`);
    expect(script.split('\n').filter((line) => !line.startsWith('#')).join('\n'), 'no example left in the commands').not.toContain('…');
    const stdout = await runAsWritten(script.replaceAll(PAGE_URL, publicUrl));
    expectShown(stdout, block);
  });
});
