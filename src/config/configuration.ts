import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { getConfigToken } from '@nestjs/config';
import ms, { type StringValue } from 'ms';
import {
  isValidEmail,
  isValidUsername,
  isWellFormedPassword,
  PASSWORD_FORM_RULE,
  PASSWORD_MIN_LENGTH_DEFAULT,
  PASSWORD_MIN_LENGTH_LIMIT,
  USERNAME_RULE,
} from '../account-rules/account-rules.js';
import { makePrivateFolder } from './private-files.js';
import { weakSecretReason } from './secret-strength.js';

/**
 * Start-up cannot go on, for a reason the person starting it can fix: main.ts
 * and the command-line tools print `line` alone, without a stack, and exit 1.
 */
export class StartupError extends Error {
  get line(): string {
    return this.message;
  }
}

/** A bad environment value; its message names the variable, and start-up stops on it. */
export class ConfigurationError extends StartupError {
  override get line(): string {
    return `configuration error: ${this.message}`;
  }
}

/**
 * `timeoutMs` (DATABASE_TIMEOUT): the longest a request waits on the database
 * for one thing (a connection, a statement, a lock) before it is answered 503;
 * DEFAULT_DATABASE_TIMEOUT_MS when not given.
 */
export const DEFAULT_DATABASE_TIMEOUT_MS = 5000;

export type DatabaseConfiguration =
  | { type: 'sqlite'; file: string; timeoutMs?: number }
  | { type: 'postgres'; url: string; poolSize: number; timeoutMs?: number };

export interface AppConfiguration {
  production: boolean;
  /** The address to listen on: 127.0.0.1 (this machine only) unless HOST says otherwise. */
  host: string;
  port: number;
  database: DatabaseConfiguration;
  /** Where the service keeps what it generates itself (the development JWT secret). */
  dataDirectory: string;
  /** The base URL clients see (no trailing slash): links, discovery metadata, and the default issuer. */
  publicUrl: string;
  /** PUBLIC_URL was not given and PORT=0: the URL names the port only once the service listens (settlePort). */
  publicUrlAwaitsPort: boolean;
  jwt: JwtConfiguration;
  /** Signing keys in the database: their encryption at rest and their rotation. */
  keys: KeysConfiguration;
  refreshTokenTtlSeconds: number;
  /** The absolute lifetime of a login (its chain of refresh tokens), however often it is refreshed. */
  sessionMaxLifetimeSeconds: number;
  bcryptRounds: number;
  hashing: HashingConfiguration;
  /** Checked against the password policy at start-up (AdminBootstrapService), which stops on a refusal. */
  admin: { username: string; password: string } | null;
  passwordPolicy: PasswordPolicyConfiguration;
  redisUrl: string | null;
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  redisKeyPrefix: string;
  /** Origins allowed by CORS; empty means no CORS headers at all. */
  corsOrigins: string[];
  logLevel: LogLevel;
  /** Express's `trust proxy`: whom to believe about the client address (X-Forwarded-For). */
  trustProxy: boolean | number | string;
  throttle: ThrottleConfiguration;
  http: HttpServerConfiguration;
  /** The audit trail's retention: events older than this are purged. */
  auditRetentionSeconds: number;
  /** The bearer token that `/metrics` requires; null: no `/metrics` at all. */
  metricsToken: string | null;
  docs: DocsConfiguration;
  mail: MailConfiguration;
  oauth: OAuthConfiguration;
  clients: ClientsConfiguration;
  backchannelLogout: BackchannelLogoutConfiguration;
  securityNotices: SecurityNoticesConfiguration;
  pages: PagesConfiguration;
  webauthn: WebAuthnConfiguration;
}

/** Passkeys (WebAuthn Level 3): the relying party the browser and the authenticator see. See "Passkeys" in docs/sign-in-your-app.md. */
export interface WebAuthnConfiguration {
  /**
   * WEBAUTHN_RP_ID: the relying party ID (WebAuthn §5.1.4.1: a registrable
   * suffix of the origin's host); null: PUBLIC_URL's host, read when used,
   * since with PORT=0 PUBLIC_URL is settled only once the service listens.
   */
  rpId: string | null;
  /** WEBAUTHN_RP_NAME: the name an authenticator shows beside the passkey; BRAND_NAME by default. */
  rpName: string;
}

/** The authorization server: see docs/sign-in-your-app.md. */
export interface OAuthConfiguration {
  /** PASSWORD_GRANT (default true): the password grant for first-party logins (RFC 9700 §2.4 says no one else should use it); false: neither served nor advertised. */
  passwordGrant: boolean;
  /** How long an authorization code lives (OAUTH.md: at most 60 s). */
  authorizationCodeTtlSeconds: number;
  /** REQUIRE_PAR (default false): every client's authorization requests must be pushed first (RFC 9126 §5, `require_pushed_authorization_requests` in discovery). */
  requirePushedAuthorizationRequests: boolean;
  /** DPOP_NONCE (default false): DPoP proofs must carry a server nonce (RFC 9449 §8, §9): the token endpoint and Gatehouse's own routes answer `use_dpop_nonce` with a `DPoP-Nonce` header until they do. */
  dpopNonce: boolean;
}

