import type { ClientsService } from '../clients/clients.service.js';
import { BadRequestException, HttpException, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { describe, expect, it, vi } from 'vitest';
import { TooManyRequestsException } from '../../http/too-many-requests.exception.js';
import type { PasswordPolicyService } from '../../password-policy/password-policy.service.js';
import type { PasswordsService } from '../../passwords/passwords.service.js';
import type { User } from '../../users/entities/user.entity.js';
import type { UsersService } from '../../users/users.service.js';
import type { RequestContext } from '../../http/request-context.js';
import type { DpopProofsService } from '../../dpop/dpop-proofs.service.js';
import { AuthService } from '../../auth/auth.service.js';
import { LoginService } from '../../login/login.service.js';
import { TokenEndpointService } from '../grants/token-endpoint.service.js';
import { IdTokensService } from '../openid/id-tokens.service.js';
import type { SigningKeysService } from '../../tokens/signing-keys.service.js';
import { TokenIssuer } from '../grants/token-issuer.service.js';
import { PasswordGrant } from '../grants/password.grant.js';
import { RefreshTokenGrant } from '../grants/refresh-token.grant.js';
import { MfaGrant } from '../grants/mfa.grant.js';
import type { ClientAuthenticationService } from '../client-authentication/client-authentication.service.js';
import type { Session } from '../../sessions/entities/session.entity.js';
import type { CountedLogin, LoginThrottleService } from '../../login/login-throttle.service.js';
import type { RefreshTokensService } from '../refresh-tokens/refresh-tokens.service.js';
import type { AccessTokensService } from '../../tokens/access-tokens.service.js';
import type { VerifiedCredentialsCache } from '../../login/verified-credentials.cache.js';
import type { SessionsService } from '../../sessions/sessions.service.js';
import type { MfaService } from '../../mfa/mfa.service.js';
import type { EmailVerificationService } from '../../auth/email-verification.service.js';
import type { AppConfiguration } from '../../config/configuration.js';

const PASSWORD = 'correct horse battery';
const WRONG_PASSWORD = 'wrong horse battery';
const NEW_PASSWORD = 'new staple battery';
const STORED_HASH = '$2b$10$' + 'a'.repeat(53);
const NEW_HASH = '$2b$12$' + 'b'.repeat(53);
const ADDRESS = '203.0.113.9';
const REQUEST: RequestContext = { clientAddress: ADDRESS, userAgent: 'vitest', requestId: 'request-1' };
const SESSION_ID = '00000000-0000-4000-8000-000000000001';
const SESSION_END = new Date('2030-01-01T00:00:00Z');
const SESSION = { id: SESSION_ID, expiresAt: SESSION_END, clientId: null, scope: null } as Session;

const alice = { id: 7, username: 'alice', usernameKey: 'alice', passwordHash: STORED_HASH, role: 'user', credentialsVersion: 1 } as User;

/** A promise the test settles by hand, to see what the service does (or does not do) while it waits. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}
/** Lets every pending continuation run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Test doubles for every dependency: alice exists, and PASSWORD is her password. */
function setUp() {
  const attempt = {
    loggedIn: vi.fn<CountedLogin['loggedIn']>(async () => {}),
    succeeded: vi.fn<CountedLogin['succeeded']>(async () => {}),
    notChecked: vi.fn<CountedLogin['notChecked']>(async () => {}),
  };
  const usersService = {
    findByUsername: vi.fn<UsersService['findByUsername']>(async (username) => (username === alice.username ? alice : null)),
    findById: vi.fn<UsersService['findById']>(async (id) => (id === alice.id ? alice : null)),
    replacePasswordHash: vi.fn<UsersService['replacePasswordHash']>(async () => {}),
    changePassword: vi.fn<UsersService['changePassword']>(async () => {}),
  };
  const passwordsService = {
    verifyPassword: vi.fn<PasswordsService['verifyPassword']>(async (password, hash) => (hash === STORED_HASH && password === PASSWORD ? { rehash: false } : null)),
    hashPassword: vi.fn<PasswordsService['hashPassword']>(async () => NEW_HASH),
  };
  const tokensService = { sign: vi.fn<AccessTokensService['sign']>(async () => ({ accessToken: 'signed.jwt', expiresIn: 900 })) };
  const refreshTokensService = {
    issue: vi.fn<RefreshTokensService['issue']>(async () => ({ refreshToken: 'first-refresh-token', session: SESSION })),
    rotate: vi.fn<RefreshTokensService['rotate']>(async () => ({ ok: true, userId: alice.id, session: SESSION, next: 'next-refresh-token' })),
  };
  const sessions = { endAll: vi.fn<SessionsService['endAll']>(async () => 1) };
  const mfa = { createChallenge: vi.fn<MfaService['createChallenge']>(async () => 'mfa-token'), verifyCode: vi.fn<MfaService['verifyCode']>(async () => null) };
  const events = { emit: vi.fn<EventEmitter2['emit']>(() => true) };
  const loginThrottle = { consumeLoginAttempt: vi.fn<LoginThrottleService['consumeLoginAttempt']>(async () => attempt) };
  const verifiedCredentials = {
    lookup: vi.fn<VerifiedCredentialsCache['lookup']>(() => undefined),
    changeCount: vi.fn<VerifiedCredentialsCache['changeCount']>(() => 0),
    remember: vi.fn<VerifiedCredentialsCache['remember']>(),
  };
  const passwordPolicy = { enforce: vi.fn<PasswordPolicyService['enforce']>(async () => {}) };
  const config = { mail: { enabled: true }, oauth: { passwordGrant: true } } as unknown as AppConfiguration;
  const login = new LoginService(
    usersService as unknown as UsersService,
    passwordsService as unknown as PasswordsService,
    loginThrottle as unknown as LoginThrottleService,
    verifiedCredentials as unknown as VerifiedCredentialsCache,
    mfa as unknown as MfaService,
    events as unknown as EventEmitter2,
  );
  const service = new AuthService(
    usersService as unknown as UsersService,
    passwordsService as unknown as PasswordsService,
    login,
    loginThrottle as unknown as LoginThrottleService,
    sessions as unknown as SessionsService,
    passwordPolicy as unknown as PasswordPolicyService,
    events as unknown as EventEmitter2,
    { mailVerification: vi.fn() } as unknown as EmailVerificationService,
    config,
  );
  // First-party sessions have no client, so no id token: the key store is never asked.
  const idTokens = new IdTokensService({} as SigningKeysService, config);
  // No client in these grants: the registry is never asked.
  const issuer = new TokenIssuer(tokensService as unknown as AccessTokensService, refreshTokensService as unknown as RefreshTokensService, idTokens, {} as ClientsService);
  const grants = [
    new PasswordGrant(login, mfa as unknown as MfaService, issuer, config),
    new RefreshTokenGrant(refreshTokensService as unknown as RefreshTokensService, usersService as unknown as UsersService, issuer, events as unknown as EventEmitter2),
    new MfaGrant(login, mfa as unknown as MfaService, usersService as unknown as UsersService, issuer, config),
  ];
  // No client presents itself in these requests: the first-party grants.
  // …and send no DPoP proof.
  const tokenEndpoint = new TokenEndpointService(grants, { authenticate: async () => null } as unknown as ClientAuthenticationService, { verifyRequest: async () => null } as unknown as DpopProofsService);
  const grantToken = (body: Record<string, unknown>) => tokenEndpoint.grant(body, { headers: {}, ip: ADDRESS, id: 'request-1', method: 'POST', url: '/auth/token' }, REQUEST);
  return { service, login, grantToken, events, attempt, usersService, passwordsService, tokensService, refreshTokensService, loginThrottle, verifiedCredentials, sessions, passwordPolicy };
}

/** The OAuth2 error code (`error`) of the exception the promise rejects with. */
async function oauthErrorOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => expect.unreachable('expected an OAuth2 error'),
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(HttpException);
  return ((error as HttpException).getResponse() as { error: string }).error;
}

