import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { generateAuthenticationOptions, verifyAuthenticationResponse, type AuthenticationResponseJSON, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { Repository } from 'typeorm';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import type { RequestContext } from '../http/request-context.js';
import { LoginThrottleService } from '../login/login-throttle.service.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';
import { RateLimitsService } from '../throttle/rate-limits.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { Passkey, type PasskeyDeviceType } from './entities/passkey.entity.js';
import { RelyingParty } from './relying-party.js';
import { CHALLENGE_TTL_SECONDS, WebAuthnChallengesService } from './webauthn-challenges.service.js';
import { userIdOfHandle } from './webauthn-responses.js';

/** Sign-in options and the id of their challenge, which the answer comes back with. */
export type AuthenticationOptions = PublicKeyCredentialRequestOptionsJSON & { challengeId: string };

/** A passkey sign-in that succeeded: the account, and how it signed in (RFC 8176 `amr` values). */
export interface PasskeySignIn {
  user: User;
  amr: string[];
}

/** Why one failed, for the record (never told the client, which learns only that it failed). */
type Refusal = 'no-challenge' | 'malformed' | 'unknown-credential' | 'user-handle-mismatch' | 'not-verified' | 'counter-regressed';

/**
 * Signing in with a passkey (WebAuthn §7.2, the authentication ceremony)
 * for the passkey grant and the hosted login page: the same throttle and
 * audit trail as a password (LoginThrottleService, `login` events with
 * `method: "passkey"`), then the caller starts the session as for a password.
 * A passkey is phishing-resistant and, with user verification, two factors in
 * one (NIST SP 800-63B §5.1.8): no TOTP step follows.
 */
@Injectable()
export class PasskeyLoginService {
  /** Challenges asked for per address: each is a stored row, so an open endpoint must not become a way to fill the table. */
  private readonly challengesByAddress: RateLimiterAbstract;

  constructor(
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
    private readonly limits: RateLimitsService,
    @InjectRepository(Passkey) private readonly passkeys: Repository<Passkey>,
    private readonly challenges: WebAuthnChallengesService,
    private readonly relyingParty: RelyingParty,
    private readonly loginThrottle: LoginThrottleService,
    private readonly usersService: UsersService,
    private readonly events: EventEmitter2,
  ) {
    this.challengesByAddress = limits.limiter('passkey_challenges_address', config.throttle.passkeyChallengesPerAddress);
  }

  /** Options for a discoverable credential: no allowCredentials, so the browser offers whichever passkeys of this site it holds, and no username is asked first. */
  async options(request: RequestContext): Promise<AuthenticationOptions> {
    await this.limits.countAll([[this.challengesByAddress, request.clientAddress, 'passkey-challenge-address']], 'Too many passkey sign-in attempts from this address', request);
    const { id, challenge } = await this.challenges.issue('authentication', null);
    const options = await generateAuthenticationOptions({
      rpID: this.relyingParty.id,
      challenge: Buffer.from(challenge, 'base64url'),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      userVerification: 'preferred',
      allowCredentials: [],
    });
    return { ...options, challengeId: id };
  }

  /**
   * The answer of navigator.credentials.get(), for the challenge `challengeId`:
   * the challenge is spent first (one answer per challenge), the credential
   * names the account, whose login attempt is counted before the signature is
   * checked; a signature counter that did not move forward (WebAuthn §6.1.1:
   * a cloned authenticator) is refused and recorded. Null: refused.
   */
  async signIn(challengeId: string, response: unknown, request: RequestContext): Promise<PasskeySignIn | null> {
    const challenge = await this.challenges.spendById(challengeId, 'authentication');
    if (!challenge) return this.refused(request, 'no-challenge');
    const answer = authenticationResponseOf(response);
    const passkey = answer && (await this.passkeys.findOneBy({ credentialId: answer.id }));
    const user = passkey && (await this.usersService.findById(passkey.userId));
    if (!answer) return this.refused(request, 'malformed');
    if (!passkey || !user) {
      await this.loginThrottle.consumeAnonymousAttempt(request);
      return this.refused(request, 'unknown-credential');
    }
    const attempt = await this.loginThrottle.consumeLoginAttempt(user.username, request);
    const handle = answer.response.userHandle;
    if (handle !== undefined && userIdOfHandle(handle) !== user.id) return this.refused(request, 'user-handle-mismatch', user, passkey);
    const verified = await this.verify(answer, challenge, passkey);
    if (!verified) return this.refused(request, 'not-verified', user, passkey);
    if (!(await this.advanceCounter(passkey, verified))) {
      raiseSecurityEvent(this.events, { type: 'passkey.counter-regressed', outcome: 'failure', subjectId: user.id, request, details: { passkeyId: passkey.id, storedCounter: passkey.counter, presentedCounter: verified.newCounter } });
      return this.refused(request, 'counter-regressed', user, passkey);
    }
    await attempt.loggedIn();
    raiseSecurityEvent(this.events, { type: 'login', actorId: user.id, subjectId: user.id, request, details: { username: user.username, method: 'passkey', passkeyId: passkey.id, userVerified: verified.userVerified } });
    return { user, amr: amrOf(verified.credentialDeviceType, verified.userVerified) };
  }

  private async verify(answer: AuthenticationResponseJSON, challenge: string, passkey: Passkey) {
    try {
      const { verified, authenticationInfo } = await verifyAuthenticationResponse({
        response: answer,
        expectedChallenge: challenge,
        expectedOrigin: this.relyingParty.origin,
        expectedRPID: this.relyingParty.id,
        // The counter is checked here, after the signature, so that a regression is known to come from the real key (a clone), not from noise.
        credential: { id: passkey.credentialId, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: 0, transports: passkey.transports ? passkey.transports.split(' ') : undefined },
        requireUserVerification: false,
      });
      return verified ? authenticationInfo : null;
    } catch {
      // A malformed or forged answer: @simplewebauthn's reason is for no one but a debugger.
      return null;
    }
  }

  /**
   * The counter moves forward, by one conditional write (WebAuthn §7.2 step
   * 22): the stored value must still be the one read, so of two answers with
   * the same counter only one passes. An authenticator without a counter
   * (always 0) is not held to it.
   */
  private async advanceCounter(passkey: Passkey, { newCounter, credentialDeviceType, credentialBackedUp }: { newCounter: number; credentialDeviceType: PasskeyDeviceType; credentialBackedUp: boolean }): Promise<boolean> {
    const counterless = newCounter === 0 && passkey.counter === 0;
    if (!counterless && newCounter <= passkey.counter) return false;
    const updated = await this.passkeys.update({ id: passkey.id, counter: passkey.counter }, { counter: newCounter, lastUsedAt: new Date(), deviceType: credentialDeviceType, backedUp: credentialBackedUp });
    return updated.affected === 1;
  }

  private refused(request: RequestContext, reason: Refusal, user?: User, passkey?: Passkey): null {
    const details = { username: user?.username ?? null, method: 'passkey', reason, passkeyId: passkey?.id ?? null };
    raiseSecurityEvent(this.events, { type: 'login', outcome: 'failure', subjectId: user?.id ?? null, request, details });
    return null;
  }
}

/**
 * RFC 8176 §2: `hwk` for a key bound to one device, `swk` for one its
 * provider syncs (a multi-device credential lives in software, in effect);
 * `user` when the authenticator verified the person (PIN, biometrics).
 */
export function amrOf(deviceType: PasskeyDeviceType, userVerified: boolean): string[] {
  return [deviceType === 'singleDevice' ? 'hwk' : 'swk', ...(userVerified ? ['user'] : [])];
}

/** The answer if it has the shape of an AuthenticationResponseJSON (strings where strings go); @simplewebauthn checks the rest. */
function authenticationResponseOf(value: unknown): AuthenticationResponseJSON | null {
  const answer = value as Partial<AuthenticationResponseJSON> | null;
  const inner = answer?.response as Partial<AuthenticationResponseJSON['response']> | undefined;
  if (typeof answer !== 'object' || answer === null || typeof answer.id !== 'string' || answer.id.length > 1400 || typeof answer.rawId !== 'string') return null;
  if (typeof inner !== 'object' || inner === null || typeof inner.clientDataJSON !== 'string' || typeof inner.authenticatorData !== 'string' || typeof inner.signature !== 'string') return null;
  if (inner.userHandle !== undefined && inner.userHandle !== null && typeof inner.userHandle !== 'string') return null;
  return { ...answer, response: { ...inner, userHandle: inner.userHandle ?? undefined }, clientExtensionResults: answer.clientExtensionResults ?? {} } as AuthenticationResponseJSON;
}
