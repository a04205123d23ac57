import { randomUUID } from 'node:crypto';
import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { generateRegistrationOptions, verifyRegistrationResponse, type PublicKeyCredentialCreationOptionsJSON, type RegistrationResponseJSON } from '@simplewebauthn/server';
import { Repository, type EntityManager } from 'typeorm';
import { isUniqueViolation } from '../database/database-errors.js';
import type { RequestContext } from '../http/request-context.js';
import { LoginService } from '../login/login.service.js';
import { raiseSecurityEvent, type Actor } from '../security-events/security-event.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { User } from '../users/entities/user.entity.js';
import { Passkey } from './entities/passkey.entity.js';
import { RelyingParty } from './relying-party.js';
import { challengeOf, userHandleOf } from './webauthn-responses.js';
import { CHALLENGE_TTL_SECONDS, WebAuthnChallengesService } from './webauthn-challenges.service.js';

/** How recent a sign-in lets a session add a passkey without the password again (OAUTH.md). */
export const RECENT_SIGN_IN_SECONDS = 300;

export const PASSWORD_NEEDED = 'Adding a passkey needs a sign-in within the last 5 minutes: send your current password as {"password": …}.';
export const WRONG_PASSWORD = 'The password is wrong.';
export const REGISTRATION_FAILED = 'The passkey could not be verified: its challenge is unknown, expired or spent (ask for new options), or the answer does not match them.';
export const ALREADY_REGISTERED = 'This passkey is already registered.';
export const NO_SUCH_PASSKEY = 'No such passkey.';
export const LAST_PASSKEY =
  'This is your last passkey and your account has no password: removing it would leave no way to sign in. Add another passkey first.';

/** Who asks to add a passkey: the account, and the session of its Bearer token, or Basic (which carries the password itself). */
export interface RegistrationRequester {
  user: User;
  sessionId?: string;
  basic: boolean;
  password?: string;
  request: RequestContext;
}

/**
 * An account's passkeys: adding one (WebAuthn §7.1, the registration
 * ceremony), listing, naming and removing them, for the account and for
 * admins. Signing in with one is PasskeyLoginService's.
 */
@Injectable()
export class PasskeysService {
  constructor(
    @InjectRepository(Passkey) private readonly passkeys: Repository<Passkey>,
    private readonly challenges: WebAuthnChallengesService,
    private readonly relyingParty: RelyingParty,
    private readonly login: LoginService,
    private readonly sessions: SessionsService,
    private readonly events: EventEmitter2,
  ) {}

  list(userId: number): Promise<Passkey[]> {
    return this.passkeys.find({ where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /**
   * The creation options: a discoverable credential (a passkey, found at
   * sign-in without a username), user verification preferred, none of the
   * account's authenticators twice (excludeCredentials, WebAuthn §5.4.3). A
   * stolen access token alone must not tie an attacker's authenticator to the
   * account: a sign-in within the last 5 minutes, or the password now.
   */
  async registrationOptions(requester: RegistrationRequester): Promise<PublicKeyCredentialCreationOptionsJSON> {
    await this.requireRecentSignIn(requester);
    const { user, request } = requester;
    const existing = await this.list(user.id);
    const { challenge } = await this.challenges.issue('registration', user.id);
    const options = await generateRegistrationOptions({
      rpName: this.relyingParty.name,
      rpID: this.relyingParty.id,
      userName: user.username,
      userDisplayName: user.username,
      userID: userHandleOf(user.id),
      challenge: Buffer.from(challenge, 'base64url'),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports ? passkey.transports.split(' ') : undefined })),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
    });
    raiseSecurityEvent(this.events, { type: 'passkey.registration-started', actorId: user.id, subjectId: user.id, request });
    return options;
  }

  /**
   * The answer of navigator.credentials.create(): its challenge is spent
   * first (one answer per challenge, whatever instance gets it), then
   * verified (origin, RP ID, user presence, the attested key) and stored.
   */
  async register(user: User, name: string, response: RegistrationResponseJSON, request: RequestContext): Promise<Passkey> {
    const echoed = challengeOf(response);
    const challenge = echoed && (await this.challenges.spendForUser(echoed, user.id, 'registration'));
    const verified = challenge ? await this.verifyRegistration(response, challenge) : null;
    if (!verified) {
      raiseSecurityEvent(this.events, { type: 'passkey.registered', outcome: 'failure', actorId: user.id, subjectId: user.id, request, details: { reason: challenge ? 'not-verified' : 'no-challenge' } });
      throw new BadRequestException(REGISTRATION_FAILED);
    }
    const { credential, credentialDeviceType, credentialBackedUp } = verified;
    const passkey = this.passkeys.create({
      id: randomUUID(),
      userId: user.id,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: (credential.transports ?? []).join(' '),
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      name: name.trim(),
      lastUsedAt: null,
    });
    try {
      await this.passkeys.insert(passkey);
    } catch (error) {
      if (isUniqueViolation(error, 'credential_id')) throw new ConflictException(ALREADY_REGISTERED);
      throw error;
    }
    raiseSecurityEvent(this.events, { type: 'passkey.registered', actorId: user.id, subjectId: user.id, request, details: { passkeyId: passkey.id, deviceType: credentialDeviceType, backedUp: credentialBackedUp } });
    return (await this.passkeys.findOneBy({ id: passkey.id }))!;
  }

