// A web application that signs its users in through Gatehouse with OpenID Connect: openid-client 6
// for the authorization code flow (PKCE, nonce, the id_token checked) and RP-initiated logout, and
// jose for the logout tokens of back-channel logout. Plain Node, no framework; its sessions are kept
// in memory. The README's "Sign users in to your application" shows the lines between the two
// markers, and test/sign-in-example.e2e-spec.ts checks that it shows them as they are here, then runs
// this file against the built service; test/web-app-example.e2e-spec.ts drives it in Chromium.
//
//   npm run client:create -- --name "My app" --redirect-uri http://127.0.0.1:4100/callback --post-logout-redirect-uri http://127.0.0.1:4100/
//   (and backchannel_logout_uri http://127.0.0.1:4100/backchannel-logout with PATCH /clients/{client_id})
//   CLIENT_ID=… CLIENT_SECRET=… node examples/web-app/app.mjs      # then open http://127.0.0.1:4100/
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';

const { GATEHOUSE_URL = 'http://127.0.0.1:3000', CLIENT_ID, CLIENT_SECRET, PORT = '4100' } = process.env;
if (!CLIENT_ID || !CLIENT_SECRET) throw new Error('CLIENT_ID and CLIENT_SECRET are required: npm run client:create prints them');
const base = `http://127.0.0.1:${PORT}`;
const redirect_uri = `${base}/callback`;
const post_logout_redirect_uri = `${base}/`;

// --- the README's snippet begins
// Discovery: every endpoint from GATEHOUSE_URL/.well-known/openid-configuration (plain http only on your machine)
const insecure = GATEHOUSE_URL.startsWith('http:') ? { execute: [client.allowInsecureRequests] } : {};
const config = await client.discovery(new URL(GATEHOUSE_URL), CLIENT_ID, undefined, client.ClientSecretBasic(CLIENT_SECRET), insecure);

// 1. Send the browser to Gatehouse's login page; keep code_verifier, state and nonce in the user's session
async function signIn() {
  const code_verifier = client.randomPKCECodeVerifier();
  const code_challenge = await client.calculatePKCECodeChallenge(code_verifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, { redirect_uri, scope: 'openid profile email', code_challenge, code_challenge_method: 'S256', state, nonce });
  return { url, code_verifier, state, nonce };
}

// 2. Back at redirect_uri: the code and the verifier buy the tokens; state, iss and the id_token (signature, aud, nonce) are checked
async function callback(currentUrl, { code_verifier, state, nonce }) {
  const tokens = await client.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: code_verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  const { sub, sid } = tokens.claims();
  // The name and e-mail address, from the userinfo endpoint (the scopes profile and email)
  const { preferred_username, email } = await client.fetchUserInfo(config, tokens.access_token, sub);
  return { sub, sid, name: preferred_username, email, id_token: tokens.id_token };
}

// 3. Sign out: drop your own session, then send the browser to Gatehouse's end_session_endpoint, which comes back
const signOutUrl = (user) => client.buildEndSessionUrl(config, { id_token_hint: user.id_token, post_logout_redirect_uri });

// 4. Back-channel logout: Gatehouse POSTs logout_token when a Gatehouse session ends (logout elsewhere, an admin, a password change)
const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
async function verifyLogoutToken(logout_token) {
  const { payload } = await jwtVerify(logout_token, jwks, { issuer: config.serverMetadata().issuer, audience: CLIENT_ID, typ: 'logout+jwt', requiredClaims: ['iat', 'exp', 'jti', 'events'] });
  const event = payload.events?.['http://schemas.openid.net/event/backchannel-logout'];
  if (typeof event !== 'object' || event === null) throw new Error('not a back-channel logout event');
  if (!payload.sid && !payload.sub) throw new Error('names no session and no user');
  if ('nonce' in payload) throw new Error('a logout token has no nonce');
  return payload; // then end your sessions with this sid (or of this sub)
}
// --- the README's snippet ends