describe('LoginService.authenticate', () => {
  it('counts the login attempt before any password work, and checks nothing until the attempt is granted', async () => {
    const { login, usersService, passwordsService, loginThrottle, attempt } = setUp();
    const granted = deferred<CountedLogin>();
    loginThrottle.consumeLoginAttempt.mockReturnValueOnce(granted.promise);

    const attemptInFlight = login.authenticate('alice', PASSWORD, REQUEST, 'password');
    await settle();
    expect(loginThrottle.consumeLoginAttempt).toHaveBeenCalledWith('alice', REQUEST);
    expect(usersService.findByUsername).not.toHaveBeenCalled();
    expect(passwordsService.verifyPassword).not.toHaveBeenCalled();

    granted.resolve(attempt);
    expect(await attemptInFlight).toBe(alice);
    expect(passwordsService.verifyPassword).toHaveBeenCalledWith(PASSWORD, STORED_HASH, ADDRESS);
  });

  it('checks no password when the throttle refuses the attempt (429)', async () => {
    const { login, usersService, passwordsService, loginThrottle } = setUp();
    loginThrottle.consumeLoginAttempt.mockRejectedValueOnce(new TooManyRequestsException('Too many failed logins', 60));

    await expect(login.authenticate('alice', PASSWORD, REQUEST, 'password')).rejects.toBeInstanceOf(TooManyRequestsException);
    expect(usersService.findByUsername).not.toHaveBeenCalled();
    expect(passwordsService.verifyPassword).not.toHaveBeenCalled();
  });

  it('settles the attempt as a completed login when the password is right and no second factor is owed', async () => {
    const { login, attempt } = setUp();
    expect(await login.authenticate('alice', PASSWORD, REQUEST, 'password')).toBe(alice);
    expect(attempt.loggedIn).toHaveBeenCalledTimes(1);
    expect(attempt.succeeded).not.toHaveBeenCalled();
    expect(attempt.notChecked).not.toHaveBeenCalled();
  });

  it('only gives the attempt back when the password is right but a second factor is owed: no reset, no known address', async () => {
    const { login, attempt, usersService } = setUp();
    const withTwoFactor = { ...alice, totpEnabled: true } as User;
    usersService.findByUsername.mockResolvedValueOnce(withTwoFactor);
    expect(await login.authenticate('alice', PASSWORD, REQUEST, 'password')).toBe(withTwoFactor);
    expect(attempt.succeeded).toHaveBeenCalledTimes(1);
    expect(attempt.loggedIn).not.toHaveBeenCalled();
  });

  it('keeps the attempt counted (neither loggedIn, succeeded nor notChecked) when the password is wrong', async () => {
    const { login, attempt, passwordsService } = setUp();
    expect(await login.authenticate('alice', WRONG_PASSWORD, REQUEST, 'password')).toBeNull();
    expect(passwordsService.verifyPassword).toHaveBeenCalledWith(WRONG_PASSWORD, STORED_HASH, ADDRESS);
    expect(attempt.succeeded).not.toHaveBeenCalled();
    expect(attempt.loggedIn).not.toHaveBeenCalled();
    expect(attempt.notChecked).not.toHaveBeenCalled();
  });

  it('gives the attempt back (notChecked) and rethrows when the password could not be checked (503 from the hashing pool)', async () => {
    const { login, attempt, passwordsService } = setUp();
    const refusal = new ServiceUnavailableException('Too many password checks are waiting; try again shortly.');
    passwordsService.verifyPassword.mockRejectedValueOnce(refusal);

    await expect(login.authenticate('alice', PASSWORD, REQUEST, 'password')).rejects.toBe(refusal);
    expect(attempt.notChecked).toHaveBeenCalledTimes(1);
    expect(attempt.succeeded).not.toHaveBeenCalled();
  });

  it.each([
    ['a username that breaks the rules', 'a b', PASSWORD],
    ['a password that breaks the rules', 'alice', 'short'],
  ])('refuses %s with null, without reading the database or hashing', async (_case, username, password) => {
    const { login, usersService, passwordsService, attempt } = setUp();
    expect(await login.authenticate(username, password, REQUEST, 'password')).toBeNull();
    expect(usersService.findByUsername).not.toHaveBeenCalled();
    expect(passwordsService.verifyPassword).not.toHaveBeenCalled();
    expect(passwordsService.hashPassword).not.toHaveBeenCalled();
    expect(attempt.succeeded).not.toHaveBeenCalled();
  });

  it('spends a password comparison (against no hash) on an unknown user too, so timing tells nothing', async () => {
    const { login, passwordsService, attempt } = setUp();
    expect(await login.authenticate('mallory', PASSWORD, REQUEST, 'password')).toBeNull();
    expect(passwordsService.verifyPassword).toHaveBeenCalledTimes(1);
    expect(passwordsService.verifyPassword).toHaveBeenCalledWith(PASSWORD, undefined, ADDRESS);
    expect(attempt.succeeded).not.toHaveBeenCalled();
  });

  /** The stored hash verified, and PasswordsService says it is outdated (another cost, or made before passwords were normalised). */
  const outdated = async (password: string, hash: string | undefined) => (hash === STORED_HASH && password === PASSWORD ? { rehash: true } : null);

  it('replaces an outdated hash after a successful login, only if it is still the hash verified', async () => {
    const { login, usersService, passwordsService } = setUp();
    passwordsService.verifyPassword.mockImplementation(outdated);

    expect(await login.authenticate('alice', PASSWORD, REQUEST, 'password')).toBe(alice);
    expect(passwordsService.hashPassword).toHaveBeenCalledWith(PASSWORD);
    expect(usersService.replacePasswordHash).toHaveBeenCalledWith(alice.id, STORED_HASH, NEW_HASH);
  });

  it('does not rehash after a failed login, even when the stored hash is outdated', async () => {
    const { login, usersService, passwordsService } = setUp();
    passwordsService.verifyPassword.mockImplementation(outdated);

    expect(await login.authenticate('alice', WRONG_PASSWORD, REQUEST, 'password')).toBeNull();
    expect(passwordsService.hashPassword).not.toHaveBeenCalled();
    expect(usersService.replacePasswordHash).not.toHaveBeenCalled();
  });

  it('leaves a current hash as it is', async () => {
    const { login, usersService, passwordsService } = setUp();
    expect(await login.authenticate('alice', PASSWORD, REQUEST, 'password')).toBe(alice);
    expect(passwordsService.hashPassword).not.toHaveBeenCalled();
    expect(usersService.replacePasswordHash).not.toHaveBeenCalled();
  });
});