/** The OAuth clients registered with Gatehouse (see "Clients" in docs/API.md). */
export interface ClientsConfiguration {
  /** How long a client's previous secret still works after a rotation (0: not at all), so its deployments can take the new one without downtime. */
  secretGraceSeconds: number;
  /**
   * ALLOW_PRIVATE_CLIENT_URIS (default false): in production, URIs Gatehouse
   * itself calls (`backchannel_logout_uri`, later `jwks_uri`) may name
   * loopback and private addresses. Off, they may not (SSRF: a client must not
   * turn Gatehouse into a proxy into the operator's network); outside
   * production loopback is always allowed.
   */
  allowPrivateUris: boolean;
  /**
   * CLIENT_REGISTRATION (RFC 7591 dynamic registration): `admin` (default),
   * an admin's access token is the initial access token; `open`, anyone may
   * register (throttled per address, never first-party or the password
   * grant); `off`, no registration endpoint.
   */
  registration: ClientRegistrationMode;
  /** REGISTRATION_TTL: an openly registered client that got no token within this long is deleted. */
  registrationTtlSeconds: number;
}

export const CLIENT_REGISTRATION_MODES = ['admin', 'open', 'off'] as const;
export type ClientRegistrationMode = (typeof CLIENT_REGISTRATION_MODES)[number];

/** OpenID Connect Back-Channel Logout 1.0: how the outbox retries a client that did not take its logout token. */
export interface BackchannelLogoutConfiguration {
  /** BACKCHANNEL_LOGOUT_RETRY_BASE: the wait before the first retry; each further one doubles it. */
  retryBaseSeconds: number;
  /** BACKCHANNEL_LOGOUT_RETRY_MAX: the longest wait between two tries. */
  retryMaxSeconds: number;
  /** BACKCHANNEL_LOGOUT_MAX_ATTEMPTS: tries before a notification is given up (failed). */
  maxAttempts: number;
  /** BACKCHANNEL_LOGOUT_MAX_AGE: a notification not delivered this long after the session ended is given up. */
  maxAgeSeconds: number;
}

/**
 * The security notices mailed to an account's verified address (see
 * "Security notices" in docs/operations.md): one kind per thing that happened, each
 * switchable.
 */
export const SECURITY_NOTICE_KINDS = [
  'new-sign-in',
  'lockout',
  'password-changed',
  'password-reset',
  'email-changed',
  'totp-enabled',
  'totp-disabled',
  'recovery-code-used',
  'recovery-codes-regenerated',
  'passkey-added',
  'passkey-removed',
  'sessions-ended',
] as const;
export type SecurityNoticeKind = (typeof SECURITY_NOTICE_KINDS)[number];

export interface SecurityNoticesConfiguration {
  /** SECURITY_NOTICES: `all` (default), `none`, or a comma-separated list of kinds: the ones mailed. */
  kinds: ReadonlySet<SecurityNoticeKind>;
  /** NOTICE_INTERVAL: at most one mail of a kind per account within this long, so an attack cannot make Gatehouse a mail bomb. */
  intervalSeconds: number;
  /** NOTICE_RETRY_BASE, NOTICE_RETRY_MAX, NOTICE_MAX_ATTEMPTS, NOTICE_MAX_AGE: how the outbox retries a mail the SMTP server did not take. */
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  maxAttempts: number;
  maxAgeSeconds: number;
}

/** The hosted pages (the e-mail links, and the login and consent pages): their templates and branding. */
export interface PagesConfiguration {
  /** PAGES_TEMPLATES_DIR: a folder whose templates (and pages.css) replace the built-in ones of the same name; null: the built-in ones. */
  templatesDirectory: string | null;
  brand: BrandConfiguration;
}

export interface BrandConfiguration {
  /** BRAND_NAME: shown at the top of every page and in its title. */
  name: string;
  /** BRAND_LOGO_URL: an https:// URL, or a path on this host (/…); null: no logo. */
  logoUrl: string | null;
  /** BRAND_COLOR: #rrggbb, lower-cased; buttons and accents. */
  color: string;
}

export const DEFAULT_BRAND_COLOR = '#2451b7';

/**
 * E-mail addresses, their verification and password reset by mail: see
 * "E-mail and password reset" in docs/sign-in-your-app.md.
 */
export interface MailConfiguration {
  /** EMAIL_ENABLED (default true): the e-mail routes, and an address at registration. Off: those routes answer 404. */
  enabled: boolean;
  /** smtp:// or smtps://, credentials in the URL; null: messages are written to `outboxDirectory` (never in production). */
  smtpUrl: string | null;
  /** The From of every message: an address, or `Name <address>`. */
  from: string;
  /** Where messages go without SMTP_URL: `<data folder>/outbox`. */
  outboxDirectory: string;
  /** Tries per message before it is given up (and logged). */
  sendAttempts: number;
  /** The wait before the second try; it doubles before each further one. */
  retryDelaySeconds: number;
  /** EMAIL_LINK_BASE: the operator's front end that the mailed links open (`<base>/verify-email?token=…`); null: Gatehouse's own pages at PUBLIC_URL. */
  linkBase: string | null;
}

/** Swagger UI at /docs and the OpenAPI document at /docs-json. */
export interface DocsConfiguration {
  enabled: boolean;
  /** Swagger UI keeps what was entered in Authorize (passwords, tokens) in the browser's localStorage, in plain text, across reloads. */
  persistAuthorization: boolean;
}

export const JWT_ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'HS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export interface JwtConfiguration {
  algorithm: JwtAlgorithm;
  /** HS256 only: the shared secret (JWT_SECRET). Null for the asymmetric algorithms, whose keys live in the database. */
  secret: string | null;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
}

