import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTED_PAGE_CONFIG } from '../src/pages/hosted-page.decorator.js';
import { PageRenderer, type PageOptions } from '../src/pages/page-renderer.js';
import { BUILT_IN_TEMPLATES } from '../src/pages/page-templates.js';
import { basic, createTestApp, expectNoLeak, type TestApp } from './helpers/app.js';
import { ARTIFACTS_DIRECTORY, chromiumSkipReason, launchChromium } from './helpers/browser.js';
import { codeIn, linkIn, mailSettled, startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

/**
 * The hosted pages: their headers, CSRF, errors as pages (and the API's still
 * JSON), lenient parameters, branding and the operator's templates, and the
 * two pages the mails link to, end to end over a real SMTP server.
 */
const PUBLIC_URL = 'https://auth.example.test';
const PASSWORD = 'correct-horse-battery';
const NEW_PASSWORD = 'violet-tangerine-kayak';
const BRAND_NAME = 'Acme <script>alert(1)</script> & Co';
const BRAND_COLOR = '#0b6e4f';
const BRAND_LOGO_URL = 'https://cdn.example.test/acme/logo.svg';
const WRONG_TOKENS_PER_CLIENT = 4;
const CSRF_COOKIE = '__Host-gatehouse-csrf';
const CSRF_REFUSED = 'This form has expired or did not come from this site. Go back, reload the page and send it again (cookies must be on).';
const OPERATOR_MARK = 'operator-message-template';
const OPERATOR_CSS_MARK = '/* the operator’s stylesheet */';

/** The templates the authorization pages will use, with sample data, served by a route of this suite's own. */
const SAMPLES: Record<string, { data: Record<string, unknown>; options?: PageOptions }> = {
  login: {
    data: {
      clientName: 'Photo <b>Prints</b>',
      clientUri: 'https://prints.example.test/about',
      clientLogoUri: 'https://prints.example.test/logo.svg',
      action: '/authorize/login',
      hiddenFields: { request_id: 'r-1"><script>x</script>' },
    },
    options: { imageSources: ['https://prints.example.test/logo.svg'] },
  },
  'login-again': {
    data: { clientName: 'Photo Prints', clientUri: 'javascript:alert(1)', username: 'dora', error: 'The username or password is wrong.', action: '/authorize/login' },
  },
  'second-factor': { data: { clientName: 'Photo Prints', action: '/authorize/otp', error: 'The code is wrong.' } },
  consent: {
    data: {
      clientName: 'Photo Prints',
      clientUri: 'https://prints.example.test/',
      clientLogoUri: 'https://prints.example.test/logo.svg',
      username: 'dora',
      scopes: [
        { name: 'openid', description: 'Know who you are' },
        { name: 'email', description: 'See your e-mail address <b>and</b> whether it is verified' },
      ],
      action: '/authorize/consent',
      hiddenFields: { request_id: 'r-2' },
    },
    options: { formActions: ['https://prints.example.test/callback?x=1', 'com.example.prints:/cb'], imageSources: ['https://prints.example.test/logo.svg'] },
  },
  message: { data: { title: 'Done', message: 'All went well.', tone: 'success', link: { href: 'javascript:alert(1)', text: 'Go' } } },
};

let smtp: TestSmtpServer;
let testApp: TestApp;
let operatorTemplates: string;

beforeAll(async () => {
  smtp = await startSmtpServer();
  operatorTemplates = mkdtempSync(join(tmpdir(), 'gatehouse-page-templates-'));
  // The operator's result page, in our layout (found by name from the other folder), and their stylesheet.
  writeFileSync(
    join(operatorTemplates, 'message.eta'),
    `<% layout('layout', { title: it.title }) %>\n<h1><%= it.title %></h1>\n<p class="${OPERATOR_MARK}" role="status"><%= it.message %></p>\n`,
  );
  writeFileSync(join(operatorTemplates, 'pages.css'), `${OPERATOR_CSS_MARK}\n${readFileSync(join(BUILT_IN_TEMPLATES, 'pages.css'), 'utf8')}`);
  testApp = await createTestApp(
    {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Gatehouse <no-reply@gatehouse.test>',
      PUBLIC_URL,
      MAIL_RETRY_DELAY: '0',
      // Each test speaks from addresses of its own (X-Forwarded-For), so the limits per client address do not add up across tests.
      TRUST_PROXY: 'true',
      THROTTLE_RECOVERY_REQUESTS: String(WRONG_TOKENS_PER_CLIENT),
      BRAND_NAME,
      BRAND_COLOR,
      BRAND_LOGO_URL,
      PAGES_TEMPLATES_DIR: operatorTemplates,
    },
    (app) => {
      const renderer = app.get(PageRenderer);
      const fastify = app.getHttpAdapter().getInstance();
      fastify.get<{ Params: { sample: string } }>('/__sample/:sample', async (request, reply) => {
        const { sample } = request.params;
        await renderer.render(reply, sample.replace(/-again$/, ''), SAMPLES[sample].data, SAMPLES[sample].options);
      });
      // A page that fails in a way nobody planned: what the database said must not reach the page.
      fastify.get('/__sample-failure', { config: HOSTED_PAGE_CONFIG }, () => {
        throw new Error('SQLITE_ERROR: near "SELECT password_hash FROM user": syntax error');
      });
    },
  );
});
afterAll(async () => {
  await testApp?.close();
  await smtp?.close();
  rmSync(operatorTemplates, { recursive: true, force: true });
});

let lastClient = 0;
/** A client address no other test uses. */
const newClient = () => `203.0.113.${++lastClient}`;

/** The `name=value` of the CSRF cookie a response sets, if it sets one. */
function csrfCookieOf(response: Response): string | undefined {
  const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  return cookies.find((cookie) => cookie.startsWith(`${CSRF_COOKIE}=`))?.split(';')[0];
}

function csrfTokenIn(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`no _csrf field in:\n${html}`);
  return token;
}

