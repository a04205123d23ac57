// A web application that signs its users in through Gatehouse with openid-client 6: the authorization
// code flow with PKCE through Gatehouse's login page, then a refresh. The README's "Sign users in to
// your application" shows the lines between the two markers, and test/sign-in-example.e2e-spec.ts
// checks that it shows them as they are here, then runs this file against the built service.
//
//   npm run client:create -- --name "My app" --redirect-uri http://127.0.0.1:4100/callback --grant authorization_code --grant refresh_token
//   CLIENT_ID=… CLIENT_SECRET=… node examples/sign-in/app.mjs      # then open http://127.0.0.1:4100/
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import * as client from 'openid-client';

const { GATEHOUSE_URL = 'http://127.0.0.1:3000', CLIENT_ID, CLIENT_SECRET, PORT = '4100' } = process.env;
if (!CLIENT_ID || !CLIENT_SECRET) throw new Error('CLIENT_ID and CLIENT_SECRET are required: npm run client:create prints them');
const redirect_uri = `http://127.0.0.1:${PORT}/callback`;

// --- the README's snippet begins
// Discovery: every endpoint from GATEHOUSE_URL/.well-known/openid-configuration (plain http only on your machine)
const insecure = GATEHOUSE_URL.startsWith('http:') ? { execute: [client.allowInsecureRequests] } : {};
const config = await client.discovery(new URL(GATEHOUSE_URL), CLIENT_ID, undefined, client.ClientSecretBasic(CLIENT_SECRET), insecure);

// 1. Send the browser to Gatehouse's login page; keep code_verifier and state in the user's session
async function signIn() {
  const code_verifier = client.randomPKCECodeVerifier();
  const code_challenge = await client.calculatePKCECodeChallenge(code_verifier);
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, { redirect_uri, scope: 'openid profile', code_challenge, code_challenge_method: 'S256', state });
  return { url, code_verifier, state };
}

// 2. Back at redirect_uri: the code and the verifier buy the tokens (state and iss are checked)
const callback = (currentUrl, { code_verifier, state }) =>
  client.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: code_verifier, expectedState: state });

// 3. Later: a new access token, and a new refresh token (the one sent is spent)
const refresh = (tokens) => client.refreshTokenGrant(config, tokens.refresh_token);
// --- the README's snippet ends

/** The application's own sessions: a random cookie naming what it keeps for one browser. */
const sessions = new Map();
const sessionOf = (request) => sessions.get(/(?:^|;\s*)app-session=([\w-]+)/.exec(request.headers.cookie ?? '')?.[1]);

async function greetingWith(accessToken) {
  const response = await client.fetchProtectedResource(config, accessToken, new URL('/', GATEHOUSE_URL), 'GET');
  return (await response.json()).message;
}

const routes = {
  async '/'(request, response) {
    const session = sessionOf(request);
    if (!session?.tokens) return response.writeHead(200, { 'Content-Type': 'text/html' }).end('<a href="/login">Sign in with Gatehouse</a>');
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ greeting: await greetingWith(session.tokens.access_token), scope: session.tokens.scope, refreshes: session.refreshes }));
  },
  async '/login'(_request, response) {
    const id = randomBytes(16).toString('base64url');
    const { url, ...pending } = await signIn();
    sessions.set(id, { pending });
    response.writeHead(303, { Location: url.href, 'Set-Cookie': `app-session=${id}; Path=/; HttpOnly; SameSite=Lax` }).end();
  },
  async '/callback'(request, response) {
    const session = sessionOf(request);
    if (!session?.pending) return response.writeHead(400).end('No sign-in under way in this browser.');
    session.tokens = await callback(new URL(request.url, redirect_uri), session.pending);
    session.refreshes = 0;
    delete session.pending;
    response.writeHead(303, { Location: '/' }).end();
  },
  async '/refresh'(request, response) {
    const session = sessionOf(request);
    if (!session?.tokens) return response.writeHead(401).end('Sign in first.');
    session.tokens = await refresh(session.tokens);
    session.refreshes++;
    response.writeHead(303, { Location: '/' }).end();
  },
};

createServer((request, response) => {
  const route = routes[new URL(request.url, redirect_uri).pathname];
  if (!route) return response.writeHead(404).end();
  route(request, response).catch((error) => response.writeHead(502, { 'Content-Type': 'text/plain' }).end(`Gatehouse said no: ${error.message}`));
}).listen(Number(PORT), '127.0.0.1', () => console.log(`The example application listens on http://127.0.0.1:${PORT}/ (signing in through ${GATEHOUSE_URL})`));