export interface KeysConfiguration {
  /** Encrypts private signing keys at rest (AES-256-GCM): the same on every instance of a deployment. */
  encryptionSecret: string;
  /** A new key is published this long before it starts signing, so verifiers' caches have it first. */
  publishAheadSeconds: number;
  /** Rotate by itself this often; null: only when asked (npm run keys:rotate, POST /keys/rotate). */
  rotationIntervalSeconds: number | null;
  /** Each instance reads the key set again this often: without Redis, how long a key revoked elsewhere may still verify here. */
  reloadIntervalSeconds: number;
}

/** Limits of the HTTP server, so slow or idle clients cannot hold connections open for ever. */
export interface HttpServerConfiguration {
  /** The whole request, body included, must arrive within this (slow bodies are cut with 408). */
  requestTimeoutSeconds: number;
  /** The request's headers must arrive within this. */
  headersTimeoutSeconds: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutSeconds: number;
  /** Connections beyond this are closed at once. */
  maxConnections: number;
  /**
   * After SIGTERM, how long the service goes on taking new connections while
   * /health/ready answers 503, so a load balancer takes it out of rotation
   * before it stops listening. 0: stop listening at once.
   */
  shutdownDrainSeconds: number;
  /** After SIGTERM, the process has exited by then (longer than the drain): what is still open is cut, and it exits 1. */
  shutdownTimeoutSeconds: number;
}

/** What a new password must be beyond its form: see "Password policy" in docs/sign-in-your-app.md. */
export interface PasswordPolicyConfiguration {
  /** Characters (Unicode code points, as NIST SP 800-63B counts them) a new password needs at least. */
  minLength: number;
  /** Have I Been Pwned's range API (PASSWORD_BREACH_CHECK=hibp), or null when the check is off. */
  breachCheck: { apiUrl: string; timeoutSeconds: number } | null;
}

export const BREACH_CHECKS = ['off', 'hibp'] as const;
/** Have I Been Pwned's Pwned Passwords API: GET /range/{first five hex characters of the SHA-1}. */
const HIBP_API_URL = 'https://api.pwnedpasswords.com';

/** Brute-force limits: see "Brute-force defence" in docs/operations.md for the policy. */
export interface ThrottleConfiguration {
  /** Failed logins for one username from one address before that pair is blocked. */
  failuresPerUsernameAndAddress: number;
  /** Failed logins from one address, whatever the username, before the address is blocked. */
  failuresPerAddress: number;
  /** Failed logins for one username from all addresses together (NIST SP 800-63B §5.2.2). */
  failuresPerAccount: number;
  /** Registrations from one address. */
  registrationsPerAddress: number;
  /** Passkey sign-in challenges (POST /auth/passkeys/authentication/options) one address may ask for: each is a stored row. */
  passkeyChallengesPerAddress: number;
  /** Password-reset requests, resets and e-mail codes from one client address. */
  recoveryPerAddress: number;
  /** Password-reset requests per username or e-mail given, and e-mail codes tried per address. */
  recoveryPerAccount: number;
  /** Mails (verification, reset) one account, and one e-mail address, is sent. */
  mailsPerAccount: number;
  /** The counting window, and how long a block lasts. */
  windowSeconds: number;
}