/** The application's own sessions: a random cookie naming what it keeps for one browser (the sign-in under way, or who signed in). */
const sessions = new Map();
const cookieOf = (request) => /(?:^|;\s*)app-session=([\w-]+)/.exec(request.headers.cookie ?? '')?.[1];
const sessionOf = (request) => sessions.get(cookieOf(request));

/** Logout tokens already seen (jti → when they expire): a token replayed is refused (Back-Channel Logout 1.0 §2.6). */
const seenLogoutTokens = new Map();

const escape = (text) => String(text ?? '').replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
const page = (body) => `<!doctype html><html lang="en"><meta charset="utf-8"><title>My app</title><h1>My app</h1>${body}</html>`;

async function readForm(request) {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 16_384) throw Object.assign(new Error('too large'), { status: 413 });
  }
  return new URLSearchParams(body);
}

const routes = {
  async 'GET /'(request, response) {
    const user = sessionOf(request)?.user;
    if (!user) return response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page('<p><a href="/login">Sign in with Gatehouse</a></p>'));
    response
      .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      .end(page(`<p>Signed in as <strong id="name">${escape(user.name)}</strong> (<span id="email">${escape(user.email)}</span>).</p><form method="post" action="/logout"><button type="submit">Sign out</button></form>`));
  },
  async 'GET /login'(_request, response) {
    const id = randomBytes(16).toString('base64url');
    const { url, ...pending } = await signIn();
    sessions.set(id, { pending });
    response.writeHead(303, { Location: url.href, 'Set-Cookie': `app-session=${id}; Path=/; HttpOnly; SameSite=Lax` }).end();
  },
  async 'GET /callback'(request, response) {
    const session = sessionOf(request);
    if (!session?.pending) return response.writeHead(400, { 'Content-Type': 'text/plain' }).end('No sign-in under way in this browser.');
    const pending = session.pending;
    delete session.pending;
    session.user = await callback(new URL(request.url, base), pending);
    response.writeHead(303, { Location: '/' }).end();
  },
  // A form POST, not a link: another site cannot sign the person out by embedding it.
  async 'POST /logout'(request, response) {
    const id = cookieOf(request);
    const user = sessions.get(id)?.user;
    sessions.delete(id);
    const expired = 'app-session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0';
    if (!user) return response.writeHead(303, { Location: '/', 'Set-Cookie': expired }).end();
    response.writeHead(303, { Location: signOutUrl(user).href, 'Set-Cookie': expired }).end();
  },
  async 'POST /backchannel-logout'(request, response) {
    const logoutToken = (await readForm(request)).get('logout_token');
    let claims;
    try {
      claims = await verifyLogoutToken(logoutToken ?? '');
      if (seenLogoutTokens.has(claims.jti)) throw new Error('replayed');
    } catch {
      // §2.8: 400 when the request or the token is not valid.
      return response.writeHead(400, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify({ error: 'invalid_request' }));
    }
    const now = Date.now();
    for (const [jti, until] of seenLogoutTokens) if (until < now) seenLogoutTokens.delete(jti);
    seenLogoutTokens.set(claims.jti, claims.exp * 1000);
    for (const [id, session] of sessions) {
      if (session.user && (claims.sid ? session.user.sid === claims.sid : session.user.sub === claims.sub)) sessions.delete(id);
    }
    response.writeHead(200, { 'Cache-Control': 'no-store' }).end();
  },
};

createServer((request, response) => {
  const route = routes[`${request.method} ${new URL(request.url, base).pathname}`];
  if (!route) return response.writeHead(404).end();
  route(request, response).catch((error) => {
    if (!response.headersSent) response.writeHead(error.status ?? 502, { 'Content-Type': 'text/plain' }).end(`Gatehouse said no: ${error.message}`);
  });
}).listen(Number(PORT), '127.0.0.1', () => console.log(`The example application listens on ${base}/ (signing in through ${GATEHOUSE_URL})`));
