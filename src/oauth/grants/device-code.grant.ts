import { Injectable } from '@nestjs/common';
import { isForeignKeyViolation } from '../../database/database-errors.js';
import { SessionsService } from '../../sessions/sessions.service.js';
import { UsersService } from '../../users/users.service.js';
import { DeviceAuthorizationsService } from '../device/device-authorizations.service.js';
import type { TokenResponseDto } from '../dto/token-response.dto.js';
import { grantError, oauthError } from '../oauth-error.exception.js';
import { RefreshTokensService } from '../refresh-tokens/refresh-tokens.service.js';
import { DeviceCodeGrantDto } from './dto/device-code-grant.dto.js';
import type { GrantContext, GrantHandler } from './grant-handler.js';
import { refreshBinding, TokenIssuer } from './token-issuer.service.js';

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

const INVALID_DEVICE_CODE = 'The device_code is unknown, was issued to another client, or was already exchanged for tokens.';

/**
 * RFC 8628 §3.4–3.5: the device polls with its device code. The answers
 * follow the person's progress on the verification page; an approved code
 * is spent by one conditional UPDATE (so tokens are issued once, whatever
 * the number of polls or instances), then invalid_grant. Until then the
 * approval lives with the browser session that gave it (signed out, password
 * changed: invalid_grant). The device's session is its own (no parent):
 * signing out of that browser later does not sign the device out, as the
 * device is another machine.
 */
@Injectable()
export class DeviceCodeGrant implements GrantHandler<DeviceCodeGrantDto> {
  readonly grantType = DEVICE_CODE_GRANT_TYPE;
  readonly parameters = DeviceCodeGrantDto;
  readonly withoutClient = false;
  readonly summary = '`urn:ietf:params:oauth:grant-type:device_code`: `device_code` of POST /auth/device, polled every `interval` seconds (RFC 8628).';

  constructor(
    private readonly devices: DeviceAuthorizationsService,
    private readonly sessions: SessionsService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly usersService: UsersService,
    private readonly issuer: TokenIssuer,
  ) {}

  async handle({ device_code: deviceCode }: DeviceCodeGrantDto, { client, request, dpop }: GrantContext): Promise<TokenResponseDto> {
    const poll = await this.devices.poll(deviceCode, client!.clientId);
    switch (poll.state) {
      case 'unknown':
        throw grantError(INVALID_DEVICE_CODE, client);
      case 'expired':
        throw oauthError('expired_token', 'The device_code has expired: start again with POST /auth/device.');
      case 'slow_down':
        throw oauthError('slow_down', `Polled too often: wait ${poll.interval} seconds between polls.`, { interval: poll.interval });
      case 'pending':
        throw oauthError('authorization_pending', 'The person has not answered yet.');
      case 'denied':
        throw oauthError('access_denied', 'The person did not allow the device.');
    }
    const { authorization } = poll;
    const [user, approvedIn] = await Promise.all([
      authorization.userId === null ? null : this.usersService.findById(authorization.userId),
      authorization.browserSessionId === null ? null : this.sessions.findLive(authorization.browserSessionId),
    ]);
    // The person signed out, changed password or was deleted since approving: the approval went with that session.
    if (!user || !approvedIn) throw grantError(INVALID_DEVICE_CODE, client);
    const details = { clientId: client!.clientId, scope: authorization.scope, resource: null, amr: authorization.amr, authTime: authorization.authTime, dpopJkt: refreshBinding(client, dpop) };
    const session = await this.sessions.start(user, request, details).catch((error: unknown) => {
      if (isForeignKeyViolation(error)) throw grantError(INVALID_DEVICE_CODE, client);
      throw error;
    });
    if (!(await this.devices.spend(authorization))) {
      await this.sessions.endById(session.id);
      throw grantError(INVALID_DEVICE_CODE, client);
    }
    const refreshToken = client!.grantTypes.includes('refresh_token') ? await this.refreshTokens.firstToken(session) : null;
    // A client registered openly is no longer "unused" (REGISTRATION_TTL) once it got a token.
    await this.issuer.markInUse(client!);
    return this.issuer.forSession(user, session, refreshToken, { jkt: dpop?.jkt });
  }
}