/** The bcrypt worker pool's admission: see "Brute-force defence" in docs/operations.md. */
export interface HashingConfiguration {
  /** Password hashes one client address may have queued or running at once. */
  concurrencyPerAddress: number;
  /** Hashes waiting for a thread, beyond those running; more are refused with 503. */
  queueLimit: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Environment = Record<string, string | undefined>;

const DEFAULT_DATABASE_URL = 'sqlite:data/app.sqlite';
const MINIMUM_SECRET_BYTES = 32;
const GENERATE_A_SECRET = 'generate one with: openssl rand -base64 48';

function invalid(variable: string, rule: string): never {
  throw new ConfigurationError(`${variable} ${rule}`);
}

function readInteger(env: Environment, variable: string, fallback: number, min: number, max: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    invalid(variable, `must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

function readDurationSeconds(env: Environment, variable: string, fallback: string): number {
  const raw = env[variable] || fallback;
  // A bare number is seconds, as in jsonwebtoken's expiresIn; otherwise a unit is required (ms syntax).
  const milliseconds = /^\d+$/.test(raw) ? Number(raw) * 1000 : /^\d+\s*[a-z]+$/i.test(raw) ? ms(raw as StringValue) : undefined;
  if (typeof milliseconds !== 'number' || !Number.isFinite(milliseconds) || milliseconds < 1000) {
    invalid(variable, `must be a duration of at least one second such as 900, 30m, 12h or 14d (got "${raw}")`);
  }
  return Math.floor(milliseconds / 1000);
}

/** Reads DATABASE_URL alone, so the migration CLI needs nothing else from the environment. */
export function readDatabaseConfiguration(env: Environment = process.env): DatabaseConfiguration {
  const url = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const timeoutMs = readDurationSeconds(env, 'DATABASE_TIMEOUT', '5s') * 1000;
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) invalid('DATABASE_URL', 'must name a file after "sqlite:", such as sqlite:data/app.sqlite');
    return { type: 'sqlite', file: resolve(file), timeoutMs };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { type: 'postgres', url, poolSize: readInteger(env, 'DATABASE_POOL_SIZE', 10, 1, 1000), timeoutMs };
  return invalid('DATABASE_URL', 'must start with "sqlite:" or "postgres://"');
}

function dataDirectoryOf(database: DatabaseConfiguration): string {
  return database.type === 'sqlite' ? dirname(database.file) : resolve('data');
}

/**
 * The data folder cannot be made or written (a read-only or missing parent, a
 * file in the way): one line naming the path and what to change. Other errors
 * pass through as they are.
 */
export function dataFolderError(error: unknown, database: DatabaseConfiguration, generatedSecret?: string): unknown {
  const { code, syscall, path } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof syscall !== 'string') return error;
  const folder = dataDirectoryOf(database);
  const failure = `cannot ${syscall} ${path ?? folder} (${code})`;
  if (database.type === 'sqlite') {
    return new ConfigurationError(`DATABASE_URL keeps the data in ${folder}, and this user ${failure}: let this user write there, or point DATABASE_URL at a folder it can write`);
  }
  return new ConfigurationError(`${generatedSecret} is not set, so it is generated into ${folder}, and this user ${failure}: set ${generatedSecret}, or start from a folder where data/ can be written`);
}

/**
 * Outside production a missing secret is generated once and kept beside the
 * data (0600), so tokens and keys survive restarts. The 'wx' flag makes two
 * first starts agree.
 */
function readOrCreateDevelopmentSecret(dataDirectory: string, name: string): string {
  const file = join(dataDirectory, name);
  makePrivateFolder(dataDirectory);
  try {
    writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}

/** A secret from `variable`: required and strong in production, otherwise generated once into the data folder as `file`. */
function readSecret(env: Environment, variable: string, production: boolean, database: DatabaseConfiguration, file: string): string {
  const secret = env[variable];
  if (secret !== undefined && secret !== '') {
    if (Buffer.byteLength(secret, 'utf8') < MINIMUM_SECRET_BYTES) {
      invalid(variable, `must be at least ${MINIMUM_SECRET_BYTES} bytes long`);
    }
    const weakness = production ? weakSecretReason(secret) : null;
    if (weakness) invalid(variable, `${weakness}: not in production; ${GENERATE_A_SECRET}`);
    return secret;
  }
  if (production) invalid(variable, `is required when NODE_ENV=production (at least ${MINIMUM_SECRET_BYTES} bytes; ${GENERATE_A_SECRET})`);
  try {
    return readOrCreateDevelopmentSecret(dataDirectoryOf(database), file);
  } catch (error) {
    throw dataFolderError(error, database, variable);
  }
}

function readClientRegistration(env: Environment): ClientRegistrationMode {
  const raw = env.CLIENT_REGISTRATION || 'admin';
  if (!(CLIENT_REGISTRATION_MODES as readonly string[]).includes(raw)) invalid('CLIENT_REGISTRATION', `must be one of ${CLIENT_REGISTRATION_MODES.join(', ')} (got "${raw}")`);
  return raw as ClientRegistrationMode;
}

function readJwtAlgorithm(env: Environment): JwtAlgorithm {
  const raw = env.JWT_ALGORITHM || 'RS256';
  if (!(JWT_ALGORITHMS as readonly string[]).includes(raw)) invalid('JWT_ALGORITHM', `must be one of ${JWT_ALGORITHMS.join(', ')} (got "${raw}")`);
  return raw as JwtAlgorithm;
}

/** An http(s) base URL (no query, fragment or credentials), without its trailing slashes. */
function readBaseUrl(env: Environment, variable: string, fallback: string, rule: string): string {
  const raw = env[variable]?.trim() || fallback;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) {
    invalid(variable, `must be ${rule} (got "${raw}")`);
  }
  return raw.replace(/\/+$/, '');
}

function readPublicUrl(env: Environment, port: number): string {
  return readBaseUrl(env, 'PUBLIC_URL', `http://127.0.0.1:${port}`, 'the http(s) base URL clients use, such as https://auth.example.com');
}

/** Like readDurationSeconds, but 0 (or 0s) is allowed: "at once". */
function readDurationSecondsOrZero(env: Environment, variable: string, fallback: string): number {
  return /^0+\s*[a-z]*$/i.test(env[variable] ?? '') ? 0 : readDurationSeconds(env, variable, fallback);
}

function passwordOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

/** Production refuses the example's placeholders wherever a password is configured. */
function refusePlaceholder(variable: string, value: string | undefined, production: boolean): void {
  if (production && value && weakSecretReason(value)?.startsWith('is a placeholder')) {
    invalid(variable, 'is a placeholder (such as the value in deploy/instance.env.example): not in production');
  }
}

function readAdmin(env: Environment, production: boolean): AppConfiguration['admin'] {
  const username = env.ADMIN_USERNAME;
  const password = env.ADMIN_PASSWORD;
  refusePlaceholder('ADMIN_PASSWORD', password, production);
  if (!username && !password) return null;
  if (!username) invalid('ADMIN_USERNAME', 'must be set when ADMIN_PASSWORD is');
  if (!password) invalid('ADMIN_PASSWORD', 'must be set when ADMIN_USERNAME is');
  if (!isValidUsername(username)) invalid('ADMIN_USERNAME', `must be ${USERNAME_RULE}`);
  if (!isWellFormedPassword(password)) invalid('ADMIN_PASSWORD', `must be ${PASSWORD_FORM_RULE}`);
  return { username, password };
}

function readPasswordPolicy(env: Environment): PasswordPolicyConfiguration {
  const check = env.PASSWORD_BREACH_CHECK?.trim() || 'off';
  if (!(BREACH_CHECKS as readonly string[]).includes(check)) invalid('PASSWORD_BREACH_CHECK', `must be one of ${BREACH_CHECKS.join(', ')} (got "${check}")`);
  return {
    minLength: readInteger(env, 'PASSWORD_MIN_LENGTH', PASSWORD_MIN_LENGTH_DEFAULT, PASSWORD_MIN_LENGTH_DEFAULT, PASSWORD_MIN_LENGTH_LIMIT),
    breachCheck:
      check === 'hibp'
        ? {
            apiUrl: readBaseUrl(env, 'HIBP_API_URL', HIBP_API_URL, `the http(s) base URL of the Pwned Passwords range API, such as ${HIBP_API_URL}`),
            timeoutSeconds: readDurationSeconds(env, 'HIBP_TIMEOUT', '2s'),
          }
        : null,
  };
}

function readCorsOrigins(env: Environment): string[] {
  const raw = env.CORS_ORIGINS?.trim();
  if (!raw) return [];
  return raw.split(',').map((origin) => {
    const trimmed = origin.trim();
    let parsed: URL | null = null;
    try {
      parsed = new URL(trimmed);
    } catch {
      // reported below
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== trimmed) {
      invalid('CORS_ORIGINS', `must be a comma-separated list of origins such as https://app.example.com (got "${trimmed}")`);
    }
    return trimmed;
  });
}

function readLogLevel(env: Environment): LogLevel {
  const raw = env.LOG_LEVEL || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) invalid('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${raw}")`);
  return raw as LogLevel;
}

function readRedisUrl(env: Environment): string | null {
  const url = env.REDIS_URL?.trim();
  if (!url) return null;
  if (!/^rediss?:\/\/./.test(url)) invalid('REDIS_URL', `must start with redis:// or rediss:// (got "${url}")`);
  return url;
}

/** The named ranges Fastify's trustProxy (proxy-addr) knows, besides addresses and subnets. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a subnet (10.0.0.0/8, fd00::/8, 10.0.0.0/255.0.0.0) or a named range, as proxy-addr takes them. */
function isProxyRange(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address, range, ...rest] = entry.split('/');
  const version = isIP(address);
  if (!version || rest.length) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (version === 4 ? 32 : 128);
  // An IPv4 netmask: ones, then zeros.
  const bits = range.split('.').map((octet) => Number(octet).toString(2).padStart(8, '0')).join('');
  return version === 4 && isIP(range) === 4 && /^1*0*$/.test(bits);
}

function readTrustProxy(env: Environment): AppConfiguration['trustProxy'] {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (!raw.split(',').every((entry) => isProxyRange(entry.trim()))) {
    invalid('TRUST_PROXY', `must be true, false, a hop count, or a comma-separated list of addresses, subnets (10.0.0.0/8) and loopback, linklocal, uniquelocal (got "${raw}")`);
  }
  return raw;
}

function readBoolean(env: Environment, variable: string, fallback: boolean): boolean {
  const raw = env[variable]?.trim();
  if (!raw) return fallback;
  if (raw !== 'true' && raw !== 'false') invalid(variable, `must be true or false (got "${raw}")`);
  return raw === 'true';
}

/** A host name or an IP address of this machine; whether it is one is known only when the service listens. */
function readHost(env: Environment): string {
  const raw = env.HOST?.trim() || '127.0.0.1';
  const hostname = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
  if (!isIP(raw) && !hostname.test(raw)) invalid('HOST', `must be an IP address or a host name, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface) (got "${raw}")`);
  return raw;
}

function readDocs(env: Environment, production: boolean): DocsConfiguration {
  return {
    enabled: readBoolean(env, 'DOCS_ENABLED', true),
    persistAuthorization: readBoolean(env, 'DOCS_PERSIST_AUTHORIZATION', !production),
  };
}

function readThrottle(env: Environment): ThrottleConfiguration {
  return {
    failuresPerUsernameAndAddress: readInteger(env, 'THROTTLE_LOGIN_FAILURES', 5, 1, 1_000_000),
    failuresPerAddress: readInteger(env, 'THROTTLE_ADDRESS_FAILURES', 50, 1, 1_000_000),
    failuresPerAccount: readInteger(env, 'THROTTLE_ACCOUNT_FAILURES', 20, 1, 1_000_000),
    registrationsPerAddress: readInteger(env, 'THROTTLE_REGISTRATIONS', 20, 1, 1_000_000),
    passkeyChallengesPerAddress: readInteger(env, 'THROTTLE_PASSKEY_CHALLENGES', 100, 1, 1_000_000),
    recoveryPerAddress: readInteger(env, 'THROTTLE_RECOVERY_REQUESTS', 20, 1, 1_000_000),
    recoveryPerAccount: readInteger(env, 'THROTTLE_RECOVERY_ACCOUNT_REQUESTS', 5, 1, 1_000_000),
    mailsPerAccount: readInteger(env, 'THROTTLE_MAILS', 5, 1, 1_000_000),
    windowSeconds: readDurationSeconds(env, 'THROTTLE_WINDOW', '15m'),
  };
}

function readHashing(env: Environment): HashingConfiguration {
  return {
    concurrencyPerAddress: readInteger(env, 'HASH_CONCURRENCY_PER_ADDRESS', 2, 1, 1_000_000),
    queueLimit: readInteger(env, 'HASH_QUEUE_LIMIT', 64, 1, 1_000_000),
  };
}

function readHttpServer(env: Environment): HttpServerConfiguration {
  const http = {
    requestTimeoutSeconds: readDurationSeconds(env, 'HTTP_REQUEST_TIMEOUT', '30s'),
    headersTimeoutSeconds: readDurationSeconds(env, 'HTTP_HEADERS_TIMEOUT', '10s'),
    keepAliveTimeoutSeconds: readDurationSeconds(env, 'HTTP_KEEP_ALIVE_TIMEOUT', '5s'),
    maxConnections: readInteger(env, 'HTTP_MAX_CONNECTIONS', 10_000, 1, 1_000_000),
    shutdownDrainSeconds: readDurationSecondsOrZero(env, 'SHUTDOWN_DRAIN', '5s'),
    shutdownTimeoutSeconds: readDurationSeconds(env, 'SHUTDOWN_TIMEOUT', '10s'),
  };
  // Node refuses a headers timeout longer than the request timeout.
  if (http.headersTimeoutSeconds > http.requestTimeoutSeconds) invalid('HTTP_HEADERS_TIMEOUT', 'must not be longer than HTTP_REQUEST_TIMEOUT');
  // The requests accepted during the drain need time to finish after it.
  if (http.shutdownTimeoutSeconds <= http.shutdownDrainSeconds) invalid('SHUTDOWN_TIMEOUT', `must be longer than SHUTDOWN_DRAIN (${http.shutdownDrainSeconds} s)`);
  return http;
}

function readSmtpUrl(env: Environment, production: boolean): string | null {
  const raw = env.SMTP_URL?.trim();
  if (!raw) return null;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  // The URL is never echoed: it may hold the password.
  if (!url || !/^smtps?:$/.test(url.protocol) || !url.hostname) invalid('SMTP_URL', 'must be smtp://user:password@host:port or smtps://… (the password URL-encoded)');
  refusePlaceholder('SMTP_URL', passwordOf(raw), production);
  return raw;
}

/** `alice@example.com` or `Gatehouse <no-reply@example.com>`; a bare host (no-reply@localhost) is fine for the outbox. */
function readMailFrom(env: Environment, production: boolean, smtpUrl: string | null): string {
  const raw = env.MAIL_FROM?.trim();
  if (!raw) {
    if (production && smtpUrl) invalid('MAIL_FROM', 'is required with SMTP_URL when NODE_ENV=production: the sender your provider accepts, such as "Gatehouse <no-reply@example.com>"');
    return 'Gatehouse <no-reply@localhost>';
  }
  const address = /^[^<>]*<([^<>]+)>$/.exec(raw)?.[1] ?? raw;
  // A domain without a dot is refused for accounts, but the local host is a fair sender for a development outbox.
  const atLocalhost = /^[^@]+@localhost$/.test(address) && isValidEmail(address.replace(/@localhost$/, '@localhost.test'));
  if (!(isValidEmail(address) || atLocalhost) || /[\r\n]/.test(raw)) invalid('MAIL_FROM', `must be an e-mail address or Name <address> (got "${raw}")`);
  return raw;
}

function readMail(env: Environment, production: boolean, dataDirectory: string): MailConfiguration {
  const enabled = readBoolean(env, 'EMAIL_ENABLED', true);
  const smtpUrl = readSmtpUrl(env, production);
  // Outside production the outbox lets anyone finish a reset without a mail server; in production nobody would read it.
  if (production && enabled && !smtpUrl) {
    invalid('SMTP_URL', 'is required when NODE_ENV=production (smtp://user:password@host:port or smtps://…), or set EMAIL_ENABLED=false to turn off e-mail addresses and password reset');
  }
  return {
    enabled,
    smtpUrl,
    from: readMailFrom(env, production, smtpUrl),
    outboxDirectory: join(dataDirectory, 'outbox'),
    sendAttempts: readInteger(env, 'MAIL_SEND_ATTEMPTS', 3, 1, 10),
    retryDelaySeconds: readDurationSecondsOrZero(env, 'MAIL_RETRY_DELAY', '5s'),
    linkBase: env.EMAIL_LINK_BASE?.trim()
      ? readBaseUrl(env, 'EMAIL_LINK_BASE', '', 'the http(s) base URL of the front end that opens the mailed links, such as https://app.example.com/account')
      : null,
  };
}

/** A folder that exists; what is in it is checked when the pages start (PageTemplates). */
function readTemplatesDirectory(env: Environment): string | null {
  const raw = env.PAGES_TEMPLATES_DIR?.trim();
  if (!raw) return null;
  const folder = resolve(raw);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) invalid('PAGES_TEMPLATES_DIR', `must be a folder of page templates (got "${raw}", which is not a folder)`);
  return folder;
}

