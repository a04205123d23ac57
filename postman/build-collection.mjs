// Builds postman/gatehouse.postman_collection.json: `npm run postman:build`.
// Four folders (Accounts, Tokens, Greetings, Admin), each request with a
// description and an example answer. It runs top to bottom against any
// Gatehouse (`npm run postman`): with your own `username` and `password` in
// the environment it uses that account (and leaves out what would change or
// delete it); without, it registers a random user each run, so it can run
// again on the same database.
// test/postman.e2e-spec.ts checks the file is current, covers every operation
// of /docs-json, and passes under newman against the built service.
import { writeFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { fileURLToPath } from 'node:url';

const JSON_HEADERS = [{ key: 'Content-Type', value: 'application/json' }];
const bearerOf = (variable) => ({ type: 'bearer', bearer: [{ key: 'token', value: `{{${variable}}}`, type: 'string' }] });
const bearer = bearerOf('access_token');
/** The machine client's own token (client_credentials). */
const clientBearer = bearerOf('client_access_token');
const basic = (username, password) => ({
  type: 'basic',
  basic: [
    { key: 'username', value: username, type: 'string' },
    { key: 'password', value: password, type: 'string' },
  ],
});
const userBasic = basic('{{username}}', '{{password}}');
const adminBasic = basic('{{adminUsername}}', '{{adminPassword}}');
/** client_secret_basic (RFC 6749 §2.3.1): Gatehouse's ids and secrets are base64url, the same once form-urlencoded. */
const machineBasic = basic('{{machine_client_id}}', '{{machine_client_secret}}');
const noAuth = { type: 'noauth' };
/** The paginated lists (/users, /audit): the first hundred. */
const FIRST_PAGE = [
  { key: 'page', value: '1' },
  { key: 'pageSize', value: '100' },
];

function url(path, query = []) {
  const [pathname] = path.split('?');
  return {
    raw: `{{baseUrl}}${path}${query.length ? `?${query.map(({ key, value }) => `${key}=${value}`).join('&')}` : ''}`,
    host: ['{{baseUrl}}'],
    path: pathname.split('/').filter(Boolean),
    ...(query.length ? { query } : {}),
  };
}

/**
 * One request of the collection: what it is for (`description`), what it
 * answers (`example`: status and body, saved as the request's example
 * response), and its scripts (`test`, `prerequest`: lines). `ownAccountOnly`:
 * it changes or deletes the account, so it runs only on the random account
 * the collection registered itself, never on one you gave it.
 */
function item(name, { description, example: [code, exampleBody], ownAccountOnly, method, path, auth = noAuth, json, form, query, test, prerequest = [] }) {
  const request = { method, header: json ? JSON_HEADERS : [], url: url(path, query), auth, description };
  if (json) request.body = { mode: 'raw', raw: JSON.stringify(json, null, 2), options: { raw: { language: 'json' } } };
  if (form) request.body = { mode: 'urlencoded', urlencoded: Object.entries(form).map(([key, value]) => ({ key, value, type: 'text' })) };
  const guard = ownAccountOnly ? [`if (pm.collectionVariables.get('generated_account') !== 'true') pm.execution.skipRequest();`] : [];
  const event = [];
  if (guard.length || prerequest.length) event.push({ listen: 'prerequest', script: { type: 'text/javascript', exec: [...guard, ...prerequest] } });
  event.push({ listen: 'test', script: { type: 'text/javascript', exec: test } });
  const response = {
    name: `${code} ${STATUS_CODES[code]}`,
    originalRequest: { method, header: request.header, url: request.url, ...(request.body ? { body: request.body } : {}) },
    status: STATUS_CODES[code],
    code,
    _postman_previewlanguage: exampleBody === null ? 'text' : 'json',
    header: exampleBody === null ? [] : [{ key: 'Content-Type', value: 'application/json; charset=utf-8' }],
    body: exampleBody === null ? '' : JSON.stringify(exampleBody, null, 2),
  };
  return { name, event, request, response: [response] };
}

/** A passkey as GET /auth/passkeys lists it. */
const EXAMPLE_PASSKEY = { id: '3b0c6c2e-8d1f-4f4e-9b8e-5a2f0d7c1e93', name: 'Work laptop', createdAt: '2026-11-29T09:00:00.000Z', lastUsedAt: '2026-11-29T09:05:00.000Z', deviceType: 'singleDevice', backedUp: false, transports: ['internal'] };
const EXAMPLE_CREATION_OPTIONS = {
  challenge: 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c',
  rp: { name: 'Gatehouse', id: 'auth.example.com' },
  user: { id: 'Nw', name: 'pm-lx3k9a', displayName: 'pm-lx3k9a' },
  pubKeyCredParams: [{ alg: -8, type: 'public-key' }, { alg: -7, type: 'public-key' }, { alg: -257, type: 'public-key' }],
  timeout: 300000,
  attestation: 'none',
  excludeCredentials: [],
  authenticatorSelection: { residentKey: 'required', userVerification: 'preferred', requireResidentKey: true },
  extensions: { credProps: true },
  hints: [],
};
const EXAMPLE_REQUEST_OPTIONS = { rpId: 'auth.example.com', challenge: 'z9x8c7v6b5n4m3l2k1j0h9g8f7d6s5a4p3o2i1u0y9t', timeout: 300000, userVerification: 'preferred', allowCredentials: [], challengeId: 'Vq2x0bH3nQ1tYk7uJ9cLwA' };

/** What POST /auth/password/forgot always answers. */
const RESET_REQUESTED = 'If an account with a verified e-mail address matches, a link to reset its password is on its way to that address.';
const EXAMPLE_USER = { id: 7, username: 'pm-lx3k9a', role: 'user', createdAt: '2026-11-29T09:00:00.000Z', email: null, emailVerified: false };
const EXAMPLE_TOKENS = { access_token: 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjNmQ…', token_type: 'bearer', expires_in: 1800, refresh_token: 'Qm9ndXMtZXhhbXBsZS1yZWZyZXNoLXRva2Vu…' };
const EXAMPLE_CLIENT = {
  client_id: 'b3JpZ2luYWwtY2xpZW50LWlk',
  client_name: 'Postman client',
  logo_uri: null,
  client_uri: null,
  redirect_uris: ['https://app.example.com/callback'],
  post_logout_redirect_uris: [],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'openid profile email offline_access',
  application_type: 'web',
  skip_consent: false,
  resources: [],
  require_pushed_authorization_requests: false,
  dpop_bound_access_tokens: false,
  jwks: null,
  jwks_uri: null,
  client_id_issued_at: 1796029200,
};
const EXAMPLE_CLIENT_ISSUED = { ...EXAMPLE_CLIENT, client_secret: 'Rm9yLWV4YW1wbGUtb25seS1ub3QtYS1yZWFsLXNlY3JldA', client_secret_expires_at: 0 };
const EXAMPLE_SPENT_REFRESH_TOKEN = { statusCode: 401, error: 'invalid_grant', error_description: 'The refresh token is invalid, expired or revoked.', message: 'The refresh token is invalid, expired or revoked.' };
const EXAMPLE_REFUSED_ACCESS_TOKEN = { statusCode: 401, error: 'Unauthorized', message: 'The access token is invalid or expired.' };
const EXAMPLE_MACHINE_CLIENT = { ...EXAMPLE_CLIENT, client_id: 'bWFjaGluZS1jbGllbnQtaWQ', client_name: 'Postman machine client', redirect_uris: [], grant_types: ['client_credentials'], response_types: [], scope: 'reports:read' };
const EXAMPLE_DISCOVERY = {
  issuer: 'http://127.0.0.1:3000',
  authorization_endpoint: 'http://127.0.0.1:3000/authorize',
  token_endpoint: 'http://127.0.0.1:3000/auth/token',
  jwks_uri: 'http://127.0.0.1:3000/.well-known/jwks.json',
  revocation_endpoint: 'http://127.0.0.1:3000/auth/revoke',
  device_authorization_endpoint: 'http://127.0.0.1:3000/auth/device',
  introspection_endpoint: 'http://127.0.0.1:3000/auth/introspect',
  userinfo_endpoint: 'http://127.0.0.1:3000/auth/userinfo',
  end_session_endpoint: 'http://127.0.0.1:3000/logout',
  pushed_authorization_request_endpoint: 'http://127.0.0.1:3000/auth/par',
  require_pushed_authorization_requests: false,
  dpop_bound_access_tokens: false,
  scopes_supported: ['openid', 'profile', 'email', 'offline_access', 'gatehouse'],
  response_types_supported: ['code'],
  response_modes_supported: ['query'],
  grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'urn:gatehouse:params:oauth:grant-type:mfa-otp', 'urn:ietf:params:oauth:grant-type:device_code'],
  code_challenge_methods_supported: ['S256'],
  authorization_response_iss_parameter_supported: true,
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
  token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
  revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
  revocation_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
  introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'bearer'],
  introspection_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
  service_documentation: 'http://127.0.0.1:3000/docs',
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: ['RS256'],
  backchannel_logout_supported: true,
  backchannel_logout_session_supported: true,
};

/** The password grant with the collection's account, keeping the tokens. */
function logIn(name, description) {
  return item(name, {
    description,
    example: [200, EXAMPLE_TOKENS],
    method: 'POST',
    path: '/auth/token',
    form: { username: '{{username}}', password: '{{password}}' },
    test: [...status(200), ...storeTokens],
  });
}

/** GET / with the collection's access token, which something before has ended: 401. */
function refusedAccessToken(name, description, options = {}) {
  return item(name, { description, example: [401, EXAMPLE_REFUSED_ACCESS_TOKEN], ...options, method: 'GET', path: '/', auth: bearer, test: status(401) });
}

