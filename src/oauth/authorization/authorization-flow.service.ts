import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../http/request-context.js';
import { LoginService } from '../../login/login.service.js';
import { MfaService } from '../../mfa/mfa.service.js';
import { PageRenderer } from '../../pages/page-renderer.js';
import type { Session } from '../../sessions/entities/session.entity.js';
import type { User } from '../../users/entities/user.entity.js';
import { UsersService } from '../../users/users.service.js';
import { SCOPE_DESCRIPTIONS } from '../grants/scopes.js';
import { AuthorizationRedirect, AuthorizationService, type AuthorizationStage, type AuthorizationStep, type ValidatedAuthorization } from './authorization.service.js';
import { BrowserSessionService } from './browser-session.service.js';
import type { LoginFormDto, PasskeyFormDto, SecondFactorFormDto } from './dto/login-form.dto.js';
import { PasskeyLoginService } from '../../passkeys/passkey-login.service.js';

/** The hosted login's messages, shared by every flow that leads through its pages (the device verification page too). */
export const WRONG_PASSWORD = 'Invalid username or password.';
export const WRONG_CODE = 'That code is wrong or was already used. Enter the current code of your authenticator app, or a recovery code.';
export const MFA_EXPIRED = 'This sign-in took too long. Start again.';
export const PASSKEY_REFUSED = 'That passkey could not sign you in. Try again, or sign in with your password.';

/**
 * The steps of the hosted login, from the request to the redirect: each
 * checks the authorization request again (it rides in hidden fields), and
 * each answer is a page or a 303 to the client. Passwords and codes go
 * through LoginService, the very path of the token endpoint: the same
 * throttles, timing, hash queue and audit events.
 */
@Injectable()
export class AuthorizationFlowService {
  constructor(
    private readonly authorization: AuthorizationService,
    private readonly browserSessions: BrowserSessionService,
    private readonly login: LoginService,
    private readonly mfa: MfaService,
    private readonly usersService: UsersService,
    private readonly pages: PageRenderer,
    private readonly passkeyLogin: PasskeyLoginService,
  ) {}

  async start(parameters: Record<string, unknown>, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const authorization = await this.validated(parameters, 'start', reply);
    if (!authorization) return;
    await this.show(await this.authorization.next(authorization, await this.browserSessions.current(http), false, request), reply);
  }

  /** The login form: a wrong password shows the page again; two-factor on asks for the code next; a right one starts the browser session. */
  async signIn(parameters: Record<string, unknown>, { username, password }: LoginFormDto, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const authorization = await this.validated(parameters, 'continue', reply);
    if (!authorization) return;
    const user = await this.login.authenticate(username, password, request, 'login-page');
    if (!user) return this.loginPage(authorization, reply, { error: WRONG_PASSWORD, username, status: 400 });
    if (user.totpEnabled) return this.secondFactorPage(authorization, await this.mfa.createChallenge(user), reply);
    await this.signedIn(authorization, user, 'pwd', http, reply, request);
  }

  /**
   * The passkey form: the answer goes through PasskeyLoginService, the very
   * path of the passkey grant (throttle, counter, audit). A passkey is both
   * factors: no code page follows, and the session's amr says `hwk`/`swk`.
   */
  async signInWithPasskey(parameters: Record<string, unknown>, { challengeId, response }: PasskeyFormDto, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const authorization = await this.validated(parameters, 'continue', reply);
    if (!authorization) return;
    const signIn = await this.passkeyLogin.signIn(challengeId, parsedJson(response), request);
    if (!signIn) return this.loginPage(authorization, reply, { error: PASSKEY_REFUSED, status: 400 });
    await this.signedIn(authorization, signIn.user, signIn.amr.join(' '), http, reply, request);
  }

  /** The second-factor form: the code is checked (and throttled) before the mfa_token is spent, as at the MFA grant. */
  async secondFactor(parameters: Record<string, unknown>, { otp, mfa_token: mfaToken }: SecondFactorFormDto, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const authorization = await this.validated(parameters, 'continue', reply);
    if (!authorization) return;
    const user = await this.login.completeSecondFactor(mfaToken, otp, request);
    if (user === 'expired') return this.loginPage(authorization, reply, { error: MFA_EXPIRED, status: 400 });
    if (user === 'wrong') return this.secondFactorPage(authorization, mfaToken, reply, WRONG_CODE);
    await this.signedIn(authorization, user, 'pwd otp mfa', http, reply, request);
  }