  async rename(userId: number, id: string, name: string, request: RequestContext): Promise<Passkey> {
    const renamed = await this.passkeys.update({ id, userId }, { name: name.trim() });
    if (renamed.affected !== 1) throw new NotFoundException(NO_SUCH_PASSKEY);
    raiseSecurityEvent(this.events, { type: 'passkey.renamed', actorId: userId, subjectId: userId, request, details: { passkeyId: id } });
    return (await this.passkeys.findOneBy({ id }))!;
  }

  /**
   * The account removes one of its passkeys (another account's is 404, as if
   * it did not exist). The last one goes only while a way to sign in remains:
   * a password (today every account has one, so this always holds) or another
   * passkey. TOTP does not count: it completes a password login, it is not one.
   * The account's passkeys are locked while this is decided, so two removals
   * at once cannot each leave the other as the last.
   */
  async remove(user: User, id: string, request: RequestContext): Promise<void> {
    await this.withPasskeysLocked(user.id, async (passkeys) => {
      const owned = await passkeys.existsBy({ id, userId: user.id });
      if (!owned) throw new NotFoundException(NO_SUCH_PASSKEY);
      // The account as stored now, not as the request's principal was cached.
      const account = await passkeys.manager.findOne(User, { where: { id: user.id }, select: { id: true, passwordHash: true } });
      if (!hasPassword(account ?? { passwordHash: '' }) && (await passkeys.countBy({ userId: user.id })) <= 1) throw new ConflictException(LAST_PASSKEY);
      await passkeys.delete({ id, userId: user.id });
    });
    raiseSecurityEvent(this.events, { type: 'passkey.deleted', actorId: user.id, subjectId: user.id, request, details: { passkeyId: id } });
  }

  /** An admin removes a passkey of an account (a lost or stolen authenticator): no last-passkey rule, which is the account's own protection from itself. */
  async removeAsAdmin(userId: number, id: string, by: Actor): Promise<void> {
    const removed = await this.passkeys.delete({ id, userId });
    if (removed.affected !== 1) throw new NotFoundException(NO_SUCH_PASSKEY);
    raiseSecurityEvent(this.events, { type: 'passkey.deleted', subjectId: userId, ...by, details: { passkeyId: id, byAdmin: true } });
  }

  private async requireRecentSignIn({ user, sessionId, basic, password, request }: RegistrationRequester): Promise<void> {
    if (password !== undefined) {
      if (!(await this.login.authenticate(user.username, password, request, 'current-password'))) throw new UnauthorizedException(WRONG_PASSWORD);
      return;
    }
    // Basic carries the password in this very request: it was just checked.
    if (basic) return;
    const session = sessionId === undefined ? null : await this.sessions.findLive(sessionId);
    const signedInAt = session && (session.authTime ?? session.createdAt);
    if (!signedInAt || Date.now() - signedInAt.getTime() > RECENT_SIGN_IN_SECONDS * 1000) throw new ForbiddenException(PASSWORD_NEEDED);
  }

  private async verifyRegistration(response: RegistrationResponseJSON, challenge: string) {
    try {
      const result = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.relyingParty.origin,
        expectedRPID: this.relyingParty.id,
        requireUserVerification: false,
      });
      return result.verified ? result.registrationInfo : null;
    } catch {
      // A malformed or forged answer: @simplewebauthn says why in its message, which is not the client's to read.
      return null;
    }
  }

  /**
   * PostgreSQL: in a transaction that first locks the account's passkey rows,
   * so a second removal counts after the first has committed. SQLite runs
   * one write at a time, and its one shared connection must not hold a
   * transaction that other requests' statements would fall into.
   */
  private async withPasskeysLocked(userId: number, work: (passkeys: Repository<Passkey>) => Promise<void>): Promise<void> {
    if (this.passkeys.manager.connection.options.type !== 'postgres') return work(this.passkeys);
    await this.passkeys.manager.transaction(async (manager: EntityManager) => {
      await manager.query('SELECT id FROM passkeys WHERE user_id = $1 ORDER BY id FOR UPDATE', [userId]);
      await work(manager.getRepository(Passkey));
    });
  }
}

/**
 * Whether the account can sign in with a password: its hash is a bcrypt
 * hash. Every account has one today (registration needs a password); an
 * account made without one (a passkey-only sign-up, or a hash an operator
 * blanked) would hold anything else, and then its last passkey is its only way in.
 */
export function hasPassword(user: Pick<User, 'passwordHash'>): boolean {
  return /^\$2[aby]\$\d\d\$/.test(user.passwordHash);
}