/** A folder of requests, run in order. */
function folder(name, description, items) {
  return { name, description, item: items };
}

const status = (code) => [`pm.test('status ${code}', () => pm.response.to.have.status(${code}));`];
const oauthError = (code, error) => [
  ...status(code),
  `pm.test('OAuth2 error ${error}', () => pm.expect(pm.response.json().error).to.eql('${error}'));`,
];
/** A 403 insufficient_scope (RFC 6750 §3.1), in the body and the challenge. */
const insufficientScope = [
  ...status(403),
  `pm.test('insufficient_scope, in the body and the challenge', () => {`,
  `  pm.expect(pm.response.json().error).to.eql('insufficient_scope');`,
  `  pm.expect(pm.response.headers.get('WWW-Authenticate')).to.include('error="insufficient_scope"');`,
  `});`,
];
const storeTokens = [
  `const body = pm.response.json();`,
  `pm.test('a bearer token and a refresh token', () => {`,
  `  pm.expect(body.token_type).to.eql('bearer');`,
  `  pm.expect(body.access_token).to.be.a('string');`,
  `  pm.expect(body.refresh_token).to.be.a('string');`,
  `});`,
  `pm.test('not cached', () => pm.expect(pm.response.headers.get('Cache-Control')).to.eql('no-store'));`,
  `pm.collectionVariables.set('access_token', body.access_token);`,
  `pm.collectionVariables.set('refresh_token', body.refresh_token);`,
];

/**
 * A prerequest script that sets `totp_code` to the TOTP code (RFC 6238: HMAC-SHA-1, 30 s, 6 digits) of the
 * collection's `totp_secret`, `stepsAhead` steps from now, with the sandbox's CryptoJS, as an authenticator app would.
 */
const computeTotpCode = (stepsAhead) => [
  `const cryptoJs = require('crypto-js');`,
  `const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';`,
  `const bits = pm.collectionVariables.get('totp_secret').replace(/=+$/, '').toUpperCase().split('').map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0')).join('');`,
  `const key = (bits.match(/.{8}/g) || []).map((byte) => parseInt(byte, 2).toString(16).padStart(2, '0')).join('');`,
  `const counter = Math.floor(Date.now() / 1000 / 30 + ${stepsAhead}).toString(16).padStart(16, '0');`,
  `const hmac = cryptoJs.HmacSHA1(cryptoJs.enc.Hex.parse(counter), cryptoJs.enc.Hex.parse(key)).toString();`,
  `const offset = parseInt(hmac.slice(-1), 16);`,
  `const code = (parseInt(hmac.substr(offset * 2, 8), 16) & 0x7fffffff) % 1000000;`,
  `pm.collectionVariables.set('totp_code', String(code).padStart(6, '0'));`,
];