/** A browser opening a page with a form: its cookie, the form's token, the page. */
async function openForm(path: string, client: string, cookie?: string) {
  const request = testApp.http().get(path).set('X-Forwarded-For', client);
  if (cookie) request.set('Cookie', cookie);
  const page = await request.expect(200);
  return { cookie: cookie ?? csrfCookieOf(page)!, csrf: csrfTokenIn(page.text), page };
}

function submit(path: string, client: string, fields: Record<string, string>, cookie?: string) {
  const request = testApp.http().post(path).type('form').set('X-Forwarded-For', client);
  if (cookie) request.set('Cookie', cookie);
  return request.send(fields);
}

/** What every page must answer with. */
function expectPageHeaders(response: Response): void {
  const policy = response.headers['content-security-policy'];
  for (const directive of ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "style-src 'self'"]) expect(policy).toContain(directive);
  expect(policy).toMatch(/form-action 'self'/);
  expect(policy).not.toMatch(/script-src|unsafe-inline/);
  expect(response.headers).toMatchObject({
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-type': 'text/html; charset=utf-8',
  });
}

/** An account with an unverified address, and its verification mail's token and code. */
async function accountWithMailedVerification(username: string) {
  const email = `${username}@example.test`;
  await testApp.http().post('/auth').send({ username, password: PASSWORD, email }).expect(201);
  const mail = await smtp.nextMailTo(email);
  return { username, email, mail, token: linkIn(mail, '/verify-email').token, code: codeIn(mail) };
}

async function emailVerified(username: string): Promise<boolean> {
  return (await testApp.http().get('/auth/me').set('Authorization', basic(username, PASSWORD)).expect(200)).body.emailVerified as boolean;
}

async function resetMailFor(username: string, email: string): Promise<string> {
  await testApp.http().post('/auth/password/forgot').set('X-Forwarded-For', newClient()).send({ username }).expect(202);
  await mailSettled(testApp);
  return linkIn(await smtp.nextMailTo(email), '/reset-password').token;
}