const BRAND_NAME_MAX_LENGTH = 100;

function readBrandName(env: Environment): string {
  const raw = env.BRAND_NAME?.trim() || 'Gatehouse';
  if ([...raw].length > BRAND_NAME_MAX_LENGTH || /\p{Cc}/u.test(raw)) invalid('BRAND_NAME', `must be at most ${BRAND_NAME_MAX_LENGTH} characters, without control characters`);
  return raw;
}

/**
 * An https:// URL (its origin is allowed in the pages' img-src), or a path on
 * this host, served by whatever serves the host besides Gatehouse (a proxy).
 * Never http:// (mixed content on an https page), data: or javascript:.
 */
function readBrandLogoUrl(env: Environment): string | null {
  const raw = env.BRAND_LOGO_URL?.trim();
  if (!raw) return null;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // a path, or reported below
  }
  const httpsUrl = url !== null && url.protocol === 'https:' && !url.username && !url.password;
  const path = /^\/(?![/\\])[^\s\\]*$/.test(raw);
  if (!httpsUrl && !path) invalid('BRAND_LOGO_URL', `must be an https:// URL or a path on this host such as /branding/logo.svg (got "${raw}")`);
  return raw;
}

function readBrandColor(env: Environment): string {
  const raw = env.BRAND_COLOR?.trim() || DEFAULT_BRAND_COLOR;
  if (!/^#[0-9a-f]{6}$/i.test(raw)) invalid('BRAND_COLOR', `must be a colour written #rrggbb, such as ${DEFAULT_BRAND_COLOR} (got "${raw}")`);
  return raw.toLowerCase();
}

function readPages(env: Environment): PagesConfiguration {
  return {
    templatesDirectory: readTemplatesDirectory(env),
    brand: { name: readBrandName(env), logoUrl: readBrandLogoUrl(env), color: readBrandColor(env) },
  };
}

/**
 * WEBAUTHN_RP_ID must be PUBLIC_URL's host or a suffix of it at a dot
 * (WebAuthn §5.1.4.1, HTML's "is a registrable domain suffix of or is equal
 * to"): a browser refuses any other, so every ceremony would fail. An IP
 * address is never an RP ID.
 */
function readWebAuthn(env: Environment, publicUrl: string, brandName: string): WebAuthnConfiguration {
  const rawId = env.WEBAUTHN_RP_ID?.trim().toLowerCase() || null;
  if (rawId !== null) {
    const host = new URL(publicUrl).hostname;
    const domain = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
    if (!domain.test(rawId) || isIP(rawId)) invalid('WEBAUTHN_RP_ID', `must be a domain name such as example.com (got "${rawId}")`);
    if (host !== rawId && !host.endsWith(`.${rawId}`)) invalid('WEBAUTHN_RP_ID', `must be PUBLIC_URL's host (${host}) or a parent domain of it (got "${rawId}")`);
  }
  const rpName = env.WEBAUTHN_RP_NAME?.trim() || brandName;
  if ([...rpName].length > BRAND_NAME_MAX_LENGTH || /\p{Cc}/u.test(rpName)) invalid('WEBAUTHN_RP_NAME', `must be at most ${BRAND_NAME_MAX_LENGTH} characters, without control characters`);
  return { rpId: rawId, rpName };
}

/**
 * METRICS_TOKEN: what Prometheus sends as its bearer token. Unset, there is no
 * /metrics route. Long enough not to be guessed, and in production held to
 * the strength of the other secrets.
 */
function readMetricsToken(env: Environment, production: boolean): string | null {
  const token = env.METRICS_TOKEN;
  if (token === undefined || token === '') return null;
  if (!/^[\x21-\x7e]+$/.test(token)) invalid('METRICS_TOKEN', 'must be printable ASCII without spaces (it is sent in an Authorization header)');
  if (Buffer.byteLength(token, 'utf8') < MINIMUM_SECRET_BYTES) invalid('METRICS_TOKEN', `must be at least ${MINIMUM_SECRET_BYTES} bytes long; ${GENERATE_A_SECRET}`);
  const weakness = production ? weakSecretReason(token) : null;
  if (weakness) invalid('METRICS_TOKEN', `${weakness}: not in production; ${GENERATE_A_SECRET}`);
  return token;
}

function readBackchannelLogout(env: Environment): BackchannelLogoutConfiguration {
  const retryBaseSeconds = readDurationSeconds(env, 'BACKCHANNEL_LOGOUT_RETRY_BASE', '2s');
  const retryMaxSeconds = readDurationSeconds(env, 'BACKCHANNEL_LOGOUT_RETRY_MAX', '60s');
  if (retryMaxSeconds < retryBaseSeconds) invalid('BACKCHANNEL_LOGOUT_RETRY_MAX', `must be at least BACKCHANNEL_LOGOUT_RETRY_BASE (${retryBaseSeconds} s)`);
  return {
    retryBaseSeconds,
    retryMaxSeconds,
    maxAttempts: readInteger(env, 'BACKCHANNEL_LOGOUT_MAX_ATTEMPTS', 20, 1, 1000),
    maxAgeSeconds: readDurationSeconds(env, 'BACKCHANNEL_LOGOUT_MAX_AGE', '24h'),
  };
}

function readSecurityNotices(env: Environment): SecurityNoticesConfiguration {
  const raw = (env.SECURITY_NOTICES ?? '').trim().toLowerCase() || 'all';
  let kinds: SecurityNoticeKind[] = [];
  if (raw === 'all') kinds = [...SECURITY_NOTICE_KINDS];
  else if (raw !== 'none') {
    const named = raw.split(',').map((kind) => kind.trim());
    const unknown = named.find((kind) => !(SECURITY_NOTICE_KINDS as readonly string[]).includes(kind));
    if (unknown !== undefined) invalid('SECURITY_NOTICES', `must be all, none, or a comma-separated list of ${SECURITY_NOTICE_KINDS.join(', ')} (got "${unknown}")`);
    kinds = named as SecurityNoticeKind[];
  }
  const retryBaseSeconds = readDurationSeconds(env, 'NOTICE_RETRY_BASE', '30s');
  const retryMaxSeconds = readDurationSeconds(env, 'NOTICE_RETRY_MAX', '30m');
  if (retryMaxSeconds < retryBaseSeconds) invalid('NOTICE_RETRY_MAX', `must be at least NOTICE_RETRY_BASE (${retryBaseSeconds} s)`);
  return {
    kinds: new Set(kinds),
    intervalSeconds: readDurationSeconds(env, 'NOTICE_INTERVAL', '15m'),
    retryBaseSeconds,
    retryMaxSeconds,
    maxAttempts: readInteger(env, 'NOTICE_MAX_ATTEMPTS', 10, 1, 1000),
    maxAgeSeconds: readDurationSeconds(env, 'NOTICE_MAX_AGE', '24h'),
  };
}

/**
 * With PORT=0 (any free port) and no PUBLIC_URL, the default base URL, and the
 * issuer when it follows it, can name the port only once the service listens.
 */
export function settlePort(config: AppConfiguration, port: number): void {
  if (!config.publicUrlAwaitsPort) return;
  const defaultIssuer = config.jwt.issuer === config.publicUrl;
  config.publicUrl = `http://127.0.0.1:${port}`;
  if (defaultIssuer) config.jwt.issuer = config.publicUrl;
  config.publicUrlAwaitsPort = false;
}

/** The one place that reads the environment; throws ConfigurationError on a bad value. */
export function loadConfiguration(env: Environment = process.env): AppConfiguration {
  const production = env.NODE_ENV === 'production';
  const host = readHost(env);
  const port = readInteger(env, 'PORT', 3000, 0, 65535);
  const publicUrl = readPublicUrl(env, port);
  const algorithm = readJwtAlgorithm(env);
  const database = readDatabaseConfiguration(env);
  if (database.type === 'postgres') refusePlaceholder('DATABASE_URL', passwordOf(database.url), production);
  const dataDirectory = dataDirectoryOf(database);
  const pages = readPages(env);
  return {
    production,
    host,
    port,
    database,
    dataDirectory,
    publicUrl,
    publicUrlAwaitsPort: port === 0 && !env.PUBLIC_URL?.trim(),
    jwt: {
      algorithm,
      secret: algorithm === 'HS256' ? readSecret(env, 'JWT_SECRET', production, database, 'jwt-secret') : null,
      issuer: env.JWT_ISSUER || publicUrl,
      audience: env.JWT_AUDIENCE || 'gatehouse',
      accessTokenTtlSeconds: readDurationSeconds(env, 'ACCESS_TOKEN_TTL', '30m'),
    },
    keys: {
      encryptionSecret: readSecret(env, 'KEY_ENCRYPTION_SECRET', production, database, 'key-encryption-secret'),
      publishAheadSeconds: readDurationSecondsOrZero(env, 'KEY_PUBLISH_AHEAD', '10m'),
      rotationIntervalSeconds: env.KEY_ROTATION_INTERVAL ? readDurationSeconds(env, 'KEY_ROTATION_INTERVAL', '90d') : null,
      reloadIntervalSeconds: readDurationSeconds(env, 'KEY_RELOAD_INTERVAL', '30s'),
    },
    refreshTokenTtlSeconds: readDurationSeconds(env, 'REFRESH_TOKEN_TTL', '14d'),
    sessionMaxLifetimeSeconds: readDurationSeconds(env, 'SESSION_MAX_LIFETIME', '30d'),
    bcryptRounds: readInteger(env, 'BCRYPT_ROUNDS', 12, 4, 31),
    hashing: readHashing(env),
    admin: readAdmin(env, production),
    passwordPolicy: readPasswordPolicy(env),
    redisUrl: readRedisUrl(env),
    redisKeyPrefix: env.REDIS_KEY_PREFIX || 'gatehouse:',
    corsOrigins: readCorsOrigins(env),
    logLevel: readLogLevel(env),
    trustProxy: readTrustProxy(env),
    throttle: readThrottle(env),
    http: readHttpServer(env),
    auditRetentionSeconds: readDurationSeconds(env, 'AUDIT_RETENTION', '90d'),
    metricsToken: readMetricsToken(env, production),
    docs: readDocs(env, production),
    mail: readMail(env, production, dataDirectory),
    oauth: { passwordGrant: readBoolean(env, 'PASSWORD_GRANT', true), authorizationCodeTtlSeconds: 60, requirePushedAuthorizationRequests: readBoolean(env, 'REQUIRE_PAR', false), dpopNonce: readBoolean(env, 'DPOP_NONCE', false) },
    clients: {
      secretGraceSeconds: readDurationSecondsOrZero(env, 'CLIENT_SECRET_GRACE', '24h'),
      allowPrivateUris: readBoolean(env, 'ALLOW_PRIVATE_CLIENT_URIS', false),
      registration: readClientRegistration(env),
      registrationTtlSeconds: readDurationSeconds(env, 'REGISTRATION_TTL', '24h'),
    },
    backchannelLogout: readBackchannelLogout(env),
    securityNotices: readSecurityNotices(env),
    pages,
    webauthn: readWebAuthn(env, publicUrl, pages.brand.name),
  };
}

/**
 * Reads `.env` from the working folder into process.env, when there is one
 * (Node's own parser): a variable the environment already has keeps its
 * value. Returns whether there was one. Called once, before loadConfiguration.
 */
export function loadDotEnv(file = '.env'): boolean {
  if (!existsSync(file)) return false;
  try {
    process.loadEnvFile(file);
  } catch (error) {
    throw new ConfigurationError(`${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return true;
}

/** Injects the configuration: `@Inject(APP_CONFIGURATION) config: AppConfiguration` (see AppConfigModule). */
export const APP_CONFIGURATION = getConfigToken('app');