describe('TokenEndpointService.grant (first-party grants)', () => {
  it('password grant: answers access token, bearer type, lifetime and the new session’s refresh token', async () => {
    const { grantToken, tokensService, refreshTokensService } = setUp();
    const response = await grantToken({ grant_type: 'password', username: 'alice', password: PASSWORD });

    expect(response).toEqual({ access_token: 'signed.jwt', token_type: 'bearer', expires_in: 900, refresh_token: 'first-refresh-token' });
    expect(refreshTokensService.issue).toHaveBeenCalledWith(alice, REQUEST, expect.objectContaining({ clientId: null, amr: 'pwd' }), { refreshToken: undefined, expiresAt: undefined });
    expect(tokensService.sign).toHaveBeenCalledWith(alice, SESSION, undefined, null);
  });

  it('treats a missing grant_type as the password grant', async () => {
    const { grantToken, loginThrottle } = setUp();
    const response = await grantToken({ username: 'alice', password: PASSWORD });
    expect(response.refresh_token).toBe('first-refresh-token');
    expect(loginThrottle.consumeLoginAttempt).toHaveBeenCalledWith('alice', REQUEST);
  });

  it('password grant with a wrong password: invalid_grant, and no session is started', async () => {
    const { grantToken, refreshTokensService, tokensService } = setUp();
    expect(await oauthErrorOf(grantToken({ grant_type: 'password', username: 'alice', password: WRONG_PASSWORD }))).toBe('invalid_grant');
    expect(refreshTokensService.issue).not.toHaveBeenCalled();
    expect(tokensService.sign).not.toHaveBeenCalled();
  });

  it('password grant for a user deleted between the check and the session (issue gives null): invalid_grant, no access token', async () => {
    const { grantToken, refreshTokensService, tokensService } = setUp();
    refreshTokensService.issue.mockResolvedValueOnce(null);

    expect(await oauthErrorOf(grantToken({ grant_type: 'password', username: 'alice', password: PASSWORD }))).toBe('invalid_grant');
    expect(tokensService.sign).not.toHaveBeenCalled();
  });

  it('an unknown grant_type: unsupported_grant_type, without touching credentials or tokens', async () => {
    const { grantToken, loginThrottle, refreshTokensService } = setUp();
    expect(await oauthErrorOf(grantToken({ grant_type: 'urn:example:unknown' }))).toBe('unsupported_grant_type');
    expect(loginThrottle.consumeLoginAttempt).not.toHaveBeenCalled();
    expect(refreshTokensService.rotate).not.toHaveBeenCalled();
  });

  it('refresh_token grant: answers new tokens carrying the rotated refresh token', async () => {
    const { grantToken, refreshTokensService, usersService } = setUp();
    const response = await grantToken({ grant_type: 'refresh_token', refresh_token: 'first-refresh-token' });

    expect(refreshTokensService.rotate).toHaveBeenCalledWith('first-refresh-token', REQUEST, expect.any(Function));
    expect(usersService.findById).toHaveBeenCalledWith(alice.id);
    expect(response).toEqual({ access_token: 'signed.jwt', token_type: 'bearer', expires_in: 900, refresh_token: 'next-refresh-token' });
  });

  it('refresh_token grant with a reused token: invalid_grant, no access token, and a reuse event naming the user and session', async () => {
    const { grantToken, refreshTokensService, tokensService, events } = setUp();
    refreshTokensService.rotate.mockResolvedValueOnce({ ok: false, reason: 'reused', userId: alice.id, sessionId: 'session-1' });

    expect(await oauthErrorOf(grantToken({ grant_type: 'refresh_token', refresh_token: 'spent' }))).toBe('invalid_grant');
    expect(tokensService.sign).not.toHaveBeenCalled();
    expect(events.emit).toHaveBeenCalledWith(
      'audit.refresh-token.reused',
      expect.objectContaining({ type: 'refresh-token.reused', outcome: 'failure', subjectId: alice.id, requestId: 'request-1', details: { sessionId: 'session-1' } }),
    );
  });

  it('refresh_token grant for a user gone after the rotation: invalid_grant, no access token', async () => {
    const { grantToken, usersService, tokensService } = setUp();
    usersService.findById.mockResolvedValueOnce(null);

    expect(await oauthErrorOf(grantToken({ grant_type: 'refresh_token', refresh_token: 'first-refresh-token' }))).toBe('invalid_grant');
    expect(tokensService.sign).not.toHaveBeenCalled();
  });
});