describe('the verification page the mail links to', () => {
  it('is where the mail points, with the token and the code; a GET (or HEAD) spends nothing, the page’s form does, once', async () => {
    const { username, mail, token, code } = await accountWithMailedVerification('page-verify');
    const { link } = linkIn(mail, '/verify-email');
    expect(link).toBe(`${PUBLIC_URL}/verify-email?token=${token}`);
    expect(mail.parsed.html).toContain(`href="${link}"`);
    expect(mail.parsed.text).toContain(code);

    const client = newClient();
    // A mail scanner follows the link, twice, and asks for its headers.
    await testApp.http().get(`/verify-email?token=${token}`).set('X-Forwarded-For', client).expect(200);
    await testApp.http().head(`/verify-email?token=${token}`).set('X-Forwarded-For', client).expect(200);
    const { cookie, csrf, page } = await openForm(`/verify-email?token=${token}`, client);
    expect(await emailVerified(username)).toBe(false);
    expectPageHeaders(page);
    expect(page.text).toContain('<form method="post" action="/verify-email">');
    expect(page.text).toContain(`<input type="hidden" name="token" value="${token}">`);
    expect(page.text).toMatch(/<button type="submit" autofocus>Confirm my address<\/button>/);

    const confirmed = await submit('/verify-email', client, { _csrf: csrf, token }, cookie).expect(200);
    expectPageHeaders(confirmed);
    expect(confirmed.text).toContain('Your e-mail address is confirmed.');
    expect(await emailVerified(username)).toBe(true);

    // Spent: a readable 400 page, not JSON.
    const again = await submit('/verify-email', client, { _csrf: csrf, token }, cookie).expect(400);
    expectPageHeaders(again);
    expect(again.text).toContain('The verification token or code is wrong, expired or already used.');
    expect(again.text).toContain('role="alert"');
    expectNoLeak(again.text);
  });

  it('without a token, takes the address and the mailed code; a wrong code shows on the same page', async () => {
    const { username, email, code } = await accountWithMailedVerification('page-code');
    const client = newClient();
    const { cookie, csrf, page } = await openForm('/verify-email', client);
    expect(page.text).toMatch(/<label for="email">E-mail address<\/label>\s*<input id="email" name="email" type="email"[^>]* autofocus>/);
    expect(page.text).toMatch(/<label for="code">Code<\/label>\s*<input id="code" name="code"/);

    const wrong = await submit('/verify-email', client, { _csrf: csrf, email, code: code === '000000' ? '111111' : '000000' }, cookie).expect(400);
    expectPageHeaders(wrong);
    expect(wrong.text).toMatch(/<p id="form-error" class="alert" role="alert">This code is wrong/);
    expect(wrong.text).toMatch(/<input id="email" name="email" type="email" value="page-code@example.test"[^>]* aria-describedby="form-error" aria-invalid="true">/);
    expect(wrong.text).toMatch(/<input id="code"[^>]* autofocus aria-describedby="form-error"/);
    const empty = await submit('/verify-email', client, { _csrf: csrfTokenIn(wrong.text), email, code: ' ' }, cookie).expect(400);
    expect(empty.text).toContain('Enter your e-mail address and the 6-digit code from the mail.');
    expect(await emailVerified(username)).toBe(false);

    await submit('/verify-email', client, { _csrf: csrfTokenIn(wrong.text), email: email.toUpperCase(), code }, cookie).expect(200);
    expect(await emailVerified(username)).toBe(true);
  });
});

