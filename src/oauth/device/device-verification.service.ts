import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../http/request-context.js';
import { LoginService } from '../../login/login.service.js';
import { MfaService } from '../../mfa/mfa.service.js';
import { PageRenderer } from '../../pages/page-renderer.js';
import { raiseSecurityEvent } from '../../security-events/security-event.js';
import type { Session } from '../../sessions/entities/session.entity.js';
import type { User } from '../../users/entities/user.entity.js';
import { UsersService } from '../../users/users.service.js';
import { MFA_EXPIRED, WRONG_CODE, WRONG_PASSWORD } from '../authorization/authorization-flow.service.js';
import { BrowserSessionService } from '../authorization/browser-session.service.js';
import { ConsentsService } from '../authorization/consents.service.js';
import { SCOPE_DESCRIPTIONS } from '../grants/scopes.js';
import { DeviceAuthorizationsService } from './device-authorizations.service.js';
import { DeviceFlowService, type EnteredCode } from './device-flow.service.js';

const WRONG_USER_CODE = 'That code is wrong or has expired. Check the code your device shows, or start again on the device.';

/**
 * The verification page (RFC 8628 §3.3) and the steps after it: the code,
 * then the hosted login when no browser session is there (the login and
 * second-factor templates of the authorization endpoint, posting back here,
 * through LoginService: the same throttles and audit), then the consent
 * page, always — even for a first-party client or a consent given before:
 * the person must confirm that the device in front of them is the one asking
 * (RFC 8628 §5.4, remote phishing). Every step looks the code up again (it
 * rides in a hidden field).
 */
@Injectable()
export class DeviceVerificationService {
  constructor(
    private readonly deviceFlow: DeviceFlowService,
    private readonly devices: DeviceAuthorizationsService,
    private readonly browserSessions: BrowserSessionService,
    private readonly consents: ConsentsService,
    private readonly login: LoginService,
    private readonly mfa: MfaService,
    private readonly usersService: UsersService,
    private readonly pages: PageRenderer,
    private readonly events: EventEmitter2,
  ) {}

  /** The form, pre-filled from verification_uri_complete: nothing happens before the person confirms. */
  show(userCode: string | undefined, reply: FastifyReply): Promise<void> {
    return this.codePage(reply, userCode);
  }

  async enter(userCode: string, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const entered = await this.deviceFlow.enter(userCode, request);
    if (!entered) return this.codePage(reply, userCode, WRONG_USER_CODE);
    const session = await this.browserSessions.current(http);
    if (!session) return this.loginPage(entered, reply);
    return this.consentPage(entered, session, reply);
  }

  async signIn(userCode: string, username: string, password: string, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const entered = await this.deviceFlow.enter(userCode, request);
    if (!entered) return this.codePage(reply, userCode, WRONG_USER_CODE);
    const user = await this.login.authenticate(username, password, request, 'login-page');
    if (!user) return this.loginPage(entered, reply, WRONG_PASSWORD, username);
    if (user.totpEnabled) return this.secondFactorPage(entered, await this.mfa.createChallenge(user), reply);
    return this.signedIn(entered, user, 'pwd', http, reply, request);
  }

  async secondFactor(userCode: string, otp: string, mfaToken: string, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const entered = await this.deviceFlow.enter(userCode, request);
    if (!entered) return this.codePage(reply, userCode, WRONG_USER_CODE);
    const user = await this.login.completeSecondFactor(mfaToken, otp, request);
    if (user === 'expired') return this.loginPage(entered, reply, MFA_EXPIRED);
    if (user === 'wrong') return this.secondFactorPage(entered, mfaToken, reply, WRONG_CODE);
    return this.signedIn(entered, user, 'pwd otp mfa', http, reply, request);
  }

  /** Allow or Deny, within the browser session that showed the page; the device learns it at its next poll. */
  async decide(userCode: string, allow: boolean, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const entered = await this.deviceFlow.enter(userCode, request);
    if (!entered) return this.codePage(reply, userCode, WRONG_USER_CODE);
    const session = await this.browserSessions.current(http);
    if (!session) return this.loginPage(entered, reply);
    if (!(await this.devices.answer(entered.authorization, session, allow))) return this.codePage(reply, userCode, WRONG_USER_CODE);
    const details = { clientId: entered.client.clientId, scope: entered.authorization.scope, ...(allow ? {} : { reason: 'denied' }) };
    raiseSecurityEvent(this.events, { type: 'device.authorized', outcome: allow ? 'success' : 'failure', actorId: session.userId, subjectId: session.userId, request, details });
    if (!allow) return this.pages.render(reply, 'message', { title: 'Device not connected', message: `${entered.client.clientName} was not allowed. You can close this page.`, tone: 'info' });
    if (!entered.client.skipConsent) await this.consents.grant(session.userId, entered.client.clientId, entered.authorization.scope.split(' ').filter(Boolean), request);
    return this.pages.render(reply, 'message', { title: 'Device connected', message: `${entered.client.clientName} is signed in. You can return to your device.`, tone: 'success' });
  }

  private async signedIn(entered: EnteredCode, user: User, amr: string, http: FastifyRequest, reply: FastifyReply, request: RequestContext): Promise<void> {
    const session = await this.browserSessions.start(user, amr, entered.client.clientId, await this.browserSessions.current(http), reply, request);
    return this.consentPage(entered, session, reply);
  }

  private codePage(reply: FastifyReply, userCode: string | undefined, error?: string): Promise<void> {
    return this.pages.render(reply, 'device', { action: '/device', userCode, error }, { status: error ? 400 : 200 });
  }

  private loginPage(entered: EnteredCode, reply: FastifyReply, error?: string, username?: string): Promise<void> {
    const data = { ...this.clientOf(entered), username, error, action: '/device/login', hiddenFields: { user_code: entered.userCode } };
    return this.pages.render(reply, 'login', data, { status: error ? 400 : 200, ...this.sources(entered) });
  }

  private secondFactorPage(entered: EnteredCode, mfaToken: string, reply: FastifyReply, error?: string): Promise<void> {
    const data = { ...this.clientOf(entered), error, action: '/device/second-factor', hiddenFields: { user_code: entered.userCode, mfa_token: mfaToken } };
    return this.pages.render(reply, 'second-factor', data, { status: error ? 400 : 200, ...this.sources(entered) });
  }

  private async consentPage(entered: EnteredCode, session: Session, reply: FastifyReply): Promise<void> {
    const scopes = entered.authorization.scope
      .split(' ')
      .filter(Boolean)
      .map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? `Use “${name}”` }));
    const username = (await this.usersService.findById(session.userId))?.username;
    const data = { ...this.clientOf(entered), username, scopes, action: '/device/consent', hiddenFields: { user_code: entered.userCode } };
    return this.pages.render(reply, 'consent', data, this.sources(entered));
  }

  private clientOf({ client }: EnteredCode) {
    return { clientName: client.clientName, clientUri: client.clientUri, clientLogoUri: client.logoUri };
  }

  /** Every form posts here; only the client's logo widens the policy. */
  private sources({ client }: EnteredCode) {
    return { imageSources: client.logoUri ? [new URL(client.logoUri).origin] : [] };
  }
}