describe('AuthService.changePassword', () => {
  it('refuses a wrong current password with 401 and changes nothing', async () => {
    const { service, usersService, passwordsService, sessions } = setUp();
    await expect(service.changePassword(alice, { currentPassword: WRONG_PASSWORD, newPassword: NEW_PASSWORD }, REQUEST)).rejects.toBeInstanceOf(UnauthorizedException);

    expect(passwordsService.verifyPassword).toHaveBeenCalledWith(WRONG_PASSWORD, STORED_HASH, ADDRESS);
    expect(passwordsService.hashPassword).not.toHaveBeenCalled();
    expect(usersService.changePassword).not.toHaveBeenCalled();
    expect(sessions.endAll).not.toHaveBeenCalled();
  });

  it('refuses a new password the policy refuses, once the current one is proven, and changes nothing', async () => {
    const { service, usersService, passwordsService, sessions, passwordPolicy } = setUp();
    passwordPolicy.enforce.mockRejectedValueOnce(new BadRequestException('newPassword must not contain the username'));
    await expect(service.changePassword(alice, { currentPassword: PASSWORD, newPassword: 'alice-and-more' }, REQUEST)).rejects.toBeInstanceOf(BadRequestException);

    expect(passwordPolicy.enforce).toHaveBeenCalledWith('alice-and-more', 'alice', 'newPassword');
    expect(passwordsService.verifyPassword).toHaveBeenCalledWith(PASSWORD, STORED_HASH, ADDRESS);
    expect(passwordsService.hashPassword).not.toHaveBeenCalled();
    expect(usersService.changePassword).not.toHaveBeenCalled();
    expect(sessions.endAll).not.toHaveBeenCalled();
  });

  it('stores the new hash (a new credentials version) before it revokes the user’s sessions', async () => {
    const { service, usersService, passwordsService, sessions, loginThrottle } = setUp();
    const written = deferred<void>();
    usersService.changePassword.mockReturnValueOnce(written.promise);

    const change = service.changePassword(alice, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, REQUEST);
    await settle();
    // Guessing the current password is a login attempt like any other.
    expect(loginThrottle.consumeLoginAttempt).toHaveBeenCalledWith('alice', REQUEST);
    expect(passwordsService.hashPassword).toHaveBeenCalledWith(NEW_PASSWORD, ADDRESS);
    expect(usersService.changePassword).toHaveBeenCalledWith(alice.id, NEW_HASH);
    expect(sessions.endAll).not.toHaveBeenCalled();

    written.resolve();
    await change;
    expect(sessions.endAll).toHaveBeenCalledWith(alice.id);
  });
});