describe('CSRF', () => {
  it('gives the secret a __Host- cookie (HttpOnly, Secure, SameSite=Lax, path /) under an https PUBLIC_URL, once', async () => {
    const client = newClient();
    const first = await testApp.http().get('/verify-email').set('X-Forwarded-For', client).expect(200);
    const setCookie = ([] as string[]).concat(first.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith(`${CSRF_COOKIE}=`))!;
    expect(setCookie.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure']);
    const again = await testApp.http().get('/verify-email').set('X-Forwarded-For', client).set('Cookie', csrfCookieOf(first)!).expect(200);
    expect(csrfCookieOf(again)).toBeUndefined();
  });

  it('refuses a form without its token, with another’s, with a wrong one, or without the cookie: a 403 page, and nothing done', async () => {
    const { username, token } = await accountWithMailedVerification('page-csrf');
    const client = newClient();
    const mine = await openForm(`/verify-email?token=${token}`, client);
    const someoneElses = await openForm(`/verify-email?token=${token}`, newClient());
    expect(someoneElses.cookie).not.toBe(mine.cookie);

    const forged: [string, Record<string, string>, string | undefined][] = [
      ['no token', { token }, mine.cookie],
      ['an empty token', { _csrf: '', token }, mine.cookie],
      ['a made-up token', { _csrf: 'x'.repeat(52), token }, mine.cookie],
      ['the token of another browser', { _csrf: someoneElses.csrf, token }, mine.cookie],
      ['no cookie', { _csrf: mine.csrf, token }, undefined],
    ];
    for (const [what, fields, cookie] of forged) {
      const refused = await submit('/verify-email', client, fields, cookie).expect(403);
      expectPageHeaders(refused);
      expect(refused.text, what).toContain(CSRF_REFUSED);
      expect(refused.text).toContain('<h1>This request was refused</h1>');
    }
    // The token sent as a repeated field, or in a header, is no token either.
    await testApp.http().post('/verify-email').set('X-Forwarded-For', client).set('Cookie', mine.cookie).set('X-CSRF-Token', mine.csrf).type('form').send({ token }).expect(403);
    await testApp.http().post('/verify-email').set('X-Forwarded-For', client).set('Cookie', mine.cookie).type('form').send(`_csrf=${mine.csrf}&_csrf=${mine.csrf}&token=${token}`).expect(403);
    expect(await emailVerified(username)).toBe(false);

    // Nothing was spent or counted: the real form still works.
    await submit('/verify-email', client, { _csrf: mine.csrf, token }, mine.cookie).expect(200);
    expect(await emailVerified(username)).toBe(true);
  });
});

describe('the password-reset page the mail links to', () => {
  it('shows a form; refusals of the new password stay on it, the token still good; the form resets once', async () => {
    const { username, email, token: verification } = await accountWithMailedVerification('page-reset');
    const client = newClient();
    const verify = await openForm(`/verify-email?token=${verification}`, client);
    await submit('/verify-email', client, { _csrf: verify.csrf, token: verification }, verify.cookie).expect(200);
    const token = await resetMailFor(username, email);

    await testApp.http().get(`/reset-password?token=${token}`).set('X-Forwarded-For', client).expect(200);
    const { cookie, csrf, page } = await openForm(`/reset-password?token=${token}`, client, verify.cookie);
    expectPageHeaders(page);
    expect(page.text).toContain(`<input type="hidden" name="token" value="${token}">`);
    expect(page.text).toMatch(/<label for="new-password">New password<\/label>[\s\S]*<input id="new-password" name="newPassword" type="password" autocomplete="new-password" minlength="8" required autofocus aria-describedby="password-hint">/);

    const refusals: [Record<string, string>, string][] = [
      [{ newPassword: '', newPasswordConfirmation: '' }, 'Enter a new password.'],
      [{ newPassword: NEW_PASSWORD, newPasswordConfirmation: `${NEW_PASSWORD}!` }, 'The two passwords differ'],
      [{ newPassword: 'short', newPasswordConfirmation: 'short' }, 'The new password must be at least 8 characters'],
      [{ newPassword: 'page-reset-2026', newPasswordConfirmation: 'page-reset-2026' }, 'The new password must not contain the username'],
      [{ newPassword: 'a\u0007bcdefghij', newPasswordConfirmation: 'a\u0007bcdefghij' }, 'The new password must be at most 72 bytes'],
    ];
    for (const [fields, message] of refusals) {
      const refused = await submit('/reset-password', client, { _csrf: csrf, token, ...fields }, cookie).expect(400);
      expectPageHeaders(refused);
      expect(refused.text).toMatch(new RegExp(`<p id="form-error" class="alert" role="alert">${message}`));
      expect(refused.text).toContain('aria-describedby="password-hint form-error" aria-invalid="true"');
      expect(refused.text).toContain(`name="token" value="${token}"`);
    }
    await testApp.http().post('/auth/token').type('form').send({ username, password: PASSWORD }).expect(200);

    const done = await submit('/reset-password', client, { _csrf: csrf, token, newPassword: NEW_PASSWORD, newPasswordConfirmation: NEW_PASSWORD }, cookie).expect(200);
    expect(done.text).toContain('every session of the account has ended');
    await testApp.http().post('/auth/token').type('form').send({ username, password: NEW_PASSWORD }).expect(200);
    await testApp.http().post('/auth/token').type('form').send({ username, password: PASSWORD }).expect(401);

    const again = await submit('/reset-password', client, { _csrf: csrf, token, newPassword: 'another-fine-passphrase', newPasswordConfirmation: 'another-fine-passphrase' }, cookie).expect(400);
    expectPageHeaders(again);
    expect(again.text).toContain('This link is invalid, expired or already used');
    await testApp.http().post('/auth/token').type('form').send({ username, password: NEW_PASSWORD }).expect(200);
  });
});

describe('errors: pages for pages, JSON for the API', () => {
  it('renders bad links as 400 pages, and ignores parameters it does not know', async () => {
    const client = newClient();
    const missing = await testApp.http().get('/reset-password').set('X-Forwarded-For', client).expect(400);
    expectPageHeaders(missing);
    expect(missing.text).toContain('This link is incomplete: open it again from the mail, whole.');
    expect(missing.text).toMatch(/<title>This request cannot be completed · /);
    await testApp.http().get('/verify-email?token=short').set('X-Forwarded-For', client).expect(400);
    // RFC 6749 §3.1: a parameter must not be repeated.
    await testApp.http().get(`/reset-password?token=${'a'.repeat(43)}&token=${'b'.repeat(43)}`).set('X-Forwarded-For', client).expect(400);

    const tracked = await testApp.http().get(`/reset-password?token=${'a'.repeat(43)}&utm_source=mail&constructor=x&__proto__=y`).set('X-Forwarded-For', client).expect(200);
    expect(tracked.text).toContain(`name="token" value="${'a'.repeat(43)}"`);
    const { cookie, csrf } = await openForm('/verify-email', client);
    const extra = await submit('/verify-email', client, { _csrf: csrf, email: 'nobody@example.test', code: '123456', unknown: 'field', prototype: 'x' }, cookie).expect(400);
    expect(extra.text).toContain('This code is wrong');
  });

  it('renders what Fastify refuses before Nest, and throttling (429 with Retry-After), as pages', async () => {
    const client = newClient();
    const unparsable = await testApp.http().post('/verify-email').set('X-Forwarded-For', client).set('Content-Type', 'application/json').send('{"token":').expect(400);
    expectPageHeaders(unparsable);
    expect(unparsable.text).toContain('<h1>This request cannot be completed</h1>');
    expectNoLeak(unparsable.text);
    const unsupported = await testApp.http().post('/verify-email').set('X-Forwarded-For', client).set('Content-Type', 'text/xml').send('<token/>').expect(415);
    expectPageHeaders(unsupported);

    const { cookie, csrf } = await openForm('/verify-email', client);
    for (let attempt = 1; attempt <= WRONG_TOKENS_PER_CLIENT; attempt++) {
      await submit('/verify-email', client, { _csrf: csrf, token: `wrong-token-${attempt}`.padEnd(43, 'x') }, cookie).expect(400);
    }
    const throttled = await submit('/verify-email', client, { _csrf: csrf, token: 'one-more-wrong-token'.padEnd(43, 'x') }, cookie).expect(429);
    expectPageHeaders(throttled);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.text).toContain('<h1>Too many attempts</h1>');
    expect(throttled.text).toMatch(/Too many wrong tokens or codes; try again in \d+ seconds\./);
  });

  it('says nothing of an unexpected failure: a 500 page with a generic message', async () => {
    const failed = await testApp.http().get('/__sample-failure').expect(500);
    expectPageHeaders(failed);
    expect(failed.text).toContain('Something went wrong on our side. Try again in a moment.');
    expectNoLeak(failed.text);
  });

  it('keeps the API in JSON, its validation strict', async () => {
    const unauthenticated = await testApp.http().get('/users').expect(401);
    expect(unauthenticated.headers['content-type']).toMatch(/^application\/json/);
    expect(unauthenticated.headers['www-authenticate']).toContain('Bearer');
    expect(unauthenticated.body).toMatchObject({ statusCode: 401 });
    const strict = await testApp.http().post('/auth/email/verify').set('X-Forwarded-For', newClient()).send({ token: 'a'.repeat(43), utm_source: 'mail' }).expect(400);
    expect(strict.body).toEqual({ statusCode: 400, error: 'Bad Request', message: ['property utm_source should not exist'] });
    expect((await testApp.http().get('/no-such-route').expect(404)).headers['content-type']).toMatch(/^application\/json/);
    // The pages are not part of the API's document.
    const document = (await testApp.http().get('/docs-json').expect(200)).body as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((path) => /verify-email|reset-password/.test(path))).toEqual([]);
  });
});

