// What the bench's grant rows need before their timed part: clients
// registered by the admin, one person signed in on the hosted pages with a
// cookie session (one bcrypt hash), and then authorization codes minted
// through that session (GET /authorize answers 303 with a code: no page, no
// hash), each with its own PKCE pair (RFC 7636 §4.1, S256).
import { createHash, randomBytes } from 'node:crypto';

export const REDIRECT_URI = 'https://app.bench.example/callback';
export const WEB_SCOPE = 'openid profile email offline_access';

/** client_secret_basic (RFC 6749 §2.3.1): id and secret form-urlencoded, then Basic. */
export const secretBasic = ({ client_id: id, client_secret: secret }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function ok(response, what) {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${(await response.text()).slice(0, 400)}`);
  return response;
}

/** A web application (confidential, code + refresh, first-party: no consent page) and a machine client (client_credentials). */
export async function registerClients(base, admin) {
  const create = async (body) =>
    (await ok(await fetch(`${base}/clients`, { method: 'POST', headers: { authorization: admin, 'content-type': 'application/json' }, body: JSON.stringify(body) }), 'POST /clients')).json();
  const web = await create({ client_name: 'Bench web app', redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'], skip_consent: true, scope: WEB_SCOPE });
  const machine = await create({ client_name: 'Bench job', grant_types: ['client_credentials'], scope: 'gatehouse' });
  return { web, machine };
}

function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(base, client, challenge) {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    scope: WEB_SCOPE,
    state: randomBytes(8).toString('base64url'),
    nonce: randomBytes(8).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${base}/authorize?${query}`;
}

/** A browser in miniature (cookies of one host, redirects not followed): test/helpers/cookie-browser.ts, cut to what the bench needs. */
export class BenchBrowser {
  cookies = new Map();

  async request(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const separator = pair.indexOf('=');
      this.cookies.set(pair.slice(0, separator).trim(), pair.slice(separator + 1));
    }
    return response;
  }

  /** Signs in on the hosted login page once: the session cookie is kept for every code after. */
  async signIn(base, client, { username, password }) {
    const response = await this.request(authorizeUrl(base, client, pkcePair().challenge));
    const html = await response.text();
    if (response.status !== 200) throw new Error(`GET /authorize: ${response.status} ${html.slice(0, 400)}`);
    const form = /<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
    if (!form) throw new Error(`no login form: ${html.slice(0, 400)}`);
    const fields = new URLSearchParams();
    for (const [, name, value] of form[2].matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields.set(name, value.replace(/&amp;/g, '&'));
    fields.set('username', username);
    fields.set('password', password);
    const answer = await this.request(new URL(form[1].replace(/&amp;/g, '&'), base), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields });
    if (answer.status !== 303 || !answer.headers.get('location').startsWith(REDIRECT_URI)) throw new Error(`hosted login: ${answer.status} ${(await answer.text()).slice(0, 400)}`);
  }

  /** One code and its verifier, through the session: GET /authorize → 303 to the client. */
  async code(base, client) {
    const { verifier, challenge } = pkcePair();
    const response = await this.request(authorizeUrl(base, client, challenge));
    const location = response.headers.get('location');
    if (response.status !== 303 || !location?.startsWith(REDIRECT_URI)) throw new Error(`GET /authorize with a session: ${response.status} ${(await response.text()).slice(0, 400)}`);
    return { code: new URL(location).searchParams.get('code'), verifier };
  }

  /** `count` codes, `concurrency` at a time. */
  async codes(base, client, count, concurrency = 8) {
    const codes = [];
    const worker = async () => {
      while (codes.length < count) {
        const index = codes.push(null) - 1;
        codes[index] = await this.code(base, client);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return codes;
  }
}

/** The body of the code exchange (RFC 6749 §4.1.3, RFC 7636 §4.5). */
export const exchangeBody = ({ code, verifier }) => new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString();

/** Tokens for codes, exchanged one by one: the seeds of the refresh row, the tokens of introspection and userinfo. */
export async function exchange(base, client, codes) {
  const tokens = [];
  for (const code of codes) {
    const response = await ok(
      await fetch(`${base}/auth/token`, { method: 'POST', headers: { authorization: secretBasic(client), 'content-type': 'application/x-www-form-urlencoded' }, body: exchangeBody(code) }),
      'code exchange',
    );
    tokens.push(await response.json());
  }
  return tokens;
}

/**
 * autocannon options for the refresh row: chains of rotated refresh tokens
 * (each spent once) from `seeds`. autocannon clears a connection's context
 * after every request, so the chains share one pool: an answer puts its new
 * token in, the connection's next request (built after the answer is read)
 * takes one out.
 */
export function refreshChains(tokenUrl, client, seeds) {
  const pool = [...seeds];
  return {
    url: tokenUrl,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: secretBasic(client) },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: pool.pop() }).toString() }),
        onResponse: (status, body) => {
          if (status === 200) pool.push(JSON.parse(body).refresh_token);
        },
      },
    ],
  };
}