describe('LoginService.authenticateBasic', () => {
  it('serves a recently verified pair from the cache without the throttle or a password check', async () => {
    const { login, verifiedCredentials, loginThrottle, passwordsService, usersService } = setUp();
    verifiedCredentials.lookup.mockReturnValueOnce(alice.id);

    expect(await login.authenticateBasic('alice', PASSWORD, REQUEST)).toBe(alice);
    expect(verifiedCredentials.lookup).toHaveBeenCalledWith('alice', PASSWORD);
    expect(usersService.findById).toHaveBeenCalledWith(alice.id);
    expect(loginThrottle.consumeLoginAttempt).not.toHaveBeenCalled();
    expect(passwordsService.verifyPassword).not.toHaveBeenCalled();
  });

  it('checks the password as a login when the cached pair’s user is gone', async () => {
    const { login, verifiedCredentials, loginThrottle, usersService } = setUp();
    verifiedCredentials.lookup.mockReturnValueOnce(alice.id);
    usersService.findById.mockResolvedValueOnce(null);
    usersService.findByUsername.mockResolvedValueOnce(null);

    expect(await login.authenticateBasic('alice', PASSWORD, REQUEST)).toBeNull();
    expect(loginThrottle.consumeLoginAttempt).toHaveBeenCalledWith('alice', REQUEST);
  });

  it('remembers a verified pair with the change count taken before the check, so a change during it keeps the pair out', async () => {
    const { login, verifiedCredentials, passwordsService } = setUp();
    let changesHeard = 3;
    verifiedCredentials.changeCount.mockImplementation(() => changesHeard);
    passwordsService.verifyPassword.mockImplementationOnce(async () => {
      // A password change is heard while bcrypt runs.
      changesHeard++;
      return { rehash: false };
    });

    expect(await login.authenticateBasic('alice', PASSWORD, REQUEST)).toBe(alice);
    expect(verifiedCredentials.remember).toHaveBeenCalledWith('alice', PASSWORD, alice.id, 3);
  });

  it('does not remember a pair that failed the check', async () => {
    const { login, verifiedCredentials } = setUp();
    expect(await login.authenticateBasic('alice', WRONG_PASSWORD, REQUEST)).toBeNull();
    expect(verifiedCredentials.remember).not.toHaveBeenCalled();
  });
});