describe('branding, the operator’s templates, and the stylesheet', () => {
  it('writes BRAND_NAME escaped, shows the logo (its origin allowed), and uses the operator’s template in our layout', async () => {
    const page = await testApp.http().get('/verify-email').set('X-Forwarded-For', newClient()).expect(200);
    expect(page.text).not.toContain('<script>');
    expect(page.text).toContain('<title>Confirm your e-mail address · Acme &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</title>');
    expect(page.text).toContain('<span class="brand-name">Acme &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</span>');
    expect(page.text).toContain(`<img class="brand-logo" src="${BRAND_LOGO_URL}" alt="" height="40">`);
    expect(page.text).toMatch(/<html lang="en">/);
    expect(page.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page.headers['content-security-policy']).toContain("img-src https://cdn.example.test;");

    const sample = await testApp.http().get('/__sample/message').expect(200);
    expect(sample.text).toContain(`<p class="${OPERATOR_MARK}" role="status">All went well.</p>`);
    expect(sample.text).toContain('<span class="brand-name">Acme &lt;script&gt;');
  });

  it('serves the stylesheet the pages link, with the brand colours and the operator’s CSS, cached for good', async () => {
    const page = await testApp.http().get('/verify-email').set('X-Forwarded-For', newClient()).expect(200);
    const href = /<link rel="stylesheet" href="(\/pages\/assets\/pages\.[\w-]{12}\.css)">/.exec(page.text)?.[1];
    expect(href).toBeDefined();
    const css = await testApp.http().get(href!).expect(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(css.headers.pragma).toBeUndefined();
    expect(css.text).toContain(`--brand: ${BRAND_COLOR};`);
    expect(css.text).toContain('--on-brand: #ffffff;');
    expect(css.text).toContain(OPERATOR_CSS_MARK);
    expect(css.text).toContain(':focus-visible');
    await testApp.http().get('/pages/assets/pages.aaaaaaaaaaaa.css').expect(404);
  });
});

describe('the templates of the authorization pages', () => {
  it('login: the contract’s fields and labels, the client escaped, hidden fields and the CSRF token, focus on the first field', async () => {
    const login = await testApp.http().get('/__sample/login').expect(200);
    expectPageHeaders(login);
    const html = login.text;
    expect(html).toMatch(/<label for="username">Username<\/label>\s*<input id="username" name="username" type="text" value="" autocomplete="username"[^>]* required autofocus>/);
    expect(html).toMatch(/<label for="password">Password<\/label>\s*<input id="password" name="password" type="password" autocomplete="current-password" required>/);
    expect(html).toContain('<button type="submit">Sign in</button>');
    expect(html).toContain('<form method="post" action="/authorize/login">');
    expect(html).toContain('<a href="https://prints.example.test/about" rel="noopener noreferrer">Photo &lt;b&gt;Prints&lt;/b&gt;</a>');
    expect(html).toContain('<img class="client-logo" src="https://prints.example.test/logo.svg"');
    expect(html).toContain('<input type="hidden" name="request_id" value="r-1&quot;&gt;&lt;script&gt;x&lt;/script&gt;">');
    expect(csrfTokenIn(html)).toMatch(/^[\w-]+$/);
    expect(login.headers['content-security-policy']).toContain('img-src https://cdn.example.test https://prints.example.test;');
    expect(html).not.toContain('role="alert"');

    const again = (await testApp.http().get('/__sample/login-again').expect(200)).text;
    expect(again).toContain('<p id="form-error" class="alert" role="alert">The username or password is wrong.</p>');
    expect(again).toMatch(/<input id="username" name="username" type="text" value="dora"[^>]* required aria-describedby="form-error" aria-invalid="true">/);
    expect(again).toMatch(/<input id="password"[^>]* required autofocus aria-describedby="form-error" aria-invalid="true">/);
    // A client URI that is not http(s) is never a link.
    expect(again).not.toContain('javascript:');
    expect(again).toContain('<strong>Photo Prints</strong>');
  });

  it('second factor and consent: the contract’s fields, the scopes in words, and the redirect’s origin in form-action', async () => {
    const otp = (await testApp.http().get('/__sample/second-factor').expect(200)).text;
    expect(otp).toMatch(/<label for="otp">Code<\/label>/);
    expect(otp).toMatch(/<input id="otp" name="otp" type="text" autocomplete="one-time-code"[^>]* autofocus aria-describedby="otp-hint form-error" aria-invalid="true">/);
    expect(otp).toContain('recovery codes works too');

    const consent = await testApp.http().get('/__sample/consent').expect(200);
    expect(consent.text).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
    expect(consent.text).toContain('<button type="submit" name="decision" value="deny" class="secondary">Deny</button>');
    expect(consent.text).toContain('<li>See your e-mail address &lt;b&gt;and&lt;/b&gt; whether it is verified <span class="scope-name">(email)</span></li>');
    expect(consent.text).toContain('<input type="hidden" name="request_id" value="r-2">');
    expect(consent.headers['content-security-policy']).toContain("form-action 'self' https://prints.example.test com.example.prints:;");

    const message = (await testApp.http().get('/__sample/message').expect(200)).text;
    expect(message).not.toContain('javascript:');
  });
});

describe.skipIf(chromiumSkipReason())('the login page in Chromium', () => {
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    await testApp.app.listen(0, '127.0.0.1');
    baseUrl = await testApp.app.getUrl();
    browser = await launchChromium();
  }, 60_000);
  afterAll(() => browser?.close());

  it('loads its stylesheet under its policy, focuses the username, and reads on a phone', async () => {
    const logo = (label: string, color: string) =>
      `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40"><rect width="40" height="40" rx="8" fill="${color}"/><text x="48" y="27" font-family="sans-serif" font-size="16">${label}</text></svg>`;
    for (const [viewport, file] of [
      [{ width: 1024, height: 760 }, 'login-page.png'],
      [{ width: 390, height: 844 }, 'login-page-phone.png'],
    ] as const) {
      const page = await browser.newPage({ viewport });
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await page.route(BRAND_LOGO_URL, (route) => route.fulfill({ contentType: 'image/svg+xml', body: logo('Acme', BRAND_COLOR) }));
      await page.route('https://prints.example.test/logo.svg', (route) => route.fulfill({ contentType: 'image/svg+xml', body: logo('', '#c2410c') }));
      await page.goto(`${baseUrl}/__sample/login-again`);
      // Strings, not functions: this code is the browser's, and tsconfig knows no DOM.
      expect(await page.evaluate('document.activeElement.id')).toBe('password');
      expect(await page.evaluate('getComputedStyle(document.querySelector("button[type=submit]")).backgroundColor')).toBe('rgb(11, 110, 79)');
      expect(await page.getByLabel('Username').inputValue()).toBe('dora');
      const width = await page.evaluate<number>('document.documentElement.scrollWidth');
      expect(width).toBeLessThanOrEqual(viewport.width);
      expect(violations).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS_DIRECTORY, file), fullPage: true });
      await page.close();
    }
  });

  it('draws the other pages under their policies too (screenshots for the record)', async () => {
    const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.route(BRAND_LOGO_URL, (route) => route.fulfill({ contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" rx="8" fill="#0b6e4f"/></svg>' }));
    await page.route('https://prints.example.test/logo.svg', (route) => route.fulfill({ contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" width="56" height="56"><circle cx="28" cy="28" r="28" fill="#c2410c"/></svg>' }));
    for (const [path, file] of [
      ['/__sample/consent', 'consent-page.png'],
      ['/__sample/second-factor', 'second-factor-page.png'],
      [`/reset-password?token=${'a'.repeat(43)}`, 'reset-password-page.png'],
      ['/reset-password', 'error-page.png'],
    ]) {
      await page.goto(`${baseUrl}${path}`);
      await page.screenshot({ path: join(ARTIFACTS_DIRECTORY, file), fullPage: true });
    }
    expect(violations).toEqual([]);
    await page.close();
  });
});