export function buildCollection() {
  return {
    info: {
      _postman_id: '5d0f6c2e-6a43-4f55-9a3c-3c1f2e7a9b10',
      name: 'Gatehouse',
      description:
        'Every route of Gatehouse, in four folders in the order a client meets them: Accounts (register, log in, the account, its password, its e-mail address and password reset (the parts that need no mailbox), ' +
        'sessions and two-factor, with codes computed in the scripts), Tokens (refresh, reuse detection, logout, the key set and discovery, ' +
        'introspection, access-token revocation), Greetings (Bearer, Basic, none, admin only) and Admin (accounts, sessions, OAuth clients and what they do: ' +
        'the applications a user allowed, a machine client\'s client_credentials token, introspection and revocation with client authentication; signing keys, the audit trail). ' +
        'The authorization code flow runs in a browser (the hosted login page), not here: see the README, "Sign users in to your application". ' +
        'Needs `baseUrl`, `adminUsername` and `adminPassword` from the environment. Set `username` and `password` there too to use your own account ' +
        '(the requests that would change or delete it are then skipped); without them each run registers a random user. ' +
        'Each request has a description and an example answer. Generated by postman/build-collection.mjs.',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    variable: ['username', 'password', 'userId', 'access_token', 'refresh_token', 'spent_refresh_token', 'kid', 'other_refresh_token', 'other_session_id', 'totp_secret', 'totp_code', 'recovery_code', 'mfa_token', 'generated_account', 'forgot_answer', 'client_id', 'client_secret', 'machine_client_id', 'machine_client_secret', 'client_access_token', 'registered_client_id', 'registration_access_token', 'device_client_id', 'device_code', 'passkey_challenge_id', 'passkey_id'].map((key) => ({ key, value: '' })),
    item: [
      folder("Accounts", "Register, log in, your account and its password, your sessions, two-factor.", [
        item("Health", {
          description: "Is the service up, and does its database (and Redis, when configured) answer? `503` when not.",
          example: [200, {"status": "ok", "info": {"database": {"status": "up"}}, "error": {}, "details": {"database": {"status": "up"}}}],
          method: 'GET',
          path: '/health',
          test: [...status(200), `pm.test('database up', () => pm.expect(pm.response.json().details.database.status).to.eql('up'));`],
        }),
        item("Readiness", {
          description: "Does this instance take traffic (`GET /health/ready`)? What a load balancer or a Kubernetes readinessProbe follows: `503` from the moment the instance is told to stop (SIGTERM; it still serves for `SHUTDOWN_DRAIN`), or while its database does not answer. Redis is not part of it.",
          example: [200, {"status": "ok", "info": {"lifecycle": {"status": "up", "state": "serving"}, "database": {"status": "up"}}, "error": {}, "details": {"lifecycle": {"status": "up", "state": "serving"}, "database": {"status": "up"}}}],
          method: 'GET',
          path: '/health/ready',
          test: [...status(200), `pm.test('serving', () => pm.expect(pm.response.json().details.lifecycle.state).to.eql('serving'));`],
        }),
        item("Register", {
          description: "Creates an account with role `user` (`POST /auth`). Uses `username` and `password` from your environment if you set them (your own account: then a `409` here is fine); otherwise a new random user, so the collection can run again on the same database. The password must pass the password policy (at least `PASSWORD_MIN_LENGTH` characters, not a common or breached password, not containing the username).",
          example: [201, EXAMPLE_USER],
          method: 'POST',
          path: '/auth',
          json: { username: '{{username}}', password: '{{password}}' },
          prerequest: [
            `// Your account when the environment names one (username, password); otherwise a new random one each run,`,
            `// so the collection can run again on the same database, and only that one is changed or deleted later on.`,
            `const given = { username: pm.variables.get('username'), password: pm.variables.get('password') };`,
            `const own = !given.username;`,
            `pm.collectionVariables.set('generated_account', String(own));`,
            `pm.collectionVariables.set('username', own ? 'pm-' + Date.now().toString(36) + Math.random().toString(36).slice(2, 6) : given.username);`,
            `pm.collectionVariables.set('password', own ? 'postman-password-1' : given.password);`,
          ],
          test: [
            `const generated = pm.collectionVariables.get('generated_account') === 'true';`,
            `if (generated || pm.response.code !== 409) {`,
            ...status(201).map((line) => `  ${line}`),
            `  const body = pm.response.json();`,
            `  pm.test('the account, role user', () => {`,
            `    pm.expect(body.username).to.eql(pm.collectionVariables.get('username'));`,
            `    pm.expect(body.role).to.eql('user');`,
            `    pm.expect(body).to.not.have.property('passwordHash');`,
            `  });`,
            `  pm.collectionVariables.set('userId', body.id);`,
            `}`,
          ],
        }),
        item("Register the same name again", {
          description: "Usernames are unique without regard to case: `409`.",
          example: [409, {"statusCode": 409, "error": "Conflict", "message": "Username is already taken."}],
          method: 'POST',
          path: '/auth',
          json: { username: '{{username}}', password: '{{password}}' },
          test: [...status(409), `pm.test('taken', () => pm.expect(pm.response.json().message).to.eql('Username is already taken.'));`],
        }),
        item("Log in (password grant)", {
          description: "The OAuth2 password grant (`POST /auth/token`, form-encoded): an access token (JWT, `expires_in` seconds) and a refresh token. Stored in the collection's `access_token` and `refresh_token`.",
          example: [200, EXAMPLE_TOKENS],
          method: 'POST',
          path: '/auth/token',
          form: { grant_type: 'password', username: '{{username}}', password: '{{password}}' },
          test: [...status(200), ...storeTokens],
        }),
        item("Me (Bearer)", {
          description: "The signed-in account (`GET /auth/me`) with the Bearer token.",
          example: [200, EXAMPLE_USER],
          method: 'GET',
          path: '/auth/me',
          auth: bearer,
          test: [
          ...status(200),
          `// Your own account registered before: its id comes from here.`,
          `if (!pm.collectionVariables.get('userId')) pm.collectionVariables.set('userId', pm.response.json().id);`,
          `pm.test('the same account', () => pm.expect(String(pm.response.json().id)).to.eql(String(pm.collectionVariables.get('userId'))));`,
        ],
        }),
        item("Change the password", {
          description: "`PUT /auth/password` with the current and the new password: `204`, and every session of the account ends (refresh and access tokens, and cached Basic credentials, on every instance). Runs only on the collection's own random account.",
          example: [204, null],
          ownAccountOnly: true,
          method: 'PUT',
          path: '/auth/password',
          auth: bearer,
          json: { currentPassword: '{{password}}', newPassword: 'postman-password-2' },
          test: [...status(204), `pm.collectionVariables.set('password', 'postman-password-2');`],
        }),
        logIn("Log in with the new password", "The new password logs in; the old one no longer does."),
        item("Set the e-mail address (with the password)", {
          description: "`PUT /auth/email` with the current password: the address is stored unverified, and a verification link and code are mailed to it (with no `SMTP_URL`, written to `data/outbox/`). Runs only on the collection's own random account.",
          example: [204, null],
          ownAccountOnly: true,
          method: 'PUT',
          path: '/auth/email',
          auth: bearer,
          json: { email: '{{username}}@example.com', currentPassword: '{{password}}' },
          test: status(204),
        }),
        item("Mail another verification", {
          description: "`POST /auth/email/resend`: a new verification mail (limited per account and per address). Runs only on the collection's own random account.",
          example: [202, { message: 'A new verification mail is on its way.' }],
          ownAccountOnly: true,
          method: 'POST',
          path: '/auth/email/resend',
          auth: bearer,
          test: [...status(202), `pm.test('on its way', () => pm.expect(pm.response.json().message).to.eql('A new verification mail is on its way.'));`],
        }),
        item("Verify the address with a wrong code", {
          description: "`POST /auth/email/verify` takes the mailed `token` (the link) or the address and its 6-digit `code`; a wrong one is `400` (and counted, like a wrong password).",
          example: [400, { statusCode: 400, error: 'invalid_grant', error_description: 'The verification token or code is wrong, expired or already used.', message: 'The verification token or code is wrong, expired or already used.' }],
          method: 'POST',
          path: '/auth/email/verify',
          json: { email: '{{username}}@example.com', code: 'abcdef' },
          test: [...status(400), `pm.test('refused', () => pm.expect(pm.response.json().message).to.eql('The verification token or code is wrong, expired or already used.'));`],
        }),
        item("Ask for a password reset (a link is mailed only to a verified address)", {
          description: "`POST /auth/password/forgot` with a username or an e-mail address: always `202` with the same body, in the same time, whether or not such an account exists (no enumeration). Only a verified address gets the link. Runs only on the collection's own random account.",
          example: [202, { message: RESET_REQUESTED }],
          ownAccountOnly: true,
          method: 'POST',
          path: '/auth/password/forgot',
          json: { username: '{{username}}' },
          test: [...status(202), `pm.collectionVariables.set('forgot_answer', pm.response.text());`],
        }),
        item("Ask for a password reset for nobody: the same answer", {
          description: "For an address no account has, the very same answer.",
          example: [202, { message: RESET_REQUESTED }],
          method: 'POST',
          path: '/auth/password/forgot',
          json: { email: 'nobody-{{username}}@example.com' },
          test: [
            ...status(202),
            `pm.test('the answer of every reset request', () => pm.expect(pm.response.json().message).to.eql('${RESET_REQUESTED}'));`,
            `if (pm.collectionVariables.get('forgot_answer')) pm.test('byte for byte the answer for an account', () => pm.expect(pm.response.text()).to.eql(pm.collectionVariables.get('forgot_answer')));`,
          ],
        }),
        item("Reset the password with a bad token", {
          description: "`POST /auth/password/reset` takes the mailed token and a new password (which must pass the password policy): every session ends and a notice is mailed. A bad token is `400`.",
          example: [400, { statusCode: 400, error: 'Bad Request', message: 'The reset token is invalid, expired or already used.' }],
          method: 'POST',
          path: '/auth/password/reset',
          json: { token: 'not-a-token-that-was-ever-mailed-to-anyone', newPassword: 'postman-password-3' },
          test: [...status(400), `pm.test('refused', () => pm.expect(pm.response.json().message).to.eql('The reset token is invalid, expired or already used.'));`],
        }),
        item("Log in on a second device", {
          description: "A second login: a second session (its refresh token is kept in `other_refresh_token`).",
          example: [200, EXAMPLE_TOKENS],
          method: 'POST',
          path: '/auth/token',
          form: { username: '{{username}}', password: '{{password}}' },
          test: [...status(200), `pm.collectionVariables.set('other_refresh_token', pm.response.json().refresh_token);`],
        }),
        item("Your sessions (the current one marked)", {
          description: "`GET /auth/sessions`: where you are logged in, newest first, with the address and user agent of the login and of the last refresh; `current` marks the session of this request's token.",
          example: [200, [{"id": "0f8e2c1a-4b7d-4c3e-9a51-2d6f0e9b7c44", "createdAt": "2026-11-29T09:00:05.000Z", "lastUsedAt": "2026-11-29T09:00:05.000Z", "expiresAt": "2026-12-29T09:00:05.000Z", "createdAddress": "127.0.0.1", "createdUserAgent": "PostmanRuntime/7.39.0", "lastAddress": "127.0.0.1", "lastUserAgent": "PostmanRuntime/7.39.0", "current": true}, {"id": "41a7d0b2-9c1e-4f55-8a0d-6b3e2f1c9d88", "createdAt": "2026-11-29T09:00:05.000Z", "lastUsedAt": "2026-11-29T09:00:05.000Z", "expiresAt": "2026-12-29T09:00:05.000Z", "createdAddress": "127.0.0.1", "createdUserAgent": "PostmanRuntime/7.39.0", "lastAddress": "127.0.0.1", "lastUserAgent": "PostmanRuntime/7.39.0", "current": false}]],
          method: 'GET',
          path: '/auth/sessions',
          auth: bearer,
          test: [
            ...status(200),
            `const sessions = pm.response.json();`,
            `pm.test('this one and the second device, newest first', () => {`,
            `  pm.expect(sessions.length).to.be.at.least(2);`,
            `  pm.expect(sessions.filter((session) => session.current)).to.have.lengthOf(1);`,
            `  pm.expect(Date.parse(sessions[0].createdAt)).to.be.at.least(Date.parse(sessions[1].createdAt));`,
            `});`,
            `pm.collectionVariables.set('other_session_id', sessions.find((session) => !session.current).id);`,
          ],
        }),
        item("End the other session", {
          description: "`DELETE /auth/sessions/{id}`: ends one session (a lost phone). Another user's session id is `404`, like an unknown one. Runs only on the collection's own random account.",
          example: [204, null],
          ownAccountOnly: true,
          method: 'DELETE',
          path: '/auth/sessions/{{other_session_id}}',
          auth: bearer,
          test: status(204),
        }),
        item("The ended session's refresh token is refused", {
          description: "The ended session's refresh token no longer refreshes (and its access tokens are refused too).",
          example: [401, EXAMPLE_SPENT_REFRESH_TOKEN],
          ownAccountOnly: true,
          method: 'POST',
          path: '/auth/token',
          form: { grant_type: 'refresh_token', refresh_token: '{{other_refresh_token}}' },
          test: oauthError(401, 'invalid_grant'),
        }),
        item("End all your other sessions", {
          description: "`DELETE /auth/sessions`: every session but this one ends (`?all=true`: this one too). Runs only on the collection's own random account.",
          example: [204, null],
          ownAccountOnly: true,
          method: 'DELETE',
          path: '/auth/sessions',
          auth: bearer,
          query: [{ key: 'all', value: 'false' }],
          test: status(204),
        }),
        item("Your passkeys", {
          description: "`GET /auth/passkeys`: the passkeys of the account, oldest first (none yet: adding one takes a browser's authenticator, which Postman has not).",
          example: [200, [EXAMPLE_PASSKEY]],
          method: 'GET',
          path: '/auth/passkeys',
          auth: bearer,
          test: [
            ...status(200),
            `pm.test('a list', () => pm.expect(pm.response.json()).to.be.an('array'));`,
            `// An id no passkey has: the requests below show the answers for another user's (or an unknown) passkey.`,
            `pm.collectionVariables.set('passkey_id', '00000000-0000-4000-8000-000000000000');`,
          ],
        }),
        item("Start adding a passkey: creation options", {
          description: "`POST /auth/passkeys/registration/options`: the options for `navigator.credentials.create()` (resident key required, user verification preferred, your passkeys excluded). Within 5 minutes of signing in, or with the current password in the body, as here. The challenge is good for 5 minutes, once.",
          example: [200, EXAMPLE_CREATION_OPTIONS],
          method: 'POST',
          path: '/auth/passkeys/registration/options',
          auth: bearer,
          json: { password: '{{password}}' },
          test: [
            ...status(200),
            `const options = pm.response.json();`,
            `pm.test('a discoverable credential for this account', () => {`,
            `  pm.expect(options.authenticatorSelection.residentKey).to.eql('required');`,
            `  pm.expect(options.user.name.toLowerCase()).to.eql(pm.collectionVariables.get('username').toLowerCase());`,
            `  pm.expect(options.challenge).to.be.a('string');`,
            `});`,
          ],
        }),
        item("Add a passkey: an answer no authenticator made is refused", {
          description: "`POST /auth/passkeys/registration` with `{name, response}`: `response` is the JSON of the credential `navigator.credentials.create()` made (`credential.toJSON()`), answered `201 {id, name, createdAt, …}`. Postman has no authenticator: this one is refused.",
          example: [400, { statusCode: 400, error: 'Bad Request', message: 'The passkey could not be verified: its challenge is unknown, expired or spent (ask for new options), or the answer does not match them.' }],
          method: 'POST',
          path: '/auth/passkeys/registration',
          auth: bearer,
          json: { name: 'Postman', response: { id: 'bm90LWEtY3JlZGVudGlhbA', rawId: 'bm90LWEtY3JlZGVudGlhbA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' }, clientExtensionResults: {} } },
          test: status(400),
        }),
        item("Rename a passkey that is not yours", {
          description: "`PATCH /auth/passkeys/{id}` with `{name}` renames one of your passkeys; another user's, or an unknown id, is `404`.",
          example: [404, { statusCode: 404, error: 'Not Found', message: 'No such passkey.' }],
          method: 'PATCH',
          path: '/auth/passkeys/{{passkey_id}}',
          auth: bearer,
          json: { name: 'Work laptop' },
          test: status(404),
        }),
        item("Remove a passkey that is not yours", {
          description: "`DELETE /auth/passkeys/{id}`: `204`, and it signs in no more. Another user's, or an unknown id, is `404`; your last passkey goes only while the account has a password (`409` otherwise).",
          example: [404, { statusCode: 404, error: 'Not Found', message: 'No such passkey.' }],
          method: 'DELETE',
          path: '/auth/passkeys/{{passkey_id}}',
          auth: bearer,
          test: status(404),
        }),
        item("Start signing in with a passkey: request options", {
          description: "`POST /auth/passkeys/authentication/options` (no authentication): options for `navigator.credentials.get()` for a discoverable credential, and the `challengeId` (single use, 5 minutes) the passkey grant sends back with the answer.",
          example: [200, EXAMPLE_REQUEST_OPTIONS],
          method: 'POST',
          path: '/auth/passkeys/authentication/options',
          test: [...status(200), `pm.test('a challenge and its id', () => { pm.expect(pm.response.json().challengeId).to.be.a('string'); pm.expect(pm.response.json().challenge).to.be.a('string'); });`, `pm.collectionVariables.set('passkey_challenge_id', pm.response.json().challengeId);`],
        }),
        item("Sign in with a passkey: an answer no authenticator made is refused", {
          description: "`grant_type=urn:gatehouse:params:oauth:grant-type:passkey` with `challengeId` and `response` (the JSON text of the credential `navigator.credentials.get()` returned): tokens with `amr` `hwk` or `swk` (and `user` when the authenticator verified the person), no TOTP step. Postman has no authenticator: `invalid_grant`.",
          example: [401, { statusCode: 401, error: 'invalid_grant', error_description: 'The passkey sign-in failed: the challenge is unknown, expired or spent, or the passkey is unknown, or its answer does not verify.', message: 'The passkey sign-in failed: the challenge is unknown, expired or spent, or the passkey is unknown, or its answer does not verify.' }],
          method: 'POST',
          path: '/auth/token',
          form: { grant_type: 'urn:gatehouse:params:oauth:grant-type:passkey', challengeId: '{{passkey_challenge_id}}', response: '{"id":"bm90LWEtY3JlZGVudGlhbA","rawId":"bm90LWEtY3JlZGVudGlhbA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"},"clientExtensionResults":{}}' },
          test: oauthError(401, 'invalid_grant'),
        }),
        item("Turn on two-factor: enrol (TOTP secret and QR code)", {
          description: "`POST /auth/mfa/totp` with the current password: a TOTP secret as text, as an `otpauth://` URI and as a QR code (a PNG data URL: paste it into a browser's address bar and scan it). Nothing changes until a code confirms it. Runs only on the collection's own random account.",
          example: [201, {"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "otpauthUri": "otpauth://totp/Gatehouse%20(127.0.0.1%3A3000):pm-lx3k9a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Gatehouse%20(127.0.0.1%3A3000)", "qrCode": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA…"}],
          ownAccountOnly: true,
          method: 'POST',
          path: '/auth/mfa/totp',
          auth: bearer,
          json: { password: '{{password}}' },
          test: [
            ...status(201),
            `const body = pm.response.json();`,
            `pm.test('a secret, its otpauth URI and a QR code', () => {`,
            `  pm.expect(body.otpauthUri).to.match(/^otpauth:\\/\\/totp\\//);`,
            `  pm.expect(body.qrCode).to.match(/^data:image\\/png;base64,/);`,
            `});`,
            `pm.collectionVariables.set('totp_secret', body.secret);`,
          ],
        }),
        item("Turn on two-factor: confirm with a code", {
          description: "`POST /auth/mfa/totp/confirm` with a code (computed here in the pre-request script from the secret, as an authenticator app would): two-factor is on, and ten one-time recovery codes come back, this once.",
          example: [200, {"recoveryCodes": ["k7mq-2x9p-wd4r", "a3hn-8vtc-6yse", "…"]}],
          ownAccountOnly: true,
          method: 'POST',
          path: '/auth/mfa/totp/confirm',
          auth: bearer,
          json: { code: '{{totp_code}}' },
          prerequest: computeTotpCode(0),
          test: [
            ...status(200),
            `pm.test('ten recovery codes', () => pm.expect(pm.response.json().recoveryCodes).to.have.lengthOf(10));`,
            `pm.collectionVariables.set('recovery_code', pm.response.json().recoveryCodes[0]);`,
          ],
        }),
        item("Log in with two-factor: the password answers mfa_required", {
          description: "With two-factor on, a right password gets no tokens: `403 mfa_required` with an `mfa_token` (single use, 5 minutes).",
          example: [403, {"statusCode": 403, "error": "mfa_required", "error_description": "Two-factor authentication is on: send the mfa_token with a code (grant_type=urn:gatehouse:params:oauth:grant-type:mfa-otp).", "message": "Two-factor authentication is on: send the mfa_token with a code (grant_type=urn:gatehouse:params:oauth:grant-type:mfa-otp).", "mfa_token": "bWZhLXRva2VuLWV4YW1wbGU…", "mfa_token_expires_in": 300}],
          ownAccountOnly: true,
          method: 'POST',
          path: '/auth/token',
          form: { username: '{{username}}', password: '{{password}}' },
          test: [...oauthError(403, 'mfa_required'), `pm.collectionVariables.set('mfa_token', pm.response.json().mfa_token);`],
        }),
        item("Log in with two-factor: the mfa_token and a code", {
          description: "The second step: `grant_type=urn:gatehouse:params:oauth:grant-type:mfa-otp` with the `mfa_token` and `otp` (the code of the moment) or `recovery_code`. A code is accepted once.",
          example: [200, EXAMPLE_TOKENS],
          ownAccountOnly: true,
          method: 'POST',
          path: '/auth/token',
          form: { grant_type: 'urn:gatehouse:params:oauth:grant-type:mfa-otp', mfa_token: '{{mfa_token}}', otp: '{{totp_code}}' },
          // The confirmation spent this step's code; the next step's is within the one step of drift allowed.
          prerequest: computeTotpCode(1),
          test: [...status(200), ...storeTokens],
        }),
        item("New recovery codes (with a recovery code)", {
          description: "`POST /auth/mfa/totp/recovery-codes` with a code or a recovery code: ten new recovery codes, shown this once; the old ones stop working, and the account is mailed a security notice.",
          example: [200, {"recoveryCodes": ["p4xe-7kqm-2nwd", "h9ct-3vya-8rfs", "…"]}],
          ownAccountOnly: true,
          method: 'POST',
          path: '/auth/mfa/totp/recovery-codes',
          auth: bearer,
          json: { code: '{{recovery_code}}' },
          test: [
            ...status(200),
            `pm.test('ten new recovery codes', () => pm.expect(pm.response.json().recoveryCodes).to.have.lengthOf(10));`,
            `pm.collectionVariables.set('recovery_code', pm.response.json().recoveryCodes[0]);`,
          ],
        }),
        item("Turn off two-factor (with a recovery code)", {
          description: "`DELETE /auth/mfa/totp` with a code or a recovery code (here one of the new ones): two-factor is off.",
          example: [204, null],
          ownAccountOnly: true,
          method: 'DELETE',
          path: '/auth/mfa/totp',
          auth: bearer,
          json: { code: '{{recovery_code}}' },
          test: status(204),
        }),
      ]),
      folder("Tokens", "The token endpoint beyond the first login: refresh and reuse detection, logout, the key set and discovery, introspection and access-token revocation.", [
        item("Log in with a wrong password", {
          description: "A wrong password: `401 invalid_grant`, the same answer (and time) as an unknown username. Failures are throttled per username and address, per address and per account (`429` with `Retry-After`).",
          example: [401, {"statusCode": 401, "error": "invalid_grant", "error_description": "Invalid username or password.", "message": "Invalid username or password."}],
          method: 'POST',
          path: '/auth/token',
          form: { grant_type: 'password', username: '{{username}}', password: 'not-the-password' },
          test: oauthError(401, 'invalid_grant'),
        }),
        item("Refresh (refresh_token grant)", {
          description: "`grant_type=refresh_token`: a new access token and a new refresh token; the one presented is spent (rotation).",
          example: [200, EXAMPLE_TOKENS],
          method: 'POST',
          path: '/auth/token',
          form: { grant_type: 'refresh_token', refresh_token: '{{refresh_token}}' },
          prerequest: [`pm.collectionVariables.set('spent_refresh_token', pm.collectionVariables.get('refresh_token'));`],
          test: [
            ...status(200),
            ...storeTokens,
            `pm.test('a new refresh token', () => pm.expect(body.refresh_token).to.not.eql(pm.collectionVariables.get('spent_refresh_token')));`,
          ],
        }),
        item("Replay the spent refresh token (reuse: the login is revoked)", {
          description: "Presenting a spent refresh token again is treated as theft: `401`, and its whole session ends.",
          example: [401, EXAMPLE_SPENT_REFRESH_TOKEN],
          method: 'POST',
          path: '/auth/token',
          form: { grant_type: 'refresh_token', refresh_token: '{{spent_refresh_token}}' },
          test: oauthError(401, 'invalid_grant'),
        }),
        refusedAccessToken("The revoked login's access token is refused too", "The session ended by the reuse takes its access tokens with it."),
        logIn("Log in again after the reuse", "A new login, a new session."),
        item("Log out (revoke the refresh token)", {
          description: "`POST /auth/revoke` (RFC 7009) with the refresh token: the session ends. `200` also for an unknown token.",
          example: [200, null],
          method: 'POST',
          path: '/auth/revoke',
          form: { token: '{{refresh_token}}', token_type_hint: 'refresh_token' },
          test: status(200),
        }),
        item("Refresh with the revoked token", {
          description: "The logged-out refresh token no longer works.",
          example: [401, EXAMPLE_SPENT_REFRESH_TOKEN],
          method: 'POST',
          path: '/auth/token',
          form: { grant_type: 'refresh_token', refresh_token: '{{refresh_token}}' },
          test: oauthError(401, 'invalid_grant'),
        }),
        refusedAccessToken("The logged-out session's access token is refused (RFC 7009 §2.1)", "Logging out ends the session's access tokens too, on every instance."),
        logIn("Log in after the logout", "A new login, a new session."),
        item("Key set (JWKS)", {
          description: "`GET /.well-known/jwks.json`: the public keys that verify the access tokens (RFC 7517), for resource servers. Cacheable for 5 minutes.",
          example: [200, {"keys": [{"kty": "RSA", "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4…", "e": "AQAB", "kid": "rs256-Qx1fz0c9u2JmV7bA", "alg": "RS256", "use": "sig"}]}],
          method: 'GET',
          path: '/.well-known/jwks.json',
          test: [
            ...status(200),
            `pm.test('public keys with kid, alg and use', () => pm.response.json().keys.forEach((key) => { pm.expect(key.kid).to.be.a('string'); pm.expect(key.use).to.eql('sig'); pm.expect(key).to.not.have.property('d'); }));`,
          ],
        }),
        item("Discovery (RFC 8414)", {
          description: "`GET /.well-known/oauth-authorization-server`: the issuer and its endpoints, and only what exists: the grants served (`password` only while `PASSWORD_GRANT`), PKCE with S256, the client authentication methods.",
          example: [200, EXAMPLE_DISCOVERY],
          method: 'GET',
          path: '/.well-known/oauth-authorization-server',
          test: [
            ...status(200),
            `pm.test('names the endpoints', () => pm.expect(pm.response.json().introspection_endpoint).to.match(/\\/auth\\/introspect$/));`,
            `pm.test('the code flow with PKCE S256, and client_credentials', () => {`,
            `  const body = pm.response.json();`,
            `  pm.expect(body.authorization_endpoint).to.match(/\\/authorize$/);`,
            `  pm.expect(body.code_challenge_methods_supported).to.eql(['S256']);`,
            `  pm.expect(body.grant_types_supported).to.include.members(['authorization_code', 'refresh_token', 'client_credentials']);`,
            `});`,
          ],
        }),
        item("Discovery (OpenID path)", {
          description: "The same metadata at the path OpenID Connect clients (openid-client) and most JWT libraries fetch.",
          example: [200, EXAMPLE_DISCOVERY],
          method: 'GET',
          path: '/.well-known/openid-configuration',
          test: [...status(200), `pm.test('the same issuer and key set', () => pm.expect(pm.response.json().jwks_uri).to.match(/\\/\\.well-known\\/jwks\\.json$/));`],
        }),
        item("Introspect the access token (admin)", {
          description: "`POST /auth/introspect` (RFC 7662): is this token active, whose is it, with the account's current role. For resource servers, which authenticate as confidential clients (see the Admin folder: \"Introspect as a client\"; accounts with the legacy role `service` still work), and admins.",
          example: [200, {"active": true, "token_type": "access_token", "sub": "7", "username": "pm-lx3k9a", "role": "user", "exp": 1795944600, "iat": 1795942800, "iss": "http://127.0.0.1:3000", "aud": "gatehouse", "jti": "5d2b8e9a-0c41-4f7e-b3a6-1e9d7c2f4a10"}],
          method: 'POST',
          path: '/auth/introspect',
          auth: adminBasic,
          form: { token: '{{access_token}}', token_type_hint: 'access_token' },
          test: [...status(200), `pm.test('active, for this user', () => { const body = pm.response.json(); pm.expect(body.active).to.eql(true); pm.expect(body.username).to.eql(pm.collectionVariables.get('username')); });`],
        }),
        item("Revoke the access token", {
          description: "`POST /auth/revoke` with an access token: refused by its `jti` on every instance until it expires.",
          example: [200, null],
          method: 'POST',
          path: '/auth/revoke',
          form: { token: '{{access_token}}', token_type_hint: 'access_token' },
          test: status(200),
        }),
        item("The revoked access token is inactive", {
          description: "Introspection says so at once.",
          example: [200, {"active": false}],
          method: 'POST',
          path: '/auth/introspect',
          auth: adminBasic,
          form: { token: '{{access_token}}' },
          test: [...status(200), `pm.test('inactive', () => pm.expect(pm.response.json()).to.eql({ active: false }));`],
        }),
        logIn("Log in again", "A fresh token for the routes that follow."),
      ]),
      folder("Greetings", "The routes to try credentials on: Bearer, Basic, none, and the admin-only one.", [
        item("Open route", {
          description: "`GET /unprotected`: no credentials needed.",
          example: [200, {"message": "This endpoint is open to everyone!"}],
          method: 'GET',
          path: '/unprotected',
          test: [...status(200), `pm.test('message', () => pm.expect(pm.response.json().message).to.eql('This endpoint is open to everyone!'));`],
        }),
        item("Greeting (Bearer)", {
          description: "`GET /` with the Bearer token.",
          example: [200, {"message": "Hello, pm-lx3k9a with ID: 7!"}],
          method: 'GET',
          path: '/',
          auth: bearer,
          test: [
            ...status(200),
            `pm.test('greets the user by name and id', () => pm.expect(pm.response.json().message).to.eql('Hello, ' + pm.collectionVariables.get('username') + ' with ID: ' + pm.collectionVariables.get('userId') + '!'));`,
          ],
        }),
        item("Protected (Basic)", {
          description: "`GET /protected` with HTTP Basic (username and password on every request; verified credentials are cached, so bcrypt runs once a minute, not per request).",
          example: [200, {"message": "Welcome, pm-lx3k9a! You accessed a protected endpoint."}],
          method: 'GET',
          path: '/protected',
          auth: userBasic,
          test: [
            ...status(200),
            `pm.test('welcome', () => pm.expect(pm.response.json().message).to.eql('Welcome, ' + pm.collectionVariables.get('username') + '! You accessed a protected endpoint.'));`,
          ],
        }),
        item("Protected without credentials", {
          description: "No credentials: `401`, and `WWW-Authenticate` offers Bearer and Basic.",
          example: [401, {"statusCode": 401, "error": "Unauthorized", "message": "Authentication required: send a Bearer token or Basic credentials."}],
          method: 'GET',
          path: '/protected',
          test: [...status(401), `pm.test('challenges', () => pm.expect(pm.response.headers.get('WWW-Authenticate')).to.include('Basic realm="gatehouse"'));`],
        }),
        item("Admin route as a user (Basic)", {
          description: "`GET /protected-admin` is for admins: `403` for a user.",
          example: [403, {"statusCode": 403, "error": "Forbidden", "message": "You do not have permission to access this resource."}],
          method: 'GET',
          path: '/protected-admin',
          auth: userBasic,
          test: [...status(403), `pm.test('no permission', () => pm.expect(pm.response.json().message).to.eql('You do not have permission to access this resource.'));`],
        }),
      ]),
      folder("Clients", "OAuth clients: registered by an admin (`/clients`) or by themselves (RFC 7591 `/register`, RFC 7592), pushed authorization requests (RFC 9126), client credentials and the client's token on Gatehouse's routes, the device flow (RFC 8628), the applications a person allowed.", [
        item("Register a client (admin)", {
          description: "`POST /clients`: an application that signs people in through Gatehouse (RFC 7591 metadata). A confidential client's `client_secret` is in this answer only: Gatehouse keeps its hash. Kept in the collection's `client_id` and `client_secret`.",
          example: [201, EXAMPLE_CLIENT_ISSUED],
          method: 'POST',
          path: '/clients',
          auth: adminBasic,
          json: { client_name: 'Postman client', redirect_uris: ['https://app.example.com/callback'], grant_types: ['authorization_code', 'refresh_token'] },
          test: [
            ...status(201),
            `const body = pm.response.json();`,
            `pm.test('a confidential client with its secret, shown once', () => {`,
            `  pm.expect(body.client_id).to.be.a('string');`,
            `  pm.expect(body.client_secret).to.be.a('string');`,
            `  pm.expect(body.client_secret_expires_at).to.eql(0);`,
            `  pm.expect(body.token_endpoint_auth_method).to.eql('client_secret_basic');`,
            `  pm.expect(body.response_types).to.eql(['code']);`,
            `});`,
            `pm.collectionVariables.set('client_id', body.client_id);`,
            `pm.collectionVariables.set('client_secret', body.client_secret);`,
          ],
        }),
        item("Push an authorization request (PAR)", {
          description: "`POST /auth/par` (RFC 9126): the client just registered pushes its authorization request with its credentials (Basic, as at the token endpoint); Gatehouse checks it as `/authorize` would and answers a `request_uri` for `GET /authorize?client_id=…&request_uri=…`, usable once within `expires_in` seconds.",
          example: [201, { request_uri: 'urn:ietf:params:oauth:request_uri:Hk3yJ0m9zQ2cX1pL8vF7aB4nR6tS5wE0uD9iO2gK3hM', expires_in: 60 }],
          method: 'POST',
          path: '/auth/par',
          auth: basic('{{client_id}}', '{{client_secret}}'),
          form: { response_type: 'code', redirect_uri: 'https://app.example.com/callback', scope: 'openid profile', state: 'postman-state', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' },
          test: [
            ...status(201),
            `pm.test('a request_uri for the authorization endpoint, for 60 seconds', () => {`,
            `  pm.expect(pm.response.json().request_uri).to.match(/^urn:ietf:params:oauth:request_uri:/);`,
            `  pm.expect(pm.response.json().expires_in).to.eql(60);`,
            `});`,
          ],
        }),
        item("Applications you allowed", {
          description: "`GET /auth/grants`: the applications you allowed on Gatehouse's consent page (when one signed you in with the authorization code flow), with the scopes, newest first. The client just registered is not among them: nobody signed in to it yet.",
          example: [200, [{ client_id: 'k3Jd8sQe0aLx2vPz7Yt1Rw', client_name: 'Example app', scope: 'openid profile', created_at: '2026-11-29T09:00:00.000Z', updated_at: '2026-11-29T09:00:00.000Z' }]],
          method: 'GET',
          path: '/auth/grants',
          auth: bearer,
          test: [
            ...status(200),
            `pm.test('a list, without the new client', () => {`,
            `  pm.expect(pm.response.json()).to.be.an('array');`,
            `  pm.expect(pm.response.json().map((grant) => grant.client_id)).to.not.include(pm.collectionVariables.get('client_id'));`,
            `});`,
          ],
        }),
        item("Withdraw an application you never allowed", {
          description: "`DELETE /auth/grants/{client_id}` withdraws what you allowed an application: `204`, its tokens for you end, and it must ask again. For one you never allowed, `404`.",
          example: [404, { statusCode: 404, error: 'Not Found', message: 'You allowed this application nothing.' }],
          method: 'DELETE',
          path: '/auth/grants/{{client_id}}',
          auth: bearer,
          test: [...status(404), `pm.test('nothing to withdraw', () => pm.expect(pm.response.json().message).to.eql('You allowed this application nothing.'));`],
        }),
        item("List clients (admin)", {
          description: "`GET /clients`: the registered clients, oldest first, paginated as `/users` (never a secret).",
          example: [200, { items: [EXAMPLE_CLIENT], total: 1, page: 1, pageSize: 100 }],
          method: 'GET',
          path: '/clients',
          auth: adminBasic,
          query: FIRST_PAGE,
          test: [
            ...status(200),
            `const body = pm.response.json();`,
            `pm.test('a page of clients, without secrets', () => {`,
            `  pm.expect(body.total).to.be.at.least(1);`,
            `  pm.expect(JSON.stringify(body)).to.not.include(pm.collectionVariables.get('client_secret'));`,
            `});`,
          ],
        }),
        item("Change a client (admin)", {
          description: "`PATCH /clients/{client_id}`: the fields given replace the stored ones; the result must pass the rules of a new registration (exact redirect URIs: https, or http on a loopback host).",
          example: [200, { ...EXAMPLE_CLIENT, redirect_uris: ['https://app.example.com/callback', 'http://127.0.0.1:8080/callback'] }],
          method: 'PATCH',
          path: '/clients/{{client_id}}',
          auth: adminBasic,
          json: { redirect_uris: ['https://app.example.com/callback', 'http://127.0.0.1:8080/callback'] },
          test: [
            ...status(200),
            `pm.test('the new redirect URIs, no secret', () => {`,
            `  pm.expect(pm.response.json().redirect_uris).to.eql(['https://app.example.com/callback', 'http://127.0.0.1:8080/callback']);`,
            `  pm.expect(pm.response.json()).to.not.have.property('client_secret');`,
            `});`,
          ],
        }),
        item("Rotate a client's secret (admin)", {
          description: "`POST /clients/{client_id}/secret`: a new secret, in this answer only; the old one keeps working until `previous_secret_expires_at` (`CLIENT_SECRET_GRACE`, 24 hours by default).",
          example: [201, { client_id: EXAMPLE_CLIENT.client_id, client_secret: 'Zm9yLWV4YW1wbGUtb25seS1uZXctc2VjcmV0LWhlcmU', client_secret_expires_at: 0, previous_secret_expires_at: 1796115600 }],
          method: 'POST',
          path: '/clients/{{client_id}}/secret',
          auth: adminBasic,
          test: [
            ...status(201),
            `const body = pm.response.json();`,
            `pm.test('a new secret; the old one for a while', () => {`,
            `  pm.expect(body.client_secret).to.be.a('string').and.not.eql(pm.collectionVariables.get('client_secret'));`,
            `  pm.expect(body.previous_secret_expires_at * 1000).to.be.above(Date.now());`,
            `});`,
            `pm.collectionVariables.set('client_secret', body.client_secret);`,
          ],
        }),
        item("Delete the client (admin)", {
          description: "`DELETE /clients/{client_id}`: the client and every token it got stop working.",
          example: [204, null],
          method: 'DELETE',
          path: '/clients/{{client_id}}',
          auth: adminBasic,
          test: status(204),
        }),
        item("The deleted client is gone (admin)", {
          description: "`GET /clients/{client_id}`: a client's metadata; `404` once it is deleted.",
          example: [404, { statusCode: 404, error: 'Not Found', message: 'There is no client with client_id b3JpZ2luYWwtY2xpZW50LWlk.' }],
          method: 'GET',
          path: '/clients/{{client_id}}',
          auth: adminBasic,
          test: status(404),
        }),
        item("Register a machine client (admin)", {
          description: "`POST /clients` for a machine (a job, a resource server): a confidential client registered for `client_credentials`, with a scope of its own. Kept in `machine_client_id` and `machine_client_secret`.",
          example: [201, { ...EXAMPLE_MACHINE_CLIENT, client_secret: 'Rm9yLWV4YW1wbGUtb25seS1tYWNoaW5lLXNlY3JldA', client_secret_expires_at: 0 }],
          method: 'POST',
          path: '/clients',
          auth: adminBasic,
          json: { client_name: 'Postman machine client', grant_types: ['client_credentials'], scope: 'reports:read' },
          test: [
            ...status(201),
            `const body = pm.response.json();`,
            `pm.test('a confidential client for client_credentials', () => {`,
            `  pm.expect(body.grant_types).to.eql(['client_credentials']);`,
            `  pm.expect(body.client_secret).to.be.a('string');`,
            `});`,
            `pm.collectionVariables.set('machine_client_id', body.client_id);`,
            `pm.collectionVariables.set('machine_client_secret', body.client_secret);`,
          ],
        }),
        item("Client credentials (client_credentials grant)", {
          description: "`grant_type=client_credentials` with the client's id and secret in Basic (`client_secret_basic`, RFC 6749 §2.3.1): a token of the client's own (RFC 9068, `typ: at+jwt`, `sub` = its `client_id`), with its scope, and no refresh token. This replaces a `service` account's password for resource servers. Kept in `client_access_token`.",
          example: [200, { access_token: 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjNmQ…', token_type: 'bearer', expires_in: 1800, scope: 'reports:read' }],
          method: 'POST',
          path: '/auth/token',
          auth: machineBasic,
          form: { grant_type: 'client_credentials' },
          test: [
            ...status(200),
            `const body = pm.response.json();`,
            `pm.test('a bearer token with the client scope, no refresh token', () => {`,
            `  pm.expect(body.token_type).to.eql('bearer');`,
            `  pm.expect(body.scope).to.eql('reports:read');`,
            `  pm.expect(body).to.not.have.property('refresh_token');`,
            `});`,
            `pm.collectionVariables.set('client_access_token', body.access_token);`,
          ],
        }),
        item("Register a device client (admin)", {
          description: "`POST /clients` for a CLI or a TV: a public client (`none`) registered for the device authorization grant (RFC 8628), no redirect URI. Kept in `device_client_id`.",
          example: [201, { ...EXAMPLE_CLIENT, client_id: 'ZGV2aWNlLWNsaWVudC1pZA', client_name: 'Postman device client', redirect_uris: [], grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], token_endpoint_auth_method: 'none' }],
          method: 'POST',
          path: '/clients',
          auth: adminBasic,
          json: { client_name: 'Postman device client', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], token_endpoint_auth_method: 'none', redirect_uris: [] },
          test: [...status(201), `pm.collectionVariables.set('device_client_id', pm.response.json().client_id);`],
        }),
        item("Start a device login (RFC 8628)", {
          description: "`POST /auth/device` with the client's authentication (here `client_id` alone: a public client): the device shows `user_code` and `verification_uri` (the person enters the code at `/device`, signs in and allows), and polls the token endpoint with `device_code` every `interval` seconds. Kept in `device_code`.",
          example: [200, { device_code: 'GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS', user_code: 'WDJB-MJHT', verification_uri: 'http://127.0.0.1:3000/device', verification_uri_complete: 'http://127.0.0.1:3000/device?user_code=WDJB-MJHT', expires_in: 600, interval: 5 }],
          method: 'POST',
          path: '/auth/device',
          form: { client_id: '{{device_client_id}}', scope: 'openid profile' },
          test: [
            ...status(200),
            `const body = pm.response.json();`,
            `pm.test('a user code of 8 letters, shown XXXX-XXXX', () => pm.expect(body.user_code).to.match(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/));`,
            `pm.collectionVariables.set('device_code', body.device_code);`,
          ],
        }),
        item("Poll before the person answers (device_code grant)", {
          description: "`grant_type=urn:ietf:params:oauth:grant-type:device_code`: `authorization_pending` until the person answers on `/device`; then the tokens, once. Faster than `interval`: `slow_down` (the interval grows by 5 s); denied: `access_denied`; too late: `expired_token`.",
          example: [400, { statusCode: 400, error: 'authorization_pending', error_description: 'The person has not answered yet.', message: 'The person has not answered yet.' }],
          method: 'POST',
          path: '/auth/token',
          form: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: '{{device_code}}', client_id: '{{device_client_id}}' },
          test: oauthError(400, 'authorization_pending'),
        }),
        item("Greeting with the client's token", {
          description: "`GET /` takes any client's token: a `client_credentials` token names the client, not a person.",
          example: [200, { message: 'Hello, client bWFjaGluZS1jbGllbnQtaWQ!' }],
          method: 'GET',
          path: '/',
          auth: clientBearer,
          test: [...status(200), `pm.test('greets the client', () => pm.expect(pm.response.json().message).to.eql('Hello, client ' + pm.collectionVariables.get('machine_client_id') + '!'));`],
        }),
        item("An account route with the client's token: insufficient_scope", {
          description: "Routes that act for a person (`GET /auth/me`, sessions, password, admin routes…) refuse a client's token without the `gatehouse` scope, and every `client_credentials` token: `403` with `WWW-Authenticate: Bearer error=\"insufficient_scope\"` (RFC 6750 §3.1).",
          example: [403, { statusCode: 403, error: 'insufficient_scope', message: 'This route acts for a person: a client_credentials token cannot use it.' }],
          method: 'GET',
          path: '/auth/me',
          auth: clientBearer,
          test: insufficientScope,
        }),
        item("Userinfo with the client's token: insufficient_scope", {
          description: "`GET /auth/userinfo` (OpenID Connect UserInfo) answers the claims of a person's token issued to a client with `openid` (from the code flow: `sub`, with `profile` `preferred_username`, with `email` `email` and `email_verified`). A `client_credentials` token names no person: `403 insufficient_scope`.",
          example: [403, { statusCode: 403, error: 'insufficient_scope', message: 'The UserInfo endpoint needs an access token of a person issued with the "openid" scope.' }],
          method: 'GET',
          path: '/auth/userinfo',
          auth: clientBearer,
          test: insufficientScope,
        }),
        item("Userinfo by POST without a token: 401", {
          description: "`POST /auth/userinfo` (OIDC Core §5.3.1) takes the token in the `Authorization` header, like `GET`; without one: `401` with a `Bearer` challenge (RFC 6750 §3.1).",
          example: [401, { statusCode: 401, error: 'Unauthorized', message: 'Authentication required: send a Bearer token or Basic credentials.' }],
          method: 'POST',
          path: '/auth/userinfo',
          test: [...status(401), `pm.test('a Bearer challenge', () => pm.expect(pm.response.headers.get('WWW-Authenticate')).to.include('Bearer'));`],
        }),
        item("Introspect as a client (client authentication)", {
          description: "`POST /auth/introspect` as a resource server asks: with its client credentials (`client_secret_basic` or `client_secret_post`), no account needed.",
          example: [200, { active: true, token_type: 'access_token', sub: '7', username: 'pm-lx3k9a', role: 'user', exp: 1795944600, iat: 1795942800, iss: 'http://127.0.0.1:3000', aud: 'gatehouse', jti: '5d2b8e9a-0c41-4f7e-b3a6-1e9d7c2f4a10' }],
          method: 'POST',
          path: '/auth/introspect',
          auth: machineBasic,
          form: { token: '{{access_token}}' },
          test: [...status(200), `pm.test('active, for this user', () => { const body = pm.response.json(); pm.expect(body.active).to.eql(true); pm.expect(body.username).to.eql(pm.collectionVariables.get('username')); });`],
        }),
        item("Revoke the client's token (as the client)", {
          description: "`POST /auth/revoke` with client authentication revokes that client's own tokens (RFC 7009 §2.1); another client's, or a first-party token, is answered `200` and left alone.",
          example: [200, null],
          method: 'POST',
          path: '/auth/revoke',
          auth: machineBasic,
          form: { token: '{{client_access_token}}', token_type_hint: 'access_token' },
          test: status(200),
        }),
        item("The revoked client token is refused", {
          description: "The client's revoked token no longer works, on every instance.",
          example: [401, EXAMPLE_REFUSED_ACCESS_TOKEN],
          method: 'GET',
          path: '/',
          auth: clientBearer,
          test: status(401),
        }),
        item("A wrong client secret: invalid_client", {
          description: "Client authentication that fails is `401 invalid_client`, with a Basic challenge when Basic was sent (RFC 6749 §5.2); failures are counted per address (`THROTTLE_ADDRESS_FAILURES`) and audited.",
          example: [401, { statusCode: 401, error: 'invalid_client', error_description: 'Client authentication failed: unknown client or wrong secret.', message: 'Client authentication failed: unknown client or wrong secret.' }],
          method: 'POST',
          path: '/auth/token',
          auth: basic('{{machine_client_id}}', 'not-the-secret'),
          form: { grant_type: 'client_credentials' },
          test: [...oauthError(401, 'invalid_client'), `pm.test('a Basic challenge', () => pm.expect(pm.response.headers.get('WWW-Authenticate')).to.include('Basic realm="gatehouse"'));`],
        }),
        item("Delete the machine client (admin)", {
          description: "`DELETE /clients/{client_id}`: the client is gone, and every token it got stops working.",
          example: [204, null],
          method: 'DELETE',
          path: '/clients/{{machine_client_id}}',
          auth: adminBasic,
          test: status(204),
        }),
        item("Register a client dynamically (RFC 7591)", {
          description: "`POST /register` (discovery's `registration_endpoint`): RFC 7591 dynamic registration, as MCP clients and AI agents do it. `CLIENT_REGISTRATION=admin` (the default) takes an admin's credentials as the initial access token; `open` takes none (throttled per address, never first-party nor the password grant, deleted if unused after `REGISTRATION_TTL`); `off` answers 404. The answer carries a `registration_access_token` and the `registration_client_uri` (RFC 7592), kept in `registered_client_id` and `registration_access_token`.",
          example: [201, { client_id: 'bWNwLWNsaWVudC1yZWdpc3RlcmVk', client_name: 'An MCP client', logo_uri: null, client_uri: null, redirect_uris: ['http://127.0.0.1:33418/callback'], post_logout_redirect_uris: [], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', scope: 'openid profile email offline_access', application_type: 'web', skip_consent: false, resources: [], backchannel_logout_uri: null, backchannel_logout_session_required: false, client_id_issued_at: 1767225600, registration_access_token: 'bWFuYWdlLXRoZS1jbGllbnQtYXQtaXRzLXJlZ2lzdHJhdGlvbi11cmk', registration_client_uri: 'http://localhost:3000/register/bWNwLWNsaWVudC1yZWdpc3RlcmVk' }],
          method: 'POST',
          path: '/register',
          auth: adminBasic,
          json: { client_name: 'An MCP client', redirect_uris: ['http://127.0.0.1:33418/callback'], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' },
          test: [
            ...status(201),
            `const body = pm.response.json();`,
            `pm.test('a public client with its registration access token', () => {`,
            `  pm.expect(body.client_secret).to.be.undefined;`,
            `  pm.expect(body.registration_access_token).to.be.a('string');`,
            `  pm.expect(body.registration_client_uri).to.include('/register/' + body.client_id);`,
            `});`,
            `pm.collectionVariables.set('registered_client_id', body.client_id);`,
            `pm.collectionVariables.set('registration_access_token', body.registration_access_token);`,
          ],
        }),
        item("Read the registration (RFC 7592)", {
          description: "`GET /register/{client_id}` with the registration access token as Bearer: the client's metadata (its secret is never shown again).",
          example: [200, { client_id: 'bWNwLWNsaWVudC1yZWdpc3RlcmVk', client_name: 'An MCP client', logo_uri: null, client_uri: null, redirect_uris: ['http://127.0.0.1:33418/callback'], post_logout_redirect_uris: [], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', scope: 'openid profile email offline_access', application_type: 'web', skip_consent: false, resources: [], backchannel_logout_uri: null, backchannel_logout_session_required: false, client_id_issued_at: 1767225600, registration_access_token: 'bWFuYWdlLXRoZS1jbGllbnQtYXQtaXRzLXJlZ2lzdHJhdGlvbi11cmk', registration_client_uri: 'http://localhost:3000/register/bWNwLWNsaWVudC1yZWdpc3RlcmVk' }],
          method: 'GET',
          path: '/register/{{registered_client_id}}',
          auth: bearerOf('registration_access_token'),
          test: [...status(200), `pm.test('the registered client', () => pm.expect(pm.response.json().client_id).to.eql(pm.collectionVariables.get('registered_client_id')));`],
        }),
        item("Replace the registration (RFC 7592)", {
          description: "`PUT /register/{client_id}`: the body is the whole metadata with `client_id`; fields left out are removed (take their defaults). The secret cannot be changed, and first-party or the password grant cannot be gained.",
          example: [200, { ...{ client_id: 'bWNwLWNsaWVudC1yZWdpc3RlcmVk', client_name: 'An MCP client', logo_uri: null, client_uri: null, redirect_uris: ['http://127.0.0.1:33418/callback'], post_logout_redirect_uris: [], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', scope: 'openid profile email offline_access', application_type: 'web', skip_consent: false, resources: [], backchannel_logout_uri: null, backchannel_logout_session_required: false, client_id_issued_at: 1767225600, registration_access_token: 'bWFuYWdlLXRoZS1jbGllbnQtYXQtaXRzLXJlZ2lzdHJhdGlvbi11cmk', registration_client_uri: 'http://localhost:3000/register/bWNwLWNsaWVudC1yZWdpc3RlcmVk' }, client_name: 'An MCP client, renamed', grant_types: ['authorization_code'] }],
          method: 'PUT',
          path: '/register/{{registered_client_id}}',
          auth: bearerOf('registration_access_token'),
          json: { client_id: '{{registered_client_id}}', client_name: 'An MCP client, renamed', redirect_uris: ['http://127.0.0.1:33418/callback'], token_endpoint_auth_method: 'none' },
          test: [...status(200), `pm.test('refresh_token was left out: removed', () => pm.expect(pm.response.json().grant_types).to.eql(['authorization_code']));`],
        }),
        item("Delete the registration (RFC 7592)", {
          description: "`DELETE /register/{client_id}`: the client is gone, and every token it got stops working; its registration access token then gets `401 invalid_token`.",
          example: [204, null],
          method: 'DELETE',
          path: '/register/{{registered_client_id}}',
          auth: bearerOf('registration_access_token'),
          test: status(204),
        }),
      ]),
      folder("Admin", "For admins (`adminUsername` and `adminPassword` of the environment): accounts and their sessions, signing keys, the audit trail.", [
        item("Admin route (Basic, admin)", {
          description: "The admin route with the admin of your environment (`adminUsername`, `adminPassword`).",
          example: [200, {"message": "Hello, Admin admin! This is a top-secret route."}],
          method: 'GET',
          path: '/protected-admin',
          auth: adminBasic,
          test: [
            ...status(200),
            `pm.test('top secret', () => pm.expect(pm.response.json().message).to.eql('Hello, Admin ' + pm.environment.get('adminUsername') + '! This is a top-secret route.'));`,
          ],
        }),
        item("List users (admin)", {
          description: "`GET /users`: accounts by id, paginated (`page` from 1, `pageSize` 1–100).",
          example: [200, {"items": [EXAMPLE_USER], "total": 1, "page": 1, "pageSize": 100}],
          method: 'GET',
          path: '/users',
          auth: adminBasic,
          query: FIRST_PAGE,
          test: [
            ...status(200),
            `const body = pm.response.json();`,
            `pm.test('a page of accounts', () => {`,
            `  pm.expect(body.page).to.eql(1);`,
            `  pm.expect(body.pageSize).to.eql(100);`,
            `  pm.expect(body.items).to.be.an('array').that.is.not.empty;`,
            `  pm.expect(body.total).to.be.at.least(body.items.length);`,
            `});`,
          ],
        }),
        item("Signing keys (admin)", {
          description: "`GET /keys`: the signing keys, newest first (public parts and dates only).",
          example: [200, [{"kid": "rs256-Qx1fz0c9u2JmV7bA", "algorithm": "RS256", "generation": 2, "createdAt": "2026-11-29T09:01:00.000Z", "signsFrom": "2026-11-29T09:11:00.000Z", "retiresAt": null, "revokedAt": null}]],
          method: 'GET',
          path: '/keys',
          auth: adminBasic,
          test: [...status(200), `pm.test('a list of keys', () => pm.expect(pm.response.json()).to.be.an('array').that.is.not.empty);`, `pm.collectionVariables.set('kid', pm.response.json()[0].kid);`],
        }),
        item("Rotate the signing key (admin)", {
          description: "`POST /keys/rotate`: a new key, published at once, signing after `KEY_PUBLISH_AHEAD`.",
          example: [201, {"kid": "rs256-Qx1fz0c9u2JmV7bA", "algorithm": "RS256", "generation": 2, "createdAt": "2026-11-29T09:01:00.000Z", "signsFrom": "2026-11-29T09:11:00.000Z", "retiresAt": null, "revokedAt": null}],
          method: 'POST',
          path: '/keys/rotate',
          auth: adminBasic,
          test: [...status(201), `pm.test('a new key', () => pm.expect(pm.response.json().kid).to.not.eql(pm.collectionVariables.get('kid')));`, `pm.collectionVariables.set('kid', pm.response.json().kid);`],
        }),
        item("Revoke the new signing key (admin)", {
          description: "`POST /keys/{kid}/revoke`: a compromised key stops verifying at once and leaves the key set.",
          example: [200, {"kid": "rs256-Qx1fz0c9u2JmV7bA", "algorithm": "RS256", "generation": 2, "createdAt": "2026-11-29T09:01:00.000Z", "signsFrom": "2026-11-29T09:11:00.000Z", "retiresAt": null, "revokedAt": "2026-11-29T09:02:00.000Z"}],
          method: 'POST',
          path: '/keys/{{kid}}/revoke',
          auth: adminBasic,
          test: [...status(200), `pm.test('revoked', () => pm.expect(pm.response.json().revokedAt).to.be.a('string'));`],
        }),
        logIn("Log in again (tokens go on)", "Tokens are still issued and verified after a rotation and a revocation."),
        item("Promote the user (admin)", {
          description: "`PATCH /users/{id}` with a role. The last admin cannot be demoted (`409`). Runs only on the collection's own random account.",
          example: [200, { ...EXAMPLE_USER, role: 'admin' }],
          ownAccountOnly: true,
          method: 'PATCH',
          path: '/users/{{userId}}',
          auth: adminBasic,
          json: { role: 'admin' },
          test: [...status(200), `pm.test('now an admin', () => pm.expect(pm.response.json().role).to.eql('admin'));`],
        }),
        item("An account's sessions (admin)", {
          description: "`GET /users/{id}/sessions`: an account's live sessions.",
          example: [200, [{"id": "0f8e2c1a-4b7d-4c3e-9a51-2d6f0e9b7c44", "createdAt": "2026-11-29T09:00:05.000Z", "lastUsedAt": "2026-11-29T09:00:05.000Z", "expiresAt": "2026-12-29T09:00:05.000Z", "createdAddress": "127.0.0.1", "createdUserAgent": "PostmanRuntime/7.39.0", "lastAddress": "127.0.0.1", "lastUserAgent": "PostmanRuntime/7.39.0", "current": false}]],
          method: 'GET',
          path: '/users/{{userId}}/sessions',
          auth: adminBasic,
          test: [...status(200), `pm.test('the live sessions of the collection', () => pm.expect(pm.response.json()).to.be.an('array').that.is.not.empty);`],
        }),
        item("An account's passkeys (admin)", {
          description: "`GET /users/{id}/passkeys`: the account's passkeys (names, kinds, last use; never a key).",
          example: [200, [EXAMPLE_PASSKEY]],
          method: 'GET',
          path: '/users/{{userId}}/passkeys',
          auth: adminBasic,
          test: [...status(200), `pm.test('a list', () => pm.expect(pm.response.json()).to.be.an('array'));`],
        }),
        item("Remove an account's passkey (admin)", {
          description: "`DELETE /users/{id}/passkeys/{passkeyId}`: a lost or stolen authenticator signs in no more (`204`); an unknown one is `404`, as here.",
          example: [404, { statusCode: 404, error: 'Not Found', message: 'No such passkey.' }],
          method: 'DELETE',
          path: '/users/{{userId}}/passkeys/{{passkey_id}}',
          auth: adminBasic,
          test: status(404),
        }),
        item("End an account's sessions (admin)", {
          description: "`DELETE /users/{id}/sessions`: every session of the account ends (its password still works). Runs only on the collection's own random account.",
          example: [204, null],
          ownAccountOnly: true,
          method: 'DELETE',
          path: '/users/{{userId}}/sessions',
          auth: adminBasic,
          test: status(204),
        }),
        refusedAccessToken("The ended session’s access token is refused", "The account's access tokens died with its sessions.", { ownAccountOnly: true }),
        item("Delete the user (admin)", {
          description: "`DELETE /users/{id}`: the account and everything of it. Runs only on the collection's own random account.",
          example: [204, null],
          ownAccountOnly: true,
          method: 'DELETE',
          path: '/users/{{userId}}',
          auth: adminBasic,
          test: status(204),
        }),
        refusedAccessToken("The deleted user's token is refused", "A deleted account's tokens are refused at once.", { ownAccountOnly: true }),
        item("Audit trail of the user (admin)", {
          description: "`GET /audit`: the security events about (or by) the account, newest first; filters by type, account, outcome and time.",
          example: [200, {"items": [{"id": 42, "occurredAt": "2026-11-29T09:03:00.000Z", "type": "account.deleted", "outcome": "success", "actorId": 1, "subjectId": 7, "clientAddress": "127.0.0.1", "userAgent": "PostmanRuntime/7.39.0", "requestId": "3f0c…", "details": {}}], "total": 1, "page": 1, "pageSize": 100}],
          method: 'GET',
          path: '/audit',
          auth: adminBasic,
          query: [{ key: 'account', value: '{{userId}}' }, ...FIRST_PAGE],
          test: [
            ...status(200),
            `const body = pm.response.json();`,
            `const types = body.items.map((event) => event.type);`,
            `pm.test('its registration, logins (and password change, on the collection’s own account), newest first', () => {`,
            `  pm.expect(types).to.include.members(pm.collectionVariables.get('generated_account') === 'true' ? ['account.registered', 'login', 'password.changed'] : ['account.registered', 'login']);`,
            `  pm.expect(body.items.map((event) => event.occurredAt)).to.eql(body.items.map((event) => event.occurredAt).sort().reverse());`,
            `});`,
            `pm.test('every event is about the user or by the user', () => body.items.forEach((event) => pm.expect([event.actorId, event.subjectId]).to.include(Number(pm.collectionVariables.get('userId')))));`,
          ],
        }),
      ]),
    ],
  };
}

export const COLLECTION_FILE = fileURLToPath(new URL('./gatehouse.postman_collection.json', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(COLLECTION_FILE, `${JSON.stringify(buildCollection(), null, 2)}\n`);
  console.log(`wrote ${COLLECTION_FILE}`);
}