  /** The consent form: only within the browser session that showed it (else the login page again). */
  async consent(parameters: Record<string, unknown>, allow: boolean, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const authorization = await this.validated(parameters, 'continue', reply);
    if (!authorization) return;
    const session = await this.browserSessions.current(http);
    if (!session) return this.loginPage(authorization, reply);
    this.redirect(reply, await this.authorization.decide(authorization, session, allow, request));
  }

  private async signedIn(authorization: ValidatedAuthorization, user: User, amr: string, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const session = await this.browserSessions.start(user, amr, authorization.client.clientId, await this.browserSessions.current(http), reply, request);
    await this.show(await this.authorization.next(authorization, session, true, request), reply);
  }

  /** The request checked; an error that goes to the client is sent here (303) and null returned; one that may not go there is thrown (a 400 page). */
  private async validated(parameters: Record<string, unknown>, stage: AuthorizationStage, reply: FastifyReply): Promise<ValidatedAuthorization | null> {
    try {
      return await this.authorization.validate(parameters, stage);
    } catch (error) {
      if (!(error instanceof AuthorizationRedirect)) throw error;
      this.redirect(reply, error.location);
      return null;
    }
  }

  private async show(step: AuthorizationStep, reply: FastifyReply): Promise<void> {
    if (step.step === 'redirect') return this.redirect(reply, step.location);
    if (step.step === 'login') return this.loginPage(step.authorization, reply);
    return this.consentPage(step.authorization, step.session, reply);
  }

  private loginPage(authorization: ValidatedAuthorization, reply: FastifyReply, { error, username, status }: { error?: string; username?: string; status?: number } = {}): Promise<void> {
    return this.pages.render(
      reply,
      'login',
      {
        ...this.clientOf(authorization),
        username: username ?? authorization.loginHint,
        error,
        action: '/authorize/login',
        passkeyAction: '/authorize/passkey',
        passkeyOptions: '/auth/passkeys/authentication/options',
        hiddenFields: authorization.parameters,
      },
      { status, scripts: true, ...this.sources(authorization) },
    );
  }

  private secondFactorPage(authorization: ValidatedAuthorization, mfaToken: string, reply: FastifyReply, error?: string): Promise<void> {
    return this.pages.render(
      reply,
      'second-factor',
      { ...this.clientOf(authorization), error, action: '/authorize/second-factor', hiddenFields: { ...authorization.parameters, mfa_token: mfaToken } },
      { status: error ? 400 : 200, ...this.sources(authorization) },
    );
  }

  /** Says who is signed in, so a person on a shared browser does not allow an application in someone else's name. */
  private async consentPage(authorization: ValidatedAuthorization, session: Session, reply: FastifyReply): Promise<void> {
    const scopes = authorization.scopes.map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? `Use “${name}”` }));
    const username = (await this.usersService.findById(session.userId))?.username;
    return this.pages.render(reply, 'consent', { ...this.clientOf(authorization), username, scopes, action: '/authorize/consent', hiddenFields: authorization.parameters }, this.sources(authorization));
  }

  private clientOf({ client }: ValidatedAuthorization) {
    return { clientName: client.clientName, clientUri: client.clientUri, clientLogoUri: client.logoUri };
  }

  /**
   * The page's forms end in a 303 to the client's redirect URI, which a CSP
   * form-action must allow (browsers check redirects after a form, CSP 3
   * §6.3.2.2); the client's logo is shown.
   */
  private sources({ redirectUri, client }: ValidatedAuthorization) {
    const url = new URL(redirectUri);
    const target = url.origin !== 'null' ? url.origin : url.protocol;
    return { formActions: [target], imageSources: client.logoUri ? [new URL(client.logoUri).origin] : [] };
  }

  private redirect(reply: FastifyReply, location: string): void {
    reply.status(303).header('Location', location).send();
  }
}

/** The passkey form's `response`: JSON text, or nothing a sign-in can use (refused like a wrong answer). */
function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
