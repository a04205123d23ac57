/**
 * What each setting means, for people: the one source of docs/configuration.md
 * (node scripts/config-reference.mjs writes it; --check fails when it is
 * stale). configuration.ts reads and validates the environment; its test
 * (test/docs.e2e-spec.ts) checks that every variable it reads is here, once,
 * and that a default written in a read call is the default shown here.
 * Markdown; links are relative to docs/.
 */
export interface SettingReference {
  /** The variables of one row (a pair that goes together shares a row). */
  readonly variables: readonly string[];
  /** The default, as the reader sees it. */
  readonly default: string;
  readonly meaning: string;
}

export const SETTINGS_REFERENCE: readonly SettingReference[] = [
  {
    variables: ['HOST'],
    default: '`127.0.0.1`',
    meaning: 'listen address: this machine only, as every URL in these docs assumes. Set `0.0.0.0` (or `::`) to accept connections from other machines: in a container, or behind a proxy on another host',
  },
  {
    variables: ['PORT'],
    default: '`3000`',
    meaning: 'listen port (`0`: any free one)',
  },
  {
    variables: ['DATABASE_URL'],
    default: '`sqlite:data/app.sqlite`',
    meaning: '`sqlite:<file>` (folder created on first start) or `postgres://…`',
  },
  {
    variables: ['PUBLIC_URL'],
    default: '`http://127.0.0.1:${PORT}`',
    meaning: 'the base URL clients and other services use: discovery, `jwks_uri`, and the default issuer',
  },
  {
    variables: ['JWT_ALGORITHM'],
    default: '`RS256`',
    meaning: '`RS256`, `ES256` or `EdDSA` (keys in the database, published at `/.well-known/jwks.json`), or `HS256` (access tokens with a shared `JWT_SECRET`; id tokens are then signed with RS256 keys in the database, published and rotated as above)',
  },
  {
    variables: ['KEY_ENCRYPTION_SECRET'],
    default: 'none',
    meaning: 'encrypts the private signing keys in the database (AES-256-GCM); the same on every instance; required when `NODE_ENV=production`, otherwise generated once into `<data folder>/key-encryption-secret`',
  },
  {
    variables: ['KEY_PUBLISH_AHEAD'],
    default: '`10m`',
    meaning: 'a new key is published this long before it signs (`0`: at once); shorter than the key set\'s 5 min cache lifetime is warned at start-up',
  },
  {
    variables: ['KEY_ROTATION_INTERVAL'],
    default: 'off',
    meaning: 'rotate the signing key by itself this often (such as `30d`)',
  },
  {
    variables: ['KEY_RELOAD_INTERVAL'],
    default: '`30s`',
    meaning: 'each instance reads the signing keys again this often: without Redis, how long a key revoked elsewhere may still verify',
  },
  {
    variables: ['JWT_SECRET'],
    default: 'none',
    meaning: 'HS256 only: required when `NODE_ENV=production` (at least 32 bytes); otherwise generated once into `<data folder>/jwt-secret`',
  },
  {
    variables: ['JWT_ISSUER','JWT_AUDIENCE'],
    default: '`PUBLIC_URL`, `gatehouse`',
    meaning: 'the `iss` and `aud` claims written and required',
  },
  {
    variables: ['ACCESS_TOKEN_TTL'],
    default: '`30m`',
    meaning: 'access token lifetime (`900` = seconds, or `15m`, `12h`, `1d`), within the session\'s lifetime (`exp` and `expires_in` stop at its end)',
  },
  {
    variables: ['REFRESH_TOKEN_TTL'],
    default: '`14d`',
    meaning: 'refresh token lifetime (each rotation gives a new one this long, within the session\'s lifetime)',
  },
  {
    variables: ['SESSION_MAX_LIFETIME'],
    default: '`30d`',
    meaning: 'absolute lifetime of a login, however often it is refreshed; then the user logs in again',
  },
  {
    variables: ['BCRYPT_ROUNDS'],
    default: '`12`',
    meaning: 'bcrypt cost, 4–31 (the tests use 4)',
  },
  {
    variables: ['ADMIN_USERNAME','ADMIN_PASSWORD'],
    default: 'none',
    meaning: 'an admin created at start-up when both are set and the database has no admin at all: it gets the first admin in, and never brings back one an admin deleted; if a non-admin account holds the name, start-up says so in one line, and so it does when an admin already exists and the name is not one (the variables are then ignored: every section of these docs uses the same `root` / `admin-passphrase`); unset on a database with no admin, start-up says in one line how to make one; a password the [password policy](sign-in-your-app.md#password-policy) refuses stops start-up with one line',
  },
  {
    variables: ['PASSWORD_MIN_LENGTH'],
    default: '`8`',
    meaning: 'characters (Unicode code points) a new password needs at least, 8–64; existing passwords keep working',
  },
  {
    variables: ['PASSWORD_BREACH_CHECK'],
    default: '`off`',
    meaning: '`hibp`: also refuse new passwords that Have I Been Pwned knows from a breach (only five hex characters of the SHA-1 leave the machine; skipped, with a warning, when the API cannot be asked)',
  },
  {
    variables: ['HIBP_API_URL'],
    default: '`https://api.pwnedpasswords.com`',
    meaning: 'the Pwned Passwords range API (`GET /range/{prefix}`), for a mirror or a proxy',
  },
  {
    variables: ['HIBP_TIMEOUT'],
    default: '`2s`',
    meaning: 'how long the breach check waits for the API, body included, before it is skipped',
  },
  {
    variables: ['DATABASE_POOL_SIZE'],
    default: '`10`',
    meaning: 'PostgreSQL connections per instance',
  },
  {
    variables: ['DATABASE_TIMEOUT'],
    default: '`5s`',
    meaning: 'the longest a request waits on the database for one thing (a connection, a free connection of the pool, a statement, SQLite\'s write lock) before `503` with `Retry-After`; a PostgreSQL server that does not answer at all gets 1 s more; migrations are not bounded',
  },
  {
    variables: ['REDIS_URL'],
    default: 'none',
    meaning: '`redis://…`: throttling counters shared by every instance, and cache invalidation broadcast to them; without it, each instance counts and caches alone',
  },
  {
    variables: ['REDIS_KEY_PREFIX'],
    default: '`gatehouse:`',
    meaning: 'prefix of every Redis key and channel, so deployments can share a Redis',
  },
  {
    variables: ['THROTTLE_LOGIN_FAILURES'],
    default: '`5`',
    meaning: 'login attempts for one username from one address per window (a success gives its attempt back and resets the pair) before that pair gets `429`',
  },
  {
    variables: ['THROTTLE_ADDRESS_FAILURES'],
    default: '`50`',
    meaning: 'login attempts from one address, any usernames, before the address gets `429`; and, on a counter of their own, failed OAuth client authentications from one address',
  },
  {
    variables: ['THROTTLE_ACCOUNT_FAILURES'],
    default: '`20`',
    meaning: 'login attempts for one username from all addresses together, except addresses it logged in from in the last 30 days, before the account gets `429` there',
  },
  {
    variables: ['HASH_CONCURRENCY_PER_ADDRESS'],
    default: '`2`',
    meaning: 'password checks (and hashes) one client address may have in flight; more get `429` at once',
  },
  {
    variables: ['HASH_QUEUE_LIMIT'],
    default: '`64`',
    meaning: 'password checks waiting for a hashing thread; more get `503` at once',
  },
  {
    variables: ['THROTTLE_REGISTRATIONS'],
    default: '`20`',
    meaning: 'registrations from one address per window',
  },
  {
    variables: ['THROTTLE_PASSKEY_CHALLENGES'],
    default: '`100`',
    meaning: 'passkey sign-in challenges (`POST /auth/passkeys/authentication/options`) one address may ask for per window',
  },
  {
    variables: ['THROTTLE_WINDOW'],
    default: '`15m`',
    meaning: 'the counting window, and how long a block lasts',
  },
  {
    variables: ['HTTP_REQUEST_TIMEOUT'],
    default: '`30s`',
    meaning: 'the whole request (headers and body) must arrive within this, or `408` and the connection is closed: a client trickling a body cannot hold a connection',
  },
  {
    variables: ['HTTP_HEADERS_TIMEOUT'],
    default: '`10s`',
    meaning: 'the headers must arrive within this (at most `HTTP_REQUEST_TIMEOUT`)',
  },
  {
    variables: ['HTTP_KEEP_ALIVE_TIMEOUT'],
    default: '`5s`',
    meaning: 'idle kept-alive connections are closed after this; behind a proxy or load balancer, set it longer than the proxy\'s idle timeout',
  },
  {
    variables: ['HTTP_MAX_CONNECTIONS'],
    default: '`10000`',
    meaning: 'connections beyond this are closed at once',
  },
  {
    variables: ['SHUTDOWN_DRAIN'],
    default: '`5s`',
    meaning: 'after `SIGTERM`, how long new connections are still served while `/health/ready` answers `503`, so a load balancer stops sending traffic first (`0`: stop listening at once)',
  },
  {
    variables: ['SHUTDOWN_TIMEOUT'],
    default: '`10s`',
    meaning: 'after `SIGTERM`, the process has exited by then, longer than `SHUTDOWN_DRAIN`: requests still in flight are cut and the exit code is 1',
  },
  {
    variables: ['TRUST_PROXY'],
    default: '`false`',
    meaning: 'Fastify\'s `trustProxy`: set it behind a reverse proxy, so the client address comes from `X-Forwarded-For`: `true`, a hop count, or a comma-separated list of addresses, subnets (`10.0.0.0/8`) and `loopback`, `linklocal`, `uniquelocal`',
  },
  {
    variables: ['CORS_ORIGINS'],
    default: 'none',
    meaning: 'comma-separated origins allowed by CORS (`https://app.example,http://localhost:5173`); none: no CORS headers',
  },
  {
    variables: ['LOG_LEVEL'],
    default: '`info`',
    meaning: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`',
  },
  {
    variables: ['AUDIT_RETENTION'],
    default: '`90d`',
    meaning: 'how long the audit trail keeps its events; older ones are purged at start-up and hourly',
  },
  {
    variables: ['CLIENT_REGISTRATION'],
    default: '`admin`',
    meaning: 'who may register OAuth clients at `POST /register` (RFC 7591): `admin` (an admin\'s token), `open` (anyone; throttled, never first-party nor the password grant), `off` (no endpoint, not in discovery)',
  },
  {
    variables: ['REGISTRATION_TTL'],
    default: '`24h`',
    meaning: 'an openly registered client that got no token within this is deleted (audited `client.expired`)',
  },
  {
    variables: ['CLIENT_SECRET_GRACE'],
    default: '`24h`',
    meaning: 'how long an OAuth client\'s previous secret keeps working after `POST /clients/{client_id}/secret` (`0`: not at all)',
  },
  {
    variables: ['ALLOW_PRIVATE_CLIENT_URIS'],
    default: '`false`',
    meaning: '`true`: in production, URIs Gatehouse calls (a client\'s `backchannel_logout_uri`) may name loopback and private addresses; off, they may not (SSRF). Outside production loopback is always allowed',
  },
  {
    variables: ['BACKCHANNEL_LOGOUT_RETRY_BASE','BACKCHANNEL_LOGOUT_RETRY_MAX'],
    default: '`2s`, `60s`',
    meaning: 'back-channel logout retries: the first wait, doubling up to the longest',
  },
  {
    variables: ['BACKCHANNEL_LOGOUT_MAX_ATTEMPTS','BACKCHANNEL_LOGOUT_MAX_AGE'],
    default: '`20`, `24h`',
    meaning: 'when an undelivered back-channel logout is given up (audited as `backchannel-logout.failed`)',
  },
  {
    variables: ['SECURITY_NOTICES'],
    default: '`all`',
    meaning: 'which security notices are mailed (see "Security notices"): `all`, `none`, or a comma-separated list of kinds (`new-sign-in,lockout,password-changed,…`)',
  },
  {
    variables: ['NOTICE_INTERVAL'],
    default: '`15m`',
    meaning: 'at most one security notice of a kind per account within this',
  },
  {
    variables: ['NOTICE_RETRY_BASE','NOTICE_RETRY_MAX'],
    default: '`30s`, `30m`',
    meaning: 'security notice retries when the SMTP server refuses: the first wait, doubling up to the longest',
  },
  {
    variables: ['NOTICE_MAX_ATTEMPTS','NOTICE_MAX_AGE'],
    default: '`10`, `24h`',
    meaning: 'when an unsent security notice is given up (audited as `security-notice.failed`)',
  },
  {
    variables: ['PASSWORD_GRANT'],
    default: '`true`',
    meaning: 'the OAuth2 password grant for requests with no client (the walk-through, Swagger UI\'s password form, your own login form) and for clients an admin allowed it; `false`: neither served nor advertised, and people sign in on the hosted login page (RFC 9700: the password grant must not be used)',
  },
  {
    variables: ['DPOP_NONCE'],
    default: '`false`',
    meaning: 'DPoP proofs must carry a server nonce (RFC 9449 §8): the token endpoint answers `400 use_dpop_nonce`, Gatehouse\'s routes `401` with `WWW-Authenticate: DPoP error="use_dpop_nonce"`, both with a `DPoP-Nonce` header to retry with (a nonce is good for 5 to 10 minutes, on every instance)',
  },
  {
    variables: ['REQUIRE_PAR'],
    default: '`false`',
    meaning: 'every client must push its authorization requests first (`POST /auth/par`, RFC 9126) — Swagger UI\'s authorization-code login, which does not push, then stops working; `false`: only clients registered with `require_pushed_authorization_requests` must',
  },
  {
    variables: ['METRICS_TOKEN'],
    default: 'none',
    meaning: 'turns on `GET /metrics` for a scraper sending `Authorization: Bearer <token>` (at least 32 bytes: `openssl rand -base64 48`); unset, there is no `/metrics`',
  },
  {
    variables: ['DOCS_ENABLED'],
    default: '`true`',
    meaning: '`false`: no Swagger UI at `/docs`, no OpenAPI document at `/docs-json`',
  },
  {
    variables: ['DOCS_PERSIST_AUTHORIZATION'],
    default: '`true`, `false` in production',
    meaning: 'Swagger UI keeps what Authorize was given (passwords, tokens) in the browser\'s `localStorage`, in plain text, across reloads',
  },
  {
    variables: ['EMAIL_ENABLED'],
    default: '`true`',
    meaning: '`false` turns off e-mail addresses, verification and password reset (those routes answer `404`, an `email` at registration is `400`)',
  },
  {
    variables: ['SMTP_URL'],
    default: 'none',
    meaning: '`smtp://user:password@host:port` or `smtps://…` (user and password URL-encoded; nodemailer options such as `?requireTLS=true` after it); none: messages are written to `<data folder>/outbox/*.eml` and logged, which production refuses while `EMAIL_ENABLED`',
  },
  {
    variables: ['MAIL_FROM'],
    default: '`Gatehouse <no-reply@localhost>`',
    meaning: 'the sender of every message (`address` or `Name <address>`); required in production with `SMTP_URL`',
  },
  {
    variables: ['MAIL_SEND_ATTEMPTS'],
    default: '`3`',
    meaning: 'tries per message before it is given up and logged (1–10)',
  },
  {
    variables: ['MAIL_RETRY_DELAY'],
    default: '`5s`',
    meaning: 'the wait before the second try, doubled before each further one (`0`: at once)',
  },
  {
    variables: ['EMAIL_LINK_BASE'],
    default: 'none',
    meaning: 'your front end\'s base URL for the mailed links (`<base>/verify-email?token=…`, `<base>/reset-password?token=…`); none: Gatehouse\'s own pages at `PUBLIC_URL`',
  },
  {
    variables: ['BRAND_NAME'],
    default: '`Gatehouse`',
    meaning: 'the name at the top of every hosted page (login, consent, the e-mail links) and in its title',
  },
  {
    variables: ['BRAND_LOGO_URL'],
    default: 'none',
    meaning: 'an `https://` URL, or a path on this host (`/…`), of a logo shown beside the name',
  },
  {
    variables: ['BRAND_COLOR'],
    default: '`#2451b7`',
    meaning: '`#rrggbb`: the pages\' buttons and accents',
  },
  {
    variables: ['PAGES_TEMPLATES_DIR'],
    default: 'none',
    meaning: 'a folder of page templates whose `NAME.eta` (and `pages.css`) replace the built-in ones of the same name',
  },
  {
    variables: ['WEBAUTHN_RP_ID'],
    default: '`PUBLIC_URL`\'s host',
    meaning: 'the passkeys\' relying party ID: `PUBLIC_URL`\'s host or a parent domain of it (`example.com` for `auth.example.com`, so passkeys also work on other subdomains\' pages); never an IP address',
  },
  {
    variables: ['WEBAUTHN_RP_NAME'],
    default: '`BRAND_NAME`',
    meaning: 'the name an authenticator shows beside a passkey',
  },
  {
    variables: ['THROTTLE_RECOVERY_REQUESTS'],
    default: '`20`',
    meaning: 'password-reset requests, and wrong reset or verification tokens and codes, from one address per window',
  },
  {
    variables: ['THROTTLE_RECOVERY_ACCOUNT_REQUESTS'],
    default: '`5`',
    meaning: 'password-reset requests for one username or e-mail address given (whether or not an account has it), and verification codes tried for one e-mail address, per window',
  },
  {
    variables: ['THROTTLE_MAILS'],
    default: '`5`',
    meaning: 'mails to one address per window, whatever sends them (beyond it they are dropped and logged, the answer unchanged); and mails one account asks for with `PUT /auth/email` and resend (beyond it `429`)',
  },
  {
    variables: ['NODE_ENV'],
    default: 'none',
    meaning: '`production` makes `KEY_ENCRYPTION_SECRET` (and, with HS256, `JWT_SECRET`) mandatory, and refuses placeholders (`change-me`, the values of `deploy/instance.env.example`) in them, in `METRICS_TOKEN`, in `ADMIN_PASSWORD` and in the `DATABASE_URL` and `SMTP_URL` passwords, and a secret under about 128 bits of entropy; requires `SMTP_URL` and `MAIL_FROM` while `EMAIL_ENABLED` (no outbox in production); make one with `openssl rand -base64 48`',
  },
];
