import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfiguration, loadDotEnv, readDatabaseConfiguration, SECURITY_NOTICE_KINDS } from './configuration.js';

const temp = () => mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
/** What `openssl rand -base64 48` gives. */
const secret = randomBytes(48).toString('base64');
/** Production with HS256 and real secrets, where a test varies one thing. */
const PRODUCTION = { NODE_ENV: 'production', JWT_ALGORITHM: 'HS256', KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64'), EMAIL_ENABLED: 'false' };

describe('loadConfiguration', () => {
  it('has the defaults of API.md', () => {
    const directory = temp();
    const config = loadConfiguration({ DATABASE_URL: `sqlite:${directory}/app.sqlite` });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      production: false,
      database: { type: 'sqlite', file: `${directory}/app.sqlite` },
      publicUrl: 'http://127.0.0.1:3000',
      publicUrlAwaitsPort: false,
      jwt: { algorithm: 'RS256', secret: null, issuer: 'http://127.0.0.1:3000', audience: 'gatehouse', accessTokenTtlSeconds: 1800 },
      keys: { publishAheadSeconds: 600, rotationIntervalSeconds: null, reloadIntervalSeconds: 30 },
      refreshTokenTtlSeconds: 14 * 86400,
      sessionMaxLifetimeSeconds: 30 * 86400,
      bcryptRounds: 12,
      hashing: { concurrencyPerAddress: 2, queueLimit: 64 },
      http: { requestTimeoutSeconds: 30, headersTimeoutSeconds: 10, keepAliveTimeoutSeconds: 5, maxConnections: 10_000, shutdownDrainSeconds: 5, shutdownTimeoutSeconds: 10 },
      admin: null,
      redisUrl: null,
      redisKeyPrefix: 'gatehouse:',
      corsOrigins: [],
      logLevel: 'info',
      trustProxy: false,
      throttle: {
        failuresPerUsernameAndAddress: 5,
        failuresPerAddress: 50,
        failuresPerAccount: 20,
        registrationsPerAddress: 20,
        passkeyChallengesPerAddress: 100,
        recoveryPerAddress: 20,
        recoveryPerAccount: 5,
        mailsPerAccount: 5,
        windowSeconds: 900,
      },
      mail: { enabled: true, smtpUrl: null, from: 'Gatehouse <no-reply@localhost>', outboxDirectory: `${directory}/outbox`, sendAttempts: 3, retryDelaySeconds: 5 },
      auditRetentionSeconds: 90 * 86400,
      metricsToken: null,
      docs: { enabled: true, persistAuthorization: true },
      pages: { templatesDirectory: null, brand: { name: 'Gatehouse', logoUrl: null, color: '#2451b7' } },
    });
    expect(config.mail.linkBase).toBeNull();
  });

  it('reads the mail settings: SMTP_URL, MAIL_FROM, the tries, and EMAIL_ENABLED', () => {
    const env = { DATABASE_URL: `sqlite:${temp()}/a.sqlite` };
    const smtp = 'smtps://apikey:s3cr%2Ft@smtp.example.com:465';
    expect(loadConfiguration({ ...env, SMTP_URL: smtp, MAIL_FROM: 'Acme <auth@acme.example>', MAIL_SEND_ATTEMPTS: '5', MAIL_RETRY_DELAY: '0' }).mail).toMatchObject({
      smtpUrl: smtp,
      from: 'Acme <auth@acme.example>',
      sendAttempts: 5,
      retryDelaySeconds: 0,
    });
    expect(loadConfiguration({ ...env, EMAIL_ENABLED: 'false' }).mail.enabled).toBe(false);
    expect(() => loadConfiguration({ ...env, EMAIL_ENABLED: 'no' })).toThrow('EMAIL_ENABLED must be true or false (got "no")');
    expect(() => loadConfiguration({ ...env, SMTP_URL: 'smtp//user:password@host' })).toThrow(/^SMTP_URL must be smtp:\/\/user:password@host:port or smtps:\/\/… \(the password URL-encoded\)$/);
    expect(() => loadConfiguration({ ...env, MAIL_FROM: 'Acme <auth@acme.example>\r\nBcc: all@example.com' })).toThrow(/^MAIL_FROM must be/);
    expect(() => loadConfiguration({ ...env, MAIL_SEND_ATTEMPTS: '0' })).toThrow('MAIL_SEND_ATTEMPTS must be a whole number from 1 to 10 (got "0")');
  });

  it('in production, needs SMTP_URL (never the outbox) and MAIL_FROM while e-mail is on, and refuses a placeholder password in SMTP_URL', () => {
    const env = { ...PRODUCTION, DATABASE_URL: `sqlite:${temp()}/a.sqlite`, JWT_SECRET: secret, EMAIL_ENABLED: '' };
    expect(() => loadConfiguration(env)).toThrow(
      'SMTP_URL is required when NODE_ENV=production (smtp://user:password@host:port or smtps://…), or set EMAIL_ENABLED=false to turn off e-mail addresses and password reset',
    );
    expect(() => loadConfiguration({ ...env, SMTP_URL: 'smtp://mailer:9d2f7c1a8b4e@smtp.example.com:587' })).toThrow(/^MAIL_FROM is required with SMTP_URL when NODE_ENV=production/);
    expect(() => loadConfiguration({ ...env, SMTP_URL: 'smtp://mailer:change-me@smtp.example.com:587', MAIL_FROM: 'auth@example.com' })).toThrow(/^SMTP_URL is a placeholder/);
    expect(loadConfiguration({ ...env, SMTP_URL: 'smtp://mailer:9d2f7c1a8b4e@smtp.example.com:587', MAIL_FROM: 'auth@example.com' }).mail.enabled).toBe(true);
    expect(loadConfiguration({ ...env, EMAIL_ENABLED: 'false' }).mail.enabled).toBe(false);
  });


  it('keeps Swagger UI from storing what Authorize was given in production, unless asked; turns /docs off when asked', () => {
    const env = { ...PRODUCTION, JWT_SECRET: secret, DATABASE_URL: `sqlite:${temp()}/a.sqlite`, EMAIL_ENABLED: 'false' };
    expect(loadConfiguration(env).docs).toEqual({ enabled: true, persistAuthorization: false });
    expect(loadConfiguration({ ...env, DOCS_PERSIST_AUTHORIZATION: 'true', DOCS_ENABLED: 'false' }).docs).toEqual({ enabled: false, persistAuthorization: true });
  });

  it.each(['0.0.0.0', '::', '::1', 'localhost', 'gatehouse.internal'])('listens on HOST=%s', (host) => {
    expect(loadConfiguration({ DATABASE_URL: `sqlite:${temp()}/a.sqlite`, HOST: host }).host).toBe(host);
  });

  it.each(['loopback', 'loopback, linklocal, uniquelocal', '10.0.0.0/8,192.168.1.1', '10.0.0.0/255.0.0.0', 'fd00::/8', '::1'])('takes TRUST_PROXY=%s as proxy addresses', (value) => {
    expect(loadConfiguration({ DATABASE_URL: `sqlite:${temp()}/a.sqlite`, TRUST_PROXY: value }).trustProxy).toBe(value);
  });

  it.each([
    ['a file in the way', () => `${temp()}/file/data/app.sqlite`, 'ENOTDIR'],
    ['under /proc, where a recursive mkdir never returns', () => '/proc/gatehouse/app.sqlite', 'ENOENT'],
  ])('says in one line when the data folder cannot be made: %s', (_case, file, code) => {
    const path = file();
    if (code === 'ENOTDIR') writeFileSync(dirname(dirname(path)), '');
    const folder = dirname(path);
    expect(() => loadConfiguration({ DATABASE_URL: `sqlite:${path}` })).toThrow(
      new ConfigurationError(`DATABASE_URL keeps the data in ${folder}, and this user cannot mkdir ${folder} (${code}): let this user write there, or point DATABASE_URL at a folder it can write`),
    );
  });

  it('names the secret to set when only it needs the data folder (PostgreSQL)', () => {
    const cwd = process.cwd();
    const folder = temp();
    writeFileSync(join(folder, 'data'), '');
    process.chdir(folder);
    try {
      expect(() => loadConfiguration({ DATABASE_URL: 'postgres://u@h/db' })).toThrow(
        `KEY_ENCRYPTION_SECRET is not set, so it is generated into ${join(folder, 'data')}, and this user cannot mkdir ${join(folder, 'data')} (EEXIST): set KEY_ENCRYPTION_SECRET, or start from a folder where data/ can be written`,
      );
    } finally {
      process.chdir(cwd);
    }
  });

  it('defaults the database to sqlite:data/app.sqlite', () => {
    expect(readDatabaseConfiguration({})).toEqual({ type: 'sqlite', file: join(process.cwd(), 'data/app.sqlite'), timeoutMs: 5000 });
  });

  it('selects PostgreSQL from a postgres:// URL', () => {
    expect(readDatabaseConfiguration({ DATABASE_URL: 'postgres://u@h:5432/db' })).toEqual({ type: 'postgres', url: 'postgres://u@h:5432/db', poolSize: 10, timeoutMs: 5000 });
    expect(readDatabaseConfiguration({ DATABASE_URL: 'postgres://u@h/db', DATABASE_POOL_SIZE: '25' })).toMatchObject({ poolSize: 25 });
    expect(readDatabaseConfiguration({ DATABASE_URL: 'postgres://u@h/db', DATABASE_TIMEOUT: '2s' })).toMatchObject({ timeoutMs: 2000 });
    expect(() => readDatabaseConfiguration({ DATABASE_TIMEOUT: 'soon' })).toThrow(/DATABASE_TIMEOUT/);
  });

  it('generates a JWT secret once outside production, keeps it private in the data folder, and reuses it', () => {
    const directory = temp();
    const env = { DATABASE_URL: `sqlite:${directory}/app.sqlite`, JWT_ALGORITHM: 'HS256' };
    const first = loadConfiguration(env).jwt.secret!;
    expect(first.length).toBeGreaterThanOrEqual(43);
    expect(loadConfiguration(env).jwt.secret).toBe(first);
    expect(readFileSync(join(directory, 'jwt-secret'), 'utf8')).toBe(first);
    expect(statSync(join(directory, 'jwt-secret')).mode & 0o777).toBe(0o600);
  });

  it('takes the issuer from PUBLIC_URL unless JWT_ISSUER says otherwise, and allows a publish-ahead of 0', () => {
    const env = { DATABASE_URL: `sqlite:${temp()}/a.sqlite`, PUBLIC_URL: 'https://auth.example.com/', KEY_PUBLISH_AHEAD: '0' };
    expect(loadConfiguration(env)).toMatchObject({ publicUrl: 'https://auth.example.com', jwt: { issuer: 'https://auth.example.com' }, keys: { publishAheadSeconds: 0 } });
    expect(loadConfiguration({ ...env, JWT_ISSUER: 'gatehouse' }).jwt.issuer).toBe('gatehouse');
  });

  it('reads durations such as 15m, 2h and 900', () => {
    const config = loadConfiguration({ DATABASE_URL: `sqlite:${temp()}/a.sqlite`, ACCESS_TOKEN_TTL: '15m', REFRESH_TOKEN_TTL: '900' });
    expect(config.jwt.accessTokenTtlSeconds).toBe(900);
    expect(config.refreshTokenTtlSeconds).toBe(900);
  });

  it.each([
    [{ NODE_ENV: 'production', JWT_ALGORITHM: 'HS256', KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64'), JWT_SECRET: '' }, /^JWT_SECRET is required when NODE_ENV=production/],
    [{ JWT_ALGORITHM: 'HS256', JWT_SECRET: 'short' }, /^JWT_SECRET must be at least 32 bytes/],
    [{ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: '' }, /^KEY_ENCRYPTION_SECRET is required when NODE_ENV=production .*openssl rand -base64 48\)$/],
    [{ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: 'change-me-to-the-output-of-openssl-rand-base64-48' }, /^KEY_ENCRYPTION_SECRET is a placeholder/],
    [{ JWT_ALGORITHM: 'PS256' }, /^JWT_ALGORITHM must be one of RS256, ES256, EdDSA, HS256 \(got "PS256"\)$/],
    [{ JWT_ALGORITHM: 'none' }, /^JWT_ALGORITHM must be one of/],
    [{ PUBLIC_URL: 'auth.example.com' }, /^PUBLIC_URL must be the http\(s\) base URL clients use/],
    [{ PUBLIC_URL: 'ftp://auth.example.com' }, /^PUBLIC_URL must be the http\(s\) base URL/],
    [{ PUBLIC_URL: 'https://auth.example.com/?x=1' }, /^PUBLIC_URL must be the http\(s\) base URL/],
    [{ KEY_PUBLISH_AHEAD: 'soon' }, /^KEY_PUBLISH_AHEAD must be a duration/],
    [{ KEY_ROTATION_INTERVAL: 'monthly' }, /^KEY_ROTATION_INTERVAL must be a duration/],
    [{ KEY_RELOAD_INTERVAL: '500ms' }, /^KEY_RELOAD_INTERVAL must be a duration of at least one second/],
    [{ PORT: 'eighty' }, /^PORT must be a whole number/],
    [{ PORT: '70000' }, /^PORT must be a whole number from 0 to 65535/],
    [{ BCRYPT_ROUNDS: '3' }, /^BCRYPT_ROUNDS must be a whole number from 4 to 31/],
    [{ ACCESS_TOKEN_TTL: 'soon' }, /^ACCESS_TOKEN_TTL must be a duration/],
    [{ REFRESH_TOKEN_TTL: '0s' }, /^REFRESH_TOKEN_TTL must be a duration/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must start with "sqlite:" or "postgres:\/\/"/],
    [{ DATABASE_URL: 'sqlite:' }, /^DATABASE_URL must name a file/],
    [{ CORS_ORIGINS: 'example.com' }, /^CORS_ORIGINS must be a comma-separated list of origins/],
    [{ CORS_ORIGINS: 'https://a.example, https://b.example/path' }, /^CORS_ORIGINS .*got "https:\/\/b.example\/path"/],
    [{ REDIS_URL: 'localhost:6379' }, /^REDIS_URL must start with redis:\/\//],
    [{ TRUST_PROXY: 'every$one' }, /^TRUST_PROXY must be true, false, a hop count/],
    [{ TRUST_PROXY: 'maybe' }, /^TRUST_PROXY must be true, false, a hop count, or a comma-separated list of addresses, subnets \(10.0.0.0\/8\) and loopback, linklocal, uniquelocal \(got "maybe"\)$/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /^TRUST_PROXY must be/],
    [{ TRUST_PROXY: '10.0.0.0/255.0.255.0' }, /^TRUST_PROXY must be/],
    [{ TRUST_PROXY: 'loopback,,10.0.0.1' }, /^TRUST_PROXY must be/],
    [{ HOST: 'not a host' }, /^HOST must be an IP address or a host name, such as 127.0.0.1 \(this machine only\) or 0.0.0.0 \(every interface\) \(got "not a host"\)$/],
    [{ HOST: 'http://localhost' }, /^HOST must be an IP address or a host name/],
    [{ DOCS_ENABLED: 'no' }, /^DOCS_ENABLED must be true or false \(got "no"\)$/],
    [{ DOCS_PERSIST_AUTHORIZATION: '1' }, /^DOCS_PERSIST_AUTHORIZATION must be true or false \(got "1"\)$/],
    [{ THROTTLE_LOGIN_FAILURES: '0' }, /^THROTTLE_LOGIN_FAILURES must be a whole number from 1/],
    [{ THROTTLE_WINDOW: 'forever' }, /^THROTTLE_WINDOW must be a duration/],
    [{ THROTTLE_ACCOUNT_FAILURES: '-1' }, /^THROTTLE_ACCOUNT_FAILURES must be a whole number from 1/],
    [{ HASH_CONCURRENCY_PER_ADDRESS: '0' }, /^HASH_CONCURRENCY_PER_ADDRESS must be a whole number from 1/],
    [{ HASH_QUEUE_LIMIT: 'lots' }, /^HASH_QUEUE_LIMIT must be a whole number from 1/],
    [{ SESSION_MAX_LIFETIME: 'a month' }, /^SESSION_MAX_LIFETIME must be a duration/],
    [{ HTTP_REQUEST_TIMEOUT: '0' }, /^HTTP_REQUEST_TIMEOUT must be a duration/],
    [{ HTTP_REQUEST_TIMEOUT: '5s', HTTP_HEADERS_TIMEOUT: '6s' }, /^HTTP_HEADERS_TIMEOUT must not be longer than HTTP_REQUEST_TIMEOUT/],
    [{ SHUTDOWN_DRAIN: '10s', SHUTDOWN_TIMEOUT: '10s' }, /^SHUTDOWN_TIMEOUT must be longer than SHUTDOWN_DRAIN \(10 s\)/],
    [{ HTTP_MAX_CONNECTIONS: '0' }, /^HTTP_MAX_CONNECTIONS must be a whole number from 1/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ AUDIT_RETENTION: 'a quarter' }, /^AUDIT_RETENTION must be a duration/],
    [{ METRICS_TOKEN: 'short-token' }, /^METRICS_TOKEN must be at least 32 bytes long; generate one with/],
    [{ METRICS_TOKEN: `${'a'.repeat(20)} ${'b'.repeat(20)}` }, /^METRICS_TOKEN must be printable ASCII without spaces/],
    [{ ...PRODUCTION, JWT_SECRET: secret, METRICS_TOKEN: 'x'.repeat(40) }, /^METRICS_TOKEN is one character repeated/],
    [{ ADMIN_USERNAME: 'root' }, /^ADMIN_PASSWORD must be set when ADMIN_USERNAME is/],
    [{ ADMIN_PASSWORD: 'password123' }, /^ADMIN_USERNAME must be set when ADMIN_PASSWORD is/],
    [{ ADMIN_USERNAME: 'r', ADMIN_PASSWORD: 'password123' }, /^ADMIN_USERNAME must be 3 to 64 characters/],
    [{ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'x'.repeat(73) }, /^ADMIN_PASSWORD must be at most 72 bytes of UTF-8 once normalised \(NFKC\), without control characters$/],
    [{ PASSWORD_MIN_LENGTH: '7' }, /^PASSWORD_MIN_LENGTH must be a whole number from 8 to 64 \(got "7"\)$/],
    [{ PASSWORD_MIN_LENGTH: '65' }, /^PASSWORD_MIN_LENGTH must be a whole number from 8 to 64/],
    [{ PASSWORD_BREACH_CHECK: 'yes' }, /^PASSWORD_BREACH_CHECK must be one of off, hibp \(got "yes"\)$/],
    [{ PASSWORD_BREACH_CHECK: 'hibp', HIBP_API_URL: 'api.pwnedpasswords.com' }, /^HIBP_API_URL must be the http\(s\) base URL of the Pwned Passwords range API/],
    [{ PASSWORD_BREACH_CHECK: 'hibp', HIBP_TIMEOUT: '0' }, /^HIBP_TIMEOUT must be a duration/],
  ])('refuses %o with a message naming the variable', (env, message) => {
    const run = () => loadConfiguration({ DATABASE_URL: `sqlite:${temp()}/a.sqlite`, JWT_SECRET: secret, ...env });
    expect(run).toThrow(ConfigurationError);
    expect(run).toThrow(message);
  });

  it('reads the password policy: 8 characters and no online check unless asked', () => {
    const env = { DATABASE_URL: `sqlite:${temp()}/a.sqlite` };
    expect(loadConfiguration(env).passwordPolicy).toEqual({ minLength: 8, breachCheck: null });
    expect(loadConfiguration({ ...env, PASSWORD_MIN_LENGTH: '64', PASSWORD_BREACH_CHECK: 'hibp' }).passwordPolicy).toEqual({
      minLength: 64,
      breachCheck: { apiUrl: 'https://api.pwnedpasswords.com', timeoutSeconds: 2 },
    });
    const local = { ...env, PASSWORD_BREACH_CHECK: 'hibp', HIBP_API_URL: 'http://127.0.0.1:9999/', HIBP_TIMEOUT: '5s' };
    expect(loadConfiguration(local).passwordPolicy.breachCheck).toEqual({ apiUrl: 'http://127.0.0.1:9999', timeoutSeconds: 5 });
  });

  it('reads CORS_ORIGINS as a list of origins', () => {
    const config = loadConfiguration({ DATABASE_URL: `sqlite:${temp()}/a.sqlite`, CORS_ORIGINS: 'https://a.example, http://localhost:5173' });
    expect(config.corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
  });

  it('refuses to start in production with the values of deploy/instance.env.example, naming the variable and how to make a real one', () => {
    const example = Object.fromEntries(
      readFileSync('deploy/instance.env.example', 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(example.NODE_ENV).toBe('production');
    expect(() => loadConfiguration(example)).toThrow(/^DATABASE_URL is a placeholder/);
    const database = 'postgres://gatehouse:9d2f7c1a8b4e@db/gatehouse';
    expect(() => loadConfiguration({ ...example, DATABASE_URL: database })).toThrow(/^KEY_ENCRYPTION_SECRET is a placeholder .*openssl rand -base64 48$/);
    expect(() => loadConfiguration({ ...example, DATABASE_URL: database, KEY_ENCRYPTION_SECRET: secret, JWT_ALGORITHM: 'HS256', JWT_SECRET: 'change-me-to-the-output-of-openssl-rand-base64-48' })).toThrow(/^JWT_SECRET is a placeholder .*openssl rand -base64 48$/);
    expect(() => loadConfiguration({ ...example, DATABASE_URL: database, KEY_ENCRYPTION_SECRET: secret })).toThrow(/^ADMIN_PASSWORD is a placeholder/);
    expect(() => loadConfiguration({ ...example, DATABASE_URL: database, KEY_ENCRYPTION_SECRET: secret, ADMIN_PASSWORD: secret })).toThrow(/^METRICS_TOKEN is a placeholder .*openssl rand -base64 48$/);
    expect(() => loadConfiguration({ ...example, DATABASE_URL: database, KEY_ENCRYPTION_SECRET: secret, ADMIN_PASSWORD: 'a-long-real-passphrase-9d2f', METRICS_TOKEN: secret })).toThrow(/^SMTP_URL is a placeholder/);
  });

  it.each([
    ['one repeated character', 'x'.repeat(48), /^JWT_SECRET is one character repeated/],
    ['a short pattern repeated', 'ab'.repeat(32), /^JWT_SECRET looks too regular to be random \(about 64 bits/],
    ['a word repeated', 'secretsecretsecretsecretsecret12', /^JWT_SECRET looks too regular/],
    ['a placeholder', 'please-change-me-before-you-go-live-0123', /^JWT_SECRET is a placeholder/],
  ])('refuses %s as JWT_SECRET in production, but not in development', (_case, weak, message) => {
    const env = { JWT_ALGORITHM: 'HS256', JWT_SECRET: weak, DATABASE_URL: `sqlite:${temp()}/a.sqlite` };
    expect(() => loadConfiguration({ ...env, NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: randomBytes(48).toString('base64') })).toThrow(message);
    expect(loadConfiguration(env).jwt.secret).toBe(weak);
  });

  it('takes a random JWT_SECRET in production (base64 or hex)', () => {
    expect(loadConfiguration({ ...PRODUCTION, JWT_SECRET: randomBytes(32).toString('hex'), DATABASE_URL: `sqlite:${temp()}/a.sqlite` }).production).toBe(true);
  });

  it('reads CLIENT_SECRET_GRACE: 24 hours by default, 0 for none', () => {
    const database = `sqlite:${temp()}/a.sqlite`;
    expect(loadConfiguration({ DATABASE_URL: database }).clients.secretGraceSeconds).toBe(86_400);
    expect(loadConfiguration({ DATABASE_URL: database, CLIENT_SECRET_GRACE: '90m' }).clients.secretGraceSeconds).toBe(5_400);
    expect(loadConfiguration({ DATABASE_URL: database, CLIENT_SECRET_GRACE: '0' }).clients.secretGraceSeconds).toBe(0);
    expect(() => loadConfiguration({ DATABASE_URL: database, CLIENT_SECRET_GRACE: 'a day' })).toThrow(/^CLIENT_SECRET_GRACE must be a duration/);
  });

  it('reads CLIENT_REGISTRATION (admin by default) and REGISTRATION_TTL (24 hours by default)', () => {
    const database = `sqlite:${temp()}/a.sqlite`;
    expect(loadConfiguration({ DATABASE_URL: database }).clients).toMatchObject({ registration: 'admin', registrationTtlSeconds: 86_400 });
    expect(loadConfiguration({ DATABASE_URL: database, CLIENT_REGISTRATION: 'open', REGISTRATION_TTL: '1h' }).clients).toMatchObject({ registration: 'open', registrationTtlSeconds: 3_600 });
    expect(() => loadConfiguration({ DATABASE_URL: database, CLIENT_REGISTRATION: 'anyone' })).toThrow(/^CLIENT_REGISTRATION must be one of admin, open, off/);
  });

  it('reads ALLOW_PRIVATE_CLIENT_URIS and the back-channel logout retries, with the defaults of API.md', () => {
    const database = `sqlite:${temp()}/a.sqlite`;
    expect(loadConfiguration({ DATABASE_URL: database })).toMatchObject({
      clients: { allowPrivateUris: false },
      backchannelLogout: { retryBaseSeconds: 2, retryMaxSeconds: 60, maxAttempts: 20, maxAgeSeconds: 86_400 },
    });
    const custom = { DATABASE_URL: database, ALLOW_PRIVATE_CLIENT_URIS: 'true', BACKCHANNEL_LOGOUT_RETRY_BASE: '1s', BACKCHANNEL_LOGOUT_RETRY_MAX: '5m', BACKCHANNEL_LOGOUT_MAX_ATTEMPTS: '8', BACKCHANNEL_LOGOUT_MAX_AGE: '2h' };
    expect(loadConfiguration(custom)).toMatchObject({ clients: { allowPrivateUris: true }, backchannelLogout: { retryBaseSeconds: 1, retryMaxSeconds: 300, maxAttempts: 8, maxAgeSeconds: 7_200 } });
    expect(() => loadConfiguration({ DATABASE_URL: database, BACKCHANNEL_LOGOUT_RETRY_BASE: '2m', BACKCHANNEL_LOGOUT_RETRY_MAX: '1m' })).toThrow(/^BACKCHANNEL_LOGOUT_RETRY_MAX must be at least BACKCHANNEL_LOGOUT_RETRY_BASE/);
    expect(() => loadConfiguration({ DATABASE_URL: database, BACKCHANNEL_LOGOUT_MAX_ATTEMPTS: '0' })).toThrow(/^BACKCHANNEL_LOGOUT_MAX_ATTEMPTS must be a whole number from 1 to 1000/);
    expect(() => loadConfiguration({ DATABASE_URL: database, ALLOW_PRIVATE_CLIENT_URIS: 'yes' })).toThrow(/^ALLOW_PRIVATE_CLIENT_URIS must be true or false/);
  });

  it('reads SECURITY_NOTICES (all, none or a list of kinds) and NOTICE_*, with the defaults of API.md', () => {
    const database = `sqlite:${temp()}/a.sqlite`;
    const defaults = loadConfiguration({ DATABASE_URL: database }).securityNotices;
    expect([...defaults.kinds].sort()).toEqual([...SECURITY_NOTICE_KINDS].sort());
    expect(defaults).toMatchObject({ intervalSeconds: 900, retryBaseSeconds: 30, retryMaxSeconds: 1_800, maxAttempts: 10, maxAgeSeconds: 86_400 });
    expect(loadConfiguration({ DATABASE_URL: database, SECURITY_NOTICES: 'none' }).securityNotices.kinds.size).toBe(0);
    expect([...loadConfiguration({ DATABASE_URL: database, SECURITY_NOTICES: ' new-sign-in , Lockout' }).securityNotices.kinds]).toEqual(['new-sign-in', 'lockout']);
    expect(loadConfiguration({ DATABASE_URL: database, NOTICE_INTERVAL: '1h', NOTICE_MAX_ATTEMPTS: '3' }).securityNotices).toMatchObject({ intervalSeconds: 3_600, maxAttempts: 3 });
    expect(() => loadConfiguration({ DATABASE_URL: database, SECURITY_NOTICES: 'new-sign-in,sms' })).toThrow(/^SECURITY_NOTICES must be all, none, or a comma-separated list of new-sign-in, .* \(got "sms"\)$/);
    expect(() => loadConfiguration({ DATABASE_URL: database, NOTICE_INTERVAL: '0' })).toThrow(/^NOTICE_INTERVAL must be a duration of at least one second/);
    expect(() => loadConfiguration({ DATABASE_URL: database, NOTICE_RETRY_BASE: '2m', NOTICE_RETRY_MAX: '1m' })).toThrow(/^NOTICE_RETRY_MAX must be at least NOTICE_RETRY_BASE/);
  });

  it('reads AUDIT_RETENTION and METRICS_TOKEN', () => {
    const token = randomBytes(32).toString('base64url');
    const config = loadConfiguration({ DATABASE_URL: `sqlite:${temp()}/a.sqlite`, AUDIT_RETENTION: '30d', METRICS_TOKEN: token });
    expect(config).toMatchObject({ auditRetentionSeconds: 30 * 86400, metricsToken: token });
  });

  it('reads the pages’ branding and templates folder, one line for a bad value', () => {
    const env = { DATABASE_URL: `sqlite:${temp()}/a.sqlite` };
    const folder = temp();
    expect(loadConfiguration({ ...env, BRAND_NAME: ' Acme <Accounts> ', BRAND_LOGO_URL: 'https://cdn.acme.example/logo.svg', BRAND_COLOR: '#0B6E4F', PAGES_TEMPLATES_DIR: folder }).pages).toEqual({
      templatesDirectory: folder,
      brand: { name: 'Acme <Accounts>', logoUrl: 'https://cdn.acme.example/logo.svg', color: '#0b6e4f' },
    });
    expect(loadConfiguration({ ...env, BRAND_LOGO_URL: '/branding/logo.svg' }).pages.brand.logoUrl).toBe('/branding/logo.svg');
    expect(() => loadConfiguration({ ...env, BRAND_COLOR: 'green' })).toThrow('BRAND_COLOR must be a colour written #rrggbb, such as #2451b7 (got "green")');
    expect(() => loadConfiguration({ ...env, BRAND_COLOR: '#0b6e4' })).toThrow(/^BRAND_COLOR must be/);
    for (const logo of ['http://cdn.acme.example/logo.svg', '//cdn.acme.example/logo.svg', 'javascript:alert(1)', 'data:image/svg+xml,<svg/>', 'logo.svg', 'https://user:pw@cdn.acme.example/logo.svg']) {
      expect(() => loadConfiguration({ ...env, BRAND_LOGO_URL: logo }), logo).toThrow(/^BRAND_LOGO_URL must be an https:\/\/ URL or a path on this host such as \/branding\/logo.svg/);
    }
    expect(() => loadConfiguration({ ...env, BRAND_NAME: 'A\nB' })).toThrow('BRAND_NAME must be at most 100 characters, without control characters');
    expect(() => loadConfiguration({ ...env, BRAND_NAME: 'x'.repeat(101) })).toThrow(/^BRAND_NAME must be/);
    expect(() => loadConfiguration({ ...env, PAGES_TEMPLATES_DIR: join(folder, 'missing') })).toThrow(/^PAGES_TEMPLATES_DIR must be a folder of page templates \(got ".*missing", which is not a folder\)$/);
  });

  it('reads EMAIL_LINK_BASE, the front end the mailed links open', () => {
    const env = { DATABASE_URL: `sqlite:${temp()}/a.sqlite` };
    expect(loadConfiguration({ ...env, EMAIL_LINK_BASE: 'https://app.example.com/account/' }).mail.linkBase).toBe('https://app.example.com/account');
    expect(() => loadConfiguration({ ...env, EMAIL_LINK_BASE: 'app.example.com' })).toThrow(/^EMAIL_LINK_BASE must be the http\(s\) base URL of the front end that opens the mailed links/);
    expect(() => loadConfiguration({ ...env, EMAIL_LINK_BASE: 'https://app.example.com/?x=1' })).toThrow(/^EMAIL_LINK_BASE must be/);
  });

  it('takes a long enough JWT_SECRET in production', () => {
    expect(loadConfiguration({ ...PRODUCTION, JWT_SECRET: secret, DATABASE_URL: `sqlite:${temp()}/a.sqlite` }).jwt.secret).toBe(secret);
  });
});

describe('loadDotEnv', () => {
  const names = ['GATEHOUSE_TEST_FROM_FILE', 'GATEHOUSE_TEST_IN_BOTH'];
  afterEach(() => names.forEach((name) => delete process.env[name]));

  it('adds what .env sets to the environment, where the environment wins', () => {
    const file = join(temp(), '.env');
    writeFileSync(file, '# comment\nGATEHOUSE_TEST_FROM_FILE="from the file"\nGATEHOUSE_TEST_IN_BOTH=file\n');
    process.env.GATEHOUSE_TEST_IN_BOTH = 'environment';
    expect(loadDotEnv(file)).toBe(true);
    expect(process.env.GATEHOUSE_TEST_FROM_FILE).toBe('from the file');
    expect(process.env.GATEHOUSE_TEST_IN_BOTH).toBe('environment');
  });

  it('does nothing without a .env', () => {
    expect(loadDotEnv(join(temp(), '.env'))).toBe(false);
  });
});
